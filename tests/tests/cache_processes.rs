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

/// A GET of the pages query on a server: its count and its ETag.
async fn get_total(server: &Server) -> (i64, String) {
    let encoded: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("query", PAGES)
        .finish();
    let response = reqwest::get(format!("{}/graphql?{encoded}", server.base))
        .await
        .expect("answers");
    let etag = response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("an ETag")
        .to_owned();
    let body: serde_json::Value = response.json().await.expect("JSON");
    let count = body["data"]["pages"]["totalCount"]
        .as_i64()
        .unwrap_or_else(|| panic!("a count: {body}"));
    (count, etag)
}

#[tokio::test]
async fn a_commit_through_one_replica_moves_the_other_replicas_answer_and_etag() {
    for db in TestDb::all().await {
        let backend = db.backend();
        let flags = ["--admin-token", "cache-admin-token"];
        let a = Server::start_with(&db.url, &flags).await;
        let b = Server::start_with(&db.url, &flags).await;
        let (before, etag) = get_total(&a).await;
        assert_eq!(
            get_total(&a).await,
            (before, etag.clone()),
            "{backend}: cached"
        );

        let imported = b
            .graphql(
                &json!({
                    "query": "mutation($url: String!, $html: String!) { importPage(url: $url, html: $html) { change } }",
                    "variables": {
                        "url": "http://www.lmsdr.org/replica.php",
                        "html": "<html><head><title>Replica</title></head><body><p>Written through the other replica.</p></body></html>",
                    },
                }),
                Some("cache-admin-token"),
            )
            .await;
        assert_eq!(
            imported["data"]["importPage"]["change"], "NEW",
            "{backend}: {imported}"
        );

        let (after, moved) = get_total(&a).await;
        assert_eq!(
            after,
            before + 1,
            "{backend}: seen on the very next request"
        );
        assert_ne!(moved, etag, "{backend}: the ETag moved");
    }
}
