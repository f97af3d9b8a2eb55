//! The database edge: connection, migration, entities and the repositories that turn rows into
//! domain values and back. Only this module knows sea-orm.
pub mod accounts;
mod bulk;
pub mod entities;
pub mod idempotency;
pub mod import_jobs;
mod repo;
mod sqlite_direct;
mod tables;

pub use repo::*;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// Why the database layer failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("a stored row cannot be read back: {0}")]
    Corrupt(String),
    #[error("conflict: {0}")]
    Conflict(String),
}

/// The default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://isf.db?mode=rwc";

/// Connects and brings the schema up to date.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbError> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .max_connections(if url.starts_with("sqlite") { 1 } else { 8 })
        // Set on the connect options so that every pooled connection has them, not only the first.
        // The larger page cache keeps a big reconcile from spilling pages mid-transaction.
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(std::time::Duration::from_secs(5))
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory")
                // Rows cross from SQLite's worker thread in a bounded channel: a deep one lets the
                // worker run ahead instead of waking the reader for every few rows.
                .row_buffer_size(16_384)
        });
    let db = Database::connect(options).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}
