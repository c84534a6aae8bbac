//! Change events as partners read them: the feed's lines and webhook payloads.

use std::collections::HashMap;

use lmsdr_entity::{change_events, page_revisions, pages};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use serde_json::{Value, json};

use super::Names;
use crate::ids::{NodeType, encode, row_cursor};

/// Change events as partners read them, in the feed and in webhook deliveries alike: the kind,
/// the page and its URL, the revision and its number, the run and the summary (slugs added and
/// removed, and their names), with the cursor that resumes the feed after it.
pub async fn records<C: ConnectionTrait>(
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
