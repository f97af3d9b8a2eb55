//! Reading the ledger as it stands: council returns, statements and the audit journal.
use super::costing::{cost_visits, CostedVisit, CostingError};
use crate::domain::agreement_money::{
    age_window_excludes, contributions_outstanding, surplus, SurplusFacts,
};
use crate::domain::billing::{Charge, ExceptionKind};
use crate::domain::calendar::{local_date, local_hhmm};
use crate::domain::ledger::{Account, Transaction, TransactionKind};
use crate::domain::model::{Payer, Stream};
use crate::domain::money::{format_2dp, Pence};
use crate::domain::world::HashMap;
use crate::domain::world::World;
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("no commissioner {0}")]
    UnknownCommissioner(String),
    #[error("no agreement {0}")]
    UnknownAgreement(String),
    #[error("the period ends ({to}) before it starts ({from})")]
    BackwardsPeriod { from: NaiveDate, to: NaiveDate },
    #[error("internal error, please report it: {0}")]
    InvariantBroken(String),
    #[error(transparent)]
    Costing(#[from] CostingError),
}

/// The money of one fund over a period, from its postings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FundMovements {
    pub opening: Pence,
    pub commissioner_receipts: Pence,
    pub person_receipts: Pence,
    pub services: Pence,
    pub purchases: Pence,
    pub fees: Pence,
    pub repayments: Pence,
    /// Signed: a credit to the fund is positive.
    pub reversals: Pence,
    pub closing: Pence,
}

impl FundMovements {
    /// opening + receipts − services − purchases − fees − repayments + reversals = closing.
    pub fn balances(&self) -> bool {
        self.opening + self.commissioner_receipts + self.person_receipts
            - self.services
            - self.purchases
            - self.fees
            - self.repayments
            + self.reversals
            == self.closing
    }
}

fn receipt_payer(world: &World, t: &Transaction) -> Payer {
    t.subject
        .strip_prefix("receipt:")
        .and_then(|r| world.receipts.get(r))
        .map_or(Payer::Commissioner, |r| r.payer)
}

/// A fund's movements from `from` to `to`.
pub fn fund_movements(
    world: &World,
    ledger: &[&Transaction],
    fund: &Account,
    from: NaiveDate,
    to: NaiveDate,
) -> FundMovements {
    let mut m = FundMovements::default();
    for t in ledger {
        let effect = t.entry.fund_effect(fund);
        if effect.is_zero() && !t.entry.postings.iter().any(|p| &p.account == fund) {
            continue;
        }
        if t.entry.date < from {
            m.opening += effect;
        }
        if t.entry.date <= to {
            m.closing += effect;
        }
        if t.entry.date < from || t.entry.date > to {
            continue;
        }
        match t.entry.kind {
            TransactionKind::Receipt => match receipt_payer(world, t) {
                Payer::Commissioner => m.commissioner_receipts += effect,
                Payer::Person => m.person_receipts += effect,
            },
            TransactionKind::Service => m.services -= effect,
            TransactionKind::Purchase => m.purchases -= effect,
            TransactionKind::Fee => m.fees -= effect,
            TransactionKind::Repayment => m.repayments -= effect,
            TransactionKind::Reversal => m.reversals += effect,
        }
    }
    m
}

/// One row of a council return (FORMATS.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnRow {
    pub commissioner_ref: String,
    pub council_person_ref: String,
    pub person_ref: String,
    pub agreement_ref: String,
    pub stream_ref: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub weekly_amount: Pence,
    pub planned_hours: Decimal,
    pub delivered_hours: Decimal,
    pub money: FundMovements,
    pub earmarked: Pence,
    pub returnable_surplus: Pence,
    pub contributions_outstanding: Pence,
    pub visits_delivered: i64,
    pub visits_missed: i64,
    pub visits_late: i64,
    pub cancellations_charged: i64,
    pub exceptions_open: i64,
}

pub const RETURN_COLUMNS: [&str; 27] = [
    "commissioner_ref",
    "council_person_ref",
    "person_ref",
    "agreement_ref",
    "stream_ref",
    "period_start",
    "period_end",
    "weekly_amount",
    "planned_hours",
    "delivered_hours",
    "opening_balance",
    "commissioner_receipts",
    "person_receipts",
    "services",
    "purchases",
    "fees",
    "repayments",
    "reversals",
    "closing_balance",
    "earmarked",
    "returnable_surplus",
    "contributions_outstanding",
    "visits_delivered",
    "visits_missed",
    "visits_late",
    "cancellations_charged",
    "exceptions_open",
];

