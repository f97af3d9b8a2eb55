//! The coordinator's workspace pages: the dashboard at `/` and its resolve form. Server-rendered
//! HTML for people with a browser, signed in; every form carries the session's CSRF token.
use super::auth::PageViewer;
use super::pages::{error_page, page, PageError};
use super::{now_and_today, AppState};
use crate::app::resolutions::{resolve_exception, ResolveError};
use crate::app::workspace::dashboard;
use crate::domain::access::{Action, Role};
use crate::domain::refs::IdempotencyKey;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct DashboardQuery {
    resolved: Option<String>,
    not_resolved: Option<String>,
}

/// `GET /people/{ref}`: a person's page for provider staff — plan and outcomes, funds and the
/// latest money, visits either side of today, and links to their statements.
pub async fn person(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    headers: HeaderMap,
    axum::extract::Path(person_ref): axum::extract::Path<String>,
) -> Response {
    let (_, today) = now_and_today();
    let p = &viewer.principal;
    let answer = async {
        let person_ref = crate::domain::refs::Ref::parse(&person_ref)
            .map_err(|_| PageError::NotFound(format!("no person {person_ref:?}")))?;
        let view =
            crate::app::workspace::person_page(&state.db, p, person_ref.as_str(), today).await?;
        crate::web::person_page(
            &view,
            &p.display_name,
            p.role.word(),
            viewer.csrf_token.as_deref().unwrap_or_default(),
        )
        .map_err(|e| PageError::Internal(e.into()))
    }
    .await;
    match answer {
        Ok(html) => page(StatusCode::OK, html),
        Err(e) => error_page(e, super::pages::request_id(&headers)),
    }
}

/// `GET /`: the dashboard for provider staff. A budget holder goes to this month's statement of
/// their (first) agreement; other roles have no pages yet and are told so.
pub async fn home(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    headers: HeaderMap,
    Query(query): Query<DashboardQuery>,
) -> Response {
    let (_, today) = now_and_today();
    let p = &viewer.principal;
    if p.role == Role::BudgetHolder {
        if let Some(agreement) = p.agreement_refs.iter().next() {
            let month = today.format("%Y-%m");
            return Redirect::to(&format!("/agreements/{agreement}/statements/{month}"))
                .into_response();
        }
    }
    let notice = match (&query.resolved, &query.not_resolved) {
        (Some(key), _) => Some(format!("Exception {key} is resolved.")),
        (None, Some(key)) => Some(format!(
            "Exception {key} was not resolved: it is no longer open, or the note was empty."
        )),
        _ => None,
    };
    let answer = async {
        let d = dashboard(&state.db, p, today).await?;
        crate::web::dashboard_page(
            &d,
            &p.display_name,
            p.role.word(),
            viewer.csrf_token.as_deref().unwrap_or_default(),
            p.may(Action::ResolveExceptions).is_ok(),
            notice.as_deref(),
        )
        .map_err(|e| PageError::Internal(e.into()))
    }
    .await;
    match answer {
        Ok(html) => page(StatusCode::OK, html),
        Err(e) => error_page(e, super::pages::request_id(&headers)),
    }
}

#[derive(Debug, Deserialize)]
pub struct ResolveForm {
    csrf: String,
    key: String,
    form_key: String,
    note: String,
}

/// `POST /exceptions/resolution`: the dashboard's resolve form. Back to the dashboard with a line
/// saying what happened; a form sent twice resolves once (its `form_key` is an idempotency key).
pub async fn resolve(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    headers: HeaderMap,
    Form(form): Form<ResolveForm>,
) -> Response {
    if !viewer
        .csrf_token
        .as_deref()
        .is_some_and(|t| crate::app::accounts::csrf_matches(t, &form.csrf))
    {
        return error_page(
            PageError::Forbidden(
                "this form had expired: go back, reload the page and try again".to_owned(),
            ),
            super::pages::request_id(&headers),
        );
    }
    let Ok(idempotency) = IdempotencyKey::parse(&form.form_key) else {
        return error_page(
            PageError::BadRequest("this form is not one of ours".to_owned()),
            super::pages::request_id(&headers),
        );
    };
    let (now, _) = now_and_today();
    let render = |_: &crate::app::queries::ExceptionItem| crate::app::receipts::Reply {
        status: 303,
        body: String::new(),
    };
    let key = super::auth::percent_encode(&form.key);
    match resolve_exception(
        &state.db,
        &viewer.principal,
        &idempotency,
        &form.key,
        &form.note,
        now,
        render,
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/?resolved={key}#exceptions")).into_response(),
        Err(
            ResolveError::NotOpen { .. } | ResolveError::InvalidNote(_) | ResolveError::KeyReused,
        ) => Redirect::to(&format!("/?not_resolved={key}#exceptions")).into_response(),
        Err(ResolveError::Forbidden(role)) => error_page(
            PageError::Forbidden(format!("your role ({role}) may not resolve exceptions")),
            super::pages::request_id(&headers),
        ),
        Err(ResolveError::NotFound(k)) => error_page(
            PageError::NotFound(format!("no exception {k}")),
            super::pages::request_id(&headers),
        ),
        Err(ResolveError::Db(e)) => error_page(
            PageError::Internal(e.into()),
            super::pages::request_id(&headers),
        ),
    }
}

