//! Flexible hours (DOMAIN.md §5): flex windows, the emergency allowance and `over_plan` weeks.
//!
//! Reading chosen where the rules are terse: hours move freely between the weeks of one flex window,
//! so a week is `over_plan` when the hours delivered in its window so far exceed the whole window's
//! planned hours by more than that week's emergency allowance, min(20% of its planned hours, 7 h).
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;

/// The most emergency cover a week may carry without sign-off.
pub const EMERGENCY_HOURS_MAX: i64 = 7;
/// Emergency cover as a share of the week's planned hours.
pub const EMERGENCY_PERCENT: i64 = 20;

/// Planned and delivered hours of one week (Monday to Sunday).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekHours {
    pub monday: NaiveDate,
    pub planned: Decimal,
    pub delivered: Decimal,
}

/// min(20% of the week's planned hours, 7 hours).
pub fn emergency_allowance(planned_weekly_hours: Decimal) -> Decimal {
    (planned_weekly_hours * Decimal::from(EMERGENCY_PERCENT) / Decimal::ONE_HUNDRED)
        .min(Decimal::from(EMERGENCY_HOURS_MAX))
}

/// The Monday that starts the flex window holding `monday`; windows are `window_weeks` long and
/// aligned to `first_monday` (the Monday of the agreement's first week). A window of 0 weeks is 1.
pub fn window_start(first_monday: NaiveDate, monday: NaiveDate, window_weeks: i64) -> NaiveDate {
    let weeks = window_weeks.max(1);
    let index = (monday - first_monday).num_days().div_euclid(7);
    first_monday + Duration::days(index.div_euclid(weeks) * weeks * 7)
}

/// The Mondays of the weeks that are over plan. `weeks` are consecutive and start at `first_monday`.
pub fn over_plan_weeks(
    first_monday: NaiveDate,
    window_weeks: i64,
    weeks: &[WeekHours],
) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < weeks.len() {
        let start = window_start(first_monday, weeks[i].monday, window_weeks);
        let window: Vec<&WeekHours> = weeks[i..]
            .iter()
            .take_while(|w| window_start(first_monday, w.monday, window_weeks) == start)
            .collect();
        let window_planned: Decimal = window.iter().map(|w| w.planned).sum();
        let mut delivered_so_far = Decimal::ZERO;
        for week in &window {
            delivered_so_far += week.delivered;
            if delivered_so_far > window_planned + emergency_allowance(week.planned) {
                out.push(week.monday);
            }
        }
        i += window.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn week(monday: &str, planned: i64, delivered: i64) -> WeekHours {
        WeekHours {
            monday: d(monday),
            planned: Decimal::from(planned),
            delivered: Decimal::from(delivered),
        }
    }

    #[test]
    fn the_emergency_allowance_is_a_fifth_of_the_week_up_to_seven_hours() {
        assert_eq!(emergency_allowance(Decimal::from(10)), Decimal::from(2));
        assert_eq!(emergency_allowance(Decimal::from(50)), Decimal::from(7));
    }

    #[test]
    fn flex_windows_align_to_the_first_monday() {
        let first = d("2026-03-02");
        assert_eq!(window_start(first, d("2026-03-23"), 4), first);
        assert_eq!(window_start(first, d("2026-03-30"), 4), d("2026-03-30"));
    }

    #[test]
    fn hours_moved_between_weeks_of_a_window_are_not_over_plan() {
        let weeks = [
            week("2026-03-02", 10, 20),
            week("2026-03-09", 10, 0),
            week("2026-03-16", 10, 10),
            week("2026-03-23", 10, 10),
        ];
        assert!(over_plan_weeks(d("2026-03-02"), 4, &weeks).is_empty());
    }

    #[test]
    fn a_window_delivered_beyond_its_plan_and_the_allowance_is_over_plan() {
        let weeks = [
            week("2026-03-02", 10, 10),
            week("2026-03-09", 10, 10),
            week("2026-03-16", 10, 10),
            week("2026-03-23", 10, 13),
        ];
        assert_eq!(
            over_plan_weeks(d("2026-03-02"), 4, &weeks),
            vec![d("2026-03-23")]
        );
        let within_allowance = [week("2026-03-02", 10, 12)];
        assert!(over_plan_weeks(d("2026-03-02"), 1, &within_allowance).is_empty());
    }
}
