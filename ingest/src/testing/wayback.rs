//! A web archive served in-process on a loopback port, with the quirks real ones have: the
//! Wayback CDX API (JSON rows, a few per answer, resume keys; `from` and `to`), `id_` playback,
//! or a pywb collection (NDJSON listing); refusals with `Retry-After`; a capture fetch that
//! never answers (for killing a run mid-way); and every request recorded.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::Notify;

use super::site::serve_on_loopback;
use crate::backfill::{digest_of, requested};

const TREATMENTS: &str = include_str!("../../tests/fixtures/treatments/html5.html");
const LETROZOLE: &str = "  <li>Femara (letrozole)</li>\n";

/// The page in 2012, before letrozole was listed.
fn page_2012() -> String {
    TREATMENTS
        .replace(LETROZOLE, "")
        .replace("1 August 2012 08:59 am", "1 May 2012 10:00 am")
}

/// The page in 2011: no letrozole, no particle beams.
fn page_2011() -> String {
    page_2012()
        .replace("  <li>Proton, electron or neutron beams</li>\n", "")
        .replace("1 May 2012 10:00 am", "1 March 2011 10:00 am")
}

/// A small HTML page with a title and one paragraph.
pub fn simple_page(title: &str, text: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{text}</p></body></html>"
    )
}

/// An archive's holdings of the foundation's site, in an order no archive promises, with real
/// archives' quirks: three versions of the treatments page (2011, 2012, 2012 with letrozole)
/// under four URL forms, a duplicate row, a revisit record, a capture of the same bytes again,
/// a redirect and an error capture, a capture whose digest does not match, an image.
pub fn lmsdr_history() -> Vec<Archived> {
    let first = Archived::page(
        "20110301100000",
        "http://lmsdr.org:80/treatments.php",
        &page_2011(),
    );
    vec![
        Archived::page(
            "20120501100000",
            "https://www.lmsdr.org/treatments.php",
            &page_2012(),
        ),
        first.clone(),
        // The same capture listed again under another form of its URL.
        Archived {
            original: "http://www.lmsdr.org/treatments.php".into(),
            ..first.clone()
        },
        Archived::revisit("20110601000000", &first),
        // The same bytes captured again: nothing new.
        Archived::page(
            "20120601000000",
            "http://www.lmsdr.org/treatments.php",
            &page_2012(),
        ),
        Archived::page(
            "20120801100000",
            "http://www.lmsdr.org/treatments.php",
            TREATMENTS,
        ),
        Archived::page(
            "20120315000000",
            "http://WWW.LMSDR.ORG/about.php#team",
            &simple_page(
                "About LMSdr",
                "The foundation funds research into leiomyosarcoma.",
            ),
        ),
        Archived::status("20120901000000", "http://www.lmsdr.org/old.php", 302),
        Archived::status("20120902000000", "http://www.lmsdr.org/missing.php", 404),
        Archived::page(
            "20121001000000",
            "http://www.lmsdr.org/news.php",
            &simple_page("News", "A corrupted capture."),
        )
        .with_wrong_digest(),
        Archived {
            mime: "image/png".into(),
            ..Archived::page("20120701000000", "http://www.lmsdr.org/logo.png", "PNG")
        },
    ]
}

/// One capture the archive holds.
#[derive(Debug, Clone)]
pub struct Archived {
    /// `YYYYMMDDhhmmss`.
    pub timestamp: String,
    /// The URL as the crawler wrote it.
    pub original: String,
    /// Listed media type.
    pub mime: String,
    /// Listed status (`None` lists `-`, as a revisit record does).
    pub status: Option<u16>,
    /// What playback answers.
    pub body: Vec<u8>,
    /// Listed digest.
    pub digest: String,
}

impl Archived {
    /// An HTML page captured with 200, listed with its true digest.
    pub fn page(timestamp: &str, original: &str, html: &str) -> Self {
        Self {
            timestamp: timestamp.to_owned(),
            original: original.to_owned(),
            mime: "text/html".to_owned(),
            status: Some(200),
            body: html.as_bytes().to_vec(),
            digest: digest_of(html.as_bytes()),
        }
    }

