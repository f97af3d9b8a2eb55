//! Synthetic providers: a deterministic generator of the 14 input CSVs of FORMATS.md.
//!
//! This module owns the made-up provider behind demos, benchmarks and load tests: its catalogue of
//! commissioners, rate cards, outcomes (in people's own words) and names; the rostering that keeps
//! every worker out of overlapping visits; the noise of real call monitoring (late, short, missed,
//! unplanned, the wrong worker turning up); and the writing of the files. It reads nothing from the
//! database and keeps no state: the same [`DemoSpec`] gives byte-identical files, and every row passes
//! the import rules, because `isf import` rejects a whole directory on one bad row.
//!
//! Rows stream straight to `csv::Writer`s; only the provider's shape (people, plans, workers and each
//! worker's booked times) is held in memory.
use crate::domain::calendar::{to_london, Instant};
use crate::domain::model::SupportType;
use crate::domain::money::Pence;
use chrono::{
    Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc,
    Weekday,
};
use chrono_tz::Europe::London;
use rand::seq::{index, IndexedRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSpec {
    /// People supported, one agreement each.
    pub people: usize,
    /// Weeks of visits, from `start_monday`.
    pub weeks: u32,
    /// The same seed (and the rest of the spec) gives byte-identical files.
    pub seed: u64,
    /// The first day of the rostered period.
    pub start_monday: NaiveDate,
}

/// Why the files could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot write the demo data: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write a demo CSV file: {0}")]
    Csv(#[from] csv::Error),
}

/// Writes the 14 input CSVs of FORMATS.md (commissioners, rates, people, agreements, streams,
/// outcomes, workers, relationships, visits, attendances, receipts, purchases, repayments, earmarks)
/// into `out_dir` (created if missing). Returns counts per file.
pub fn generate(spec: &DemoSpec, out_dir: &Path) -> Result<Vec<(String, usize)>, DemoError> {
    std::fs::create_dir_all(out_dir)?;
    let period = Period::of(spec);
    let provider = Provider::build(spec, &period);
    let mut counts = vec![
        write_commissioners(out_dir)?,
        write_rates(out_dir, &period)?,
        write_people(out_dir, &provider)?,
        write_agreements(out_dir, &provider)?,
        write_streams(out_dir, &provider)?,
        write_outcomes(out_dir, &provider)?,
        write_workers(out_dir, &provider)?,
        write_relationships(out_dir, &provider)?,
    ];
    let mut rostering = Rostering::new(out_dir, spec.seed, &period, &provider)?;
    for person in 0..provider.people.len() {
        rostering.person(person)?;
    }
    counts.extend(rostering.finish()?);
    let mut rng = phase_rng(spec.seed, Phase::Money);
    counts.push(write_receipts(out_dir, &mut rng, &period, &provider)?);
    counts.push(write_purchases(out_dir, &mut rng, &period, &provider)?);
    counts.push(write_repayments(out_dir, &mut rng, &period, &provider)?);
    counts.push(write_earmarks(out_dir, &mut rng, &period, &provider)?);
    Ok(counts)
}

// ---------------------------------------------------------------------------------------------
// Proportions. Probabilities are per person unless stated otherwise.
// ---------------------------------------------------------------------------------------------

/// Rostered care workers: one per this many people, plus a few.
const PEOPLE_PER_WORKER: usize = 4;
const EXTRA_WORKERS: usize = 10;
/// Workers whose DBS lapsed before the period: never rostered, yet they turn up (worker_not_cleared).
const LAPSED_DBS_WORKERS: usize = 2;
/// Of rostered workers: an old DBS kept valid by the update service.
const P_DBS_OLD_ON_UPDATE_SERVICE: f64 = 0.15;
/// Of rostered workers with a recent DBS: also on the update service.
const P_DBS_UPDATE_SERVICE: f64 = 0.3;
/// Workers each person usually sees.
const TEAM_SIZE: usize = 3;

const P_LARGE_PRINT: f64 = 0.10;
const P_EASY_READ: f64 = 0.05;
const P_LPA: f64 = 0.10;
const P_DEPUTY: f64 = 0.04;
const P_BEST_INTERESTS: f64 = 0.06;
const P_NO_COUNCIL_REF: f64 = 0.08;
const P_NO_FAMILY_NAME: f64 = 0.01;
const P_NO_DATE_OF_BIRTH: f64 = 0.03;
const P_NO_POSTCODE: f64 = 0.02;

/// A same-household sibling on the staff, never rostered for them (unauthorised_relative).
const P_SIBLING_ON_STAFF: f64 = 0.02;
/// Of a sibling's person's single-handed visits: the sibling turns up instead.
const P_SIBLING_ATTENDS: f64 = 0.10;
/// A team worker who is a friend or neighbour (not restricted).
const P_FRIEND_ON_TEAM: f64 = 0.03;
/// A team worker who is the person's child at home, authorised by the commissioner.
const P_AUTHORISED_RELATIVE: f64 = 0.005;

const P_STARTS_BEFORE_PERIOD: f64 = 0.5;
const MAX_DAYS_BEFORE_PERIOD: i64 = 35;
const P_ENDS_IN_PERIOD: f64 = 0.04;
const P_NET: f64 = 0.35;
const P_GROSS: f64 = 0.35;
const P_PERCENT_FEE: f64 = 0.6;
const P_FLEX_WINDOW_WRITTEN: f64 = 0.7;
/// Council and ICB (continuing healthcare) together.
const P_JOINTLY_FUNDED: f64 = 0.10;
/// Continuing healthcare alone.
const P_ICB_ONLY: f64 = 0.02;
const P_PLAN_VERSION_2: f64 = 0.10;
const P_VERSION_2_CHANGES_HOURS: f64 = 0.6;
const P_VERSION_2_ADDS_OUTCOME: f64 = 0.5;

const P_WASH: f64 = 0.75;
const P_BED: f64 = 0.30;
const P_MEDS: f64 = 0.25;
const P_DOMESTIC: f64 = 0.60;
const P_RESPITE: f64 = 0.08;
const P_ZERO_HOUR_OUTCOME: f64 = 0.12;
/// Weights of 0, 1 and 2 social-inclusion outcomes.
const SOCIAL_OUTCOME_WEIGHTS: [u32; 3] = [30, 50, 20];
const P_CHC_HOIST: f64 = 0.8;
const P_CHC_NIGHT: f64 = 0.6;
const P_CHC_TURN: f64 = 0.3;
const P_CHC_WAKING_NIGHT: f64 = 0.25;
/// Budget above the estimated weekly cost, at most, in percent.
const MAX_HEADROOM_PERCENT: i64 = 15;
/// A plan lighter than this a week (at weekday rates) gets more support, as a real assessment would.
const MIN_PLANNED_COST_PENCE: i64 = 13_000;
const WEEKLY_AMOUNT_PENCE: (i64, i64) = (15_000, 90_000);
const WEEKLY_CONTRIBUTION_PENCE: (i64, i64) = (1_000, 8_000);

/// Per visit.
const P_CANCELLED: f64 = 0.03;
const P_CANCELLED_BY_PERSON: f64 = 0.65;
const P_SHORT_NOTICE: f64 = 0.5;
/// Per non-cancelled visit: some attendance at all (the rest are missed).
const P_ATTENDED: f64 = 0.93;
/// Per attended double-up: only one of the two workers checks in.
const P_HALF_DOUBLE_UP: f64 = 0.05;
/// Per attendance.
const P_LATE: f64 = 0.03;
const P_SHORT: f64 = 0.06;
const P_OVERRUN: f64 = 0.04;
const P_ECM: f64 = 0.70;
const P_APP: f64 = 0.25;
const P_LOCATION_VERIFIED: f64 = 0.95;
const P_MANUAL_LOCATION_VERIFIED: f64 = 0.3;
/// Per attended visit: a worker with a lapsed DBS covers it.
const P_LAPSED_WORKER_ATTENDS: f64 = 0.004;
/// Per non-cancelled visit: the same worker also pops in unplanned later that day.
const P_UNPLANNED: f64 = 0.01;

const RECEIPT_CYCLE_DAYS: i64 = 28;
const P_MISSED_CONTRIBUTION: f64 = 0.10;
const P_PERSON_RECEIPT_NAMES_STREAM: f64 = 0.5;
/// Of people with an outcome met by purchases (0 weekly hours) / with social inclusion.
const P_PURCHASE_ZERO_HOUR: f64 = 0.5;
const P_PURCHASE_SOCIAL: f64 = 0.06;
const P_EARMARK: f64 = 0.05;
const P_EARMARK_ON_CHC: f64 = 0.3;
/// Of agreements that started at least a receipt cycle before the period: the council claws a
/// week's payment back.
const P_SURPLUS_RECOVERY: f64 = 0.15;

/// Rostering: random workers tried after the person's own, before a full scan.
const RANDOM_PROBES: usize = 24;
/// Rostering: 15-minute moves tried when nobody is free at the planned time.
const MAX_ROSTER_SHIFTS: i64 = 8;
/// Planning: tries to fit an outcome's visits into the person's week.
const PLACEMENT_ATTEMPTS: usize = 12;
const QUARTER_HOUR: u32 = 15;
const MINUTES_PER_DAY: i64 = 24 * 60;
const MINUTES_PER_WEEK: i64 = 7 * MINUTES_PER_DAY;
const DBS_VALID_YEARS: i32 = 3;
const DEFAULT_NOTICE_HOURS: i64 = 48;

// ---------------------------------------------------------------------------------------------
// Files.
// ---------------------------------------------------------------------------------------------

struct FileSpec {
    name: &'static str,
    columns: &'static [&'static str],
}

const COMMISSIONERS_CSV: FileSpec = FileSpec {
    name: "commissioners.csv",
    columns: &[
        "commissioner_ref",
        "name",
        "kind",
        "billing_basis",
        "tolerance_minutes",
        "rounding_minutes",
        "cancellation_notice_hours",
        "surplus_cap_weeks",
        "surplus_age_weeks",
    ],
};
const RATES_CSV: FileSpec = FileSpec {
    name: "rates.csv",
    columns: &[
        "commissioner_ref",
        "support_type",
        "effective_from",
        "unit",
        "weekday",
        "weekend",
        "bank_holiday",
    ],
};
const PEOPLE_CSV: FileSpec = FileSpec {
    name: "people.csv",
    columns: &[
        "person_ref",
        "council_person_ref",
        "given_name",
        "family_name",
        "date_of_birth",
        "postcode",
        "communication_format",
        "decision_maker",
        "representative_name",
    ],
};
const AGREEMENTS_CSV: FileSpec = FileSpec {
    name: "agreements.csv",
    columns: &[
        "agreement_ref",
        "person_ref",
        "start_date",
        "end_date",
        "contribution_mode",
        "weekly_contribution",
        "fee_basis",
        "fee_value",
        "flex_window_weeks",
    ],
};
const STREAMS_CSV: FileSpec = FileSpec {
    name: "streams.csv",
    columns: &[
        "agreement_ref",
        "stream_ref",
        "commissioner_ref",
        "weekly_amount",
        "primary",
    ],
};
const OUTCOMES_CSV: FileSpec = FileSpec {
    name: "outcomes.csv",
    columns: &[
        "agreement_ref",
        "plan_version",
        "outcome_ref",
        "stream_ref",
        "title",
        "support_type",
        "weekly_hours",
        "short_visits_agreed",
        "approved_by",
        "approved_on",
    ],
};
const WORKERS_CSV: FileSpec = FileSpec {
    name: "workers.csv",
    columns: &[
        "worker_ref",
        "given_name",
        "family_name",
        "dbs_issued_on",
        "dbs_barred_list_checked",
        "dbs_update_service",
    ],
};
const RELATIONSHIPS_CSV: FileSpec = FileSpec {
    name: "relationships.csv",
    columns: &[
        "worker_ref",
        "person_ref",
        "relationship",
        "same_household",
        "commissioner_authorised",
    ],
};
const VISITS_CSV: FileSpec = FileSpec {
    name: "visits.csv",
    columns: &[
        "visit_ref",
        "agreement_ref",
        "outcome_ref",
        "planned_start",
        "planned_end",
        "workers_required",
        "worker_refs",
        "cancelled_at",
        "cancelled_by",
    ],
};
const ATTENDANCES_CSV: FileSpec = FileSpec {
    name: "attendances.csv",
    columns: &[
        "attendance_ref",
        "visit_ref",
        "person_ref",
        "worker_ref",
        "check_in",
        "check_out",
        "method",
        "location_verified",
    ],
};
const RECEIPTS_CSV: FileSpec = FileSpec {
    name: "receipts.csv",
    columns: &[
        "receipt_ref",
        "received_on",
        "payer",
        "agreement_ref",
        "stream_ref",
        "amount",
    ],
};
const PURCHASES_CSV: FileSpec = FileSpec {
    name: "purchases.csv",
    columns: &[
        "purchase_ref",
        "paid_on",
        "agreement_ref",
        "outcome_ref",
        "category",
        "description",
        "supplier",
        "amount",
    ],
};
const REPAYMENTS_CSV: FileSpec = FileSpec {
    name: "repayments.csv",
    columns: &[
        "repayment_ref",
        "paid_on",
        "agreement_ref",
        "stream_ref",
        "payee",
        "amount",
    ],
};
const EARMARKS_CSV: FileSpec = FileSpec {
    name: "earmarks.csv",
    columns: &[
        "earmark_ref",
        "agreement_ref",
        "stream_ref",
        "purpose",
        "amount",
        "created_on",
        "expires_on",
    ],
};

