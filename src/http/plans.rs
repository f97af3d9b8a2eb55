//! `/api/agreements/{ref}/plans`: a person's support plan, version by version, and the steps that
//! take a version from draft to in force (`app::plans`).
use super::auth::Viewer;
use super::idempotent::{idempotency_key, reply_response};
use super::{path_ref, ApiError, AppState, Problem};
use crate::app::plans::{plan_versions, take_step, PlanVersion, StepRequest};
use crate::app::receipts::Reply;
use crate::domain::money::format_2dp;
use crate::domain::plan_workflow::{PlanStatus, PlanStep};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoResponses, ToSchema};

/// One outcome of a plan version: what the person wants from their support.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanOutcomeBody {
    #[schema(example = "O-SWIM")]
    pub outcome_ref: String,
    #[schema(example = "ASC")]
    pub stream_ref: String,
    #[schema(example = "Go swimming on Tuesdays")]
    pub title: String,
    #[schema(example = "social_inclusion")]
    pub support_type: String,
    /// Planned hours a week, a decimal string.
    #[schema(example = "3.00")]
    pub weekly_hours: String,
    /// Visits under 30 minutes are agreed for this outcome (NICE QS123).
    pub short_visits_agreed: bool,
}

/// A step taken on a plan version in the service.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanDecisionBody {
    /// `submitted`, `approved` or `returned`.
    #[schema(example = "submitted")]
    pub step: String,
    /// For an approval: `commissioner`, or `within_budget` for a provider's change that costs no
    /// more than the plan in force.
    #[schema(example = json!(null))]
    pub route: Option<String>,
    #[schema(example = "coordinator")]
    pub decided_by: String,
    #[schema(example = "coordinator")]
    pub role: String,
    /// The local day (Europe/London): an approval is in force from this day.
    #[schema(example = "2026-11-23", format = Date)]
    pub decided_on: String,
    #[schema(example = "2026-11-23T10:15:00Z", format = DateTime)]
    pub decided_at: String,
    #[schema(example = "Swimming moved to Thursdays; washing unchanged")]
    pub note: String,
}

/// One stream's weekly cost under the plan in force and under this version, as judged when it
/// was submitted: weekly hours × the commissioner's weekday rate, sleep-ins compared as hours.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamBudgetBody {
    #[schema(example = "ASC")]
    pub stream_ref: String,
    /// GBP a week of hourly support under the plan in force, a decimal string.
    #[schema(example = "160.00")]
    pub weekly_cost_before: String,
    #[schema(example = "156.00")]
    pub weekly_cost_after: String,
    #[schema(example = "0.00")]
    pub night_hours_before: String,
    #[schema(example = "0.00")]
    pub night_hours_after: String,
    /// Whether this stream's change is within budget.
    pub within: bool,
}

/// One version of a support plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanVersionBody {
    #[schema(example = "AG-ANN")]
    pub agreement_ref: String,
    #[schema(example = 2)]
    pub version: i64,
    /// `draft` (outcomes may be added), `submitted` (waiting for the commissioner) or `approved`.
    #[schema(example = "submitted")]
    pub status: String,
    /// For an approved version: `file` (approved in `outcomes.csv`), `commissioner` or
    /// `within_budget`.
    #[schema(example = json!(null))]
    pub approval_route: Option<String>,
    #[schema(example = json!(null))]
    pub approved_by: Option<String>,
    /// In force from this day, unless a higher version is by then.
    #[schema(example = json!(null), format = Date)]
    pub approved_on: Option<String>,
    /// Whether this is the version in force today.
    pub in_force: bool,
    pub outcomes: Vec<PlanOutcomeBody>,
    /// The steps taken on it in the service, oldest first.
    pub history: Vec<PlanDecisionBody>,
    /// For the reply to a submission: the weekly cost of each stream before and after.
    pub budget: Vec<StreamBudgetBody>,
}

