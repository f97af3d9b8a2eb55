//! `reverse`: a correction to money entered by people (a receipt, a purchase, a repayment). The
//! ledger is append-only, so a correction is a reversal: a new transaction, dated the day it is
//! made, that names the transaction it reverses and says why. The money is then entered again
//! correctly under a new ref.
//!
//! Visit costs and fees are not reversed by hand: reconciliation owns them, and it reverses and
//! reposts them itself when the visit, attendance or agreement behind them is corrected.
use super::idempotent::{commit_with_reply, fingerprint, prior, Prior};
use super::receipts::{FieldProblem, ReceiptReply, Reply};
use crate::db::{self, DbError};
use crate::domain::access::{Action, Principal};
use crate::domain::calendar::Instant;
use crate::domain::ledger::{Entry, Transaction, TransactionKind};
use crate::domain::refs::{IdempotencyKey, Ref};
use chrono::NaiveDate;
use sea_orm::{DatabaseConnection, TransactionTrait};

/// The longest reason a correction may give.
pub const REASON_CHARS_MAX: usize = 500;

/// The kinds of transaction a person may reverse, as they are named in `reverses`.
const REVERSIBLE: [&str; 3] = ["receipt", "purchase", "repayment"];

/// A correction as the client wrote it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReversalInput {
    /// What is reversed: `purchase:PU-001`, `receipt:R-101` or `repayment:RP-3`.
    pub reverses: Option<String>,
    pub reason: Option<String>,
}

impl ReversalInput {
    fn fingerprint(&self) -> String {
        fingerprint(
            "reversal/v1",
            [
                ("reverses", self.reverses.as_deref().unwrap_or_default()),
                ("reason", self.reason.as_deref().unwrap_or_default()),
            ],
        )
    }
}

/// Why a correction was not made.
#[derive(Debug, thiserror::Error)]
pub enum ReversalError {
    #[error("the correction has {} problem(s)", .0.len())]
    Invalid(Vec<FieldProblem>),
    #[error("{0} was already reversed on {1}: a transaction is reversed once")]
    AlreadyReversed(String, NaiveDate),
    #[error(
        "this idempotency key was used for a different request; use a new key for a new request"
    )]
    KeyReused,
    #[error("your role ({0}) may not correct money")]
    Forbidden(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A correction made: the reversal and the transaction it reverses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reversal {
    pub reversal: Transaction,
    pub original: Transaction,
    pub reason: String,
}

/// Checks the text of a correction: what it reverses (`kind:ref`) and a reason.
pub fn check_reversal(input: &ReversalInput) -> Result<(String, String), Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let subject = match input.reverses.as_deref().filter(|t| !t.is_empty()) {
        None => {
            problems.push(FieldProblem::new("reverses", "is required"));
            None
        }
        Some(text) => {
            let parsed = text
                .split_once(':')
                .filter(|(kind, _)| REVERSIBLE.contains(kind))
                .and_then(|(kind, r)| Ref::parse(r).ok().map(|r| format!("{kind}:{}", r.as_str())));
            if parsed.is_none() {
                problems.push(FieldProblem::new(
                    "reverses",
                    format!(
                        "{text:?} does not name a receipt, purchase or repayment as kind:ref \
                         (for example purchase:PU-001); visit costs and fees are corrected by \
                         correcting the visit, attendance or agreement behind them"
                    ),
                ));
            }
            parsed
        }
    };
    let reason = input.reason.as_deref().map(str::trim).unwrap_or_default();
    if reason.is_empty() {
        problems.push(FieldProblem::new(
            "reason",
            "is required: say why the money is corrected",
        ));
    } else if reason.chars().count() > REASON_CHARS_MAX {
        problems.push(FieldProblem::new(
            "reason",
            format!("is longer than {REASON_CHARS_MAX} characters"),
        ));
    }
    match subject {
        Some(subject) if problems.is_empty() => Ok((subject, reason.to_owned())),
        _ => Err(problems),
    }
}

/// The correction of `original` made on `today`: equal and opposite postings, naming it and why.
pub fn reversal_of(
    original: &Transaction,
    history: usize,
    reason: &str,
    today: NaiveDate,
) -> Transaction {
    Transaction {
        id: 0,
        key: format!("{}#{}", original.subject, history + 1),
        agreement_ref: original.agreement_ref.clone(),
        subject: original.subject.clone(),
        reverses: Some(original.id),
        description: format!("Correction: reverses {} ({reason})", original.description),
        entry: Entry::reversal(&original.entry.postings, today),
        lines: Vec::new(),
    }
}