/// One output file: a buffered CSV writer that counts its rows.
struct CsvFile {
    name: &'static str,
    columns: usize,
    writer: csv::Writer<BufWriter<File>>,
    rows: usize,
}

impl CsvFile {
    fn create(dir: &Path, spec: &FileSpec) -> Result<Self, DemoError> {
        let file = File::create(dir.join(spec.name))?;
        let mut writer = csv::Writer::from_writer(BufWriter::new(file));
        writer.write_record(spec.columns)?;
        Ok(CsvFile {
            name: spec.name,
            columns: spec.columns.len(),
            writer,
            rows: 0,
        })
    }

    fn row<const N: usize>(&mut self, fields: [&str; N]) -> Result<(), DemoError> {
        debug_assert_eq!(
            N, self.columns,
            "a row of {} has the wrong width",
            self.name
        );
        self.writer.write_record(fields)?;
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<(String, usize), DemoError> {
        self.writer.flush()?;
        Ok((self.name.to_owned(), self.rows))
    }
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

fn opt_text<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn person_ref(person: usize) -> String {
    format!("P-{:05}", person + 1)
}

fn agreement_ref(person: usize) -> String {
    format!("AG-{:05}", person + 1)
}

fn worker_ref(worker: usize) -> String {
    format!("W-{:04}", worker + 1)
}

/// Weekly hours as people write them: `3`, `2.5`, `0.25`.
fn hours_text(minutes: u32) -> String {
    (Decimal::from(minutes) / Decimal::from(60))
        .normalize()
        .to_string()
}

/// An instant as London local time, whole minutes (`2026-03-16T08:00`) or with seconds. The
/// offset is written only where the local time alone would not name exactly this instant (the
/// spring gap, the autumn overlap).
fn local_text(instant: Instant, with_seconds: bool) -> String {
    let local = to_london(instant);
    let mut text = String::with_capacity(25);
    let _ = write!(
        text,
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute()
    );
    if with_seconds {
        let _ = write!(text, ":{:02}", local.second());
    }
    if london_instant(local) != Some(instant) {
        let offset = (local - instant.naive_utc()).num_minutes();
        let sign = if offset < 0 { '-' } else { '+' };
        let offset = offset.abs();
        let _ = write!(text, "{sign}{:02}:{:02}", offset / 60, offset % 60);
    }
    text
}

/// The one instant a London local time names, or `None` in the spring gap or the autumn overlap:
/// `calendar::london_to_utc` without building its error message, which costs more than the
/// conversion on this hot path (the tests read every time back with `parse_instant`).
fn london_instant(local: NaiveDateTime) -> Option<Instant> {
    match London.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        _ => None,
    }
}

/// The London instant of a local date and a minute after its midnight (may run past midnight).
fn local_instant(date: NaiveDate, minute: i64) -> Option<Instant> {
    london_instant(date.and_time(NaiveTime::MIN) + Duration::minutes(minute))
}

fn whole_minute(instant: Instant) -> Instant {
    instant - Duration::seconds(instant.timestamp().rem_euclid(60))
}

// ---------------------------------------------------------------------------------------------
// Randomness.
// ---------------------------------------------------------------------------------------------

/// Each phase draws from its own ChaCha stream of the seed, so a change to one phase leaves the
/// others' rows as they were.
#[derive(Clone, Copy)]
enum Phase {
    People = 1,
    Roster = 2,
    Money = 3,
}

fn phase_rng(seed: u64, phase: Phase) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(phase as u64);
    rng
}

/// The first choice whose cumulative share covers a uniform draw, else `otherwise`.
fn pick_share<T: Copy>(rng: &mut ChaCha8Rng, shares: &[(T, f64)], otherwise: T) -> T {
    let draw: f64 = rng.random();
    let mut cumulative = 0.0;
    for &(choice, share) in shares {
        cumulative += share;
        if draw < cumulative {
            return choice;
        }
    }
    otherwise
}

fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut draw = rng.random_range(0..total);
    for (i, &w) in weights.iter().enumerate() {
        if draw < w {
            return i;
        }
        draw -= w;
    }
    weights.len() - 1
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    *items.choose(rng).expect("catalogue lists are never empty")
}

/// A uniform date in `from..=to`, or `None` when the range is empty.
fn random_date(rng: &mut ChaCha8Rng, from: NaiveDate, to: NaiveDate) -> Option<NaiveDate> {
    let span = (to - from).num_days();
    (span >= 0).then(|| from + Duration::days(rng.random_range(0..=span)))
}

/// Pence × days / 7, rounded half up to the penny.
fn prorate(weekly: Pence, days: i64) -> Pence {
    Pence::new((weekly.pence() * days * 2 + 7) / 14)
}

// ---------------------------------------------------------------------------------------------
// The period.
// ---------------------------------------------------------------------------------------------

/// The rostered period: `first` to `last`, both included (empty when `weeks` is 0).
struct Period {
    first: NaiveDate,
    last: NaiveDate,
}

impl Period {
    fn of(spec: &DemoSpec) -> Period {
        let first = spec.start_monday;
        Period {
            first,
            last: first + Duration::days(7 * i64::from(spec.weeks)) - Duration::days(1),
        }
    }

    fn days(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }
}

// ---------------------------------------------------------------------------------------------
// Commissioners and rate cards.
// ---------------------------------------------------------------------------------------------

struct CommissionerSpec {
    code: &'static str,
    name: &'static str,
    kind: &'static str,
    billing_basis: &'static str,
    tolerance_minutes: &'static str,
    rounding_minutes: &'static str,
    cancellation_notice_hours: &'static str,
    surplus_cap_weeks: &'static str,
    surplus_age_weeks: &'static str,
    /// Its prices against the base rate card, per mille.
    price_level: i64,
    /// Who signs off support plans it funds.
    approvers: &'static [&'static str],
}

impl CommissionerSpec {
    fn notice_hours(&self) -> i64 {
        self.cancellation_notice_hours
            .parse()
            .unwrap_or(DEFAULT_NOTICE_HOURS)
    }
}

const NCC: usize = 0;
const ICB_NE: usize = 3;
const ICB_NC: usize = 4;

const COMMISSIONERS: [CommissionerSpec; 5] = [
    CommissionerSpec {
        code: "NCC",
        name: "Northshire County Council",
        kind: "council",
        billing_basis: "actual_capped",
        tolerance_minutes: "5",
        rounding_minutes: "1",
        cancellation_notice_hours: "48",
        surplus_cap_weeks: "4",
        surplus_age_weeks: "12",
        price_level: 1000,
        approvers: &[
            "Jas Patel, NCC",
            "Helen Armstrong, NCC",
            "Tom Fairbairn, NCC",
        ],
    },
    CommissionerSpec {
        code: "SBC",
        name: "Southdale Borough Council",
        kind: "council",
        billing_basis: "planned",
        tolerance_minutes: "",
        rounding_minutes: "15",
        cancellation_notice_hours: "24",
        surplus_cap_weeks: "6",
        surplus_age_weeks: "13",
        price_level: 1030,
        approvers: &["Priya Shah, Southdale BC", "Mark Dobson, Southdale BC"],
    },
    CommissionerSpec {
        code: "WMC",
        name: "Westmere Metropolitan Borough Council",
        kind: "council",
        billing_basis: "actual",
        tolerance_minutes: "0",
        rounding_minutes: "1",
        cancellation_notice_hours: "",
        surplus_cap_weeks: "",
        surplus_age_weeks: "8",
        price_level: 985,
        approvers: &["Sam Reid, Westmere MBC", "Aisha Khan, Westmere MBC"],
    },
    CommissionerSpec {
        code: "ICB-NE",
        name: "NHS North East Integrated Care Board",
        kind: "icb",
        billing_basis: "actual",
        tolerance_minutes: "",
        rounding_minutes: "15",
        cancellation_notice_hours: "24",
        surplus_cap_weeks: "",
        surplus_age_weeks: "2",
        price_level: 1075,
        approvers: &["Dr Ruth Ellis", "Gail Hendry, CHC nurse assessor"],
    },
    CommissionerSpec {
        code: "ICB-NC",
        name: "NHS North Cumbria Integrated Care Board",
        kind: "icb",
        billing_basis: "actual_capped",
        tolerance_minutes: "10",
        rounding_minutes: "1",
        cancellation_notice_hours: "24",
        surplus_cap_weeks: "8",
        surplus_age_weeks: "26",
        price_level: 1050,
        approvers: &["Dr Owen Price", "Bethan Lloyd, CHC nurse assessor"],
    },
];

/// Where people live: a council, the ICB for that area, and how the council and the Royal Mail
/// name them.
struct Area {
    council: usize,
    icb: usize,
    weight: u32,
    council_ref_prefix: &'static str,
    postcode_districts: &'static [&'static str],
}

const AREAS: [Area; 3] = [
    Area {
        council: NCC,
        icb: ICB_NE,
        weight: 50,
        council_ref_prefix: "MOS-",
        postcode_districts: &["NE22", "NE23", "NE24", "NE61", "NE63"],
    },
    Area {
        council: 1,
        icb: ICB_NE,
        weight: 30,
        council_ref_prefix: "LAS-",
        postcode_districts: &["DL1", "DL3", "DL14", "DL16"],
    },
    Area {
        council: 2,
        icb: ICB_NC,
        weight: 20,
        council_ref_prefix: "WMB",
        postcode_districts: &["CA1", "CA2", "CA14", "CA28"],
    },
];

/// The base rate card: weekday pence per hour, or per night for sleep-ins.
const BASE_WEEKDAY_RATES: [(SupportType, i64); 6] = [
    (SupportType::PersonalCare, 2460),
    (SupportType::Domestic, 2115),
    (SupportType::SocialInclusion, 2085),
    (SupportType::Respite, 2240),
    (SupportType::WakingNight, 2310),
    (SupportType::SleepIn, 9250),
];
/// Weekend and bank-holiday prices against the weekday price, per mille.
const WEEKEND_LEVEL: i64 = 1110;
const BANK_HOLIDAY_LEVEL: i64 = 1500;
/// The yearly (April) or in-year uplift, per mille.
const UPLIFT_LEVEL: i64 = 1035;

/// `pence` × `level` / 1000, to the nearest 5p.
fn scale_to_5p(pence: i64, level: i64) -> i64 {
    (pence * level + 2_500) / 5_000 * 5
}

fn weekday_rate(commissioner: usize, support: SupportType) -> i64 {
    let base = BASE_WEEKDAY_RATES
        .iter()
        .find(|(t, _)| *t == support)
        .map_or(0, |(_, pence)| *pence);
    scale_to_5p(base, COMMISSIONERS[commissioner].price_level)
}

/// When each commissioner's rates change: everyone's card from the last 1 April on or before the
/// period; then the next 1 April when it falls inside the period (councils and ICB-NE uplift), else
/// an in-year uplift for NCC alone half-way through.
struct RateCalendar {
    card_from: NaiveDate,
    uplift_on: Option<NaiveDate>,
    april_uplift: bool,
}

