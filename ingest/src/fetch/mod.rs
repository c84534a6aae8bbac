//! Polite HTTP fetching: an honest User-Agent, connect/read/total timeouts, a body size cap
//! (reading stops past it), redirects followed by hand with a limit and loop detection, bounded
//! retries with exponential backoff and jitter on 5xx and timeouts, `Retry-After` honoured on 429
//! and 503, and conditional requests.

pub mod robots;
pub mod sitemap;

use std::collections::HashSet;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Client, StatusCode};
use url::Url;

/// The User-Agent lmsdr sends: who it is and where to read about it.
pub const USER_AGENT: &str = concat!(
    "lmsdr/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/lmsdr/lmsdr; content sync for the LMSdr foundation)"
);

/// How fetching behaves.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// The User-Agent header.
    pub user_agent: String,
    /// Longest wait for a connection.
    pub connect_timeout: Duration,
    /// Longest wait between two reads of a response.
    pub read_timeout: Duration,
    /// Longest a whole request may take.
    pub total_timeout: Duration,
    /// Largest body read; past it, reading stops and the fetch fails.
    pub max_body_bytes: usize,
    /// Most redirects followed.
    pub max_redirects: usize,
    /// Retries after the first attempt, for 5xx, 429 and timeouts.
    pub max_retries: u32,
    /// First backoff delay; doubled at each retry, plus jitter.
    pub base_backoff: Duration,
    /// Longest `Retry-After` honoured; a server asking for longer fails the fetch.
    pub max_retry_after: Duration,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            user_agent: USER_AGENT.to_owned(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(20),
            total_timeout: Duration::from_secs(60),
            max_body_bytes: crate::limits::MAX_PAGE_BYTES,
            max_redirects: 5,
            max_retries: 3,
            base_backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// Validators from a previous fetch, sent as `If-None-Match` / `If-Modified-Since`.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    /// The `ETag` last seen.
    pub etag: Option<String>,
    /// The `Last-Modified` last seen.
    pub last_modified: Option<String>,
}

/// A final (non-redirect) response.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL that answered, after redirects.
    pub url: Url,
    /// Its status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `ETag`.
    pub etag: Option<String>,
    /// `Last-Modified`.
    pub last_modified: Option<String>,
    /// The body (empty for 304).
    pub body: Vec<u8>,
}

/// Why a fetch failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// No answer in time.
    #[error("timed out: {0}")]
    Timeout(String),
    /// Could not connect, or the connection broke.
    #[error("connection failed: {0}")]
    Connection(String),
    /// The body was larger than allowed.
    #[error("body larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The body ended before its announced length.
    #[error("truncated body: {0}")]
    Truncated(String),
    /// Too many redirects.
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    /// A redirect led back to a URL already visited.
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    /// A redirect to where this fetch may not go (off the site, or disallowed by robots.txt):
    /// not followed.
    #[error("redirects to {0}, off the site or disallowed by robots.txt; not followed")]
    RedirectOutOfScope(String),
    /// A redirect without a usable `Location`.
    #[error("bad redirect: {0}")]
    BadRedirect(String),
    /// The server kept failing (5xx, 429) through every retry.
    #[error("HTTP {status} after {attempts} attempts")]
    Status {
        /// The last status.
        status: u16,
        /// Attempts made.
        attempts: u32,
    },
    /// The server asked to wait longer than lmsdr will.
    #[error("server asked to retry after {0:?}, longer than allowed")]
    RetryAfterTooLong(Duration),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(String),
}

impl FetchError {
    fn retryable(&self) -> bool {
        matches!(
            self,
            FetchError::Timeout(_) | FetchError::Connection(_) | FetchError::Truncated(_)
        )
    }
}

/// An HTTP client with lmsdr's politeness rules.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: Client,
    config: FetchConfig,
}

impl Fetcher {
    /// A fetcher with the given settings.
    pub fn new(config: FetchConfig) -> Result<Self, FetchError> {
        let client = Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .timeout(config.total_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FetchError::Client(e.to_string()))?;
        Ok(Self { client, config })
    }

    /// The settings in use.
    pub fn config(&self) -> &FetchConfig {
        &self.config
    }

    /// GETs a URL, following redirects wherever they lead and retrying transient failures (for
    /// robots.txt and sitemaps, whose redirects RFC 9309 says to follow).
    pub async fn get(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        self.get_within(url, validators, &|_| true).await
    }

