//! Talking to a web archive politely: an honest User-Agent, one keep-alive connection, listing
//! requests and capture fetches each spaced to their own rate, `Retry-After` honoured on 429 and
//! 503 (else a minute, doubled each time it happens again), and a stop, with a clear message,
//! before an archive that keeps refusing would block the machine.

use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Client, StatusCode};
use tokio::time::Instant;

use crate::fetch::{self, FetchError, USER_AGENT};
use crate::limits::MAX_PAGE_BYTES;

/// The largest listing answer read (5,000 rows take about 1 MB).
const MAX_LISTING_BYTES: usize = 64 * 1024 * 1024;

/// How a backfill treats the archive.
#[derive(Debug, Clone)]
pub struct Politeness {
    /// The User-Agent header.
    pub user_agent: String,
    /// Listing requests a minute, at most (the Internet Archive's staff ask for 24 or fewer).
    pub listings_per_minute: u32,
    /// Capture fetches a second, at most (8 is what the Internet Archive allows a client).
    pub fetches_per_second: u32,
    /// The wait after a 429 or 503 without `Retry-After`; each refusal in a row doubles it.
    pub refusal_wait: Duration,
    /// Refusals in a row after which the backfill stops.
    pub max_refusals: u32,
    /// The longest `Retry-After` waited out; an archive asking for longer stops the backfill.
    pub max_retry_after: Duration,
    /// Longest a whole request may take.
    pub timeout: Duration,
}

impl Default for Politeness {
    fn default() -> Self {
        Self {
            user_agent: USER_AGENT.to_owned(),
            listings_per_minute: 24,
            fetches_per_second: 8,
            refusal_wait: Duration::from_secs(60),
            max_refusals: 4,
            max_retry_after: Duration::from_secs(15 * 60),
            timeout: Duration::from_secs(120),
        }
    }
}

/// Why the archive could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The archive keeps refusing, or asks for a longer wait than lmsdr will give.
    #[error(
        "the archive refused {refusals} request(s) in a row (HTTP {status}{retry}); lmsdr stopped \
         so that the archive does not block this machine. Run the backfill again later: it goes \
         on where it stopped"
    )]
    Refused {
        /// The last status.
        status: u16,
        /// Refusals in a row.
        refusals: u32,
        /// What the archive asked, in words.
        retry: String,
    },
    /// The request failed: no connection, a timeout, a body too large.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(String),
}

/// An archive's answer.
#[derive(Debug)]
pub struct Answer {
    /// Its status.
    pub status: u16,
    /// Its `Content-Encoding`, when the archive passes the original's on.
    pub content_encoding: Option<String>,
    /// Its body, as sent (not decompressed).
    pub body: Vec<u8>,
}

/// Spaces requests of one kind: each waits until the interval since the previous has passed.
#[derive(Debug)]
struct Spacer {
    interval: Duration,
    next: Option<Instant>,
}

impl Spacer {
    fn per(count: u32, period: Duration) -> Self {
        Self {
            interval: period / count.max(1),
            next: None,
        }
    }

    async fn wait(&mut self) {
        if let Some(at) = self.next {
            tokio::time::sleep_until(at).await;
        }
        self.next = Some(Instant::now() + self.interval);
    }
}

/// Which rate a request counts against.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A listing request (the CDX API).
    Listing,
    /// A capture fetch (playback).
    Capture,
}

/// A polite client for one archive.
#[derive(Debug)]
pub struct ArchiveClient {
    client: Client,
    politeness: Politeness,
    listings: Spacer,
    captures: Spacer,
    refusals: u32,
    /// Requests sent, refusals included.
    pub requests: usize,
}

impl ArchiveClient {
    /// A client following `politeness`.
    pub fn new(politeness: Politeness) -> Result<Self, ArchiveError> {
        let mut headers = HeaderMap::new();
        // The bytes as archived: the digest is of them.
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("identity"),
        );
        let client = Client::builder()
            .user_agent(politeness.user_agent.clone())
            .default_headers(headers)
            .no_gzip()
            .no_brotli()
            .no_deflate()
            .pool_max_idle_per_host(1)
            .connect_timeout(Duration::from_secs(30))
            .timeout(politeness.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ArchiveError::Client(e.to_string()))?;
        Ok(Self {
            listings: Spacer::per(politeness.listings_per_minute, Duration::from_secs(60)),
            captures: Spacer::per(politeness.fetches_per_second, Duration::from_secs(1)),
            client,
            politeness,
            refusals: 0,
            requests: 0,
        })
    }

    /// GETs a URL at its kind's pace, waiting out refusals; any other status is the caller's.
    pub async fn get(&mut self, url: &str, kind: Kind) -> Result<Answer, ArchiveError> {
        loop {
            match kind {
                Kind::Listing => self.listings.wait().await,
                Kind::Capture => self.captures.wait().await,
            }
            self.requests += 1;
            let response = self.client.get(url).send().await.map_err(fetch::classify)?;
            let status = response.status();
            if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE
            {
                let wait = self.refused(status.as_u16(), fetch::retry_after(response.headers()))?;
                tracing::warn!(%url, status = status.as_u16(), ?wait, "the archive asks to wait");
                tokio::time::sleep(wait).await;
                continue;
            }
            self.refusals = 0;
            let limit = match kind {
                Kind::Listing => MAX_LISTING_BYTES,
                Kind::Capture => MAX_PAGE_BYTES,
            };
            let content_encoding = response
                .headers()
                .get(header::CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .map(str::to_ascii_lowercase);
            let body = fetch::read_capped(response, limit).await?;
            return Ok(Answer {
                status: status.as_u16(),
                content_encoding,
                body,
            });
        }
    }

    /// How long to wait after a refusal, or the error that stops the backfill.
    fn refused(
        &mut self,
        status: u16,
        retry_after: Option<Duration>,
    ) -> Result<Duration, ArchiveError> {
        self.refusals += 1;
        let stop = |retry: String, refusals| ArchiveError::Refused {
            status,
            refusals,
            retry,
        };
        match retry_after {
            Some(wait) if wait > self.politeness.max_retry_after => Err(stop(
                format!(", Retry-After {}s", wait.as_secs()),
                self.refusals,
            )),
            _ if self.refusals >= self.politeness.max_refusals => {
                Err(stop(String::new(), self.refusals))
            }
            Some(wait) => Ok(wait),
            None => Ok(self
                .politeness
                .refusal_wait
                .saturating_mul(1 << (self.refusals - 1).min(8))),
        }
    }
}
