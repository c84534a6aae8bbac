//! What extraction produces: one page's structure and its normalized facts.
//!
//! Every fact carries `source`, the exact sentence or list item it was read from.

use chrono::NaiveDateTime;
use lmsdr_entity::sea_orm_active_enums::{
    DrugNameKind, DrugRelationKind, PageKind, Route, TreatmentStatus, WarningKind,
};
use serde::{Deserialize, Serialize};

pub use super::approval::Approval;

/// What a page's `<meta name="robots">` asks of crawlers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RobotsMeta {
    /// `noindex` (or `none`): the page is not to be kept as a page of the site.
    pub noindex: bool,
    /// `nofollow` (or `none`): its links are not to be followed.
    pub nofollow: bool,
}

impl RobotsMeta {
    /// Reads the directives of a `content` attribute (`noindex, follow`), case aside.
    pub fn parse(content: &str) -> Self {
        let mut meta = Self::default();
        for directive in content.split(',').map(|d| d.trim().to_ascii_lowercase()) {
            match directive.as_str() {
                "noindex" => meta.noindex = true,
                "nofollow" => meta.nofollow = true,
                "none" => (meta.noindex, meta.nofollow) = (true, true),
                _ => {}
            }
        }
        meta
    }

    /// Whether it asks nothing.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// A page, extracted.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// The page's URL.
    pub url: String,
    /// The `<title>` (or first heading).
    pub title: Option<String>,
    /// The encoding the page was decoded with.
    pub encoding: String,
    /// The "Last Edited" stamp.
    pub last_edited: Option<Stamp>,
    /// The page's disclaimer, if it has one.
    pub disclaimer: Option<String>,
    /// A note from the page's own metadata on where it came from (set on reconstructed pages).
    pub origin_note: Option<String>,
    /// Another URL of the same site the page names as its canonical address
    /// (`<link rel="canonical">`): the page is stored there, and its own URL is an alias.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
    /// What the page's `<meta name="robots">` asks of crawlers.
    #[serde(skip_serializing_if = "RobotsMeta::is_default")]
    pub robots: RobotsMeta,
    /// The navigation menu, in order.
    pub navigation: Vec<Link>,
    /// Links in the main content.
    pub links: Vec<Link>,
    /// The main content as normalized text, one line per paragraph or list item.
    pub main_text: String,
    /// SHA-256 of `main_text`, hex.
    pub content_hash: String,
    /// What kind of page it is.
    pub kind: PageKind,
    /// Why it was given that kind, one plain sentence each.
    pub kind_reasons: Vec<String>,
    /// The main content as blocks (and, rendered from them, sanitized HTML).
    pub content: Content,
    /// The images of the main content.
    pub images: Vec<Image>,
    /// The first paragraph, shortened to a teaser.
    pub excerpt: Option<String>,
    /// Every sentence naming a drug, on any kind of page.
    pub mentions: Vec<PageMention>,
    /// What the extractor could not decide and a person should look at (a page that may be a
    /// treatment listing but was not read as one, a section of a listing left out).
    pub notices: Vec<String>,
    /// The slugs of sections that read partly as treatments but were left out of them: a
    /// listing that held one of these holds the revision for review rather than delist it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub left_out_categories: Vec<String>,
    /// Treatment categories in page order.
    pub categories: Vec<Category>,
    /// Every drug the page names, by slug.
    pub drugs: Vec<Drug>,
    /// Combination regimens.
    pub regimens: Vec<Regimen>,
    /// Relations the page states between drugs.
    pub drug_relations: Vec<DrugRelation>,
    /// Warnings.
    pub warnings: Vec<Warning>,
    /// References to clinical trials.
    pub trials: Vec<TrialReference>,
    /// Names that look like drugs but are not in the vocabulary.
    pub unverified_names: Vec<String>,
}

/// A "Last Edited" stamp, as written and as a local date-time (the page gives no time zone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stamp {
    /// The stamp's text as written, e.g. "1 August 2012 08:59 am".
    pub text: String,
    /// The same moment, without an invented time zone; `None` if the text cannot be read as a date.
    pub at: Option<NaiveDateTime>,
}

/// A link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Its visible text.
    pub text: String,
    /// Its absolute URL.
    pub url: String,
    /// Whether it leads off the page's site.
    pub external: bool,
    /// The sentence it stands in (content links only).
    pub context: Option<String>,
}

/// A treatment category with its lead-in and items.
#[derive(Debug, Clone, Serialize)]
pub struct Category {
    /// Stable identifier.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The lead-in paragraph, as written.
    pub description: String,
    /// Populations the category is scoped to ("uterine LMS").
    pub scope: Vec<String>,
    /// 1-based position on the page.
    pub position: i32,
    /// The lead-in paragraph the category was read from.
    pub source: String,
    /// The category's list items.
    pub treatments: Vec<Treatment>,
}

/// One list item of a category.
#[derive(Debug, Clone, Serialize)]
pub struct Treatment {
    /// Stable identifier within its category.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Standard, in trial or investigational.
    pub status: TreatmentStatus,
    /// Listed as a first-line choice.
    pub first_line: bool,
    /// 1-based position within the category.
    pub position: i32,
    /// The regimen the item names, by slug.
    pub regimen: Option<String>,
    /// Drugs the item names.
    pub drugs: Vec<DrugMention>,
    /// The approval the item states ("approved by the FDA in October 2015"), if it states one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    /// The phase of the trial the item names ("phase 2" gives `2`, "Phase I/II" `1/2`), if it
    /// names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trial_phase: Option<String>,
    /// The list item as written.
    pub source: String,
}

