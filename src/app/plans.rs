//! Support plans through the service (issue 5): read an agreement's plan versions, and take a step
//! on one — the provider submits a draft; an officer of a commissioner funding the agreement
//! approves it (in force from that day) or returns it with a note. A submitted version that costs
//! no more than the plan in force, stream by stream, is a day-to-day change within budget: the
//! provider's submission approves it at once, and the step is logged (plan history and audit log)
//! for the commissioner to see, without waiting for them (`domain::plan_workflow`).
use super::idempotent::{commit_with_reply, fingerprint, prior, Prior};
use super::queries::QueryError;
use super::receipts::{ReceiptReply, Reply};
use super::resolutions::NOTE_CHARS_MAX;
use crate::db::{self, DbError};
use crate::domain::access::{Action, Denied, Principal};
use crate::domain::calendar::{local_date, Instant};
use crate::domain::model::Outcome;
use crate::domain::plan_workflow::{
    budget_change, check_approval_order, check_step, ApprovalRoute, PlanDecision, PlanStatus,
    PlanStep, StreamBudget,
};
use crate::domain::refs::IdempotencyKey;
use crate::domain::world::World;
use chrono::NaiveDate;
use sea_orm::{DatabaseConnection, TransactionTrait};

/// One version of a plan as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanVersion {
    pub agreement_ref: String,
    pub version: i64,
    pub status: PlanStatus,
    /// Whether this is the version in force on the day asked about.
    pub in_force: bool,
    pub outcomes: Vec<Outcome>,
    /// The steps taken on it in the service, oldest first.
    pub decisions: Vec<PlanDecision>,
    /// For a submission: the weekly cost of each stream before and after, as judged.
    pub budget: Vec<StreamBudget>,
}

/// Every version of one agreement's plan, lowest first, as the caller may see it on `today`.
pub async fn plan_versions(
    db: &DatabaseConnection,
    viewer: &Principal,
    agreement_ref: &str,
    today: NaiveDate,
) -> Result<Vec<PlanVersion>, QueryError> {
    let world = db::load_world(db).await?;
    let not_found = || QueryError::NotFound {
        what: "agreement",
        reference: agreement_ref.to_owned(),
    };
    match viewer.check_agreement(Action::ReadPlans, &world, agreement_ref) {
        Ok(()) if world.agreements.contains_key(agreement_ref) => {}
        Err(Denied::Forbidden) => {
            return Err(QueryError::Forbidden {
                role: viewer.role.word().to_owned(),
                what: "see support plans",
            })
        }
        _ => return Err(not_found()),
    }
    let in_force = world.plan(agreement_ref).version_in_force(today);
    let mut versions: Vec<i64> = world
        .outcome_rows(agreement_ref)
        .map(|o| o.plan_version)
        .collect();
    versions.dedup();
    Ok(versions
        .into_iter()
        .map(|v| version_of(&world, agreement_ref, v, in_force, Vec::new()))
        .collect())
}

fn version_of(
    world: &World,
    agreement_ref: &str,
    version: i64,
    in_force: Option<i64>,
    budget: Vec<StreamBudget>,
) -> PlanVersion {
    let outcomes: Vec<&Outcome> = world
        .outcome_rows(agreement_ref)
        .filter(|o| o.plan_version == version)
        .collect();
    PlanVersion {
        agreement_ref: agreement_ref.to_owned(),
        version,
        status: world.plan_status(agreement_ref, version, &outcomes),
        in_force: in_force == Some(version),
        outcomes: outcomes.into_iter().cloned().collect(),
        decisions: world.plan_decisions_of(agreement_ref, version).to_vec(),
        budget,
    }
}

