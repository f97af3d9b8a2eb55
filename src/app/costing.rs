//! Costing every visit of the world with the domain rules: shared by reconciliation, returns and
//! statements so that they can never disagree.
use crate::domain::billing::{cost_visit, AttendanceFacts, CostError, VisitCosting};
use crate::domain::calendar::local_date;
use crate::domain::model::{Outcome, Visit};
use crate::domain::plan::Plan;
use crate::domain::roster::{dbs_clearance, is_restricted};
use crate::domain::world::HashMap;
use crate::domain::world::World;
use chrono::NaiveDate;

/// A visit with its outcome (as in force on its date) and its costing.
#[derive(Debug, Clone)]
pub struct CostedVisit<'w> {
    pub visit: &'w Visit,
    pub outcome: Outcome,
    pub date: NaiveDate,
    pub costing: VisitCosting,
    /// An approved unplanned attendance costed as a visit (`visit.visit_ref` is the attendance's).
    pub unplanned: bool,
}

/// Why the world's visits cannot be costed.
#[derive(Debug, thiserror::Error)]
pub enum CostingError {
    #[error("visit {visit_ref}: {source}")]
    Cost {
        visit_ref: String,
        source: CostError,
    },
    #[error("visit {0} names an outcome that is not in the plan in force on its date")]
    NoOutcome(String),
}

/// Costs every visit dated up to `through` (all visits when `None`).
pub fn cost_visits<'w>(
    world: &'w World,
    through: Option<NaiveDate>,
) -> Result<Vec<CostedVisit<'w>>, CostingError> {
    cost_visits_of(world, through, None)
}

/// Costs the visits of one agreement (all agreements when `None`) dated up to `through`.
pub fn cost_visits_of<'w>(
    world: &'w World,
    through: Option<NaiveDate>,
    agreement_ref: Option<&str>,
) -> Result<Vec<CostedVisit<'w>>, CostingError> {
    cost_visits_on(world, through, agreement_ref, threads_for)
}

/// Below this many visits costing stays on the calling thread.
const PARALLEL_FROM: usize = 4096;

fn threads_for(visits: usize) -> usize {
    if visits < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
    }
}

