//! At scale on PostgreSQL: two `lmsdr serve` replicas and two `lmsdr sync` jobs on one database.
//! Nothing is done twice — one sync runs while the other is busy, and each webhook delivery is
//! sent once — and nothing is missed: every change reaches a subscriber on either replica and
//! the webhook, whichever replica sends it.
//!
//! Needs `TEST_DATABASE_URL` (PostgreSQL) and the graphql-ws helper (`npm ci` in
//! `tests/conformance/`); skipped with a notice without them, unless CI requires them.

use std::collections::{HashMap, HashSet};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use lmsdr_ingest::testing::site::{Site, serve_on_loopback};
use lmsdr_tests::subscriber::Subscriber;
use lmsdr_tests::{Server, TestDb, lmsdr, node_helpers, run};
use serde_json::{Value, json};
use sha2::Sha256;

const TOKEN: &str = "replica-admin-token";
const SECRET: &str = "replica-webhook-secret";
const PAGES: [&str; 4] = ["/", "/a.html", "/b.html", "/c.html"];

/// What the webhook receiver got: (delivery ID, body, whether the signature matched) per request.
type Got = Arc<Mutex<Vec<(String, Value, bool)>>>;

async fn receive(State(got): State<Got>, headers: HeaderMap, body: axum::body::Bytes) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(&body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let signed = header("x-lmsdr-signature") == expected;
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    got.lock()
        .expect("lock")
        .push((header("x-lmsdr-delivery"), body, signed));
}

async fn admin(server: &Server, query: &str, variables: Value) -> Value {
    let response = server
        .graphql(
            &json!({ "query": query, "variables": variables }),
            Some(TOKEN),
        )
        .await;
    assert!(response.get("errors").is_none(), "{response}");
    response["data"].clone()
}

fn site_with_pages(site: &Site) {
    site.allow_all_robots();
    site.page(
        "/",
        "<html><body><p>Home of the foundation.</p><p><a href=\"/a.html\">A</a> \
         <a href=\"/b.html\">B</a> <a href=\"/c.html\">C</a></p></body></html>",
    );
    for page in ["a", "b", "c"] {
        site.page(
            &format!("/{page}.html"),
            &format!("<html><body><p>Page {page} of the foundation's site.</p></body></html>"),
        );
    }
}

/// Page URLs in the subscriber's events until it has heard of `count` pages.
fn heard(subscriber: &Subscriber, count: usize) -> Vec<String> {
    let mut urls = Vec::new();
    while urls.len() < count {
        let event = subscriber.next();
        let pages = event["data"]["contentChanged"]["pages"]
            .as_array()
            .unwrap_or_else(|| panic!("a change: {event}"))
            .clone();
        urls.extend(
            pages
                .iter()
                .map(|p| p["page"]["url"].as_str().unwrap_or_default().to_owned()),
        );
    }
    urls
}

#[tokio::test]
async fn two_replicas_and_two_syncs_do_nothing_twice_and_miss_nothing() {
    let Some(db) = TestDb::postgres_if_configured().await else {
        eprintln!("skipped: set TEST_DATABASE_URL to run the two-replica test on PostgreSQL");
        return;
    };
    let Some(dir) = node_helpers("conformance", "graphql-ws", "LMSDR_REQUIRE_CONFORMANCE") else {
        return;
    };
    // Migrations are a deployment step of their own, before any replica starts.
    let migrated = run(["migrate", "up", "--database-url", &db.url]);
    assert!(migrated.status.success());

    let got: Got = Arc::default();
    let receiver = serve_on_loopback(
        axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(got.clone()),
    )
    .await;
    let flags = ["--admin-token", TOKEN, "--webhook-allow-private"];
    let a = Server::start_with(&db.url, &flags).await;
    let b = Server::start_with(&db.url, &flags).await;
    admin(
        &a,
        "mutation($url: String!, $secret: String!) { registerWebhook(url: $url, secret: $secret) { id } }",
        json!({ "url": format!("{receiver}/hook"), "secret": SECRET }),
    )
    .await;
    let on_a = Subscriber::start(&dir, &a, 100).await;
    let on_b = Subscriber::start(&dir, &b, 100).await;

    let site = Site::start().await;
    site_with_pages(&site);
    let source = site.url("/");
    // The first sync waits between pages, so it still holds the database when the second starts.
    let mut first = lmsdr([
        "sync",
        "--source",
        &source,
        "--delay-ms",
        "700",
        "--database-url",
        &db.url,
    ])
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("the first sync starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !site.paths().iter().any(|p| p == "/") {
        assert!(Instant::now() < deadline, "the first sync never fetched /");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (source_b, url_b) = (source.clone(), db.url.clone());
    let second = tokio::task::spawn_blocking(move || {
        run([
            "sync",
            "--source",
            &source_b,
            "--delay-ms",
            "0",
            "--database-url",
            &url_b,
        ])
    })
    .await
    .expect("joins");
    assert_eq!(
        second.status.code(),
        Some(3),
        "the second sync is busy: {}",
        String::from_utf8_lossy(&second.stderr)
    );
    let first = tokio::task::spawn_blocking(move || first.wait().expect("waits"))
        .await
        .expect("joins");
    assert_eq!(first.code(), Some(0), "the first sync ran");

    let expected: HashSet<String> = PAGES.iter().map(|p| site.url(p)).collect();
    for (name, subscriber) in [("a", &on_a), ("b", &on_b)] {
        let urls = heard(subscriber, PAGES.len());
        assert_eq!(
            urls.len(),
            PAGES.len(),
            "replica {name}: each change once: {urls:?}"
        );
        assert_eq!(
            urls.into_iter().collect::<HashSet<_>>(),
            expected,
            "replica {name}: every change"
        );
    }

    // Both replicas dispatch; every delivery reaches the receiver, from one of them, once.
    let deadline = Instant::now() + Duration::from_secs(60);
    while got.lock().expect("lock").len() < PAGES.len() {
        assert!(Instant::now() < deadline, "deliveries did not all arrive");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let hooks = admin(
        &b,
        "{ webhooks { deliveries { id outcome attempts } } }",
        json!({}),
    )
    .await;
    let deliveries = hooks["webhooks"][0]["deliveries"]
        .as_array()
        .expect("deliveries")
        .clone();
    assert_eq!(deliveries.len(), PAGES.len(), "{hooks}");
    for delivery in &deliveries {
        assert_eq!(delivery["outcome"], "DELIVERED", "{delivery}");
        assert_eq!(
            delivery["attempts"], 1,
            "claimed once, sent once: {delivery}"
        );
    }
    let got = got.lock().expect("lock").clone();
    assert_eq!(got.len(), PAGES.len(), "no delivery sent twice: {got:?}");
    assert!(
        got.iter().all(|(_, _, signed)| *signed),
        "signed with the secret"
    );
    let by_id: HashMap<&str, &Value> = got
        .iter()
        .map(|(id, body, _)| (id.as_str(), body))
        .collect();
    assert_eq!(by_id.len(), PAGES.len(), "one delivery ID per change");
    let delivered: HashSet<String> = got
        .iter()
        .map(|(_, body, _)| body["page"]["url"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(delivered, expected, "every change reached the webhook");
    // Every replica's metrics count the deliveries of both.
    for replica in [&a, &b] {
        let metrics = reqwest::get(format!("{}/metrics", replica.base))
            .await
            .expect("answers")
            .text()
            .await
            .expect("text");
        assert!(
            metrics
                .lines()
                .any(|l| l == r#"lmsdr_webhook_deliveries{outcome="delivered"} 4"#),
            "{metrics}"
        );
    }
    drop((on_a, on_b, a, b));
}
