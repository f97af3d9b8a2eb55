//! `POST /api/receipts`: money received, recorded once per idempotency key.
use super::auth::Viewer;
use super::idempotent::{idempotency_key, reply_response};
use super::{now_and_today, ApiError, AppState, FieldError, Problem};
use crate::app::receipts::{record_receipt, ReceiptInput, RecordedReceipt, Reply};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// A receipt to record. Every value is a string, money included; the rules are those of
/// `receipts.csv` (FORMATS.md).
#[derive(Debug, ToSchema)]
#[schema(example = json!({
    "receipt_ref": "R-101",
    "received_on": "2026-11-02",
    "payer": "commissioner",
    "agreement_ref": "AG-ANN",
    "stream_ref": "ASC",
    "amount": "1540.00"
}))]
#[allow(dead_code)] // Documents the body; the handler reads the JSON field by field.
pub struct ReceiptRequest {
    /// The provider's ref for the receipt: 1–40 of `A-Z a-z 0-9 - _`, unique.
    #[schema(example = "R-101")]
    receipt_ref: String,
    /// The date the money arrived, `YYYY-MM-DD`.
    #[schema(example = "2026-11-02", format = Date)]
    received_on: String,
    /// `commissioner` or `person`.
    #[schema(example = "commissioner")]
    payer: String,
    #[schema(example = "AG-ANN")]
    agreement_ref: String,
    /// The stream credited. Required for a commissioner's receipt; a person's receipt goes to the
    /// primary stream, so it may be left out (if given it must be the primary stream).
    #[schema(example = "ASC")]
    stream_ref: Option<String>,
    /// A positive decimal string with at most 2 places, no sign, symbol or separator.
    #[schema(example = "1540.00")]
    amount: String,
}

/// A receipt as held.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptBody {
    #[schema(example = "R-101")]
    pub receipt_ref: String,
    #[schema(example = "2026-11-02", format = Date)]
    pub received_on: String,
    #[schema(example = "commissioner")]
    pub payer: String,
    #[schema(example = "AG-ANN")]
    pub agreement_ref: String,
    /// The stream credited (for a person's receipt, the primary stream).
    #[schema(example = "ASC")]
    pub stream_ref: String,
    #[schema(example = "1540.00")]
    pub amount: String,
}

/// The fund a receipt credited, with its balance afterwards.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptFundBody {
    #[schema(example = "AG-ANN")]
    pub agreement_ref: String,
    #[schema(example = "ASC")]
    pub stream_ref: String,
    /// The fund's balance at the end of `balance_as_of`, a decimal string.
    #[schema(example = "2774.50")]
    pub balance: String,
    /// Today in Europe/London when the receipt was recorded. A receipt dated later counts from
    /// its own date.
    #[schema(example = "2026-11-22", format = Date)]
    pub balance_as_of: String,
}

/// The answer to a receipt.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptRecordedBody {
    pub receipt: ReceiptBody,
    pub fund: ReceiptFundBody,
}

fn render(r: &RecordedReceipt) -> Reply {
    let receipt = &r.receipt;
    let body = ReceiptRecordedBody {
        receipt: ReceiptBody {
            receipt_ref: receipt.receipt_ref.clone(),
            received_on: receipt.received_on.to_string(),
            payer: receipt.payer.word().to_owned(),
            agreement_ref: receipt.agreement_ref.clone(),
            stream_ref: receipt.stream_ref.clone(),
            amount: receipt.amount.to_string(),
        },
        fund: ReceiptFundBody {
            agreement_ref: receipt.agreement_ref.clone(),
            stream_ref: receipt.stream_ref.clone(),
            balance: r.balance.to_string(),
            balance_as_of: r.as_of.to_string(),
        },
    };
    Reply {
        status: if r.created {
            StatusCode::CREATED.as_u16()
        } else {
            StatusCode::OK.as_u16()
        },
        body: serde_json::to_string(&body).unwrap_or_default(),
    }
}

/// The fields a receipt body may hold.
const RECEIPT_FIELDS: [&str; 6] = [
    "receipt_ref",
    "received_on",
    "payer",
    "agreement_ref",
    "stream_ref",
    "amount",
];