fn cost_visits_on<'w>(
    world: &'w World,
    through: Option<NaiveDate>,
    agreement_ref: Option<&str>,
    threads_for: impl Fn(usize) -> usize,
) -> Result<Vec<CostedVisit<'w>>, CostingError> {
    let mut by_visit: HashMap<&str, Vec<&crate::domain::model::Attendance>> = HashMap::default();
    let mut visits: Vec<&Visit> = match agreement_ref {
        Some(a) => {
            let visits: Vec<&Visit> = world
                .visit_refs_of(a)
                .iter()
                .filter_map(|v| world.visits.get(v))
                .collect();
            for v in &visits {
                let atts = world
                    .attendance_refs_of(&v.visit_ref)
                    .iter()
                    .filter_map(|r| world.attendances.get(r));
                by_visit.insert(v.visit_ref.as_str(), atts.collect());
            }
            visits
        }
        None => {
            by_visit = world.attendances_by_visit().0;
            world.visits.values().collect()
        }
    };
    // Approved unplanned attendances are costed like visits (DOMAIN.md §6: charged once approved).
    visits.extend(
        world
            .approved_unplanned
            .values()
            .filter(|v| agreement_ref.is_none_or(|a| v.agreement_ref == a)),
    );
    visits.sort_by(|a, b| (a.planned_start, &a.visit_ref).cmp(&(b.planned_start, &b.visit_ref)));
    // Each visit is costed on its own, so a large world is costed in chunks on every core; the
    // chunks keep the sorted order, and the first error in that order is the one reported.
    let chunk = visits
        .len()
        .div_ceil(threads_for(visits.len()).max(1))
        .max(1);
    let by_visit = &by_visit;
    let costed: Vec<Result<Vec<CostedVisit<'w>>, CostingError>> = std::thread::scope(|scope| {
        let running: Vec<_> = visits
            .chunks(chunk)
            .map(|part| scope.spawn(move || cost_chunk(world, part, by_visit, through)))
            .collect();
        running
            .into_iter()
            .map(|r| {
                r.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut out = Vec::with_capacity(visits.len());
    for part in costed {
        out.extend(part?);
    }
    Ok(out)
}

fn cost_chunk<'w>(
    world: &'w World,
    visits: &[&'w Visit],
    by_visit: &HashMap<&str, Vec<&'w crate::domain::model::Attendance>>,
    through: Option<NaiveDate>,
) -> Result<Vec<CostedVisit<'w>>, CostingError> {
    let mut plans: HashMap<&str, Plan> = HashMap::default();
    let mut out = Vec::with_capacity(visits.len());
    for &visit in visits {
        let date = local_date(visit.planned_start);
        if through.is_some_and(|t| date > t) {
            continue;
        }
        let Some(agreement) = world.agreements.get(&visit.agreement_ref) else {
            continue;
        };
        let plan = plans
            .entry(visit.agreement_ref.as_str())
            .or_insert_with(|| world.plan(&visit.agreement_ref));
        let outcome = plan
            .outcome_on(&visit.outcome_ref, date)
            .cloned()
            .ok_or_else(|| CostingError::NoOutcome(visit.visit_ref.clone()))?;
        let stream = world.stream(&visit.agreement_ref, &outcome.stream_ref);
        let commissioner = stream.and_then(|s| world.commissioner_of(s));
        let terms = commissioner.map(|c| c.terms.clone()).unwrap_or_default();
        let rates = stream
            .and_then(|s| world.rates.get(&s.commissioner_ref))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let unplanned = world
            .approved_unplanned
            .get(&visit.visit_ref)
            .is_some_and(|v| std::ptr::eq(v, visit));
        let own;
        let attendances = if unplanned {
            own = world
                .attendances
                .get(&visit.visit_ref)
                .into_iter()
                .collect();
            Some(&own)
        } else {
            by_visit.get(visit.visit_ref.as_str())
        };
        let facts: Vec<AttendanceFacts> = attendances
            .map(|atts: &Vec<&crate::domain::model::Attendance>| {
                atts.iter()
                    .map(|a| AttendanceFacts {
                        worker_ref: a.worker_ref.clone(),
                        check_in: a.check_in,
                        check_out: a.check_out,
                        cleared: world
                            .workers
                            .get(&a.worker_ref)
                            .is_some_and(|w| dbs_clearance(w, date).is_ok()),
                        restricted_relative: world
                            .relationships
                            .get(&(a.worker_ref.clone(), agreement.person_ref.clone()))
                            .is_some_and(is_restricted),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let costing =
            cost_visit(visit, outcome.support_type, &terms, rates, &facts).map_err(|source| {
                CostingError::Cost {
                    visit_ref: visit.visit_ref.clone(),
                    source,
                }
            })?;
        out.push(CostedVisit {
            visit,
            outcome,
            date,
            costing,
            unplanned,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::import::check_files;
    use crate::demo_data::{generate, DemoSpec};

    #[test]
    fn costing_in_chunks_on_several_threads_gives_the_one_thread_result() {
        let dir = std::env::temp_dir().join(format!("isf-costing-{}", std::process::id()));
        let spec = DemoSpec {
            people: 120,
            weeks: 4,
            seed: 11,
            start_monday: NaiveDate::from_ymd_opt(2026, 3, 2).expect("a date"),
        };
        generate(&spec, &dir).expect("demo files");
        let files = crate::cli::read_input(&dir).expect("the demo files");
        let _ = std::fs::remove_dir_all(&dir);
        let mut world = World::default();
        check_files(&mut world, &files).expect("the demo imports");
        let facts = |costed: Vec<CostedVisit>| -> Vec<_> {
            costed
                .into_iter()
                .map(|c| {
                    (
                        c.visit.visit_ref.clone(),
                        c.outcome,
                        c.date,
                        c.costing,
                        c.unplanned,
                    )
                })
                .collect()
        };
        let one = facts(cost_visits_on(&world, None, None, |_| 1).expect("costed"));
        assert!(one.len() > 1000, "{} visits", one.len());
        for threads in [2, 3, 7] {
            let many = facts(cost_visits_on(&world, None, None, |_| threads).expect("costed"));
            assert_eq!(many, one, "{threads} threads");
        }
        // The default splits a world this size only when it is large enough to pay.
        assert_eq!(threads_for(one.len().min(PARALLEL_FROM - 1)), 1);
    }
}
