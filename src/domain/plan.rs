//! Support plans: which version is in force on a day, and the hours it plans.
use super::calendar::days;
use super::model::Outcome;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The approved versions of one agreement's plan, by version number.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// version → (approved_on, outcomes of that version)
    versions: BTreeMap<i64, (NaiveDate, Vec<Outcome>)>,
}

/// A review of the plan in force that is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDue {
    pub version: i64,
    pub approved_on: NaiveDate,
    /// `first` (6 to 8 weeks after approval) or `annual`.
    pub kind: &'static str,
    /// The last day of the review's window.
    pub due_by: NaiveDate,
}

/// The review due on `today` for a plan version approved on `approved_on`: the first review from 6
/// to 8 weeks after approval, then a yearly review in the 4 weeks up to each anniversary. (A review
/// that changes the plan approves a new version, which starts the clock again.)
pub fn review_due(version: i64, approved_on: NaiveDate, today: NaiveDate) -> Option<ReviewDue> {
    use chrono::Months;
    let first_from = approved_on + chrono::Duration::weeks(6);
    let first_by = approved_on + chrono::Duration::weeks(8);
    if (first_from..=first_by).contains(&today) {
        return Some(ReviewDue {
            version,
            approved_on,
            kind: "first",
            due_by: first_by,
        });
    }
    let mut years = 1;
    while let Some(anniversary) = approved_on.checked_add_months(Months::new(12 * years)) {
        if anniversary - chrono::Duration::weeks(4) > today {
            return None;
        }
        if today <= anniversary {
            return Some(ReviewDue {
                version,
                approved_on,
                kind: "annual",
                due_by: anniversary,
            });
        }
        years += 1;
    }
    None
}

impl Plan {
    /// The approved version in force on `date` and the day it was approved.
    pub fn approval_in_force(&self, date: NaiveDate) -> Option<(i64, NaiveDate)> {
        let version = self.version_in_force(date)?;
        self.versions
            .get(&version)
            .map(|(approved_on, _)| (version, *approved_on))
    }

    /// Builds the plan from every outcome row of one agreement; drafts are never in force.
    pub fn new<R: std::borrow::Borrow<Outcome>>(rows: impl IntoIterator<Item = R>) -> Plan {
        let mut versions: BTreeMap<i64, (NaiveDate, Vec<Outcome>)> = BTreeMap::new();
        for row in rows {
            let row = row.borrow();
            if let Some(approved_on) = row.approved_on {
                versions
                    .entry(row.plan_version)
                    .or_insert_with(|| (approved_on, Vec::new()))
                    .1
                    .push(row.clone());
            }
        }
        Plan { versions }
    }

    /// The approved version with the highest number approved on or before `date`.
    pub fn version_in_force(&self, date: NaiveDate) -> Option<i64> {
        self.versions
            .iter()
            .rev()
            .find(|(_, (approved_on, _))| *approved_on <= date)
            .map(|(version, _)| *version)
    }

    /// The outcomes of the plan in force on `date` (empty before the first approval).
    pub fn outcomes_on(&self, date: NaiveDate) -> &[Outcome] {
        self.version_in_force(date)
            .and_then(|v| self.versions.get(&v))
            .map(|(_, rows)| rows.as_slice())
            .unwrap_or(&[])
    }

    /// The outcome `outcome_ref` as it stands in the plan in force on `date`.
    pub fn outcome_on(&self, outcome_ref: &str, date: NaiveDate) -> Option<&Outcome> {
        self.outcomes_on(date)
            .iter()
            .find(|o| o.outcome_ref == outcome_ref)
    }

