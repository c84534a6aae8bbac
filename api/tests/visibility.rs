//! Held and rejected content is for admins, on SQLite and PostgreSQL: anonymous readers see the
//! revisions that apply, through every way in — `page.revisions` (first page and later pages),
//! `node(id:)`, the JSON, NDJSON and CSV exports — and the admin token sees them all.

mod common;

use chrono::{Duration, Utc};
use common::{TestApp, admin};
use lmsdr_ingest::bundled::TREATMENTS_URL;
use lmsdr_ingest::testing::store_bundled_edit;
use serde_json::{Value, json};

/// A maintenance page that sends readers elsewhere: held, because it guts the treatments page.
const PHISHING: &str = "<html><head><title>Maintenance</title></head><body>\
    <p>Down for maintenance. Meanwhile read the treatments at \
    <a href=\"http://phish.example/lms\">phish.example</a>.</p></body></html>";

const REVISIONS: &str = "query($url: String!, $first: Int, $after: String) {
    page(url: $url) { revisions(first: $first, after: $after) {
        totalCount nodes { id quarantined review diff content { text } }
        pageInfo { endCursor hasNextPage } } } }";

impl TestApp {
    /// The treatments page's revisions as anonymous readers or admins see them.
    async fn revisions_seen(&self, as_admin: bool, first: i32, after: Option<&str>) -> Value {
        let variables = json!({ "url": TREATMENTS_URL, "first": first, "after": after });
        let response = if as_admin {
            self.as_admin(REVISIONS, variables).await
        } else {
            self.graphql(REVISIONS, variables).await
        };
        response.data()["page"]["revisions"].clone()
    }

    /// Asserts that no anonymous way in shows the held revision or its text.
    async fn assert_hidden(&self, held_id: &str, stage: &str) {
        let backend = self.db.backend();
        let first = self.revisions_seen(false, 50, None).await;
        assert_eq!(first["totalCount"], 2, "{backend} {stage}: {first}");
        let ids: Vec<&Value> = first["nodes"]
            .as_array()
            .map(|n| n.iter().map(|r| &r["id"]).collect())
            .unwrap_or_default();
        assert!(
            !ids.iter().any(|id| *id == held_id),
            "{backend} {stage}: {first}"
        );
        assert!(!first.to_string().contains("phish.example"), "{backend}");

        // The later pages, read through a cursor, skip it too.
        let one = self.revisions_seen(false, 1, None).await;
        let cursor = one["pageInfo"]["endCursor"].as_str().expect("a cursor");
        let rest = self.revisions_seen(false, 10, Some(cursor)).await;
        assert_eq!(
            rest["nodes"].as_array().map(Vec::len),
            Some(1),
            "{backend} {stage}: {rest}"
        );
        assert!(!rest.to_string().contains(held_id), "{backend} {stage}");

        let node = self
            .graphql(
                "query($id: ID!) { node(id: $id) { id ... on Revision { diff } } }",
                json!({ "id": held_id }),
            )
            .await
            .data();
        assert_eq!(node["node"], Value::Null, "{backend} {stage}");

        for path in [
            "/export/json",
            "/export/ndjson",
            "/export/jsonld",
            "/export/csv/revisions.csv",
            "/export/csv/pages.csv",
        ] {
            let export = self.get(path).await;
            assert!(export.status.is_success(), "{backend} {path}");
            let text = export.text();
            assert!(
                !text.contains("phish.example") && !text.contains(held_id),
                "{backend} {stage}: {path} shows the held revision"
            );
        }
    }
}

#[tokio::test]
async fn held_and_rejected_revisions_are_for_admins_only() {
    for app in TestApp::all_with(admin()).await {
        let backend = app.db.backend();
        let imported = app
            .as_admin(
                "mutation($url: String!, $html: String!) {
                    importPage(url: $url, html: $html) { change } }",
                json!({ "url": TREATMENTS_URL, "html": PHISHING }),
            )
            .await
            .data();
        assert_eq!(imported["importPage"]["change"], "QUARANTINED", "{backend}");
        // A later edit that applies, so that the held revision sits between two that do.
        let later = (Utc::now() + Duration::minutes(5)).to_rfc3339();
        store_bundled_edit(
            &app.db.conn,
            "Therapy for uterine LMS may be useful",
            "Therapy for uterine LMS can be useful",
            &later,
        )
        .await;

        let seen = app.revisions_seen(true, 50, None).await;
        assert_eq!(
            seen["totalCount"], 3,
            "{backend}: the admin sees all: {seen}"
        );
        let held = seen["nodes"]
            .as_array()
            .and_then(|n| n.iter().find(|r| r["quarantined"] == true))
            .expect("the held revision")
            .clone();
        assert!(
            held.to_string().contains("phish.example"),
            "{backend}: the admin reads what was held: {held}"
        );
        let held_id = held["id"].as_str().expect("an ID").to_owned();
        app.assert_hidden(&held_id, "held").await;

        let rejected = app
            .as_admin(
                "mutation($id: ID!) { rejectRevision(id: $id) { review } }",
                json!({ "id": held_id }),
            )
            .await
            .data();
        assert_eq!(
            rejected["rejectRevision"]["review"], "REJECTED",
            "{backend}"
        );
        app.assert_hidden(&held_id, "rejected").await;

        let node = app
            .as_admin(
                "query($id: ID!) { node(id: $id) { ... on Revision { review } } }",
                json!({ "id": held_id }),
            )
            .await
            .data();
        assert_eq!(
            node["node"]["review"], "REJECTED",
            "{backend}: admins still see it"
        );
    }
}
