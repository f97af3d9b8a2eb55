//! The life of a support plan version in the service: the provider drafts it and submits it; an
//! officer of a commissioner funding the agreement approves it (in force from that day) or returns
//! it with a note, which makes it a draft again. A change the provider makes within budget — a new
//! version that costs no more each week, stream by stream, than the plan in force — is approved by
//! the provider when submitted and logged, without waiting for the commissioner (issue 5).
//!
//! Versions approved in a file (`outcomes.csv` with `approved_on`) stay as they are; decisions made
//! in the service are kept beside the outcome rows, never written into them, so re-importing the
//! same draft file is still a no-op.
use super::billing::rate_in_force;
use super::calendar::Instant;
use super::model::{word_enum, Outcome, Rate, RateUnit, SupportType};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

word_enum!(
    /// A step taken on a plan version in the service.
    PlanStep {
        Submitted = "submitted",
        Approved = "approved",
        Returned = "returned",
    }
);

word_enum!(
    /// How an approved version came to be approved: `file` (`approved_by` and `approved_on` in
    /// `outcomes.csv`, approved outside the service), `commissioner` (by an officer of a
    /// commissioner funding the agreement) or `within_budget` (by the provider: a day-to-day change
    /// that costs no more than the plan in force).
    ApprovalRoute {
        File = "file",
        Commissioner = "commissioner",
        WithinBudget = "within_budget",
    }
);

/// One step taken on a plan version, kept for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanDecision {
    pub agreement_ref: String,
    pub plan_version: i64,
    pub step: PlanStep,
    /// The username of who took the step.
    pub decided_by: String,
    /// Their role's word (`coordinator`, `commissioner_officer`, …).
    pub role: String,
    /// The local date of the step: an approval is in force from this day.
    pub decided_on: NaiveDate,
    pub decided_at: Instant,
    /// For an approval: the route (`commissioner` or `within_budget`).
    pub route: Option<ApprovalRoute>,
    pub note: String,
}

/// Where a version stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanStatus {
    /// Being written: outcomes may be added; never in force.
    Draft,
    /// Waiting for a commissioner officer; its outcomes are fixed.
    Submitted { on: NaiveDate },
    /// In force from `on` (unless a higher version is in force by then).
    Approved {
        by: String,
        on: NaiveDate,
        route: ApprovalRoute,
    },
}

impl PlanStatus {
    pub fn word(&self) -> &'static str {
        match self {
            PlanStatus::Draft => "draft",
            PlanStatus::Submitted { .. } => "submitted",
            PlanStatus::Approved { .. } => "approved",
        }
    }
}

/// The status of one version from its outcome rows as imported and the steps taken on it in the
/// service, oldest first. The last step decides; with none, the rows' own approval does.
pub fn status(rows: &[&Outcome], decisions: &[PlanDecision]) -> PlanStatus {
    if let Some(last) = decisions.last() {
        return match last.step {
            PlanStep::Submitted => PlanStatus::Submitted {
                on: last.decided_on,
            },
            PlanStep::Returned => PlanStatus::Draft,
            PlanStep::Approved => PlanStatus::Approved {
                by: last.decided_by.clone(),
                on: last.decided_on,
                route: last.route.unwrap_or(ApprovalRoute::Commissioner),
            },
        };
    }
    match rows.first() {
        Some(Outcome {
            approved_by: Some(by),
            approved_on: Some(on),
            ..
        }) => PlanStatus::Approved {
            by: by.clone(),
            on: *on,
            route: ApprovalRoute::File,
        },
        _ => PlanStatus::Draft,
    }
}

/// Whether `step` may be taken on a version in `status`; the reason when not.
pub fn check_step(
    agreement_ref: &str,
    version: i64,
    status: &PlanStatus,
    step: PlanStep,
) -> Result<(), String> {
    let this = format!("plan version {version} of {agreement_ref}");
    match (step, status) {
        (PlanStep::Submitted, PlanStatus::Draft) => Ok(()),
        (PlanStep::Approved | PlanStep::Returned, PlanStatus::Submitted { .. }) => Ok(()),
        (_, PlanStatus::Approved { on, .. }) => Err(format!(
            "{this} was approved on {on}: an approved version is kept; changes go in a new version"
        )),
        (PlanStep::Submitted, PlanStatus::Submitted { on }) => {
            Err(format!("{this} was already submitted on {on}"))
        }
        (_, PlanStatus::Draft) => Err(format!(
            "{this} is a draft: the provider submits it before a commissioner approves or returns it"
        )),
    }
}

