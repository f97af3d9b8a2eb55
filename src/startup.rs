//! Starting the HTTP service: logging, the database, the demo data, reconciliation at start-up and
//! daily, the router, and a graceful shutdown on Ctrl-C or SIGTERM.
//!
//! Reconciliation runs through today (Europe/London) before the service listens, so the first
//! answer already reflects every visit and fee due; then once a day, just after local midnight.
use crate::app::import::{import_files, ImportError};
use crate::app::reconcile::reconcile;
use crate::db;
use crate::domain::calendar::{local_date, start_of_local_day};
use crate::http::{router, AppState};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the demo provider's files live, relative to the working directory.
pub const DEMO_FIXTURES_DIR: &str = "fixtures/demo";

/// How long after local midnight the daily reconciliation runs (clear of the change of date).
const DAILY_RECONCILE_AFTER_MIDNIGHT_MINUTES: i64 = 5;

/// Runs the service on `bind` until Ctrl-C or SIGTERM.
pub async fn serve(database: &str, demo: bool, bind: &str) -> anyhow::Result<()> {
    crate::telemetry::init();
    let conn = db::connect(database)
        .await
        .context("opening the database")?;
    if demo {
        load_demo(&conn).await?;
        demo_accounts(&conn).await?;
    }
    match db::import_jobs::close_unfinished_jobs(&conn, chrono::Utc::now()).await {
        Ok(0) => {}
        Ok(closed) => tracing::warn!(closed, "import jobs left unfinished by the last run closed"),
        Err(e) => tracing::error!(error = %e, "closing unfinished import jobs failed"),
    }
    reconcile_through_today(&conn).await;
    let daily = tokio::spawn(reconcile_daily(conn.clone()));
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("listening on {bind}"))?;
    let address = listener.local_addr().context("reading the bound address")?;
    tracing::info!(%address, "listening");
    println!("isf serve: listening on http://{address} (API docs at /api/docs)");
    let served = axum::serve(listener, router(AppState::new(conn.clone())))
        .with_graceful_shutdown(shutdown_signal())
        .await;
    daily.abort();
    conn.close().await.ok();
    tracing::info!("stopped");
    served.context("serving HTTP")
}

/// Resolves when the process is asked to stop: Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// Reconciles through today in London. A failure is logged, never fatal: the service still
/// answers for what is already in the ledger.
async fn reconcile_through_today(conn: &DatabaseConnection) {
    let now = chrono::Utc::now();
    let today = local_date(now);
    match reconcile(conn, today, now).await {
        Ok(s) => tracing::info!(
            through = %today,
            posted = s.posted,
            reversed = s.reversed,
            unchanged = s.unchanged,
            "reconciled"
        ),
        Err(e) => {
            tracing::error!(through = %today, error = %format!("{e:#}"), "reconciliation failed")
        }
    }
}

/// Reconciles once a day, a few minutes after midnight in London.
async fn reconcile_daily(conn: DatabaseConnection) {
    loop {
        let now = chrono::Utc::now();
        let tomorrow = local_date(now) + chrono::Duration::days(1);
        let next = start_of_local_day(tomorrow)
            + chrono::Duration::minutes(DAILY_RECONCILE_AFTER_MIDNIGHT_MINUTES);
        let wait = (next - now).to_std().unwrap_or(Duration::from_secs(60));
        tokio::time::sleep(wait).await;
        reconcile_through_today(&conn).await;
    }
}

/// The demo fixtures: `fixtures/demo` under the working directory, else the one in the source tree.
fn demo_dir() -> Option<PathBuf> {
    [
        PathBuf::from(DEMO_FIXTURES_DIR),
        Path::new(env!("CARGO_MANIFEST_DIR")).join(DEMO_FIXTURES_DIR),
    ]
    .into_iter()
    .find(|p| p.is_dir())
}

