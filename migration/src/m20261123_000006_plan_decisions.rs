//! Steps taken on support plan versions in the service (issue 5): submitted by the provider,
//! approved or returned by a commissioner officer, or approved by the provider as a change within
//! budget. Kept beside the outcome rows (never written into them) and kept for good: the database
//! refuses to change or delete a step.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000006_plan_decisions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let (id, ts) = match backend {
            DbBackend::Postgres => ("BIGSERIAL PRIMARY KEY", "TIMESTAMPTZ"),
            _ => ("INTEGER PRIMARY KEY AUTOINCREMENT", "TEXT"),
        };
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE TABLE plan_decisions (
                id {id},
                agreement_ref TEXT NOT NULL REFERENCES agreements(agreement_ref),
                plan_version BIGINT NOT NULL,
                step TEXT NOT NULL CHECK (step IN ('submitted', 'approved', 'returned')),
                route TEXT CHECK (route IN ('commissioner', 'within_budget')),
                decided_by TEXT NOT NULL,
                role TEXT NOT NULL,
                decided_on DATE NOT NULL,
                decided_at {ts} NOT NULL,
                note TEXT NOT NULL
            )"
        ))
        .await?;
        db.execute_unprepared(
            "CREATE INDEX plan_decisions_version ON plan_decisions (agreement_ref, plan_version, id)",
        )
        .await?;
        match backend {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION plan_decisions_refuse() RETURNS trigger AS $$
                     BEGIN RAISE EXCEPTION 'a plan decision is kept: % on plan_decisions is refused', TG_OP; END;
                     $$ LANGUAGE plpgsql",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER plan_decisions_kept BEFORE UPDATE OR DELETE ON plan_decisions
                     FOR EACH ROW EXECUTE FUNCTION plan_decisions_refuse()",
                )
                .await?;
            }
            _ => {
                for op in ["UPDATE", "DELETE"] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER plan_decisions_no_{} BEFORE {op} ON plan_decisions \
                         BEGIN SELECT RAISE(ABORT, 'a plan decision is kept: {op} on plan_decisions is refused'); END",
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
        db.execute_unprepared("DROP TABLE plan_decisions").await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION plan_decisions_refuse()")
                .await?;
        }
        Ok(())
    }
}
