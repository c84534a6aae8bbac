//! `contentChanged` over WebSocket with a real graphql-ws client (graphql-transport-ws), against a
//! real `lmsdr serve` on SQLite and PostgreSQL: a change committed by another process (`lmsdr
//! import`) reaches the subscriber once; a page seen again announces nothing; on SIGTERM the
//! server completes the subscription cleanly.
//!
//! Needs Node and `npm ci` in `tests/conformance/`; skipped, with a notice, without them, unless
//! `LMSDR_REQUIRE_CONFORMANCE=1` (as `.ci/run` sets).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use lmsdr_tests::{Server, TestDb, import_dir, node_helpers};
use serde_json::Value;

const FAQ_URL: &str = "http://www.lmsdr.org/faq.php";

/// A graphql-ws subscriber, its output read line by line on a thread of its own.
struct Subscriber {
    child: Child,
    lines: mpsc::Receiver<Value>,
}

impl Subscriber {
    fn start(dir: &Path, server: &Server, count: usize) -> Subscriber {
        let url = format!("{}/graphql", server.base.replacen("http", "ws", 1));
        let mut child = Command::new("node")
            .args(["subscribe.mjs", &url, &count.to_string(), "30000"])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs");
        let stdout: ChildStdout = child.stdout.take().expect("stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let value = serde_json::from_str(&line).unwrap_or(Value::String(line));
                if sender.send(value).is_err() {
                    return;
                }
            }
        });
        let subscriber = Subscriber { child, lines };
        assert_eq!(
            subscriber.next()["connected"],
            true,
            "the server acknowledges"
        );
        subscriber
    }

    /// The next line, waiting at most 20 s.
    fn next(&self) -> Value {
        self.lines
            .recv_timeout(Duration::from_secs(20))
            .expect("the subscriber prints within 20 s")
    }

    fn exit_code(mut self) -> Option<i32> {
        self.child.wait().expect("waits").code()
    }
}

/// Imports the FAQ page fixture from a process of its own.
fn import_faq(db: &TestDb) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../ingest/tests/fixtures/site/faq.php"
        ),
        dir.path().join("faq.php"),
    )
    .expect("copy");
    import_dir(&db.url, dir.path());
}

#[tokio::test]
async fn a_change_committed_by_another_process_reaches_the_subscriber_once() {
    let Some(dir) = node_helpers("conformance", "graphql-ws", "LMSDR_REQUIRE_CONFORMANCE") else {
        return;
    };
    for db in TestDb::all().await {
        let server = Server::start(&db.url).await;
        let subscriber = Subscriber::start(&dir, &server, 1);
        import_faq(&db);
        let event = subscriber.next();
        let change = &event["data"]["contentChanged"];
        assert_eq!(change["run"]["kind"], "IMPORT", "{}: {event}", db.backend());
        let pages = change["pages"].as_array().expect("pages");
        assert_eq!(pages.len(), 1, "{event}");
        assert_eq!(pages[0]["kind"], "NEW");
        assert_eq!(pages[0]["page"]["url"], FAQ_URL);
        assert_eq!(pages[0]["revision"]["number"], 1);
        assert_eq!(subscriber.exit_code(), Some(0));

        // The same page again changes nothing, and announces nothing; the next change is
        // the first thing the next subscriber hears.
        let subscriber = Subscriber::start(&dir, &server, 1);
        import_faq(&db);
        let status = server.pid();
        let terminated = Command::new("kill")
            .args(["-TERM", &status.to_string()])
            .status()
            .expect("kill runs");
        assert!(terminated.success());
        assert_eq!(
            subscriber.next(),
            serde_json::json!({ "complete": true }),
            "{}: nothing announced, and the subscription completes on shutdown",
            db.backend()
        );
        assert_eq!(subscriber.exit_code(), Some(0));
        drop(server);
    }
}
