//! Schema migrations for ISF Ledger, on SQLite (embedded default) and PostgreSQL (production).
//!
//! This crate never imports the service crate and never seeds data. Column types are chosen so that
//! money is an integer number of pence (`BIGINT`), non-money decimals (hours, percentages) are exact
//! canonical text, instants are UTC and dates are calendar dates. The ledger tables are append-only
//! in the database itself: triggers refuse every UPDATE and DELETE on both engines.
pub use sea_orm_migration::prelude::*;

mod m20261122_000001_schema;
mod m20261122_000002_exceptions;
mod m20261122_000003_accounts;
mod m20261122_000004_fund_index;
mod m20261123_000005_unplanned_approvals;
mod m20261123_000006_plan_decisions;
mod m20261123_000007_import_jobs;
mod m20261124_000008_ledger_indexes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_schema::Migration),
            Box::new(m20261122_000002_exceptions::Migration),
            Box::new(m20261122_000003_accounts::Migration),
            Box::new(m20261122_000004_fund_index::Migration),
            Box::new(m20261123_000005_unplanned_approvals::Migration),
            Box::new(m20261123_000006_plan_decisions::Migration),
            Box::new(m20261123_000007_import_jobs::Migration),
            Box::new(m20261124_000008_ledger_indexes::Migration),
        ]
    }
}
