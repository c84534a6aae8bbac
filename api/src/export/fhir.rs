//! HL7 FHIR R4: one `Bundle` of type `collection`.
//!
//! - the foundation is an `Organization`, lmsdr a `Device`, each page a `DocumentReference`;
//! - each drug is a `MedicationKnowledge`: `code` with its ATC (`http://www.whocc.no/atc`) and
//!   RxNorm (`http://www.nlm.nih.gov/research/umls/rxnorm`) codings where the vocabulary has
//!   confirmed them, `synonym` for brand, code and other names, `status` `inactive` when the page
//!   says it was withdrawn or the site no longer lists it, `intendedRoute` and
//!   `medicineClassification` as text;
//! - each regimen is a `PlanDefinition` (type `clinical-protocol`, `status` `retired` once the
//!   site no longer lists it) with one action per drug, in the page's order; each action names its drug by the same codings and points, through
//!   `definitionCanonical`, at an `ActivityDefinition` (kind `MedicationRequest`) for that drug.
//!   Where the vocabulary holds the regimen's OMOP concept (confirmed in the IDEA4RC guide) it is
//!   the plan's `topic`, system `http://fhir.ohdsi.org/CodeSystem/concepts`. A supportive drug
//!   (mesna in AIM) is an action like the others, and its description says it is given with the
//!   regimen and not counted in its concept: AIM's concept is "Doxorubicin and Ifosfamide";
//! - every drug and regimen has a `Provenance`: the foundation as author, lmsdr as assembler,
//!   and as its source entity the page (a reference to its `DocumentReference`), the revision
//!   (an identifier whose system is the page's URL and whose value is the revision number) and
//!   the exact excerpt (the entity's display);
//! - each resource's narrative carries its name and the page's disclaimer, verbatim.
//!
//! Every `fullUrl` is a `urn:uuid:` made with UUID v5 from the record's kind and slug, so the same
//! fact has the same identity in every export.

use std::collections::{HashMap, HashSet};

use lmsdr_ingest::extract::vocabulary::VOCABULARY;
use serde_json::{Value, json};
use uuid::Uuid;

use super::records::{Component, Drug, Provenance, Record};
use super::{Encoder, ExportError};

/// The ATC code system.
pub const ATC: &str = "http://www.whocc.no/atc";
/// The RxNorm code system.
pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
/// The OMOP concepts code system, as the IDEA4RC guide names it.
pub const OMOP: &str = "http://fhir.ohdsi.org/CodeSystem/concepts";
const PARTICIPANT: &str = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";

/// The namespace of lmsdr's UUIDs (itself a v5 UUID of "lmsdr" in the URL namespace).
fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, b"urn:lmsdr")
}

/// The stable `urn:uuid:` of a record of a kind.
pub fn full_url(kind: &str, key: &str) -> String {
    let uuid = Uuid::new_v5(&namespace(), format!("{kind}:{key}").as_bytes());
    format!("urn:uuid:{uuid}")
}

/// A resource ID from a kind and slug: FHIR allows 64 characters of `[A-Za-z0-9.-]`.
fn resource_id(kind: &str, slug: &str) -> String {
    let id: String = format!("{kind}-{slug}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if id.len() <= 64 {
        return id;
    }
    // Long slugs keep a readable start and a part of their UUID, so they stay unique.
    let uuid = Uuid::new_v5(&namespace(), format!("{kind}:{slug}").as_bytes())
        .simple()
        .to_string();
    format!("{}-{}", &id[..45], &uuid[..18])
}

/// The FHIR encoder. Records must come in [`super::order_of`]`(Format::Fhir)` order: pages first,
/// so that provenance can point at them.
#[derive(Debug, Default)]
pub struct FhirEncoder {
    entries: usize,
    started: bool,
    /// Drugs whose `ActivityDefinition` is written.
    activities: HashSet<String>,
    /// Each page's disclaimer, by URL.
    disclaimers: HashMap<String, String>,
    /// Drugs' codings, by slug, for the regimens that name them.
    codings: HashMap<String, Vec<Value>>,
    /// Drugs' generic names, by slug.
    names: HashMap<String, String>,
}

impl FhirEncoder {
    fn entry(&mut self, url: &str, resource: Value, out: &mut Vec<u8>) -> Result<(), ExportError> {
        if self.entries > 0 {
            out.push(b',');
        }
        self.entries += 1;
        serde_json::to_writer(out, &json!({ "fullUrl": url, "resource": resource }))?;
        Ok(())
    }

    /// A narrative with the resource's name and its page's disclaimer.
    fn narrative(&self, name: &str, page_url: &str) -> Value {
        let escape = |text: &str| html_escape::encode_text(text).into_owned();
        let mut div = format!(
            "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>{}</p>",
            escape(name)
        );
        if let Some(disclaimer) = self.disclaimers.get(page_url) {
            div.push_str(&format!("<p>{}</p>", escape(disclaimer)));
        }
        div.push_str("</div>");
        json!({ "status": "additional", "div": div })
    }

