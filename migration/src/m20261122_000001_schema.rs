//! The whole data model of DOMAIN.md, written once as SQL with per-engine type names.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000001_schema"
    }
}

/// Tables in creation order. `{ts}` is a UTC instant, `{date}` a calendar date, `{bool}` a boolean.
const TABLES: &str = r#"
CREATE TABLE commissioners (
    commissioner_ref TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    billing_basis TEXT NOT NULL,
    tolerance_minutes BIGINT NOT NULL,
    rounding_minutes BIGINT NOT NULL,
    cancellation_notice_hours TEXT NOT NULL,
    surplus_cap_weeks BIGINT NOT NULL,
    surplus_age_weeks BIGINT NOT NULL
);
CREATE TABLE rates (
    commissioner_ref TEXT NOT NULL REFERENCES commissioners(commissioner_ref),
    support_type TEXT NOT NULL,
    effective_from {date} NOT NULL,
    unit TEXT NOT NULL,
    weekday_pence BIGINT NOT NULL,
    weekend_pence BIGINT NOT NULL,
    bank_holiday_pence BIGINT NOT NULL,
    PRIMARY KEY (commissioner_ref, support_type, effective_from)
);
CREATE TABLE people (
    person_ref TEXT NOT NULL PRIMARY KEY,
    council_person_ref TEXT,
    given_name TEXT NOT NULL,
    family_name TEXT,
    date_of_birth {date},
    postcode TEXT,
    communication_format TEXT NOT NULL,
    decision_maker TEXT NOT NULL,
    representative_name TEXT
);
CREATE TABLE agreements (
    agreement_ref TEXT NOT NULL PRIMARY KEY,
    agreement_key TEXT NOT NULL UNIQUE,
    person_ref TEXT NOT NULL REFERENCES people(person_ref),
    start_date {date} NOT NULL,
    end_date {date},
    contribution_mode TEXT NOT NULL,
    weekly_contribution_pence BIGINT,
    fee_basis TEXT NOT NULL,
    fee_percent TEXT,
    fee_fixed_pence BIGINT,
    flex_window_weeks BIGINT NOT NULL
);
CREATE TABLE streams (
    agreement_ref TEXT NOT NULL REFERENCES agreements(agreement_ref),
    stream_ref TEXT NOT NULL,
    stream_key TEXT NOT NULL,
    commissioner_ref TEXT NOT NULL REFERENCES commissioners(commissioner_ref),
    weekly_amount_pence BIGINT NOT NULL,
    is_primary {bool} NOT NULL,
    PRIMARY KEY (agreement_ref, stream_ref),
    UNIQUE (agreement_ref, stream_key)
);
CREATE TABLE outcomes (
    agreement_ref TEXT NOT NULL REFERENCES agreements(agreement_ref),
    plan_version BIGINT NOT NULL,
    outcome_ref TEXT NOT NULL,
    stream_ref TEXT NOT NULL,
    title TEXT NOT NULL,
    support_type TEXT NOT NULL,
    weekly_hours TEXT NOT NULL,
    short_visits_agreed {bool} NOT NULL,
    approved_by TEXT,
    approved_on {date},
    PRIMARY KEY (agreement_ref, plan_version, outcome_ref)
);
CREATE TABLE workers (
    worker_ref TEXT NOT NULL PRIMARY KEY,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    dbs_issued_on {date},
    dbs_barred_list_checked {bool} NOT NULL,
    dbs_update_service {bool} NOT NULL
);
CREATE TABLE relationships (
    worker_ref TEXT NOT NULL REFERENCES workers(worker_ref),
    person_ref TEXT NOT NULL REFERENCES people(person_ref),
    relationship TEXT NOT NULL,
    same_household {bool} NOT NULL,
    commissioner_authorised {bool} NOT NULL,
    PRIMARY KEY (worker_ref, person_ref)
);
CREATE TABLE visits (
    visit_ref TEXT NOT NULL PRIMARY KEY,
    agreement_ref TEXT NOT NULL REFERENCES agreements(agreement_ref),
    outcome_ref TEXT NOT NULL,
    planned_start {ts} NOT NULL,
    planned_end {ts} NOT NULL,
    workers_required BIGINT NOT NULL,
    worker_refs TEXT NOT NULL,
    cancelled_at {ts},
    cancelled_by TEXT
);
CREATE INDEX visits_by_agreement ON visits (agreement_ref, planned_start);
CREATE TABLE attendances (
    attendance_ref TEXT NOT NULL PRIMARY KEY,
    visit_ref TEXT REFERENCES visits(visit_ref),
    person_ref TEXT NOT NULL REFERENCES people(person_ref),
    worker_ref TEXT NOT NULL REFERENCES workers(worker_ref),
    check_in {ts} NOT NULL,
    check_out {ts} NOT NULL,
    method TEXT NOT NULL,
    location_verified {bool} NOT NULL
);
CREATE INDEX attendances_by_visit ON attendances (visit_ref);
CREATE TABLE receipts (
    receipt_ref TEXT NOT NULL PRIMARY KEY,
    received_on {date} NOT NULL,
    payer TEXT NOT NULL,
    agreement_ref TEXT NOT NULL REFERENCES agreements(agreement_ref),
    stream_ref TEXT NOT NULL,
    amount_pence BIGINT NOT NULL CHECK (amount_pence > 0)
);
CREATE TABLE purchases (
    purchase_ref TEXT NOT NULL PRIMARY KEY,
    paid_on {date} NOT NULL,
    agreement_ref TEXT NOT NULL REFERENCES agreements(agreement_ref),
    outcome_ref TEXT NOT NULL,
    stream_ref TEXT NOT NULL,
    category TEXT NOT NULL,
    description TEXT,
    supplier TEXT,
    amount_pence BIGINT NOT NULL CHECK (amount_pence > 0)
);
CREATE TABLE repayments (
    repayment_ref TEXT NOT NULL PRIMARY KEY,
    paid_on {date} NOT NULL,
    agreement_ref TEXT NOT NULL REFERENCES agreements(agreement_ref),
    stream_ref TEXT NOT NULL,
    payee TEXT NOT NULL,
    amount_pence BIGINT NOT NULL CHECK (amount_pence > 0)
);
CREATE TABLE earmarks (
    earmark_ref TEXT NOT NULL PRIMARY KEY,
    agreement_ref TEXT NOT NULL REFERENCES agreements(agreement_ref),
    stream_ref TEXT NOT NULL,
    purpose TEXT NOT NULL,
    amount_pence BIGINT NOT NULL CHECK (amount_pence > 0),
    created_on {date} NOT NULL,
    expires_on {date} NOT NULL
);
CREATE TABLE ledger_transactions (
    id BIGINT NOT NULL PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    txn_date {date} NOT NULL,
    agreement_ref TEXT NOT NULL,
    subject TEXT NOT NULL,
    reverses_id BIGINT REFERENCES ledger_transactions(id),
    description TEXT NOT NULL,
    recorded_at {ts} NOT NULL
);
CREATE INDEX ledger_transactions_by_agreement ON ledger_transactions (agreement_ref, txn_date);
CREATE INDEX ledger_transactions_by_subject ON ledger_transactions (subject);
CREATE TABLE ledger_postings (
    transaction_id BIGINT NOT NULL REFERENCES ledger_transactions(id),
    posting_no BIGINT NOT NULL,
    account TEXT NOT NULL,
    agreement_ref TEXT,
    stream_ref TEXT,
    amount_pence BIGINT NOT NULL,
    PRIMARY KEY (transaction_id, posting_no)
);
CREATE TABLE service_lines (
    transaction_id BIGINT NOT NULL REFERENCES ledger_transactions(id),
    line_no BIGINT NOT NULL,
    visit_ref TEXT NOT NULL,
    stream_ref TEXT NOT NULL,
    worker_ref TEXT,
    charge TEXT NOT NULL,
    planned_minutes BIGINT NOT NULL,
    billable_minutes BIGINT NOT NULL,
    rate_pence BIGINT NOT NULL,
    amount_pence BIGINT NOT NULL,
    PRIMARY KEY (transaction_id, line_no)
);
CREATE TABLE idempotency_keys (
    idempotency_key TEXT NOT NULL PRIMARY KEY,
    request_hash TEXT NOT NULL,
    response_status BIGINT NOT NULL,
    response_body TEXT NOT NULL,
    created_at {ts} NOT NULL
);
"#;

