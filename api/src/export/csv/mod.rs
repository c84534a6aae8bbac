//! CSV: one file per entity, UTF-8 with a header row a spreadsheet user reads.
//!
//! Lists of plain values (brand names, routes, a treatment's drug slugs) are joined with `"; "`
//! ([`LIST_SEPARATOR`]); no stored name contains it. What has fields of its own (the drugs of a
//! treatment or a regimen, in order, with the names as written) gets a file of its own:
//! `treatment_drugs.csv`, `regimen_drugs.csv`. Every fact's source is in five columns: the page,
//! its revision and when it was fetched, the section and the exact excerpt. Booleans are
//! `true`/`false`, times RFC 3339.
//!
//! Cells come from scraped pages, and partners open the files in spreadsheets: a cell a
//! spreadsheet would run as a formula is written with a leading `'` ([`neutralize`]), and
//! [`cell_value`] reads it back.

mod cells;
mod encoder;
mod rows;

pub use cells::{LIST_SEPARATOR, cell_value, neutralize, split_list};
pub use encoder::CsvEncoder;

use super::records::RecordType;

/// The columns every fact ends with: when the site listed it, and where it was read.
const SOURCE: [&str; 8] = [
    "First listed at",
    "Delisted at",
    "Source page",
    "Source revision",
    "Source revision fetched at",
    "Source section",
    "Source excerpt",
    "Source memento",
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
                    "Memento URL",
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
}
