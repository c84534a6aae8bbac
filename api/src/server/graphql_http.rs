//! The GraphQL-over-HTTP handler and the error boundary at the edge.
//!
//! `/graphql` follows the GraphQL over HTTP spec: POST and GET (GET never runs a mutation: 405),
//! the response type follows `Accept` (`application/graphql-response+json` or
//! `application/json`, 406 for neither), and with `application/graphql-response+json` a request
//! that fails before execution answers 400. The handler reads the body itself, so every refusal
//! (too large: 413; not JSON, not a GraphQL request: 400) is a JSON error with a clear message.
//! Stock async-graphql-axum answers
//! `application/graphql-response+json` to a client that asked only for `application/json`; this
//! handler does not.

use async_graphql::parser::types::OperationType;
use std::collections::BTreeMap;

use async_graphql::{BatchRequest, Response as GraphQLResponse, ServerError, Value};
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::response_cache::Key;
use super::{AppState, MAX_BATCH, MAX_BODY_BYTES, ServerConfig};
use crate::graphql::{AdminAccess, Loaders, MAX_RESPONSE_BYTES, RequestBudget, clean_errors, code};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
/// The JSON media type, which errors before GraphQL runs answer in.
pub(super) const JSON: &str = "application/json";

/// The media type to answer with, from `Accept`; `None` when nothing acceptable was asked for.
fn negotiate(headers: &HeaderMap) -> Option<&'static str> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(JSON);
    };
    let mut best: Option<(&'static str, f32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let candidate = match media.as_str() {
            GRAPHQL_RESPONSE => GRAPHQL_RESPONSE,
            JSON | "application/*" | "*/*" => JSON,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(_, best_q)| q > best_q) {
            best = Some((candidate, q));
        }
    }
    best.map(|(media, _)| media)
}

/// Whether a request says its body is JSON (`application/json`, any parameters).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(JSON))
}

/// The GraphQL request a GET's query string or a POST's JSON body holds, or the answer
/// refusing it: 413 over the size limit (declared or found while reading), else 400 saying
/// what is wrong with it.
fn read_request(
    method: &Method,
    uri: &Uri,
    body: Result<Bytes, BytesRejection>,
) -> Result<BatchRequest, (StatusCode, String)> {
    if method == Method::GET {
        return async_graphql::http::parse_query_string(uri.query().unwrap_or_default())
            .map(BatchRequest::Single)
            .map_err(|e| {
                let message = format!("the query string is not a GraphQL request: {e}");
                (StatusCode::BAD_REQUEST, message)
            });
    }
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
        ),
        status => (
            status,
            format!(
                "the request body could not be read: {}",
                rejection.body_text()
            ),
        ),
    })?;
    serde_json::from_slice(&body).map_err(|e| {
        let message = format!("the body is not a GraphQL request: {e}");
        (StatusCode::BAD_REQUEST, message)
    })
}

pub(super) fn error_response(
    status: StatusCode,
    media: &'static str,
    message: &str,
    code: &str,
) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    (status, [(header::CONTENT_TYPE, media)], body.to_string()).into_response()
}

fn admin_access(config: &ServerConfig, headers: &HeaderMap) -> AdminAccess {
    let Some(expected) = config.admin_token.as_deref() else {
        return AdminAccess::Disabled;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            // The scheme is case-insensitive (RFC 9110 §11.1).
            let (scheme, token) = v.trim().split_once(char::is_whitespace)?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token)
        })
        .map(str::trim);
    match given {
        Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => {
            AdminAccess::Granted
        }
        _ => AdminAccess::Denied,
    }
}

/// Compares without an early exit, so timing does not reveal how much of a token matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let wanted = request.operation_name.as_deref();
    document.operations.iter().any(|(name, operation)| {
        operation.node.ty == OperationType::Mutation
            && (wanted.is_none() || name.map(|n| n.as_str()) == wanted)
    })
}

