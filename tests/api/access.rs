//! Who may see and change what, as each role's client meets it: one server holding the basic
//! scenario, one account per role, and every request a role may or may not make.
//!
//! In the basic scenario NCC funds AG-ANN, AG-BOB (ASC) and AG-CHI; ICB-NE funds AG-BOB (CHC)
//! only. Worker W-DAN visits Ann (AG-ANN) and nobody else.
use crate::helpers::*;
use serde_json::{json, Value};

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: ::reqwest::header::HeaderMap,
    pub(crate) text: String,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

pub(crate) struct World {
    pub(crate) db: TestDb,
    pub(crate) server: Server,
    runtime: tokio::runtime::Runtime,
    pub(crate) client: ::reqwest::Client,
    pub(crate) tokens: std::collections::HashMap<&'static str, String>,
}

impl World {
    pub(crate) fn basic() -> World {
        let db = TestDb::new();
        let input = shared_dir().join("acceptance/basic/input");
        db.isf_ok(&["import", input.to_str().unwrap()]);
        let mut tokens = std::collections::HashMap::new();
        for (name, role, links) in [
            ("admin", "provider_admin", vec![]),
            ("coordinator", "coordinator", vec![]),
            ("finance", "finance", vec![]),
            ("dan", "care_worker", vec!["--worker", "W-DAN"]),
            ("ann", "budget_holder", vec!["--agreement", "AG-ANN"]),
            (
                "icb",
                "commissioner_officer",
                vec!["--commissioner", "ICB-NE"],
            ),
            ("ncc", "commissioner_officer", vec!["--commissioner", "NCC"]),
        ] {
            tokens.insert(name, db.account_token(name, role, &links));
        }
        let server = db.serve(&[]);
        World {
            db,
            server,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
            client: ::reqwest::Client::builder()
                .redirect(::reqwest::redirect::Policy::none())
                .build()
                .expect("a client"),
            tokens,
        }
    }

    pub(crate) fn send(&self, request: ::reqwest::RequestBuilder) -> Answer {
        self.runtime.block_on(async {
            let response = request.send().await.expect("the server answers");
            Answer {
                status: response.status().as_u16(),
                headers: response.headers().clone(),
                text: response.text().await.expect("a body"),
            }
        })
    }

    pub(crate) fn get_as(&self, who: &str, path: &str) -> Answer {
        self.send(
            self.client
                .get(self.server.url(path))
                .bearer_auth(&self.tokens[who]),
        )
    }

    fn receipt_as(&self, who: &str, key: &str, receipt_ref: &str) -> Answer {
        self.send(
            self.client
                .post(self.server.url("/api/receipts"))
                .bearer_auth(&self.tokens[who])
                .header("Idempotency-Key", key)
                .json(&json!({
                    "receipt_ref": receipt_ref, "received_on": "2026-03-20", "payer": "commissioner",
                    "agreement_ref": "AG-ANN", "stream_ref": "ASC", "amount": "100.00"
                })),
        )
    }
}

