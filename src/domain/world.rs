//! Everything the provider holds, as domain values with the indexes the rules need. Loaded by the
//! database layer, extended by imports, read by costing, returns and statements.
use super::model::*;
use super::plan::Plan;
use super::plan_workflow::{PlanDecision, PlanStatus, PlanStep};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A hash map with a fast seeded hasher: the world holds hundreds of thousands of string keys, and
/// SipHash was a tenth of an import's time.
pub type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

#[derive(Debug, Default, Clone)]
pub struct World {
    pub commissioners: BTreeMap<String, Commissioner>,
    /// commissioner_ref → its rate card rows.
    pub rates: HashMap<String, Vec<Rate>>,
    pub people: HashMap<String, Person>,
    pub agreements: BTreeMap<String, Agreement>,
    /// person_ref → that person's agreement refs (kept by `add_agreement`).
    pub agreements_by_person: HashMap<String, Vec<String>>,
    /// Normalised agreement key → agreement_ref.
    pub agreement_keys: HashMap<String, String>,
    /// (agreement_ref, stream_ref) → stream, in agreement then stream order.
    pub streams: BTreeMap<(String, String), Stream>,
    /// (agreement_ref, plan_version, outcome_ref) → outcome.
    pub outcomes: BTreeMap<(String, i64, String), Outcome>,
    pub workers: HashMap<String, Worker>,
    /// (worker_ref, person_ref) → relationship.
    pub relationships: HashMap<(String, String), WorkerRelationship>,
    pub visits: HashMap<String, Visit>,
    pub attendances: HashMap<String, Attendance>,
    pub receipts: HashMap<String, Receipt>,
    pub purchases: HashMap<String, Purchase>,
    pub repayments: HashMap<String, Repayment>,
    pub earmarks: HashMap<String, Earmark>,
    /// Approved unplanned attendances, by attendance ref, each as the visit it is costed as: the
    /// approved outcome, planned as delivered, one worker. Never part of an import's checks.
    pub approved_unplanned: HashMap<String, Visit>,
    /// (agreement_ref, plan_version) → the steps taken on that version in the service, oldest
    /// first. An approval here puts the version in force without touching its outcome rows.
    pub plan_decisions: BTreeMap<(String, i64), Vec<PlanDecision>>,
    /// Read indexes, built on first use by reports (a world being imported into never uses them).
    index: ReadIndex,
}

#[derive(Debug, Default, Clone)]
struct ReadIndex {
    visits_by_agreement: std::sync::OnceLock<HashMap<String, Vec<String>>>,
    attendances_by_visit: std::sync::OnceLock<HashMap<String, Vec<String>>>,
}

