//! Repositories: domain values in and out of the tables. Rows read back are parsed again.
use super::bulk::{Rows, STATEMENT_PARAMETERS_MAX};
use super::entities::*;
use super::tables;
use super::DbError;
use crate::app::import::NewRows;
use crate::domain::billing::{Charge, WorkerLine};
use crate::domain::calendar::Instant;
use crate::domain::ledger::{Account, Entry, Posting, ServiceLine, Transaction, TransactionKind};
use crate::domain::model::*;
use crate::domain::money::Pence;
use crate::domain::refs::Ref;
use crate::domain::world::World;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryOrder, QuerySelect, QueryTrait, Statement, TransactionTrait,
};
use std::collections::HashMap;
use std::sync::Arc;

fn corrupt(what: &str, value: &str) -> DbError {
    DbError::Corrupt(format!("{what} {value:?}"))
}

fn word<T>(what: &str, value: &str, parse: impl FnOnce(&str) -> Option<T>) -> Result<T, DbError> {
    parse(value).ok_or_else(|| corrupt(what, value))
}

fn decimal(what: &str, value: &str) -> Result<Decimal, DbError> {
    value.parse::<Decimal>().map_err(|_| corrupt(what, value))
}

fn agreement_of(m: agreements::Model) -> Result<Agreement, DbError> {
    let fee = match (m.fee_basis.as_str(), &m.fee_percent, m.fee_fixed_pence) {
        ("percent", Some(p), _) => Fee::Percent(decimal("fee_percent", p)?),
        ("fixed", _, Some(p)) => Fee::Fixed(Pence::new(p)),
        _ => return Err(corrupt("fee_basis", &m.fee_basis)),
    };
    Ok(Agreement {
        agreement_ref: m.agreement_ref,
        person_ref: m.person_ref,
        start_date: m.start_date,
        end_date: m.end_date,
        contribution_mode: word(
            "contribution_mode",
            &m.contribution_mode,
            ContributionMode::parse,
        )?,
        weekly_contribution: Pence::new(m.weekly_contribution_pence.unwrap_or(0)),
        fee,
        flex_window_weeks: m.flex_window_weeks,
    })
}

fn stream_of(m: streams::Model) -> Stream {
    Stream {
        agreement_ref: m.agreement_ref,
        stream_ref: m.stream_ref,
        commissioner_ref: m.commissioner_ref,
        weekly_amount: Pence::new(m.weekly_amount_pence),
        primary: m.is_primary,
    }
}

fn receipt_of(m: receipts::Model) -> Result<Receipt, DbError> {
    Ok(Receipt {
        receipt_ref: m.receipt_ref,
        received_on: m.received_on,
        payer: word("payer", &m.payer, Payer::parse)?,
        agreement_ref: m.agreement_ref,
        stream_ref: m.stream_ref,
        amount: Pence::new(m.amount_pence),
    })
}

/// The receipt held under `receipt_ref`, if any.
pub async fn find_receipt<C: ConnectionTrait>(
    db: &C,
    receipt_ref: &str,
) -> Result<Option<Receipt>, DbError> {
    receipts::Entity::find_by_id(receipt_ref.to_owned())
        .one(db)
        .await?
        .map(receipt_of)
        .transpose()
}

/// What a write about one agreement needs to check against: a world holding only that agreement
/// and its streams (empty when there is no such agreement).
pub async fn load_agreement_world<C: ConnectionTrait>(
    db: &C,
    agreement_ref: &str,
) -> Result<World, DbError> {
    let mut world = World::default();
    if let Some((agreement, streams)) = load_agreement(db, agreement_ref).await? {
        world.add_agreement(agreement);
        for s in streams {
            world
                .streams
                .insert((s.agreement_ref.clone(), s.stream_ref.clone()), s);
        }
    }
    Ok(world)
}

/// One agreement and its streams (in stream order), without the rest of the provider's records:
/// what a fund read needs.
pub async fn load_agreement<C: ConnectionTrait>(
    db: &C,
    agreement_ref: &str,
) -> Result<Option<(Agreement, Vec<Stream>)>, DbError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let Some(m) = agreements::Entity::find_by_id(agreement_ref.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let streams = streams::Entity::find()
        .filter(streams::Column::AgreementRef.eq(agreement_ref))
        .order_by_asc(streams::Column::StreamRef)
        .all(db)
        .await?
        .into_iter()
        .map(stream_of)
        .collect();
    Ok(Some((agreement_of(m)?, streams)))
}

/// The balance of each fund of one agreement at the end of `as_of`, summed by the database (a fund
/// with no postings is absent): the same figure as `ledger::fund_balance` over every posting.
pub async fn fund_balances<C: ConnectionTrait>(
    db: &C,
    agreement_ref: &str,
    as_of: chrono::NaiveDate,
) -> Result<HashMap<String, Pence>, DbError> {
    use sea_orm::{FromQueryResult, Statement};
    #[derive(FromQueryResult)]
    struct Row {
        stream_ref: String,
        total: i64,
    }
    let backend = db.get_database_backend();
    let (a, d) = match backend {
        DatabaseBackend::Postgres => ("$1", "$2"),
        _ => ("?", "?"),
    };
    // SUM of BIGINT is NUMERIC on PostgreSQL: cast back, the sum of pence is whole.
    let sql = format!(
        "SELECT p.stream_ref AS stream_ref, CAST(SUM(p.amount_pence) AS BIGINT) AS total \
         FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id \
         WHERE p.account = 'fund' AND p.agreement_ref = {a} AND t.txn_date <= {d} \
         GROUP BY p.stream_ref"
    );
    let rows = Row::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [agreement_ref.into(), as_of.into()],
    ))
    .all(db)
    .await?;
    // A fund's balance is what was credited to it: the negated sum of its postings.
    Ok(rows
        .into_iter()
        .map(|r| (r.stream_ref, -Pence::new(r.total)))
        .collect())
}

