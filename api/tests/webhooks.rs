//! Webhooks on SQLite and PostgreSQL, against receivers in the test: each change POSTed once,
//! signed with the endpoint's secret; a failed attempt retried with the same delivery ID; a
//! delivery that outlives its process; a dead and a hanging endpoint beside a live one; a
//! redirect not followed; two dispatchers on one database sending each delivery once; and the
//! admin API around them. Rounds run synchronously at chosen times, so nothing sleeps.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use chrono::Utc;
use common::{TestApp, admin};
use lmsdr_api::server::ServerConfig;
use lmsdr_api::webhooks::deliver::{signature, signature_v1};
use lmsdr_api::webhooks::queue::{self, Outcome};
use lmsdr_api::webhooks::{Dispatcher, WebhookSettings};
use serde_json::{Value, json};

const SECRET: &str = "partner-shared-secret";
const FAQ_URL: &str = "http://www.lmsdr.org/faq.php";
/// Site pages whose import makes one change each.
const FIVE_PAGES: [&str; 5] = [
    "faq.php",
    "news.php",
    "events.php",
    "donate.php",
    "contact.php",
];

/// A request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

/// How a receiver answers.
#[derive(Debug, Clone, Copy)]
enum Behaviour {
    /// 500 to the first `n` requests, then 200.
    FailFirst(usize),
    /// Never answers.
    Hang,
    /// 307 to another address.
    Redirect,
}

#[derive(Clone)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    behaviour: Behaviour,
    seen: Arc<AtomicUsize>,
}

impl Receiver {
    /// Starts a receiver on loopback; returns it and its URL.
    async fn start(behaviour: Behaviour) -> (Receiver, String) {
        let receiver = Receiver {
            got: Arc::default(),
            behaviour,
            seen: Arc::default(),
        };
        let app = Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }
}

async fn receive(
    State(receiver): State<Receiver>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    receiver.got.lock().expect("lock").push(Received {
        headers,
        body: body.to_vec(),
    });
    let n = receiver.seen.fetch_add(1, Ordering::SeqCst);
    match receiver.behaviour {
        Behaviour::FailFirst(failures) if n < failures => {
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Behaviour::FailFirst(_) => StatusCode::OK.into_response(),
        Behaviour::Hang => std::future::pending().await,
        Behaviour::Redirect => (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, "http://127.0.0.1:9/elsewhere")],
        )
            .into_response(),
    }
}

/// A URL nothing listens on.
async fn dead_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    drop(listener);
    url
}

fn settings() -> WebhookSettings {
    WebhookSettings {
        allow_private: true,
        timeout: Duration::from_millis(800),
    }
}

fn config() -> ServerConfig {
    ServerConfig {
        webhooks: settings(),
        ..admin()
    }
}

const WEBHOOKS: &str = "{ webhooks { id url active failingSince disabledAt disabledReason
    deliveries { id outcome attempts lastStatus lastError deliveredAt nextAttemptAt
        change { kind page { url } } } } }";

impl TestApp {
    async fn register(&self, url: &str) -> Value {
        let response = self
            .as_admin(
                "mutation($url: String!, $secret: String!) {
                    registerWebhook(url: $url, secret: $secret) { id url active } }",
                json!({ "url": url, "secret": SECRET }),
            )
            .await;
        response.data()["registerWebhook"].clone()
    }

    async fn import_fixture(&self, name: &str) {
        let html = std::fs::read_to_string(format!(
            "{}/../ingest/tests/fixtures/site/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture");
        let response = self
            .as_admin(
                "mutation($url: String!, $html: String!) { importPage(url: $url, html: $html) {
                    change } }",
                json!({ "url": format!("http://www.lmsdr.org/{name}"), "html": html }),
            )
            .await;
        assert_eq!(response.data()["importPage"]["change"], "NEW");
    }

    /// Five pages imported: five changes in the outbox.
    async fn import_five_changes(&self) {
        for page in FIVE_PAGES {
            self.import_fixture(page).await;
        }
    }

    async fn webhooks(&self) -> Value {
        self.as_admin(WEBHOOKS, json!({})).await.data()["webhooks"].clone()
    }

    fn dispatcher(&self) -> Dispatcher {
        Dispatcher::new(self.db.conn.clone(), settings()).expect("client")
    }
}

