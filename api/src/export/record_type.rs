//! The kinds of record: their names, their order in an export, and their JSON Schemas.

use super::records::{
    Category, Drug, ExportMeta, Mention, Page, Record, Regimen, Revision, Treatment,
    TrialReference, Warning,
};

/// The kinds of record, in the order an export writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordType {
    /// [`ExportMeta`].
    Export,
    /// [`Page`].
    Page,
    /// [`Category`].
    Category,
    /// [`Treatment`].
    Treatment,
    /// [`Drug`].
    Drug,
    /// [`Regimen`].
    Regimen,
    /// [`Warning`].
    Warning,
    /// [`TrialReference`].
    TrialReference,
    /// [`Mention`].
    Mention,
    /// [`Revision`].
    Revision,
}

impl RecordType {
    /// Every type, in export order.
    pub const ALL: [RecordType; 10] = [
        RecordType::Export,
        RecordType::Page,
        RecordType::Category,
        RecordType::Treatment,
        RecordType::Drug,
        RecordType::Regimen,
        RecordType::Warning,
        RecordType::TrialReference,
        RecordType::Mention,
        RecordType::Revision,
    ];

    /// Its `type` value in NDJSON and its schema's file name.
    pub fn name(self) -> &'static str {
        match self {
            RecordType::Export => "export",
            RecordType::Page => "page",
            RecordType::Category => "category",
            RecordType::Treatment => "treatment",
            RecordType::Drug => "drug",
            RecordType::Regimen => "regimen",
            RecordType::Warning => "warning",
            RecordType::TrialReference => "trialReference",
            RecordType::Mention => "mention",
            RecordType::Revision => "revision",
        }
    }

    /// Its key in the JSON document: the plural (`pages`, `trialReferences`), `export` for the
    /// metadata.
    pub fn plural(self) -> &'static str {
        match self {
            RecordType::Export => "export",
            RecordType::Page => "pages",
            RecordType::Category => "categories",
            RecordType::Treatment => "treatments",
            RecordType::Drug => "drugs",
            RecordType::Regimen => "regimens",
            RecordType::Warning => "warnings",
            RecordType::TrialReference => "trialReferences",
            RecordType::Mention => "mentions",
            RecordType::Revision => "revisions",
        }
    }

    /// The type a name (as in [`RecordType::name`]) stands for.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The JSON Schema of a record of this type: an NDJSON line (with its `type`) or an element
    /// of the JSON document's arrays (without).
    pub fn schema(self) -> serde_json::Value {
        let mut schema = match self {
            RecordType::Export => schemars::schema_for!(ExportMeta),
            RecordType::Page => schemars::schema_for!(Page),
            RecordType::Category => schemars::schema_for!(Category),
            RecordType::Treatment => schemars::schema_for!(Treatment),
            RecordType::Drug => schemars::schema_for!(Drug),
            RecordType::Regimen => schemars::schema_for!(Regimen),
            RecordType::Warning => schemars::schema_for!(Warning),
            RecordType::TrialReference => schemars::schema_for!(TrialReference),
            RecordType::Mention => schemars::schema_for!(Mention),
            RecordType::Revision => schemars::schema_for!(Revision),
        }
        .to_value();
        if let Some(object) = schema.as_object_mut() {
            let id = format!("urn:lmsdr:export:{}", self.name());
            object.insert("$id".to_owned(), id.into());
            if let Some(properties) = object
                .get_mut("properties")
                .and_then(serde_json::Value::as_object_mut)
            {
                properties.insert(
                    "type".to_owned(),
                    serde_json::json!({ "description": "The record's type.", "const": self.name() }),
                );
            }
        }
        schema
    }
}

impl Record {
    /// Its type.
    pub fn record_type(&self) -> RecordType {
        match self {
            Record::Export(_) => RecordType::Export,
            Record::Page(_) => RecordType::Page,
            Record::Category(_) => RecordType::Category,
            Record::Treatment(_) => RecordType::Treatment,
            Record::Drug(_) => RecordType::Drug,
            Record::Regimen(_) => RecordType::Regimen,
            Record::Warning(_) => RecordType::Warning,
            Record::TrialReference(_) => RecordType::TrialReference,
            Record::Mention(_) => RecordType::Mention,
            Record::Revision(_) => RecordType::Revision,
        }
    }

    /// Writes the record without its `type` tag, as the JSON document holds it.
    pub fn write_body(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        match self {
            Record::Export(r) => serde_json::to_writer(out, r),
            Record::Page(r) => serde_json::to_writer(out, r),
            Record::Category(r) => serde_json::to_writer(out, r),
            Record::Treatment(r) => serde_json::to_writer(out, r),
            Record::Drug(r) => serde_json::to_writer(out, r),
            Record::Regimen(r) => serde_json::to_writer(out, r),
            Record::Warning(r) => serde_json::to_writer(out, r),
            Record::TrialReference(r) => serde_json::to_writer(out, r),
            Record::Mention(r) => serde_json::to_writer(out, r),
            Record::Revision(r) => serde_json::to_writer(out, r),
        }
    }
}
