//! The response cache: an answer is served again while nothing is committed, and never after;
//! one variable set's answer never answers another; answers with errors and answers to anyone
//! who says who they are are never kept.

mod common;

use axum::http::{StatusCode, header};
use common::{TestApp, admin};
use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;
use lmsdr_ingest::pipeline::{self, Input};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

const PAGES: &str = "{ pages(first: 5) { totalCount edges { node { url title } } } }";

async fn add_page(app: &TestApp, path: &str) {
    let html = format!(
        "<html><head><title>{path}</title></head><body><p>News of the tissue bank at {path}.</p></body></html>"
    );
    let input = Input::new(
        Url::parse(&format!("http://www.lmsdr.org{path}")).expect("url"),
        html.into_bytes(),
        RevisionOrigin::Import,
    );
    pipeline::ingest(&app.db.conn, input).await.expect("stored");
}

#[tokio::test]
async fn an_answer_is_served_again_until_a_commit_and_never_after() {
    for app in TestApp::all().await {
        let backend = app.db.backend();
        let first = app.graphql(PAGES, json!({})).await.data();
        let ran = app.take_statement_count();
        let again = app.graphql(PAGES, json!({})).await.data();
        let cached = app.take_statement_count();
        assert_eq!(again, first, "{backend}");
        assert!(
            cached < ran && cached <= 1,
            "{backend}: {ran} statements, then {cached} (the generation read)"
        );

        add_page(&app, "/news.php").await;
        let after = app.graphql(PAGES, json!({})).await.data();
        assert_eq!(
            after["pages"]["totalCount"],
            first["pages"]["totalCount"].as_i64().expect("a count") + 1,
            "{backend}: the commit is seen by the very next request"
        );
    }
}

#[tokio::test]
async fn one_variable_sets_answer_never_answers_another() {
    for app in TestApp::all().await {
        let query = "query($slug: String!) { drug(slug: $slug) { genericName } }";
        for _ in 0..2 {
            for slug in ["doxorubicin", "gemcitabine", "nothing-such"] {
                let data = app.graphql(query, json!({ "slug": slug })).await.data();
                let expected = if slug == "nothing-such" {
                    Value::Null
                } else {
                    json!(slug)
                };
                assert_eq!(data["drug"]["genericName"], expected, "{slug}");
            }
        }
    }
}

#[tokio::test]
async fn answers_with_errors_are_never_kept() {
    for app in TestApp::all().await {
        let query = "{ pages(first: 1) { totalCount } tooMany: pages(first: 1000) { totalCount } }";
        let first = app.graphql(query, json!({})).await;
        assert_eq!(first.error_code(), "PAGE_SIZE_EXCEEDED", "{}", first.text());
        app.take_statement_count();
        let again = app.graphql(query, json!({})).await;
        assert_eq!(again.error_code(), "PAGE_SIZE_EXCEEDED");
        assert!(
            app.take_statement_count() > 1,
            "the errored answer ran again rather than being served from the cache"
        );
    }
}

#[tokio::test]
async fn what_an_admin_is_told_is_never_told_to_anyone_else() {
    for app in TestApp::all_with(admin()).await {
        let registered = app
            .as_admin(
                "mutation { registerWebhook(url: \"https://93.184.216.34/hook\", secret: \"a long enough secret\") { id } }",
                json!({}),
            )
            .await;
        assert!(
            registered.json()["errors"].is_null(),
            "{}",
            registered.text()
        );
        let query = "{ webhooks { url } }";
        let told = app.as_admin(query, json!({})).await.data();
        assert_eq!(told["webhooks"][0]["url"], "https://93.184.216.34/hook");
        let anonymous = app.graphql(query, json!({})).await;
        assert!(
            anonymous.json()["data"]["webhooks"].is_null() && !anonymous.json()["errors"].is_null(),
            "{}",
            anonymous.text()
        );
    }
}

/// `/graphql?query=…` for a query and its variables.
fn get_path(query: &str, variables: &Value) -> String {
    let encoded: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("query", query)
        .append_pair("variables", &variables.to_string())
        .finish();
    format!("/graphql?{encoded}")
}

