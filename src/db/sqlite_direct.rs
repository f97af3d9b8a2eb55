//! The largest reads, an import's write and the reconcile's ledger write straight through SQLite's
//! C API (rusqlite on the pool's own connection), for SQLite only.
//!
//! sqlx hands every row from its worker thread to the async side one value at a time; for the
//! hundreds of thousands of visits, attendances and postings a reconcile or a return reads, that
//! costs several times SQLite's own work (issue 3's figure). Here the pool's connection is
//! borrowed (`lock_handle`, sqlx's documented way to call SQLite directly), so there is still one
//! connection and one transaction order, and the rows come back as the same entity models
//! sea-orm builds: what turns them into domain values is shared with the PostgreSQL path.
use super::bulk::{insert_one_sql, Cell};
use super::entities::{attendances, ledger_postings, ledger_transactions, service_lines, visits};
use super::{tables, DbError};
use crate::app::import::NewRows;
use crate::domain::calendar::{
    parse_stored_date, parse_stored_instant, stored_instant_text, Instant,
};
use crate::domain::ledger::Transaction;
use rusqlite::types::{ToSql, ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Connection, TransactionBehavior};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, Value};
use std::sync::Arc;

/// A cell as SQLite stores it: text as sqlx writes it (dates `YYYY-MM-DD`, instants RFC 3339 in
/// UTC), so rows written here and through sea-orm read alike.
impl ToSql for Cell<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Cell::Text(Some(t)) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Cell::OwnedText(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
            Cell::Int(Some(n)) => ToSqlOutput::Owned(SqlValue::Integer(*n)),
            Cell::Bool(b) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*b))),
            Cell::Date(d) => ToSqlOutput::Owned(SqlValue::Text(d.to_string())),
            Cell::Instant(Some(t)) => ToSqlOutput::Owned(SqlValue::Text(stored_instant_text(*t))),
            Cell::Text(None) | Cell::Int(None) | Cell::Instant(None) => {
                ToSqlOutput::Owned(SqlValue::Null)
            }
        })
    }
}

/// A sea-query value as the cell SQLite stores, for the statements sea-orm builds (an import's
/// smaller tables, a job's row, an audit entry): one encoding for both kinds of write. Only the
/// types the entities use are known; any other is an error, not a guess.
fn cell_of(value: &Value) -> rusqlite::Result<Cell<'_>> {
    Ok(match value {
        Value::Bool(Some(b)) => Cell::Bool(*b),
        Value::Bool(None) => Cell::Int(None),
        Value::Int(n) => Cell::Int(n.map(i64::from)),
        Value::BigInt(n) => Cell::Int(*n),
        Value::String(t) => Cell::Text(t.as_deref().map(String::as_str)),
        Value::ChronoDate(Some(d)) => Cell::Date(**d),
        Value::ChronoDate(None) => Cell::Text(None),
        Value::ChronoDateTimeUtc(t) => Cell::Instant(t.as_deref().copied()),
        other => {
            return Err(rusqlite::Error::ToSqlConversionFailure(
                format!("no SQLite encoding for {other:?}").into(),
            ))
        }
    })
}

/// Runs a statement sea-orm built for SQLite.
fn execute_statement(conn: &Connection, statement: &Statement) -> rusqlite::Result<usize> {
    let cells = statement
        .values
        .iter()
        .flat_map(|v| v.0.iter())
        .map(cell_of)
        .collect::<rusqlite::Result<Vec<_>>>()?;
    conn.prepare(&statement.sql)?
        .execute(rusqlite::params_from_iter(cells))
}

/// Inserts `rows` into `table` with one prepared statement; returns how many.
fn insert_rows<'a, const N: usize>(
    conn: &Connection,
    table: &str,
    columns: &[&str],
    rows: impl Iterator<Item = [Cell<'a>; N]>,
) -> rusqlite::Result<usize> {
    let clock = std::time::Instant::now();
    let mut statement = conn.prepare(&insert_one_sql(table, columns))?;
    let mut count = 0;
    for row in rows {
        statement.execute(rusqlite::params_from_iter(row.iter()))?;
        count += 1;
    }
    tracing::debug!(table, rows = count, elapsed = ?clock.elapsed(), "rows inserted directly");
    Ok(count)
}

