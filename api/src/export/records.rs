//! The records an export is made of, one type per kind of fact, with their JSON Schemas.
//!
//! Every format is written from these: JSON and NDJSON serialize them as they are, CSV flattens
//! them, JSON-LD and FHIR map them. Field names are camelCase, as in the GraphQL API.

use chrono::{DateTime, NaiveDateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::{
    PageKind, PageStatus, RevisionOrigin, RevisionReview, Route, TreatmentStatus, WarningKind,
};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use sea_orm::{ActiveEnum, Iterable};
use serde::{Deserialize, Serialize};

pub use super::record_type::RecordType;

/// Where a fact was read: the page, the revision of it, and the exact words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Provenance {
    /// The page's URL.
    pub page_url: String,
    /// The page revision's number (1 is the first version lmsdr stored).
    pub revision: i32,
    /// When that revision was fetched (or captured, for an archived page).
    pub revision_fetched_at: DateTime<Utc>,
    /// The part of the page it stands in (a category name, "drugs", "mentions" …).
    pub section: Option<String>,
    /// The exact sentence or list item the fact was read from.
    pub excerpt: String,
    /// The web archive's page for the capture that revision came from, when it was read from
    /// an archive (`lmsdr backfill`).
    pub memento_url: Option<String>,
}

/// A disclaimer a page carries, with the pages that carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Disclaimer {
    /// Its text, as the page gives it.
    pub text: String,
    /// The pages that carry it.
    pub page_urls: Vec<String>,
}

/// What the export is: where the data comes from, how current it is, and what to carry along.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExportMeta {
    /// The publisher of the content.
    pub publisher: String,
    /// The sites the pages were read from.
    pub sites: Vec<String>,
    /// Every page the export holds, by URL.
    pub sources: Vec<String>,
    /// The disclaimers the pages carry, verbatim; carry them with the data.
    pub disclaimers: Vec<Disclaimer>,
    /// When the last sync of the site finished without failures; `null` before the first one.
    pub last_successful_sync: Option<DateTime<Utc>>,
    /// When the content last changed (a revision stored, accepted or rejected).
    pub last_changed_at: Option<DateTime<Utc>>,
    /// The content generation: it changes exactly when the content does (the HTTP `ETag`).
    pub generation: String,
    /// The lmsdr version that wrote the export.
    pub lmsdr_version: String,
    /// When the export was taken.
    pub exported_at: DateTime<Utc>,
}

/// A page of the foundation's site, with its current text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Page {
    /// Stable ID (the GraphQL `Page` ID).
    pub id: String,
    /// The page's URL.
    pub url: String,
    /// Its title.
    pub title: Option<String>,
    /// What kind of page it is, read from what it says.
    #[schemars(schema_with = "stored_enum::<PageKind>")]
    pub kind: PageKind,
    /// Whether the site still serves it.
    #[schemars(schema_with = "stored_enum::<PageStatus>")]
    pub status: PageStatus,
    /// The "Last Edited" stamp as the page writes it.
    pub last_edited_text: Option<String>,
    /// The stamp read as a date and time (the site gives no time zone).
    pub last_edited_at: Option<NaiveDateTime>,
    /// When lmsdr last fetched it.
    pub fetched_at: DateTime<Utc>,
    /// When lmsdr first saw it.
    pub first_seen_at: DateTime<Utc>,
    /// When the site stopped serving it.
    pub gone_at: Option<DateTime<Utc>>,
    /// The number of the revision whose content is current.
    pub revision: Option<i32>,
    /// SHA-256 of its normalized text.
    pub content_hash: String,
    /// Its first words, for listings.
    pub excerpt: Option<String>,
    /// The disclaimer it carries.
    pub disclaimer: Option<String>,
    /// Its main content as plain text.
    pub text: Option<String>,
}

/// A category of treatment on a treatments page (surgery, chemotherapy …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Category {
    /// Stable ID (the GraphQL `TreatmentCategory` ID).
    pub id: String,
    /// Stable slug.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// What the page says about it.
    pub description: String,
    /// Its place on the page, from 0.
    pub position: i32,
    /// When the site first listed it.
    pub first_listed_at: DateTime<Utc>,
    /// When it left the site, if it did: a fact leaving the site stays in the export, marked so,
    /// with what the page last stated of it and where.
    pub delisted_at: Option<DateTime<Utc>>,
    /// Where it was read.
    pub provenance: Provenance,
}

/// A drug as part of a treatment or regimen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Component {
    /// The drug's slug.
    pub drug: String,
    /// The name the page used for it there.
    pub name_as_written: String,
    /// How it is given, where the page says.
    #[schemars(schema_with = "stored_enum_or_null::<Route>")]
    pub route: Option<Route>,
}

