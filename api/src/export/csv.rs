//! CSV: one file per entity, UTF-8 with a header row a spreadsheet user reads.
//!
//! Lists of plain values (brand names, routes, a treatment's drug slugs) are joined with `"; "`
//! ([`LIST_SEPARATOR`]); no stored name contains it. What has fields of its own (the drugs of a
//! treatment or a regimen, in order, with the names as written) gets a file of its own:
//! `treatment_drugs.csv`, `regimen_drugs.csv`. Every fact's source is in five columns: the page,
//! its revision and when it was fetched, the section and the exact excerpt. Booleans are `true`/`false`, times RFC 3339.

use chrono::{DateTime, Utc};
use sea_orm::ActiveEnum;

use super::records::{Component, Provenance, Record, RecordType};
use super::{Encoder, ExportError};

/// How list values are joined in one cell.
pub const LIST_SEPARATOR: &str = "; ";

/// The columns every fact ends with: when the site listed it, and where it was read.
const SOURCE: [&str; 7] = [
    "First listed at",
    "Delisted at",
    "Source page",
    "Source revision",
    "Source revision fetched at",
    "Source section",
    "Source excerpt",
];

/// One CSV file of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvFile {
    /// `export.csv`: the export's metadata, one field a row (publisher, sources, disclaimers,
    /// last successful sync, generation, version, export time).
    Export,
    /// `pages.csv`.
    Pages,
    /// `categories.csv`.
    Categories,
    /// `treatments.csv`.
    Treatments,
    /// `treatment_drugs.csv`: each treatment's drugs in order.
    TreatmentDrugs,
    /// `drugs.csv`.
    Drugs,
    /// `regimens.csv`.
    Regimens,
    /// `regimen_drugs.csv`: each regimen's drugs in order.
    RegimenDrugs,
    /// `warnings.csv`.
    Warnings,
    /// `trial_references.csv`.
    TrialReferences,
    /// `mentions.csv`.
    Mentions,
    /// `revisions.csv`.
    Revisions,
}

impl CsvFile {
    /// Every file, in export order.
    pub const ALL: [CsvFile; 12] = [
        CsvFile::Export,
        CsvFile::Pages,
        CsvFile::Categories,
        CsvFile::Treatments,
        CsvFile::TreatmentDrugs,
        CsvFile::Drugs,
        CsvFile::Regimens,
        CsvFile::RegimenDrugs,
        CsvFile::Warnings,
        CsvFile::TrialReferences,
        CsvFile::Mentions,
        CsvFile::Revisions,
    ];

