//! `GET /api/visits`: the roster, as each caller may see it (a care worker, their own visits).
use super::auth::Viewer;
use super::{
    examples, optional_date, page_limit, query_checked, ApiError, AppState, FieldError, Problem,
};
use crate::app::queries::{self, VisitFilter, VisitItem};
use crate::domain::calendar::local_date;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A visit on the roster. Visits carry no money.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitBody {
    #[schema(example = "V-A07")]
    pub visit_ref: String,
    #[schema(example = "AG-ANN")]
    pub agreement_ref: String,
    #[schema(example = "O-WASH")]
    pub outcome_ref: String,
    /// The visit's local date (Europe/London).
    #[schema(example = "2026-03-16", format = Date)]
    pub date: String,
    /// UTC, RFC 3339.
    #[schema(example = "2026-03-16T08:00:00+00:00", format = DateTime)]
    pub planned_start: String,
    #[schema(example = "2026-03-16T09:00:00+00:00", format = DateTime)]
    pub planned_end: String,
    #[schema(example = 1)]
    pub workers_required: i64,
    #[schema(example = json!(["W-DAN"]))]
    pub worker_refs: Vec<String>,
    #[schema(format = DateTime)]
    pub cancelled_at: Option<String>,
    /// `person` or `provider`.
    pub cancelled_by: Option<String>,
    /// Whether any attendance is recorded for it.
    pub attended: bool,
}

impl From<VisitItem> for VisitBody {
    fn from(item: VisitItem) -> VisitBody {
        let v = item.visit;
        VisitBody {
            date: local_date(v.planned_start).to_string(),
            planned_start: v.planned_start.to_rfc3339(),
            planned_end: v.planned_end.to_rfc3339(),
            cancelled_at: v.cancellation.as_ref().map(|c| c.at.to_rfc3339()),
            cancelled_by: v.cancellation.as_ref().map(|c| c.by.word().to_owned()),
            visit_ref: v.visit_ref,
            agreement_ref: v.agreement_ref,
            outcome_ref: v.outcome_ref,
            workers_required: v.workers_required,
            worker_refs: v.worker_refs,
            attended: item.attended,
        }
    }
}

/// A page of visits.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitPage {
    pub items: Vec<VisitBody>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "V-A08")]
    pub next_after: Option<String>,
}

/// `?agreement=&from=&to=&limit=&after=` of the visits list; every filter is optional.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VisitParams {
    /// Only this agreement's visits.
    #[param(value_type = Option<String>, pattern = r"^[A-Za-z0-9_-]{1,40}$", example = "AG-ANN")]
    agreement: Option<String>,
    /// Only visits on or after this local date.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-01")]
    from: Option<String>,
    /// Only visits on or before this local date.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-31")]
    to: Option<String>,
    /// How many items to return: 1 to 500 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500, example = 100)]
    limit: Option<String>,
    /// The last ref of the previous page (its `next_after`); visits come in ref order after it.
    #[param(value_type = Option<String>, pattern = r"^[A-Za-z0-9_-]{1,40}$", example = "V-A07")]
    after: Option<String>,
}

/// A query value given and not empty (an empty one is reported by `parse`).
fn present(text: &Option<String>) -> Option<&str> {
    text.as_deref().filter(|t| !t.is_empty())
}

impl VisitParams {
    pub(super) fn parse(&self) -> Result<(VisitFilter, Option<String>, usize), ApiError> {
        let mut errors = Vec::new();
        for (field, text) in [
            ("agreement", &self.agreement),
            ("from", &self.from),
            ("to", &self.to),
            ("limit", &self.limit),
            ("after", &self.after),
        ] {
            if text.as_deref() == Some("") {
                errors.push(FieldError {
                    field: field.to_owned(),
                    reason: super::exceptions::EMPTY_PARAMETER.to_owned(),
                });
            }
        }
        let reference = |field: &str, text: Option<&str>, errors: &mut Vec<FieldError>| {
            text.and_then(|t| match crate::domain::refs::Ref::parse(t) {
                Ok(r) => Some(r.as_str().to_owned()),
                Err(e) => {
                    errors.push(FieldError {
                        field: field.to_owned(),
                        reason: e.to_string(),
                    });
                    None
                }
            })
        };
        let agreement_ref = reference("agreement", present(&self.agreement), &mut errors);
        let after = reference("after", present(&self.after), &mut errors);
        let from = optional_date("from", present(&self.from), &mut errors);
        let to = optional_date("to", present(&self.to), &mut errors);
        let limit = page_limit(present(&self.limit), &mut errors);
        query_checked(errors)?;
        Ok((
            VisitFilter {
                agreement_ref,
                from,
                to,
            },
            after,
            limit,
        ))
    }
}

/// List visits
///
/// The roster in visit-ref order, a page at a time, as the caller may see it: provider staff every
/// visit; a care worker the visits they are on; a budget holder or commissioner officer the visits of
/// the agreements they see. Filter by agreement and by local date.
#[utoipa::path(
    get,
    path = "/api/visits",
    operation_id = "list_visits",
    tag = "visits",
    params(VisitParams),
    responses(
        (status = 200, description = "A page of visits", body = VisitPage),
        (status = 400, description = "An unknown query parameter", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, `limit` or `after`, or `to` before `from`", body = Problem,
            content_type = "application/problem+json", example = json!(examples::problem_query())),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<VisitParams>, QueryRejection>,
) -> Result<Json<VisitPage>, ApiError> {
    let Query(params) = params?;
    let (filter, after, limit) = params.parse()?;
    let page = queries::list_visits(
        &state.db,
        &viewer.principal,
        &filter,
        after.as_deref(),
        limit,
    )
    .await?;
    Ok(Json(VisitPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next_after: page.next_after,
    }))
}
