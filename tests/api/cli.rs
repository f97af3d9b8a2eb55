//! The command line, as a provider's finance officer or a script drives it.
//!
//! Most tests here spoil one copy of the acceptance scenario `basic` (one line appended, one header
//! replaced) and check that `isf import` names the problem as `FILE:LINE: COLUMN:`, exits 1 and
//! changes nothing; the rest check the behaviour of repeated imports and reconciliations.
use crate::helpers::*;
use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_acceptance_scenario_imports_and_reconciles() {
    let db = TestDb::new();
    let input = shared_dir().join("acceptance/basic/input");
    db.isf_ok(&["import", input.to_str().unwrap()]);
    db.isf_ok(&["reconcile", "--through", "2026-04-30"]);
    let out = db.isf_ok(&[
        "return",
        "--commissioner",
        "NCC",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
    ]);
    assert!(out.contains("NCC,MOS-104233,P-ANN,AG-ANN,ASC,2026-03-01,2026-03-31,420.00,25.57,14.12,0.00,3080.00,140.00,314.02"), "{out}");
}

#[test]
fn the_database_refuses_to_update_or_delete_a_posting() {
    let db = TestDb::new();
    let input = shared_dir().join("acceptance/basic/input");
    db.isf_ok(&["import", input.to_str().unwrap()]);
    for statement in [
        "UPDATE ledger_postings SET amount_pence = amount_pence + 1",
        "DELETE FROM ledger_postings",
        "UPDATE ledger_transactions SET description = 'edited'",
        "DELETE FROM ledger_transactions",
    ] {
        let result = db.sql(statement);
        assert!(result.is_err(), "{statement} was allowed: {result:?}");
        assert!(result.unwrap_err().contains("append-only"), "{statement}");
    }
}

// ---------------------------------------------------------------------------------------------
// The harness for spoiled input.

/// The hand-checked input of the acceptance scenario `basic`.
fn basic_input() -> PathBuf {
    shared_dir().join("acceptance/basic/input")
}

/// A copy of the basic scenario's input in the test's own folder (`db.dir/in`), for a test to spoil.
/// The basic files use LF line endings, end with a newline and hold no multi-line records, so a
/// file's line count is its last line's number.
struct Input {
    dir: PathBuf,
}

impl Input {
    fn basic(db: &TestDb) -> Input {
        let dir = db.dir.join("in");
        std::fs::create_dir_all(&dir).expect("creating the input folder");
        for entry in std::fs::read_dir(basic_input()).expect("reading the basic input") {
            let entry = entry.expect("listing the basic input");
            std::fs::copy(entry.path(), dir.join(entry.file_name())).expect("copying an input");
        }
        Input { dir }
    }

    /// The folder, as `isf import` takes it.
    fn path(&self) -> &str {
        self.dir.to_str().expect("a UTF-8 temporary path")
    }

    /// One file of the folder, as `isf import` takes it.
    fn file(&self, name: &str) -> String {
        self.dir
            .join(name)
            .to_str()
            .expect("a UTF-8 path")
            .to_owned()
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).expect("reading an input file")
    }

    fn write(&self, name: &str, content: &str) {
        std::fs::write(self.dir.join(name), content).expect("writing an input file");
    }

    /// Appends `line` to `file`.
    fn append(&self, file: &str, line: &str) {
        let mut content = self.read(file);
        assert!(content.ends_with('\n'), "{file} ends without a newline");
        content.push_str(line);
        content.push('\n');
        self.write(file, &content);
    }

    /// Replaces the header (line 1) of `file`.
    fn replace_header(&self, file: &str, header: &str) {
        let content = self.read(file);
        let (_, rows) = content.split_once('\n').expect("a header line");
        self.write(file, &format!("{header}\n{rows}"));
    }

    /// Replaces the one occurrence of `from` in `file` by `to`.
    fn replace(&self, file: &str, from: &str, to: &str) {
        let content = self.read(file);
        assert_eq!(
            content.matches(from).count(),
            1,
            "{from:?} should occur once in {file}"
        );
        self.write(file, &content.replacen(from, to, 1));
    }

    /// Rewrites every line of `file` (the header included) through `edit`.
    fn edit_lines(&self, file: &str, edit: impl Fn(&str) -> String) {
        let content: String = self
            .read(file)
            .lines()
            .map(|line| edit(line) + "\n")
            .collect();
        self.write(file, &content);
    }
}

/// What a finance officer and an auditor see: NCC's return for March–April (or its refusal, on a
/// database that holds no NCC) and the whole journal.
fn books(db: &TestDb) -> String {
    let ret = db.isf(&[
        "return",
        "--commissioner",
        "NCC",
        "--from",
        "2026-03-01",
        "--to",
        "2026-04-30",
    ]);
    let journal = db.isf_ok(&["export-ledger", "--format", "journal"]);
    format!(
        "return (exit {:?}):\n{}{}\njournal:\n{journal}",
        ret.status.code(),
        text(&ret.stdout),
        text(&ret.stderr)
    )
}

/// The `FILE:LINE: COLUMN` of every problem line an import wrote to standard error.
fn problem_locations(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| !l.starts_with("import rejected:"))
        .map(|l| {
            let mut parts = l.splitn(3, ": ");
            match (parts.next(), parts.next(), parts.next()) {
                (Some(at), Some(column), Some(_reason)) => format!("{at}: {column}"),
                _ => l.to_owned(),
            }
        })
        .collect()
}