/// A treatment the page lists within a category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Treatment {
    /// Stable ID (the GraphQL `Treatment` ID).
    pub id: String,
    /// Stable key, `category/treatment` (`chemotherapy/pazopanib`): a treatment's own slug is
    /// unique only within its category. The same key as GraphQL's and the change feed's.
    pub slug: String,
    /// Its name as the page gives it.
    pub name: String,
    /// The slug of its category.
    pub category: String,
    /// How established it is, as the page presents it.
    #[schemars(schema_with = "stored_enum::<TreatmentStatus>")]
    pub status: TreatmentStatus,
    /// Whether the page calls it a first-line treatment.
    pub first_line: bool,
    /// Its place within the category, from 0.
    pub position: i32,
    /// The slug of the regimen it is, if it is one.
    pub regimen: Option<String>,
    /// Its drugs, in the page's order.
    pub drugs: Vec<Component>,
    /// The approval its item states, if it states one.
    pub approval: Option<Approval>,
    /// The phase of the trial its item names (`1`, `2`, `3`, `4`, or a span such as `1/2`).
    pub trial_phase: Option<String>,
    /// When the site first listed it.
    pub first_listed_at: DateTime<Utc>,
    /// When it left the site, if it did: a fact leaving the site stays in the export, marked so,
    /// with what the page last stated of it and where.
    pub delisted_at: Option<DateTime<Utc>>,
    /// Where it was read.
    pub provenance: Provenance,
}

/// An approval a treatment's item states ("approved by the FDA in October 2015").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Approval {
    /// The body that approved it, as the page names it ("FDA"), if it names one.
    pub by: Option<String>,
    /// When, as precisely as the page says: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub on: Option<String>,
    /// The words that state it.
    pub text: String,
}

/// A drug the site names, with its names and standard codes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Drug {
    /// Stable ID (the GraphQL `Drug` ID).
    pub id: String,
    /// Stable slug.
    pub slug: String,
    /// The generic (non-proprietary) name.
    pub generic_name: String,
    /// Brand names.
    pub brand_names: Vec<String>,
    /// Development code names.
    pub code_names: Vec<String>,
    /// Abbreviations.
    pub abbreviations: Vec<String>,
    /// Names it went by before.
    pub former_names: Vec<String>,
    /// Its drug class, where known.
    pub drug_class: Option<String>,
    /// Routes the pages give for it.
    #[schemars(schema_with = "stored_enum_list::<Route>")]
    pub routes: Vec<Route>,
    /// WHO ATC code, confirmed in a public source.
    pub atc_code: Option<String>,
    /// An ATC code it had before.
    pub atc_code_previous: Option<String>,
    /// RxNorm concept ID, confirmed in a public source.
    pub rxcui: Option<String>,
    /// Whether its names and codes are confirmed by the vocabulary.
    pub verified: bool,
    /// Whether the page presents it as available in trials only.
    pub in_trial: bool,
    /// What the page says about its withdrawal, if it was withdrawn.
    pub withdrawn: Option<String>,
    /// When the site first listed it.
    pub first_listed_at: DateTime<Utc>,
    /// When it left the site, if it did: a fact leaving the site stays in the export, marked so,
    /// with what the page last stated of it and where.
    pub delisted_at: Option<DateTime<Utc>>,
    /// Where it was read.
    pub provenance: Provenance,
}

/// A named combination of drugs (Gem/Tax, AIM …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Regimen {
    /// Stable ID (the GraphQL `Regimen` ID).
    pub id: String,
    /// Stable slug.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// Its components as the page writes them.
    pub components: String,
    /// Whether the page calls it first-line.
    pub first_line: bool,
    /// Its drugs, in the page's order.
    pub drugs: Vec<Component>,
    /// When the site first listed it.
    pub first_listed_at: DateTime<Utc>,
    /// When it left the site, if it did: a fact leaving the site stays in the export, marked so,
    /// with what the page last stated of it and where.
    pub delisted_at: Option<DateTime<Utc>>,
    /// Where it was read.
    pub provenance: Provenance,
}

/// A warning the page gives: a contraindication or a caution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Warning {
    /// Stable ID (the GraphQL `Warning` ID).
    pub id: String,
    /// Stable slug.
    pub slug: String,
    /// Contraindication or caution.
    #[schemars(schema_with = "stored_enum::<WarningKind>")]
    pub kind: WarningKind,
    /// Its text, verbatim.
    pub text: String,
    /// Who it concerns, where the page says.
    pub population: Option<String>,
    /// The slug of the drug it concerns.
    pub drug: Option<String>,
    /// The slug of the category it concerns.
    pub category: Option<String>,
    /// When the site first listed it.
    pub first_listed_at: DateTime<Utc>,
    /// When it left the site, if it did: a fact leaving the site stays in the export, marked so,
    /// with what the page last stated of it and where.
    pub delisted_at: Option<DateTime<Utc>>,
    /// Where it was read.
    pub provenance: Provenance,
}

