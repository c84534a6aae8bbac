//! Faults in what lmsdr stands on: a disk that fills up during an import or a sync, a database
//! that turns read-only, and PostgreSQL going away under `lmsdr serve` and coming back. Each
//! fault gets an error that names it, nothing stored before it is lost, and lmsdr carries on once
//! the fault is gone.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use lmsdr_ingest::testing::site::Site;
use lmsdr_tests::proxy::Proxy;
use lmsdr_tests::tmpfs::Tmpfs;
use lmsdr_tests::{Server, TestDb, run};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};

/// Pages of pseudo-random words (so that compression cannot make them small), each about 100 KB.
fn bulky_page(i: usize) -> String {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ i as u64;
    let mut words = String::new();
    for _ in 0..15_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = 3 + (state % 8) as usize;
        words.extend((0..len).map(|k| char::from(b'a' + ((state >> (k * 5)) % 26) as u8)));
        words.push(' ');
    }
    format!(
        "<html><head><title>Page {i}</title></head><body><p>{words}</p>\
         <p>Last Edited - 1 August 2012 08:59 am</p></body></html>"
    )
}

fn write_pages(dir: &Path, count: usize) {
    for i in 0..count {
        std::fs::write(dir.join(format!("p{i:02}.html")), bulky_page(i)).expect("write a page");
    }
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> String {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("the query runs")
        .expect("a row");
    row.try_get_by_index::<String>(0)
        .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
        .expect("one column")
}

async fn open(url: &str) -> DatabaseConnection {
    lmsdr_ingest::db::connect(url)
        .await
        .expect("the database opens")
}

/// A migrated SQLite database on the disk: its URL.
fn migrated(disk: &Tmpfs) -> String {
    let url = disk.sqlite_url();
    let migrated = run(["migrate", "up", "--database-url", &url]);
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    url
}

/// Runs `lmsdr` off the async runtime, which keeps serving the fixture site meanwhile.
async fn run_blocking(args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || run(args))
        .await
        .expect("joins")
}

