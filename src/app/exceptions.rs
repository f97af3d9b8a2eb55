//! Exceptions: what coordinators must see at once (missed, late, short … visits; unplanned
//! attendances; weeks over plan; funds overspent). Derived from the records and the ledger by the
//! same costing as returns; stored by reconciliation so that resolutions stay with them.
use super::costing::{cost_visits, CostedVisit, CostingError};
use super::reports::ledger_by_agreement;
use crate::domain::billing::ExceptionKind;
use crate::domain::calendar::{local_date, monday_of};
use crate::domain::hours::{over_plan_weeks, WeekHours};
use crate::domain::ledger::Account;
use crate::domain::money::Pence;
use crate::domain::world::HashMap;
use crate::domain::world::World;
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;

/// One exception as the coordinator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionRecord {
    /// `KIND:SUBJECT`, unique.
    pub key: String,
    pub kind: ExceptionKind,
    pub agreement_ref: String,
    pub stream_ref: Option<String>,
    /// The visit, attendance, week (Monday) or fund it is about.
    pub subject_ref: String,
    pub date: NaiveDate,
    pub detail: String,
}

fn record(
    kind: ExceptionKind,
    agreement_ref: &str,
    stream_ref: Option<&str>,
    subject_ref: String,
    date: NaiveDate,
    detail: String,
) -> ExceptionRecord {
    ExceptionRecord {
        key: format!("{}:{subject_ref}", kind.word()),
        kind,
        agreement_ref: agreement_ref.to_owned(),
        stream_ref: stream_ref.map(str::to_owned),
        subject_ref,
        date,
        detail,
    }
}

/// Planned and delivered hours of each week of the agreement up to `through`.
fn weekly_hours(
    world: &World,
    agreement: &crate::domain::model::Agreement,
    delivered_by_week: &HashMap<(&str, NaiveDate), Decimal>,
    through: NaiveDate,
) -> Vec<WeekHours> {
    let plan = world.plan(&agreement.agreement_ref);
    let last = agreement.end_date.map_or(through, |e| e.min(through));
    let mut weeks = Vec::new();
    let mut monday = monday_of(agreement.start_date);
    while monday <= last {
        let from = monday.max(agreement.start_date);
        let to = (monday + Duration::days(6)).min(last);
        weeks.push(WeekHours {
            monday,
            planned: plan.planned_hours(from, to, None),
            delivered: delivered_by_week
                .get(&(agreement.agreement_ref.as_str(), monday))
                .copied()
                .unwrap_or_default(),
        });
        monday += Duration::days(7);
    }
    weeks
}

/// The Mondays of one agreement's weeks over plan up to `through`, from its costed visits.
pub fn over_plan_of(
    world: &World,
    agreement: &crate::domain::model::Agreement,
    costed: &[CostedVisit],
    through: NaiveDate,
) -> Vec<NaiveDate> {
    let mut delivered_by_week: HashMap<(&str, NaiveDate), Decimal> = HashMap::default();
    for c in costed
        .iter()
        .filter(|c| c.visit.agreement_ref == agreement.agreement_ref)
    {
        *delivered_by_week
            .entry((agreement.agreement_ref.as_str(), monday_of(c.date)))
            .or_default() += Decimal::from(c.costing.delivered_minutes) / Decimal::from(60);
    }
    let weeks = weekly_hours(world, agreement, &delivered_by_week, through);
    over_plan_weeks(
        monday_of(agreement.start_date),
        agreement.flex_window_weeks,
        &weeks,
    )
}

/// Every exception that stands on `through`, sorted by date then key.
pub fn current_exceptions<'l>(
    world: &World,
    ledger: impl IntoIterator<Item = &'l crate::domain::ledger::Transaction>,
    through: NaiveDate,
) -> Result<Vec<ExceptionRecord>, CostingError> {
    let mut out = Vec::new();
    let costed = cost_visits(world, Some(through))?;
    let mut delivered_by_week: HashMap<(&str, NaiveDate), Decimal> = HashMap::default();
    for c in &costed {
        let v = c.visit;
        // An approved unplanned attendance already had its say as an `unplanned` exception.
        let kinds = if c.unplanned {
            &[][..]
        } else {
            &c.costing.exceptions[..]
        };
        for kind in kinds {
            let detail = format!("visit {} on {} ({})", v.visit_ref, c.date, c.outcome.title);
            out.push(record(
                *kind,
                &v.agreement_ref,
                Some(&c.outcome.stream_ref),
                v.visit_ref.clone(),
                c.date,
                detail,
            ));
        }
        *delivered_by_week
            .entry((v.agreement_ref.as_str(), monday_of(c.date)))
            .or_default() += Decimal::from(c.costing.delivered_minutes) / Decimal::from(60);
    }
    for a in world.attendances.values().filter(|a| a.visit_ref.is_none()) {
        let date = local_date(a.check_in);
        if date > through {
            continue;
        }
        if let Some(agreement) = world.live_agreement_of(&a.person_ref, date) {
            let primary = world
                .primary_stream(&agreement.agreement_ref)
                .map(|s| s.stream_ref.as_str());
            let detail = format!(
                "attendance {} by {} on {date} with no visit: not charged until approved",
                a.attendance_ref, a.worker_ref
            );
            out.push(record(
                ExceptionKind::Unplanned,
                &agreement.agreement_ref,
                primary,
                a.attendance_ref.clone(),
                date,
                detail,
            ));
        }
    }
    let by_agreement = ledger_by_agreement(ledger);
    for agreement in world
        .agreements
        .values()
        .filter(|a| a.start_date <= through)
    {
        let weeks = weekly_hours(world, agreement, &delivered_by_week, through);
        for week in over_plan_weeks(
            monday_of(agreement.start_date),
            agreement.flex_window_weeks,
            &weeks,
        ) {
            let detail = format!("week of {week}: hours delivered in the flex window are beyond its plan and the emergency allowance; needs sign-off");
            out.push(record(
                ExceptionKind::OverPlan,
                &agreement.agreement_ref,
                None,
                format!("{}:{week}", agreement.agreement_ref),
                week,
                detail,
            ));
        }
        let mine = by_agreement
            .get(agreement.agreement_ref.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for stream in world.streams_of(&agreement.agreement_ref) {
            let fund = Account::fund(&agreement.agreement_ref, &stream.stream_ref);
            let balance: Pence = mine
                .iter()
                .filter(|t| t.entry.date <= through)
                .map(|t| t.entry.fund_effect(&fund))
                .sum();
            if balance < Pence::ZERO {
                let detail = format!(
                    "fund {}/{} stands at {balance} on {through}",
                    agreement.agreement_ref, stream.stream_ref
                );
                out.push(record(
                    ExceptionKind::Overspend,
                    &agreement.agreement_ref,
                    Some(&stream.stream_ref),
                    format!("{}:{}", agreement.agreement_ref, stream.stream_ref),
                    through,
                    detail,
                ));
            }
        }
    }
    out.sort_by(|a, b| (a.date, &a.key).cmp(&(b.date, &b.key)));
    Ok(out)
}
