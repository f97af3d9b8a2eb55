//! CSV files sent through the API (`POST /api/imports`) against a server holding the basic
//! scenario: the job answered at once, its progress read until it ends, all-or-nothing, the
//! idempotency key, who may send and read, and a job the service stopped under.
use crate::access::{Answer, World};
use serde_json::Value;
use std::time::{Duration, Instant};

const RECEIPTS_HEADER: &str = "receipt_ref,received_on,payer,agreement_ref,stream_ref,amount\n";

/// `n` receipts of £1.00 each into AG-ANN's ASC fund, refs R-API-00001 on.
fn receipts(n: usize) -> String {
    let mut csv = RECEIPTS_HEADER.to_owned();
    for i in 1..=n {
        csv.push_str(&format!(
            "R-API-{i:05},2026-03-20,commissioner,AG-ANN,ASC,1.00\n"
        ));
    }
    csv
}

impl World {
    fn send_files(&self, who: &str, key: &str, files: &[(&str, &str)]) -> Answer {
        let mut form = ::reqwest::multipart::Form::new();
        for (name, csv) in files {
            form = form.part(
                "files",
                ::reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
                    .file_name(name.to_string()),
            );
        }
        self.send(
            self.client
                .post(self.server.url("/api/imports"))
                .bearer_auth(&self.tokens[who])
                .header("Idempotency-Key", key)
                .multipart(form),
        )
    }

    /// Reads the job at `location` until it has finished (at most 60 s); returns every state seen.
    fn follow(&self, who: &str, location: &str) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        loop {
            let answer = self.get_as(who, location);
            assert_eq!(answer.status, 200, "{location}: {}", answer.text);
            let job = answer.json();
            let finished = job["finished"] == true;
            seen.push(job);
            if finished {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "the job never finished: {seen:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn ann_balance_pence(&self) -> i64 {
        let text = self.get_as("admin", "/api/agreements/AG-ANN").json()["funds"][0]["balance"]
            .as_str()
            .expect("a balance")
            .to_owned();
        text.replace('.', "").parse().expect("pence")
    }
}

#[test]
fn a_large_upload_is_a_job_that_reports_its_progress_and_imports_every_row() {
    let w = World::basic();
    let before = w.ann_balance_pence();
    let csv = receipts(20_000);
    let sent = w.send_files("finance", "k-big", &[("receipts.csv", &csv)]);
    assert_eq!(sent.status, 202, "{}", sent.text);
    let job = sent.json();
    let location = sent.headers["location"].to_str().unwrap().to_owned();
    assert_eq!(
        location,
        format!("/api/imports/{}", job["job_id"].as_str().unwrap())
    );
    assert_eq!(job["status"], "queued");
    assert_eq!(job["files"], serde_json::json!(["receipts.csv"]));
    assert_eq!(job["bytes"], csv.len());

    let seen = w.follow("coordinator", &location);
    let last = seen.last().unwrap();
    assert_eq!(last["status"], "done", "{last}");
    assert_eq!(last["rows_total"], 20_000);
    assert_eq!(last["rows_checked"], 20_000);
    assert_eq!(last["new_rows"], 20_000);
    assert_eq!(last["summaries"][0]["new_rows"], 20_000);
    assert_eq!(last["errors_total"], 0);
    assert!(last["finished_at"].is_string());
    // Progress only moves forwards while the job runs.
    let checked: Vec<u64> = seen
        .iter()
        .map(|j| j["rows_checked"].as_u64().unwrap())
        .collect();
    assert!(checked.windows(2).all(|w| w[0] <= w[1]), "{checked:?}");
    assert_eq!(w.ann_balance_pence(), before + 20_000 * 100);

    // A retry (another multipart boundary, the same files) is the same job and imports nothing.
    let retry = w.send_files("finance", "k-big", &[("receipts.csv", &csv)]);
    assert_eq!(retry.status, 202, "{}", retry.text);
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    assert_eq!(retry.json()["job_id"], job["job_id"]);
    assert_eq!(w.ann_balance_pence(), before + 20_000 * 100);
    // The same key with other files is refused.
    let other = w.send_files("finance", "k-big", &[("receipts.csv", &receipts(3))]);
    assert_eq!(other.status, 409, "{}", other.text);

    // Sending the same rows again under a new key is a job that finds nothing new.
    let again = w.send_files("finance", "k-again", &[("receipts.csv", &csv)]);
    assert_eq!(again.status, 202, "{}", again.text);
    let again = w.follow("finance", again.headers["location"].to_str().unwrap());
    let last = again.last().unwrap();
    assert_eq!(last["status"], "done", "{last}");
    assert_eq!(last["new_rows"], 0);
    assert_eq!(w.ann_balance_pence(), before + 20_000 * 100);

    // The import is in the audit log under the sender's name.
    let audit = w.get_as("admin", "/api/audit?limit=500").json();
    let imported = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "records.imported" && e["actor"] == "finance")
        .count();
    assert_eq!(imported, 1, "{audit}");
}