/// The ledger tables refuse UPDATE and DELETE: corrections are reversal transactions.
const APPEND_ONLY_TABLES: [&str; 3] = ["ledger_transactions", "ledger_postings", "service_lines"];

fn ddl(backend: DbBackend) -> String {
    let (ts, date, boolean) = match backend {
        DbBackend::Postgres => ("TIMESTAMPTZ", "DATE", "BOOLEAN"),
        _ => ("TEXT", "TEXT", "BOOLEAN"),
    };
    TABLES
        .replace("{ts}", ts)
        .replace("{date}", date)
        .replace("{bool}", boolean)
}

fn append_only_guards(backend: DbBackend) -> Vec<String> {
    let mut out = Vec::new();
    match backend {
        DbBackend::Postgres => {
            out.push(
                "CREATE FUNCTION isf_refuse_ledger_change() RETURNS trigger AS $$ \
                 BEGIN RAISE EXCEPTION 'the ledger is append-only: % on % is refused', TG_OP, TG_TABLE_NAME; END \
                 $$ LANGUAGE plpgsql"
                    .to_owned(),
            );
            for table in APPEND_ONLY_TABLES {
                out.push(format!(
                    "CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} \
                     FOR EACH ROW EXECUTE FUNCTION isf_refuse_ledger_change()"
                ));
                out.push(format!(
                    "CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} \
                     FOR EACH STATEMENT EXECUTE FUNCTION isf_refuse_ledger_change()"
                ));
            }
        }
        _ => {
            for table in APPEND_ONLY_TABLES {
                for op in ["UPDATE", "DELETE"] {
                    out.push(format!(
                        "CREATE TRIGGER {table}_no_{lower} BEFORE {op} ON {table} \
                         BEGIN SELECT RAISE(ABORT, 'the ledger is append-only: {op} on {table} is refused'); END",
                        lower = op.to_lowercase()
                    ));
                }
            }
        }
    }
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        for statement in ddl(backend)
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            db.execute_unprepared(statement).await?;
        }
        for statement in append_only_guards(backend) {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The ledger holds people's money: there is no way back that drops it.
        Err(DbErr::Migration(
            "the initial schema cannot be rolled back".to_owned(),
        ))
    }
}
