//! What an import says of itself: each file's outcome, the counts, the facts found and the
//! extractor's notices.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use lmsdr_entity::sea_orm_active_enums::PageKind;
use sea_orm::{DatabaseConnection, DbErr};
use serde::Serialize;
use url::Url;

use crate::extract::Document;
use crate::runs::{self, RunCounts};
use crate::store::PageChange;

/// What happened to one file.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileReport {
    /// The file.
    pub path: PathBuf,
    /// The URL it was stored under.
    pub url: String,
    /// New, changed or unchanged; `None` if it failed.
    pub change: Option<PageChange>,
    /// Why it failed.
    pub error: Option<String>,
}

/// Fact counts over the imported pages.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityCounts {
    /// Treatment categories.
    pub categories: usize,
    /// Treatments.
    pub treatments: usize,
    /// Drugs.
    pub drugs: usize,
    /// Regimens.
    pub regimens: usize,
    /// Warnings.
    pub warnings: usize,
    /// Trial references.
    pub trials: usize,
}

impl EntityCounts {
    pub(super) fn add(&mut self, doc: &Document) {
        self.categories += doc.categories.len();
        self.treatments += doc
            .categories
            .iter()
            .map(|c| c.treatments.len())
            .sum::<usize>();
        self.drugs += doc.drugs.len();
        self.regimens += doc.regimens.len();
        self.warnings += doc.warnings.len();
        self.trials += doc.trials.len();
    }
}

/// What the pages one run read said, whichever way they came in (files, archives, a web
/// archive's captures): how each was stored, the facts found and what to look at.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageTally {
    /// Pages seen for the first time.
    pub pages_new: usize,
    /// Pages whose content changed.
    pub pages_changed: usize,
    /// Pages whose content was already stored.
    pub pages_unchanged: usize,
    /// Pages that could not be read or stored.
    pub pages_failed: usize,
    /// Captures older than the page's current revision, written into its history only.
    pub pages_past: usize,
    /// Pages holding a stored page's content under another URL, recorded as its alias.
    pub pages_aliased: usize,
    /// Pages whose content was held in quarantine: stored as a revision that applies nothing
    /// until a person accepts it.
    pub pages_quarantined: usize,
    /// Why each held page was held.
    pub quarantined: Vec<Notice>,
    /// Facts found in the pages read.
    pub entities: EntityCounts,
    /// Drug-like names missing from the vocabulary.
    pub unverified_names: BTreeSet<String>,
    /// Pages read, by kind.
    pub kinds: BTreeMap<PageKind, usize>,
    /// What the extractor reported for a person to look at (a possible treatment listing not
    /// read as one, a section of a listing left out), by URL.
    pub notices: Vec<Notice>,
}

impl PageTally {
    /// Counts one page's outcome: how it was stored, or `None` when it failed.
    pub fn count(&mut self, change: Option<PageChange>) {
        match change {
            Some(PageChange::New) => self.pages_new += 1,
            Some(PageChange::Changed | PageChange::Rederived) => self.pages_changed += 1,
            Some(PageChange::Unchanged) => self.pages_unchanged += 1,
            Some(PageChange::Alias) => self.pages_aliased += 1,
            Some(PageChange::Quarantined) => self.pages_quarantined += 1,
            Some(PageChange::Past) => self.pages_past += 1,
            None => self.pages_failed += 1,
        }
    }

    /// The run's counts, for `read` pages read with a body.
    pub fn counts(&self, read: usize) -> RunCounts {
        RunCounts {
            fetched: read as i32,
            changed: (self.pages_new + self.pages_changed + self.pages_past) as i32,
            not_modified: 0,
            failed: self.pages_failed as i32,
            quarantined: self.pages_quarantined as i32,
            broken_links: 0,
            left_unread: 0,
        }
    }
}

/// The summary of an import.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// The sync run recording this import.
    pub run_id: i32,
    /// Runs found abandoned (their process died) and marked aborted.
    pub aborted_runs: u64,
    /// How the pages were stored, and what they said.
    #[serde(flatten)]
    pub pages: PageTally,
    /// One entry per file.
    pub files: Vec<FileReport>,
}

/// Something the extractor could not decide about a page.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    /// The page.
    pub url: String,
    /// What to look at.
    pub notice: String,
}

impl ImportReport {
    /// The run's counts so far.
    pub(super) fn counts(&self) -> RunCounts {
        self.pages
            .counts(self.files.len() - self.pages.pages_failed)
    }

    /// Counts one page's outcome, recording a failure on the run.
    pub(super) async fn record(
        &mut self,
        db: &DatabaseConnection,
        run_id: i32,
        path: PathBuf,
        url: &Url,
        outcome: Result<PageChange, String>,
    ) -> Result<(), DbErr> {
        let (change, error) = match outcome {
            Ok(change) => (Some(change), None),
            Err(reason) => {
                runs::record_error(db, run_id, url.as_str(), &reason).await?;
                (None, Some(reason))
            }
        };
        self.pages.count(change);
        self.files.push(FileReport {
            path,
            url: url.to_string(),
            change,
            error,
        });
        Ok(())
    }
}