/// `db` as a SQLite connection of its own (not a transaction), if it is one.
fn sqlite_connection<C: ConnectionTrait + 'static>(db: &C) -> Option<&DatabaseConnection> {
    (db as &dyn std::any::Any)
        .downcast_ref::<DatabaseConnection>()
        .filter(|conn| super::sqlite_direct::is_sqlite(conn))
}

/// The whole of the provider's records, as domain values.
pub async fn load_world<C: ConnectionTrait + 'static>(db: &C) -> Result<World, DbError> {
    let mut world = World::default();
    // The two largest tables straight from SQLite when `db` is a SQLite connection (not inside a
    // transaction, which sea-orm holds): see `sqlite_direct`.
    let direct = match sqlite_connection(db) {
        Some(conn) => Some(
            super::sqlite_direct::with_sqlite(conn, |c| {
                Ok((
                    super::sqlite_direct::visit_models(c)?,
                    super::sqlite_direct::attendance_models(c)?,
                ))
            })
            .await?,
        ),
        None => None,
    };
    let (visit_models, attendance_models) = match direct {
        Some(models) => models,
        None => (
            visits::Entity::find().all(db).await?,
            attendances::Entity::find().all(db).await?,
        ),
    };
    for m in commissioners::Entity::find().all(db).await? {
        let terms = ContractTerms {
            billing_basis: word("billing_basis", &m.billing_basis, BillingBasis::parse)?,
            tolerance_minutes: m.tolerance_minutes,
            rounding_minutes: m.rounding_minutes,
            cancellation_notice_hours: decimal(
                "cancellation_notice_hours",
                &m.cancellation_notice_hours,
            )?,
            surplus_cap_weeks: m.surplus_cap_weeks,
            surplus_age_weeks: m.surplus_age_weeks,
        };
        let c = Commissioner {
            commissioner_ref: m.commissioner_ref.clone(),
            name: m.name,
            kind: word("kind", &m.kind, CommissionerKind::parse)?,
            terms,
        };
        world.commissioners.insert(m.commissioner_ref, c);
    }
    for m in rates::Entity::find().all(db).await? {
        let r = Rate {
            commissioner_ref: m.commissioner_ref.clone(),
            support_type: word("support_type", &m.support_type, SupportType::parse)?,
            effective_from: m.effective_from,
            unit: word("unit", &m.unit, RateUnit::parse)?,
            weekday: Pence::new(m.weekday_pence),
            weekend: Pence::new(m.weekend_pence),
            bank_holiday: Pence::new(m.bank_holiday_pence),
        };
        world.rates.entry(m.commissioner_ref).or_default().push(r);
    }
    for m in people::Entity::find().all(db).await? {
        let p = Person {
            person_ref: m.person_ref.clone(),
            council_person_ref: m.council_person_ref,
            given_name: m.given_name,
            family_name: m.family_name,
            date_of_birth: m.date_of_birth,
            postcode: m.postcode,
            communication_format: word(
                "communication_format",
                &m.communication_format,
                CommunicationFormat::parse,
            )?,
            decision_maker: word("decision_maker", &m.decision_maker, DecisionMaker::parse)?,
            representative_name: m.representative_name,
        };
        world.people.insert(m.person_ref, p);
    }
    for m in agreements::Entity::find().all(db).await? {
        let key = m.agreement_key.clone();
        let a = agreement_of(m)?;
        world.agreement_keys.insert(key, a.agreement_ref.clone());
        world.add_agreement(a);
    }
    for m in streams::Entity::find().all(db).await? {
        let s = stream_of(m);
        world
            .streams
            .insert((s.agreement_ref.clone(), s.stream_ref.clone()), s);
    }
    for m in outcomes::Entity::find().all(db).await? {
        let o = Outcome {
            agreement_ref: m.agreement_ref.clone(),
            plan_version: m.plan_version,
            outcome_ref: m.outcome_ref.clone(),
            stream_ref: m.stream_ref,
            title: m.title,
            support_type: word("support_type", &m.support_type, SupportType::parse)?,
            weekly_hours: decimal("weekly_hours", &m.weekly_hours)?,
            short_visits_agreed: m.short_visits_agreed,
            approved_by: m.approved_by,
            approved_on: m.approved_on,
        };
        world
            .outcomes
            .insert((m.agreement_ref, m.plan_version, m.outcome_ref), o);
    }
    for m in workers::Entity::find().all(db).await? {
        let w = Worker {
            worker_ref: m.worker_ref.clone(),
            given_name: m.given_name,
            family_name: m.family_name,
            dbs_issued_on: m.dbs_issued_on,
            dbs_barred_list_checked: m.dbs_barred_list_checked,
            dbs_update_service: m.dbs_update_service,
        };
        world.workers.insert(m.worker_ref, w);
    }
    for m in relationships::Entity::find().all(db).await? {
        let r = WorkerRelationship {
            worker_ref: m.worker_ref.clone(),
            person_ref: m.person_ref.clone(),
            relationship: word("relationship", &m.relationship, Relationship::parse)?,
            same_household: m.same_household,
            commissioner_authorised: m.commissioner_authorised,
        };
        world.relationships.insert((m.worker_ref, m.person_ref), r);
    }
    for m in visit_models {
        let cancellation = match (m.cancelled_at, m.cancelled_by) {
            (Some(at), Some(by)) => Some(Cancellation {
                at,
                by: word("cancelled_by", &by, CancelledBy::parse)?,
            }),
            _ => None,
        };
        let v = Visit {
            visit_ref: m.visit_ref.clone(),
            agreement_ref: m.agreement_ref,
            outcome_ref: m.outcome_ref,
            planned_start: m.planned_start,
            planned_end: m.planned_end,
            workers_required: m.workers_required,
            worker_refs: if m.worker_refs.is_empty() {
                Vec::new()
            } else {
                m.worker_refs.split(';').map(str::to_owned).collect()
            },
            cancellation,
        };
        world.visits.insert(m.visit_ref, v);
    }
    for m in attendance_models {
        let a = Attendance {
            attendance_ref: m.attendance_ref.clone(),
            visit_ref: m.visit_ref,
            person_ref: m.person_ref,
            worker_ref: m.worker_ref,
            check_in: m.check_in,
            check_out: m.check_out,
            method: word("method", &m.method, AttendanceMethod::parse)?,
            location_verified: m.location_verified,
        };
        world.attendances.insert(m.attendance_ref, a);
    }
    for m in receipts::Entity::find().all(db).await? {
        let r = receipt_of(m)?;
        world.receipts.insert(r.receipt_ref.clone(), r);
    }
    for m in purchases::Entity::find().all(db).await? {
        let p = Purchase {
            purchase_ref: m.purchase_ref.clone(),
            paid_on: m.paid_on,
            agreement_ref: m.agreement_ref,
            outcome_ref: m.outcome_ref,
            stream_ref: m.stream_ref,
            category: m.category,
            description: m.description,
            supplier: m.supplier,
            amount: Pence::new(m.amount_pence),
        };
        world.purchases.insert(m.purchase_ref, p);
    }
    for m in repayments::Entity::find().all(db).await? {
        let r = Repayment {
            repayment_ref: m.repayment_ref.clone(),
            paid_on: m.paid_on,
            agreement_ref: m.agreement_ref,
            stream_ref: m.stream_ref,
            payee: word("payee", &m.payee, Payer::parse)?,
            amount: Pence::new(m.amount_pence),
        };
        world.repayments.insert(m.repayment_ref, r);
    }
    for m in earmarks::Entity::find().all(db).await? {
        let e = Earmark {
            earmark_ref: m.earmark_ref.clone(),
            agreement_ref: m.agreement_ref,
            stream_ref: m.stream_ref,
            purpose: m.purpose,
            amount: Pence::new(m.amount_pence),
            created_on: m.created_on,
            expires_on: m.expires_on,
        };
        world.earmarks.insert(m.earmark_ref, e);
    }
    for m in unplanned_approvals::Entity::find().all(db).await? {
        if world
            .approve_unplanned(&m.attendance_ref, &m.outcome_ref)
            .is_none()
        {
            return Err(corrupt("unplanned approval", &m.attendance_ref));
        }
    }
    load_plan_decisions(db, &mut world).await?;
    Ok(world)
}

