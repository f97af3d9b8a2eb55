//! The double-entry ledger: accounts, postings, transactions that sum to zero, reversals.
//!
//! Amounts are signed pence, debit positive. A fund is a liability: money held for the person is a
//! credit, so a fund's balance as shown to people is minus the sum of its postings.
use super::money::Pence;
use super::refs::account_segment;
use chrono::NaiveDate;

super::model::word_enum!(TransactionKind {
    Receipt = "receipt",
    Service = "service",
    Purchase = "purchase",
    Fee = "fee",
    Repayment = "repayment",
    Reversal = "reversal",
});

/// A ledger account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    /// The fund of one stream of one agreement.
    Fund {
        agreement_ref: String,
        stream_ref: String,
    },
    ClientBank,
    CareIncome,
    FeeIncome,
}

impl Account {
    pub fn fund(agreement_ref: &str, stream_ref: &str) -> Account {
        Account::Fund {
            agreement_ref: agreement_ref.to_owned(),
            stream_ref: stream_ref.to_owned(),
        }
    }

    /// The stored name of the account kind.
    pub fn kind_word(&self) -> &'static str {
        match self {
            Account::Fund { .. } => "fund",
            Account::ClientBank => "bank",
            Account::CareIncome => "care",
            Account::FeeIncome => "fee",
        }
    }

    pub fn from_parts(
        kind: &str,
        agreement_ref: Option<&str>,
        stream_ref: Option<&str>,
    ) -> Option<Account> {
        match (kind, agreement_ref, stream_ref) {
            ("fund", Some(a), Some(s)) => Some(Account::fund(a, s)),
            ("bank", _, _) => Some(Account::ClientBank),
            ("care", _, _) => Some(Account::CareIncome),
            ("fee", _, _) => Some(Account::FeeIncome),
            _ => None,
        }
    }

    /// The agreement and stream a fund account belongs to (none for the provider's own accounts):
    /// with `kind_word`, what `from_parts` reads back.
    pub fn fund_parts(&self) -> (Option<&str>, Option<&str>) {
        match self {
            Account::Fund {
                agreement_ref,
                stream_ref,
            } => (Some(agreement_ref), Some(stream_ref)),
            _ => (None, None),
        }
    }

    /// The account's name in an hledger journal.
    pub fn journal_name(&self) -> String {
        match self {
            Account::Fund {
                agreement_ref,
                stream_ref,
            } => {
                format!(
                    "Liabilities:Funds:{}:{}",
                    account_segment(agreement_ref),
                    account_segment(stream_ref)
                )
            }
            Account::ClientBank => "Assets:Bank:Client".to_owned(),
            Account::CareIncome => "Income:Care".to_owned(),
            Account::FeeIncome => "Income:ManagementFee".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Posting {
    pub account: Account,
    /// Debit positive, credit negative.
    pub amount: Pence,
}

/// A balanced set of postings, not yet stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: TransactionKind,
    pub date: NaiveDate,
    pub postings: Vec<Posting>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("a transaction needs two or more postings")]
    TooFewPostings,
    #[error("postings sum to {0}, not 0.00")]
    Unbalanced(Pence),
}

impl Entry {
    /// A transaction: two or more postings summing to zero.
    pub fn new(
        kind: TransactionKind,
        date: NaiveDate,
        postings: Vec<Posting>,
    ) -> Result<Entry, LedgerError> {
        if postings.len() < 2 {
            return Err(LedgerError::TooFewPostings);
        }
        let sum: Pence = postings.iter().map(|p| p.amount).sum();
        if !sum.is_zero() {
            return Err(LedgerError::Unbalanced(sum));
        }
        Ok(Entry {
            kind,
            date,
            postings,
        })
    }

    /// Money received into a fund: the bank is debited, the fund credited.
    pub fn receipt(date: NaiveDate, fund: Account, amount: Pence) -> Entry {
        Entry::pair(
            TransactionKind::Receipt,
            date,
            Account::ClientBank,
            fund,
            amount,
        )
    }

    /// Money taken out of a fund into `to` (care income, fee income, the bank for purchases and repayments).
    pub fn spend(
        kind: TransactionKind,
        date: NaiveDate,
        fund: Account,
        to: Account,
        amount: Pence,
    ) -> Entry {
        Entry::pair(kind, date, fund, to, amount)
    }

    /// A service cost: the fund is debited the sum of the worker lines (each line is kept beside the
    /// transaction), care income credited.
    pub fn service(date: NaiveDate, fund: Account, lines: &[Pence]) -> Entry {
        let total: Pence = lines.iter().copied().sum();
        Entry::pair(
            TransactionKind::Service,
            date,
            fund,
            Account::CareIncome,
            total,
        )
    }

    /// The mirror of `original`, dated `date`.
    pub fn reversal(original: &[Posting], date: NaiveDate) -> Entry {
        let postings = original
            .iter()
            .map(|p| Posting {
                account: p.account.clone(),
                amount: -p.amount,
            })
            .collect();
        Entry {
            kind: TransactionKind::Reversal,
            date,
            postings,
        }
    }