#[tokio::test]
async fn a_change_is_posted_signed_and_a_failed_attempt_is_retried_with_the_same_delivery_id() {
    for app in TestApp::all_with(config()).await {
        let backend = app.db.backend();
        let (receiver, url) = Receiver::start(Behaviour::FailFirst(1)).await;
        let hook = app.register(&url).await;
        assert_eq!(hook["active"], true, "{backend}");
        let dispatcher = app.dispatcher();
        let t0 = Utc::now();
        assert!(
            dispatcher.run_once(t0).await.expect("round").is_empty(),
            "{backend}: the bundled page's change predates the webhook and is not sent"
        );

        app.import_fixture("faq.php").await;
        let first = dispatcher.run_once(t0).await.expect("round");
        assert_eq!(first.len(), 1, "{backend}");
        let Outcome::Failed {
            status, retry_at, ..
        } = &first[0].outcome
        else {
            panic!(
                "{backend}: the receiver answered 500: {:?}",
                first[0].outcome
            );
        };
        assert_eq!(*status, Some(500), "{backend}");
        assert!(*retry_at > t0, "{backend}: the retry waits");
        assert!(
            dispatcher.run_once(t0).await.expect("round").is_empty(),
            "{backend}: not retried before its time"
        );

        let later = t0 + chrono::Duration::hours(2);
        let second = dispatcher.run_once(later).await.expect("round");
        assert!(
            matches!(second[0].outcome, Outcome::Delivered { status: 200 }),
            "{backend}: {:?}",
            second[0].outcome
        );
        assert!(dispatcher.run_once(later).await.expect("round").is_empty());

        let got = receiver.received();
        assert_eq!(got.len(), 2, "{backend}: one failed attempt and its retry");
        let delivery = got[0].header("x-lmsdr-delivery");
        assert_eq!(delivery.len(), 36, "{backend}: a UUID: {delivery}");
        assert_eq!(
            got[1].header("x-lmsdr-delivery"),
            delivery,
            "{backend}: the retry keeps the delivery ID"
        );
        for request in &got {
            assert_eq!(
                request.header("x-lmsdr-signature"),
                signature(SECRET, &request.body),
                "{backend}: signed with the secret"
            );
            assert!(request.header("x-lmsdr-signature").starts_with("sha256="));
            // Standard Webhooks: the ID and the moment are signed with the body, so a captured
            // delivery replayed later or under another ID does not check.
            assert_eq!(request.header("webhook-id"), delivery, "{backend}");
            let timestamp: i64 = request
                .header("webhook-timestamp")
                .parse()
                .expect("Unix seconds");
            assert!(
                (Utc::now().timestamp() - timestamp).abs() < 600,
                "{backend}: {timestamp}"
            );
            assert_eq!(
                request.header("webhook-signature"),
                signature_v1(SECRET, delivery, timestamp, &request.body),
                "{backend}"
            );
            assert_ne!(
                request.header("webhook-signature"),
                signature_v1(SECRET, "another-delivery", timestamp, &request.body),
            );
            assert_eq!(request.header("x-lmsdr-event"), "new", "{backend}");
            assert_eq!(request.header("content-type"), "application/json");
            assert!(request.header("user-agent").starts_with("lmsdr/"));
        }
        // The signature covers the exact bytes: one byte changed no longer matches.
        let mut tampered = got[0].body.clone();
        tampered[1] ^= 1;
        assert_ne!(
            signature(SECRET, &tampered),
            got[0].header("x-lmsdr-signature")
        );
        let body = got[0].json();
        assert_eq!(body["type"], "change", "{backend}: {body}");
        assert_eq!(body["kind"], "new");
        assert_eq!(body["page"]["url"], FAQ_URL);
        assert_eq!(body["revision"]["number"], 1);
        assert!(body["cursor"].is_string());
        assert_eq!(
            got[0].body, got[1].body,
            "{backend}: the same body on retry"
        );

        let hooks = app.webhooks().await;
        let shown = &hooks[0]["deliveries"][0];
        assert_eq!(shown["id"], delivery, "{backend}");
        assert_eq!(shown["outcome"], "DELIVERED");
        assert_eq!(shown["attempts"], 2);
        assert_eq!(shown["lastStatus"], 200);
        assert_eq!(shown["nextAttemptAt"], Value::Null);
        assert_eq!(shown["change"]["page"]["url"], FAQ_URL);
        assert_eq!(
            hooks[0]["failingSince"],
            Value::Null,
            "{backend}: success ends the streak"
        );
    }
}

