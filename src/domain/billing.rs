//! Costing a visit (DOMAIN.md §6): billable minutes, rates by day class, worker lines, charged
//! cancellations and the exceptions a visit carries.
use super::calendar::{day_class, elapsed_minutes, local_date, DayClass, Instant};
use super::model::{
    BillingBasis, CancelledBy, ContractTerms, Rate, RateUnit, SupportType, Visit,
    LATE_AFTER_MINUTES, VARIANCE_MINUTES,
};
use super::money::Pence;
use chrono::NaiveDate;
use rust_decimal::Decimal;

super::model::word_enum!(
    /// Everything a coordinator is shown about a visit or an agreement.
    ExceptionKind {
        Missed = "missed",
        Late = "late",
        Short = "short",
        Overrun = "overrun",
        IncompleteDoubleUp = "incomplete_double_up",
        WorkerNotCleared = "worker_not_cleared",
        UnauthorisedRelative = "unauthorised_relative",
        Unplanned = "unplanned",
        OverPlan = "over_plan",
        Overspend = "overspend",
    }
);

/// Rounds to the nearest multiple of `step` minutes, halves up. Never a default of 15.
pub fn round_minutes(minutes: i64, step: i64) -> i64 {
    if step <= 1 {
        return minutes;
    }
    ((minutes * 2 + step) / (step * 2)) * step
}

/// Billable minutes of one worker slot under the commissioner's billing basis.
/// `actual` is `None` when the worker did not attend.
pub fn billable_minutes(terms: &ContractTerms, planned: i64, actual: Option<i64>) -> i64 {
    let Some(actual) = actual else { return 0 };
    match terms.billing_basis {
        BillingBasis::Planned => planned,
        BillingBasis::Actual => round_minutes(actual, terms.rounding_minutes),
        BillingBasis::ActualCapped => {
            if actual >= planned - terms.tolerance_minutes {
                planned
            } else {
                round_minutes(actual, terms.rounding_minutes).min(planned)
            }
        }
    }
}

/// The rate card row in force for a support type on a date: the latest `effective_from` on or before it.
pub fn rate_in_force(rates: &[Rate], support_type: SupportType, date: NaiveDate) -> Option<&Rate> {
    rates
        .iter()
        .filter(|r| r.support_type == support_type && r.effective_from <= date)
        .max_by_key(|r| r.effective_from)
}

/// The price of a unit (an hour or a night) on a date, by its day class.
pub fn price_on(rate: &Rate, date: NaiveDate) -> Pence {
    match day_class(date) {
        DayClass::BankHoliday => rate.bank_holiday,
        DayClass::Weekend => rate.weekend,
        DayClass::Weekday => rate.weekday,
    }
}

/// One line's cost: hourly lines are minutes × rate / 60 rounded once to the penny; a night is flat.
pub fn line_cost(unit: RateUnit, billable_minutes: i64, price: Pence) -> Pence {
    match unit {
        RateUnit::Night => price,
        RateUnit::Hour => Pence::round_pounds(
            Decimal::from(billable_minutes) * price.to_pounds() / Decimal::from(60),
        ),
    }
}

/// Whether a line was delivered or charged for a late cancellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Charge {
    Service,
    Cancellation,
}

impl Charge {
    pub fn word(self) -> &'static str {
        match self {
            Charge::Service => "service",
            Charge::Cancellation => "cancellation",
        }
    }
}

/// One worker's line of a visit's cost.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkerLine {
    pub charge: Charge,
    pub worker_ref: Option<String>,
    pub planned_minutes: i64,
    pub billable_minutes: i64,
    pub rate: Pence,
    pub amount: Pence,
}

/// What one worker's attendance says about the visit.
#[derive(Debug, Clone)]
pub struct AttendanceFacts {
    pub worker_ref: String,
    pub check_in: Instant,
    pub check_out: Instant,
    /// A valid DBS on the visit's date.
    pub cleared: bool,
    /// A close relative the commissioner has not authorised.
    pub restricted_relative: bool,
}

