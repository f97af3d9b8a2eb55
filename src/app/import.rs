//! `import`: the CSV files of FORMATS.md into the provider's records, all or nothing.
//!
//! Every file present is read and checked against what is already held plus what the earlier files
//! of the same import bring; a file that depends on a rejected file is not checked. Nothing is written
//! unless every row of every file is good. Re-importing a row with the same parsed content is a no-op;
//! the same ref with other content is an error. Receipts, purchases and repayments post their ledger
//! transactions in the same database transaction.
use crate::csv_io::{read_table, Row, RowError, Table};
use crate::domain::billing::rate_in_force;
use crate::domain::calendar::{elapsed_minutes, local_date, Instant};
use crate::domain::model::*;
use crate::domain::plan::Plan;
use crate::domain::refs::Ref;
use crate::domain::roster::{dbs_clearance, is_restricted};
use crate::domain::world::HashMap;
use crate::domain::world::World;
use std::collections::HashSet;
use std::fmt::Debug;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The input files, in dependency order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    Commissioners,
    Rates,
    People,
    Workers,
    Agreements,
    Streams,
    Outcomes,
    Relationships,
    Visits,
    Attendances,
    Receipts,
    Purchases,
    Repayments,
    Earmarks,
}

impl FileKind {
    pub const ALL: [FileKind; 14] = [
        FileKind::Commissioners,
        FileKind::Rates,
        FileKind::People,
        FileKind::Workers,
        FileKind::Agreements,
        FileKind::Streams,
        FileKind::Outcomes,
        FileKind::Relationships,
        FileKind::Visits,
        FileKind::Attendances,
        FileKind::Receipts,
        FileKind::Purchases,
        FileKind::Repayments,
        FileKind::Earmarks,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            FileKind::Commissioners => "commissioners.csv",
            FileKind::Rates => "rates.csv",
            FileKind::People => "people.csv",
            FileKind::Workers => "workers.csv",
            FileKind::Agreements => "agreements.csv",
            FileKind::Streams => "streams.csv",
            FileKind::Outcomes => "outcomes.csv",
            FileKind::Relationships => "relationships.csv",
            FileKind::Visits => "visits.csv",
            FileKind::Attendances => "attendances.csv",
            FileKind::Receipts => "receipts.csv",
            FileKind::Purchases => "purchases.csv",
            FileKind::Repayments => "repayments.csv",
            FileKind::Earmarks => "earmarks.csv",
        }
    }

    pub fn from_file_name(name: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.file_name() == name)
    }

    pub fn columns(self) -> &'static [&'static str] {
        match self {
            FileKind::Commissioners => &[
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
            FileKind::Rates => &[
                "commissioner_ref",
                "support_type",
                "effective_from",
                "unit",
                "weekday",
                "weekend",
                "bank_holiday",
            ],
            FileKind::People => &[
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
            FileKind::Agreements => &[
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
            FileKind::Streams => &[
                "agreement_ref",
                "stream_ref",
                "commissioner_ref",
                "weekly_amount",
                "primary",
            ],
            FileKind::Outcomes => &[
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
            FileKind::Workers => &[
                "worker_ref",
                "given_name",
                "family_name",
                "dbs_issued_on",
                "dbs_barred_list_checked",
                "dbs_update_service",
            ],
            FileKind::Relationships => &[
                "worker_ref",
                "person_ref",
                "relationship",
                "same_household",
                "commissioner_authorised",
            ],
            FileKind::Visits => &[
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
            FileKind::Attendances => &[
                "attendance_ref",
                "visit_ref",
                "person_ref",
                "worker_ref",
                "check_in",
                "check_out",
                "method",
                "location_verified",
            ],
            FileKind::Receipts => &[
                "receipt_ref",
                "received_on",
                "payer",
                "agreement_ref",
                "stream_ref",
                "amount",
            ],
            FileKind::Purchases => &[
                "purchase_ref",
                "paid_on",
                "agreement_ref",
                "outcome_ref",
                "category",
                "description",
                "supplier",
                "amount",
            ],
            FileKind::Repayments => &[
                "repayment_ref",
                "paid_on",
                "agreement_ref",
                "stream_ref",
                "payee",
                "amount",
            ],
            FileKind::Earmarks => &[
                "earmark_ref",
                "agreement_ref",
                "stream_ref",
                "purpose",
                "amount",
                "created_on",
                "expires_on",
            ],
        }
    }

    /// The columns that name one row (a ref, or a ref within an agreement).
    pub fn key_columns(self) -> &'static [&'static str] {
        use FileKind::*;
        match self {
            Rates => &["commissioner_ref", "support_type", "effective_from"],
            Streams => &["agreement_ref", "stream_ref"],
            Outcomes => &["agreement_ref", "plan_version", "outcome_ref"],
            Relationships => &["worker_ref", "person_ref"],
            other => &other.columns()[..1],
        }
    }

    /// One row of the file, in words: `visit`, `attendance`, `person`.
    pub fn record_name(self) -> &'static str {
        match self {
            FileKind::Commissioners => "commissioner",
            FileKind::Rates => "rate",
            FileKind::People => "person",
            FileKind::Workers => "worker",
            FileKind::Agreements => "agreement",
            FileKind::Streams => "stream",
            FileKind::Outcomes => "outcome",
            FileKind::Relationships => "relationship",
            FileKind::Visits => "visit",
            FileKind::Attendances => "attendance",
            FileKind::Receipts => "receipt",
            FileKind::Purchases => "purchase",
            FileKind::Repayments => "repayment",
            FileKind::Earmarks => "earmark",
        }
    }

    /// The files whose rows this file refers to.
    pub fn depends_on(self) -> &'static [FileKind] {
        use FileKind::*;
        match self {
            Commissioners | People | Workers => &[],
            Rates => &[Commissioners],
            Agreements => &[People],
            Streams => &[Agreements, Commissioners],
            Outcomes => &[Agreements, Streams],
            Relationships => &[Workers, People],
            Visits => &[
                Agreements,
                Outcomes,
                Workers,
                Relationships,
                Rates,
                Commissioners,
            ],
            Attendances => &[Visits, People, Workers, Agreements, Relationships],
            Receipts | Repayments | Earmarks => &[Agreements, Streams],
            Purchases => &[Agreements, Outcomes],
        }
    }
}

/// What an import adds: only rows not held before.
#[derive(Debug, Default)]
pub struct NewRows {
    pub commissioners: Vec<Commissioner>,
    pub rates: Vec<Rate>,
    pub people: Vec<Person>,
    pub workers: Vec<Worker>,
    pub agreements: Vec<Agreement>,
    pub streams: Vec<Stream>,
    pub outcomes: Vec<Outcome>,
    pub relationships: Vec<WorkerRelationship>,
    pub visits: Vec<Visit>,
    pub attendances: Vec<Attendance>,
    pub receipts: Vec<Receipt>,
    pub purchases: Vec<Purchase>,
    pub repayments: Vec<Repayment>,
    pub earmarks: Vec<Earmark>,
}

impl NewRows {
    pub fn count(&self) -> usize {
        self.commissioners.len()
            + self.rates.len()
            + self.people.len()
            + self.workers.len()
            + self.agreements.len()
            + self.streams.len()
            + self.outcomes.len()
            + self.relationships.len()
            + self.visits.len()
            + self.attendances.len()
            + self.receipts.len()
            + self.purchases.len()
            + self.repayments.len()
            + self.earmarks.len()
    }
}

/// Per file: rows read, rows new. (Serialisable: an import job keeps its summaries.)
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileSummary {
    pub file: String,
    pub rows: usize,
    pub new_rows: usize,
}

/// How far a check has got, for a caller on another thread (an import job's progress): rows in
/// every file once they are read, then rows checked so far.
#[derive(Debug, Default)]
pub struct CheckProgress {
    pub rows_total: AtomicUsize,
    pub rows_checked: AtomicUsize,
}

/// Checks `files` (kind, bytes) against `world`, extending `world` with the new rows.
/// Returns the new rows, or every problem found.
pub fn check_files(
    world: &mut World,
    files: &[(FileKind, Vec<u8>)],
) -> Result<(NewRows, Vec<FileSummary>), Vec<RowError>> {
    check_files_counted(world, files, &CheckProgress::default())
}

/// `check_files`, counting rows into `progress` as it goes. Every file is read before any is
/// checked, so the total is known while the checking runs.
pub fn check_files_counted(
    world: &mut World,
    files: &[(FileKind, Vec<u8>)],
    progress: &CheckProgress,
) -> Result<(NewRows, Vec<FileSummary>), Vec<RowError>> {
    let mut new = NewRows::default();
    let mut errors = Vec::new();
    let mut rejected: HashSet<FileKind> = HashSet::new();
    let mut summaries = Vec::new();
    let mut sorted: Vec<&(FileKind, Vec<u8>)> = files.iter().collect();
    sorted.sort_by_key(|(k, _)| *k);
    let tables: Vec<(FileKind, Result<Table, Vec<RowError>>)> = sorted
        .into_iter()
        .map(|(kind, bytes)| (*kind, read_table(kind.file_name(), bytes, kind.columns())))
        .collect();
    let rows_total = tables
        .iter()
        .map(|(_, t)| t.as_ref().map_or(0, Table::len))
        .sum();
    progress.rows_total.store(rows_total, Ordering::Relaxed);
    for (kind, table) in tables {
        if kind.depends_on().iter().any(|d| rejected.contains(d)) {
            rejected.insert(kind);
            continue;
        }
        let table = match table {
            Ok(t) => t,
            Err(e) => {
                errors.extend(e);
                rejected.insert(kind);
                continue;
            }
        };
        let before = new.count();
        let mut checker = Checker {
            world,
            new: &mut new,
            errors: Vec::new(),
            seen: HashMap::default(),
            plans: HashMap::default(),
            timeline: None,
            visit_attendances: None,
            progress,
        };
        checker.check(kind, &table);
        let file_errors = checker.errors;
        if !file_errors.is_empty() {
            errors.extend(file_errors);
            rejected.insert(kind);
        }
        summaries.push(FileSummary {
            file: kind.file_name().to_owned(),
            rows: table.len(),
            new_rows: new.count() - before,
        });
    }
    if errors.is_empty() {
        Ok((new, summaries))
    } else {
        Err(errors)
    }
}

/// Non-cancelled visits by worker: (planned start, planned end, visit ref).
type WorkerTimeline = HashMap<String, Vec<(Instant, Instant, String)>>;

struct Checker<'w> {
    world: &'w mut World,
    new: &'w mut NewRows,
    errors: Vec<RowError>,
    /// Keys seen in this file → line.
    seen: HashMap<String, u64>,
    /// Plans by agreement, built when first needed.
    plans: HashMap<String, Plan>,
    /// Non-cancelled visits by worker, built when first needed.
    timeline: Option<WorkerTimeline>,
    /// Attendances by visit (worker refs), built when first needed.
    visit_attendances: Option<HashMap<String, Vec<String>>>,
    progress: &'w CheckProgress,
}

