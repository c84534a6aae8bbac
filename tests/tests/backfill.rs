//! `lmsdr backfill`, the real binary, against a local archive, on SQLite and (with
//! TEST_DATABASE_URL) PostgreSQL: a run killed mid-way (SIGKILL, while a capture is being
//! fetched) is resumed by the next, which fetches only what the first did not; then `lmsdr
//! serve` answers the history over Memento, read by a real Memento client (the Python
//! `memento_client`) when `tests/memento/.venv` has it.
//!
//! `.ci/run` installs the client and sets `LMSDR_REQUIRE_MEMENTO_CLIENT=1`, which turns its
//! absence into a failure.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Stdio;

use lmsdr_ingest::testing::wayback::{Api, FakeArchive, lmsdr_history};
use lmsdr_tests::{Server, TestDb, lmsdr};
use serde_json::Value;

const TREATMENTS: &str = "http://www.lmsdr.org/treatments.php";

/// `lmsdr backfill` of the fixture archive as a child process, fast (the archive is local).
fn backfill(archive: &FakeArchive, database_url: &str) -> tokio::process::Command {
    let mut command = lmsdr([
        "backfill",
        "--archive",
        &archive.base,
        "--site",
        "http://www.lmsdr.org/",
        "--listings-per-minute",
        "60000",
        "--fetches-per-second",
        "1000",
        "--json",
        "--database-url",
        database_url,
    ]);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    tokio::process::Command::from(command)
}

/// The Python interpreter of `tests/memento/.venv` when the Memento client is installed there.
fn memento_client() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("memento");
    let python = dir.join(".venv/bin/python");
    let present = std::process::Command::new(&python)
        .args(["-c", "import memento_client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        let required = std::env::var("LMSDR_REQUIRE_MEMENTO_CLIENT").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "LMSDR_REQUIRE_MEMENTO_CLIENT=1 but {} has no memento_client",
            dir.display()
        );
        eprintln!("notice: tests/memento/.venv not installed; skipping the Memento client");
    }
    present.then_some(python)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_backfill_resumes_and_its_history_reads_over_memento() {
    for db in TestDb::all().await {
        let backend = db.backend();
        let archive = FakeArchive::start(Api::Wayback, lmsdr_history()).await;

        // Killed while fetching its third capture.
        archive.hang_after(2);
        let mut first = backfill(&archive, &db.url)
            .kill_on_drop(true)
            .spawn()
            .expect("lmsdr backfill starts");
        archive.hung().await;
        first.kill().await.expect("killed");
        let stored_before = archive.fetched();
        assert_eq!(stored_before.len(), 2, "{backend}: {stored_before:?}");

        // The next run takes the lock over, and fetches only what is left.
        archive.answer_all();
        let output = backfill(&archive, &db.url)
            .output()
            .await
            .expect("lmsdr backfill runs");
        let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "{backend}: not JSON ({e}): {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        // Exit 2: the capture whose digest does not match is reported as failed.
        assert_eq!(output.status.code(), Some(2), "{backend}: {report}");
        assert_eq!(report["alreadyFetched"], 2, "{backend}: {report}");
        assert_eq!(
            report["captures"].as_array().map(Vec::len),
            Some(2),
            "{backend}"
        );
        let fetched = archive.fetched();
        let distinct: BTreeSet<&String> = fetched.iter().collect();
        assert_eq!(fetched.len(), 5, "{backend}: {fetched:?}");
        assert_eq!(distinct.len(), 5, "{backend}: nothing fetched twice");

        // The history over Memento, from a real server.
        let server = Server::start(&db.url).await;
        let timemap = reqwest::get(format!("{}/timemap/link/{TREATMENTS}", server.base))
            .await
            .expect("timemap")
            .text()
            .await
            .expect("body");
        assert_eq!(
            timemap.matches("memento\"; datetime=").count(),
            3,
            "{backend}: {timemap}"
        );
        let Some(python) = memento_client() else {
            continue;
        };
        let uri_m = format!("{}/memento/20120801100000/{TREATMENTS}", server.base);
        let read = std::process::Command::new(python)
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("memento/read.py"))
            .args([&server.base, &uri_m, "20120601000000"])
            .output()
            .expect("the Memento client runs");
        assert!(
            read.status.success(),
            "{backend}: {}",
            String::from_utf8_lossy(&read.stderr)
        );
        let info: Value = serde_json::from_slice(&read.stdout).expect("JSON");
        assert_eq!(info["original_uri"], TREATMENTS, "{backend}: {info}");
        let mementos = &info["mementos"];
        assert_eq!(
            mementos["closest"]["datetime"], "20120501100000",
            "{backend}: in force in June 2012: {info}"
        );
        assert_eq!(mementos["closest"]["http_status_code"], 200, "{backend}");
        assert_eq!(mementos["first"]["datetime"], "20110301100000", "{backend}");
        assert_eq!(mementos["prev"]["datetime"], "20110301100000", "{backend}");
        assert_eq!(mementos["next"]["datetime"], "20120801100000", "{backend}");
        assert_eq!(mementos["last"]["datetime"], "20120801100000", "{backend}");
    }
}