/// A visit costed: its lines, the hours it delivered and its exceptions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisitCosting {
    pub lines: Vec<WorkerLine>,
    pub delivered_minutes: i64,
    pub exceptions: Vec<ExceptionKind>,
    pub charged_cancellation: bool,
    pub delivered: bool,
}

impl VisitCosting {
    pub fn total(&self) -> Pence {
        self.lines.iter().map(|l| l.amount).sum()
    }
}

/// Why a visit cannot be costed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CostError {
    #[error("no {support_type} rate is in force on {date}")]
    NoRate {
        support_type: SupportType,
        date: NaiveDate,
    },
}

/// Whether a cancellation is charged: by the person with less than the notice (elapsed time).
pub fn cancellation_is_charged(terms: &ContractTerms, visit: &Visit) -> bool {
    let Some(cancellation) = &visit.cancellation else {
        return false;
    };
    if cancellation.by != CancelledBy::Person {
        return false;
    }
    let notice_seconds = (visit.planned_start - cancellation.at).num_seconds();
    Decimal::from(notice_seconds) < terms.cancellation_notice_hours * Decimal::from(3600)
}

/// Costs one visit. `attendances` are its attendances (any order); `rates` the commissioner's card.
pub fn cost_visit(
    visit: &Visit,
    support_type: SupportType,
    terms: &ContractTerms,
    rates: &[Rate],
    attendances: &[AttendanceFacts],
) -> Result<VisitCosting, CostError> {
    let date = local_date(visit.planned_start);
    let planned = elapsed_minutes(visit.planned_start, visit.planned_end);
    let price = || {
        rate_in_force(rates, support_type, date)
            .map(|r| price_on(r, date))
            .ok_or(CostError::NoRate { support_type, date })
    };
    let unit = support_type.unit();

    if visit.cancellation.is_some() {
        if !cancellation_is_charged(terms, visit) {
            return Ok(VisitCosting::default());
        }
        let price = price()?;
        let billable = billable_minutes(terms, planned, Some(planned));
        let lines = (0..visit.workers_required as usize)
            .map(|slot| WorkerLine {
                charge: Charge::Cancellation,
                worker_ref: visit.worker_refs.get(slot).cloned(),
                planned_minutes: planned,
                billable_minutes: billable,
                rate: price,
                amount: line_cost(unit, billable, price),
            })
            .collect();
        return Ok(VisitCosting {
            lines,
            charged_cancellation: true,
            ..VisitCosting::default()
        });
    }

    let mut exceptions = Vec::new();
    if attendances.is_empty() {
        exceptions.push(ExceptionKind::Missed);
        return Ok(VisitCosting {
            exceptions,
            ..VisitCosting::default()
        });
    }
    let price = price()?;
    let mut sorted: Vec<&AttendanceFacts> = attendances.iter().collect();
    sorted.sort_by(|a, b| (a.check_in, &a.worker_ref).cmp(&(b.check_in, &b.worker_ref)));

    let mut lines = Vec::with_capacity(sorted.len());
    let mut delivered_minutes = 0;
    let (mut short, mut overrun) = (false, false);
    for attendance in &sorted {
        let actual = elapsed_minutes(attendance.check_in, attendance.check_out);
        let billable = billable_minutes(terms, planned, Some(actual));
        delivered_minutes = delivered_minutes.max(billable);
        short |= actual < planned - VARIANCE_MINUTES;
        overrun |= actual > planned + VARIANCE_MINUTES;
        lines.push(WorkerLine {
            charge: Charge::Service,
            worker_ref: Some(attendance.worker_ref.clone()),
            planned_minutes: planned,
            billable_minutes: billable,
            rate: price,
            amount: line_cost(unit, billable, price),
        });
    }
    let earliest = sorted[0].check_in;
    if (earliest - visit.planned_start).num_seconds() > LATE_AFTER_MINUTES * 60 {
        exceptions.push(ExceptionKind::Late);
    }
    if short {
        exceptions.push(ExceptionKind::Short);
    }
    if overrun {
        exceptions.push(ExceptionKind::Overrun);
    }
    if (sorted.len() as i64) < visit.workers_required {
        exceptions.push(ExceptionKind::IncompleteDoubleUp);
    }
    if sorted.iter().any(|a| !a.cleared) {
        exceptions.push(ExceptionKind::WorkerNotCleared);
    }
    if sorted.iter().any(|a| a.restricted_relative) {
        exceptions.push(ExceptionKind::UnauthorisedRelative);
    }
    Ok(VisitCosting {
        lines,
        delivered_minutes,
        exceptions,
        charged_cancellation: false,
        delivered: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::parse_instant;
    use crate::domain::model::Cancellation;

    fn terms(basis: BillingBasis, tolerance: i64, rounding: i64, notice: i64) -> ContractTerms {
        ContractTerms {
            billing_basis: basis,
            tolerance_minutes: tolerance,
            rounding_minutes: rounding,
            cancellation_notice_hours: Decimal::from(notice),
            ..ContractTerms::default()
        }
    }

    fn ncc() -> ContractTerms {
        terms(BillingBasis::ActualCapped, 5, 1, 48)
    }

    fn icb() -> ContractTerms {
        terms(BillingBasis::Actual, 5, 15, 24)
    }

    fn rate(
        support_type: SupportType,
        from: &str,
        weekday: i64,
        weekend: i64,
        bank_holiday: i64,
    ) -> Rate {
        Rate {
            commissioner_ref: "C".into(),
            support_type,
            effective_from: from.parse().unwrap(),
            unit: support_type.unit(),
            weekday: Pence::new(weekday),
            weekend: Pence::new(weekend),
            bank_holiday: Pence::new(bank_holiday),
        }
    }

    fn visit(
        start: &str,
        end: &str,
        required: i64,
        cancelled: Option<(&str, CancelledBy)>,
    ) -> Visit {
        Visit {
            visit_ref: "V".into(),
            agreement_ref: "A".into(),
            outcome_ref: "O".into(),
            planned_start: parse_instant(start).unwrap(),
            planned_end: parse_instant(end).unwrap(),
            workers_required: required,
            worker_refs: vec!["W1".into(), "W2".into()]
                .into_iter()
                .take(required as usize)
                .collect(),
            cancellation: cancelled.map(|(at, by)| Cancellation {
                at: parse_instant(at).unwrap(),
                by,
            }),
        }
    }

    fn att(worker: &str, check_in: &str, check_out: &str) -> AttendanceFacts {
        AttendanceFacts {
            worker_ref: worker.into(),
            check_in: parse_instant(check_in).unwrap(),
            check_out: parse_instant(check_out).unwrap(),
            cleared: true,
            restricted_relative: false,
        }
    }

    fn pc_rates() -> Vec<Rate> {
        vec![
            rate(SupportType::PersonalCare, "2025-04-01", 2460, 2730, 3690),
            rate(SupportType::PersonalCare, "2026-04-01", 2540, 2820, 3810),
        ]
    }

    #[test]
    fn rounding_goes_to_the_nearest_multiple_with_halves_up() {
        for (minutes, step, want) in [
            (31, 15, 30),
            (22, 15, 15),
            (38, 15, 45),
            (489, 15, 495),
            (546, 15, 540),
            (7, 15, 0),
            (8, 15, 15),
            (55, 1, 55),
        ] {
            assert_eq!(round_minutes(minutes, step), want, "{minutes} to {step}");
        }
    }

    #[test]
    fn billing_basis_actual_capped_pays_planned_within_tolerance_and_caps_overruns() {
        let t = ncc();
        assert_eq!(billable_minutes(&t, 60, Some(55)), 60);
        assert_eq!(billable_minutes(&t, 60, Some(36)), 36);
        assert_eq!(billable_minutes(&t, 75, Some(85)), 75);
        assert_eq!(billable_minutes(&t, 60, None), 0);
    }

    #[test]
    fn billing_basis_planned_and_actual() {
        assert_eq!(
            billable_minutes(&terms(BillingBasis::Planned, 5, 1, 48), 60, Some(10)),
            60
        );
        assert_eq!(
            billable_minutes(&icb(), 30, Some(38)),
            45,
            "actual is not capped"
        );
    }

    #[test]
    fn actual_minutes_are_truncated_and_then_capped_to_planned() {
        let v = visit("2026-03-16T08:00", "2026-03-16T09:00", 1, None);
        let c = cost_visit(
            &v,
            SupportType::PersonalCare,
            &ncc(),
            &pc_rates(),
            &[att("W1", "2026-03-16T08:02:10", "2026-03-16T08:58:05")],
        )
        .unwrap();
        assert_eq!(c.total(), Pence::new(2460));
        assert!(c.exceptions.is_empty());
    }

    #[test]
    fn rates_follow_the_uplift_date_and_bank_holidays() {
        let after_uplift = visit("2026-04-01T08:00", "2026-04-01T09:00", 1, None);
        let c = cost_visit(
            &after_uplift,
            SupportType::PersonalCare,
            &ncc(),
            &pc_rates(),
            &[att("W1", "2026-04-01T08:00", "2026-04-01T08:57:30")],
        )
        .unwrap();
        assert_eq!(c.total(), Pence::new(2540));
        let good_friday = visit("2026-04-03T08:00", "2026-04-03T09:00", 1, None);
        let c = cost_visit(
            &good_friday,
            SupportType::PersonalCare,
            &ncc(),
            &pc_rates(),
            &[att("W1", "2026-04-03T08:00", "2026-04-03T08:50")],
        )
        .unwrap();
        assert_eq!(
            c.total(),
            Pence::new(3175),
            "50 minutes at the bank-holiday rate"
        );
    }

    #[test]
    fn each_worker_line_of_a_double_up_is_rounded_on_its_own() {
        let rates = vec![rate(
            SupportType::PersonalCare,
            "2025-04-01",
            2645,
            2895,
            3960,
        )];
        let v = visit("2026-03-19T08:00", "2026-03-19T08:30", 2, None);
        let c = cost_visit(
            &v,
            SupportType::PersonalCare,
            &icb(),
            &rates,
            &[
                att("W1", "2026-03-19T07:58:00", "2026-03-19T08:29:40"),
                att("W2", "2026-03-19T08:00:00", "2026-03-19T08:31:10"),
            ],
        )
        .unwrap();
        assert_eq!(c.total(), Pence::new(2646));
        assert_eq!(c.delivered_minutes, 30);
    }

    #[test]
    fn one_of_two_workers_is_an_incomplete_double_up() {
        let rates = vec![rate(
            SupportType::PersonalCare,
            "2025-04-01",
            2645,
            2895,
            3960,
        )];
        let v = visit("2026-03-23T08:00", "2026-03-23T08:30", 2, None);
        let c = cost_visit(
            &v,
            SupportType::PersonalCare,
            &icb(),
            &rates,
            &[att("W1", "2026-03-23T08:00", "2026-03-23T08:29")],
        )
        .unwrap();
        assert_eq!(c.total(), Pence::new(1323));
        assert_eq!(c.exceptions, vec![ExceptionKind::IncompleteDoubleUp]);
    }

    #[test]
    fn a_sleep_in_is_a_flat_night_per_worker_and_its_minutes_still_count() {
        let rates = vec![rate(SupportType::SleepIn, "2025-04-01", 9800, 9800, 12500)];
        let v = visit("2026-03-28T22:00", "2026-03-29T07:00", 1, None);
        let c = cost_visit(
            &v,
            SupportType::SleepIn,
            &icb(),
            &rates,
            &[att("W1", "2026-03-28T21:55", "2026-03-29T07:04:00+01:00")],
        )
        .unwrap();
        assert_eq!(c.total(), Pence::new(9800));
        assert_eq!(
            c.lines[0].planned_minutes, 480,
            "the spring change makes the night 8 hours"
        );
        assert_eq!(c.delivered_minutes, 495);
        let easter_monday = visit("2026-04-06T22:00", "2026-04-07T07:00", 1, None);
        let c = cost_visit(
            &easter_monday,
            SupportType::SleepIn,
            &icb(),
            &rates,
            &[att("W1", "2026-04-06T21:58", "2026-04-07T06:40")],
        )
        .unwrap();
        assert_eq!(c.total(), Pence::new(12500));
        assert_eq!(c.exceptions, vec![ExceptionKind::Short]);
    }

    #[test]
    fn cancellation_notice_is_elapsed_time_across_the_clock_change() {
        let rates = vec![rate(
            SupportType::SocialInclusion,
            "2025-04-01",
            2085,
            2295,
            3125,
        )];
        let v = visit(
            "2026-03-29T14:00",
            "2026-03-29T16:00",
            1,
            Some(("2026-03-27T14:00", CancelledBy::Person)),
        );
        let c = cost_visit(&v, SupportType::SocialInclusion, &ncc(), &rates, &[]).unwrap();
        assert!(c.charged_cancellation, "47 elapsed hours is less than 48");
        assert_eq!(c.total(), Pence::new(4590));
        assert_eq!(
            c.delivered_minutes, 0,
            "a cancelled visit delivers no hours"
        );
    }

    #[test]
    fn a_cancellation_with_notice_or_by_the_provider_is_free() {
        let v = visit(
            "2026-04-09T08:00",
            "2026-04-09T08:30",
            2,
            Some(("2026-04-08T02:00", CancelledBy::Person)),
        );
        assert!(
            !cancellation_is_charged(&icb(), &v),
            "30 hours ahead under 24 hours' notice"
        );
        assert!(
            cancellation_is_charged(&ncc(), &v),
            "30 hours ahead under 48 hours' notice"
        );
        let by_provider = visit(
            "2026-04-09T08:00",
            "2026-04-09T08:30",
            1,
            Some(("2026-04-09T07:00", CancelledBy::Provider)),
        );
        assert!(!cancellation_is_charged(&ncc(), &by_provider));
    }

    #[test]
    fn a_charged_double_up_cancellation_charges_each_required_worker() {
        let rates = vec![rate(
            SupportType::PersonalCare,
            "2025-04-01",
            2645,
            2895,
            3960,
        )];
        let v = visit(
            "2026-04-02T08:00",
            "2026-04-02T08:30",
            2,
            Some(("2026-04-01T20:00", CancelledBy::Person)),
        );
        let c = cost_visit(&v, SupportType::PersonalCare, &icb(), &rates, &[]).unwrap();
        assert_eq!(c.lines.len(), 2);
        assert_eq!(c.total(), Pence::new(2646));
    }

    #[test]
    fn late_and_short_are_both_carried_by_one_visit_and_missed_costs_nothing() {
        let v = visit("2026-03-23T08:00", "2026-03-23T09:00", 1, None);
        let c = cost_visit(
            &v,
            SupportType::PersonalCare,
            &ncc(),
            &pc_rates(),
            &[att("W1", "2026-03-23T08:41", "2026-03-23T09:20")],
        )
        .unwrap();
        assert_eq!(
            c.exceptions,
            vec![ExceptionKind::Late, ExceptionKind::Short]
        );
        assert_eq!(c.total(), Pence::new(1599));
        let missed = cost_visit(&v, SupportType::PersonalCare, &ncc(), &pc_rates(), &[]).unwrap();
        assert_eq!(missed.exceptions, vec![ExceptionKind::Missed]);
        assert_eq!(missed.total(), Pence::ZERO);
    }

    #[test]
    fn exactly_fifteen_minutes_over_is_not_an_overrun() {
        let rates = vec![rate(
            SupportType::SocialInclusion,
            "2025-04-01",
            2085,
            2295,
            3125,
        )];
        let v = visit("2026-04-04T14:00", "2026-04-04T16:00", 1, None);
        let c = cost_visit(
            &v,
            SupportType::SocialInclusion,
            &ncc(),
            &rates,
            &[att("W1", "2026-04-04T14:10", "2026-04-04T16:25")],
        )
        .unwrap();
        assert!(c.exceptions.is_empty());
        assert_eq!(c.total(), Pence::new(4590));
    }

    #[test]
    fn a_visit_with_no_rate_in_force_cannot_be_costed() {
        let v = visit("2024-03-16T08:00", "2024-03-16T09:00", 1, None);
        assert!(cost_visit(
            &v,
            SupportType::PersonalCare,
            &ncc(),
            &pc_rates(),
            &[att("W1", "2024-03-16T08:00", "2024-03-16T09:00")]
        )
        .is_err());
    }
}
