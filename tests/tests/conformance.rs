//! The GraphQL over HTTP spec, as graphql-http's reference audits check it, against a real
//! `lmsdr serve` on SQLite and (with TEST_DATABASE_URL) PostgreSQL: every audit must be `ok`.
//!
//! Needs Node and `npm ci` in `tests/conformance/`; skipped, with a notice, without them.
//! `.ci/run` installs them and sets `LMSDR_REQUIRE_CONFORMANCE=1`, which turns a missing audit
//! into a failure.

use std::process::Command;

use lmsdr_tests::{Server, TestDb, node_helpers};

#[tokio::test]
async fn every_graphql_over_http_audit_is_ok() {
    let Some(dir) = node_helpers("conformance", "graphql-http", "LMSDR_REQUIRE_CONFORMANCE") else {
        return;
    };
    for db in TestDb::all().await {
        let server = Server::start(&db.url).await;
        let url = format!("{}/graphql", server.base);
        let dir = dir.clone();
        let output = tokio::task::spawn_blocking(move || {
            Command::new("node")
                .arg("audit.mjs")
                .arg(&url)
                .current_dir(&dir)
                .output()
                .expect("node runs")
        })
        .await
        .expect("joins");
        let printed = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}: {printed}{}",
            db.backend(),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(printed.contains("61/61 ok"), "{}: {printed}", db.backend());
        drop(server);
    }
}
