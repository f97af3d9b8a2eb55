//! `/api/agreements`: Individual Service Funds, their streams and their funds' balances.
use super::auth::Viewer;
use super::{examples, now_and_today, path_ref, ApiError, AppState, ListParams, Problem};
use crate::app::queries::{self, AgreementFunds, AgreementStreams};
use crate::domain::model::{Agreement, Fee, Stream};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// One funding stream of an agreement: one commissioner's money.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamBody {
    #[schema(example = "ASC")]
    pub stream_ref: String,
    #[schema(example = "NCC")]
    pub commissioner_ref: String,
    /// The stream's full weekly budget, a decimal string.
    #[schema(example = "420.00")]
    pub weekly_amount: String,
    /// The stream a person's contributions and a fixed fee go to.
    pub primary: bool,
}

impl From<&Stream> for StreamBody {
    fn from(s: &Stream) -> StreamBody {
        StreamBody {
            stream_ref: s.stream_ref.clone(),
            commissioner_ref: s.commissioner_ref.clone(),
            weekly_amount: s.weekly_amount.to_string(),
            primary: s.primary,
        }
    }
}

/// A fund: a stream with its balance.
#[derive(Debug, Serialize, ToSchema)]
pub struct FundBody {
    #[schema(example = "ASC")]
    pub stream_ref: String,
    #[schema(example = "NCC")]
    pub commissioner_ref: String,
    #[schema(example = "420.00")]
    pub weekly_amount: String,
    pub primary: bool,
    /// Money held for the person at the end of `balance_as_of`, a decimal string; negative when
    /// overspent.
    #[schema(example = "1234.50")]
    pub balance: String,
}

/// The management fee.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeeBody {
    /// `percent` (of each stream's weekly amount) or `fixed` (GBP a week, on the primary stream).
    #[schema(example = "percent")]
    pub basis: String,
    /// A decimal string: the percentage, or the weekly amount in GBP.
    #[schema(example = "8.5")]
    pub value: String,
}

fn fee_body(fee: &Fee) -> FeeBody {
    match fee {
        Fee::Percent(p) => FeeBody {
            basis: "percent".to_owned(),
            value: p.normalize().to_string(),
        },
        Fee::Fixed(p) => FeeBody {
            basis: "fixed".to_owned(),
            value: p.to_string(),
        },
    }
}

/// An agreement (an ISF) with its streams.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementBody {
    #[schema(example = "AG-ANN")]
    pub agreement_ref: String,
    #[schema(example = "P-ANN")]
    pub person_ref: String,
    #[schema(example = "2026-03-02", format = Date)]
    pub start_date: String,
    #[schema(example = json!(null), format = Date)]
    pub end_date: Option<String>,
    /// `none`, `net` or `gross`.
    #[schema(example = "net")]
    pub contribution_mode: String,
    /// A decimal string; `0.00` unless the mode is `net`.
    #[schema(example = "35.00")]
    pub weekly_contribution: String,
    pub fee: FeeBody,
    #[schema(example = 4)]
    pub flex_window_weeks: i64,
    pub streams: Vec<StreamBody>,
}

fn agreement_body(a: &Agreement, streams: &[Stream]) -> AgreementBody {
    AgreementBody {
        agreement_ref: a.agreement_ref.clone(),
        person_ref: a.person_ref.clone(),
        start_date: a.start_date.to_string(),
        end_date: a.end_date.map(|d| d.to_string()),
        contribution_mode: a.contribution_mode.word().to_owned(),
        weekly_contribution: a.weekly_contribution.to_string(),
        fee: fee_body(&a.fee),
        flex_window_weeks: a.flex_window_weeks,
        streams: streams.iter().map(StreamBody::from).collect(),
    }
}

/// An agreement with its funds' balances.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementDetailBody {
    #[schema(example = "AG-ANN")]
    pub agreement_ref: String,
    #[schema(example = "P-ANN")]
    pub person_ref: String,
    #[schema(example = "2026-03-02", format = Date)]
    pub start_date: String,
    #[schema(example = json!(null), format = Date)]
    pub end_date: Option<String>,
    /// `none`, `net` or `gross`.
    #[schema(example = "net")]
    pub contribution_mode: String,
    #[schema(example = "35.00")]
    pub weekly_contribution: String,
    pub fee: FeeBody,
    #[schema(example = 4)]
    pub flex_window_weeks: i64,
    /// One fund per stream, in stream ref order.
    pub funds: Vec<FundBody>,
    /// The day the balances are at the end of: today in Europe/London. Transactions dated later
    /// (a receipt paid in advance) are not counted yet.
    #[schema(example = "2026-11-22", format = Date)]
    pub balance_as_of: String,
}

impl From<AgreementFunds> for AgreementDetailBody {
    fn from(f: AgreementFunds) -> AgreementDetailBody {
        let a = f.agreement;
        AgreementDetailBody {
            fee: fee_body(&a.fee),
            agreement_ref: a.agreement_ref,
            person_ref: a.person_ref,
            start_date: a.start_date.to_string(),
            end_date: a.end_date.map(|d| d.to_string()),
            contribution_mode: a.contribution_mode.word().to_owned(),
            weekly_contribution: a.weekly_contribution.to_string(),
            flex_window_weeks: a.flex_window_weeks,
            funds: f
                .funds
                .iter()
                .map(|fund| FundBody {
                    stream_ref: fund.stream.stream_ref.clone(),
                    commissioner_ref: fund.stream.commissioner_ref.clone(),
                    weekly_amount: fund.stream.weekly_amount.to_string(),
                    primary: fund.stream.primary,
                    balance: fund.balance.to_string(),
                })
                .collect(),
            balance_as_of: f.as_of.to_string(),
        }
    }
}

/// A page of agreements.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementPage {
    pub items: Vec<AgreementBody>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "AG-BOB")]
    pub next_after: Option<String>,
}

/// List agreements
///
/// Agreements in ref order (compared as bytes), a page at a time, with their streams. Read one
/// agreement for its funds' balances.
#[utoipa::path(
    get,
    path = "/api/agreements",
    operation_id = "list_agreements",
    tag = "agreements",
    params(ListParams),
    responses(
        (status = 200, description = "A page of agreements", body = AgreementPage),
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
) -> Result<Json<AgreementPage>, ApiError> {
    let Query(params) = params?;
    let (after, limit) = params.parse()?;
    let page =
        queries::list_agreements(&state.db, &viewer.principal, after.as_deref(), limit).await?;
    Ok(Json(AgreementPage {
        items: page
            .items
            .iter()
            .map(|AgreementStreams { agreement, streams }| agreement_body(agreement, streams))
            .collect(),
        next_after: page.next_after,
    }))
}

/// Read an agreement with its funds' balances
///
/// The agreement and, for each of its streams, the fund's balance at the end of today
/// (Europe/London), from the ledger.
#[utoipa::path(
    get,
    path = "/api/agreements/{ref}",
    operation_id = "read_agreement",
    tag = "agreements",
    params(("ref" = String, Path, description = "The agreement's ref", example = "AG-ANN")),
    responses(
        (status = 200, description = "The agreement and its funds", body = AgreementDetailBody),
        (status = 404, description = "No such agreement", body = Problem,
            content_type = "application/problem+json",
            example = json!(examples::problem_not_found("agreement"))),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
) -> Result<Json<AgreementDetailBody>, ApiError> {
    let reference = path_ref("agreement", &reference)?;
    let (_, today) = now_and_today();
    let funds = queries::agreement_funds(&state.db, &viewer.principal, &reference, today).await?;
    Ok(Json(funds.into()))
}
