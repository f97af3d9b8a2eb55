//! Exceptions as data: what a coordinator is shown about a visit, an attendance, a week or a fund.
//! Derived by reconciliation; kept so that a resolution (who, when, why) stays with the exception.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000002_exceptions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (ts, date) = match manager.get_database_backend() {
            DbBackend::Postgres => ("TIMESTAMPTZ", "DATE"),
            _ => ("TEXT", "TEXT"),
        };
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE TABLE exceptions (
                exception_key TEXT NOT NULL PRIMARY KEY,
                kind TEXT NOT NULL,
                agreement_ref TEXT NOT NULL,
                stream_ref TEXT,
                subject_ref TEXT NOT NULL,
                exception_date {date} NOT NULL,
                detail TEXT NOT NULL,
                status TEXT NOT NULL,
                raised_at {ts} NOT NULL,
                resolved_by TEXT,
                resolved_note TEXT,
                resolved_at {ts}
            )"
        ))
        .await?;
        db.execute_unprepared(
            "CREATE INDEX exceptions_by_agreement ON exceptions (agreement_ref, exception_date)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE exceptions")
            .await?;
        Ok(())
    }
}
