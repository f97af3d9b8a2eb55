//! `/api/accounts`, `/api/tokens`: account management for the provider's administrator
//! (`app::account_admin`). A generated password or token is in the first answer only.
use super::auth::Viewer;
use super::idempotent::{idempotency_key, reply_response};
use super::{page_limit, query_checked, ApiError, AppState, FieldError, Problem};
use crate::app::account_admin::{self, Answer};
use crate::app::accounts::{AccountInput, TOKEN_DAYS_DEFAULT};
use crate::app::receipts::Reply;
use crate::db::accounts::{StoredAccount, StoredToken};
use crate::domain::access::{Principal, Role};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, IntoResponses, ToSchema};

/// An account: who, in what role, linked to what.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountBody {
    #[schema(example = "cora")]
    pub username: String,
    #[schema(example = "Cora Fielding")]
    pub name: String,
    /// One of `provider_admin`, `coordinator`, `finance`, `care_worker`, `budget_holder`,
    /// `commissioner_officer`.
    #[schema(example = "coordinator")]
    pub role: String,
    pub worker_ref: Option<String>,
    pub commissioner_ref: Option<String>,
    pub agreement_refs: Vec<String>,
    /// A disabled account signs in no more; its tokens and sessions are refused.
    pub disabled: bool,
    /// The generated password: in the first answer to the request that added the account only,
    /// never stored in clear, never in a retry's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "k7Qm2xW9pLr4Tz8vNc3B")]
    pub password: Option<String>,
}

fn account_body(p: &Principal, disabled: bool) -> AccountBody {
    AccountBody {
        username: p.username.clone(),
        name: p.display_name.clone(),
        role: p.role.word().to_owned(),
        worker_ref: p.worker_ref.clone(),
        commissioner_ref: p.commissioner_ref.clone(),
        agreement_refs: p.agreement_refs.iter().cloned().collect(),
        disabled,
        password: None,
    }
}

/// A page of accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountPage {
    pub items: Vec<AccountBody>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_after: Option<String>,
}

/// `?limit=&after=` of the accounts list (a username is not a ref: it may hold `.` and `@`).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccountParams {
    /// How many items to return: 1 to 500 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500, example = 100)]
    limit: Option<String>,
    /// The last username of the previous page (its `next_after`).
    #[param(value_type = Option<String>, max_length = 64, example = "cora")]
    after: Option<String>,
}

/// An account to add. Its password is generated and shown once, in the answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "cora", "name": "Cora Fielding", "role": "coordinator"}))]
pub struct AccountRequest {
    /// 3 to 64 characters: lowercase letters, digits, `.`, `_`, `-`, `@`.
    #[schema(example = "cora", max_length = 64)]
    pub username: String,
    /// The name shown; the username when left out.
    #[schema(example = "Cora Fielding", max_length = 200)]
    pub name: Option<String>,
    #[schema(example = "coordinator")]
    pub role: String,
    /// A care worker's worker (required for `care_worker`, refused otherwise).
    #[schema(max_length = 40)]
    pub worker_ref: Option<String>,
    /// A commissioner officer's commissioner (required for `commissioner_officer`).
    #[schema(max_length = 40)]
    pub commissioner_ref: Option<String>,
    /// A budget holder's agreements (one or more for `budget_holder`).
    #[serde(default)]
    pub agreement_refs: Vec<String>,
}

/// A token to issue.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"days": 30, "label": "call monitoring feed"}))]
pub struct TokenRequest {
    /// How long it lasts: 1 to 366 days (default 90).
    #[schema(example = 30, minimum = 1, maximum = 366)]
    pub days: Option<i64>,
    /// What it is for, to recognise it when revoking.
    #[schema(example = "call monitoring feed", max_length = 200)]
    #[serde(default)]
    pub label: String,
}

/// An API token, as held: never its secret, but in the first answer to its issue.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenBody {
    /// The public part: `isf_<token_id>_<secret>`.
    #[schema(example = "3f9a1c2b7d4e5f60")]
    pub token_id: String,
    #[schema(example = "cora")]
    pub username: String,
    #[schema(example = "call monitoring feed")]
    pub label: String,
    #[schema(example = "2026-11-23T10:00:00Z", format = DateTime)]
    pub created_at: String,
    #[schema(example = "2026-12-23T10:00:00Z", format = DateTime)]
    pub expires_at: String,
    #[schema(format = DateTime)]
    pub revoked_at: Option<String>,
    /// The whole token, for `Authorization: Bearer`: in the first answer only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

