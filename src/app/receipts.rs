//! `record_receipt`: money received, recorded through the API under exactly the rules of
//! `receipts.csv`. (The read side the API serves lives in `queries`.)
//!
//! A receipt is checked with the same parsers as the import (`Ref`, `parse_date`, `Payer`,
//! `Pence::parse_positive`) and the same rules (the agreement and stream exist; a person's receipt
//! is on a `net` agreement and credited to the primary stream), and is written with
//! `import::money_transactions` and `db::write_import`, so an imported receipt and a posted one are
//! indistinguishable in the books.
//!
//! Every write carries a client's idempotency key. The key, a fingerprint of the request and the
//! response given are stored in the same database transaction as the receipt: a retry with the same
//! request gets the stored response back and changes nothing; the same key with another request is
//! refused. Validation failures store nothing, so a corrected request may reuse its key.
use super::idempotent::{commit_with_reply, prior, Prior};
use super::import::{money_transactions, NewRows};
use crate::db::idempotency;
use crate::db::{self, DbError};
use crate::domain::access::{Action, Principal};
use crate::domain::calendar::{parse_date, Instant};
use crate::domain::ledger::{fund_balance, Account, Transaction};
use crate::domain::model::{ContributionMode, Payer, Receipt};
use crate::domain::money::Pence;
use crate::domain::refs::{IdempotencyKey, Ref};
use crate::domain::world::World;
use chrono::NaiveDate;
use sea_orm::{DatabaseConnection, TransactionTrait};

/// How many times a receipt is attempted when a concurrent writer took its key or ref first: the
/// second attempt sees the other writer's work and answers as a replay or a repeat.
const RECEIPT_ATTEMPTS_MAX: usize = 2;

/// A receipt as the client wrote it: text, not yet parsed. An empty value is an absent one, as in
/// a CSV cell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiptInput {
    pub receipt_ref: Option<String>,
    pub received_on: Option<String>,
    pub payer: Option<String>,
    pub agreement_ref: Option<String>,
    pub stream_ref: Option<String>,
    pub amount: Option<String>,
}

impl ReceiptInput {
    /// SHA-256 (hex) of the canonical form: each field in a fixed order, its value length-prefixed
    /// (absent and empty alike), so two requests share a fingerprint exactly when their fields are
    /// equal, whatever the order or spacing of the JSON they came in.
    pub fn fingerprint(&self) -> String {
        super::idempotent::fingerprint(
            "receipt/v1",
            [
                ("receipt_ref", &self.receipt_ref),
                ("received_on", &self.received_on),
                ("payer", &self.payer),
                ("agreement_ref", &self.agreement_ref),
                ("stream_ref", &self.stream_ref),
                ("amount", &self.amount),
            ]
            .map(|(name, value)| (name, value.as_deref().unwrap_or_default())),
        )
    }
}

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub reason: String,
}

impl FieldProblem {
    pub fn new(field: &str, reason: impl Into<String>) -> FieldProblem {
        FieldProblem {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Why a receipt was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("the receipt has {} problem(s)", .0.len())]
    Invalid(Vec<FieldProblem>),
    #[error("receipt {receipt_ref} is already held with other content ({differences}): a change is a new ref or a reversal, never an edit")]
    ConflictingReceipt {
        receipt_ref: String,
        differences: String,
    },
    #[error(
        "this idempotency key was used for a different request; use a new key for a new request"
    )]
    KeyReused,
    #[error("your role ({0}) may not record money")]
    Forbidden(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A receipt as held, with its fund's balance afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedReceipt {
    pub receipt: Receipt,
    /// True when this request added the receipt; false when the same receipt was already held.
    pub created: bool,
    /// The fund's balance at the end of `as_of`, counting transactions dated up to then.
    pub balance: Pence,
    pub as_of: NaiveDate,
}

/// The response given to a receipt request: its status and body, as the caller rendered them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// Whether a reply is new or the stored answer to an earlier request with the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptReply {
    Fresh(Reply),
    Replayed(Reply),
}

impl ReceiptReply {
    /// The reply, and whether it repeats the one stored for the key.
    pub fn into_parts(self) -> (Reply, bool) {
        match self {
            ReceiptReply::Fresh(reply) => (reply, false),
            ReceiptReply::Replayed(reply) => (reply, true),
        }
    }
}