/// A drug named in a treatment item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DrugMention {
    /// The drug's slug.
    pub drug: String,
    /// The words the page used ("Adriamycin (doxorubicin)").
    pub name_as_written: String,
    /// The route the page gives, if any.
    pub route: Option<Route>,
}

/// A drug.
#[derive(Debug, Clone, Serialize)]
pub struct Drug {
    /// Stable identifier (the generic name).
    pub slug: String,
    /// International non-proprietary name.
    pub generic_name: String,
    /// Every name it goes by, generic included.
    pub names: Vec<DrugName>,
    /// Pharmacological class.
    pub drug_class: Option<String>,
    /// WHO ATC code.
    pub atc_code: Option<String>,
    /// The ATC code it had before a reclassification.
    pub atc_code_previous: Option<String>,
    /// RxNorm concept ID.
    pub rxcui: Option<String>,
    /// Why and when it left the market, if it did.
    pub withdrawn: Option<String>,
    /// Whether the curated vocabulary knows it.
    pub verified: bool,
    /// Whether the page says it is in a trial.
    pub in_trial: bool,
    /// Whether a treatment or warning of a listing names it (not only a sentence).
    pub from_listing: bool,
    /// The first sentence or item naming it.
    pub source: String,
}

/// One name of a drug.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrugName {
    /// The name.
    pub name: String,
    /// Generic, brand, code name or abbreviation.
    pub kind: DrugNameKind,
}

/// A combination regimen.
#[derive(Debug, Clone, Serialize)]
pub struct Regimen {
    /// Stable identifier.
    pub slug: String,
    /// Its name as written ("Gem/Tax").
    pub name: String,
    /// Its components as written ("Gemzar + Taxotere").
    pub components: String,
    /// Listed as a first-line choice.
    pub first_line: bool,
    /// Its drugs in order, as slugs with the words used.
    pub drugs: Vec<DrugMention>,
    /// The list item as written.
    pub source: String,
}

/// A relation the page states between two drugs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DrugRelation {
    /// The drug named first.
    pub drug: String,
    /// The drug named second.
    pub related: String,
    /// What the page says of them.
    pub kind: DrugRelationKind,
    /// The sentence or item stating it.
    pub source: String,
}

/// A warning.
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    /// Stable identifier.
    pub slug: String,
    /// Contraindication or caution.
    pub kind: WarningKind,
    /// The warning's text, without its "Warning:" label.
    pub text: String,
    /// The population it applies to.
    pub population: Option<String>,
    /// The drug it is about, by slug.
    pub drug: Option<String>,
    /// The category it stands in, by slug.
    pub category: Option<String>,
    /// The line as written.
    pub source: String,
}

/// A reference to a clinical trial.
#[derive(Debug, Clone, Serialize)]
pub struct TrialReference {
    /// Stable identifier.
    pub slug: String,
    /// The words used ("AP23573 trial").
    pub label: String,
    /// The trial's or drug's code.
    pub code: Option<String>,
    /// The drug it concerns, by slug.
    pub drug: Option<String>,
    /// The category and treatment slugs of the item naming it.
    pub treatment: Option<(String, String)>,
    /// The item as written.
    pub source: String,
}

/// The main content, for frontends: an ordered list of blocks, which render to sanitized HTML.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    /// The blocks, in page order.
    pub blocks: Vec<Block>,
}

impl Content {
    /// The blocks as HTML, sanitized: no scripts, styles, event handlers or layout tables; links
    /// absolute. Rendered when asked for: the blocks are the one stored form of the content.
    pub fn html(&self) -> String {
        super::html::render(&self.blocks)
    }
}

/// What a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// A heading (`level` 1–6).
    Heading,
    /// A paragraph.
    Paragraph,
    /// A list (`items`).
    List,
    /// A quotation.
    Quote,
    /// An image (`src`, `alt`).
    Image,
    /// A data table (`rows`, the first one a header row when the table has one).
    Table,
}

/// One block of a page's main content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// What it is.
    pub kind: BlockKind,
    /// Its plain text (for a list, its items one a line; for a table, its rows).
    pub text: String,
    /// A heading's level, 1–6; a list's nesting depth, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
    /// A list's items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    /// Whether a list is numbered.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ordered: bool,
    /// The links in the block, with absolute URLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// An image's absolute URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src: Option<String>,
    /// An image's alternative text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
    /// A table's rows of cells.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<Vec<String>>,
    /// Whether a table's first row is its header.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub header_row: bool,
}

impl Block {
    /// A block of a kind with its text and nothing else.
    pub fn new(kind: BlockKind, text: impl Into<String>) -> Self {
        Self {
            kind,
            text: text.into(),
            level: None,
            items: Vec::new(),
            ordered: false,
            links: Vec::new(),
            src: None,
            alt: None,
            rows: Vec::new(),
            header_row: false,
        }
    }
}

/// An image of the main content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// Its absolute URL.
    pub src: String,
    /// Its alternative text, if it has one.
    pub alt: Option<String>,
}

/// A sentence that names a drug, wherever it stands on the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageMention {
    /// The drug's slug.
    pub drug: String,
    /// The words the page used.
    pub name_as_written: String,
    /// The sentence (or list item) naming it.
    pub sentence: String,
}
