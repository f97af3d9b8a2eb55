//! The HTTP API, as a client of the service sees it.
//!
//! Each test imports the acceptance scenario `basic` into a fresh database, starts `isf serve` (which
//! reconciles through today before it listens) and talks to it over HTTP.
use crate::helpers::*;
use serde_json::{json, Value};

/// A server holding the basic scenario, and a client for it.
struct Api {
    db: TestDb,
    server: Server,
    runtime: tokio::runtime::Runtime,
    client: ::reqwest::Client,
}

/// What came back.
struct Answer {
    status: u16,
    content_type: String,
    headers: ::reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

impl Api {
    fn basic() -> Api {
        let db = TestDb::new();
        let input = shared_dir().join("acceptance/basic/input");
        db.isf_ok(&["import", input.to_str().unwrap()]);
        Api::start(db)
    }

    /// A server on an empty database.
    fn empty() -> Api {
        Api::start(TestDb::new())
    }

    /// A server on `db`, with a client signed in as a provider admin (who sees everything).
    fn start(db: TestDb) -> Api {
        let token = db.account_token("admin", "provider_admin", &[]);
        let server = db.serve(&[]);
        let mut headers = ::reqwest::header::HeaderMap::new();
        headers.insert(
            "authorization",
            format!("Bearer {token}").parse().expect("a header value"),
        );
        Api {
            db,
            server,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
            client: ::reqwest::Client::builder()
                .default_headers(headers)
                .build()
                .expect("a client"),
        }
    }

    fn send(&self, request: ::reqwest::RequestBuilder) -> Answer {
        self.runtime.block_on(async {
            let response = request.send().await.expect("the server answers");
            let headers = response.headers().clone();
            Answer {
                status: response.status().as_u16(),
                content_type: headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned(),
                headers,
                text: response.text().await.expect("a body"),
            }
        })
    }

    fn get(&self, path: &str) -> Answer {
        self.send(self.client.get(self.server.url(path)))
    }

    fn post_receipt(&self, key: Option<&str>, body: &Value) -> Answer {
        let mut request = self
            .client
            .post(self.server.url("/api/receipts"))
            .json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        self.send(request)
    }

