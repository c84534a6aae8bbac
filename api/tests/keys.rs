//! One key per entity, the same everywhere: a treatment is `category/treatment` in GraphQL, the
//! change feed and every export, so that two categories listing an item of the same name are
//! two treatments with two keys.

mod common;

use std::collections::BTreeSet;

use common::TestApp;
use lmsdr_ingest::testing::store_bundled_edit;
use serde_json::{Value, json};

/// The bundled page a year on, its radiation list ending with "Other techniques" as its
/// interventional radiology list does.
async fn list_other_techniques_twice(app: &TestApp) {
    let anchor = "<LI>Radioisotope treatments of several sorts\r\n";
    let edited = format!("{anchor}<LI>Other techniques\r\n");
    store_bundled_edit(&app.db.conn, anchor, &edited, "2013-08-01T00:00:00Z").await;
}

fn strings(values: impl IntoIterator<Item = Value>) -> Vec<String> {
    values
        .into_iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

#[tokio::test]
async fn a_treatment_has_one_key_in_graphql_the_change_feed_and_every_export() {
    for app in TestApp::all().await {
        let backend = app.db.backend();
        list_other_techniques_twice(&app).await;

        let data = app
            .graphql(
                "{ treatmentCategories { slug treatments { slug } } }",
                json!({}),
            )
            .await
            .data();
        let mut graphql = Vec::new();
        for category in data["treatmentCategories"].as_array().expect("categories") {
            let prefix = format!("{}/", category["slug"].as_str().expect("slug"));
            for treatment in category["treatments"].as_array().expect("treatments") {
                let key = treatment["slug"].as_str().expect("a key").to_owned();
                assert!(key.starts_with(&prefix), "{backend}: {key} in {prefix}");
                graphql.push(key);
            }
        }
        let keys: BTreeSet<String> = graphql.iter().cloned().collect();
        assert_eq!(
            keys.len(),
            graphql.len(),
            "{backend}: unique keys {graphql:?}"
        );
        let others: Vec<&String> = keys
            .iter()
            .filter(|k| k.ends_with("/other-techniques"))
            .collect();
        assert_eq!(others.len(), 2, "{backend}: {keys:?}");

        // The same keys in each export, and in the change that added the new item.
        let records: Vec<Value> = app
            .get("/export/ndjson")
            .await
            .text()
            .lines()
            .map(|line| serde_json::from_str(line).expect("JSON"))
            .collect();
        let exported: BTreeSet<String> = strings(
            records
                .iter()
                .filter(|r| r["type"] == "treatment" && r["delistedAt"].is_null())
                .map(|r| r["slug"].clone()),
        )
        .into_iter()
        .collect();
        assert_eq!(exported, keys, "{backend}: NDJSON");

        let jsonld: Value =
            serde_json::from_str(&app.get("/export/jsonld").await.text()).expect("JSON-LD");
        let ids: Vec<String> = strings(
            jsonld["@graph"]
                .as_array()
                .expect("graph")
                .iter()
                .filter_map(|node| node["@id"].as_str())
                .filter(|id| id.starts_with("urn:lmsdr:treatment:"))
                .map(|id| Value::from(id.trim_start_matches("urn:lmsdr:treatment:"))),
        );
        let unique: BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{backend}: JSON-LD ids {ids:?}");
        assert!(
            keys.iter().all(|k| unique.contains(k)),
            "{backend}: {ids:?}"
        );

        let feed = app.get("/export/changes").await.text();
        let last: Value =
            serde_json::from_str(feed.lines().last().expect("a change")).expect("JSON");
        let added = strings(
            last["summary"]["treatments"]["added"]
                .as_array()
                .expect("added")
                .iter()
                .cloned(),
        );
        let [key] = added.as_slice() else {
            panic!("{backend}: one treatment added: {last}");
        };
        assert!(
            key.starts_with("radiation") && key.ends_with("/other-techniques"),
            "{backend}: {key}"
        );
        assert!(keys.contains(key), "{backend}");

        // Looked up by its key; the bare slug names two treatments.
        let found = app
            .graphql(
                "query($key: String!) { treatment(slug: $key) { slug } }",
                json!({ "key": key }),
            )
            .await
            .data();
        assert_eq!(found["treatment"]["slug"], key.as_str(), "{backend}");
        let ambiguous = app
            .graphql(
                "{ treatment(slug: \"other-techniques\") { slug } }",
                json!({}),
            )
            .await;
        assert_eq!(ambiguous.error_code(), "BAD_USER_INPUT", "{backend}");
    }
}
