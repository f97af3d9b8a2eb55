//! `/api/exceptions` and `/api/agreements/{ref}/exceptions`: what coordinators must see at once
//! (missed, late, short … visits, unplanned attendances, weeks over plan, overspent funds), as the
//! last reconciliation stored them, with where each stands (`open`, `resolved`, `cleared`).
//!
//! Lists come by date then key, a page at a time; `after` is the `key` of the previous page's
//! last item.
use super::auth::Viewer;
use super::{
    examples, optional_date, page_limit, path_ref, query_checked, ApiError, AppState, FieldError,
    Problem,
};
use crate::app::queries::{self, ExceptionFilter, ExceptionItem, ExceptionStatus, Page};
use crate::domain::billing::ExceptionKind;
use crate::domain::refs::Ref;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::{IntoParams, ToSchema};

/// The longest exception key accepted as a cursor (a kind, a colon and a subject of refs and a
/// date).
pub const EXCEPTION_KEY_CHARS_MAX: usize = 200;

/// A string schema whose values are `words`.
fn words_schema(words: &[&str], description: &str) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(words.iter().copied()))
        .description(Some(description))
        .build()
}

fn kind_schema() -> Object {
    words_schema(ExceptionKind::WORDS, "What kind of exception it is.")
}

fn status_schema() -> Object {
    words_schema(
        ExceptionStatus::WORDS,
        "`open` until someone resolves it; `resolved` once they have; `cleared` when a later \
         reconciliation found it no longer applies.",
    )
}

/// One exception.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExceptionBody {
    /// `KIND:SUBJECT`, unique: the cursor of the next page.
    #[schema(example = "missed:V-A05")]
    pub key: String,
    #[schema(schema_with = kind_schema, example = "missed")]
    pub kind: String,
    #[schema(example = "AG-ANN")]
    pub agreement_ref: String,
    /// The stream whose money it concerns; null for a week over plan, which concerns them all.
    #[schema(required = true, example = "ASC")]
    pub stream_ref: Option<String>,
    /// The visit, attendance, week (`AGREEMENT:MONDAY`) or fund (`AGREEMENT:STREAM`) it is about.
    #[schema(example = "V-A05")]
    pub subject_ref: String,
    /// The day it happened: the visit's or the attendance's date, a week's Monday, or for an
    /// overspent fund the day the reconciliation ran through.
    #[schema(example = "2026-03-12", format = Date)]
    pub date: String,
    /// What happened, for people.
    #[schema(example = "visit V-A05 on 2026-03-12 (I want to wash and dress in the morning)")]
    pub detail: String,
    #[schema(schema_with = status_schema, example = "open")]
    pub status: String,
    /// Who resolved it; null unless resolved.
    #[schema(required = true, example = "coordinator")]
    pub resolved_by: Option<String>,
    /// What they did about it; null unless resolved.
    #[schema(required = true, example = "Rang Ann; the visit moved to Thursday")]
    pub resolved_note: Option<String>,
}

impl From<ExceptionItem> for ExceptionBody {
    fn from(e: ExceptionItem) -> ExceptionBody {
        let r = e.record;
        ExceptionBody {
            key: r.key,
            kind: r.kind.word().to_owned(),
            agreement_ref: r.agreement_ref,
            stream_ref: r.stream_ref,
            subject_ref: r.subject_ref,
            date: r.date.to_string(),
            detail: r.detail,
            status: e.status.word().to_owned(),
            resolved_by: e.resolution.as_ref().map(|(by, _)| by.clone()),
            resolved_note: e.resolution.map(|(_, note)| note),
        }
    }
}

/// A page of exceptions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExceptionPage {
    pub items: Vec<ExceptionBody>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "unplanned:AT-U01")]
    pub next_after: Option<String>,
}

