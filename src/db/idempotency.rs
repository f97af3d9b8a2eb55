//! Stored idempotency keys: the first response given to a client's key, kept so that a retry gets
//! exactly that response again. Also the database liveness check used by `GET /health`.
//!
//! A key is written once, in the same database transaction as the write it answers; it is never
//! updated. Two writers racing on one key meet the primary key, and the loser gets
//! `DbError::Conflict`.
use super::entities::idempotency_keys;
use super::DbError;
use crate::domain::calendar::Instant;
use crate::domain::refs::IdempotencyKey;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, SqlErr};

/// The response first given to a key, and the fingerprint of the request that got it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// SHA-256 (hex) of the request's canonical form.
    pub request_hash: String,
    pub status: u16,
    pub body: String,
}

/// The response stored for `key`, if any.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    key: &IdempotencyKey,
) -> Result<Option<StoredResponse>, DbError> {
    let Some(m) = idempotency_keys::Entity::find_by_id(key.as_str().to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    // Parsed again on the way out, like every stored row.
    let status = u16::try_from(m.response_status)
        .ok()
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| DbError::Corrupt(format!("response_status {}", m.response_status)))?;
    Ok(Some(StoredResponse {
        request_hash: m.request_hash,
        status,
        body: m.response_body,
    }))
}

/// Stores the response given to `key`. A key already stored is a `DbError::Conflict`.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    key: &IdempotencyKey,
    response: &StoredResponse,
    now: Instant,
) -> Result<(), DbError> {
    let row = idempotency_keys::Model {
        idempotency_key: key.as_str().to_owned(),
        request_hash: response.request_hash.clone(),
        response_status: i64::from(response.status),
        response_body: response.body.clone(),
        created_at: now,
    }
    .into_active_model();
    idempotency_keys::Entity::insert(row)
        .exec_without_returning(db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                DbError::Conflict("the idempotency key is already stored".to_owned())
            }
            _ => DbError::Db(e),
        })?;
    Ok(())
}

/// Whether `error` comes from a unique index (two writers raced for the same key or ref).
pub fn is_unique_violation(error: &DbError) -> bool {
    match error {
        DbError::Conflict(_) => true,
        DbError::Db(e) => matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))),
        DbError::Corrupt(_) => false,
    }
}

/// Checks that the database answers.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbError> {
    db.ping().await?;
    Ok(())
}
