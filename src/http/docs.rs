//! The OpenAPI document (`GET /api/openapi.json`) and a docs page (`GET /api/docs`).
//!
//! The page is Scalar's (utoipa-scalar) with the document embedded. Scalar's viewer is a script
//! the browser fetches from its CDN; nothing is fetched at build or test time, and without the
//! network the page still lists every operation, rendered here from the same document.
use super::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::OpenApi;
use utoipa_scalar::Scalar;

/// Serves the OpenAPI 3.1 document.
pub async fn openapi_json(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi_json.clone(),
    )
}

/// Serves the docs page.
pub async fn docs_page(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        state.docs_html.clone(),
    )
}

/// The page's template: Scalar's loader plus a plain list of the operations (`$operations`) that
/// stands in when the viewer cannot load. Scalar fills `$spec` with the document.
const TEMPLATE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ISF Ledger API</title>
<style>
  body { font-family: system-ui, sans-serif; line-height: 1.5; margin: 0; }
  #operations { max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
  code { font-size: 1rem; }
</style>
</head>
<body>
<main id="operations">
<h1>ISF Ledger API</h1>
<p>The machine-readable description is at <a href="/api/openapi.json">/api/openapi.json</a>
(OpenAPI 3.1). Money is a decimal string such as <code>"1234.50"</code>; errors are
<code>application/problem+json</code>; writes need an <code>Idempotency-Key</code> header.</p>
<ul>
$operations
</ul>
</main>
<script id="api-reference" type="application/json">
$spec
</script>
<script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference"
        onload="document.getElementById('operations').hidden = true"></script>
</body>
</html>
"#;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The docs page for `openapi`.
pub fn page(openapi: &OpenApi) -> String {
    let mut items = String::new();
    for (path, item) in &openapi.paths.paths {
        for (method, operation) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ] {
            if let Some(op) = operation {
                items.push_str(&format!(
                    "<li><code>{method} {}</code> — {}</li>\n",
                    escape(path),
                    escape(op.summary.as_deref().unwrap_or(""))
                ));
            }
        }
    }
    Scalar::new(openapi.clone())
        .custom_html(TEMPLATE.replace("$operations", &items))
        .to_html()
}
