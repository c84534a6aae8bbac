//! The curated vocabulary shipped in `ingest/data/vocabulary.toml`: categories and drugs, and
//! the public sources their codes were confirmed in ([`check`] validates a file).

pub mod check;

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use lmsdr_entity::sea_orm_active_enums::DrugNameKind;
use serde::Deserialize;

use super::text::{normalize_name, stands_alone};

/// The bundled vocabulary file.
pub const SOURCE: &str = include_str!("../../../data/vocabulary.toml");

/// The vocabulary, parsed once.
pub static VOCABULARY: LazyLock<Vocabulary> =
    LazyLock::new(|| Vocabulary::parse(SOURCE).expect("the bundled vocabulary is valid TOML"));

/// A known treatment category.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownCategory {
    /// Stable identifier.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Words that identify it in a lead-in's subject.
    pub terms: Vec<String>,
}

/// A known drug.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownDrug {
    /// Stable identifier.
    pub slug: String,
    /// International non-proprietary name.
    pub generic: String,
    /// Other generic names (a US adopted name beside the INN).
    #[serde(default)]
    pub synonyms: Vec<String>,
    /// Brand names.
    #[serde(default)]
    pub brands: Vec<String>,
    /// Development code names.
    #[serde(default)]
    pub codes: Vec<String>,
    /// Abbreviations.
    #[serde(default)]
    pub abbreviations: Vec<String>,
    /// Abbreviations that name it only inside a regimen's name ("Tax" in "Gem/Tax"): stored
    /// among its names, never matched in running text.
    #[serde(default)]
    pub regimen_abbreviations: Vec<String>,
    /// Names it went by before ("deforolimus" for ridaforolimus).
    #[serde(default)]
    pub former_names: Vec<String>,
    /// Pharmacological class.
    pub class: Option<String>,
    /// WHO ATC code.
    pub atc: Option<String>,
    /// ATC code before reclassification.
    pub atc_previous: Option<String>,
    /// RxNorm concept ID.
    pub rxcui: Option<String>,
    /// Why and when it left the market, if it did.
    pub withdrawn: Option<String>,
    /// Where each code was confirmed: source IDs by code field (`atc`, `atc_previous`, `rxcui`).
    #[serde(default)]
    pub sources: BTreeMap<String, Vec<String>>,
}

/// A chemotherapy regimen with a standard code: the drugs that make it, and the supportive drugs
/// given with it that a page may list beside them (mesna with ifosfamide).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownRegimen {
    /// The slugs of the drugs that make the regimen.
    pub drugs: Vec<String>,
    /// The slugs of drugs given with it to protect from its effects, not counted in its code.
    #[serde(default)]
    pub supportive: Vec<String>,
    /// The OMOP concept ID (the OHDSI vocabulary's HemOnc-derived regimen concepts).
    pub omop: String,
    /// The concept's name.
    pub display: String,
    /// Where the code was confirmed: source IDs.
    pub sources: Vec<String>,
}

impl KnownRegimen {
    /// Whether a regimen of these drugs is this one: its drugs, and no others but its supportive
    /// ones.
    pub fn matches<'a>(&self, drugs: impl IntoIterator<Item = &'a str>) -> bool {
        let mut core = std::collections::BTreeSet::new();
        for drug in drugs {
            if self.drugs.iter().any(|d| d == drug) {
                core.insert(drug);
            } else if !self.supportive.iter().any(|d| d == drug) {
                return false;
            }
        }
        core.len() == self.drugs.len()
    }
}

/// A public source the vocabulary's codes were confirmed in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// How drugs refer to it.
    pub id: String,
    /// What it is.
    pub name: String,
    /// Where to read it.
    pub url: String,
    /// `authority` (the code system's own publisher), `hl7` (an HL7 implementation guide),
    /// `curated` (a maintained database keyed on the code) or `reference` (anything else).
    pub kind: SourceKind,
}

/// How much a source's word counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// The code system's publisher.
    Authority,
    /// An HL7 implementation guide.
    Hl7,
    /// A maintained database keyed on the code.
    Curated,
    /// Anything else; two are needed.
    Reference,
}