    /// The `Provenance` of a resource read from a page.
    fn provenance(
        &mut self,
        target: &str,
        source: &Provenance,
        out: &mut Vec<u8>,
    ) -> Result<(), ExportError> {
        let resource = json!({
            "resourceType": "Provenance",
            "target": [{ "reference": target }],
            "recorded": source.revision_fetched_at.to_rfc3339(),
            "agent": [
                {
                    "type": { "coding": [{ "system": PARTICIPANT, "code": "author" }] },
                    "who": { "reference": full_url("organization", "lmsdr-foundation") }
                },
                {
                    "type": { "coding": [{ "system": PARTICIPANT, "code": "assembler" }] },
                    "who": { "reference": full_url("device", "lmsdr") }
                }
            ],
            "entity": [{
                "role": "source",
                "what": {
                    "reference": full_url("page", &source.page_url),
                    "identifier": { "system": source.page_url, "value": source.revision.to_string() },
                    "display": source.excerpt,
                }
            }],
        });
        let url = full_url("provenance", target);
        self.entry(&url, resource, out)
    }

    fn drug(&mut self, drug: &Drug, out: &mut Vec<u8>) -> Result<(), ExportError> {
        let mut coding = Vec::new();
        if let Some(atc) = &drug.atc_code {
            coding.push(json!({ "system": ATC, "code": atc, "display": drug.generic_name }));
        }
        if let Some(rxcui) = &drug.rxcui {
            coding.push(json!({ "system": RXNORM, "code": rxcui, "display": drug.generic_name }));
        }
        self.codings.insert(drug.slug.clone(), coding.clone());
        self.names
            .insert(drug.slug.clone(), drug.generic_name.clone());
        let mut code = json!({ "text": drug.generic_name });
        if !coding.is_empty() {
            code["coding"] = coding.into();
        }
        let synonyms: Vec<&String> = drug
            .brand_names
            .iter()
            .chain(&drug.code_names)
            .chain(&drug.abbreviations)
            .chain(&drug.former_names)
            .collect();
        let mut resource = json!({
            "resourceType": "MedicationKnowledge",
            "id": resource_id("drug", &drug.slug),
            "meta": { "source": drug.provenance.page_url },
            "text": self.narrative(&drug.generic_name, &drug.provenance.page_url),
            "code": code,
            "status": if drug.withdrawn.is_some() || drug.delisted_at.is_some() { "inactive" } else { "active" },
        });
        if !synonyms.is_empty() {
            resource["synonym"] = json!(synonyms);
        }
        if !drug.routes.is_empty() {
            let routes: Vec<Value> = drug
                .routes
                .iter()
                .map(|r| Ok(json!({ "text": serde_json::to_value(r)? })))
                .collect::<Result<_, serde_json::Error>>()?;
            resource["intendedRoute"] = routes.into();
        }
        if let Some(class) = &drug.drug_class {
            resource["medicineClassification"] = json!([{
                "type": { "text": "drug class" },
                "classification": [{ "text": class }],
            }]);
        }
        let url = full_url("drug", &drug.slug);
        self.entry(&url, resource, out)?;
        self.provenance(&url, &drug.provenance, out)
    }

    /// The drug's codings, or its name alone, as a `CodeableConcept`.
    fn concept(&self, component: &Component) -> Value {
        let text = self
            .names
            .get(&component.drug)
            .cloned()
            .unwrap_or_else(|| component.name_as_written.clone());
        match self.codings.get(&component.drug) {
            Some(coding) if !coding.is_empty() => json!({ "coding": coding, "text": text }),
            _ => json!({ "text": text }),
        }
    }

    fn activity(
        &mut self,
        component: &Component,
        out: &mut Vec<u8>,
    ) -> Result<String, ExportError> {
        let canonical = full_url("activity", &component.drug);
        if !self.activities.insert(component.drug.clone()) {
            return Ok(canonical);
        }
        let resource = json!({
            "resourceType": "ActivityDefinition",
            "id": resource_id("activity", &component.drug),
            "url": canonical,
            "status": "active",
            "kind": "MedicationRequest",
            "title": self.names.get(&component.drug).unwrap_or(&component.name_as_written),
            "productCodeableConcept": self.concept(component),
        });
        self.entry(&canonical, resource, out)?;
        Ok(canonical)
    }
}

