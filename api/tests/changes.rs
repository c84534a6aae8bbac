//! The change feed on SQLite and PostgreSQL: one event per accepted change, written with the
//! change; nothing for a page seen again or a held revision until a person accepts it; read
//! through GraphQL `changes` and `GET /export/changes`, resumable from a cursor.

mod common;

use axum::http::{StatusCode, header};
use common::{TestApp, admin};
use serde_json::{Value, json};

const MAINTENANCE: &str =
    "<html><head><title>Maintenance</title></head><body><p>Down for maintenance</p></body></html>";
const FAQ_URL: &str = "http://www.lmsdr.org/faq.php";
const TREATMENTS_URL: &str = "http://www.lmsdr.org/treatments.php";
const CHANGES: &str = "query($after: String) { changes(first: 50, after: $after) {
    totalCount pageInfo { endCursor hasNextPage }
    edges { cursor node { kind committedAt page { url } revision { number quarantined }
        run { id } summary { drugs { added removed } } } } } }";

impl TestApp {
    async fn changes(&self, after: Option<&str>) -> Value {
        self.graphql(CHANGES, json!({ "after": after }))
            .await
            .data()["changes"]
            .clone()
    }

    async fn import(&self, url: &str, html: &str) -> Value {
        self.as_admin(
            "mutation($url: String!, $html: String!) { importPage(url: $url, html: $html) {
                change page { url } } }",
            json!({ "url": url, "html": html }),
        )
        .await
        .data()["importPage"]
            .clone()
    }

    async fn feed(&self, query: &str) -> common::TestResponse {
        self.get(&format!("/export/changes{query}")).await
    }
}

fn faq() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ingest/tests/fixtures/site/faq.php"
    ))
    .expect("fixture")
}

