//! Account management through the API, for the provider's administrator: list accounts, add one
//! (its password generated), issue and revoke API tokens, disable the account of someone who has
//! left. The rules are `accounts`'s, as the CLI uses them; this adds the idempotency key and the
//! one rule about secrets: a generated password or token is in the first answer only. The reply
//! stored with the key leaves it out, so no secret is ever kept in clear, and a retry says what was
//! done without repeating it.
use super::accounts::{self, AccountError, AccountInput};
use super::idempotent::{commit_with_reply, fingerprint, prior, Prior};
use super::queries::{page, Page, QueryError};
use super::receipts::{ReceiptReply, Reply};
use crate::db::accounts::{self as store, StoredAccount, StoredToken};
use crate::db::DbError;
use crate::domain::access::{Action, Principal};
use crate::domain::calendar::Instant;
use crate::domain::refs::IdempotencyKey;
use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};

/// The longest label a token carries.
pub const LABEL_CHARS_MAX: usize = 200;

/// Why an account change was not made.
#[derive(Debug, thiserror::Error)]
pub enum AccountAdminError {
    #[error("your role ({0}) may not manage accounts")]
    Forbidden(String),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(
        "this idempotency key was used for a different request; use a new key for a new request"
    )]
    KeyReused,
}

impl From<DbError> for AccountAdminError {
    fn from(e: DbError) -> Self {
        AccountAdminError::Account(e.into())
    }
}

/// A change's answer: the reply stored with the key (no secret in it) and, the first time only,
/// the secret the change made.
#[derive(Debug)]
pub struct Answer {
    pub reply: ReceiptReply,
    pub secret: Option<String>,
}

/// Makes `change` once per key for an admin, in one database transaction with the stored reply.
async fn once(
    db: &DatabaseConnection,
    viewer: &Principal,
    key: &IdempotencyKey,
    request_hash: String,
    now: Instant,
    change: impl AsyncFnOnce(&DatabaseTransaction) -> Result<(Reply, Option<String>), AccountAdminError>,
) -> Result<Answer, AccountAdminError> {
    if viewer.may(Action::ManageAccounts).is_err() {
        return Err(AccountAdminError::Forbidden(viewer.role.word().to_owned()));
    }
    let key = key.owned_by(&viewer.username);
    let txn = db.begin().await.map_err(DbError::from)?;
    match prior(&txn, &key, &request_hash).await? {
        Prior::Unused => {}
        Prior::Replay(reply) => {
            return Ok(Answer {
                reply: ReceiptReply::Replayed(reply),
                secret: None,
            })
        }
        Prior::OtherRequest => return Err(AccountAdminError::KeyReused),
    }
    let (reply, secret) = change(&txn).await?;
    commit_with_reply(txn, &key, request_hash, &reply, now).await?;
    Ok(Answer {
        reply: ReceiptReply::Fresh(reply),
        secret,
    })
}

/// Every account, by username, a page at a time (provider admin only).
pub async fn list_accounts(
    db: &DatabaseConnection,
    viewer: &Principal,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<StoredAccount>, QueryError> {
    if viewer.may(Action::ManageAccounts).is_err() {
        return Err(QueryError::Forbidden {
            role: viewer.role.word().to_owned(),
            what: "manage accounts",
        });
    }
    let accounts = store::list_accounts(db).await?;
    Ok(page(
        accounts.iter().map(|a| (a.principal.username.as_str(), a)),
        after,
        limit,
    ))
}

/// Adds an account with a generated password (a password is never sent to the API).
pub async fn add_account(
    db: &DatabaseConnection,
    viewer: &Principal,
    key: &IdempotencyKey,
    input: AccountInput,
    now: Instant,
    render: impl Fn(&Principal) -> Reply,
) -> Result<Answer, AccountAdminError> {
    let agreements = input.agreement_refs.join(" ");
    let request_hash = fingerprint(
        "account/v1",
        [
            ("username", input.username.as_str()),
            ("name", input.display_name.as_str()),
            ("role", input.role.word()),
            (
                "worker_ref",
                input.worker_ref.as_deref().unwrap_or_default(),
            ),
            (
                "commissioner_ref",
                input.commissioner_ref.as_deref().unwrap_or_default(),
            ),
            ("agreement_refs", agreements.as_str()),
        ],
    );
    let input = AccountInput {
        password: None,
        ..input
    };
    once(db, viewer, key, request_hash, now, async |txn| {
        let (principal, password) =
            accounts::add_account(txn, input, &viewer.username, now).await?;
        Ok((render(&principal), password))
    })
    .await
}

/// Issues an API token for `username`, lasting `days`.
#[allow(clippy::too_many_arguments)] // One use case's inputs, named, as its siblings take them.
pub async fn issue_token(
    db: &DatabaseConnection,
    viewer: &Principal,
    key: &IdempotencyKey,
    username: &str,
    days: i64,
    label: &str,
    now: Instant,
    render: impl Fn(&StoredToken) -> Reply,
) -> Result<Answer, AccountAdminError> {
    if label.chars().count() > LABEL_CHARS_MAX {
        return Err(AccountError::Invalid {
            field: "label",
            reason: format!("at most {LABEL_CHARS_MAX} characters"),
        }
        .into());
    }
    let days_text = days.to_string();
    let request_hash = fingerprint(
        "token/v1",
        [
            ("username", username),
            ("days", days_text.as_str()),
            ("label", label),
        ],
    );
    once(db, viewer, key, request_hash, now, async |txn| {
        let issued =
            accounts::issue_token(txn, username, days, label, &viewer.username, now).await?;
        Ok((render(&issued.stored), Some(issued.token)))
    })
    .await
}

/// Revokes a token; revoking a revoked token changes nothing and answers the same.
pub async fn revoke_token(
    db: &DatabaseConnection,
    viewer: &Principal,
    key: &IdempotencyKey,
    token_id: &str,
    now: Instant,
    render: impl Fn(&StoredToken) -> Reply,
) -> Result<Answer, AccountAdminError> {
    let request_hash = fingerprint("revocation/v1", [("token_id", token_id)]);
    once(db, viewer, key, request_hash, now, async |txn| {
        accounts::revoke_token(txn, token_id, &viewer.username, now).await?;
        let token = store::find_token(txn, token_id)
            .await?
            .ok_or_else(|| AccountError::NoToken(token_id.to_owned()))?;
        Ok((render(&token), None))
    })
    .await
}

/// Disables an account: it signs in no more, and its tokens and sessions are refused.
pub async fn disable_account(
    db: &DatabaseConnection,
    viewer: &Principal,
    key: &IdempotencyKey,
    username: &str,
    reason: &str,
    now: Instant,
    render: impl Fn(&StoredAccount) -> Reply,
) -> Result<Answer, AccountAdminError> {
    let reason = reason.trim();
    if reason.chars().count() > super::resolutions::NOTE_CHARS_MAX {
        return Err(AccountError::Invalid {
            field: "reason",
            reason: format!("at most {} characters", super::resolutions::NOTE_CHARS_MAX),
        }
        .into());
    }
    let request_hash = fingerprint(
        "disablement/v1",
        [("username", username), ("reason", reason)],
    );
    once(db, viewer, key, request_hash, now, async |txn| {
        let account =
            accounts::disable_account(txn, username, reason, &viewer.username, now).await?;
        Ok((render(&account), None))
    })
    .await
}