/// The steps taken on plan versions in the service, oldest first within each version.
async fn load_plan_decisions<C: ConnectionTrait>(db: &C, world: &mut World) -> Result<(), DbError> {
    use crate::domain::plan_workflow::{ApprovalRoute, PlanDecision, PlanStep};
    let rows = plan_decisions::Entity::find()
        .order_by_asc(plan_decisions::Column::Id)
        .all(db)
        .await?;
    for m in rows {
        let route = match &m.route {
            Some(r) => Some(word("plan decision route", r, ApprovalRoute::parse)?),
            None => None,
        };
        world.add_plan_decision(PlanDecision {
            step: word("plan decision step", &m.step, PlanStep::parse)?,
            agreement_ref: m.agreement_ref,
            plan_version: m.plan_version,
            route,
            decided_by: m.decided_by,
            role: m.role,
            decided_on: m.decided_on,
            decided_at: m.decided_at,
            note: m.note,
        });
    }
    Ok(())
}

/// Stores a step taken on a plan version.
pub async fn insert_plan_decision<C: ConnectionTrait>(
    db: &C,
    decision: &crate::domain::plan_workflow::PlanDecision,
) -> Result<(), DbError> {
    plan_decisions::ActiveModel {
        agreement_ref: sea_orm::Set(decision.agreement_ref.clone()),
        plan_version: sea_orm::Set(decision.plan_version),
        step: sea_orm::Set(decision.step.word().to_owned()),
        route: sea_orm::Set(decision.route.map(|r| r.word().to_owned())),
        decided_by: sea_orm::Set(decision.decided_by.clone()),
        role: sea_orm::Set(decision.role.clone()),
        decided_on: sea_orm::Set(decision.decided_on),
        decided_at: sea_orm::Set(decision.decided_at),
        note: sea_orm::Set(decision.note.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Inserts `rows`, batched as large as the parameter limit allows.
async fn insert_all<C, A>(db: &C, rows: Vec<A>, columns: usize) -> Result<(), DbError>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let clock = std::time::Instant::now();
    let count = rows.len();
    let mut statements = Vec::new();
    insert_statements(&mut statements, db.get_database_backend(), rows, columns);
    for statement in statements {
        db.execute(statement).await?;
    }
    tracing::debug!(table = sea_orm::EntityName::table_name(&A::Entity::default()), count, elapsed = ?clock.elapsed(), "rows inserted");
    Ok(())
}

/// Adds the INSERTs for `rows` to `out`, in batches as large as the parameter limit allows.
fn insert_statements<A>(
    out: &mut Vec<Statement>,
    backend: DatabaseBackend,
    rows: Vec<A>,
    columns: usize,
) where
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let chunk = (STATEMENT_PARAMETERS_MAX / columns.max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<A> = rows.by_ref().take(chunk).collect();
        out.push(<A::Entity as EntityTrait>::insert_many(batch).build(backend));
    }
}

/// Writes an import's new rows and the ledger transactions they bring, in one database transaction.
pub async fn write_import<C: TransactionTrait>(
    db: &C,
    new: &NewRows,
    transactions: Vec<Transaction>,
    now: Instant,
) -> Result<(), DbError> {
    write_import_then(db, new, transactions, now, Vec::new()).await
}

/// `write_import`, then `then` in the same database transaction.
async fn write_import_then<C: TransactionTrait>(
    db: &C,
    new: &NewRows,
    transactions: Vec<Transaction>,
    now: Instant,
    then: Vec<Statement>,
) -> Result<(), DbError> {
    let txn = db.begin().await?;
    write_import_in(&txn, new, transactions, now).await?;
    for statement in then {
        txn.execute(statement).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// `write_import` on the connection itself, taking the rows, with `then` (statements built for
/// this connection's engine: an import job's row, an audit entry) in the same database transaction:
/// on SQLite straight through SQLite's C API (`sqlite_direct`). The command line's, an upload's and
/// an import job's write.
pub async fn write_import_owned(
    db: &DatabaseConnection,
    new: NewRows,
    transactions: Vec<Transaction>,
    now: Instant,
    then: Vec<Statement>,
) -> Result<(), DbError> {
    let Some(conn) = sqlite_connection(db) else {
        return write_import_then(db, &new, transactions, now, then).await;
    };
    let inserts = small_table_inserts(&new, DatabaseBackend::Sqlite);
    let clock = std::time::Instant::now();
    super::sqlite_direct::with_sqlite(conn, move |c| {
        super::sqlite_direct::write_import(c, &inserts, &new, transactions, now, &then)
    })
    .await?;
    tracing::debug!(elapsed = ?clock.elapsed(), "import written directly");
    Ok(())
}

/// `write_import` inside the caller's transaction (an import job marks itself written in it).
pub async fn write_import_in<C: ConnectionTrait>(
    txn: &C,
    new: &NewRows,
    transactions: Vec<Transaction>,
    now: Instant,
) -> Result<(), DbError> {
    for insert in small_table_inserts(new, txn.get_database_backend()) {
        txn.execute(insert).await?;
    }
    // The two largest tables skip the ActiveModels (see `bulk`).
    let mut visit_rows =
        Rows::with_capacity(tables::VISITS, tables::VISIT_COLUMNS, new.visits.len());
    for v in &new.visits {
        visit_rows.push(tables::visit_row(v));
    }
    visit_rows.insert(txn).await?;
    let mut attendance_rows = Rows::with_capacity(
        tables::ATTENDANCES,
        tables::ATTENDANCE_COLUMNS,
        new.attendances.len(),
    );
    for a in &new.attendances {
        attendance_rows.push(tables::attendance_row(a));
    }
    attendance_rows.insert(txn).await?;
    append_transactions_in(txn, transactions, now).await?;
    Ok(())
}

/// The INSERTs for every table of an import but the bulk ones (`tables`), in an order the foreign
/// keys allow, batched as large as the parameter limit allows.
pub(super) fn small_table_inserts(new: &NewRows, backend: DatabaseBackend) -> Vec<Statement> {
    let mut out = Vec::new();
    insert_statements(
        &mut out,
        backend,
        new.commissioners
            .iter()
            .map(|c| {
                commissioners::Model {
                    commissioner_ref: c.commissioner_ref.clone(),
                    name: c.name.clone(),
                    kind: c.kind.word().to_owned(),
                    billing_basis: c.terms.billing_basis.word().to_owned(),
                    tolerance_minutes: c.terms.tolerance_minutes,
                    rounding_minutes: c.terms.rounding_minutes,
                    cancellation_notice_hours: c
                        .terms
                        .cancellation_notice_hours
                        .normalize()
                        .to_string(),
                    surplus_cap_weeks: c.terms.surplus_cap_weeks,
                    surplus_age_weeks: c.terms.surplus_age_weeks,
                }
                .into_active_model()
            })
            .collect(),
        10,
    );
    insert_statements(
        &mut out,
        backend,
        new.rates
            .iter()
            .map(|r| {
                rates::Model {
                    commissioner_ref: r.commissioner_ref.clone(),
                    support_type: r.support_type.word().to_owned(),
                    effective_from: r.effective_from,
                    unit: r.unit.word().to_owned(),
                    weekday_pence: r.weekday.pence(),
                    weekend_pence: r.weekend.pence(),
                    bank_holiday_pence: r.bank_holiday.pence(),
                }
                .into_active_model()
            })
            .collect(),
        8,
    );
    insert_statements(
        &mut out,
        backend,
        new.people
            .iter()
            .map(|p| {
                people::Model {
                    person_ref: p.person_ref.clone(),
                    council_person_ref: p.council_person_ref.clone(),
                    given_name: p.given_name.clone(),
                    family_name: p.family_name.clone(),
                    date_of_birth: p.date_of_birth,
                    postcode: p.postcode.clone(),
                    communication_format: p.communication_format.word().to_owned(),
                    decision_maker: p.decision_maker.word().to_owned(),
                    representative_name: p.representative_name.clone(),
                }
                .into_active_model()
            })
            .collect(),
        10,
    );
    insert_statements(
        &mut out,
        backend,
        new.workers
            .iter()
            .map(|w| {
                workers::Model {
                    worker_ref: w.worker_ref.clone(),
                    given_name: w.given_name.clone(),
                    family_name: w.family_name.clone(),
                    dbs_issued_on: w.dbs_issued_on,
                    dbs_barred_list_checked: w.dbs_barred_list_checked,
                    dbs_update_service: w.dbs_update_service,
                }
                .into_active_model()
            })
            .collect(),
        7,
    );
    insert_statements(
        &mut out,
        backend,
        new.agreements
            .iter()
            .map(|a| {
                let (fee_basis, fee_percent, fee_fixed_pence) = match &a.fee {
                    Fee::Percent(p) => ("percent", Some(p.normalize().to_string()), None),
                    Fee::Fixed(p) => ("fixed", None, Some(p.pence())),
                };
                agreements::Model {
                    agreement_ref: a.agreement_ref.clone(),
                    agreement_key: Ref::parse(&a.agreement_ref)
                        .map(|r| r.key())
                        .unwrap_or_else(|_| a.agreement_ref.clone()),
                    person_ref: a.person_ref.clone(),
                    start_date: a.start_date,
                    end_date: a.end_date,
                    contribution_mode: a.contribution_mode.word().to_owned(),
                    weekly_contribution_pence: (a.contribution_mode == ContributionMode::Net)
                        .then(|| a.weekly_contribution.pence()),
                    fee_basis: fee_basis.to_owned(),
                    fee_percent,
                    fee_fixed_pence,
                    flex_window_weeks: a.flex_window_weeks,
                }
                .into_active_model()
            })
            .collect(),
        12,
    );
    insert_statements(
        &mut out,
        backend,
        new.streams
            .iter()
            .map(|s| {
                streams::Model {
                    agreement_ref: s.agreement_ref.clone(),
                    stream_ref: s.stream_ref.clone(),
                    stream_key: Ref::parse(&s.stream_ref)
                        .map(|r| r.key())
                        .unwrap_or_else(|_| s.stream_ref.clone()),
                    commissioner_ref: s.commissioner_ref.clone(),
                    weekly_amount_pence: s.weekly_amount.pence(),
                    is_primary: s.primary,
                }
                .into_active_model()
            })
            .collect(),
        7,
    );
    insert_statements(
        &mut out,
        backend,
        new.outcomes
            .iter()
            .map(|o| {
                outcomes::Model {
                    agreement_ref: o.agreement_ref.clone(),
                    plan_version: o.plan_version,
                    outcome_ref: o.outcome_ref.clone(),
                    stream_ref: o.stream_ref.clone(),
                    title: o.title.clone(),
                    support_type: o.support_type.word().to_owned(),
                    weekly_hours: o.weekly_hours.normalize().to_string(),
                    short_visits_agreed: o.short_visits_agreed,
                    approved_by: o.approved_by.clone(),
                    approved_on: o.approved_on,
                }
                .into_active_model()
            })
            .collect(),
        11,
    );
    insert_statements(
        &mut out,
        backend,
        new.relationships
            .iter()
            .map(|r| {
                relationships::Model {
                    worker_ref: r.worker_ref.clone(),
                    person_ref: r.person_ref.clone(),
                    relationship: r.relationship.word().to_owned(),
                    same_household: r.same_household,
                    commissioner_authorised: r.commissioner_authorised,
                }
                .into_active_model()
            })
            .collect(),
        6,
    );
    insert_statements(
        &mut out,
        backend,
        new.receipts
            .iter()
            .map(|r| {
                receipts::Model {
                    receipt_ref: r.receipt_ref.clone(),
                    received_on: r.received_on,
                    payer: r.payer.word().to_owned(),
                    agreement_ref: r.agreement_ref.clone(),
                    stream_ref: r.stream_ref.clone(),
                    amount_pence: r.amount.pence(),
                }
                .into_active_model()
            })
            .collect(),
        7,
    );
    insert_statements(
        &mut out,
        backend,
        new.purchases
            .iter()
            .map(|p| {
                purchases::Model {
                    purchase_ref: p.purchase_ref.clone(),
                    paid_on: p.paid_on,
                    agreement_ref: p.agreement_ref.clone(),
                    outcome_ref: p.outcome_ref.clone(),
                    stream_ref: p.stream_ref.clone(),
                    category: p.category.clone(),
                    description: p.description.clone(),
                    supplier: p.supplier.clone(),
                    amount_pence: p.amount.pence(),
                }
                .into_active_model()
            })
            .collect(),
        10,
    );
    insert_statements(
        &mut out,
        backend,
        new.repayments
            .iter()
            .map(|r| {
                repayments::Model {
                    repayment_ref: r.repayment_ref.clone(),
                    paid_on: r.paid_on,
                    agreement_ref: r.agreement_ref.clone(),
                    stream_ref: r.stream_ref.clone(),
                    payee: r.payee.word().to_owned(),
                    amount_pence: r.amount.pence(),
                }
                .into_active_model()
            })
            .collect(),
        7,
    );
    insert_statements(
        &mut out,
        backend,
        new.earmarks
            .iter()
            .map(|e| {
                earmarks::Model {
                    earmark_ref: e.earmark_ref.clone(),
                    agreement_ref: e.agreement_ref.clone(),
                    stream_ref: e.stream_ref.clone(),
                    purpose: e.purpose.clone(),
                    amount_pence: e.amount.pence(),
                    created_on: e.created_on,
                    expires_on: e.expires_on,
                }
                .into_active_model()
            })
            .collect(),
        8,
    );
    out
}

/// Every ledger transaction with its postings and service lines, in id order.
pub async fn load_ledger<C: ConnectionTrait + 'static>(
    db: &C,
) -> Result<Vec<Transaction>, DbError> {
    load_ledger_with(db, true, None).await
}

/// Every ledger transaction with its postings but without service lines (returns and the journal
/// need only the money).
pub async fn load_ledger_money<C: ConnectionTrait + 'static>(
    db: &C,
) -> Result<Vec<Transaction>, DbError> {
    load_ledger_with(db, false, None).await
}

/// The transactions about one subject (`purchase:PU-001`), with their postings, in id order.
pub async fn ledger_of_subject<C: ConnectionTrait + 'static>(
    db: &C,
    subject: &str,
) -> Result<Vec<Transaction>, DbError> {
    load_ledger_with(db, false, Some(subject)).await
}

