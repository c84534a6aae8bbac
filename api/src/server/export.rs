//! The export endpoints: `GET /export/{json,ndjson,jsonld,fhir}`, `/export/csv/{file}.csv` and
//! `/export/schema/{type}.json`.
//!
//! Bodies are streamed from the snapshot as it is read. `ETag` is the content generation (with
//! the representation), `Last-Modified` the last change; a client that has them gets 304. A few
//! exports run at once; more are told to retry, so that exports never take every database
//! connection from queries.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::TryStreamExt;
use tokio::sync::Semaphore;

use super::AppState;
use super::clients::{self, PerClient};
use crate::export::csv::{CsvEncoder, CsvFile};
use crate::export::records::RecordType;
use crate::export::{
    Encoder, Export, FhirEncoder, Format, JsonEncoder, JsonLdEncoder, NdjsonEncoder, all_types,
    order_of,
};

/// Exports that may stream at once, per process.
pub const MAX_CONCURRENT_EXPORTS: usize = 2;

/// Longest an export may stream: a client too slow to take it in that time would otherwise hold
/// its snapshot (a read transaction) open without end.
pub const EXPORT_DEADLINE: Duration = Duration::from_secs(15 * 60);

/// Exports one client address may stream at once.
pub const MAX_EXPORTS_PER_CLIENT: usize = 1;

/// The permits [`MAX_CONCURRENT_EXPORTS`] and [`MAX_EXPORTS_PER_CLIENT`] hand out.
#[derive(Debug, Clone)]
pub struct ExportPermits {
    all: Arc<Semaphore>,
    per_client: PerClient,
}

impl Default for ExportPermits {
    fn default() -> Self {
        Self {
            all: Arc::new(Semaphore::new(MAX_CONCURRENT_EXPORTS)),
            per_client: PerClient::new(MAX_EXPORTS_PER_CLIENT),
        }
    }
}

/// The export routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/export/json", get(json))
        .route("/export/ndjson", get(ndjson))
        .route("/export/jsonld", get(jsonld))
        .route("/export/fhir", get(fhir))
        .route("/export/csv/{file}", get(csv))
        .route("/export/schema/{file}", get(schema))
        .route("/export/changes", get(super::feed::changes))
}

/// What one endpoint serves.
struct Representation {
    /// Names it in the `ETag`.
    name: &'static str,
    media_type: &'static str,
    wanted: Vec<RecordType>,
    encoder: Box<dyn Encoder>,
    /// A file name to save it under, for formats a browser should download.
    attachment: Option<&'static str>,
}

async fn json(State(state): State<AppState>, request: Parts) -> Response {
    let representation = Representation {
        name: "json",
        media_type: "application/json",
        wanted: all_types(),
        encoder: Box::new(JsonEncoder::default()),
        attachment: None,
    };
    respond(&state, &request, representation).await
}

async fn ndjson(State(state): State<AppState>, request: Parts) -> Response {
    let representation = Representation {
        name: "ndjson",
        media_type: "application/x-ndjson",
        wanted: all_types(),
        encoder: Box::new(NdjsonEncoder),
        attachment: None,
    };
    respond(&state, &request, representation).await
}

async fn jsonld(State(state): State<AppState>, request: Parts) -> Response {
    let representation = Representation {
        name: "jsonld",
        media_type: "application/ld+json",
        wanted: order_of(Format::Jsonld),
        encoder: Box::new(JsonLdEncoder::default()),
        attachment: None,
    };
    respond(&state, &request, representation).await
}

async fn fhir(State(state): State<AppState>, request: Parts) -> Response {
    let representation = Representation {
        name: "fhir",
        media_type: "application/fhir+json; fhirVersion=4.0",
        wanted: order_of(Format::Fhir),
        encoder: Box::new(FhirEncoder::default()),
        attachment: None,
    };
    respond(&state, &request, representation).await
}

async fn csv(State(state): State<AppState>, Path(file): Path<String>, request: Parts) -> Response {
    let Some(csv_file) = CsvFile::from_file_name(&file) else {
        let names: Vec<&str> = CsvFile::ALL.iter().map(|f| f.file_name()).collect();
        return problem(
            StatusCode::NOT_FOUND,
            &format!("no CSV file `{file}`; there are {}", names.join(", ")),
        );
    };
    let representation = Representation {
        name: csv_file.file_name(),
        media_type: "text/csv; charset=utf-8; header=present",
        wanted: vec![RecordType::Export, csv_file.record_type()],
        encoder: Box::new(CsvEncoder::new(csv_file)),
        attachment: Some(csv_file.file_name()),
    };
    respond(&state, &request, representation).await
}

