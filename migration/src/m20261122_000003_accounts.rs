//! Who may use the service: accounts with one role each, what they are linked to, API tokens, web
//! sessions, and the audit log of who changed what. Secrets are never stored: passwords as argon2
//! hashes, tokens and session ids as SHA-256 of their random secret. The audit log is append-only
//! in the database, as the ledger is.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000003_accounts"
    }
}

/// `{ts}` is a UTC instant, `{serial}` an id the database assigns.
const TABLES: &str = r#"
CREATE TABLE accounts (
    username TEXT NOT NULL PRIMARY KEY,
    display_name TEXT NOT NULL,
    account_role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    worker_ref TEXT REFERENCES workers(worker_ref),
    commissioner_ref TEXT REFERENCES commissioners(commissioner_ref),
    created_at {ts} NOT NULL,
    disabled_at {ts}
);
CREATE TABLE account_agreements (
    username TEXT NOT NULL REFERENCES accounts(username),
    agreement_ref TEXT NOT NULL REFERENCES agreements(agreement_ref),
    PRIMARY KEY (username, agreement_ref)
);
CREATE TABLE api_tokens (
    token_id TEXT NOT NULL PRIMARY KEY,
    username TEXT NOT NULL REFERENCES accounts(username),
    secret_sha256 TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at {ts} NOT NULL,
    expires_at {ts} NOT NULL,
    revoked_at {ts}
);
CREATE TABLE web_sessions (
    session_sha256 TEXT NOT NULL PRIMARY KEY,
    username TEXT NOT NULL REFERENCES accounts(username),
    csrf_token TEXT NOT NULL,
    created_at {ts} NOT NULL,
    expires_at {ts} NOT NULL,
    ended_at {ts}
);
CREATE TABLE audit_log (
    id {serial},
    at {ts} NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
)
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let (ts, serial) = match backend {
            DbBackend::Postgres => ("TIMESTAMPTZ", "BIGSERIAL PRIMARY KEY"),
            _ => ("TEXT", "INTEGER PRIMARY KEY AUTOINCREMENT"),
        };
        let db = manager.get_connection();
        for statement in TABLES
            .replace("{ts}", ts)
            .replace("{serial}", serial)
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            db.execute_unprepared(statement).await?;
        }
        let guards: Vec<String> = match backend {
            DbBackend::Postgres => vec![
                "CREATE FUNCTION isf_refuse_audit_change() RETURNS trigger AS $$ \
                 BEGIN RAISE EXCEPTION 'the audit log is append-only: % is refused', TG_OP; END \
                 $$ LANGUAGE plpgsql"
                    .to_owned(),
                "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log \
                 FOR EACH ROW EXECUTE FUNCTION isf_refuse_audit_change()"
                    .to_owned(),
                "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log \
                 FOR EACH STATEMENT EXECUTE FUNCTION isf_refuse_audit_change()"
                    .to_owned(),
            ],
            _ => ["UPDATE", "DELETE"]
                .iter()
                .map(|op| {
                    format!(
                        "CREATE TRIGGER audit_log_no_{lower} BEFORE {op} ON audit_log \
                         BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: {op} is refused'); END",
                        lower = op.to_lowercase()
                    )
                })
                .collect(),
        };
        for statement in guards {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The audit log is evidence: there is no way back that drops it.
        Err(DbErr::Migration(
            "the accounts and audit log cannot be rolled back".to_owned(),
        ))
    }
}