/// Imports `path` and insists it is rejected with exit status 1 and exactly the problems located at
/// `expected` (`FILE:LINE: COLUMN`, in any order), and that neither the return nor the journal
/// changed. Returns standard error, for tests that also read the reasons.
fn assert_rejected(db: &TestDb, path: &str, expected: &[&str]) -> String {
    let before = books(db);
    let out = db.isf(&["import", path]);
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the import should be rejected with exit 1\nstdout:\n{}\nstderr:\n{stderr}",
        text(&out.stdout)
    );
    let mut found = problem_locations(&stderr);
    found.sort();
    let mut wanted: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    wanted.sort();
    assert_eq!(found, wanted, "stderr:\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "import rejected: {} problem(s); nothing was changed",
            expected.len()
        )),
        "stderr:\n{stderr}"
    );
    assert_eq!(books(db), before, "a rejected import changed the books");
    stderr
}

/// A fresh database and a copy of the basic input to spoil.
fn fresh() -> (TestDb, Input) {
    let db = TestDb::new();
    let input = Input::basic(&db);
    (db, input)
}

/// A fresh database that already holds the basic scenario, and a copy of its input to spoil.
fn holding_basic() -> (TestDb, Input) {
    let (db, input) = fresh();
    db.isf_ok(&["import", input.path()]);
    (db, input)
}