/// What to do with a parsed row.
enum Verdict {
    New,
    Same,
    Refused,
}

impl Checker<'_> {
    fn check(&mut self, kind: FileKind, table: &Table) {
        for mut row in table.rows() {
            match kind {
                FileKind::Commissioners => self.commissioner(&mut row),
                FileKind::Rates => self.rate(&mut row),
                FileKind::People => self.person(&mut row),
                FileKind::Workers => self.worker(&mut row),
                FileKind::Agreements => self.agreement(&mut row),
                FileKind::Streams => self.stream(&mut row),
                FileKind::Outcomes => self.outcome(&mut row),
                FileKind::Relationships => self.relationship(&mut row),
                FileKind::Visits => self.visit(&mut row),
                FileKind::Attendances => self.attendance(&mut row),
                FileKind::Receipts => self.receipt(&mut row),
                FileKind::Purchases => self.purchase(&mut row),
                FileKind::Repayments => self.repayment(&mut row),
                FileKind::Earmarks => self.earmark(&mut row),
            }
            self.errors.append(&mut row.errors);
            self.progress.rows_checked.fetch_add(1, Ordering::Relaxed);
        }
        match kind {
            FileKind::Streams => self.check_primary_streams(table),
            FileKind::Outcomes => self.check_plan_versions(table),
            _ => {}
        }
    }

    /// Decides whether a fully parsed row is new, a repeat, or a conflict; records errors on the row.
    fn verdict<T: PartialEq + Debug>(
        &mut self,
        row: &mut Row,
        key_column: &str,
        key: String,
        existing: Option<&T>,
        parsed: &T,
    ) -> Verdict {
        if let Some(line) = self.seen.get(&key) {
            let how = match existing {
                Some(old) if old != parsed => {
                    format!(
                        "with other content ({})",
                        differing_fields(&format!("{old:?}"), &format!("{parsed:?}"))
                    )
                }
                _ => "again".to_owned(),
            };
            row.error(
                key_column,
                format!("{key} is already used on line {line} of this file; here it appears {how}"),
            );
            return Verdict::Refused;
        }
        self.seen.insert(key.clone(), row.line);
        if !row.is_ok() {
            return Verdict::Refused;
        }
        match existing {
            None => Verdict::New,
            Some(old) if old == parsed => Verdict::Same,
            Some(old) => {
                let diff = differing_fields(&format!("{old:?}"), &format!("{parsed:?}"));
                row.error(key_column, format!("{key} was imported before with other content ({diff}): a change is a new ref or a reversal, never an edit"));
                Verdict::Refused
            }
        }
    }

    fn commissioner(&mut self, row: &mut Row) {
        let defaults = ContractTerms::default();
        let commissioner_ref = row.reference("commissioner_ref");
        let name = row.text("name");
        let kind = row.word("kind", CommissionerKind::WORDS, CommissionerKind::parse);
        let billing_basis = row
            .opt_word("billing_basis", BillingBasis::WORDS, BillingBasis::parse)
            .unwrap_or(defaults.billing_basis);
        let tolerance_minutes = row
            .opt_integer("tolerance_minutes", 0)
            .unwrap_or(defaults.tolerance_minutes);
        let rounding_minutes = row
            .opt_integer("rounding_minutes", 1)
            .unwrap_or(defaults.rounding_minutes);
        let cancellation_notice_hours = row
            .opt_quantity("cancellation_notice_hours")
            .unwrap_or(defaults.cancellation_notice_hours);
        let surplus_cap_weeks = row
            .opt_integer("surplus_cap_weeks", 0)
            .unwrap_or(defaults.surplus_cap_weeks);
        let surplus_age_weeks = row
            .opt_integer("surplus_age_weeks", 0)
            .unwrap_or(defaults.surplus_age_weeks);
        let (Some(commissioner_ref), Some(name), Some(kind)) = (commissioner_ref, name, kind)
        else {
            return;
        };
        let parsed = Commissioner {
            commissioner_ref: commissioner_ref.clone(),
            name,
            kind,
            terms: ContractTerms {
                billing_basis,
                tolerance_minutes,
                rounding_minutes,
                cancellation_notice_hours,
                surplus_cap_weeks,
                surplus_age_weeks,
            },
        };
        let existing = self.world.commissioners.get(&commissioner_ref).cloned();
        if let Verdict::New = self.verdict(
            row,
            "commissioner_ref",
            commissioner_ref.clone(),
            existing.as_ref(),
            &parsed,
        ) {
            self.world
                .commissioners
                .insert(commissioner_ref, parsed.clone());
            self.new.commissioners.push(parsed);
        }
    }

    fn rate(&mut self, row: &mut Row) {
        let commissioner_ref = row.reference("commissioner_ref");
        let support_type = row.word("support_type", SupportType::WORDS, SupportType::parse);
        let effective_from = row.date("effective_from");
        let unit = row.word("unit", RateUnit::WORDS, RateUnit::parse);
        let weekday = row.money("weekday");
        let weekend = row.money("weekend");
        let bank_holiday = row.money("bank_holiday");
        if let Some(c) = &commissioner_ref {
            if !self.world.commissioners.contains_key(c) {
                row.error(
                    "commissioner_ref",
                    format!("no commissioner {c} (commissioners.csv)"),
                );
            }
        }
        if let (Some(t), Some(u)) = (support_type, unit) {
            if t.unit() != u {
                row.error(
                    "unit",
                    format!("a {t} rate is priced per {}, not per {u}", t.unit()),
                );
            }
        }
        let (
            Some(commissioner_ref),
            Some(support_type),
            Some(effective_from),
            Some(unit),
            Some(weekday),
            Some(weekend),
            Some(bank_holiday),
        ) = (
            commissioner_ref,
            support_type,
            effective_from,
            unit,
            weekday,
            weekend,
            bank_holiday,
        )
        else {
            return;
        };
        let parsed = Rate {
            commissioner_ref: commissioner_ref.clone(),
            support_type,
            effective_from,
            unit,
            weekday,
            weekend,
            bank_holiday,
        };
        let key = format!("{commissioner_ref} {support_type} from {effective_from}");
        let existing = self
            .world
            .rates
            .get(&commissioner_ref)
            .and_then(|rs| {
                rs.iter()
                    .find(|r| r.support_type == support_type && r.effective_from == effective_from)
            })
            .cloned();
        if let Verdict::New = self.verdict(row, "effective_from", key, existing.as_ref(), &parsed) {
            self.world
                .rates
                .entry(commissioner_ref)
                .or_default()
                .push(parsed.clone());
            self.new.rates.push(parsed);
        }
    }

    fn person(&mut self, row: &mut Row) {
        let person_ref = row.reference("person_ref");
        let council_person_ref = row.opt_text("council_person_ref");
        let given_name = row.text("given_name");
        let family_name = row.opt_text("family_name");
        let date_of_birth = row.opt_date("date_of_birth");
        let postcode = row.opt_text("postcode");
        let communication_format = row.word(
            "communication_format",
            CommunicationFormat::WORDS,
            CommunicationFormat::parse,
        );
        let decision_maker = row.word("decision_maker", DecisionMaker::WORDS, DecisionMaker::parse);
        let representative_name = row.opt_text("representative_name");
        if let Some(dm) = decision_maker {
            if dm != DecisionMaker::SelfDecides && representative_name.is_none() {
                row.error(
                    "representative_name",
                    format!("is required when decision_maker is {dm}"),
                );
            }
        }
        let (Some(person_ref), Some(given_name), Some(communication_format), Some(decision_maker)) =
            (person_ref, given_name, communication_format, decision_maker)
        else {
            return;
        };
        let parsed = Person {
            person_ref: person_ref.clone(),
            council_person_ref,
            given_name,
            family_name,
            date_of_birth,
            postcode,
            communication_format,
            decision_maker,
            representative_name,
        };
        let existing = self.world.people.get(&person_ref).cloned();
        if let Verdict::New = self.verdict(
            row,
            "person_ref",
            person_ref.clone(),
            existing.as_ref(),
            &parsed,
        ) {
            self.world.people.insert(person_ref, parsed.clone());
            self.new.people.push(parsed);
        }
    }

    fn worker(&mut self, row: &mut Row) {
        let worker_ref = row.reference("worker_ref");
        let given_name = row.text("given_name");
        let family_name = row.text("family_name");
        let dbs_issued_on = row.opt_date("dbs_issued_on");
        let dbs_barred_list_checked = row.boolean("dbs_barred_list_checked");
        let dbs_update_service = row.boolean("dbs_update_service");
        let (
            Some(worker_ref),
            Some(given_name),
            Some(family_name),
            Some(dbs_barred_list_checked),
            Some(dbs_update_service),
        ) = (
            worker_ref,
            given_name,
            family_name,
            dbs_barred_list_checked,
            dbs_update_service,
        )
        else {
            return;
        };
        let parsed = Worker {
            worker_ref: worker_ref.clone(),
            given_name,
            family_name,
            dbs_issued_on,
            dbs_barred_list_checked,
            dbs_update_service,
        };
        let existing = self.world.workers.get(&worker_ref).cloned();
        if let Verdict::New = self.verdict(
            row,
            "worker_ref",
            worker_ref.clone(),
            existing.as_ref(),
            &parsed,
        ) {
            self.world.workers.insert(worker_ref, parsed.clone());
            self.new.workers.push(parsed);
        }
    }

    fn agreement(&mut self, row: &mut Row) {
        let agreement_ref = row.reference("agreement_ref");
        let person_ref = row.reference("person_ref");
        let start_date = row.date("start_date");
        let end_date = row.opt_date("end_date");
        let contribution_mode = row.word(
            "contribution_mode",
            ContributionMode::WORDS,
            ContributionMode::parse,
        );
        let weekly_contribution = row.opt_money("weekly_contribution");
        let fee_basis = row.word("fee_basis", FeeBasisKind::WORDS, FeeBasisKind::parse);
        let fee = match fee_basis {
            Some(FeeBasisKind::Percent) => row.quantity("fee_value").map(Fee::Percent),
            Some(FeeBasisKind::Fixed) => row.money("fee_value").map(Fee::Fixed),
            None => None,
        };
        let flex_window_weeks = row
            .opt_integer("flex_window_weeks", 0)
            .unwrap_or(FLEX_WINDOW_WEEKS_DEFAULT);
        if let Some(p) = &person_ref {
            if !self.world.people.contains_key(p) {
                row.error("person_ref", format!("no person {p} (people.csv)"));
            }
        }
        if let (Some(start), Some(end)) = (start_date, end_date) {
            if end < start {
                row.error(
                    "end_date",
                    format!("{end} is before the start date {start}"),
                );
            }
        }
        if contribution_mode == Some(ContributionMode::Net)
            && weekly_contribution.is_none()
            && row.is_ok()
        {
            row.error(
                "weekly_contribution",
                "is required when contribution_mode is net",
            );
        }
        if let Some(fee_basis @ FeeBasisKind::Percent) = fee_basis {
            if let Some(Fee::Percent(p)) = &fee {
                if *p > rust_decimal::Decimal::ONE_HUNDRED {
                    row.error(
                        "fee_value",
                        format!("a {fee_basis} fee of {p} is more than 100"),
                    );
                }
            }
        }
        let (
            Some(agreement_ref),
            Some(person_ref),
            Some(start_date),
            Some(contribution_mode),
            Some(fee),
        ) = (
            agreement_ref,
            person_ref,
            start_date,
            contribution_mode,
            fee,
        )
        else {
            return;
        };
        let parsed = Agreement {
            agreement_ref: agreement_ref.clone(),
            person_ref: person_ref.clone(),
            start_date,
            end_date,
            contribution_mode,
            weekly_contribution: weekly_contribution.unwrap_or_default(),
            fee,
            flex_window_weeks,
        };
        let existing = self.world.agreements.get(&agreement_ref).cloned();
        if existing.is_none() {
            let key = Ref::parse(&agreement_ref)
                .map(|r| r.key())
                .unwrap_or_default();
            if let Some(other) = self.world.agreement_keys.get(&key) {
                row.error("agreement_ref", format!("{agreement_ref} is too like the agreement ref {other} (both read as {key})"));
            }
            let clash = self
                .world
                .agreements_of(&person_ref)
                .find(|a| a.overlaps(start_date, end_date.unwrap_or(chrono::NaiveDate::MAX)));
            if let Some(other) = clash {
                row.error("start_date", format!("{person_ref} already has agreement {} live on some of these days: a person has at most one agreement live on any day", other.agreement_ref));
            }
        }
        if let Verdict::New = self.verdict(
            row,
            "agreement_ref",
            agreement_ref.clone(),
            existing.as_ref(),
            &parsed,
        ) {
            let key = Ref::parse(&agreement_ref)
                .map(|r| r.key())
                .unwrap_or_default();
            self.world.agreement_keys.insert(key, agreement_ref.clone());
            self.world.add_agreement(parsed.clone());
            self.new.agreements.push(parsed);
        }
    }

    fn stream(&mut self, row: &mut Row) {
        let agreement_ref = row.reference("agreement_ref");
        let stream_ref = row.reference("stream_ref");
        let commissioner_ref = row.reference("commissioner_ref");
        let weekly_amount = row.money("weekly_amount");
        let primary = row.boolean("primary");
        if let Some(a) = &agreement_ref {
            if !self.world.agreements.contains_key(a) {
                row.error(
                    "agreement_ref",
                    format!("no agreement {a} (agreements.csv)"),
                );
            }
        }
        if let Some(c) = &commissioner_ref {
            if !self.world.commissioners.contains_key(c) {
                row.error(
                    "commissioner_ref",
                    format!("no commissioner {c} (commissioners.csv)"),
                );
            }
        }
        let (
            Some(agreement_ref),
            Some(stream_ref),
            Some(commissioner_ref),
            Some(weekly_amount),
            Some(primary),
        ) = (
            agreement_ref,
            stream_ref,
            commissioner_ref,
            weekly_amount,
            primary,
        )
        else {
            return;
        };
        let parsed = Stream {
            agreement_ref: agreement_ref.clone(),
            stream_ref: stream_ref.clone(),
            commissioner_ref,
            weekly_amount,
            primary,
        };
        let existing = self.world.stream(&agreement_ref, &stream_ref).cloned();
        if existing.is_none() {
            let key = Ref::parse(&stream_ref).map(|r| r.key()).unwrap_or_default();
            if let Some(other) = self
                .world
                .streams_of(&agreement_ref)
                .find(|s| Ref::parse(&s.stream_ref).map(|r| r.key()).ok() == Some(key.clone()))
            {
                row.error("stream_ref", format!("{stream_ref} is too like stream {} of {agreement_ref} (both read as {key})", other.stream_ref));
            }
        }
        let key = format!("{agreement_ref}/{stream_ref}");
        if let Verdict::New = self.verdict(row, "stream_ref", key, existing.as_ref(), &parsed) {
            self.world
                .streams
                .insert((agreement_ref, stream_ref), parsed.clone());
            self.new.streams.push(parsed);
        }
    }

    /// Exactly one primary stream per agreement; a net agreement's primary is a council's.
    fn check_primary_streams(&mut self, table: &Table) {
        let mut last_line: HashMap<String, u64> = HashMap::default();
        for mut row in table.rows() {
            if let Some(a) = row.opt("agreement_ref") {
                last_line.insert(a.to_owned(), row.line);
            }
        }
        let mut agreements: Vec<_> = last_line.into_iter().collect();
        agreements.sort();
        for (agreement_ref, line) in agreements {
            let Some(agreement) = self.world.agreements.get(&agreement_ref) else {
                continue;
            };
            let primaries: Vec<&Stream> = self
                .world
                .streams_of(&agreement_ref)
                .filter(|s| s.primary)
                .collect();
            let error = |reason: String| RowError {
                file: table.file.clone(),
                line,
                column: "primary".into(),
                reason,
            };
            match primaries.as_slice() {
                [] => self.errors.push(error(format!(
                    "agreement {agreement_ref} has no primary stream: exactly one must be primary"
                ))),
                [primary] => {
                    let council = self
                        .world
                        .commissioners
                        .get(&primary.commissioner_ref)
                        .map(|c| c.kind)
                        == Some(CommissionerKind::Council);
                    if agreement.contribution_mode == ContributionMode::Net && !council {
                        self.errors.push(error(format!("agreement {agreement_ref} is net: its primary stream must be a council's")));
                    }
                }
                _ => self.errors.push(error(format!(
                    "agreement {agreement_ref} has {} primary streams: exactly one must be primary",
                    primaries.len()
                ))),
            }
        }
    }

    fn outcome(&mut self, row: &mut Row) {
        let agreement_ref = row.reference("agreement_ref");
        let plan_version = row.integer("plan_version", 0);
        let outcome_ref = row.reference("outcome_ref");
        let stream_ref = row.reference("stream_ref");
        let title = row.text("title");
        let support_type = row.word("support_type", SupportType::WORDS, SupportType::parse);
        let weekly_hours = row.quantity("weekly_hours");
        let short_visits_agreed = row.opt_boolean("short_visits_agreed");
        let approved_by = row.opt_text("approved_by");
        let approved_on = row.opt_date("approved_on");
        if approved_by.is_some() != approved_on.is_some() && row.is_ok() {
            let missing = if approved_by.is_none() {
                "approved_by"
            } else {
                "approved_on"
            };
            row.error(
                missing,
                "approved_by and approved_on are given together, or both left empty for a draft",
            );
        }
        if let Some(a) = &agreement_ref {
            if !self.world.agreements.contains_key(a) {
                row.error(
                    "agreement_ref",
                    format!("no agreement {a} (agreements.csv)"),
                );
            } else if let Some(s) = &stream_ref {
                if self.world.stream(a, s).is_none() {
                    row.error(
                        "stream_ref",
                        format!("agreement {a} has no stream {s} (streams.csv)"),
                    );
                }
            }
        }
        let (
            Some(agreement_ref),
            Some(plan_version),
            Some(outcome_ref),
            Some(stream_ref),
            Some(title),
            Some(support_type),
            Some(weekly_hours),
            Some(short_visits_agreed),
        ) = (
            agreement_ref,
            plan_version,
            outcome_ref,
            stream_ref,
            title,
            support_type,
            weekly_hours,
            short_visits_agreed,
        )
        else {
            return;
        };
        if let Some(other) = self
            .world
            .outcome_rows(&agreement_ref)
            .find(|o| o.outcome_ref == outcome_ref && o.plan_version != plan_version)
        {
            if other.stream_ref != stream_ref {
                row.error("stream_ref", format!("outcome {outcome_ref} is on stream {} in plan version {}: an outcome keeps its stream", other.stream_ref, other.plan_version));
            } else if other.support_type != support_type {
                row.error("support_type", format!("outcome {outcome_ref} is {} in plan version {}: an outcome keeps its support type", other.support_type, other.plan_version));
            }
        }
        let parsed = Outcome {
            agreement_ref: agreement_ref.clone(),
            plan_version,
            outcome_ref: outcome_ref.clone(),
            stream_ref,
            title,
            support_type,
            weekly_hours,
            short_visits_agreed,
            approved_by,
            approved_on,
        };
        let key = (agreement_ref.clone(), plan_version, outcome_ref.clone());
        let existing = self.world.outcomes.get(&key).cloned();
        if existing.is_none() {
            if let Err(reason) = self.world.plan_version_open(&agreement_ref, plan_version) {
                row.error("plan_version", reason);
                return;
            }
        }
        let label = format!("{agreement_ref} plan {plan_version} outcome {outcome_ref}");
        if let Verdict::New = self.verdict(row, "outcome_ref", label, existing.as_ref(), &parsed) {
            self.world.outcomes.insert(key, parsed.clone());
            self.new.outcomes.push(parsed);
        }
    }

    /// All rows of one version carry the same approval; approved versions rise with their dates.
    fn check_plan_versions(&mut self, table: &Table) {
        let mut lines: HashMap<(String, i64), u64> = HashMap::default();
        for mut row in table.rows() {
            if let (Some(a), Some(v)) = (row.opt("agreement_ref"), row.opt("plan_version")) {
                if let Ok(v) = v.parse::<i64>() {
                    lines.insert((a.to_owned(), v), row.line);
                }
            }
        }
        let mut keys: Vec<_> = lines.into_iter().collect();
        keys.sort();
        for ((agreement_ref, version), line) in keys {
            // With the approvals made in the service, so both kinds keep versions in order.
            let rows: Vec<_> = self.world.effective_outcome_rows(&agreement_ref).collect();
            let this: Vec<&Outcome> = rows
                .iter()
                .map(|o| o.as_ref())
                .filter(|o| o.plan_version == version)
                .collect();
            let approvals: HashSet<_> = this
                .iter()
                .map(|o| (o.approved_by.clone(), o.approved_on))
                .collect();
            let error = |column: &str, reason: String| RowError {
                file: table.file.clone(),
                line,
                column: column.into(),
                reason,
            };
            if approvals.len() > 1 {
                self.errors.push(error("approved_on", format!("plan version {version} of {agreement_ref} has rows with different approvals: all rows of one version carry the same approval")));
                continue;
            }
            let Some(approved_on) = this.first().and_then(|o| o.approved_on) else {
                continue;
            };
            let out_of_order = rows.iter().any(|o| {
                o.approved_on.is_some_and(|other| {
                    (other < approved_on && o.plan_version > version)
                        || (other > approved_on && o.plan_version < version)
                })
            });
            if out_of_order {
                self.errors.push(error("plan_version", format!("plan version {version} of {agreement_ref} was approved on {approved_on}: a version's number must be higher than every version approved before it")));
            }
        }
    }

    fn relationship(&mut self, row: &mut Row) {
        let worker_ref = row.reference("worker_ref");
        let person_ref = row.reference("person_ref");
        let relationship = row.word("relationship", Relationship::WORDS, Relationship::parse);
        let same_household = row.boolean("same_household");
        let commissioner_authorised = row.opt_boolean("commissioner_authorised");
        self.require_worker(row, "worker_ref", worker_ref.as_deref());
        self.require_person(row, "person_ref", person_ref.as_deref());
        let (
            Some(worker_ref),
            Some(person_ref),
            Some(relationship),
            Some(same_household),
            Some(commissioner_authorised),
        ) = (
            worker_ref,
            person_ref,
            relationship,
            same_household,
            commissioner_authorised,
        )
        else {
            return;
        };
        let parsed = WorkerRelationship {
            worker_ref: worker_ref.clone(),
            person_ref: person_ref.clone(),
            relationship,
            same_household,
            commissioner_authorised,
        };
        let key = (worker_ref.clone(), person_ref.clone());
        let existing = self.world.relationships.get(&key).cloned();
        if let Verdict::New = self.verdict(
            row,
            "worker_ref",
            format!("{worker_ref} with {person_ref}"),
            existing.as_ref(),
            &parsed,
        ) {
            self.world.relationships.insert(key, parsed.clone());
            self.new.relationships.push(parsed);
        }
    }

    fn require_worker(&self, row: &mut Row, column: &str, worker_ref: Option<&str>) {
        if let Some(w) = worker_ref {
            if !self.world.workers.contains_key(w) {
                row.error(column, format!("no worker {w} (workers.csv)"));
            }
        }
    }

    fn require_person(&self, row: &mut Row, column: &str, person_ref: Option<&str>) {
        if let Some(p) = person_ref {
            if !self.world.people.contains_key(p) {
                row.error(column, format!("no person {p} (people.csv)"));
            }
        }
    }

    fn visit(&mut self, row: &mut Row) {
        let visit_ref = row.reference("visit_ref");
        let agreement_ref = row.reference("agreement_ref");
        let outcome_ref = row.reference("outcome_ref");
        let planned_start = row.planned_instant("planned_start");
        let planned_end = row.planned_instant("planned_end");
        let workers_required = row.integer("workers_required", 1);
        let worker_refs = row.reference_list("worker_refs");
        let cancelled_at = row.opt_instant("cancelled_at");
        let cancelled_by = row.opt_word("cancelled_by", CancelledBy::WORDS, CancelledBy::parse);
        if cancelled_at.is_some() != cancelled_by.is_some() && row.is_ok() {
            let missing = if cancelled_at.is_none() {
                "cancelled_at"
            } else {
                "cancelled_by"
            };
            row.error(
                missing,
                "cancelled_at and cancelled_by are given together, or both left empty",
            );
        }
        let agreement = agreement_ref.as_ref().and_then(|a| {
            let found = self.world.agreements.get(a).cloned();
            if found.is_none() {
                row.error(
                    "agreement_ref",
                    format!("no agreement {a} (agreements.csv)"),
                );
            }
            found
        });
        if let (Some(start), Some(end)) = (planned_start, planned_end) {
            if end <= start {
                row.error("planned_end", "must be after planned_start");
            }
        }
        let mut outcome = None;
        if let (Some(agreement), Some(start)) = (&agreement, planned_start) {
            let date = local_date(start);
            if !agreement.is_live_on(date) {
                row.error(
                    "planned_start",
                    format!(
                        "{date} is outside agreement {} ({} to {})",
                        agreement.agreement_ref,
                        agreement.start_date,
                        agreement
                            .end_date
                            .map_or("open-ended".into(), |d| d.to_string())
                    ),
                );
            } else if let Some(o) = &outcome_ref {
                outcome = self
                    .plan_of(&agreement.agreement_ref)
                    .outcome_on(o, date)
                    .cloned();
                if outcome.is_none() {
                    row.error(
                        "outcome_ref",
                        format!(
                            "{o} is not an outcome of the plan in force on {date} for {}",
                            agreement.agreement_ref
                        ),
                    );
                }
            }
        }
        if let (Some(o), Some(start), Some(end)) = (&outcome, planned_start, planned_end) {
            if end > start
                && elapsed_minutes(start, end) < SHORT_VISIT_MINUTES
                && !o.short_visits_agreed
            {
                row.error("planned_end", format!("a visit under {SHORT_VISIT_MINUTES} minutes needs short_visits_agreed on outcome {} (NICE QS123)", o.outcome_ref));
            }
            let date = local_date(start);
            let rate = self
                .world
                .stream(&o.agreement_ref, &o.stream_ref)
                .and_then(|s| self.world.rates.get(&s.commissioner_ref))
                .and_then(|rates| rate_in_force(rates, o.support_type, date));
            if rate.is_none() {
                row.error(
                    "planned_start",
                    format!(
                        "no {} rate is in force on {date} for the commissioner of stream {}",
                        o.support_type, o.stream_ref
                    ),
                );
            }
        }
        if let (Some(workers), Some(required)) = (&worker_refs, workers_required) {
            let distinct: HashSet<&String> = workers.iter().collect();
            if distinct.len() != workers.len() {
                row.error("worker_refs", "names a worker twice");
            }
            if workers.len() as i64 > required {
                row.error(
                    "worker_refs",
                    format!(
                        "names {} workers for a visit that requires {required}",
                        workers.len()
                    ),
                );
            }
            for w in workers {
                let Some(worker) = self.world.workers.get(w) else {
                    row.error("worker_refs", format!("no worker {w} (workers.csv)"));
                    continue;
                };
                if let (Some(start), Some(agreement)) = (planned_start, &agreement) {
                    if let Err(why) = dbs_clearance(worker, local_date(start)) {
                        row.error("worker_refs", format!("{w} may not be rostered: {why}"));
                    }
                    if let Some(rel) = self
                        .world
                        .relationships
                        .get(&(w.clone(), agreement.person_ref.clone()))
                    {
                        if is_restricted(rel) {
                            row.error(
                                "worker_refs",
                                format!(
                                    "{w} may not be rostered for {}: {}",
                                    agreement.person_ref,
                                    crate::domain::roster::Ineligible::RestrictedRelative(
                                        rel.relationship
                                    )
                                ),
                            );
                        }
                    }
                }
            }
        }
        let (
            Some(visit_ref),
            Some(agreement_ref),
            Some(outcome_ref),
            Some(planned_start),
            Some(planned_end),
            Some(workers_required),
            Some(worker_refs),
        ) = (
            visit_ref,
            agreement_ref,
            outcome_ref,
            planned_start,
            planned_end,
            workers_required,
            worker_refs,
        )
        else {
            return;
        };
        let cancellation = cancelled_at
            .zip(cancelled_by)
            .map(|(at, by)| Cancellation { at, by });
        let parsed = Visit {
            visit_ref: visit_ref.clone(),
            agreement_ref,
            outcome_ref,
            planned_start,
            planned_end,
            workers_required,
            worker_refs,
            cancellation,
        };
        let existing = self.world.visits.get(&visit_ref).cloned();
        if existing.is_none() && parsed.cancellation.is_none() && row.is_ok() {
            let timeline = self.worker_timeline();
            for w in &parsed.worker_refs {
                let clash = timeline.get(w).and_then(|spans| {
                    spans.iter().find(|(s, e, v)| {
                        *s < parsed.planned_end && parsed.planned_start < *e && v != &visit_ref
                    })
                });
                if let Some((_, _, other)) = clash {
                    row.error(
                        "worker_refs",
                        format!("{w} is already on visit {other} at an overlapping time"),
                    );
                }
            }
        }
        if let Verdict::New = self.verdict(
            row,
            "visit_ref",
            visit_ref.clone(),
            existing.as_ref(),
            &parsed,
        ) {
            if parsed.cancellation.is_none() {
                let timeline = self.worker_timeline();
                for w in &parsed.worker_refs {
                    timeline.entry(w.clone()).or_default().push((
                        parsed.planned_start,
                        parsed.planned_end,
                        visit_ref.clone(),
                    ));
                }
            }
            self.world.visits.insert(visit_ref, parsed.clone());
            self.new.visits.push(parsed);
        }
    }
}