    /// The balance of one fund of an agreement, in pence, as the API reports it.
    fn balance(&self, agreement: &str, stream: &str) -> i64 {
        let answer = self.get(&format!("/api/agreements/{agreement}"));
        assert_eq!(answer.status, 200, "{}", answer.text);
        let body = answer.json();
        let fund = body["funds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["stream_ref"] == stream)
            .unwrap_or_else(|| panic!("no fund {stream} in {body}"));
        pence(fund["balance"].as_str().expect("a balance is a string"))
    }
}

/// "1234.50" → 123450; panics unless the text is money with exactly two decimals.
fn pence(text: &str) -> i64 {
    let (sign, digits) = text.strip_prefix('-').map_or((1, text), |d| (-1, d));
    let (whole, frac) = digits.split_once('.').expect("two decimals");
    assert_eq!(frac.len(), 2, "{text} has two decimals");
    sign * (whole.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap())
}

fn receipt(receipt_ref: &str, amount: &str) -> Value {
    json!({
        "receipt_ref": receipt_ref,
        "received_on": "2026-05-04",
        "payer": "commissioner",
        "agreement_ref": "AG-BOB",
        "stream_ref": "CHC",
        "amount": amount,
    })
}

fn assert_problem(answer: &Answer, status: u16) -> Value {
    assert_eq!(answer.status, status, "{}", answer.text);
    assert_eq!(
        answer.content_type, "application/problem+json",
        "{}",
        answer.text
    );
    let body = answer.json();
    assert_eq!(body["status"], status, "{body}");
    assert!(
        body["type"].is_string() && body["title"].is_string(),
        "{body}"
    );
    body
}

fn fields_at_fault(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn health_answers_ok_with_a_request_id() {
    let api = Api::basic();
    let answer = api.get("/health");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), json!({"status": "ok"}));
    assert!(answer.headers.contains_key("x-request-id"));
    let mine = api.send(
        api.client
            .get(api.server.url("/health"))
            .header("x-request-id", "trace-me-123"),
    );
    assert_eq!(mine.headers["x-request-id"], "trace-me-123");
}

#[test]
fn the_openapi_document_is_3_1_and_lists_every_route() {
    let api = Api::basic();
    let answer = api.get("/api/openapi.json");
    assert_eq!(answer.status, 200);
    let doc = answer.json();
    assert!(
        doc["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for (path, method) in [
        ("/health", "get"),
        ("/api/commissioners", "get"),
        ("/api/commissioners/{ref}", "get"),
        ("/api/commissioners/{ref}/returns", "get"),
        ("/api/people", "get"),
        ("/api/people/{ref}", "get"),
        ("/api/agreements", "get"),
        ("/api/agreements/{ref}", "get"),
        ("/api/agreements/{ref}/statements", "get"),
        ("/api/agreements/{ref}/exceptions", "get"),
        ("/api/exceptions", "get"),
        ("/api/receipts", "post"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is missing from the document"
        );
    }
    assert!(
        doc["paths"]
            .get("/agreements/{ref}/statements/{period}")
            .is_none(),
        "the statement page is for people, not API"
    );
    let docs = api.get("/api/docs");
    assert_eq!(docs.status, 200);
    assert!(docs.content_type.starts_with("text/html"));
    assert!(
        docs.text.contains("/api/receipts"),
        "the page lists the operations"
    );
}

#[test]
fn agreements_are_listed_a_page_at_a_time_and_read_with_their_funds_balances() {
    let api = Api::basic();
    let first = api.get("/api/agreements?limit=2").json();
    let refs: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agreement_ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["AG-ANN", "AG-BOB"]);
    assert_eq!(first["next_after"], "AG-BOB");
    let rest = api.get("/api/agreements?limit=2&after=AG-BOB").json();
    assert_eq!(rest["items"][0]["agreement_ref"], "AG-CHI");
    assert!(rest.get("next_after").is_none(), "{rest}");

    let bob = api.get("/api/agreements/AG-BOB");
    assert_eq!(bob.status, 200, "{}", bob.text);
    let bob = bob.json();
    assert_eq!(bob["contribution_mode"], "gross");
    assert_eq!(bob["fee"], json!({"basis": "fixed", "value": "15.00"}));
    let funds = bob["funds"].as_array().unwrap();
    assert_eq!(funds.len(), 2, "{bob}");
    assert_eq!(funds[0]["stream_ref"], "ASC");
    assert_eq!(funds[0]["weekly_amount"], "510.00");
    assert_eq!(funds[1]["stream_ref"], "CHC");
    for f in funds {
        pence(f["balance"].as_str().expect("money is a decimal string"));
    }

    let missing = api.get("/api/agreements/AG-NOBODY");
    assert_problem(&missing, 404);
    let too_many = api.get("/api/agreements?limit=501");
    assert_eq!(fields_at_fault(&assert_problem(&too_many, 422)), ["limit"]);
}

#[test]
fn commissioners_and_people_are_listed_and_read() {
    let api = Api::basic();
    let commissioners = api.get("/api/commissioners").json();
    let refs: Vec<&str> = commissioners["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["commissioner_ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["ICB-NE", "NCC"]);
    let icb = api.get("/api/commissioners/ICB-NE").json();
    assert_eq!(icb["kind"], "icb");
    assert_eq!(icb["terms"]["billing_basis"], "actual");
    assert_eq!(
        icb["terms"]["tolerance_minutes"], 5,
        "an empty term takes its default"
    );
    assert_eq!(icb["terms"]["rounding_minutes"], 15);

    let people = api.get("/api/people").json();
    assert_eq!(people["items"].as_array().unwrap().len(), 3);
    let bob = api.get("/api/people/P-BOB").json();
    assert_eq!(bob["decision_maker"], "lpa");
    assert_eq!(bob["representative_name"], "Carol Lewis");
    assert_problem(&api.get("/api/people/P-NOBODY"), 404);
    assert_problem(&api.get("/api/commissioners/NOBODY"), 404);
}

#[test]
fn a_council_return_is_the_same_as_the_command_lines() {
    let api = Api::basic();
    let answer = api.get("/api/commissioners/NCC/returns?from=2026-03-01&to=2026-03-31");
    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.json();
    let ann = &body["rows"][0];
    assert_eq!(ann["agreement_ref"], "AG-ANN");
    assert_eq!(ann["planned_hours"], "25.57");
    assert_eq!(ann["delivered_hours"], "14.12");
    assert_eq!(ann["commissioner_receipts"], "3080.00");
    assert_eq!(ann["person_receipts"], "140.00");
    assert_eq!(ann["services"], "314.02");
    assert!(body["totals"]["closing_balance"].is_string(), "{body}");

    let cli = api.db.isf_ok(&[
        "return",
        "--commissioner",
        "NCC",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--format",
        "json",
    ]);
    let cli: Value = serde_json::from_str(&cli).expect("the CLI writes JSON");
    assert_eq!(body["rows"], cli["rows"]);
    assert_eq!(body["totals"], cli["totals"]);

    let backwards = api.get("/api/commissioners/NCC/returns?from=2026-03-31&to=2026-03-01");
    assert_eq!(fields_at_fault(&assert_problem(&backwards, 422)), ["to"]);
    let no_dates = api.get("/api/commissioners/NCC/returns");
    assert_eq!(
        fields_at_fault(&assert_problem(&no_dates, 422)),
        ["from", "to"]
    );
    assert_problem(
        &api.get("/api/commissioners/NOBODY/returns?from=2026-03-01&to=2026-03-31"),
        404,
    );
}

#[test]
fn a_receipt_is_recorded_and_credits_its_fund() {
    let api = Api::basic();
    let before = api.balance("AG-BOB", "CHC");
    let answer = api.post_receipt(Some("key-1"), &receipt("R-API-1", "392.50"));
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert!(answer.content_type.starts_with("application/json"));
    let body = answer.json();
    assert_eq!(
        body["receipt"],
        json!({
            "receipt_ref": "R-API-1", "received_on": "2026-05-04", "payer": "commissioner",
            "agreement_ref": "AG-BOB", "stream_ref": "CHC", "amount": "392.50"
        })
    );
    assert_eq!(
        pence(body["fund"]["balance"].as_str().unwrap()),
        before + 39250
    );
    assert_eq!(api.balance("AG-BOB", "CHC"), before + 39250);
    let journal = api.db.isf_ok(&["export-ledger", "--format", "journal"]);
    assert!(
        journal.contains("receipt R-API-1"),
        "the ledger holds the receipt"
    );
}

#[test]
fn a_persons_receipt_goes_to_the_primary_stream_of_a_net_agreement_only() {
    let api = Api::basic();
    let before = api.balance("AG-ANN", "ASC");
    let body = json!({
        "receipt_ref": "R-API-P", "received_on": "2026-05-04", "payer": "person",
        "agreement_ref": "AG-ANN", "amount": "35.00"
    });
    let answer = api.post_receipt(Some("key-p"), &body);
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.json()["receipt"]["stream_ref"], "ASC");
    assert_eq!(api.balance("AG-ANN", "ASC"), before + 3500);

