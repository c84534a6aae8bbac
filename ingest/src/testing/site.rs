//! A fixture site served in-process on a loopback port: pages, robots.txt and faults set per
//! path, and every request recorded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use url::Url;

use crate::fetch::FetchConfig;
use crate::sync::SyncOptions;

/// How a path answers.
#[derive(Debug, Clone)]
pub enum Route {
    /// 200 with a body and content type; honours `If-None-Match` against its ETag.
    Page { body: Vec<u8>, content_type: String },
    /// A fixed status with headers and body.
    Status {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Fails `times` times with `status` (and `Retry-After` if given), then serves `then`.
    Flaky {
        status: u16,
        retry_after: Option<u64>,
        times: usize,
        then: Box<Route>,
    },
    /// Never answers.
    Hang,
    /// Announces more bytes than it sends.
    Truncated { body: Vec<u8> },
    /// Redirects to another path.
    Redirect(String),
}

/// A recorded request.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The path and query.
    pub path: String,
    /// Its headers.
    pub headers: HeaderMap,
}

#[derive(Default)]
struct SiteState {
    routes: HashMap<String, Route>,
    seen: Vec<Seen>,
    attempts: HashMap<String, usize>,
}

/// The running site.
#[derive(Clone)]
pub struct Site {
    state: Arc<Mutex<SiteState>>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

/// Serves `app` on a free loopback port in the background; returns its base URL.
pub async fn serve_on_loopback(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

impl Site {
    /// Starts an empty site.
    pub async fn start() -> Site {
        let state = Arc::new(Mutex::new(SiteState::default()));
        let app = Router::new().fallback(serve).with_state(state.clone());
        let base = serve_on_loopback(app).await;
        Site { state, base }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SiteState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets how a path answers.
    pub fn route(&self, path: &str, route: Route) {
        let mut state = self.lock();
        state.attempts.remove(path);
        state.routes.insert(path.to_owned(), route);
    }

    /// Serves a robots.txt that allows every path.
    pub fn allow_all_robots(&self) {
        self.route(
            "/robots.txt",
            Route::Status {
                status: 200,
                headers: vec![],
                body: b"User-agent: *\nAllow: /\n".to_vec(),
            },
        );
    }

    /// Serves an HTML page.
    pub fn page(&self, path: &str, html: &str) {
        self.route(
            path,
            Route::Page {
                body: html.as_bytes().to_vec(),
                content_type: "text/html; charset=utf-8".into(),
            },
        );
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.lock().seen.clone()
    }

    /// Paths requested, in order.
    pub fn paths(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.path).collect()
    }

    /// Forgets the requests seen so far.
    pub fn clear_seen(&self) {
        self.lock().seen.clear();
    }

    /// Sync options for this site from `/`: no retries, a millisecond between requests, and
    /// `max_pages` pages.
    pub fn sync_options(&self, max_pages: usize) -> SyncOptions {
        let mut options = SyncOptions::new(Url::parse(&self.url("/")).expect("a fixture URL"));
        options.max_pages = max_pages;
        options.delay = Duration::from_millis(1);
        options.fetch = FetchConfig {
            max_retries: 0,
            ..FetchConfig::default()
        };
        options
    }

    /// An absolute URL on the site.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

fn etag_of(body: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body {
        hash = (hash ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
    }
    format!("\"{hash:x}\"")
}

async fn serve(State(state): State<Arc<Mutex<SiteState>>>, request: Request) -> Response {
    let path = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let route = {
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        state.seen.push(Seen {
            path: path.clone(),
            headers: request.headers().clone(),
        });
        let attempt = {
            let n = state.attempts.entry(path.clone()).or_default();
            *n += 1;
            *n
        };
        state.routes.get(&path).cloned().map(|r| (r, attempt))
    };
    let Some((route, attempt)) = route else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    respond(route, attempt, request.headers()).await
}

async fn respond(route: Route, attempt: usize, headers: &HeaderMap) -> Response {
    match route {
        Route::Page { body, content_type } => {
            let etag = etag_of(&body);
            if headers
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                == Some(etag.as_str())
            {
                return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
            }
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, content_type), (header::ETAG, etag)],
                body,
            )
                .into_response()
        }
        Route::Status {
            status,
            headers,
            body,
        } => {
            let mut response = Response::new(Body::from(body));
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            for (name, value) in headers {
                if let (Ok(name), Ok(value)) = (
                    header::HeaderName::from_bytes(name.as_bytes()),
                    HeaderValue::from_str(&value),
                ) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
        Route::Flaky {
            status,
            retry_after,
            times,
            then,
        } => {
            if attempt <= times {
                let mut response = Response::new(Body::from("try later"));
                *response.status_mut() =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                if let Some(seconds) = retry_after {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
                }
                response
            } else {
                Box::pin(respond(*then, attempt - times, headers)).await
            }
        }
        Route::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Route::Truncated { body } => {
            // The connection breaks after the first chunk: the client sees the body cut short.
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
                Ok(body),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "cut",
                )),
            ];
            let mut response = Response::new(Body::from_stream(futures::stream::iter(chunks)));
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            response
        }
        Route::Redirect(to) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
    }
}
