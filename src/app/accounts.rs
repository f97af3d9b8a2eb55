//! Accounts and signing in: creating accounts, API tokens (issued, expiring, revocable), web
//! sessions with their CSRF token, and the audit log of who changed what.
//!
//! Secrets are random (the operating system's generator through `rand`), shown once and stored
//! only as hashes: passwords with argon2id (slow, salted: people choose passwords), API tokens and
//! session ids with SHA-256 (they are 256 random bits, so a fast hash is enough and lets every
//! request be checked without an argon2 run).
use crate::db::accounts::{self as store, NewAccount, StoredSession, StoredToken};
use crate::db::{self, DbError};
use crate::domain::access::{Action, Denied, Principal, Role};
use crate::domain::calendar::Instant;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// How long a web session lasts from sign-in: a working day.
pub const SESSION_HOURS: i64 = 10;
/// How long a token lasts when no expiry is asked for.
pub const TOKEN_DAYS_DEFAULT: i64 = 90;
/// The longest a token may last.
pub const TOKEN_DAYS_MAX: i64 = 366;
/// The shortest password accepted.
pub const PASSWORD_CHARS_MIN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("no account {0}")]
    NoAccount(String),
    #[error("no token {0}")]
    NoToken(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Db(DbError),
}

impl From<DbError> for AccountError {
    fn from(e: DbError) -> AccountError {
        match e {
            DbError::Conflict(message) => AccountError::Conflict(message),
            other => AccountError::Db(other),
        }
    }
}

/// Why a caller is not signed in. One kind only: the answer never says which part was wrong.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("sign in: the credentials are missing, wrong, expired or revoked")]
    Unauthenticated,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What `isf user add` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInput {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// `None`: a password is generated and returned.
    pub password: Option<String>,
    pub worker_ref: Option<String>,
    pub commissioner_ref: Option<String>,
    pub agreement_refs: Vec<String>,
}

impl AccountInput {
    /// An input with no name, role links or password, to be filled in with `..`.
    pub fn blank() -> AccountInput {
        AccountInput {
            username: String::new(),
            display_name: String::new(),
            role: Role::Coordinator,
            password: None,
            worker_ref: None,
            commissioner_ref: None,
            agreement_refs: Vec::new(),
        }
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> AccountError {
    AccountError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// `n` random bytes as lowercase hex.
fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Equal strings, compared in time that does not depend on where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| invalid("password", e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| invalid("password", e.to_string()))
}

fn password_matches(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A password to hand over: 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

fn check_username(username: &str) -> Result<(), AccountError> {
    let ok = (3..=64).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-@".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "username",
            format!("{username:?} is not 3 to 64 of a-z, 0-9, '.', '_', '-' and '@'"),
        ))
    }
}

/// Creates an account; returns it and, when none was given, the generated password (shown once).
pub async fn add_account<C: ConnectionTrait + TransactionTrait + 'static>(
    db: &C,
    input: AccountInput,
    actor: &str,
    now: Instant,
) -> Result<(Principal, Option<String>), AccountError> {
    check_username(&input.username)?;
    if input.display_name.trim().is_empty() {
        return Err(invalid("name", "an account needs a name to show"));
    }
    let world = db::load_world(db).await?;
    let links = (
        input.worker_ref.is_some(),
        input.commissioner_ref.is_some(),
        !input.agreement_refs.is_empty(),
    );
    match (input.role, links) {
        (Role::CareWorker, (true, false, false)) => {}
        (Role::CareWorker, _) => {
            return Err(invalid(
                "worker",
                "a care worker is linked to exactly one worker, and nothing else",
            ))
        }
        (Role::CommissionerOfficer, (false, true, false)) => {}
        (Role::CommissionerOfficer, _) => {
            return Err(invalid(
                "commissioner",
                "a commissioner officer is linked to exactly one commissioner, and nothing else",
            ))
        }
        (Role::BudgetHolder, (false, false, true)) => {}
        (Role::BudgetHolder, _) => {
            return Err(invalid(
                "agreement",
                "a budget holder is linked to one or more agreements, and nothing else",
            ))
        }
        (_, (false, false, false)) => {}
        (role, _) => {
            return Err(invalid(
                "role",
                format!(
                "{role} sees all of the provider: link it to no worker, commissioner or agreement"
            ),
            ))
        }
    }
    if let Some(w) = &input.worker_ref {
        if !world.workers.contains_key(w) {
            return Err(invalid("worker", format!("no worker {w}")));
        }
    }
    if let Some(c) = &input.commissioner_ref {
        if !world.commissioners.contains_key(c) {
            return Err(invalid("commissioner", format!("no commissioner {c}")));
        }
    }
    for a in &input.agreement_refs {
        if !world.agreements.contains_key(a) {
            return Err(invalid("agreement", format!("no agreement {a}")));
        }
    }
    let (password, generated) = match input.password {
        Some(p) if p.chars().count() < PASSWORD_CHARS_MIN => {
            return Err(invalid(
                "password",
                format!("a password needs at least {PASSWORD_CHARS_MIN} characters"),
            ))
        }
        Some(p) => (p, None),
        None => {
            let p = generate_password();
            (p.clone(), Some(p))
        }
    };
    let principal = Principal {
        username: input.username,
        display_name: input.display_name.trim().to_owned(),
        role: input.role,
        worker_ref: input.worker_ref,
        commissioner_ref: input.commissioner_ref,
        agreement_refs: input.agreement_refs.into_iter().collect::<BTreeSet<_>>(),
    };
    let password_hash = hash_password(&password)?;
    store::insert_account(
        db,
        &NewAccount {
            principal: principal.clone(),
            password_hash,
        },
        now,
    )
    .await?;
    store::append_audit(
        db,
        now,
        actor,
        "account.created",
        &format!("account:{}", principal.username),
        &format!("role {}", principal.role),
    )
    .await?;
    Ok((principal, generated))
}

