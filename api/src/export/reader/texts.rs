//! Pages with their current text, and every revision's metadata.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::{RevisionOrigin, RevisionReview};
use lmsdr_entity::{page_revisions, pages};
use sea_orm::{ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect};

use crate::export::ExportError;
use crate::export::records::{Page, Record, Revision};
use crate::ids::{NodeType, encode};

use super::{Chunks, Reader, TEXT_CHUNK};

impl Reader<'_> {
    pub(super) async fn pages(&self) -> Result<(), ExportError> {
        let select = pages::Entity::find();
        let mut chunks = Chunks::new(select, pages::Column::Id, TEXT_CHUNK, |p| p.id);
        while let Some(chunk) = chunks.next(self.txn).await? {
            let revision_ids = chunk.iter().filter_map(|p| p.current_revision_id);
            let texts: HashMap<i32, (i32, String)> = page_revisions::Entity::find()
                .select_only()
                .columns([
                    page_revisions::Column::Id,
                    page_revisions::Column::Number,
                    page_revisions::Column::NormalizedText,
                ])
                .filter(page_revisions::Column::Id.is_in(revision_ids))
                .into_tuple::<(i32, i32, String)>()
                .all(self.txn)
                .await?
                .into_iter()
                .map(|(id, number, text)| (id, (number, text)))
                .collect();
            for page in chunk {
                let current = page.current_revision_id.and_then(|id| texts.get(&id));
                self.send(Record::Page(Page {
                    id: encode(NodeType::Page, page.id),
                    url: page.url,
                    title: page.title,
                    kind: page.kind,
                    status: page.status,
                    last_edited_text: page.last_edited_text,
                    last_edited_at: page.last_edited_at,
                    fetched_at: page.fetched_at,
                    first_seen_at: page.first_seen_at,
                    gone_at: page.gone_at,
                    revision: current.map(|(number, _)| *number),
                    content_hash: page.content_hash,
                    excerpt: page.excerpt,
                    disclaimer: page.disclaimer,
                    text: current.map(|(_, text)| text.clone()),
                }))
                .await?;
            }
        }
        Ok(())
    }

    pub(super) async fn revisions(&self) -> Result<(), ExportError> {
        #[derive(FromQueryResult)]
        struct Row {
            id: i32,
            page_id: i32,
            number: i32,
            content_hash: String,
            fetched_at: DateTime<Utc>,
            last_edited_text: Option<String>,
            last_edited_at: Option<NaiveDateTime>,
            origin: RevisionOrigin,
            quarantined: bool,
            quarantine_reason: Option<String>,
            review: Option<RevisionReview>,
            diff: Option<String>,
            memento_url: Option<String>,
        }
        use page_revisions::Column as C;
        let mut after = 0;
        loop {
            // Selected column by column: the raw bodies stay in the database.
            let chunk = page_revisions::Entity::find()
                .select_only()
                .columns([
                    C::Id,
                    C::PageId,
                    C::Number,
                    C::ContentHash,
                    C::FetchedAt,
                    C::LastEditedText,
                    C::LastEditedAt,
                    C::Origin,
                    C::Quarantined,
                    C::QuarantineReason,
                    C::Review,
                    C::Diff,
                    C::MementoUrl,
                ])
                // Exports are public: held and rejected content is for admins only.
                .filter(C::Quarantined.eq(false))
                .filter(C::Id.gt(after))
                .order_by_asc(C::Id)
                .limit(TEXT_CHUNK)
                .into_model::<Row>()
                .all(self.txn)
                .await?;
            let Some(last) = chunk.last() else {
                return Ok(());
            };
            after = last.id;
            for row in chunk {
                self.send(Record::Revision(Revision {
                    id: encode(NodeType::Revision, row.id),
                    page_url: self.url(row.page_id)?,
                    number: row.number,
                    content_hash: row.content_hash,
                    fetched_at: row.fetched_at,
                    last_edited_text: row.last_edited_text,
                    last_edited_at: row.last_edited_at,
                    origin: row.origin,
                    quarantined: row.quarantined,
                    quarantine_reason: row.quarantine_reason,
                    review: row.review,
                    diff: row.diff,
                    memento_url: row.memento_url,
                }))
                .await?;
            }
        }
    }
}
