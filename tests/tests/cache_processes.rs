//! The response cache of a running `lmsdr serve` answers a commit made by another process —
//! `lmsdr import` run beside it — on the very next request, on SQLite and PostgreSQL.

use lmsdr_tests::{Server, TestDb, import_fixture};
use serde_json::json;

const PAGES: &str = "{ pages(first: 5) { totalCount } }";

async fn total(server: &Server) -> i64 {
    let body = server.graphql(&json!({ "query": PAGES }), None).await;
    body["data"]["pages"]["totalCount"]
        .as_i64()
        .unwrap_or_else(|| panic!("a count: {body}"))
}

#[tokio::test]
async fn a_commit_by_another_process_is_seen_on_the_next_request() {
    for db in TestDb::all().await {
        let backend = db.backend();
        let server = Server::start(&db.url).await;
        let before = total(&server).await;
        // Asked twice, so that the answer is the cached one.
        assert_eq!(total(&server).await, before, "{backend}");

        let url = db.url.clone();
        tokio::task::spawn_blocking(move || import_fixture(&url, "site/faq.php"))
            .await
            .expect("joins");

        assert_eq!(
            total(&server).await,
            before + 1,
            "{backend}: the import had returned before this request"
        );
    }
}