impl Checker<'_> {
    fn worker_timeline(&mut self) -> &mut WorkerTimeline {
        let world = &*self.world;
        self.timeline.get_or_insert_with(|| {
            let mut timeline = WorkerTimeline::default();
            for v in world.visits.values().filter(|v| v.cancellation.is_none()) {
                for w in &v.worker_refs {
                    timeline.entry(w.clone()).or_default().push((
                        v.planned_start,
                        v.planned_end,
                        v.visit_ref.clone(),
                    ));
                }
            }
            timeline
        })
    }

    fn plan_of(&mut self, agreement_ref: &str) -> &Plan {
        let world = &*self.world;
        self.plans
            .entry(agreement_ref.to_owned())
            .or_insert_with(|| world.plan(agreement_ref))
    }

    fn attendance(&mut self, row: &mut Row) {
        let attendance_ref = row.reference("attendance_ref");
        let visit_ref = row.opt_reference("visit_ref");
        let person_ref = row.reference("person_ref");
        let worker_ref = row.reference("worker_ref");
        let check_in = row.instant("check_in");
        let check_out = row.instant("check_out");
        let method = row.word("method", AttendanceMethod::WORDS, AttendanceMethod::parse);
        let location_verified = row.boolean("location_verified");
        self.require_person(row, "person_ref", person_ref.as_deref());
        self.require_worker(row, "worker_ref", worker_ref.as_deref());
        if let (Some(i), Some(o)) = (check_in, check_out) {
            if o < i {
                row.error("check_out", "is before check_in");
            }
        }
        let (
            Some(attendance_ref),
            Some(person_ref),
            Some(worker_ref),
            Some(check_in),
            Some(check_out),
            Some(method),
            Some(location_verified),
        ) = (
            attendance_ref,
            person_ref,
            worker_ref,
            check_in,
            check_out,
            method,
            location_verified,
        )
        else {
            return;
        };
        let existing = self.world.attendances.get(&attendance_ref).cloned();
        match &visit_ref {
            Some(v) => match self.world.visits.get(v) {
                None => row.error("visit_ref", format!("no visit {v} (visits.csv)")),
                Some(visit) => {
                    let visit_person = self
                        .world
                        .agreements
                        .get(&visit.agreement_ref)
                        .map(|a| a.person_ref.clone());
                    if visit_person.as_deref() != Some(person_ref.as_str()) {
                        row.error(
                            "person_ref",
                            format!(
                                "{person_ref} is not the person of visit {v} ({})",
                                visit_person.unwrap_or_default()
                            ),
                        );
                    }
                    if existing.is_none() {
                        let required = visit.workers_required;
                        let world = &*self.world;
                        let index = self.visit_attendances.get_or_insert_with(|| {
                            let mut index: HashMap<String, Vec<String>> = HashMap::default();
                            for a in world.attendances.values() {
                                if let Some(v) = &a.visit_ref {
                                    index
                                        .entry(v.clone())
                                        .or_default()
                                        .push(a.worker_ref.clone());
                                }
                            }
                            index
                        });
                        let workers = index.get(v).map(Vec::as_slice).unwrap_or(&[]);
                        if workers.contains(&worker_ref) {
                            row.error("worker_ref", format!("{worker_ref} already has an attendance on visit {v}: one attendance per worker"));
                        } else if workers.len() as i64 >= required {
                            row.error("visit_ref", format!("visit {v} already has {} attendances for {required} required workers", workers.len()));
                        }
                    }
                }
            },
            None => {
                let date = local_date(check_in);
                if self.world.live_agreement_of(&person_ref, date).is_none() {
                    row.error("visit_ref", format!("an unplanned attendance on {date}, when {person_ref} has no live agreement"));
                }
            }
        }
        let parsed = Attendance {
            attendance_ref: attendance_ref.clone(),
            visit_ref,
            person_ref,
            worker_ref,
            check_in,
            check_out,
            method,
            location_verified,
        };
        if let Verdict::New = self.verdict(
            row,
            "attendance_ref",
            attendance_ref.clone(),
            existing.as_ref(),
            &parsed,
        ) {
            if let (Some(v), Some(index)) = (&parsed.visit_ref, self.visit_attendances.as_mut()) {
                index
                    .entry(v.clone())
                    .or_default()
                    .push(parsed.worker_ref.clone());
            }
            self.world
                .attendances
                .insert(attendance_ref, parsed.clone());
            self.new.attendances.push(parsed);
        }
    }

    /// The agreement named in `column`, recording an error when it is unknown.
    fn agreement_of(&self, row: &mut Row, agreement_ref: Option<&str>) -> Option<Agreement> {
        let a = agreement_ref?;
        let found = self.world.agreements.get(a).cloned();
        if found.is_none() {
            row.error(
                "agreement_ref",
                format!("no agreement {a} (agreements.csv)"),
            );
        }
        found
    }

    fn require_stream(
        &self,
        row: &mut Row,
        agreement: Option<&Agreement>,
        stream_ref: Option<&str>,
    ) {
        if let (Some(a), Some(s)) = (agreement, stream_ref) {
            if self.world.stream(&a.agreement_ref, s).is_none() {
                row.error(
                    "stream_ref",
                    format!(
                        "agreement {} has no stream {s} (streams.csv)",
                        a.agreement_ref
                    ),
                );
            }
        }
    }

    fn receipt(&mut self, row: &mut Row) {
        let receipt_ref = row.reference("receipt_ref");
        let received_on = row.date("received_on");
        let payer = row.word("payer", Payer::WORDS, Payer::parse);
        let agreement_ref = row.reference("agreement_ref");
        let stream_ref = match payer {
            Some(Payer::Person) => row.opt_reference("stream_ref"),
            _ => row.reference("stream_ref"),
        };
        let amount = row.positive_money("amount");
        let agreement = self.agreement_of(row, agreement_ref.as_deref());
        self.require_stream(row, agreement.as_ref(), stream_ref.as_deref());
        let mut resolved_stream = stream_ref.clone();
        if let (Some(a), Some(Payer::Person)) = (&agreement, payer) {
            let primary = self
                .world
                .primary_stream(&a.agreement_ref)
                .map(|s| s.stream_ref.clone());
            if a.contribution_mode != ContributionMode::Net {
                row.error(
                    "payer",
                    format!(
                        "agreement {} is {}: the person pays no contribution to the provider",
                        a.agreement_ref, a.contribution_mode
                    ),
                );
            } else if stream_ref.is_some() && stream_ref != primary {
                row.error(
                    "stream_ref",
                    format!(
                        "a person's receipt is credited to the primary stream {}",
                        primary.clone().unwrap_or_default()
                    ),
                );
            }
            resolved_stream = primary;
        }
        let (
            Some(receipt_ref),
            Some(received_on),
            Some(payer),
            Some(agreement_ref),
            Some(stream_ref),
            Some(amount),
        ) = (
            receipt_ref,
            received_on,
            payer,
            agreement_ref,
            resolved_stream,
            amount,
        )
        else {
            return;
        };
        let parsed = Receipt {
            receipt_ref: receipt_ref.clone(),
            received_on,
            payer,
            agreement_ref,
            stream_ref,
            amount,
        };
        let existing = self.world.receipts.get(&receipt_ref).cloned();
        if let Verdict::New = self.verdict(
            row,
            "receipt_ref",
            receipt_ref.clone(),
            existing.as_ref(),
            &parsed,
        ) {
            self.world.receipts.insert(receipt_ref, parsed.clone());
            self.new.receipts.push(parsed);
        }
    }

    fn purchase(&mut self, row: &mut Row) {
        let purchase_ref = row.reference("purchase_ref");
        let paid_on = row.date("paid_on");
        let agreement_ref = row.reference("agreement_ref");
        let outcome_ref = row.reference("outcome_ref");
        let category = row.reference("category");
        let description = row.opt_text("description");
        let supplier = row.opt_text("supplier");
        let amount = row.positive_money("amount");
        if let Some(c) = &category {
            if is_prohibited_category(c) {
                row.error(
                    "category",
                    format!(
                        "{c} is a prohibited purchase: an ISF never pays for {}",
                        PROHIBITED_PURCHASE_CATEGORIES.join(", ")
                    ),
                );
            }
        }
        let agreement = self.agreement_of(row, agreement_ref.as_deref());
        let mut stream_ref = None;
        if let (Some(a), Some(o), Some(date)) = (&agreement, &outcome_ref, paid_on) {
            match self.plan_of(&a.agreement_ref).outcome_on(o, date) {
                Some(outcome) => stream_ref = Some(outcome.stream_ref.clone()),
                None => row.error(
                    "outcome_ref",
                    format!(
                        "{o} is not an outcome of the plan in force on {date} for {}",
                        a.agreement_ref
                    ),
                ),
            }
        }
        let (
            Some(purchase_ref),
            Some(paid_on),
            Some(agreement_ref),
            Some(outcome_ref),
            Some(stream_ref),
            Some(category),
            Some(amount),
        ) = (
            purchase_ref,
            paid_on,
            agreement_ref,
            outcome_ref,
            stream_ref,
            category,
            amount,
        )
        else {
            return;
        };
        let parsed = Purchase {
            purchase_ref: purchase_ref.clone(),
            paid_on,
            agreement_ref,
            outcome_ref,
            stream_ref,
            category,
            description,
            supplier,
            amount,
        };
        let existing = self.world.purchases.get(&purchase_ref).cloned();
        if let Verdict::New = self.verdict(
            row,
            "purchase_ref",
            purchase_ref.clone(),
            existing.as_ref(),
            &parsed,
        ) {
            self.world.purchases.insert(purchase_ref, parsed.clone());
            self.new.purchases.push(parsed);
        }
    }

    fn repayment(&mut self, row: &mut Row) {
        let repayment_ref = row.reference("repayment_ref");
        let paid_on = row.date("paid_on");
        let agreement_ref = row.reference("agreement_ref");
        let stream_ref = row.reference("stream_ref");
        let payee = row.word("payee", Payer::WORDS, Payer::parse);
        let amount = row.positive_money("amount");
        let agreement = self.agreement_of(row, agreement_ref.as_deref());
        self.require_stream(row, agreement.as_ref(), stream_ref.as_deref());
        let (
            Some(repayment_ref),
            Some(paid_on),
            Some(agreement_ref),
            Some(stream_ref),
            Some(payee),
            Some(amount),
        ) = (
            repayment_ref,
            paid_on,
            agreement_ref,
            stream_ref,
            payee,
            amount,
        )
        else {
            return;
        };
        let parsed = Repayment {
            repayment_ref: repayment_ref.clone(),
            paid_on,
            agreement_ref,
            stream_ref,
            payee,
            amount,
        };
        let existing = self.world.repayments.get(&repayment_ref).cloned();
        if let Verdict::New = self.verdict(
            row,
            "repayment_ref",
            repayment_ref.clone(),
            existing.as_ref(),
            &parsed,
        ) {
            self.world.repayments.insert(repayment_ref, parsed.clone());
            self.new.repayments.push(parsed);
        }
    }

    fn earmark(&mut self, row: &mut Row) {
        let earmark_ref = row.reference("earmark_ref");
        let agreement_ref = row.reference("agreement_ref");
        let stream_ref = row.reference("stream_ref");
        let purpose = row.text("purpose");
        let amount = row.positive_money("amount");
        let created_on = row.date("created_on");
        let expires_on = row.date("expires_on");
        let agreement = self.agreement_of(row, agreement_ref.as_deref());
        self.require_stream(row, agreement.as_ref(), stream_ref.as_deref());
        if let (Some(c), Some(e)) = (created_on, expires_on) {
            if e < c {
                row.error("expires_on", format!("{e} is before created_on {c}"));
            }
        }
        let (
            Some(earmark_ref),
            Some(agreement_ref),
            Some(stream_ref),
            Some(purpose),
            Some(amount),
            Some(created_on),
            Some(expires_on),
        ) = (
            earmark_ref,
            agreement_ref,
            stream_ref,
            purpose,
            amount,
            created_on,
            expires_on,
        )
        else {
            return;
        };
        let parsed = Earmark {
            earmark_ref: earmark_ref.clone(),
            agreement_ref,
            stream_ref,
            purpose,
            amount,
            created_on,
            expires_on,
        };
        let existing = self.world.earmarks.get(&earmark_ref).cloned();
        if let Verdict::New = self.verdict(
            row,
            "earmark_ref",
            earmark_ref.clone(),
            existing.as_ref(),
            &parsed,
        ) {
            self.world.earmarks.insert(earmark_ref, parsed.clone());
            self.new.earmarks.push(parsed);
        }
    }
}

