//! `reconcile --through DATE`: posts every visit cost, charged cancellation and weekly fee due up
//! to DATE. Idempotent: a second run posts only what changed, as a reversal of the original plus a
//! new transaction, both dated DATE, so returns already issued never change.
use super::costing::{cost_visits, CostingError};
use super::exceptions::current_exceptions;
use crate::db::{self, DbError};
use crate::domain::agreement_money::fees_due;
use crate::domain::calendar::{local_hhmm, Instant};
use crate::domain::ledger::{Account, Entry, ServiceLine, Transaction, TransactionKind};
use crate::domain::model::Stream;
use crate::domain::world::HashMap;
use crate::domain::world::World;
use chrono::NaiveDate;
use sea_orm::DatabaseConnection;
use std::collections::HashSet;

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Costing(#[from] CostingError),
    #[error("reconciliation was interrupted: {0}")]
    Interrupted(String),
}

/// What one run posted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileSummary {
    pub posted: usize,
    pub reversed: usize,
    pub unchanged: usize,
}

/// A transaction that should stand in the ledger for a subject.
struct Due {
    subject: String,
    agreement_ref: String,
    date: NaiveDate,
    description: String,
    entry: Entry,
    lines: Vec<ServiceLine>,
}

fn due_through(world: &World, through: NaiveDate) -> Result<Vec<Due>, CostingError> {
    let costed = cost_visits(world, Some(through))?;
    let mut due = Vec::with_capacity(costed.len() + world.agreements.len() * 8);
    for costed in costed {
        if costed.costing.lines.is_empty() {
            continue;
        }
        let visit = costed.visit;
        let stream_ref = costed.outcome.stream_ref.clone();
        let fund = Account::fund(&visit.agreement_ref, &stream_ref);
        let amounts: Vec<_> = costed.costing.lines.iter().map(|l| l.amount).collect();
        let what = if costed.costing.charged_cancellation {
            "cancelled at short notice"
        } else if costed.unplanned {
            "delivered unplanned, approved"
        } else {
            "delivered"
        };
        let subject = if costed.unplanned {
            format!("unplanned:{}", visit.visit_ref)
        } else {
            format!("visit:{}", visit.visit_ref)
        };
        due.push(Due {
            subject,
            agreement_ref: visit.agreement_ref.clone(),
            date: costed.date,
            description: format!(
                "{} {}-{} {} {what}",
                visit.visit_ref,
                local_hhmm(visit.planned_start),
                local_hhmm(visit.planned_end),
                costed.outcome.support_type.plain()
            ),
            entry: Entry::service(costed.date, fund, &amounts),
            lines: costed
                .costing
                .lines
                .iter()
                .map(|l| ServiceLine {
                    visit_ref: visit.visit_ref.clone(),
                    stream_ref: stream_ref.clone(),
                    line: l.clone(),
                })
                .collect(),
        });
    }
    for agreement in world.agreements.values() {
        let streams: Vec<Stream> = world
            .streams_of(&agreement.agreement_ref)
            .cloned()
            .collect();
        for fee in fees_due(agreement, &streams, through) {
            let fund = Account::fund(&agreement.agreement_ref, &fee.stream_ref);
            due.push(Due {
                subject: format!(
                    "fee:{}:{}:{}",
                    agreement.agreement_ref, fee.stream_ref, fee.week_monday
                ),
                agreement_ref: agreement.agreement_ref.clone(),
                date: fee.date,
                description: fee.description,
                entry: Entry::spend(
                    TransactionKind::Fee,
                    fee.date,
                    fund,
                    Account::FeeIncome,
                    fee.amount,
                ),
                lines: Vec::new(),
            });
        }
    }
    Ok(due)
}

/// The transactions reconciliation owns (visits and fees), by subject, with the one still standing.
struct Standing<'l> {
    history: HashMap<&'l str, usize>,
    standing: HashMap<&'l str, &'l Transaction>,
}

fn standing(ledger: &[Transaction]) -> Standing<'_> {
    let reversed: HashSet<i64> = ledger.iter().filter_map(|t| t.reverses).collect();
    let mut history: HashMap<&str, usize> = HashMap::default();
    let mut standing = HashMap::default();
    for t in ledger {
        if !["visit:", "unplanned:", "fee:"]
            .iter()
            .any(|owned| t.subject.starts_with(owned))
        {
            continue;
        }
        *history.entry(t.subject.as_str()).or_default() += 1;
        if t.entry.kind != TransactionKind::Reversal && !reversed.contains(&t.id) {
            standing.insert(t.subject.as_str(), t);
        }
    }
    Standing { history, standing }
}

fn same_money(a: &Transaction, due: &Due) -> bool {
    a.entry.kind == due.entry.kind && a.entry.postings == due.entry.postings && a.lines == due.lines
}