async fn schema(Path(file): Path<String>) -> Response {
    let Some(kind) = file.strip_suffix(".json").and_then(RecordType::from_name) else {
        let names: Vec<String> = RecordType::ALL
            .iter()
            .map(|t| format!("{}.json", t.name()))
            .collect();
        return problem(
            StatusCode::NOT_FOUND,
            &format!("no schema `{file}`; there are {}", names.join(", ")),
        );
    };
    let body = serde_json::to_string_pretty(&kind.schema()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/schema+json")], body).into_response()
}

/// A JSON error body, as the rest of the API gives them.
pub(super) fn problem(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn respond(state: &AppState, request: &Parts, representation: Representation) -> Response {
    let headers = &request.headers;
    let permits = state.export_permits();
    let Some(client) = clients::take_for(&permits.per_client, &request.extensions) else {
        let mut response = problem(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "{MAX_EXPORTS_PER_CLIENT} export from this address is already streaming; \
                 retry once it has finished"
            ),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
        return response;
    };
    let Ok(permit) = permits.all.clone().try_acquire_owned() else {
        let mut response = problem(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("{MAX_CONCURRENT_EXPORTS} exports are already running; retry shortly"),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
        return response;
    };
    let export = match Export::start(state.db().clone(), representation.wanted).await {
        Ok(export) => export,
        Err(err) => {
            tracing::error!(error = %err, "an export could not start");
            return problem(StatusCode::INTERNAL_SERVER_ERROR, "the export failed");
        }
    };
    let meta = export.meta();
    let etag = format!("\"{}-{}\"", meta.generation, representation.name);
    // HTTP dates have whole seconds.
    let last_modified = meta
        .last_changed_at
        .and_then(|at| u64::try_from(at.timestamp()).ok())
        .map(|secs| SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
    let mut response = if not_modified(headers, &etag, last_modified) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let body = export
            .into_stream(representation.encoder, EXPORT_DEADLINE)
            .inspect_err(|err| {
                tracing::error!(error = %err, "an export stopped part way");
            });
        // The permits go with the body: they are released when the stream ends or is dropped.
        let body = body.map_ok(move |chunk| {
            let _held = (&permit, &client);
            chunk
        });
        let mut response = Body::from_stream(body).into_response();
        let content_type = HeaderValue::from_static(representation.media_type);
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
        if let Some(name) = representation.attachment
            && let Ok(value) =
                HeaderValue::from_str(&format!("attachment; filename=\"lmsdr-{name}\""))
        {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
        response
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if let Some(at) = last_modified
        && let Ok(value) = HeaderValue::from_str(&httpdate::fmt_http_date(at))
    {
        headers.insert(header::LAST_MODIFIED, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Whether the client's copy is current: `If-None-Match` names the `ETag` (it wins when given,
/// RFC 9110 §13.1.3), else `If-Modified-Since` is no earlier than the last change.
fn not_modified(headers: &HeaderMap, etag: &str, last_modified: Option<SystemTime>) -> bool {
    if let Some(tags) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        return tags
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag);
    }
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    matches!((since, last_modified), (Some(since), Some(at)) if at <= since)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn a_matching_etag_or_a_date_after_the_last_change_means_not_modified() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let etag = "\"abc-json\"";
        assert!(not_modified(
            &with(header::IF_NONE_MATCH, etag),
            etag,
            Some(at)
        ));
        assert!(not_modified(
            &with(header::IF_NONE_MATCH, "\"x\", W/\"abc-json\""),
            etag,
            Some(at)
        ));
        assert!(!not_modified(
            &with(header::IF_NONE_MATCH, "\"abc-csv\""),
            etag,
            Some(at)
        ));
        let date = httpdate::fmt_http_date(at);
        assert!(not_modified(
            &with(header::IF_MODIFIED_SINCE, &date),
            etag,
            Some(at)
        ));
        let earlier = httpdate::fmt_http_date(at - Duration::from_secs(1));
        assert!(!not_modified(
            &with(header::IF_MODIFIED_SINCE, &earlier),
            etag,
            Some(at)
        ));
        assert!(!not_modified(&HeaderMap::new(), etag, Some(at)));
    }
}