impl Encoder for FhirEncoder {
    fn record(&mut self, record: &Record, out: &mut Vec<u8>) -> Result<(), ExportError> {
        match record {
            Record::Export(meta) => {
                let bundle_id = format!("lmsdr-export-{}", meta.generation);
                out.extend_from_slice(b"{\"resourceType\":\"Bundle\",\"id\":");
                serde_json::to_writer(&mut *out, &bundle_id)?;
                out.extend_from_slice(b",\"meta\":");
                let updated = meta.last_changed_at.unwrap_or(meta.exported_at);
                serde_json::to_writer(&mut *out, &json!({ "lastUpdated": updated.to_rfc3339() }))?;
                out.extend_from_slice(b",\"identifier\":");
                serde_json::to_writer(
                    &mut *out,
                    &json!({ "system": "urn:lmsdr:export", "value": meta.generation }),
                )?;
                out.extend_from_slice(b",\"type\":\"collection\",\"timestamp\":");
                serde_json::to_writer(&mut *out, &meta.exported_at.to_rfc3339())?;
                out.extend_from_slice(b",\"entry\":[");
                let mut organization = json!({
                    "resourceType": "Organization",
                    "id": "lmsdr-foundation",
                    "name": meta.publisher,
                });
                if !meta.sites.is_empty() {
                    let telecom: Vec<Value> = meta
                        .sites
                        .iter()
                        .map(|s| json!({ "system": "url", "value": s }))
                        .collect();
                    organization["telecom"] = telecom.into();
                }
                self.entry(
                    &full_url("organization", "lmsdr-foundation"),
                    organization,
                    out,
                )?;
                let device = json!({
                    "resourceType": "Device",
                    "id": "lmsdr",
                    "deviceName": [{ "name": "lmsdr", "type": "model-name" }],
                    "version": [{ "value": meta.lmsdr_version }],
                });
                self.entry(&full_url("device", "lmsdr"), device, out)?;
                self.started = true;
            }
            Record::Page(page) => {
                if let Some(disclaimer) = &page.disclaimer {
                    self.disclaimers
                        .insert(page.url.clone(), disclaimer.clone());
                }
                let mut attachment = json!({ "contentType": "text/html", "url": page.url });
                if let Some(title) = &page.title {
                    attachment["title"] = title.clone().into();
                }
                let mut resource = json!({
                    "resourceType": "DocumentReference",
                    "status": if page.gone_at.is_some() { "superseded" } else { "current" },
                    "identifier": [{ "system": "urn:ietf:rfc:3986", "value": page.url }],
                    "content": [{ "attachment": attachment }],
                });
                // The "Last Edited" stamp has no time zone and `date` is an instant, so `date`
                // is when lmsdr fetched the page and the stamp goes, as written, in the
                // description.
                resource["date"] = page.fetched_at.to_rfc3339().into();
                if let Some(text) = &page.last_edited_text {
                    resource["description"] = format!("Last Edited {text}").into();
                }
                self.entry(&full_url("page", &page.url), resource, out)?;
            }
            Record::Drug(drug) => self.drug(drug, out)?,
            Record::Regimen(regimen) => {
                let slugs: Vec<&str> = regimen.drugs.iter().map(|d| d.drug.as_str()).collect();
                let known = VOCABULARY.regimen(slugs.iter().copied());
                let mut actions = Vec::new();
                for component in &regimen.drugs {
                    let canonical = self.activity(component, out)?;
                    let mut action = json!({
                        "title": component.name_as_written,
                        "code": [self.concept(component)],
                        "definitionCanonical": canonical,
                    });
                    if known.is_some_and(|k| k.supportive.contains(&component.drug)) {
                        action["description"] = "Given with the regimen to protect from its effects; not counted in the regimen's OMOP concept".into();
                    }
                    actions.push(action);
                }
                let mut resource = json!({
                    "resourceType": "PlanDefinition",
                    "id": resource_id("regimen", &regimen.slug),
                    "meta": { "source": regimen.provenance.page_url },
                    "text": self.narrative(&regimen.name, &regimen.provenance.page_url),
                    "identifier": [{ "system": "urn:lmsdr:regimen", "value": regimen.slug }],
                    "title": regimen.name,
                    "type": { "coding": [{
                        "system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
                        "code": "clinical-protocol",
                    }] },
                    // A regimen the site no longer lists is retired, not deleted.
                    "status": if regimen.delisted_at.is_some() { "retired" } else { "active" },
                    "description": regimen.components,
                });
                if let Some(known) = known {
                    resource["topic"] = json!([{
                        "coding": [{ "system": OMOP, "code": known.omop, "display": known.display }],
                        "text": known.display,
                    }]);
                }
                if !actions.is_empty() {
                    resource["action"] = actions.into();
                }
                let url = full_url("regimen", &regimen.slug);
                self.entry(&url, resource, out)?;
                self.provenance(&url, &regimen.provenance, out)?;
            }
            _ => {}
        }
        Ok(())
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
