//! The export's metadata and the content generation.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::{SyncRunKind, SyncRunStatus};
use lmsdr_entity::{fact_listings, fact_versions, page_revisions, pages, sync_runs};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use sha2::{Digest, Sha256};

use crate::export::ExportError;
use crate::export::records::{Disclaimer, ExportMeta};

use super::PUBLISHER;

/// The metadata of what the database holds now: what an `ETag` is computed from.
pub async fn meta(txn: &DatabaseTransaction) -> Result<ExportMeta, ExportError> {
    let urls: Vec<(String, Option<String>)> = pages::Entity::find()
        .select_only()
        .columns([pages::Column::Url, pages::Column::Disclaimer])
        .order_by_asc(pages::Column::Url)
        .into_tuple()
        .all(txn)
        .await?;
    let mut sites = BTreeSet::new();
    let mut disclaimers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (url, disclaimer) in &urls {
        if let Ok(parsed) = url::Url::parse(url) {
            sites.insert(parsed.origin().ascii_serialization());
        }
        if let Some(text) = disclaimer {
            disclaimers
                .entry(text.clone())
                .or_default()
                .push(url.clone());
        }
    }
    let last_successful_sync = sync_runs::Entity::find()
        .select_only()
        .column_as(sync_runs::Column::FinishedAt.max(), "m")
        .filter(sync_runs::Column::Kind.eq(SyncRunKind::Sync))
        .filter(sync_runs::Column::Status.eq(SyncRunStatus::Ok))
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(txn)
        .await?
        .flatten();
    let (generation, last_changed_at) = generation(txn).await?;
    Ok(ExportMeta {
        publisher: PUBLISHER.to_owned(),
        sites: sites.into_iter().collect(),
        sources: urls.into_iter().map(|(url, _)| url).collect(),
        disclaimers: disclaimers
            .into_iter()
            .map(|(text, page_urls)| Disclaimer { text, page_urls })
            .collect(),
        last_successful_sync,
        last_changed_at,
        generation,
        lmsdr_version: env!("CARGO_PKG_VERSION").to_owned(),
        exported_at: Utc::now(),
    })
}

/// The content generation and when the content last changed.
///
/// Every change a sync, an import or a review commits stores a revision, opens or closes a
/// listing, records a fact's new value, marks a revision reviewed or a page gone; the
/// generation digests the counters each of those moves, so it changes exactly when content does.
async fn generation(
    txn: &DatabaseTransaction,
) -> Result<(String, Option<DateTime<Utc>>), ExportError> {
    #[derive(FromQueryResult)]
    struct Revisions {
        max_id: Option<i32>,
        reviewed: i64,
        last_fetched: Option<DateTime<Utc>>,
        last_reviewed: Option<DateTime<Utc>>,
    }
    let revisions = page_revisions::Entity::find()
        .select_only()
        .column_as(page_revisions::Column::Id.max(), "max_id")
        .column_as(page_revisions::Column::ReviewedAt.count(), "reviewed")
        .column_as(page_revisions::Column::FetchedAt.max(), "last_fetched")
        .column_as(page_revisions::Column::ReviewedAt.max(), "last_reviewed")
        .into_model::<Revisions>()
        .one(txn)
        .await?;
    let listings = max_and_closed::<fact_listings::Entity>(
        txn,
        fact_listings::Column::Id,
        fact_listings::Column::ListedUntil,
    )
    .await?;
    let versions = max_and_closed::<fact_versions::Entity>(
        txn,
        fact_versions::Column::Id,
        fact_versions::Column::ValidUntil,
    )
    .await?;
    let gone: Option<i64> = pages::Entity::find()
        .select_only()
        .column_as(pages::Column::GoneAt.count(), "gone")
        .into_tuple()
        .one(txn)
        .await?;
    let revisions = revisions.unwrap_or(Revisions {
        max_id: None,
        reviewed: 0,
        last_fetched: None,
        last_reviewed: None,
    });
    let counters = format!(
        "r{:?}.a{}.l{:?}.v{:?}.g{:?}",
        revisions.max_id, revisions.reviewed, listings, versions, gone
    );
    let digest = Sha256::digest(counters.as_bytes());
    let last_changed = revisions.last_fetched.max(revisions.last_reviewed);
    Ok((hex::encode(&digest[..12]), last_changed))
}

/// A table's highest ID and how many of its rows have `until` set (closed intervals).
async fn max_and_closed<E: EntityTrait>(
    txn: &DatabaseTransaction,
    id: E::Column,
    until: E::Column,
) -> Result<Option<(Option<i32>, i64)>, ExportError> {
    Ok(E::find()
        .select_only()
        .column_as(id.max(), "max_id")
        .column_as(until.count(), "closed")
        .into_tuple()
        .one(txn)
        .await?)
}
