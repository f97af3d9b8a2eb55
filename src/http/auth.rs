//! Who is asking: API bearer tokens and web sessions, the sign-in and sign-out pages, and the
//! audit log.
//!
//! Every API route but `/health`, `/api/openapi.json` and `/api/docs` takes a `Viewer`: an
//! `Authorization: Bearer isf_…` token, or the session cookie of a signed-in browser. A request
//! that changes something with a session cookie must also carry the session's CSRF token (the
//! `X-CSRF-Token` header, or the `csrf` field of a form): a bearer token is never sent by a
//! browser on its own, a cookie is. The session cookie is `Secure`, `HttpOnly` and
//! `SameSite=Strict`, so the service belongs behind TLS anywhere but loopback.
use super::error::ApiError;
use super::{now_and_today, AppState};
use crate::app::accounts::{self, AuthError};
use crate::domain::access::{Denied, Principal};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The web session's cookie.
pub const SESSION_COOKIE: &str = "isf_session";
/// The sign-in form's own CSRF cookie (there is no session yet to hold one).
const SIGN_IN_COOKIE: &str = "isf_sign_in";
/// The header carrying the session's CSRF token on API writes made from a signed-in browser.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The signed-in caller, checked on every request that needs one.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub principal: Principal,
    /// The session's CSRF token when the caller came with a cookie (pages put it in their forms).
    pub csrf_token: Option<String>,
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        match e {
            AuthError::Unauthenticated => ApiError::Unauthorized(e.to_string()),
            AuthError::Db(d) => ApiError::Internal(d.into()),
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Viewer, ApiError> {
        authenticate(parts, state, true).await
    }
}

/// The caller of a request. `csrf_header`: an unsafe request made with a session cookie must carry
/// the session's CSRF token in `X-CSRF-Token` (the API); pages check their form's `csrf` field
/// instead.
async fn authenticate(
    parts: &mut Parts,
    state: &AppState,
    csrf_header: bool,
) -> Result<Viewer, ApiError> {
    {
        let (now, _) = now_and_today();
        let viewer = if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(|| {
                    ApiError::Unauthorized(
                        "the Authorization header must be `Bearer isf_…`".to_owned(),
                    )
                })?;
            Viewer {
                principal: accounts::authenticate_token(&state.db, token.trim(), now).await?,
                csrf_token: None,
            }
        } else if let Some(cookie) = CookieJar::from_headers(&parts.headers).get(SESSION_COOKIE) {
            let (principal, csrf) =
                accounts::authenticate_session(&state.db, cookie.value(), now).await?;
            if csrf_header && !parts.method.is_safe() {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !accounts::csrf_matches(&csrf, sent) {
                    return Err(ApiError::Forbidden(format!(
                        "a change made with a session cookie needs the session's {CSRF_HEADER} header"
                    )));
                }
            }
            Viewer {
                principal,
                csrf_token: Some(csrf),
            }
        } else {
            return Err(ApiError::Unauthorized(
                "send `Authorization: Bearer isf_…` (from `isf user token`), or sign in at /login"
                    .to_owned(),
            ));
        };
        Ok(viewer)
    }
}

/// A refusal from the access rules, as an API answer.
pub fn denied(viewer: &Principal, denied: Denied, not_found: &str) -> ApiError {
    match denied {
        Denied::Forbidden => ApiError::Forbidden(format!(
            "your role ({}) may not do this",
            viewer.role.word()
        )),
        Denied::Hidden => ApiError::NotFound(not_found.to_owned()),
    }
}

/// The caller, for pages: a visitor who is not signed in is sent to the sign-in page and back.
/// A page that accepts a form must check the form's `csrf` field against `csrf_token` itself.
pub struct PageViewer(pub Viewer);

