//! What every write use case does with the client's idempotency key: the key, a fingerprint of the
//! request and the reply given are stored in the same database transaction as the change, so a
//! retry gets the stored reply back and changes nothing, and the same key with another request is
//! refused. A request refused for bad input stores nothing, so a corrected one may reuse its key.
use super::receipts::Reply;
use crate::db::idempotency::{self, StoredResponse};
use crate::db::DbError;
use crate::domain::calendar::Instant;
use crate::domain::refs::IdempotencyKey;
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use sha2::{Digest, Sha256};

/// SHA-256 (hex) of a request's canonical form: `tag` (the kind of request and its version), then
/// each field's name and value, the value length-prefixed, so two requests share a fingerprint
/// exactly when they say the same, whatever the order or spacing of the JSON they came in.
pub fn fingerprint<'a>(tag: &str, fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(tag.as_bytes());
    hasher.update(b"\n");
    for (name, value) in fields {
        hasher.update(format!("{name}:{}:", value.len()).as_bytes());
        hasher.update(value.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// What a key already holds for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prior {
    /// Never used: go on with the request.
    Unused,
    /// Used for this same request: give this reply again.
    Replay(Reply),
    /// Used for another request.
    OtherRequest,
}

/// What `key` holds for the request fingerprinted `request_hash`; read inside the transaction that
/// will make the change.
pub async fn prior<C: ConnectionTrait>(
    txn: &C,
    key: &IdempotencyKey,
    request_hash: &str,
) -> Result<Prior, DbError> {
    Ok(match idempotency::find(txn, key).await? {
        None => Prior::Unused,
        Some(stored) if stored.request_hash == request_hash => Prior::Replay(Reply {
            status: stored.status,
            body: stored.body,
        }),
        Some(_) => Prior::OtherRequest,
    })
}

/// Stores `reply` as the answer to `key` and commits the transaction that made the change.
pub async fn commit_with_reply(
    txn: DatabaseTransaction,
    key: &IdempotencyKey,
    request_hash: String,
    reply: &Reply,
    now: Instant,
) -> Result<(), DbError> {
    idempotency::insert(
        &txn,
        key,
        &StoredResponse {
            request_hash,
            status: reply.status,
            body: reply.body.clone(),
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_changes_with_any_field_and_cannot_be_forged_by_shifting_text() {
        let a = fingerprint("t/v1", [("a", "12"), ("b", "3")]);
        assert_eq!(a, fingerprint("t/v1", [("a", "12"), ("b", "3")]));
        assert_ne!(a, fingerprint("t/v1", [("a", "1"), ("b", "23")]));
        assert_ne!(a, fingerprint("t/v2", [("a", "12"), ("b", "3")]));
        assert_ne!(a, fingerprint("t/v1", [("a", "12"), ("b", "4")]));
    }
}
