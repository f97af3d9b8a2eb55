//! The HTTP layer's one error type, mapped once to `application/problem+json` (RFC 9457).
//!
//! Every problem has a stable `type` (a tag URI, RFC 9457 §3.1.1, since these types are not web
//! pages), a `title` fixed per type, the `status` and a `detail` for people. Validation problems add
//! `errors`: the field at fault and why. Unexpected errors never reach the client: it gets an opaque
//! 500 with the request id, and the log gets the whole cause chain under that id.
//!
//! Responses that leave a handler or a layer as a bare error status (axum's 405, the body limit's
//! 413, the timeout's 503, an internal error's 500) are turned into problems by
//! `problem_responses`, so a client never has to read two error formats. The one exception is an
//! HTML page: the web pages answer their errors with small pages of their own, for people, and
//! those pass through untouched.
use crate::app::account_admin::AccountAdminError;
use crate::app::import_jobs::ImportJobError;
use crate::app::plans::PlanStepError;
use crate::app::queries::QueryError;
use crate::app::receipts::{FieldProblem, ReceiptError};
use crate::app::records::{RecordError, VisitChangeError};
use crate::app::reversals::ReversalError;
use axum::body::Body;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::REQUEST_BODY_BYTES_MAX;

/// The media type of every error response.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The prefix of every problem `type`.
const PROBLEM_TYPE_PREFIX: &str = "tag:isf-ledger,2026:problem/";

/// An RFC 9457 problem.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "tag:isf-ledger,2026:problem/validation",
    "title": "The request is not valid",
    "status": 422,
    "detail": "the receipt has 1 problem(s)",
    "errors": [{"field": "amount", "reason": "\"35.005\" has more than 2 decimal places"}]
}))]
pub struct Problem {
    /// A stable identifier of the kind of problem.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short summary, the same for every problem of this type.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request id (also in the `x-request-id` header); given with server errors so that a
    /// report can be matched to the logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Validation problems: one per field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// One field at fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field of the body or query, or the header, at fault.
    #[schema(example = "amount")]
    pub field: String,
    /// Why it was refused.
    #[schema(example = "\"35.005\" has more than 2 decimal places")]
    pub reason: String,
}

impl From<FieldProblem> for FieldError {
    fn from(p: FieldProblem) -> FieldError {
        FieldError {
            field: p.field,
            reason: p.reason,
        }
    }
}

/// Everything a handler can answer with instead of success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request cannot be read (malformed JSON, a bad query string).
    #[error("{0}")]
    BadRequest(String),
    /// A write without a usable `Idempotency-Key` header.
    #[error("{0}")]
    IdempotencyKeyMissing(String),
    /// No credentials, or credentials that are wrong, expired or revoked.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller's role may never make this kind of request.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The request was read but breaks a rule; `errors` says which fields.
    #[error("{detail}")]
    Validation {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// The request contradicts what is held (a ref with other content).
    #[error("{0}")]
    Conflict(String),
    /// An idempotency key reused for a different request.
    #[error("{0}")]
    IdempotencyKeyReused(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Anything unexpected: logged in full, answered as an opaque 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A validation problem with one field at fault.
    pub fn field(field: &str, reason: impl Into<String>) -> ApiError {
        ApiError::Validation {
            detail: "the request has 1 problem(s)".to_owned(),
            errors: vec![FieldError {
                field: field.to_owned(),
                reason: reason.into(),
            }],
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::IdempotencyKeyMissing(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) | ApiError::IdempotencyKeyReused(_) => StatusCode::CONFLICT,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad-request",
            ApiError::IdempotencyKeyMissing(_) => "idempotency-key-missing",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::Validation { .. } => "validation",
            ApiError::Conflict(_) => "conflict",
            ApiError::IdempotencyKeyReused(_) => "idempotency-key-reused",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::PayloadTooLarge(_) => "payload-too-large",
            ApiError::Internal(_) => "internal",
        }
    }
}

/// The title of each problem type, by slug.
fn title(slug: &str) -> &'static str {
    match slug {
        "bad-request" => "The request cannot be read",
        "idempotency-key-missing" => "An Idempotency-Key header is required",
        "unauthorized" => "Sign in first",
        "forbidden" => "Your role may not do this",
        "not-found" => "Not found",
        "validation" => "The request is not valid",
        "conflict" => "The request conflicts with what is held",
        "idempotency-key-reused" => "The idempotency key was used for a different request",
        "unsupported-media-type" => "Unsupported media type",
        "payload-too-large" => "The request body is too large",
        "method-not-allowed" => "Method not allowed",
        "timeout" => "The request took too long",
        "internal" => "Internal server error",
        _ => "Error",
    }
}

/// The problem for a bare status: its slug from the status.
fn slug_of_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad-request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "payload-too-large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation",
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => "timeout",
        s if s.is_server_error() => "internal",
        _ => "error",
    }
}