impl From<Page<ExceptionItem>> for ExceptionPage {
    fn from(page: Page<ExceptionItem>) -> ExceptionPage {
        ExceptionPage {
            items: page.items.into_iter().map(Into::into).collect(),
            next_after: page.next_after,
        }
    }
}

/// `?kind=&agreement=&from=&to=&status=&limit=&after=` of the exceptions list. Every filter is
/// optional; an empty value is refused (leave the parameter out instead).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExceptionParams {
    /// Only exceptions of this kind.
    #[param(schema_with = kind_schema, required = false, example = "missed")]
    kind: Option<String>,
    /// Only this agreement's exceptions.
    #[param(value_type = Option<String>, pattern = r"^[A-Za-z0-9_-]{1,40}$", example = "AG-ANN")]
    agreement: Option<String>,
    /// Only exceptions dated on or after this day, `YYYY-MM-DD`.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-01")]
    from: Option<String>,
    /// Only exceptions dated on or before this day, `YYYY-MM-DD`; not before `from`.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-31")]
    to: Option<String>,
    /// Only exceptions that stand so.
    #[param(schema_with = status_schema, required = false, example = "open")]
    status: Option<String>,
    /// How many items to return: 1 to 500 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500, example = 100)]
    limit: Option<String>,
    /// The `key` of the previous page's last item (its `next_after`).
    #[param(value_type = Option<String>, pattern = r"^[!-~]{1,200}$", example = "missed:V-A05")]
    after: Option<String>,
}

/// The same as `ExceptionParams` for one agreement, whose ref is in the path.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AgreementExceptionParams {
    /// Only exceptions of this kind.
    #[param(schema_with = kind_schema, required = false, example = "missed")]
    kind: Option<String>,
    /// Only exceptions dated on or after this day, `YYYY-MM-DD`.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-01")]
    from: Option<String>,
    /// Only exceptions dated on or before this day, `YYYY-MM-DD`; not before `from`.
    #[param(value_type = Option<String>, format = Date, example = "2026-03-31")]
    to: Option<String>,
    /// Only exceptions that stand so.
    #[param(schema_with = status_schema, required = false, example = "open")]
    status: Option<String>,
    /// How many items to return: 1 to 500 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500, example = 100)]
    limit: Option<String>,
    /// The `key` of the previous page's last item (its `next_after`).
    #[param(value_type = Option<String>, pattern = r"^[!-~]{1,200}$", example = "missed:V-A05")]
    after: Option<String>,
}

/// What a client asked of an exceptions list, as text.
#[derive(Debug, Default)]
struct Asked<'a> {
    kind: Option<&'a str>,
    agreement: Option<&'a str>,
    from: Option<&'a str>,
    to: Option<&'a str>,
    status: Option<&'a str>,
    limit: Option<&'a str>,
    after: Option<&'a str>,
}

/// A parameter's text when it holds some (an empty one is refused on its own).
fn present(text: Option<&str>) -> Option<&str> {
    text.filter(|t| !t.is_empty())
}

/// Why an empty parameter is refused: it is not a value, and "no filter" is said by leaving the
/// parameter out (so the schema, which gives each parameter's form, tells the whole truth).
pub(crate) const EMPTY_PARAMETER: &str = "is empty: leave the parameter out not to filter by it";

/// A checked request for a page of exceptions.
#[derive(Debug, PartialEq, Eq)]
struct ExceptionQuery {
    filter: ExceptionFilter,
    after: Option<String>,
    limit: usize,
}

