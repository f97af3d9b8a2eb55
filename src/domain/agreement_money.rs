//! Agreement money (DOMAIN.md §4): management fees by week, contributions outstanding, surplus.
use super::calendar::{days, monday_of};
use super::model::{Agreement, ContributionMode, Fee, Stream};
use super::money::Pence;
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rust_decimal::Decimal;

/// One week's management fee on one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeCharge {
    pub stream_ref: String,
    pub week_monday: NaiveDate,
    /// The Monday, or the start date for a first partial week.
    pub date: NaiveDate,
    pub days_inside: i64,
    pub amount: Pence,
    pub description: String,
}

/// Every fee due on the agreement whose fee date is on or before `through`. A zero fee posts nothing.
pub fn fees_due(agreement: &Agreement, streams: &[Stream], through: NaiveDate) -> Vec<FeeCharge> {
    let mut out = Vec::new();
    let last_day = agreement.end_date.map_or(through, |end| end.min(through));
    let mut monday = monday_of(agreement.start_date);
    while monday <= last_day {
        let sunday = monday + Duration::days(6);
        let first_inside = monday.max(agreement.start_date);
        let last_inside = agreement.end_date.map_or(sunday, |end| end.min(sunday));
        let days_inside = (last_inside - first_inside).num_days() + 1;
        if first_inside <= through && days_inside > 0 {
            let partial = if days_inside < 7 {
                format!(", {days_inside} of 7 days")
            } else {
                String::new()
            };
            let mut push = |stream: &Stream, weekly: Decimal, how: String| {
                let amount =
                    Pence::round_pounds(weekly * Decimal::from(days_inside) / Decimal::from(7));
                if !amount.is_zero() {
                    out.push(FeeCharge {
                        stream_ref: stream.stream_ref.clone(),
                        week_monday: monday,
                        date: first_inside,
                        days_inside,
                        amount,
                        description: format!("Management fee, week of {monday} ({how}{partial})"),
                    });
                }
            };
            match &agreement.fee {
                Fee::Percent(percent) => {
                    for stream in streams {
                        let weekly =
                            stream.weekly_amount.to_pounds() * percent / Decimal::ONE_HUNDRED;
                        push(
                            stream,
                            weekly,
                            format!("{}% of {}", percent.normalize(), stream.weekly_amount),
                        );
                    }
                }
                Fee::Fixed(weekly) => {
                    if let Some(primary) = streams.iter().find(|s| s.primary) {
                        push(
                            primary,
                            weekly.to_pounds(),
                            format!("fixed {weekly} a week"),
                        );
                    }
                }
            }
        }
        monday += Duration::days(7);
    }
    out
}

/// Mondays from the start date to the earlier of `date` and the end date, both included.
pub fn contribution_weeks(agreement: &Agreement, date: NaiveDate) -> i64 {
    let last = agreement.end_date.map_or(date, |end| end.min(date));
    days(agreement.start_date, last)
        .filter(|d| d.weekday() == Weekday::Mon)
        .count() as i64
}

/// A `net` agreement's contributions owed at `date` less the person's receipts dated on or before it
/// (negative when paid ahead); 0 for `none` and `gross`.
pub fn contributions_outstanding(
    agreement: &Agreement,
    person_receipts_to_date: Pence,
    date: NaiveDate,
) -> Pence {
    if agreement.contribution_mode != ContributionMode::Net {
        return Pence::ZERO;
    }
    let owed = agreement.weekly_contribution.pence() * contribution_weeks(agreement, date);
    Pence::new(owed) - person_receipts_to_date
}

/// The inputs of the surplus rule for one stream at the end of day D.
#[derive(Debug, Clone)]
pub struct SurplusFacts {
    pub balance: Pence,
    pub earmarked: Pence,
    pub weekly_amount: Pence,
    pub cap_weeks: i64,
    /// Credits to the stream (receipts and crediting reversals) dated in (D − age weeks, D].
    pub recent_credits: Pence,
}

/// The parts of a stream's surplus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Surplus {
    pub free_balance: Pence,
    pub over_cap: Pence,
    pub aged: Pence,
    pub returnable: Pence,
}

pub fn surplus(facts: &SurplusFacts) -> Surplus {
    let free_balance = (facts.balance - facts.earmarked).max(Pence::ZERO);
    let cap = Pence::new(facts.weekly_amount.pence() * facts.cap_weeks);
    let over_cap = (free_balance - cap).max(Pence::ZERO);
    let aged = (free_balance - facts.recent_credits).max(Pence::ZERO);
    Surplus {
        free_balance,
        over_cap,
        aged,
        returnable: over_cap.max(aged),
    }
}

/// The first day of the age window for a surplus at `date`: credits dated after
/// `date − age_weeks × 7` days count as recent.
pub fn age_window_excludes(date: NaiveDate, age_weeks: i64) -> NaiveDate {
    date - Duration::days(age_weeks * 7)
}

/// On exit: what is unspent and the person's share (their contributions are spent first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitShares {
    pub unspent: Pence,
    pub person: Pence,
    pub commissioner: Pence,
}

