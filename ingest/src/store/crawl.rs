//! What a crawl reads and writes besides pages: what is stored of each page before fetching it
//! again, pages confirmed unchanged or gone, the links to follow past a 304, and the status of
//! linked URLs that are not pages (the site's broken links).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::PageStatus;
use lmsdr_entity::{link_targets, links, page_revisions, pages};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

/// What lmsdr holds of a page before fetching it again.
#[derive(Debug, Clone)]
pub struct KnownPage {
    /// The page's ID.
    pub id: i32,
    /// Hash of its normalized main content.
    pub content_hash: String,
    /// `ETag` last seen.
    pub etag: Option<String>,
    /// `Last-Modified` last seen.
    pub last_modified: Option<String>,
    /// Active or gone.
    pub status: PageStatus,
}

/// Every stored page by URL, read in one query before a crawl (a few hundred bytes a page). A
/// page with a capture held in quarantine is known without its validators: it is fetched in
/// full until it is back to normal, since a 304 would only confirm the content held before.
pub async fn known_pages(db: &DatabaseConnection) -> Result<HashMap<String, KnownPage>, DbErr> {
    type Row = (
        i32,
        String,
        String,
        Option<String>,
        Option<String>,
        PageStatus,
    );
    let rows: Vec<Row> = pages::Entity::find()
        .select_only()
        .columns([
            pages::Column::Id,
            pages::Column::Url,
            pages::Column::ContentHash,
            pages::Column::Etag,
            pages::Column::LastModified,
            pages::Column::Status,
        ])
        .into_tuple()
        .all(db)
        .await?;
    let held: HashSet<i32> = page_revisions::Entity::find()
        .select_only()
        .column(page_revisions::Column::PageId)
        .filter(page_revisions::Column::Quarantined.eq(true))
        .filter(page_revisions::Column::Review.is_null())
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|(id, url, content_hash, etag, last_modified, status)| {
            let validated = !held.contains(&id);
            let page = KnownPage {
                id,
                content_hash,
                etag: etag.filter(|_| validated),
                last_modified: last_modified.filter(|_| validated),
                status,
            };
            (url, page)
        })
        .collect())
}

/// Records that pages were confirmed unchanged (HTTP 304): seen now, nothing else rewritten.
pub async fn touch_pages(
    db: &DatabaseConnection,
    page_ids: &[i32],
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in page_ids.chunks(500) {
        pages::Entity::update_many()
            .col_expr(pages::Column::LastSeenAt, Expr::value(at))
            .col_expr(pages::Column::FetchedAt, Expr::value(at))
            .filter(pages::Column::Id.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Marks a page gone (HTTP 404/410 after it was seen): its facts are kept, flagged through it.
pub async fn mark_gone(
    db: &DatabaseConnection,
    page_id: i32,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    pages::Entity::update_many()
        .col_expr(pages::Column::Status, Expr::value(PageStatus::Gone))
        .col_expr(pages::Column::GoneAt, Expr::value(at))
        .col_expr(pages::Column::FetchedAt, Expr::value(at))
        .filter(pages::Column::Id.eq(page_id))
        .filter(pages::Column::Status.eq(PageStatus::Active))
        .exec(db)
        .await?;
    Ok(())
}

/// The same-site links every stored page lists, by page, to keep crawling past 304s; read in one
/// query before a crawl.
pub async fn internal_links(db: &DatabaseConnection) -> Result<HashMap<i32, Vec<String>>, DbErr> {
    let rows: Vec<(i32, String)> = links::Entity::find()
        .select_only()
        .columns([links::Column::PageId, links::Column::Url])
        .filter(links::Column::External.eq(false))
        .filter(links::Column::DelistedAt.is_null())
        .order_by_asc(links::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut by_page: HashMap<i32, Vec<String>> = HashMap::new();
    for (page_id, url) in rows {
        by_page.entry(page_id).or_default().push(url);
    }
    Ok(by_page)
}

/// The linked URLs known to answer 404 or 410 without ever having been stored pages.
pub async fn dead_link_targets(db: &DatabaseConnection) -> Result<HashSet<String>, DbErr> {
    let urls: Vec<String> = link_targets::Entity::find()
        .select_only()
        .column(link_targets::Column::Url)
        .into_tuple()
        .all(db)
        .await?;
    Ok(urls.into_iter().collect())
}

/// Records that a linked URL, never a stored page, answered 404 or 410.
pub async fn record_dead_link_target(
    db: &DatabaseConnection,
    url: &str,
    status: u16,
    run_id: Option<i32>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    link_targets::Entity::insert(link_targets::ActiveModel {
        url: Set(url.to_owned()),
        http_status: Set(i32::from(status)),
        checked_at: Set(at),
        sync_run_id: Set(run_id),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(link_targets::Column::Url)
            .update_columns([
                link_targets::Column::HttpStatus,
                link_targets::Column::CheckedAt,
                link_targets::Column::SyncRunId,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// Forgets that a linked URL was dead: it answered since.
pub async fn clear_dead_link_target(db: &DatabaseConnection, url: &str) -> Result<(), DbErr> {
    link_targets::Entity::delete_many()
        .filter(link_targets::Column::Url.eq(url))
        .exec(db)
        .await?;
    Ok(())
}
