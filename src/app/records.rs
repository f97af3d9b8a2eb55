//! `record_row`: one record added through the API (a call-monitoring system pushing an attendance,
//! a coordinator adding a visit or a worker, finance recording a purchase).
//!
//! A record is checked by the import's own checker as a one-row file of its kind, against everything
//! held, so a pushed row and an imported row obey exactly the same rules and are stored the same way
//! (purchases and repayments post their ledger transactions in the same database transaction). As
//! with receipts, the idempotency key, a fingerprint of the request and the reply are stored with
//! the record: a retry gets the stored reply back; the same key with another request is refused.
//!
//! The check reads the provider's whole records, because a visit is checked against every visit of
//! its workers (no double-booking) and an attendance against its visit's other attendances; at 2,000
//! people that is about a second per write (see the README's benchmarks).
use super::idempotent::{commit_with_reply, fingerprint, prior, Prior};
use super::import::{check_files, money_transactions, FileKind};
use super::receipts::{FieldProblem, ReceiptReply, Reply};
use crate::db::idempotency;
use crate::db::{self, DbError};
use crate::domain::access::{Action, Principal};
use crate::domain::calendar::Instant;
use crate::domain::refs::IdempotencyKey;
use sea_orm::{DatabaseConnection, TransactionTrait};

/// How many times a write is attempted when a concurrent writer took its key or ref first.
const ATTEMPTS_MAX: usize = 2;

/// The kinds of record the API adds one at a time. (Commissioners and rate cards are contract
/// terms, imported by the provider's administrator; receipts have their own route.)
pub const API_KINDS: [FileKind; 11] = [
    FileKind::People,
    FileKind::Workers,
    FileKind::Agreements,
    FileKind::Streams,
    FileKind::Outcomes,
    FileKind::Relationships,
    FileKind::Visits,
    FileKind::Attendances,
    FileKind::Purchases,
    FileKind::Repayments,
    FileKind::Earmarks,
];

/// Whether adding a record of `kind` changes what reconciliation posts or raises.
pub fn changes_costs(kind: FileKind) -> bool {
    matches!(
        kind,
        FileKind::Agreements
            | FileKind::Streams
            | FileKind::Outcomes
            | FileKind::Relationships
            | FileKind::Visits
            | FileKind::Attendances
    )
}

/// A record as the client wrote it: its kind and the text of each column given. A column left
/// out, or given empty, is an empty CSV cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordInput {
    pub kind: FileKind,
    /// (column, value) for the columns given, in any order.
    pub fields: Vec<(String, String)>,
}

impl RecordInput {
    /// The value of `column`, empty when not given.
    pub fn value(&self, column: &str) -> &str {
        self.fields
            .iter()
            .find(|(c, _)| c == column)
            .map_or("", |(_, v)| v.as_str())
    }

    /// SHA-256 (hex) of the canonical form: the kind, then every column in the file's order with
    /// its value length-prefixed, so two requests share a fingerprint exactly when they say the same.
    pub fn fingerprint(&self) -> String {
        fingerprint(
            &format!("record/v1\n{}", self.kind.file_name()),
            self.kind.columns().iter().map(|c| (*c, self.value(c))),
        )
    }

    /// The record as a one-row file of its kind.
    fn as_csv(&self) -> Vec<u8> {
        let columns = self.kind.columns();
        let row = columns.iter().map(|c| self.value(c).to_owned()).collect();
        crate::csv_io::write_csv(columns, [row]).into_bytes()
    }

    /// What the record is about, for the audit log: its kind and its key columns.
    pub fn subject(&self) -> String {
        let key: Vec<&str> = self
            .kind
            .key_columns()
            .iter()
            .map(|c| self.value(c))
            .collect();
        format!("{}:{}", self.kind.record_name(), key.join("/"))
    }
}

/// Why a record was not added.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("the {} has {} problem(s)", .kind.record_name(), .problems.len())]
    Invalid {
        kind: FileKind,
        problems: Vec<FieldProblem>,
    },
    #[error(
        "this idempotency key was used for a different request; use a new key for a new request"
    )]
    KeyReused,
    #[error("your role ({0}) may not add {1} records")]
    Forbidden(String, &'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A record as held after the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRow {
    pub input: RecordInput,
    /// True when this request added it; false when the same record was already held.
    pub created: bool,
}

/// Adds one record under an idempotency key; `render` makes the reply stored with the key.
pub async fn record_row(
    db: &DatabaseConnection,
    viewer: &Principal,
    key: &IdempotencyKey,
    input: &RecordInput,
    now: Instant,
    render: impl Fn(&RecordedRow) -> Reply,
) -> Result<ReceiptReply, RecordError> {
    let action = match input.kind {
        FileKind::Purchases | FileKind::Repayments | FileKind::Earmarks => Action::RecordMoney,
        _ => Action::ImportRecords,
    };
    if viewer.may(action).is_err() {
        return Err(RecordError::Forbidden(
            viewer.role.word().to_owned(),
            input.kind.record_name(),
        ));
    }
    let key = &key.owned_by(&viewer.username);
    let mut attempt = 1;
    loop {
        match record_once(db, viewer, key, input, now, &render).await {
            Err(RecordError::Db(e))
                if attempt < ATTEMPTS_MAX && idempotency::is_unique_violation(&e) =>
            {
                tracing::info!("a concurrent request took the same key or ref; retrying");
                attempt += 1;
            }
            other => return other,
        }
    }
}

