//! The response cache: an answer is served again while nothing is committed, and never after;
//! one variable set's answer never answers another; answers with errors and answers to anyone
//! who says who they are are never kept.

mod common;

use common::{TestApp, admin};
use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;
use lmsdr_ingest::pipeline::{self, Input};
use serde_json::{Value, json};
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
                "mutation { registerWebhook(url: \"https://93.184.216.34/hook\", secret: \"a long secret\") { id } }",
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
