//! The HTTP surface, in-process.

mod common;

use axum::http::StatusCode;
use common::TestApp;

#[tokio::test]
async fn health_and_readiness() {
    for app in TestApp::all().await {
        let health = app.get("/healthz").await;
        assert_eq!(health.status, StatusCode::OK);
        let ready = app.get("/readyz").await;
        assert_eq!(ready.status, StatusCode::OK, "{}", app.db.backend());
    }
}

#[tokio::test]
async fn graphql_answers_over_post() {
    for app in TestApp::all().await {
        let response = app.graphql("{ apiVersion }", serde_json::json!({})).await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(
            response.json()["data"]["apiVersion"],
            env!("CARGO_PKG_VERSION")
        );
    }
}

#[tokio::test]
async fn the_playground_is_served_at_the_root() {
    for app in TestApp::all().await {
        let page = app.get("/").await;
        assert_eq!(page.status, StatusCode::OK);
        let content_type = page
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok());
        assert!(content_type.is_some_and(|c| c.starts_with("text/html")));
        assert!(page.text().to_lowercase().contains("graphiql"));
    }
}
