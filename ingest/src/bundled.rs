//! The treatments page shipped inside the binary, so that a fresh install serves real content
//! with no network.
//!
//! The foundation's original HTML is lost; `data/treatments.html` is a reconstruction of it from
//! the page's published text (the text is the page's own; markup and link targets are not), and
//! says so in its `lmsdr-origin` metadata, which is stored with the page.

use chrono::{DateTime, Utc};
use lmsdr_entity::pages;
use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use url::Url;

use crate::pipeline::{self, Input, PipelineError};
use crate::store::Stored;

/// The page's original address.
pub const TREATMENTS_URL: &str = "http://www.lmsdr.org/treatments.php";

/// The reconstructed page, as saved in windows-1252 like the site's other pages of its time.
pub const TREATMENTS_HTML: &[u8] = include_bytes!("../data/treatments.html");

/// The moment the page's history starts: its "Last Edited - 1 August 2012 08:59 am" stamp (the
/// site names no time zone; read as UTC). A test checks it against the page's own stamp.
pub const TREATMENTS_EDITED: &str = "2012-08-01T08:59:00Z";

/// Why the bundled snapshot could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum BundledError {
    /// The bundled page could not be read or stored.
    #[error("cannot load the bundled treatments page: {0}")]
    Ingest(#[from] PipelineError),
    /// The database could not be read.
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// Loads the bundled page when the database holds no page yet; returns what was stored, if anything.
///
/// Several replicas may start on one empty database at once: the one that loses the race sees the
/// other's page and stores nothing.
pub async fn load_if_empty(db: &DatabaseConnection) -> Result<Option<Stored>, BundledError> {
    if pages::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let url = Url::parse(TREATMENTS_URL).map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
    let edited = DateTime::parse_from_rfc3339(TREATMENTS_EDITED)
        .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?
        .with_timezone(&Utc);
    // The page stood so from its last edit: `asOf` a moment after it answers what it states.
    let input = Input {
        content_type: Some("text/html".to_owned()),
        fetched_at: edited,
        ..Input::new(url, TREATMENTS_HTML.to_vec(), RevisionOrigin::Bundled)
    };
    match pipeline::ingest(db, input).await {
        Ok(ingested) => Ok(Some(ingested.stored)),
        Err(err) => {
            if pages::Entity::find().count(db).await? > 0 {
                tracing::info!("another process loaded the bundled page first");
                Ok(None)
            } else {
                Err(err.into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_starts_at_the_pages_own_last_edited_stamp() {
        let url = Url::parse(TREATMENTS_URL).expect("url");
        let document = crate::extract::extract(crate::extract::PageInput {
            url: &url,
            bytes: TREATMENTS_HTML,
            content_type: Some("text/html"),
        });
        let stamp = document
            .ok()
            .and_then(|d| d.last_edited)
            .and_then(|s| s.at)
            .map(|at| {
                at.and_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            });
        assert_eq!(stamp.as_deref(), Some(TREATMENTS_EDITED));
    }
}
