//! `GET /health`: the service is up and its database answers.
use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// The service's health.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the service and its database answer.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Is the service up?
///
/// Answers 200 when the service is running and its database answers a query, 503 otherwise.
#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    tag = "health",
    responses(
        (status = 200, description = "The service and its database answer", body = Health,
            example = json!({"status": "ok"})),
        (status = 503, description = "The database does not answer", body = super::Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn health(State(state): State<AppState>) -> Response {
    match crate::db::idempotency::ping(&state.db).await {
        Ok(()) => Json(Health { status: "ok" }).into_response(),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "the database does not answer");
            // A bare status: the problem layer gives it its body.
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
