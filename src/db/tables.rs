//! The bulk tables (visits, attendances and the ledger): their columns and how one domain value
//! fills a row, written once and used by both engines' writers (`bulk::Rows` on PostgreSQL,
//! `sqlite_direct` on SQLite), so the two can never store a value differently.
use super::bulk::Cell;
use crate::domain::calendar::Instant;
use crate::domain::ledger::Transaction;
use crate::domain::model::{Attendance, Visit};

pub const VISITS: &str = "visits";
pub const VISIT_COLUMNS: &[&str] = &[
    "visit_ref",
    "agreement_ref",
    "outcome_ref",
    "planned_start",
    "planned_end",
    "workers_required",
    "worker_refs",
    "cancelled_at",
    "cancelled_by",
];

pub fn visit_row(v: &Visit) -> [Cell<'_>; 9] {
    [
        Cell::Text(Some(&v.visit_ref)),
        Cell::Text(Some(&v.agreement_ref)),
        Cell::Text(Some(&v.outcome_ref)),
        Cell::Instant(Some(v.planned_start)),
        Cell::Instant(Some(v.planned_end)),
        Cell::Int(Some(v.workers_required)),
        Cell::OwnedText(v.worker_refs.join(";")),
        Cell::Instant(v.cancellation.as_ref().map(|c| c.at)),
        Cell::Text(v.cancellation.as_ref().map(|c| c.by.word())),
    ]
}

pub const ATTENDANCES: &str = "attendances";
pub const ATTENDANCE_COLUMNS: &[&str] = &[
    "attendance_ref",
    "visit_ref",
    "person_ref",
    "worker_ref",
    "check_in",
    "check_out",
    "method",
    "location_verified",
];

pub fn attendance_row(a: &Attendance) -> [Cell<'_>; 8] {
    [
        Cell::Text(Some(&a.attendance_ref)),
        Cell::Text(a.visit_ref.as_deref()),
        Cell::Text(Some(&a.person_ref)),
        Cell::Text(Some(&a.worker_ref)),
        Cell::Instant(Some(a.check_in)),
        Cell::Instant(Some(a.check_out)),
        Cell::Text(Some(a.method.word())),
        Cell::Bool(a.location_verified),
    ]
}

pub const TRANSACTIONS: &str = "ledger_transactions";
pub const TRANSACTION_COLUMNS: &[&str] = &[
    "id",
    "idempotency_key",
    "kind",
    "txn_date",
    "agreement_ref",
    "subject",
    "reverses_id",
    "description",
    "recorded_at",
];

/// A numbered transaction's own row (its postings and service lines are rows of their own).
pub fn transaction_row(t: &Transaction, recorded_at: Instant) -> [Cell<'_>; 9] {
    debug_assert!(t.entry.sum().is_zero(), "a transaction must balance");
    [
        Cell::Int(Some(t.id)),
        Cell::Text(Some(&t.key)),
        Cell::Text(Some(t.entry.kind.word())),
        Cell::Date(t.entry.date),
        Cell::Text(Some(&t.agreement_ref)),
        Cell::Text(Some(&t.subject)),
        Cell::Int(t.reverses),
        Cell::Text(Some(&t.description)),
        Cell::Instant(Some(recorded_at)),
    ]
}

pub const POSTINGS: &str = "ledger_postings";
pub const POSTING_COLUMNS: &[&str] = &[
    "transaction_id",
    "posting_no",
    "account",
    "agreement_ref",
    "stream_ref",
    "amount_pence",
];

/// A numbered transaction's postings, numbered from 1.
pub fn posting_rows(t: &Transaction) -> impl Iterator<Item = [Cell<'_>; 6]> {
    t.entry.postings.iter().zip(1..).map(|(p, n)| {
        let (agreement_ref, stream_ref) = p.account.fund_parts();
        [
            Cell::Int(Some(t.id)),
            Cell::Int(Some(n)),
            Cell::Text(Some(p.account.kind_word())),
            Cell::Text(agreement_ref),
            Cell::Text(stream_ref),
            Cell::Int(Some(p.amount.pence())),
        ]
    })
}

pub const LINES: &str = "service_lines";
pub const LINE_COLUMNS: &[&str] = &[
    "transaction_id",
    "line_no",
    "visit_ref",
    "stream_ref",
    "worker_ref",
    "charge",
    "planned_minutes",
    "billable_minutes",
    "rate_pence",
    "amount_pence",
];

/// A numbered transaction's service lines, numbered from 1.
pub fn line_rows(t: &Transaction) -> impl Iterator<Item = [Cell<'_>; 10]> {
    t.lines.iter().zip(1..).map(|(l, n)| {
        [
            Cell::Int(Some(t.id)),
            Cell::Int(Some(n)),
            Cell::Text(Some(&l.visit_ref)),
            Cell::Text(Some(&l.stream_ref)),
            Cell::Text(l.line.worker_ref.as_deref()),
            Cell::Text(Some(l.line.charge.word())),
            Cell::Int(Some(l.line.planned_minutes)),
            Cell::Int(Some(l.line.billable_minutes)),
            Cell::Int(Some(l.line.rate.pence())),
            Cell::Int(Some(l.line.amount.pence())),
        ]
    })
}