impl World {
    /// The streams of one agreement.
    pub fn streams_of<'a>(&'a self, agreement_ref: &str) -> impl Iterator<Item = &'a Stream> + 'a {
        let key = agreement_ref.to_owned();
        self.streams
            .range((key.clone(), String::new())..)
            .take_while(move |((a, _), _)| *a == key)
            .map(|(_, s)| s)
    }

    pub fn primary_stream(&self, agreement_ref: &str) -> Option<&Stream> {
        self.streams_of(agreement_ref).find(|s| s.primary)
    }

    pub fn stream(&self, agreement_ref: &str, stream_ref: &str) -> Option<&Stream> {
        self.streams
            .get(&(agreement_ref.to_owned(), stream_ref.to_owned()))
    }

    /// Every outcome row (all versions) of one agreement.
    pub fn outcome_rows<'a>(
        &'a self,
        agreement_ref: &str,
    ) -> impl Iterator<Item = &'a Outcome> + 'a {
        let key = agreement_ref.to_owned();
        self.outcomes
            .range((key.clone(), i64::MIN, String::new())..)
            .take_while(move |((a, _, _), _)| *a == key)
            .map(|(_, o)| o)
    }

    /// Every outcome row of one agreement as in effect: a draft version approved in the service
    /// carries that approval.
    pub fn effective_outcome_rows<'a>(
        &'a self,
        agreement_ref: &str,
    ) -> impl Iterator<Item = Cow<'a, Outcome>> + 'a {
        let decided = !self.plan_decisions.is_empty();
        self.outcome_rows(agreement_ref).map(move |o| {
            if !decided || o.approved_on.is_some() {
                return Cow::Borrowed(o);
            }
            match self.plan_status(&o.agreement_ref, o.plan_version, &[o]) {
                PlanStatus::Approved { by, on, .. } => Cow::Owned(Outcome {
                    approved_by: Some(by),
                    approved_on: Some(on),
                    ..o.clone()
                }),
                _ => Cow::Borrowed(o),
            }
        })
    }

    /// The steps taken in the service on one plan version, oldest first.
    pub fn plan_decisions_of(&self, agreement_ref: &str, version: i64) -> &[PlanDecision] {
        self.plan_decisions
            .get(&(agreement_ref.to_owned(), version))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Where one plan version stands, given its rows as imported.
    pub fn plan_status(&self, agreement_ref: &str, version: i64, rows: &[&Outcome]) -> PlanStatus {
        super::plan_workflow::status(rows, self.plan_decisions_of(agreement_ref, version))
    }

    /// Whether outcomes may still be added to a plan version: not once it is submitted or approved
    /// in the service (a version approved in a file takes further rows from the file, as before).
    pub fn plan_version_open(&self, agreement_ref: &str, version: i64) -> Result<(), String> {
        let decisions = self.plan_decisions_of(agreement_ref, version);
        match decisions.last() {
            Some(d) if d.step != PlanStep::Returned => Err(format!(
                "plan version {version} of {agreement_ref} was {} on {}: its outcomes are fixed; \
                 put changes in a new version",
                d.step, d.decided_on
            )),
            _ => Ok(()),
        }
    }

    /// Records a step taken on a plan version.
    pub fn add_plan_decision(&mut self, decision: PlanDecision) {
        self.plan_decisions
            .entry((decision.agreement_ref.clone(), decision.plan_version))
            .or_default()
            .push(decision);
    }

    /// The plan of one agreement, with the approvals made in the service.
    pub fn plan(&self, agreement_ref: &str) -> Plan {
        Plan::new(self.effective_outcome_rows(agreement_ref))
    }

    /// Plans of every agreement.
    pub fn plans(&self) -> HashMap<String, Plan> {
        self.agreements
            .keys()
            .map(|a| (a.clone(), self.plan(a)))
            .collect()
    }

    /// The refs of one agreement's visits.
    pub fn visit_refs_of(&self, agreement_ref: &str) -> &[String] {
        let index = self.index.visits_by_agreement.get_or_init(|| {
            let mut map: HashMap<String, Vec<String>> = HashMap::default();
            for v in self.visits.values() {
                map.entry(v.agreement_ref.clone())
                    .or_default()
                    .push(v.visit_ref.clone());
            }
            map
        });
        index.get(agreement_ref).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The refs of one visit's attendances.
    pub fn attendance_refs_of(&self, visit_ref: &str) -> &[String] {
        let index = self.index.attendances_by_visit.get_or_init(|| {
            let mut map: HashMap<String, Vec<String>> = HashMap::default();
            for a in self.attendances.values() {
                if let Some(v) = &a.visit_ref {
                    map.entry(v.clone())
                        .or_default()
                        .push(a.attendance_ref.clone());
                }
            }
            map
        });
        index.get(visit_ref).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Adds an agreement under its ref and its person.
    pub fn add_agreement(&mut self, agreement: Agreement) {
        self.agreements_by_person
            .entry(agreement.person_ref.clone())
            .or_default()
            .push(agreement.agreement_ref.clone());
        self.agreements
            .insert(agreement.agreement_ref.clone(), agreement);
    }

    /// The agreements of one person.
    pub fn agreements_of<'a>(
        &'a self,
        person_ref: &str,
    ) -> impl Iterator<Item = &'a Agreement> + 'a {
        self.agreements_by_person
            .get(person_ref)
            .into_iter()
            .flatten()
            .filter_map(|a| self.agreements.get(a))
    }

    /// The agreement of `person_ref` live on `date`, if any.
    pub fn live_agreement_of(
        &self,
        person_ref: &str,
        date: chrono::NaiveDate,
    ) -> Option<&Agreement> {
        self.agreements_of(person_ref).find(|a| a.is_live_on(date))
    }

    /// Records the approval of the unplanned attendance `attendance_ref` for `outcome_ref`: from
    /// then on it is costed as a visit of the person's agreement live on its check-in date, planned
    /// as delivered. None when the attendance is unknown, planned, or on no live agreement.
    pub fn approve_unplanned(&mut self, attendance_ref: &str, outcome_ref: &str) -> Option<&Visit> {
        let a = self.attendances.get(attendance_ref)?;
        if a.visit_ref.is_some() {
            return None;
        }
        let date = crate::domain::calendar::local_date(a.check_in);
        let agreement = self.live_agreement_of(&a.person_ref, date)?;
        let visit = Visit {
            visit_ref: a.attendance_ref.clone(),
            agreement_ref: agreement.agreement_ref.clone(),
            outcome_ref: outcome_ref.to_owned(),
            planned_start: a.check_in,
            planned_end: a.check_out,
            workers_required: 1,
            worker_refs: vec![a.worker_ref.clone()],
            cancellation: None,
        };
        self.approved_unplanned
            .insert(attendance_ref.to_owned(), visit);
        self.approved_unplanned.get(attendance_ref)
    }

    /// The commissioner funding a stream.
    pub fn commissioner_of(&self, stream: &Stream) -> Option<&Commissioner> {
        self.commissioners.get(&stream.commissioner_ref)
    }

    /// Attendances grouped by visit, and the unplanned ones.
    pub fn attendances_by_visit(&self) -> (HashMap<&str, Vec<&Attendance>>, Vec<&Attendance>) {
        let mut by_visit: HashMap<&str, Vec<&Attendance>> = HashMap::default();
        let mut unplanned = Vec::new();
        for a in self.attendances.values() {
            match &a.visit_ref {
                Some(v) => by_visit.entry(v.as_str()).or_default().push(a),
                None => unplanned.push(a),
            }
        }
        (by_visit, unplanned)
    }
}
