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

impl Plan {
    /// Builds the plan from every outcome row of one agreement; drafts are never in force.
    pub fn new<'a>(rows: impl IntoIterator<Item = &'a Outcome>) -> Plan {
        let mut versions: BTreeMap<i64, (NaiveDate, Vec<Outcome>)> = BTreeMap::new();
        for row in rows {
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
