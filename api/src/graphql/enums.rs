//! GraphQL enums, mirroring the stored ones.

use async_graphql::Enum;
use lmsdr_entity::sea_orm_active_enums as stored;

macro_rules! mirror {
    ($(#[$doc:meta])* $name:ident from $stored:ident { $($(#[$vdoc:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl From<stored::$stored> for $name {
            fn from(value: stored::$stored) -> Self {
                match value {
                    $(stored::$stored::$variant => $name::$variant),+
                }
            }
        }

        impl From<$name> for stored::$stored {
            fn from(value: $name) -> Self {
                match value {
                    $($name::$variant => stored::$stored::$variant),+
                }
            }
        }
    };
}

mirror!(
    /// How established a treatment is, as the page presents it.
    TreatmentStatus from TreatmentStatus {
        /// An approved or established treatment.
        Standard,
        /// In a clinical trial.
        InTrial,
        /// Experimental, still being investigated.
        Investigational,
    }
);

mirror!(
    /// A route of administration.
    Route from Route {
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
);

mirror!(
    /// Whether a page is still served by the site.
    PageStatus from PageStatus {
        /// Served.
        Active,
        /// Answered 404 or 410 after having been seen.
        Gone,
    }
);

mirror!(
    /// The kind of a drug name.
    DrugNameKind from DrugNameKind {
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
);

mirror!(
    /// What kind of page a page is, read from what it says.
    PageKind from PageKind {
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
);

mirror!(
    /// The kind of a warning.
    WarningKind from WarningKind {
        /// The treatment should not be used for the population named.
        Contraindication,
        /// Use with care.
        Caution,
    }
);

mirror!(
    /// How a sync run stands or ended.
    SyncRunStatus from SyncRunStatus {
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
);

mirror!(
    /// What started a sync run.
    SyncRunKind from SyncRunKind {
        /// `lmsdr sync`.
        Sync,
        /// `lmsdr import`.
        Import,
    }
);

mirror!(
    /// Where a revision's bytes came from.
    RevisionOrigin from RevisionOrigin {
        /// The page shipped in the binary.
        Bundled,
        /// `lmsdr import` of a saved file (captured at the file's modification time) or
        /// `importPage` (captured when posted).
        Import,
        /// Fetched by a sync (captured when fetched).
        Sync,
        /// Replayed from a web archive (captured at the archive record's date).
        Archive,
        /// Stored bytes read again by a newer extractor.
        Reread,
    }
);

mirror!(
    /// What became of a revision held in quarantine.
    RevisionReview from RevisionReview {
        /// An admin accepted it: it applies as of when it was fetched.
        Accepted,
        /// An admin rejected it: it stays held, out of consideration.
        Rejected,
        /// The page returned to normal or changed again before anyone decided: still held, and
        /// an admin may still accept it into the history.
        Superseded,
    }
);

mirror!(
    /// A relation the page states between two drugs.
    DrugRelationKind from DrugRelationKind {
        /// "same drug as".
        SameDrugAs,
    }
);
