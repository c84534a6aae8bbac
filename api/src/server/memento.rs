//! lmsdr's own history over Memento (RFC 7089), for the tools people use with web archives:
//! `GET /timemap/link/{url}` lists a page's mementos, `GET /timegate/{url}` redirects to the one
//! in force at `Accept-Datetime`, and `GET /memento/{YYYYMMDDhhmmss}/{url}` answers the bytes
//! as they were fetched. A memento is an accepted revision (held ones are not); archived HTML,
//! third-party in origin, is served sandboxed so that it never runs as lmsdr's origin.

use std::time::SystemTime;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use lmsdr_entity::page_revisions;
use lmsdr_ingest::backfill::captured_at;
use lmsdr_ingest::pipeline::stored_input;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use url::Url;

use super::AppState;
use crate::graphql::stored_page;

/// The policy of a memento: no script, no form, no plugin, an origin of its own; its images and
/// styles may load, so that it reads as it did.
pub const MEMENTO_CSP: &str =
    "sandbox; default-src 'none'; img-src * data:; style-src * 'unsafe-inline'; font-src *";

/// The link format of a TimeMap (RFC 6690).
const LINK_FORMAT: &str = "application/link-format";

/// The Memento routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/timemap/link/{*url}", get(timemap))
        .route("/timegate/{*url}", get(timegate))
        .route("/memento/{timestamp}/{*url}", get(memento))
}

/// One memento: a revision and its time, to the second.
#[derive(Debug, Clone, Copy)]
struct Memento {
    revision_id: i32,
    at: DateTime<Utc>,
}

impl Memento {
    fn timestamp(&self) -> String {
        self.at.format("%Y%m%d%H%M%S").to_string()
    }

    fn http_date(&self) -> String {
        httpdate::fmt_http_date(SystemTime::from(self.at))
    }
}

/// A page and its mementos, oldest first, as this request names them.
struct History {
    original: String,
    mementos: Vec<Memento>,
    base: String,
}

impl History {
    fn timegate(&self) -> String {
        format!("{}/timegate/{}", self.base, self.original)
    }

    fn timemap(&self) -> String {
        format!("{}/timemap/link/{}", self.base, self.original)
    }

    fn memento(&self, memento: &Memento) -> String {
        format!(
            "{}/memento/{}/{}",
            self.base,
            memento.timestamp(),
            self.original
        )
    }

    /// The index of the memento in force at `at` (the last one captured by then), or of the
    /// first.
    fn at(&self, at: DateTime<Utc>) -> usize {
        self.mementos.iter().rposition(|m| m.at <= at).unwrap_or(0)
    }

    /// A link to a memento with its relation and datetime.
    fn link(&self, memento: &Memento, rel: &str) -> String {
        format!(
            "<{}>; rel=\"{rel}\"; datetime=\"{}\"",
            self.memento(memento),
            memento.http_date()
        )
    }

    /// The links of an answer about the memento at `index`: the original, the TimeGate, the
    /// TimeMap, and the first, previous, next and last mementos.
    fn links(&self, index: usize) -> String {
        let mut links = vec![
            format!("<{}>; rel=\"original\"", self.original),
            format!("<{}>; rel=\"timegate\"", self.timegate()),
            format!(
                "<{}>; rel=\"timemap\"; type=\"{LINK_FORMAT}\"",
                self.timemap()
            ),
        ];
        let around = [
            (Some(0), "first memento"),
            (index.checked_sub(1), "prev memento"),
            (Some(index + 1), "next memento"),
            (self.mementos.len().checked_sub(1), "last memento"),
        ];
        for (at, rel) in around {
            if let Some(memento) = at.and_then(|i| self.mementos.get(i)) {
                links.push(self.link(memento, rel));
            }
        }
        links.join(", ")
    }
}