    /// Its file name (the HTTP path is `/export/csv/{name}`).
    pub fn file_name(self) -> &'static str {
        match self {
            CsvFile::Export => "export.csv",
            CsvFile::Pages => "pages.csv",
            CsvFile::Categories => "categories.csv",
            CsvFile::Treatments => "treatments.csv",
            CsvFile::TreatmentDrugs => "treatment_drugs.csv",
            CsvFile::Drugs => "drugs.csv",
            CsvFile::Regimens => "regimens.csv",
            CsvFile::RegimenDrugs => "regimen_drugs.csv",
            CsvFile::Warnings => "warnings.csv",
            CsvFile::TrialReferences => "trial_references.csv",
            CsvFile::Mentions => "mentions.csv",
            CsvFile::Revisions => "revisions.csv",
        }
    }

    /// The file a name stands for.
    pub fn from_file_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.file_name() == name)
    }

    /// The record type its rows come from.
    pub fn record_type(self) -> RecordType {
        match self {
            CsvFile::Export => RecordType::Export,
            CsvFile::Pages => RecordType::Page,
            CsvFile::Categories => RecordType::Category,
            CsvFile::Treatments | CsvFile::TreatmentDrugs => RecordType::Treatment,
            CsvFile::Drugs => RecordType::Drug,
            CsvFile::Regimens | CsvFile::RegimenDrugs => RecordType::Regimen,
            CsvFile::Warnings => RecordType::Warning,
            CsvFile::TrialReferences => RecordType::TrialReference,
            CsvFile::Mentions => RecordType::Mention,
            CsvFile::Revisions => RecordType::Revision,
        }
    }

    /// Its header row.
    pub fn headers(self) -> Vec<&'static str> {
        let (own, sourced): (&[&str], bool) = match self {
            CsvFile::Export => (&["Field", "Value"], false),
            CsvFile::Pages => (
                &[
                    "ID",
                    "URL",
                    "Title",
                    "Kind",
                    "Status",
                    "Last edited (as written)",
                    "Last edited",
                    "Fetched at",
                    "First seen at",
                    "Gone at",
                    "Revision",
                    "Content hash",
                    "Excerpt",
                    "Disclaimer",
                    "Text",
                ],
                false,
            ),
            CsvFile::Categories => (&["ID", "Slug", "Name", "Description", "Position"], true),
            CsvFile::Treatments => (
                &[
                    "ID",
                    "Slug",
                    "Name",
                    "Category",
                    "Status",
                    "First line",
                    "Position",
                    "Regimen",
                    "Drugs",
                    "Approved by",
                    "Approved on",
                    "Trial phase",
                ],
                true,
            ),
            CsvFile::TreatmentDrugs => (
                &["Treatment", "Position", "Drug", "Name as written", "Route"],
                false,
            ),
            CsvFile::Drugs => (
                &[
                    "ID",
                    "Slug",
                    "Generic name",
                    "Brand names",
                    "Code names",
                    "Abbreviations",
                    "Former names",
                    "Drug class",
                    "Routes",
                    "ATC code",
                    "Previous ATC code",
                    "RxCUI",
                    "Verified",
                    "In trial",
                    "Withdrawn",
                ],
                true,
            ),
            CsvFile::Regimens => (
                &["ID", "Slug", "Name", "Components", "First line", "Drugs"],
                true,
            ),
            CsvFile::RegimenDrugs => (&["Regimen", "Position", "Drug", "Name as written"], false),
            CsvFile::Warnings => (
                &[
                    "ID",
                    "Slug",
                    "Kind",
                    "Text",
                    "Population",
                    "Drug",
                    "Category",
                ],
                true,
            ),
            CsvFile::TrialReferences => (
                &["ID", "Slug", "Label", "Code", "URL", "Drug", "Treatment"],
                true,
            ),
            CsvFile::Mentions => (&["ID", "Drug", "Page", "Name as written", "Sentence"], true),
            CsvFile::Revisions => (
                &[
                    "ID",
                    "Page",
                    "Number",
                    "Content hash",
                    "Fetched at",
                    "Last edited (as written)",
                    "Last edited",
                    "Origin",
                    "Quarantined",
                    "Quarantine reason",
                    "Review",
                    "Diff",
                ],
                false,
            ),
        };
        let mut headers = own.to_vec();
        if sourced {
            headers.extend(SOURCE);
        }
        headers
    }

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
            ]],
            _ => Vec::new(),
        }
    }
}

/// Splits a list cell back into its values.
pub fn split_list(cell: &str) -> Vec<String> {
    if cell.is_empty() {
        return Vec::new();
    }
    cell.split(LIST_SEPARATOR).map(str::to_owned).collect()
}

fn join(values: impl Iterator<Item = String>) -> String {
    values.collect::<Vec<_>>().join(LIST_SEPARATOR)
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

/// Writes one CSV file from an export's records.
#[derive(Debug)]
pub struct CsvEncoder {
    file: CsvFile,
    headed: bool,
}

impl CsvEncoder {
    /// An encoder of one file.
    pub fn new(file: CsvFile) -> Self {
        Self {
            file,
            headed: false,
        }
    }

    /// Appends rows, after the header row if it is not written yet.
    fn write<R: AsRef<[u8]>>(
        &mut self,
        rows: &[Vec<R>],
        out: &mut Vec<u8>,
    ) -> Result<(), ExportError> {
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(out);
        if !self.headed {
            self.headed = true;
            writer
                .write_record(self.file.headers())
                .map_err(csv_error)?;
        }
        for row in rows {
            writer.write_record(row).map_err(csv_error)?;
        }
        writer
            .flush()
            .map_err(|e| ExportError::Encode(e.to_string()))
    }
}

fn csv_error(err: csv::Error) -> ExportError {
    ExportError::Encode(err.to_string())
}

impl Encoder for CsvEncoder {
    fn record(&mut self, record: &Record, out: &mut Vec<u8>) -> Result<(), ExportError> {
        self.write(&self.file.rows(record), out)
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), ExportError> {
        self.write::<String>(&[], out)
    }
}
