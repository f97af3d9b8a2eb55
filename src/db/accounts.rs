//! Accounts, API tokens, web sessions and the audit log, in and out of their tables.
//!
//! Only hashes of secrets reach this module. Rows read back are parsed again: a role the domain
//! does not know is `DbError::Corrupt`, never a guess.
use super::entities::{account_agreements, accounts, api_tokens, audit_log, web_sessions};
use super::DbError;
use crate::domain::access::{Principal, Role};
use crate::domain::calendar::Instant;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

/// A new account as stored: the password already hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub principal: Principal,
    pub password_hash: String,
}

/// An account with its password hash, for signing in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAccount {
    pub principal: Principal,
    pub password_hash: String,
    pub disabled: bool,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Instant,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// Stores an account and its agreement links; an existing username is `DbError::Conflict`.
pub async fn insert_account<C: TransactionTrait>(
    db: &C,
    account: &NewAccount,
    now: Instant,
) -> Result<(), DbError> {
    let txn = db.begin().await?;
    let p = &account.principal;
    if accounts::Entity::find_by_id(p.username.clone())
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(DbError::Conflict(format!(
            "an account {} already exists",
            p.username
        )));
    }
    accounts::Entity::insert(
        accounts::Model {
            username: p.username.clone(),
            display_name: p.display_name.clone(),
            account_role: p.role.word().to_owned(),
            password_hash: account.password_hash.clone(),
            worker_ref: p.worker_ref.clone(),
            commissioner_ref: p.commissioner_ref.clone(),
            created_at: now,
            disabled_at: None,
        }
        .into_active_model(),
    )
    .exec_without_returning(&txn)
    .await?;
    for agreement_ref in &p.agreement_refs {
        account_agreements::Entity::insert(
            account_agreements::Model {
                username: p.username.clone(),
                agreement_ref: agreement_ref.clone(),
            }
            .into_active_model(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Replaces an account's password hash (`isf user password`, the demo's fresh passwords).
pub async fn set_password_hash<C: ConnectionTrait>(
    db: &C,
    username: &str,
    password_hash: &str,
) -> Result<bool, DbError> {
    let result = accounts::Entity::update_many()
        .col_expr(accounts::Column::PasswordHash, Expr::value(password_hash))
        .filter(accounts::Column::Username.eq(username))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The account `username`, if any.
pub async fn find_account<C: ConnectionTrait>(
    db: &C,
    username: &str,
) -> Result<Option<StoredAccount>, DbError> {
    let Some(m) = accounts::Entity::find_by_id(username.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let agreement_refs = account_agreements::Entity::find()
        .filter(account_agreements::Column::Username.eq(username))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.agreement_ref)
        .collect();
    let role = Role::parse(&m.account_role)
        .ok_or_else(|| DbError::Corrupt(format!("account role {:?}", m.account_role)))?;
    Ok(Some(StoredAccount {
        principal: Principal {
            username: m.username,
            display_name: m.display_name,
            role,
            worker_ref: m.worker_ref,
            commissioner_ref: m.commissioner_ref,
            agreement_refs,
        },
        password_hash: m.password_hash,
        disabled: m.disabled_at.is_some(),
    }))
}

/// Every account, by username.
pub async fn list_accounts<C: ConnectionTrait>(db: &C) -> Result<Vec<StoredAccount>, DbError> {
    let names: Vec<String> = accounts::Entity::find()
        .order_by_asc(accounts::Column::Username)
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.username)
        .collect();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        if let Some(a) = find_account(db, &name).await? {
            out.push(a);
        }
    }
    Ok(out)
}

/// Disables an account (a leaver): it signs in no more and its tokens and sessions stop working.
/// Once: a disabled account keeps its first disabling time. False when no such live account.
pub async fn disable_account<C: ConnectionTrait>(
    db: &C,
    username: &str,
    now: Instant,
) -> Result<bool, DbError> {
    let result = accounts::Entity::update_many()
        .col_expr(accounts::Column::DisabledAt, Expr::value(now))
        .filter(accounts::Column::Username.eq(username))
        .filter(accounts::Column::DisabledAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A token as stored: its public id and the SHA-256 of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    pub token_id: String,
    pub username: String,
    pub secret_sha256: String,
    pub label: String,
    pub created_at: Instant,
    pub expires_at: Instant,
    pub revoked_at: Option<Instant>,
}

pub async fn insert_token<C: ConnectionTrait>(db: &C, token: &StoredToken) -> Result<(), DbError> {
    api_tokens::Entity::insert(
        api_tokens::Model {
            token_id: token.token_id.clone(),
            username: token.username.clone(),
            secret_sha256: token.secret_sha256.clone(),
            label: token.label.clone(),
            created_at: token.created_at,
            expires_at: token.expires_at,
            revoked_at: token.revoked_at,
        }
        .into_active_model(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn find_token<C: ConnectionTrait>(
    db: &C,
    token_id: &str,
) -> Result<Option<StoredToken>, DbError> {
    Ok(api_tokens::Entity::find_by_id(token_id.to_owned())
        .one(db)
        .await?
        .map(|m| StoredToken {
            token_id: m.token_id,
            username: m.username,
            secret_sha256: m.secret_sha256,
            label: m.label,
            created_at: m.created_at,
            expires_at: m.expires_at,
            revoked_at: m.revoked_at,
        }))
}

/// Marks a token revoked (once: a revoked token keeps its first revocation time).
pub async fn revoke_token<C: ConnectionTrait>(
    db: &C,
    token_id: &str,
    now: Instant,
) -> Result<bool, DbError> {
    let result = api_tokens::Entity::update_many()
        .col_expr(api_tokens::Column::RevokedAt, Expr::value(now))
        .filter(api_tokens::Column::TokenId.eq(token_id))
        .filter(api_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A web session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub session_sha256: String,
    pub username: String,
    pub csrf_token: String,
    pub expires_at: Instant,
    pub ended: bool,
}

pub async fn insert_session<C: ConnectionTrait>(
    db: &C,
    session: &StoredSession,
    now: Instant,
) -> Result<(), DbError> {
    web_sessions::Entity::insert(
        web_sessions::Model {
            session_sha256: session.session_sha256.clone(),
            username: session.username.clone(),
            csrf_token: session.csrf_token.clone(),
            created_at: now,
            expires_at: session.expires_at,
            ended_at: None,
        }
        .into_active_model(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn find_session<C: ConnectionTrait>(
    db: &C,
    session_sha256: &str,
) -> Result<Option<StoredSession>, DbError> {
    Ok(web_sessions::Entity::find_by_id(session_sha256.to_owned())
        .one(db)
        .await?
        .map(|m| StoredSession {
            session_sha256: m.session_sha256,
            username: m.username,
            csrf_token: m.csrf_token,
            expires_at: m.expires_at,
            ended: m.ended_at.is_some(),
        }))
}

pub async fn end_session<C: ConnectionTrait>(
    db: &C,
    session_sha256: &str,
    now: Instant,
) -> Result<(), DbError> {
    web_sessions::Entity::update_many()
        .col_expr(web_sessions::Column::EndedAt, Expr::value(now))
        .filter(web_sessions::Column::SessionSha256.eq(session_sha256))
        .filter(web_sessions::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Appends one entry to the audit log.
pub async fn append_audit<C: ConnectionTrait>(
    db: &C,
    at: Instant,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), DbError> {
    let entry = audit_entry(db, at, actor, action, subject, detail);
    db.execute(entry).await?;
    Ok(())
}

/// The statement that appends an audit entry, to run inside another write (an import's own; built
/// for `db`'s engine).
pub fn audit_entry(
    db: &impl ConnectionTrait,
    at: Instant,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
) -> sea_orm::Statement {
    use sea_orm::QueryTrait;
    audit_log::Entity::insert(audit_log::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        at: sea_orm::ActiveValue::Set(at),
        actor: sea_orm::ActiveValue::Set(actor.to_owned()),
        action: sea_orm::ActiveValue::Set(action.to_owned()),
        subject: sea_orm::ActiveValue::Set(subject.to_owned()),
        detail: sea_orm::ActiveValue::Set(detail.to_owned()),
    })
    .build(db.get_database_backend())
}

/// Audit entries with an id above `after`, oldest first, at most `limit`.
pub async fn list_audit<C: ConnectionTrait>(
    db: &C,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<AuditEntry>, DbError> {
    let mut query = audit_log::Entity::find().order_by_asc(audit_log::Column::Id);
    if let Some(after) = after {
        query = query.filter(audit_log::Column::Id.gt(after));
    }
    Ok(query
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|m| AuditEntry {
            id: m.id,
            at: m.at,
            actor: m.actor,
            action: m.action,
            subject: m.subject,
            detail: m.detail,
        })
        .collect())
}
