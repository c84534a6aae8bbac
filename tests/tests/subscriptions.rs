//! `contentChanged` over WebSocket with a real graphql-ws client (graphql-transport-ws), against a
//! real `lmsdr serve` on SQLite and PostgreSQL: a change committed by another process (`lmsdr
//! import`) reaches the subscriber once; a page seen again announces nothing; on SIGTERM the
//! server completes the subscription cleanly.
//!
//! Needs Node and `npm ci` in `tests/conformance/`; skipped, with a notice, without them, unless
//! `LMSDR_REQUIRE_CONFORMANCE=1` (as `.ci/run` sets).

use std::process::Command;

use lmsdr_tests::subscriber::Subscriber;
use lmsdr_tests::{Server, TestDb, import_fixture, node_helpers};

const FAQ_URL: &str = "http://www.lmsdr.org/faq.php";

/// Imports the FAQ page fixture from a process of its own.
fn import_faq(db: &TestDb) {
    import_fixture(&db.url, "site/faq.php");
}

#[tokio::test]
async fn a_change_committed_by_another_process_reaches_the_subscriber_once() {
    let Some(dir) = node_helpers("conformance", "graphql-ws", "LMSDR_REQUIRE_CONFORMANCE") else {
        return;
    };
    for db in TestDb::all().await {
        let server = Server::start(&db.url).await;
        let subscriber = Subscriber::start(&dir, &server, 1).await;
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
        server.wait_for_subscribers(|n| n == 0).await;

        // The same page again changes nothing, and announces nothing; the next change is
        // the first thing the next subscriber hears.
        let subscriber = Subscriber::start(&dir, &server, 1).await;
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