/// Names the fields whose values differ between two `Debug` renderings of the same struct.
fn differing_fields(old: &str, new: &str) -> String {
    let fields = |s: &str| -> Vec<(String, String)> {
        let inner = s
            .find('{')
            .map_or(s, |i| &s[i + 1..s.len().saturating_sub(1)]);
        let mut out = Vec::new();
        let (mut depth, mut in_quotes, mut escaped, mut start) = (0i32, false, false, 0usize);
        let bytes = inner.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            if in_quotes {
                match (escaped, b) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_quotes = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => in_quotes = true,
                b'{' | b'(' | b'[' => depth += 1,
                b'}' | b')' | b']' => depth -= 1,
                b',' if depth == 0 => {
                    out.push(inner[start..i].trim().to_owned());
                    start = i + 1;
                }
                _ => {}
            }
        }
        out.push(inner[start..].trim().to_owned());
        out.into_iter()
            .filter_map(|f| {
                f.split_once(": ")
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
            })
            .collect()
    };
    let (old, new) = (fields(old), fields(new));
    let diffs: Vec<String> = old
        .iter()
        .zip(new.iter())
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, b)| format!("{} was {}, now {}", a.0, a.1, b.1))
        .collect();
    if diffs.is_empty() {
        "other content".to_owned()
    } else {
        diffs.join("; ")
    }
}