impl From<&PlanVersion> for PlanVersionBody {
    fn from(v: &PlanVersion) -> PlanVersionBody {
        let (route, by, on) = match &v.status {
            PlanStatus::Approved { by, on, route } => (
                Some(route.word().to_owned()),
                Some(by.clone()),
                Some(on.to_string()),
            ),
            _ => (None, None, None),
        };
        PlanVersionBody {
            agreement_ref: v.agreement_ref.clone(),
            version: v.version,
            status: v.status.word().to_owned(),
            approval_route: route,
            approved_by: by,
            approved_on: on,
            in_force: v.in_force,
            outcomes: v
                .outcomes
                .iter()
                .map(|o| PlanOutcomeBody {
                    outcome_ref: o.outcome_ref.clone(),
                    stream_ref: o.stream_ref.clone(),
                    title: o.title.clone(),
                    support_type: o.support_type.word().to_owned(),
                    weekly_hours: format_2dp(o.weekly_hours),
                    short_visits_agreed: o.short_visits_agreed,
                })
                .collect(),
            history: v
                .decisions
                .iter()
                .map(|d| PlanDecisionBody {
                    step: d.step.word().to_owned(),
                    route: d.route.map(|r| r.word().to_owned()),
                    decided_by: d.decided_by.clone(),
                    role: d.role.clone(),
                    decided_on: d.decided_on.to_string(),
                    decided_at: super::utc_text(&d.decided_at),
                    note: d.note.clone(),
                })
                .collect(),
            budget: v
                .budget
                .iter()
                .map(|b| StreamBudgetBody {
                    stream_ref: b.stream_ref.clone(),
                    // Rates are pence an hour: hours × pence / 100 is GBP.
                    weekly_cost_before: format_2dp(
                        b.hourly_cost_before / rust_decimal::Decimal::ONE_HUNDRED,
                    ),
                    weekly_cost_after: format_2dp(
                        b.hourly_cost_after / rust_decimal::Decimal::ONE_HUNDRED,
                    ),
                    night_hours_before: format_2dp(b.night_hours_before),
                    night_hours_after: format_2dp(b.night_hours_after),
                    within: b.within(),
                })
                .collect(),
        }
    }
}

/// The versions of one agreement's support plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanBody {
    #[schema(example = "AG-ANN")]
    pub agreement_ref: String,
    /// The version in force today, if any.
    #[schema(example = 1)]
    pub in_force_version: Option<i64>,
    /// Every version, lowest first.
    pub versions: Vec<PlanVersionBody>,
}

/// A step's note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "Swimming moved to Thursdays; washing unchanged"}))]
pub struct StepRequestBody {
    /// Up to 2,000 characters, kept with the step. Required to return a version: say what should
    /// change.
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub note: String,
}

/// The problems a step on a plan version can meet.
#[derive(IntoResponses)]
#[allow(dead_code)] // Documentation only: the answers are made by `ApiError`.
enum StepProblems {
    /// No usable Idempotency-Key, or a body that is not JSON
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// Your role may not take this step
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// No such agreement or version (or not yours to see)
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// The version is not in a state this step applies to, or the key was used for another request
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// The body is larger than 1 MiB
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not sent as application/json
    #[response(status = 415, content_type = "application/problem+json")]
    NotJson(Problem),
    /// A note that is missing (to return) or too long; a version out of order; care on the roster
    /// the version would strand
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
}