    /// A capture of a redirect (or of any other status).
    pub fn status(timestamp: &str, original: &str, status: u16) -> Self {
        Self {
            status: Some(status),
            ..Self::page(timestamp, original, "")
        }
    }

    /// A revisit record: the crawler saw `of`'s bytes again.
    pub fn revisit(timestamp: &str, of: &Archived) -> Self {
        Self {
            timestamp: timestamp.to_owned(),
            mime: "warc/revisit".to_owned(),
            status: None,
            ..of.clone()
        }
    }

    /// The same capture, listed with a digest its bytes do not have.
    pub fn with_wrong_digest(mut self) -> Self {
        self.digest = digest_of(b"something else");
        self
    }
}

/// Which API the archive speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// The Wayback Machine's: `/cdx/search/cdx`, `/web/{ts}id_/{url}`.
    Wayback,
    /// A pywb collection at `/coll`: `/coll/cdx`, `/coll/{ts}id_/{url}`.
    Pywb,
}

#[derive(Default)]
struct ArchiveState {
    rows: Vec<Archived>,
    rows_per_listing: usize,
    listing_refusals: VecDeque<(u16, Option<u64>)>,
    fetch_refusals: VecDeque<(u16, Option<u64>)>,
    hang_after: Option<usize>,
    fetches: usize,
    seen: Vec<String>,
    answered: Vec<String>,
}

/// The running archive.
#[derive(Clone)]
pub struct FakeArchive {
    state: Arc<Mutex<ArchiveState>>,
    hung: Arc<Notify>,
    /// The URL to give `--archive`.
    pub base: String,
    api: Api,
}

