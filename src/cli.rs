//! The command line: `isf [--database URL] COMMAND`. Each command is a thin caller of a use case.
use crate::app::import::{import_files, FileKind, ImportError};
use crate::app::reconcile::reconcile;
use crate::app::reports::{
    council_return, council_return_with, journal, return_totals, statement, RETURN_COLUMNS,
    STATEMENT_COLUMNS,
};
use crate::app::statements::full_statement;
use crate::csv_io::write_csv;
use crate::db::{self, DEFAULT_DATABASE_URL};
use crate::domain::access::Role;
use crate::domain::calendar::parse_date;
use crate::domain::ledger::Transaction;
use crate::domain::world::World;
use anyhow::{bail, Context};
use chrono::Datelike;
use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "isf",
    version,
    about = "ISF Ledger: Individual Service Funds for home-care providers"
)]
pub struct Cli {
    /// Database URL: sqlite://FILE?mode=rwc (default: isf.db in the working directory) or postgres://…
    #[arg(long, global = true, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database: String,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The long-running service logs to standard output; every other command keeps it for data.
    pub fn is_serve(&self) -> bool {
        matches!(self.command, Command::Serve { .. })
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Import a directory of the CSV files of FORMATS.md (or one file, its kind from its name): all or nothing.
    Import { path: PathBuf },
    /// Post every visit cost, charged cancellation and weekly fee due up to DATE (idempotent).
    Reconcile {
        #[arg(long, value_parser = date_arg)]
        through: NaiveDate,
    },
    /// A commissioner's return for a period.
    Return {
        #[arg(long)]
        commissioner: String,
        #[arg(long, value_parser = date_arg)]
        from: NaiveDate,
        #[arg(long, value_parser = date_arg)]
        to: NaiveDate,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
    /// Every commissioner's return for a period, written to DIR as return-{C}-{FROM}-{TO}.{csv,json,html}
    /// (the month-end run: the records and the ledger are read once).
    Returns {
        #[arg(long, value_parser = date_arg)]
        from: NaiveDate,
        #[arg(long, value_parser = date_arg)]
        to: NaiveDate,
        #[arg(long)]
        out: PathBuf,
    },
    /// An agreement's statement for a period.
    Statement {
        #[arg(long)]
        agreement: String,
        #[arg(long, value_parser = date_arg)]
        from: NaiveDate,
        #[arg(long, value_parser = date_arg)]
        to: NaiveDate,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
    },
    /// Every live agreement's statement for a month, in each person's format, with an index page.
    Statements {
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        #[arg(long)]
        out: PathBuf,
        /// Also print each statement to PDF (needs Chromium).
        #[arg(long)]
        pdf: bool,
    },
    /// Checks a statement file (HTML or JSON) against the ledger: its digest and every figure.
    VerifyStatement { file: PathBuf },
    /// The whole ledger as an hledger journal.
    ExportLedger {
        #[arg(long, value_enum, default_value_t = LedgerFormat::Journal)]
        format: LedgerFormat,
    },
    /// Exceptions raised by the last reconciliation (missed, late, short … visits, unplanned
    /// attendances, weeks over plan, overspent funds), as CSV.
    Exceptions {
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        agreement: Option<String>,
        #[arg(long, value_parser = date_arg)]
        from: Option<NaiveDate>,
        #[arg(long, value_parser = date_arg)]
        to: Option<NaiveDate>,
    },
    /// Write a realistic synthetic provider as input CSVs (deterministic for a seed): a way to try
    /// the product and the load generator of the benchmarks.
    DemoData {
        #[arg(long, default_value_t = 12)]
        people: usize,
        #[arg(long, default_value_t = 8)]
        weeks: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The Monday the roster starts.
        #[arg(long, value_parser = date_arg, default_value = "2026-03-02")]
        start: NaiveDate,
        #[arg(long)]
        out: PathBuf,
    },
    /// Accounts: add one, issue or revoke an API token, set a password, list them.
    #[command(subcommand)]
    User(UserCommand),
    /// Run the HTTP service.
    Serve {
        /// Load the bundled demo provider (fixtures/demo) into an empty database.
        #[arg(long)]
        demo: bool,
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an account. Without --password-stdin a password is generated and printed once.
    Add {
        username: String,
        #[arg(long, value_parser = role_arg)]
        role: Role,
        /// The name shown for the account (default: the username).
        #[arg(long)]
        name: Option<String>,
        /// For a care_worker: the worker they are.
        #[arg(long)]
        worker: Option<String>,
        /// For a commissioner_officer: the commissioner they work for.
        #[arg(long)]
        commissioner: Option<String>,
        /// For a budget_holder: an agreement they hold or represent (repeat for several).
        #[arg(long = "agreement")]
        agreements: Vec<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Issue an API token for an account; the token is printed once and stored only as a hash.
    Token {
        username: String,
        #[arg(long, default_value_t = crate::app::accounts::TOKEN_DAYS_DEFAULT)]
        days: i64,
        #[arg(long, default_value = "issued with isf user token")]
        label: String,
    },
    /// Revoke an API token by its id (the hex after `isf_`).
    Revoke { token_id: String },
    /// Set an account's password (generated and printed unless --password-stdin).
    Password {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account (someone who has left): it signs in no more, and its tokens and
    /// sessions are refused at once. Accounts are never deleted: the audit log names them.
    Disable {
        username: String,
        /// Why, for the audit log.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// List the accounts, their roles and links.
    List,
}

fn role_arg(text: &str) -> Result<Role, String> {
    Role::parse(text)
        .ok_or_else(|| format!("{text:?} is not a role: one of {}", Role::WORDS.join(", ")))
}

fn password_from_stdin(wanted: bool) -> anyhow::Result<Option<String>> {
    if !wanted {
        return Ok(None);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}

/// The actor the audit log names for the command line: the operating-system user at the keyboard.
fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned())
    )
}

async fn run_user(
    conn: &sea_orm::DatabaseConnection,
    command: UserCommand,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<i32> {
    use crate::app::accounts::{self, AccountInput};
    let actor = cli_actor();
    match command {
        UserCommand::Add {
            username,
            role,
            name,
            worker,
            commissioner,
            agreements,
            password_stdin,
        } => {
            let input = AccountInput {
                display_name: name.unwrap_or_else(|| username.clone()),
                username,
                role,
                password: password_from_stdin(password_stdin)?,
                worker_ref: worker,
                commissioner_ref: commissioner,
                agreement_refs: agreements,
            };
            let (principal, generated) = accounts::add_account(conn, input, &actor, now).await?;
            println!("added {} ({})", principal.username, principal.role);
            if let Some(password) = generated {
                println!("password: {password}");
            }
        }
        UserCommand::Token {
            username,
            days,
            label,
        } => {
            let issued = accounts::issue_token(conn, &username, days, &label, &actor, now).await?;
            println!("{}", issued.token);
            eprintln!(
                "token {} for {username}, expires {}; it is shown only now",
                issued.stored.token_id,
                issued.stored.expires_at.format("%Y-%m-%d %H:%M UTC")
            );
        }
        UserCommand::Revoke { token_id } => {
            accounts::revoke_token(conn, &token_id, &actor, now).await?;
            println!("revoked token {token_id}");
        }
        UserCommand::Disable { username, reason } => {
            accounts::disable_account(conn, &username, &reason, &actor, now).await?;
            println!("disabled {username}");
        }
        UserCommand::Password {
            username,
            password_stdin,
        } => {
            let generated = accounts::reset_password(
                conn,
                &username,
                password_from_stdin(password_stdin)?,
                &actor,
                now,
            )
            .await?;
            println!("password set for {username}");
            if let Some(password) = generated {
                println!("password: {password}");
            }
        }
        UserCommand::List => {
            println!("username,role,name,worker,commissioner,agreements,disabled");
            for a in crate::db::accounts::list_accounts(conn).await? {
                let p = a.principal;
                println!(
                    "{},{},{},{},{},{},{}",
                    p.username,
                    p.role,
                    p.display_name.replace(',', " "),
                    p.worker_ref.unwrap_or_default(),
                    p.commissioner_ref.unwrap_or_default(),
                    p.agreement_refs.into_iter().collect::<Vec<_>>().join(" "),
                    a.disabled
                );
            }
        }
    }
    Ok(0)
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Html,
    Pdf,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedgerFormat {
    Journal,
}

fn date_arg(text: &str) -> Result<NaiveDate, String> {
    parse_date(text).map_err(|e| e.to_string())
}

/// Reads the known input files of a directory, or one file.
pub fn read_input(path: &Path) -> anyhow::Result<Vec<(FileKind, Vec<u8>)>> {
    let mut files = Vec::new();
    if path.is_dir() {
        for kind in FileKind::ALL {
            let file = path.join(kind.file_name());
            if file.is_file() {
                files.push((
                    kind,
                    std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?,
                ));
            }
        }
        if files.is_empty() {
            bail!(
                "{} holds none of the input files ({})",
                path.display(),
                FileKind::ALL.map(|k| k.file_name()).join(", ")
            );
        }
    } else {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let Some(kind) = FileKind::from_file_name(name) else {
            bail!(
                "{name}: not an input file name ({})",
                FileKind::ALL.map(|k| k.file_name()).join(", ")
            );
        };
        files.push((
            kind,
            std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        ));
    }
    Ok(files)
}

fn json_object(columns: &[&str], cells: Vec<String>) -> serde_json::Value {
    serde_json::Value::Object(
        columns
            .iter()
            .zip(cells)
            .map(|(k, v)| (k.to_string(), v.into()))
            .collect(),
    )
}

/// A council return in the asked format.
pub fn return_output(
    world: &World,
    ledger: &[Transaction],
    commissioner: &str,
    from: NaiveDate,
    to: NaiveDate,
    format: Format,
) -> anyhow::Result<String> {
    let rows = council_return(world, ledger, commissioner, from, to)?;
    render_return(world, commissioner, from, to, &rows, format)
}

/// Renders return rows as CSV (FORMATS.md), JSON with totals, or the printable HTML page.
pub fn render_return(
    world: &World,
    commissioner: &str,
    from: NaiveDate,
    to: NaiveDate,
    rows: &[crate::app::reports::ReturnRow],
    format: Format,
) -> anyhow::Result<String> {
    Ok(match format {
        Format::Csv => write_csv(&RETURN_COLUMNS, rows.iter().map(|r| r.cells())),
        Format::Json => {
            let totals = json_object(&RETURN_COLUMNS[7..], return_totals(rows));
            let rows: Vec<_> = rows
                .iter()
                .map(|r| json_object(&RETURN_COLUMNS, r.cells()))
                .collect();
            let doc = serde_json::json!({
                "commissioner_ref": commissioner, "from": from.to_string(), "to": to.to_string(),
                "rows": rows, "totals": totals,
            });
            serde_json::to_string_pretty(&doc)? + "\n"
        }
        Format::Pdf => bail!("a return is printed from its HTML page: use --format html"),
        Format::Html => {
            let name = world
                .commissioners
                .get(commissioner)
                .map_or(commissioner.to_owned(), |c| c.name.clone());
            let cells = rows.iter().map(|r| r.cells()).collect();
            crate::web::return_page(commissioner, &name, from, to, cells, return_totals(rows))?
        }
    })
}

/// A statement in the asked format: CSV exactly as FORMATS.md; JSON with the summary and digest;
/// HTML in the person's communication format; PDF printed from that HTML by headless Chromium.
pub fn statement_output(
    world: &World,
    ledger: &[Transaction],
    agreement: &str,
    from: NaiveDate,
    to: NaiveDate,
    format: Format,
) -> anyhow::Result<Vec<u8>> {
    if format == Format::Csv {
        let s = statement(world, ledger, agreement, from, to)?;
        return Ok(write_csv(&STATEMENT_COLUMNS, s.lines.iter().map(|l| l.cells())).into_bytes());
    }
    let full = full_statement(world, ledger, agreement, from, to)?;
    Ok(match format {
        Format::Csv => unreachable!("handled above"),
        Format::Json => (serde_json::to_string_pretty(&statement_json(&full))? + "\n").into_bytes(),
        Format::Html => crate::web::statement_page(&full)?.into_bytes(),
        Format::Pdf => print_to_pdf(&crate::web::statement_page(&full)?)?,
    })
}

/// The statement as JSON: the rows, the summary and the digest. It is the API's document
/// (`GET /api/agreements/{ref}/statements`), so the two cannot disagree.
pub use crate::http::statements::statement_json;

/// Prints pages to PDF files, one Chromium per core at a time.
fn print_all_to_pdf(pages: &[(PathBuf, String)]) -> anyhow::Result<()> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((file, html)) = pages.get(i) else {
                            return Ok(());
                        };
                        std::fs::write(file, print_to_pdf(html)?)?;
                    }
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .map_err(|_| anyhow::anyhow!("a PDF worker panicked"))?
        })
    })
}

