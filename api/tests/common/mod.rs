//! `TestApp`: the real router over an isolated database, driven in-process with `oneshot`.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use lmsdr_api::server::{self, AppState, ServerConfig};
use lmsdr_ingest::testing::TestDb;
use tower::ServiceExt;

/// The app under test and the database behind it.
pub struct TestApp {
    router: axum::Router,
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
}

impl TestApp {
    /// One app per available database backend.
    pub async fn all() -> Vec<TestApp> {
        TestDb::all()
            .await
            .into_iter()
            .map(|db| TestApp {
                router: server::router(AppState::new(db.conn.clone(), ServerConfig::default())),
                db,
            })
            .collect()
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

    /// POST a GraphQL query with variables.
    pub async fn graphql(&self, query: &str, variables: serde_json::Value) -> TestResponse {
        let body = serde_json::json!({ "query": query, "variables": variables });
        self.request(
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ACCEPT, "application/json")
                .body(Body::from(body.to_string()))
                .expect("request"),
        )
        .await
    }
}