/// An instant column: the stored shape parsed directly, anything else as rusqlite reads it.
fn instant(r: &rusqlite::Row, i: usize) -> rusqlite::Result<Instant> {
    if let rusqlite::types::ValueRef::Text(text) = r.get_ref(i)? {
        if let Some(at) = parse_stored_instant(text) {
            return Ok(at);
        }
    }
    r.get(i)
}

fn opt_instant(r: &rusqlite::Row, i: usize) -> rusqlite::Result<Option<Instant>> {
    match r.get_ref(i)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        _ => instant(r, i).map(Some),
    }
}

/// A date column, as `instant`.
fn date(r: &rusqlite::Row, i: usize) -> rusqlite::Result<chrono::NaiveDate> {
    if let rusqlite::types::ValueRef::Text(text) = r.get_ref(i)? {
        if let Some(d) = parse_stored_date(text) {
            return Ok(d);
        }
    }
    r.get(i)
}

fn sqlite_error(e: impl std::fmt::Display) -> DbError {
    DbError::Db(sea_orm::DbErr::Custom(format!("SQLite: {e}")))
}

/// Whether `db` is SQLite (the only engine this module serves).
pub fn is_sqlite(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DatabaseBackend::Sqlite
}

/// Runs `work` on the SQLite connection under `db`, on a blocking thread while sqlx's worker
/// stands aside; any other use of the pool waits meanwhile.
pub async fn with_sqlite<T: Send + 'static>(
    db: &DatabaseConnection,
    work: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
) -> Result<T, DbError> {
    let mut pooled = db
        .get_sqlite_connection_pool()
        .acquire()
        .await
        .map_err(sqlite_error)?;
    tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Handle::current();
        let mut locked = runtime
            .block_on(pooled.lock_handle())
            .map_err(sqlite_error)?;
        let raw = locked.as_raw_handle();
        // SAFETY: `locked` keeps sqlx's worker off this handle until it is dropped, after `conn`;
        // a connection made by `from_handle` never closes the handle it borrows.
        let conn = unsafe { Connection::from_handle(raw.as_ptr()) }.map_err(sqlite_error)?;
        let out = work(&conn).map_err(sqlite_error);
        drop(conn);
        drop(locked);
        out
    })
    .await
    .map_err(sqlite_error)?
}

/// Every visit, as sea-orm's model.
pub fn visit_models(conn: &Connection) -> rusqlite::Result<Vec<visits::Model>> {
    let mut st = conn.prepare(
        "SELECT visit_ref, agreement_ref, outcome_ref, planned_start, planned_end, \
         workers_required, worker_refs, cancelled_at, cancelled_by FROM visits",
    )?;
    let rows = st.query_map([], |r| {
        Ok(visits::Model {
            visit_ref: r.get(0)?,
            agreement_ref: r.get(1)?,
            outcome_ref: r.get(2)?,
            planned_start: instant(r, 3)?,
            planned_end: instant(r, 4)?,
            workers_required: r.get(5)?,
            worker_refs: r.get(6)?,
            cancelled_at: opt_instant(r, 7)?,
            cancelled_by: r.get(8)?,
        })
    })?;
    rows.collect()
}

/// Every attendance, as sea-orm's model.
pub fn attendance_models(conn: &Connection) -> rusqlite::Result<Vec<attendances::Model>> {
    let mut st = conn.prepare(
        "SELECT attendance_ref, visit_ref, person_ref, worker_ref, check_in, check_out, method, \
         location_verified FROM attendances",
    )?;
    let rows = st.query_map([], |r| {
        Ok(attendances::Model {
            attendance_ref: r.get(0)?,
            visit_ref: r.get(1)?,
            person_ref: r.get(2)?,
            worker_ref: r.get(3)?,
            check_in: instant(r, 4)?,
            check_out: instant(r, 5)?,
            method: r.get(6)?,
            location_verified: r.get(7)?,
        })
    })?;
    rows.collect()
}

/// The whole ledger as models, in the orders `load_ledger` assembles them: transactions by id,
/// postings and (when asked) service lines by transaction and number.
pub type LedgerModels = (
    Vec<ledger_transactions::Model>,
    Vec<ledger_postings::Model>,
    Vec<service_lines::Model>,
);

