//! The rows each record contributes to each file: values, which the encoder writes
//! [`neutralize`](super::neutralize)d.

use chrono::{DateTime, Utc};
use sea_orm::ActiveEnum;

use super::CsvFile;
use super::cells::join;
use crate::export::records::{Component, Provenance, Record};

impl CsvFile {
    /// The rows a record contributes to this file (none when it is of another type).
    pub fn rows(self, record: &Record) -> Vec<Vec<String>> {
        match (self, record) {
            (CsvFile::Export, Record::Export(m)) => {
                let at = |t: Option<DateTime<Utc>>| opt(&t.map(|t| t.to_rfc3339()));
                let mut rows = vec![
                    vec!["Publisher".to_owned(), m.publisher.clone()],
                    vec!["Sites".to_owned(), join(m.sites.iter().cloned())],
                    vec!["Sources".to_owned(), join(m.sources.iter().cloned())],
                ];
                rows.extend(
                    m.disclaimers
                        .iter()
                        .map(|d| vec!["Disclaimer".to_owned(), d.text.clone()]),
                );
                rows.extend([
                    vec![
                        "Last successful sync".to_owned(),
                        at(m.last_successful_sync),
                    ],
                    vec!["Last changed at".to_owned(), at(m.last_changed_at)],
                    vec!["Content generation".to_owned(), m.generation.clone()],
                    vec!["lmsdr version".to_owned(), m.lmsdr_version.clone()],
                    vec!["Exported at".to_owned(), m.exported_at.to_rfc3339()],
                ]);
                rows
            }
            (CsvFile::Pages, Record::Page(p)) => vec![vec![
                p.id.clone(),
                p.url.clone(),
                opt(&p.title),
                value(&p.kind),
                value(&p.status),
                opt(&p.last_edited_text),
                opt(&p.last_edited_at.map(|t| t.to_string())),
                p.fetched_at.to_rfc3339(),
                p.first_seen_at.to_rfc3339(),
                opt(&p.gone_at.map(|t| t.to_rfc3339())),
                opt(&p.revision),
                p.content_hash.clone(),
                opt(&p.excerpt),
                opt(&p.disclaimer),
                opt(&p.text),
            ]],
            (CsvFile::Categories, Record::Category(c)) => vec![sourced(
                vec![
                    c.id.clone(),
                    c.slug.clone(),
                    c.name.clone(),
                    c.description.clone(),
                    c.position.to_string(),
                ],
                (c.first_listed_at, c.delisted_at, &c.provenance),
            )],
            (CsvFile::Treatments, Record::Treatment(t)) => vec![sourced(
                vec![
                    t.id.clone(),
                    t.slug.clone(),
                    t.name.clone(),
                    t.category.clone(),
                    value(&t.status),
                    t.first_line.to_string(),
                    t.position.to_string(),
                    opt(&t.regimen),
                    join(t.drugs.iter().map(|d| d.drug.clone())),
                    t.approval
                        .as_ref()
                        .and_then(|a| a.by.clone())
                        .unwrap_or_default(),
                    t.approval
                        .as_ref()
                        .and_then(|a| a.on.clone())
                        .unwrap_or_default(),
                    opt(&t.trial_phase),
                ],
                (t.first_listed_at, t.delisted_at, &t.provenance),
            )],
            (CsvFile::TreatmentDrugs, Record::Treatment(t)) => components(&t.slug, &t.drugs, true),
            (CsvFile::Drugs, Record::Drug(d)) => vec![sourced(
                vec![
                    d.id.clone(),
                    d.slug.clone(),
                    d.generic_name.clone(),
                    join(d.brand_names.iter().cloned()),
                    join(d.code_names.iter().cloned()),
                    join(d.abbreviations.iter().cloned()),
                    join(d.former_names.iter().cloned()),
                    opt(&d.drug_class),
                    join(d.routes.iter().map(value)),
                    opt(&d.atc_code),
                    opt(&d.atc_code_previous),
                    opt(&d.rxcui),
                    d.verified.to_string(),
                    d.in_trial.to_string(),
                    opt(&d.withdrawn),
                ],
                (d.first_listed_at, d.delisted_at, &d.provenance),
            )],
            (CsvFile::Regimens, Record::Regimen(r)) => vec![sourced(
                vec![
                    r.id.clone(),
                    r.slug.clone(),
                    r.name.clone(),
                    r.components.clone(),
                    r.first_line.to_string(),
                    join(r.drugs.iter().map(|d| d.drug.clone())),
                ],
                (r.first_listed_at, r.delisted_at, &r.provenance),
            )],
            (CsvFile::RegimenDrugs, Record::Regimen(r)) => components(&r.slug, &r.drugs, false),
            (CsvFile::Warnings, Record::Warning(w)) => vec![sourced(
                vec![
                    w.id.clone(),
                    w.slug.clone(),
                    value(&w.kind),
                    w.text.clone(),
                    opt(&w.population),
                    opt(&w.drug),
                    opt(&w.category),
                ],
                (w.first_listed_at, w.delisted_at, &w.provenance),
            )],
            (CsvFile::TrialReferences, Record::TrialReference(t)) => vec![sourced(
                vec![
                    t.id.clone(),
                    t.slug.clone(),
                    t.label.clone(),
                    opt(&t.code),
                    opt(&t.url),
                    opt(&t.drug),
                    opt(&t.treatment),
                ],
                (t.first_listed_at, t.delisted_at, &t.provenance),
            )],
            (CsvFile::Mentions, Record::Mention(m)) => vec![sourced(
                vec![
                    m.id.clone(),
                    m.drug.clone(),
                    m.page_url.clone(),
                    m.name_as_written.clone(),
                    m.sentence.clone(),
                ],
                (m.first_listed_at, m.delisted_at, &m.provenance),
            )],
            (CsvFile::Revisions, Record::Revision(r)) => vec![vec![
                r.id.clone(),
                r.page_url.clone(),
                r.number.to_string(),
                r.content_hash.clone(),
                r.fetched_at.to_rfc3339(),
                opt(&r.last_edited_text),
                opt(&r.last_edited_at.map(|t| t.to_string())),
                value(&r.origin),
                r.quarantined.to_string(),
                opt(&r.quarantine_reason),
                opt(&r.review.map(|r| value(&r))),
                opt(&r.diff),
                opt(&r.memento_url),
            ]],
            _ => Vec::new(),
        }
    }
}