/// A CSV output read into rows of column → cell.
fn csv_rows(csv_text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("a CSV header")
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.expect("a CSV record");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

/// `hledger -f JOURNAL check --strict ordereddates` must accept `journal`; skipped (with a note)
/// when hledger is not installed.
fn assert_hledger_accepts(db: &TestDb, journal: &str) {
    let file = db.dir.join("ledger.journal");
    std::fs::write(&file, journal).expect("writing the journal");
    match Command::new("hledger")
        .arg("-f")
        .arg(&file)
        .args(["check", "--strict", "ordereddates"])
        .output()
    {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("hledger is not on PATH: the journal check is skipped");
        }
        Err(e) => panic!("running hledger: {e}"),
        Ok(out) => assert!(
            out.status.success(),
            "hledger refused the journal:\n{}\n{journal}",
            text(&out.stderr)
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// The shape of a file.

#[test]
fn an_unknown_column_is_rejected_on_the_header_line() {
    let (db, input) = fresh();
    input.edit_lines("visits.csv", |line| {
        if line.starts_with("visit_ref,") {
            format!("{line},notes")
        } else {
            format!("{line},")
        }
    });
    let stderr = assert_rejected(&db, input.path(), &["visits.csv:1: notes"]);
    assert!(stderr.contains("unknown column"), "{stderr}");
}

#[test]
fn a_missing_column_is_rejected_on_the_header_line() {
    let (db, input) = fresh();
    input.edit_lines("attendances.csv", |line| {
        let (kept, _last) = line.rsplit_once(',').expect("a comma");
        kept.to_owned()
    });
    assert!(!input.read("attendances.csv").contains("location_verified"));
    assert_rejected(&db, input.path(), &["attendances.csv:1: location_verified"]);
}

#[test]
fn a_misspelt_column_is_reported_as_unknown_and_the_real_one_as_missing() {
    let (db, input) = fresh();
    input.replace_header(
        "visits.csv",
        "visit_ref,agreement_ref,outcome_ref,planned_start,planned_end,workers_required,worker_refs,cancelled_at,canceled_by",
    );
    assert_rejected(
        &db,
        input.path(),
        &["visits.csv:1: canceled_by", "visits.csv:1: cancelled_by"],
    );
}

#[test]
fn a_row_with_an_extra_field_is_rejected_naming_that_field() {
    let (db, input) = fresh();
    input.append(
        "receipts.csv",
        "R-901,2026-04-01,commissioner,AG-ANN,ASC,10.00,oops",
    );
    assert_rejected(&db, input.path(), &["receipts.csv:13: field 7"]);
}

#[test]
fn a_short_row_is_rejected_naming_its_first_missing_column() {
    let (db, input) = fresh();
    input.append("receipts.csv", "R-901,2026-04-01,commissioner");
    assert_rejected(&db, input.path(), &["receipts.csv:13: agreement_ref"]);
}

// ---------------------------------------------------------------------------------------------
// Cells.

#[test]
fn a_malformed_date_is_rejected_with_its_line_and_column() {
    let (db, input) = fresh();
    input.append("receipts.csv", "R-901,31/03/2026,person,AG-ANN,ASC,35.00");
    input.append("receipts.csv", "R-902,2026-3-31,person,AG-ANN,ASC,35.00");
    input.append("receipts.csv", "R-903,2026-02-30,person,AG-ANN,ASC,35.00");
    assert_rejected(
        &db,
        input.path(),
        &[
            "receipts.csv:13: received_on",
            "receipts.csv:14: received_on",
            "receipts.csv:15: received_on",
        ],
    );
}

#[test]
fn a_local_time_in_the_spring_gap_is_rejected_but_the_same_time_with_an_offset_is_exact() {
    let (db, input) = fresh();
    input.append(
        "visits.csv",
        "V-X01,AG-ANN,O-WASH,2026-03-29T01:30,2026-03-29T03:00,1,W-DAN,,",
    );
    // 01:30 GMT is 02:30 BST: exact, and so accepted.
    input.append(
        "visits.csv",
        "V-X02,AG-ANN,O-WASH,2026-03-29T01:30+00:00,2026-03-29T03:00,1,W-JO,,",
    );
    let stderr = assert_rejected(&db, input.path(), &["visits.csv:48: planned_start"]);
    assert!(stderr.contains("2026-03-29T01:30"), "{stderr}");
}

#[test]
fn an_ambiguous_autumn_local_time_is_rejected_but_either_offset_is_exact() {
    let (db, input) = fresh();
    input.append(
        "attendances.csv",
        "AT-X01,,P-ANN,W-DAN,2026-10-25T01:30,2026-10-25T02:30,manual,false",
    );
    input.append(
        "attendances.csv",
        "AT-X02,,P-ANN,W-DAN,2026-10-25T01:30+01:00,2026-10-25T01:50+01:00,manual,false",
    );
    input.append(
        "attendances.csv",
        "AT-X03,,P-ANN,W-DAN,2026-10-25T01:30+00:00,2026-10-25T01:50Z,manual,false",
    );
    assert_rejected(&db, input.path(), &["attendances.csv:45: check_in"]);
}

#[test]
fn money_with_three_decimals_is_rejected() {
    let (db, input) = fresh();
    input.append("receipts.csv", "R-901,2026-03-30,person,AG-ANN,ASC,35.005");
    assert_rejected(&db, input.path(), &["receipts.csv:13: amount"]);
}

#[test]
fn money_with_a_symbol_a_thousands_separator_a_sign_or_a_bare_point_is_rejected() {
    let (db, input) = fresh();
    for (n, amount) in ["£35.00", "\"1,540.00\"", "+35.00", ".50", "35.", "1e3"]
        .iter()
        .enumerate()
    {
        input.append(
            "receipts.csv",
            &format!("R-91{n},2026-03-30,commissioner,AG-ANN,ASC,{amount}"),
        );
    }
    assert_rejected(
        &db,
        input.path(),
        &[
            "receipts.csv:13: amount",
            "receipts.csv:14: amount",
            "receipts.csv:15: amount",
            "receipts.csv:16: amount",
            "receipts.csv:17: amount",
            "receipts.csv:18: amount",
        ],
    );
}

#[test]
fn a_negative_repayment_is_rejected_with_its_line_and_column() {
    let (db, input) = fresh();
    input.append(
        "repayments.csv",
        "RP-901,2026-04-10,AG-ANN,ASC,commissioner,-50.00",
    );
    assert_rejected(&db, input.path(), &["repayments.csv:3: amount"]);
}

#[test]
fn a_receipt_of_zero_is_rejected() {
    let (db, input) = fresh();
    input.append(
        "receipts.csv",
        "R-901,2026-04-01,commissioner,AG-ANN,ASC,0.00",
    );
    input.append("receipts.csv", "R-902,2026-04-01,commissioner,AG-ANN,ASC,0");
    assert_rejected(
        &db,
        input.path(),
        &["receipts.csv:13: amount", "receipts.csv:14: amount"],
    );
}

#[test]
fn a_value_with_a_leading_or_trailing_space_is_rejected_while_free_text_keeps_its_spaces() {
    let (db, input) = fresh();
    input.append(
        "receipts.csv",
        "R-901,2026-04-01,commissioner, AG-ANN,ASC,10.00",
    );
    input.append(
        "receipts.csv",
        "R-902,2026-04-01,commissioner,AG-ANN,ASC,10.00 ",
    );
    input.append(
        "purchases.csv",
        "PU-901,2026-04-03,AG-ANN,O-GARDEN,equipment, Seed trays , Greenfingers Nursery,6.50",
    );
    assert_rejected(
        &db,
        input.path(),
        &["receipts.csv:13: agreement_ref", "receipts.csv:14: amount"],
    );
}

#[test]
fn an_unknown_enumeration_word_is_rejected() {
    let (db, input) = fresh();
    input.append("receipts.csv", "R-901,2026-04-01,council,AG-ANN,ASC,10.00");
    input.append("relationships.csv", "W-MIA,P-ANN,cousin,false,false");
    input.append(
        "outcomes.csv",
        "AG-ANN,2,O-NURSE,ASC,I want a nurse,nursing,1,false,\"Jas Patel, NCC\",2026-03-30",
    );
    let stderr = assert_rejected(
        &db,
        input.path(),
        &[
            "receipts.csv:13: payer",
            "relationships.csv:4: relationship",
            "outcomes.csv:13: support_type",
        ],
    );
    assert!(stderr.contains("council"), "{stderr}");
}

#[test]
fn a_ref_with_a_space_or_longer_than_40_characters_is_rejected() {
    let (db, input) = fresh();
    let forty = "R".repeat(40);
    let forty_one = "R".repeat(41);
    input.append(
        "receipts.csv",
        "R 901,2026-04-01,commissioner,AG-ANN,ASC,10.00",
    );
    input.append(
        "receipts.csv",
        &format!("{forty_one},2026-04-01,commissioner,AG-ANN,ASC,10.00"),
    );
    input.append(
        "receipts.csv",
        &format!("{forty},2026-04-01,commissioner,AG-ANN,ASC,10.00"),
    );
    assert_rejected(
        &db,
        input.path(),
        &[
            "receipts.csv:13: receipt_ref",
            "receipts.csv:14: receipt_ref",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// References between rows and files.

#[test]
fn a_visit_to_an_unknown_agreement_is_rejected() {
    let (db, input) = fresh();
    input.append(
        "visits.csv",
        "V-X01,AG-NOPE,O-WASH,2026-03-21T09:00,2026-03-21T10:00,1,W-DAN,,",
    );
    assert_rejected(&db, input.path(), &["visits.csv:48: agreement_ref"]);
}

#[test]
fn an_attendance_at_an_unknown_visit_is_rejected() {
    let (db, input) = fresh();
    input.append(
        "attendances.csv",
        "AT-X01,V-NOPE,P-ANN,W-DAN,2026-04-04T12:00,2026-04-04T13:00,manual,false",
    );
    assert_rejected(&db, input.path(), &["attendances.csv:45: visit_ref"]);
}

#[test]
fn a_stream_of_an_unknown_commissioner_is_rejected() {
    let (db, input) = fresh();
    input.append("streams.csv", "AG-ANN,CHC,ICB-XX,100.00,false");
    assert_rejected(&db, input.path(), &["streams.csv:6: commissioner_ref"]);
}

#[test]
fn an_agreement_ref_equal_to_an_existing_one_after_normalisation_is_rejected() {
    let (db, input) = holding_basic();
    input.append(
        "agreements.csv",
        "AG_ANN,P-CHI,2026-05-01,,none,,fixed,12.00,",
    );
    let stderr = assert_rejected(&db, input.path(), &["agreements.csv:5: agreement_ref"]);
    assert!(stderr.contains("AG-ANN"), "{stderr}");
}

#[test]
fn two_stream_refs_of_one_agreement_equal_after_normalisation_are_rejected() {
    let (db, input) = fresh();
    input.append("streams.csv", "AG-BOB,chc,ICB-NE,10.00,false");
    assert_rejected(&db, input.path(), &["streams.csv:6: stream_ref"]);
}

#[test]
fn a_ref_repeated_in_the_same_file_is_rejected_on_the_later_line() {
    let (db, input) = fresh();
    input.append("workers.csv", "W-DAN,Dan,Price,2024-06-10,true,false");
    let stderr = assert_rejected(&db, input.path(), &["workers.csv:12: worker_ref"]);
    assert!(stderr.contains("line 2"), "{stderr}");
}

#[test]
fn a_ref_reused_in_the_same_file_with_other_content_is_rejected_on_the_later_line() {
    let (db, input) = fresh();
    input.append(
        "receipts.csv",
        "R-006,2026-03-18,commissioner,AG-BOB,ASC,2400.00",
    );
    let stderr = assert_rejected(&db, input.path(), &["receipts.csv:13: receipt_ref"]);
    assert!(stderr.contains("line 7"), "{stderr}");
}

#[test]
fn a_row_imported_before_and_sent_again_with_other_content_is_rejected_not_edited() {
    let (db, input) = holding_basic();
    input.replace(
        "receipts.csv",
        "R-006,2026-03-18,commissioner,AG-BOB,ASC,2040.00",
        "R-006,2026-03-18,commissioner,AG-BOB,ASC,2400.00",
    );
    assert_rejected(&db, input.path(), &["receipts.csv:7: receipt_ref"]);
}

// ---------------------------------------------------------------------------------------------
// Rostering.

#[test]
fn a_worker_with_a_lapsed_dbs_may_not_be_rostered() {
    let (db, input) = fresh();
    input.append(
        "visits.csv",
        "V-X01,AG-ANN,O-WASH,2026-04-13T08:00,2026-04-13T09:00,1,W-EVE,,",
    );
    // W-GUS's DBS is from 2021 but on the update service.
    input.append(
        "visits.csv",
        "V-X02,AG-ANN,O-WASH,2026-04-13T10:00,2026-04-13T11:00,1,W-GUS,,",
    );
    let stderr = assert_rejected(&db, input.path(), &["visits.csv:48: worker_refs"]);
    assert!(stderr.contains("W-EVE"), "{stderr}");
}

#[test]
fn a_restricted_relative_may_not_be_rostered() {
    let (db, input) = fresh();
    input.append(
        "visits.csv",
        "V-X01,AG-CHI,O-MEDS,2026-04-07T12:00,2026-04-07T12:15,1,W-FAY,,",
    );
    let stderr = assert_rejected(&db, input.path(), &["visits.csv:48: worker_refs"]);
    assert!(stderr.contains("W-FAY"), "{stderr}");
}

#[test]
fn a_worker_may_not_be_in_two_overlapping_visits_but_touching_and_cancelled_ones_are_fine() {
    let (db, input) = fresh();
    // W-JO swims with Ann 13:00-16:00 on 24 Mar (V-A14).
    input.append(
        "visits.csv",
        "V-X01,AG-BOB,O-PUB,2026-03-24T15:00,2026-03-24T17:00,1,W-JO,,",
    );
    input.append(
        "visits.csv",
        "V-X02,AG-BOB,O-PUB,2026-03-24T11:00,2026-03-24T13:00,1,W-JO,,",
    );
    input.append(
        "visits.csv",
        "V-X03,AG-BOB,O-PUB,2026-03-24T14:00,2026-03-24T15:00,1,W-JO,2026-03-20T10:00,provider",
    );
    let stderr = assert_rejected(&db, input.path(), &["visits.csv:48: worker_refs"]);
    assert!(stderr.contains("V-A14"), "{stderr}");
}

#[test]
fn a_worker_may_not_be_rostered_over_a_visit_imported_before() {
    let (db, input) = holding_basic();
    input.append(
        "visits.csv",
        "V-X01,AG-BOB,O-PUB,2026-03-24T15:00,2026-03-24T17:00,1,W-JO,,",
    );
    assert_rejected(
        &db,
        &input.file("visits.csv"),
        &["visits.csv:48: worker_refs"],
    );
}

#[test]
fn a_visit_under_30_minutes_needs_short_visits_agreed_on_its_outcome() {
    let (db, input) = fresh();
    input.append(
        "visits.csv",
        "V-X01,AG-ANN,O-WASH,2026-04-13T08:00,2026-04-13T08:20,1,W-DAN,,",
    );
    input.append(
        "visits.csv",
        "V-X02,AG-ANN,O-WASH,2026-04-14T08:00,2026-04-14T08:30,1,W-DAN,,",
    );
    assert_rejected(&db, input.path(), &["visits.csv:48: planned_end"]);
}

#[test]
fn a_visit_outside_its_agreements_dates_is_rejected_by_its_local_date() {
    let (db, input) = fresh();
    // AG-CHI ends on 8 Apr; AG-BOB starts on 18 Mar.
    input.append(
        "visits.csv",
        "V-X01,AG-CHI,O-MEDS,2026-04-09T12:00,2026-04-09T12:15,1,W-MIA,,",
    );
    input.append(
        "visits.csv",
        "V-X02,AG-BOB,O-SHOP,2026-03-17T10:00,2026-03-17T11:30,1,W-KAT,,",
    );
    // 23:30 UTC on 8 Apr is 00:30 on 9 Apr in London.
    input.append(
        "visits.csv",
        "V-X03,AG-CHI,O-MEDS,2026-04-08T23:30:00+00:00,2026-04-08T23:45:00+00:00,1,W-MIA,,",
    );
    // The last day of the agreement is inside it.
    input.append(
        "visits.csv",
        "V-X04,AG-CHI,O-MEDS,2026-04-08T18:00,2026-04-08T18:15,1,W-MIA,,",
    );
    assert_rejected(
        &db,
        input.path(),
        &[
            "visits.csv:48: planned_start",
            "visits.csv:49: planned_start",
            "visits.csv:50: planned_start",
        ],
    );
}

#[test]
fn a_visit_must_name_an_outcome_of_the_plan_in_force_on_its_date() {
    let (db, input) = fresh();
    // O-GARDEN is only in plan version 2, approved 30 Mar; O-PUB is Bob's.
    input.append(
        "visits.csv",
        "V-X01,AG-ANN,O-GARDEN,2026-03-20T10:00,2026-03-20T11:00,1,W-JO,,",
    );
    input.append(
        "visits.csv",
        "V-X02,AG-ANN,O-GARDEN,2026-03-30T10:00,2026-03-30T11:00,1,W-JO,,",
    );
    input.append(
        "visits.csv",
        "V-X03,AG-ANN,O-PUB,2026-04-13T10:00,2026-04-13T11:00,1,W-JO,,",
    );
    assert_rejected(
        &db,
        input.path(),
        &["visits.csv:48: outcome_ref", "visits.csv:50: outcome_ref"],
    );
}

#[test]
fn a_visit_must_end_after_it_starts() {
    let (db, input) = fresh();
    input.append(
        "visits.csv",
        "V-X01,AG-ANN,O-WASH,2026-04-13T09:00,2026-04-13T08:00,1,W-DAN,,",
    );
    input.append(
        "visits.csv",
        "V-X02,AG-ANN,O-WASH,2026-04-14T08:00,2026-04-14T08:00,1,W-DAN,,",
    );
    assert_rejected(
        &db,
        input.path(),
        &["visits.csv:48: planned_end", "visits.csv:49: planned_end"],
    );
}

// ---------------------------------------------------------------------------------------------
// Attendances.

#[test]
fn a_check_out_before_the_check_in_is_rejected() {
    let (db, input) = fresh();
    input.append(
        "attendances.csv",
        "AT-X01,V-A05,P-ANN,W-DAN,2026-03-25T08:00,2026-03-25T07:00,ecm,true",
    );
    assert_rejected(&db, input.path(), &["attendances.csv:45: check_out"]);
}

#[test]
fn a_second_attendance_for_the_same_worker_on_a_visit_is_rejected() {
    let (db, input) = fresh();
    input.append(
        "attendances.csv",
        "AT-X01,V-B02,P-BOB,W-GUS,2026-03-23T08:00,2026-03-23T08:29,ecm,true",
    );
    assert_rejected(&db, input.path(), &["attendances.csv:45: worker_ref"]);
}

#[test]
fn a_second_attendance_for_the_same_worker_is_rejected_when_the_first_was_imported_before() {
    let (db, input) = holding_basic();
    input.append(
        "attendances.csv",
        "AT-X01,V-B02,P-BOB,W-GUS,2026-03-23T08:00,2026-03-23T08:29,ecm,true",
    );
    assert_rejected(
        &db,
        &input.file("attendances.csv"),
        &["attendances.csv:45: worker_ref"],
    );
}

#[test]
fn an_attendance_beyond_the_workers_a_visit_requires_is_rejected() {
    let (db, input) = fresh();
    input.append(
        "attendances.csv",
        "AT-X01,V-A01,P-ANN,W-JO,2026-03-16T08:00,2026-03-16T09:00,ecm,true",
    );
    assert_rejected(&db, input.path(), &["attendances.csv:45: visit_ref"]);
}

#[test]
fn an_attendance_for_someone_other_than_the_visits_person_is_rejected() {
    let (db, input) = fresh();
    input.append(
        "attendances.csv",
        "AT-X01,V-A05,P-BOB,W-DAN,2026-03-25T08:00,2026-03-25T09:00,ecm,true",
    );
    assert_rejected(&db, input.path(), &["attendances.csv:45: person_ref"]);
}

#[test]
fn an_unplanned_attendance_on_a_day_with_no_live_agreement_is_rejected() {
    let (db, input) = fresh();
    // AG-CHI ends on 8 Apr; AG-BOB starts on 18 Mar.
    input.append(
        "attendances.csv",
        "AT-X01,,P-CHI,W-MIA,2026-04-10T12:00,2026-04-10T12:15,manual,false",
    );
    input.append(
        "attendances.csv",
        "AT-X02,,P-CHI,W-MIA,2026-04-08T23:30:00+00:00,2026-04-08T23:45:00+00:00,manual,false",
    );
    input.append(
        "attendances.csv",
        "AT-X03,,P-BOB,W-KAT,2026-03-17T10:00,2026-03-17T11:00,manual,false",
    );
    input.append(
        "attendances.csv",
        "AT-X04,,P-CHI,W-MIA,2026-04-08T18:00,2026-04-08T18:15,manual,false",
    );
    assert_rejected(
        &db,
        input.path(),
        &[
            "attendances.csv:45: visit_ref",
            "attendances.csv:46: visit_ref",
            "attendances.csv:47: visit_ref",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Money and agreements.

#[test]
fn a_persons_receipt_on_a_gross_or_none_agreement_is_rejected() {
    let (db, input) = fresh();
    input.append("receipts.csv", "R-901,2026-04-01,person,AG-BOB,,35.00");
    input.append("receipts.csv", "R-902,2026-04-01,person,AG-CHI,,35.00");
    // Ann's agreement is net: her receipt goes to the primary stream, named or not.
    input.append("receipts.csv", "R-903,2026-04-01,person,AG-ANN,,35.00");
    input.append("receipts.csv", "R-904,2026-04-01,person,AG-ANN,ASC,35.00");
    assert_rejected(
        &db,
        input.path(),
        &["receipts.csv:13: payer", "receipts.csv:14: payer"],
    );
}

#[test]
fn every_prohibited_purchase_category_is_rejected() {
    let (db, input) = fresh();
    let categories = [
        "nhs_healthcare",
        "residential_care",
        "gambling",
        "rent",
        "utilities",
        "debt",
    ];
    for (n, category) in categories.iter().enumerate() {
        input.append(
            "purchases.csv",
            &format!("PU-90{n},2026-04-03,AG-ANN,O-GARDEN,{category},Something,Someone,10.00"),
        );
    }
    input.append(
        "purchases.csv",
        "PU-909,2026-04-03,AG-ANN,O-GARDEN,activity,Garden show,Show ground,10.00",
    );
    assert_rejected(
        &db,
        input.path(),
        &[
            "purchases.csv:4: category",
            "purchases.csv:5: category",
            "purchases.csv:6: category",
            "purchases.csv:7: category",
            "purchases.csv:8: category",
            "purchases.csv:9: category",
        ],
    );
}

#[test]
fn a_net_agreement_without_a_weekly_contribution_is_rejected() {
    let (db, input) = fresh();
    input.append("agreements.csv", "AG-DEE,P-CHI,2026-05-01,,net,,percent,5,");
    assert_rejected(
        &db,
        input.path(),
        &["agreements.csv:5: weekly_contribution"],
    );
}

#[test]
fn a_representative_name_is_required_unless_the_person_decides_for_themselves() {
    let (db, input) = fresh();
    input.append("people.csv", "P-DEE,,Dee,,,,standard,lpa,");
    input.append("people.csv", "P-EVA,,Eva,,,,standard,self,");
    assert_rejected(&db, input.path(), &["people.csv:5: representative_name"]);
}

#[test]
fn two_primary_streams_on_one_agreement_are_rejected() {
    let (db, input) = fresh();
    input.append("streams.csv", "AG-ANN,EXTRA,NCC,10.00,true");
    assert_rejected(&db, input.path(), &["streams.csv:6: primary"]);
}

#[test]
fn a_rate_priced_in_the_wrong_unit_for_its_support_type_is_rejected() {
    let (db, input) = fresh();
    input.append(
        "rates.csv",
        "NCC,sleep_in,2026-05-01,hour,95.00,95.00,118.00",
    );
    input.append(
        "rates.csv",
        "ICB-NE,personal_care,2026-05-01,night,27.00,29.50,40.00",
    );
    assert_rejected(
        &db,
        input.path(),
        &["rates.csv:11: unit", "rates.csv:12: unit"],
    );
}

// ---------------------------------------------------------------------------------------------
// Which files are checked when one is rejected.

#[test]
fn independent_files_are_all_checked_while_files_depending_on_a_rejected_one_are_not() {
    let (db, input) = fresh();
    input.append("people.csv", "P-DEE,,Dee,,,,standard,lpa,");
    input.append("workers.csv", "W-ZED,Zed,Ng,2024-01-01,maybe,false");
    input.append(
        "rates.csv",
        "NCC,sleep_in,2026-05-01,hour,95.00,95.00,118.00",
    );
    // These depend on people.csv or workers.csv, so they go unchecked.
    input.append(
        "visits.csv",
        "V-X01,AG-NOPE,O-WASH,2026-03-21T09:00,2026-03-21T10:00,1,W-DAN,,",
    );
    input.append("receipts.csv", "R-901,2026-03-30,person,AG-ANN,ASC,35.005");
    assert_rejected(
        &db,
        input.path(),
        &[
            "people.csv:5: representative_name",
            "workers.csv:12: dbs_barred_list_checked",
            "rates.csv:11: unit",
        ],
    );
}

#[test]
fn a_rejected_agreements_file_hides_the_errors_of_the_visits_that_depend_on_it() {
    let (db, input) = fresh();
    input.append("agreements.csv", "AG-DEE,P-CHI,2026-05-01,,net,,percent,5,");
    input.append(
        "visits.csv",
        "V-X01,AG-NOPE,O-WASH,2026-03-21T09:00,2026-03-21T10:00,1,W-DAN,,",
    );
    input.append(
        "earmarks.csv",
        "E-901,AG-ANN,ASC,Nothing,-5.00,2026-04-01,2026-04-30",
    );
    // relationships.csv depends on workers and people only: it is still checked.
    input.append("relationships.csv", "W-MIA,P-ANN,cousin,false,false");
    assert_rejected(
        &db,
        input.path(),
        &[
            "agreements.csv:5: weekly_contribution",
            "relationships.csv:4: relationship",
        ],
    );
}

#[test]
fn a_rejected_import_leaves_out_the_good_rows_of_every_other_file() {
    let (db, input) = holding_basic();
    db.isf_ok(&["reconcile", "--through", "2026-04-30"]);
    let books_before = books(&db);
    input.append(
        "receipts.csv",
        "R-901,2026-04-20,commissioner,AG-ANN,ASC,100.00",
    );
    input.append(
        "attendances.csv",
        "AT-B02H,V-B02,P-BOB,W-HAL,2026-03-23T08:00,2026-03-23T08:30,ecm,true",
    );
    input.append(
        "visits.csv",
        "V-X01,AG-ANN,O-WASH,2026-04-13T08:00,2026-04-13T09:00,1,W-EVE,,",
    );
    assert_rejected(&db, input.path(), &["visits.csv:48: worker_refs"]);
    // Had the attendance gone in, V-B02 would now cost more.
    db.isf_ok(&["reconcile", "--through", "2026-04-30"]);
    assert_eq!(books(&db), books_before);
}

// ---------------------------------------------------------------------------------------------
// Importing again, and reconciling again.

/// Insists every file line of an import's summary reports no new rows.
fn assert_nothing_new(stdout: &str) {
    assert!(!stdout.trim().is_empty(), "no summary");
    for line in stdout.lines() {
        assert!(line.ends_with(", 0 new"), "{line}\n{stdout}");
    }
}

#[test]
fn importing_the_same_directory_twice_changes_nothing() {
    let (db, input) = holding_basic();
    let first = books(&db);
    let again = db.isf_ok(&["import", input.path()]);
    assert_nothing_new(&again);
    assert_eq!(books(&db), first);
}

#[test]
fn money_written_1540_is_the_same_content_as_1540_00_on_reimport() {
    let (db, input) = holding_basic();
    let first = books(&db);
    input.replace(
        "receipts.csv",
        "R-001,2026-03-02,commissioner,AG-ANN,ASC,1540.00",
        "R-001,2026-03-02,commissioner,AG-ANN,ASC,1540",
    );
    input.replace("rates.csv", "24.60", "24.6");
    input.replace(
        "agreements.csv",
        "net,35.00,percent,8.5,",
        "net,35,percent,8.50,",
    );
    let again = db.isf_ok(&["import", input.path()]);
    assert_nothing_new(&again);
    assert_eq!(books(&db), first);
}

#[test]
fn the_same_rows_spelt_another_way_are_the_same_content_on_reimport() {
    let (db, input) = holding_basic();
    let first = books(&db);
    // A BOM and CRLF line endings.
    let people = input.read("people.csv").replace('\n', "\r\n");
    input.write("people.csv", &format!("\u{feff}{people}"));
    // Columns in another order.
    input.edit_lines("repayments.csv", |line| {
        let mut cells: Vec<&str> = line.split(',').collect();
        cells.reverse();
        cells.join(",")
    });
    // Quotes where none are needed.
    input.replace("workers.csv", "W-DAN,Dan,Price", "\"W-DAN\",\"Dan\",Price");
    // The same instants: Z for +00:00, seconds written out.
    input.replace(
        "visits.csv",
        "2026-03-16T08:00:00+00:00",
        "2026-03-16T08:00Z",
    );
    input.replace(
        "visits.csv",
        "V-A02,AG-ANN,O-WASH,2026-03-18T08:00,",
        "V-A02,AG-ANN,O-WASH,2026-03-18T08:00:00,",
    );
    // The same decimals.
    input.replace(
        "outcomes.csv",
        "social_inclusion,2.5,false",
        "social_inclusion,2.50,false",
    );
    input.replace(
        "commissioners.csv",
        ",actual_capped,5,1,48,",
        ",actual_capped,5,1,48.0,",
    );
    let again = db.isf_ok(&["import", input.path()]);
    assert_nothing_new(&again);
    assert_eq!(books(&db), first);
}

#[test]
fn a_single_file_can_be_imported_on_its_own() {
    let (db, input) = fresh();
    // Receipts arrive later than the rest; a file of another name is ignored.
    let receipts = db.dir.join("receipts.csv");
    std::fs::rename(input.dir.join("receipts.csv"), &receipts).expect("moving receipts.csv");
    input.write("notes.csv", "anything,at all\n1,2,3\n");
    db.isf_ok(&["import", input.path()]);
    let journal = db.isf_ok(&["export-ledger", "--format", "journal"]);
    assert!(!journal.contains("receipt R-001"), "{journal}");
    let out = db.isf_ok(&["import", receipts.to_str().unwrap()]);
    assert_eq!(out.trim(), "receipts.csv: 11 rows, 11 new");
    let journal = db.isf_ok(&["export-ledger", "--format", "journal"]);
    assert!(journal.contains("receipt R-001"), "{journal}");
    // The same books as importing the whole directory at once.
    let whole = TestDb::new();
    whole.isf_ok(&["import", basic_input().to_str().unwrap()]);
    assert_eq!(books(&db), books(&whole));
    // A single file must have one of the known names.
    let out = db.isf(&["import", &input.file("notes.csv")]);
    assert!(!out.status.success(), "notes.csv was imported");
}

#[test]
fn reconciling_twice_posts_nothing_the_second_time() {
    let (db, _input) = holding_basic();
    db.isf_ok(&["reconcile", "--through", "2026-04-30"]);
    let first = books(&db);
    let out = db.isf_ok(&["reconcile", "--through", "2026-04-30"]);
    assert!(out.contains(": 0 posted, 0 reversed,"), "{out}");
    assert_eq!(books(&db), first);
    let journal = db.isf_ok(&["export-ledger", "--format", "journal"]);
    assert_hledger_accepts(&db, &journal);
}

/// ICB-NE's return for March, issued after the first reconciliation.
const MARCH_ICB_NE: [&str; 7] = [
    "return",
    "--commissioner",
    "ICB-NE",
    "--from",
    "2026-03-01",
    "--to",
    "2026-03-31",
];

/// Imports basic and reconciles through 30 Apr; then the second worker of V-B02's double-up
/// (23 Mar) arrives in a later call-monitoring export and a reconciliation through 6 May corrects
/// the cost. Returns the database and ICB-NE's March return as issued before the correction.
fn correct_v_b02_late() -> (TestDb, String) {
    let (db, input) = holding_basic();
    db.isf_ok(&["reconcile", "--through", "2026-04-30"]);
    let march_before = db.isf_ok(&MARCH_ICB_NE);
    input.append(
        "attendances.csv",
        "AT-B02H,V-B02,P-BOB,W-HAL,2026-03-23T08:00,2026-03-23T08:30,ecm,true",
    );
    let out = db.isf_ok(&["import", &input.file("attendances.csv")]);
    assert_eq!(out.trim(), "attendances.csv: 44 rows, 1 new");
    let out = db.isf_ok(&["reconcile", "--through", "2026-05-06"]);
    assert!(out.contains(" 1 reversed,"), "{out}");
    (db, march_before)
}

#[test]
fn a_late_attendance_is_corrected_in_the_period_it_arrives_and_issued_money_stands() {
    let (db, march_before) = correct_v_b02_late();
    // Every money figure of an issued return stands; the exception count is live evidence (README).
    let without_exceptions = |csv_text: &str| {
        let mut rows = csv_rows(csv_text);
        for r in &mut rows {
            r.remove("exceptions_open");
        }
        rows
    };
    assert_eq!(
        without_exceptions(&db.isf_ok(&MARCH_ICB_NE)),
        without_exceptions(&march_before),
        "an issued return's figures changed"
    );

    // V-B02 cost 13.23 (one worker, 30 min at 26.45/h); now 2 × 13.23.
    let may = db.isf_ok(&[
        "statement",
        "--agreement",
        "AG-BOB",
        "--from",
        "2026-05-01",
        "--to",
        "2026-05-31",
        "--format",
        "csv",
    ]);
    let rows = csv_rows(&may);
    let on_the_6th = |kind: &str| -> Vec<&std::collections::HashMap<String, String>> {
        rows.iter()
            .filter(|r| r["kind"] == kind && r["date"] == "2026-05-06")
            .collect()
    };
    let reversals = on_the_6th("reversal");
    assert!(!reversals.is_empty(), "no reversal on 6 May:\n{may}");
    let pence = |cell: &str| -> i64 {
        let (pounds, pennies) = cell.split_once('.').expect("money with 2 decimals");
        pounds.parse::<i64>().unwrap() * 100 + pennies.parse::<i64>().unwrap()
    };
    let reversed: i64 = reversals.iter().map(|r| pence(&r["money_in"])).sum();
    assert_eq!(reversed, 1323, "{may}");
    let services = on_the_6th("service");
    assert_eq!(services.len(), 2, "one service row per worker line:\n{may}");
    for s in &services {
        assert_eq!(
            (s["stream_ref"].as_str(), s["outcome_ref"].as_str()),
            ("CHC", "O-HOIST"),
            "{may}"
        );
        assert_eq!(s["money_out"], "13.23", "{may}");
    }

    // The May return shows the correction.
    let may_return = db.isf_ok(&[
        "return",
        "--commissioner",
        "ICB-NE",
        "--from",
        "2026-05-01",
        "--to",
        "2026-05-31",
    ]);
    let row = csv_rows(&may_return)
        .into_iter()
        .find(|r| r["agreement_ref"] == "AG-BOB" && r["stream_ref"] == "CHC")
        .unwrap_or_else(|| panic!("no AG-BOB CHC row:\n{may_return}"));
    assert_eq!(
        (row["services"].as_str(), row["reversals"].as_str()),
        ("26.46", "13.23"),
        "{may_return}"
    );

    let journal = db.isf_ok(&["export-ledger", "--format", "journal"]);
    assert!(
        journal
            .lines()
            .any(|l| l.starts_with("2026-05-06 reversal")),
        "{journal}"
    );
    assert_hledger_accepts(&db, &journal);
}