/// A clinical trial the page refers to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TrialReference {
    /// Stable ID.
    pub id: String,
    /// Stable slug.
    pub slug: String,
    /// How the page names it.
    pub label: String,
    /// Its registry code (an NCT number, say), where the page gives one.
    pub code: Option<String>,
    /// Its link, where the page gives one.
    pub url: Option<String>,
    /// The slug of the drug it tests.
    pub drug: Option<String>,
    /// The key of the treatment it belongs to (`category/treatment`).
    pub treatment: Option<String>,
    /// When the site first listed it.
    pub first_listed_at: DateTime<Utc>,
    /// When it left the site, if it did: a fact leaving the site stays in the export, marked so,
    /// with what the page last stated of it and where.
    pub delisted_at: Option<DateTime<Utc>>,
    /// Where it was read.
    pub provenance: Provenance,
}

/// A sentence on any page that names a drug.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Mention {
    /// Stable ID.
    pub id: String,
    /// The slug of the drug named.
    pub drug: String,
    /// The page's URL.
    pub page_url: String,
    /// The name as written.
    pub name_as_written: String,
    /// The sentence, verbatim.
    pub sentence: String,
    /// When the site first listed it.
    pub first_listed_at: DateTime<Utc>,
    /// When it left the site, if it did: a fact leaving the site stays in the export, marked so,
    /// with what the page last stated of it and where.
    pub delisted_at: Option<DateTime<Utc>>,
    /// Where it was read.
    pub provenance: Provenance,
}

/// A stored version of a page and what changed in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Revision {
    /// Stable ID (the GraphQL `Revision` ID).
    pub id: String,
    /// The page's URL.
    pub page_url: String,
    /// Its number, from 1.
    pub number: i32,
    /// SHA-256 of its normalized text.
    pub content_hash: String,
    /// When it was fetched.
    pub fetched_at: DateTime<Utc>,
    /// The "Last Edited" stamp it carried.
    pub last_edited_text: Option<String>,
    /// The stamp read as a date and time.
    pub last_edited_at: Option<NaiveDateTime>,
    /// Where its bytes came from.
    #[schemars(schema_with = "stored_enum::<RevisionOrigin>")]
    pub origin: RevisionOrigin,
    /// Whether it is held for a person to review. Always false: exports are public and carry
    /// only the revisions that apply (held and rejected ones are for admins).
    pub quarantined: bool,
    /// Why it was held, for a revision an admin then accepted.
    pub quarantine_reason: Option<String>,
    /// What became of it after review.
    #[schemars(schema_with = "stored_enum_or_null::<RevisionReview>")]
    pub review: Option<RevisionReview>,
    /// The unified diff of its text against the revision before.
    pub diff: Option<String>,
    /// The web archive's page for the capture it came from, when it was read from an archive
    /// (`lmsdr backfill`).
    pub memento_url: Option<String>,
}

/// One line of an NDJSON export: a record of any type, named by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Record {
    /// The export's metadata; always first.
    Export(ExportMeta),
    /// A page.
    Page(Page),
    /// A treatment category.
    Category(Category),
    /// A treatment.
    Treatment(Treatment),
    /// A drug.
    Drug(Drug),
    /// A regimen.
    Regimen(Regimen),
    /// A warning.
    Warning(Warning),
    /// A trial reference.
    TrialReference(TrialReference),
    /// A drug mention.
    Mention(Mention),
    /// A page revision.
    Revision(Revision),
}

/// The values a stored enum takes, as a string schema.
fn stored_enum<E: ActiveEnum<Value = String> + Iterable>(_: &mut SchemaGenerator) -> Schema {
    let values: Vec<String> = E::iter().map(|e| e.to_value()).collect();
    json_schema!({ "type": "string", "enum": values })
}

/// [`stored_enum`], or `null`.
fn stored_enum_or_null<E: ActiveEnum<Value = String> + Iterable>(
    _: &mut SchemaGenerator,
) -> Schema {
    let mut values: Vec<serde_json::Value> = E::iter().map(|e| e.to_value().into()).collect();
    values.push(serde_json::Value::Null);
    json_schema!({ "enum": values })
}

/// A list of [`stored_enum`] values.
fn stored_enum_list<E: ActiveEnum<Value = String> + Iterable>(
    generator: &mut SchemaGenerator,
) -> Schema {
    let items = stored_enum::<E>(generator);
    json_schema!({ "type": "array", "items": items })
}
