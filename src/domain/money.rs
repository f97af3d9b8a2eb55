//! Money: an exact number of pence. Never a float. Computed amounts come from `rust_decimal`
//! through one explicit rounding (half away from zero), at the line where they arise.
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

/// An amount of GBP in pence. May be negative (a fund below zero, a signed reversal total).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pence(i64);

impl fmt::Debug for Pence {
    /// Debug is the plain amount, so that row contents compare and print as people write them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a money cell was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{0:?} is not an amount: write digits with at most 2 decimal places, no sign, symbol or separator (e.g. 1540.00)")]
    Syntax(String),
    #[error("{0:?} has more than 2 decimal places")]
    TooManyDecimals(String),
    #[error("{0:?} is negative: amounts are never negative (a correction is a reversal)")]
    Negative(String),
    #[error("{0:?} is too large")]
    TooLarge(String),
    #[error("amount must be more than 0.00")]
    NotPositive,
}

/// The largest amount accepted from outside: £10 billion, far above any personal budget.
pub const AMOUNT_PENCE_MAX: i64 = 1_000_000_000_000;

impl Pence {
    pub const ZERO: Pence = Pence(0);

    pub const fn new(pence: i64) -> Self {
        Pence(pence)
    }

    pub const fn pence(self) -> i64 {
        self.0
    }

    /// Parses `digits[.d[d]]`: no sign, no symbol, no thousands separator, no leading `.`.
    pub fn parse(text: &str) -> Result<Pence, MoneyError> {
        if text.starts_with('-') {
            return Err(MoneyError::Negative(text.to_owned()));
        }
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (text, None),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::Syntax(text.to_owned()));
        }
        let frac = match frac {
            None => "",
            Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(MoneyError::Syntax(text.to_owned()))
            }
            Some(f) if f.len() > 2 => return Err(MoneyError::TooManyDecimals(text.to_owned())),
            Some(f) => f,
        };
        if whole.len() > 12 {
            return Err(MoneyError::TooLarge(text.to_owned()));
        }
        let whole: i64 = whole
            .parse()
            .map_err(|_| MoneyError::Syntax(text.to_owned()))?;
        let frac_pence: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().unwrap_or(0) * 10,
            _ => frac.parse::<i64>().unwrap_or(0),
        };
        let pence = whole * 100 + frac_pence;
        if pence > AMOUNT_PENCE_MAX {
            return Err(MoneyError::TooLarge(text.to_owned()));
        }
        Ok(Pence(pence))
    }

    /// Parses an amount that must be above zero (receipts, purchases, repayments, earmarks).
    pub fn parse_positive(text: &str) -> Result<Pence, MoneyError> {
        let amount = Pence::parse(text)?;
        if amount.0 == 0 {
            return Err(MoneyError::NotPositive);
        }
        Ok(amount)
    }

    /// Rounds an exact amount in pounds to the penny, half away from zero.
    pub fn round_pounds(pounds: Decimal) -> Pence {
        let pence = (pounds * Decimal::ONE_HUNDRED)
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        Pence(
            pence
                .to_i64()
                .expect("a rounded amount of pence fits in i64"),
        )
    }

    /// The amount in pounds as an exact decimal.
    pub fn to_pounds(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    pub fn max(self, other: Pence) -> Pence {
        Pence(self.0.max(other.0))
    }

    pub fn min(self, other: Pence) -> Pence {
        Pence(self.0.min(other.0))
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for Pence {
    /// Always two decimals, a leading `-` when negative: `1234.50`, `-0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Add for Pence {
    type Output = Pence;
    fn add(self, rhs: Pence) -> Pence {
        Pence(self.0 + rhs.0)
    }
}
impl Sub for Pence {
    type Output = Pence;
    fn sub(self, rhs: Pence) -> Pence {
        Pence(self.0 - rhs.0)
    }
}
impl Neg for Pence {
    type Output = Pence;
    fn neg(self) -> Pence {
        Pence(-self.0)
    }
}
impl AddAssign for Pence {
    fn add_assign(&mut self, rhs: Pence) {
        self.0 += rhs.0;
    }
}
impl SubAssign for Pence {
    fn sub_assign(&mut self, rhs: Pence) {
        self.0 -= rhs.0;
    }
}
impl Sum for Pence {
    fn sum<I: Iterator<Item = Pence>>(iter: I) -> Pence {
        Pence(iter.map(|p| p.0).sum())
    }
}

/// A non-negative decimal quantity from outside (hours, percentages, notice hours).
pub fn parse_quantity(text: &str) -> Result<Decimal, String> {
    let ok_shape = !text.is_empty()
        && !text.starts_with('.')
        && !text.ends_with('.')
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && text.bytes().filter(|b| *b == b'.').count() <= 1;
    if text.starts_with('-') {
        return Err(format!("{text:?} is negative: it must be 0 or more"));
    }
    if !ok_shape || text.len() > 20 {
        return Err(format!(
            "{text:?} is not a decimal number ≥ 0 (e.g. 3 or 2.5)"
        ));
    }
    text.parse::<Decimal>()
        .map(|d| d.normalize())
        .map_err(|_| format!("{text:?} is not a decimal number ≥ 0"))
}

/// Rounds to 2 decimals, half away from zero, and writes exactly two decimals.
pub fn format_2dp(value: Decimal) -> String {
    let rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    format!("{:.2}", rounded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_syntax_accepts_whole_pounds_and_up_to_two_places() {
        for (text, pence) in [
            ("0", 0),
            ("1540", 154000),
            ("1540.5", 154050),
            ("1540.00", 154000),
            ("0.01", 1),
        ] {
            assert_eq!(Pence::parse(text), Ok(Pence(pence)), "case {text}");
        }
    }

    #[test]
    fn money_syntax_rejects_signs_symbols_separators_and_three_places() {
        for text in [
            "", "-1.00", "+1", "£5", "1,000", ".5", "5.", "35.005", "1e3", " 5", "5 ",
        ] {
            assert!(
                Pence::parse(text).is_err(),
                "case {text:?} should be rejected"
            );
        }
        assert!(matches!(
            Pence::parse("35.005"),
            Err(MoneyError::TooManyDecimals(_))
        ));
        assert!(matches!(
            Pence::parse("-50.00"),
            Err(MoneyError::Negative(_))
        ));
    }

    #[test]
    fn rounding_is_half_away_from_zero_at_the_penny() {
        let cases = [
            ("13.225", 1323),
            ("31.725", 3173),
            ("9.525", 953),
            ("6.6125", 661),
            ("-0.005", -1),
        ];
        for (pounds, pence) in cases {
            assert_eq!(
                Pence::round_pounds(pounds.parse().unwrap()),
                Pence(pence),
                "case {pounds}"
            );
        }
    }

    #[test]
    fn display_always_has_two_decimals() {
        assert_eq!(Pence(123450).to_string(), "1234.50");
        assert_eq!(Pence(-5).to_string(), "-0.05");
        assert_eq!(Pence(0).to_string(), "0.00");
    }

    #[test]
    fn hours_round_half_away_from_zero_to_two_places() {
        assert_eq!(format_2dp("25.5714".parse().unwrap()), "25.57");
        assert_eq!(format_2dp("0.125".parse().unwrap()), "0.13");
        assert_eq!(format_2dp("4".parse().unwrap()), "4.00");
    }
}