async fn load_ledger_with<C: ConnectionTrait + 'static>(
    db: &C,
    with_lines: bool,
    subject: Option<&str>,
) -> Result<Vec<Transaction>, DbError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let (transaction_rows, posting_rows, line_rows) = match (sqlite_connection(db), subject) {
        (Some(conn), None) => {
            super::sqlite_direct::with_sqlite(conn, move |c| {
                super::sqlite_direct::ledger_models(c, with_lines)
            })
            .await?
        }
        _ => {
            let mut transactions = ledger_transactions::Entity::find();
            let mut postings = ledger_postings::Entity::find();
            if let Some(subject) = subject {
                transactions =
                    transactions.filter(ledger_transactions::Column::Subject.eq(subject));
                postings = postings.filter(
                    ledger_postings::Column::TransactionId.in_subquery(
                        sea_orm::sea_query::Query::select()
                            .column(ledger_transactions::Column::Id)
                            .from(ledger_transactions::Entity)
                            .and_where(ledger_transactions::Column::Subject.eq(subject))
                            .to_owned(),
                    ),
                );
            }
            let postings = postings
                .order_by_asc(ledger_postings::Column::TransactionId)
                .order_by_asc(ledger_postings::Column::PostingNo)
                .all(db)
                .await?;
            let lines = if with_lines {
                service_lines::Entity::find()
                    .order_by_asc(service_lines::Column::TransactionId)
                    .order_by_asc(service_lines::Column::LineNo)
                    .all(db)
                    .await?
            } else {
                Vec::new()
            };
            let transactions = transactions
                .order_by_asc(ledger_transactions::Column::Id)
                .all(db)
                .await?;
            (transactions, postings, lines)
        }
    };
    let mut postings: HashMap<i64, Vec<Posting>> = HashMap::new();
    for p in posting_rows {
        let account = Account::from_parts(
            &p.account,
            p.agreement_ref.as_deref(),
            p.stream_ref.as_deref(),
        )
        .ok_or_else(|| corrupt("account", &p.account))?;
        postings.entry(p.transaction_id).or_default().push(Posting {
            account,
            amount: Pence::new(p.amount_pence),
        });
    }
    let mut lines: HashMap<i64, Vec<ServiceLine>> = HashMap::new();
    for l in line_rows {
        let charge = match l.charge.as_str() {
            "service" => Charge::Service,
            "cancellation" => Charge::Cancellation,
            other => return Err(corrupt("charge", other)),
        };
        lines
            .entry(l.transaction_id)
            .or_default()
            .push(ServiceLine {
                visit_ref: l.visit_ref,
                stream_ref: l.stream_ref,
                line: WorkerLine {
                    charge,
                    worker_ref: l.worker_ref,
                    planned_minutes: l.planned_minutes,
                    billable_minutes: l.billable_minutes,
                    rate: Pence::new(l.rate_pence),
                    amount: Pence::new(l.amount_pence),
                },
            });
    }
    let mut out = Vec::with_capacity(transaction_rows.len());
    for t in transaction_rows {
        out.push(Transaction {
            id: t.id,
            key: t.idempotency_key,
            agreement_ref: t.agreement_ref,
            subject: t.subject,
            reverses: t.reverses_id,
            description: t.description,
            entry: Entry {
                kind: word("kind", &t.kind, TransactionKind::parse)?,
                date: t.txn_date,
                postings: postings.remove(&t.id).unwrap_or_default(),
            },
            lines: lines.remove(&t.id).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Stores a visit's workers and cancellation as they now stand (the rest of a visit never changes).
pub async fn update_visit<C: ConnectionTrait>(db: &C, visit: &Visit) -> Result<(), DbError> {
    use sea_orm::ActiveValue::{Set, Unchanged};
    visits::ActiveModel {
        visit_ref: Unchanged(visit.visit_ref.clone()),
        worker_refs: Set(visit.worker_refs.join(";")),
        cancelled_at: Set(visit.cancellation.as_ref().map(|c| c.at)),
        cancelled_by: Set(visit.cancellation.as_ref().map(|c| c.by.word().to_owned())),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Stores the approval of an unplanned attendance.
pub async fn insert_unplanned_approval<C: ConnectionTrait>(
    db: &C,
    attendance_ref: &str,
    outcome_ref: &str,
    approved_by: &str,
    note: &str,
    now: Instant,
) -> Result<(), DbError> {
    unplanned_approvals::Model {
        attendance_ref: attendance_ref.to_owned(),
        outcome_ref: outcome_ref.to_owned(),
        approved_by: approved_by.to_owned(),
        approved_at: now,
        note: note.to_owned(),
    }
    .into_active_model()
    .insert(db)
    .await?;
    Ok(())
}

/// Appends transactions in one database transaction; returns them with their ids.
pub async fn append_transactions<C: TransactionTrait>(
    db: &C,
    transactions: Vec<Transaction>,
    now: Instant,
) -> Result<Vec<Transaction>, DbError> {
    let txn = db.begin().await?;
    let stored = append_transactions_in(&txn, transactions, now).await?;
    txn.commit().await?;
    Ok(stored)
}

/// Appends within an open database transaction. Ids continue from the highest held; on PostgreSQL
/// the table is locked against other writers first so that ids never collide.
pub async fn append_transactions_in<C: ConnectionTrait>(
    db: &C,
    mut transactions: Vec<Transaction>,
    now: Instant,
) -> Result<Vec<Transaction>, DbError> {
    number_transactions(db, &mut transactions).await?;
    insert_numbered(db, &transactions, now).await?;
    Ok(transactions)
}

/// Gives `transactions` the ids they will be stored under, continuing from the highest held. On
/// PostgreSQL the table is locked against other writers until the database transaction ends, so
/// call it inside the transaction that then inserts them with [`insert_numbered`].
pub async fn number_transactions<C: ConnectionTrait>(
    db: &C,
    transactions: &mut [Transaction],
) -> Result<(), DbError> {
    if transactions.is_empty() {
        return Ok(());
    }
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_unprepared("LOCK TABLE ledger_transactions IN SHARE ROW EXCLUSIVE MODE")
            .await?;
    }
    let max_id: Option<i64> = ledger_transactions::Entity::find()
        .select_only()
        .expr(Func::max(Expr::col(ledger_transactions::Column::Id)))
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    for (id, t) in (max_id.unwrap_or(0) + 1..).zip(transactions.iter_mut()) {
        t.id = id;
    }
    Ok(())
}

/// Numbers `transactions` after the highest id held and appends them, in one database
/// transaction; `numbered` is handed them (shared, not copied) once they have their ids, before
/// they are written (the reconcile finds exceptions meanwhile). On SQLite the write goes straight
/// through SQLite (`sqlite_direct`). Returns them numbered.
pub async fn append_numbered(
    db: &DatabaseConnection,
    mut transactions: Vec<Transaction>,
    now: Instant,
    numbered: impl FnOnce(Arc<Vec<Transaction>>) + Send + 'static,
) -> Result<Arc<Vec<Transaction>>, DbError> {
    if transactions.is_empty() {
        let none = Arc::new(transactions);
        numbered(Arc::clone(&none));
        return Ok(none);
    }
    if let Some(conn) = sqlite_connection(db) {
        let clock = std::time::Instant::now();
        let written = super::sqlite_direct::with_sqlite(conn, move |c| {
            super::sqlite_direct::append_numbered(c, transactions, now, numbered)
        })
        .await?;
        tracing::debug!(rows = written.len(), elapsed = ?clock.elapsed(), "transactions appended directly");
        return Ok(written);
    }
    let txn = db.begin().await?;
    number_transactions(&txn, &mut transactions).await?;
    let transactions = Arc::new(transactions);
    numbered(Arc::clone(&transactions));
    insert_numbered(&txn, &transactions, now).await?;
    txn.commit().await?;
    Ok(transactions)
}

/// Inserts transactions already given their ids by [`number_transactions`].
pub async fn insert_numbered<C: ConnectionTrait>(
    db: &C,
    transactions: &[Transaction],
    now: Instant,
) -> Result<(), DbError> {
    let mut txn_rows = Rows::with_capacity(
        tables::TRANSACTIONS,
        tables::TRANSACTION_COLUMNS,
        transactions.len(),
    );
    let mut posting_rows = Rows::with_capacity(
        tables::POSTINGS,
        tables::POSTING_COLUMNS,
        transactions.len() * 2,
    );
    let mut line_rows =
        Rows::with_capacity(tables::LINES, tables::LINE_COLUMNS, transactions.len());
    for t in transactions {
        txn_rows.push(tables::transaction_row(t, now));
        for row in tables::posting_rows(t) {
            posting_rows.push(row);
        }
        for row in tables::line_rows(t) {
            line_rows.push(row);
        }
    }
    txn_rows.insert(db).await.map_err(|e| match e {
        DbError::Db(err) if err.sql_err().is_some() => DbError::Conflict(format!(
            "a ledger transaction with the same idempotency key exists: {err}"
        )),
        other => other,
    })?;
    posting_rows.insert(db).await?;
    line_rows.insert(db).await?;
    Ok(())
}

/// A stored exception with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredException {
    pub record: crate::app::exceptions::ExceptionRecord,
    /// `open`, `resolved` or `cleared` (no longer applies).
    pub status: String,
    pub resolved_by: Option<String>,
    pub resolved_note: Option<String>,
}

/// Brings the stored exceptions in line with `current`: new ones are raised `open`, open ones that
/// no longer apply become `cleared`, cleared ones that apply again reopen. Resolutions are kept.
pub async fn sync_exceptions<C: TransactionTrait>(
    db: &C,
    current: &[crate::app::exceptions::ExceptionRecord],
    now: Instant,
) -> Result<(), DbError> {
    use sea_orm::{ActiveValue::Set, ColumnTrait, QueryFilter};
    let txn = db.begin().await?;
    let stored: HashMap<String, String> = exceptions::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| (m.exception_key, m.status))
        .collect();
    let current_keys: std::collections::HashSet<&str> =
        current.iter().map(|r| r.key.as_str()).collect();
    let new_rows: Vec<exceptions::ActiveModel> = current
        .iter()
        .filter(|r| !stored.contains_key(&r.key))
        .map(|r| {
            exceptions::Model {
                exception_key: r.key.clone(),
                kind: r.kind.word().to_owned(),
                agreement_ref: r.agreement_ref.clone(),
                stream_ref: r.stream_ref.clone(),
                subject_ref: r.subject_ref.clone(),
                exception_date: r.date,
                detail: r.detail.clone(),
                status: "open".to_owned(),
                raised_at: now,
                resolved_by: None,
                resolved_note: None,
                resolved_at: None,
            }
            .into_active_model()
        })
        .collect();
    insert_all(&txn, new_rows, 12).await?;
    let cleared: Vec<String> = stored
        .iter()
        .filter(|(k, s)| s.as_str() == "open" && !current_keys.contains(k.as_str()))
        .map(|(k, _)| k.clone())
        .collect();
    let reopened: Vec<String> = stored
        .iter()
        .filter(|(k, s)| s.as_str() == "cleared" && current_keys.contains(k.as_str()))
        .map(|(k, _)| k.clone())
        .collect();
    for (keys, status) in [(cleared, "cleared"), (reopened, "open")] {
        for chunk in keys.chunks(500) {
            exceptions::Entity::update_many()
                .set(exceptions::ActiveModel {
                    status: Set(status.to_owned()),
                    ..Default::default()
                })
                .filter(exceptions::Column::ExceptionKey.is_in(chunk.iter().cloned()))
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Marks an open exception resolved, by whom and why; false when it was not open.
pub async fn resolve_exception<C: ConnectionTrait>(
    db: &C,
    key: &str,
    by: &str,
    note: &str,
    now: Instant,
) -> Result<bool, DbError> {
    use sea_orm::{ActiveValue::Set, ColumnTrait, QueryFilter};
    let result = exceptions::Entity::update_many()
        .set(exceptions::ActiveModel {
            status: Set("resolved".to_owned()),
            resolved_by: Set(Some(by.to_owned())),
            resolved_note: Set(Some(note.to_owned())),
            resolved_at: Set(Some(now)),
            ..Default::default()
        })
        .filter(exceptions::Column::ExceptionKey.eq(key))
        .filter(exceptions::Column::Status.eq("open"))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// One stored exception by its key.
pub async fn find_exception<C: ConnectionTrait>(
    db: &C,
    key: &str,
) -> Result<Option<StoredException>, DbError> {
    let Some(m) = exceptions::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    stored_exception(m).map(Some)
}

fn stored_exception(m: exceptions::Model) -> Result<StoredException, DbError> {
    use crate::domain::billing::ExceptionKind;
    Ok(StoredException {
        record: crate::app::exceptions::ExceptionRecord {
            key: m.exception_key,
            kind: word("kind", &m.kind, ExceptionKind::parse)?,
            agreement_ref: m.agreement_ref,
            stream_ref: m.stream_ref,
            subject_ref: m.subject_ref,
            date: m.exception_date,
            detail: m.detail,
        },
        status: m.status,
        resolved_by: m.resolved_by,
        resolved_note: m.resolved_note,
    })
}

/// Stored exceptions, optionally filtered, by date then key.
pub async fn list_exceptions<C: ConnectionTrait>(
    db: &C,
    kind: Option<&str>,
    agreement_ref: Option<&str>,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> Result<Vec<StoredException>, DbError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let mut query = exceptions::Entity::find();
    if let Some(k) = kind {
        query = query.filter(exceptions::Column::Kind.eq(k));
    }
    if let Some(a) = agreement_ref {
        query = query.filter(exceptions::Column::AgreementRef.eq(a));
    }
    if let Some(f) = from {
        query = query.filter(exceptions::Column::ExceptionDate.gte(f));
    }
    if let Some(t) = to {
        query = query.filter(exceptions::Column::ExceptionDate.lte(t));
    }
    let rows = query
        .order_by_asc(exceptions::Column::ExceptionDate)
        .order_by_asc(exceptions::Column::ExceptionKey)
        .all(db)
        .await?;
    rows.into_iter().map(stored_exception).collect()
}