pub fn ledger_models(conn: &Connection, with_lines: bool) -> rusqlite::Result<LedgerModels> {
    let mut st = conn.prepare(
        "SELECT id, idempotency_key, kind, txn_date, agreement_ref, subject, reverses_id, \
         description, recorded_at FROM ledger_transactions ORDER BY id",
    )?;
    let transactions = st
        .query_map([], |r| {
            Ok(ledger_transactions::Model {
                id: r.get(0)?,
                idempotency_key: r.get(1)?,
                kind: r.get(2)?,
                txn_date: date(r, 3)?,
                agreement_ref: r.get(4)?,
                subject: r.get(5)?,
                reverses_id: r.get(6)?,
                description: r.get(7)?,
                recorded_at: instant(r, 8)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut st = conn.prepare(
        "SELECT transaction_id, posting_no, account, agreement_ref, stream_ref, amount_pence \
         FROM ledger_postings ORDER BY transaction_id, posting_no",
    )?;
    let postings = st
        .query_map([], |r| {
            Ok(ledger_postings::Model {
                transaction_id: r.get(0)?,
                posting_no: r.get(1)?,
                account: r.get(2)?,
                agreement_ref: r.get(3)?,
                stream_ref: r.get(4)?,
                amount_pence: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let lines = if with_lines {
        let mut st = conn.prepare(
            "SELECT transaction_id, line_no, visit_ref, stream_ref, worker_ref, charge, \
             planned_minutes, billable_minutes, rate_pence, amount_pence \
             FROM service_lines ORDER BY transaction_id, line_no",
        )?;
        let rows = st.query_map([], |r| {
            Ok(service_lines::Model {
                transaction_id: r.get(0)?,
                line_no: r.get(1)?,
                visit_ref: r.get(2)?,
                stream_ref: r.get(3)?,
                worker_ref: r.get(4)?,
                charge: r.get(5)?,
                planned_minutes: r.get(6)?,
                billable_minutes: r.get(7)?,
                rate_pence: r.get(8)?,
                amount_pence: r.get(9)?,
            })
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    Ok((transactions, postings, lines))
}

/// Numbers `transactions` after the highest id held and inserts them with their postings and
/// service lines, in one transaction (`BEGIN IMMEDIATE`: no other writer between the two);
/// `numbered` is handed them once they have their ids, before the insert. Returns them numbered.
pub fn append_numbered(
    conn: &Connection,
    mut transactions: Vec<Transaction>,
    now: Instant,
    numbered: impl FnOnce(Arc<Vec<Transaction>>),
) -> rusqlite::Result<Arc<Vec<Transaction>>> {
    let txn = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    number(&txn, &mut transactions)?;
    let transactions = Arc::new(transactions);
    numbered(Arc::clone(&transactions));
    insert_numbered(&txn, &transactions, now)?;
    // Dropped uncommitted on any error above, the transaction rolls back.
    txn.commit()?;
    Ok(transactions)
}

/// Writes an import in one transaction (`BEGIN IMMEDIATE`): the statements sea-orm built for the
/// smaller tables, then visits, attendances and the ledger transactions the import brings, then
/// `then` (statements sea-orm built: a job's row, an audit entry).
pub fn write_import(
    conn: &Connection,
    inserts: &[Statement],
    new: &NewRows,
    mut transactions: Vec<Transaction>,
    now: Instant,
    then: &[Statement],
) -> rusqlite::Result<()> {
    let txn = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    for insert in inserts {
        execute_statement(&txn, insert)?;
    }
    insert_rows(
        &txn,
        tables::VISITS,
        tables::VISIT_COLUMNS,
        new.visits.iter().map(tables::visit_row),
    )?;
    insert_rows(
        &txn,
        tables::ATTENDANCES,
        tables::ATTENDANCE_COLUMNS,
        new.attendances.iter().map(tables::attendance_row),
    )?;
    number(&txn, &mut transactions)?;
    insert_numbered(&txn, &transactions, now)?;
    for statement in then {
        execute_statement(&txn, statement)?;
    }
    txn.commit()
}

/// Gives `transactions` the ids after the highest held (inside a write transaction).
fn number(conn: &Connection, transactions: &mut [Transaction]) -> rusqlite::Result<()> {
    let max_id: Option<i64> =
        conn.query_row("SELECT MAX(id) FROM ledger_transactions", [], |r| r.get(0))?;
    for (id, t) in (max_id.unwrap_or(0) + 1..).zip(transactions.iter_mut()) {
        t.id = id;
    }
    Ok(())
}

fn insert_numbered(
    conn: &Connection,
    transactions: &[Transaction],
    now: Instant,
) -> rusqlite::Result<()> {
    insert_rows(
        conn,
        tables::TRANSACTIONS,
        tables::TRANSACTION_COLUMNS,
        transactions.iter().map(|t| tables::transaction_row(t, now)),
    )?;
    insert_rows(
        conn,
        tables::POSTINGS,
        tables::POSTING_COLUMNS,
        transactions.iter().flat_map(tables::posting_rows),
    )?;
    insert_rows(
        conn,
        tables::LINES,
        tables::LINE_COLUMNS,
        transactions.iter().flat_map(tables::line_rows),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::app::import::{import_files, FileKind};
    use sea_orm::TransactionTrait;

    fn demo_files() -> Vec<(FileKind, Vec<u8>)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
        crate::cli::read_input(&dir).expect("the demo files")
    }

    /// The demo provider imported and reconciled into a fresh SQLite database in memory.
    async fn demo_database() -> sea_orm::DatabaseConnection {
        let db = crate::db::connect("sqlite::memory:")
            .await
            .expect("a database");
        let files = demo_files();
        let now = chrono::Utc::now();
        import_files(&db, &files, now)
            .await
            .expect("the demo imports");
        let through = chrono::NaiveDate::from_ymd_opt(2026, 4, 30).expect("a date");
        crate::app::reconcile::reconcile(&db, through, now)
            .await
            .expect("the demo reconciles");
        db
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reading_straight_from_sqlite_gives_what_sea_orm_reads() {
        let db = demo_database().await;
        // Through the connection: the direct path. Inside a transaction: sea-orm's.
        let direct_world = crate::db::load_world(&db).await.expect("world");
        let direct_ledger = crate::db::load_ledger(&db).await.expect("ledger");
        let txn = db.begin().await.expect("a transaction");
        let world = crate::db::load_world(&txn).await.expect("world");
        let ledger = crate::db::load_ledger(&txn).await.expect("ledger");
        txn.rollback().await.expect("rolled back");
        assert!(!direct_world.visits.is_empty() && !direct_world.attendances.is_empty());
        assert!(direct_ledger.iter().any(|t| !t.lines.is_empty()));
        assert_eq!(direct_world.visits, world.visits);
        assert_eq!(direct_world.attendances, world.attendances);
        assert_eq!(direct_ledger, ledger);
    }

    /// Every row of `table` as SQLite holds it (types and text exactly), in key order.
    async fn stored(
        db: &sea_orm::DatabaseConnection,
        table: &'static str,
    ) -> Vec<Vec<rusqlite::types::Value>> {
        super::with_sqlite(db, move |c| {
            let mut st = c.prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))?;
            let width = st.column_count();
            let rows = st.query_map([], |r| (0..width).map(|i| r.get(i)).collect())?;
            rows.collect()
        })
        .await
        .expect("rows")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_import_written_directly_stores_what_sea_orm_stores() {
        let files = demo_files();
        let now = chrono::Utc::now();
        // The command line's import: straight through SQLite.
        let direct = crate::db::connect("sqlite::memory:")
            .await
            .expect("a database");
        import_files(&direct, &files, now).await.expect("imported");
        // The same rows through sea-orm, as records and receipts write them inside a transaction.
        let via = crate::db::connect("sqlite::memory:")
            .await
            .expect("a database");
        let mut world = crate::db::load_world(&via).await.expect("world");
        let (new, _) = crate::app::import::check_files(&mut world, &files).expect("valid");
        let txn = via.begin().await.expect("a transaction");
        let transactions = crate::app::import::money_transactions(&new);
        crate::db::write_import(&txn, &new, transactions, now)
            .await
            .expect("written");
        txn.commit().await.expect("committed");
        for table in [
            "commissioners",
            "rates",
            "people",
            "workers",
            "agreements",
            "streams",
            "outcomes",
            "relationships",
            "visits",
            "attendances",
            "receipts",
            "purchases",
            "repayments",
            "earmarks",
            "ledger_transactions",
            "ledger_postings",
            "service_lines",
        ] {
            let rows = stored(&direct, table).await;
            assert!(
                !rows.is_empty() || table == "service_lines",
                "the demo has {table}"
            );
            assert_eq!(rows, stored(&via, table).await, "{table}");
        }
    }
}
