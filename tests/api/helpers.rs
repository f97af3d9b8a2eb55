//! Test harness: fresh databases, the real binary, a real server on a free port.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The `isf` binary cargo built for this test run.
pub fn isf_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_isf"))
}

/// The shared acceptance material beside the checkout (or where `SHARED` points).
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("SHARED") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("shared"),
    }
}

/// The repository's own fixtures.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A fresh, empty database for one test, dropped (PostgreSQL) or deleted (SQLite) afterwards.
pub struct TestDb {
    pub url: String,
    pub dir: PathBuf,
    admin_url: Option<String>,
    name: String,
}

impl TestDb {
    pub fn new() -> TestDb {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let unique = format!("isf_test_{}_{}_{}", std::process::id(), n, nanos());
        let dir = std::env::temp_dir().join(&unique);
        std::fs::create_dir_all(&dir).expect("creating a temporary folder");
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(admin_url) => {
                psql(&admin_url, &format!("CREATE DATABASE {unique}"));
                let base = admin_url
                    .rsplit_once('/')
                    .map_or(admin_url.as_str(), |(b, _)| b)
                    .to_owned();
                TestDb {
                    url: format!("{base}/{unique}"),
                    dir,
                    admin_url: Some(admin_url),
                    name: unique,
                }
            }
            None => TestDb {
                url: format!("sqlite://{}?mode=rwc", dir.join("isf.db").display()),
                dir,
                admin_url: None,
                name: unique,
            },
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.admin_url.is_some()
    }

    /// Runs `isf --database URL ARGS…` to completion.
    pub fn isf(&self, args: &[&str]) -> Output {
        Command::new(isf_binary())
            .arg("--database")
            .arg(&self.url)
            .args(args)
            .env_remove("DATABASE_URL")
            .output()
            .expect("running isf")
    }

    /// Runs `isf --database URL ARGS…` with `input` on standard input; insists it succeeded.
    pub fn isf_with_input(&self, args: &[&str], input: &str) -> String {
        use std::io::Write;
        let mut child = Command::new(isf_binary())
            .arg("--database")
            .arg(&self.url)
            .args(args)
            .env_remove("DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("running isf");
        child
            .stdin
            .take()
            .expect("a stdin")
            .write_all(input.as_bytes())
            .expect("writing to isf");
        let out = child.wait_with_output().expect("isf finishes");
        assert!(
            out.status.success(),
            "isf {args:?} failed: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// Runs `isf` and insists it succeeded; returns standard output.
    pub fn isf_ok(&self, args: &[&str]) -> String {
        let out = self.isf(args);
        assert!(
            out.status.success(),
            "isf {args:?} failed: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// Creates an account with `isf user add` (the role's links in `links`, e.g.
    /// `["--worker", "W-1"]`) and returns an API token for it from `isf user token`.
    pub fn account_token(&self, username: &str, role: &str, links: &[&str]) -> String {
        let mut args = vec!["user", "add", username, "--role", role];
        args.extend_from_slice(links);
        self.isf_ok(&args);
        self.isf_ok(&["user", "token", username]).trim().to_owned()
    }

    /// Executes SQL directly against the test database (to prove what the database itself refuses).
    pub fn sql(&self, statement: &str) -> Result<u64, String> {
        execute(&self.url, statement)
    }

    /// Starts `isf serve` on a free loopback port and waits until `/health` answers.
    pub fn serve(&self, extra: &[&str]) -> Server {
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        let child = Command::new(isf_binary())
            .arg("--database")
            .arg(&self.url)
            .args(["serve", "--bind", &bind])
            .args(extra)
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting isf serve");
        let server = Server {
            child,
            base: format!("http://{bind}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if std::net::TcpStream::connect(&bind).is_ok() {
                if let Ok(resp) = reqwest::blocking_get(&format!("{}/health", server.base)) {
                    if resp {
                        return server;
                    }
                }
            }
            assert!(
                Instant::now() < deadline,
                "isf serve did not become healthy within 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(admin) = &self.admin_url {
            psql(
                admin,
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            );
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running server, stopped when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn psql(url: &str, statement: &str) {
    if let Err(e) = execute(url, statement) {
        panic!("{statement}: {e}");
    }
}

/// Runs one SQL statement through sea-orm; returns the rows affected.
fn execute(url: &str, statement: &str) -> Result<u64, String> {
    use sea_orm::ConnectionTrait;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let db = sea_orm::Database::connect(url)
            .await
            .map_err(|e| e.to_string())?;
        let result = db
            .execute_unprepared(statement)
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| e.to_string());
        let _ = db.close().await;
        result
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() % 1_000_000)
        .unwrap_or(0)
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A small blocking HTTP helper so tests stay synchronous.
pub mod reqwest {
    /// GET `url`; true when the status is 2xx.
    pub fn blocking_get(url: &str) -> Result<bool, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async {
            ::reqwest::get(url)
                .await
                .map(|r| r.status().is_success())
                .map_err(|e| e.to_string())
        })
    }
}