/// DOMAIN.md §9: a version's number must be higher than every version approved before it (and, so
/// that it is ever in force, than every version approved the same day). `approved` lists the other
/// versions' approvals.
pub fn check_approval_order(
    agreement_ref: &str,
    version: i64,
    on: NaiveDate,
    approved: impl IntoIterator<Item = (i64, NaiveDate)>,
) -> Result<(), String> {
    for (other, other_on) in approved {
        if other == version {
            continue;
        }
        if (other_on <= on && other > version) || (other_on > on && other < version) {
            return Err(format!(
                "plan version {other} of {agreement_ref} was approved on {other_on}: a version's \
                 number must be higher than every version approved before it"
            ));
        }
    }
    Ok(())
}

/// One stream's weekly cost under the plan in force and under the new version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamBudget {
    pub stream_ref: String,
    /// Weekly hours of hourly support × the weekday rate in force, exact.
    pub hourly_cost_before: Decimal,
    pub hourly_cost_after: Decimal,
    /// Weekly hours of support priced by the night (sleep-ins), compared as hours.
    pub night_hours_before: Decimal,
    pub night_hours_after: Decimal,
}

impl StreamBudget {
    pub fn within(&self) -> bool {
        self.hourly_cost_after <= self.hourly_cost_before
            && self.night_hours_after <= self.night_hours_before
    }
}

