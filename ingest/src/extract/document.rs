//! What extraction produces: one page's structure and its normalized facts.
//!
//! Every fact carries `source`, the exact sentence or list item it was read from.

use chrono::NaiveDateTime;
use lmsdr_entity::sea_orm_active_enums::{
    DrugNameKind, DrugRelationKind, Route, TreatmentStatus, WarningKind,
};
use serde::Serialize;

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
    /// The navigation menu, in order.
    pub navigation: Vec<Link>,
    /// Links in the main content.
    pub links: Vec<Link>,
    /// The main content as normalized text, one line per paragraph or list item.
    pub main_text: String,
    /// SHA-256 of `main_text`, hex.
    pub content_hash: String,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// Whether the curated vocabulary knows it.
    pub verified: bool,
    /// Whether the page says it is in a trial.
    pub in_trial: bool,
    /// The first sentence or item naming it.
    pub source: String,
}

/// One name of a drug.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
