//! The coordinator's workspace: every fund with its balance and what needs attention today —
//! overspent funds, surplus that must go back, missed visits this week, DBS checks lapsing, plans
//! due for review — and the queue of open exceptions. Provider staff only.
use super::queries::{ExceptionItem, ExceptionStatus, QueryError};
use super::reports::{ledger_by_agreement, stream_surplus};
use crate::db;
use crate::domain::access::Principal;
use crate::domain::billing::ExceptionKind;
use crate::domain::calendar::monday_of;
use crate::domain::ledger::{fund_balance, Account, Transaction};
use crate::domain::money::Pence;
use crate::domain::plan::{review_due, ReviewDue};
use crate::domain::roster::dbs_lapse_warning;
use chrono::{Datelike, NaiveDate};
use sea_orm::DatabaseConnection;

/// How many open exceptions the queue shows at once (the API lists them all).
pub const QUEUE_ITEMS_MAX: usize = 50;

/// One fund on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundRow {
    pub agreement_ref: String,
    pub person_ref: String,
    pub person: String,
    pub stream_ref: String,
    pub commissioner_ref: String,
    pub balance: Pence,
    pub earmarked: Pence,
    /// The balance less what is earmarked: what can be spent now.
    pub available: Pence,
    /// Surplus that must go back to the commissioner (over the cap, or unspent too long).
    pub returnable: Pence,
}

impl FundRow {
    pub fn overspent(&self) -> bool {
        self.balance < Pence::ZERO
    }
}

/// A worker whose DBS check lapses within 30 days, or has lapsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbsWarning {
    pub worker_ref: String,
    pub name: String,
    pub lapses_on: NaiveDate,
    pub lapsed: bool,
}

/// A plan due for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRow {
    pub agreement_ref: String,
    pub person: String,
    pub review: ReviewDue,
}

/// Everything the dashboard shows, as of `today`.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub today: NaiveDate,
    pub funds: Vec<FundRow>,
    pub missed_this_week: Vec<ExceptionItem>,
    pub dbs: Vec<DbsWarning>,
    pub reviews: Vec<ReviewRow>,
    /// The oldest open exceptions, at most `QUEUE_ITEMS_MAX`.
    pub queue: Vec<ExceptionItem>,
    pub open_total: usize,
}

/// One agreement's transactions dated up to `today`, and each of its funds as it stands then.
fn funds_on<'l>(
    world: &crate::domain::world::World,
    agreement: &crate::domain::model::Agreement,
    person: &str,
    mine: &[&'l Transaction],
    today: NaiveDate,
) -> (Vec<&'l Transaction>, Vec<FundRow>) {
    let dated: Vec<&Transaction> = mine
        .iter()
        .copied()
        .filter(|t| t.entry.date <= today)
        .collect();
    let funds = world
        .streams_of(&agreement.agreement_ref)
        .map(|stream| {
            let fund = Account::fund(&stream.agreement_ref, &stream.stream_ref);
            let balance = fund_balance(dated.iter().flat_map(|t| t.entry.postings.iter()), &fund);
            let (earmarked, returnable) = stream_surplus(world, &dated, stream, balance, today);
            FundRow {
                agreement_ref: agreement.agreement_ref.clone(),
                person_ref: agreement.person_ref.clone(),
                person: person.to_owned(),
                stream_ref: stream.stream_ref.clone(),
                commissioner_ref: stream.commissioner_ref.clone(),
                balance,
                earmarked,
                available: balance - earmarked,
                returnable,
            }
        })
        .collect();
    (dated, funds)
}

