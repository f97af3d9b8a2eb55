//! Support plans through the API (`/api/agreements/{ref}/plans`), against a server holding the
//! basic scenario: AG-ANN's plan version 2 (approved 2026-03-30 by NCC: washing 3 h, swimming
//! 2.5 h, gardening 0 h a week) is in force today. Who may read a plan and take each step, the
//! path from draft to in force, a change within budget, and what an approval may not strand.
use crate::access::{Answer, World};
use serde_json::{json, Value};

impl World {
    fn step_as(&self, who: &str, version: i64, step: &str, key: &str, note: &str) -> Answer {
        self.send(
            self.client
                .post(
                    self.server
                        .url(&format!("/api/agreements/AG-ANN/plans/{version}/{step}")),
                )
                .bearer_auth(&self.tokens[who])
                .header("Idempotency-Key", key)
                .json(&json!({ "note": note })),
        )
    }

    fn add_outcome(
        &self,
        key: &str,
        version: i64,
        outcome_ref: &str,
        support: &str,
        hours: &str,
    ) -> Answer {
        self.send(
            self.client
                .post(self.server.url("/api/outcomes"))
                .bearer_auth(&self.tokens["coordinator"])
                .header("Idempotency-Key", key)
                .json(&json!({
                    "agreement_ref": "AG-ANN", "plan_version": version.to_string(),
                    "outcome_ref": outcome_ref, "stream_ref": "ASC", "title": format!("{outcome_ref} title"),
                    "support_type": support, "weekly_hours": hours, "short_visits_agreed": "false"
                })),
        )
    }

    /// Drafts version 3 of Ann's plan with these weekly hours for washing, swimming, gardening.
    fn draft_version_3(&self, wash: &str, swim: &str, garden: &str) {
        for (outcome, support, hours) in [
            ("O-WASH", "personal_care", wash),
            ("O-SWIM", "social_inclusion", swim),
            ("O-GARDEN", "social_inclusion", garden),
        ] {
            let added = self.add_outcome(&format!("draft-{outcome}"), 3, outcome, support, hours);
            assert_eq!(added.status, 201, "{}", added.text);
        }
    }

    fn plan(&self, who: &str) -> Value {
        let answer = self.get_as(who, "/api/agreements/AG-ANN/plans");
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.json()
    }