impl FromRequestParts<AppState> for PageViewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<PageViewer, Response> {
        // A page's form carries its CSRF token in a field, which the page's handler checks.
        match authenticate(parts, state, false).await {
            Ok(viewer) => Ok(PageViewer(viewer)),
            Err(ApiError::Unauthorized(_)) => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_owned();
                Err(Redirect::to(&format!("/login?next={}", percent_encode(&next))).into_response())
            }
            Err(other) => Err(other.into_response()),
        }
    }
}

/// Text made safe for a query string's value (`/` kept: it is allowed there).
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Only a path of this service may follow sign-in (never another site: an open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

#[derive(Debug, Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    username: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SignOutForm {
    csrf: String,
}

#[derive(askama::Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    csrf: &'a str,
    next: &'a str,
    error: Option<&'a str>,
    username: &'a str,
}

fn cookie_base(name: &'static str, value: String) -> Cookie<'static> {
    let mut cookie = Cookie::new(name, value);
    cookie.set_http_only(true);
    cookie.set_secure(true);
    cookie.set_same_site(SameSite::Strict);
    cookie.set_path("/");
    cookie
}

fn sign_in_page(
    jar: CookieJar,
    status: StatusCode,
    next: &str,
    error: Option<&str>,
    username: &str,
) -> Response {
    let csrf = hex::encode(rand::random::<[u8; 32]>());
    let html = askama::Template::render(&SignInPage {
        csrf: &csrf,
        next,
        error,
        username,
    })
    .unwrap_or_default();
    let jar = jar.add(cookie_base(SIGN_IN_COOKIE, csrf));
    super::pages::page_response(status, jar, html)
}

/// `GET /login`: the sign-in form.
pub async fn sign_in_form(jar: CookieJar, Query(query): Query<SignInQuery>) -> Response {
    let next = safe_next(query.next.as_deref());
    sign_in_page(jar, StatusCode::OK, &next, None, "")
}

/// `POST /login`: checks the form's CSRF token against its cookie, then the password; starts a
/// session and goes to `next`.
pub async fn sign_in(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<SignInForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let expected = jar.get(SIGN_IN_COOKIE).map(|c| c.value().to_owned());
    if !expected.is_some_and(|e| accounts::csrf_matches(&e, &form.csrf)) {
        return sign_in_page(
            jar,
            StatusCode::FORBIDDEN,
            &next,
            Some("This form had expired. Please sign in again."),
            &form.username,
        );
    }
    let (now, _) = now_and_today();
    match accounts::sign_in(&state.db, form.username.trim(), &form.password, now).await {
        Ok(session) => {
            let mut cookie = cookie_base(SESSION_COOKIE, session.cookie);
            cookie.set_max_age(time::Duration::hours(accounts::SESSION_HOURS));
            let jar = jar
                .remove(Cookie::build(SIGN_IN_COOKIE).path("/"))
                .add(cookie);
            (jar, Redirect::to(&next)).into_response()
        }
        Err(AuthError::Unauthenticated) => sign_in_page(
            jar,
            StatusCode::UNAUTHORIZED,
            &next,
            Some("The username or password is not right."),
            &form.username,
        ),
        Err(AuthError::Db(e)) => {
            tracing::error!(error = %format!("{e:#}"), "sign-in failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `POST /logout`: ends the session (the form carries its CSRF token).
pub async fn sign_out(
    State(state): State<AppState>,
    jar: CookieJar,
    PageViewer(viewer): PageViewer,
    Form(form): Form<SignOutForm>,
) -> Response {
    if !viewer
        .csrf_token
        .as_deref()
        .is_some_and(|t| accounts::csrf_matches(t, &form.csrf))
    {
        return (StatusCode::FORBIDDEN, "this form had expired").into_response();
    }
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        let (now, _) = now_and_today();
        if let Err(e) = accounts::sign_out(&state.db, cookie.value(), now).await {
            tracing::error!(error = %format!("{e:#}"), "sign-out failed");
        }
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    (jar, Redirect::to("/login")).into_response()
}

/// The signed-in caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeBody {
    #[schema(example = "finance")]
    pub username: String,
    #[schema(example = "Finance officer")]
    pub display_name: String,
    /// One of `provider_admin`, `coordinator`, `finance`, `care_worker`, `budget_holder`,
    /// `commissioner_officer`.
    #[schema(example = "finance")]
    pub role: String,
    /// A care worker's worker.
    pub worker_ref: Option<String>,
    /// A commissioner officer's commissioner.
    pub commissioner_ref: Option<String>,
    /// A budget holder's agreements.
    pub agreement_refs: Vec<String>,
    /// For a browser session: the token its writes send in `X-CSRF-Token`. Absent for a bearer
    /// token, which needs none.
    pub csrf_token: Option<String>,
}

/// Who am I? The caller's account, role and links (and a session's CSRF token).
#[utoipa::path(
    get,
    path = "/api/me",
    operation_id = "read_me",
    tag = "audit",
    responses((status = 200, description = "The caller", body = MeBody))
)]
pub async fn me(viewer: Viewer) -> Json<MeBody> {
    let p = viewer.principal;
    Json(MeBody {
        username: p.username,
        display_name: p.display_name,
        role: p.role.word().to_owned(),
        worker_ref: p.worker_ref,
        commissioner_ref: p.commissioner_ref,
        agreement_refs: p.agreement_refs.into_iter().collect(),
        csrf_token: viewer.csrf_token,
    })
}

/// One entry of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryBody {
    #[schema(example = 17)]
    pub id: i64,
    /// When, UTC.
    #[schema(example = "2026-11-22T10:15:00Z")]
    pub at: String,
    /// The account that did it (`system` for the service itself, `cli:USER` for the command line).
    #[schema(example = "finance")]
    pub actor: String,
    #[schema(example = "receipt.recorded")]
    pub action: String,
    #[schema(example = "receipt:RC-0042")]
    pub subject: String,
    #[schema(example = "1250.00 from commissioner to AG-ANN/ASC")]
    pub detail: String,
}

/// A page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryBody>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// How many entries: 1 to 500 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// The `next_after` of the previous page.
    #[param(value_type = Option<i64>)]
    after: Option<String>,
}