    fn pair(
        kind: TransactionKind,
        date: NaiveDate,
        debit: Account,
        credit: Account,
        amount: Pence,
    ) -> Entry {
        Entry {
            kind,
            date,
            postings: vec![
                Posting {
                    account: debit,
                    amount,
                },
                Posting {
                    account: credit,
                    amount: -amount,
                },
            ],
        }
    }

    pub fn sum(&self) -> Pence {
        self.postings.iter().map(|p| p.amount).sum()
    }

    /// The change this entry makes to a fund's balance as people see it (credit positive).
    pub fn fund_effect(&self, fund: &Account) -> Pence {
        -self
            .postings
            .iter()
            .filter(|p| &p.account == fund)
            .map(|p| p.amount)
            .sum::<Pence>()
    }
}

/// One worker line of a posted visit cost, kept beside its transaction for statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLine {
    pub visit_ref: String,
    pub stream_ref: String,
    pub line: super::billing::WorkerLine,
}

/// A transaction as the ledger holds it. `id` is given by the ledger when it is appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub id: i64,
    /// Unique: replaying a write with the same key is a no-op.
    pub key: String,
    pub agreement_ref: String,
    /// What the transaction is about (`visit:V-1`, `fee:AG:ASC:2026-03-02`, `receipt:R-1`): the
    /// unit that reconciliation compares and reverses.
    pub subject: String,
    pub reverses: Option<i64>,
    pub description: String,
    pub entry: Entry,
    pub lines: Vec<ServiceLine>,
}

/// A fund's balance as people see it: minus the sum of its postings.
pub fn fund_balance<'a>(postings: impl IntoIterator<Item = &'a Posting>, fund: &Account) -> Pence {
    -postings
        .into_iter()
        .filter(|p| &p.account == fund)
        .map(|p| p.amount)
        .sum::<Pence>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date() -> NaiveDate {
        "2026-03-02".parse().unwrap()
    }

    #[test]
    fn an_unbalanced_transaction_is_refused() {
        let p = |amount| Posting {
            account: Account::ClientBank,
            amount: Pence::new(amount),
        };
        assert_eq!(
            Entry::new(TransactionKind::Receipt, date(), vec![p(5), p(-4)]),
            Err(LedgerError::Unbalanced(Pence::new(1)))
        );
        assert_eq!(
            Entry::new(TransactionKind::Receipt, date(), vec![p(0)]),
            Err(LedgerError::TooFewPostings)
        );
    }

    fn entries() -> impl Strategy<Value = Vec<Entry>> {
        let fund = prop_oneof![
            Just(Account::fund("A", "ASC")),
            Just(Account::fund("A", "CHC")),
            Just(Account::fund("B", "ASC"))
        ];
        let entry = (
            0u8..5,
            fund,
            1i64..1_000_000,
            proptest::collection::vec(0i64..100_000, 1..3),
        )
            .prop_map(|(kind, fund, amount, lines)| match kind {
                0 => Entry::receipt(date(), fund, Pence::new(amount)),
                1 => Entry::spend(
                    TransactionKind::Fee,
                    date(),
                    fund,
                    Account::FeeIncome,
                    Pence::new(amount),
                ),
                2 => Entry::spend(
                    TransactionKind::Purchase,
                    date(),
                    fund,
                    Account::ClientBank,
                    Pence::new(amount),
                ),
                3 => Entry::service(
                    date(),
                    fund,
                    &lines.into_iter().map(Pence::new).collect::<Vec<_>>(),
                ),
                _ => Entry::reversal(
                    &Entry::receipt(date(), fund, Pence::new(amount)).postings,
                    date(),
                ),
            });
        proptest::collection::vec(entry, 0..60)
    }

    proptest! {
        #[test]
        fn every_transaction_sums_to_zero(entries in entries()) {
            for e in &entries {
                prop_assert_eq!(e.sum(), Pence::ZERO);
                prop_assert!(e.postings.len() >= 2);
            }
        }

        #[test]
        fn balances_equal_the_sum_of_postings_and_all_accounts_together_are_zero(entries in entries()) {
            let postings: Vec<Posting> = entries.iter().flat_map(|e| e.postings.clone()).collect();
            let fund = Account::fund("A", "ASC");
            let by_effect: Pence = entries.iter().map(|e| e.fund_effect(&fund)).sum();
            prop_assert_eq!(fund_balance(&postings, &fund), by_effect);
            prop_assert_eq!(postings.iter().map(|p| p.amount).sum::<Pence>(), Pence::ZERO);
        }

        #[test]
        fn a_reversal_cancels_its_original_exactly(entries in entries()) {
            for e in &entries {
                let r = Entry::reversal(&e.postings, date());
                let mut all = e.postings.clone();
                all.extend(r.postings);
                for account in [Account::fund("A", "ASC"), Account::ClientBank, Account::CareIncome] {
                    prop_assert_eq!(fund_balance(&all, &account), Pence::ZERO);
                }
            }
        }
    }
}