    fn audit_actions(&self) -> Vec<String> {
        self.get_as("admin", "/api/audit").json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

fn version(plan: &Value, number: i64) -> &Value {
    plan["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .find(|v| v["version"] == number)
        .unwrap_or_else(|| panic!("no version {number}: {plan}"))
}

fn today() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive()
        .to_string()
}

#[test]
fn a_draft_is_submitted_returned_and_approved_by_its_commissioner_and_is_in_force_from_that_day() {
    let w = World::basic();
    // Washing up to 5 h a week costs more than the plan in force: the commissioner decides.
    w.draft_version_3("5", "2.5", "0");

    let plan = w.plan("ann");
    assert_eq!(plan["in_force_version"], 2);
    assert_eq!(version(&plan, 3)["status"], "draft");
    assert_eq!(version(&plan, 2)["approval_route"], "file");
    assert_eq!(version(&plan, 2)["approved_on"], "2026-03-30");
    assert_eq!(
        version(&plan, 3)["outcomes"][1]["weekly_hours"],
        "2.50",
        "O-GARDEN, O-SWIM, O-WASH"
    );

    // Scope: Dan visits Ann and reads her outcomes; ICB-NE funds nothing of Ann's.
    assert_eq!(w.get_as("dan", "/api/agreements/AG-ANN/plans").status, 200);
    assert_eq!(w.get_as("dan", "/api/agreements/AG-BOB/plans").status, 404);
    assert_eq!(w.get_as("icb", "/api/agreements/AG-ANN/plans").status, 404);
    assert_eq!(w.get_as("ann", "/api/agreements/AG-BOB/plans").status, 404);
    assert_eq!(w.step_as("icb", 3, "approval", "icb-1", "").status, 404);

    // Only a submitted version is decided; only provider staff who run the roster submit.
    let early = w.step_as("ncc", 3, "approval", "ncc-early", "");
    assert_eq!(early.status, 409, "{}", early.text);
    for who in ["ann", "finance", "dan", "ncc"] {
        assert_eq!(
            w.step_as(who, 3, "submission", &format!("{who}-s"), "")
                .status,
            403,
            "{who}"
        );
    }
    let submitted = w.step_as(
        "coordinator",
        3,
        "submission",
        "c-1",
        "Ann wants more help mornings",
    );
    assert_eq!(submitted.status, 201, "{}", submitted.text);
    let body = submitted.json();
    assert_eq!(body["status"], "submitted");
    assert_eq!(
        body["budget"][0]["weekly_cost_before"], "128.33",
        "3 × 25.40 + 2.5 × 20.85"
    );
    assert_eq!(body["budget"][0]["weekly_cost_after"], "179.13");
    assert_eq!(body["budget"][0]["within"], false);

    // A submitted version's outcomes are fixed.
    let late = w.add_outcome("late", 3, "O-CINEMA", "social_inclusion", "1");
    assert_eq!(late.status, 422, "{}", late.text);
    assert_eq!(late.json()["errors"][0]["field"], "plan_version");
    assert_eq!(
        w.step_as("coordinator", 3, "approval", "c-2", "").status,
        403
    );

    // Returned with a note, it is a draft again; submitted again, it is approved.
    let no_note = w.step_as("ncc", 3, "return", "ncc-r0", "  ");
    assert_eq!(no_note.status, 422, "{}", no_note.text);
    assert_eq!(no_note.json()["errors"][0]["field"], "note");
    let returned = w.step_as(
        "ncc",
        3,
        "return",
        "ncc-r1",
        "Please split washing from dressing",
    );
    assert_eq!(returned.status, 201, "{}", returned.text);
    assert_eq!(returned.json()["status"], "draft");
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
    let session = crate::access::sign_in(&w, "cora", password);
    let page = w.send(
        w.client
            .get(w.server.url("/people/P-ANN"))
            .header("cookie", format!("isf_session={session}")),
    );
    assert!(
        page.text.contains("Version 3: returned by ncc on") && page.text.contains("split washing"),
        "the person page says why: {}",
        page.text
    );
    assert_eq!(
        w.step_as("coordinator", 3, "submission", "c-3", "as discussed")
            .status,
        201
    );
    let approved = w.step_as("ncc", 3, "approval", "ncc-a1", "agreed at review");
    assert_eq!(approved.status, 201, "{}", approved.text);
    let body = approved.json();
    assert_eq!(body["status"], "approved");
    assert_eq!(body["approval_route"], "commissioner");
    assert_eq!(body["approved_by"], "ncc");
    assert_eq!(body["approved_on"], today());
    assert_eq!(body["in_force"], true);
    let steps: Vec<&str> = body["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|d| d["step"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(steps, ["submitted", "returned", "submitted", "approved"]);

    let retry = w.step_as("ncc", 3, "approval", "ncc-a1", "agreed at review");
    assert_eq!(retry.status, 201);
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    let again = w.step_as("ncc", 3, "approval", "ncc-a2", "agreed at review");
    assert_eq!(
        again.status, 409,
        "an approved version is kept: {}",
        again.text
    );

    assert_eq!(w.plan("coordinator")["in_force_version"], 3);
    let actions = w.audit_actions();
    for action in ["plan.submitted", "plan.returned", "plan.approved"] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
    // Re-adding a row of the approved version as it stands changes nothing.
    let same = w.add_outcome("draft-O-WASH-again", 3, "O-WASH", "personal_care", "5");
    assert_eq!(same.status, 200, "{}", same.text);
}

#[test]
fn a_change_within_budget_is_approved_by_the_provider_at_once_and_logged() {
    let w = World::basic();
    // Half an hour from swimming to gardening: same support type, same weekly cost.
    w.draft_version_3("3", "2", "0.5");
    let submitted = w.step_as("coordinator", 3, "submission", "c-1", "gardening in spring");
    assert_eq!(submitted.status, 201, "{}", submitted.text);
    let body = submitted.json();
    assert_eq!(body["status"], "approved");
    assert_eq!(body["approval_route"], "within_budget");
    assert_eq!(body["approved_by"], "coordinator");
    assert_eq!(body["in_force"], true);
    assert_eq!(body["budget"][0]["within"], true);
    assert!(w
        .audit_actions()
        .iter()
        .any(|a| a == "plan.changed_within_budget"));
    // The commissioner sees the change in the plan's history.
    let plan = w.plan("ncc");
    assert_eq!(plan["in_force_version"], 3);
    assert_eq!(version(&plan, 3)["history"][0]["route"], "within_budget");
}

#[test]
fn an_approval_that_would_strand_visits_on_the_roster_is_refused() {
    let w = World::basic();
    let day = (chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive()
        + chrono::Duration::days(10))
    .to_string();
    let visit = w.send(
        w.client
            .post(w.server.url("/api/visits"))
            .bearer_auth(&w.tokens["coordinator"])
            .header("Idempotency-Key", "v-swim")
            .json(&json!({
                "visit_ref": "V-SWIM-LATER", "agreement_ref": "AG-ANN", "outcome_ref": "O-SWIM",
                "planned_start": format!("{day}T14:00"), "planned_end": format!("{day}T15:00"),
                "workers_required": "1"
            })),
    );
    assert_eq!(visit.status, 201, "{}", visit.text);
    // Version 3 drops swimming (cheaper, so within budget) while a swim is on the roster.
    for (outcome, support, hours) in [
        ("O-WASH", "personal_care", "3"),
        ("O-GARDEN", "social_inclusion", "2"),
    ] {
        assert_eq!(
            w.add_outcome(outcome, 3, outcome, support, hours).status,
            201
        );
    }
    let refused = w.step_as("coordinator", 3, "submission", "c-1", "");
    assert_eq!(refused.status, 422, "{}", refused.text);
    let reason = refused.json()["errors"][0]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(reason.contains("V-SWIM-LATER"), "{reason}");
    assert_eq!(
        version(&w.plan("coordinator"), 3)["status"],
        "draft",
        "nothing changed"
    );
}
