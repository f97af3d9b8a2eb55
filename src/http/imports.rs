//! `/api/imports`: CSV files sent through the API, imported in the background as a job whose
//! progress the client reads (`app::import_jobs`).
use super::auth::Viewer;
use super::idempotent::{idempotency_key, reply_response};
use super::{ApiError, AppState, Problem};
use crate::app::import::FileKind;
use crate::app::import_jobs::{may_import, read_job, start_import, ImportJob};
use crate::app::receipts::Reply;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

/// The files of one import, as `multipart/form-data`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Documentation only: the parts are read one by one from the stream.
pub struct ImportUpload {
    #[schema(schema_with = csv_files)]
    files: Vec<String>,
}

/// An array of CSV file parts (`items` of media type `text/csv`).
fn csv_files() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .description(Some(
            "One part per CSV file, its `filename` the input file's name (`visits.csv`, \
             `attendances.csv`: FORMATS.md); every file is imported together, all or nothing.",
        ))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .content_media_type("text/csv"),
        )
        .min_items(Some(1))
        .build()
}

/// One file of a job: data rows read and rows not held before.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportFileBody {
    #[schema(example = "attendances.csv")]
    pub file: String,
    #[schema(example = 120_000)]
    pub rows: u64,
    #[schema(example = 118_500)]
    pub new_rows: u64,
}

/// One row at fault: which file, which line (1 is the header), which column, why.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRowErrorBody {
    #[schema(example = "attendances.csv")]
    pub file: String,
    #[schema(example = 4)]
    pub line: u64,
    #[schema(example = "check_out")]
    pub column: String,
    #[schema(example = "check_out is before check_in")]
    pub reason: String,
}

/// An import job: where it is, how far it has got, and at the end what it imported or which rows
/// were at fault.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportJobBody {
    #[schema(example = "6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e")]
    pub job_id: String,
    /// `queued`, `checking`, `writing`, `reconciling`; then `done`, `rejected` (a row at fault:
    /// nothing changed), `failed` (nothing changed) or `interrupted` (the service stopped before
    /// writing: nothing changed).
    #[schema(example = "checking")]
    pub status: String,
    /// Whether the job has ended: poll until it has.
    pub finished: bool,
    #[schema(example = "admin")]
    pub requested_by: String,
    #[schema(example = "2026-11-23T10:00:00Z", format = DateTime)]
    pub requested_at: String,
    #[schema(example = json!(["visits.csv", "attendances.csv"]))]
    pub files: Vec<String>,
    #[schema(example = 9_437_184)]
    pub bytes: u64,
    /// Data rows in every file, once they are read.
    #[schema(example = 160_000)]
    pub rows_total: Option<u64>,
    #[schema(example = 64_000)]
    pub rows_checked: u64,
    /// Rows not held before, once every row is checked good.
    #[schema(example = json!(null))]
    pub new_rows: Option<u64>,
    pub summaries: Vec<ImportFileBody>,
    /// The first 1,000 rows at fault of a rejected job; `errors_total` counts them all.
    pub errors: Vec<ImportRowErrorBody>,
    #[schema(example = 0)]
    pub errors_total: u64,
    #[schema(example = "")]
    pub message: String,
    #[schema(example = json!(null), format = DateTime)]
    pub finished_at: Option<String>,
}

fn job_body(job: &ImportJob) -> ImportJobBody {
    ImportJobBody {
        job_id: job.job_id.clone(),
        status: job.status.word().to_owned(),
        finished: job.status.is_final(),
        requested_by: job.requested_by.clone(),
        requested_at: super::utc_text(&job.requested_at),
        files: job.files.clone(),
        bytes: job.bytes,
        rows_total: job.rows_total,
        rows_checked: job.rows_checked,
        new_rows: job.new_rows,
        summaries: job
            .summaries
            .iter()
            .map(|s| ImportFileBody {
                file: s.file.clone(),
                rows: s.rows as u64,
                new_rows: s.new_rows as u64,
            })
            .collect(),
        errors: job
            .errors
            .iter()
            .map(|e| ImportRowErrorBody {
                file: e.file.clone(),
                line: e.line,
                column: e.column.clone(),
                reason: e.reason.clone(),
            })
            .collect(),
        errors_total: job.errors_total,
        message: job.message.clone(),
        finished_at: job.finished_at.as_ref().map(super::utc_text),
    }
}

/// The problems sending an import can meet.
#[derive(IntoResponses)]
#[allow(dead_code)] // Documentation only: the answers are made by `ApiError`.
enum UploadProblems {
    /// No usable Idempotency-Key, or a body that is not a readable multipart form
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// Only provider staff who import (admin, coordinator, finance) send files
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// The key was used for another request
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    /// The upload is larger than 64 MiB
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not sent as multipart/form-data
    #[response(status = 415, content_type = "application/problem+json")]
    NotMultipart(Problem),
    /// No file, a file sent twice, or a part not named as an input file
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
}