impl ReturnRow {
    /// The row as the cells of the CSV, money and hours with exactly 2 decimals.
    pub fn cells(&self) -> Vec<String> {
        let m = &self.money;
        vec![
            self.commissioner_ref.clone(),
            self.council_person_ref.clone(),
            self.person_ref.clone(),
            self.agreement_ref.clone(),
            self.stream_ref.clone(),
            self.period_start.to_string(),
            self.period_end.to_string(),
            self.weekly_amount.to_string(),
            format_2dp(self.planned_hours),
            format_2dp(self.delivered_hours),
            m.opening.to_string(),
            m.commissioner_receipts.to_string(),
            m.person_receipts.to_string(),
            m.services.to_string(),
            m.purchases.to_string(),
            m.fees.to_string(),
            m.repayments.to_string(),
            m.reversals.to_string(),
            m.closing.to_string(),
            self.earmarked.to_string(),
            self.returnable_surplus.to_string(),
            self.contributions_outstanding.to_string(),
            self.visits_delivered.to_string(),
            self.visits_missed.to_string(),
            self.visits_late.to_string(),
            self.cancellations_charged.to_string(),
            self.exceptions_open.to_string(),
        ]
    }
}

/// Column totals of a return from `weekly_amount` on: money and hours with 2 decimals, counts whole.
pub fn return_totals(rows: &[ReturnRow]) -> Vec<String> {
    let mut money = [Pence::ZERO; 13];
    let mut hours = [Decimal::ZERO; 2];
    let mut counts = [0i64; 5];
    for r in rows {
        let m = &r.money;
        let amounts = [
            r.weekly_amount,
            m.opening,
            m.commissioner_receipts,
            m.person_receipts,
            m.services,
            m.purchases,
            m.fees,
            m.repayments,
            m.reversals,
            m.closing,
            r.earmarked,
            r.returnable_surplus,
            r.contributions_outstanding,
        ];
        for (total, a) in money.iter_mut().zip(amounts) {
            *total += a;
        }
        hours[0] += r
            .planned_hours
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        hours[1] += r
            .delivered_hours
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        for (total, c) in counts.iter_mut().zip([
            r.visits_delivered,
            r.visits_missed,
            r.visits_late,
            r.cancellations_charged,
            r.exceptions_open,
        ]) {
            *total += c;
        }
    }
    let mut out = vec![
        money[0].to_string(),
        format_2dp(hours[0]),
        format_2dp(hours[1]),
    ];
    out.extend(money[1..].iter().map(|p| p.to_string()));
    out.extend(counts.iter().map(|c| c.to_string()));
    out
}

/// The ledger's transactions grouped by agreement, each group in ledger order.
pub fn ledger_by_agreement<'l>(
    ledger: impl IntoIterator<Item = &'l Transaction>,
) -> HashMap<&'l str, Vec<&'l Transaction>> {
    let mut out: HashMap<&str, Vec<&Transaction>> = HashMap::default();
    for t in ledger {
        out.entry(t.agreement_ref.as_str()).or_default().push(t);
    }
    out
}

/// Surplus inputs of a stream at the end of `date`.
pub fn stream_surplus(
    world: &World,
    ledger: &[&Transaction],
    stream: &Stream,
    balance: Pence,
    date: NaiveDate,
) -> (Pence, Pence) {
    let fund = Account::fund(&stream.agreement_ref, &stream.stream_ref);
    let earmarked: Pence = world
        .earmarks
        .values()
        .filter(|e| {
            e.agreement_ref == stream.agreement_ref
                && e.stream_ref == stream.stream_ref
                && e.in_force_on(date)
        })
        .map(|e| e.amount)
        .sum();
    let terms = world
        .commissioner_of(stream)
        .map(|c| c.terms.clone())
        .unwrap_or_default();
    let window_start = age_window_excludes(date, terms.surplus_age_weeks);
    let recent_credits: Pence = ledger
        .iter()
        .filter(|t| t.entry.date > window_start && t.entry.date <= date)
        .filter(|t| {
            matches!(
                t.entry.kind,
                TransactionKind::Receipt | TransactionKind::Reversal
            )
        })
        .map(|t| t.entry.fund_effect(&fund))
        .filter(|e| *e > Pence::ZERO)
        .sum();
    let s = surplus(&SurplusFacts {
        balance,
        earmarked,
        weekly_amount: stream.weekly_amount,
        cap_weeks: terms.surplus_cap_weeks,
        recent_credits,
    });
    (earmarked, s.returnable)
}