impl Problem {
    fn new(slug: &str, status: StatusCode, detail: Option<String>) -> Problem {
        Problem {
            problem_type: format!("{PROBLEM_TYPE_PREFIX}{slug}"),
            title: title(slug).to_owned(),
            status: status.as_u16(),
            detail,
            request_id: None,
            errors: None,
        }
    }

    fn into_response_with(self, status: StatusCode) -> Response {
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(e) = &self {
            // Inside the request's span, so the log line carries the request id.
            tracing::error!(error = %format!("{e:#}"), "request failed");
            // A bare 500: `problem_responses` gives it the opaque body with the request id.
            return status.into_response();
        }
        let challenge = matches!(self, ApiError::Unauthorized(_));
        let mut problem = Problem::new(self.slug(), status, None);
        match self {
            ApiError::Validation { detail, errors } => {
                problem.detail = Some(detail);
                problem.errors = Some(errors);
            }
            other => problem.detail = Some(other.to_string()),
        }
        let mut response = problem.into_response_with(status);
        if challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"isf\""),
            );
        }
        response
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> ApiError {
        match e {
            QueryError::NotFound { .. } => ApiError::NotFound(e.to_string()),
            QueryError::Forbidden { .. } => ApiError::Forbidden(e.to_string()),
            QueryError::BackwardsPeriod { .. } => ApiError::field("to", e.to_string()),
            QueryError::UnknownCursor { .. } => ApiError::field("after", e.to_string()),
            QueryError::Report(r) => ApiError::Internal(r.into()),
            QueryError::Db(d) => ApiError::Internal(d.into()),
        }
    }
}

impl From<ReceiptError> for ApiError {
    fn from(e: ReceiptError) -> ApiError {
        match e {
            ReceiptError::Invalid(problems) => ApiError::Validation {
                detail: format!("the receipt has {} problem(s)", problems.len()),
                errors: problems.into_iter().map(FieldError::from).collect(),
            },
            ReceiptError::ConflictingReceipt { .. } => ApiError::Conflict(e.to_string()),
            ReceiptError::KeyReused => ApiError::IdempotencyKeyReused(e.to_string()),
            ReceiptError::Forbidden(_) => ApiError::Forbidden(e.to_string()),
            ReceiptError::Db(d) => ApiError::Internal(d.into()),
        }
    }
}

impl From<RecordError> for ApiError {
    fn from(e: RecordError) -> ApiError {
        match e {
            RecordError::Invalid { kind, problems } => ApiError::Validation {
                detail: format!(
                    "the {} has {} problem(s)",
                    kind.record_name(),
                    problems.len()
                ),
                errors: problems.into_iter().map(FieldError::from).collect(),
            },
            RecordError::KeyReused => ApiError::IdempotencyKeyReused(e.to_string()),
            RecordError::Forbidden(..) => ApiError::Forbidden(e.to_string()),
            RecordError::Db(d) => ApiError::Internal(d.into()),
        }
    }
}

impl From<VisitChangeError> for ApiError {
    fn from(e: VisitChangeError) -> ApiError {
        match e {
            VisitChangeError::NotFound(_) => ApiError::NotFound(e.to_string()),
            VisitChangeError::AlreadyCancelled(_) => ApiError::Conflict(e.to_string()),
            VisitChangeError::Record(r) => r.into(),
        }
    }
}

impl From<ReversalError> for ApiError {
    fn from(e: ReversalError) -> ApiError {
        match e {
            ReversalError::Invalid(problems) => ApiError::Validation {
                detail: format!("the correction has {} problem(s)", problems.len()),
                errors: problems.into_iter().map(FieldError::from).collect(),
            },
            ReversalError::AlreadyReversed(..) => ApiError::Conflict(e.to_string()),
            ReversalError::KeyReused => ApiError::IdempotencyKeyReused(e.to_string()),
            ReversalError::Forbidden(_) => ApiError::Forbidden(e.to_string()),
            ReversalError::Db(d) => ApiError::Internal(d.into()),
        }
    }
}

impl From<AccountAdminError> for ApiError {
    fn from(e: AccountAdminError) -> ApiError {
        use crate::app::accounts::AccountError;
        match e {
            AccountAdminError::Forbidden(_) => ApiError::Forbidden(e.to_string()),
            AccountAdminError::KeyReused => ApiError::IdempotencyKeyReused(e.to_string()),
            AccountAdminError::Account(a) => match a {
                AccountError::Invalid { field, reason } => ApiError::field(field, reason),
                AccountError::NoAccount(_) | AccountError::NoToken(_) => {
                    ApiError::NotFound(a.to_string())
                }
                AccountError::Conflict(_) => ApiError::Conflict(a.to_string()),
                AccountError::Db(d) => ApiError::Internal(d.into()),
            },
        }
    }
}

impl From<PlanStepError> for ApiError {
    fn from(e: PlanStepError) -> ApiError {
        match e {
            PlanStepError::Forbidden(..) => ApiError::Forbidden(e.to_string()),
            PlanStepError::NotFound(_) => ApiError::NotFound(e.to_string()),
            PlanStepError::WrongState(_) => ApiError::Conflict(e.to_string()),
            PlanStepError::Invalid { field, reason } => ApiError::field(field, reason),
            PlanStepError::KeyReused => ApiError::IdempotencyKeyReused(e.to_string()),
            PlanStepError::Db(d) => ApiError::Internal(d.into()),
        }
    }
}