/// The largest upload accepted at once: a month of call-monitoring exports for a large provider.
pub const UPLOAD_BYTES_MAX: usize = 64 * 1024 * 1024;

fn imports_answer(
    viewer: &super::auth::Viewer,
    status: StatusCode,
    problem: Option<&str>,
    errors: &[crate::csv_io::RowError],
    summaries: &[crate::app::import::FileSummary],
    headers: &HeaderMap,
) -> Response {
    let p = &viewer.principal;
    match crate::web::imports_page(
        &p.display_name,
        p.role.word(),
        viewer.csrf_token.as_deref().unwrap_or_default(),
        problem,
        errors,
        summaries,
    ) {
        Ok(html) => page(status, html),
        Err(e) => error_page(
            PageError::Internal(e.into()),
            super::pages::request_id(headers),
        ),
    }
}

/// `GET /imports`: the upload form (provider staff).
pub async fn imports_form(PageViewer(viewer): PageViewer, headers: HeaderMap) -> Response {
    if let Err(why) = may_import(&viewer) {
        return error_page(why, super::pages::request_id(&headers));
    }
    imports_answer(&viewer, StatusCode::OK, None, &[], &[], &headers)
}

fn may_import(viewer: &super::auth::Viewer) -> Result<(), PageError> {
    viewer.principal.may(Action::ImportRecords).map_err(|_| {
        PageError::Forbidden(format!(
            "your role ({}) may not import records",
            viewer.principal.role.word()
        ))
    })
}

/// `POST /imports`: checks every uploaded file together and imports them all or nothing; the page
/// lists every row at fault (file, line, column, why) or what was imported.
pub async fn imports(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    headers: HeaderMap,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    use crate::app::import::{import_upload, FileKind, ImportError, UploadError};
    if let Err(why) = may_import(&viewer) {
        return error_page(why, super::pages::request_id(&headers));
    }
    let bad = |message: &str| {
        imports_answer(
            &viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(message),
            &[],
            &[],
            &headers,
        )
    };
    let Ok(mut multipart) = multipart else {
        return bad("The upload could not be read: send the form from this page.");
    };
    let mut csrf_ok = false;
    let mut files: Vec<(FileKind, Vec<u8>)> = Vec::new();
    let mut unknown = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => {
                return bad(&format!(
                    "The upload could not be read whole (at most {} MiB at once).",
                    UPLOAD_BYTES_MAX / (1024 * 1024)
                ))
            }
        };
        match field.name() {
            Some("csrf") => {
                let sent = field.text().await.unwrap_or_default();
                csrf_ok = viewer
                    .csrf_token
                    .as_deref()
                    .is_some_and(|t| crate::app::accounts::csrf_matches(t, &sent));
            }
            Some("files") => {
                let name = field.file_name().unwrap_or_default().to_owned();
                let Ok(bytes) = field.bytes().await else {
                    return bad("The upload could not be read whole.");
                };
                if name.is_empty() && bytes.is_empty() {
                    continue; // the form sent with no file chosen
                }
                match FileKind::from_file_name(&name) {
                    Some(kind) => files.push((kind, bytes.to_vec())),
                    None => unknown.push(name),
                }
            }
            _ => {}
        }
    }
    if !csrf_ok {
        return error_page(
            PageError::Forbidden(
                "this form had expired: go back, reload the page and try again".to_owned(),
            ),
            super::pages::request_id(&headers),
        );
    }
    if !unknown.is_empty() {
        return bad(&format!(
            "Nothing was imported: {} is not the name of an input file.",
            unknown.join(", ")
        ));
    }
    if files.is_empty() {
        return bad("Choose at least one CSV file to import.");
    }
    let (now, today) = now_and_today();
    match import_upload(&state.db, &viewer.principal, &files, today, now).await {
        Ok(summaries) => imports_answer(&viewer, StatusCode::OK, None, &[], &summaries, &headers),
        Err(UploadError::Import(ImportError::Rejected(errors))) => imports_answer(
            &viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            &errors,
            &[],
            &headers,
        ),
        Err(UploadError::Forbidden(role)) => error_page(
            PageError::Forbidden(format!("your role ({role}) may not import records")),
            super::pages::request_id(&headers),
        ),
        Err(e) => error_page(
            PageError::Internal(e.into()),
            super::pages::request_id(&headers),
        ),
    }
}