/// Parses and checks a receipt against what is held, with the rules of `receipts.csv`.
pub fn check_receipt(world: &World, input: &ReceiptInput) -> Result<Receipt, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let receipt_ref = required(&mut problems, "receipt_ref", &input.receipt_ref, parse_ref);
    let received_on = required(&mut problems, "received_on", &input.received_on, |t| {
        parse_date(t).map_err(|e| e.to_string())
    });
    let payer = required(&mut problems, "payer", &input.payer, |t| {
        Payer::parse(t).ok_or_else(|| format!("{t:?} is not one of {}", Payer::WORDS.join(", ")))
    });
    let agreement_ref = required(
        &mut problems,
        "agreement_ref",
        &input.agreement_ref,
        parse_ref,
    );
    let stream_ref = match payer {
        Some(Payer::Person) => optional(&mut problems, "stream_ref", &input.stream_ref, parse_ref),
        _ => required(&mut problems, "stream_ref", &input.stream_ref, parse_ref),
    };
    let amount = required(&mut problems, "amount", &input.amount, |t| {
        Pence::parse_positive(t).map_err(|e| e.to_string())
    });
    let agreement = agreement_ref.as_deref().and_then(|a| {
        let found = world.agreements.get(a);
        if found.is_none() {
            problems.push(FieldProblem::new(
                "agreement_ref",
                format!("no agreement {a}"),
            ));
        }
        found
    });
    if let (Some(a), Some(s)) = (agreement, &stream_ref) {
        if world.stream(&a.agreement_ref, s).is_none() {
            problems.push(FieldProblem::new(
                "stream_ref",
                format!("agreement {} has no stream {s}", a.agreement_ref),
            ));
        }
    }
    let mut resolved_stream = stream_ref.clone();
    if let (Some(a), Some(Payer::Person)) = (agreement, payer) {
        let primary = world
            .primary_stream(&a.agreement_ref)
            .map(|s| s.stream_ref.clone());
        if a.contribution_mode != ContributionMode::Net {
            problems.push(FieldProblem::new(
                "payer",
                format!(
                    "agreement {} is {}: the person pays no contribution to the provider",
                    a.agreement_ref, a.contribution_mode
                ),
            ));
        } else if stream_ref.is_some() && stream_ref != primary {
            problems.push(FieldProblem::new(
                "stream_ref",
                format!(
                    "a person's receipt is credited to the primary stream {}",
                    primary.clone().unwrap_or_default()
                ),
            ));
        }
        resolved_stream = primary;
    }
    match (
        receipt_ref,
        received_on,
        payer,
        agreement_ref,
        resolved_stream,
        amount,
    ) {
        (
            Some(receipt_ref),
            Some(received_on),
            Some(payer),
            Some(agreement_ref),
            Some(stream_ref),
            Some(amount),
        ) if problems.is_empty() => Ok(Receipt {
            receipt_ref,
            received_on,
            payer,
            agreement_ref,
            stream_ref,
            amount,
        }),
        _ => Err(problems),
    }
}