#[tokio::test]
async fn a_delivery_outlives_the_process_that_owed_it() {
    for app in TestApp::all_with(config()).await {
        let backend = app.db.backend();
        let (receiver, url) = Receiver::start(Behaviour::FailFirst(0)).await;
        app.register(&url).await;
        // The change is committed while no dispatcher runs (a separate `lmsdr sync`, say).
        app.import_fixture("faq.php").await;
        app.import_fixture("news.php").await;
        let now = Utc::now();
        // A process makes the deliveries and claims one, then dies before sending it.
        let hook = queue::active(&app.db.conn).await.expect("hooks").remove(0);
        queue::fan_out(&app.db.conn, &hook, now)
            .await
            .expect("fan out");
        let lease = chrono::Duration::minutes(1);
        let orphan = queue::claim(&app.db.conn, hook.id, 1, now, lease)
            .await
            .expect("claim");
        assert_eq!(orphan.len(), 1, "{backend}");

        // A new process sends what is unclaimed, and the orphan once its claim lapses.
        let restarted = app.dispatcher();
        let first = restarted.run_once(now).await.expect("round");
        assert_eq!(first.len(), 1, "{backend}: the claimed one waits");
        assert_ne!(first[0].delivery.delivery_id, orphan[0].delivery_id);
        let after_lease = now + lease + chrono::Duration::seconds(1);
        let second = restarted.run_once(after_lease).await.expect("round");
        assert_eq!(second.len(), 1, "{backend}");
        assert_eq!(second[0].delivery.delivery_id, orphan[0].delivery_id);
        assert_eq!(
            second[0].delivery.attempts, 2,
            "{backend}: the lost attempt counts"
        );

        let urls: Vec<Value> = receiver
            .received()
            .iter()
            .map(|r| r.json()["page"]["url"].clone())
            .collect();
        assert_eq!(urls.len(), 2, "{backend}: each change once: {urls:?}");
        assert!(
            urls.contains(&json!(FAQ_URL))
                && urls.contains(&json!("http://www.lmsdr.org/news.php"))
        );
    }
}

#[tokio::test]
async fn dead_and_hanging_endpoints_do_not_hold_up_a_live_one_and_a_day_of_failures_disables_them()
{
    for app in TestApp::all_with(config()).await {
        let backend = app.db.backend();
        let (live, live_url) = Receiver::start(Behaviour::FailFirst(0)).await;
        let (hanging, hanging_url) = Receiver::start(Behaviour::Hang).await;
        let dead = app.register(&dead_url().await).await;
        app.register(&hanging_url).await;
        app.register(&live_url).await;
        app.import_fixture("faq.php").await;

        let dispatcher = app.dispatcher();
        let t0 = Utc::now();
        let round = dispatcher.run_once(t0).await.expect("round");
        assert_eq!(round.len(), 3, "{backend}");
        assert_eq!(
            live.received().len(),
            1,
            "{backend}: the live endpoint got it"
        );
        assert_eq!(hanging.received().len(), 1, "{backend}");
        let errors: Vec<String> = round
            .iter()
            .filter_map(|a| match &a.outcome {
                Outcome::Failed { error, status, .. } => {
                    assert_eq!(*status, None);
                    Some(error.clone())
                }
                Outcome::Delivered { .. } => None,
            })
            .collect();
        assert_eq!(errors.len(), 2, "{backend}: {errors:?}");
        assert!(
            errors.iter().any(|e| e == "timed out"),
            "{backend}: {errors:?}"
        );

        let hooks = app.webhooks().await;
        assert!(hooks[0]["failingSince"].is_string(), "{backend}: {hooks}");
        assert_eq!(hooks[0]["deliveries"][0]["outcome"], "RETRYING");
        assert!(hooks[0]["deliveries"][0]["lastError"].is_string());
        assert_eq!(hooks[2]["deliveries"][0]["outcome"], "DELIVERED");

        // A day later both still fail: they are disabled, and say so; the live one is not.
        let t1 = t0 + chrono::Duration::hours(25);
        let retried = dispatcher.run_once(t1).await.expect("round");
        assert_eq!(
            retried.len(),
            2,
            "{backend}: only the failed ones are retried"
        );
        let hooks = app.webhooks().await;
        for failed in &hooks.as_array().expect("list")[..2] {
            assert_eq!(failed["active"], false, "{backend}: {failed}");
            let reason = failed["disabledReason"].as_str().expect("a reason");
            assert!(reason.contains("every delivery failed"), "{reason}");
        }
        assert_eq!(hooks[2]["active"], true);
        app.import_fixture("news.php").await;
        let next = dispatcher
            .run_once(t1 + chrono::Duration::hours(2))
            .await
            .expect("round");
        assert_eq!(
            next.len(),
            1,
            "{backend}: disabled endpoints are sent nothing"
        );
        assert_eq!(live.received().len(), 2);

        // Enabled again, the dead endpoint is owed both changes.
        let enabled = app
            .as_admin(
                "mutation($id: ID!) { enableWebhook(id: $id) { active disabledAt } }",
                json!({ "id": dead["id"] }),
            )
            .await;
        assert_eq!(enabled.data()["enableWebhook"]["active"], true, "{backend}");
        let owed = dispatcher
            .run_once(t1 + chrono::Duration::hours(4))
            .await
            .expect("round");
        assert_eq!(owed.len(), 2, "{backend}: {owed:?}");
    }
}