fn opt(value: &Option<impl ToString>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// A stored enum's value, as the database and the JSON formats hold it (`in_trial` …).
fn value(value: &impl ActiveEnum<Value = String>) -> String {
    value.to_value()
}

/// When a fact was listed, when it left (if it did), and where it was read.
type Listed<'a> = (DateTime<Utc>, Option<DateTime<Utc>>, &'a Provenance);

fn sourced(mut row: Vec<String>, fact: Listed<'_>) -> Vec<String> {
    let (first_listed_at, delisted_at, source) = fact;
    row.extend([
        first_listed_at.to_rfc3339(),
        opt(&delisted_at.map(|t| t.to_rfc3339())),
        source.page_url.clone(),
        source.revision.to_string(),
        source.revision_fetched_at.to_rfc3339(),
        opt(&source.section),
        source.excerpt.clone(),
        opt(&source.memento_url),
    ]);
    row
}

fn components(owner: &str, drugs: &[Component], with_route: bool) -> Vec<Vec<String>> {
    drugs
        .iter()
        .enumerate()
        .map(|(position, drug)| {
            let mut row = vec![
                owner.to_owned(),
                position.to_string(),
                drug.drug.clone(),
                drug.name_as_written.clone(),
            ];
            if with_route {
                row.push(opt(&drug.route.map(|r| value(&r))));
            }
            row
        })
        .collect()
}