impl RateCalendar {
    fn of(period: &Period) -> RateCalendar {
        let april = |year| NaiveDate::from_ymd_opt(year, 4, 1).expect("1 April exists");
        let mut card_from = april(period.first.year());
        if card_from > period.first {
            card_from = april(period.first.year() - 1);
        }
        let next_april = april(card_from.year() + 1);
        if next_april <= period.last {
            RateCalendar {
                card_from,
                uplift_on: Some(next_april),
                april_uplift: true,
            }
        } else {
            let half_way = period.first + Duration::days(period.days() / 2);
            RateCalendar {
                card_from,
                uplift_on: (half_way > period.first).then_some(half_way),
                april_uplift: false,
            }
        }
    }

    fn uplifts(&self, commissioner: usize) -> Option<NaiveDate> {
        let applies = if self.april_uplift {
            commissioner != ICB_NC
        } else {
            commissioner == NCC
        };
        self.uplift_on.filter(|_| applies)
    }
}

fn write_commissioners(dir: &Path) -> Result<(String, usize), DemoError> {
    let mut file = CsvFile::create(dir, &COMMISSIONERS_CSV)?;
    for c in &COMMISSIONERS {
        file.row([
            c.code,
            c.name,
            c.kind,
            c.billing_basis,
            c.tolerance_minutes,
            c.rounding_minutes,
            c.cancellation_notice_hours,
            c.surplus_cap_weeks,
            c.surplus_age_weeks,
        ])?;
    }
    file.finish()
}

fn write_rates(dir: &Path, period: &Period) -> Result<(String, usize), DemoError> {
    let calendar = RateCalendar::of(period);
    let mut file = CsvFile::create(dir, &RATES_CSV)?;
    for (c, commissioner) in COMMISSIONERS.iter().enumerate() {
        for (support, _) in BASE_WEEKDAY_RATES {
            let weekday = weekday_rate(c, support);
            let mut cards = vec![(calendar.card_from, weekday)];
            if let Some(on) = calendar.uplifts(c) {
                cards.push((on, scale_to_5p(weekday, UPLIFT_LEVEL)));
            }
            for (from, weekday) in cards {
                file.row([
                    commissioner.code,
                    support.word(),
                    &from.to_string(),
                    support.unit().word(),
                    &Pence::new(weekday).to_string(),
                    &Pence::new(scale_to_5p(weekday, WEEKEND_LEVEL)).to_string(),
                    &Pence::new(scale_to_5p(weekday, BANK_HOLIDAY_LEVEL)).to_string(),
                ])?;
            }
        }
    }
    file.finish()
}

// ---------------------------------------------------------------------------------------------
// The outcome catalogue.
// ---------------------------------------------------------------------------------------------

/// A kind of outcome a plan may hold, with the ways it is usually met.
struct OutcomeKind {
    /// The outcome_ref.
    code: &'static str,
    support: SupportType,
    /// In the person's words; `{day}` becomes the weekday of its single weekly visit.
    titles: &'static [&'static str],
    /// (visits a week, minutes each); empty: met by purchases, 0 weekly hours.
    patterns: &'static [(usize, u32)],
    /// Earliest and latest planned start, minutes after midnight.
    window: (u32, u32),
    days: &'static [Weekday],
    workers: usize,
    short_visits: bool,
    purchase: Option<PurchaseKind>,
}

struct PurchaseKind {
    category: &'static str,
    /// (description, supplier)
    items: &'static [(&'static str, &'static str)],
    pence: (i64, i64),
}

const fn at(hour: u32, minute: u32) -> u32 {
    hour * 60 + minute
}

const ALL_DAYS: &[Weekday] = &[
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];
const WEEKDAYS: &[Weekday] = &[
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];

const fn kind(
    code: &'static str,
    support: SupportType,
    titles: &'static [&'static str],
    patterns: &'static [(usize, u32)],
    window: (u32, u32),
) -> OutcomeKind {
    OutcomeKind {
        code,
        support,
        titles,
        patterns,
        window,
        days: ALL_DAYS,
        workers: 1,
        short_visits: false,
        purchase: None,
    }
}

static WASH: OutcomeKind = kind(
    "O-WASH",
    SupportType::PersonalCare,
    &[
        "I want to get washed and dressed before the day starts",
        "I want help with a shower so I feel fresh for the day",
        "I want to be up and dressed in time for breakfast",
    ],
    &[(7, 30), (7, 45), (5, 45), (5, 60), (3, 60), (4, 60)],
    (at(7, 0), at(10, 0)),
);
static BED: OutcomeKind = kind(
    "O-BED",
    SupportType::PersonalCare,
    &[
        "I want help getting ready for bed",
        "I want to be settled in bed safely at night",
    ],
    &[(7, 30), (5, 30), (7, 45)],
    (at(19, 0), at(21, 0)),
);
static MEDS: OutcomeKind = OutcomeKind {
    short_visits: true,
    ..kind(
        "O-MEDS",
        SupportType::PersonalCare,
        &[
            "I want a reminder to take my tablets",
            "I want someone to check I have had my lunchtime medication",
        ],
        &[(7, 15), (5, 15), (2, 15)],
        (at(12, 0), at(13, 30)),
    )
};
static TIDY: OutcomeKind = kind(
    "O-TIDY",
    SupportType::Domestic,
    &[
        "I want my home kept clean and tidy the way I like it",
        "I want help with my washing and ironing",
    ],
    &[(1, 60), (1, 90), (2, 60)],
    (at(10, 30), at(15, 0)),
);
static SHOP: OutcomeKind = kind(
    "O-SHOP",
    SupportType::Domestic,
    &[
        "I want to choose my own food at the shop",
        "I want to do my big shop at the supermarket on {day}s",
    ],
    &[(1, 90), (1, 120)],
    (at(10, 30), at(14, 0)),
);
static COOK: OutcomeKind = kind(
    "O-COOK",
    SupportType::Domestic,
    &[
        "I want to cook my own tea with a bit of help",
        "I want a hot meal I have chosen myself",
    ],
    &[(3, 60), (5, 45), (7, 30)],
    (at(16, 0), at(17, 30)),
);
static SWIM: OutcomeKind = OutcomeKind {
    days: WEEKDAYS,
    purchase: Some(PurchaseKind {
        category: "activity",
        items: &[
            ("Swimming session", "Northshire Leisure"),
            ("Aqua aerobics block booking", "Tynedale Pool"),
        ],
        pence: (450, 3_000),
    }),
    ..kind(
        "O-SWIM",
        SupportType::SocialInclusion,
        &[
            "I want to go swimming on {day}s",
            "I want to keep up my aqua aerobics on {day}s",
        ],
        &[(1, 120), (1, 180)],
        (at(10, 0), at(13, 0)),
    )
};
static PUB: OutcomeKind = OutcomeKind {
    days: &[Weekday::Sat, Weekday::Sun],
    purchase: Some(PurchaseKind {
        category: "activity",
        items: &[
            ("Match ticket, Northshire FC v Rovers", "Northshire FC"),
            ("Pub quiz entry", "The Red Lion"),
        ],
        pence: (500, 3_500),
    }),
    ..kind(
        "O-PUB",
        SupportType::SocialInclusion,
        &[
            "I want to watch the football at my local",
            "I want to go to the pub quiz with my mates on {day}s",
        ],
        &[(1, 120), (1, 180)],
        (at(13, 0), at(15, 0)),
    )
};
static CAFE: OutcomeKind = OutcomeKind {
    purchase: Some(PurchaseKind {
        category: "activity",
        items: &[
            ("Lunch at the community cafe", "The Hub Cafe"),
            ("Coffee morning donation", "St Mary's Church"),
        ],
        pence: (300, 1_800),
    }),
    ..kind(
        "O-CAFE",
        SupportType::SocialInclusion,
        &[
            "I want to meet my friends at the cafe",
            "I want to go to the coffee morning at church on {day}s",
        ],
        &[(1, 90), (1, 120)],
        (at(10, 0), at(13, 0)),
    )
};
static ART: OutcomeKind = OutcomeKind {
    days: WEEKDAYS,
    purchase: Some(PurchaseKind {
        category: "activity",
        items: &[
            ("Term fee for art class", "Westmere Adult Learning"),
            ("Paints and a sketchbook", "The Art Shop"),
        ],
        pence: (1_500, 6_000),
    }),
    ..kind(
        "O-ART",
        SupportType::SocialInclusion,
        &[
            "I want to go to my art class on {day}s",
            "I want to learn pottery at the college on {day}s",
        ],
        &[(1, 120), (1, 150)],
        (at(13, 0), at(15, 0)),
    )
};
static WALK: OutcomeKind = OutcomeKind {
    purchase: Some(PurchaseKind {
        category: "equipment",
        items: &[
            ("Walking boots", "Millets"),
            ("Dog lead and harness", "Pets at Home"),
        ],
        pence: (1_200, 6_500),
    }),
    ..kind(
        "O-WALK",
        SupportType::SocialInclusion,
        &[
            "I want to walk my dog in the park",
            "I want to get out for a walk along the sea front",
        ],
        &[(2, 60), (3, 60), (2, 90)],
        (at(14, 0), at(16, 30)),
    )
};
static CHURCH: OutcomeKind = OutcomeKind {
    days: &[Weekday::Sun],
    ..kind(
        "O-CHURCH",
        SupportType::SocialInclusion,
        &["I want to get to church on Sunday mornings"],
        &[(1, 120)],
        (at(9, 30), at(10, 30)),
    )
};
static BREAK: OutcomeKind = kind(
    "O-BREAK",
    SupportType::Respite,
    &[
        "I want my daughter to have a proper break on {day}s",
        "I want my husband to have an afternoon to himself each week",
    ],
    &[(1, 180), (1, 240)],
    (at(10, 0), at(13, 0)),
);
static GARDEN: OutcomeKind = OutcomeKind {
    purchase: Some(PurchaseKind {
        category: "equipment",
        items: &[
            ("Tomato plants and compost", "Greenfingers Nursery"),
            ("Grow bags and canes", "Northshire Garden Centre"),
        ],
        pence: (800, 3_500),
    }),
    ..kind(
        "O-GARDEN",
        SupportType::SocialInclusion,
        &["I want to grow my own tomatoes"],
        &[],
        (0, 0),
    )
};
static KNIT: OutcomeKind = OutcomeKind {
    purchase: Some(PurchaseKind {
        category: "equipment",
        items: &[
            ("Wool and knitting needles", "The Wool Basket"),
            ("Pattern book and wool", "Hobbycraft"),
        ],
        pence: (600, 4_000),
    }),
    ..kind(
        "O-KNIT",
        SupportType::SocialInclusion,
        &["I want to keep knitting for my grandchildren"],
        &[],
        (0, 0),
    )
};
static TRAIN: OutcomeKind = OutcomeKind {
    purchase: Some(PurchaseKind {
        category: "transport",
        items: &[
            ("Return train ticket to Whitby", "Northern Rail"),
            ("Taxi to the station and back", "A1 Taxis"),
        ],
        pence: (1_200, 6_500),
    }),
    ..kind(
        "O-TRAIN",
        SupportType::SocialInclusion,
        &["I want to visit my sister in Whitby by train"],
        &[],
        (0, 0),
    )
};
static GYM: OutcomeKind = OutcomeKind {
    purchase: Some(PurchaseKind {
        category: "activity",
        items: &[("Monthly leisure centre membership", "Northshire Leisure")],
        pence: (1_800, 3_200),
    }),
    ..kind(
        "O-GYM",
        SupportType::SocialInclusion,
        &["I want to keep fit at the leisure centre"],
        &[],
        (0, 0),
    )
};
static HOIST: OutcomeKind = OutcomeKind {
    workers: 2,
    ..kind(
        "O-HOIST",
        SupportType::PersonalCare,
        &[
            "I want to get up safely in the morning",
            "I want two carers to help me move so I do not fall",
        ],
        &[(7, 30), (7, 45), (5, 30)],
        (at(7, 0), at(9, 0)),
    )
};
static TURN: OutcomeKind = OutcomeKind {
    workers: 2,
    ..kind(
        "O-TURN",
        SupportType::PersonalCare,
        &["I want help to change position in the evening so my skin stays healthy"],
        &[(7, 30)],
        (at(18, 0), at(19, 30)),
    )
};
static NIGHT: OutcomeKind = kind(
    "O-NIGHT",
    SupportType::SleepIn,
    &[
        "I want someone nearby at night so I feel safe",
        "I want to know someone is in the house overnight",
    ],
    &[(1, 540), (2, 540), (3, 540)],
    (at(22, 0), at(22, 0)),
);
static WAKE: OutcomeKind = kind(
    "O-WAKE",
    SupportType::WakingNight,
    &["I want someone awake with me when my breathing is bad at night"],
    &[(1, 540), (2, 540)],
    (at(22, 0), at(22, 0)),
);