#[test]
fn an_upload_with_a_row_at_fault_is_rejected_whole_naming_file_line_and_column() {
    let w = World::basic();
    let before = w.ann_balance_pence();
    let mut csv = receipts(2);
    csv.push_str("R-API-BAD,2026-03-20,commissioner,AG-ANN,ASC,10.005\n");
    let visits = "visit_ref,agreement_ref,outcome_ref,planned_start,planned_end,workers_required,worker_refs,cancelled_at,cancelled_by\n\
                  V-API-1,AG-ANN,O-NOPE,2026-03-25T18:00,2026-03-25T19:00,1,W-DAN,,\n";
    let sent = w.send_files(
        "coordinator",
        "k-bad",
        &[("receipts.csv", &csv), ("visits.csv", visits)],
    );
    assert_eq!(sent.status, 202, "{}", sent.text);
    let seen = w.follow("coordinator", sent.headers["location"].to_str().unwrap());
    let last = seen.last().unwrap();
    assert_eq!(last["status"], "rejected", "{last}");
    assert_eq!(last["errors_total"], 2, "{last}");
    let errors: Vec<(String, u64, String)> = last["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().to_owned(),
                e["line"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            ("visits.csv".to_owned(), 2, "outcome_ref".to_owned()),
            ("receipts.csv".to_owned(), 4, "amount".to_owned()),
        ]
    );
    assert!(last["message"]
        .as_str()
        .unwrap()
        .contains("nothing was imported"));
    assert_eq!(last["new_rows"], Value::Null);
    // Nothing of either file was written: not the good receipts, not the ledger.
    assert_eq!(w.ann_balance_pence(), before);
    let held = w
        .get_as("admin", "/api/receipts?agreement=AG-ANN&limit=500")
        .text;
    assert!(!held.contains("R-API-00001"), "{held}");
}

#[test]
fn only_provider_staff_send_and_read_imports_and_a_bad_form_says_what_is_wrong() {
    let w = World::basic();
    let csv = receipts(1);
    for who in ["dan", "ann", "ncc"] {
        let answer = w.send_files(who, &format!("k-{who}"), &[("receipts.csv", &csv)]);
        assert_eq!(answer.status, 403, "{who}: {}", answer.text);
    }
    let sent = w.send_files("admin", "k-ok", &[("receipts.csv", &csv)]);
    assert_eq!(sent.status, 202, "{}", sent.text);
    let location = sent.headers["location"].to_str().unwrap().to_owned();
    for who in ["dan", "ann", "ncc"] {
        assert_eq!(w.get_as(who, &location).status, 403, "{who}");
    }
    assert_eq!(
        w.follow("admin", &location).last().unwrap()["status"],
        "done"
    );
    assert_eq!(
        w.get_as("admin", "/api/imports/00000000-0000-4000-8000-000000000000")
            .status,
        404
    );

    let misnamed = w.send_files("admin", "k-name", &[("payments.csv", &csv)]);
    assert_eq!(misnamed.status, 422, "{}", misnamed.text);
    assert_eq!(misnamed.json()["errors"][0]["field"], "files");
    assert!(misnamed.text.contains("payments.csv"), "{}", misnamed.text);
    let twice = w.send_files(
        "admin",
        "k-twice",
        &[("receipts.csv", &csv), ("receipts.csv", &csv)],
    );
    assert_eq!(twice.status, 422, "{}", twice.text);
    assert!(twice.text.contains("sent twice"), "{}", twice.text);
    // A form with no part at all is not a whole multipart body.
    let empty = w.send_files("admin", "k-empty", &[]);
    assert_eq!(empty.status, 400, "{}", empty.text);
    assert!(empty.text.contains("multipart"), "{}", empty.text);
    let no_key = w.send(
        w.client
            .post(w.server.url("/api/imports"))
            .bearer_auth(&w.tokens["admin"])
            .multipart(::reqwest::multipart::Form::new().text("files", "x")),
    );
    assert_eq!(no_key.status, 400, "{}", no_key.text);
    let not_a_file = w.send(
        w.client
            .post(w.server.url("/api/imports"))
            .bearer_auth(&w.tokens["admin"])
            .header("Idempotency-Key", "k-text")
            .multipart(::reqwest::multipart::Form::new().text("files", csv.clone())),
    );
    assert_eq!(not_a_file.status, 422, "{}", not_a_file.text);
    assert!(
        not_a_file.text.contains("no filename"),
        "{}",
        not_a_file.text
    );
    let json = w.send(
        w.client
            .post(w.server.url("/api/imports"))
            .bearer_auth(&w.tokens["admin"])
            .header("Idempotency-Key", "k-json")
            .json(&serde_json::json!({"files": []})),
    );
    assert_eq!(json.status, 415, "{}", json.text);
}

#[test]
fn a_job_the_service_stopped_under_is_closed_when_it_starts_again() {
    let w = World::basic();
    // Two jobs as the last run left them: one cut off while checking, one after its write.
    let mut ids = Vec::new();
    for (n, status) in [(1, "checking"), (2, "reconciling")] {
        let sent = w.send_files(
            "admin",
            &format!("k-{n}"),
            &[("receipts.csv", &receipts(n))],
        );
        assert_eq!(sent.status, 202, "{}", sent.text);
        let id = sent.json()["job_id"].as_str().unwrap().to_owned();
        w.follow("admin", &format!("/api/imports/{id}"));
        w.db.sql(&format!(
            "UPDATE import_jobs SET status = '{status}', finished_at = NULL WHERE job_id = '{id}'"
        ))
        .unwrap();
        ids.push(id);
    }
    // Another start of the service on the same database, as after a crash.
    let again = w.db.serve(&[]);
    let read = |id: &str| {
        w.send(
            w.client
                .get(again.url(&format!("/api/imports/{id}")))
                .bearer_auth(&w.tokens["admin"]),
        )
        .json()
    };
    let cut = read(&ids[0]);
    assert_eq!(cut["status"], "interrupted", "{cut}");
    assert_eq!(cut["finished"], true);
    assert!(cut["message"]
        .as_str()
        .unwrap()
        .contains("nothing was changed"));
    let written = read(&ids[1]);
    assert_eq!(written["status"], "done", "{written}");
}
