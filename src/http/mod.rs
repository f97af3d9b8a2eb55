//! The HTTP edge: axum routes, JSON bodies, the OpenAPI document and problem+json errors. Only this
//! module knows HTTP, JSON and utoipa.
//!
//! Handlers are thin: they parse the request, call one use case in `app`, and map its answer to a
//! response. Money on the wire is a decimal string with two places (`"1234.50"`), never a JSON
//! number. Every route is documented with `#[utoipa::path]` and listed in `ApiDoc`; a test proves
//! the document and the router agree.
//!
//! Web pages for people (`pages`, e.g. a statement at `/agreements/{ref}/statements/{period}`)
//! are served by the same router but are not API: they answer HTML, errors included, and are not
//! in the OpenAPI document.
//!
//! Limits: request bodies are at most `REQUEST_BODY_BYTES_MAX`, a request runs for at most
//! `REQUEST_TIMEOUT_SECONDS`, a page of a list holds at most `PAGE_ITEMS_MAX` items, a statement
//! covers at most `STATEMENT_PERIOD_DAYS_MAX` days.
pub mod accounts;
pub mod agreements;
pub mod auth;
pub mod commissioners;
pub mod docs;
pub mod error;
pub mod exceptions;
pub mod health;
pub mod idempotent;
pub mod imports;
pub mod pages;
pub mod people;
pub mod plans;
pub mod receipts;
pub mod records;
pub mod reversals;
pub mod statements;
pub mod visits;
pub mod workspace;

pub use crate::app::queries::PAGE_ITEMS_MAX;
pub use error::{ApiError, FieldError, Problem};

use crate::app::import::FileKind;
use crate::domain::calendar::parse_date;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::Request;
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use records::Operations as RecordOperations;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::{IntoParams, OpenApi};

/// The largest request body accepted: 1 MiB.
pub const REQUEST_BODY_BYTES_MAX: usize = 1024 * 1024;

/// How long one request may run before it is answered with 408.
pub const REQUEST_TIMEOUT_SECONDS: u64 = 30;

/// Items in a page when `limit` is not given.
pub const PAGE_ITEMS_DEFAULT: usize = 100;

/// The longest period one statement covers, both ends counted: a year, leap years included. (The
/// work of a statement grows with its days; the command line, for the office, has no such cap.)
pub const STATEMENT_PERIOD_DAYS_MAX: i64 = 366;

/// The header carrying the request id, set when the client sends none and returned on every response.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// The OpenAPI document, serialised once.
    openapi_json: Bytes,
    /// The docs page, rendered once.
    docs_html: Bytes,
    /// Set while a reconcile asked for by a write is waiting to start.
    reconcile_pending: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Imports sent through the API that are running in this process.
    pub import_jobs: std::sync::Arc<crate::app::import_jobs::ImportJobs>,
}

impl AppState {
    pub fn new(db: DatabaseConnection) -> AppState {
        let openapi = openapi();
        AppState {
            db,
            openapi_json: Bytes::from(openapi.to_pretty_json().unwrap_or_default()),
            docs_html: Bytes::from(docs::page(&openapi)),
            reconcile_pending: Default::default(),
            import_jobs: Default::default(),
        }
    }

    /// Reconciles through today in the background, soon: a burst of writes (a call-monitoring
    /// system pushing a morning's attendances) is reconciled once, after a short pause, and never
    /// makes a writer wait for the whole provider's books.
    pub fn reconcile_soon(&self) {
        use std::sync::atomic::Ordering;
        if self.reconcile_pending.swap(true, Ordering::SeqCst) {
            return;
        }
        let pending = self.reconcile_pending.clone();
        let db = self.db.clone();
        tokio::spawn(async move {
            tokio::time::sleep(RECONCILE_PAUSE).await;
            pending.store(false, Ordering::SeqCst);
            let (now, today) = now_and_today();
            match crate::app::reconcile::reconcile(&db, today, now).await {
                Ok(s) => tracing::info!(
                    through = %today,
                    posted = s.posted,
                    reversed = s.reversed,
                    "reconciled after a write"
                ),
                Err(e) => tracing::error!(error = %e, "reconciling after a write failed"),
            }
        });
    }
}