pub fn exit_shares(
    closing_balance: Pence,
    contributions_received: Pence,
    total_spend: Pence,
) -> ExitShares {
    let unspent = closing_balance.max(Pence::ZERO);
    let person = unspent.min((contributions_received - total_spend).max(Pence::ZERO));
    ExitShares {
        unspent,
        person,
        commissioner: unspent - person,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn agreement(
        start: &str,
        end: Option<&str>,
        fee: Fee,
        mode: ContributionMode,
        contribution: i64,
    ) -> Agreement {
        Agreement {
            agreement_ref: "AG".into(),
            person_ref: "P".into(),
            start_date: d(start),
            end_date: end.map(d),
            contribution_mode: mode,
            weekly_contribution: Pence::new(contribution),
            fee,
            flex_window_weeks: 4,
        }
    }

    fn stream(primary: bool, weekly: i64) -> Stream {
        Stream {
            agreement_ref: "AG".into(),
            stream_ref: if primary { "ASC".into() } else { "CHC".into() },
            commissioner_ref: "C".into(),
            weekly_amount: Pence::new(weekly),
            primary,
        }
    }

    #[test]
    fn a_first_partial_week_pays_days_inside_over_seven_dated_the_start_date() {
        let a = agreement(
            "2026-03-18",
            None,
            Fee::Fixed(Pence::new(1500)),
            ContributionMode::Gross,
            0,
        );
        let fees = fees_due(
            &a,
            &[stream(true, 51000), stream(false, 39200)],
            d("2026-03-31"),
        );
        assert_eq!(fees.len(), 3);
        assert_eq!(
            (fees[0].date, fees[0].amount),
            (d("2026-03-18"), Pence::new(1071))
        );
        assert_eq!(fees[0].week_monday, d("2026-03-16"));
        assert_eq!(fees[1].amount, Pence::new(1500));
    }

    #[test]
    fn a_last_partial_week_is_dated_its_monday() {
        let a = agreement(
            "2026-02-16",
            Some("2026-04-08"),
            Fee::Fixed(Pence::new(1200)),
            ContributionMode::None,
            0,
        );
        let fees = fees_due(&a, &[stream(true, 30000)], d("2026-04-30"));
        let last = fees.last().unwrap();
        assert_eq!((last.date, last.amount), (d("2026-04-06"), Pence::new(514)));
        assert_eq!(fees.len(), 8);
    }

    #[test]
    fn a_percent_fee_is_charged_on_each_stream() {
        let a = agreement(
            "2026-03-02",
            None,
            Fee::Percent("8.5".parse().unwrap()),
            ContributionMode::Net,
            3500,
        );
        let fees = fees_due(&a, &[stream(true, 42000)], d("2026-03-31"));
        assert_eq!(
            fees.iter().map(|f| f.amount).sum::<Pence>(),
            Pence::new(17850)
        );
    }

    #[test]
    fn contributions_outstanding_count_mondays_from_the_start() {
        let a = agreement(
            "2026-03-02",
            None,
            Fee::Fixed(Pence::ZERO),
            ContributionMode::Net,
            3500,
        );
        assert_eq!(
            contributions_outstanding(&a, Pence::new(14000), d("2026-03-31")),
            Pence::new(3500)
        );
        assert_eq!(
            contributions_outstanding(&a, Pence::new(14000), d("2026-04-12")),
            Pence::new(7000)
        );
        assert_eq!(
            contributions_outstanding(&a, Pence::new(28000), d("2026-04-30")),
            Pence::new(3500)
        );
        let late_start = agreement(
            "2026-03-04",
            None,
            Fee::Fixed(Pence::ZERO),
            ContributionMode::Net,
            3500,
        );
        assert_eq!(
            contributions_outstanding(&late_start, Pence::ZERO, d("2026-03-08")),
            Pence::ZERO
        );
        let gross = agreement(
            "2026-03-02",
            None,
            Fee::Fixed(Pence::ZERO),
            ContributionMode::Gross,
            3500,
        );
        assert_eq!(
            contributions_outstanding(&gross, Pence::ZERO, d("2026-03-31")),
            Pence::ZERO
        );
    }

    #[test]
    fn surplus_is_the_larger_of_over_cap_and_aged() {
        let s = surplus(&SurplusFacts {
            balance: Pence::new(272748),
            earmarked: Pence::new(15000),
            weekly_amount: Pence::new(42000),
            cap_weeks: 4,
            recent_credits: Pence::new(322000),
        });
        assert_eq!(s.returnable, Pence::new(89748));
        let aged = surplus(&SurplusFacts {
            balance: Pence::new(89234),
            earmarked: Pence::new(20000),
            weekly_amount: Pence::new(39200),
            cap_weeks: 4,
            recent_credits: Pence::ZERO,
        });
        assert_eq!(aged.returnable, Pence::new(69234));
    }

    #[test]
    fn on_exit_the_persons_contributions_are_spent_first() {
        let shares = exit_shares(Pence::new(10000), Pence::new(50000), Pence::new(45000));
        assert_eq!(
            (shares.person, shares.commissioner),
            (Pence::new(5000), Pence::new(5000))
        );
        let overspent = exit_shares(Pence::new(-500), Pence::new(50000), Pence::new(0));
        assert_eq!(overspent.unspent, Pence::ZERO);
    }
}
