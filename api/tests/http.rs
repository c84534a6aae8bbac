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