#[tokio::test]
async fn redirects_are_not_followed() {
    for app in TestApp::all_with(config()).await {
        let (receiver, url) = Receiver::start(Behaviour::Redirect).await;
        app.register(&url).await;
        app.import_fixture("faq.php").await;
        let round = app.dispatcher().run_once(Utc::now()).await.expect("round");
        let Outcome::Failed { status, error, .. } = &round[0].outcome else {
            panic!("a redirect is a failure: {:?}", round[0].outcome);
        };
        assert_eq!(*status, Some(307));
        assert!(error.contains("redirects are not followed"), "{error}");
        assert_eq!(receiver.received().len(), 1);
    }
}

#[tokio::test]
async fn two_dispatchers_on_one_database_send_each_delivery_once() {
    for app in TestApp::all_with(config()).await {
        let backend = app.db.backend();
        let (receiver, url) = Receiver::start(Behaviour::FailFirst(0)).await;
        app.register(&url).await;
        app.import_five_changes().await;
        let (a, b) = (app.dispatcher(), app.dispatcher());
        let now = Utc::now();
        let mut sent = 0;
        // Rounds at once, as replicas run them, until nothing is due.
        for _ in 0..5 {
            let (x, y) = tokio::join!(a.run_once(now), b.run_once(now));
            sent += x.expect("round").len() + y.expect("round").len();
        }
        let got = receiver.received();
        let ids: HashSet<&str> = got.iter().map(|r| r.header("x-lmsdr-delivery")).collect();
        assert_eq!(sent, 5, "{backend}");
        assert_eq!(got.len(), 5, "{backend}: each change delivered once");
        assert_eq!(ids.len(), 5, "{backend}: one delivery ID per change");
    }
}

/// Rounds of the race below: each one starts both fan-outs of every endpoint at a barrier.
const RACE_ROUNDS: usize = 150;
/// Endpoints in the race.
const RACE_ENDPOINTS: usize = 3;