impl Asked<'_> {
    /// Parses every part, naming each field at fault.
    fn parse(&self) -> Result<ExceptionQuery, ApiError> {
        let mut errors = Vec::new();
        for (field, text) in [
            ("kind", self.kind),
            ("agreement", self.agreement),
            ("from", self.from),
            ("to", self.to),
            ("status", self.status),
            ("limit", self.limit),
            ("after", self.after),
        ] {
            if text == Some("") {
                errors.push(FieldError {
                    field: field.to_owned(),
                    reason: EMPTY_PARAMETER.to_owned(),
                });
            }
        }
        let mut fault = |field: &str, reason: String| {
            errors.push(FieldError {
                field: field.to_owned(),
                reason,
            })
        };
        let kind = present(self.kind).and_then(|t| {
            let kind = ExceptionKind::parse(t);
            if kind.is_none() {
                fault(
                    "kind",
                    format!("{t:?} is not one of {}", ExceptionKind::WORDS.join(", ")),
                );
            }
            kind
        });
        let status = present(self.status).and_then(|t| {
            let status = ExceptionStatus::parse(t);
            if status.is_none() {
                fault(
                    "status",
                    format!("{t:?} is not one of {}", ExceptionStatus::WORDS.join(", ")),
                );
            }
            status
        });
        let agreement_ref = present(self.agreement).and_then(|t| match Ref::parse(t) {
            Ok(r) => Some(r.as_str().to_owned()),
            Err(e) => {
                fault("agreement", e.to_string());
                None
            }
        });
        let after = present(self.after).and_then(|t| {
            let fits =
                t.len() <= EXCEPTION_KEY_CHARS_MAX && t.bytes().all(|b| b.is_ascii_graphic());
            if !fits {
                fault(
                    "after",
                    format!(
                        "an exception key has at most {EXCEPTION_KEY_CHARS_MAX} visible ASCII \
                         characters"
                    ),
                );
            }
            fits.then(|| t.to_owned())
        });
        let from = optional_date("from", self.from, &mut errors);
        let to = optional_date("to", self.to, &mut errors);
        let limit = page_limit(present(self.limit), &mut errors);
        query_checked(errors)?;
        Ok(ExceptionQuery {
            filter: ExceptionFilter {
                kind,
                agreement_ref,
                from,
                to,
                status,
            },
            after,
            limit,
        })
    }
}

/// List exceptions
///
/// The exceptions the last reconciliation stored (the service reconciles through today when it
/// starts and daily after midnight), by date then key, a page at a time, with where each stands.
#[utoipa::path(
    get,
    path = "/api/exceptions",
    operation_id = "list_exceptions",
    tag = "exceptions",
    params(ExceptionParams),
    responses(
        (status = 200, description = "A page of exceptions", body = ExceptionPage),
        (status = 400, description = "An unknown query parameter", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, `limit` or `after`", body = Problem,
            content_type = "application/problem+json", example = json!({
                "type": "tag:isf-ledger,2026:problem/validation",
                "title": "The request is not valid",
                "status": 422,
                "detail": "the query has 1 problem(s)",
                "errors": [{"field": "kind", "reason": "\"mised\" is not one of missed, late, \
                    short, overrun, incomplete_double_up, worker_not_cleared, \
                    unauthorised_relative, unplanned, over_plan, overspend"}]
            })),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<ExceptionParams>, QueryRejection>,
) -> Result<Json<ExceptionPage>, ApiError> {
    let Query(p) = params?;
    let asked = Asked {
        kind: p.kind.as_deref(),
        agreement: p.agreement.as_deref(),
        from: p.from.as_deref(),
        to: p.to.as_deref(),
        status: p.status.as_deref(),
        limit: p.limit.as_deref(),
        after: p.after.as_deref(),
    }
    .parse()?;
    let page = queries::list_exceptions(
        &state.db,
        &viewer.principal,
        &asked.filter,
        asked.after.as_deref(),
        asked.limit,
    )
    .await?;
    Ok(Json(page.into()))
}

