//! `POST /api/reversals`: a correction to a receipt, purchase or repayment, naming it and why.
use super::auth::Viewer;
use super::idempotent::{idempotency_key, reply_response};
use super::{ApiError, AppState, Problem};
use crate::app::receipts::Reply;
use crate::app::reversals::{reverse, Reversal, ReversalInput};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A correction: what it reverses and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reverses": "purchase:PU-001", "reason": "paid from the wrong fund"}))]
pub struct ReversalRequest {
    /// The transaction reversed, as `kind:ref`: `receipt:R-101`, `purchase:PU-001` or
    /// `repayment:RP-3`.
    #[schema(example = "purchase:PU-001", max_length = 100)]
    reverses: Option<String>,
    /// Why, in words the budget holder will read on their statement (1–500 characters).
    #[schema(example = "paid from the wrong fund", max_length = 500)]
    reason: Option<String>,
}

/// The reversal posted.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReversalBody {
    /// The reversal's own transaction id.
    #[schema(example = 812)]
    transaction_id: i64,
    /// The day it was made (Europe/London): a correction shows in the period it was made in.
    #[schema(example = "2026-11-23", format = Date)]
    date: String,
    #[schema(example = "purchase:PU-001")]
    reverses: String,
    #[schema(example = 37)]
    reverses_transaction_id: i64,
    #[schema(
        example = "Correction: reverses Tomato plants and compost (Greenfingers Nursery) (paid from the wrong fund)"
    )]
    description: String,
    #[schema(example = "paid from the wrong fund")]
    reason: String,
}

fn render(r: &Reversal) -> Reply {
    let body = ReversalBody {
        transaction_id: r.reversal.id,
        date: r.reversal.entry.date.to_string(),
        reverses: r.original.subject.clone(),
        reverses_transaction_id: r.original.id,
        description: r.reversal.description.clone(),
        reason: r.reason.clone(),
    };
    Reply {
        status: StatusCode::CREATED.as_u16(),
        body: serde_json::to_string(&body).unwrap_or_default(),
    }
}

/// Reverse a receipt, purchase or repayment
///
/// Posts a reversal dated today: equal and opposite postings that name the transaction reversed
/// and the reason, shown on the budget holder's statement as a correction. The ledger is never
/// edited. A transaction is reversed once (409 after). Visit costs and fees are not reversed by
/// hand: correct the visit, attendance or agreement and reconciliation reverses and reposts them.
/// Finance and the provider's administrator only.
#[utoipa::path(
    post,
    path = "/api/reversals",
    operation_id = "reverse_transaction",
    tag = "reversals",
    params(
        ("Idempotency-Key" = String, Header, pattern = r"^[!-~]{1,200}$",
            description = "Chosen by the client, 1–200 visible ASCII characters"),
    ),
    request_body(content = ReversalRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Reversed", body = ReversalBody),
        (status = 400, description = "No usable Idempotency-Key, or a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already reversed, or the key was used for another body", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such transaction, one that may not be reversed by hand, or no reason", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn record(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Result<Json<ReversalRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let Json(body) = body?;
    let input = ReversalInput {
        reverses: body.reverses,
        reason: body.reason,
    };
    let (now, today) = super::now_and_today();
    let (reply, replayed) = reverse(
        &state.db,
        &viewer.principal,
        &key,
        &input,
        today,
        now,
        render,
    )
    .await?
    .into_parts();
    reply_response(reply, replayed)
}
