//! The coordinator's workspace: every fund with its balance and what needs attention today —
//! overspent funds, surplus that must go back, missed visits this week, DBS checks lapsing, plans
//! due for review — and the queue of open exceptions. Provider staff only.
use super::queries::{ExceptionItem, ExceptionStatus, QueryError};
use super::reports::{ledger_by_agreement, stream_surplus};
use crate::db;
use crate::domain::access::Principal;
use crate::domain::billing::ExceptionKind;
use crate::domain::calendar::monday_of;
use crate::domain::ledger::{fund_balance, Account};
use crate::domain::money::Pence;
use crate::domain::plan::{review_due, ReviewDue};
use crate::domain::roster::dbs_lapse_warning;
use chrono::NaiveDate;
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
        let dated: Vec<_> = mine
            .iter()
            .copied()
            .filter(|t| t.entry.date <= today)
            .collect();
        for stream in world.streams_of(&agreement.agreement_ref) {
            let fund = Account::fund(&stream.agreement_ref, &stream.stream_ref);
            let balance = fund_balance(dated.iter().flat_map(|t| t.entry.postings.iter()), &fund);
            let (earmarked, returnable) = stream_surplus(&world, &dated, stream, balance, today);
            funds.push(FundRow {
                agreement_ref: agreement.agreement_ref.clone(),
                person_ref: agreement.person_ref.clone(),
                person: person_name(&agreement.person_ref),
                stream_ref: stream.stream_ref.clone(),
                commissioner_ref: stream.commissioner_ref.clone(),
                balance,
                earmarked,
                available: balance - earmarked,
                returnable,
            });
        }
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
