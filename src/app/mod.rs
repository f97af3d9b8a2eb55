//! Use cases: one function per command or query. Each loads what it needs through `db`, calls the
//! domain, persists, and returns domain values. The CLI and HTTP layers are thin callers of these.
pub mod account_admin;
pub mod accounts;
pub mod costing;
pub mod exceptions;
pub mod idempotent;
pub mod import;
pub mod import_jobs;
pub mod listing;
pub mod plans;
pub mod queries;
pub mod receipts;
pub mod reconcile;
pub mod records;
pub mod reports;
pub mod resolutions;
pub mod reversals;
pub mod statements;
pub mod workspace;