    let mut gross = body.clone();
    gross["receipt_ref"] = json!("R-API-Q");
    gross["agreement_ref"] = json!("AG-BOB");
    let refused = api.post_receipt(Some("key-q"), &gross);
    assert_eq!(fields_at_fault(&assert_problem(&refused, 422)), ["payer"]);
}

#[test]
fn a_replayed_receipt_returns_the_original_response_and_changes_nothing() {
    let api = Api::basic();
    let first = api.post_receipt(Some("key-2"), &receipt("R-API-2", "100.00"));
    assert_eq!(first.status, 201, "{}", first.text);
    let balance = api.balance("AG-BOB", "CHC");
    let journal = api.db.isf_ok(&["export-ledger", "--format", "journal"]);

    let replay = api.post_receipt(Some("key-2"), &receipt("R-API-2", "100.00"));
    assert_eq!(replay.status, 201);
    assert_eq!(replay.text, first.text, "the same body, byte for byte");
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_eq!(api.balance("AG-BOB", "CHC"), balance);
    assert_eq!(
        api.db.isf_ok(&["export-ledger", "--format", "journal"]),
        journal,
        "the ledger is unchanged"
    );
}

#[test]
fn a_receipt_sent_many_times_at_once_is_recorded_once() {
    let api = Api::basic();
    let before = api.balance("AG-BOB", "CHC");
    let body = receipt("R-API-RACE", "10.00");
    let answers: Vec<(u16, String)> = api.runtime.block_on(async {
        let mut sends = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let request = api
                .client
                .post(api.server.url("/api/receipts"))
                .header("Idempotency-Key", "key-race")
                .json(&body);
            sends.spawn(async move {
                let response = request.send().await.expect("the server answers");
                let status = response.status().as_u16();
                (status, response.text().await.expect("a body"))
            });
        }
        sends.join_all().await
    });
    for (status, text) in &answers {
        assert_eq!(*status, 201, "{text}");
        assert_eq!(text, &answers[0].1, "every answer is the first one");
    }
    assert_eq!(api.balance("AG-BOB", "CHC"), before + 1000);
}