fn token_body(t: &StoredToken) -> TokenBody {
    let at = super::utc_text;
    TokenBody {
        token_id: t.token_id.clone(),
        username: t.username.clone(),
        label: t.label.clone(),
        created_at: at(&t.created_at),
        expires_at: at(&t.expires_at),
        revoked_at: t.revoked_at.as_ref().map(at),
        token: None,
    }
}

/// Why an account is disabled, for the audit log.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "left on 2026-11-20"}))]
pub struct DisableRequest {
    #[schema(example = "left on 2026-11-20", max_length = 2000)]
    #[serde(default)]
    pub reason: String,
}

/// The problems an account change can meet.
#[derive(IntoResponses)]
#[allow(dead_code)] // Documentation only: the answers are made by `ApiError`.
enum ChangeProblems {
    /// No usable Idempotency-Key, or a body that is not JSON
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// Only a provider admin manages accounts
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// No such account or token
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// The username is taken, or the key was used for another request
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// The body is larger than 1 MiB
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not sent as application/json
    #[response(status = 415, content_type = "application/problem+json")]
    NotJson(Problem),
    /// A field breaks a rule; `errors` names it
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
}

fn created(body: &impl Serialize) -> Reply {
    Reply {
        status: StatusCode::CREATED.as_u16(),
        body: serde_json::to_string(body).unwrap_or_default(),
    }
}

/// The answer, with the secret put into the first reply only (under `field`).
fn with_secret(answer: Answer, field: &str) -> Result<Response, ApiError> {
    let (mut reply, replayed) = answer.reply.into_parts();
    if let Some(secret) = answer.secret {
        let mut body: Value = serde_json::from_str(&reply.body)
            .map_err(|e| anyhow::anyhow!("a stored reply is not JSON: {e}"))?;
        body[field] = Value::String(secret);
        reply.body = body.to_string();
    }
    reply_response(reply, replayed)
}

/// List accounts
///
/// Every account of the service, by username: role, links and whether it is disabled. Never a
/// password or token. Provider admin only.
#[utoipa::path(
    get,
    path = "/api/accounts",
    operation_id = "list_accounts",
    tag = "accounts",
    params(AccountParams),
    responses(
        (status = 200, description = "A page of accounts", body = AccountPage),
        (status = 400, description = "An unknown query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only a provider admin manages accounts", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad limit or cursor", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<AccountParams>, QueryRejection>,
) -> Result<Json<AccountPage>, ApiError> {
    let Query(params) = params?;
    let mut errors = Vec::new();
    let limit = page_limit(params.limit.as_deref(), &mut errors);
    if let Some(after) = &params.after {
        if after.is_empty() || after.chars().count() > 64 {
            errors.push(FieldError {
                field: "after".to_owned(),
                reason: "a username: 1 to 64 characters".to_owned(),
            });
        }
    }
    query_checked(errors)?;
    let page =
        account_admin::list_accounts(&state.db, &viewer.principal, params.after.as_deref(), limit)
            .await?;
    Ok(Json(AccountPage {
        items: page
            .items
            .iter()
            .map(|a: &StoredAccount| account_body(&a.principal, a.disabled))
            .collect(),
        next_after: page.next_after,
    }))
}

/// Add an account
///
/// Adds an account in a role, linked as the role needs (a care worker to one worker, a budget
/// holder to their agreements, a commissioner officer to one commissioner; provider staff to
/// nothing). Its password is generated and returned in this answer only — a retry with the same
/// key answers without it; set a new one with `isf user password` if it is lost. Provider admin
/// only; audited.
#[utoipa::path(
    post,
    path = "/api/accounts",
    operation_id = "add_account",
    tag = "accounts",
    params(
        ("Idempotency-Key" = String, Header, pattern = r"^[!-~]{1,200}$",
            description = "Chosen by the client, 1–200 visible ASCII characters"),
    ),
    request_body(content = AccountRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Added; `password` in the first answer only", body = AccountBody),
        ChangeProblems,
    )
)]
pub async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Result<Json<AccountRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let Json(body) = body?;
    let role = Role::parse(&body.role)
        .ok_or_else(|| ApiError::field("role", format!("one of {}", Role::WORDS.join(", "))))?;
    let input = AccountInput {
        display_name: body.name.unwrap_or_else(|| body.username.clone()),
        username: body.username,
        role,
        worker_ref: body.worker_ref,
        commissioner_ref: body.commissioner_ref,
        agreement_refs: body.agreement_refs,
        ..AccountInput::blank()
    };
    let (now, _) = super::now_and_today();
    let answer = account_admin::add_account(&state.db, &viewer.principal, &key, input, now, |p| {
        created(&account_body(p, false))
    })
    .await?;
    with_secret(answer, "password")
}

