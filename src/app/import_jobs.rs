//! Imports sent through the API: the files are accepted at once as a job (`202`), then checked,
//! written and reconciled in the background while the client reads the job's progress.
//!
//! The rules are `import`'s: every file together, all or nothing, the same row again a no-op. What
//! this adds is the job: a row in `import_jobs` moved on at each phase, live counts of rows checked
//! held in memory while it runs, and the idempotency key, stored with the job's first answer so
//! that a retried upload is the same job. The import's rows and the job's `reconciling` state are
//! written in one database transaction, so the job never says more or less than the database
//! holds. Imports run one at a time in the process (a second waits as `queued`). A job the service
//! stopped under is closed at the next start-up (`db::import_jobs::close_unfinished_jobs`).
use super::idempotent::{commit_with_reply, fingerprint, prior, Prior};
use super::import::{
    check_files_counted, money_transactions, CheckProgress, FileKind, FileSummary,
};
use super::receipts::{ReceiptReply, Reply};
use crate::csv_io::RowError;
use crate::db::{self, DbError};
use crate::domain::access::{Action, Principal};
use crate::domain::calendar::Instant;
use crate::domain::refs::IdempotencyKey;
use sea_orm::{DatabaseConnection, TransactionTrait};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

/// The row errors a job keeps and shows; `errors_total` counts them all.
pub const IMPORT_ERRORS_KEPT_MAX: usize = 1000;

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// Accepted; waiting for the import before it to finish.
    Queued,
    /// Reading what is held and checking every row.
    Checking,
    /// Every row is good; writing them in one transaction.
    Writing,
    /// Written; reconciling the books through today.
    Reconciling,
    /// Imported and reconciled (or nothing new to import).
    Done,
    /// A row was at fault: nothing was changed; `errors` says where.
    Rejected,
    /// The service could not finish it: nothing was changed.
    Failed,
    /// The service stopped before it was written: nothing was changed.
    Interrupted,
}

impl JobStatus {
    const ALL: [JobStatus; 8] = [
        JobStatus::Queued,
        JobStatus::Checking,
        JobStatus::Writing,
        JobStatus::Reconciling,
        JobStatus::Done,
        JobStatus::Rejected,
        JobStatus::Failed,
        JobStatus::Interrupted,
    ];

    pub fn word(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Checking => "checking",
            JobStatus::Writing => "writing",
            JobStatus::Reconciling => "reconciling",
            JobStatus::Done => "done",
            JobStatus::Rejected => "rejected",
            JobStatus::Failed => "failed",
            JobStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(word: &str) -> Option<JobStatus> {
        JobStatus::ALL.into_iter().find(|s| s.word() == word)
    }

    /// Whether the job has ended (its row changes no more).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobStatus::Done | JobStatus::Rejected | JobStatus::Failed | JobStatus::Interrupted
        )
    }

    fn index(self) -> u8 {
        JobStatus::ALL.iter().position(|s| *s == self).unwrap_or(0) as u8
    }

    fn from_index(i: u8) -> JobStatus {
        JobStatus::ALL
            .get(usize::from(i))
            .copied()
            .unwrap_or(JobStatus::Queued)
    }
}

/// An import job, as held and as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportJob {
    pub job_id: String,
    pub requested_by: String,
    pub requested_at: Instant,
    /// The files sent, in the order they are checked.
    pub files: Vec<String>,
    pub bytes: u64,
    pub status: JobStatus,
    /// Data rows in every file, once the files are read.
    pub rows_total: Option<u64>,
    pub rows_checked: u64,
    /// Rows not held before, once checked good.
    pub new_rows: Option<u64>,
    pub summaries: Vec<FileSummary>,
    /// The first `IMPORT_ERRORS_KEPT_MAX` row errors of a rejected job.
    pub errors: Vec<RowError>,
    pub errors_total: u64,
    pub message: String,
    pub finished_at: Option<Instant>,
}

/// A running job's live state, shared with the thread checking its rows.
#[derive(Debug, Default)]
struct LiveJob {
    status: AtomicU8,
    progress: CheckProgress,
}

/// The jobs running in this process, by id: their live counts overlay the held row when read.
#[derive(Debug, Default)]
pub struct ImportJobs {
    live: Mutex<HashMap<String, Arc<LiveJob>>>,
}

impl ImportJobs {
    fn start(&self, job_id: &str) -> Arc<LiveJob> {
        let live = Arc::new(LiveJob::default());
        if let Ok(mut map) = self.live.lock() {
            map.insert(job_id.to_owned(), live.clone());
        }
        live
    }

    fn finish(&self, job_id: &str) {
        if let Ok(mut map) = self.live.lock() {
            map.remove(job_id);
        }
    }