/// A part of the form that could not be read: too large (413) or not multipart (400).
fn unreadable(e: &axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(format!(
            "an upload holds at most {} MiB; send the files in more than one import",
            super::workspace::UPLOAD_BYTES_MAX / (1024 * 1024)
        ))
    } else {
        ApiError::BadRequest(format!(
            "the multipart body cannot be read: {}",
            e.body_text()
        ))
    }
}

/// Reads every part of the form: each a file named as an input file.
async fn read_files(mut multipart: Multipart) -> Result<Vec<(FileKind, Vec<u8>)>, ApiError> {
    let mut files = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| unreadable(&e))? {
        let Some(name) = field.file_name().map(str::to_owned) else {
            return Err(ApiError::field(
                "files",
                format!(
                    "the part {:?} has no filename: send each CSV file as a file part named as \
                     its input file (visits.csv)",
                    field.name().unwrap_or_default()
                ),
            ));
        };
        let Some(kind) = FileKind::from_file_name(&name) else {
            let names: Vec<&str> = FileKind::ALL.iter().map(|k| k.file_name()).collect();
            return Err(ApiError::field(
                "files",
                format!(
                    "{name:?} is not the name of an input file (one of {})",
                    names.join(", ")
                ),
            ));
        };
        let bytes = field.bytes().await.map_err(|e| unreadable(&e))?;
        files.push((kind, bytes.to_vec()));
    }
    Ok(files)
}

/// The job's answer with `Location` pointing at it.
fn accepted(reply: Reply, replayed: bool) -> Result<Response, ApiError> {
    let job_id = serde_json::from_str::<serde_json::Value>(&reply.body)
        .ok()
        .and_then(|v| v["job_id"].as_str().map(str::to_owned));
    let mut response = reply_response(reply, replayed)?;
    if let Some(location) =
        job_id.and_then(|id| HeaderValue::from_str(&format!("/api/imports/{id}")).ok())
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// Send CSV files to import
///
/// Every file of FORMATS.md sent at once (`multipart/form-data`, each part's `filename` the input
/// file's name), imported all or nothing, as `isf import` and the upload page do: a row held with
/// the same content is a no-op, a row at fault rejects the whole import and changes nothing. The
/// answer is `202` with a job at once; read `Location` (`GET /api/imports/{job_id}`) for its
/// progress (rows checked of rows in all) and, when `finished`, what was imported or every row at
/// fault (file, line, column, why). The books are reconciled through today once the rows are in.
/// A retry with the same key and the same files is the same job. Provider admin, coordinator and
/// finance; audited.
#[utoipa::path(
    post,
    path = "/api/imports",
    operation_id = "send_import",
    tag = "imports",
    params(
        ("Idempotency-Key" = String, Header, pattern = r"^[!-~]{1,200}$",
            description = "Chosen by the client, 1–200 visible ASCII characters"),
    ),
    request_body(content = ImportUpload, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Accepted as a job; `Location` is where to read it",
            body = ImportJobBody,
            headers(("Location" = String, description = "`/api/imports/{job_id}`"))),
        UploadProblems,
    )
)]
pub async fn send(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    may_import(&viewer.principal)?;
    let multipart = multipart.map_err(|e| match e {
        MultipartRejection::InvalidBoundary(_) => ApiError::UnsupportedMediaType(
            "send the files as multipart/form-data, one file part per CSV file".to_owned(),
        ),
        _ => ApiError::BadRequest(e.body_text()),
    })?;
    let files = read_files(multipart).await?;
    let (now, _) = super::now_and_today();
    let answer = start_import(
        &state.db,
        &state.import_jobs,
        &viewer.principal,
        &key,
        files,
        now,
        |job| Reply {
            status: StatusCode::ACCEPTED.as_u16(),
            body: serde_json::to_string(&job_body(job)).unwrap_or_default(),
        },
    )
    .await?;
    let (reply, replayed) = answer.into_parts();
    accepted(reply, replayed)
}

/// Read an import job
///
/// Where an import sent through the API is: its status, rows checked of rows in all while it runs,
/// and when `finished` what each file brought or every row at fault. A job the service stopped
/// under before its rows were written is `interrupted` and changed nothing: send the files again
/// (rows already held are no-ops). Provider admin, coordinator and finance.
#[utoipa::path(
    get,
    path = "/api/imports/{job_id}",
    operation_id = "read_import",
    tag = "imports",
    params(("job_id" = String, Path, description = "The job's id, from `POST /api/imports`",
        example = "6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e")),
    responses(
        (status = 200, description = "The job as it stands", body = ImportJobBody),
        (status = 403, description = "Only provider staff who import read import jobs", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(job_id): Path<String>,
) -> Result<Json<ImportJobBody>, ApiError> {
    let job = read_job(&state.db, &state.import_jobs, &viewer.principal, &job_id).await?;
    Ok(Json(job_body(&job)))
}
