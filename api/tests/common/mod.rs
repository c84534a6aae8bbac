//! `TestApp`: the real router over an isolated database, driven in-process with `oneshot`.

#![allow(dead_code, reason = "each test binary uses part of the helper")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use lmsdr_api::server::{self, AppState, ServerConfig};
use lmsdr_ingest::bundled;
use lmsdr_ingest::testing::TestDb;
use tower::ServiceExt;

/// The admin token test apps are configured with, when they have one.
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// The app under test and the database behind it.
pub struct TestApp {
    router: axum::Router,
    statements: Arc<AtomicUsize>,
    /// The database, kept alive for the app's lifetime.
    pub db: TestDb,
}

/// A response's status, headers and body.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// `data`, after checking there were no errors.
    pub fn data(&self) -> serde_json::Value {
        let json = self.json();
        assert!(json.get("errors").is_none(), "unexpected errors: {json}");
        json["data"].clone()
    }

    /// The `extensions.code` of the first error.
    pub fn error_code(&self) -> String {
        let json = self.json();
        json["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {json}"))
            .to_owned()
    }
}

/// Settings with the admin token, so that mutations are allowed.
pub fn admin() -> ServerConfig {
    ServerConfig {
        admin_token: Some(ADMIN_TOKEN.to_owned()),
        ..ServerConfig::default()
    }
}

impl TestApp {
    /// A GraphQL request with the admin token.
    pub async fn as_admin(&self, query: &str, variables: serde_json::Value) -> TestResponse {
        let bearer = format!("Bearer {ADMIN_TOKEN}");
        self.post_json(
            serde_json::json!({ "query": query, "variables": variables }),
            &[("authorization", &bearer), ("accept", "application/json")],
        )
        .await
    }

    /// One app per database backend, each holding the bundled treatments page.
    pub async fn all() -> Vec<TestApp> {
        Self::all_with(ServerConfig::default()).await
    }

    /// One app per database backend with the given settings, each holding the bundled page.
    pub async fn all_with(config: ServerConfig) -> Vec<TestApp> {
        let mut apps = Vec::new();
        for db in TestDb::all().await {
            bundled::load_if_empty(&db.conn)
                .await
                .expect("bundled page loads");
            apps.push(Self::new(db, config.clone()));
        }
        apps
    }

    /// An app over a database, counting the SQL statements its requests make.
    pub fn new(db: TestDb, config: ServerConfig) -> TestApp {
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        let mut conn = db.conn.clone();
        conn.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        TestApp {
            router: server::router(AppState::new(conn, config)),
            statements,
            db,
        }
    }

    /// SQL statements made since the last call.
    pub fn take_statement_count(&self) -> usize {
        self.statements.swap(0, Ordering::Relaxed)
    }

    /// Sends a request through the router and returns the response with its body unread.
    pub async fn response(&self, request: Request<Body>) -> axum::response::Response {
        self.router
            .clone()
            .oneshot(request)
            .await
            .expect("the router never fails")
    }

    /// Sends a request through the router.
    pub async fn request(&self, request: Request<Body>) -> TestResponse {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router never fails");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body reads")
            .to_bytes()
            .to_vec();
        TestResponse {
            status,
            headers,
            body,
        }
    }

    /// GET a path.
    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }

    /// GET a path with extra headers.
    pub async fn get_with(
        &self,
        path: &str,
        headers: &[(header::HeaderName, &str)],
    ) -> TestResponse {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        self.request(request.body(Body::empty()).expect("request"))
            .await
    }

    /// POST a GraphQL query with variables, accepting `application/json`.
    pub async fn graphql(&self, query: &str, variables: serde_json::Value) -> TestResponse {
        self.post_json(
            serde_json::json!({ "query": query, "variables": variables }),
            &[(header::ACCEPT.as_str(), "application/json")],
        )
        .await
    }

    /// POST a JSON body with extra headers.
    pub async fn post_json(
        &self,
        body: serde_json::Value,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let body = body.to_string();
        let mut request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, body.len());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.request(request.body(Body::from(body)).expect("request"))
            .await
    }
}

/// Articles [`store_articles`] stores: their texts together outweigh what one GraphQL answer
/// may carry, and an export of them fills any socket's buffers.
pub const ARTICLES: usize = 70;
/// About the text of each article, in bytes.
pub const ARTICLE_BYTES: usize = 125 * 1024;

/// Stores [`ARTICLES`] news articles as pages of the site.
pub async fn store_articles(db: &sea_orm::DatabaseConnection) {
    use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;
    use lmsdr_ingest::pipeline::{self, Input};

    let paragraph =
        "Leiomyosarcoma research news from the foundation and its partners. ".repeat(20);
    let body = format!("<p>{paragraph}</p>").repeat(ARTICLE_BYTES / paragraph.len());
    for i in 0..ARTICLES {
        let html = format!(
            "<html><head><title>News {i}</title></head><body><h1>News {i}</h1>{body}</body></html>"
        );
        let url = url::Url::parse(&format!("http://www.lmsdr.org/news/{i}.html")).expect("url");
        let input = Input {
            fetched_at: chrono::Utc::now() - chrono::Duration::minutes(1),
            content_type: Some("text/html; charset=utf-8".to_owned()),
            ..Input::new(url, html.into_bytes(), RevisionOrigin::Import)
        };
        pipeline::ingest(db, input)
            .await
            .expect("an article is stored");
    }
}