    /// GETs a URL, following only the redirects `scope` allows (each target is asked before it
    /// is requested), and retrying transient failures.
    pub async fn get_within(
        &self,
        url: &Url,
        validators: &Validators,
        scope: &(dyn Fn(&Url) -> bool + Sync),
    ) -> Result<Fetched, FetchError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.follow(url, validators, scope).await;
            let retry_in = match &outcome {
                Ok(fetched) if is_retryable_status(fetched.status) => {
                    if attempt > self.config.max_retries {
                        return Err(FetchError::Status {
                            status: fetched.status,
                            attempts: attempt,
                        });
                    }
                    match fetched.retry_after {
                        Some(wait) if wait > self.config.max_retry_after => {
                            return Err(FetchError::RetryAfterTooLong(wait));
                        }
                        Some(wait) => wait,
                        None => self.backoff(attempt),
                    }
                }
                Ok(_) => {
                    return outcome.map(|f| f.fetched);
                }
                Err(err) if err.retryable() && attempt <= self.config.max_retries => {
                    self.backoff(attempt)
                }
                Err(_) => return outcome.map(|f| f.fetched),
            };
            tracing::debug!(%url, attempt, ?retry_in, "retrying");
            tokio::time::sleep(retry_in).await;
        }
    }

    /// Exponential backoff with full jitter on the upper half.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .config
            .base_backoff
            .saturating_mul(1 << (attempt - 1).min(10));
        let jitter = base.mul_f64(fastrand::f64() * 0.5);
        base / 2 + jitter
    }

    async fn follow(
        &self,
        start: &Url,
        validators: &Validators,
        scope: &(dyn Fn(&Url) -> bool + Sync),
    ) -> Result<Attempt, FetchError> {
        let mut url = start.clone();
        let mut seen = HashSet::new();
        for _ in 0..=self.config.max_redirects {
            if !seen.insert(url.clone()) {
                return Err(FetchError::RedirectLoop(url.to_string()));
            }
            let response = self
                .client
                .get(url.clone())
                .headers(conditional_headers(validators))
                .send()
                .await
                .map_err(classify)?;
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| FetchError::BadRedirect(format!("{status} without Location")))?;
                url = url
                    .join(location)
                    .map_err(|e| FetchError::BadRedirect(format!("{location}: {e}")))?;
                if !scope(&url) {
                    return Err(FetchError::RedirectOutOfScope(url.to_string()));
                }
                continue;
            }
            let headers = response.headers().clone();
            let body = if status == StatusCode::NOT_MODIFIED || is_retryable_status(status.as_u16())
            {
                Vec::new()
            } else {
                self.read_body(response).await?
            };
            return Ok(Attempt {
                retry_after: retry_after(&headers),
                fetched: Fetched {
                    url,
                    status: status.as_u16(),
                    content_type: header_text(&headers, header::CONTENT_TYPE),
                    etag: header_text(&headers, header::ETAG),
                    last_modified: header_text(&headers, header::LAST_MODIFIED),
                    body,
                },
            });
        }
        Err(FetchError::TooManyRedirects(self.config.max_redirects))
    }

    async fn read_body(&self, response: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        read_capped(response, self.config.max_body_bytes).await
    }
}

/// Reads a response's body, failing as soon as it is known to exceed `limit` bytes (by its
/// announced length, or as it arrives).
pub async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, FetchError> {
    if response
        .content_length()
        .is_some_and(|n| n as usize > limit)
    {
        return Err(FetchError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(classify_body)? {
        if body.len() + chunk.len() > limit {
            return Err(FetchError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

struct Attempt {
    fetched: Fetched,
    retry_after: Option<Duration>,
}

impl std::ops::Deref for Attempt {
    type Target = Fetched;
    fn deref(&self) -> &Fetched {
        &self.fetched
    }
}

fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

fn conditional_headers(validators: &Validators) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(etag) = validators
        .etag
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        headers.insert(header::IF_NONE_MATCH, etag);
    }
    if let Some(date) = validators
        .last_modified
        .as_deref()
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        headers.insert(header::IF_MODIFIED_SINCE, date);
    }
    headers
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

/// A request's failure, as a timeout or a connection failure.
pub fn classify(err: reqwest::Error) -> FetchError {
    if err.is_timeout() {
        FetchError::Timeout(err.to_string())
    } else {
        FetchError::Connection(root_cause(&err))
    }
}

fn classify_body(err: reqwest::Error) -> FetchError {
    if err.is_timeout() {
        FetchError::Timeout(err.to_string())
    } else {
        FetchError::Truncated(root_cause(&err))
    }
}

/// An error and each of its causes, on one line (a connection error's causes say what failed).
pub fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    message
}