static DOMESTIC_KINDS: [&OutcomeKind; 3] = [&TIDY, &SHOP, &COOK];
static SOCIAL_KINDS: [&OutcomeKind; 6] = [&SWIM, &PUB, &CAFE, &ART, &WALK, &CHURCH];
static ZERO_HOUR_KINDS: [&OutcomeKind; 4] = [&GARDEN, &KNIT, &TRAIN, &GYM];
static COUNCIL_ADDITIONS: [&OutcomeKind; 10] = [
    &GARDEN, &KNIT, &TRAIN, &GYM, &SWIM, &PUB, &CAFE, &ART, &WALK, &CHURCH,
];
static CHC_ADDITIONS: [&OutcomeKind; 3] = [&NIGHT, &WAKE, &TURN];
/// Added, in order, to a plan too light for its stream.
static COUNCIL_TOP_UPS: [&OutcomeKind; 6] = [&WASH, &TIDY, &COOK, &BED, &CAFE, &WALK];
static CHC_TOP_UPS: [&OutcomeKind; 3] = [&HOIST, &NIGHT, &TURN];

fn day_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

// ---------------------------------------------------------------------------------------------
// Plans.
// ---------------------------------------------------------------------------------------------

/// One weekly visit of an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    day: Weekday,
    /// Minutes after midnight.
    start: u32,
    minutes: u32,
}

impl Slot {
    /// Minutes after Monday midnight.
    fn span(&self) -> (i64, i64) {
        let start =
            i64::from(self.day.num_days_from_monday()) * MINUTES_PER_DAY + i64::from(self.start);
        (start, start + i64::from(self.minutes))
    }
}

#[derive(Clone)]
struct Outcome {
    kind: &'static OutcomeKind,
    /// Index into the person's streams.
    stream: usize,
    title_template: &'static str,
    slots: Vec<Slot>,
}

impl Outcome {
    fn title(&self) -> String {
        match self.slots.first() {
            Some(slot) => self.title_template.replace("{day}", day_name(slot.day)),
            None => self.title_template.to_owned(),
        }
    }

    fn weekly_minutes(&self) -> u32 {
        self.slots.iter().map(|s| s.minutes).sum()
    }
}

struct PlanVersion {
    approved_by: &'static str,
    approved_on: NaiveDate,
    outcomes: Vec<Outcome>,
}

/// The person's week as planned: no two of their visits overlap (a Sunday sleep-in runs into
/// Monday morning).
#[derive(Default)]
struct WeekPlanner {
    busy: Vec<(i64, i64)>,
}

impl WeekPlanner {
    fn of<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> WeekPlanner {
        let mut planner = WeekPlanner::default();
        for o in outcomes {
            planner.take(&o.slots);
        }
        planner
    }

    fn fits(&self, slots: &[Slot]) -> bool {
        slots.iter().all(|slot| {
            let (s, e) = slot.span();
            self.busy.iter().all(|&(bs, be)| {
                [-MINUTES_PER_WEEK, 0, MINUTES_PER_WEEK]
                    .iter()
                    .all(|shift| !(s < be + shift && bs + shift < e))
            })
        })
    }

    fn take(&mut self, slots: &[Slot]) {
        self.busy.extend(slots.iter().map(Slot::span));
    }

    /// Fits `kind` into the week, or `None` when it will not go.
    fn place(
        &mut self,
        rng: &mut ChaCha8Rng,
        kind: &'static OutcomeKind,
        stream: usize,
    ) -> Option<Outcome> {
        let title_template = pick(rng, kind.titles);
        if kind.patterns.is_empty() {
            return Some(Outcome {
                kind,
                stream,
                title_template,
                slots: Vec::new(),
            });
        }
        for _ in 0..PLACEMENT_ATTEMPTS {
            let (per_week, minutes) = pick(rng, kind.patterns);
            let per_week = per_week.min(kind.days.len());
            let mut days: Vec<Weekday> = index::sample(rng, kind.days.len(), per_week)
                .into_iter()
                .map(|i| kind.days[i])
                .collect();
            days.sort_by_key(Weekday::num_days_from_monday);
            let quarters = (kind.window.1 - kind.window.0) / QUARTER_HOUR;
            let start = kind.window.0 + QUARTER_HOUR * rng.random_range(0..=quarters);
            let slots: Vec<Slot> = days
                .into_iter()
                .map(|day| Slot {
                    day,
                    start,
                    minutes,
                })
                .collect();
            if self.fits(&slots) {
                self.take(&slots);
                return Some(Outcome {
                    kind,
                    stream,
                    title_template,
                    slots,
                });
            }
        }
        None
    }
}

/// A stream of the plan being drawn up: its index among the person's streams and its commissioner.
#[derive(Clone, Copy)]
struct PlannedStream {
    index: usize,
    commissioner: usize,
}

/// Plan version 1: what the person's streams pay for.
fn first_plan(
    rng: &mut ChaCha8Rng,
    council: Option<PlannedStream>,
    chc: Option<PlannedStream>,
) -> Vec<Outcome> {
    let council_stream = council.map(|s| s.index);
    let chc_stream = chc.map(|s| s.index);
    let mut wanted: Vec<(&'static OutcomeKind, usize)> = Vec::new();
    if let Some(chc) = chc_stream {
        let hoist = rng.random_bool(P_CHC_HOIST);
        if hoist {
            wanted.push((&HOIST, chc));
        }
        if rng.random_bool(P_CHC_NIGHT) || !hoist {
            wanted.push((&NIGHT, chc));
        }
        if council_stream.is_none() {
            if rng.random_bool(P_CHC_TURN) {
                wanted.push((&TURN, chc));
            }
            if rng.random_bool(P_CHC_WAKING_NIGHT) {
                wanted.push((&WAKE, chc));
            }
        }
    }
    if let Some(council) = council_stream {
        for (kind, share) in [(&WASH, P_WASH), (&BED, P_BED), (&MEDS, P_MEDS)] {
            if rng.random_bool(share) {
                wanted.push((kind, council));
            }
        }
        if rng.random_bool(P_DOMESTIC) {
            wanted.push((pick(rng, &DOMESTIC_KINDS), council));
        }
        let socials = pick_weighted(rng, &SOCIAL_OUTCOME_WEIGHTS);
        for i in index::sample(rng, SOCIAL_KINDS.len(), socials) {
            wanted.push((SOCIAL_KINDS[i], council));
        }
        if rng.random_bool(P_RESPITE) {
            wanted.push((&BREAK, council));
        }
        if rng.random_bool(P_ZERO_HOUR_OUTCOME) {
            wanted.push((pick(rng, &ZERO_HOUR_KINDS), council));
        }
    }
    let mut planner = WeekPlanner::default();
    let mut outcomes: Vec<Outcome> = wanted
        .into_iter()
        .filter_map(|(kind, stream)| planner.place(rng, kind, stream))
        .collect();
    for (stream, top_ups) in [(council, &COUNCIL_TOP_UPS[..]), (chc, &CHC_TOP_UPS[..])] {
        let Some(stream) = stream else {
            continue;
        };
        for &kind in top_ups {
            if weekly_cost(&outcomes, stream.index, stream.commissioner) >= MIN_PLANNED_COST_PENCE {
                break;
            }
            if outcomes.iter().all(|o| o.kind.code != kind.code) {
                outcomes.extend(planner.place(rng, kind, stream.index));
            }
        }
    }
    if outcomes.iter().all(|o| o.slots.is_empty()) {
        let (kind, stream) = match council_stream {
            Some(council) => (&WASH, council),
            None => (&NIGHT, chc_stream.expect("every agreement has a stream")),
        };
        let mut empty_week = WeekPlanner::default();
        outcomes.extend(empty_week.place(rng, kind, stream));
    }
    outcomes
}

/// Plan version 2 after a review: the same outcomes (same streams and types), maybe with other
/// hours, maybe one more of `additions` on stream `added_to`.
fn revised_plan(
    rng: &mut ChaCha8Rng,
    first: &[Outcome],
    additions: &[&'static OutcomeKind],
    added_to: usize,
) -> Vec<Outcome> {
    let mut outcomes = first.to_vec();
    let mut changed = false;
    if rng.random_bool(P_VERSION_2_CHANGES_HOURS) {
        let flexible: Vec<usize> = (0..outcomes.len())
            .filter(|&i| outcomes[i].kind.patterns.len() > 1)
            .collect();
        if let Some(&i) = flexible.choose(rng) {
            let mut planner = WeekPlanner::of(
                outcomes
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, o)| o),
            );
            let old = &outcomes[i];
            if let Some(new) = planner.place(rng, old.kind, old.stream) {
                outcomes[i] = Outcome {
                    title_template: old.title_template,
                    ..new
                };
                changed = true;
            }
        }
    }
    if rng.random_bool(P_VERSION_2_ADDS_OUTCOME) || !changed {
        let new_kinds: Vec<&'static OutcomeKind> = additions
            .iter()
            .copied()
            .filter(|k| outcomes.iter().all(|o| o.kind.code != k.code))
            .collect();
        if let Some(&kind) = new_kinds.choose(rng) {
            let mut planner = WeekPlanner::of(&outcomes);
            outcomes.extend(planner.place(rng, kind, added_to));
        }
    }
    outcomes
}

// ---------------------------------------------------------------------------------------------
// People, agreements, streams and workers.
// ---------------------------------------------------------------------------------------------

const GIVEN_NAMES: &[&str] = &[
    "Ann", "Robert", "Chidi", "Margaret", "David", "Priya", "Joan", "Peter", "Fatima", "Brian",
    "Irene", "Kwame", "Dorothy", "Graham", "Aisha", "Maureen", "Colin", "Siobhan", "Derek", "Mei",
    "Sheila", "Tariq", "Pauline", "Gareth", "Olga", "Trevor", "Niamh", "Stanley", "Gurpreet",
    "Elsie", "Ravi", "Brenda", "Tomasz", "Hazel", "Emeka", "Carol", "Leon", "Ruby", "Owen",
    "Zainab",
];
const FAMILY_NAMES: &[&str] = &[
    "Hughes",
    "Lewis",
    "Okafor",
    "Robson",
    "Patel",
    "Armstrong",
    "Charlton",
    "Khan",
    "Milburn",
    "Nowak",
    "Dodds",
    "Begum",
    "Forster",
    "Wong",
    "Heslop",
    "Mensah",
    "Tait",
    "Singh",
    "Bell",
    "Kowalski",
    "Scott",
    "Ahmed",
    "Richardson",
    "Murphy",
    "Elliott",
    "Ali",
    "Pearson",
    "Chen",
    "Wilkinson",
    "Okonkwo",
    "Thompson",
    "Hall",
    "Rahman",
    "Nicholson",
    "Brennan",
    "Ward",
    "Gibson",
    "Sharma",
    "Reid",
    "Fenwick",
];
const DEPUTIES: &[&str] = &[
    "Northshire Deputyship Team",
    "Karen Blake, professional deputy",
    "Westmere Council Appointee Team",
];
const POSTCODE_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
const PERCENT_FEES: [(&str, i64); 4] = [("7.5", 75), ("8.5", 85), ("10", 100), ("12.5", 125)];
const FIXED_FEES_PENCE: [i64; 4] = [1_000, 1_200, 1_500, 1_850];
const PEOPLE_PER_COUNCIL_REF_STEP: usize = 13;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Contribution {
    None,
    Net(Pence),
    Gross,
}

