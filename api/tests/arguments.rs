//! Argument values a client gets wrong are the client's error (`BAD_USER_INPUT`, with the reason),
//! never a server fault; a date alone, or a date and time without an offset, reads as UTC.

mod common;

use common::TestApp;
use serde_json::json;

const COUNT_AS_OF: &str = "query($at: DateTime) { treatments(asOf: $at) { totalCount } }";

#[tokio::test]
async fn an_unreadable_moment_is_bad_user_input_with_the_reason() {
    for app in TestApp::all().await {
        for query in [
            r#"{ treatments(asOf: "next tuesday") { totalCount } }"#,
            r#"{ treatmentCategories(asOf: "2013-02-30") { name } }"#,
            r#"{ drug(slug: "doxorubicin", asOf: "2013-01-01T25:00:00Z") { genericName } }"#,
        ] {
            let response = app.graphql(query, json!({})).await;
            assert_eq!(
                response.error_code(),
                "BAD_USER_INPUT",
                "{query}: {}",
                response.text()
            );
            let message = response.json()["errors"][0]["message"].to_string();
            assert!(message.contains("is not a date and time"), "{message}");
        }
        let response = app.graphql(COUNT_AS_OF, json!({ "at": "yesterday" })).await;
        assert_eq!(
            response.error_code(),
            "BAD_USER_INPUT",
            "{}",
            response.text()
        );
        let response = app.graphql(COUNT_AS_OF, json!({ "at": 2013 })).await;
        assert_ne!(
            response.error_code(),
            "INTERNAL_SERVER_ERROR",
            "{}",
            response.text()
        );
    }
}

#[tokio::test]
async fn a_date_or_a_time_without_offset_reads_as_utc() {
    for app in TestApp::all().await {
        let count = |at: &'static str| {
            let app = &app;
            async move {
                app.graphql(COUNT_AS_OF, json!({ "at": at })).await.data()["treatments"]
                    ["totalCount"]
                    .clone()
            }
        };
        let now = count("2999-01-01T00:00:00Z").await;
        assert_eq!(count("2999-01-01").await, now);
        assert_eq!(count("2999-01-01T00:00:00").await, now);

        // A value the API itself gives, `lastEdited`, is a moment `asOf` reads.
        let page = app
            .graphql(
                "{ page(url: \"http://www.lmsdr.org/treatments.php\") { lastEdited } }",
                json!({}),
            )
            .await
            .data();
        let last_edited = page["page"]["lastEdited"]
            .as_str()
            .expect("lastEdited")
            .to_owned();
        let response = app.graphql(COUNT_AS_OF, json!({ "at": last_edited })).await;
        assert!(response.json()["errors"].is_null(), "{}", response.text());
    }
}

#[tokio::test]
async fn moments_are_written_with_z() {
    for app in TestApp::all().await {
        let data = app
            .graphql(
                "{ page(url: \"http://www.lmsdr.org/treatments.php\") { fetchedAt } }",
                json!({}),
            )
            .await
            .data();
        let fetched = data["page"]["fetchedAt"].as_str().expect("fetchedAt");
        assert!(fetched.ends_with('Z'), "{fetched}");
    }
}

#[tokio::test]
async fn no_scalar_argument_a_client_gets_wrong_is_a_server_fault() {
    for app in TestApp::all().await {
        for query in [
            r#"{ treatments(first: -1) { totalCount } }"#,
            r#"{ treatments(last: 5, after: "garbage") { totalCount } }"#,
            r#"{ drugs(after: "Y3Vyc29yOjE=") { totalCount } }"#,
            r#"{ pages(first: 100000) { totalCount } }"#,
            r#"{ syncRuns(first: -3) { totalCount } }"#,
            r#"{ changes(after: "zzz") { totalCount } }"#,
            r#"{ node(id: "garbage") { id } }"#,
            r#"{ node(id: "") { id } }"#,
            r#"{ search(query: "") { __typename } }"#,
            r#"{ search(query: "doxorubicin", first: 0) { __typename } }"#,
            r#"{ page(url: "") { url } }"#,
            r#"{ page(url: "not a url at all") { url } }"#,
            r#"{ drug(slug: "") { slug } }"#,
        ] {
            let response = app.graphql(query, json!({})).await;
            let json = response.json();
            for error in json["errors"].as_array().into_iter().flatten() {
                assert_ne!(
                    error["extensions"]["code"], "INTERNAL_SERVER_ERROR",
                    "{query}: {json}"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_scalar_the_schema_uses_is_described() {
    let app = TestApp::new(
        lmsdr_ingest::testing::TestDb::sqlite().await,
        Default::default(),
    );
    let data = app
        .graphql(
            "{ id: __type(name: \"ID\") { description } dateTime: __type(name: \"DateTime\") { description } }",
            json!({}),
        )
        .await
        .data();
    for scalar in ["id", "dateTime"] {
        let description = data[scalar]["description"].as_str().unwrap_or_default();
        assert!(
            description.len() > 40 && !description.starts_with("Implement"),
            "{scalar}: {data}"
        );
    }
}
