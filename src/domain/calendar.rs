//! Time in `Europe/London`: the one place where local times become UTC instants and back.
//!
//! A local time in the spring gap or the autumn overlap is an explicit error, never chrono's silent
//! choice. Day classes (bank holiday, weekend, weekday) and weeks (Monday to Sunday) are local.
use chrono::{
    DateTime, Datelike, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, TimeZone,
    Timelike, Utc, Weekday,
};
use chrono_tz::Europe::London;
use std::collections::HashSet;
use std::sync::OnceLock;

/// An instant, always UTC.
pub type Instant = DateTime<Utc>;

/// Why a date or date-time cell was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("{0:?} is not a date: write YYYY-MM-DD")]
    Date(String),
    #[error(
        "{0:?} is not a date-time: write YYYY-MM-DDTHH:MM[:SS], optionally followed by Z or ±HH:MM"
    )]
    DateTime(String),
    #[error(
        "{0} does not exist in Europe/London (the clocks go forward): give an explicit offset"
    )]
    Gap(String),
    #[error("{0} happens twice in Europe/London (the clocks go back): give an explicit offset (+01:00 or +00:00)")]
    Ambiguous(String),
    #[error("{0:?} is not on a whole minute: planned times are whole minutes")]
    NotWholeMinute(String),
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<NaiveDate, TimeError> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10 && bytes[4] == b'-' && bytes[7] == b'-';
    if !shape_ok {
        return Err(TimeError::Date(text.to_owned()));
    }
    ymd(bytes).ok_or_else(|| TimeError::Date(text.to_owned()))
}

/// The number written by ASCII digits only (an import parses millions of these: chrono's
/// format-string parser cost more than the rest of a row's checks).
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

/// The date of `YYYY-MM-DD` at the start of `bytes` (its shape already checked).
fn ymd(bytes: &[u8]) -> Option<NaiveDate> {
    let year = digits(&bytes[0..4])?;
    NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        digits(&bytes[5..7])?,
        digits(&bytes[8..10])?,
    )
}

/// Reads an instant in the shape the database holds (`YYYY-MM-DDTHH:MM:SS[.fraction]+00:00` or
/// `...Z`, as sqlx and the direct SQLite writer store UTC); `None` for any other text, which the
/// caller reads the general way. Reading a month's visits parses hundreds of thousands of these.
pub fn parse_stored_instant(text: &[u8]) -> Option<Instant> {
    if text.len() < 20 || text[4] != b'-' || text[7] != b'-' || text[10] != b'T' {
        return None;
    }
    if text[13] != b':' || text[16] != b':' {
        return None;
    }
    let rest = &text[19..];
    let (fraction, zone) = match rest.first() {
        Some(b'.') => {
            let n = rest[1..].iter().take_while(|b| b.is_ascii_digit()).count();
            (&rest[1..1 + n], &rest[1 + n..])
        }
        _ => (&rest[..0], rest),
    };
    if fraction.len() > 9 || !(zone == b"+00:00" || zone == b"Z") {
        return None;
    }
    // At most nine digits, so the scaled value stays below 10^9.
    let nanos = digits(fraction)? * 10u32.pow(9 - fraction.len() as u32);
    let naive = ymd(text)?.and_hms_nano_opt(
        digits(&text[11..13])?,
        digits(&text[14..16])?,
        digits(&text[17..19])?,
        nanos,
    )?;
    Some(Utc.from_utc_datetime(&naive))
}

/// The text an instant is stored as: `YYYY-MM-DDTHH:MM:SS[.fraction]+00:00`, exactly what sqlx
/// writes for a UTC time on SQLite (RFC 3339 with chrono's `AutoSi` fraction: none, 3, 6 or 9
/// digits), so rows written by either driver sort and read alike. Written by hand because a
/// month's import and reconcile store hundreds of thousands of them.
pub fn stored_instant_text(at: Instant) -> String {
    let year = at.year();
    let nanos = at.nanosecond();
    if nanos >= 1_000_000_000 || !(1000..=9999).contains(&year) {
        return at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
    }
    let (fraction, digits) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    fn put(out: &mut Vec<u8>, n: u32, width: usize, then: &[u8]) {
        let start = out.len();
        out.resize(start + width, b'0');
        let mut n = n;
        for digit in out[start..].iter_mut().rev() {
            *digit = b'0' + (n % 10) as u8;
            n /= 10;
        }
        out.extend_from_slice(then);
    }
    let mut out = Vec::with_capacity(35);
    put(&mut out, year.unsigned_abs(), 4, b"-");
    put(&mut out, at.month(), 2, b"-");
    put(&mut out, at.day(), 2, b"T");
    put(&mut out, at.hour(), 2, b":");
    put(&mut out, at.minute(), 2, b":");
    put(&mut out, at.second(), 2, b"");
    if digits > 0 {
        out.push(b'.');
        put(&mut out, fraction, digits, b"");
    }
    out.extend_from_slice(b"+00:00");
    out.into_iter().map(char::from).collect()
}