#[derive(Clone, Copy)]
enum Fee {
    /// The percentage as written, and per mille.
    Percent(&'static str, i64),
    Fixed(Pence),
}

struct Agreement {
    start: NaiveDate,
    end: Option<NaiveDate>,
    contribution: Contribution,
    fee: Fee,
    flex_window_written: bool,
}

impl Agreement {
    fn is_live_on(&self, date: NaiveDate) -> bool {
        self.start <= date && self.end.is_none_or(|end| date <= end)
    }

    /// The agreement's days inside the period.
    fn days_in(&self, period: &Period) -> (NaiveDate, NaiveDate) {
        let last = self.end.map_or(period.last, |end| end.min(period.last));
        (self.start.max(period.first), last)
    }
}

struct Stream {
    code: &'static str,
    commissioner: usize,
    weekly: Pence,
    primary: bool,
}

impl Stream {
    /// What the commissioner pays a week: the person pays a net contribution on the primary stream.
    fn commissioner_pays(&self, contribution: Contribution) -> Pence {
        match contribution {
            Contribution::Net(c) if self.primary => self.weekly - c,
            _ => self.weekly,
        }
    }
}

struct Person {
    given: &'static str,
    family: Option<&'static str>,
    council_person_ref: Option<String>,
    date_of_birth: Option<NaiveDate>,
    postcode: Option<String>,
    communication_format: &'static str,
    decision_maker: &'static str,
    representative: Option<String>,
    agreement: Agreement,
    streams: Vec<Stream>,
    plans: Vec<PlanVersion>,
    /// Workers the person usually sees (continuity).
    team: Vec<usize>,
    /// A same-household sibling on the staff, never rostered for this person.
    sibling: Option<usize>,
}

impl Person {
    /// The plan version in force on `date` (the agreement's first plan is approved before it
    /// starts, so there is one on every day of the agreement).
    fn plan_on(&self, date: NaiveDate) -> Option<usize> {
        self.plans.iter().rposition(|p| p.approved_on <= date)
    }

    fn primary_stream(&self) -> usize {
        self.streams.iter().position(|s| s.primary).unwrap_or(0)
    }
}

struct Worker {
    given: &'static str,
    family: &'static str,
    dbs_issued_on: NaiveDate,
    dbs_update_service: bool,
    /// The person this worker may not be rostered for (a close relative at home).
    restricted_for: Option<usize>,
}

struct RelationshipRow {
    worker: usize,
    person: usize,
    relationship: &'static str,
    same_household: bool,
    commissioner_authorised: bool,
}

/// The provider's shape: who is supported, how, and by whom.
struct Provider {
    people: Vec<Person>,
    workers: Vec<Worker>,
    /// Workers `0..rosterable` may be rostered; the rest have a lapsed DBS.
    rosterable: usize,
    relationships: Vec<RelationshipRow>,
}

/// The day a DBS check lapses without the update service: its third anniversary (29 February
/// lapses on 1 March).
fn dbs_lapses_on(issued_on: NaiveDate) -> NaiveDate {
    let year = issued_on.year() + DBS_VALID_YEARS;
    NaiveDate::from_ymd_opt(year, issued_on.month(), issued_on.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
        .expect("1 March exists in every year")
}

/// A worker whose DBS is valid on every day of the period.
fn cleared_worker(rng: &mut ChaCha8Rng, period: &Period, family: &'static str) -> Worker {
    let given = pick(rng, GIVEN_NAMES);
    let (dbs_issued_on, mut dbs_update_service) = if rng.random_bool(P_DBS_OLD_ON_UPDATE_SERVICE) {
        let days_ago = rng.random_range(3 * 365 + 30..=10 * 365);
        (period.first - Duration::days(days_ago), true)
    } else {
        let days_ago = rng.random_range(14..3 * 365);
        (
            period.first - Duration::days(days_ago),
            rng.random_bool(P_DBS_UPDATE_SERVICE),
        )
    };
    if dbs_lapses_on(dbs_issued_on) <= period.last {
        dbs_update_service = true;
    }
    Worker {
        given,
        family,
        dbs_issued_on,
        dbs_update_service,
        restricted_for: None,
    }
}

impl Provider {
    fn build(spec: &DemoSpec, period: &Period) -> Provider {
        let mut rng = phase_rng(spec.seed, Phase::People);
        let regulars = spec.people / PEOPLE_PER_WORKER + EXTRA_WORKERS;
        let mut workers: Vec<Worker> = (0..regulars)
            .map(|_| {
                let family = pick(&mut rng, FAMILY_NAMES);
                cleared_worker(&mut rng, period, family)
            })
            .collect();
        let mut relationships = Vec::new();
        let mut people = Vec::with_capacity(spec.people);
        for index in 0..spec.people {
            let mut person = new_person(&mut rng, period, index, regulars);
            if rng.random_bool(P_SIBLING_ON_STAFF) {
                let family = person
                    .family
                    .unwrap_or_else(|| pick(&mut rng, FAMILY_NAMES));
                let mut sibling = cleared_worker(&mut rng, period, family);
                sibling.restricted_for = Some(index);
                person.sibling = Some(workers.len());
                relationships.push(RelationshipRow {
                    worker: workers.len(),
                    person: index,
                    relationship: "sibling",
                    same_household: true,
                    commissioner_authorised: false,
                });
                workers.push(sibling);
            }
            if rng.random_bool(P_FRIEND_ON_TEAM) {
                relationships.push(RelationshipRow {
                    worker: person.team[0],
                    person: index,
                    relationship: pick(&mut rng, &["friend", "neighbour"]),
                    same_household: false,
                    commissioner_authorised: false,
                });
            }
            if rng.random_bool(P_AUTHORISED_RELATIVE) {
                relationships.push(RelationshipRow {
                    worker: person.team[1],
                    person: index,
                    relationship: "child",
                    same_household: true,
                    commissioner_authorised: true,
                });
            }
            people.push(person);
        }
        let rosterable = workers.len();
        for _ in 0..LAPSED_DBS_WORKERS {
            let days_ago = rng.random_range(3 * 365 + 40..=4 * 365);
            workers.push(Worker {
                given: pick(&mut rng, GIVEN_NAMES),
                family: pick(&mut rng, FAMILY_NAMES),
                dbs_issued_on: period.first - Duration::days(days_ago),
                dbs_update_service: false,
                restricted_for: None,
            });
        }
        Provider {
            people,
            workers,
            rosterable,
            relationships,
        }
    }
}

fn new_person(rng: &mut ChaCha8Rng, period: &Period, index: usize, regulars: usize) -> Person {
    let area = &AREAS[pick_weighted(rng, &AREAS.map(|a| a.weight))];
    let given = pick(rng, GIVEN_NAMES);
    let family = (!rng.random_bool(P_NO_FAMILY_NAME)).then(|| pick(rng, FAMILY_NAMES));
    let council_person_ref = (!rng.random_bool(P_NO_COUNCIL_REF)).then(|| {
        let number = 200_000
            + index * PEOPLE_PER_COUNCIL_REF_STEP
            + rng.random_range(0..PEOPLE_PER_COUNCIL_REF_STEP);
        format!("{}{number}", area.council_ref_prefix)
    });
    let date_of_birth = (!rng.random_bool(P_NO_DATE_OF_BIRTH))
        .then(|| period.first - Duration::days(rng.random_range(18 * 365..=99 * 365)));
    let postcode = (!rng.random_bool(P_NO_POSTCODE)).then(|| {
        let letter = |rng: &mut ChaCha8Rng| char::from(pick(rng, POSTCODE_LETTERS));
        format!(
            "{} {}{}{}",
            pick(rng, area.postcode_districts),
            rng.random_range(1..=9),
            letter(rng),
            letter(rng)
        )
    });
    let communication_format = pick_share(
        rng,
        &[("large_print", P_LARGE_PRINT), ("easy_read", P_EASY_READ)],
        "standard",
    );
    let decision_maker = pick_share(
        rng,
        &[
            ("lpa", P_LPA),
            ("deputy", P_DEPUTY),
            ("best_interests", P_BEST_INTERESTS),
        ],
        "self",
    );
    let representative = match decision_maker {
        "lpa" => Some(format!(
            "{} {}",
            pick(rng, GIVEN_NAMES),
            family.unwrap_or_else(|| pick(rng, FAMILY_NAMES))
        )),
        "deputy" => Some(pick(rng, DEPUTIES).to_owned()),
        "best_interests" => Some(format!(
            "{} {}, social worker",
            pick(rng, GIVEN_NAMES),
            pick(rng, FAMILY_NAMES)
        )),
        _ => None,
    };

    let funding = pick_share(
        rng,
        &[
            (Funding::Joint, P_JOINTLY_FUNDED),
            (Funding::IcbOnly, P_ICB_ONLY),
        ],
        Funding::Council,
    );
    let (council_stream, chc_stream) = match funding {
        Funding::Council => (Some(0), None),
        Funding::Joint => (Some(0), Some(1)),
        Funding::IcbOnly => (None, Some(0)),
    };
    let council = council_stream.map(|index| PlannedStream {
        index,
        commissioner: area.council,
    });
    let chc = chc_stream.map(|index| PlannedStream {
        index,
        commissioner: area.icb,
    });
    let mut agreement = new_agreement(rng, period, council_stream.is_some());
    let primary_commissioner = if council_stream.is_some() {
        area.council
    } else {
        area.icb
    };
    let approver = pick(rng, COMMISSIONERS[primary_commissioner].approvers);
    let first = first_plan(rng, council, chc);
    let mut plans = vec![PlanVersion {
        approved_by: approver,
        approved_on: agreement.start - Duration::days(rng.random_range(3..=21)),
        outcomes: first,
    }];
    if rng.random_bool(P_PLAN_VERSION_2) {
        let (from, to) = agreement.days_in(period);
        if let Some(on) = random_date(rng, from + Duration::days(3), to) {
            let (additions, added_to): (&[&OutcomeKind], usize) = match council {
                Some(council) => (&COUNCIL_ADDITIONS, council.index),
                None => (&CHC_ADDITIONS, chc.map_or(0, |chc| chc.index)),
            };
            let outcomes = revised_plan(rng, &plans[0].outcomes, additions, added_to);
            plans.push(PlanVersion {
                approved_by: pick(rng, COMMISSIONERS[primary_commissioner].approvers),
                approved_on: on,
                outcomes,
            });
        }
    }
    let mut streams = Vec::new();
    if council_stream.is_some() {
        streams.push(Stream {
            code: "ASC",
            commissioner: area.council,
            weekly: Pence::ZERO,
            primary: true,
        });
    }
    if chc_stream.is_some() {
        streams.push(Stream {
            code: "CHC",
            commissioner: area.icb,
            weekly: Pence::ZERO,
            primary: council_stream.is_none(),
        });
    }
    for (i, stream) in streams.iter_mut().enumerate() {
        stream.weekly = weekly_budget(rng, &plans[0].outcomes, i, stream, agreement.fee);
    }
    if let Contribution::Net(_) = agreement.contribution {
        let ceiling = (streams[0].weekly.pence() / 2).min(WEEKLY_CONTRIBUTION_PENCE.1);
        let pence = rng.random_range(WEEKLY_CONTRIBUTION_PENCE.0..=ceiling);
        agreement.contribution = Contribution::Net(Pence::new(pence));
    }
    let team = index::sample(rng, regulars, TEAM_SIZE.min(regulars)).into_vec();
    Person {
        given,
        family,
        council_person_ref,
        date_of_birth,
        postcode,
        communication_format,
        decision_maker,
        representative,
        agreement,
        streams,
        plans,
        team,
        sibling: None,
    }
}

#[derive(Clone, Copy)]
enum Funding {
    Council,
    Joint,
    IcbOnly,
}

/// Dates, contribution and fee; a net contribution's amount is set once the budget is known.
fn new_agreement(rng: &mut ChaCha8Rng, period: &Period, council_primary: bool) -> Agreement {
    let start = if rng.random_bool(P_STARTS_BEFORE_PERIOD) {
        period.first - Duration::days(rng.random_range(1..=MAX_DAYS_BEFORE_PERIOD))
    } else {
        period.first + Duration::days(rng.random_range(0..(period.days() / 2).max(1)))
    };
    let end = if rng.random_bool(P_ENDS_IN_PERIOD) {
        random_date(
            rng,
            start.max(period.first) + Duration::days(7),
            period.last - Duration::days(1),
        )
    } else {
        None
    };
    let contribution = match pick_share(rng, &[(1, P_NET), (2, P_GROSS)], 0) {
        1 if council_primary => Contribution::Net(Pence::ZERO),
        2 => Contribution::Gross,
        _ => Contribution::None,
    };
    let fee = if rng.random_bool(P_PERCENT_FEE) {
        let (written, per_mille) = pick(rng, &PERCENT_FEES);
        Fee::Percent(written, per_mille)
    } else {
        Fee::Fixed(Pence::new(pick(rng, &FIXED_FEES_PENCE)))
    };
    Agreement {
        start,
        end,
        contribution,
        fee,
        flex_window_written: rng.random_bool(P_FLEX_WINDOW_WRITTEN),
    }
}

/// The weekly cost in pence of a stream's outcomes at its commissioner's weekday rates.
fn weekly_cost(outcomes: &[Outcome], stream: usize, commissioner: usize) -> i64 {
    outcomes
        .iter()
        .filter(|o| o.stream == stream)
        .map(|o| {
            let rate = weekday_rate(commissioner, o.kind.support);
            let workers = o.kind.workers as i64;
            if o.kind.support == SupportType::SleepIn {
                rate * o.slots.len() as i64 * workers
            } else {
                rate * i64::from(o.weekly_minutes()) * workers / 60
            }
        })
        .sum()
}

/// A stream's weekly amount: the planned cost at weekday rates, the fee and some headroom, to
/// 50p, within the usual range.
fn weekly_budget(
    rng: &mut ChaCha8Rng,
    outcomes: &[Outcome],
    stream_index: usize,
    stream: &Stream,
    fee: Fee,
) -> Pence {
    let cost = weekly_cost(outcomes, stream_index, stream.commissioner);
    let with_headroom = cost * (100 + rng.random_range(5..=MAX_HEADROOM_PERCENT)) / 100;
    let with_fee = match fee {
        Fee::Percent(_, per_mille) => with_headroom * (1000 + per_mille) / 1000,
        Fee::Fixed(f) if stream.primary => with_headroom + f.pence(),
        Fee::Fixed(_) => with_headroom,
    };
    let to_50p = (with_fee + 49) / 50 * 50;
    Pence::new(to_50p.clamp(WEEKLY_AMOUNT_PENCE.0, WEEKLY_AMOUNT_PENCE.1))
}

fn write_people(dir: &Path, provider: &Provider) -> Result<(String, usize), DemoError> {
    let mut file = CsvFile::create(dir, &PEOPLE_CSV)?;
    for (i, p) in provider.people.iter().enumerate() {
        file.row([
            &person_ref(i),
            p.council_person_ref.as_deref().unwrap_or(""),
            p.given,
            p.family.unwrap_or(""),
            &opt_text(p.date_of_birth),
            p.postcode.as_deref().unwrap_or(""),
            p.communication_format,
            p.decision_maker,
            p.representative.as_deref().unwrap_or(""),
        ])?;
    }
    file.finish()
}

fn write_agreements(dir: &Path, provider: &Provider) -> Result<(String, usize), DemoError> {
    let mut file = CsvFile::create(dir, &AGREEMENTS_CSV)?;
    for (i, p) in provider.people.iter().enumerate() {
        let a = &p.agreement;
        let (mode, contribution) = match a.contribution {
            Contribution::None => ("none", String::new()),
            Contribution::Net(c) => ("net", c.to_string()),
            Contribution::Gross => ("gross", String::new()),
        };
        let (basis, value) = match a.fee {
            Fee::Percent(written, _) => ("percent", written.to_owned()),
            Fee::Fixed(f) => ("fixed", f.to_string()),
        };
        file.row([
            &agreement_ref(i),
            &person_ref(i),
            &a.start.to_string(),
            &opt_text(a.end),
            mode,
            &contribution,
            basis,
            &value,
            if a.flex_window_written { "4" } else { "" },
        ])?;
    }
    file.finish()
}

fn write_streams(dir: &Path, provider: &Provider) -> Result<(String, usize), DemoError> {
    let mut file = CsvFile::create(dir, &STREAMS_CSV)?;
    for (i, p) in provider.people.iter().enumerate() {
        let agreement = agreement_ref(i);
        for s in &p.streams {
            file.row([
                &agreement,
                s.code,
                COMMISSIONERS[s.commissioner].code,
                &s.weekly.to_string(),
                yes_no(s.primary),
            ])?;
        }
    }
    file.finish()
}

fn write_outcomes(dir: &Path, provider: &Provider) -> Result<(String, usize), DemoError> {
    let mut file = CsvFile::create(dir, &OUTCOMES_CSV)?;
    for (i, p) in provider.people.iter().enumerate() {
        let agreement = agreement_ref(i);
        for (v, plan) in p.plans.iter().enumerate() {
            let version = (v + 1).to_string();
            let approved_on = plan.approved_on.to_string();
            for o in &plan.outcomes {
                file.row([
                    &agreement,
                    &version,
                    o.kind.code,
                    p.streams[o.stream].code,
                    &o.title(),
                    o.kind.support.word(),
                    &hours_text(o.weekly_minutes()),
                    yes_no(o.kind.short_visits),
                    plan.approved_by,
                    &approved_on,
                ])?;
            }
        }
    }
    file.finish()
}

fn write_workers(dir: &Path, provider: &Provider) -> Result<(String, usize), DemoError> {
    let mut file = CsvFile::create(dir, &WORKERS_CSV)?;
    for (i, w) in provider.workers.iter().enumerate() {
        file.row([
            &worker_ref(i),
            w.given,
            w.family,
            &w.dbs_issued_on.to_string(),
            "true",
            yes_no(w.dbs_update_service),
        ])?;
    }
    file.finish()
}

fn write_relationships(dir: &Path, provider: &Provider) -> Result<(String, usize), DemoError> {
    let mut file = CsvFile::create(dir, &RELATIONSHIPS_CSV)?;
    for r in &provider.relationships {
        file.row([
            &worker_ref(r.worker),
            &person_ref(r.person),
            r.relationship,
            yes_no(r.same_household),
            yes_no(r.commissioner_authorised),
        ])?;
    }
    file.finish()
}

// ---------------------------------------------------------------------------------------------
// Rostering: visits and attendances.
// ---------------------------------------------------------------------------------------------

/// Each worker's booked visits, as UTC seconds `[start, end)` keyed by start: a worker is never
/// booked into two overlapping visits (touching is fine).
struct Roster {
    busy: Vec<BTreeMap<i64, i64>>,
    restricted_for: Vec<Option<usize>>,
}

impl Roster {
    fn new(provider: &Provider) -> Roster {
        Roster {
            busy: vec![BTreeMap::new(); provider.rosterable],
            restricted_for: provider.workers[..provider.rosterable]
                .iter()
                .map(|w| w.restricted_for)
                .collect(),
        }
    }

    fn is_free(&self, worker: usize, start: i64, end: i64) -> bool {
        self.busy[worker]
            .range(..end)
            .next_back()
            .is_none_or(|(_, &booked_end)| booked_end <= start)
    }

    fn usable(&self, worker: usize, person: usize, chosen: &[usize], start: i64, end: i64) -> bool {
        self.restricted_for[worker] != Some(person)
            && !chosen.contains(&worker)
            && self.is_free(worker, start, end)
    }

    /// Books `needed` distinct free workers, the preferred first, or books nobody.
    fn assign(
        &mut self,
        rng: &mut ChaCha8Rng,
        person: usize,
        preferred: &[usize],
        needed: usize,
        (start, end): (i64, i64),
    ) -> Option<Vec<usize>> {
        let workers = self.busy.len();
        let mut chosen = Vec::with_capacity(needed);
        for &w in preferred {
            if chosen.len() < needed && self.usable(w, person, &chosen, start, end) {
                chosen.push(w);
            }
        }
        for _ in 0..RANDOM_PROBES {
            if chosen.len() == needed {
                break;
            }
            let w = rng.random_range(0..workers);
            if self.usable(w, person, &chosen, start, end) {
                chosen.push(w);
            }
        }
        if chosen.len() < needed {
            let offset = rng.random_range(0..workers);
            for i in 0..workers {
                let w = (offset + i) % workers;
                if chosen.len() < needed && self.usable(w, person, &chosen, start, end) {
                    chosen.push(w);
                }
            }
        }
        if chosen.len() < needed {
            return None;
        }
        for &w in &chosen {
            self.busy[w].insert(start, end);
        }
        Some(chosen)
    }
}

/// A visit as rostered.
struct RosteredVisit {
    start: Instant,
    end: Instant,
    workers: Vec<usize>,
}

/// Writes visits and attendances person by person, booking workers as it goes.
struct Rostering<'a> {
    rng: ChaCha8Rng,
    period: &'a Period,
    provider: &'a Provider,
    roster: Roster,
    worker_refs: Vec<String>,
    visits: CsvFile,
    attendances: CsvFile,
}

impl<'a> Rostering<'a> {
    fn new(
        dir: &Path,
        seed: u64,
        period: &'a Period,
        provider: &'a Provider,
    ) -> Result<Self, DemoError> {
        Ok(Rostering {
            rng: phase_rng(seed, Phase::Roster),
            period,
            provider,
            roster: Roster::new(provider),
            worker_refs: (0..provider.workers.len()).map(worker_ref).collect(),
            visits: CsvFile::create(dir, &VISITS_CSV)?,
            attendances: CsvFile::create(dir, &ATTENDANCES_CSV)?,
        })
    }