/// How long a reconcile asked for by a write waits for more writes before it starts.
const RECONCILE_PAUSE: Duration = Duration::from_millis(300);

/// The OpenAPI 3.1 document of the service.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "ISF Ledger API",
        description = "Individual Service Funds held by a home-care provider: commissioners, people, \
agreements with their funds' balances, council returns, statements, exceptions, and receipts.\n\n\
Money is always a decimal string with at most two places (`\"1234.50\"`), never a JSON number. \
Errors are `application/problem+json` (RFC 9457).\n\n\
Every route but `/health` needs a caller: `Authorization: Bearer isf_…` (a token from `isf user token`), \
or the session cookie of a browser signed in at `/login` (then a write also needs the session's \
`X-CSRF-Token` header). What a caller sees depends on their role: a request their role may never make \
is `403`; a record outside their scope is `404`, exactly as if it did not exist. Writes need an `Idempotency-Key` header: a retry \
with the same key and body gets the original response and changes nothing."
    ),
    paths(
        health::health,
        commissioners::list,
        commissioners::read,
        commissioners::council_return,
        people::list,
        people::read,
        agreements::list,
        agreements::read,
        statements::statement,
        exceptions::list,
        exceptions::of_agreement,
        exceptions::resolve,
        exceptions::approve,
        receipts::record,
        visits::list,
        records::cancel,
        records::assign,
        reversals::record,
        plans::read,
        plans::submit,
        plans::approve,
        plans::return_version,
        auth::audit,
        accounts::list,
        accounts::add,
        accounts::issue,
        accounts::revoke,
        accounts::disable,
        auth::me,
        imports::send,
        imports::read,
    ),
    modifiers(&RecordOperations, &Security),
    tags(
        (name = "health", description = "Is the service up?"),
        (name = "commissioners", description = "Councils and ICBs that pay, and their returns"),
        (name = "people", description = "Budget holders"),
        (name = "agreements", description = "Individual Service Funds and their funds' balances"),
        (name = "statements", description = "What happened to an agreement's money over a period"),
        (name = "exceptions", description = "What coordinators must see at once: missed, late or \
short visits, unplanned attendances, weeks over plan, overspent funds"),
        (name = "receipts", description = "Money received from a commissioner or a person"),
        (name = "workers", description = "Care workers and their DBS checks"),
        (name = "streams", description = "An agreement's funding streams"),
        (name = "accounts", description = "Who may use the service: accounts, API tokens (provider admin)"),
        (name = "plans", description = "Support plans, version by version: draft, submitted, approved"),
        (name = "outcomes", description = "What the person wants from their support, plan by plan"),
        (name = "relationships", description = "Family ties between workers and the people they support"),
        (name = "visits", description = "Support visits on the roster"),
        (name = "attendances", description = "What was delivered: check-in and check-out"),
        (name = "purchases", description = "Things bought from a fund"),
        (name = "repayments", description = "Money paid back to a commissioner"),
        (name = "earmarks", description = "Money set aside for a purpose"),
        (name = "reversals", description = "Corrections: a reversal names the transaction it reverses and why"),
        (name = "imports", description = "CSV files sent through the API, imported as a job whose progress you read"),
        (name = "audit", description = "Who is asking, and who changed what and when"),
    )
)]
pub struct ApiDoc;

/// Declares the two ways to sign in and gives every operation that needs a caller its `401` and
/// `403` answers, so the document cannot forget them for one route.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        };
        use utoipa::openapi::{content::ContentBuilder, RefOr, ResponseBuilder};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from `isf user token`: `isf_<id>_<secret>`"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                auth::SESSION_COOKIE,
                "The session of a browser signed in at /login",
            ))),
        );
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        error::PROBLEM_JSON,
                        ContentBuilder::new()
                            .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                                "Problem",
                            ))))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            if path == "/health" {
                continue;
            }
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                op.security = Some(vec![
                    SecurityRequirement::new("bearer", Vec::<String>::new()),
                    SecurityRequirement::new("session", Vec::<String>::new()),
                ]);
                let responses = &mut op.responses.responses;
                responses.entry("401".to_owned()).or_insert_with(|| {
                    problem("No caller: the token or session is missing, wrong, expired or revoked")
                });
                responses
                    .entry("403".to_owned())
                    .or_insert_with(|| problem("The caller's role may never make this request"));
            }
        }
    }
}