#[test]
fn the_same_key_with_another_body_is_a_conflict() {
    let api = Api::basic();
    let first = api.post_receipt(Some("key-3"), &receipt("R-API-3", "100.00"));
    assert_eq!(first.status, 201, "{}", first.text);
    let balance = api.balance("AG-BOB", "CHC");
    let other = api.post_receipt(Some("key-3"), &receipt("R-API-3", "100.01"));
    assert_problem(&other, 409);
    assert_eq!(api.balance("AG-BOB", "CHC"), balance);
}

#[test]
fn a_held_receipt_ref_with_other_content_is_a_conflict() {
    let api = Api::basic();
    // R-001 was imported: 1540.00 from the commissioner on 2026-03-02 to AG-ANN ASC.
    let held = json!({
        "receipt_ref": "R-001", "received_on": "2026-03-02", "payer": "commissioner",
        "agreement_ref": "AG-ANN", "stream_ref": "ASC", "amount": "1540.00"
    });
    let same = api.post_receipt(Some("key-4"), &held);
    assert_eq!(
        same.status, 200,
        "the same content is a no-op: {}",
        same.text
    );
    let mut changed = held.clone();
    changed["amount"] = json!("1541.00");
    let conflict = assert_problem(&api.post_receipt(Some("key-5"), &changed), 409);
    assert!(
        conflict["detail"].as_str().unwrap().contains("amount"),
        "{conflict}"
    );
}

#[test]
fn an_amount_with_three_decimals_is_refused_naming_the_field() {
    let api = Api::basic();
    let balance = api.balance("AG-BOB", "CHC");
    let answer = api.post_receipt(Some("key-6"), &receipt("R-API-6", "35.005"));
    let problem = assert_problem(&answer, 422);
    assert_eq!(fields_at_fault(&problem), ["amount"]);
    assert_eq!(api.balance("AG-BOB", "CHC"), balance);

    let number = api.post_receipt(
        Some("key-7"),
        &json!({
            "receipt_ref": "R-API-7", "received_on": "2026-05-04", "payer": "commissioner",
            "agreement_ref": "AG-BOB", "stream_ref": "CHC", "amount": 35.0
        }),
    );
    assert_eq!(fields_at_fault(&assert_problem(&number, 422)), ["amount"]);
}

#[test]
fn an_unknown_agreement_is_refused_naming_the_field() {
    let api = Api::basic();
    let mut body = receipt("R-API-8", "10.00");
    body["agreement_ref"] = json!("AG-NOBODY");
    let problem = assert_problem(&api.post_receipt(Some("key-8"), &body), 422);
    assert_eq!(fields_at_fault(&problem), ["agreement_ref"]);
}

