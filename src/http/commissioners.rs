//! `/api/commissioners`: who pays, their contract terms, and their council returns.
use super::auth::Viewer;
use super::{examples, path_ref, required_period, ApiError, AppState, ListParams, Problem};
use crate::app::queries;
use crate::app::reports::{return_totals, RETURN_COLUMNS};
use crate::domain::model::Commissioner;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, PartialSchema, ToSchema};

/// A commissioner's contract terms, defaults applied.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractTermsBody {
    /// `planned`, `actual` or `actual_capped`.
    #[schema(example = "actual_capped")]
    pub billing_basis: String,
    #[schema(example = 5)]
    pub tolerance_minutes: i64,
    #[schema(example = 1)]
    pub rounding_minutes: i64,
    /// A decimal string.
    #[schema(example = "48")]
    pub cancellation_notice_hours: String,
    #[schema(example = 4)]
    pub surplus_cap_weeks: i64,
    #[schema(example = 12)]
    pub surplus_age_weeks: i64,
}

/// A council or an NHS integrated care board.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommissionerBody {
    #[schema(example = "NCC")]
    pub commissioner_ref: String,
    #[schema(example = "Northshire County Council")]
    pub name: String,
    /// `council` or `icb`.
    #[schema(example = "council")]
    pub kind: String,
    pub terms: ContractTermsBody,
}

impl From<Commissioner> for CommissionerBody {
    fn from(c: Commissioner) -> CommissionerBody {
        CommissionerBody {
            commissioner_ref: c.commissioner_ref,
            name: c.name,
            kind: c.kind.word().to_owned(),
            terms: ContractTermsBody {
                billing_basis: c.terms.billing_basis.word().to_owned(),
                tolerance_minutes: c.terms.tolerance_minutes,
                rounding_minutes: c.terms.rounding_minutes,
                cancellation_notice_hours: c
                    .terms
                    .cancellation_notice_hours
                    .normalize()
                    .to_string(),
                surplus_cap_weeks: c.terms.surplus_cap_weeks,
                surplus_age_weeks: c.terms.surplus_age_weeks,
            },
        }
    }
}

/// A page of commissioners.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommissionerPage {
    pub items: Vec<CommissionerBody>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "NCC")]
    pub next_after: Option<String>,
}

/// List commissioners
///
/// Commissioners in ref order (compared as bytes), a page at a time.
#[utoipa::path(
    get,
    path = "/api/commissioners",
    operation_id = "list_commissioners",
    tag = "commissioners",
    params(ListParams),
    responses(
        (status = 200, description = "A page of commissioners", body = CommissionerPage),
        (status = 400, description = "An unknown query parameter", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "A bad `limit` or `after`", body = Problem,
            content_type = "application/problem+json", example = json!(examples::problem_query())),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<CommissionerPage>, ApiError> {
    let Query(params) = params?;
    let (after, limit) = params.parse()?;
    let page =
        queries::list_commissioners(&state.db, &viewer.principal, after.as_deref(), limit).await?;
    Ok(Json(CommissionerPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next_after: page.next_after,
    }))
}

/// Read a commissioner
#[utoipa::path(
    get,
    path = "/api/commissioners/{ref}",
    operation_id = "read_commissioner",
    tag = "commissioners",
    params(("ref" = String, Path, description = "The commissioner's ref", example = "NCC")),
    responses(
        (status = 200, description = "The commissioner", body = CommissionerBody),
        (status = 404, description = "No such commissioner", body = Problem,
            content_type = "application/problem+json",
            example = json!(examples::problem_not_found("commissioner"))),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
) -> Result<Json<CommissionerBody>, ApiError> {
    let reference = path_ref("commissioner", &reference)?;
    let c = queries::find_commissioner(&state.db, &viewer.principal, &reference).await?;
    Ok(Json(c.into()))
}

/// `?from=&to=` of a return.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReturnParams {
    /// The first day of the period, `YYYY-MM-DD`.
    #[param(value_type = String, format = Date, example = "2026-03-01")]
    from: Option<String>,
    /// The last day of the period, `YYYY-MM-DD`, not before `from`.
    #[param(value_type = String, format = Date, example = "2026-03-31")]
    to: Option<String>,
}

