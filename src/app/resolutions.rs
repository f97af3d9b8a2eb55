//! Resolving an exception: a coordinator says what was done about it ("rang Ann, visit moved to
//! Thursday"). The resolution stays with the exception, and the audit log says who and when.
//!
//! Under an idempotency key, like every write: a retry with the same key and note gets the first
//! answer again; the same key with another exception or note is refused.
use super::queries::ExceptionItem;
use super::receipts::Reply;
use crate::db::{self, idempotency, idempotency::StoredResponse, DbError};
use crate::domain::access::{Action, Principal};
use crate::domain::calendar::Instant;
use crate::domain::refs::IdempotencyKey;
use sea_orm::{DatabaseConnection, TransactionTrait};
use sha2::{Digest, Sha256};

/// The longest note kept with a resolution.
pub const NOTE_CHARS_MAX: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("your role ({0}) may not resolve exceptions")]
    Forbidden(String),
    #[error("no exception {0}")]
    NotFound(String),
    #[error("note: {0}")]
    InvalidNote(String),
    #[error("exception {key} is {status}: only an open exception can be resolved")]
    NotOpen { key: String, status: String },
    #[error(
        "this idempotency key was used for a different request; use a new key for a new request"
    )]
    KeyReused,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The reply to a resolution, and whether it repeats a stored one.
pub enum Resolved {
    Fresh(Reply),
    Replayed(Reply),
}

fn fingerprint(exception_key: &str, note: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"resolution/v1\n");
    for value in [exception_key, note] {
        hasher.update(format!("{}:", value.len()).as_bytes());
        hasher.update(value.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// Checks a note: some words, not too many.
pub fn check_note(note: &str) -> Result<&str, ResolveError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(ResolveError::InvalidNote(
            "say what was done about it".to_owned(),
        ));
    }
    if note.chars().count() > NOTE_CHARS_MAX {
        return Err(ResolveError::InvalidNote(format!(
            "at most {NOTE_CHARS_MAX} characters"
        )));
    }
    Ok(note)
}

/// Resolves the open exception `exception_key` with `note`; `render` makes the reply stored with
/// the key.
pub async fn resolve_exception(
    db: &DatabaseConnection,
    viewer: &Principal,
    key: &IdempotencyKey,
    exception_key: &str,
    note: &str,
    now: Instant,
    render: impl Fn(&ExceptionItem) -> Reply,
) -> Result<Resolved, ResolveError> {
    if viewer.may(Action::ResolveExceptions).is_err() {
        return Err(ResolveError::Forbidden(viewer.role.word().to_owned()));
    }
    let note = check_note(note)?;
    let key = key.owned_by(&viewer.username);
    let request_hash = fingerprint(exception_key, note);
    let txn = db.begin().await.map_err(DbError::from)?;
    if let Some(stored) = idempotency::find(&txn, &key).await? {
        if stored.request_hash != request_hash {
            return Err(ResolveError::KeyReused);
        }
        return Ok(Resolved::Replayed(Reply {
            status: stored.status,
            body: stored.body,
        }));
    }
    let Some(stored) = db::find_exception(&txn, exception_key).await? else {
        return Err(ResolveError::NotFound(exception_key.to_owned()));
    };
    if !db::resolve_exception(&txn, exception_key, &viewer.username, note, now).await? {
        return Err(ResolveError::NotOpen {
            key: exception_key.to_owned(),
            status: stored.status,
        });
    }
    db::accounts::append_audit(
        &txn,
        now,
        &viewer.username,
        "exception.resolved",
        &format!("exception:{exception_key}"),
        note,
    )
    .await?;
    let resolved = db::find_exception(&txn, exception_key)
        .await?
        .ok_or_else(|| DbError::Corrupt(format!("exception {exception_key} vanished")))?;
    let reply = render(&ExceptionItem::from_stored(resolved)?);
    idempotency::insert(
        &txn,
        &key,
        &StoredResponse {
            request_hash,
            status: reply.status,
            body: reply.body.clone(),
        },
        now,
    )
    .await?;
    txn.commit().await.map_err(DbError::from)?;
    Ok(Resolved::Fresh(reply))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_says_something_and_not_too_much() {
        assert_eq!(check_note("  rang Ann  ").unwrap(), "rang Ann");
        assert!(check_note("   ").is_err());
        assert!(check_note(&"x".repeat(NOTE_CHARS_MAX + 1)).is_err());
    }

    #[test]
    fn the_fingerprint_tells_exception_and_note_apart() {
        assert_ne!(fingerprint("a:b", "c"), fingerprint("a", "b:c"));
        assert_eq!(fingerprint("k", "n"), fingerprint("k", "n"));
    }
}
