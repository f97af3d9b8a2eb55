//! The values of DOMAIN.md: commissioners and their terms, agreements, streams, plans, workers,
//! visits and attendances. Plain data: parsing happens at the edges, rules live beside these types.
use super::calendar::Instant;
use super::money::Pence;
use chrono::NaiveDate;
use rust_decimal::Decimal;

macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every word this enumeration accepts, in order.
            pub const WORDS: &'static [&'static str] = &[$($word),+];

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($word => Some(Self::$variant),)+ _ => None }
            }

            pub fn word(self) -> &'static str {
                match self { $(Self::$variant => $word),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.word())
            }
        }
    };
}
pub(crate) use word_enum;

word_enum!(CommissionerKind { Council = "council", Icb = "icb" });
word_enum!(BillingBasis { Planned = "planned", Actual = "actual", ActualCapped = "actual_capped" });
word_enum!(SupportType {
    PersonalCare = "personal_care",
    Domestic = "domestic",
    SocialInclusion = "social_inclusion",
    Respite = "respite",
    WakingNight = "waking_night",
    SleepIn = "sleep_in",
});
word_enum!(RateUnit { Hour = "hour", Night = "night" });
word_enum!(CommunicationFormat { Standard = "standard", LargePrint = "large_print", EasyRead = "easy_read" });
word_enum!(DecisionMaker { SelfDecides = "self", Lpa = "lpa", Deputy = "deputy", BestInterests = "best_interests" });
word_enum!(ContributionMode { None = "none", Net = "net", Gross = "gross" });
word_enum!(FeeBasisKind { Percent = "percent", Fixed = "fixed" });
word_enum!(Payer { Commissioner = "commissioner", Person = "person" });
word_enum!(CancelledBy { Person = "person", Provider = "provider" });
word_enum!(AttendanceMethod { Ecm = "ecm", App = "app", Manual = "manual" });
word_enum!(Relationship {
    Spouse = "spouse",
    Partner = "partner",
    CivilPartner = "civil_partner",
    Parent = "parent",
    ParentInLaw = "parent_in_law",
    Child = "child",
    ChildInLaw = "child_in_law",
    StepChild = "step_child",
    Sibling = "sibling",
    Aunt = "aunt",
    Uncle = "uncle",
    Grandparent = "grandparent",
    RelativePartner = "relative_partner",
    Friend = "friend",
    Neighbour = "neighbour",
    Other = "other",
});

impl SupportType {
    /// Plain words for statements: `personal care`, `sleep in`.
    pub fn plain(self) -> String {
        self.word().replace('_', " ")
    }

    /// Sleep-ins are priced per night; every other type per hour.
    pub fn unit(self) -> RateUnit {
        if self == SupportType::SleepIn {
            RateUnit::Night
        } else {
            RateUnit::Hour
        }
    }
}

/// Spend an ISF may never pay for, whatever the person chooses.
pub const PROHIBITED_PURCHASE_CATEGORIES: [&str; 6] = [
    "nhs_healthcare",
    "residential_care",
    "gambling",
    "rent",
    "utilities",
    "debt",
];

pub fn is_prohibited_category(category: &str) -> bool {
    PROHIBITED_PURCHASE_CATEGORIES.contains(&category)
}

/// A commissioner's contract terms, defaults already applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractTerms {
    pub billing_basis: BillingBasis,
    pub tolerance_minutes: i64,
    pub rounding_minutes: i64,
    pub cancellation_notice_hours: Decimal,
    pub surplus_cap_weeks: i64,
    pub surplus_age_weeks: i64,
}

impl Default for ContractTerms {
    fn default() -> Self {
        ContractTerms {
            billing_basis: BillingBasis::ActualCapped,
            tolerance_minutes: 5,
            rounding_minutes: 1,
            cancellation_notice_hours: Decimal::from(48),
            surplus_cap_weeks: 4,
            surplus_age_weeks: 12,
        }
    }
}

/// A check-in later than planned start plus this is `late`.
pub const LATE_AFTER_MINUTES: i64 = 30;
/// Actual minutes further than this from planned are `short` or `overrun`.
pub const VARIANCE_MINUTES: i64 = 15;
/// Visits shorter than this need `short_visits_agreed` (NICE QS123).
pub const SHORT_VISIT_MINUTES: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commissioner {
    pub commissioner_ref: String,
    pub name: String,
    pub kind: CommissionerKind,
    pub terms: ContractTerms,
}