/// Prints an HTML page to PDF with headless Chromium (`chromium` on PATH, or `ISF_CHROMIUM`).
pub fn print_to_pdf(html: &str) -> anyhow::Result<Vec<u8>> {
    let dir = std::env::temp_dir().join(format!(
        "isf-pdf-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    std::fs::create_dir_all(&dir)?;
    let page = dir.join("statement.html");
    let pdf = dir.join("statement.pdf");
    std::fs::write(&page, html)?;
    let browser = std::env::var("ISF_CHROMIUM").unwrap_or_else(|_| "chromium".to_owned());
    let status = std::process::Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .with_context(|| {
            format!("running {browser} to print the PDF (install chromium, or set ISF_CHROMIUM)")
        })?;
    let bytes = std::fs::read(&pdf)
        .with_context(|| format!("{browser} exited {status} without writing a PDF"))?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(bytes)
}

/// The first and last day of a `YYYY-MM` month.
pub fn month_bounds(month: &str) -> anyhow::Result<(NaiveDate, NaiveDate)> {
    let first = parse_date(&format!("{month}-01"))
        .map_err(|_| anyhow::anyhow!("{month:?} is not a month: write YYYY-MM"))?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .ok_or_else(|| anyhow::anyhow!("{month:?} is out of range"))?;
    Ok((first, next.pred_opt().unwrap_or(first)))
}

/// Writes the month's statement of every agreement live in it (HTML in the person's format, plus
/// CSV and JSON, and PDF when asked) and an `index.html`. Returns how many were written.
pub fn write_month(
    world: &World,
    ledger: &[Transaction],
    month: &str,
    out: &Path,
    pdf: bool,
) -> anyhow::Result<usize> {
    let (from, to) = month_bounds(month)?;
    std::fs::create_dir_all(out)?;
    let mut to_print: Vec<(PathBuf, String)> = Vec::new();
    let mut index = Vec::new();
    for agreement in world.agreements.values().filter(|a| a.overlaps(from, to)) {
        let a = &agreement.agreement_ref;
        let full = full_statement(world, ledger, a, from, to)?;
        let html = crate::web::statement_page(&full)?;
        let stem = format!("statement-{a}-{from}-{to}");
        std::fs::write(out.join(format!("{stem}.html")), &html)?;
        std::fs::write(
            out.join(format!("{stem}.json")),
            serde_json::to_string_pretty(&statement_json(&full))? + "\n",
        )?;
        std::fs::write(
            out.join(format!("{stem}.csv")),
            write_csv(
                &STATEMENT_COLUMNS,
                full.statement.lines.iter().map(|l| l.cells()),
            ),
        )?;
        if pdf {
            to_print.push((out.join(format!("{stem}.pdf")), html));
        }
        let person = world.people.get(&agreement.person_ref);
        index.push(crate::web::IndexEntry {
            agreement_ref: a.clone(),
            person: person.map_or(String::new(), |p| {
                p.given_name.clone()
                    + &p.family_name
                        .as_ref()
                        .map_or(String::new(), |f| format!(" {f}"))
            }),
            format: person
                .map_or("standard", |p| p.communication_format.word())
                .to_owned(),
            closing: full.statement.closing.to_string(),
            file: format!("{stem}.html"),
            pdf: pdf.then(|| format!("{stem}.pdf")),
        });
    }
    print_all_to_pdf(&to_print)?;
    std::fs::write(
        out.join("index.html"),
        crate::web::statement_index(month, &index)?,
    )?;
    Ok(index.len())
}

/// Verifies a statement file against the ledger: the HTML or JSON is rendered again from the books
/// and must match byte for byte, digest included. Returns what was verified.
pub fn verify_statement(
    world: &World,
    ledger: &[Transaction],
    bytes: &[u8],
) -> Result<String, String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "the file is not UTF-8 text (verify the HTML or JSON rendition)".to_owned())?;
    let (agreement, from, to, format) =
        if let Some(meta) = text.split("<meta name=\"isf-statement\" content=\"").nth(1) {
            let content = meta.split('"').next().unwrap_or_default();
            let parts: Vec<&str> = content.split(' ').collect();
            match parts.as_slice() {
                [a, f, t] => (a.to_string(), f.to_string(), t.to_string(), Format::Html),
                _ => return Err("the statement's identity is unreadable".to_owned()),
            }
        } else if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
            let field = |k: &str| {
                json.get(k)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
                    .ok_or_else(|| format!("the JSON has no {k}"))
            };
            (
                field("agreement_ref")?,
                field("from")?,
                field("to")?,
                Format::Json,
            )
        } else {
            return Err("not an ISF Ledger statement (HTML or JSON)".to_owned());
        };
    let from = parse_date(&from).map_err(|e| e.to_string())?;
    let to = parse_date(&to).map_err(|e| e.to_string())?;
    let expected =
        statement_output(world, ledger, &agreement, from, to, format).map_err(|e| e.to_string())?;
    let full = full_statement(world, ledger, &agreement, from, to).map_err(|e| e.to_string())?;
    if !text.contains(&full.digest) {
        return Err(format!("its digest does not match the ledger entries of {agreement} up to {to} (the books hold sha256:{})", full.digest));
    }
    if expected != bytes {
        let line = text
            .lines()
            .zip(std::str::from_utf8(&expected).unwrap_or_default().lines())
            .position(|(a, b)| a != b)
            .map_or(0, |i| i + 1);
        return Err(format!(
            "its content differs from the books at line {line}: it was altered after it was issued"
        ));
    }
    Ok(format!(
        "{agreement} {from} to {to} matches the ledger (sha256:{})",
        full.digest
    ))
}