    /// Planned hours from `from` to `to` (both included, already clipped to the agreement), summing
    /// day by day the weekly hours / 7 of the outcomes in force, optionally of one stream only.
    /// Exact: the caller rounds once.
    pub fn planned_hours(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        stream_ref: Option<&str>,
    ) -> Decimal {
        let mut weekly_sum = Decimal::ZERO;
        for day in days(from, to) {
            weekly_sum += self
                .outcomes_on(day)
                .iter()
                .filter(|o| stream_ref.is_none_or(|s| o.stream_ref == s))
                .map(|o| o.weekly_hours)
                .sum::<Decimal>();
        }
        weekly_sum / Decimal::from(7)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::SupportType;

    fn outcome(version: i64, outcome_ref: &str, hours: &str, approved_on: Option<&str>) -> Outcome {
        Outcome {
            agreement_ref: "AG".into(),
            plan_version: version,
            outcome_ref: outcome_ref.into(),
            stream_ref: "ASC".into(),
            title: "t".into(),
            support_type: SupportType::PersonalCare,
            weekly_hours: hours.parse().unwrap(),
            short_visits_agreed: false,
            approved_by: approved_on.map(|_| "x".into()),
            approved_on: approved_on.map(|d| d.parse().unwrap()),
        }
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_plan_in_force_is_the_latest_approved_on_or_before_the_day_and_drafts_never_count() {
        let rows = [
            outcome(1, "O-WASH", "3", Some("2026-02-20")),
            outcome(2, "O-WASH", "3", Some("2026-03-30")),
            outcome(3, "O-WASH", "9", None),
        ];
        let plan = Plan::new(&rows);
        assert_eq!(plan.version_in_force(d("2026-02-19")), None);
        assert_eq!(plan.version_in_force(d("2026-03-29")), Some(1));
        assert_eq!(plan.version_in_force(d("2026-03-30")), Some(2));
        assert_eq!(plan.version_in_force(d("2027-01-01")), Some(2));
    }

    #[test]
    fn planned_hours_sum_day_by_day_across_a_plan_change() {
        let rows = [
            outcome(1, "O-WASH", "3", Some("2026-02-20")),
            outcome(1, "O-SWIM", "3", Some("2026-02-20")),
            outcome(2, "O-WASH", "3", Some("2026-03-30")),
            outcome(2, "O-SWIM", "2.5", Some("2026-03-30")),
        ];
        let plan = Plan::new(&rows);
        let hours = plan.planned_hours(d("2026-03-02"), d("2026-03-31"), None);
        assert_eq!(crate::domain::money::format_2dp(hours), "25.57");
    }
}

#[cfg(test)]
mod review_tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_plan_is_first_reviewed_six_to_eight_weeks_after_approval() {
        let approved = d("2026-03-02");
        assert_eq!(
            review_due(1, approved, d("2026-04-12")),
            None,
            "5 weeks 6 days"
        );
        let due = review_due(1, approved, d("2026-04-13")).expect("6 weeks");
        assert_eq!((due.kind, due.due_by), ("first", d("2026-04-27")));
        assert!(
            review_due(1, approved, d("2026-04-27")).is_some(),
            "8 weeks"
        );
        assert_eq!(
            review_due(1, approved, d("2026-04-28")),
            None,
            "after the window"
        );
    }

    #[test]
    fn then_yearly_in_the_four_weeks_up_to_each_anniversary() {
        let approved = d("2025-03-02");
        assert_eq!(review_due(1, approved, d("2026-02-01")), None);
        let due = review_due(1, approved, d("2026-02-02")).expect("4 weeks before");
        assert_eq!((due.kind, due.due_by), ("annual", d("2026-03-02")));
        assert_eq!(
            review_due(1, approved, d("2026-03-03")),
            None,
            "the day after"
        );
        assert_eq!(
            review_due(1, approved, d("2027-03-01")).unwrap().due_by,
            d("2027-03-02")
        );
    }

    #[test]
    fn a_plan_approved_on_29_february_is_reviewed_by_28_february() {
        let due = review_due(1, d("2028-02-29"), d("2029-02-20")).unwrap();
        assert_eq!(due.due_by, d("2029-02-28"));
    }
}