/// Reads a date as the database holds it (`YYYY-MM-DD`); `None` for any other text.
pub fn parse_stored_date(text: &[u8]) -> Option<NaiveDate> {
    (text.len() == 10 && text[4] == b'-' && text[7] == b'-')
        .then(|| ymd(text))
        .flatten()
}

/// Parses `YYYY-MM-DDTHH:MM[:SS]` with an optional `Z` or `±HH:MM`. Without an offset the time is
/// London local time and must exist exactly once.
pub fn parse_instant(text: &str) -> Result<Instant, TimeError> {
    let bad = || TimeError::DateTime(text.to_owned());
    if text.len() < 16 || !text.is_char_boundary(16) {
        return Err(bad());
    }
    let (local_part, offset_part) = split_offset(text).ok_or_else(bad)?;
    let naive = parse_naive(local_part).ok_or_else(bad)?;
    match offset_part {
        None => london_to_utc(naive),
        Some("Z") => Ok(Utc.from_utc_datetime(&naive)),
        Some(offset) => {
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            let hours: i32 = offset[1..3].parse().map_err(|_| bad())?;
            let minutes: i32 = offset[4..6].parse().map_err(|_| bad())?;
            if hours > 23 || minutes > 59 {
                return Err(bad());
            }
            let fixed =
                FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60)).ok_or_else(bad)?;
            match fixed.from_local_datetime(&naive) {
                LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
                _ => Err(bad()),
            }
        }
    }
}

/// Parses a date-time that must be on a whole minute (planned times).
pub fn parse_whole_minute_instant(text: &str) -> Result<Instant, TimeError> {
    let instant = parse_instant(text)?;
    if instant.timestamp() % 60 != 0 {
        return Err(TimeError::NotWholeMinute(text.to_owned()));
    }
    Ok(instant)
}

fn split_offset(text: &str) -> Option<(&str, Option<&str>)> {
    if let Some(local) = text.strip_suffix('Z') {
        return Some((local, Some("Z")));
    }
    let n = text.len();
    if n >= 22 {
        let tail = &text[n - 6..];
        let b = tail.as_bytes();
        if (b[0] == b'+' || b[0] == b'-')
            && b[3] == b':'
            && b[1..3].iter().chain(&b[4..6]).all(u8::is_ascii_digit)
        {
            return Some((&text[..n - 6], Some(tail)));
        }
    }
    Some((text, None))
}

fn parse_naive(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    let ok = match b.len() {
        16 => true,
        19 => b[16] == b':',
        _ => false,
    } && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':';
    if !ok {
        return None;
    }
    let seconds = if b.len() == 16 {
        0
    } else {
        digits(&b[17..19])?
    };
    ymd(b)?.and_hms_opt(digits(&b[11..13])?, digits(&b[14..16])?, seconds)
}

/// London local time to UTC: a time in the gap or the overlap is an error.
pub fn london_to_utc(local: NaiveDateTime) -> Result<Instant, TimeError> {
    let shown = || local.format("%Y-%m-%dT%H:%M").to_string();
    match London.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::None => Err(TimeError::Gap(shown())),
        LocalResult::Ambiguous(_, _) => Err(TimeError::Ambiguous(shown())),
    }
}

/// The London local date-time of an instant.
pub fn to_london(instant: Instant) -> NaiveDateTime {
    instant.with_timezone(&London).naive_local()
}

/// The London local date of an instant (a visit belongs to the local date of its planned start).
pub fn local_date(instant: Instant) -> NaiveDate {
    to_london(instant).date()
}

