//! `/metrics` on a real `lmsdr serve`: the Prometheus series the issue names, with values that
//! follow what happened (requests by route, GraphQL operations and errors by code, sync runs by
//! outcome, pages, subscribers, the pool); `--metrics off` serves none.

use lmsdr_tests::{Server, TestDb};

async fn text(server: &Server, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("{}{path}", server.base))
        .await
        .expect("answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

/// The value of the first sample whose line starts with `series`.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_follow_requests_errors_and_runs() {
    for db in TestDb::all().await {
        let server = Server::start(&db.url).await;
        let client = reqwest::Client::new();
        let query = |body: &'static str| {
            client
                .post(format!("{}/graphql", server.base))
                .header("content-type", "application/json")
                .body(body)
                .send()
        };
        for _ in 0..3 {
            let response = query(
                r#"{"query":"query Drugs { drugs { totalCount } }","operationName":"Drugs"}"#,
            )
            .await
            .expect("answers");
            assert_eq!(response.status(), 200);
        }
        query(r#"{"query":"{ nope }"}"#).await.expect("answers");

        let (status, metrics) = text(&server, "/metrics").await;
        assert_eq!(status, 200);
        let backend = db.backend();
        assert_eq!(
            sample(
                &metrics,
                r#"lmsdr_graphql_operations_total{operation="Drugs"}"#
            ),
            Some(3.0),
            "{backend}: {metrics}"
        );
        assert_eq!(
            sample(
                &metrics,
                r#"lmsdr_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}"#
            ),
            Some(1.0),
            "{backend}"
        );
        assert_eq!(
            sample(
                &metrics,
                r#"lmsdr_http_requests_total{route="/graphql",status="200"}"#
            ),
            Some(4.0),
            "{backend}: {metrics}"
        );
        assert!(metrics.contains("lmsdr_http_request_duration_seconds_bucket{route=\"/graphql\""));
        assert!(
            metrics.contains("lmsdr_graphql_operation_duration_seconds_bucket{operation=\"Drugs\"")
        );
        // The bundled page is loaded without a run; an import is one.
        assert!(
            sample(&metrics, "lmsdr_pages_fetched").is_some(),
            "{metrics}"
        );
        assert!(sample(&metrics, r#"lmsdr_db_pool_connections{state="idle"}"#).is_some());
        drop(server);

        let output = lmsdr_tests::run([
            "import",
            "--database-url",
            &db.url,
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../ingest/tests/fixtures/site/faq.php"
            ),
        ]);
        assert!(output.status.success());
        let server = Server::start(&db.url).await;
        let (_, metrics) = text(&server, "/metrics").await;
        assert_eq!(
            sample(&metrics, r#"lmsdr_sync_runs{kind="import",outcome="ok"}"#),
            Some(1.0),
            "{backend}: runs by any process count: {metrics}"
        );
        assert_eq!(
            sample(&metrics, "lmsdr_pages_changed "),
            Some(1.0),
            "{metrics}"
        );
        assert_eq!(
            sample(&metrics, r#"lmsdr_webhook_deliveries{outcome="pending"}"#),
            Some(0.0),
            "{backend}: deliveries by outcome, none without webhooks: {metrics}"
        );
        drop(server);

        let server = Server::start_with(&db.url, &["--metrics", "off"]).await;
        assert_eq!(text(&server, "/metrics").await.0, 404);
    }
}