    fn finish(self) -> Result<[(String, usize); 2], DemoError> {
        Ok([self.visits.finish()?, self.attendances.finish()?])
    }

    /// Every visit of one person's plan on the agreement's days in the period.
    fn person(&mut self, index: usize) -> Result<(), DemoError> {
        let provider = self.provider;
        let person = &provider.people[index];
        let (from, to) = person.agreement.days_in(self.period);
        // (plan version, outcome, slot) → the workers who had it last week.
        let mut usual: BTreeMap<(usize, usize, usize), Vec<usize>> = BTreeMap::new();
        for date in from.iter_days().take_while(|d| *d <= to) {
            let Some(version) = person.plan_on(date) else {
                continue;
            };
            let plan = &person.plans[version];
            let mut today: Vec<(u32, usize, usize)> = plan
                .outcomes
                .iter()
                .enumerate()
                .flat_map(|(o, outcome)| {
                    outcome
                        .slots
                        .iter()
                        .enumerate()
                        .filter(|(_, slot)| slot.day == date.weekday())
                        .map(move |(s, slot)| (slot.start, o, s))
                })
                .collect();
            today.sort_unstable();
            for (_, o, s) in today {
                let outcome = &plan.outcomes[o];
                let key = (version, o, s);
                let mut preferred = usual.get(&key).cloned().unwrap_or_default();
                preferred.extend(&person.team);
                let Some(visit) =
                    self.roster_visit(index, date, outcome, outcome.slots[s], &preferred)
                else {
                    continue;
                };
                if !visit.workers.is_empty() {
                    usual.insert(key, visit.workers.clone());
                }
                self.write_visit(index, date, outcome, &visit)?;
            }
        }
        Ok(())
    }

    /// Books workers at the planned time, or up to two hours later when nobody is free; a visit
    /// nobody can take is written unfilled (no workers).
    fn roster_visit(
        &mut self,
        person: usize,
        date: NaiveDate,
        outcome: &Outcome,
        slot: Slot,
        preferred: &[usize],
    ) -> Option<RosteredVisit> {
        let span = |start_minute: i64| {
            let start = local_instant(date, start_minute)?;
            let end = local_instant(date, start_minute + i64::from(slot.minutes))?;
            Some((start, end))
        };
        let planned = span(i64::from(slot.start))?;
        for shift in 0..=MAX_ROSTER_SHIFTS {
            let minute = i64::from(slot.start) + shift * i64::from(QUARTER_HOUR);
            if minute >= MINUTES_PER_DAY {
                break;
            }
            let Some((start, end)) = span(minute) else {
                continue;
            };
            let seconds = (start.timestamp(), end.timestamp());
            if let Some(workers) = self.roster.assign(
                &mut self.rng,
                person,
                preferred,
                outcome.kind.workers,
                seconds,
            ) {
                return Some(RosteredVisit {
                    start,
                    end,
                    workers,
                });
            }
        }
        Some(RosteredVisit {
            start: planned.0,
            end: planned.1,
            workers: Vec::new(),
        })
    }