/// `HH:MM` in London local time.
pub fn local_hhmm(instant: Instant) -> String {
    let local = to_london(instant);
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// Whole elapsed minutes from `from` to `to`, truncated (negative spans give 0).
pub fn elapsed_minutes(from: Instant, to: Instant) -> i64 {
    ((to - from).num_seconds() / 60).max(0)
}

/// The Monday of the week holding `date`.
pub fn monday_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(date.weekday().num_days_from_monday() as i64)
}

/// Midnight at the start of a local date, as an instant (midnight always exists in London).
pub fn start_of_local_day(date: NaiveDate) -> Instant {
    let midnight = date.and_hms_opt(0, 0, 0).expect("midnight is a valid time");
    london_to_utc(midnight).expect("midnight exists exactly once in Europe/London")
}

/// How a day is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayClass {
    Weekday,
    Weekend,
    BankHoliday,
}

/// Bank holiday before weekend before weekday.
pub fn day_class(date: NaiveDate) -> DayClass {
    if is_bank_holiday(date) {
        DayClass::BankHoliday
    } else if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
        DayClass::Weekend
    } else {
        DayClass::Weekday
    }
}

const BANK_HOLIDAYS: &str = include_str!("bank_holidays_england_wales.txt");

/// The first and last years the bank-holiday list covers.
pub const BANK_HOLIDAY_YEARS: (i32, i32) = (2020, 2030);

fn bank_holidays() -> &'static HashSet<NaiveDate> {
    static SET: OnceLock<HashSet<NaiveDate>> = OnceLock::new();
    SET.get_or_init(|| {
        BANK_HOLIDAYS
            .lines()
            .map(|line| line.split('#').next().unwrap_or("").trim())
            .filter(|d| !d.is_empty())
            .map(|d| parse_date(d).expect("the bundled bank-holiday list holds valid dates"))
            .collect()
    })
}

/// Whether `date` is an England and Wales bank holiday.
pub fn is_bank_holiday(date: NaiveDate) -> bool {
    bank_holidays().contains(&date)
}

