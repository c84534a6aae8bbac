//! JSON-LD with schema.org terms: one document, `{"@context": …, "@graph": [nodes]}`.
//!
//! The context is inline, so a processor expands the export without fetching anything. Terms
//! schema.org has are used as schema.org defines them; what it lacks (a fact's source excerpt,
//! a treatment's status) is in the `lmsdr:` namespace (`urn:lmsdr:vocab:`). Nodes are named by
//! slug (`urn:lmsdr:drug:doxorubicin`), pages by their URL.
//!
//! - a page is a `MedicalWebPage`: `dateModified` is its "Last Edited" stamp, and so is
//!   `lastReviewed` (the stamp is the foundation's own statement of when it last worked on
//!   the page); `about` names the therapy categories read from it, `mentions` the drugs it names;
//! - a drug is a `Drug`: `nonProprietaryName`, `proprietaryName` (brand names), `alternateName`
//!   (code names, abbreviations, former names), `activeIngredient`, `administrationRoute`,
//!   `rxcui`, `drugClass` (a `DrugClass`), `code` (the ATC code as a `MedicalCode`, `codingSystem`
//!   "ATC"), `warning` (the page's warnings about it);
//! - categories, treatments and regimens are `MedicalTherapy` nodes, with their `drug`s; a
//!   category carries its warnings that are contraindications as `contraindication`;
//! - a warning is a `MedicalContraindication` when it is one, else a `MedicalEntity` with
//!   `lmsdr:kind` "caution"; a trial reference is a `MedicalTrial`.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::WarningKind;
use serde_json::{Value, json};

use super::records::{Provenance, Record};
use super::{Encoder, ExportError};

/// The inline context: schema.org as the vocabulary, `lmsdr:` for what schema.org lacks.
pub fn context() -> Value {
    let id = json!({ "@type": "@id" });
    json!({
        "@vocab": "https://schema.org/",
        "schema": "https://schema.org/",
        "lmsdr": "urn:lmsdr:vocab:",
        "url": id,
        "about": id,
        "mentions": id,
        "subjectOf": id,
        "isBasedOn": id,
        "drug": id,
        "studySubject": id,
        "contraindication": id,
        "lmsdr:category": id,
        "lmsdr:drug": id,
        "lmsdr:regimen": id,
        "lmsdr:treatment": id,
        "dateModified": { "@type": "https://schema.org/DateTime" },
        "lastReviewed": { "@type": "https://schema.org/Date" },
    })
}

/// A node's IRI from its kind and slug.
fn iri(kind: &str, slug: &str) -> String {
    format!("urn:lmsdr:{kind}:{slug}")
}

/// The JSON-LD encoder. Records must come in [`super::order_of`]`(Format::Jsonld)` order:
/// warnings before what they attach to, pages last.
#[derive(Debug, Default)]
pub struct JsonLdEncoder {
    started: bool,
    nodes: usize,
    /// Warning texts by drug slug.
    drug_warnings: HashMap<String, Vec<String>>,
    /// Contraindication IRIs by category slug.
    contraindications: HashMap<String, Vec<String>>,
    /// What each page is about (categories read from it), by URL.
    about: HashMap<String, BTreeSet<String>>,
    /// The drugs each page names, by URL.
    mentions: HashMap<String, BTreeSet<String>>,
}

impl JsonLdEncoder {
    fn node(&mut self, node: Value, out: &mut Vec<u8>) -> Result<(), ExportError> {
        if self.nodes > 0 {
            out.push(b',');
        }
        self.nodes += 1;
        serde_json::to_writer(out, &node)?;
        Ok(())
    }
}

/// Adds where a fact was read: the page (`subjectOf`), the revision and the excerpt.
/// When a fact was listed, when it left the site (if it did), and where it was read.
type Listed<'a> = (DateTime<Utc>, Option<DateTime<Utc>>, &'a Provenance);

