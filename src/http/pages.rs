//! Web pages for people, served beside the API but not part of it (they are not in the OpenAPI
//! document): a budget holder's statement as an accessible HTML page.
//!
//! A statement holds a person's name, care and money. Every answer of this module — the page and
//! its error pages alike — is therefore kept out of search engines (`X-Robots-Tag`) and out of
//! every cache (`Cache-Control: no-store`), is never sniffed as another type, sends no referrer,
//! and may load nothing from anywhere (`Content-Security-Policy`; the page's styles and its SVG
//! icons are inline). Errors are small accessible HTML pages rather than problem+json: whoever
//! follows a link to a statement is a person with a browser.
use super::auth::PageViewer;
use super::statements::check_period;
use super::{path_ref, AppState, REQUEST_ID_HEADER};
use crate::app::queries::{self, QueryError};
use crate::domain::calendar::parse_date;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Months, NaiveDate};

/// The media type of every page.
pub const HTML: &str = "text/html; charset=utf-8";

/// What a page may load: nothing but its own inline styles and inline or same-origin images.
/// Forms post only back to the service, and no other site may frame a page.
pub const PAGE_CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'";

/// The headers every page and error page carries.
const PAGE_HEADERS: [(&str, &str); 6] = [
    ("content-type", HTML),
    ("x-robots-tag", "noindex, nofollow"),
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("content-security-policy", PAGE_CONTENT_SECURITY_POLICY),
];

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// 400: the address is malformed (a bad period).
    BadRequest(String),
    /// 403: the signed-in person's role never sees this kind of page.
    Forbidden(String),
    /// 404: nothing is at the address (an unknown agreement).
    NotFound(String),
    /// 500: logged in full; the person sees only the request id.
    Internal(anyhow::Error),
}

impl From<QueryError> for PageError {
    fn from(e: QueryError) -> PageError {
        match e {
            QueryError::NotFound { .. } => PageError::NotFound(e.to_string()),
            QueryError::Forbidden { .. } => PageError::Forbidden(e.to_string()),
            QueryError::BackwardsPeriod { .. } => PageError::BadRequest(e.to_string()),
            other => PageError::Internal(other.into()),
        }
    }
}

/// The first and last day of a period written `YYYY-MM` (that calendar month) or
/// `YYYY-MM-DD..YYYY-MM-DD` (both days included); says why not when it is neither, runs backwards
/// or is longer than a statement may be.
pub fn parse_period(text: &str) -> Result<(NaiveDate, NaiveDate), String> {
    let (from, to) = if let Some((from, to)) = text.split_once("..") {
        let day =
            |t: &str| parse_date(t).map_err(|_| format!("{t:?} is not a date: write YYYY-MM-DD"));
        (day(from)?, day(to)?)
    } else {
        let bytes = text.as_bytes();
        let first = (bytes.len() == 7 && bytes[4] == b'-')
            .then(|| parse_date(&format!("{text}-01")).ok())
            .flatten()
            .ok_or_else(|| {
                format!("{text:?} is not a period: write a month, YYYY-MM, or two days, YYYY-MM-DD..YYYY-MM-DD")
            })?;
        let last = first
            .checked_add_months(Months::new(1))
            .and_then(|next| next.pred_opt())
            .ok_or_else(|| format!("{text:?} is out of range"))?;
        (first, last)
    };
    check_period(from, to)?;
    Ok((from, to))
}

/// `GET /agreements/{ref}/statements/{period}`: the statement of agreement `ref` for `period` as
/// an accessible HTML page in the person's communication format (standard, large print or easy
/// read), rendered by `web::statement_page` from the same statement as
/// `GET /api/agreements/{ref}/statements` and `isf statement --format html`, digest included.
///
/// `period` is `YYYY-MM` (a calendar month, e.g. `2026-03`) or `YYYY-MM-DD..YYYY-MM-DD` (both days
/// included, at most 366 days). Answers `200` with the page, `400` with an HTML page for a bad
/// period, `404` with an HTML page for an unknown agreement, and `500` with an HTML page giving
/// the request id; every answer carries `PAGE_HEADERS`. This is a page, not API: it is not in the
/// OpenAPI document.
pub async fn statement(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let answer = async {
        let Path((reference, period)) =
            path.map_err(|_| PageError::BadRequest("this address cannot be read".to_owned()))?;
        let reference = path_ref("agreement", &reference)
            .map_err(|_| PageError::NotFound(format!("no agreement {reference}")))?;
        let (from, to) = parse_period(&period).map_err(PageError::BadRequest)?;
        let full = queries::statement(&state.db, &viewer.principal, &reference, from, to).await?;
        crate::web::statement_page(&full).map_err(|e| PageError::Internal(e.into()))
    }
    .await;
    match answer {
        Ok(html) => page(StatusCode::OK, html),
        Err(e) => error_page(e, request_id(&headers)),
    }
}

pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A page that also sets or clears cookies.
pub fn page_response(
    status: StatusCode,
    jar: axum_extra::extract::cookie::CookieJar,
    html: String,
) -> Response {
    (jar, page(status, html)).into_response()
}

/// A page with every header of `PAGE_HEADERS`.
pub fn page(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    for (name, value) in PAGE_HEADERS {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A small page saying what went wrong, in plain words.
pub fn error_page(error: PageError, request_id: Option<String>) -> Response {
    let (status, title, detail) = match error {
        PageError::BadRequest(why) => (
            StatusCode::BAD_REQUEST,
            "This address is not right",
            format!(
                "<p>{}.</p><p>Check the address. A statement's period is a month, such as \
                 <code>2026-03</code>, or two days, such as <code>2026-03-01..2026-03-31</code>.</p>",
                escape(&why)
            ),
        ),
        PageError::Forbidden(why) => (
            StatusCode::FORBIDDEN,
            "You cannot see this page",
            format!(
                "<p>{}.</p><p>If you think you should, ask your provider's office.</p>",
                escape(&why)
            ),
        ),
        PageError::NotFound(why) => (
            StatusCode::NOT_FOUND,
            "Statement not found",
            format!(
                "<p>There is {}.</p><p>Check the address, or ask the office for your statement.</p>",
                escape(&why)
            ),
        ),
        PageError::Internal(e) => {
            tracing::error!(error = %format!("{e:#}"), "the statement page failed");
            let reference = request_id
                .map(|id| format!(" Please quote this reference: <code>{}</code>.", escape(&id)))
                .unwrap_or_default();
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, something went wrong",
                format!("<p>We could not show this statement. Try again later.{reference}</p>"),
            )
        }
    };
    page(
        status,
        format!(
            "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"robots\" content=\"noindex, nofollow\">\n\
             <title>{title} – ISF Ledger</title>\n\
             <style>body {{ font-family: Arial, sans-serif; font-size: 1.2rem; line-height: 1.5; \
             color: #0b0c0c; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }}</style>\n\
             </head>\n<body>\n<main>\n<h1>{title}</h1>\n{detail}\n</main>\n</body>\n</html>\n"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_a_month_or_two_days() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        for (text, from, to) in [
            ("2026-03", "2026-03-01", "2026-03-31"),
            ("2026-02", "2026-02-01", "2026-02-28"),
            ("2028-02", "2028-02-01", "2028-02-29"),
            ("2026-12", "2026-12-01", "2026-12-31"),
            ("2026-03-16..2026-04-12", "2026-03-16", "2026-04-12"),
            ("2026-03-01..2026-03-01", "2026-03-01", "2026-03-01"),
        ] {
            assert_eq!(parse_period(text), Ok((d(from), d(to))), "case {text}");
        }
    }

    #[test]
    fn bad_periods_say_why() {
        for text in [
            "",
            "2026",
            "2026-3",
            "2026-13",
            "2026-00",
            "202603",
            "March",
            "2026-03-01",
            "2026-03-01..",
            "..2026-03-01",
            "2026-03-01...2026-03-31",
            "2026-03-31..2026-03-01",
            "2026-01-01..2027-12-31",
            "2026-02-30..2026-03-01",
        ] {
            assert!(parse_period(text).is_err(), "case {text:?}");
        }
    }

    #[tokio::test]
    async fn error_pages_are_html_with_the_page_headers_and_escape_what_they_echo() {
        let response = error_page(
            PageError::NotFound("no agreement <b>X</b>".to_owned()),
            None,
        );
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        for (name, value) in PAGE_HEADERS {
            assert_eq!(response.headers()[name], value, "header {name}");
        }
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let html = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(html.contains("<h1>Statement not found</h1>"), "{html}");
        assert!(html.contains("&lt;b&gt;X&lt;/b&gt;"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
    }

    #[tokio::test]
    async fn a_server_error_page_gives_the_request_id_and_not_the_cause() {
        let response = error_page(
            PageError::Internal(anyhow::anyhow!("SELECT secret FROM people")),
            Some("req-7".to_owned()),
        );
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let html = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(html.contains("req-7"), "{html}");
        assert!(!html.contains("secret"), "{html}");
    }
}