fn parse_ref(text: &str) -> Result<String, String> {
    Ref::parse(text)
        .map(|r| r.as_str().to_owned())
        .map_err(|e| e.to_string())
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

fn required<T>(
    problems: &mut Vec<FieldProblem>,
    field: &str,
    value: &Option<String>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    match present(value) {
        None => {
            problems.push(FieldProblem::new(field, "is required"));
            None
        }
        Some(text) => parse_field(problems, field, text, parse),
    }
}

fn optional<T>(
    problems: &mut Vec<FieldProblem>,
    field: &str,
    value: &Option<String>,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    present(value).and_then(|text| parse_field(problems, field, text, parse))
}

fn parse_field<T>(
    problems: &mut Vec<FieldProblem>,
    field: &str,
    text: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    match parse(text) {
        Ok(v) => Some(v),
        Err(reason) => {
            problems.push(FieldProblem::new(field, reason));
            None
        }
    }
}

/// The fields in which two receipts with the same ref differ.
fn receipt_differences(held: &Receipt, asked: &Receipt) -> String {
    let mut out = Vec::new();
    let mut compare = |field: &str, old: String, new: String| {
        if old != new {
            out.push(format!("{field} was {old}, now {new}"));
        }
    };
    compare(
        "received_on",
        held.received_on.to_string(),
        asked.received_on.to_string(),
    );
    compare("payer", held.payer.to_string(), asked.payer.to_string());
    compare(
        "agreement_ref",
        held.agreement_ref.clone(),
        asked.agreement_ref.clone(),
    );
    compare(
        "stream_ref",
        held.stream_ref.clone(),
        asked.stream_ref.clone(),
    );
    compare("amount", held.amount.to_string(), asked.amount.to_string());
    out.join("; ")
}

/// The balance of one fund at the end of `as_of`.
pub fn fund_balance_on(ledger: &[Transaction], fund: &Account, as_of: NaiveDate) -> Pence {
    fund_balance(
        ledger
            .iter()
            .filter(|t| t.entry.date <= as_of)
            .flat_map(|t| t.entry.postings.iter()),
        fund,
    )
}

/// Records a receipt under an idempotency key. `render` turns the outcome into the reply the
/// client gets; that reply is stored with the key in the same database transaction, and a later
/// request with the same key and the same fields gets it back unchanged.
pub async fn record_receipt(
    db: &DatabaseConnection,
    viewer: &Principal,
    key: &IdempotencyKey,
    input: &ReceiptInput,
    today: NaiveDate,
    now: Instant,
    render: impl Fn(&RecordedReceipt) -> Reply,
) -> Result<ReceiptReply, ReceiptError> {
    if viewer.may(Action::RecordMoney).is_err() {
        return Err(ReceiptError::Forbidden(viewer.role.word().to_owned()));
    }
    let key = &key.owned_by(&viewer.username);
    let mut attempt = 1;
    loop {
        match record_receipt_once(db, viewer, key, input, today, now, &render).await {
            Err(ReceiptError::Db(e))
                if attempt < RECEIPT_ATTEMPTS_MAX && idempotency::is_unique_violation(&e) =>
            {
                tracing::info!("a concurrent request took the same key or receipt; retrying");
                attempt += 1;
            }
            other => return other,
        }
    }
}

async fn record_receipt_once(
    db: &DatabaseConnection,
    viewer: &Principal,
    key: &IdempotencyKey,
    input: &ReceiptInput,
    today: NaiveDate,
    now: Instant,
    render: &impl Fn(&RecordedReceipt) -> Reply,
) -> Result<ReceiptReply, ReceiptError> {
    let request_hash = input.fingerprint();
    // Everything below reads and writes through one transaction, so the key and the receipt are
    // stored together or not at all (and SQLite's single connection is never asked for twice).
    let txn = db.begin().await.map_err(DbError::from)?;
    match prior(&txn, key, &request_hash).await? {
        Prior::Unused => {}
        Prior::Replay(reply) => return Ok(ReceiptReply::Replayed(reply)),
        Prior::OtherRequest => return Err(ReceiptError::KeyReused),
    }
    // Only what this receipt is checked against: its agreement with its streams, and any receipt
    // already held under its ref (a receipt never needs the rest of the provider's records).
    let agreement_ref = input.agreement_ref.as_deref().unwrap_or_default();
    let world = db::load_agreement_world(&txn, agreement_ref).await?;
    let receipt = check_receipt(&world, input).map_err(ReceiptError::Invalid)?;
    let held = db::find_receipt(&txn, &receipt.receipt_ref).await?;
    let created = match held.as_ref() {
        None => {
            let new = NewRows {
                receipts: vec![receipt.clone()],
                ..NewRows::default()
            };
            db::write_import(&txn, &new, money_transactions(&new), now).await?;
            db::accounts::append_audit(
                &txn,
                now,
                &viewer.username,
                "receipt.recorded",
                &format!("receipt:{}", receipt.receipt_ref),
                &format!(
                    "{} from {} to {}/{}",
                    receipt.amount, receipt.payer, receipt.agreement_ref, receipt.stream_ref
                ),
            )
            .await?;
            true
        }
        Some(held) if *held == receipt => false,
        Some(held) => {
            return Err(ReceiptError::ConflictingReceipt {
                receipt_ref: receipt.receipt_ref.clone(),
                differences: receipt_differences(held, &receipt),
            })
        }
    };
    let balances = db::fund_balances(&txn, &receipt.agreement_ref, today).await?;
    let recorded = RecordedReceipt {
        balance: balances
            .get(&receipt.stream_ref)
            .copied()
            .unwrap_or(Pence::ZERO),
        as_of: today,
        created,
        receipt,
    };
    let reply = render(&recorded);
    commit_with_reply(txn, key, request_hash, &reply, now).await?;
    Ok(ReceiptReply::Fresh(reply))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{Agreement, Fee, Stream};

    fn world() -> World {
        let mut w = World::default();
        for (a, mode) in [
            ("AG-NET", ContributionMode::Net),
            ("AG-GROSS", ContributionMode::Gross),
        ] {
            w.agreements.insert(
                a.to_owned(),
                Agreement {
                    agreement_ref: a.to_owned(),
                    person_ref: "P-1".to_owned(),
                    start_date: "2026-03-02".parse().unwrap(),
                    end_date: None,
                    contribution_mode: mode,
                    weekly_contribution: Pence::new(3500),
                    fee: Fee::Fixed(Pence::new(1500)),
                    flex_window_weeks: 4,
                },
            );
            for (s, primary) in [("ASC", true), ("CHC", false)] {
                w.streams.insert(
                    (a.to_owned(), s.to_owned()),
                    Stream {
                        agreement_ref: a.to_owned(),
                        stream_ref: s.to_owned(),
                        commissioner_ref: "NCC".to_owned(),
                        weekly_amount: Pence::new(42000),
                        primary,
                    },
                );
            }
        }
        w
    }

    fn input(payer: &str, agreement: &str, stream: &str, amount: &str) -> ReceiptInput {
        let some = |s: &str| Some(s.to_owned());
        ReceiptInput {
            receipt_ref: some("R-1"),
            received_on: some("2026-03-30"),
            payer: some(payer),
            agreement_ref: some(agreement),
            stream_ref: some(stream),
            amount: some(amount),
        }
    }

    fn fields(result: Result<Receipt, Vec<FieldProblem>>) -> Vec<String> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.field)
            .collect()
    }

    #[test]
    fn receipts_follow_the_rules_of_the_import() {
        let w = world();
        let cases: [(&str, ReceiptInput, &[&str]); 9] = [
            (
                "a commissioner's receipt",
                input("commissioner", "AG-NET", "CHC", "1540.00"),
                &[],
            ),
            (
                "three decimals",
                input("commissioner", "AG-NET", "ASC", "35.005"),
                &["amount"],
            ),
            (
                "zero",
                input("commissioner", "AG-NET", "ASC", "0.00"),
                &["amount"],
            ),
            (
                "unknown agreement",
                input("commissioner", "AG-NONE", "ASC", "1.00"),
                &["agreement_ref"],
            ),
            (
                "unknown stream",
                input("commissioner", "AG-NET", "XYZ", "1.00"),
                &["stream_ref"],
            ),
            (
                "a commissioner's receipt needs its stream",
                input("commissioner", "AG-NET", "", "1.00"),
                &["stream_ref"],
            ),
            (
                "a person's receipt on a gross agreement",
                input("person", "AG-GROSS", "", "35.00"),
                &["payer"],
            ),
            (
                "a person's receipt on another stream than the primary",
                input("person", "AG-NET", "CHC", "35.00"),
                &["stream_ref"],
            ),
            (
                "a bad payer and a bad ref",
                input("council", "AG NET", "ASC", "1.00"),
                &["payer", "agreement_ref"],
            ),
        ];
        for (name, input, expected) in cases {
            assert_eq!(fields(check_receipt(&w, &input)), expected, "case {name}");
        }
    }

    #[test]
    fn a_persons_receipt_is_credited_to_the_primary_stream() {
        let r = check_receipt(&world(), &input("person", "AG-NET", "", "35.00")).unwrap();
        assert_eq!(r.stream_ref, "ASC");
        assert_eq!(r.amount, Pence::new(3500));
    }

    #[test]
    fn fingerprints_differ_exactly_when_fields_differ() {
        let a = input("commissioner", "AG-NET", "ASC", "1.00");
        let mut b = a.clone();
        assert_eq!(a.fingerprint(), b.fingerprint());
        b.amount = Some("1.0".to_owned());
        assert_ne!(a.fingerprint(), b.fingerprint());
        // Moving characters between fields changes the fingerprint.
        let mut c = a.clone();
        c.agreement_ref = Some("AG-NETA".to_owned());
        c.stream_ref = Some("SC".to_owned());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }
}
