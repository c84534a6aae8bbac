//! What a backfill says of itself: the listing, what was fetched and stored, what was reported
//! instead, and why it stopped if it did.

use std::collections::BTreeMap;

use serde::Serialize;

use super::plan::{Listed, ListingCounts, PagePlan, Plan};
use crate::import::PageTally;
use crate::runs::RunCounts;
use crate::store::PageChange;

/// One capture stored (or found already stored).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaptureReport {
    /// The page.
    pub url: String,
    /// The archive's timestamp.
    pub timestamp: String,
    /// The capture in the archive.
    pub memento_url: String,
    /// What it did to the page.
    pub change: PageChange,
}

/// A capture fetched and not stored, or not fetched.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejected {
    /// The page.
    pub url: String,
    /// The archive's timestamp.
    pub timestamp: String,
    /// Why.
    pub reason: String,
}

/// The summary of a backfill.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BackfillReport {
    /// The run recording it (none for a dry run).
    pub run_id: Option<i32>,
    /// The archive read.
    pub archive: String,
    /// The site whose captures were listed.
    pub site: String,
    /// Whether bodies were left unfetched.
    pub dry_run: bool,
    /// Runs found abandoned (their process died) and marked aborted.
    pub aborted_runs: u64,
    /// The listing, counted.
    pub listing: ListingCounts,
    /// Each page listed, with its captures and distinct versions.
    pub pages: BTreeMap<String, PagePlan>,
    /// Distinct versions over all pages.
    pub versions: usize,
    /// Versions fetched by an earlier run, not fetched again.
    pub already_fetched: usize,
    /// Captures fetched by this run.
    pub fetched: usize,
    /// Requests sent to the archive (listings, fetches, refused ones).
    pub requests: usize,
    /// How the captures fetched were stored, and what they said.
    pub stored: PageTally,
    /// Each capture stored, oldest first.
    pub captures: Vec<CaptureReport>,
    /// Redirect captures, reported and never stored.
    pub redirects: Vec<Listed>,
    /// Error captures (4xx, 5xx), reported and never stored.
    pub errors: Vec<Listed>,
    /// Captures fetched and not stored (a digest that does not match, an unreadable body), or
    /// that could not be fetched.
    pub rejected: Vec<Rejected>,
    /// Why the backfill stopped before the end, when it did.
    pub stopped: Option<String>,
}

impl BackfillReport {
    /// The report of a plan, before anything is fetched.
    pub(super) fn planned(archive: &str, site: &str, dry_run: bool, plan: &Plan) -> Self {
        Self {
            archive: archive.to_owned(),
            site: site.to_owned(),
            dry_run,
            listing: plan.counts.clone(),
            pages: plan.pages.clone(),
            versions: plan.captures.len(),
            redirects: plan.redirects.clone(),
            errors: plan.errors.clone(),
            ..Default::default()
        }
    }

    /// The run's counts so far.
    pub fn counts(&self) -> RunCounts {
        self.stored.counts(self.captures.len())
    }
}