    fn overlay(&self, job: &mut ImportJob) {
        if job.status.is_final() {
            return;
        }
        let live = self
            .live
            .lock()
            .ok()
            .and_then(|map| map.get(&job.job_id).cloned());
        let Some(live) = live else { return };
        job.status = JobStatus::from_index(live.status.load(Ordering::Relaxed));
        let total = live.progress.rows_total.load(Ordering::Relaxed) as u64;
        if total > 0 {
            job.rows_total = Some(total);
        }
        job.rows_checked = job
            .rows_checked
            .max(live.progress.rows_checked.load(Ordering::Relaxed) as u64);
    }
}

/// Why an import was not accepted or cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum ImportJobError {
    #[error("your role ({0}) may not import records")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error("there is no import job {0}")]
    NotFound(String),
    #[error(
        "this idempotency key was used for a different request; use a new key for a new request"
    )]
    KeyReused,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Whether `viewer` may send imports: asked before an upload is read, so a caller who may not
/// send none is refused without its body being taken in.
pub fn may_import(viewer: &Principal) -> Result<(), ImportJobError> {
    viewer
        .may(Action::ImportRecords)
        .map_err(|_| ImportJobError::Forbidden(viewer.role.word().to_owned()))
}

/// Accepts `files` as a job and starts it; answers the job as accepted (`reply` makes the answer
/// kept for `key`). A retry with the same key and the same files gets that answer again, and its
/// job, whatever became of it; the same key with other files is refused.
pub async fn start_import(
    db: &DatabaseConnection,
    jobs: &Arc<ImportJobs>,
    viewer: &Principal,
    key: &IdempotencyKey,
    files: Vec<(FileKind, Vec<u8>)>,
    now: Instant,
    reply: impl FnOnce(&ImportJob) -> Reply,
) -> Result<ReceiptReply, ImportJobError> {
    may_import(viewer)?;
    let mut files = files;
    files.sort_by_key(|(kind, _)| *kind);
    if files.is_empty() {
        return Err(ImportJobError::Invalid(
            "send at least one CSV file, named as its input file (visits.csv)".to_owned(),
        ));
    }
    if let Some(twice) = files.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(ImportJobError::Invalid(format!(
            "{} was sent twice: send each file once",
            twice[0].0.file_name()
        )));
    }
    // A retry's multipart boundary differs: the fingerprint is of the files, not of the body.
    let digests: Vec<(&str, String)> = files
        .iter()
        .map(|(kind, bytes)| (kind.file_name(), hex::encode(Sha256::digest(bytes))))
        .collect();
    let request_hash = fingerprint(
        "import/v1",
        digests
            .iter()
            .map(|(name, digest)| (*name, digest.as_str())),
    );
    let key = key.owned_by(&viewer.username);
    let txn = db.begin().await.map_err(DbError::from)?;
    match prior(&txn, &key, &request_hash).await? {
        Prior::Unused => {}
        Prior::Replay(stored) => return Ok(ReceiptReply::Replayed(stored)),
        Prior::OtherRequest => return Err(ImportJobError::KeyReused),
    }
    let job = ImportJob {
        job_id: uuid::Uuid::new_v4().to_string(),
        requested_by: viewer.username.clone(),
        requested_at: now,
        files: files
            .iter()
            .map(|(kind, _)| kind.file_name().to_owned())
            .collect(),
        bytes: files.iter().map(|(_, b)| b.len() as u64).sum(),
        status: JobStatus::Queued,
        rows_total: None,
        rows_checked: 0,
        new_rows: None,
        summaries: Vec::new(),
        errors: Vec::new(),
        errors_total: 0,
        message: String::new(),
        finished_at: None,
    };
    db::import_jobs::insert_job(&txn, &job).await?;
    let answer = reply(&job);
    commit_with_reply(txn, &key, request_hash, &answer, now).await?;
    let live = jobs.start(&job.job_id);
    let (db, jobs) = (db.clone(), jobs.clone());
    tokio::spawn(async move {
        let job_id = job.job_id.clone();
        run(&db, &live, job, files).await;
        jobs.finish(&job_id);
    });
    Ok(ReceiptReply::Fresh(answer))
}

/// The job `job_id` as it stands (provider staff who may import).
pub async fn read_job(
    db: &DatabaseConnection,
    jobs: &ImportJobs,
    viewer: &Principal,
    job_id: &str,
) -> Result<ImportJob, ImportJobError> {
    may_import(viewer)?;
    let mut job = db::import_jobs::find_job(db, job_id)
        .await?
        .ok_or_else(|| ImportJobError::NotFound(job_id.to_owned()))?;
    jobs.overlay(&mut job);
    Ok(job)
}

fn now() -> Instant {
    chrono::Utc::now()
}

