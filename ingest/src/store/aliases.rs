//! One page, one URL: a URL serving a stored page's content is an alias of that page, not a page
//! of its own (the home page at `/` and `/index.php`).
//!
//! A new URL becomes an alias only when what it serves is the stored page's current content,
//! and either it names that page as canonical (`<link rel="canonical">`) or it is the same
//! address by web server convention, a directory and its index document (`/` and
//! `/index.php`, `/news/` and `/news/index.html`); a URL redirecting to a stored page is one
//! too, and so is a URL a crawl found naming another as canonical ([`record_pointers`]). Two addresses that merely serve the same text (placeholder
//! pages, say) stay two pages. Nothing is ever merged that differs: an alias serving new
//! content becomes a page of its own again, and an older capture of it joins its page's
//! history.

use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::{AliasReason, PageStatus};
use lmsdr_entity::{page_aliases, pages};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use url::Url;

use super::revisions::current_revision;
use super::{ChangeSummary, Observation, PageChange, Stored};

/// Where an observation belongs.
pub(super) enum Home {
    /// A stored page: the observation is one of its captures.
    Page(pages::Model),
    /// Another URL of a stored page, serving what the page holds: nothing more to store.
    Alias(Stored),
    /// A page never stored.
    New,
}

/// Finds the page an observation belongs to, recording a new alias when it is one.
pub(super) async fn home<C: ConnectionTrait>(
    txn: &C,
    obs: &Observation<'_>,
) -> Result<Home, DbErr> {
    let doc = obs.document;
    if let Some(page) = pages::Entity::find()
        .filter(pages::Column::Url.eq(&doc.url))
        .one(txn)
        .await?
    {
        return Ok(Home::Page(page));
    }
    if let Some(alias) = page_aliases::Entity::find()
        .filter(page_aliases::Column::Url.eq(&doc.url))
        .one(txn)
        .await?
    {
        let page = pages::Entity::find_by_id(alias.page_id)
            .one(txn)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("page {}", alias.page_id)))?;
        let current = current_revision(txn, &page).await?;
        match current {
            Some(current) if current.content_hash == doc.content_hash => {
                return Ok(Home::Alias(Stored::alias(&page, current.id)));
            }
            // An older capture of the same page: its history.
            Some(current) if obs.fetched_at < current.fetched_at => return Ok(Home::Page(page)),
            // It serves content of its own now: a page of its own again.
            _ => {
                page_aliases::Entity::delete_by_id(alias.id)
                    .exec(txn)
                    .await?;
                return Ok(Home::New);
            }
        }
    }
    if doc.main_text.trim().is_empty() {
        return Ok(Home::New);
    }
    let same_content = pages::Entity::find()
        .filter(pages::Column::ContentHash.eq(&doc.content_hash))
        .filter(pages::Column::Status.eq(PageStatus::Active))
        .order_by_asc(pages::Column::Id)
        .limit(50)
        .all(txn)
        .await?;
    for page in same_content {
        let reason = if doc.canonical.as_deref() == Some(page.url.as_str()) {
            AliasReason::Canonical
        } else if same_directory(&page.url, &doc.url) {
            AliasReason::Duplicate
        } else {
            continue;
        };
        let Some(current) = current_revision(txn, &page).await? else {
            continue;
        };
        insert(txn, &doc.url, page.id, reason, obs.fetched_at).await?;
        return Ok(Home::Alias(Stored::alias(&page, current.id)));
    }
    Ok(Home::New)
}

/// Records URLs that pointed a crawl to a stored page — by redirecting to it, or by naming it
/// canonical — as its aliases, each with why; a URL stored as a page or already an alias stays
/// as it is, and one pointing to a page never stored is left alone. Returns how many were
/// recorded.
pub async fn record_pointers(
    db: &DatabaseConnection,
    pointers: &[(String, String, AliasReason)],
    at: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let mut recorded = 0;
    for (from, to, reason) in pointers {
        let Some(target) = page_at(db, to).await? else {
            continue;
        };
        let aliased = page_aliases::Entity::find()
            .filter(page_aliases::Column::Url.eq(from))
            .one(db)
            .await?;
        if aliased.is_none() && page_at(db, from).await?.is_none() {
            insert(db, from, target, *reason, at).await?;
            recorded += 1;
        }
    }
    Ok(recorded)
}