/// List an agreement's exceptions
///
/// The same as `GET /api/exceptions?agreement=`, except that an unknown agreement is not found
/// rather than an empty list.
#[utoipa::path(
    get,
    path = "/api/agreements/{ref}/exceptions",
    operation_id = "list_agreement_exceptions",
    tag = "exceptions",
    params(
        ("ref" = String, Path, description = "The agreement's ref", example = "AG-ANN"),
        AgreementExceptionParams,
    ),
    responses(
        (status = 200, description = "A page of the agreement's exceptions", body = ExceptionPage),
        (status = 400, description = "An unknown query parameter", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such agreement", body = Problem,
            content_type = "application/problem+json",
            example = json!(examples::problem_not_found("agreement"))),
        (status = 422, description = "A bad filter, `limit` or `after`", body = Problem,
            content_type = "application/problem+json", example = json!(examples::problem_query())),
    )
)]
pub async fn of_agreement(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    params: Result<Query<AgreementExceptionParams>, QueryRejection>,
) -> Result<Json<ExceptionPage>, ApiError> {
    let reference = path_ref("agreement", &reference)?;
    let Query(p) = params?;
    let asked = Asked {
        kind: p.kind.as_deref(),
        agreement: None,
        from: p.from.as_deref(),
        to: p.to.as_deref(),
        status: p.status.as_deref(),
        limit: p.limit.as_deref(),
        after: p.after.as_deref(),
    }
    .parse()?;
    let page = queries::agreement_exceptions(
        &state.db,
        &viewer.principal,
        &reference,
        &asked.filter,
        asked.after.as_deref(),
        asked.limit,
    )
    .await?;
    Ok(Json(page.into()))
}

/// What was done about an exception.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "Rang Ann; the visit moved to Thursday"}))]
pub struct ResolutionRequest {
    /// 1 to 2,000 characters, for the people who read the exception later.
    pub note: String,
}