/// Loads the demo provider into an empty database (one with no commissioners).
async fn load_demo(conn: &DatabaseConnection) -> anyhow::Result<()> {
    let world = db::load_world(conn).await.context("reading the database")?;
    if !world.commissioners.is_empty() {
        println!("isf serve --demo: the database already holds data; nothing loaded");
        return Ok(());
    }
    let Some(dir) = demo_dir() else {
        tracing::warn!(
            "--demo: no {DEMO_FIXTURES_DIR} folder in the working directory or the source tree; \
             starting with an empty database"
        );
        return Ok(());
    };
    let files = crate::cli::read_input(&dir)?;
    let now = chrono::Utc::now();
    let summaries = match import_files(conn, &files, now).await {
        Ok(s) => s,
        Err(ImportError::Rejected(errors)) => {
            for e in &errors {
                eprintln!("{e}");
            }
            anyhow::bail!(
                "the demo data in {} was rejected: {} problem(s)",
                dir.display(),
                errors.len()
            );
        }
        Err(e) => return Err(e).context("importing the demo data"),
    };
    let rows: usize = summaries.iter().map(|s| s.new_rows).sum();
    let today = local_date(now);
    let reconciled = reconcile(conn, today, now)
        .await
        .context("reconciling the demo data")?;
    println!(
        "isf serve --demo: loaded {rows} rows from {} files in {}; reconciled through {today}: {} posted",
        summaries.len(),
        dir.display(),
        reconciled.posted
    );
    Ok(())
}

/// One account per role for trying the service, with a fresh password and a day's API token each
/// time `serve --demo` starts (printed here, once; never logged).
async fn demo_accounts(conn: &DatabaseConnection) -> anyhow::Result<()> {
    use crate::app::accounts::{self, AccountInput};
    use crate::domain::access::Role;
    use crate::domain::model::DecisionMaker;
    let world = db::load_world(conn).await.context("reading the database")?;
    let now = chrono::Utc::now();
    // Someone visited, someone whose money a representative looks after, and a council.
    let mut visited: Vec<&str> = world
        .visits
        .values()
        .flat_map(|v| v.worker_refs.iter().map(String::as_str))
        .collect();
    visited.sort_unstable();
    let worker = visited.first().map(|w| (*w).to_owned());
    let represented = world
        .agreements
        .values()
        .find(|a| {
            world
                .people
                .get(&a.person_ref)
                .is_some_and(|p| p.decision_maker != DecisionMaker::SelfDecides)
        })
        .or_else(|| world.agreements.values().next());
    let council = world
        .commissioners
        .values()
        .find(|c| c.kind == crate::domain::model::CommissionerKind::Council)
        .or_else(|| world.commissioners.values().next());
    let (Some(worker), Some(agreement), Some(council)) = (worker, represented, council) else {
        println!("isf serve --demo: no demo accounts (the database holds no visits, agreements or commissioners)");
        return Ok(());
    };
    let holder_name = world
        .people
        .get(&agreement.person_ref)
        .map(|p| {
            p.representative_name
                .clone()
                .unwrap_or_else(|| p.given_name.clone())
        })
        .unwrap_or_else(|| "Budget holder".to_owned());
    let plan: [(&str, Role, String, AccountInput); 6] = [
        (
            "admin",
            Role::ProviderAdmin,
            "Provider admin".to_owned(),
            AccountInput::blank(),
        ),
        (
            "coordinator",
            Role::Coordinator,
            "Care coordinator".to_owned(),
            AccountInput::blank(),
        ),
        (
            "finance",
            Role::Finance,
            "Finance officer".to_owned(),
            AccountInput::blank(),
        ),
        (
            "worker",
            Role::CareWorker,
            format!("Care worker {worker}"),
            AccountInput {
                worker_ref: Some(worker.clone()),
                ..AccountInput::blank()
            },
        ),
        (
            "holder",
            Role::BudgetHolder,
            holder_name,
            AccountInput {
                agreement_refs: vec![agreement.agreement_ref.clone()],
                ..AccountInput::blank()
            },
        ),
        (
            "officer",
            Role::CommissionerOfficer,
            format!("{} officer", council.name),
            AccountInput {
                commissioner_ref: Some(council.commissioner_ref.clone()),
                ..AccountInput::blank()
            },
        ),
    ];
    println!(
        "isf serve --demo: accounts (passwords and tokens are new each start; sign in at /login):"
    );
    println!("  username     role                  password               API token (1 day)");
    for (username, role, name, links) in plan {
        let password = match db::accounts::find_account(conn, username).await? {
            Some(_) => accounts::reset_password(conn, username, None, "system", now).await?,
            None => {
                let input = AccountInput {
                    username: username.to_owned(),
                    display_name: name,
                    role,
                    ..links
                };
                accounts::add_account(conn, input, "system", now).await?.1
            }
        }
        .unwrap_or_default();
        let token = accounts::issue_token(conn, username, 1, "serve --demo", "system", now).await?;
        println!(
            "  {username:<12} {:<21} {password:<22} {}",
            role.word(),
            token.token
        );
    }
    Ok(())
}
