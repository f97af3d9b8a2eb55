//! Approvals of unplanned attendances (DOMAIN.md §6: "never charged until approved"). An approval
//! names the outcome the care served, so that reconciliation can cost it; it is a decision, kept
//! for good: the database refuses to change or delete one.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000005_unplanned_approvals"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let ts = match backend {
            DbBackend::Postgres => "TIMESTAMPTZ",
            _ => "TEXT",
        };
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE TABLE unplanned_approvals (
                attendance_ref TEXT NOT NULL PRIMARY KEY REFERENCES attendances(attendance_ref),
                outcome_ref TEXT NOT NULL,
                approved_by TEXT NOT NULL,
                approved_at {ts} NOT NULL,
                note TEXT NOT NULL
            )"
        ))
        .await?;
        match backend {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION unplanned_approvals_refuse() RETURNS trigger AS $$
                     BEGIN RAISE EXCEPTION 'an approval is kept: % on unplanned_approvals is refused', TG_OP; END;
                     $$ LANGUAGE plpgsql",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER unplanned_approvals_kept BEFORE UPDATE OR DELETE ON unplanned_approvals
                     FOR EACH ROW EXECUTE FUNCTION unplanned_approvals_refuse()",
                )
                .await?;
            }
            _ => {
                for op in ["UPDATE", "DELETE"] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER unplanned_approvals_no_{} BEFORE {op} ON unplanned_approvals \
                         BEGIN SELECT RAISE(ABORT, 'an approval is kept: {op} on unplanned_approvals is refused'); END",
                        op.to_lowercase()
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP TABLE unplanned_approvals")
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION unplanned_approvals_refuse()")
                .await?;
        }
        Ok(())
    }
}