/// The dashboard for provider staff; anyone else is refused for their role.
pub async fn dashboard(
    db: &DatabaseConnection,
    viewer: &Principal,
    today: NaiveDate,
) -> Result<Dashboard, QueryError> {
    if !viewer.is_provider_staff() {
        return Err(QueryError::Forbidden {
            role: viewer.role.word().to_owned(),
            what: "see the provider's dashboard",
        });
    }
    let world = db::load_world(db).await?;
    let ledger = db::load_ledger_money(db).await?;
    let by_agreement = ledger_by_agreement(&ledger);
    let none = Vec::new();
    let person_name = |person_ref: &str| {
        world.people.get(person_ref).map_or_else(
            || person_ref.to_owned(),
            |p| match &p.family_name {
                Some(f) => format!("{} {f}", p.given_name),
                None => p.given_name.clone(),
            },
        )
    };
    let mut funds = Vec::new();
    let mut reviews = Vec::new();
    for agreement in world.agreements.values() {
        let mine = by_agreement
            .get(agreement.agreement_ref.as_str())
            .unwrap_or(&none);
        let (_, rows) = funds_on(
            &world,
            agreement,
            &person_name(&agreement.person_ref),
            mine,
            today,
        );
        funds.extend(rows);
        if agreement.is_live_on(today) {
            let plan = world.plan(&agreement.agreement_ref);
            if let Some(review) = plan
                .approval_in_force(today)
                .and_then(|(version, approved_on)| review_due(version, approved_on, today))
            {
                reviews.push(ReviewRow {
                    agreement_ref: agreement.agreement_ref.clone(),
                    person: person_name(&agreement.person_ref),
                    review,
                });
            }
        }
    }
    let mut dbs: Vec<DbsWarning> = world
        .workers
        .values()
        .filter_map(|w| {
            dbs_lapse_warning(w, today).map(|lapses_on| DbsWarning {
                worker_ref: w.worker_ref.clone(),
                name: format!("{} {}", w.given_name, w.family_name),
                lapses_on,
                lapsed: lapses_on <= today,
            })
        })
        .collect();
    dbs.sort_by(|a, b| (a.lapses_on, &a.worker_ref).cmp(&(b.lapses_on, &b.worker_ref)));
    let stored = db::list_exceptions(db, None, None, None, None).await?;
    let mut open = Vec::new();
    let mut missed_this_week = Vec::new();
    let monday = monday_of(today);
    for e in stored {
        let item = ExceptionItem::from_stored(e)?;
        if item.status != ExceptionStatus::Open {
            continue;
        }
        if item.record.kind == ExceptionKind::Missed && (monday..=today).contains(&item.record.date)
        {
            missed_this_week.push(item.clone());
        }
        open.push(item);
    }
    let open_total = open.len();
    open.truncate(QUEUE_ITEMS_MAX);
    Ok(Dashboard {
        today,
        funds,
        missed_this_week,
        dbs,
        reviews,
        queue: open,
        open_total,
    })
}

/// How far either side of today the person page lists visits.
pub const PERSON_VISIT_DAYS: i64 = 14;
/// How many of an agreement's latest transactions the person page lists.
pub const PERSON_LEDGER_ROWS_MAX: usize = 30;

/// One outcome of the plan in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeRow {
    pub outcome_ref: String,
    pub title: String,
    pub support: String,
    pub stream_ref: String,
    pub weekly_hours: String,
}

/// One transaction on an agreement's funds: money in is positive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub date: NaiveDate,
    pub kind: String,
    pub description: String,
    pub amount: Pence,
}

/// One visit near today, with what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitRow {
    pub visit_ref: String,
    pub start: String,
    pub end: String,
    pub outcome: String,
    pub workers: String,
    pub status: String,
}

/// One agreement of the person, as their page shows it.
#[derive(Debug, Clone)]
pub struct AgreementView {
    pub agreement_ref: String,
    pub live: bool,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub plan_version: Option<i64>,
    /// Versions after the one in force that are not in force yet, in words ("Version 3:
    /// submitted on 2026-11-23, waiting for the commissioner").
    pub plan_pending: Vec<String>,
    pub outcomes: Vec<OutcomeRow>,
    pub funds: Vec<FundRow>,
    pub ledger: Vec<LedgerRow>,
    pub visits: Vec<VisitRow>,
    /// Months with a statement to read, newest first (`YYYY-MM`).
    pub statement_months: Vec<String>,
}

/// The person page: who they are and, for each agreement, plan, funds, ledger, visits, statements.
#[derive(Debug, Clone)]
pub struct PersonView {
    pub today: NaiveDate,
    pub person_ref: String,
    pub name: String,
    pub communication_format: String,
    pub decision_maker: String,
    pub representative_name: Option<String>,
    pub agreements: Vec<AgreementView>,
}