fn kinds(changes: &Value) -> Vec<(String, String)> {
    changes["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            let node = &e["node"];
            (
                node["kind"].as_str().unwrap_or_default().to_owned(),
                node["page"]["url"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn each_accepted_change_is_one_event_and_the_feed_resumes_from_a_cursor() {
    for app in TestApp::all_with(admin()).await {
        let backend = app.db.backend();
        let first = app.changes(None).await;
        assert_eq!(
            kinds(&first),
            [("NEW".to_owned(), TREATMENTS_URL.to_owned())],
            "{backend}: the bundled page is the first change"
        );
        let added = &first["edges"][0]["node"]["summary"]["drugs"]["added"];
        assert!(
            added
                .as_array()
                .is_some_and(|a| a.contains(&"doxorubicin".into())),
            "{added}"
        );
        let cursor = first["pageInfo"]["endCursor"]
            .as_str()
            .expect("cursor")
            .to_owned();

        assert_eq!(app.import(FAQ_URL, &faq()).await["change"], "NEW");
        assert_eq!(app.import(FAQ_URL, &faq()).await["change"], "UNCHANGED");
        let held = app.import(TREATMENTS_URL, MAINTENANCE).await;
        assert_eq!(held["change"], "QUARANTINED");

        let since = app.changes(Some(&cursor)).await;
        assert_eq!(
            kinds(&since),
            [("NEW".to_owned(), FAQ_URL.to_owned())],
            "{backend}: a page seen again and a held revision announce nothing"
        );
        assert_eq!(since["totalCount"], 2);

        // Accepting the held revision announces it, then.
        // Held revisions are for admins.
        let revisions = app
            .as_admin(
                "query($url: String!) { page(url: $url) { revisions(first: 5) { nodes { id quarantined } } } }",
                json!({ "url": TREATMENTS_URL }),
            )
            .await
            .data();
        let held_id = revisions["page"]["revisions"]["nodes"][0]["id"].clone();
        let accepted = app
            .as_admin(
                "mutation($id: ID!) { acceptRevision(id: $id) { number } }",
                json!({ "id": held_id }),
            )
            .await
            .data();
        assert_eq!(accepted["acceptRevision"]["number"], 2);
        let all = app.changes(None).await;
        assert_eq!(
            kinds(&all).last(),
            Some(&("ACCEPTED".to_owned(), TREATMENTS_URL.to_owned())),
            "{backend}"
        );
        let last = &all["edges"][2]["node"];
        assert_eq!(last["revision"]["number"], 2);
        assert_eq!(last["revision"]["quarantined"], false);
        assert!(last["run"].is_null(), "a person's review is no run");
        let removed = &last["summary"]["drugs"]["removed"];
        assert!(
            removed.as_array().is_some_and(|r| r.len() >= 13),
            "{backend}: {removed}"
        );

        // The same events over HTTP, with the same cursors.
        let response = app.feed("").await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.content_type(), "application/x-ndjson");
        let lines: Vec<Value> = response
            .text()
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON"))
            .collect();
        assert_eq!(lines.len(), 3, "{backend}");
        for (line, edge) in lines.iter().zip(all["edges"].as_array().expect("edges")) {
            assert_eq!(line["type"], "change");
            assert_eq!(line["cursor"], edge["cursor"]);
            assert_eq!(
                line["kind"].as_str().map(str::to_uppercase).as_deref(),
                edge["node"]["kind"].as_str()
            );
            assert_eq!(line["page"]["url"], edge["node"]["page"]["url"]);
            assert_eq!(
                line["revision"]["number"],
                edge["node"]["revision"]["number"]
            );
        }
        // Each slug the summary lists is named: what was added and, delisted since, removed.
        for (line, side) in [(&lines[0], "added"), (&lines[2], "removed")] {
            for kind in ["treatments", "drugs", "regimens"] {
                let delta = &line["summary"][kind];
                let slugs = delta[side].as_array().expect("slugs");
                assert!(!slugs.is_empty(), "{backend}: {kind} {side}: {delta}");
                for slug in slugs {
                    let name = delta["names"][slug.as_str().expect("slug")].as_str();
                    assert!(
                        name.is_some_and(|n| !n.is_empty()),
                        "{backend}: {kind} {slug} has no name: {delta}"
                    );
                }
            }
        }
        assert_eq!(
            lines[0]["summary"]["drugs"]["names"]["gemcitabine"], "gemcitabine",
            "{backend}"
        );
        // The same names through GraphQL, for every change of a request in one query a kind.
        app.take_statement_count();
        let named = app
            .graphql(
                "{ changes(first: 10) { nodes { summary {
                    drugs { added removed names { slug name } }
                    treatments { added names { slug name } } } } } }",
                json!({}),
            )
            .await
            .data();
        let statements = app.take_statement_count();
        let nodes = named["changes"]["nodes"].as_array().expect("nodes");
        for node in nodes {
            let drugs = &node["summary"]["drugs"];
            let listed = drugs["added"].as_array().expect("added").len()
                + drugs["removed"].as_array().expect("removed").len();
            assert_eq!(
                drugs["names"].as_array().expect("names").len(),
                listed,
                "{drugs}"
            );
        }
        let first_names = &nodes[0]["summary"]["drugs"]["names"];
        assert!(
            first_names
                .as_array()
                .expect("names")
                .iter()
                .any(|n| n["slug"] == "gemcitabine" && n["name"] == "gemcitabine"),
            "{backend}: {first_names}"
        );
        assert!(
            nodes[0]["summary"]["treatments"]["names"][0]["name"].is_string(),
            "{backend}"
        );
        assert!(
            statements <= 6,
            "{backend}: {statements} statements for names of 3 changes"
        );
        let next = response.headers[header::LINK]
            .to_str()
            .expect("link")
            .to_owned();
        let last_cursor = lines[2]["cursor"].as_str().expect("cursor");
        assert!(next.contains(&format!("after={last_cursor}")), "{next}");
        let resumed = app
            .feed(&format!(
                "?after={}",
                lines[0]["cursor"].as_str().expect("c")
            ))
            .await;
        assert_eq!(resumed.text().lines().count(), 2);
        let caught_up = app.feed(&format!("?after={last_cursor}")).await;
        assert_eq!(caught_up.status, StatusCode::OK);
        assert!(caught_up.body.is_empty(), "nothing since the last cursor");
        assert_eq!(app.feed("?limit=1").await.text().lines().count(), 1);

        for bad in ["?after=nonsense", "?limit=0", "?limit=10001", "?since=1"] {
            let refused = app.feed(bad).await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
            assert!(refused.json()["error"].is_string(), "{bad}");
        }
    }
}