/// Why an import did not apply.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the import was rejected: {} problem(s); nothing was changed", .0.len())]
    Rejected(Vec<RowError>),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

/// The ledger transactions that new receipts, purchases and repayments bring.
pub fn money_transactions(new: &NewRows) -> Vec<crate::domain::ledger::Transaction> {
    use crate::domain::ledger::{Account, Entry, Transaction, TransactionKind};
    let mut out = Vec::new();
    let mut push = |subject: String, agreement_ref: &str, description: String, entry: Entry| {
        out.push(Transaction {
            id: 0,
            key: subject.clone(),
            agreement_ref: agreement_ref.to_owned(),
            subject,
            reverses: None,
            description,
            entry,
            lines: Vec::new(),
        })
    };
    for r in &new.receipts {
        let fund = Account::fund(&r.agreement_ref, &r.stream_ref);
        push(
            format!("receipt:{}", r.receipt_ref),
            &r.agreement_ref,
            format!("Receipt {} from the {}", r.receipt_ref, r.payer),
            Entry::receipt(r.received_on, fund, r.amount),
        );
    }
    for p in &new.purchases {
        let fund = Account::fund(&p.agreement_ref, &p.stream_ref);
        let what = match (&p.description, &p.supplier) {
            (Some(d), Some(s)) => format!("{d} ({s})"),
            (Some(d), None) => d.clone(),
            (None, Some(s)) => format!("{} from {s}", p.category),
            (None, None) => p.category.clone(),
        };
        push(
            format!("purchase:{}", p.purchase_ref),
            &p.agreement_ref,
            what,
            Entry::spend(
                TransactionKind::Purchase,
                p.paid_on,
                fund,
                Account::ClientBank,
                p.amount,
            ),
        );
    }
    for r in &new.repayments {
        let fund = Account::fund(&r.agreement_ref, &r.stream_ref);
        push(
            format!("repayment:{}", r.repayment_ref),
            &r.agreement_ref,
            format!("Paid back to {}", r.payee),
            Entry::spend(
                TransactionKind::Repayment,
                r.paid_on,
                fund,
                Account::ClientBank,
                r.amount,
            ),
        );
    }
    out
}

