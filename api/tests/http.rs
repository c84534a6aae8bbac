//! The HTTP surface, in-process: GraphQL over HTTP rules, limits, health, the Playground.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::TestApp;
use serde_json::json;

#[tokio::test]
async fn health_and_readiness() {
    for app in TestApp::all().await {
        assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
        let ready = app.get("/readyz").await;
        assert_eq!(ready.status, StatusCode::OK, "{}", app.db.backend());
        assert_eq!(ready.text(), "ready");
    }
}

#[tokio::test]
async fn the_response_type_follows_accept() {
    for app in TestApp::all().await {
        let query = json!({ "query": "{ regimens { slug } }" });
        let plain = app
            .post_json(query.clone(), &[("accept", "application/json")])
            .await;
        assert_eq!(plain.status, StatusCode::OK);
        assert_eq!(plain.content_type(), "application/json");
        let modern = app
            .post_json(
                query.clone(),
                &[("accept", "application/graphql-response+json")],
            )
            .await;
        assert_eq!(modern.content_type(), "application/graphql-response+json");
        assert_eq!(modern.data()["regimens"][0]["slug"], "gem-tax");
        let refused = app.post_json(query, &[("accept", "text/html")]).await;
        assert_eq!(refused.status, StatusCode::NOT_ACCEPTABLE);
        assert_eq!(refused.error_code(), "BAD_REQUEST");
    }
}

#[tokio::test]
async fn request_errors_are_400_only_for_graphql_response_json() {
    for app in TestApp::all().await {
        let bad = json!({ "query": "{ noSuchField }" });
        let modern = app
            .post_json(
                bad.clone(),
                &[("accept", "application/graphql-response+json")],
            )
            .await;
        assert_eq!(modern.status, StatusCode::BAD_REQUEST);
        assert_eq!(modern.error_code(), "GRAPHQL_VALIDATION_FAILED");
        let legacy = app.post_json(bad, &[("accept", "application/json")]).await;
        assert_eq!(legacy.status, StatusCode::OK);
        assert_eq!(legacy.error_code(), "GRAPHQL_VALIDATION_FAILED");
    }
}

#[tokio::test]
async fn malformed_requests_get_4xx() {
    for app in TestApp::all().await {
        let not_json = app
            .request(
                Request::post("/graphql")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from("{not json"))
                    .expect("request"),
            )
            .await;
        assert!(not_json.status.is_client_error(), "{}", not_json.status);
        let no_query = app.get("/graphql").await;
        assert!(no_query.status.is_client_error(), "{}", no_query.status);
    }
}

#[tokio::test]
async fn get_runs_queries_but_never_mutations() {
    for app in TestApp::all().await {
        let query = app
            .get("/graphql?query=%7B%20regimens%20%7B%20slug%20%7D%20%7D")
            .await;
        assert_eq!(query.status, StatusCode::OK);
        assert_eq!(query.data()["regimens"][1]["slug"], "aim");
        let mutation = app
            .get("/graphql?query=mutation%20%7B%20importPage(url%3A%22http%3A%2F%2Fx%2F%22%2C%20html%3A%22%3Cp%3Ex%22)%20%7B%20change%20%7D%20%7D")
            .await;
        assert_eq!(mutation.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(
            mutation.headers.get("allow").and_then(|v| v.to_str().ok()),
            Some("POST")
        );
    }
}

#[tokio::test]
async fn limits_are_enforced_with_clear_errors() {
    for app in TestApp::all().await {
        // Deep but cheap: refused for its depth.
        let levels = 16;
        let deep = format!(
            "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
            "ofType { ".repeat(levels),
            "} ".repeat(levels)
        );
        let response = app.graphql(&deep, json!({})).await;
        assert_eq!(response.error_code(), "GRAPHQL_VALIDATION_FAILED");
        assert!(
            response.text().contains("nested too deep"),
            "{}",
            response.text()
        );
        // Shallow but vast: 100 pages of 100 revisions each costs what it would return.
        let vast = "{ pages(first: 100) { edges { node {
            revisions(first: 100) { edges { node { diff } } } } } } }";
        let response = app.graphql(vast, json!({})).await;
        assert_eq!(response.error_code(), "GRAPHQL_VALIDATION_FAILED");
        assert!(
            response.text().contains("too complex"),
            "{}",
            response.text()
        );
        let modest = "{ pages(first: 10) { edges { node {
            revisions(first: 10) { edges { node { number } } } } } } }";
        app.graphql(modest, json!({})).await.data();
        // Nested lists without page sizes compound too.
        let nested = format!(
            "{{ treatmentCategories {{ {} name {} }} }}",
            "treatments { category { ".repeat(7),
            "} } ".repeat(7)
        );
        let response = app.graphql(&nested, json!({})).await;
        assert_eq!(response.error_code(), "GRAPHQL_VALIDATION_FAILED");

        let aliases: String = (0..31)
            .map(|i| format!("a{i}: regimens {{ slug }} "))
            .collect();
        let response = app.graphql(&format!("{{ {aliases} }}"), json!({})).await;
        assert_eq!(response.error_code(), "GRAPHQL_VALIDATION_FAILED");
        assert!(
            response.text().contains("31 aliases"),
            "{}",
            response.text()
        );

        let batch: Vec<_> = (0..11)
            .map(|_| json!({ "query": "{ regimens { slug } }" }))
            .collect();
        let response = app.post_json(json!(batch), &[]).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        assert!(response.text().contains("at most 10"));

        let ok_batch: Vec<_> = (0..2)
            .map(|_| json!({ "query": "{ regimens { slug } }" }))
            .collect();
        let response = app.post_json(json!(ok_batch), &[]).await;
        assert_eq!(response.json().as_array().map(Vec::len), Some(2));

        let huge = "x".repeat(lmsdr_api::server::MAX_BODY_BYTES + 1);
        let response = app
            .post_json(
                json!({ "query": format!("{{ regimens {{ slug }} }} # {huge}") }),
                &[],
            )
            .await;
        assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    }
}