#[test]
fn a_receipt_without_an_idempotency_key_is_a_bad_request() {
    let api = Api::basic();
    let balance = api.balance("AG-BOB", "CHC");
    let answer = api.post_receipt(None, &receipt("R-API-9", "10.00"));
    assert_problem(&answer, 400);
    assert_eq!(api.balance("AG-BOB", "CHC"), balance);
}

#[test]
fn errors_outside_the_handlers_are_problems_too() {
    let api = Api::basic();
    assert_problem(&api.get("/api/nothing-here"), 404);
    let wrong_method = api.send(api.client.delete(api.server.url("/api/receipts")));
    assert_problem(&wrong_method, 405);
    assert!(wrong_method.headers.contains_key("allow"));
    let huge = "x".repeat(1024 * 1024 + 1);
    let too_large = api.send(
        api.client
            .post(api.server.url("/api/receipts"))
            .header("Idempotency-Key", "key-10")
            .header("content-type", "application/json")
            .body(huge),
    );
    assert_problem(&too_large, 413);
}

#[test]
fn the_openapi_document_matches_its_snapshot() {
    // An accidental change to the API shows here, in review, as a change to the snapshot. The
    // document does not depend on the data or the engine, so an empty database will do.
    let api = Api::empty();
    let answer = api.get("/api/openapi.json");
    assert_eq!(answer.status, 200, "{}", answer.text);
    insta::assert_json_snapshot!("openapi", answer.json());
}

