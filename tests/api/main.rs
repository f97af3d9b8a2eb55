//! The black-box suite: every test starts from a fresh database (SQLite file, or a fresh PostgreSQL
//! database when `TEST_DATABASE_URL` is set), runs the real `isf` binary and its real migrator, and
//! talks to it through the command line or HTTP.
mod access;
mod accounts;
mod cli;
mod helpers;
mod http;
mod imports;
mod plans;
mod records;