/// Runs a job to its end, keeping its row up to date; never returns an error, since nobody waits
/// on it: what went wrong is in the job.
async fn run(
    db: &DatabaseConnection,
    live: &Arc<LiveJob>,
    mut job: ImportJob,
    files: Vec<(FileKind, Vec<u8>)>,
) {
    let mut written = false;
    let outcome = run_phases(db, live, &mut job, files, &mut written).await;
    if let Err(e) = outcome {
        tracing::error!(job_id = %job.job_id, error = %e, "an import job failed");
        if written {
            job.status = JobStatus::Done;
            job.message = "imported; reconciling failed and runs again at the next daily \
                           reconcile (or when the service starts)"
                .to_owned();
        } else {
            job.status = JobStatus::Failed;
            job.message =
                "the service could not finish this import: nothing was changed; send the files \
                 again, and tell the service's administrator if it happens again"
                    .to_owned();
        }
    }
    job.finished_at = Some(now());
    if let Err(e) = db::import_jobs::update_job(db, &job).await {
        tracing::error!(job_id = %job.job_id, error = %e, "an import job's end could not be kept");
    }
}

/// Moves the job on. Readers see a running phase at once; an ending only once `run` has written
/// it to the job's row with what it found (errors, new rows), never before.
fn set_status(live: &LiveJob, job: &mut ImportJob, status: JobStatus) {
    job.status = status;
    if !status.is_final() {
        live.status.store(status.index(), Ordering::Relaxed);
    }
}

async fn run_phases(
    db: &DatabaseConnection,
    live: &Arc<LiveJob>,
    job: &mut ImportJob,
    files: Vec<(FileKind, Vec<u8>)>,
    written: &mut bool,
) -> Result<(), anyhow::Error> {
    let turn = super::import::IMPORTING.lock().await;
    set_status(live, job, JobStatus::Checking);
    db::import_jobs::update_job(db, job).await?;
    let world = db::load_world(db).await?;
    // Checking is CPU work on every row: off the async workers, so the service answers meanwhile.
    let checker = live.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let mut world = world;
        check_files_counted(&mut world, &files, &checker.progress)
    })
    .await?;
    job.rows_total = Some(live.progress.rows_total.load(Ordering::Relaxed) as u64);
    job.rows_checked = live.progress.rows_checked.load(Ordering::Relaxed) as u64;
    let (new, summaries) = match checked {
        Ok(checked) => checked,
        Err(errors) => {
            job.errors_total = errors.len() as u64;
            job.errors = errors.into_iter().take(IMPORT_ERRORS_KEPT_MAX).collect();
            job.message = format!(
                "nothing was imported: {} row problem(s){}",
                job.errors_total,
                if job.errors_total > IMPORT_ERRORS_KEPT_MAX as u64 {
                    format!("; the first {IMPORT_ERRORS_KEPT_MAX} are listed")
                } else {
                    String::new()
                }
            );
            set_status(live, job, JobStatus::Rejected);
            return Ok(());
        }
    };
    let new_rows = new.count();
    job.new_rows = Some(new_rows as u64);
    job.summaries = summaries;
    if new_rows == 0 {
        job.message = "every row was already held: nothing new to import".to_owned();
        set_status(live, job, JobStatus::Done);
        return Ok(());
    }
    set_status(live, job, JobStatus::Writing);
    db::import_jobs::update_job(db, job).await?;
    let at = now();
    // The job's row says `reconciling` in the same database transaction that writes its rows (and
    // the audit entry), so it never says more or less than the database holds; the live status
    // follows once they are in.
    job.status = JobStatus::Reconciling;
    let then = vec![
        db::import_jobs::job_update(job, db),
        db::accounts::audit_entry(
            db,
            at,
            &job.requested_by,
            "records.imported",
            &format!("files:{}", job.files.join(",")),
            &format!("{new_rows} new rows (import job {})", job.job_id),
        ),
    ];
    let transactions = money_transactions(&new);
    db::write_import_owned(db, new, transactions, at, then).await?;
    set_status(live, job, JobStatus::Reconciling);
    *written = true;
    drop(turn); // the rows are in: the next import may start while this one reconciles
    let at = now();
    let today = crate::domain::calendar::local_date(at);
    super::reconcile::reconcile(db, today, at).await?;
    job.message = format!("{new_rows} new row(s) imported and reconciled through {today}");
    set_status(live, job, JobStatus::Done);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_reads_back_from_its_word_and_its_index() {
        for status in JobStatus::ALL {
            assert_eq!(JobStatus::parse(status.word()), Some(status));
            assert_eq!(JobStatus::from_index(status.index()), status);
        }
        assert_eq!(JobStatus::parse("finished"), None);
    }

    #[test]
    fn only_done_rejected_failed_and_interrupted_jobs_have_ended() {
        let ended: Vec<&str> = JobStatus::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .map(JobStatus::word)
            .collect();
        assert_eq!(ended, ["done", "rejected", "failed", "interrupted"]);
    }
}
