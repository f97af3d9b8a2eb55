//! The database edge: connection, migration, entities and the repositories that turn rows into
//! domain values and back. Only this module knows sea-orm.
pub mod entities;
pub mod idempotency;
mod repo;

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
        .max_connections(if url.starts_with("sqlite") { 1 } else { 8 });
    let db = Database::connect(options).await?;
    if url.starts_with("sqlite") {
        use sea_orm::ConnectionTrait;
        db.execute_unprepared("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;")
            .await?;
    }
    Migrator::up(&db, None).await?;
    Ok(db)
}