/// Whether `new` (a version's outcomes) is a change within budget of `in_force` (the outcomes of
/// the plan in force on `on`), stream by stream: hourly support priced at each stream's
/// commissioner's weekday rate in force on `on` costs no more a week, and night-priced support
/// (sleep-ins) plans no more hours. A weekly plan says nothing about which days hours fall on, so
/// the weekday rate is the fair common price for both. `rates_of` gives a stream's rate card.
/// `Err` names an outcome with no rate: such a change is for the commissioner to approve.
pub fn budget_change<'r>(
    new: &[&Outcome],
    in_force: &[Outcome],
    on: NaiveDate,
    rates_of: impl Fn(&str) -> &'r [Rate],
) -> Result<Vec<StreamBudget>, String> {
    let mut streams: BTreeMap<String, StreamBudget> = BTreeMap::new();
    let mut add = |o: &'_ Outcome, after: bool| -> Result<(), String> {
        let rate = rate_in_force(rates_of(&o.stream_ref), o.support_type, on).ok_or_else(|| {
            format!(
                "no rate for {} on {on} for outcome {}",
                o.support_type, o.outcome_ref
            )
        })?;
        let entry = streams
            .entry(o.stream_ref.clone())
            .or_insert_with(|| StreamBudget {
                stream_ref: o.stream_ref.clone(),
                hourly_cost_before: Decimal::ZERO,
                hourly_cost_after: Decimal::ZERO,
                night_hours_before: Decimal::ZERO,
                night_hours_after: Decimal::ZERO,
            });
        let by_night = rate.unit == RateUnit::Night || o.support_type == SupportType::SleepIn;
        let (cost, nights) = if after {
            (&mut entry.hourly_cost_after, &mut entry.night_hours_after)
        } else {
            (&mut entry.hourly_cost_before, &mut entry.night_hours_before)
        };
        if by_night {
            *nights += o.weekly_hours;
        } else {
            *cost += o.weekly_hours * Decimal::from(rate.weekday.pence());
        }
        Ok(())
    };
    for o in in_force {
        add(o, false)?;
    }
    for o in new {
        add(o, true)?;
    }
    Ok(streams.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Pence;
    use chrono::{TimeZone, Utc};

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn outcome(
        version: i64,
        outcome_ref: &str,
        stream: &str,
        support: SupportType,
        hours: &str,
    ) -> Outcome {
        Outcome {
            agreement_ref: "AG".into(),
            plan_version: version,
            outcome_ref: outcome_ref.into(),
            stream_ref: stream.into(),
            title: "t".into(),
            support_type: support,
            weekly_hours: hours.parse().unwrap(),
            short_visits_agreed: false,
            approved_by: None,
            approved_on: None,
        }
    }

    fn decision(step: PlanStep, on: &str) -> PlanDecision {
        PlanDecision {
            agreement_ref: "AG".into(),
            plan_version: 2,
            step,
            decided_by: "someone".into(),
            role: "coordinator".into(),
            decided_on: d(on),
            decided_at: Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap(),
            route: (step == PlanStep::Approved).then_some(ApprovalRoute::Commissioner),
            note: String::new(),
        }
    }

    fn rates() -> Vec<Rate> {
        let rate = |support_type, unit, weekday| Rate {
            commissioner_ref: "NCC".into(),
            support_type,
            effective_from: d("2026-01-01"),
            unit,
            weekday: Pence::new(weekday),
            weekend: Pence::new(weekday + 200),
            bank_holiday: Pence::new(weekday * 2),
        };
        vec![
            rate(SupportType::PersonalCare, RateUnit::Hour, 2400),
            rate(SupportType::SocialInclusion, RateUnit::Hour, 2000),
            rate(SupportType::SleepIn, RateUnit::Night, 9000),
        ]
    }

    #[test]
    fn a_version_is_draft_until_submitted_and_the_last_step_decides() {
        let row = outcome(2, "O-WASH", "ASC", SupportType::PersonalCare, "3");
        assert_eq!(status(&[&row], &[]), PlanStatus::Draft);
        let submitted = decision(PlanStep::Submitted, "2026-11-20");
        assert_eq!(
            status(&[&row], std::slice::from_ref(&submitted)),
            PlanStatus::Submitted {
                on: d("2026-11-20")
            }
        );
        let returned = decision(PlanStep::Returned, "2026-11-21");
        assert_eq!(
            status(&[&row], &[submitted.clone(), returned.clone()]),
            PlanStatus::Draft
        );
        let approved = decision(PlanStep::Approved, "2026-11-23");
        assert_eq!(
            status(
                &[&row],
                &[
                    submitted,
                    returned,
                    decision(PlanStep::Submitted, "2026-11-22"),
                    approved
                ]
            ),
            PlanStatus::Approved {
                by: "someone".into(),
                on: d("2026-11-23"),
                route: ApprovalRoute::Commissioner
            }
        );
    }

    #[test]
    fn a_version_approved_in_the_file_is_approved_by_its_file() {
        let mut row = outcome(1, "O-WASH", "ASC", SupportType::PersonalCare, "3");
        row.approved_by = Some("NCC brokerage".into());
        row.approved_on = Some(d("2026-02-20"));
        assert_eq!(
            status(&[&row], &[]),
            PlanStatus::Approved {
                by: "NCC brokerage".into(),
                on: d("2026-02-20"),
                route: ApprovalRoute::File
            }
        );
    }

    #[test]
    fn only_a_draft_is_submitted_and_only_a_submitted_version_is_approved_or_returned() {
        use PlanStep::*;
        let draft = PlanStatus::Draft;
        let submitted = PlanStatus::Submitted {
            on: d("2026-11-20"),
        };
        let approved = PlanStatus::Approved {
            by: "x".into(),
            on: d("2026-11-20"),
            route: ApprovalRoute::File,
        };
        assert!(check_step("AG", 2, &draft, Submitted).is_ok());
        assert!(check_step("AG", 2, &draft, Approved).is_err());
        assert!(check_step("AG", 2, &draft, Returned).is_err());
        assert!(check_step("AG", 2, &submitted, Approved).is_ok());
        assert!(check_step("AG", 2, &submitted, Returned).is_ok());
        assert!(check_step("AG", 2, &submitted, Submitted).is_err());
        for step in [Submitted, Approved, Returned] {
            let reason = check_step("AG", 2, &approved, step).unwrap_err();
            assert!(reason.contains("new version"), "{reason}");
        }
    }

    #[test]
    fn a_version_number_rises_with_its_approval() {
        let approved = [(1, d("2026-02-20")), (3, d("2026-12-01"))];
        assert!(check_approval_order("AG", 2, d("2026-11-23"), approved).is_ok());
        assert!(
            check_approval_order("AG", 4, d("2026-11-23"), approved).is_err(),
            "3 is approved later"
        );
        assert!(check_approval_order("AG", 1, d("2026-11-23"), [(2, d("2026-03-01"))]).is_err());
        assert!(
            check_approval_order("AG", 2, d("2026-11-23"), [(3, d("2026-11-23"))]).is_err(),
            "a lower version approved the same day as a higher one would never be in force"
        );
    }

    #[test]
    fn moving_hours_to_cheaper_support_is_within_budget_and_adding_hours_is_not() {
        let rates = rates();
        let in_force = vec![
            outcome(1, "O-WASH", "ASC", SupportType::PersonalCare, "5"),
            outcome(1, "O-SWIM", "ASC", SupportType::SocialInclusion, "2"),
        ];
        // 5 h × £24 + 2 h × £20 = £160 a week; swimming up to 3 h and washing down to 4.5 h = £168.
        let swim_more = [
            outcome(2, "O-WASH", "ASC", SupportType::PersonalCare, "4.5"),
            outcome(2, "O-SWIM", "ASC", SupportType::SocialInclusion, "3"),
        ];
        let change = budget_change(
            &swim_more.iter().collect::<Vec<_>>(),
            &in_force,
            d("2026-11-23"),
            |_| &rates,
        )
        .unwrap();
        assert_eq!(change.len(), 1);
        assert_eq!(change[0].hourly_cost_before, Decimal::from(16000));
        assert_eq!(change[0].hourly_cost_after, Decimal::from(16800));
        assert!(!change[0].within());
        // Washing down to 4 h pays for the third hour of swimming: £156.
        let swap = [
            outcome(2, "O-WASH", "ASC", SupportType::PersonalCare, "4"),
            outcome(2, "O-SWIM", "ASC", SupportType::SocialInclusion, "3"),
        ];
        let change = budget_change(
            &swap.iter().collect::<Vec<_>>(),
            &in_force,
            d("2026-11-23"),
            |_| &rates,
        )
        .unwrap();
        assert!(change.iter().all(StreamBudget::within));
    }

    #[test]
    fn a_new_stream_or_more_sleep_in_hours_needs_the_commissioner() {
        let rates = rates();
        let in_force = vec![outcome(1, "O-NIGHT", "ASC", SupportType::SleepIn, "20")];
        let more_nights = [outcome(2, "O-NIGHT", "ASC", SupportType::SleepIn, "30")];
        let change = budget_change(
            &more_nights.iter().collect::<Vec<_>>(),
            &in_force,
            d("2026-11-23"),
            |_| &rates,
        )
        .unwrap();
        assert!(!change[0].within());
        let new_stream = [
            outcome(2, "O-NIGHT", "ASC", SupportType::SleepIn, "20"),
            outcome(2, "O-GARDEN", "CHC", SupportType::SocialInclusion, "1"),
        ];
        let change = budget_change(
            &new_stream.iter().collect::<Vec<_>>(),
            &in_force,
            d("2026-11-23"),
            |_| &rates,
        )
        .unwrap();
        assert_eq!(change.len(), 2);
        assert!(!change.iter().all(StreamBudget::within));
    }

    #[test]
    fn a_change_with_no_rate_in_force_is_not_judged() {
        let in_force = vec![outcome(1, "O-WASH", "ASC", SupportType::PersonalCare, "5")];
        let new = [outcome(2, "O-WASH", "ASC", SupportType::PersonalCare, "4")];
        let err = budget_change(
            &new.iter().collect::<Vec<_>>(),
            &in_force,
            d("2026-11-23"),
            |_| &[],
        )
        .unwrap_err();
        assert!(err.contains("no rate"), "{err}");
    }
}