/// Issue an API token for an account
///
/// A bearer token for a system or a person (a call-monitoring feed, a finance export). The whole
/// token is in this answer only; the service keeps its SHA-256. Provider admin only; audited.
#[utoipa::path(
    post,
    path = "/api/accounts/{username}/tokens",
    operation_id = "issue_token",
    tag = "accounts",
    params(
        ("username" = String, Path, description = "The account", example = "cora"),
        ("Idempotency-Key" = String, Header, pattern = r"^[!-~]{1,200}$",
            description = "Chosen by the client, 1–200 visible ASCII characters"),
    ),
    request_body(content = TokenRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Issued; `token` in the first answer only", body = TokenBody),
        ChangeProblems,
    )
)]
pub async fn issue(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(username): Path<String>,
    body: Result<Json<TokenRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let Json(body) = body?;
    let (now, _) = super::now_and_today();
    let answer = account_admin::issue_token(
        &state.db,
        &viewer.principal,
        &key,
        &username,
        body.days.unwrap_or(TOKEN_DAYS_DEFAULT),
        body.label.trim(),
        now,
        |t| created(&token_body(t)),
    )
    .await?;
    with_secret(answer, "token")
}

/// Revoke an API token
///
/// From now on the token is refused. Revoking a revoked token changes nothing. Provider admin
/// only; audited.
#[utoipa::path(
    post,
    path = "/api/tokens/{token_id}/revocation",
    operation_id = "revoke_token",
    tag = "accounts",
    params(
        ("token_id" = String, Path, description = "The token's public id", example = "3f9a1c2b7d4e5f60"),
        ("Idempotency-Key" = String, Header, pattern = r"^[!-~]{1,200}$",
            description = "Chosen by the client, 1–200 visible ASCII characters"),
    ),
    responses(
        (status = 200, description = "Revoked", body = TokenBody),
        ChangeProblems,
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(token_id): Path<String>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let (now, _) = super::now_and_today();
    let answer =
        account_admin::revoke_token(&state.db, &viewer.principal, &key, &token_id, now, |t| {
            Reply {
                status: StatusCode::OK.as_u16(),
                body: serde_json::to_string(&token_body(t)).unwrap_or_default(),
            }
        })
        .await?;
    with_secret(answer, "token")
}

/// Disable an account
///
/// For someone who has left, or whose access must stop now: the account signs in no more and its
/// tokens and sessions are refused at once. Nobody disables their own account. Accounts are never
/// deleted: the audit log keeps naming who did what. Provider admin only; audited.
#[utoipa::path(
    post,
    path = "/api/accounts/{username}/disablement",
    operation_id = "disable_account",
    tag = "accounts",
    params(
        ("username" = String, Path, description = "The account", example = "cora"),
        ("Idempotency-Key" = String, Header, pattern = r"^[!-~]{1,200}$",
            description = "Chosen by the client, 1–200 visible ASCII characters"),
    ),
    request_body(content = DisableRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Disabled", body = AccountBody),
        ChangeProblems,
    )
)]
pub async fn disable(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(username): Path<String>,
    body: Result<Json<DisableRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let Json(body) = body?;
    let (now, _) = super::now_and_today();
    let answer = account_admin::disable_account(
        &state.db,
        &viewer.principal,
        &key,
        &username,
        &body.reason,
        now,
        |a| Reply {
            status: StatusCode::OK.as_u16(),
            body: serde_json::to_string(&account_body(&a.principal, a.disabled))
                .unwrap_or_default(),
        },
    )
    .await?;
    with_secret(answer, "password")
}