    fn write_visit(
        &mut self,
        person: usize,
        date: NaiveDate,
        outcome: &Outcome,
        visit: &RosteredVisit,
    ) -> Result<(), DemoError> {
        let provider = self.provider;
        let stream = &provider.people[person].streams[outcome.stream];
        let notice_hours = COMMISSIONERS[stream.commissioner].notice_hours();
        let cancellation = self.cancellation(visit.start, notice_hours);
        let visit_ref = format!("V-{:07}", self.visits.rows + 1);
        let worker_list = visit
            .workers
            .iter()
            .map(|&w| self.worker_refs[w].as_str())
            .collect::<Vec<_>>()
            .join(";");
        let (cancelled_at, cancelled_by) = match cancellation {
            Some((at, by)) => (local_text(at, false), by),
            None => (String::new(), ""),
        };
        self.visits.row([
            &visit_ref,
            &agreement_ref(person),
            outcome.kind.code,
            &local_text(visit.start, false),
            &local_text(visit.end, false),
            &outcome.kind.workers.to_string(),
            &worker_list,
            &cancelled_at,
            cancelled_by,
        ])?;
        if cancellation.is_none() && !visit.workers.is_empty() {
            self.write_attendances(person, date, &visit_ref, visit)?;
        }
        Ok(())
    }

    /// About 3% of visits are called off, by the person (with short or long notice against the
    /// commissioner's terms) or by the provider.
    fn cancellation(
        &mut self,
        start: Instant,
        notice_hours: i64,
    ) -> Option<(Instant, &'static str)> {
        let rng = &mut self.rng;
        if !rng.random_bool(P_CANCELLED) {
            return None;
        }
        let (hours_before, by) = if rng.random_bool(P_CANCELLED_BY_PERSON) {
            let hours = if rng.random_bool(P_SHORT_NOTICE) {
                rng.random_range(1..notice_hours)
            } else {
                rng.random_range(notice_hours + 6..=notice_hours + 120)
            };
            (hours, "person")
        } else {
            (rng.random_range(1..=96), "provider")
        };
        let at = start - Duration::hours(hours_before) - Duration::minutes(rng.random_range(0..60));
        Some((at, by))
    }

    fn write_attendances(
        &mut self,
        person: usize,
        date: NaiveDate,
        visit_ref: &str,
        visit: &RosteredVisit,
    ) -> Result<(), DemoError> {
        let provider = self.provider;
        if !self.rng.random_bool(P_ATTENDED) {
            return Ok(());
        }
        let mut attending = visit.workers.clone();
        if attending.len() > 1 && self.rng.random_bool(P_HALF_DOUBLE_UP) {
            attending.truncate(1);
        }
        let sibling = provider.people[person].sibling;
        if let Some(sibling) = sibling.filter(|_| visit.workers.len() == 1) {
            if self.rng.random_bool(P_SIBLING_ATTENDS) {
                attending[0] = sibling;
            }
        }
        if self.rng.random_bool(P_LAPSED_WORKER_ATTENDS) {
            attending[0] = self
                .rng
                .random_range(provider.rosterable..provider.workers.len());
        }
        let substitutes = attending.first() != visit.workers.first();
        for (i, &worker) in attending.iter().enumerate() {
            let method = if substitutes && i == 0 {
                "manual"
            } else {
                pick_share(&mut self.rng, &[("ecm", P_ECM), ("app", P_APP)], "manual")
            };
            let (check_in, check_out) = self.check_times(visit.start, visit.end);
            self.write_attendance(
                Some(visit_ref),
                person,
                worker,
                (check_in, check_out),
                method,
            )?;
        }
        if self.rng.random_bool(P_UNPLANNED) {
            let minute = i64::from(at(17, 0)) + self.rng.random_range(0..=150);
            if let Some(check_in) = local_instant(date, minute) {
                let check_in = check_in + Duration::seconds(self.rng.random_range(0..60));
                let check_out = check_in + Duration::minutes(self.rng.random_range(30..=75));
                let method = pick(&mut self.rng, &["manual", "app"]);
                self.write_attendance(
                    None,
                    person,
                    visit.workers[0],
                    (check_in, check_out),
                    method,
                )?;
            }
        }
        Ok(())
    }

    /// Check-in near the planned start (now and then more than 30 minutes late); check-out near
    /// the planned end, now and then well short or over.
    fn check_times(&mut self, start: Instant, end: Instant) -> (Instant, Instant) {
        let rng = &mut self.rng;
        let planned = (end - start).num_seconds();
        let check_in = if rng.random_bool(P_LATE) {
            start + Duration::seconds(rng.random_range(31 * 60..=55 * 60))
        } else {
            start + Duration::seconds(rng.random_range(-600..=600))
        };
        let shape = pick_share(rng, &[(1, P_SHORT), (2, P_OVERRUN)], 0);
        let check_out = match shape {
            1 => check_in + Duration::seconds(planned * rng.random_range(40..=75) / 100),
            2 => end + Duration::seconds(rng.random_range(16 * 60 + 1..=35 * 60)),
            _ => end + Duration::seconds(rng.random_range(-300..=300)),
        };
        (check_in, check_out.max(check_in + Duration::minutes(1)))
    }