/// Read an agreement's support plan
///
/// Every version of the plan, lowest first: its status (`draft`, `submitted`, `approved`), how and
/// when it was approved, whether it is in force today, its outcomes and the steps taken on it.
/// Provider staff see every plan; a budget holder their own; a commissioner officer the plans of
/// agreements their commissioner funds; a care worker the plans of the people they visit.
#[utoipa::path(
    get,
    path = "/api/agreements/{ref}/plans",
    operation_id = "read_plan",
    tag = "plans",
    params(("ref" = String, Path, description = "The agreement's ref", example = "AG-ANN")),
    responses(
        (status = 200, description = "The plan's versions", body = PlanBody),
        (status = 404, description = "No such agreement (or not yours to see)", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(agreement_ref): Path<String>,
) -> Result<Json<PlanBody>, ApiError> {
    let agreement_ref = path_ref("agreement", &agreement_ref)?;
    let (_, today) = super::now_and_today();
    let versions = plan_versions(&state.db, &viewer.principal, &agreement_ref, today).await?;
    Ok(Json(PlanBody {
        agreement_ref,
        in_force_version: versions.iter().find(|v| v.in_force).map(|v| v.version),
        versions: versions.iter().map(PlanVersionBody::from).collect(),
    }))
}

fn render(v: &PlanVersion) -> Reply {
    Reply {
        status: StatusCode::CREATED.as_u16(),
        body: serde_json::to_string(&PlanVersionBody::from(v)).unwrap_or_default(),
    }
}

async fn step(
    state: AppState,
    viewer: Viewer,
    headers: HeaderMap,
    (agreement_ref, version): (String, String),
    body: Result<Json<StepRequestBody>, JsonRejection>,
    step: PlanStep,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let Json(body) = body?;
    let agreement_ref = path_ref("agreement", &agreement_ref)?;
    let version: i64 = version
        .parse()
        .ok()
        .filter(|v| *v >= 0)
        .ok_or_else(|| ApiError::NotFound(format!("no plan version {version:?}")))?;
    let (now, _) = super::now_and_today();
    let request = StepRequest {
        agreement_ref: &agreement_ref,
        version,
        step,
        note: &body.note,
    };
    let (reply, replayed) = take_step(&state.db, &viewer.principal, &key, request, now, render)
        .await?
        .into_parts();
    if !replayed && step != PlanStep::Returned {
        // An approval (a submission may be one) changes the plan in force from today, and the
        // plan in force decides what each visit is for and how it is costed.
        state.reconcile_soon();
    }
    reply_response(reply, replayed)
}

/// Submit a draft plan version
///
/// The provider's coordinator or administrator submits a draft for approval; its outcomes are then
/// fixed. A change within budget — when a plan is in force today and this version costs no more a
/// week on any stream (hours × the commissioner's weekday rate; sleep-ins by hours) — is approved
/// at once by the submission (`approval_route` `within_budget`), in force from today, and logged for
/// the commissioner to see. Otherwise it waits, `submitted`, for a commissioner officer.
#[utoipa::path(
    post,
    path = "/api/agreements/{ref}/plans/{version}/submission",
    operation_id = "submit_plan_version",
    tag = "plans",
    params(
        ("ref" = String, Path, description = "The agreement's ref", example = "AG-ANN"),
        ("version" = i64, Path, description = "The plan version", example = 2, minimum = 0),
        ("Idempotency-Key" = String, Header, pattern = r"^[!-~]{1,200}$",
            description = "Chosen by the client, 1–200 visible ASCII characters"),
    ),
    request_body(content = StepRequestBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Submitted, or approved as a change within budget", body = PlanVersionBody),
        StepProblems,
    )
)]
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(path): Path<(String, String)>,
    body: Result<Json<StepRequestBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    step(state, viewer, headers, path, body, PlanStep::Submitted).await
}

/// Approve a submitted plan version
///
/// An officer of a commissioner funding the agreement approves a submitted version: it is in force
/// from today (DOMAIN.md §9), and reconciliation runs straight after. Refused when a version
/// approved before it has a higher number, or when visits or purchases dated from today name an
/// outcome the version drops.
#[utoipa::path(
    post,
    path = "/api/agreements/{ref}/plans/{version}/approval",
    operation_id = "approve_plan_version",
    tag = "plans",
    params(
        ("ref" = String, Path, description = "The agreement's ref", example = "AG-ANN"),
        ("version" = i64, Path, description = "The plan version", example = 2, minimum = 0),
        ("Idempotency-Key" = String, Header, pattern = r"^[!-~]{1,200}$",
            description = "Chosen by the client, 1–200 visible ASCII characters"),
    ),
    request_body(content = StepRequestBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Approved", body = PlanVersionBody),
        StepProblems,
    )
)]
pub async fn approve(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(path): Path<(String, String)>,
    body: Result<Json<StepRequestBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    step(state, viewer, headers, path, body, PlanStep::Approved).await
}

/// Return a submitted plan version to the provider
///
/// An officer of a commissioner funding the agreement returns a submitted version with a note
/// saying what should change; it is a draft again, and may be added to and submitted again.
#[utoipa::path(
    post,
    path = "/api/agreements/{ref}/plans/{version}/return",
    operation_id = "return_plan_version",
    tag = "plans",
    params(
        ("ref" = String, Path, description = "The agreement's ref", example = "AG-ANN"),
        ("version" = i64, Path, description = "The plan version", example = 2, minimum = 0),
        ("Idempotency-Key" = String, Header, pattern = r"^[!-~]{1,200}$",
            description = "Chosen by the client, 1–200 visible ASCII characters"),
    ),
    request_body(content = StepRequestBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Returned: a draft again", body = PlanVersionBody),
        StepProblems,
    )
)]
pub async fn return_version(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(path): Path<(String, String)>,
    body: Result<Json<StepRequestBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    step(state, viewer, headers, path, body, PlanStep::Returned).await
}