/// Gives an account a new password (generated when `None`); returns the generated one.
pub async fn reset_password(
    db: &DatabaseConnection,
    username: &str,
    password: Option<String>,
    actor: &str,
    now: Instant,
) -> Result<Option<String>, AccountError> {
    let (password, generated) = match password {
        Some(p) if p.chars().count() < PASSWORD_CHARS_MIN => {
            return Err(invalid(
                "password",
                format!("a password needs at least {PASSWORD_CHARS_MIN} characters"),
            ))
        }
        Some(p) => (p, None),
        None => {
            let p = generate_password();
            (p.clone(), Some(p))
        }
    };
    if !store::set_password_hash(db, username, &hash_password(&password)?).await? {
        return Err(AccountError::NoAccount(username.to_owned()));
    }
    store::append_audit(
        db,
        now,
        actor,
        "account.password_set",
        &format!("account:{username}"),
        "",
    )
    .await?;
    Ok(generated)
}

/// A token just issued: the whole token (shown once) and what is stored of it.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub stored: StoredToken,
}

/// Issues an API token for `username`, lasting `days` (1 to `TOKEN_DAYS_MAX`).
pub async fn issue_token<C: ConnectionTrait>(
    db: &C,
    username: &str,
    days: i64,
    label: &str,
    actor: &str,
    now: Instant,
) -> Result<IssuedToken, AccountError> {
    if !(1..=TOKEN_DAYS_MAX).contains(&days) {
        return Err(invalid(
            "days",
            format!("{days} is not a whole number of days from 1 to {TOKEN_DAYS_MAX}"),
        ));
    }
    let account = store::find_account(db, username)
        .await?
        .filter(|a| !a.disabled)
        .ok_or_else(|| AccountError::NoAccount(username.to_owned()))?;
    let token_id = random_hex(8);
    let secret = random_hex(32);
    let stored = StoredToken {
        token_id: token_id.clone(),
        username: account.principal.username.clone(),
        secret_sha256: sha256_hex(&secret),
        label: label.to_owned(),
        created_at: now,
        expires_at: now + chrono::Duration::days(days),
        revoked_at: None,
    };
    store::insert_token(db, &stored).await?;
    store::append_audit(
        db,
        now,
        actor,
        "token.issued",
        &format!("token:{token_id}"),
        &format!("for {username}, {days} days"),
    )
    .await?;
    Ok(IssuedToken {
        token: format!("isf_{token_id}_{secret}"),
        stored,
    })
}

/// Revokes a token by its id (the part after `isf_` and before the second `_`).
pub async fn revoke_token<C: ConnectionTrait>(
    db: &C,
    token_id: &str,
    actor: &str,
    now: Instant,
) -> Result<(), AccountError> {
    if store::find_token(db, token_id).await?.is_none() {
        return Err(AccountError::NoToken(token_id.to_owned()));
    }
    store::revoke_token(db, token_id, now).await?;
    store::append_audit(
        db,
        now,
        actor,
        "token.revoked",
        &format!("token:{token_id}"),
        "",
    )
    .await?;
    Ok(())
}

/// Disables the account `username` (someone who has left): from now on it cannot sign in, and its
/// tokens and sessions are refused. Nobody disables their own account (the last admin would lock
/// the provider out). Disabling a disabled account changes nothing.
pub async fn disable_account<C: ConnectionTrait>(
    db: &C,
    username: &str,
    reason: &str,
    actor: &str,
    now: Instant,
) -> Result<store::StoredAccount, AccountError> {
    if username == actor {
        return Err(invalid(
            "username",
            "you cannot disable your own account: ask another admin",
        ));
    }
    let account = store::find_account(db, username)
        .await?
        .ok_or_else(|| AccountError::NoAccount(username.to_owned()))?;
    if store::disable_account(db, username, now).await? {
        store::append_audit(
            db,
            now,
            actor,
            "account.disabled",
            &format!("account:{username}"),
            reason,
        )
        .await?;
    }
    Ok(store::StoredAccount {
        disabled: true,
        ..account
    })
}