/// The OpenAPI document as served: `ApiDoc` without the empty licence utoipa copies from
/// Cargo.toml (the package names none).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.license = None;
    doc
}

/// `?limit=&after=` of every list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// How many items to return: 1 to 500 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500, example = 100)]
    limit: Option<String>,
    /// The last ref of the previous page (its `next_after`); items come in ref order after it.
    #[param(value_type = Option<String>, pattern = r"^[A-Za-z0-9_-]{1,40}$", example = "AG-ANN")]
    after: Option<String>,
}

impl ListParams {
    /// The cursor and the page size, checked.
    pub fn parse(&self) -> Result<(Option<String>, usize), ApiError> {
        let mut errors = Vec::new();
        let limit = page_limit(self.limit.as_deref(), &mut errors);
        let after = match self.after.as_deref() {
            None => None,
            Some(text) => match crate::domain::refs::Ref::parse(text) {
                Ok(r) => Some(r.as_str().to_owned()),
                Err(e) => {
                    errors.push(FieldError {
                        field: "after".to_owned(),
                        reason: e.to_string(),
                    });
                    None
                }
            },
        };
        query_checked(errors)?;
        Ok((after, limit))
    }
}

/// The page size asked for in `limit`: `PAGE_ITEMS_DEFAULT` when absent; a value that is not a
/// whole number from 1 to `PAGE_ITEMS_MAX` is recorded in `errors`.
pub fn page_limit(text: Option<&str>, errors: &mut Vec<FieldError>) -> usize {
    match text {
        None => PAGE_ITEMS_DEFAULT,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=PAGE_ITEMS_MAX).contains(&n) => n,
            _ => {
                errors.push(FieldError {
                    field: "limit".to_owned(),
                    reason: format!("{text:?} is not a whole number from 1 to {PAGE_ITEMS_MAX}"),
                });
                0
            }
        },
    }
}

/// One validation problem for the query when `errors` holds any.
pub fn query_checked(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(query_problem(errors))
    }
}

/// The validation problem of a query with these fields at fault.
fn query_problem(errors: Vec<FieldError>) -> ApiError {
    ApiError::Validation {
        detail: format!("the query has {} problem(s)", errors.len()),
        errors,
    }
}