pub(super) async fn graphql_handler(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return error_response(
            StatusCode::NOT_ACCEPTABLE,
            JSON,
            "the Accept header allows neither application/graphql-response+json nor application/json",
            code::BAD_REQUEST,
        );
    };
    if method == Method::POST && !is_json(&headers) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            "a POST needs `Content-Type: application/json`",
            code::BAD_REQUEST,
        );
    }
    let batch = match read_request(&method, &uri, body) {
        Ok(batch) => batch,
        Err((status, message)) => {
            return error_response(status, media, &message, code::BAD_REQUEST);
        }
    };
    let mut requests: Vec<async_graphql::Request> = match batch {
        BatchRequest::Single(request) => vec![request],
        BatchRequest::Batch(requests) => requests,
    };
    let access = admin_access(&state.config, &headers);
    let admin = matches!(access, AdminAccess::Granted);
    for request in &mut requests {
        if let Err(refusal) = state.persisted.resolve(request, admin) {
            // Apollo's clients read the error from an answer of 200 (as JSON) and send the
            // query; the GraphQL over HTTP media type says 400 for a request that cannot run.
            let status = if media == GRAPHQL_RESPONSE {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            return error_response(status, media, &refusal.message, refusal.code);
        }
    }
    if requests.iter().any(|r| r.query.trim().is_empty()) {
        return error_response(
            StatusCode::BAD_REQUEST,
            media,
            "the request has no `query`",
            code::BAD_REQUEST,
        );
    }
    let single = requests.len() == 1;
    if requests.len() > MAX_BATCH {
        return error_response(
            StatusCode::BAD_REQUEST,
            media,
            &format!("a batch may hold at most {MAX_BATCH} operations"),
            code::VALIDATION_FAILED,
        );
    }
    if method == Method::GET && requests.iter().any(is_mutation) {
        let mut response = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            "mutations are only accepted over POST",
            code::VALIDATION_FAILED,
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    // Answers depend on nobody's identity only when nobody says who they are.
    let anonymous = !headers.contains_key(header::AUTHORIZATION);
    // A GET of one query can be revalidated by HTTP caches (a CDN, a browser) with its ETag.
    let revalidated = method == Method::GET && single && anonymous;
    let mut answers = Vec::with_capacity(requests.len());
    let mut etag = None;
    // One budget for the whole request: a batch's operations share it.
    let budget = RequestBudget::default();
    for request in requests {
        let key = if anonymous && (state.cache.is_some() || revalidated) {
            cache_key(&state, &request).await
        } else {
            None
        };
        if revalidated && let Some(key) = &key {
            let tag = key.etag();
            if if_none_match(&headers, &tag) {
                return not_modified(&tag);
            }
            etag = Some(tag);
        }
        answers.push(answer(&state, request, access, key, &budget).await);
    }
    let failed_before_execution = answers.iter().all(|a| a.never_ran);
    let status = if media == GRAPHQL_RESPONSE && failed_before_execution {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = match answers.as_slice() {
        [one] if single => one.json.clone(),
        _ => {
            let mut joined = Vec::with_capacity(answers.iter().map(|a| a.json.len() + 1).sum());
            joined.push(b'[');
            for (i, answer) in answers.iter().enumerate() {
                if i > 0 {
                    joined.push(b',');
                }
                joined.extend_from_slice(&answer.json);
            }
            joined.push(b']');
            Bytes::from(joined)
        }
    };
    let mut response = (status, [(header::CONTENT_TYPE, media)], body).into_response();
    let caching = match (etag, answers.as_slice()) {
        (Some(tag), [one]) if one.clean => {
            if let Ok(tag) = HeaderValue::from_str(&tag) {
                response.headers_mut().insert(header::ETAG, tag);
            }
            PUBLIC
        }
        _ if anonymous => NO_STORE,
        _ => PRIVATE,
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(caching));
    // The same URL answers differently by the type asked for and by who asks.
    headers.append(
        header::VARY,
        HeaderValue::from_static("accept, authorization"),
    );
    response
}

/// `Cache-Control` for an anonymous GET's clean answer: any cache may keep it a few seconds,
/// then must ask again (a matching `If-None-Match` answers 304).
const PUBLIC: &str = "public, max-age=10, must-revalidate";
/// `Cache-Control` for any other anonymous answer.
const NO_STORE: &str = "no-store";
/// `Cache-Control` for an answer to someone who said who they are.
const PRIVATE: &str = "private, no-store";

/// Whether `If-None-Match` names this ETag (or `*`).
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

/// 304 Not Modified: no body, the ETag and how long it may be kept.
fn not_modified(etag: &str) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    if let Ok(tag) = HeaderValue::from_str(etag) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(PUBLIC));
    response
}

/// One operation's answer, as written.
struct Answer {
    /// The response, serialized.
    json: Bytes,
    /// Whether it failed before it ran (it did not parse or validate).
    never_ran: bool,
    /// Whether it holds no error.
    clean: bool,
}

