//! Idempotent writes at the edge: the `Idempotency-Key` header in, the stored reply out.
use super::ApiError;
use crate::app::receipts::Reply;
use crate::domain::refs::IdempotencyKey;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

/// The header that makes a write idempotent.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// Set to `true` on a response that repeats the one stored for the key.
pub const IDEMPOTENT_REPLAYED_HEADER: &str = "idempotent-replayed";

/// The request's idempotency key, required on every write.
pub fn idempotency_key(headers: &HeaderMap) -> Result<IdempotencyKey, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY_HEADER) else {
        return Err(ApiError::IdempotencyKeyMissing(
            "send an Idempotency-Key header (for example a UUID) so that a retry cannot make \
             the change twice"
                .to_owned(),
        ));
    };
    let text = value.to_str().map_err(|_| {
        ApiError::IdempotencyKeyMissing(
            "the Idempotency-Key holds visible ASCII characters only".to_owned(),
        )
    })?;
    IdempotencyKey::parse(text).map_err(ApiError::IdempotencyKeyMissing)
}

/// A stored or fresh reply as a JSON response; a replay says so in `Idempotent-Replayed`.
pub fn reply_response(reply: Reply, replayed: bool) -> Result<Response, ApiError> {
    let status = StatusCode::from_u16(reply.status)
        .map_err(|_| anyhow::anyhow!("stored status {} is not an HTTP status", reply.status))?;
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if replayed {
        headers.insert(IDEMPOTENT_REPLAYED_HEADER, HeaderValue::from_static("true"));
    }
    Ok(response)
}