/// A date of the query, `YYYY-MM-DD`, absent when the parameter is absent or empty; a bad date is
/// recorded in `errors`.
pub fn optional_date(
    field: &str,
    text: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<NaiveDate> {
    let text = text.filter(|t| !t.is_empty())?;
    match parse_date(text) {
        Ok(date) => Some(date),
        Err(e) => {
            errors.push(FieldError {
                field: field.to_owned(),
                reason: e.to_string(),
            });
            None
        }
    }
}

/// `from` and `to` of the query, both required: each missing or bad one is a field at fault.
/// (Whether the period runs forwards is for the use case to say.)
pub fn required_period(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let mut errors = Vec::new();
    let mut date = |field: &str, text: Option<&str>| {
        if text.is_none_or(str::is_empty) {
            errors.push(FieldError {
                field: field.to_owned(),
                reason: "is required".to_owned(),
            });
            return None;
        }
        optional_date(field, text, &mut errors)
    };
    let (from, to) = (date("from", from), date("to", to));
    match (from, to) {
        (Some(from), Some(to)) => Ok((from, to)),
        _ => Err(query_problem(errors)),
    }
}

/// Checks a ref taken from the path: a malformed ref names nothing, so it is not found.
pub fn path_ref(what: &str, text: &str) -> Result<String, ApiError> {
    crate::domain::refs::Ref::parse(text)
        .map(|r| r.as_str().to_owned())
        .map_err(|_| ApiError::NotFound(format!("no {what} {text:?}")))
}

/// `POST /api/{kind}` for every kind the API adds one at a time but people, agreements and visits, whose
/// collections also list (see `router`).
fn record_routes() -> Router<AppState> {
    crate::app::records::API_KINDS
        .into_iter()
        .filter(|k| {
            !matches!(
                k,
                FileKind::People | FileKind::Agreements | FileKind::Visits
            )
        })
        .fold(Router::new(), |router, kind| {
            let route = if crate::app::listing::LISTED_KINDS.contains(&kind) {
                records::route(kind).merge(records::list_route(kind))
            } else {
                records::route(kind)
            };
            router.route(&records::path_of(kind), route)
        })
}

/// The service's routes with their middleware: request ids (set when absent, returned always),
/// a trace span per request, problem+json for every error, a timeout and a body limit.
pub fn router(state: AppState) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|request: &Request<Body>| {
            // The route template, never the path itself: paths carry refs of people.
            let route = request
                .extensions()
                .get::<MatchedPath>()
                .map_or("(no route)", MatchedPath::as_str);
            let request_id = request
                .headers()
                .get(REQUEST_ID_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("request", method = %request.method(), route, request_id)
        })
        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO));
    Router::new()
        .route("/health", get(health::health))
        .route("/api/openapi.json", get(docs::openapi_json))
        .route("/api/docs", get(docs::docs_page))
        .route("/api/commissioners", get(commissioners::list))
        .route("/api/commissioners/{ref}", get(commissioners::read))
        .route(
            "/api/commissioners/{ref}/returns",
            get(commissioners::council_return),
        )
        .route(
            "/api/people",
            get(people::list).merge(records::route(FileKind::People)),
        )
        .route("/api/people/{ref}", get(people::read))
        .route(
            "/api/agreements",
            get(agreements::list).merge(records::route(FileKind::Agreements)),
        )
        .route("/api/agreements/{ref}", get(agreements::read))
        .route(
            "/api/agreements/{ref}/statements",
            get(statements::statement),
        )
        .route(
            "/api/agreements/{ref}/exceptions",
            get(exceptions::of_agreement),
        )
        .route("/api/exceptions", get(exceptions::list))
        .route(
            "/api/exceptions/{key}/resolution",
            post(exceptions::resolve),
        )
        .route(
            "/api/receipts",
            post(receipts::record).merge(records::list_route(FileKind::Receipts)),
        )
        .route("/api/reversals", post(reversals::record))
        .route("/api/audit", get(auth::audit))
        .route("/api/me", get(auth::me))
        .route(
            "/agreements/{ref}/statements/{period}",
            get(pages::statement),
        )
        .route(
            "/api/visits",
            get(visits::list).merge(records::route(FileKind::Visits)),
        )
        .merge(record_routes())
        .route("/api/visits/{ref}/cancellation", post(records::cancel))
        .route("/api/attendances/{ref}/approval", post(exceptions::approve))
        .route("/api/visits/{ref}/assignment", post(records::assign))
        .route("/api/accounts", get(accounts::list).post(accounts::add))
        .route("/api/accounts/{username}/tokens", post(accounts::issue))
        .route(
            "/api/accounts/{username}/disablement",
            post(accounts::disable),
        )
        .route("/api/tokens/{token_id}/revocation", post(accounts::revoke))
        .route("/api/agreements/{ref}/plans", get(plans::read))
        .route(
            "/api/agreements/{ref}/plans/{version}/submission",
            post(plans::submit),
        )
        .route(
            "/api/agreements/{ref}/plans/{version}/approval",
            post(plans::approve),
        )
        .route(
            "/api/agreements/{ref}/plans/{version}/return",
            post(plans::return_version),
        )
        .route(
            "/api/imports",
            post(imports::send).layer(DefaultBodyLimit::max(workspace::UPLOAD_BYTES_MAX)),
        )
        .route("/api/imports/{job_id}", get(imports::read))
        .route("/", get(workspace::home))
        .route("/exceptions/resolution", post(workspace::resolve))
        .route("/people/{ref}", get(workspace::person))
        .route(
            "/imports",
            get(workspace::imports_form)
                .post(workspace::imports)
                .layer(DefaultBodyLimit::max(workspace::UPLOAD_BYTES_MAX)),
        )
        .route("/login", get(auth::sign_in_form).post(auth::sign_in))
        .route("/logout", post(auth::sign_out))
        .fallback(|| async { ApiError::NotFound("there is nothing at this path".to_owned()) })
        .with_state(state)
        // Layers run outermost last-added: the request id is set first, then the trace span,
        // then problem+json for every error, then the timeout and the body limit.
        .layer(DefaultBodyLimit::max(REQUEST_BODY_BYTES_MAX))
        // The outer limit is the largest any route takes (an upload); every other route's extractor
        // holds it to `REQUEST_BODY_BYTES_MAX` through `DefaultBodyLimit`.
        .layer(RequestBodyLimitLayer::new(workspace::UPLOAD_BYTES_MAX))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(REQUEST_TIMEOUT_SECONDS),
        ))
        .layer(axum::middleware::from_fn(error::problem_responses))
        // Every answer, API and page alike, is never sniffed, framed, cached by a shared cache or
        // given a referrer (pages set stricter headers of their own, which these do not replace).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(trace)
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// An instant as the API writes it: UTC to the second, `2026-11-23T10:00:00Z`.
pub(crate) fn utc_text(instant: &crate::domain::calendar::Instant) -> String {
    instant.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The current instant and today's date in `Europe/London`: the one place the HTTP layer reads
/// the clock.
pub fn now_and_today() -> (crate::domain::calendar::Instant, chrono::NaiveDate) {
    let now = chrono::Utc::now();
    (now, crate::domain::calendar::local_date(now))
}

/// Example bodies for the documentation.
pub(crate) mod examples {
    use serde_json::{json, Value};

    pub fn problem_not_found(what: &str) -> Value {
        json!({
            "type": "tag:isf-ledger,2026:problem/not-found",
            "title": "Not found",
            "status": 404,
            "detail": format!("no {what} XYZ")
        })
    }

    pub fn problem_query() -> Value {
        json!({
            "type": "tag:isf-ledger,2026:problem/validation",
            "title": "The request is not valid",
            "status": 422,
            "detail": "the query has 1 problem(s)",
            "errors": [{"field": "limit", "reason": "\"1000\" is not a whole number from 1 to 500"}]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_and_names_every_api_route() {
        let doc = serde_json::to_value(openapi()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
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
                "{method} {path} is not documented"
            );
        }
        assert!(
            doc["paths"]
                .as_object()
                .unwrap()
                .keys()
                .all(|path| path == "/health" || path.starts_with("/api/")),
            "pages for people are not API"
        );
    }

    #[test]
    fn the_documented_exception_words_are_the_domains() {
        let doc = serde_json::to_value(openapi()).unwrap();
        let schema = &doc["components"]["schemas"]["ExceptionBody"]["properties"];
        assert_eq!(
            schema["kind"]["enum"],
            serde_json::json!(crate::domain::billing::ExceptionKind::WORDS)
        );
        assert_eq!(
            schema["status"]["enum"],
            serde_json::json!(crate::app::queries::ExceptionStatus::WORDS)
        );
        let params = doc["paths"]["/api/exceptions"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let kind = params.iter().find(|p| p["name"] == "kind").unwrap();
        assert_eq!(
            kind["schema"]["enum"],
            serde_json::json!(crate::domain::billing::ExceptionKind::WORDS)
        );
        assert_eq!(kind["required"], false);
    }

    #[test]
    fn every_operation_has_its_own_id() {
        let doc = serde_json::to_value(openapi()).unwrap();
        let mut ids: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "operation ids repeat: {ids:?}");
    }

    #[test]
    fn the_documented_page_size_cap_is_the_constant() {
        let doc = serde_json::to_value(openapi()).unwrap();
        let params = doc["paths"]["/api/agreements"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let limit = params.iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!(limit["schema"]["maximum"], PAGE_ITEMS_MAX as u64);
    }

    #[test]
    fn list_params_are_checked() {
        let p = |limit: Option<&str>, after: Option<&str>| ListParams {
            limit: limit.map(str::to_owned),
            after: after.map(str::to_owned),
        };
        assert_eq!(p(None, None).parse().unwrap(), (None, PAGE_ITEMS_DEFAULT));
        assert_eq!(
            p(Some("500"), Some("AG-1")).parse().unwrap(),
            (Some("AG-1".to_owned()), 500)
        );
        for (limit, after) in [
            (Some("0"), None),
            (Some("501"), None),
            (Some("ten"), None),
            (None, Some("A B")),
        ] {
            assert!(p(limit, after).parse().is_err(), "case {limit:?} {after:?}");
        }
    }
}
