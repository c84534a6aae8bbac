//! `GET /export/changes?after=CURSOR&limit=N`: the change feed as NDJSON, oldest first, one
//! accepted change a line, for partners who missed a notification or prefer to pull. Each line's
//! `cursor` resumes the feed after it; it is the same cursor the GraphQL `changes` connection
//! takes. An empty body means nothing changed since the cursor.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lmsdr_entity::{change_events, page_revisions, pages};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::change_names::Names;
use super::http::problem;
use crate::ids::{NodeType, encode};
use crate::ids::{decode_row_cursor, row_cursor};
use crate::server::AppState;

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
    let events = change_events::Entity::find()
        .filter(change_events::Column::Id.gt(after))
        .order_by_asc(change_events::Column::Id)
        .limit(limit)
        .all(state.db())
        .await?;
    let mut body = String::new();
    for record in records(state.db(), &events).await? {
        body.push_str(&record.to_string());
        body.push('\n');
    }
    Ok((body, events.last().map(|e| row_cursor(e.id))))
}

/// Change events as partners read them, in the feed and in webhook deliveries alike: the kind,
/// the page and its URL, the revision and its number, the run and the summary (slugs added and
/// removed, and their names), with the cursor that resumes the feed after it.
pub(crate) async fn records<C: ConnectionTrait>(
    db: &C,
    events: &[change_events::Model],
) -> Result<Vec<Value>, DbErr> {
    let urls: HashMap<i32, String> = pages::Entity::find()
        .select_only()
        .columns([pages::Column::Id, pages::Column::Url])
        .filter(pages::Column::Id.is_in(events.iter().map(|e| e.page_id)))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let numbers: HashMap<i32, i32> = page_revisions::Entity::find()
        .select_only()
        .columns([page_revisions::Column::Id, page_revisions::Column::Number])
        .filter(page_revisions::Column::Id.is_in(events.iter().map(|e| e.revision_id)))
        .into_tuple::<(i32, i32)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let summaries: Vec<&Value> = events.iter().map(|e| &e.summary).collect();
    let names = Names::of(db, &summaries).await?;
    events
        .iter()
        .map(|event| {
            // Pages and revisions are never deleted, and events name them by foreign key.
            let (Some(url), Some(number)) =
                (urls.get(&event.page_id), numbers.get(&event.revision_id))
            else {
                return Err(DbErr::RecordNotFound(format!(
                    "change event {} names a page or revision that is not stored",
                    event.id
                )));
            };
            Ok(json!({
                "type": "change",
                "cursor": row_cursor(event.id),
                "kind": event.kind,
                "committedAt": event.created_at,
                "page": { "id": encode(NodeType::Page, event.page_id), "url": url },
                "revision": {
                    "id": encode(NodeType::Revision, event.revision_id),
                    "number": number,
                },
                "run": event.sync_run_id.map(|run| encode(NodeType::SyncRun, run)),
                "summary": names.annotate(&event.summary),
            }))
        })
        .collect()
}
