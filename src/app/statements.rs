//! Statements for budget holders (DOMAIN.md §8): the lines of `reports::statement` plus the summary
//! people need (money in and out, hours by outcome, earmarks, surplus, contributions, missed visits,
//! a projection, exit shares) and a digest of the postings it covers, so an auditor can prove a
//! statement matches the books.
use super::costing::cost_visits_of;
use super::exceptions::over_plan_of;
use super::reports::{statement, stream_surplus, ReportError, Statement};
use crate::domain::agreement_money::{contributions_outstanding, exit_shares, ExitShares};
use crate::domain::billing::{Charge, ExceptionKind};
use crate::domain::ledger::{Account, Transaction, TransactionKind};
use crate::domain::model::{Agreement, Payer, Person};
use crate::domain::money::Pence;
use crate::domain::world::World;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

/// Planned and delivered hours and spend for one outcome over the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeSummary {
    pub outcome_ref: String,
    pub title: String,
    pub support_type: String,
    pub planned_hours: Decimal,
    pub delivered_hours: Decimal,
    pub spent: Pence,
}

/// An earmark in force at the end of the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarmarkSummary {
    pub purpose: String,
    pub amount: Pence,
    pub expires_on: NaiveDate,
}

/// What the money is likely to do next at the period's pattern of spending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Projection {
    /// Spending more than comes in: the fund lasts about this many more weeks.
    LastsWeeks(i64),
    /// More comes in than is spent.
    BuildingSurplus,
    /// Nothing came in or went out.
    Steady,
}

#[derive(Debug, Clone)]
pub struct StatementSummary {
    pub person: Person,
    pub agreement: Agreement,
    pub commissioner_receipts: Pence,
    pub person_receipts: Pence,
    pub services: Pence,
    pub cancellations: Pence,
    pub purchases: Pence,
    pub fees: Pence,
    pub repayments: Pence,
    pub reversals: Pence,
    pub outcomes: Vec<OutcomeSummary>,
    pub earmarks: Vec<EarmarkSummary>,
    pub returnable_surplus: Pence,
    pub contributions_outstanding: Pence,
    pub missed_visits: Vec<(NaiveDate, String)>,
    pub over_plan_weeks: Vec<NaiveDate>,
    pub projection: Projection,
    pub exit: Option<ExitShares>,
}

/// A statement with its summary and digest.
#[derive(Debug, Clone)]
pub struct FullStatement {
    pub statement: Statement,
    pub summary: StatementSummary,
    /// SHA-256 (hex) of the canonical form of every posting the statement covers.
    pub digest: String,
}