/// Reverses a receipt, purchase or repayment under an idempotency key.
pub async fn reverse(
    db: &DatabaseConnection,
    viewer: &Principal,
    key: &IdempotencyKey,
    input: &ReversalInput,
    today: NaiveDate,
    now: Instant,
    render: impl Fn(&Reversal) -> Reply,
) -> Result<ReceiptReply, ReversalError> {
    if viewer.may(Action::RecordMoney).is_err() {
        return Err(ReversalError::Forbidden(viewer.role.word().to_owned()));
    }
    let key = &key.owned_by(&viewer.username);
    let request_hash = input.fingerprint();
    let txn = db.begin().await.map_err(DbError::from)?;
    match prior(&txn, key, &request_hash).await? {
        Prior::Unused => {}
        Prior::Replay(reply) => return Ok(ReceiptReply::Replayed(reply)),
        Prior::OtherRequest => return Err(ReversalError::KeyReused),
    }
    let (subject, reason) = check_reversal(input).map_err(ReversalError::Invalid)?;
    let history = db::ledger_of_subject(&txn, &subject).await?;
    let Some(original) = history
        .iter()
        .find(|t| t.entry.kind != TransactionKind::Reversal)
        .cloned()
    else {
        return Err(ReversalError::Invalid(vec![FieldProblem::new(
            "reverses",
            format!("no transaction for {subject}"),
        )]));
    };
    if let Some(done) = history.iter().find(|t| t.reverses == Some(original.id)) {
        return Err(ReversalError::AlreadyReversed(subject, done.entry.date));
    }
    let posted = db::append_transactions_in(
        &txn,
        vec![reversal_of(&original, history.len(), &reason, today)],
        now,
    )
    .await?;
    db::accounts::append_audit(
        &txn,
        now,
        &viewer.username,
        "transaction.reversed",
        &subject,
        &reason,
    )
    .await?;
    let reversal = posted
        .into_iter()
        .next()
        .ok_or_else(|| DbError::Corrupt("the reversal was not appended".to_owned()))?;
    let reply = render(&Reversal {
        reversal,
        original,
        reason,
    });
    commit_with_reply(txn, key, request_hash, &reply, now).await?;
    Ok(ReceiptReply::Fresh(reply))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(reverses: &str, reason: &str) -> ReversalInput {
        ReversalInput {
            reverses: Some(reverses.to_owned()),
            reason: Some(reason.to_owned()),
        }
    }

    #[test]
    fn a_correction_names_money_entered_by_people_and_says_why() {
        assert_eq!(
            check_reversal(&input("purchase:PU-001", " paid from the wrong fund ")),
            Ok((
                "purchase:PU-001".to_owned(),
                "paid from the wrong fund".to_owned()
            ))
        );
        for (reverses, reason, field) in [
            ("visit:V-1", "wrong", "reverses"),
            ("fee:AG-1:ASC:2026-03-02", "wrong", "reverses"),
            ("purchase", "wrong", "reverses"),
            ("purchase:bad ref!", "wrong", "reverses"),
            ("receipt:R-1", "   ", "reason"),
        ] {
            let problems = check_reversal(&input(reverses, reason)).unwrap_err();
            assert_eq!(problems[0].field, field, "{reverses} / {reason:?}");
        }
        let long = "x".repeat(REASON_CHARS_MAX + 1);
        assert_eq!(
            check_reversal(&input("receipt:R-1", &long)).unwrap_err()[0].field,
            "reason"
        );
    }

    #[test]
    fn a_reversal_is_equal_and_opposite_and_names_the_original() {
        use crate::domain::ledger::Account;
        use crate::domain::money::Pence;
        let date: NaiveDate = "2026-03-10".parse().unwrap();
        let original = Transaction {
            id: 41,
            key: "purchase:PU-1".to_owned(),
            agreement_ref: "AG-1".to_owned(),
            subject: "purchase:PU-1".to_owned(),
            reverses: None,
            description: "Swim pass".to_owned(),
            entry: Entry::spend(
                TransactionKind::Purchase,
                date,
                Account::fund("AG-1", "ASC"),
                Account::ClientBank,
                Pence::new(1250),
            ),
            lines: Vec::new(),
        };
        let today: NaiveDate = "2026-04-02".parse().unwrap();
        let r = reversal_of(&original, 1, "wrong fund", today);
        assert_eq!(r.reverses, Some(41));
        assert_eq!(r.key, "purchase:PU-1#2");
        assert_eq!(r.entry.date, today);
        assert_eq!(r.entry.kind, TransactionKind::Reversal);
        assert!(r.entry.sum().is_zero());
        for (a, b) in original.entry.postings.iter().zip(&r.entry.postings) {
            assert_eq!(a.account, b.account);
            assert_eq!(a.amount, -b.amount);
        }
        assert!(r.description.contains("Swim pass") && r.description.contains("wrong fund"));
    }
}
