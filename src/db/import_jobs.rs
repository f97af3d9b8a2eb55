//! Import jobs (`import_jobs`): one row per import sent through the API, moved on as the job runs.
//! Summaries and row errors are kept as JSON text in their row: they are read back whole, with the
//! job, and never queried into.
use super::entities::import_jobs;
use super::DbError;
use crate::app::import::FileSummary;
use crate::app::import_jobs::{ImportJob, JobStatus};
use crate::csv_io::RowError;
use crate::domain::calendar::Instant;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryTrait, Statement,
};

fn json<T: serde::Serialize>(values: &[T]) -> String {
    serde_json::to_string(values).unwrap_or_else(|_| "[]".to_owned())
}

fn count(n: i64, what: &str) -> Result<u64, DbError> {
    u64::try_from(n).map_err(|_| DbError::Corrupt(format!("import job {what} is {n}")))
}

fn from_row(m: import_jobs::Model) -> Result<ImportJob, DbError> {
    let corrupt = |what: &str, e: serde_json::Error| {
        DbError::Corrupt(format!("import job {} {what}: {e}", m.job_id))
    };
    let summaries: Vec<FileSummary> =
        serde_json::from_str(&m.summaries).map_err(|e| corrupt("summaries", e))?;
    let errors: Vec<RowError> =
        serde_json::from_str(&m.errors).map_err(|e| corrupt("errors", e))?;
    let status = JobStatus::parse(&m.status)
        .ok_or_else(|| DbError::Corrupt(format!("import job status {}", m.status)))?;
    Ok(ImportJob {
        status,
        requested_by: m.requested_by,
        requested_at: m.requested_at,
        files: m
            .files
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect(),
        bytes: count(m.bytes, "bytes")?,
        rows_total: m.rows_total.map(|n| count(n, "rows_total")).transpose()?,
        rows_checked: count(m.rows_checked, "rows_checked")?,
        new_rows: m.new_rows.map(|n| count(n, "new_rows")).transpose()?,
        summaries,
        errors,
        errors_total: count(m.errors_total, "errors_total")?,
        message: m.message,
        finished_at: m.finished_at,
        job_id: m.job_id,
    })
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The row holding `job`.
fn row_of(job: &ImportJob) -> import_jobs::ActiveModel {
    import_jobs::ActiveModel {
        job_id: Set(job.job_id.clone()),
        requested_by: Set(job.requested_by.clone()),
        requested_at: Set(job.requested_at),
        files: Set(job.files.join(",")),
        bytes: Set(to_i64(job.bytes)),
        status: Set(job.status.word().to_owned()),
        rows_total: Set(job.rows_total.map(to_i64)),
        rows_checked: Set(to_i64(job.rows_checked)),
        new_rows: Set(job.new_rows.map(to_i64)),
        summaries: Set(json(&job.summaries)),
        errors: Set(json(&job.errors)),
        errors_total: Set(to_i64(job.errors_total)),
        message: Set(job.message.clone()),
        finished_at: Set(job.finished_at),
    }
}

/// Adds a job as it is accepted.
pub async fn insert_job<C: ConnectionTrait>(db: &C, job: &ImportJob) -> Result<(), DbError> {
    import_jobs::Entity::insert(row_of(job))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Writes a job's state as it moves on.
pub async fn update_job<C: ConnectionTrait>(db: &C, job: &ImportJob) -> Result<(), DbError> {
    db.execute(job_update(job, db)).await?;
    Ok(())
}

/// The statement that writes a job's state (built for `db`'s engine), to run inside another write:
/// the import's own.
pub fn job_update(job: &ImportJob, db: &impl ConnectionTrait) -> Statement {
    import_jobs::Entity::update_many()
        .set(row_of(job))
        .filter(import_jobs::Column::JobId.eq(job.job_id.as_str()))
        .build(db.get_database_backend())
}

/// The job `job_id`, if held.
pub async fn find_job<C: ConnectionTrait>(
    db: &C,
    job_id: &str,
) -> Result<Option<ImportJob>, DbError> {
    import_jobs::Entity::find_by_id(job_id.to_owned())
        .one(db)
        .await?
        .map(from_row)
        .transpose()
}

/// At start-up: a job the last run of the service left unfinished is over. One still queued,
/// checking or writing changed nothing (its write is one transaction that did not commit); one
/// reconciling had its rows written, and the start-up reconcile finishes it.
pub async fn close_unfinished_jobs<C: ConnectionTrait>(
    db: &C,
    now: Instant,
) -> Result<u64, DbError> {
    let interrupted = import_jobs::Entity::update_many()
        .col_expr(
            import_jobs::Column::Status,
            Expr::value(JobStatus::Interrupted.word()),
        )
        .col_expr(
            import_jobs::Column::Message,
            Expr::value(
                "the service stopped before this import was written: nothing was changed; \
                 send the files again",
            ),
        )
        .col_expr(import_jobs::Column::FinishedAt, Expr::value(Some(now)))
        .filter(import_jobs::Column::Status.is_in([
            JobStatus::Queued.word(),
            JobStatus::Checking.word(),
            JobStatus::Writing.word(),
        ]))
        .exec(db)
        .await?
        .rows_affected;
    let reconciled = import_jobs::Entity::update_many()
        .col_expr(
            import_jobs::Column::Status,
            Expr::value(JobStatus::Done.word()),
        )
        .col_expr(
            import_jobs::Column::Message,
            Expr::value("imported; reconciled when the service started again"),
        )
        .col_expr(import_jobs::Column::FinishedAt, Expr::value(Some(now)))
        .filter(import_jobs::Column::Status.eq(JobStatus::Reconciling.word()))
        .exec(db)
        .await?
        .rows_affected;
    Ok(interrupted + reconciled)
}