/// Resolve an exception
///
/// Marks an open exception resolved with a note of what was done; the audit log records who and
/// when. Coordinators and provider admins only. A retry with the same `Idempotency-Key` and note
/// gets the original answer; an exception already resolved or cleared is a conflict.
#[utoipa::path(
    post,
    path = "/api/exceptions/{key}/resolution",
    operation_id = "resolve_exception",
    tag = "exceptions",
    params(
        ("key" = String, Path, description = "The exception's key", example = "missed:V-A05"),
        ("Idempotency-Key" = String, Header, pattern = r"^[!-~]{1,200}$",
            description = "Chosen by the client, 1–200 visible ASCII characters"),
    ),
    request_body(content = ResolutionRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Resolved", body = ExceptionBody),
        (status = 400, description = "No usable Idempotency-Key, or a body that is not JSON", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such exception", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "Not open, or the key was used for another request", body = Problem,
            content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 1 MiB", body = Problem,
            content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "No note, or one too long", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn resolve(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: axum::http::HeaderMap,
    Path(key): Path<String>,
    body: Result<Json<ResolutionRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<axum::response::Response, ApiError> {
    use crate::app::resolutions::{resolve_exception, ResolveError};
    let idempotency = super::idempotent::idempotency_key(&headers)?;
    let Json(request) = body?;
    if key.chars().count() > EXCEPTION_KEY_CHARS_MAX {
        return Err(ApiError::NotFound(format!("no exception {key:?}")));
    }
    let (now, _) = super::now_and_today();
    let render = |item: &ExceptionItem| crate::app::receipts::Reply {
        status: 200,
        body: serde_json::to_string(&ExceptionBody::from(item.clone())).unwrap_or_default(),
    };
    let answer = resolve_exception(
        &state.db,
        &viewer.principal,
        &idempotency,
        &key,
        &request.note,
        now,
        render,
    )
    .await
    .map_err(|e| match e {
        ResolveError::Forbidden(_) => ApiError::Forbidden(e.to_string()),
        ResolveError::NotFound(_) => ApiError::NotFound(e.to_string()),
        ResolveError::InvalidNote(why) => ApiError::field("note", why),
        ResolveError::NotOpen { .. } => ApiError::Conflict(e.to_string()),
        ResolveError::KeyReused => ApiError::IdempotencyKeyReused(e.to_string()),
        ResolveError::Db(d) => ApiError::Internal(d.into()),
    })?;
    let (reply, replayed) = answer.into_parts();
    super::idempotent::reply_response(reply, replayed)
}

/// An approval of an unplanned attendance.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome_ref": "O-WASH", "note": "Ann rang at 7; her carer came early as agreed"}))]
pub struct ApprovalRequest {
    /// The outcome the care served, in the plan in force on the attendance's date.
    #[schema(example = "O-WASH", max_length = 40)]
    pub outcome_ref: String,
    /// Why it is approved: 1 to 2,000 characters, kept with the exception it resolves.
    #[schema(max_length = 2000)]
    pub note: String,
}

/// An approval made.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalBody {
    #[schema(example = "AT-B07")]
    pub attendance_ref: String,
    #[schema(example = "AG-ANN")]
    pub agreement_ref: String,
    #[schema(example = "O-WASH")]
    pub outcome_ref: String,
    #[schema(example = "coordinator")]
    pub approved_by: String,
    pub note: String,
    /// Whether the attendance's open `unplanned` exception was resolved by this approval.
    pub resolved_exception: bool,
}

/// Approve an unplanned attendance for charging
///
/// An unplanned attendance is never charged until approved (DOMAIN.md §6). Approving names the
/// outcome the care served; the attendance's `unplanned` exception is resolved with the note, and
/// reconciliation (run in the background straight after) costs it as a visit of that outcome,
/// planned as delivered, by the commissioner's rules. An approval is kept for good (409 after).
/// Coordinators and provider admins only.
#[utoipa::path(
    post,
    path = "/api/attendances/{ref}/approval",
    operation_id = "approve_unplanned_attendance",
    tag = "exceptions",
    params(
        ("ref" = String, Path, description = "The attendance's ref", example = "AT-B07"),
        ("Idempotency-Key" = String, Header, pattern = r"^[!-~]{1,200}$",
            description = "Chosen by the client, 1–200 visible ASCII characters"),
    ),
    request_body(content = ApprovalRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Approved", body = ApprovalBody),
        (status = 400, description = "No usable Idempotency-Key, or a body that is not JSON", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such attendance", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "Already approved, or the key was used for another request", body = Problem,
            content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 1 MiB", body = Problem,
            content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "A planned attendance, an outcome not in the plan, or no note", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn approve(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: axum::http::HeaderMap,
    Path(attendance_ref): Path<String>,
    body: Result<Json<ApprovalRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<axum::response::Response, ApiError> {
    use crate::app::resolutions::{approve_unplanned, Approval, ApproveError};
    let idempotency = super::idempotent::idempotency_key(&headers)?;
    let Json(request) = body?;
    let attendance_ref = super::path_ref("attendance", &attendance_ref)?;
    let (now, _) = super::now_and_today();
    let render = |a: &Approval| crate::app::receipts::Reply {
        status: 201,
        body: serde_json::to_string(&ApprovalBody {
            attendance_ref: a.attendance_ref.clone(),
            agreement_ref: a.agreement_ref.clone(),
            outcome_ref: a.outcome_ref.clone(),
            approved_by: a.approved_by.clone(),
            note: a.note.clone(),
            resolved_exception: a.resolved_exception,
        })
        .unwrap_or_default(),
    };
    let answer = approve_unplanned(
        &state.db,
        &viewer.principal,
        &idempotency,
        &attendance_ref,
        &request.outcome_ref,
        &request.note,
        now,
        render,
    )
    .await
    .map_err(|e| match e {
        ApproveError::Forbidden(_) => ApiError::Forbidden(e.to_string()),
        ApproveError::NotFound(_) => ApiError::NotFound(e.to_string()),
        ApproveError::AlreadyApproved(_) => ApiError::Conflict(e.to_string()),
        ApproveError::Invalid { field, reason } => ApiError::field(field, reason),
        ApproveError::KeyReused => ApiError::IdempotencyKeyReused(e.to_string()),
        ApproveError::Db(d) => ApiError::Internal(d.into()),
    })?;
    let (reply, replayed) = answer.into_parts();
    if !replayed {
        state.reconcile_soon();
    }
    super::idempotent::reply_response(reply, replayed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::queries::PAGE_ITEMS_MAX;

    fn fields(result: Result<ExceptionQuery, ApiError>) -> Vec<String> {
        match result {
            Ok(_) => Vec::new(),
            Err(ApiError::Validation { errors, .. }) => {
                errors.into_iter().map(|e| e.field).collect()
            }
            Err(other) => panic!("not a validation problem: {other:?}"),
        }
    }

    #[test]
    fn every_filter_is_optional_and_an_empty_one_is_refused() {
        let none = Asked::default().parse().unwrap();
        assert_eq!(none.filter, ExceptionFilter::default());
        assert_eq!(none.after, None);
        assert_eq!(none.limit, super::super::PAGE_ITEMS_DEFAULT);
        let empty = Asked {
            kind: Some(""),
            agreement: Some(""),
            from: Some(""),
            to: Some(""),
            status: Some(""),
            limit: None,
            after: Some(""),
        };
        let Err(ApiError::Validation { errors, .. }) = empty.parse() else {
            panic!("empty filters should be refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["kind", "agreement", "from", "to", "status", "after"]
        );
    }

    #[test]
    fn filters_are_parsed_into_domain_values() {
        let q = Asked {
            kind: Some("over_plan"),
            agreement: Some("AG-ANN"),
            from: Some("2026-03-01"),
            to: Some("2026-03-31"),
            status: Some("resolved"),
            limit: Some("500"),
            after: Some("over_plan:AG-ANN:2026-03-02"),
        }
        .parse()
        .unwrap();
        assert_eq!(q.filter.kind, Some(ExceptionKind::OverPlan));
        assert_eq!(q.filter.agreement_ref.as_deref(), Some("AG-ANN"));
        assert_eq!(q.filter.status, Some(ExceptionStatus::Resolved));
        assert_eq!(
            q.filter.from.map(|d| d.to_string()).as_deref(),
            Some("2026-03-01")
        );
        assert_eq!(q.limit, PAGE_ITEMS_MAX);
        assert_eq!(q.after.as_deref(), Some("over_plan:AG-ANN:2026-03-02"));
    }

    #[test]
    fn each_bad_part_is_named() {
        let long_key = "k".repeat(EXCEPTION_KEY_CHARS_MAX + 1);
        let cases: [(&str, Asked, &[&str]); 8] = [
            (
                "an unknown kind",
                Asked {
                    kind: Some("mised"),
                    ..Asked::default()
                },
                &["kind"],
            ),
            (
                "a kind in capitals",
                Asked {
                    kind: Some("MISSED"),
                    ..Asked::default()
                },
                &["kind"],
            ),
            (
                "an unknown status",
                Asked {
                    status: Some("closed"),
                    ..Asked::default()
                },
                &["status"],
            ),
            (
                "a bad agreement ref",
                Asked {
                    agreement: Some("AG ANN"),
                    ..Asked::default()
                },
                &["agreement"],
            ),
            (
                "a bad date",
                Asked {
                    from: Some("2026-02-30"),
                    ..Asked::default()
                },
                &["from"],
            ),
            (
                "a long key",
                Asked {
                    after: Some(&long_key),
                    ..Asked::default()
                },
                &["after"],
            ),
            (
                "a page too large",
                Asked {
                    limit: Some("501"),
                    ..Asked::default()
                },
                &["limit"],
            ),
            (
                "everything at once",
                Asked {
                    kind: Some("x"),
                    status: Some("y"),
                    to: Some("31/03/2026"),
                    ..Asked::default()
                },
                &["kind", "status", "to"],
            ),
        ];
        for (name, asked, expected) in cases {
            assert_eq!(fields(asked.parse()), expected, "case {name}");
        }
    }
}