/// The URL of the page one of these URLs is an alias of, if one is.
pub async fn aliased_page<C: ConnectionTrait>(
    db: &C,
    urls: &[String],
) -> Result<Option<(String, pages::Model)>, DbErr> {
    Ok(page_aliases::Entity::find()
        .find_also_related(pages::Entity)
        .filter(page_aliases::Column::Url.is_in(urls.iter().cloned()))
        .order_by_asc(page_aliases::Column::Id)
        .one(db)
        .await?
        .and_then(|(alias, page)| Some((alias.url, page?))))
}

/// The ID of the page stored at a URL, if one is.
async fn page_at(db: &DatabaseConnection, url: &str) -> Result<Option<i32>, DbErr> {
    pages::Entity::find()
        .select_only()
        .column(pages::Column::Id)
        .filter(pages::Column::Url.eq(url))
        .into_tuple()
        .one(db)
        .await
}

/// Every alias URL with the URL of its page.
pub async fn known_aliases(db: &DatabaseConnection) -> Result<Vec<(String, String)>, DbErr> {
    page_aliases::Entity::find()
        .select_only()
        .column(page_aliases::Column::Url)
        .column(pages::Column::Url)
        .inner_join(pages::Entity)
        .into_tuple()
        .all(db)
        .await
}

/// Index documents a web server serves for their directory.
const INDEX_DOCUMENTS: &[&str] = &[
    "index.php",
    "index.html",
    "index.htm",
    "index.shtml",
    "index.asp",
    "default.asp",
    "default.aspx",
    "default.htm",
    "default.html",
];

/// Whether two URLs name one directory: the same but for an index document (`/` and
/// `/index.php`), its case, or the scheme and `www.`.
fn same_directory(a: &str, b: &str) -> bool {
    let directory = |url: &str| {
        let url = Url::parse(url).ok()?;
        let path = url.path();
        let (dir, last) = path.rsplit_once('/')?;
        let last = last.to_ascii_lowercase();
        if !last.is_empty() && !INDEX_DOCUMENTS.contains(&last.as_str()) {
            return None;
        }
        let host = url.host_str()?.trim_start_matches("www.").to_owned();
        Some((
            host,
            url.port(),
            dir.to_owned(),
            url.query().map(str::to_owned),
        ))
    };
    a != b && directory(a).is_some_and(|a| directory(b).is_some_and(|b| a == b))
}

async fn insert<C: ConnectionTrait>(
    db: &C,
    url: &str,
    page_id: i32,
    reason: AliasReason,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    page_aliases::ActiveModel {
        url: Set(url.to_owned()),
        page_id: Set(page_id),
        reason: Set(reason),
        first_seen_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

impl Stored {
    /// Another URL of a stored page: nothing new stored.
    fn alias(page: &pages::Model, current_revision_id: i32) -> Self {
        Self {
            page_id: page.id,
            revision_id: Some(current_revision_id),
            change: PageChange::Alias,
            summary: ChangeSummary::default(),
            quarantine_reason: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::same_directory;

    #[test]
    fn a_directory_and_its_index_document_are_one_address_and_nothing_else_is() {
        let same = |a, b| same_directory(a, b);
        assert!(same(
            "http://www.lmsdr.org/",
            "http://www.lmsdr.org/index.php"
        ));
        assert!(same(
            "https://lmsdr.org/news/",
            "http://www.lmsdr.org/news/Index.HTML"
        ));
        assert!(!same("http://www.lmsdr.org/", "http://www.lmsdr.org/"));
        assert!(!same(
            "http://www.lmsdr.org/",
            "http://www.lmsdr.org/about.php"
        ));
        assert!(!same(
            "http://www.lmsdr.org/a/",
            "http://www.lmsdr.org/b/index.php"
        ));
        assert!(!same(
            "http://www.lmsdr.org/",
            "http://www.lmsdr.org/index.php?p=2"
        ));
        assert!(!same("http://www.lmsdr.org/", "http://other.org/index.php"));
    }
}
