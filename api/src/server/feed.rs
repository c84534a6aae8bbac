//! `GET /export/changes?after=CURSOR&limit=N`: the change feed as NDJSON, oldest first, one
//! accepted change a line, for partners who missed a notification or prefer to pull. Each line's
//! `cursor` resumes the feed after it; it is the same cursor the GraphQL `changes` connection
//! takes. An empty body means nothing changed since the cursor.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::{DbErr, QuerySelect};
use serde::Deserialize;

use super::AppState;
use super::export::problem;
use crate::feed;
use crate::ids::{decode_row_cursor, row_cursor};

/// Changes a request gets when it names no `limit`.
pub const DEFAULT_LIMIT: u64 = 1000;
/// The most changes one request may ask for.
pub const MAX_LIMIT: u64 = 10_000;

/// The query string.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Only changes after the one this cursor names.
    after: Option<String>,
    /// How many changes at most.
    limit: Option<u64>,
}

/// The feed's handler.
pub async fn changes(
    State(state): State<AppState>,
    params: Result<Query<Params>, QueryRejection>,
) -> Response {
    let Ok(Query(params)) = params else {
        return problem(
            StatusCode::BAD_REQUEST,
            "the query string takes `after` (a cursor) and `limit` (1 to 10000)",
        );
    };
    let after = match params.after.as_deref().map(decode_row_cursor) {
        None => 0,
        Some(Some(id)) => id,
        Some(None) => return problem(StatusCode::BAD_REQUEST, "`after` is not a valid cursor"),
    };
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        let message = format!("`limit` must be from 1 to {MAX_LIMIT}");
        return problem(StatusCode::BAD_REQUEST, &message);
    }
    match read(&state, after, limit).await {
        Ok((body, last)) => {
            let mut response =
                ([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response();
            if let Some(cursor) = last
                && let Ok(link) = HeaderValue::from_str(&format!(
                    "</export/changes?after={cursor}>; rel=\"next\""
                ))
            {
                response.headers_mut().insert(header::LINK, link);
            }
            response
        }
        Err(err) => {
            tracing::error!(error = %err, "the change feed could not be read");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the change feed could not be read",
            )
        }
    }
}

/// The lines after `after`, and the last one's cursor.
async fn read(state: &AppState, after: i32, limit: u64) -> Result<(String, Option<String>), DbErr> {
    let events = feed::after(after).limit(limit).all(state.db()).await?;
    let mut body = String::new();
    for record in feed::records(state.db(), &events).await? {
        body.push_str(&record.to_string());
        body.push('\n');
    }
    Ok((body, events.last().map(|e| row_cursor(e.id))))
}