/// Works out what to post so that the ledger stands as the rules say on `through`.
pub fn plan_postings(
    world: &World,
    ledger: &[Transaction],
    through: NaiveDate,
) -> Result<(Vec<Transaction>, ReconcileSummary), CostingError> {
    let mut due = due_through(world, through)?;
    // Sorted so that the ledger's ids follow dates where they can (subjects are unique: one per
    // visit, approved unplanned attendance and fee week).
    due.sort_unstable_by(|a, b| (a.date, &a.subject).cmp(&(b.date, &b.subject)));
    let state = standing(ledger);
    let mut summary = ReconcileSummary::default();
    // What stands in the ledger but is no longer due (a visit deleted, a fee no longer owed).
    let mut orphans: Vec<&Transaction> = {
        let due_subjects: HashSet<&str> = due.iter().map(|d| d.subject.as_str()).collect();
        state
            .standing
            .iter()
            .filter(|(s, _)| !due_subjects.contains(**s))
            .map(|(_, t)| *t)
            .collect()
    };
    orphans.sort_by_key(|t| t.id);
    let mut out = Vec::with_capacity(due.len());
    for d in due {
        let seen = state.history.get(d.subject.as_str()).copied().unwrap_or(0);
        match state.standing.get(d.subject.as_str()) {
            Some(current) if same_money(current, &d) => summary.unchanged += 1,
            current => {
                let mut n = seen;
                let mut date = d.date;
                if let Some(current) = current {
                    n += 1;
                    out.push(reversal_of(current, through, n));
                    summary.reversed += 1;
                }
                if seen > 0 {
                    date = through; // a correction shows in the period in which it was made
                }
                n += 1;
                let mut entry = d.entry;
                entry.date = date;
                out.push(Transaction {
                    id: 0,
                    key: format!("{}#{n}", d.subject),
                    agreement_ref: d.agreement_ref,
                    subject: d.subject,
                    reverses: None,
                    description: d.description,
                    entry,
                    lines: d.lines,
                });
                summary.posted += 1;
            }
        }
    }
    for t in orphans {
        // Only what is dated up to `through` is owned by this run.
        if t.entry.date <= through {
            let n = state.history.get(t.subject.as_str()).copied().unwrap_or(0) + 1;
            out.push(reversal_of(t, through, n));
            summary.reversed += 1;
        }
    }
    Ok((out, summary))
}

fn reversal_of(original: &Transaction, date: NaiveDate, n: usize) -> Transaction {
    Transaction {
        id: 0,
        key: format!("{}#{n}", original.subject),
        agreement_ref: original.agreement_ref.clone(),
        subject: original.subject.clone(),
        reverses: Some(original.id),
        description: format!("Correction: reverses {}", original.description),
        entry: Entry::reversal(&original.entry.postings, date),
        lines: Vec::new(),
    }
}

/// One reconcile at a time in a process (the daily run, an upload's, a write's): two at once would
/// plan from the same ledger and the second would collide with the first's postings.
static RUNNING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs reconciliation through `through` against the database.
pub async fn reconcile(
    db: &DatabaseConnection,
    through: NaiveDate,
    now: Instant,
) -> Result<ReconcileSummary, ReconcileError> {
    let _running = RUNNING.lock().await;
    let clock = std::time::Instant::now();
    let world = db::load_world(db).await?;
    tracing::debug!(elapsed = ?clock.elapsed(), "world loaded");
    let ledger = db::load_ledger(db).await?;
    tracing::debug!(elapsed = ?clock.elapsed(), "ledger loaded");
    let (postings, summary) = plan_postings(&world, &ledger, through)?;
    tracing::debug!(elapsed = ?clock.elapsed(), "postings planned");
    // Exceptions depend on the ledger as it will stand, so once the new transactions have their
    // ids they are found on another thread while the database writes them.
    let (found_tx, found_rx) = tokio::sync::oneshot::channel();
    db::append_numbered(db, postings, now, move |numbered| {
        let finding = tokio::task::spawn_blocking(move || {
            current_exceptions(&world, ledger.iter().chain(numbered.iter()), through)
        });
        let _ = found_tx.send(finding);
    })
    .await?;
    tracing::debug!(elapsed = ?clock.elapsed(), "postings appended");
    let finding = found_rx
        .await
        .map_err(|e| ReconcileError::Interrupted(e.to_string()))?;
    let exceptions = finding
        .await
        .map_err(|e| ReconcileError::Interrupted(e.to_string()))??;
    tracing::debug!(elapsed = ?clock.elapsed(), "exceptions found");
    db::sync_exceptions(db, &exceptions, now).await?;
    tracing::debug!(elapsed = ?clock.elapsed(), "exceptions stored");
    Ok(summary)
}
