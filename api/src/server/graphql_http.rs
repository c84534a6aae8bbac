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

use async_graphql::BatchRequest;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::answer::{answer, cache_key, is_mutation};
use super::{AppState, MAX_BATCH, MAX_BODY_BYTES, ServerConfig};
use crate::graphql::{AdminAccess, RequestBudget, code};

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
    // One budget for the whole request: a batch's operations share it, spent by the hooked
    // schema as each validates; one operation alone cannot cost more than the schema allows.
    let budget = RequestBudget::default();
    let schema = if single {
        &state.schemas.single
    } else {
        &state.schemas.hooked
    };
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
        answers.push(answer(&state, schema, request, access, key, &budget).await);
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
