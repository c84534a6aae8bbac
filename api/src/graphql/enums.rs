//! GraphQL enums, mirroring the stored ones (the conversions both ways derived).

use async_graphql::Enum;
use lmsdr_entity::sea_orm_active_enums as stored;

/// How established a treatment is, as the page presents it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "stored::TreatmentStatus")]
pub enum TreatmentStatus {
    /// An approved or established treatment.
    Standard,
    /// In a clinical trial.
    InTrial,
    /// Experimental, still being investigated.
    Investigational,
}

/// A route of administration.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "stored::Route")]
pub enum Route {
    /// By mouth.
    Oral,
    /// Into a vein.
    Intravenous,
    /// Into a muscle.
    Intramuscular,
    /// Under the skin.
    Subcutaneous,
    /// On the skin.
    Topical,
    /// Into an artery.
    Intraarterial,
    /// Into the peritoneal cavity.
    Intraperitoneal,
}

/// Whether a page is still served by the site.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "stored::PageStatus")]
pub enum PageStatus {
    /// Served.
    Active,
    /// Answered 404 or 410 after having been seen.
    Gone,
}

/// The kind of a drug name.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "stored::DrugNameKind")]
pub enum DrugNameKind {
    /// International non-proprietary name.
    Generic,
    /// Brand name.
    Brand,
    /// Development code.
    CodeName,
    /// Abbreviation.
    Abbreviation,
    /// A name it went by before ("deforolimus").
    FormerName,
}

/// What kind of page a page is, read from what it says.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "stored::PageKind")]
pub enum PageKind {
    /// Lists treatments: lead-ins naming modalities, with items that read as treatments.
    TreatmentListing,
    /// Prose about a subject.
    Article,
    /// Questions and answers.
    Faq,
    /// Dated news items.
    News,
    /// Events with dates and times.
    Events,
    /// Asks for gifts.
    Donation,
    /// Tributes and memorials.
    Tribute,
    /// Addresses, telephone numbers, e-mail.
    Contact,
    /// Mostly links to other pages.
    Index,
    /// Too little to tell.
    Other,
}

/// The kind of a warning.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "stored::WarningKind")]
pub enum WarningKind {
    /// The treatment should not be used for the population named.
    Contraindication,
    /// Use with care.
    Caution,
}

/// How a sync run stands or ended.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "stored::SyncRunStatus")]
pub enum SyncRunStatus {
    /// Under way.
    Running,
    /// Every page was read.
    Ok,
    /// Some pages failed.
    Partial,
    /// Nothing could be read.
    Failed,
    /// The process died; a later run noticed.
    Aborted,
}

/// What started a sync run.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "stored::SyncRunKind")]
pub enum SyncRunKind {
    /// `lmsdr sync`.
    Sync,
    /// `lmsdr import`.
    Import,
    /// `lmsdr backfill`: captures read from a web archive.
    Backfill,
}

/// Where a revision's bytes came from.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "stored::RevisionOrigin")]
pub enum RevisionOrigin {
    /// The page shipped in the binary.
    Bundled,
    /// `lmsdr import` of a saved file (captured at the file's modification time) or
    /// `importPage` (captured when posted).
    Import,
    /// Fetched by a sync (captured when fetched).
    Sync,
    /// Replayed from a web archive (a WARC file, or `lmsdr backfill`), captured at the archive
    /// record's date.
    Archive,
    /// Stored bytes read again by a newer extractor.
    Reread,
}

/// What became of a revision held in quarantine.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "stored::RevisionReview")]
pub enum RevisionReview {
    /// An admin accepted it: it applies as of when it was fetched.
    Accepted,
    /// An admin rejected it: it stays held, out of consideration.
    Rejected,
    /// The page returned to normal or changed again before anyone decided: still held, and
    /// an admin may still accept it into the history.
    Superseded,
}

/// A relation the page states between two drugs.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "stored::DrugRelationKind")]
pub enum DrugRelationKind {
    /// "same drug as".
    SameDrugAs,
}