/// The keys of a page of exceptions, checking each item's shape on the way.
fn exception_keys(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {page}"))
        .iter()
        .map(|e| {
            for field in [
                "key",
                "kind",
                "agreement_ref",
                "subject_ref",
                "date",
                "detail",
                "status",
            ] {
                assert!(e[field].is_string(), "{field} of {e}");
            }
            assert!(
                e["stream_ref"].is_string() || e["stream_ref"].is_null(),
                "{e}"
            );
            e["key"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn exceptions_stored_by_reconciliation_are_listed_and_filtered() {
    let api = Api::basic();
    let all = api.get("/api/exceptions");
    assert_eq!(all.status, 200, "{}", all.text);
    let all = all.json();
    let keys = exception_keys(&all);
    assert!(keys.len() >= 2, "{all}");
    assert!(
        all.get("next_after").is_none(),
        "one page holds them all: {all}"
    );
    let dates: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["date"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "by date: {dates:?}");

    let missed = api.get("/api/exceptions?kind=missed").json();
    let v_a05 = missed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["subject_ref"] == "V-A05")
        .unwrap_or_else(|| panic!("V-A05 is a missed visit: {missed}"));
    assert_eq!(
        v_a05,
        &json!({
            "key": "missed:V-A05", "kind": "missed", "agreement_ref": "AG-ANN",
            "stream_ref": "ASC", "subject_ref": "V-A05", "date": "2026-03-25",
            "detail": v_a05["detail"], "status": "open",
            "resolved_by": null, "resolved_note": null
        })
    );
    assert!(
        missed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["kind"] == "missed"),
        "{missed}"
    );

    let unplanned = api
        .get("/api/exceptions?kind=unplanned&agreement=AG-ANN")
        .json();
    assert_eq!(exception_keys(&unplanned), ["unplanned:AT-U01"]);
    assert!(
        unplanned["items"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("AT-U01"),
        "{unplanned}"
    );

    let april = api
        .get("/api/exceptions?from=2026-04-01&to=2026-04-30")
        .json();
    assert!(!exception_keys(&april).is_empty(), "{april}");
    for e in april["items"].as_array().unwrap() {
        let date = e["date"].as_str().unwrap();
        assert!(("2026-04-01"..="2026-04-30").contains(&date), "{e}");
    }
    let bob = api.get("/api/exceptions?agreement=AG-BOB").json();
    assert!(bob["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["agreement_ref"] == "AG-BOB"));
    let nobody = api.get("/api/exceptions?agreement=AG-NOBODY");
    assert_eq!(
        nobody.status, 200,
        "a filter that matches nothing is an empty page"
    );
    assert_eq!(nobody.json()["items"], json!([]));
    // No filter is said by leaving the parameter out; an empty value is refused, naming it.
    let empty_filters = api.get("/api/exceptions?kind=&agreement=&from=&to=&status=");
    let problem = assert_problem(&empty_filters, 422);
    assert_eq!(
        fields_at_fault(&problem),
        ["kind", "agreement", "from", "to", "status"]
    );
}

#[test]
fn exceptions_come_a_page_at_a_time_after_the_last_key() {
    let api = Api::basic();
    let all = exception_keys(&api.get("/api/exceptions").json());
    let mut walked = Vec::new();
    let mut path = "/api/exceptions?limit=5".to_owned();
    for _ in 0..all.len() {
        let page = api.get(&path);
        assert_eq!(page.status, 200, "{}", page.text);
        let page = page.json();
        let keys = exception_keys(&page);
        assert!(keys.len() <= 5, "{page}");
        walked.extend(keys.iter().cloned());
        match page["next_after"].as_str() {
            Some(after) => {
                assert_eq!(Some(after), keys.last().map(String::as_str), "{page}");
                path = format!("/api/exceptions?limit=5&after={after}");
            }
            None => break,
        }
    }
    assert_eq!(
        walked, all,
        "the pages together are the whole list, once each"
    );

    let unknown = api.get("/api/exceptions?after=missed:V-NOBODY");
    assert_eq!(fields_at_fault(&assert_problem(&unknown, 422)), ["after"]);
    let too_many = api.get("/api/exceptions?limit=501");
    assert_eq!(fields_at_fault(&assert_problem(&too_many, 422)), ["limit"]);
}

#[test]
fn exceptions_are_filtered_by_where_they_stand() {
    let api = Api::basic();
    let everything = exception_keys(&api.get("/api/exceptions").json());
    assert_eq!(
        exception_keys(&api.get("/api/exceptions?status=open").json()),
        everything,
        "the start-up reconciliation raised every one open"
    );
    assert_eq!(
        exception_keys(&api.get("/api/exceptions?status=resolved").json()),
        Vec::<String>::new()
    );
    // Reconciling through the end of March again: what happened in April no longer applies.
    api.db.isf_ok(&["reconcile", "--through", "2026-03-31"]);
    let cleared = api.get("/api/exceptions?status=cleared").json();
    let cleared_keys = exception_keys(&cleared);
    assert!(
        cleared_keys.contains(&"unplanned:AT-U01".to_owned()),
        "{cleared}"
    );
    for e in cleared["items"].as_array().unwrap() {
        assert_eq!(e["status"], "cleared", "{e}");
        assert!(e["date"].as_str().unwrap() > "2026-03-31", "{e}");
    }
    let open = exception_keys(&api.get("/api/exceptions?status=open").json());
    assert!(open.contains(&"missed:V-A05".to_owned()), "{open:?}");
    assert!(open.iter().all(|k| !cleared_keys.contains(k)), "{open:?}");
    // A cursor still holds when its own exception has changed status since the page it ends.
    let after_cleared = api.get("/api/exceptions?status=open&after=unplanned:AT-U01");
    assert_eq!(after_cleared.status, 200, "{}", after_cleared.text);
    let tail: Vec<String> = open
        .iter()
        .skip_while(|k| *k != "missed:V-A05")
        .skip(1)
        .cloned()
        .collect();
    assert_eq!(
        exception_keys(
            &api.get("/api/exceptions?status=open&after=missed:V-A05")
                .json()
        ),
        tail
    );
    assert!(
        exception_keys(&after_cleared.json())
            .iter()
            .all(|k| open.contains(k)),
        "only open ones follow"
    );
}

#[test]
fn a_bad_exception_filter_is_refused_naming_the_field() {
    let api = Api::basic();
    for (query, field) in [
        ("kind=mised", "kind"),
        ("kind=MISSED", "kind"),
        ("status=closed", "status"),
        ("agreement=AG%20ANN", "agreement"),
        ("from=2026-02-30", "from"),
        ("to=31%2F03%2F2026", "to"),
        ("from=2026-04-01&to=2026-03-01", "to"),
    ] {
        let answer = api.get(&format!("/api/exceptions?{query}"));
        let problem = assert_problem(&answer, 422);
        assert_eq!(
            fields_at_fault(&problem),
            [field],
            "case {query}: {problem}"
        );
    }
    let kind = assert_problem(&api.get("/api/exceptions?kind=mised"), 422);
    assert!(
        kind["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("missed, late"),
        "the reason lists the kinds: {kind}"
    );
    assert_problem(&api.get("/api/exceptions?colour=red"), 400);
}

#[test]
fn an_agreements_exceptions_are_its_own_and_an_unknown_agreement_is_not_found() {
    let api = Api::basic();
    let ann = api.get("/api/agreements/AG-ANN/exceptions");
    assert_eq!(ann.status, 200, "{}", ann.text);
    let ann = ann.json();
    let keys = exception_keys(&ann);
    assert!(keys.contains(&"missed:V-A05".to_owned()), "{ann}");
    assert!(keys.contains(&"unplanned:AT-U01".to_owned()), "{ann}");
    assert!(ann["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["agreement_ref"] == "AG-ANN"));
    assert_eq!(
        keys,
        exception_keys(&api.get("/api/exceptions?agreement=AG-ANN").json()),
        "the same items as the list filtered by agreement"
    );
    let missed = api
        .get("/api/agreements/AG-ANN/exceptions?kind=missed")
        .json();
    assert_eq!(exception_keys(&missed), ["missed:V-A05"]);

    assert_problem(&api.get("/api/agreements/AG-NOBODY/exceptions"), 404);
    assert_problem(&api.get("/api/agreements/AG%20NOBODY/exceptions"), 404);
    let bad_kind = api.get("/api/agreements/AG-ANN/exceptions?kind=mised");
    assert_eq!(fields_at_fault(&assert_problem(&bad_kind, 422)), ["kind"]);
    // The agreement is in the path; asking for another in the query is not understood.
    assert_problem(
        &api.get("/api/agreements/AG-ANN/exceptions?agreement=AG-BOB"),
        400,
    );
}

/// The closing row's balance of `isf statement --format csv`.
fn csv_closing_balance(csv: &str) -> String {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let kind = header
        .iter()
        .position(|c| *c == "kind")
        .expect("a kind column");
    let balance = header
        .iter()
        .position(|c| *c == "balance")
        .expect("a balance column");
    let closing: Vec<&str> = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|cells| cells[kind] == "closing")
        .expect("a closing row");
    // The balance is the last column; descriptions may hold quoted commas, so count from the end.
    assert_eq!(balance, header.len() - 1, "balance is the last column");
    closing[closing.len() - 1].to_owned()
}

#[test]
fn a_statement_is_the_same_document_as_the_command_lines() {
    let api = Api::basic();
    let answer = api.get("/api/agreements/AG-ANN/statements?from=2026-03-01&to=2026-03-31");
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(answer.content_type.starts_with("application/json"));
    let body = answer.json();
    assert_eq!(body["agreement_ref"], "AG-ANN");
    assert_eq!(body["from"], "2026-03-01");
    assert_eq!(body["to"], "2026-03-31");
    assert!(
        body["digest"].as_str().unwrap().starts_with("sha256:"),
        "{body}"
    );
    let rows = body["rows"].as_array().unwrap();
    assert_eq!(rows.first().unwrap()["kind"], "opening");
    assert_eq!(rows.last().unwrap()["kind"], "closing");
    pence(
        body["summary"]["services"]
            .as_str()
            .expect("money is a string"),
    );

    let period = [
        "--agreement",
        "AG-ANN",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
    ];
    let csv = api
        .db
        .isf_ok(&[&["statement"], &period[..], &["--format", "csv"]].concat());
    assert_eq!(body["closing_balance"], csv_closing_balance(&csv));
    assert_eq!(rows.last().unwrap()["balance"], body["closing_balance"]);
    let cli = api
        .db
        .isf_ok(&[&["statement"], &period[..], &["--format", "json"]].concat());
    let cli: Value = serde_json::from_str(&cli).expect("the CLI writes JSON");
    assert_eq!(
        body, cli,
        "the API and the command line give the same document"
    );
}

#[test]
fn a_bad_statement_request_is_refused_naming_the_field() {
    let api = Api::basic();
    let no_dates = api.get("/api/agreements/AG-ANN/statements");
    assert_eq!(
        fields_at_fault(&assert_problem(&no_dates, 422)),
        ["from", "to"]
    );
    for (query, field) in [
        ("from=2026-03-01&to=2026-02-30", "to"),
        ("from=2026-03-31&to=2026-03-01", "to"),
        ("from=2026-01-01&to=2027-12-31", "to"),
    ] {
        let answer = api.get(&format!("/api/agreements/AG-ANN/statements?{query}"));
        assert_eq!(
            fields_at_fault(&assert_problem(&answer, 422)),
            [field],
            "case {query}"
        );
    }
    assert_problem(
        &api.get("/api/agreements/AG-NOBODY/statements?from=2026-03-01&to=2026-03-31"),
        404,
    );
}

const PAGE_HEADERS: [(&str, &str); 5] = [
    ("content-type", "text/html; charset=utf-8"),
    ("x-robots-tag", "noindex, nofollow"),
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
    ),
];

fn assert_page(answer: &Answer, status: u16) {
    assert_eq!(answer.status, status, "{}", answer.text);
    for (name, value) in PAGE_HEADERS {
        assert_eq!(
            answer.headers.get(name).and_then(|v| v.to_str().ok()),
            Some(value),
            "header {name}"
        );
    }
    assert!(
        answer.text.starts_with("<!DOCTYPE html>"),
        "{}",
        answer.text
    );
    assert!(
        answer.text.contains("<html lang=\"en-GB\">"),
        "{}",
        answer.text
    );
}

#[test]
fn a_statement_page_is_in_the_persons_format_and_kept_private() {
    let api = Api::basic();
    let month = api.get("/agreements/AG-CHI/statements/2026-03");
    assert_page(&month, 200);
    assert!(
        month.text.contains("your money"),
        "easy read: {}",
        month.text
    );
    assert!(month.text.contains("easy-read"), "{}", month.text);
    let cli = api.db.isf_ok(&[
        "statement",
        "--agreement",
        "AG-CHI",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
        "--format",
        "html",
    ]);
    assert_eq!(
        month.text, cli,
        "the page is the command line's, byte for byte"
    );

    let days = api.get("/agreements/AG-CHI/statements/2026-03-01..2026-03-31");
    assert_page(&days, 200);
    assert_eq!(
        days.text, month.text,
        "a month is its first to its last day"
    );

    let ann = api.get("/agreements/AG-ANN/statements/2026-03-16..2026-04-12");
    assert_page(&ann, 200);
    assert!(
        ann.text.contains("Statement for Ann Hughes"),
        "standard: {}",
        ann.text
    );
}

#[test]
fn a_statement_page_that_cannot_be_shown_is_a_small_html_page() {
    let api = Api::basic();
    for period in [
        "2026-13",
        "March",
        "2026-03-31..2026-03-01",
        "2026-01-01..2027-12-31",
    ] {
        let answer = api.get(&format!("/agreements/AG-CHI/statements/{period}"));
        assert_page(&answer, 400);
        assert!(answer.text.contains("<h1>"), "{}", answer.text);
    }
    let unknown = api.get("/agreements/AG-NOBODY/statements/2026-03");
    assert_page(&unknown, 404);
    assert!(unknown.text.contains("AG-NOBODY"), "{}", unknown.text);
    let malformed = api.get("/agreements/%3Cb%3E/statements/2026-03");
    assert_page(&malformed, 404);
    assert!(!malformed.text.contains("<b>"), "what is echoed is escaped");
}