/// Held while an import checks and writes: imports run one at a time in the process, so two never
/// check against the same held records and then both write.
pub(crate) static IMPORTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Imports `files` all or nothing.
pub async fn import_files(
    db: &sea_orm::DatabaseConnection,
    files: &[(FileKind, Vec<u8>)],
    now: Instant,
) -> Result<Vec<FileSummary>, ImportError> {
    let _turn = IMPORTING.lock().await;
    let clock = std::time::Instant::now();
    let mut world = crate::db::load_world(db).await?;
    tracing::debug!(elapsed = ?clock.elapsed(), "world loaded");
    let (new, summaries) = check_files(&mut world, files).map_err(ImportError::Rejected)?;
    tracing::debug!(elapsed = ?clock.elapsed(), "files checked");
    // The write needs only the new rows: free the records first, so that the memory the write
    // takes is reused rather than fresh from the kernel.
    drop(world);
    if new.count() > 0 {
        let transactions = money_transactions(&new);
        crate::db::write_import_owned(db, new, transactions, now, Vec::new()).await?;
        tracing::debug!(elapsed = ?clock.elapsed(), "rows written");
    }
    Ok(summaries)
}

/// Why an upload was not imported.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("your role ({0}) may not import records")]
    Forbidden(String),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("the import was applied, but reconciling it failed: {0}")]
    Reconcile(#[from] super::reconcile::ReconcileError),
}

/// Imports files a signed-in person uploaded: all or nothing, as `isf import`; then reconciles
/// through `today` so that balances and exceptions include what arrived, and records who did it.
pub async fn import_upload(
    db: &sea_orm::DatabaseConnection,
    viewer: &crate::domain::access::Principal,
    files: &[(FileKind, Vec<u8>)],
    today: chrono::NaiveDate,
    now: Instant,
) -> Result<Vec<FileSummary>, UploadError> {
    if viewer
        .may(crate::domain::access::Action::ImportRecords)
        .is_err()
    {
        return Err(UploadError::Forbidden(viewer.role.word().to_owned()));
    }
    let summaries = import_files(db, files, now).await?;
    let new_rows: usize = summaries.iter().map(|s| s.new_rows).sum();
    if new_rows > 0 {
        super::reconcile::reconcile(db, today, now).await?;
    }
    let names: Vec<&str> = summaries.iter().map(|s| s.file.as_str()).collect();
    crate::db::accounts::append_audit(
        db,
        now,
        &viewer.username,
        "records.imported",
        &format!("files:{}", names.join(",")),
        &format!("{new_rows} new rows"),
    )
    .await
    .map_err(ImportError::Db)?;
    Ok(summaries)
}
