//! Records added one at a time through the API (`POST /api/{kind}`), against a server holding the
//! basic scenario: the import's rules, idempotency, who may add what, the ledger and exceptions.
use crate::access::{Answer, World};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

impl World {
    fn add_as(&self, who: &str, kind: &str, key: &str, body: &Value) -> Answer {
        self.send(
            self.client
                .post(self.server.url(&format!("/api/{kind}")))
                .bearer_auth(&self.tokens[who])
                .header("Idempotency-Key", key)
                .json(body),
        )
    }

    /// Polls `path` as `who` until `done` holds of its JSON, for up to 30 s (a write's reconcile
    /// runs in the background).
    fn eventually(&self, who: &str, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let answer = self.get_as(who, path);
            assert_eq!(answer.status, 200, "{path}: {}", answer.text);
            let page = answer.json();
            if done(&page) {
                return page;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never reached the expected state: {page}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn new_worker() -> Value {
    json!({
        "worker_ref": "W-NEW", "given_name": "Noor", "family_name": "Ahmed",
        "dbs_issued_on": "2026-01-10", "dbs_barred_list_checked": "true",
        "dbs_update_service": "false"
    })
}

fn new_visit() -> Value {
    json!({
        "visit_ref": "V-NEW", "agreement_ref": "AG-ANN", "outcome_ref": "O-WASH",
        "planned_start": "2026-03-25T18:00", "planned_end": "2026-03-25T19:00",
        "workers_required": "1", "worker_refs": "W-NEW"
    })
}

fn exceptions_of(page: &Value, subject: &str) -> Vec<(String, String)> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["subject_ref"] == subject)
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or_default().to_owned(),
                e["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_coordinator_adds_a_worker_and_a_visit_and_a_retry_changes_nothing() {
    let w = World::basic();
    let first = w.add_as("coordinator", "workers", "k-worker", &new_worker());
    assert_eq!(first.status, 201, "{}", first.text);
    let body = first.json();
    assert_eq!(body["created"], true);
    assert_eq!(body["subject"], "worker:W-NEW");
    assert_eq!(body["record"]["family_name"], "Ahmed");

    let retry = w.add_as("coordinator", "workers", "k-worker", &new_worker());
    assert_eq!(retry.status, 201);
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    assert_eq!(retry.text, first.text, "a retry gets the first answer");

    let again = w.add_as("coordinator", "workers", "k-worker-2", &new_worker());
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.json()["created"], false);

    let mut other = new_worker();
    other["family_name"] = json!("Khan");
    let reused = w.add_as("coordinator", "workers", "k-worker", &other);
    assert_eq!(reused.status, 409, "{}", reused.text);
    let edited = w.add_as("coordinator", "workers", "k-worker-3", &other);
    assert_eq!(edited.status, 422, "an edit is refused: {}", edited.text);
    assert_eq!(edited.json()["errors"][0]["field"], "worker_ref");

    let visit = w.add_as("coordinator", "visits", "k-visit", &new_visit());
    assert_eq!(visit.status, 201, "{}", visit.text);

    let audit = w.get_as("admin", "/api/audit").json();
    let actions: Vec<(String, String)> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or_default().to_owned(),
                e["action"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    for action in ["worker.added", "visit.added"] {
        assert_eq!(
            actions.iter().filter(|(_, a)| a == action).count(),
            1,
            "{action} once: {actions:?}"
        );
        assert!(actions.contains(&("coordinator".to_owned(), action.to_owned())));
    }
}

#[test]
fn a_bad_record_names_every_field_at_fault_and_changes_nothing() {
    let w = World::basic();
    let mut bad = new_visit();
    bad["planned_end"] = json!("2026-03-25T17:00");
    bad["worker_refs"] = json!("W-NOBODY");
    bad["workers_required"] = json!(1);
    let typed = w.add_as("coordinator", "visits", "k-1", &bad);
    assert_eq!(typed.status, 422, "{}", typed.text);
    assert_eq!(typed.json()["errors"][0]["field"], "workers_required");

    bad["workers_required"] = json!("1");
    let refused = w.add_as("coordinator", "visits", "k-1", &bad);
    assert_eq!(refused.status, 422, "{}", refused.text);
    let fields: Vec<String> = refused.json()["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(fields.contains(&"planned_end".to_owned()), "{fields:?}");
    assert!(fields.contains(&"worker_refs".to_owned()), "{fields:?}");

    // Nothing was stored: not the visit, and not the key (a corrected request may reuse it).
    let mut good = new_visit();
    good["worker_refs"] = json!("W-DAN");
    let added = w.add_as("coordinator", "visits", "k-1", &good);
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(added.json()["created"], true);
}

#[test]
fn only_provider_staff_add_records_and_only_finance_adds_money() {
    let w = World::basic();
    for who in ["dan", "ann", "icb"] {
        let answer = w.add_as(who, "visits", &format!("k-{who}"), &new_visit());
        assert_eq!(answer.status, 403, "{who}: {}", answer.text);
    }
    let purchase = json!({
        "purchase_ref": "PU-API", "paid_on": "2026-03-21", "agreement_ref": "AG-ANN",
        "outcome_ref": "O-SWIM", "category": "activity", "description": "Swim pass",
        "supplier": "Leisure centre", "amount": "12.50"
    });
    let coordinator = w.add_as("coordinator", "purchases", "k-p1", &purchase);
    assert_eq!(coordinator.status, 403, "{}", coordinator.text);

    let balance = |w: &World| -> String {
        let agreement = w.get_as("finance", "/api/agreements/AG-ANN").json();
        agreement["funds"]
            .as_array()
            .expect("funds")
            .iter()
            .find(|f| f["stream_ref"] == "ASC")
            .expect("ASC")["balance"]
            .as_str()
            .expect("a decimal string")
            .to_owned()
    };
    let before = balance(&w);
    let finance = w.add_as("finance", "purchases", "k-p2", &purchase);
    assert_eq!(finance.status, 201, "{}", finance.text);
    let after = balance(&w);
    let money = |s: &str| {
        s.parse::<rust_decimal::Decimal>()
            .expect("a decimal string")
    };
    assert_eq!(
        money(&before) - money(&after),
        money("12.50"),
        "{before} -> {after}"
    );
}

#[test]
fn a_pushed_visit_and_its_attendance_reach_the_exceptions_queue() {
    let w = World::basic();
    assert_eq!(
        w.add_as("coordinator", "workers", "k-w", &new_worker())
            .status,
        201
    );
    assert_eq!(
        w.add_as("coordinator", "visits", "k-v", &new_visit())
            .status,
        201
    );
    // The visit is in the past and nobody attended: reconciled in the background, it is missed.
    let path = "/api/exceptions?agreement=AG-ANN&limit=500";
    w.eventually("coordinator", path, |page| {
        exceptions_of(page, "V-NEW").contains(&("missed".to_owned(), "open".to_owned()))
    });
    let attendance = json!({
        "attendance_ref": "AT-NEW", "visit_ref": "V-NEW", "person_ref": "P-ANN",
        "worker_ref": "W-NEW", "check_in": "2026-03-25T18:01", "check_out": "2026-03-25T18:59",
        "method": "ecm", "location_verified": "true"
    });
    let pushed = w.add_as("coordinator", "attendances", "k-a", &attendance);
    assert_eq!(pushed.status, 201, "{}", pushed.text);
    w.eventually("coordinator", path, |page| {
        !exceptions_of(page, "V-NEW").contains(&("missed".to_owned(), "open".to_owned()))
    });
}

fn change_as(w: &World, who: &str, visit: &str, what: &str, key: &str, body: &Value) -> Answer {
    w.send(
        w.client
            .post(w.server.url(&format!("/api/visits/{visit}/{what}")))
            .bearer_auth(&w.tokens[who])
            .header("Idempotency-Key", key)
            .json(body),
    )
}

fn ann_asc_balance(w: &World) -> rust_decimal::Decimal {
    let agreement = w.get_as("finance", "/api/agreements/AG-ANN").json();
    agreement["funds"]
        .as_array()
        .expect("funds")
        .iter()
        .find(|f| f["stream_ref"] == "ASC")
        .expect("ASC")["balance"]
        .as_str()
        .expect("a decimal string")
        .parse()
        .expect("a decimal")
}

#[test]
fn a_coordinator_reassigns_and_cancels_a_visit_and_the_books_follow() {
    let w = World::basic();
    assert_eq!(
        w.add_as("coordinator", "workers", "k-w", &new_worker())
            .status,
        201
    );
    assert_eq!(
        w.add_as("coordinator", "visits", "k-v", &new_visit())
            .status,
        201
    );
    let path = "/api/exceptions?agreement=AG-ANN&limit=500";
    w.eventually("coordinator", path, |page| {
        exceptions_of(page, "V-NEW").contains(&("missed".to_owned(), "open".to_owned()))
    });

    // Reassigned to Dan, who is free that evening.
    let assigned = change_as(
        &w,
        "coordinator",
        "V-NEW",
        "assignment",
        "k-a1",
        &json!({"worker_refs": "W-DAN"}),
    );
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    assert_eq!(assigned.json()["record"]["worker_refs"], "W-DAN");
    assert_eq!(assigned.json()["created"], true);

    // Dan is on V-A01 (16 March, 08:00-09:00): an overlapping visit cannot have him too.
    let mut clash = new_visit();
    clash["visit_ref"] = json!("V-CLASH");
    clash["planned_start"] = json!("2026-03-16T08:30");
    clash["planned_end"] = json!("2026-03-16T09:30");
    clash["worker_refs"] = json!("");
    assert_eq!(w.add_as("coordinator", "visits", "k-c", &clash).status, 201);
    let refused = change_as(
        &w,
        "coordinator",
        "V-CLASH",
        "assignment",
        "k-a2",
        &json!({"worker_refs": "W-DAN"}),
    );
    assert_eq!(refused.status, 422, "{}", refused.text);
    let error = &refused.json()["errors"][0];
    assert_eq!(error["field"], "worker_refs");
    assert!(
        error["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("V-A01"),
        "{error}"
    );

    // Ann cancels V-NEW eight hours ahead: short notice, so it is charged, and no longer missed.
    let before = ann_asc_balance(&w);
    let cancel = json!({"cancelled_at": "2026-03-25T10:00", "cancelled_by": "person"});
    let cancelled = change_as(&w, "coordinator", "V-NEW", "cancellation", "k-x1", &cancel);
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.json()["record"]["cancelled_by"], "person");
    w.eventually("coordinator", path, |page| {
        !exceptions_of(page, "V-NEW").contains(&("missed".to_owned(), "open".to_owned()))
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while ann_asc_balance(&w) >= before {
        assert!(
            Instant::now() < deadline,
            "the cancellation was never charged"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let again = change_as(&w, "coordinator", "V-NEW", "cancellation", "k-x2", &cancel);
    assert_eq!(again.status, 409, "{}", again.text);
    let delivered = change_as(&w, "coordinator", "V-A01", "cancellation", "k-x3", &cancel);
    assert_eq!(delivered.status, 422, "{}", delivered.text);
    let unknown = change_as(&w, "coordinator", "V-NOPE", "cancellation", "k-x4", &cancel);
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    let worker = change_as(
        &w,
        "dan",
        "V-NEW",
        "assignment",
        "k-x5",
        &json!({"worker_refs": "W-DAN"}),
    );
    assert_eq!(worker.status, 403, "{}", worker.text);

    let audit = w.get_as("admin", "/api/audit").json().to_string();
    for action in ["visit.assigned", "visit.cancelled"] {
        assert!(audit.contains(action), "{action} in {audit}");
    }
}

#[test]
fn finance_reverses_a_purchase_once_with_a_reason_the_statement_shows() {
    let w = World::basic();
    let reverse_as = |who: &str, key: &str, body: &Value| -> Answer {
        w.send(
            w.client
                .post(w.server.url("/api/reversals"))
                .bearer_auth(&w.tokens[who])
                .header("Idempotency-Key", key)
                .json(body),
        )
    };
    let body = json!({"reverses": "purchase:PU-001", "reason": "paid from the wrong fund"});
    assert_eq!(reverse_as("coordinator", "k-0", &body).status, 403);

    let before = ann_asc_balance(&w);
    let reversed = reverse_as("finance", "k-1", &body);
    assert_eq!(reversed.status, 201, "{}", reversed.text);
    let answer = reversed.json();
    assert_eq!(answer["reverses"], "purchase:PU-001");
    assert!(answer["description"]
        .as_str()
        .unwrap_or_default()
        .contains("paid from the wrong fund"));
    let money = |s: &str| s.parse::<rust_decimal::Decimal>().expect("a decimal");
    assert_eq!(
        ann_asc_balance(&w) - before,
        money("18.47"),
        "the purchase is given back"
    );

    let replay = reverse_as("finance", "k-1", &body);
    assert_eq!(replay.status, 201);
    assert_eq!(replay.text, reversed.text);
    let twice = reverse_as("finance", "k-2", &body);
    assert_eq!(twice.status, 409, "{}", twice.text);
    assert_eq!(
        ann_asc_balance(&w) - before,
        money("18.47"),
        "reversed once only"
    );

    for (bad, field) in [
        (
            json!({"reverses": "visit:V-A01", "reason": "x"}),
            "reverses",
        ),
        (
            json!({"reverses": "purchase:PU-NOPE", "reason": "x"}),
            "reverses",
        ),
        (
            json!({"reverses": "purchase:PU-002", "reason": ""}),
            "reason",
        ),
    ] {
        let refused = reverse_as("finance", &format!("k-{field}-{}", bad["reverses"]), &bad);
        assert_eq!(refused.status, 422, "{bad}: {}", refused.text);
        assert_eq!(refused.json()["errors"][0]["field"], field, "{bad}");
    }

    let date = answer["date"].as_str().expect("a date").to_owned();
    let statement = w
        .get_as(
            "ann",
            &format!("/api/agreements/AG-ANN/statements?from={date}&to={date}"),
        )
        .text;
    assert!(
        statement.contains("paid from the wrong fund"),
        "the budget holder sees the correction and why: {statement}"
    );
    let audit = w.get_as("admin", "/api/audit").json().to_string();
    assert!(audit.contains("transaction.reversed"), "{audit}");
}

#[test]
fn approving_an_unplanned_attendance_charges_it_once() {
    let w = World::basic();
    let approve_as = |who: &str, attendance: &str, key: &str, body: &Value| -> Answer {
        w.send(
            w.client
                .post(
                    w.server
                        .url(&format!("/api/attendances/{attendance}/approval")),
                )
                .bearer_auth(&w.tokens[who])
                .header("Idempotency-Key", key)
                .json(body),
        )
    };
    let exceptions = "/api/exceptions?agreement=AG-ANN&limit=500";
    let open_unplanned = |page: &Value| {
        exceptions_of(page, "AT-U01").contains(&("unplanned".to_owned(), "open".to_owned()))
    };
    assert!(open_unplanned(&w.get_as("coordinator", exceptions).json()));
    let body = json!({"outcome_ref": "O-WASH", "note": "Ann asked for help after a fall; agreed"});
    assert_eq!(approve_as("dan", "AT-U01", "k-0", &body).status, 403);
    assert_eq!(approve_as("ann", "AT-U01", "k-0", &body).status, 403);

    for (attendance, bad, field) in [
        (
            "AT-U01",
            json!({"outcome_ref": "O-NOPE", "note": "x"}),
            "outcome_ref",
        ),
        (
            "AT-U01",
            json!({"outcome_ref": "O-WASH", "note": " "}),
            "note",
        ),
        (
            "AT-A01",
            json!({"outcome_ref": "O-WASH", "note": "x"}),
            "attendance_ref",
        ),
    ] {
        let refused = approve_as(
            "coordinator",
            attendance,
            &format!("k-{attendance}-{field}"),
            &bad,
        );
        assert_eq!(refused.status, 422, "{bad}: {}", refused.text);
        assert_eq!(refused.json()["errors"][0]["field"], field, "{bad}");
    }
    assert_eq!(
        approve_as("coordinator", "AT-NOPE", "k-9", &body).status,
        404
    );

    // Not charged until approved; once approved, the 45 minutes are charged in the background.
    let before = ann_asc_balance(&w);
    let approved = approve_as("coordinator", "AT-U01", "k-1", &body);
    assert_eq!(approved.status, 201, "{}", approved.text);
    assert_eq!(approved.json()["resolved_exception"], true);
    assert_eq!(approved.json()["agreement_ref"], "AG-ANN");
    let deadline = Instant::now() + Duration::from_secs(30);
    while ann_asc_balance(&w) >= before {
        assert!(
            Instant::now() < deadline,
            "the approved attendance was never charged"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let charged = ann_asc_balance(&w);
    assert!(!open_unplanned(&w.get_as("coordinator", exceptions).json()));

    let again = approve_as("coordinator", "AT-U01", "k-2", &body);
    assert_eq!(again.status, 409, "{}", again.text);
    // Reconciling again (the daily run) charges it no more.
    w.db.isf_ok(&["reconcile", "--through", "2026-11-23"]);
    assert_eq!(ann_asc_balance(&w), charged);
    let statement = w
        .get_as(
            "ann",
            "/api/agreements/AG-ANN/statements?from=2026-04-04&to=2026-04-04",
        )
        .json();
    let services: Vec<&Value> = statement["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["kind"] == "service")
        .collect();
    assert_eq!(services.len(), 1, "one service row: {statement}");
    assert_eq!(services[0]["billable_minutes"], "45");
    assert_eq!(services[0]["outcome_ref"], "O-WASH");
}

/// The refs in a list page's items, by their ref column.
fn item_refs(page: &Value, column: &str) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i[column].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn held_records_are_listed_as_their_files_rows_to_each_role_as_far_as_it_may_see() {
    let w = World::basic();
    let list = |who: &str, path: &str| -> Value {
        let answer = w.get_as(who, path);
        assert_eq!(answer.status, 200, "{who} {path}: {}", answer.text);
        answer.json()
    };
    // Workers: staff page through all ten; a care worker sees their own record only.
    let first = list("coordinator", "/api/workers?limit=4");
    assert_eq!(
        item_refs(&first, "worker_ref"),
        ["W-DAN", "W-EVE", "W-FAY", "W-GUS"]
    );
    assert_eq!(first["items"][0]["dbs_issued_on"], "2024-06-10");
    assert_eq!(first["items"][0]["dbs_barred_list_checked"], "true");
    assert_eq!(first["next_after"], "W-GUS");
    let second = list("coordinator", "/api/workers?limit=4&after=W-GUS");
    assert_eq!(
        item_refs(&second, "worker_ref"),
        ["W-HAL", "W-IAN", "W-JO", "W-KAT"]
    );
    assert_eq!(
        item_refs(&list("dan", "/api/workers"), "worker_ref"),
        ["W-DAN"]
    );
    assert_eq!(w.get_as("ann", "/api/workers").status, 403);
    // Workers on Chi's visits: filtered by the visits they are on.
    let chi = item_refs(
        &list("coordinator", "/api/workers?agreement=AG-CHI"),
        "worker_ref",
    );
    assert!(
        chi.contains(&"W-MIA".to_owned()) && !chi.contains(&"W-DAN".to_owned()),
        "{chi:?}"
    );

    // Attendances: Dan's own; Ann's agreement's; none of another commissioner's.
    let dan = list("dan", "/api/attendances?limit=500");
    assert_eq!(dan["items"].as_array().unwrap().len(), 11);
    assert!(dan["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["worker_ref"] == "W-DAN"));
    let ann = list("ann", "/api/attendances?limit=500");
    assert_eq!(ann["items"].as_array().unwrap().len(), 15);
    assert!(ann["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["person_ref"] == "P-ANN"));
    assert_eq!(
        list("icb", "/api/attendances?agreement=AG-ANN")["items"],
        json!([])
    );

    // Money: scoped by agreement, filtered by date; never a care worker's.
    assert_eq!(
        item_refs(&list("ann", "/api/purchases"), "purchase_ref"),
        ["PU-001"]
    );
    let pu = &list("finance", "/api/purchases?agreement=AG-BOB")["items"][0];
    assert_eq!(pu["description"], "Match ticket, Northshire FC v Rovers");
    assert_eq!(pu["amount"], "28.00");
    assert_eq!(w.get_as("dan", "/api/purchases").status, 403);
    assert_eq!(
        item_refs(&list("icb", "/api/receipts"), "receipt_ref"),
        ["R-006", "R-007", "R-008", "R-009"],
        "ICB-NE funds AG-BOB only"
    );
    assert_eq!(
        item_refs(
            &list("finance", "/api/receipts?from=2026-03-18&to=2026-03-30"),
            "receipt_ref"
        ),
        ["R-002", "R-004", "R-006", "R-008"]
    );
    assert_eq!(
        item_refs(
            &list("coordinator", "/api/earmarks?from=2026-06-01&to=2026-06-30"),
            "earmark_ref"
        ),
        ["E-001"],
        "in force on a day of June"
    );
    assert_eq!(
        item_refs(&list("finance", "/api/repayments"), "repayment_ref"),
        ["RP-001"]
    );

    for bad in [
        "?from=2026-13-01",
        "?from=2026-04-01&to=2026-03-01",
        "?agreement=",
        "?limit=0",
    ] {
        let answer = w.get_as("finance", &format!("/api/receipts{bad}"));
        assert_eq!(answer.status, 422, "{bad}: {}", answer.text);
    }
}