async fn record_once(
    db: &DatabaseConnection,
    viewer: &Principal,
    key: &IdempotencyKey,
    input: &RecordInput,
    now: Instant,
    render: &impl Fn(&RecordedRow) -> Reply,
) -> Result<ReceiptReply, RecordError> {
    let request_hash = input.fingerprint();
    let txn = db.begin().await.map_err(DbError::from)?;
    match prior(&txn, key, &request_hash).await? {
        Prior::Unused => {}
        Prior::Replay(reply) => return Ok(ReceiptReply::Replayed(reply)),
        Prior::OtherRequest => return Err(RecordError::KeyReused),
    }
    let csv = input.as_csv();
    let mut world = db::load_world(&txn).await?;
    let (new, _) =
        check_files(&mut world, &[(input.kind, csv)]).map_err(|errors| RecordError::Invalid {
            kind: input.kind,
            problems: problems_of(errors),
        })?;
    let created = new.count() > 0;
    if created {
        db::write_import(&txn, &new, money_transactions(&new), now).await?;
        let detail: Vec<String> = input
            .kind
            .columns()
            .iter()
            .filter(|c| !input.value(c).is_empty())
            .map(|c| format!("{c}={}", input.value(c)))
            .collect();
        db::accounts::append_audit(
            &txn,
            now,
            &viewer.username,
            &format!("{}.added", input.kind.record_name()),
            &input.subject(),
            &detail.join("; "),
        )
        .await?;
    }
    let reply = render(&RecordedRow {
        input: input.clone(),
        created,
    });
    commit_with_reply(txn, key, request_hash, &reply, now).await?;
    Ok(ReceiptReply::Fresh(reply))
}

/// The import's row errors as the fields of a request (a row has no line for the caller).
fn problems_of(errors: Vec<crate::csv_io::RowError>) -> Vec<FieldProblem> {
    errors
        .into_iter()
        .map(|e| {
            let field = if e.column.is_empty() {
                "body"
            } else {
                &e.column
            };
            FieldProblem::new(field, e.reason)
        })
        .collect()
}

/// A change to a visit on the roster. Visits are roster records, not money: they change in place,
/// with who and when in the audit log, and reconciliation reverses and reposts any cost they moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitChange {
    /// Cancelled at `cancelled_at` by `cancelled_by` (`person` or `provider`), as in `visits.csv`.
    Cancel {
        cancelled_at: String,
        cancelled_by: String,
    },
    /// The workers assigned, `;`-separated as in `visits.csv` (empty for none yet).
    Assign { worker_refs: String },
}

impl VisitChange {
    fn word(&self) -> &'static str {
        match self {
            VisitChange::Cancel { .. } => "cancelled",
            VisitChange::Assign { .. } => "assigned",
        }
    }

    fn fingerprint(&self, visit_ref: &str) -> String {
        let tag = format!("visit-change/v1\n{visit_ref}\n{}", self.word());
        match self {
            VisitChange::Cancel {
                cancelled_at,
                cancelled_by,
            } => fingerprint(
                &tag,
                [
                    ("cancelled_at", cancelled_at.as_str()),
                    ("cancelled_by", cancelled_by.as_str()),
                ],
            ),
            VisitChange::Assign { worker_refs } => {
                fingerprint(&tag, [("worker_refs", worker_refs.as_str())])
            }
        }
    }
}