/// Imports 30 bulky pages onto a disk that fills up: the import stops naming `cause`, what was
/// stored is kept and sound; once `grow` has made room, the import completes.
async fn import_stops_then_completes(url: &str, cause: &str, grow: impl FnOnce()) {
    let pages = tempfile::tempdir().expect("a directory");
    write_pages(pages.path(), 30);
    let import = || {
        let path = pages.path().display().to_string();
        run(["import", "--database-url", url, &path])
    };
    let full = import();
    assert_eq!(full.status.code(), Some(1), "{}", stderr(&full));
    let message = stderr(&full);
    assert!(
        message.contains("import stopped at http://www.lmsdr.org/p") && message.contains(cause),
        "the cause is named: {message}"
    );
    assert!(
        !message.contains("database is locked"),
        "no later error hides it: {message}"
    );

    let db = open(url).await;
    if url.starts_with("sqlite:") {
        assert_eq!(scalar(&db, "PRAGMA integrity_check").await, "ok");
    }
    let stored: i64 = scalar(&db, "SELECT count(*) FROM pages")
        .await
        .parse()
        .expect("a count");
    assert!(
        (1..30).contains(&stored),
        "the pages stored before the disk filled are kept: {stored}"
    );
    assert_eq!(
        scalar(&db, "SELECT count(*) FROM sync_leases").await,
        "0",
        "the lock is released, so the next run need not wait for it to expire"
    );
    db.close().await.expect("closes");

    grow();
    let resumed = import();
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let db = open(url).await;
    assert_eq!(scalar(&db, "SELECT count(*) FROM pages").await, "30");
    let status = "SELECT CAST(status AS TEXT) FROM sync_runs ORDER BY id";
    assert_eq!(
        scalar(&db, status).await,
        "aborted",
        "the stopped run is marked aborted by the next one"
    );
    assert_eq!(scalar(&db, &format!("{status} DESC")).await, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_an_import_with_its_cause_and_keeps_what_was_stored() {
    let Some(disk) = Tmpfs::mount("3m") else {
        return;
    };
    let url = migrated(&disk);
    import_stops_then_completes(&url, "database or disk is full", || {
        disk.remount("size=256m")
    })
    .await;
}

/// A PostgreSQL tablespace on a disk of its own, dropped (after the databases using it) when
/// this guard is.
struct Tablespace {
    name: String,
    admin_url: String,
}

impl Tablespace {
    fn create(admin_url: &str, disk: &Tmpfs) -> Tablespace {
        let name = format!("lmsdr_small_{}", std::process::id());
        let sql = format!(
            "CREATE TABLESPACE {name} LOCATION '{}'",
            disk.path().display()
        );
        psql(admin_url, &sql);
        Tablespace {
            name,
            admin_url: admin_url.to_owned(),
        }
    }
}

impl Drop for Tablespace {
    fn drop(&mut self) {
        let sql = format!("DROP TABLESPACE IF EXISTS {}", self.name);
        let _ = std::process::Command::new("psql")
            .args([self.admin_url.as_str(), "-qc", &sql])
            .status();
    }
}

fn psql(url: &str, sql: &str) {
    let output = std::process::Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qc", sql])
        .output()
        .expect("psql runs");
    assert!(output.status.success(), "{sql}: {}", stderr(&output));
}

/// PostgreSQL on this machine, where a tablespace can be put on a local disk.
fn local_postgres() -> Option<String> {
    let url = lmsdr_ingest::testing::postgres_admin_url()?;
    let parsed = url::Url::parse(&url).ok()?;
    matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "::1")).then_some(url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_an_import_on_postgres_with_its_cause() {
    let Some(admin_url) = local_postgres() else {
        eprintln!("skipped: TEST_DATABASE_URL does not name PostgreSQL on this machine");
        return;
    };
    let Some(disk) = Tmpfs::mount_owned_by("3m", "postgres") else {
        return;
    };
    let space = Tablespace::create(&admin_url, &disk);
    let db = TestDb::postgres(&admin_url).await;
    for table in ["pages", "page_revisions", "search_documents"] {
        psql(
            &db.url,
            &format!("ALTER TABLE {table} SET TABLESPACE {}", space.name),
        );
    }
    import_stops_then_completes(&db.url, "No space left on device", || {
        disk.remount("size=256m")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_a_sync_with_its_cause() {
    let Some(disk) = Tmpfs::mount("3m") else {
        return;
    };
    let url = migrated(&disk);
    let site = Site::start().await;
    site.allow_all_robots();
    let links: String = (0..30)
        .map(|i| format!("<li><a href=\"/p{i}.html\">Page {i}</a></li>"))
        .collect();
    site.page("/", &format!("<html><body><ul>{links}</ul></body></html>"));
    for i in 0..30 {
        site.page(&format!("/p{i}.html"), &bulky_page(i));
    }
    let args = |url: &str| -> Vec<String> {
        ["sync", "--source", &site.url("/"), "--delay-ms", "0"]
            .into_iter()
            .chain(["--database-url", url])
            .map(str::to_owned)
            .collect()
    };

    let full = run_blocking(args(&url)).await;
    assert_eq!(full.status.code(), Some(1), "{}", stderr(&full));
    let message = stderr(&full);
    assert!(
        message.contains("database or disk is full") && !message.contains("database is locked"),
        "the cause is named: {message}"
    );

    disk.remount("size=256m");
    let resumed = run_blocking(args(&url)).await;
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    let db = open(&url).await;
    assert_eq!(scalar(&db, "PRAGMA integrity_check").await, "ok");
    assert_eq!(scalar(&db, "SELECT count(*) FROM pages").await, "31");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_refuses_writes_and_keeps_its_content() {
    let Some(disk) = Tmpfs::mount("64m") else {
        return;
    };
    let url = disk.sqlite_url();
    let pages = tempfile::tempdir().expect("a directory");
    write_pages(pages.path(), 3);
    let path = pages.path().display().to_string();
    let first = run(["import", "--database-url", &url, &path]);
    assert!(first.status.success(), "{}", stderr(&first));

    disk.remount("ro");
    let more = tempfile::tempdir().expect("a directory");
    std::fs::write(more.path().join("new.html"), bulky_page(99)).expect("write");
    let more_path = more.path().display().to_string();
    let refused = run(["import", "--database-url", &url, &more_path]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let message = stderr(&refused);
    // SQLite says "readonly" when its WAL index is still on the disk, and "unable to open
    // database file" (code 14) when it must create one there; either way, one clear line.
    assert!(
        message.contains("readonly")
            || message.contains("cannot open database") && message.contains("(code: 14)"),
        "the cause is named: {message}"
    );
    assert!(!message.contains("panicked"), "{message}");

    disk.remount("rw");
    let again = run(["import", "--database-url", &url, &more_path]);
    assert!(again.status.success(), "{}", stderr(&again));
    let db = open(&url).await;
    assert_eq!(scalar(&db, "PRAGMA integrity_check").await, "ok");
    assert_eq!(scalar(&db, "SELECT count(*) FROM pages").await, "4");
}

/// Polls `/readyz` until it answers `status`.
async fn readiness_becomes(client: &reqwest::Client, base: &str, status: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = client.get(format!("{base}/readyz")).send().await
            && response.status().as_u16() == status
        {
            return response.text().await.unwrap_or_default();
        }
        assert!(Instant::now() < deadline, "/readyz never answered {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_rides_out_postgres_going_away_and_recovers_without_a_restart() {
    let Some(db) = TestDb::postgres_if_configured().await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    let mut through_proxy = url::Url::parse(&db.url).expect("a URL");
    let upstream: SocketAddr = format!(
        "{}:{}",
        through_proxy.host_str().unwrap_or("127.0.0.1"),
        through_proxy.port().unwrap_or(5432)
    )
    .parse()
    .expect("PostgreSQL's address");
    let proxy = Proxy::start(upstream).await;
    through_proxy.set_port(Some(proxy.port)).expect("a port");
    let server = Server::start(through_proxy.as_str()).await;
    let client = reqwest::Client::new();
    let query = "{ drugs(first: 3) { totalCount edges { node { slug } } } }";

    let before = server.graphql(&json!({ "query": query }), None).await;
    assert!(before["errors"].is_null(), "{before}");
    assert!(before["data"]["drugs"]["totalCount"].as_i64() > Some(0));
    readiness_becomes(&client, &server.base, 200).await;

    proxy.cut();
    assert_eq!(
        readiness_becomes(&client, &server.base, 503).await,
        "database unreachable"
    );
    let during = server.graphql(&json!({ "query": query }), None).await;
    assert_eq!(
        during["errors"][0]["extensions"]["code"], "INTERNAL_SERVER_ERROR",
        "{during}"
    );
    assert_eq!(during["errors"][0]["message"], "internal server error");
    assert!(
        !during.to_string().contains(&proxy.port.to_string()),
        "no connection detail reaches the client: {during}"
    );
    assert_eq!(
        reqwest::get(format!("{}/healthz", server.base))
            .await
            .expect("answers")
            .status(),
        200,
        "the process itself stays alive"
    );

    proxy.restore();
    readiness_becomes(&client, &server.base, 200).await;
    let after = server.graphql(&json!({ "query": query }), None).await;
    assert_eq!(after, before, "the same answer once the database is back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_postgres_refuses_writes_and_keeps_its_content() {
    let Some(admin_url) = local_postgres() else {
        eprintln!("skipped: TEST_DATABASE_URL does not name PostgreSQL on this machine");
        return;
    };
    let db = TestDb::postgres(&admin_url).await;
    let name = url::Url::parse(&db.url).expect("a URL").path()[1..].to_owned();
    let pages = tempfile::tempdir().expect("a directory");
    write_pages(pages.path(), 3);
    let path = pages.path().display().to_string();
    let first = run(["import", "--database-url", &db.url, &path]);
    assert!(first.status.success(), "{}", stderr(&first));

    // As on a standby, or a primary an operator set read-only.
    psql(
        &admin_url,
        &format!("ALTER DATABASE {name} SET default_transaction_read_only = on"),
    );
    let more = tempfile::tempdir().expect("a directory");
    std::fs::write(more.path().join("new.html"), bulky_page(99)).expect("write");
    let more_path = more.path().display().to_string();
    let refused = run(["import", "--database-url", &db.url, &more_path]);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    let message = stderr(&refused);
    assert!(
        message.contains("read-only transaction"),
        "the cause is named: {message}"
    );

    psql(
        &admin_url,
        &format!("ALTER DATABASE {name} RESET default_transaction_read_only"),
    );
    let again = run(["import", "--database-url", &db.url, &more_path]);
    assert!(again.status.success(), "{}", stderr(&again));
    let conn = open(&db.url).await;
    assert_eq!(scalar(&conn, "SELECT count(*) FROM pages").await, "4");
}

#[tokio::test]
async fn an_export_to_a_full_disk_fails_clearly_and_leaves_the_old_files() {
    let Some(disk) = Tmpfs::mount("16k") else {
        return;
    };
    let db = TestDb::sqlite().await;
    lmsdr_ingest::bundled::load_if_empty(&db.conn)
        .await
        .expect("bundled page");
    let old = disk.join("lmsdr-export.json");
    std::fs::write(&old, "{\"the\":\"previous export\"}").expect("write");
    let out = disk.path().display().to_string();
    let export = || {
        run([
            "export",
            "--format",
            "json",
            "--out",
            &out,
            "--database-url",
            &db.url,
        ])
    };

    let output = export();
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&old).expect("kept"),
        "{\"the\":\"previous export\"}"
    );
    let files = std::fs::read_dir(disk.path()).expect("dir").count();
    assert_eq!(files, 1, "no partial or temporary file is left");

    disk.remount("size=1m");
    let output = export();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&old).expect("replaced")).expect("JSON");
    assert_eq!(written["drugs"].as_array().map(Vec::len), Some(13));
}
