//! Imports sent through the API (issue 5): a large upload is checked and written in the background,
//! and its job row says how far it has got and, at the end, what was imported or which rows were at
//! fault. A job row changes as the job moves on (it is a record of work, not of money); the rows
//! it imports and their ledger transactions are written in the same database transaction that
//! marks it written, so the job never says more or less than what the database holds.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000007_import_jobs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ts = match manager.get_database_backend() {
            DbBackend::Postgres => "TIMESTAMPTZ",
            _ => "TEXT",
        };
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE TABLE import_jobs (
                job_id TEXT PRIMARY KEY,
                requested_by TEXT NOT NULL,
                requested_at {ts} NOT NULL,
                files TEXT NOT NULL,
                bytes BIGINT NOT NULL,
                status TEXT NOT NULL CHECK (status IN
                    ('queued', 'checking', 'writing', 'reconciling', 'done', 'rejected', 'failed', 'interrupted')),
                rows_total BIGINT,
                rows_checked BIGINT NOT NULL,
                new_rows BIGINT,
                summaries TEXT NOT NULL,
                errors TEXT NOT NULL,
                errors_total BIGINT NOT NULL,
                message TEXT NOT NULL,
                finished_at {ts}
            )"
        ))
        .await?;
        db.execute_unprepared(
            "CREATE INDEX import_jobs_requested ON import_jobs (requested_at, job_id)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE import_jobs")
            .await?;
        Ok(())
    }
}