/// Why a visit was not changed.
#[derive(Debug, thiserror::Error)]
pub enum VisitChangeError {
    #[error("no visit {0}")]
    NotFound(String),
    #[error("visit {0} is already cancelled: a cancellation is not changed")]
    AlreadyCancelled(String),
    #[error(transparent)]
    Record(#[from] RecordError),
}

impl From<DbError> for VisitChangeError {
    fn from(e: DbError) -> Self {
        VisitChangeError::Record(RecordError::Db(e))
    }
}

/// The columns of `visits.csv` for a held visit.
fn visit_fields(v: &crate::domain::model::Visit) -> Vec<(String, String)> {
    let (at, by) = match &v.cancellation {
        Some(c) => (c.at.to_rfc3339(), c.by.word().to_owned()),
        None => (String::new(), String::new()),
    };
    [
        ("visit_ref", v.visit_ref.clone()),
        ("agreement_ref", v.agreement_ref.clone()),
        ("outcome_ref", v.outcome_ref.clone()),
        ("planned_start", v.planned_start.to_rfc3339()),
        ("planned_end", v.planned_end.to_rfc3339()),
        ("workers_required", v.workers_required.to_string()),
        ("worker_refs", v.worker_refs.join(";")),
        ("cancelled_at", at),
        ("cancelled_by", by),
    ]
    .into_iter()
    .map(|(c, v)| (c.to_owned(), v))
    .collect()
}

/// Cancels a visit or assigns its workers, under an idempotency key, checked by the rules of
/// `visits.csv` against every other visit (a worker is never double-booked). `render` gets the
/// visit as it stands afterwards; `created` says whether this request changed it.
pub async fn change_visit(
    db: &DatabaseConnection,
    viewer: &Principal,
    key: &IdempotencyKey,
    visit_ref: &str,
    change: &VisitChange,
    now: Instant,
    render: impl Fn(&RecordedRow) -> Reply,
) -> Result<ReceiptReply, VisitChangeError> {
    if viewer.may(Action::ImportRecords).is_err() {
        return Err(RecordError::Forbidden(viewer.role.word().to_owned(), "visit").into());
    }
    let key = &key.owned_by(&viewer.username);
    let request_hash = change.fingerprint(visit_ref);
    let txn = db.begin().await.map_err(DbError::from)?;
    match prior(&txn, key, &request_hash).await? {
        Prior::Unused => {}
        Prior::Replay(reply) => return Ok(ReceiptReply::Replayed(reply)),
        Prior::OtherRequest => return Err(RecordError::KeyReused.into()),
    }
    let mut world = db::load_world(&txn).await?;
    let Some(held) = world.visits.remove(visit_ref) else {
        return Err(VisitChangeError::NotFound(visit_ref.to_owned()));
    };
    let mut fields = visit_fields(&held);
    let mut set = |column: &str, value: &str| {
        if let Some(f) = fields.iter_mut().find(|(c, _)| c == column) {
            f.1 = value.to_owned();
        }
    };
    match change {
        VisitChange::Cancel {
            cancelled_at,
            cancelled_by,
        } => {
            if held.cancellation.is_some() {
                return Err(VisitChangeError::AlreadyCancelled(visit_ref.to_owned()));
            }
            if !world.attendance_refs_of(visit_ref).is_empty() {
                return Err(RecordError::Invalid {
                    kind: FileKind::Visits,
                    problems: vec![FieldProblem::new(
                        "visit_ref",
                        format!("visit {visit_ref} has an attendance: it was delivered, so it cannot be cancelled"),
                    )],
                }
                .into());
            }
            set("cancelled_at", cancelled_at);
            set("cancelled_by", cancelled_by);
        }
        VisitChange::Assign { worker_refs } => set("worker_refs", worker_refs),
    }
    let input = RecordInput {
        kind: FileKind::Visits,
        fields,
    };
    let (new, _) =
        check_files(&mut world, &[(FileKind::Visits, input.as_csv())]).map_err(|errors| {
            RecordError::Invalid {
                kind: FileKind::Visits,
                problems: problems_of(errors),
            }
        })?;
    let Some(changed) = new.visits.into_iter().next() else {
        return Err(VisitChangeError::NotFound(visit_ref.to_owned()));
    };
    let created = changed != held;
    if created {
        db::update_visit(&txn, &changed).await?;
        db::accounts::append_audit(
            &txn,
            now,
            &viewer.username,
            &format!("visit.{}", change.word()),
            &format!("visit:{visit_ref}"),
            &match change {
                VisitChange::Cancel {
                    cancelled_at,
                    cancelled_by,
                } => format!("cancelled_at={cancelled_at}; cancelled_by={cancelled_by}"),
                VisitChange::Assign { worker_refs } => format!(
                    "worker_refs was {}, now {worker_refs}",
                    held.worker_refs.join(";")
                ),
            },
        )
        .await?;
    }
    let reply = render(&RecordedRow {
        input: RecordInput {
            kind: FileKind::Visits,
            fields: visit_fields(&changed),
        },
        created,
    });
    commit_with_reply(txn, key, request_hash, &reply, now).await?;
    Ok(ReceiptReply::Fresh(reply))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(fields: &[(&str, &str)]) -> RecordInput {
        RecordInput {
            kind: FileKind::Visits,
            fields: fields
                .iter()
                .map(|(c, v)| ((*c).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn a_fingerprint_ignores_field_order_and_treats_absent_as_empty() {
        let a = visit(&[("visit_ref", "V-1"), ("agreement_ref", "AG-1")]);
        let b = visit(&[
            ("agreement_ref", "AG-1"),
            ("visit_ref", "V-1"),
            ("cancelled_by", ""),
        ]);
        assert_eq!(a.fingerprint(), b.fingerprint());
        let c = visit(&[("visit_ref", "V-1"), ("agreement_ref", "AG-2")]);
        assert_ne!(a.fingerprint(), c.fingerprint());
    }

    #[test]
    fn a_record_becomes_a_one_row_file_with_quoting() {
        let r = RecordInput {
            kind: FileKind::Purchases,
            fields: vec![("description".to_owned(), "Swim, and \"float\"".to_owned())],
        };
        let text = String::from_utf8(r.as_csv()).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            FileKind::Purchases.columns().join(",")
        );
        assert!(lines
            .next()
            .unwrap()
            .contains("\"Swim, and \"\"float\"\"\""));
        assert_eq!(r.subject(), "purchase:");
    }
}