impl KnownDrug {
    /// Every name with its kind, generic first.
    pub fn names(&self) -> Vec<(String, DrugNameKind)> {
        let mut names = vec![(self.generic.clone(), DrugNameKind::Generic)];
        names.extend(
            self.synonyms
                .iter()
                .map(|n| (n.clone(), DrugNameKind::Generic)),
        );
        names.extend(self.brands.iter().map(|n| (n.clone(), DrugNameKind::Brand)));
        names.extend(
            self.codes
                .iter()
                .map(|n| (n.clone(), DrugNameKind::CodeName)),
        );
        names.extend(
            self.abbreviations
                .iter()
                .chain(&self.regimen_abbreviations)
                .map(|n| (n.clone(), DrugNameKind::Abbreviation)),
        );
        names.extend(
            self.former_names
                .iter()
                .map(|n| (n.clone(), DrugNameKind::FormerName)),
        );
        names
    }

    /// Whether a name may be matched in running text (not a regimen-only abbreviation).
    fn matched_in_text(&self, name: &str) -> bool {
        !self.regimen_abbreviations.iter().any(|a| a == name)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct File {
    #[serde(default)]
    pub(crate) source: Vec<Source>,
    pub(crate) category: Vec<KnownCategory>,
    pub(crate) drug: Vec<KnownDrug>,
    #[serde(default)]
    pub(crate) regimen: Vec<KnownRegimen>,
}

/// The parsed vocabulary with its lookup structures.
#[derive(Debug)]
pub struct Vocabulary {
    /// Categories, in file order.
    pub categories: Vec<KnownCategory>,
    /// Sources the codes were confirmed in.
    pub sources: Vec<Source>,
    /// Regimens with standard codes.
    pub regimens: Vec<KnownRegimen>,
    drugs: Vec<KnownDrug>,
    by_name: HashMap<String, (usize, DrugNameKind)>,
    names_pattern: AhoCorasick,
    /// For each pattern of `names_pattern`, the drug it names.
    pattern_drugs: Vec<usize>,
    category_terms: AhoCorasick,
    /// For each pattern of `category_terms`, the category it identifies.
    term_categories: Vec<usize>,
}

/// A vocabulary name found in a text.
#[derive(Debug, Clone, Copy)]
pub struct NameMatch<'v> {
    /// Byte range in the text.
    pub start: usize,
    /// End of the byte range.
    pub end: usize,
    /// The drug.
    pub drug: &'v KnownDrug,
}

impl Vocabulary {
    /// The regimen with a standard code that a regimen of these drugs (by slug) is, if any.
    pub fn regimen<'a>(
        &self,
        drugs: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Option<&KnownRegimen> {
        self.regimens.iter().find(|r| r.matches(drugs.clone()))
    }