/// Why a step on a plan was not taken.
#[derive(Debug, thiserror::Error)]
pub enum PlanStepError {
    #[error("your role ({0}) may not {1} a support plan")]
    Forbidden(String, &'static str),
    #[error("no {0}")]
    NotFound(String),
    /// The version is not in a state this step applies to.
    #[error("{0}")]
    WrongState(String),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error(
        "this idempotency key was used for a different request; use a new key for a new request"
    )]
    KeyReused,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A step asked for: which version, what step, and the note that goes with it (required to return
/// a version, so the provider knows what to change).
#[derive(Debug, Clone)]
pub struct StepRequest<'a> {
    pub agreement_ref: &'a str,
    pub version: i64,
    pub step: PlanStep,
    pub note: &'a str,
}

/// Takes `request.step` on a plan version for `viewer`, idempotently, and answers with the version
/// as it then stands (`render` makes the reply stored with the key).
pub async fn take_step(
    db: &DatabaseConnection,
    viewer: &Principal,
    key: &IdempotencyKey,
    request: StepRequest<'_>,
    now: Instant,
    render: impl Fn(&PlanVersion) -> Reply,
) -> Result<ReceiptReply, PlanStepError> {
    let StepRequest {
        agreement_ref,
        version,
        step,
        note,
    } = request;
    let (action, verb) = match step {
        PlanStep::Submitted => (Action::SubmitPlans, "submit"),
        PlanStep::Approved => (Action::DecidePlans, "approve"),
        PlanStep::Returned => (Action::DecidePlans, "return"),
    };
    if viewer.may(action).is_err() {
        return Err(PlanStepError::Forbidden(
            viewer.role.word().to_owned(),
            verb,
        ));
    }
    let note = note.trim();
    if note.chars().count() > NOTE_CHARS_MAX {
        return Err(PlanStepError::Invalid {
            field: "note",
            reason: format!("at most {NOTE_CHARS_MAX} characters"),
        });
    }
    if step == PlanStep::Returned && note.is_empty() {
        return Err(PlanStepError::Invalid {
            field: "note",
            reason: "say what should change: the provider sees this note".to_owned(),
        });
    }
    let key = &key.owned_by(&viewer.username);
    let version_text = version.to_string();
    let request_hash = fingerprint(
        "plan-step/v1",
        [
            ("agreement_ref", agreement_ref),
            ("version", version_text.as_str()),
            ("step", step.word()),
            ("note", note),
        ],
    );
    let txn = db.begin().await.map_err(DbError::from)?;
    match prior(&txn, key, &request_hash).await? {
        Prior::Unused => {}
        Prior::Replay(reply) => return Ok(ReceiptReply::Replayed(reply)),
        Prior::OtherRequest => return Err(PlanStepError::KeyReused),
    }
    let mut world = db::load_world(&txn).await?;
    if !world.agreements.contains_key(agreement_ref)
        || !viewer.sees_agreement(&world, agreement_ref)
    {
        return Err(PlanStepError::NotFound(format!(
            "agreement {agreement_ref}"
        )));
    }
    let rows: Vec<Outcome> = world
        .outcome_rows(agreement_ref)
        .filter(|o| o.plan_version == version)
        .cloned()
        .collect();
    if rows.is_empty() {
        return Err(PlanStepError::NotFound(format!(
            "plan version {version} of {agreement_ref}"
        )));
    }
    let row_refs: Vec<&Outcome> = rows.iter().collect();
    let status = world.plan_status(agreement_ref, version, &row_refs);
    check_step(agreement_ref, version, &status, step).map_err(PlanStepError::WrongState)?;
    let today = local_date(now);
    let mut budget = Vec::new();
    let route = match step {
        PlanStep::Returned => None,
        PlanStep::Approved => Some(ApprovalRoute::Commissioner),
        PlanStep::Submitted => {
            // Judged against the plan in force today; a first plan is always the commissioner's.
            let plan = world.plan(agreement_ref);
            let in_force = plan.outcomes_on(today);
            if in_force.is_empty() {
                None
            } else {
                let streams = &world;
                match budget_change(&row_refs, in_force, today, |stream_ref| {
                    streams
                        .stream(agreement_ref, stream_ref)
                        .and_then(|s| streams.rates.get(&s.commissioner_ref))
                        .map(Vec::as_slice)
                        .unwrap_or(&[])
                }) {
                    Ok(change) => {
                        let within = change.iter().all(StreamBudget::within);
                        budget = change;
                        within.then_some(ApprovalRoute::WithinBudget)
                    }
                    Err(_) => None,
                }
            }
        }
    };
    let step = if route.is_some() {
        PlanStep::Approved
    } else {
        step
    };
    if step == PlanStep::Submitted || step == PlanStep::Approved {
        let approvals: Vec<(i64, NaiveDate)> = world
            .effective_outcome_rows(agreement_ref)
            .filter_map(|o| o.approved_on.map(|on| (o.plan_version, on)))
            .collect();
        check_approval_order(agreement_ref, version, today, approvals).map_err(|reason| {
            PlanStepError::Invalid {
                field: "version",
                reason,
            }
        })?;
    }
    let decision = PlanDecision {
        agreement_ref: agreement_ref.to_owned(),
        plan_version: version,
        step,
        decided_by: viewer.username.clone(),
        role: viewer.role.word().to_owned(),
        decided_on: today,
        decided_at: now,
        route,
        note: note.to_owned(),
    };
    world.add_plan_decision(decision.clone());
    if step == PlanStep::Approved {
        records_fit_plan(&world, agreement_ref, today).map_err(|reason| {
            PlanStepError::Invalid {
                field: "version",
                reason,
            }
        })?;
    }
    db::insert_plan_decision(&txn, &decision).await?;
    let event = match (step, route) {
        (PlanStep::Approved, Some(ApprovalRoute::WithinBudget)) => "plan.changed_within_budget",
        (PlanStep::Approved, _) => "plan.approved",
        (PlanStep::Submitted, _) => "plan.submitted",
        (PlanStep::Returned, _) => "plan.returned",
    };
    db::accounts::append_audit(
        &txn,
        now,
        &viewer.username,
        event,
        &format!("plan:{agreement_ref}:{version}"),
        note,
    )
    .await?;
    let in_force = world.plan(agreement_ref).version_in_force(today);
    let reply = render(&version_of(
        &world,
        agreement_ref,
        version,
        in_force,
        budget,
    ));
    commit_with_reply(txn, key, request_hash, &reply, now).await?;
    Ok(ReceiptReply::Fresh(reply))
}

/// Once a version is in force from `from`, every visit and purchase of the agreement dated from
/// then on must still name an outcome of the plan in force on its date, and every visit must still
/// be costed: an approval that would strand rostered care is refused with the first record at fault.
fn records_fit_plan(world: &World, agreement_ref: &str, from: NaiveDate) -> Result<(), String> {
    let plan = world.plan(agreement_ref);
    let mut visits: Vec<_> = world
        .visit_refs_of(agreement_ref)
        .iter()
        .filter_map(|v| world.visits.get(v))
        .map(|v| (local_date(v.planned_start), v))
        .filter(|(date, _)| *date >= from)
        .collect();
    visits.sort_by(|a, b| (a.0, &a.1.visit_ref).cmp(&(b.0, &b.1.visit_ref)));
    for (date, visit) in visits {
        if plan.outcome_on(&visit.outcome_ref, date).is_none() {
            return Err(format!(
                "visit {} on {date} is for outcome {}, which is not in this version: cancel the \
                 visit or keep the outcome",
                visit.visit_ref, visit.outcome_ref
            ));
        }
    }
    let mut purchases: Vec<_> = world
        .purchases
        .values()
        .filter(|p| p.agreement_ref == agreement_ref && p.paid_on >= from)
        .collect();
    purchases.sort_by(|a, b| (a.paid_on, &a.purchase_ref).cmp(&(b.paid_on, &b.purchase_ref)));
    for p in purchases {
        if plan.outcome_on(&p.outcome_ref, p.paid_on).is_none() {
            return Err(format!(
                "purchase {} on {} is for outcome {}, which is not in this version",
                p.purchase_ref, p.paid_on, p.outcome_ref
            ));
        }
    }
    super::costing::cost_visits_of(world, None, Some(agreement_ref))
        .map(|_| ())
        .map_err(|e| e.to_string())
}