/// Every date from `from` to `to`, both included.
pub fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn a_local_time_in_the_spring_gap_is_an_error() {
        assert!(matches!(
            parse_instant("2026-03-29T01:30"),
            Err(TimeError::Gap(_))
        ));
    }

    #[test]
    fn a_local_time_in_the_autumn_overlap_is_an_error() {
        assert!(matches!(
            parse_instant("2026-10-25T01:30"),
            Err(TimeError::Ambiguous(_))
        ));
    }

    #[test]
    fn an_explicit_offset_is_exact_even_in_the_overlap() {
        let first = parse_instant("2026-10-25T01:30+01:00").unwrap();
        let second = parse_instant("2026-10-25T01:30+00:00").unwrap();
        assert_eq!((second - first).num_minutes(), 60);
        assert_eq!(
            parse_instant("2026-03-16T08:00:00Z").unwrap(),
            parse_instant("2026-03-16T08:00").unwrap()
        );
    }

    #[test]
    fn a_sleep_in_across_the_spring_change_lasts_eight_hours() {
        let start = parse_instant("2026-03-28T22:00").unwrap();
        let end = parse_instant("2026-03-29T07:00").unwrap();
        assert_eq!(elapsed_minutes(start, end), 480);
    }

    #[test]
    fn a_sleep_in_across_the_autumn_change_lasts_ten_hours() {
        let start = parse_instant("2026-10-24T22:00").unwrap();
        let end = parse_instant("2026-10-25T07:00").unwrap();
        assert_eq!(elapsed_minutes(start, end), 600);
    }

    #[test]
    fn malformed_date_times_are_rejected() {
        for text in [
            "31/03/2026",
            "2026-03-16 08:00",
            "2026-03-16T08",
            "2026-03-16T08:00:00.5",
            "2026-02-30T08:00",
            "2026-03-16T08:00+1",
            "2026-03-16T24:00",
            "2026-03-16T08:60",
            "2026-03-16T08:00:60",
            "2026-03-16T8:00:00Z",
            "2026-03-16T08:0a",
            "2026-03-16T08:00:+1",
            "+026-03-16T08:00",
        ] {
            assert!(parse_instant(text).is_err(), "case {text:?}");
        }
        for text in [
            "31/03/2026",
            "2026-3-1",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "2025-02-29",
            "2026-0a-01",
            "-026-01-01",
            "2026-01-+1",
        ] {
            assert!(parse_date(text).is_err(), "case {text:?}");
        }
        assert_eq!(d("2028-02-29").to_string(), "2028-02-29");
        assert_eq!(
            parse_instant("2026-03-16T23:59:59Z").unwrap().to_rfc3339(),
            "2026-03-16T23:59:59+00:00"
        );
    }

    #[test]
    fn stored_instants_read_back_exactly_and_other_shapes_are_left_to_the_general_reader() {
        let t = parse_instant("2026-03-29T01:30:00Z").unwrap();
        let precise = t + Duration::nanoseconds(132_470_123);
        for written in [t, precise] {
            assert_eq!(
                parse_stored_instant(written.to_rfc3339().as_bytes()),
                Some(written)
            );
        }
        assert_eq!(parse_stored_instant(b"2026-03-29T01:30:00Z"), Some(t));
        assert_eq!(
            parse_stored_instant(b"2026-03-29T01:30:00.5+00:00"),
            Some(t + Duration::milliseconds(500))
        );
        for other in [
            &b"2026-03-29T02:30:00+01:00"[..],
            b"2026-03-29 01:30:00",
            b"2026-03-29T01:30",
            b"2026-02-30T01:30:00+00:00",
            b"2026-03-29T01:30:00.1234567890+00:00",
        ] {
            assert_eq!(parse_stored_instant(other), None, "{other:?}");
        }
        assert_eq!(parse_stored_date(b"2026-03-29"), Some(d("2026-03-29")));
        assert_eq!(parse_stored_date(b"2026-03-29T00:00"), None);
    }

    #[test]
    fn instants_are_stored_as_sqlx_writes_them_and_read_back() {
        let t = parse_instant("2026-03-29T01:30:00Z").unwrap();
        let samples = [
            t,
            t + Duration::nanoseconds(132_470_123),
            t + Duration::milliseconds(500),
            t + Duration::microseconds(1_500),
            t + Duration::nanoseconds(7),
            parse_instant("1999-12-31T23:59:59Z").unwrap(),
            parse_instant("0999-01-01T00:00:00Z").unwrap(),
        ];
        for at in samples {
            let text = stored_instant_text(at);
            assert_eq!(
                text,
                at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
            );
            assert_eq!(parse_stored_instant(text.as_bytes()), Some(at), "{text}");
        }
        assert_eq!(stored_instant_text(t), "2026-03-29T01:30:00+00:00");
    }

    #[test]
    fn planned_times_must_be_whole_minutes() {
        assert!(parse_whole_minute_instant("2026-03-16T08:00:30").is_err());
        assert!(parse_whole_minute_instant("2026-03-16T08:00:00").is_ok());
    }

    #[test]
    fn bank_holidays_include_substitute_days_and_not_the_weekend_days_they_replace() {
        assert_eq!(day_class(d("2026-12-28")), DayClass::BankHoliday);
        assert_eq!(day_class(d("2026-12-26")), DayClass::Weekend);
        assert_eq!(day_class(d("2027-12-27")), DayClass::BankHoliday);
        assert_eq!(
            day_class(d("2026-04-03")),
            DayClass::BankHoliday,
            "Good Friday"
        );
        assert_eq!(
            day_class(d("2026-04-06")),
            DayClass::BankHoliday,
            "Easter Monday"
        );
        assert_eq!(
            day_class(d("2026-04-04")),
            DayClass::Weekend,
            "Easter Saturday"
        );
        assert_eq!(day_class(d("2026-04-07")), DayClass::Weekday);
    }

    #[test]
    fn the_bank_holiday_list_covers_every_year_it_claims() {
        for year in BANK_HOLIDAY_YEARS.0..=BANK_HOLIDAY_YEARS.1 {
            let count = bank_holidays().iter().filter(|d| d.year() == year).count();
            assert!(
                (8..=10).contains(&count),
                "year {year} has {count} bank holidays"
            );
        }
    }

    #[test]
    fn weeks_start_on_monday() {
        assert_eq!(monday_of(d("2026-03-18")), d("2026-03-16"));
        assert_eq!(monday_of(d("2026-03-16")), d("2026-03-16"));
        assert_eq!(monday_of(d("2026-03-22")), d("2026-03-16"));
    }
}