/// The person page for provider staff (anyone else is refused for their role).
pub async fn person_page(
    db: &DatabaseConnection,
    viewer: &Principal,
    person_ref: &str,
    today: NaiveDate,
) -> Result<PersonView, QueryError> {
    use crate::domain::calendar::{local_date, local_hhmm};
    if !viewer.is_provider_staff() {
        return Err(QueryError::Forbidden {
            role: viewer.role.word().to_owned(),
            what: "see a person's page",
        });
    }
    let world = db::load_world(db).await?;
    let Some(person) = world.people.get(person_ref) else {
        return Err(QueryError::NotFound {
            what: "person",
            reference: person_ref.to_owned(),
        });
    };
    let ledger = db::load_ledger_money(db).await?;
    let by_agreement = ledger_by_agreement(&ledger);
    let none = Vec::new();
    let mut agreements = Vec::new();
    for agreement in world.agreements_of(person_ref) {
        let a = &agreement.agreement_ref;
        let plan = world.plan(a);
        let on = if agreement.is_live_on(today) {
            today
        } else {
            agreement
                .end_date
                .unwrap_or(agreement.start_date)
                .min(today)
        };
        let outcomes = plan
            .outcomes_on(on)
            .iter()
            .map(|o| OutcomeRow {
                outcome_ref: o.outcome_ref.clone(),
                title: o.title.clone(),
                support: o.support_type.plain(),
                stream_ref: o.stream_ref.clone(),
                weekly_hours: o.weekly_hours.normalize().to_string(),
            })
            .collect();
        let mine = by_agreement.get(a.as_str()).unwrap_or(&none);
        let (dated, funds) = funds_on(&world, agreement, "", mine, today);
        let ledger = dated
            .iter()
            .rev()
            .take(PERSON_LEDGER_ROWS_MAX)
            .map(|t| LedgerRow {
                date: t.entry.date,
                kind: t.entry.kind.word().to_owned(),
                description: t.description.clone(),
                // A fund's balance is the negated sum of its postings: money in is credit.
                amount: -t
                    .entry
                    .postings
                    .iter()
                    .filter(|p| matches!(&p.account, Account::Fund { agreement_ref, .. } if agreement_ref == a))
                    .map(|p| p.amount)
                    .sum::<Pence>(),
            })
            .collect();
        let window = (today - chrono::Duration::days(PERSON_VISIT_DAYS))
            ..=(today + chrono::Duration::days(PERSON_VISIT_DAYS));
        let mut near: Vec<&crate::domain::model::Visit> = world
            .visit_refs_of(a)
            .iter()
            .filter_map(|v| world.visits.get(v))
            .filter(|v| window.contains(&local_date(v.planned_start)))
            .collect();
        near.sort_by_key(|v| (v.planned_start, v.visit_ref.clone()));
        let visits = near
            .into_iter()
            .map(|v| {
                let date = local_date(v.planned_start);
                let attended = !world.attendance_refs_of(&v.visit_ref).is_empty();
                let status = match (&v.cancellation, attended) {
                    (Some(c), _) => format!("cancelled by the {}", c.by.word()),
                    (None, true) => "attended".to_owned(),
                    (None, false) if local_date(v.planned_end) < today => "missed".to_owned(),
                    (None, false) => "planned".to_owned(),
                };
                VisitRow {
                    visit_ref: v.visit_ref.clone(),
                    start: format!(
                        "{} {}",
                        date.format("%a %-d %b"),
                        local_hhmm(v.planned_start)
                    ),
                    end: local_hhmm(v.planned_end),
                    outcome: plan
                        .outcome_on(&v.outcome_ref, date)
                        .map_or_else(|| v.outcome_ref.clone(), |o| o.title.clone()),
                    workers: if v.worker_refs.is_empty() {
                        "not assigned".to_owned()
                    } else {
                        v.worker_refs.join(", ")
                    },
                    status,
                }
            })
            .collect();
        let mut statement_months = Vec::new();
        let mut month = today.with_day(1).unwrap_or(today);
        let first = agreement
            .start_date
            .with_day(1)
            .unwrap_or(agreement.start_date);
        while month >= first && statement_months.len() < 12 {
            statement_months.push(month.format("%Y-%m").to_string());
            month = month
                .pred_opt()
                .and_then(|d| d.with_day(1))
                .unwrap_or(first - chrono::Duration::days(1));
        }
        agreements.push(AgreementView {
            agreement_ref: a.clone(),
            live: agreement.is_live_on(today),
            start_date: agreement.start_date,
            end_date: agreement.end_date,
            plan_version: plan.version_in_force(on),
            plan_pending: pending_versions(&world, a, plan.version_in_force(on)),
            outcomes,
            funds,
            ledger,
            visits,
            statement_months,
        });
    }
    Ok(PersonView {
        today,
        person_ref: person_ref.to_owned(),
        name: match &person.family_name {
            Some(f) => format!("{} {f}", person.given_name),
            None => person.given_name.clone(),
        },
        communication_format: person.communication_format.word().replace('_', " "),
        decision_maker: person.decision_maker.word().replace('_', " "),
        representative_name: person.representative_name.clone(),
        agreements,
    })
}

/// The plan versions above `in_force` that are drafts, submitted, or approved from a later day.
fn pending_versions(
    world: &crate::domain::world::World,
    agreement_ref: &str,
    in_force: Option<i64>,
) -> Vec<String> {
    use crate::domain::plan_workflow::{PlanStatus, PlanStep};
    let mut versions: Vec<i64> = world
        .outcome_rows(agreement_ref)
        .map(|o| o.plan_version)
        .filter(|v| in_force.is_none_or(|f| *v > f))
        .collect();
    versions.dedup();
    versions
        .into_iter()
        .map(|v| {
            let rows: Vec<_> = world
                .outcome_rows(agreement_ref)
                .filter(|o| o.plan_version == v)
                .collect();
            let returned = world
                .plan_decisions_of(agreement_ref, v)
                .last()
                .filter(|d| d.step == PlanStep::Returned);
            match (world.plan_status(agreement_ref, v, &rows), returned) {
                (PlanStatus::Draft, Some(d)) => format!(
                    "Version {v}: returned by {} on {}: “{}”",
                    d.decided_by, d.decided_on, d.note
                ),
                (PlanStatus::Draft, None) => format!("Version {v}: a draft, not yet submitted"),
                (PlanStatus::Submitted { on }, _) => {
                    format!("Version {v}: submitted on {on}, waiting for the commissioner")
                }
                (PlanStatus::Approved { on, .. }, _) => {
                    format!("Version {v}: approved, in force from {on}")
                }
            }
        })
        .collect()
}
