//! Helpers for end-to-end tests: find the `lmsdr` binary that `cargo test --workspace` built, run
//! it, and run `lmsdr serve` on a free port for the length of a test; faults to inject (a disk
//! that fills up or turns read-only, a database connection that is cut).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub mod proxy;
pub mod subscriber;
pub mod tmpfs;

pub use lmsdr_ingest::testing::TestDb;

/// The `lmsdr` binary next to this test executable (`target/<profile>/lmsdr`).
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable has a path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("tests run from target/<profile>/deps");
    let path = profile_dir.join(format!("lmsdr{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run `cargo test --workspace`, which builds it",
        path.display()
    );
    path
}

/// A command running `lmsdr` with the given arguments, in a clean environment.
pub fn lmsdr<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut command = Command::new(binary());
    command
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .env_remove("LOG_FORMAT")
        .stdin(Stdio::null());
    // Every setting lmsdr reads from the environment starts with LMSDR_.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("LMSDR_") {
            command.env_remove(name);
        }
    }
    command
}

/// Runs `lmsdr` to completion.
pub fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    lmsdr(args).output().expect("lmsdr runs")
}

/// An `lmsdr serve` process, stopped when dropped.
pub struct Server {
    child: Child,
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub base: String,
}

impl Server {
    /// Starts `lmsdr serve` on a free port and waits until `/healthz` answers.
    pub async fn start(database_url: &str) -> Server {
        Self::start_with(database_url, &[]).await
    }

    /// Starts `lmsdr serve` with extra arguments (`--cors-origin …`).
    pub async fn start_with(database_url: &str, extra: &[&str]) -> Server {
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        let child = lmsdr(["serve", "--bind", &bind, "--database-url", database_url])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("lmsdr serve starts");
        let server = Server {
            child,
            base: format!("http://{bind}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = reqwest::Client::new();
        loop {
            if let Ok(response) = client.get(format!("{}/healthz", server.base)).send().await
                && response.status().is_success()
            {
                return server;
            }
            assert!(Instant::now() < deadline, "lmsdr serve did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// POSTs a GraphQL request body to `/graphql` (with the admin token, if given) and reads
    /// the answer as JSON.
    pub async fn graphql(
        &self,
        body: &serde_json::Value,
        token: Option<&str>,
    ) -> serde_json::Value {
        post_graphql(&format!("{}/graphql", self.base), body, token).await
    }

    /// The subscriptions the server holds, as its `/metrics` count them.
    pub async fn subscribers(&self) -> u64 {
        let text = reqwest::get(format!("{}/metrics", self.base))
            .await
            .expect("/metrics answers")
            .text()
            .await
            .expect("/metrics reads");
        text.lines()
            .find_map(|line| line.strip_prefix("lmsdr_subscribers "))
            .and_then(|value| value.trim().parse::<f64>().ok())
            .map_or(0, |value| value as u64)
    }

    /// Waits until the server's subscriptions satisfy `done` (at most 30 s): a condition, read
    /// from the server, rather than a guess at how long the server takes.
    pub async fn wait_for_subscribers(&self, done: impl Fn(u64) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let held = self.subscribers().await;
            if done(held) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the server holds {held} subscriptions"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The process ID, to read its memory use from `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "SIGTERM sent");
        let status = self.child.wait().expect("lmsdr serve exits");
        std::mem::forget(self);
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// POSTs a GraphQL request body to `url` (with a bearer token, if given) and reads the answer
/// as JSON.
pub async fn post_graphql(
    url: &str,
    body: &serde_json::Value,
    token: Option<&str>,
) -> serde_json::Value {
    let mut request = reqwest::Client::new().post(url).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON")
}

/// A port free on loopback now (the listener that found it is closed).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Resident memory of a process: (now, peak) in MiB.
pub fn memory_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A directory of Node test helpers under `tests/` (`conformance`, `partners`), when `npm ci` has
/// installed `package` there. Without it the calling test skips with a notice, unless the
/// environment variable `required_by` is `1` (as `.ci/run` sets it), which makes it fail.
pub fn node_helpers(dir: &str, package: &str, required_by: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
    let present = path.join("node_modules").join(package).exists();
    if !present {
        let required = std::env::var(required_by).is_ok_and(|v| v == "1");
        assert!(
            !required,
            "{required_by}=1 but {} has no {package} (run npm ci there)",
            path.display()
        );
        eprintln!("notice: tests/{dir} not installed; skipping the tests that need {package}");
    }
    present.then_some(path)
}

/// Runs `lmsdr import` of a directory into a database, asserting it succeeds.
pub fn import_dir(database_url: &str, dir: &Path) {
    let output = run([
        "import",
        "--database-url",
        database_url,
        &dir.display().to_string(),
    ]);
    assert!(
        output.status.success(),
        "lmsdr import: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Imports one page of `ingest/tests/fixtures` (`site/faq.php`) with `lmsdr import`, a
/// process of its own, asserting it succeeds.
pub fn import_fixture(database_url: &str, fixture: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ingest/tests/fixtures")
        .join(fixture);
    let name = source.file_name().expect("a file name");
    std::fs::copy(&source, dir.path().join(name)).expect("copy");
    import_dir(database_url, dir.path());
}

/// The object keys of a JSON document, at every depth, that are not camelCase (hold `_` or
/// start upper-case); the members of the objects under a key named in `maps` are data, not
/// field names, and are not checked.
pub fn keys_not_camel_case(value: &serde_json::Value, maps: &[&str]) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            serde_json::Value::Object(object) => {
                for (key, member) in object {
                    if key.contains('_') || key.starts_with(|c: char| c.is_ascii_uppercase()) {
                        wrong.push(key.clone());
                    }
                    if !maps.contains(&key.as_str()) {
                        stack.push(member);
                    }
                }
            }
            serde_json::Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    wrong
}