fn refs(page: &Value, field: &str) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {page}"))
        .iter()
        .map(|i| i[field].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_role_gets_exactly_its_answer_to_every_read() {
    let w = World::basic();
    let statement =
        |a: &str| format!("/api/agreements/{a}/statements?from=2026-03-01&to=2026-03-31");
    let ncc_return = "/api/commissioners/NCC/returns?from=2026-03-01&to=2026-03-31";
    let icb_return = "/api/commissioners/ICB-NE/returns?from=2026-03-01&to=2026-03-31";
    let cases: Vec<(&str, String, u16)> = vec![
        // Provider staff see everything of their provider.
        ("coordinator", "/api/agreements/AG-BOB".into(), 200),
        ("coordinator", ncc_return.into(), 200),
        ("finance", statement("AG-CHI"), 200),
        ("admin", "/api/audit".into(), 200),
        ("coordinator", "/api/audit".into(), 403),
        ("finance", "/api/audit".into(), 403),
        // A budget holder: their own agreement, never another person's.
        ("ann", "/api/agreements/AG-ANN".into(), 200),
        ("ann", statement("AG-ANN"), 200),
        ("ann", "/api/agreements/AG-BOB".into(), 404),
        ("ann", statement("AG-BOB"), 404),
        ("ann", "/api/agreements/AG-BOB/exceptions".into(), 404),
        ("ann", "/api/people/P-ANN".into(), 200),
        ("ann", "/api/people/P-BOB".into(), 404),
        ("ann", ncc_return.into(), 403),
        ("ann", "/api/commissioners".into(), 403),
        ("ann", "/api/audit".into(), 403),
        // A care worker: the people they visit, and no money at all.
        ("dan", "/api/people/P-ANN".into(), 200),
        ("dan", "/api/people/P-BOB".into(), 404),
        ("dan", "/api/agreements/AG-ANN".into(), 403),
        ("dan", "/api/agreements".into(), 403),
        ("dan", statement("AG-ANN"), 403),
        ("dan", "/api/exceptions".into(), 403),
        ("dan", ncc_return.into(), 403),
        // A commissioner officer: what their commissioner funds, and only their own returns.
        ("icb", icb_return.into(), 200),
        ("icb", ncc_return.into(), 404),
        ("icb", "/api/commissioners/ICB-NE".into(), 200),
        ("icb", "/api/commissioners/NCC".into(), 404),
        ("icb", "/api/agreements/AG-BOB".into(), 200),
        ("icb", "/api/agreements/AG-ANN".into(), 404),
        ("icb", statement("AG-ANN"), 404),
        ("icb", "/api/people/P-BOB".into(), 200),
        ("icb", "/api/people/P-ANN".into(), 404),
        ("icb", "/api/audit".into(), 403),
    ];
    let mut wrong = Vec::new();
    for (who, path, expected) in &cases {
        let answer = w.get_as(who, path);
        if answer.status != *expected {
            wrong.push(format!(
                "{who} GET {path}: {} (expected {expected}): {}",
                answer.status, answer.text
            ));
        }
        if *expected >= 400 {
            assert!(
                answer.headers["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("application/problem+json"),
                "{who} GET {path}"
            );
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn lists_hold_only_what_the_caller_may_see() {
    let w = World::basic();
    assert_eq!(
        refs(&w.get_as("ann", "/api/agreements").json(), "agreement_ref"),
        ["AG-ANN"]
    );
    assert_eq!(
        refs(&w.get_as("icb", "/api/agreements").json(), "agreement_ref"),
        ["AG-BOB"]
    );
    assert_eq!(
        refs(
            &w.get_as("coordinator", "/api/agreements").json(),
            "agreement_ref"
        ),
        ["AG-ANN", "AG-BOB", "AG-CHI"]
    );
    assert_eq!(
        refs(&w.get_as("ann", "/api/people").json(), "person_ref"),
        ["P-ANN"]
    );
    assert_eq!(
        refs(&w.get_as("dan", "/api/people").json(), "person_ref"),
        ["P-ANN"]
    );
    assert_eq!(
        refs(&w.get_as("icb", "/api/people").json(), "person_ref"),
        ["P-BOB"]
    );
    assert_eq!(
        refs(
            &w.get_as("icb", "/api/commissioners").json(),
            "commissioner_ref"
        ),
        ["ICB-NE"]
    );
    let exceptions = w.get_as("icb", "/api/exceptions?limit=500").json();
    let agreements: std::collections::BTreeSet<String> =
        refs(&exceptions, "agreement_ref").into_iter().collect();
    assert!(agreements.iter().all(|a| a == "AG-BOB"), "{agreements:?}");
    let ann: std::collections::BTreeSet<String> = refs(
        &w.get_as("ann", "/api/exceptions?limit=500").json(),
        "agreement_ref",
    )
    .into_iter()
    .collect();
    assert!(ann.iter().all(|a| a == "AG-ANN"), "{ann:?}");
}

#[test]
fn a_record_outside_the_callers_scope_is_answered_as_one_that_does_not_exist() {
    let w = World::basic();
    let hidden = w.get_as("ann", "/api/agreements/AG-BOB").json();
    let missing = w.get_as("ann", "/api/agreements/AG-NOBODY").json();
    assert_eq!(hidden["title"], missing["title"]);
    assert_eq!(
        hidden["detail"].as_str().unwrap().replace("AG-BOB", "X"),
        missing["detail"]
            .as_str()
            .unwrap()
            .replace("AG-NOBODY", "X")
    );
}

#[test]
fn only_finance_and_the_admin_record_money_and_the_audit_log_says_who() {
    let w = World::basic();
    for who in ["coordinator", "ann", "dan", "icb"] {
        let answer = w.receipt_as(who, &format!("k-{who}"), &format!("R-{who}"));
        assert_eq!(answer.status, 403, "{who}: {}", answer.text);
    }
    let answer = w.receipt_as("finance", "k-1", "R-FIN");
    assert_eq!(answer.status, 201, "{}", answer.text);
    // Another account using the same key gets its own request, not finance's reply.
    let admin = w.receipt_as("admin", "k-1", "R-ADM");
    assert_eq!(admin.status, 201, "{}", admin.text);
    assert_eq!(admin.json()["receipt"]["receipt_ref"], "R-ADM");
    let audit = w.get_as("admin", "/api/audit?limit=500").json();
    let entries = audit["items"].as_array().unwrap();
    let recorded: Vec<(&str, &str)> = entries
        .iter()
        .filter(|e| e["action"] == "receipt.recorded")
        .map(|e| (e["actor"].as_str().unwrap(), e["subject"].as_str().unwrap()))
        .collect();
    assert_eq!(
        recorded,
        [("finance", "receipt:R-FIN"), ("admin", "receipt:R-ADM")]
    );
    assert!(entries
        .iter()
        .any(|e| e["action"] == "account.created" && e["subject"] == "account:ann"));
}

#[test]
fn missing_wrong_expired_or_revoked_credentials_are_refused_alike() {
    let w = World::basic();
    let plain = w.send(w.client.get(w.server.url("/api/agreements")));
    assert_eq!(plain.status, 401);
    assert!(plain.headers["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
    for bad in ["nonsense", "isf_0000000000000000_00", "Basic abc"] {
        let answer = w.send(
            w.client
                .get(w.server.url("/api/agreements"))
                .header("authorization", format!("Bearer {bad}")),
        );
        assert_eq!(answer.status, 401, "{bad}");
    }
    let token = w.tokens["coordinator"].clone();
    let id = token.split('_').nth(1).unwrap();
    assert_eq!(w.get_as("coordinator", "/api/agreements").status, 200);
    w.db.isf_ok(&["user", "revoke", id]);
    assert_eq!(w.get_as("coordinator", "/api/agreements").status, 401);
    // The health check and the API's own description need nobody.
    assert_eq!(w.send(w.client.get(w.server.url("/health"))).status, 200);
    assert_eq!(
        w.send(w.client.get(w.server.url("/api/openapi.json")))
            .status,
        200
    );
}

/// The value of cookie `name` among a response's `Set-Cookie` headers.
fn cookie(answer: &Answer, name: &str) -> Option<String> {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap().to_owned())
        })
        .filter(|v| !v.is_empty())
}

fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

#[test]
fn a_browser_signs_in_sees_its_pages_and_needs_the_csrf_token_to_change_anything() {
    let w = World::basic();
    let password = "a long enough password";
    w.db.isf_with_input(
        &[
            "user",
            "add",
            "fiona",
            "--role",
            "finance",
            "--password-stdin",
        ],
        &format!("{password}\n"),
    );

    // A page asks a visitor who is not signed in to sign in, and comes back afterwards.
    let page = w.send(
        w.client
            .get(w.server.url("/agreements/AG-ANN/statements/2026-03")),
    );
    assert_eq!(page.status, 303);
    assert_eq!(
        page.headers["location"],
        "/login?next=/agreements/AG-ANN/statements/2026-03"
    );

    let form = w.send(
        w.client.get(
            w.server
                .url("/login?next=/agreements/AG-ANN/statements/2026-03"),
        ),
    );
    assert_eq!(form.status, 200);
    let sign_in_cookie = cookie(&form, "isf_sign_in").expect("a sign-in cookie");
    let csrf = hidden_field(&form.text, "csrf");
    let post = |password: &str, csrf: &str| {
        w.send(
            w.client
                .post(w.server.url("/login"))
                .header("cookie", format!("isf_sign_in={sign_in_cookie}"))
                .form(&[
                    ("username", "fiona"),
                    ("password", password),
                    ("csrf", csrf),
                    ("next", "/agreements/AG-ANN/statements/2026-03"),
                ]),
        )
    };
    assert_eq!(post(password, "forged").status, 403);
    let wrong = post("not the password", &csrf);
    assert_eq!(wrong.status, 401);
    assert!(wrong.text.contains("The username or password is not right"));
    let signed_in = post(password, &csrf);
    assert_eq!(signed_in.status, 303, "{}", signed_in.text);
    assert_eq!(
        signed_in.headers["location"],
        "/agreements/AG-ANN/statements/2026-03"
    );
    let set_cookie = signed_in.headers["set-cookie"].to_str().unwrap().to_owned();
    let session = cookie(&signed_in, "isf_session").expect("a session cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(
            signed_in
                .headers
                .get_all("set-cookie")
                .iter()
                .any(|v| v.to_str().unwrap().contains(attribute)),
            "{attribute} missing from {set_cookie}"
        );
    }
    let with_session = |request: ::reqwest::RequestBuilder| {
        request.header("cookie", format!("isf_session={session}"))
    };
    let statement = w.send(with_session(
        w.client
            .get(w.server.url("/agreements/AG-ANN/statements/2026-03")),
    ));
    assert_eq!(statement.status, 200);

    // An API write with only the cookie is refused; with the session's CSRF token it is made.
    let receipt = json!({"receipt_ref": "R-WEB", "received_on": "2026-03-20", "payer": "commissioner",
        "agreement_ref": "AG-ANN", "stream_ref": "ASC", "amount": "10.00"});
    let without = w.send(
        with_session(w.client.post(w.server.url("/api/receipts")))
            .header("Idempotency-Key", "web-1")
            .json(&receipt),
    );
    assert_eq!(without.status, 403, "{}", without.text);
    // The CSRF token is the session's: `/api/me` gives it to the signed-in browser.
    let token = session_csrf(&w, &session);
    let with = w.send(
        with_session(w.client.post(w.server.url("/api/receipts")))
            .header("Idempotency-Key", "web-1")
            .header("x-csrf-token", &token)
            .json(&receipt),
    );
    assert_eq!(with.status, 201, "{}", with.text);

    // Signing out ends the session.
    let out = w.send(
        with_session(w.client.post(w.server.url("/logout"))).form(&[("csrf", token.as_str())]),
    );
    assert_eq!(out.status, 303);
    let after = w.send(with_session(w.client.get(w.server.url("/api/agreements"))));
    assert_eq!(after.status, 401);
}

/// The session's CSRF token, as a signed-in page hands it to its forms and scripts.
fn session_csrf(w: &World, session: &str) -> String {
    let me = w.send(
        w.client
            .get(w.server.url("/api/me"))
            .header("cookie", format!("isf_session={session}")),
    );
    assert_eq!(me.status, 200, "{}", me.text);
    me.json()["csrf_token"]
        .as_str()
        .expect("a csrf token")
        .to_owned()
}

#[test]
fn the_audit_log_cannot_be_changed_in_the_database() {
    let w = World::basic();
    let _ = w.receipt_as("finance", "k-audit", "R-AUD");
    for statement in [
        "UPDATE audit_log SET actor = 'someone else'",
        "DELETE FROM audit_log",
    ] {
        let refused = w.db.sql(statement);
        assert!(refused.is_err(), "{statement} was allowed");
        assert!(refused.unwrap_err().contains("append-only"), "{statement}");
    }
}

#[test]
fn a_coordinator_resolves_an_exception_once_and_the_audit_log_says_who() {
    let w = World::basic();
    let open = w
        .get_as("coordinator", "/api/exceptions?status=open&limit=1")
        .json();
    let key = open["items"][0]["key"]
        .as_str()
        .expect("an open exception")
        .to_owned();
    let resolve = |who: &str, idempotency: &str, note: &str| {
        w.send(
            w.client
                .post(w.server.url(&format!("/api/exceptions/{key}/resolution")))
                .bearer_auth(&w.tokens[who])
                .header("Idempotency-Key", idempotency)
                .json(&json!({ "note": note })),
        )
    };
    for who in ["finance", "ann", "dan", "icb"] {
        assert_eq!(resolve(who, "r-0", "done").status, 403, "{who}");
    }
    let blank = resolve("coordinator", "r-blank", "   ");
    assert_eq!(blank.status, 422);
    assert_eq!(blank.json()["errors"][0]["field"], "note");
    let first = resolve(
        "coordinator",
        "r-1",
        "Rang Ann; the visit moved to Thursday",
    );
    assert_eq!(first.status, 200, "{}", first.text);
    let body = first.json();
    assert_eq!(body["status"], "resolved");
    assert_eq!(body["resolved_by"], "coordinator");
    let replay = resolve(
        "coordinator",
        "r-1",
        "Rang Ann; the visit moved to Thursday",
    );
    assert_eq!(replay.status, 200);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_eq!(replay.text, first.text);
    assert_eq!(resolve("coordinator", "r-1", "another note").status, 409);
    assert_eq!(resolve("coordinator", "r-2", "again").status, 409);
    let audit = w.get_as("admin", "/api/audit?limit=500").json();
    assert!(audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "exception.resolved"
            && e["actor"] == "coordinator"
            && e["subject"] == format!("exception:{key}")));
    let listed = w
        .get_as("coordinator", "/api/exceptions?status=resolved")
        .json();
    assert_eq!(listed["items"][0]["key"], key.as_str());
}

/// Signs `username` in through the sign-in form; returns the session cookie's value.
pub(crate) fn sign_in(w: &World, username: &str, password: &str) -> String {
    let form = w.send(w.client.get(w.server.url("/login")));
    let cookie_value = cookie(&form, "isf_sign_in").expect("a sign-in cookie");
    let csrf = hidden_field(&form.text, "csrf");
    let answer = w.send(
        w.client
            .post(w.server.url("/login"))
            .header("cookie", format!("isf_sign_in={cookie_value}"))
            .form(&[
                ("username", username),
                ("password", password),
                ("csrf", csrf.as_str()),
                ("next", "/"),
            ]),
    );
    assert_eq!(answer.status, 303, "{}", answer.text);
    cookie(&answer, "isf_session").expect("a session cookie")
}

#[test]
fn the_dashboard_shows_staff_what_needs_attention_and_resolves_from_its_queue() {
    let w = World::basic();
    let password = "coordinator's long password";
    w.db.isf_with_input(
        &[
            "user",
            "add",
            "cora",
            "--role",
            "coordinator",
            "--password-stdin",
        ],
        &format!("{password}\n"),
    );
    w.db.isf_with_input(
        &[
            "user",
            "add",
            "bea",
            "--role",
            "budget_holder",
            "--agreement",
            "AG-BOB",
            "--password-stdin",
        ],
        &format!("{password}\n"),
    );
    w.db.isf_with_input(
        &[
            "user",
            "add",
            "wes",
            "--role",
            "care_worker",
            "--worker",
            "W-DAN",
            "--password-stdin",
        ],
        &format!("{password}\n"),
    );
    let anonymous = w.send(w.client.get(w.server.url("/")));
    assert_eq!(anonymous.status, 303);
    assert_eq!(anonymous.headers["location"], "/login?next=/");

    let session = sign_in(&w, "cora", password);
    let get = |path: &str, session: &str| {
        w.send(
            w.client
                .get(w.server.url(path))
                .header("cookie", format!("isf_session={session}")),
        )
    };
    let dashboard = get("/", &session);
    assert_eq!(dashboard.status, 200, "{}", dashboard.text);
    for words in [
        "funds overspent",
        "open exceptions",
        "AG-ANN",
        "AG-BOB",
        "AG-CHI",
        "Resolve",
    ] {
        assert!(
            dashboard.text.contains(words),
            "the dashboard lacks {words:?}"
        );
    }
    let key = hidden_field(&dashboard.text, "key");
    let form_key = hidden_field(&dashboard.text, "form_key");
    let csrf = hidden_field(&dashboard.text, "csrf");
    let resolve = |csrf: &str| {
        w.send(
            w.client
                .post(w.server.url("/exceptions/resolution"))
                .header("cookie", format!("isf_session={session}"))
                .form(&[
                    ("csrf", csrf),
                    ("key", key.as_str()),
                    ("form_key", form_key.as_str()),
                    ("note", "Rang the family"),
                ]),
        )
    };
    assert_eq!(resolve("forged").status, 403);
    let done = resolve(&csrf);
    assert_eq!(done.status, 303, "{}", done.text);
    assert!(done.headers["location"]
        .to_str()
        .unwrap()
        .starts_with("/?resolved="));
    assert_eq!(
        resolve(&csrf).status,
        303,
        "a form sent twice resolves once"
    );
    let listed = w.get_as("admin", "/api/exceptions?status=resolved").json();
    assert_eq!(listed["items"][0]["key"], key.as_str());
    assert_eq!(listed["items"][0]["resolved_by"], "cora");
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    // A budget holder is taken to their own statement; a care worker has no dashboard.
    let holder = get("/", &sign_in(&w, "bea", password));
    assert_eq!(holder.status, 303);
    assert!(holder.headers["location"]
        .to_str()
        .unwrap()
        .starts_with("/agreements/AG-BOB/statements/"));
    assert_eq!(get("/", &sign_in(&w, "wes", password)).status, 403);
}

#[test]
fn staff_upload_csv_files_and_see_every_bad_row_with_nothing_applied() {
    let w = World::basic();
    let password = "finance's long password";
    w.db.isf_with_input(
        &[
            "user",
            "add",
            "fay",
            "--role",
            "finance",
            "--password-stdin",
        ],
        &format!("{password}\n"),
    );
    w.db.isf_with_input(
        &[
            "user",
            "add",
            "icy",
            "--role",
            "commissioner_officer",
            "--commissioner",
            "NCC",
            "--password-stdin",
        ],
        &format!("{password}\n"),
    );
    let session = sign_in(&w, "fay", password);
    let page = w.send(
        w.client
            .get(w.server.url("/imports"))
            .header("cookie", format!("isf_session={session}")),
    );
    assert_eq!(page.status, 200);
    let csrf = hidden_field(&page.text, "csrf");
    let upload = |session: &str, csrf: &str, name: &str, csv: &str| {
        let form = ::reqwest::multipart::Form::new()
            .text("csrf", csrf.to_owned())
            .part(
                "files",
                ::reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
                    .file_name(name.to_owned()),
            );
        w.send(
            w.client
                .post(w.server.url("/imports"))
                .header("cookie", format!("isf_session={session}"))
                .multipart(form),
        )
    };
    let header = "receipt_ref,received_on,payer,agreement_ref,stream_ref,amount\n";
    let bad = format!("{header}R-UP1,2026-03-20,commissioner,AG-ANN,ASC,10.00\nR-UP2,2026-03-20,commissioner,AG-ANN,ASC,10.005\n");
    let balance = || {
        w.get_as("admin", "/api/agreements/AG-ANN").json()["funds"][0]["balance"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Balances are decimal strings with two places: their digits are pence.
    let pence = |t: &str| t.replace('.', "").parse::<i64>().unwrap();
    let before = balance();
    let refused = upload(&session, &csrf, "receipts.csv", &bad);
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert!(
        refused.text.contains("Nothing was imported: 1 problem(s)"),
        "{}",
        refused.text
    );
    assert!(
        refused
            .text
            .contains("<td>receipts.csv</td><td class=\"n\">3</td><td>amount</td>"),
        "{}",
        refused.text
    );
    assert_eq!(
        balance(),
        before,
        "the good row of a rejected upload was applied"
    );

    let good = format!("{header}R-UP1,2026-03-20,commissioner,AG-ANN,ASC,10.00\n");
    let imported = upload(&session, &csrf, "receipts.csv", &good);
    assert_eq!(imported.status, 200, "{}", imported.text);
    assert!(imported.text.contains("<h2>Imported</h2>"));
    assert_eq!(
        pence(&balance()) - pence(&before),
        1000,
        "the receipt is in the fund"
    );
    assert_eq!(
        upload(&session, "forged", "receipts.csv", &good).status,
        403
    );
    let unknown = upload(&session, &csrf, "notes.csv", &good);
    assert_eq!(unknown.status, 422);
    assert!(unknown
        .text
        .contains("notes.csv is not the name of an input file"));
    // A commissioner's officer may not import.
    let officer = sign_in(&w, "icy", password);
    let form = w.send(
        w.client
            .get(w.server.url("/imports"))
            .header("cookie", format!("isf_session={officer}")),
    );
    assert_eq!(form.status, 403);
    let audit = w.get_as("admin", "/api/audit?limit=500").json();
    assert!(audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "records.imported" && e["actor"] == "fay"));
}

#[test]
fn a_persons_page_shows_staff_their_plan_money_and_statements_and_nobody_else() {
    let w = World::basic();
    let password = "coordinator's long password";
    for (name, role, links) in [
        ("cora", "coordinator", vec![]),
        ("ann2", "budget_holder", vec!["--agreement", "AG-ANN"]),
        ("wes", "care_worker", vec!["--worker", "W-DAN"]),
    ] {
        let mut args = vec!["user", "add", name, "--role", role, "--password-stdin"];
        args.extend(links);
        w.db.isf_with_input(&args, &format!("{password}\n"));
    }
    let get = |path: &str, session: &str| {
        w.send(
            w.client
                .get(w.server.url(path))
                .header("cookie", format!("isf_session={session}")),
        )
    };
    let anonymous = w.send(w.client.get(w.server.url("/people/P-ANN")));
    assert_eq!(anonymous.status, 303);

    let cora = sign_in(&w, "cora", password);
    let dashboard = get("/", &cora);
    assert!(
        dashboard.text.contains("href=\"/people/P-ANN\""),
        "the dashboard links to the person"
    );
    let page = get("/people/P-ANN", &cora);
    assert_eq!(page.status, 200, "{}", page.text);
    for words in [
        "<h1>Ann",
        "Agreement AG-ANN",
        "I want to go swimming on Tuesdays",
        "<caption>Each fund",
        "<caption>The latest 30 transactions",
        "<td>fee</td>",
        "href=\"/agreements/AG-ANN/statements/2026-11\"",
    ] {
        assert!(
            page.text.contains(words),
            "{words:?} on the page: {}",
            page.text
        );
    }
    assert!(!page.text.contains("AG-BOB"), "only Ann's agreements");
    assert_eq!(get("/people/P-NOBODY", &cora).status, 404);

    for who in ["ann2", "wes"] {
        let session = sign_in(&w, who, password);
        assert_eq!(get("/people/P-ANN", &session).status, 403, "{who}");
    }
}

#[test]
fn the_roster_is_listed_to_each_role_as_far_as_it_may_see() {
    let w = World::basic();
    let list = |who: &str, query: &str| -> Value {
        let answer = w.get_as(who, &format!("/api/visits{query}"));
        assert_eq!(answer.status, 200, "{who} {query}: {}", answer.text);
        answer.json()
    };
    let all = refs(&list("coordinator", "?limit=500"), "visit_ref");
    assert!(all.len() > 10, "{all:?}");
    let dans = list("dan", "?limit=500");
    for v in dans["items"].as_array().expect("items") {
        assert!(
            v["worker_refs"]
                .as_array()
                .expect("workers")
                .contains(&json!("W-DAN")),
            "a care worker sees only their own visits: {v}"
        );
        assert!(v.get("amount").is_none(), "no money on a visit");
    }
    assert!(!refs(&dans, "visit_ref").is_empty());
    for v in list("ann", "?limit=500")["items"]
        .as_array()
        .expect("items")
    {
        assert_eq!(v["agreement_ref"], "AG-ANN");
    }
    for v in list("icb", "?limit=500")["items"]
        .as_array()
        .expect("items")
    {
        assert_eq!(v["agreement_ref"], "AG-BOB", "ICB-NE funds Bob only");
    }
    let march = list(
        "coordinator",
        "?agreement=AG-ANN&from=2026-03-16&to=2026-03-18&limit=500",
    );
    assert_eq!(refs(&march, "visit_ref"), ["V-A01", "V-A02", "V-A13"]);
    assert_eq!(march["items"][0]["date"], "2026-03-16");
    assert_eq!(march["items"][0]["attended"], true);

    let first = list("coordinator", "?limit=2");
    let next = first["next_after"].as_str().expect("a cursor").to_owned();
    let second = list("coordinator", &format!("?limit=2&after={next}"));
    assert_eq!(refs(&second, "visit_ref"), all[2..4].to_vec());
    assert_eq!(
        w.get_as("coordinator", "/api/visits?from=2026-03-31&to=2026-03-01")
            .status,
        422
    );
    assert_eq!(
        w.get_as("coordinator", "/api/visits?colour=red").status,
        400
    );
}