fn sourced(mut node: Value, fact: Listed<'_>) -> Value {
    let (first_listed_at, delisted_at, source) = fact;
    if let Some(object) = node.as_object_mut() {
        object.insert(
            "lmsdr:firstListedAt".into(),
            first_listed_at.to_rfc3339().into(),
        );
        if let Some(delisted_at) = delisted_at {
            object.insert("lmsdr:delistedAt".into(), delisted_at.to_rfc3339().into());
        }
        object.insert("subjectOf".into(), source.page_url.clone().into());
        object.insert("lmsdr:sourceRevision".into(), source.revision.into());
        let fetched = source.revision_fetched_at.to_rfc3339();
        object.insert("lmsdr:sourceRevisionFetchedAt".into(), fetched.into());
        object.insert("lmsdr:sourceExcerpt".into(), source.excerpt.clone().into());
        if let Some(section) = &source.section {
            object.insert("lmsdr:sourceSection".into(), section.clone().into());
        }
        if let Some(memento) = &source.memento_url {
            object.insert("lmsdr:sourceMemento".into(), memento.clone().into());
        }
    }
    node
}

/// Drops the entries that are null or empty lists: JSON-LD gives them no meaning.
fn compact(mut node: Value) -> Value {
    if let Some(object) = node.as_object_mut() {
        object.retain(|_, v| !(v.is_null() || v.as_array().is_some_and(Vec::is_empty)));
    }
    node
}