async fn live_principal(db: &DatabaseConnection, username: &str) -> Result<Principal, AuthError> {
    match store::find_account(db, username).await? {
        Some(a) if !a.disabled => Ok(a.principal),
        _ => Err(AuthError::Unauthenticated),
    }
}

/// The caller a bearer token stands for, when it is whole, unexpired and not revoked.
pub async fn authenticate_token(
    db: &DatabaseConnection,
    token: &str,
    now: Instant,
) -> Result<Principal, AuthError> {
    let Some((token_id, secret)) = token
        .strip_prefix("isf_")
        .and_then(|rest| rest.split_once('_'))
    else {
        return Err(AuthError::Unauthenticated);
    };
    let Some(stored) = store::find_token(db, token_id).await? else {
        return Err(AuthError::Unauthenticated);
    };
    if !same_secret(&sha256_hex(secret), &stored.secret_sha256)
        || stored.revoked_at.is_some()
        || stored.expires_at <= now
    {
        return Err(AuthError::Unauthenticated);
    }
    live_principal(db, &stored.username).await
}

/// A web session just started: the cookie value (shown once) and its CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie: String,
    pub csrf_token: String,
    pub expires_at: Instant,
    pub principal: Principal,
}

/// Signs in with a password; the argon2 check runs off the async workers.
pub async fn sign_in(
    db: &DatabaseConnection,
    username: &str,
    password: &str,
    now: Instant,
) -> Result<NewSession, AuthError> {
    let account = store::find_account(db, username).await?;
    // An unknown account still costs one argon2 run, so timing does not tell who has an account.
    static NOBODY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("nobody has this password").unwrap_or_default());
    let stored_hash = account.as_ref().map(|a| a.password_hash.clone());
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || {
        password_matches(&password, stored_hash.as_deref().unwrap_or(&NOBODY))
    })
    .await
    .unwrap_or(false);
    let Some(account) = account.filter(|a| matches && !a.disabled) else {
        return Err(AuthError::Unauthenticated);
    };
    let cookie = random_hex(32);
    let session = StoredSession {
        session_sha256: sha256_hex(&cookie),
        username: account.principal.username.clone(),
        csrf_token: random_hex(32),
        expires_at: now + chrono::Duration::hours(SESSION_HOURS),
        ended: false,
    };
    store::insert_session(db, &session, now).await?;
    store::append_audit(
        db,
        now,
        &account.principal.username,
        "session.started",
        &format!("account:{}", account.principal.username),
        "",
    )
    .await?;
    Ok(NewSession {
        cookie,
        csrf_token: session.csrf_token,
        expires_at: session.expires_at,
        principal: account.principal,
    })
}

/// The caller a session cookie stands for, and the session's CSRF token.
pub async fn authenticate_session(
    db: &DatabaseConnection,
    cookie: &str,
    now: Instant,
) -> Result<(Principal, String), AuthError> {
    let Some(session) = store::find_session(db, &sha256_hex(cookie)).await? else {
        return Err(AuthError::Unauthenticated);
    };
    if session.ended || session.expires_at <= now {
        return Err(AuthError::Unauthenticated);
    }
    Ok((
        live_principal(db, &session.username).await?,
        session.csrf_token,
    ))
}

/// Ends a session (signing out); ending one already ended changes nothing.
pub async fn sign_out(db: &DatabaseConnection, cookie: &str, now: Instant) -> Result<(), DbError> {
    store::end_session(db, &sha256_hex(cookie), now).await
}

/// Whether a form's CSRF token is the session's.
pub fn csrf_matches(session_token: &str, form_token: &str) -> bool {
    same_secret(session_token, form_token)
}

/// The audit log, oldest first, for a provider admin.
pub async fn audit_log(
    db: &DatabaseConnection,
    viewer: &Principal,
    after: Option<i64>,
    limit: u64,
) -> Result<Result<Vec<store::AuditEntry>, Denied>, DbError> {
    if let Err(denied) = viewer.may(Action::ReadAudit) {
        return Ok(Err(denied));
    }
    Ok(Ok(store::list_audit(db, after, limit).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_hash_verifies_its_password_and_no_other() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(password_matches("correct horse battery", &hash));
        assert!(!password_matches("correct horse batterY", &hash));
        assert!(!password_matches("anything", "not a hash"));
    }

    #[test]
    fn generated_secrets_are_long_and_differ() {
        let a = generate_password();
        let b = generate_password();
        assert_eq!(a.chars().count(), 20);
        assert_ne!(a, b);
        assert_eq!(random_hex(32).len(), 64);
    }

    #[test]
    fn secrets_compare_equal_only_when_identical() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }

    #[test]
    fn usernames_are_plain_lowercase_words() {
        for ok in ["ann", "jo.smith", "officer@ncc"] {
            assert!(check_username(ok).is_ok(), "{ok}");
        }
        for bad in ["al", "Ann", "has space", "x".repeat(65).as_str()] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }
}