/// Runs the command; returns the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    let now = chrono::Utc::now();
    match cli.command {
        Command::Serve { demo, bind } => {
            crate::startup::serve(&cli.database, demo, &bind).await?;
            Ok(0)
        }
        Command::DemoData {
            people,
            weeks,
            seed,
            start,
            out,
        } => {
            if start.weekday() != chrono::Weekday::Mon {
                bail!(
                    "--start {start} is a {}: the roster starts on a Monday",
                    start.weekday()
                );
            }
            let spec = crate::demo_data::DemoSpec {
                people,
                weeks,
                seed,
                start_monday: start,
            };
            for (file, rows) in crate::demo_data::generate(&spec, &out)? {
                println!("{file}: {rows} rows");
            }
            Ok(0)
        }
        command => {
            let conn = db::connect(&cli.database)
                .await
                .with_context(|| "opening the database")?;
            match command {
                Command::User(user) => run_user(&conn, user, now).await,
                Command::Import { path } => {
                    let files = read_input(&path)?;
                    match import_files(&conn, &files, now).await {
                        Ok(summaries) => {
                            for s in summaries {
                                println!("{}: {} rows, {} new", s.file, s.rows, s.new_rows);
                            }
                            Ok(0)
                        }
                        Err(ImportError::Rejected(errors)) => {
                            for e in &errors {
                                eprintln!("{e}");
                            }
                            eprintln!(
                                "import rejected: {} problem(s); nothing was changed",
                                errors.len()
                            );
                            Ok(1)
                        }
                        Err(e) => Err(e.into()),
                    }
                }
                Command::Reconcile { through } => {
                    let s = reconcile(&conn, through, now).await?;
                    println!(
                        "reconciled through {through}: {} posted, {} reversed, {} unchanged",
                        s.posted, s.reversed, s.unchanged
                    );
                    Ok(0)
                }
                Command::Return {
                    commissioner,
                    from,
                    to,
                    format,
                } => {
                    let world = db::load_world(&conn).await?;
                    let ledger = db::load_ledger_money(&conn).await?;
                    print!(
                        "{}",
                        return_output(&world, &ledger, &commissioner, from, to, format)?
                    );
                    Ok(0)
                }
                Command::Returns { from, to, out } => {
                    let world = db::load_world(&conn).await?;
                    let ledger = db::load_ledger_money(&conn).await?;
                    std::fs::create_dir_all(&out)?;
                    let costed = crate::app::costing::cost_visits(&world, Some(to))?;
                    for commissioner in world.commissioners.keys() {
                        let rows =
                            council_return_with(&world, &ledger, &costed, commissioner, from, to)?;
                        for (format, ext) in [
                            (Format::Csv, "csv"),
                            (Format::Json, "json"),
                            (Format::Html, "html"),
                        ] {
                            let file = out.join(format!("return-{commissioner}-{from}-{to}.{ext}"));
                            std::fs::write(
                                &file,
                                render_return(&world, commissioner, from, to, &rows, format)?,
                            )?;
                        }
                    }
                    println!(
                        "{} returns for {from} to {to} written to {}",
                        world.commissioners.len(),
                        out.display()
                    );
                    Ok(0)
                }
                Command::Statement {
                    agreement,
                    from,
                    to,
                    format,
                } => {
                    let world = db::load_world(&conn).await?;
                    let ledger = db::load_ledger(&conn).await?;
                    let bytes = statement_output(&world, &ledger, &agreement, from, to, format)?;
                    std::io::Write::write_all(&mut std::io::stdout(), &bytes)?;
                    Ok(0)
                }
                Command::ExportLedger {
                    format: LedgerFormat::Journal,
                } => {
                    let world = db::load_world(&conn).await?;
                    let ledger = db::load_ledger_money(&conn).await?;
                    print!("{}", journal(&world, &ledger));
                    Ok(0)
                }
                Command::Exceptions {
                    kind,
                    agreement,
                    from,
                    to,
                } => {
                    let rows =
                        db::list_exceptions(&conn, kind.as_deref(), agreement.as_deref(), from, to)
                            .await?;
                    let header = [
                        "date",
                        "kind",
                        "agreement_ref",
                        "stream_ref",
                        "subject_ref",
                        "status",
                        "detail",
                    ];
                    print!(
                        "{}",
                        write_csv(
                            &header,
                            rows.into_iter().map(|e| vec![
                                e.record.date.to_string(),
                                e.record.kind.word().to_owned(),
                                e.record.agreement_ref,
                                e.record.stream_ref.unwrap_or_default(),
                                e.record.subject_ref,
                                e.status,
                                e.record.detail,
                            ])
                        )
                    );
                    Ok(0)
                }
                Command::Statements { month, out, pdf } => {
                    let world = db::load_world(&conn).await?;
                    let ledger = db::load_ledger(&conn).await?;
                    let written = write_month(&world, &ledger, &month, &out, pdf)?;
                    println!(
                        "{written} statements for {month} written to {}",
                        out.display()
                    );
                    Ok(0)
                }
                Command::VerifyStatement { file } => {
                    let world = db::load_world(&conn).await?;
                    let ledger = db::load_ledger(&conn).await?;
                    match verify_statement(&world, &ledger, &std::fs::read(&file)?) {
                        Ok(what) => {
                            println!("{}: verified: {what}", file.display());
                            Ok(0)
                        }
                        Err(why) => {
                            eprintln!("{}: NOT verified: {why}", file.display());
                            Ok(1)
                        }
                    }
                }
                Command::Serve { .. } | Command::DemoData { .. } => unreachable!("handled above"),
            }
        }
    }
}