#[tokio::test]
async fn a_get_query_revalidates_with_its_etag_until_a_commit() {
    for app in TestApp::all_with(admin()).await {
        let backend = app.db.backend();
        let path = get_path(PAGES, &json!({}));
        let first = app.get(&path).await;
        assert_eq!(first.status, StatusCode::OK, "{backend}: {}", first.text());
        let etag = first.headers[header::ETAG]
            .to_str()
            .expect("an ETag")
            .to_owned();
        assert_eq!(
            first.headers[header::CACHE_CONTROL],
            "public, max-age=10, must-revalidate"
        );

        let unchanged = app.get_with(&path, &[(header::IF_NONE_MATCH, &etag)]).await;
        assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED, "{backend}");
        assert!(unchanged.body.is_empty(), "{backend}");
        assert_eq!(unchanged.headers[header::ETAG], etag.as_str());

        let other = get_path(PAGES, &json!({ "unused": 1 }));
        let other_tag = app.get(&other).await.headers[header::ETAG].clone();
        assert_ne!(
            other_tag,
            etag.as_str(),
            "{backend}: the request is in the ETag"
        );

        add_page(&app, "/news.php").await;
        let changed = app.get_with(&path, &[(header::IF_NONE_MATCH, &etag)]).await;
        assert_eq!(changed.status, StatusCode::OK, "{backend}");
        assert_ne!(changed.headers[header::ETAG], etag.as_str(), "{backend}");

        // Who says who they are gets a private answer, with no ETag to share.
        let bearer = format!("Bearer {}", common::ADMIN_TOKEN);
        let private = app
            .get_with(&path, &[(header::AUTHORIZATION, &bearer)])
            .await;
        assert_eq!(private.headers[header::CACHE_CONTROL], "private, no-store");
        assert!(private.headers.get(header::ETAG).is_none(), "{backend}");
    }
}

#[tokio::test]
async fn a_persisted_query_runs_by_its_hash_once_registered_over_post_and_get() {
    for app in TestApp::all().await {
        let hash = hex::encode(Sha256::digest(PAGES.as_bytes()));
        let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
        let by_hash = json!({ "extensions": extensions });
        let unknown = app.post_json(by_hash.clone(), &[]).await;
        assert_eq!(unknown.status, StatusCode::OK, "{}", unknown.text());
        assert_eq!(unknown.error_code(), "PERSISTED_QUERY_NOT_FOUND");
        assert_eq!(
            unknown.json()["errors"][0]["message"],
            "PersistedQueryNotFound"
        );

        let registered = app
            .post_json(json!({ "query": PAGES, "extensions": extensions }), &[])
            .await
            .data();
        let again = app.post_json(by_hash, &[]).await.data();
        assert_eq!(again, registered);

        let encoded: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("extensions", &extensions.to_string())
            .finish();
        let got = app.get(&format!("/graphql?{encoded}")).await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.text());
        assert_eq!(got.json()["data"], registered);
        assert!(got.headers.get(header::ETAG).is_some(), "a CDN can keep it");

        let wrong = app
            .post_json(
                json!({ "query": "{ site { name } }", "extensions": extensions }),
                &[],
            )
            .await;
        assert_eq!(wrong.error_code(), "BAD_REQUEST", "{}", wrong.text());
    }
}

#[tokio::test]
async fn persisted_only_runs_what_an_admin_persisted_and_introspection() {
    let config = lmsdr_api::server::ServerConfig {
        persisted_only: true,
        ..admin()
    };
    for app in TestApp::all_with(config).await {
        let refused = app.graphql(PAGES, json!({})).await;
        assert_eq!(
            refused.error_code(),
            "PERSISTED_QUERY_NOT_IN_LIST",
            "{}",
            refused.text()
        );
        let schema = app
            .graphql("{ __schema { queryType { name } } }", json!({}))
            .await
            .data();
        assert_eq!(schema["__schema"]["queryType"]["name"], "Query");

        let hash = hex::encode(Sha256::digest(PAGES.as_bytes()));
        let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
        let anonymous = app
            .post_json(json!({ "query": PAGES, "extensions": extensions }), &[])
            .await;
        assert_eq!(anonymous.error_code(), "PERSISTED_QUERY_NOT_IN_LIST");
        let bearer = format!("Bearer {}", common::ADMIN_TOKEN);
        let persisted = app
            .post_json(
                json!({ "query": PAGES, "extensions": extensions }),
                &[("authorization", &bearer)],
            )
            .await
            .data();
        let by_hash = app
            .post_json(json!({ "extensions": extensions }), &[])
            .await
            .data();
        assert_eq!(by_hash, persisted);
    }
}