/// Runs one operation, or finds its answer in the response cache: an anonymous query's answer
/// without errors is kept under `key`, made with the content generation read for this request.
async fn answer(
    state: &AppState,
    request: async_graphql::Request,
    access: AdminAccess,
    key: Option<Key>,
    budget: &RequestBudget,
) -> Answer {
    let started = std::time::Instant::now();
    let operation = request.operation_name.clone();
    if let (Some(cache), Some(key)) = (&state.cache, &key)
        && let Some(json) = cache.get(key)
    {
        crate::metrics::record_operation(operation.as_deref(), started.elapsed(), &[]);
        if !budget.spend_bytes(json.len()) {
            return error_answer(
                code::RESPONSE_TOO_LARGE,
                &format!(
                    "the answers to this request would be larger than {} MiB: send fewer operations at once",
                    MAX_RESPONSE_BYTES / (1024 * 1024)
                ),
            );
        }
        return Answer {
            json,
            never_ran: false,
            clean: true,
        };
    }
    let query = request.query.clone();
    let keep = key.filter(|_| !is_mutation(&request));
    let mut request = request
        .data(Loaders::new(&state.db, access.audience()))
        .data(access)
        .data(budget.clone());
    state.documents.prepare(&mut request);
    let mut response = state.schema.execute(request).await;
    clean_errors(&mut response, &query);
    let codes: Vec<String> = response
        .errors
        .iter()
        .filter_map(|e| e.extensions.as_ref()?.get("code")?.clone().into_json().ok())
        .filter_map(|code| code.as_str().map(str::to_owned))
        .collect();
    crate::metrics::record_operation(operation.as_deref(), started.elapsed(), &codes);
    let written = Written::from(&response);
    let never_ran = written.data.is_none();
    let json = match serde_json::to_vec(&written) {
        Ok(json) => Bytes::from(json),
        Err(err) => {
            tracing::error!(error = %err, "cannot serialize a GraphQL response");
            return error_answer(code::INTERNAL, "internal server error");
        }
    };
    let clean = response.errors.is_empty();
    if let (Some(cache), Some(key)) = (&state.cache, keep)
        && clean
    {
        cache.insert(key, json.clone());
    }
    Answer {
        json,
        never_ran,
        clean,
    }
}

/// An answer that is one error, with no data.
fn error_answer(code: &str, message: &str) -> Answer {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    Answer {
        json: Bytes::from(body.to_string()),
        never_ran: false,
        clean: false,
    }
}

/// What an answer to this request is kept under; `None` when the generation cannot be read
/// (the request then runs uncached).
async fn cache_key(state: &AppState, request: &async_graphql::Request) -> Option<Key> {
    let generation = match state.generation.current().await {
        Ok(generation) => generation,
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the content generation: answering uncached");
            return None;
        }
    };
    Some(Key {
        generation,
        query: request.query.clone(),
        operation: request.operation_name.clone(),
        variables: serde_json::to_string(&request.variables).ok()?,
    })
}

/// A response as written: its fields in the order the query selected them (serialized from
/// async-graphql's ordered map, never through a sorted one), and no `data` entry at all for a
/// request that never ran (it failed to parse or validate), as the GraphQL over HTTP spec says;
/// one that ran keeps its `data`, null or not.
#[derive(serde::Serialize)]
struct Written<'a> {
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: &'a BTreeMap<String, Value>,
}

impl<'a> From<&'a GraphQLResponse> for Written<'a> {
    fn from(response: &'a GraphQLResponse) -> Self {
        let never_ran = response.data == Value::Null && !response.errors.is_empty();
        Self {
            errors: &response.errors,
            data: (!never_ran).then_some(&response.data),
            extensions: &response.extensions,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<&'static str> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_str(value).expect("header"),
        );
        negotiate(&headers)
    }

    #[test]
    fn accept_decides_the_response_type() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(JSON));
        assert_eq!(accept("application/json"), Some(JSON));
        assert_eq!(accept(GRAPHQL_RESPONSE), Some(GRAPHQL_RESPONSE));
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Some(GRAPHQL_RESPONSE)
        );
        assert_eq!(
            accept("application/graphql-response+json;q=0.5, application/json"),
            Some(JSON)
        );
        assert_eq!(accept("*/*"), Some(JSON));
        assert_eq!(accept("text/html"), None);
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_the_token_is_never_printed() {
        let config = ServerConfig {
            admin_token: Some("s3cret".to_owned()),
            ..ServerConfig::default()
        };
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::AUTHORIZATION,
                HeaderValue::from_str(value).expect("header"),
            );
            admin_access(&config, &headers)
        };
        for granted in ["Bearer s3cret", "bearer s3cret", "BEARER  s3cret "] {
            assert!(matches!(with(granted), AdminAccess::Granted), "{granted}");
        }
        for denied in ["Bearer", "Basic s3cret", "Bearers3cret", "Bearer s3cret2"] {
            assert!(matches!(with(denied), AdminAccess::Denied), "{denied}");
        }
        let printed = format!("{config:?}");
        assert!(
            !printed.contains("s3cret") && printed.contains("[redacted]"),
            "{printed}"
        );
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"secreT", b"secret"));
    }
}