/// The person's receipts on the agreement dated on or before `date`.
/// The person's receipts among one agreement's transactions, dated on or before `date`.
fn person_receipts_to(world: &World, mine: &[&Transaction], date: NaiveDate) -> Pence {
    mine.iter()
        .filter(|t| t.entry.kind == TransactionKind::Receipt && t.entry.date <= date)
        .filter(|t| receipt_payer(world, t) == Payer::Person)
        .map(|t| {
            t.entry
                .postings
                .iter()
                .filter(|p| p.amount > Pence::ZERO)
                .map(|p| p.amount)
                .sum::<Pence>()
        })
        .sum()
}

/// The council return of `commissioner_ref` for `from`–`to`, rows sorted by agreement then stream.
pub fn council_return(
    world: &World,
    ledger: &[Transaction],
    commissioner_ref: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ReturnRow>, ReportError> {
    let costed = cost_visits(world, Some(to))?;
    council_return_with(world, ledger, &costed, commissioner_ref, from, to)
}

/// The council return from visits already costed up to `to` (so that a month-end run costs them
/// once for every commissioner).
pub fn council_return_with(
    world: &World,
    ledger: &[Transaction],
    costed: &[CostedVisit],
    commissioner_ref: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ReturnRow>, ReportError> {
    if !world.commissioners.contains_key(commissioner_ref) {
        return Err(ReportError::UnknownCommissioner(
            commissioner_ref.to_owned(),
        ));
    }
    if to < from {
        return Err(ReportError::BackwardsPeriod { from, to });
    }
    let mut by_stream: HashMap<(&str, &str), Vec<&CostedVisit>> = HashMap::default();
    for c in costed {
        if c.date >= from && c.date <= to {
            by_stream
                .entry((
                    c.visit.agreement_ref.as_str(),
                    c.outcome.stream_ref.as_str(),
                ))
                .or_default()
                .push(c);
        }
    }
    let mut unplanned: HashMap<&str, i64> = HashMap::default();
    for a in world.attendances.values().filter(|a| a.visit_ref.is_none()) {
        let date = local_date(a.check_in);
        if date >= from && date <= to {
            if let Some(agreement) = world.live_agreement_of(&a.person_ref, date) {
                *unplanned
                    .entry(agreement.agreement_ref.as_str())
                    .or_default() += 1;
            }
        }
    }
    let mut has_transaction: std::collections::HashSet<(&str, &str)> =
        std::collections::HashSet::new();
    for t in ledger
        .iter()
        .filter(|t| t.entry.date >= from && t.entry.date <= to)
    {
        for p in &t.entry.postings {
            if let Account::Fund {
                agreement_ref,
                stream_ref,
            } = &p.account
            {
                has_transaction.insert((agreement_ref.as_str(), stream_ref.as_str()));
            }
        }
    }
    let by_agreement = ledger_by_agreement(ledger);
    let mut rows = Vec::new();
    for stream in world
        .streams
        .values()
        .filter(|s| s.commissioner_ref == commissioner_ref)
    {
        let Some(agreement) = world.agreements.get(&stream.agreement_ref) else {
            continue;
        };
        let key = (stream.agreement_ref.as_str(), stream.stream_ref.as_str());
        if !agreement.overlaps(from, to) && !has_transaction.contains(&key) {
            continue;
        }
        let person = world.people.get(&agreement.person_ref);
        let fund = Account::fund(&stream.agreement_ref, &stream.stream_ref);
        let mine = by_agreement
            .get(stream.agreement_ref.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let money = fund_movements(world, mine, &fund, from, to);
        if !money.balances() {
            return Err(ReportError::InvariantBroken(format!(
                "{}/{} does not balance: {money:?}",
                stream.agreement_ref, stream.stream_ref
            )));
        }
        let planned_hours = if agreement.overlaps(from, to) {
            let first = from.max(agreement.start_date);
            let last = agreement.end_date.map_or(to, |e| e.min(to));
            world.plan(&agreement.agreement_ref).planned_hours(
                first,
                last,
                Some(&stream.stream_ref),
            )
        } else {
            Decimal::ZERO
        };
        let visits = by_stream.get(&key).map(Vec::as_slice).unwrap_or(&[]);
        let delivered_minutes: i64 = visits.iter().map(|c| c.costing.delivered_minutes).sum();
        let count = |kind: ExceptionKind| {
            visits
                .iter()
                .filter(|c| c.costing.exceptions.contains(&kind))
                .count() as i64
        };
        let mut exceptions_open: i64 = visits
            .iter()
            .map(|c| c.costing.exceptions.len() as i64)
            .sum();
        let contributions = if stream.primary {
            exceptions_open += unplanned
                .get(stream.agreement_ref.as_str())
                .copied()
                .unwrap_or(0);
            contributions_outstanding(agreement, person_receipts_to(world, mine, to), to)
        } else {
            Pence::ZERO
        };
        let (earmarked, returnable_surplus) =
            stream_surplus(world, mine, stream, money.closing, to);
        rows.push(ReturnRow {
            commissioner_ref: commissioner_ref.to_owned(),
            council_person_ref: person
                .and_then(|p| p.council_person_ref.clone())
                .unwrap_or_default(),
            person_ref: agreement.person_ref.clone(),
            agreement_ref: stream.agreement_ref.clone(),
            stream_ref: stream.stream_ref.clone(),
            period_start: from,
            period_end: to,
            weekly_amount: stream.weekly_amount,
            planned_hours,
            delivered_hours: Decimal::from(delivered_minutes) / Decimal::from(60),
            money,
            earmarked,
            returnable_surplus,
            contributions_outstanding: contributions,
            visits_delivered: visits.iter().filter(|c| c.costing.delivered).count() as i64,
            visits_missed: count(ExceptionKind::Missed),
            visits_late: count(ExceptionKind::Late),
            cancellations_charged: visits
                .iter()
                .filter(|c| c.costing.charged_cancellation)
                .count() as i64,
            exceptions_open,
        });
    }
    rows.sort_by(|a, b| {
        (a.agreement_ref.as_bytes(), a.stream_ref.as_bytes())
            .cmp(&(b.agreement_ref.as_bytes(), b.stream_ref.as_bytes()))
    });
    Ok(rows)
}

/// One line of a statement (FORMATS.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    pub date: NaiveDate,
    pub kind: &'static str,
    pub stream_ref: String,
    pub outcome_ref: String,
    pub description: String,
    pub planned_minutes: Option<i64>,
    pub billable_minutes: Option<i64>,
    pub rate: Option<Pence>,
    pub money_in: Option<Pence>,
    pub money_out: Option<Pence>,
    pub balance: Pence,
}

pub const STATEMENT_COLUMNS: [&str; 11] = [
    "date",
    "kind",
    "stream_ref",
    "outcome_ref",
    "description",
    "planned_minutes",
    "billable_minutes",
    "rate",
    "money_in",
    "money_out",
    "balance",
];

impl StatementLine {
    pub fn cells(&self) -> Vec<String> {
        let opt = |v: Option<String>| v.unwrap_or_default();
        vec![
            self.date.to_string(),
            self.kind.to_owned(),
            self.stream_ref.clone(),
            self.outcome_ref.clone(),
            self.description.clone(),
            opt(self.planned_minutes.map(|m| m.to_string())),
            opt(self.billable_minutes.map(|m| m.to_string())),
            opt(self.rate.map(|r| r.to_string())),
            opt(self.money_in.map(|r| r.to_string())),
            opt(self.money_out.map(|r| r.to_string())),
            self.balance.to_string(),
        ]
    }
}

/// A statement: its lines from opening to closing.
#[derive(Debug, Clone)]
pub struct Statement {
    pub agreement_ref: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub lines: Vec<StatementLine>,
    pub opening: Pence,
    pub closing: Pence,
}

/// Where a line sorts: date, kind order within the date, planned start, transaction id, sequence.
type LineOrder = (NaiveDate, u8, i64, i64, usize);

/// The statement of `agreement_ref` for `from`–`to`.
pub fn statement(
    world: &World,
    ledger: &[Transaction],
    agreement_ref: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Statement, ReportError> {
    let agreement = world
        .agreements
        .get(agreement_ref)
        .ok_or_else(|| ReportError::UnknownAgreement(agreement_ref.to_owned()))?;
    if to < from {
        return Err(ReportError::BackwardsPeriod { from, to });
    }
    let streams: Vec<&Stream> = world.streams_of(agreement_ref).collect();
    let funds: Vec<Account> = streams
        .iter()
        .map(|s| Account::fund(agreement_ref, &s.stream_ref))
        .collect();
    let effect = |t: &Transaction| funds.iter().map(|f| t.entry.fund_effect(f)).sum::<Pence>();
    let mine: Vec<&Transaction> = ledger
        .iter()
        .filter(|t| t.agreement_ref == agreement_ref)
        .collect();
    let opening: Pence = mine
        .iter()
        .filter(|t| t.entry.date < from)
        .map(|t| effect(t))
        .sum();
    let plan = world.plan(agreement_ref);

    // (date, order within the date, planned start, sequence) → line without balance
    let mut body: Vec<(LineOrder, StatementLine)> = Vec::new();
    let blank = |date, kind, stream_ref: String| StatementLine {
        date,
        kind,
        stream_ref,
        outcome_ref: String::new(),
        description: String::new(),
        planned_minutes: None,
        billable_minutes: None,
        rate: None,
        money_in: None,
        money_out: None,
        balance: Pence::ZERO,
    };
    for (seq, t) in mine
        .iter()
        .filter(|t| t.entry.date >= from && t.entry.date <= to)
        .enumerate()
    {
        let date = t.entry.date;
        let stream_of = |t: &Transaction| {
            t.entry.postings.iter().find_map(|p| match &p.account {
                Account::Fund { stream_ref, .. } => Some(stream_ref.clone()),
                _ => None,
            })
        };
        let stream_ref = stream_of(t).unwrap_or_default();
        match t.entry.kind {
            TransactionKind::Receipt => {
                let mut line = blank(date, "receipt", stream_ref.clone());
                line.money_in = Some(effect(t));
                line.description = match receipt_payer(world, t) {
                    Payer::Person => "Money received: your contribution".to_owned(),
                    Payer::Commissioner => {
                        let name = world
                            .stream(agreement_ref, &stream_ref)
                            .and_then(|s| world.commissioner_of(s))
                            .map_or("commissioner".to_owned(), |c| c.name.clone());
                        format!("Money received: {name}")
                    }
                };
                body.push(((date, 0, 0, t.id, seq), line));
            }
            TransactionKind::Service => {
                for l in &t.lines {
                    let visit = if t.subject.starts_with("unplanned:") {
                        world.approved_unplanned.get(&l.visit_ref)
                    } else {
                        world.visits.get(&l.visit_ref)
                    };
                    let start = visit.map_or(0, |v| v.planned_start.timestamp());
                    let outcome_ref = visit.map(|v| v.outcome_ref.clone()).unwrap_or_default();
                    let support = visit
                        .and_then(|v| {
                            plan.outcome_on(&v.outcome_ref, local_date(v.planned_start))
                                .map(|o| o.support_type.plain())
                        })
                        .unwrap_or_default();
                    let times = visit.map_or(String::new(), |v| {
                        format!(
                            "{}-{}",
                            local_hhmm(v.planned_start),
                            local_hhmm(v.planned_end)
                        )
                    });
                    let worker = l
                        .line
                        .worker_ref
                        .as_ref()
                        .and_then(|w| world.workers.get(w))
                        .map_or("a worker".to_owned(), |w| w.given_name.clone());
                    let (kind, description) = match l.line.charge {
                        Charge::Service => ("service", format!("{times} {support} with {worker}")),
                        Charge::Cancellation => (
                            "cancellation",
                            format!(
                                "{times} {support} cancelled by you at short notice ({worker})"
                            ),
                        ),
                    };
                    let mut line = blank(date, kind, l.stream_ref.clone());
                    line.outcome_ref = outcome_ref;
                    line.description = description;
                    line.planned_minutes = Some(l.line.planned_minutes);
                    line.billable_minutes = Some(l.line.billable_minutes);
                    line.rate = Some(l.line.rate);
                    line.money_out = Some(l.line.amount);
                    body.push(((date, 1, start, t.id, seq), line));
                }
            }
            TransactionKind::Purchase => {
                let mut line = blank(date, "purchase", stream_ref);
                line.outcome_ref = t
                    .subject
                    .strip_prefix("purchase:")
                    .and_then(|p| world.purchases.get(p))
                    .map(|p| p.outcome_ref.clone())
                    .unwrap_or_default();
                line.description = t.description.clone();
                line.money_out = Some(-effect(t));
                body.push(((date, 2, 0, t.id, seq), line));
            }
            TransactionKind::Fee => {
                let mut line = blank(date, "fee", stream_ref);
                line.description = t.description.clone();
                line.money_out = Some(-effect(t));
                body.push(((date, 3, 0, t.id, seq), line));
            }
            TransactionKind::Repayment => {
                let mut line = blank(date, "repayment", stream_ref);
                line.description = t.description.clone();
                line.money_out = Some(-effect(t));
                body.push(((date, 4, 0, t.id, seq), line));
            }
            TransactionKind::Reversal => {
                let e = effect(t);
                let mut line = blank(date, "reversal", stream_ref);
                line.description = t.description.clone();
                if e >= Pence::ZERO {
                    line.money_in = Some(e);
                } else {
                    line.money_out = Some(-e);
                }
                body.push(((date, 5, 0, t.id, seq), line));
            }
        }
    }
    body.sort_by_key(|(order, _)| *order);
    let mut balance = opening;
    let mut lines = Vec::with_capacity(body.len() + 2);
    let mut open = blank(from, "opening", String::new());
    open.description = "Money in your fund at the start".to_owned();
    open.balance = opening;
    lines.push(open);
    for (_, mut line) in body {
        balance += line.money_in.unwrap_or_default();
        balance -= line.money_out.unwrap_or_default();
        line.balance = balance;
        lines.push(line);
    }
    let closing_from_ledger: Pence = mine
        .iter()
        .filter(|t| t.entry.date <= to)
        .map(|t| effect(t))
        .sum();
    if closing_from_ledger != balance {
        return Err(ReportError::InvariantBroken(format!("statement of {agreement_ref}: lines sum to {balance}, ledger holds {closing_from_ledger}")));
    }
    let mut close = blank(to, "closing", String::new());
    close.description = "Money in your fund at the end".to_owned();
    close.balance = balance;
    lines.push(close);
    let _ = agreement;
    Ok(Statement {
        agreement_ref: agreement_ref.to_owned(),
        from,
        to,
        lines,
        opening,
        closing: balance,
    })
}

/// The whole ledger as an hledger journal (FORMATS.md), ending with a balance assertion per fund.
pub fn journal(world: &World, ledger: &[Transaction]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "; ISF Ledger journal: every transaction of the ledger, in date order."
    );
    let _ = writeln!(out, "commodity GBP");
    let mut funds: Vec<Account> = world
        .streams
        .values()
        .map(|s| Account::fund(&s.agreement_ref, &s.stream_ref))
        .collect();
    for t in ledger {
        for p in &t.entry.postings {
            if matches!(p.account, Account::Fund { .. }) && !funds.contains(&p.account) {
                funds.push(p.account.clone());
            }
        }
    }
    funds.sort();
    for account in [Account::ClientBank, Account::CareIncome, Account::FeeIncome]
        .iter()
        .chain(funds.iter())
    {
        let _ = writeln!(out, "account {}", account.journal_name());
    }
    let mut sorted: Vec<&Transaction> = ledger.iter().collect();
    sorted.sort_by_key(|t| (t.entry.date, t.id));
    let mut balances: HashMap<String, Pence> = HashMap::default();
    for t in &sorted {
        let _ = writeln!(out, "\n{} {}", t.entry.date, journal_description(t));
        for p in &t.entry.postings {
            let name = p.account.journal_name();
            if matches!(p.account, Account::Fund { .. }) {
                *balances.entry(name.clone()).or_default() += p.amount;
            }
            let _ = writeln!(out, "    {name}  {} GBP", p.amount);
        }
    }
    // The day after the last transaction; with no transaction yet, the first agreement's start.
    let assertion_date = sorted
        .last()
        .map(|t| t.entry.date + Duration::days(1))
        .or_else(|| world.agreements.values().map(|a| a.start_date).min());
    if let (Some(date), false) = (assertion_date, funds.is_empty()) {
        let _ = writeln!(out, "\n{date} balance assertions");
        for fund in &funds {
            let name = fund.journal_name();
            let balance = balances.get(&name).copied().unwrap_or_default();
            let _ = writeln!(out, "    {name}  0 GBP = {balance} GBP");
        }
    }
    out
}

fn journal_description(t: &Transaction) -> String {
    let kind = t.entry.kind.word();
    let reference = match t.subject.split_once(':') {
        Some(("fee", rest)) => {
            let parts: Vec<&str> = rest.split(':').collect();
            format!(
                "{} {}",
                parts.first().unwrap_or(&""),
                parts.last().unwrap_or(&"")
            )
        }
        Some((_, r)) => r.to_owned(),
        None => t.subject.clone(),
    };
    format!("{kind} {reference}").replace(';', ",")
}
