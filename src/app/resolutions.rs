//! Resolving an exception: a coordinator says what was done about it ("rang Ann, visit moved to
//! Thursday"). The resolution stays with the exception, and the audit log says who and when.
//!
//! Under an idempotency key, like every write: a retry with the same key and note gets the first
//! answer again; the same key with another exception or note is refused.
use super::idempotent::{commit_with_reply, prior, Prior};
use super::queries::ExceptionItem;
use super::receipts::Reply;
use crate::db::{self, DbError};
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

/// The reply to a resolution, and whether it repeats a stored one (as for every write).
pub use super::receipts::ReceiptReply as Resolved;

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
    match prior(&txn, &key, &request_hash).await? {
        Prior::Unused => {}
        Prior::Replay(reply) => return Ok(Resolved::Replayed(reply)),
        Prior::OtherRequest => return Err(ResolveError::KeyReused),
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
    commit_with_reply(txn, &key, request_hash, &reply, now).await?;
    Ok(Resolved::Fresh(reply))
}

/// An unplanned attendance approved for charging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub attendance_ref: String,
    pub agreement_ref: String,
    pub outcome_ref: String,
    pub approved_by: String,
    pub note: String,
    /// Whether this approval resolved the attendance's open `unplanned` exception.
    pub resolved_exception: bool,
}

/// Why an unplanned attendance was not approved.
#[derive(Debug, thiserror::Error)]
pub enum ApproveError {
    #[error("your role ({0}) may not approve unplanned attendances")]
    Forbidden(String),
    #[error("no attendance {0}")]
    NotFound(String),
    #[error("attendance {0} is already approved: an approval is kept")]
    AlreadyApproved(String),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error(
        "this idempotency key was used for a different request; use a new key for a new request"
    )]
    KeyReused,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Approves the unplanned attendance `attendance_ref` as care towards `outcome_ref` (DOMAIN.md §6:
/// an unplanned attendance is never charged until approved). The approval is kept for good, the
/// attendance's `unplanned` exception is resolved with `note`, and the next reconcile costs it as a
/// visit of that outcome, planned as delivered. `render` makes the reply stored with the key.
#[allow(clippy::too_many_arguments)] // One use case's inputs, named, as its siblings take them.
pub async fn approve_unplanned(
    db: &DatabaseConnection,
    viewer: &Principal,
    key: &IdempotencyKey,
    attendance_ref: &str,
    outcome_ref: &str,
    note: &str,
    now: Instant,
    render: impl Fn(&Approval) -> Reply,
) -> Result<Resolved, ApproveError> {
    if viewer.may(Action::ResolveExceptions).is_err() {
        return Err(ApproveError::Forbidden(viewer.role.word().to_owned()));
    }
    let note = check_note(note).map_err(|e| ApproveError::Invalid {
        field: "note",
        reason: match e {
            ResolveError::InvalidNote(reason) => reason,
            other => other.to_string(),
        },
    })?;
    let key = &key.owned_by(&viewer.username);
    let request_hash = super::idempotent::fingerprint(
        "approval/v1",
        [
            ("attendance_ref", attendance_ref),
            ("outcome_ref", outcome_ref),
            ("note", note),
        ],
    );
    let txn = db.begin().await.map_err(DbError::from)?;
    match prior(&txn, key, &request_hash).await? {
        Prior::Unused => {}
        Prior::Replay(reply) => return Ok(Resolved::Replayed(reply)),
        Prior::OtherRequest => return Err(ApproveError::KeyReused),
    }
    let mut world = db::load_world(&txn).await?;
    let Some(attendance) = world.attendances.get(attendance_ref).cloned() else {
        return Err(ApproveError::NotFound(attendance_ref.to_owned()));
    };
    if let Some(visit) = &attendance.visit_ref {
        return Err(ApproveError::Invalid {
            field: "attendance_ref",
            reason: format!(
                "{attendance_ref} is an attendance of visit {visit}: only an unplanned attendance is approved"
            ),
        });
    }
    if world.approved_unplanned.contains_key(attendance_ref) {
        return Err(ApproveError::AlreadyApproved(attendance_ref.to_owned()));
    }
    let date = crate::domain::calendar::local_date(attendance.check_in);
    let Some(visit) = world
        .approve_unplanned(attendance_ref, outcome_ref)
        .cloned()
    else {
        return Err(ApproveError::Invalid {
            field: "attendance_ref",
            reason: format!("{} has no live agreement on {date}", attendance.person_ref),
        });
    };
    if world
        .plan(&visit.agreement_ref)
        .outcome_on(outcome_ref, date)
        .is_none()
    {
        return Err(ApproveError::Invalid {
            field: "outcome_ref",
            reason: format!(
                "{outcome_ref} is not an outcome of the plan in force on {date} for {}",
                visit.agreement_ref
            ),
        });
    }
    // Costed now, so that an approval reconciliation could not cost (no rate in force) is refused
    // here rather than failing every reconcile after it.
    super::costing::cost_visits_of(&world, None, Some(&visit.agreement_ref)).map_err(|e| {
        ApproveError::Invalid {
            field: "outcome_ref",
            reason: e.to_string(),
        }
    })?;
    db::insert_unplanned_approval(
        &txn,
        attendance_ref,
        outcome_ref,
        &viewer.username,
        note,
        now,
    )
    .await?;
    let resolved_exception = db::resolve_exception(
        &txn,
        &format!("unplanned:{attendance_ref}"),
        &viewer.username,
        note,
        now,
    )
    .await?;
    db::accounts::append_audit(
        &txn,
        now,
        &viewer.username,
        "attendance.approved",
        &format!("attendance:{attendance_ref}"),
        &format!("outcome {outcome_ref} of {}: {note}", visit.agreement_ref),
    )
    .await?;
    let reply = render(&Approval {
        attendance_ref: attendance_ref.to_owned(),
        agreement_ref: visit.agreement_ref.clone(),
        outcome_ref: outcome_ref.to_owned(),
        approved_by: viewer.username.clone(),
        note: note.to_owned(),
        resolved_exception,
    });
    commit_with_reply(txn, key, request_hash, &reply, now).await?;
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
