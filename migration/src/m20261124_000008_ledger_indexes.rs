//! Ledger indexes that earn their keep. Every reconcile writes a transaction per visit, so each
//! index on the ledger is paid for on every posting:
//! - `ledger_transactions_by_agreement` is read by no query (the fund read joins on the id), and
//!   cost a tenth of a 2,000-person reconcile on SQLite: dropped.
//! - `ledger_postings_by_fund` serves the fund read, which asks only for `account = 'fund'`
//!   postings; the other side of each entry (care income, fees, the bank) never has an agreement,
//!   so the index now holds fund postings only (partial index, on both engines).
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261124_000008_ledger_indexes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX ledger_transactions_by_agreement")
            .await?;
        db.execute_unprepared("DROP INDEX ledger_postings_by_fund")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX ledger_postings_by_fund ON ledger_postings (agreement_ref, stream_ref) \
             WHERE account = 'fund'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX ledger_postings_by_fund")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX ledger_postings_by_fund ON ledger_postings (agreement_ref, stream_ref)",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX ledger_transactions_by_agreement ON ledger_transactions (agreement_ref, txn_date)",
        )
        .await?;
        Ok(())
    }
}