impl FakeArchive {
    /// Starts an archive holding `rows` (listed in this order), three rows per listing answer.
    pub async fn start(api: Api, rows: Vec<Archived>) -> FakeArchive {
        let state = Arc::new(Mutex::new(ArchiveState {
            rows,
            rows_per_listing: 3,
            ..Default::default()
        }));
        let hung = Arc::new(Notify::new());
        let app = Router::new()
            .fallback(serve)
            .with_state((state.clone(), hung.clone(), api));
        let root = serve_on_loopback(app).await;
        let base = match api {
            Api::Wayback => root,
            Api::Pywb => format!("{root}/coll"),
        };
        FakeArchive {
            state,
            hung,
            base,
            api,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ArchiveState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds captures, as an archive does over time.
    pub fn add(&self, rows: Vec<Archived>) {
        self.lock().rows.extend(rows);
    }

    /// The next `times` listing requests are refused with `status` and `Retry-After`.
    pub fn refuse_listings(&self, times: usize, status: u16, retry_after: Option<u64>) {
        let mut state = self.lock();
        for _ in 0..times {
            state.listing_refusals.push_back((status, retry_after));
        }
    }

    /// The next `times` capture fetches are refused with `status` and `Retry-After`.
    pub fn refuse_fetches(&self, times: usize, status: u16, retry_after: Option<u64>) {
        let mut state = self.lock();
        for _ in 0..times {
            state.fetch_refusals.push_back((status, retry_after));
        }
    }

    /// After `fetches` more capture fetches are answered, the next never is.
    pub fn hang_after(&self, fetches: usize) {
        let mut state = self.lock();
        state.hang_after = Some(state.fetches + fetches);
    }

    /// Waits until a fetch hangs.
    pub async fn hung(&self) {
        self.hung.notified().await;
    }

    /// Every request so far (path and query).
    pub fn seen(&self) -> Vec<String> {
        self.lock().seen.clone()
    }

    /// The capture fetches answered so far (refused ones aside): `{timestamp}id_/{original}`.
    pub fn fetched(&self) -> Vec<String> {
        self.lock().answered.clone()
    }

    /// Answers every request from now on: no refusal waits, no fetch hangs.
    pub fn answer_all(&self) {
        let mut state = self.lock();
        state.listing_refusals.clear();
        state.fetch_refusals.clear();
        state.hang_after = None;
    }

    /// The listing requests so far.
    pub fn listings(&self) -> usize {
        self.seen().iter().filter(|p| p.contains("/cdx")).count()
    }

    /// The API it speaks.
    pub fn api(&self) -> Api {
        self.api
    }
}

type Shared = (Arc<Mutex<ArchiveState>>, Arc<Notify>, Api);

async fn serve(State((state, hung, api)): State<Shared>, request: Request) -> Response {
    let path = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let (answer, hang) = {
        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
        state.seen.push(path.clone());
        let collection = match api {
            Api::Wayback => "/web/",
            Api::Pywb => "/coll/",
        };
        let listing = match api {
            Api::Wayback => "/cdx/search/cdx?",
            Api::Pywb => "/coll/cdx?",
        };
        if let Some(query) = path.strip_prefix(listing) {
            if let Some(refusal) = state.listing_refusals.pop_front() {
                return refused(refusal);
            }
            (list(&state, query, api), false)
        } else if let Some(rest) = path.strip_prefix(collection)
            && let Some((timestamp, original)) = rest.split_once("id_/")
        {
            if let Some(refusal) = state.fetch_refusals.pop_front() {
                return refused(refusal);
            }
            let hang = state.hang_after.is_some_and(|after| state.fetches >= after);
            state.fetches += 1;
            if !hang {
                state.answered.push(format!("{timestamp}id_/{original}"));
            }
            (play(&state, timestamp, original), hang)
        } else {
            ((StatusCode::NOT_FOUND, "not found").into_response(), false)
        }
    };
    if hang {
        hung.notify_one();
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    answer
}

fn refused((status, retry_after): (u16, Option<u64>)) -> Response {
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::TOO_MANY_REQUESTS),
        "slow down",
    )
        .into_response();
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

fn list(state: &ArchiveState, query: &str, api: Api) -> Response {
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let from = param("from").unwrap_or("0");
    let to = format!("{:9<14}", param("to").unwrap_or("9"));
    let rows: Vec<&Archived> = state
        .rows
        .iter()
        .filter(|r| r.timestamp.as_str() >= from && r.timestamp.as_str() <= to.as_str())
        .collect();
    if api == Api::Pywb {
        let lines: String = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "urlkey": "org,lmsdr)/",
                    "timestamp": r.timestamp,
                    "url": r.original,
                    "mime": r.mime,
                    "status": r.status.map_or("-".to_owned(), |s| s.to_string()),
                    "digest": format!("sha1:{}", r.digest),
                })
                .to_string()
                    + "\n"
            })
            .collect();
        return lines.into_response();
    }
    // Resume keys look like the real ones: a SURT and a timestamp, with characters to encode.
    let start: usize = param("resumeKey")
        .and_then(|k| k.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let end = (start + state.rows_per_listing).min(rows.len());
    let mut table = vec![serde_json::json!([
        "urlkey",
        "timestamp",
        "original",
        "mimetype",
        "statuscode",
        "digest",
        "length"
    ])];
    for r in rows.get(start..end).unwrap_or_default() {
        table.push(serde_json::json!([
            "org,lmsdr)/",
            r.timestamp,
            r.original,
            r.mime,
            r.status.map_or("-".to_owned(), |s| s.to_string()),
            r.digest,
            r.body.len().to_string()
        ]));
    }
    if end < rows.len() {
        table.push(serde_json::json!([]));
        table.push(serde_json::json!([format!("org,lmsdr)/+{end} {end}")]));
    }
    serde_json::Value::Array(table).to_string().into_response()
}

fn play(state: &ArchiveState, timestamp: &str, original: &str) -> Response {
    match state.rows.iter().find(|r| {
        r.timestamp == timestamp && requested(&r.original) == original && r.status == Some(200)
    }) {
        // The original's headers are not replayed: archives drop the charset.
        Some(row) => ([(header::CONTENT_TYPE, row.mime.clone())], row.body.clone()).into_response(),
        None => (StatusCode::NOT_FOUND, "no such capture").into_response(),
    }
}
