//! One small request cannot ask for an answer without bound, on SQLite and PostgreSQL: big
//! fields weigh by what they carry, the operations of a batch share one cost budget, and an
//! answer stops growing at `MAX_RESPONSE_BYTES` of big fields, with an error saying so.

mod common;

use common::{ARTICLES, TestApp, store_articles};
use lmsdr_api::graphql::MAX_RESPONSE_BYTES;
use serde_json::{Value, json};

/// The codes of a response's errors.
fn codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["extensions"]["code"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn big_fields_aliases_and_batches_cannot_amplify_an_answer() {
    for app in TestApp::all().await {
        let backend = app.db.backend();
        store_articles(&app.db.conn).await;

        // The request measured at 500 bytes in, 87.8 MB out: nine aliases of every page's
        // text and HTML. Refused before it runs.
        let aliases: String = (0..9)
            .map(|i| {
                format!(
                    "a{i}: pages(first: 100) {{ edges {{ node {{ content {{ text html }} }} }} }} "
                )
            })
            .collect();
        let amplified = app.graphql(&format!("{{ {aliases} }}"), json!({})).await;
        assert!(
            amplified.body.len() < 2_000,
            "{backend}: {}",
            amplified.text()
        );
        assert_eq!(
            amplified.error_code(),
            "GRAPHQL_VALIDATION_FAILED",
            "{backend}"
        );

        // A batch shares one budget: each of these alone is allowed, three together are not.
        // (Each costs about 2,100: 100 pages, each with 4 revisions; each is written a little
        // differently, so that none is answered from the response cache.)
        let costly = |first: u32| {
            json!({ "query": format!("{{ pages(first: {first}) {{ edges {{ node {{ url title
                revisions(first: 4) {{ nodes {{ number origin fetchedAt }} }} }} }} }} }}") })
        };
        let batch = app
            .post_json(
                json!([costly(100), costly(99), costly(98)]),
                &[("accept", "application/json")],
            )
            .await;
        let answers = batch.json();
        let answers = answers.as_array().expect("one answer per operation");
        assert_eq!(answers.len(), 3, "{backend}");
        assert!(
            codes(&answers[0]).is_empty(),
            "{backend}: {}",
            answers[0]["errors"]
        );
        assert!(
            codes(&answers[1]).is_empty(),
            "{backend}: {}",
            answers[1]["errors"]
        );
        assert_eq!(
            codes(&answers[2]),
            ["GRAPHQL_VALIDATION_FAILED"],
            "{backend}"
        );
        assert!(
            answers[2]["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("together")),
            "{backend}: {}",
            answers[2]
        );

        // Within the cost, the texts still outweigh one answer: it stops at the limit, keeps
        // what fitted, and says why the rest is null.
        let all = app
            .graphql(
                "{ pages(first: 100) { edges { node { url content { text } } } } }",
                json!({}),
            )
            .await;
        assert!(
            all.body.len() < MAX_RESPONSE_BYTES + 512 * 1024,
            "{backend}: {} bytes",
            all.body.len()
        );
        let all = all.json();
        assert!(
            codes(&all).iter().all(|c| c == "RESPONSE_TOO_LARGE") && !codes(&all).is_empty(),
            "{backend}: {:?}",
            codes(&all)
        );
        let texts = all["data"]["pages"]["edges"]
            .as_array()
            .map(|edges| {
                edges
                    .iter()
                    .filter(|e| e["node"]["content"]["text"].is_string())
                    .count()
            })
            .unwrap_or_default();
        assert!(
            texts > 40 && texts < ARTICLES,
            "{backend}: {texts} texts answered"
        );
    }
}

#[tokio::test]
async fn searches_cost_what_ranking_them_takes() {
    for app in TestApp::all().await {
        let backend = app.db.backend();
        let one = "{ search(query: \"doxorubicin\", first: 10) { totalCount edges { snippet } } }";
        let answered = app.graphql(one, json!({})).await.data();
        assert!(
            answered["search"]["totalCount"].as_i64() > Some(0),
            "{backend}"
        );

        // Sixteen searches in one document, as a 9 KB request of ten such ran to the timeout.
        let sixteen: String = (0..16)
            .map(|i| {
                format!("s{i}: search(query: \"lms {i}\", first: 100) {{ edges {{ snippet }} }} ")
            })
            .collect();
        let refused = app.graphql(&format!("{{ {sixteen} }}"), json!({})).await;
        assert_eq!(
            refused.error_code(),
            "GRAPHQL_VALIDATION_FAILED",
            "{backend}"
        );
    }
}
