//! Refs: the provider's own identifiers, and the keys that make writes idempotent.
use std::fmt;

/// The longest ref accepted.
pub const REF_CHARS_MAX: usize = 40;

/// 1–40 characters of `A-Z a-z 0-9 - _`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ref(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefError {
    #[error("a ref may not be empty")]
    Empty,
    #[error("{0:?} is longer than 40 characters")]
    TooLong(String),
    #[error("{0:?} may hold only A-Z, a-z, 0-9, '-' and '_'")]
    Characters(String),
}

impl Ref {
    pub fn parse(text: &str) -> Result<Ref, RefError> {
        if text.is_empty() {
            return Err(RefError::Empty);
        }
        if text.len() > REF_CHARS_MAX {
            return Err(RefError::TooLong(text.to_owned()));
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(RefError::Characters(text.to_owned()));
        }
        Ok(Ref(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Upper-cased with everything outside `A-Z 0-9` replaced by `-`: two agreement refs (or two
    /// stream refs of one agreement) with the same key would be confused in exports and journals.
    pub fn key(&self) -> String {
        account_segment(&self.0)
    }
}

/// Upper-cases and replaces every character outside `A-Z 0-9` with `-` (journal account names).
pub fn account_segment(text: &str) -> String {
    text.chars()
        .map(|c| {
            let c = c.to_ascii_uppercase();
            if c.is_ascii_uppercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect()
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The longest idempotency key accepted from a client.
pub const IDEMPOTENCY_KEY_CHARS_MAX: usize = 200;

/// A client's idempotency key: 1–200 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(text: &str) -> Result<IdempotencyKey, String> {
        if text.is_empty() || text.len() > IDEMPOTENCY_KEY_CHARS_MAX {
            return Err("an idempotency key has 1 to 200 characters".to_owned());
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("an idempotency key holds visible ASCII characters only".to_owned());
        }
        Ok(IdempotencyKey(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key as stored: one client's keys never meet another's, so two accounts that happen to
    /// pick the same key neither collide nor see each other's replies. (A space cannot occur in a
    /// key, so the owner and the key cannot run together.)
    pub fn owned_by(&self, owner: &str) -> IdempotencyKey {
        IdempotencyKey(format!("{owner} {}", self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_hold_only_letters_digits_dash_and_underscore() {
        assert!(Ref::parse("AG-ANN_1").is_ok());
        for bad in ["", "AG ANN", "AG.1", "ÅG", &"X".repeat(41)] {
            assert!(Ref::parse(bad).is_err(), "case {bad:?}");
        }
    }

    #[test]
    fn refs_that_differ_only_in_case_or_punctuation_share_a_key() {
        assert_eq!(
            Ref::parse("AG_1").unwrap().key(),
            Ref::parse("ag-1").unwrap().key()
        );
    }

    #[test]
    fn idempotency_keys_are_bounded_and_visible() {
        assert!(IdempotencyKey::parse("abc-123").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("a b").is_err());
    }
}