impl From<ImportJobError> for ApiError {
    fn from(e: ImportJobError) -> ApiError {
        match e {
            ImportJobError::Forbidden(_) => ApiError::Forbidden(e.to_string()),
            ImportJobError::Invalid(reason) => ApiError::field("files", reason),
            ImportJobError::NotFound(_) => ApiError::NotFound(e.to_string()),
            ImportJobError::KeyReused => ApiError::IdempotencyKeyReused(e.to_string()),
            ImportJobError::Db(d) => ApiError::Internal(d.into()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        match r {
            JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType(
                "send the body as JSON with Content-Type: application/json".to_owned(),
            ),
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::BadRequest(format!("the body is not valid JSON: {}", e.body_text()))
            }
            JsonRejection::JsonDataError(e) => ApiError::Validation {
                detail: e.body_text(),
                errors: Vec::new(),
            },
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(
                format!("a request body may hold at most {REQUEST_BODY_BYTES_MAX} bytes"),
            ),
            other => ApiError::BadRequest(other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        ApiError::BadRequest(r.body_text())
    }
}

/// Turns every error response that is not already a problem into one, keeping its status and
/// headers (`Allow` on a 405), and gives server errors the request id.
pub async fn problem_responses(request: Request, next: Next) -> Response {
    let request_id = request
        .headers()
        .get(super::REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.run(request).await;
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE);
    let is_problem =
        content_type.is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    let is_page = content_type.is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem || is_page {
        return response;
    }
    let slug = slug_of_status(status);
    let detail = match status {
        StatusCode::PAYLOAD_TOO_LARGE => Some(format!(
            "a request body may hold at most {REQUEST_BODY_BYTES_MAX} bytes"
        )),
        StatusCode::METHOD_NOT_ALLOWED => {
            Some("this path does not answer that method; see the Allow header".to_owned())
        }
        StatusCode::NOT_FOUND => Some("there is nothing at this path".to_owned()),
        s if s.is_server_error() && slug == "timeout" => Some(format!(
            "the request did not finish within {} seconds",
            super::REQUEST_TIMEOUT_SECONDS
        )),
        s if s.is_server_error() => Some(
            "something went wrong on our side; quote the request id when reporting it".to_owned(),
        ),
        _ => None,
    };
    let mut problem = Problem::new(slug, status, detail);
    if status.is_server_error() {
        problem.request_id = request_id;
    }
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    async fn call(router: Router, request_id: &str) -> (StatusCode, String, serde_json::Value) {
        let request = Request::builder()
            .uri("/boom")
            .header(super::super::REQUEST_ID_HEADER, request_id)
            .body(Body::empty())
            .unwrap();
        let response = router
            .layer(axum::middleware::from_fn(problem_responses))
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let content_type = response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            content_type,
            serde_json::from_slice(&bytes).unwrap(),
        )
    }

    #[tokio::test]
    async fn an_unexpected_error_is_an_opaque_500_with_the_request_id() {
        let router = Router::new().route(
            "/boom",
            get(|| async {
                Err::<(), _>(ApiError::Internal(
                    anyhow::anyhow!("SELECT secret FROM people").context("loading"),
                ))
            }),
        );
        let (status, content_type, body) = call(router, "req-42").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(content_type, PROBLEM_JSON);
        assert_eq!(body["request_id"], "req-42");
        assert_eq!(body["type"], "tag:isf-ledger,2026:problem/internal");
        assert!(!body.to_string().contains("secret"), "{body}");
    }

    #[tokio::test]
    async fn a_bare_error_status_becomes_a_problem_keeping_its_headers() {
        let router = Router::new().route("/boom", axum::routing::post(|| async {}));
        let (status, content_type, body) = call(router, "req-43").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(content_type, PROBLEM_JSON);
        assert_eq!(body["status"], 405);
        assert!(body.get("request_id").is_none());
    }

    #[tokio::test]
    async fn an_error_page_for_people_passes_through_as_html() {
        let router = Router::new().route(
            "/boom",
            get(|| async {
                (
                    StatusCode::NOT_FOUND,
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    "<p>No such page</p>",
                )
            }),
        );
        let request = Request::builder().uri("/boom").body(Body::empty()).unwrap();
        let response = router
            .layer(axum::middleware::from_fn(problem_responses))
            .oneshot(request)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(&bytes[..], b"<p>No such page</p>");
    }

    #[tokio::test]
    async fn a_validation_problem_names_its_fields() {
        let router = Router::new().route(
            "/boom",
            get(|| async { Err::<(), _>(ApiError::field("amount", "is required")) }),
        );
        let (status, _, body) = call(router, "req-44").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["errors"][0]["field"], "amount");
        assert_eq!(body["title"], "The request is not valid");
    }
}