impl Encoder for JsonLdEncoder {
    fn record(&mut self, record: &Record, out: &mut Vec<u8>) -> Result<(), ExportError> {
        if !self.started {
            self.started = true;
            out.extend_from_slice(b"{\"@context\":");
            serde_json::to_writer(&mut *out, &context())?;
            out.extend_from_slice(b",\"@graph\":[");
        }
        let node = match record {
            Record::Export(meta) => {
                let mut node = json!({
                    "@id": "urn:lmsdr:export",
                    "@type": "Dataset",
                    "name": "LMSdr content export",
                    "publisher": { "@type": "Organization", "name": meta.publisher, "url": meta.sites },
                    "isBasedOn": meta.sources,
                    "dateModified": meta.last_changed_at.map(|t| t.to_rfc3339()),
                    "version": meta.generation,
                    "lmsdr:disclaimer": meta.disclaimers.iter().map(|d| d.text.clone()).collect::<Vec<_>>(),
                    "lmsdr:lastSuccessfulSync": meta.last_successful_sync.map(|t| t.to_rfc3339()),
                    "lmsdr:lmsdrVersion": meta.lmsdr_version,
                    "lmsdr:exportedAt": meta.exported_at.to_rfc3339(),
                });
                if let Some(publisher) = node.get_mut("publisher") {
                    *publisher = compact(publisher.take());
                }
                node
            }
            Record::Warning(w) => {
                let id = iri("warning", &w.slug);
                if let Some(drug) = &w.drug {
                    self.drug_warnings
                        .entry(drug.clone())
                        .or_default()
                        .push(w.text.clone());
                }
                let contraindication = w.kind == WarningKind::Contraindication;
                if let (true, Some(category)) = (contraindication, &w.category) {
                    self.contraindications
                        .entry(category.clone())
                        .or_default()
                        .push(id.clone());
                }
                let kind = if contraindication {
                    "MedicalContraindication"
                } else {
                    "MedicalEntity"
                };
                sourced(
                    json!({
                        "@id": id,
                        "@type": kind,
                        "identifier": w.id,
                        "name": w.text,
                        "lmsdr:kind": if contraindication { "contraindication" } else { "caution" },
                        "lmsdr:population": w.population,
                        "lmsdr:drug": w.drug.as_deref().map(|d| iri("drug", d)),
                    }),
                    (w.first_listed_at, w.delisted_at, &w.provenance),
                )
            }
            Record::Category(c) => {
                self.about
                    .entry(c.provenance.page_url.clone())
                    .or_default()
                    .insert(iri("category", &c.slug));
                sourced(
                    json!({
                        "@id": iri("category", &c.slug),
                        "@type": "MedicalTherapy",
                        "identifier": c.id,
                        "name": c.name,
                        "description": c.description,
                        "contraindication": self.contraindications.remove(&c.slug).unwrap_or_default(),
                        "position": c.position,
                    }),
                    (c.first_listed_at, c.delisted_at, &c.provenance),
                )
            }
            Record::Treatment(t) => sourced(
                json!({
                    "@id": iri("treatment", &t.slug),
                    "@type": "MedicalTherapy",
                    "identifier": t.id,
                    "name": t.name,
                    "drug": t.drugs.iter().map(|d| iri("drug", &d.drug)).collect::<Vec<_>>(),
                    "lmsdr:category": iri("category", &t.category),
                    "lmsdr:regimen": t.regimen.as_deref().map(|r| iri("regimen", r)),
                    "lmsdr:status": serde_json::to_value(t.status)?,
                    "lmsdr:firstLine": t.first_line,
                    "position": t.position,
                }),
                (t.first_listed_at, t.delisted_at, &t.provenance),
            ),
            Record::Regimen(r) => sourced(
                json!({
                    "@id": iri("regimen", &r.slug),
                    "@type": "MedicalTherapy",
                    "identifier": r.id,
                    "name": r.name,
                    "drug": r.drugs.iter().map(|d| iri("drug", &d.drug)).collect::<Vec<_>>(),
                    "lmsdr:components": r.components,
                    "lmsdr:firstLine": r.first_line,
                }),
                (r.first_listed_at, r.delisted_at, &r.provenance),
            ),
            Record::Drug(d) => {
                let alternate: Vec<&String> = d
                    .code_names
                    .iter()
                    .chain(&d.abbreviations)
                    .chain(&d.former_names)
                    .collect();
                sourced(
                    json!({
                        "@id": iri("drug", &d.slug),
                        "@type": "Drug",
                        "identifier": d.id,
                        "name": d.generic_name,
                        "nonProprietaryName": d.generic_name,
                        "proprietaryName": d.brand_names,
                        "alternateName": alternate,
                        "activeIngredient": d.generic_name,
                        "administrationRoute": serde_json::to_value(&d.routes)?,
                        "rxcui": d.rxcui,
                        "drugClass": d.drug_class.as_ref().map(|c| json!({ "@type": "DrugClass", "name": c })),
                        "code": d.atc_code.as_ref().map(|code| json!({
                            "@type": "MedicalCode", "codeValue": code, "codingSystem": "ATC"
                        })),
                        "warning": self.drug_warnings.remove(&d.slug).unwrap_or_default(),
                        "lmsdr:inTrial": d.in_trial,
                        "lmsdr:verified": d.verified,
                        "lmsdr:withdrawn": d.withdrawn,
                        "lmsdr:previousAtcCode": d.atc_code_previous,
                    }),
                    (d.first_listed_at, d.delisted_at, &d.provenance),
                )
            }
            Record::TrialReference(t) => sourced(
                json!({
                    "@id": iri("trial", &t.slug),
                    "@type": "MedicalTrial",
                    "identifier": t.code.clone().unwrap_or_else(|| t.id.clone()),
                    "name": t.label,
                    "url": t.url,
                    "studySubject": t.drug.as_deref().map(|d| iri("drug", d)),
                    "lmsdr:treatment": t.treatment.as_deref().map(|s| iri("treatment", s)),
                }),
                (t.first_listed_at, t.delisted_at, &t.provenance),
            ),
            Record::Mention(m) => {
                self.mentions
                    .entry(m.page_url.clone())
                    .or_default()
                    .insert(iri("drug", &m.drug));
                return Ok(());
            }
            Record::Page(p) => {
                let about: Vec<String> = self
                    .about
                    .remove(&p.url)
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                let mentions: Vec<String> = self
                    .mentions
                    .remove(&p.url)
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                json!({
                    "@id": p.url,
                    "@type": "MedicalWebPage",
                    "identifier": p.id,
                    "url": p.url,
                    "name": p.title,
                    "dateModified": p.last_edited_at.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()),
                    "lastReviewed": p.last_edited_at.map(|t| t.format("%Y-%m-%d").to_string()),
                    "about": about,
                    "mentions": mentions,
                    "description": p.excerpt,
                    "text": p.text,
                    "lmsdr:kind": serde_json::to_value(p.kind)?,
                    "lmsdr:lastEditedText": p.last_edited_text,
                    "lmsdr:disclaimer": p.disclaimer,
                    "lmsdr:revision": p.revision,
                    "lmsdr:fetchedAt": p.fetched_at.to_rfc3339(),
                })
            }
            Record::Revision(_) => return Ok(()),
        };
        self.node(compact(node), out)
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), ExportError> {
        if !self.started {
            return Err(ExportError::Inconsistent(
                "an export must start with its metadata",
            ));
        }
        out.extend_from_slice(b"]}");
        Ok(())
    }
}