#[tokio::test]
async fn responses_carry_a_request_id() {
    for app in TestApp::all().await {
        let response = app.get("/healthz").await;
        assert!(response.headers.get("x-request-id").is_some());
    }
}

#[tokio::test]
async fn the_playground_is_served_at_the_root() {
    for app in TestApp::all().await {
        let page = app.get("/").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.content_type().starts_with("text/html"));
        let html = page.text();
        assert!(html.contains("GraphiQL"));
        // Nothing comes from the network: every asset is local and served.
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{html}"
        );
        for asset in [
            "playground.js",
            "playground.css",
            "editor.worker.js",
            "json.worker.js",
            "graphql.worker.js",
        ] {
            let response = app.get(&format!("/playground/{asset}")).await;
            assert_eq!(response.status, StatusCode::OK, "{asset}");
            assert!(response.body.len() > 10_000, "{asset}");
        }
        let bundle = app.get("/playground/playground.js").await.text();
        assert!(
            bundle.contains("TreatmentsByCategory"),
            "the example query is in the bundle"
        );
        assert_eq!(
            app.get("/playground/nope.js").await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn parse_failures_have_their_own_code_no_data_and_bodies_must_be_json() {
    for app in TestApp::all().await {
        let broken = app.graphql("{ regimens { slug }", json!({})).await;
        assert_eq!(broken.error_code(), "GRAPHQL_PARSE_FAILED");
        assert!(broken.json().get("data").is_none(), "{}", broken.text());
        let invalid = app.graphql("{ nope }", json!({})).await;
        assert_eq!(invalid.error_code(), "GRAPHQL_VALIDATION_FAILED");
        assert!(invalid.json().get("data").is_none(), "{}", invalid.text());

        let body = json!({ "query": "{ regimens { slug } }" }).to_string();
        let plain = app
            .request(
                Request::post("/graphql")
                    .header("content-type", "text/plain;charset=UTF-8")
                    .body(Body::from(body))
                    .expect("request"),
            )
            .await;
        assert_eq!(plain.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(
            plain.error_code(),
            "BAD_REQUEST",
            "not a validation failure"
        );
    }
}

#[tokio::test]
async fn response_fields_come_in_the_order_selected() {
    for app in TestApp::all().await {
        let query = "{ __typename zzz: __typename a: site { __typename } \
                     regimens { slug name } }";
        let body = app.graphql(query, json!({})).await.text();
        let at = |key: &str| {
            body.find(&format!("\"{key}\""))
                .unwrap_or_else(|| panic!("{key} missing: {body}"))
        };
        assert!(at("__typename") < at("zzz"), "{body}");
        assert!(at("zzz") < at("a"), "{body}");
        assert!(at("a") < at("regimens"), "{body}");
        assert!(at("slug") < at("name"), "{body}");
        // Batched, each response keeps its order too.
        let batch = app
            .post_json(
                json!([{ "query": "{ zzz: __typename a: __typename }" }]),
                &[("accept", "application/json")],
            )
            .await
            .text();
        let (z, a) = (batch.find("\"zzz\""), batch.find("\"a\""));
        assert!(z.is_some() && z < a, "{batch}");
    }
}

#[tokio::test]
async fn every_response_says_nosniff_and_may_not_be_framed() {
    let app = TestApp::all().await.remove(0);
    for path in [
        "/",
        "/graphql?query=%7B__typename%7D",
        "/export/json",
        "/export/csv/drugs.csv",
        "/export/changes",
        "/healthz",
        "/no/such/path",
    ] {
        let response = app.get(path).await;
        let header = |name: &str| {
            response
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        let csp = header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        if path == "/" {
            // The Playground loads its own scripts, and nothing from elsewhere.
            assert!(csp.contains("script-src 'self'"), "{csp}");
            assert!(!csp.contains("unsafe-eval") && !csp.contains('*'), "{csp}");
        } else {
            assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
        }
    }
}