/// The audit log: who changed what and when, oldest first. `provider_admin` only.
#[utoipa::path(
    get,
    path = "/api/audit",
    operation_id = "list_audit",
    tag = "audit",
    params(AuditParams),
    responses(
        (status = 200, description = "A page of the audit log", body = AuditPage),
        (status = 400, description = "An unknown query parameter", body = super::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = super::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only a provider admin reads the audit log", body = super::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad limit or cursor", body = super::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn audit(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<AuditParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AuditPage>, ApiError> {
    let Query(params) = params?;
    let mut errors = Vec::new();
    let limit = super::page_limit(params.limit.as_deref(), &mut errors);
    let after = match params.after.as_deref() {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                errors.push(super::FieldError {
                    field: "after".to_owned(),
                    reason: format!("{text:?} is not an entry id"),
                });
                None
            }
        },
    };
    super::query_checked(errors)?;
    let entries = accounts::audit_log(&state.db, &viewer.principal, after, limit as u64 + 1)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(|d| denied(&viewer.principal, d, "no audit log"))?;
    let more = entries.len() > limit;
    let items: Vec<AuditEntryBody> = entries
        .into_iter()
        .take(limit)
        .map(|e| AuditEntryBody {
            id: e.id,
            at: super::utc_text(&e.at),
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            detail: e.detail,
        })
        .collect();
    Ok(Json(AuditPage {
        next_after: if more {
            items.last().map(|e| e.id)
        } else {
            None
        },
        items,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_only_returns_to_a_path_of_this_service() {
        assert_eq!(
            safe_next(Some("/agreements/AG-1/statements/2026-03")),
            "/agreements/AG-1/statements/2026-03"
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn the_return_address_is_percent_encoded() {
        assert_eq!(percent_encode("/a?b=c&d"), "/a%3Fb%3Dc%26d");
    }
}