/// One row of a council return: every column of the CSV (FORMATS.md), as the CSV writes it.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct ReturnRowBody(Map<String, Value>);

/// The totals of a return's columns from `weekly_amount` on.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct ReturnTotalsBody(Map<String, Value>);

/// The schema of an object whose properties are `columns`, every one a required string.
pub(super) fn string_object(columns: &[&str], description: &str) -> RefOr<Schema> {
    let mut object = ObjectBuilder::new().description(Some(description));
    for column in columns {
        object = object
            .property(*column, ObjectBuilder::new().schema_type(Type::String))
            .required(*column);
    }
    object
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .into()
}

impl PartialSchema for ReturnRowBody {
    fn schema() -> RefOr<Schema> {
        string_object(
            &RETURN_COLUMNS,
            "One row of the council return, keyed by the CSV's column names. Every value is a \
             string as the CSV writes it: money and hours with exactly 2 decimals, counts whole.",
        )
    }
}
impl ToSchema for ReturnRowBody {}

impl PartialSchema for ReturnTotalsBody {
    fn schema() -> RefOr<Schema> {
        string_object(
            &RETURN_COLUMNS[7..],
            "Column totals from weekly_amount on, as strings like the rows'.",
        )
    }
}
impl ToSchema for ReturnTotalsBody {}

/// A council return.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnBody {
    #[schema(example = "NCC")]
    pub commissioner_ref: String,
    #[schema(example = "2026-03-01", format = Date)]
    pub from: String,
    #[schema(example = "2026-03-31", format = Date)]
    pub to: String,
    /// Sorted by agreement then stream, compared as bytes.
    pub rows: Vec<ReturnRowBody>,
    pub totals: ReturnTotalsBody,
}

fn object(columns: &[&str], cells: Vec<String>) -> Map<String, Value> {
    columns
        .iter()
        .zip(cells)
        .map(|(k, v)| ((*k).to_owned(), Value::String(v)))
        .collect()
}

/// A commissioner's council return
///
/// One row per agreement stream the commissioner funds that is live in the period or has a
/// transaction dated in it, with the same figures as `isf return --format json`.
#[utoipa::path(
    get,
    path = "/api/commissioners/{ref}/returns",
    operation_id = "commissioner_return",
    tag = "commissioners",
    params(
        ("ref" = String, Path, description = "The commissioner's ref", example = "NCC"),
        ReturnParams,
    ),
    responses(
        (status = 200, description = "The return", body = ReturnBody),
        (status = 400, description = "An unknown query parameter", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such commissioner", body = Problem,
            content_type = "application/problem+json",
            example = json!(examples::problem_not_found("commissioner"))),
        (status = 422, description = "A missing or bad date, or a period that ends before it starts",
            body = Problem, content_type = "application/problem+json", example = json!({
                "type": "tag:isf-ledger,2026:problem/validation",
                "title": "The request is not valid",
                "status": 422,
                "detail": "the query has 1 problem(s)",
                "errors": [{"field": "from", "reason": "is required"}]
            })),
    )
)]
pub async fn council_return(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    params: Result<Query<ReturnParams>, QueryRejection>,
) -> Result<Json<ReturnBody>, ApiError> {
    let reference = path_ref("commissioner", &reference)?;
    let Query(params) = params?;
    let (from, to) = required_period(params.from.as_deref(), params.to.as_deref())?;
    let rows =
        queries::commissioner_return(&state.db, &viewer.principal, &reference, from, to).await?;
    let totals = return_totals(&rows);
    Ok(Json(ReturnBody {
        commissioner_ref: reference,
        from: from.to_string(),
        to: to.to_string(),
        rows: rows
            .iter()
            .map(|r| ReturnRowBody(object(&RETURN_COLUMNS, r.cells())))
            .collect(),
        totals: ReturnTotalsBody(object(&RETURN_COLUMNS[7..], totals)),
    }))
}