/// One row of a commissioner's rate card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub commissioner_ref: String,
    pub support_type: SupportType,
    pub effective_from: NaiveDate,
    pub unit: RateUnit,
    pub weekday: Pence,
    pub weekend: Pence,
    pub bank_holiday: Pence,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub person_ref: String,
    pub council_person_ref: Option<String>,
    pub given_name: String,
    pub family_name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub postcode: Option<String>,
    pub communication_format: CommunicationFormat,
    pub decision_maker: DecisionMaker,
    pub representative_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fee {
    /// A percentage of each stream's weekly amount, charged to that stream.
    Percent(Decimal),
    /// A fixed amount a week, charged to the primary stream.
    Fixed(Pence),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub agreement_ref: String,
    pub person_ref: String,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub contribution_mode: ContributionMode,
    pub weekly_contribution: Pence,
    pub fee: Fee,
    pub flex_window_weeks: i64,
}

impl Agreement {
    /// Whether the agreement is live on `date`.
    pub fn is_live_on(&self, date: NaiveDate) -> bool {
        date >= self.start_date && self.end_date.is_none_or(|end| date <= end)
    }

    /// Whether the agreement is live on any day from `from` to `to`.
    pub fn overlaps(&self, from: NaiveDate, to: NaiveDate) -> bool {
        self.start_date <= to && self.end_date.is_none_or(|end| end >= from)
    }
}

/// The default flex window when `flex_window_weeks` is empty.
pub const FLEX_WINDOW_WEEKS_DEFAULT: i64 = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    pub agreement_ref: String,
    pub stream_ref: String,
    pub commissioner_ref: String,
    pub weekly_amount: Pence,
    pub primary: bool,
}

/// One outcome as it stands in one plan version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub agreement_ref: String,
    pub plan_version: i64,
    pub outcome_ref: String,
    pub stream_ref: String,
    pub title: String,
    pub support_type: SupportType,
    pub weekly_hours: Decimal,
    pub short_visits_agreed: bool,
    pub approved_by: Option<String>,
    pub approved_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    pub worker_ref: String,
    pub given_name: String,
    pub family_name: String,
    pub dbs_issued_on: Option<NaiveDate>,
    pub dbs_barred_list_checked: bool,
    pub dbs_update_service: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerRelationship {
    pub worker_ref: String,
    pub person_ref: String,
    pub relationship: Relationship,
    pub same_household: bool,
    pub commissioner_authorised: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    pub at: Instant,
    pub by: CancelledBy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub visit_ref: String,
    pub agreement_ref: String,
    pub outcome_ref: String,
    pub planned_start: Instant,
    pub planned_end: Instant,
    pub workers_required: i64,
    pub worker_refs: Vec<String>,
    pub cancellation: Option<Cancellation>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendance {
    pub attendance_ref: String,
    pub visit_ref: Option<String>,
    pub person_ref: String,
    pub worker_ref: String,
    pub check_in: Instant,
    pub check_out: Instant,
    pub method: AttendanceMethod,
    pub location_verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub receipt_ref: String,
    pub received_on: NaiveDate,
    pub payer: Payer,
    pub agreement_ref: String,
    pub stream_ref: String,
    pub amount: Pence,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchase {
    pub purchase_ref: String,
    pub paid_on: NaiveDate,
    pub agreement_ref: String,
    pub outcome_ref: String,
    pub stream_ref: String,
    pub category: String,
    pub description: Option<String>,
    pub supplier: Option<String>,
    pub amount: Pence,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repayment {
    pub repayment_ref: String,
    pub paid_on: NaiveDate,
    pub agreement_ref: String,
    pub stream_ref: String,
    pub payee: Payer,
    pub amount: Pence,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earmark {
    pub earmark_ref: String,
    pub agreement_ref: String,
    pub stream_ref: String,
    pub purpose: String,
    pub amount: Pence,
    pub created_on: NaiveDate,
    pub expires_on: NaiveDate,
}

impl Earmark {
    /// In force from `created_on` to `expires_on`, both days included.
    pub fn in_force_on(&self, date: NaiveDate) -> bool {
        self.created_on <= date && date <= self.expires_on
    }
}
