//! A page's revisions: building a new one with its diff, numbering it, and finding the page's
//! newest capture and current accepted revision.

use lmsdr_entity::{page_revisions, pages};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use super::facts::ChangeSummary;
use super::{Observation, PageChange, StoreError, Stored, review, set_revision_reading};

/// A new revision of an observed page, numbered `number`, its diff against `previous`.
pub(super) fn new_revision(
    obs: &Observation<'_>,
    raw_zstd: Vec<u8>,
    number: i32,
    previous: Option<&page_revisions::Model>,
) -> Result<page_revisions::ActiveModel, DbErr> {
    let doc = obs.document;
    let mut revision = page_revisions::ActiveModel {
        number: Set(number),
        content_hash: Set(doc.content_hash.clone()),
        last_edited_text: Set(doc.last_edited.as_ref().map(|s| s.text.clone())),
        last_edited_at: Set(doc.last_edited.as_ref().and_then(|s| s.at)),
        fetched_at: Set(obs.fetched_at),
        http_status: Set(obs.http_status.map(i32::from)),
        sync_run_id: Set(obs.sync_run_id),
        origin: Set(obs.origin),
        content_type: Set(obs.content_type.map(str::to_owned)),
        encoding: Set(doc.encoding.clone()),
        raw_body_zstd: Set(raw_zstd),
        normalized_text: Set(doc.main_text.clone()),
        diff: Set(previous.map(|p| diff(p, &doc.main_text, number))),
        summary: Set(None),
        quarantined: Set(false),
        quarantine_reason: Set(None),
        memento_url: Set(obs.memento_url.map(str::to_owned)),
        ..Default::default()
    };
    set_revision_reading(&mut revision, doc)?;
    Ok(revision)
}

/// A new revision stored: held in quarantine, or to be applied by the caller.
pub(super) enum Inserted {
    /// Kept and visible, applying nothing: the page, its facts and intervals stay as they are.
    Held(Stored),
    /// Stored, for the caller to apply.
    Accepted(page_revisions::Model),
}

/// Numbers and stores a new revision of a page, its diff against `previous`. When `compared`
/// (the accepted revision it follows) is given and the new content would wipe or gut what that
/// one states, the revision is held in quarantine ([`review::suspicion`]).
pub(super) async fn insert_or_hold<C: ConnectionTrait>(
    txn: &C,
    page: &pages::Model,
    obs: &Observation<'_>,
    raw_zstd: Vec<u8>,
    previous: Option<&page_revisions::Model>,
    compared: Option<&page_revisions::Model>,
) -> Result<Inserted, StoreError> {
    let suspicion = match compared {
        Some(compared) => review::suspicion(
            &review::standing(txn, page.kind, compared).await?,
            obs.document,
        ),
        None => None,
    };
    let number = next_number(txn, page.id).await?;
    let mut revision = new_revision(obs, raw_zstd, number, previous)?;
    let Some(reason) = suspicion else {
        return Ok(Inserted::Accepted(
            insert_revision(txn, page.id, revision).await?,
        ));
    };
    revision.quarantined = Set(true);
    revision.quarantine_reason = Set(Some(reason.clone()));
    let revision = insert_revision(txn, page.id, revision).await?;
    Ok(Inserted::Held(Stored {
        page_id: page.id,
        revision_id: Some(revision.id),
        change: PageChange::Quarantined,
        summary: ChangeSummary::default(),
        quarantine_reason: Some(reason),
    }))
}

pub(super) async fn insert_revision<C: ConnectionTrait>(
    txn: &C,
    page_id: i32,
    mut revision: page_revisions::ActiveModel,
) -> Result<page_revisions::Model, DbErr> {
    revision.page_id = Set(page_id);
    revision.insert(txn).await
}

/// The unified diff of `text` (revision `number`) against the `previous` revision's text.
pub(super) fn diff(previous: &page_revisions::Model, text: &str, number: i32) -> String {
    similar::TextDiff::from_lines(&previous.normalized_text, text)
        .unified_diff()
        .context_radius(2)
        .header(
            &format!("revision {}", previous.number),
            &format!("revision {number}"),
        )
        .to_string()
}

/// The number the page's next revision gets: numbers are given once, in the order revisions are
/// stored, and never change.
pub(super) async fn next_number<C: ConnectionTrait>(db: &C, page_id: i32) -> Result<i32, DbErr> {
    let latest = page_revisions::Entity::find()
        .filter(page_revisions::Column::PageId.eq(page_id))
        .order_by_desc(page_revisions::Column::Number)
        .one(db)
        .await?;
    Ok(latest.map_or(1, |r| r.number + 1))
}

/// The page's newest capture, whatever became of it.
pub(super) async fn latest_capture<C: ConnectionTrait>(
    db: &C,
    page_id: i32,
) -> Result<Option<page_revisions::Model>, DbErr> {
    page_revisions::Entity::find()
        .filter(page_revisions::Column::PageId.eq(page_id))
        .order_by_desc(page_revisions::Column::FetchedAt)
        .order_by_desc(page_revisions::Column::Id)
        .one(db)
        .await
}

/// The page's current accepted revision: the one its facts come from.
pub(super) async fn current_revision<C: ConnectionTrait>(
    db: &C,
    page: &pages::Model,
) -> Result<Option<page_revisions::Model>, DbErr> {
    match page.current_revision_id {
        Some(id) => page_revisions::Entity::find_by_id(id).one(db).await,
        // Stored before pages kept their current revision: the newest one not held back.
        None => {
            page_revisions::Entity::find()
                .filter(page_revisions::Column::PageId.eq(page.id))
                .filter(page_revisions::Column::Quarantined.eq(false))
                .order_by_desc(page_revisions::Column::FetchedAt)
                .order_by_desc(page_revisions::Column::Id)
                .one(db)
                .await
        }
    }
}