    /// Parses a vocabulary file; an error says what is wrong with it.
    pub fn parse(source: &str) -> Result<Self, String> {
        let file: File = toml::from_str(source).map_err(|e| e.to_string())?;
        let mut by_name = HashMap::new();
        let mut alternatives = Vec::new();
        let mut pattern_drugs = Vec::new();
        for (index, drug) in file.drug.iter().enumerate() {
            for (name, kind) in drug.names() {
                if by_name
                    .insert(normalize_name(&name), (index, kind))
                    .is_some()
                {
                    return Err(format!("drug name {name} appears twice"));
                }
                if drug.matched_in_text(&name) {
                    alternatives.push(name);
                    pattern_drugs.push(index);
                }
            }
        }
        // Leftmost-longest, so that "DTIC-Dome" wins over "DTIC".
        // A DFA: the fastest kind to search, and the vocabulary is small enough to afford it.
        let names_pattern = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::DFA))
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .build(&alternatives)
            .map_err(|e| e.to_string())?;
        // Standard semantics, so that every overlapping term is seen and file order decides.
        let (terms, term_categories): (Vec<&str>, Vec<usize>) = file
            .category
            .iter()
            .enumerate()
            .flat_map(|(index, c)| c.terms.iter().map(move |t| (t.as_str(), index)))
            .unzip();
        let category_terms = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&terms)
            .map_err(|e| e.to_string())?;
        Ok(Self {
            categories: file.category,
            sources: file.source,
            regimens: file.regimen,
            drugs: file.drug,
            by_name,
            names_pattern,
            pattern_drugs,
            category_terms,
            term_categories,
        })
    }

    /// The drug a name belongs to, with the kind of name it is.
    pub fn lookup(&self, name: &str) -> Option<(&KnownDrug, DrugNameKind)> {
        let (index, kind) = self.by_name.get(&normalize_name(name))?;
        Some((&self.drugs[*index], *kind))
    }

    /// The known drug with this slug.
    pub fn drug(&self, slug: &str) -> Option<&KnownDrug> {
        self.drugs.iter().find(|d| d.slug == slug)
    }

    /// Every known drug, in file order.
    pub fn drugs(&self) -> &[KnownDrug] {
        &self.drugs
    }

    /// Every vocabulary name in a text standing as a whole word, left to right, not overlapping.
    pub fn find_names<'v, 't>(
        &'v self,
        text: &'t str,
    ) -> impl Iterator<Item = NameMatch<'v>> + use<'v, 't> {
        self.names_pattern
            .find_iter(text)
            .filter(move |m| stands_alone(text, m.start(), m.end()))
            .filter_map(|m| {
                let drug = self
                    .drugs
                    .get(*self.pattern_drugs.get(m.pattern().as_usize())?)?;
                Some(NameMatch {
                    start: m.start(),
                    end: m.end(),
                    drug,
                })
            })
    }

    /// The known category a lead-in's subject names.
    /// The first in file order of the categories whose terms stand in it as whole words.
    pub fn category_for(&self, subject: &str) -> Option<&KnownCategory> {
        let first = self
            .category_terms
            .find_overlapping_iter(subject)
            .filter(|m| stands_alone(subject, m.start(), m.end()))
            .filter_map(|m| self.term_categories.get(m.pattern().as_usize()))
            .min()?;
        self.categories.get(*first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_vocabulary_parses() {
        assert!(VOCABULARY.categories.len() >= 7);
        let (drug, kind) = VOCABULARY.lookup("et 743").expect("code name known");
        assert_eq!(
            (drug.slug.as_str(), kind),
            ("trabectedin", DrugNameKind::CodeName)
        );
    }

    #[test]
    fn known_codes_match_the_issue() {
        let codes = |slug: &str| {
            let d = VOCABULARY.drug(slug).expect("known");
            (d.atc.clone(), d.rxcui.clone())
        };
        assert_eq!(
            codes("doxorubicin"),
            (Some("L01DB01".into()), Some("3639".into()))
        );
        assert_eq!(codes("mesna"), (Some("V03AF01".into()), Some("44".into())));
        assert_eq!(codes("dacarbazine"), (Some("L01AX04".into()), None));
        let rida = VOCABULARY.drug("ridaforolimus").expect("known");
        assert_eq!(rida.atc_previous.as_deref(), Some("L01XE19"));
    }

    #[test]
    fn regimens_get_their_code_from_their_drugs_and_supportive_ones_do_not_count() {
        let code = |drugs: &[&str]| {
            VOCABULARY
                .regimen(drugs.iter().copied())
                .map(|r| r.omop.as_str())
        };
        assert_eq!(
            code(&["doxorubicin", "ifosfamide", "mesna"]),
            Some("35806965")
        );
        assert_eq!(code(&["ifosfamide", "doxorubicin"]), Some("35806965"));
        assert_eq!(code(&["gemcitabine", "docetaxel"]), Some("35803577"));
        assert_eq!(
            code(&["doxorubicin", "mesna"]),
            None,
            "a drug of the regimen is missing"
        );
        assert_eq!(
            code(&["gemcitabine", "docetaxel", "mesna"]),
            None,
            "mesna is not this one's"
        );
        assert_eq!(code(&["doxorubicin", "ifosfamide", "dacarbazine"]), None);
    }

    #[test]
    fn longest_names_win() {
        let found: Vec<_> = VOCABULARY.find_names("DTIC-Dome and DTIC").collect();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].end, "DTIC-Dome".len());
    }

    #[test]
    fn category_terms_match_whole_words() {
        assert_eq!(
            VOCABULARY
                .category_for("Individual chemo agents")
                .map(|c| c.slug.as_str()),
            Some("chemotherapy")
        );
        assert!(VOCABULARY.category_for("Chemoembolization").is_none());
        // Several categories named: the vocabulary's order decides, not the subject's.
        assert_eq!(
            VOCABULARY
                .category_for("Hormonal chemotherapy")
                .map(|c| c.slug.as_str()),
            Some("chemotherapy")
        );
        assert_eq!(
            VOCABULARY
                .category_for("Interventional Radiology")
                .map(|c| c.slug.as_str()),
            Some("interventional-radiology")
        );
    }
}