/// Why a Memento request has no answer.
enum Refusal {
    NotFound(&'static str),
    BadRequest(String),
    Failed(String),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::NotFound(what) => (StatusCode::NOT_FOUND, what).into_response(),
            Refusal::BadRequest(why) => (StatusCode::BAD_REQUEST, why).into_response(),
            Refusal::Failed(cause) => {
                tracing::error!(%cause, "a Memento request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    }
}

impl From<DbErr> for Refusal {
    fn from(err: DbErr) -> Self {
        Refusal::Failed(err.to_string())
    }
}

/// The URL a Memento path names after its prefix, with the query the request carried (which is
/// the original's): `http://www.lmsdr.org/x.php?id=3`, or without a scheme, `www.lmsdr.org/x`.
fn named_url(uri: &Uri, after: &str) -> Result<Url, Refusal> {
    let full = uri.path_and_query().map_or("", |p| p.as_str());
    let text = full.find(after).map_or("", |at| &full[at + after.len()..]);
    let text = percent_decoded_scheme(text);
    let absolute = if text.contains("://") {
        text.clone()
    } else {
        format!("http://{text}")
    };
    Url::parse(&absolute).map_err(|e| Refusal::BadRequest(format!("`{text}` is not a URL: {e}")))
}

/// A URL some clients send with its `://` percent-encoded.
fn percent_decoded_scheme(text: &str) -> String {
    for scheme in ["http", "https"] {
        let encoded = format!("{scheme}%3A%2F%2F");
        if text.len() >= encoded.len() && text[..encoded.len()].eq_ignore_ascii_case(&encoded) {
            return format!("{scheme}://{}", &text[encoded.len()..]);
        }
    }
    text.to_owned()
}

/// This server as the request reached it: `https://lmsdr.example` (from `Host`, and
/// `X-Forwarded-Proto` behind a proxy), or nothing, for links relative to it.
fn base(headers: &HeaderMap) -> String {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    match text(header::HOST.as_str()) {
        Some(host) if host.bytes().all(|b| b.is_ascii_graphic()) => {
            let scheme = match text("x-forwarded-proto") {
                Some("https") => "https",
                _ => "http",
            };
            format!("{scheme}://{host}")
        }
        _ => String::new(),
    }
}

/// The page a URL names and its mementos.
async fn history(
    db: &DatabaseConnection,
    url: &Url,
    headers: &HeaderMap,
) -> Result<History, Refusal> {
    let page = stored_page(db, url)
        .await?
        .ok_or(Refusal::NotFound("no page is stored at this URL"))?;
    let rows: Vec<(i32, DateTime<Utc>)> = page_revisions::Entity::find()
        .select_only()
        .columns([
            page_revisions::Column::Id,
            page_revisions::Column::FetchedAt,
        ])
        .filter(page_revisions::Column::PageId.eq(page.id))
        .filter(page_revisions::Column::Quarantined.eq(false))
        .order_by_asc(page_revisions::Column::FetchedAt)
        .order_by_asc(page_revisions::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut mementos: Vec<Memento> = Vec::with_capacity(rows.len());
    for (revision_id, at) in rows {
        let memento = Memento {
            revision_id,
            at: at.with_timezone(&Utc),
        };
        // One memento a second: a URL names its second.
        if mementos.last().map(Memento::timestamp) != Some(memento.timestamp()) {
            mementos.push(memento);
        }
    }
    if mementos.is_empty() {
        return Err(Refusal::NotFound("the page has no accepted revision"));
    }
    Ok(History {
        original: page.url,
        mementos,
        base: base(headers),
    })
}

/// `GET /timemap/link/{url}`: every memento of the page, in link format.
async fn timemap(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    match timemap_of(&state.db, &uri, &headers).await {
        Ok(body) => ([(header::CONTENT_TYPE, LINK_FORMAT)], body).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

async fn timemap_of(
    db: &DatabaseConnection,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<String, Refusal> {
    let history = history(db, &named_url(uri, "/timemap/link/")?, headers).await?;
    let (Some(first), Some(last)) = (history.mementos.first(), history.mementos.last()) else {
        return Err(Refusal::NotFound("the page has no accepted revision"));
    };
    let mut links = vec![
        format!("<{}>; rel=\"original\"", history.original),
        format!("<{}>; rel=\"timegate\"", history.timegate()),
        format!(
            "<{}>; rel=\"self\"; type=\"{LINK_FORMAT}\"; from=\"{}\"; until=\"{}\"",
            history.timemap(),
            first.http_date(),
            last.http_date()
        ),
    ];
    let count = history.mementos.len();
    for (i, memento) in history.mementos.iter().enumerate() {
        let rel = match (i == 0, i + 1 == count) {
            (true, true) => "first last memento",
            (true, false) => "first memento",
            (false, true) => "last memento",
            (false, false) => "memento",
        };
        links.push(history.link(memento, rel));
    }
    Ok(links.join(",\n") + "\n")
}

/// `GET /timegate/{url}`: 302 to the memento in force at `Accept-Datetime` (the latest without
/// one).
async fn timegate(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    match timegate_of(&state.db, &uri, &headers).await {
        Ok(response) => response,
        Err(refusal) => {
            let mut response = refusal.into_response();
            response
                .headers_mut()
                .insert(header::VARY, HeaderValue::from_static("accept-datetime"));
            response
        }
    }
}

async fn timegate_of(
    db: &DatabaseConnection,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, Refusal> {
    let wanted = match headers.get("accept-datetime") {
        None => None,
        Some(value) => {
            let text = value.to_str().unwrap_or_default();
            let at = httpdate::parse_http_date(text).map_err(|_| {
                Refusal::BadRequest(format!(
                    "Accept-Datetime `{text}` is not an HTTP date such as `Thu, 01 Mar 2012 12:00:00 GMT`"
                ))
            })?;
            Some(DateTime::<Utc>::from(at))
        }
    };
    let history = history(db, &named_url(uri, "/timegate/")?, headers).await?;
    let chosen = match wanted {
        Some(at) => history.at(at),
        None => history.mementos.len().saturating_sub(1),
    };
    redirect(&history, chosen, true)
}

/// A header value made of text this module wrote.
fn value(text: String) -> Result<HeaderValue, Refusal> {
    HeaderValue::try_from(text).map_err(|e| Refusal::Failed(e.to_string()))
}

/// A 302 to the memento at `index`, with the links a TimeGate (`vary`) or a memento URL
/// answers with.
fn redirect(history: &History, index: usize, vary: bool) -> Result<Response, Refusal> {
    let memento = history
        .mementos
        .get(index)
        .ok_or(Refusal::NotFound("the page has no accepted revision"))?;
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, value(history.memento(memento))?);
    headers.insert(header::LINK, value(history.links(index))?);
    if vary {
        headers.insert(header::VARY, HeaderValue::from_static("accept-datetime"));
    }
    Ok(response)
}

/// `GET /memento/{YYYYMMDDhhmmss}/{url}`: the page's bytes as fetched then; another time
/// redirects to the memento in force at it.
async fn memento(
    State(state): State<AppState>,
    Path((timestamp, _)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    match memento_of(&state.db, &timestamp, &uri, &headers).await {
        Ok(response) => response,
        Err(refusal) => refusal.into_response(),
    }
}

async fn memento_of(
    db: &DatabaseConnection,
    timestamp: &str,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Response, Refusal> {
    let at = captured_at(timestamp).ok_or_else(|| {
        Refusal::BadRequest(format!("`{timestamp}` is not a time: write YYYYMMDDhhmmss"))
    })?;
    let history = history(
        db,
        &named_url(uri, &format!("/memento/{timestamp}/"))?,
        headers,
    )
    .await?;
    let Some(index) = history
        .mementos
        .iter()
        .position(|m| m.timestamp() == timestamp)
    else {
        return redirect(&history, history.at(at), false);
    };
    let memento = history.mementos[index];
    let stored = stored_input(db, memento.revision_id)
        .await
        .map_err(|e| Refusal::Failed(e.to_string()))?
        .ok_or(Refusal::NotFound("no such revision"))?;
    let content_type = stored
        .content_type
        .filter(|t| t.is_ascii() && !t.trim().is_empty())
        .unwrap_or_else(|| "text/html".to_owned());
    let mut response = Response::new(Body::from(stored.bytes));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, value(content_type)?);
    headers.insert("memento-datetime", value(memento.http_date())?);
    headers.insert(header::LINK, value(history.links(index))?);
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(MEMENTO_CSP),
    );
    Ok(response)
}