/// The canonical form of the agreement's postings dated on or before `to`, hashed.
pub fn postings_digest(
    agreement_ref: &str,
    from: NaiveDate,
    to: NaiveDate,
    mine: &[&Transaction],
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!("isf-statement-v1|{agreement_ref}|{from}|{to}\n"));
    for t in mine.iter().filter(|t| t.entry.date <= to) {
        for (i, p) in t.entry.postings.iter().enumerate() {
            let account = match &p.account {
                Account::Fund {
                    agreement_ref,
                    stream_ref,
                } => format!("fund:{agreement_ref}:{stream_ref}"),
                other => other.kind_word().to_owned(),
            };
            hasher.update(format!(
                "{}|{}|{}|{}|{i}|{account}|{}\n",
                t.id,
                t.key,
                t.entry.date,
                t.entry.kind.word(),
                p.amount.pence()
            ));
        }
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The full statement of `agreement_ref` for `from`–`to`.
pub fn full_statement(
    world: &World,
    ledger: &[Transaction],
    agreement_ref: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<FullStatement, ReportError> {
    let statement = statement(world, ledger, agreement_ref, from, to)?;
    let agreement = world
        .agreements
        .get(agreement_ref)
        .cloned()
        .ok_or_else(|| ReportError::UnknownAgreement(agreement_ref.to_owned()))?;
    let person = world
        .people
        .get(&agreement.person_ref)
        .cloned()
        .ok_or_else(|| {
            ReportError::InvariantBroken(format!("agreement {agreement_ref} has no person"))
        })?;
    let mine: Vec<&Transaction> = ledger
        .iter()
        .filter(|t| t.agreement_ref == agreement_ref)
        .collect();
    let in_period = |t: &&&Transaction| t.entry.date >= from && t.entry.date <= to;
    let funds: Vec<Account> = world
        .streams_of(agreement_ref)
        .map(|s| Account::fund(agreement_ref, &s.stream_ref))
        .collect();
    let effect = |t: &Transaction| funds.iter().map(|f| t.entry.fund_effect(f)).sum::<Pence>();

    let mut s = StatementSummary {
        person,
        agreement: agreement.clone(),
        commissioner_receipts: Pence::ZERO,
        person_receipts: Pence::ZERO,
        services: Pence::ZERO,
        cancellations: Pence::ZERO,
        purchases: Pence::ZERO,
        fees: Pence::ZERO,
        repayments: Pence::ZERO,
        reversals: Pence::ZERO,
        outcomes: Vec::new(),
        earmarks: Vec::new(),
        returnable_surplus: Pence::ZERO,
        contributions_outstanding: Pence::ZERO,
        missed_visits: Vec::new(),
        over_plan_weeks: Vec::new(),
        projection: Projection::Steady,
        exit: None,
    };
    for t in mine.iter().filter(in_period) {
        let e = effect(t);
        match t.entry.kind {
            TransactionKind::Receipt => {
                let payer = t
                    .subject
                    .strip_prefix("receipt:")
                    .and_then(|r| world.receipts.get(r))
                    .map_or(Payer::Commissioner, |r| r.payer);
                match payer {
                    Payer::Commissioner => s.commissioner_receipts += e,
                    Payer::Person => s.person_receipts += e,
                }
            }
            TransactionKind::Service => {
                for l in &t.lines {
                    match l.line.charge {
                        Charge::Service => s.services += l.line.amount,
                        Charge::Cancellation => s.cancellations += l.line.amount,
                    }
                }
            }
            TransactionKind::Purchase => s.purchases -= e,
            TransactionKind::Fee => s.fees -= e,
            TransactionKind::Repayment => s.repayments -= e,
            TransactionKind::Reversal => s.reversals += e,
        }
    }

    // Hours and spend by outcome, from the same costing as returns.
    let plan = world.plan(agreement_ref);
    let first = from.max(agreement.start_date);
    let last = agreement.end_date.map_or(to, |e| e.min(to));
    let costed = cost_visits_of(world, Some(to), Some(agreement_ref))?;
    let mut outcome_refs: Vec<(String, String, String)> = world
        .outcome_rows(agreement_ref)
        .filter(|o| o.approved_on.is_some())
        .map(|o| {
            (
                o.outcome_ref.clone(),
                o.title.clone(),
                o.support_type.plain(),
            )
        })
        .collect();
    outcome_refs.sort();
    outcome_refs.dedup_by(|a, b| a.0 == b.0);
    for (outcome_ref, title, support_type) in outcome_refs {
        let planned_hours = if first <= last {
            crate::domain::calendar::days(first, last)
                .map(|d| {
                    plan.outcome_on(&outcome_ref, d)
                        .map_or(Decimal::ZERO, |o| o.weekly_hours)
                })
                .sum::<Decimal>()
                / Decimal::from(7)
        } else {
            Decimal::ZERO
        };
        let delivered_minutes: i64 = costed
            .iter()
            .filter(|c| {
                c.visit.agreement_ref == agreement_ref
                    && c.visit.outcome_ref == outcome_ref
                    && c.date >= from
                    && c.date <= to
            })
            .map(|c| c.costing.delivered_minutes)
            .sum();
        let spent_on_visits: Pence = mine
            .iter()
            .filter(in_period)
            .flat_map(|t| t.lines.iter())
            .filter(|l| {
                world
                    .visits
                    .get(&l.visit_ref)
                    .is_some_and(|v| v.outcome_ref == outcome_ref)
            })
            .map(|l| l.line.amount)
            .sum();
        let spent_on_purchases: Pence = world
            .purchases
            .values()
            .filter(|p| {
                p.agreement_ref == agreement_ref
                    && p.outcome_ref == outcome_ref
                    && p.paid_on >= from
                    && p.paid_on <= to
            })
            .map(|p| p.amount)
            .sum();
        if planned_hours.is_zero()
            && delivered_minutes == 0
            && (spent_on_visits + spent_on_purchases).is_zero()
        {
            continue;
        }
        s.outcomes.push(OutcomeSummary {
            outcome_ref,
            title,
            support_type,
            planned_hours,
            delivered_hours: Decimal::from(delivered_minutes) / Decimal::from(60),
            spent: spent_on_visits + spent_on_purchases,
        });
    }
    s.missed_visits = costed
        .iter()
        .filter(|c| {
            c.visit.agreement_ref == agreement_ref
                && c.date >= from
                && c.date <= to
                && c.costing.exceptions.contains(&ExceptionKind::Missed)
        })
        .map(|c| (c.date, c.outcome.title.clone()))
        .collect();

    let mut earmarks: Vec<EarmarkSummary> = world
        .earmarks
        .values()
        .filter(|e| e.agreement_ref == agreement_ref && e.in_force_on(to))
        .map(|e| EarmarkSummary {
            purpose: e.purpose.clone(),
            amount: e.amount,
            expires_on: e.expires_on,
        })
        .collect();
    earmarks.sort_by(|a, b| (a.expires_on, &a.purpose).cmp(&(b.expires_on, &b.purpose)));
    s.earmarks = earmarks;
    for stream in world.streams_of(agreement_ref) {
        let fund = Account::fund(agreement_ref, &stream.stream_ref);
        let balance: Pence = mine
            .iter()
            .filter(|t| t.entry.date <= to)
            .map(|t| t.entry.fund_effect(&fund))
            .sum();
        s.returnable_surplus += stream_surplus(world, &mine, stream, balance, to).1;
    }
    let person_receipts_to_date: Pence = world
        .receipts
        .values()
        .filter(|r| {
            r.agreement_ref == agreement_ref && r.payer == Payer::Person && r.received_on <= to
        })
        .map(|r| r.amount)
        .sum();
    s.contributions_outstanding =
        contributions_outstanding(&agreement, person_receipts_to_date, to);
    s.over_plan_weeks = over_plan_of(world, &agreement, &costed, to)
        .into_iter()
        .filter(|week| *week >= crate::domain::calendar::monday_of(from) && *week <= to)
        .collect();

    let money_in = s.commissioner_receipts + s.person_receipts;
    let money_out = s.services + s.cancellations + s.purchases + s.fees;
    let days = (to - from).num_days() + 1;
    s.projection = if money_out > money_in && days > 0 {
        let weekly_burn =
            Decimal::from((money_out - money_in).pence()) * Decimal::from(7) / Decimal::from(days);
        if weekly_burn.is_zero() || statement.closing <= Pence::ZERO {
            Projection::LastsWeeks(0)
        } else {
            let weeks = Decimal::from(statement.closing.pence()) / weekly_burn;
            Projection::LastsWeeks(weeks.floor().try_into().unwrap_or(0))
        }
    } else if money_in > money_out {
        Projection::BuildingSurplus
    } else {
        Projection::Steady
    };
    if let Some(end) = agreement.end_date.filter(|e| *e <= to) {
        let total_spend: Pence = mine
            .iter()
            .filter(|t| {
                matches!(
                    t.entry.kind,
                    TransactionKind::Service | TransactionKind::Purchase | TransactionKind::Fee
                )
            })
            .map(|t| -effect(t))
            .sum();
        let contributions_received: Pence = world
            .receipts
            .values()
            .filter(|r| r.agreement_ref == agreement_ref && r.payer == Payer::Person)
            .map(|r| r.amount)
            .sum();
        let _ = end;
        s.exit = Some(exit_shares(
            statement.closing,
            contributions_received,
            total_spend,
        ));
    }
    let digest = postings_digest(agreement_ref, from, to, &mine);
    Ok(FullStatement {
        statement,
        summary: s,
        digest,
    })
}