/// Two replicas that read an endpoint's cursor at the same moment make the same deliveries at
/// the same moment. Every round empties the queue and starts both fan-outs of each endpoint at
/// a barrier on two worker threads, so that their inserts meet in the same rows: neither may
/// fail, and each change is owed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_fanning_out_the_same_events_at_once_both_succeed() {
    use lmsdr_entity::webhook_deliveries;
    use sea_orm::{EntityTrait, PaginatorTrait};
    use tokio::sync::Barrier;

    for app in TestApp::all_with(config()).await {
        let backend = app.db.backend();
        let url = dead_url().await;
        for _ in 0..RACE_ENDPOINTS {
            app.register(&url).await;
        }
        app.import_five_changes().await;
        // Every endpoint as both replicas read it, before either made a delivery.
        let hooks = Arc::new(queue::all(&app.db.conn).await.expect("endpoints"));
        let now = Utc::now();
        let mut made = 0;
        for round in 0..RACE_ROUNDS {
            webhook_deliveries::Entity::delete_many()
                .exec(&app.db.conn)
                .await
                .expect("queue emptied");
            let barrier = Arc::new(Barrier::new(2));
            let replicas = (0..2).map(|_| {
                let (db, hooks, barrier) = (app.db.conn.clone(), hooks.clone(), barrier.clone());
                tokio::spawn(async move {
                    // Every barrier is met, even after a failure, so the other replica goes on.
                    let mut made: Result<usize, sea_orm::DbErr> = Ok(0);
                    for hook in hooks.iter() {
                        barrier.wait().await;
                        let fanned = queue::fan_out(&db, hook, now).await;
                        made = made.and_then(|made| Ok(made + fanned?));
                    }
                    made
                })
            });
            for replica in futures::future::join_all(replicas.collect::<Vec<_>>()).await {
                made = replica
                    .expect("replica task")
                    .unwrap_or_else(|err| panic!("{backend}, round {round}: fan-out: {err}"));
            }
            let queued = webhook_deliveries::Entity::find()
                .count(&app.db.conn)
                .await
                .expect("count");
            assert_eq!(
                queued as usize, made,
                "{backend}, round {round}: one delivery per change and endpoint"
            );
        }
        assert_eq!(
            made,
            RACE_ENDPOINTS * 5,
            "{backend}: five changes for each endpoint"
        );
    }
}

#[tokio::test]
async fn webhooks_are_admin_only_refuse_private_targets_and_never_show_the_secret() {
    for app in TestApp::all_with(admin()).await {
        let backend = app.db.backend();
        let register = "mutation($url: String!) {
            registerWebhook(url: $url, secret: \"a-secret-of-some-length\") { id } }";
        let refused = app
            .as_admin(register, json!({ "url": "http://127.0.0.1:9/hook" }))
            .await;
        assert_eq!(refused.error_code(), "BAD_USER_INPUT", "{backend}");
        let message = refused.json()["errors"][0]["message"].to_string();
        assert!(message.contains("--webhook-allow-private"), "{message}");
        let ftp = app
            .as_admin(register, json!({ "url": "ftp://partner.example/hook" }))
            .await;
        assert_eq!(ftp.error_code(), "BAD_USER_INPUT");

        let anonymous = app
            .graphql(register, json!({ "url": "https://93.184.216.34/hook" }))
            .await;
        assert_eq!(anonymous.error_code(), "UNAUTHORIZED", "{backend}");
        assert_eq!(
            app.graphql("{ webhooks { id } }", json!({}))
                .await
                .error_code(),
            "UNAUTHORIZED"
        );
        let secret = app.as_admin("{ webhooks { secret } }", json!({})).await;
        assert_eq!(secret.error_code(), "GRAPHQL_VALIDATION_FAILED");

        let empty_secret = app
            .as_admin(
                "mutation { registerWebhook(url: \"https://93.184.216.34/hook\", secret: \" \") { id } }",
                json!({}),
            )
            .await;
        assert_eq!(empty_secret.error_code(), "BAD_USER_INPUT");
        let short_secret = app
            .as_admin(
                "mutation { registerWebhook(url: \"https://93.184.216.34/hook\", secret: \"s\") { id } }",
                json!({}),
            )
            .await;
        assert_eq!(short_secret.error_code(), "BAD_USER_INPUT", "{backend}");
        assert!(
            short_secret.json()["errors"][0]["message"]
                .to_string()
                .contains("16"),
            "{backend}: says how long"
        );

        let public = app
            .as_admin(register, json!({ "url": "https://93.184.216.34/hook" }))
            .await;
        let id = public.data()["registerWebhook"]["id"].clone();
        let remove = "mutation($id: ID!) { removeWebhook(id: $id) }";
        let removed = app.as_admin(remove, json!({ "id": id })).await;
        assert_eq!(removed.data()["removeWebhook"], true, "{backend}");
        let again = app.as_admin(remove, json!({ "id": id })).await;
        assert_eq!(again.data()["removeWebhook"], false);
        let not_a_webhook = app.as_admin(remove, json!({ "id": "UGFnZTox" })).await;
        assert_eq!(not_a_webhook.error_code(), "BAD_USER_INPUT");
        assert_eq!(app.webhooks().await, json!([]));
    }
}
