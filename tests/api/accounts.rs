//! Account management through the API (`/api/accounts`, `/api/tokens`): only a provider admin
//! manages accounts; a generated secret is in the first answer only; a revoked token and a
//! disabled account's tokens are refused at once.
use crate::access::{Answer, World};
use serde_json::{json, Value};

impl World {
    fn post_as(&self, who: &str, path: &str, key: &str, body: &Value) -> Answer {
        self.send(
            self.client
                .post(self.server.url(path))
                .bearer_auth(&self.tokens[who])
                .header("Idempotency-Key", key)
                .json(body),
        )
    }

    fn me_with(&self, token: &str) -> u16 {
        self.send(
            self.client
                .get(self.server.url("/api/me"))
                .bearer_auth(token),
        )
        .status
    }
}

#[test]
fn an_admin_adds_an_account_issues_and_revokes_its_tokens_and_disables_it() {
    let w = World::basic();
    let cora = json!({"username": "cora", "name": "Cora Fielding", "role": "coordinator"});
    for who in ["coordinator", "finance", "ann", "ncc"] {
        let refused = w.post_as(who, "/api/accounts", &format!("{who}-1"), &cora);
        assert_eq!(refused.status, 403, "{who}: {}", refused.text);
        assert_eq!(w.get_as(who, "/api/accounts").status, 403, "{who}");
    }

    let added = w.post_as("admin", "/api/accounts", "a-1", &cora);
    assert_eq!(added.status, 201, "{}", added.text);
    let body = added.json();
    assert_eq!(body["role"], "coordinator");
    let password = body["password"].as_str().expect("a generated password");
    assert!(password.chars().count() >= 12);
    let retry = w.post_as("admin", "/api/accounts", "a-1", &cora);
    assert_eq!(retry.status, 201);
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    assert!(
        retry.json().get("password").is_none(),
        "a secret is shown once: {}",
        retry.text
    );
    assert_eq!(
        w.post_as("admin", "/api/accounts", "a-2", &cora).status,
        409,
        "the name is taken"
    );
    // The password works: Cora signs in.
    crate::access::sign_in(&w, "cora", password);

    // The links a role needs are checked.
    let unlinked = w.post_as(
        "admin",
        "/api/accounts",
        "a-3",
        &json!({"username": "wes", "role": "care_worker"}),
    );
    assert_eq!(unlinked.status, 422, "{}", unlinked.text);
    assert_eq!(unlinked.json()["errors"][0]["field"], "worker");
    let bad_role = w.post_as(
        "admin",
        "/api/accounts",
        "a-4",
        &json!({"username": "x1x", "role": "boss"}),
    );
    assert_eq!(bad_role.json()["errors"][0]["field"], "role");

    // Tokens: issued once, refused when revoked.
    let issued = w.post_as(
        "admin",
        "/api/accounts/cora/tokens",
        "t-1",
        &json!({"days": 7, "label": "rota app"}),
    );
    assert_eq!(issued.status, 201, "{}", issued.text);
    let token = issued.json()["token"]
        .as_str()
        .expect("the token")
        .to_owned();
    let token_id = issued.json()["token_id"].as_str().unwrap().to_owned();
    assert_eq!(w.me_with(&token), 200);
    let second = w.post_as("admin", "/api/accounts/cora/tokens", "t-2", &json!({}));
    let second_token = second.json()["token"]
        .as_str()
        .expect("another token")
        .to_owned();
    let revoked = w.post_as(
        "admin",
        &format!("/api/tokens/{token_id}/revocation"),
        "r-1",
        &json!({}),
    );
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert!(revoked.json()["revoked_at"].is_string());
    assert_eq!(w.me_with(&token), 401, "a revoked token is refused at once");
    assert_eq!(w.me_with(&second_token), 200);
    assert_eq!(
        w.post_as(
            "admin",
            "/api/tokens/0000000000000000/revocation",
            "r-2",
            &json!({})
        )
        .status,
        404
    );

    // Disabled: every token of the account is refused; nobody disables themselves.
    let disabled = w.post_as(
        "admin",
        "/api/accounts/cora/disablement",
        "d-1",
        &json!({"reason": "left"}),
    );
    assert_eq!(disabled.status, 200, "{}", disabled.text);
    assert_eq!(disabled.json()["disabled"], true);
    assert_eq!(w.me_with(&second_token), 401);
    let own = w.post_as(
        "admin",
        "/api/accounts/admin/disablement",
        "d-2",
        &json!({}),
    );
    assert_eq!(own.status, 422, "{}", own.text);

    let listed = w.get_as("admin", "/api/accounts?limit=500").json();
    let cora = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "cora")
        .expect("cora listed");
    assert_eq!(cora["disabled"], true);
    assert!(cora.get("password").is_none());
    let actions: Vec<String> = w.get_as("admin", "/api/audit?limit=500").json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default().to_owned())
        .collect();
    for action in [
        "account.created",
        "token.issued",
        "token.revoked",
        "account.disabled",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}