/// Reads the body's fields as text: each must be a string (or null or absent, which the use case
/// treats as missing); an unknown field is an error, so a typo never passes silently.
fn receipt_input(body: Value) -> Result<ReceiptInput, ApiError> {
    let Value::Object(fields) = body else {
        return Err(ApiError::field("body", "must be a JSON object"));
    };
    let mut errors = Vec::new();
    for name in fields.keys() {
        if !RECEIPT_FIELDS.contains(&name.as_str()) {
            errors.push(FieldError {
                field: name.clone(),
                reason: format!(
                    "unknown field: the fields are {}",
                    RECEIPT_FIELDS.join(", ")
                ),
            });
        }
    }
    let mut text = |fields: &Map<String, Value>, name: &str| match fields.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            let reason = if name == "amount" && other.is_number() {
                "must be a decimal string such as \"35.00\", not a JSON number".to_owned()
            } else {
                "must be a string".to_owned()
            };
            errors.push(FieldError {
                field: name.to_owned(),
                reason,
            });
            None
        }
    };
    let input = ReceiptInput {
        receipt_ref: text(&fields, "receipt_ref"),
        received_on: text(&fields, "received_on"),
        payer: text(&fields, "payer"),
        agreement_ref: text(&fields, "agreement_ref"),
        stream_ref: text(&fields, "stream_ref"),
        amount: text(&fields, "amount"),
    };
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(ApiError::Validation {
            detail: format!("the receipt has {} problem(s)", errors.len()),
            errors,
        })
    }
}

/// Record a receipt
///
/// Records money received from a commissioner or from the person, under the rules of
/// `receipts.csv`, and posts it to the ledger. Answers 201 with the receipt and its fund's new
/// balance; 200 when the same receipt (same ref, same content) was already held, which changes
/// nothing. A retry with the same `Idempotency-Key` and the same body gets the original response
/// (status and body) with `Idempotent-Replayed: true`; the same key with another body is 409.
#[utoipa::path(
    post,
    path = "/api/receipts",
    operation_id = "record_receipt",
    tag = "receipts",
    params(
        ("Idempotency-Key" = String, Header, pattern = r"^[!-~]{1,200}$",
            description = "Chosen by the client, 1–200 visible ASCII characters; one per receipt",
            example = "5f0c9a3e-2b1d-4c59-9f1e-6c2a8d7b4e10"),
    ),
    request_body(content = ReceiptRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded", body = ReceiptRecordedBody,
            headers(("x-request-id" = String, description = "The request id"))),
        (status = 200, description = "The same receipt was already held; nothing changed",
            body = ReceiptRecordedBody),
        (status = 400, description = "No usable Idempotency-Key, or a body that is not JSON",
            body = Problem, content_type = "application/problem+json", example = json!({
                "type": "tag:isf-ledger,2026:problem/idempotency-key-missing",
                "title": "An Idempotency-Key header is required",
                "status": 400,
                "detail": "send an Idempotency-Key header (for example a UUID) so that a retry cannot record the receipt twice"
            })),
        (status = 409, description = "The key was used for another body, or the receipt ref is held with other content",
            body = Problem, content_type = "application/problem+json", example = json!({
                "type": "tag:isf-ledger,2026:problem/idempotency-key-reused",
                "title": "The idempotency key was used for a different request",
                "status": 409,
                "detail": "this idempotency key was used for a different request; use a new key for a new request"
            })),
        (status = 413, description = "The body is larger than 1 MiB", body = Problem,
            content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule; `errors` names each", body = Problem,
            content_type = "application/problem+json", example = json!({
                "type": "tag:isf-ledger,2026:problem/validation",
                "title": "The request is not valid",
                "status": 422,
                "detail": "the receipt has 1 problem(s)",
                "errors": [{"field": "amount", "reason": "\"35.005\" has more than 2 decimal places"}]
            })),
    )
)]
pub async fn record(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let Json(body) = body?;
    let input = receipt_input(body)?;
    let (now, today) = now_and_today();
    let (reply, replayed) = record_receipt(
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_body_is_read_field_by_field() {
        let ok = receipt_input(json!({
            "receipt_ref": "R-1", "received_on": "2026-03-02", "payer": "person",
            "agreement_ref": "AG-1", "stream_ref": null, "amount": "35.00"
        }))
        .unwrap();
        assert_eq!(ok.stream_ref, None);
        assert_eq!(ok.amount.as_deref(), Some("35.00"));
        for (body, field) in [
            (json!({"amount": 35.0}), "amount"),
            (json!({"amont": "35.00"}), "amont"),
            (json!({"payer": ["person"]}), "payer"),
            (json!([]), "body"),
        ] {
            let Err(ApiError::Validation { errors, .. }) = receipt_input(body.clone()) else {
                panic!("case {body} should be refused");
            };
            assert_eq!(errors[0].field, field, "case {body}");
        }
    }
}