    fn write_attendance(
        &mut self,
        visit_ref: Option<&str>,
        person: usize,
        worker: usize,
        (check_in, check_out): (Instant, Instant),
        method: &str,
    ) -> Result<(), DemoError> {
        let manual = method == "manual";
        let verified = if manual {
            P_MANUAL_LOCATION_VERIFIED
        } else {
            P_LOCATION_VERIFIED
        };
        let location_verified = self.rng.random_bool(verified);
        let (check_in, check_out) = if manual {
            (whole_minute(check_in), whole_minute(check_out))
        } else {
            (check_in, check_out)
        };
        let attendance_ref = format!("AT-{:07}", self.attendances.rows + 1);
        self.attendances.row([
            &attendance_ref,
            visit_ref.unwrap_or(""),
            &person_ref(person),
            &self.worker_refs[worker],
            &local_text(check_in, !manual),
            &local_text(check_out, !manual),
            method,
            yes_no(location_verified),
        ])
    }
}

// ---------------------------------------------------------------------------------------------
// Money: receipts, purchases, repayments, earmarks.
// ---------------------------------------------------------------------------------------------

const EARMARK_PURPOSES: &[&str] = &[
    "Holiday to Llandudno in June",
    "Theatre trip with my sister",
    "Riser-recliner chair",
    "Christmas meal out with my family",
    "Day trip to the Lake District",
    "Concert tickets for my birthday",
    "Sensory garden for the back yard",
    "Week at the caravan in Whitley Bay",
];

fn write_receipts(
    dir: &Path,
    rng: &mut ChaCha8Rng,
    period: &Period,
    provider: &Provider,
) -> Result<(String, usize), DemoError> {
    let mut file = CsvFile::create(dir, &RECEIPTS_CSV)?;
    for (i, p) in provider.people.iter().enumerate() {
        let a = &p.agreement;
        let agreement = agreement_ref(i);
        let block_days = |from: NaiveDate| {
            a.end.map_or(RECEIPT_CYCLE_DAYS, |end| {
                ((end - from).num_days() + 1).min(RECEIPT_CYCLE_DAYS)
            })
        };
        // Commissioners pay each stream four weeks in advance.
        for s in &p.streams {
            let weekly = s.commissioner_pays(a.contribution);
            let mut on = a.start;
            while on <= period.last && a.is_live_on(on) {
                let amount = prorate(weekly, block_days(on));
                let receipt_ref = format!("R-{:06}", file.rows + 1);
                file.row([
                    &receipt_ref,
                    &on.to_string(),
                    "commissioner",
                    &agreement,
                    s.code,
                    &amount.to_string(),
                ])?;
                on += Duration::days(RECEIPT_CYCLE_DAYS);
            }
        }
        // A net contribution is paid four-weekly in arrears (now and then missed).
        if let Contribution::Net(weekly) = a.contribution {
            let primary = p.streams[p.primary_stream()].code;
            let mut covers = a.start;
            loop {
                let on = covers + Duration::days(RECEIPT_CYCLE_DAYS);
                if on > period.last || !a.is_live_on(covers) {
                    break;
                }
                if !rng.random_bool(P_MISSED_CONTRIBUTION) {
                    let stream = if rng.random_bool(P_PERSON_RECEIPT_NAMES_STREAM) {
                        primary
                    } else {
                        ""
                    };
                    let receipt_ref = format!("R-{:06}", file.rows + 1);
                    file.row([
                        &receipt_ref,
                        &on.to_string(),
                        "person",
                        &agreement,
                        stream,
                        &prorate(weekly, block_days(covers)).to_string(),
                    ])?;
                }
                covers = on;
            }
        }
    }
    file.finish()
}

fn write_purchases(
    dir: &Path,
    rng: &mut ChaCha8Rng,
    period: &Period,
    provider: &Provider,
) -> Result<(String, usize), DemoError> {
    let mut file = CsvFile::create(dir, &PURCHASES_CSV)?;
    for (i, p) in provider.people.iter().enumerate() {
        // Outcomes met (partly) by purchases, each with the day its plan came into force.
        let mut candidates: Vec<(&Outcome, NaiveDate)> = Vec::new();
        for plan in &p.plans {
            for o in &plan.outcomes {
                let known = candidates.iter().any(|(c, _)| c.kind.code == o.kind.code);
                if o.kind.purchase.is_some() && !known {
                    candidates.push((o, plan.approved_on));
                }
            }
        }
        let zero_hour = candidates.iter().any(|(o, _)| o.slots.is_empty());
        let share = if zero_hour {
            P_PURCHASE_ZERO_HOUR
        } else {
            P_PURCHASE_SOCIAL
        };
        if candidates.is_empty() || !rng.random_bool(share) {
            continue;
        }
        let (outcome, in_force) = pick(rng, &candidates);
        let (from, to) = p.agreement.days_in(period);
        let Some(paid_on) = random_date(rng, from.max(in_force), to) else {
            continue;
        };
        let Some(kind) = &outcome.kind.purchase else {
            continue;
        };
        let amount = Pence::new(rng.random_range(kind.pence.0..=kind.pence.1));
        let (description, supplier) = pick(rng, kind.items);
        file.row([
            &format!("PU-{:05}", file.rows + 1),
            &paid_on.to_string(),
            &agreement_ref(i),
            outcome.kind.code,
            kind.category,
            description,
            supplier,
            &amount.to_string(),
        ])?;
    }
    file.finish()
}

/// Now and then a council claws back a week's payment from a fund that built up before the
/// period (money paid in advance, no visits recorded yet).
fn write_repayments(
    dir: &Path,
    rng: &mut ChaCha8Rng,
    period: &Period,
    provider: &Provider,
) -> Result<(String, usize), DemoError> {
    let mut file = CsvFile::create(dir, &REPAYMENTS_CSV)?;
    for (i, p) in provider.people.iter().enumerate() {
        let a = &p.agreement;
        let built_up = a.start + Duration::days(RECEIPT_CYCLE_DAYS) <= period.first;
        if !built_up || !rng.random_bool(P_SURPLUS_RECOVERY) {
            continue;
        }
        let (from, to) = a.days_in(period);
        let Some(paid_on) = random_date(rng, from, to) else {
            continue;
        };
        let stream = &p.streams[p.primary_stream()];
        file.row([
            &format!("RP-{:05}", file.rows + 1),
            &paid_on.to_string(),
            &agreement_ref(i),
            stream.code,
            "commissioner",
            &stream.commissioner_pays(a.contribution).to_string(),
        ])?;
    }
    file.finish()
}

fn write_earmarks(
    dir: &Path,
    rng: &mut ChaCha8Rng,
    period: &Period,
    provider: &Provider,
) -> Result<(String, usize), DemoError> {
    let mut file = CsvFile::create(dir, &EARMARKS_CSV)?;
    for (i, p) in provider.people.iter().enumerate() {
        if !rng.random_bool(P_EARMARK) {
            continue;
        }
        let (from, to) = p.agreement.days_in(period);
        let Some(created_on) = random_date(rng, from - Duration::days(14), to) else {
            continue;
        };
        let stream = match p.streams.iter().find(|s| !s.primary) {
            Some(chc) if rng.random_bool(P_EARMARK_ON_CHC) => chc,
            _ => &p.streams[p.primary_stream()],
        };
        let amount = Pence::new(rng.random_range(50..=800) * 50);
        let expires_on = created_on + Duration::days(rng.random_range(28..=120));
        file.row([
            &format!("E-{:05}", file.rows + 1),
            &agreement_ref(i),
            stream.code,
            pick(rng, EARMARK_PURPOSES),
            &amount.to_string(),
            &created_on.to_string(),
            &expires_on.to_string(),
        ])?;
    }
    file.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::parse_instant;
    use std::collections::{BTreeSet, HashMap};
    use std::path::PathBuf;

    /// A scratch directory under the system temp dir, removed when dropped.
    struct ScratchDir(PathBuf);

    impl ScratchDir {
        fn new(name: &str) -> ScratchDir {
            let path =
                std::env::temp_dir().join(format!("isf-demo-data-{}-{name}", std::process::id()));
            let _ = std::fs::remove_dir_all(&path);
            ScratchDir(path)
        }
    }

    impl Drop for ScratchDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn spec(people: usize, weeks: u32, seed: u64, start: &str) -> DemoSpec {
        DemoSpec {
            people,
            weeks,
            seed,
            start_monday: start.parse().unwrap(),
        }
    }

    /// Four weeks over the spring clock change, Easter and the April uplift.
    fn spring() -> DemoSpec {
        spec(300, 4, 7, "2026-03-16")
    }

    /// Three weeks over the autumn clock change.
    fn autumn() -> DemoSpec {
        spec(200, 3, 11, "2026-10-12")
    }

    type Rows = Vec<HashMap<String, String>>;

    fn read(dir: &Path, file: &str) -> Rows {
        let mut reader = csv::Reader::from_path(dir.join(file)).unwrap();
        let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
        reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                header
                    .iter()
                    .cloned()
                    .zip(r.iter().map(String::from))
                    .collect()
            })
            .collect()
    }

    fn instant(text: &str) -> Instant {
        parse_instant(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn generated(spec: &DemoSpec, name: &str) -> ScratchDir {
        let dir = ScratchDir::new(name);
        generate(spec, &dir.0).unwrap();
        dir
    }

    #[test]
    fn the_same_seed_gives_byte_identical_files() {
        let (a, b) = (ScratchDir::new("same-a"), ScratchDir::new("same-b"));
        let counts_a = generate(&spring(), &a.0).unwrap();
        let counts_b = generate(&spring(), &b.0).unwrap();
        assert_eq!(counts_a, counts_b);
        assert_eq!(counts_a.len(), 14);
        for (file, _) in &counts_a {
            let bytes_a = std::fs::read(a.0.join(file)).unwrap();
            let bytes_b = std::fs::read(b.0.join(file)).unwrap();
            assert!(bytes_a == bytes_b, "{file} differs between two runs");
        }
        let other = generated(&spec(300, 4, 8, "2026-03-16"), "same-other-seed");
        assert_ne!(
            std::fs::read(a.0.join("visits.csv")).unwrap(),
            std::fs::read(other.0.join("visits.csv")).unwrap()
        );
    }

    #[test]
    fn headers_are_the_columns_of_formats_md_and_counts_match_the_files() {
        let dir = generated(&autumn(), "headers");
        let counts = generate(&autumn(), &dir.0).unwrap();
        for (file, rows) in counts {
            let kind = crate::app::import::FileKind::from_file_name(&file).unwrap();
            let mut reader = csv::Reader::from_path(dir.0.join(&file)).unwrap();
            let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
            assert_eq!(header, kind.columns(), "{file}");
            assert_eq!(reader.records().count(), rows, "{file}");
        }
    }

    #[test]
    fn every_visit_names_an_outcome_of_the_plan_in_force_on_its_date() {
        for (spec, name) in [(spring(), "plans-spring"), (autumn(), "plans-autumn")] {
            let dir = generated(&spec, name);
            let mut approvals: HashMap<(String, String), Vec<NaiveDate>> = HashMap::new();
            for o in read(&dir.0, "outcomes.csv") {
                approvals
                    .entry((o["agreement_ref"].clone(), o["outcome_ref"].clone()))
                    .or_default()
                    .push(o["approved_on"].parse().unwrap());
            }
            let visits = read(&dir.0, "visits.csv");
            assert!(!visits.is_empty());
            for v in visits {
                let key = (v["agreement_ref"].clone(), v["outcome_ref"].clone());
                let date = to_london(instant(&v["planned_start"])).date();
                let in_force = approvals
                    .get(&key)
                    .is_some_and(|dates| dates.iter().any(|d| *d <= date));
                assert!(
                    in_force,
                    "{} names {key:?}, not in force on {date}",
                    v["visit_ref"]
                );
            }
        }
    }

    #[test]
    fn no_worker_is_in_two_overlapping_visits() {
        for (spec, name) in [(spring(), "overlap-spring"), (autumn(), "overlap-autumn")] {
            let dir = generated(&spec, name);
            let mut booked: HashMap<String, Vec<(Instant, Instant, String)>> = HashMap::new();
            for v in read(&dir.0, "visits.csv") {
                if !v["cancelled_at"].is_empty() || v["worker_refs"].is_empty() {
                    continue;
                }
                let (start, end) = (instant(&v["planned_start"]), instant(&v["planned_end"]));
                assert!(end > start, "{}", v["visit_ref"]);
                for w in v["worker_refs"].split(';') {
                    booked.entry(w.to_owned()).or_default().push((
                        start,
                        end,
                        v["visit_ref"].clone(),
                    ));
                }
            }
            for (worker, mut visits) in booked {
                visits.sort();
                for pair in visits.windows(2) {
                    assert!(
                        pair[0].1 <= pair[1].0,
                        "{worker} is on {} and {} at once",
                        pair[0].2,
                        pair[1].2
                    );
                }
            }
        }
    }

    #[test]
    fn every_time_parses_and_planned_times_are_whole_minutes() {
        for (spec, name) in [(spring(), "times-spring"), (autumn(), "times-autumn")] {
            let dir = generated(&spec, name);
            for v in read(&dir.0, "visits.csv") {
                for column in ["planned_start", "planned_end"] {
                    assert_eq!(instant(&v[column]).timestamp() % 60, 0, "{}", v[column]);
                }
                if !v["cancelled_at"].is_empty() {
                    let at = instant(&v["cancelled_at"]);
                    assert!(at < instant(&v["planned_start"]), "{}", v["visit_ref"]);
                }
            }
            for a in read(&dir.0, "attendances.csv") {
                assert!(instant(&a["check_out"]) >= instant(&a["check_in"]));
            }
        }
    }

    #[test]
    fn the_importer_accepts_every_row() {
        use crate::app::import::{check_files, FileKind};
        for (spec, name) in [(spring(), "import-spring"), (autumn(), "import-autumn")] {
            let dir = generated(&spec, name);
            let files: Vec<(FileKind, Vec<u8>)> = FileKind::ALL
                .iter()
                .map(|k| (*k, std::fs::read(dir.0.join(k.file_name())).unwrap()))
                .collect();
            let mut world = crate::domain::world::World::default();
            if let Err(errors) = check_files(&mut world, &files) {
                let shown: Vec<String> = errors.iter().take(20).map(|e| format!("{e:?}")).collect();
                panic!(
                    "{name}: {} rejected rows:\n{}",
                    errors.len(),
                    shown.join("\n")
                );
            }
        }
    }

    #[test]
    fn the_data_holds_the_cases_a_demo_needs() {
        let dir = generated(&spring(), "variety");
        let visits = read(&dir.0, "visits.csv");
        let attendances = read(&dir.0, "attendances.csv");
        let rostered: HashMap<&str, &str> = visits
            .iter()
            .map(|v| (v["visit_ref"].as_str(), v["worker_refs"].as_str()))
            .collect();
        let by: BTreeSet<&str> = visits.iter().map(|v| v["cancelled_by"].as_str()).collect();
        assert_eq!(by, BTreeSet::from(["", "person", "provider"]));
        assert!(visits.iter().any(|v| v["workers_required"] == "2"));
        assert!(visits
            .iter()
            .any(|v| v["planned_start"] == "2026-03-28T22:00"
                && v["planned_end"] == "2026-03-29T07:00"));
        assert!(
            attendances.iter().any(|a| a["visit_ref"].is_empty()),
            "unplanned"
        );
        let substitutes = attendances.iter().filter(|a| {
            rostered
                .get(a["visit_ref"].as_str())
                .is_some_and(|workers| !workers.split(';').any(|w| w == a["worker_ref"]))
        });
        assert!(
            substitutes.count() > 0,
            "nobody turned up in place of the rostered worker"
        );
        let relationships = read(&dir.0, "relationships.csv");
        assert!(relationships.iter().any(|r| r["relationship"] == "sibling"));
        let outcomes = read(&dir.0, "outcomes.csv");
        assert!(outcomes.iter().any(|o| o["plan_version"] == "2"));
        assert!(outcomes.iter().any(|o| o["weekly_hours"] == "0"));
        assert!(outcomes.iter().any(|o| o["short_visits_agreed"] == "true"));
        let rates = read(&dir.0, "rates.csv");
        assert!(rates.iter().any(|r| r["effective_from"] == "2026-04-01"));
        let receipts = read(&dir.0, "receipts.csv");
        assert!(receipts.iter().any(|r| r["payer"] == "person"));
        for file in ["purchases.csv", "earmarks.csv", "repayments.csv"] {
            assert!(!read(&dir.0, file).is_empty(), "{file} is empty");
        }
        let unfilled = visits
            .iter()
            .filter(|v| v["worker_refs"].is_empty())
            .count();
        assert!(
            unfilled * 1000 <= visits.len(),
            "{unfilled} visits unfilled"
        );
    }

    #[test]
    fn catalogue_titles_and_short_visits_are_consistent() {
        let all: Vec<&OutcomeKind> = DOMESTIC_KINDS
            .iter()
            .chain(&SOCIAL_KINDS)
            .chain(&ZERO_HOUR_KINDS)
            .chain(&CHC_ADDITIONS)
            .copied()
            .chain([&WASH, &BED, &MEDS, &BREAK, &HOIST])
            .collect();
        for kind in all {
            let names_a_day = kind.titles.iter().any(|t| t.contains("{day}"));
            if names_a_day {
                assert!(kind.patterns.iter().all(|(n, _)| *n == 1), "{}", kind.code);
            }
            for &(_, minutes) in kind.patterns {
                assert!(minutes >= 30 || kind.short_visits, "{}", kind.code);
            }
            assert!(kind.window.0 <= kind.window.1, "{}", kind.code);
        }
    }

    #[test]
    fn an_empty_period_still_writes_every_file() {
        let dir = generated(&spec(5, 0, 1, "2026-03-16"), "empty");
        for spec in [&VISITS_CSV, &ATTENDANCES_CSV, &COMMISSIONERS_CSV] {
            assert!(dir.0.join(spec.name).exists());
        }
    }

    /// `cargo test --release --lib demo_data -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn time_two_thousand_people_for_four_weeks() {
        let dir = ScratchDir::new("timing");
        let started = std::time::Instant::now();
        let counts = generate(&spec(2000, 4, 42, "2026-03-16"), &dir.0).unwrap();
        let elapsed = started.elapsed();
        for (file, rows) in &counts {
            println!("{file:>20} {rows:>8}");
        }
        println!("people=2000 weeks=4: {elapsed:?}");
        let started = std::time::Instant::now();
        let counts = generate(&spec(20_000, 1, 42, "2026-03-16"), &dir.0).unwrap();
        let visits = counts.iter().find(|(f, _)| f == "visits.csv").unwrap().1;
        println!(
            "people=20000 weeks=1: {visits} visits, {:?}",
            started.elapsed()
        );
    }
}
