//! The large writes (an import's visits and attendances, the ledger's transactions, postings and
//! service lines), described once for both engines.
//!
//! A table is a list of columns and a function giving one row's [`Cell`]s. On PostgreSQL the cells
//! become sea-query values in multi-row INSERTs ([`Rows`]): sea-orm's `insert_many` builds an
//! ActiveModel and a fresh statement for every batch, which for the hundreds of thousands of rows
//! a month's reconcile writes cost more than the database's own work. On SQLite the same cells are
//! bound straight to one prepared statement (`sqlite_direct`).
use super::DbError;
use crate::domain::calendar::Instant;
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};

/// One value of a row, borrowed where it can be. A NULL keeps its column's type: PostgreSQL binds
/// typed parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Text(Option<&'a str>),
    OwnedText(String),
    Int(Option<i64>),
    Bool(bool),
    Date(NaiveDate),
    Instant(Option<Instant>),
}

impl From<Cell<'_>> for Value {
    fn from(cell: Cell<'_>) -> Value {
        match cell {
            Cell::Text(t) => t.into(),
            Cell::OwnedText(t) => t.into(),
            Cell::Int(n) => n.into(),
            Cell::Bool(b) => b.into(),
            Cell::Date(d) => d.into(),
            Cell::Instant(t) => t.into(),
        }
    }
}

/// The most bind parameters one statement carries (SQLite allows 32766, PostgreSQL 65535).
pub const STATEMENT_PARAMETERS_MAX: usize = 30_000;

/// Rows bound for one table, gathered column by column in row order.
pub struct Rows {
    table: &'static str,
    columns: &'static [&'static str],
    values: Vec<Value>,
}

impl Rows {
    pub fn with_capacity(
        table: &'static str,
        columns: &'static [&'static str],
        rows: usize,
    ) -> Self {
        Rows {
            table,
            columns,
            values: Vec::with_capacity(rows * columns.len()),
        }
    }

    /// Adds one row; `row` holds a value for every column, in order.
    pub fn push<const N: usize>(&mut self, row: [Cell<'_>; N]) {
        debug_assert_eq!(N, self.columns.len(), "a row for {}", self.table);
        self.values.extend(row.map(Value::from));
    }

    pub fn len(&self) -> usize {
        self.values.len() / self.columns.len()
    }

    /// Writes the rows in batches as large as the parameter limit allows.
    pub async fn insert<C: ConnectionTrait>(self, db: &C) -> Result<(), DbError> {
        let width = self.columns.len();
        let batch_rows = (STATEMENT_PARAMETERS_MAX / width).max(1);
        let backend = db.get_database_backend();
        let clock = std::time::Instant::now();
        let total = self.len();
        let mut full_batch_sql: Option<String> = None;
        let mut values = self.values.into_iter();
        let mut left = total;
        while left > 0 {
            let n = left.min(batch_rows);
            let sql = if n == batch_rows {
                full_batch_sql
                    .get_or_insert_with(|| insert_sql(backend, self.table, self.columns, n))
                    .clone()
            } else {
                insert_sql(backend, self.table, self.columns, n)
            };
            let batch: Vec<Value> = values.by_ref().take(n * width).collect();
            db.execute(Statement::from_sql_and_values(backend, sql, batch))
                .await?;
            left -= n;
        }
        tracing::debug!(table = self.table, rows = total, elapsed = ?clock.elapsed(), "rows inserted");
        Ok(())
    }
}

/// `INSERT INTO t (a, b) VALUES (?, ?)`: one row, for a prepared statement on SQLite.
pub fn insert_one_sql(table: &str, columns: &[&str]) -> String {
    insert_sql(DatabaseBackend::Sqlite, table, columns, 1)
}

/// `INSERT INTO t (a, b) VALUES (?, ?), (?, ?)` with the backend's placeholders.
fn insert_sql(backend: DatabaseBackend, table: &str, columns: &[&str], rows: usize) -> String {
    use std::fmt::Write;
    let width = columns.len();
    let mut sql = String::with_capacity(32 + rows * width * 6);
    let _ = write!(sql, "INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            n += 1;
            match backend {
                DatabaseBackend::Postgres => {
                    let _ = write!(sql, "${n}");
                }
                _ => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_backend() {
        assert_eq!(
            insert_sql(DatabaseBackend::Sqlite, "t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
        assert_eq!(
            insert_sql(DatabaseBackend::Postgres, "t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
    }
}
