//! The curated vocabulary shipped in `ingest/data/vocabulary.toml`: categories and drugs.

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use lmsdr_entity::sea_orm_active_enums::DrugNameKind;
use serde::Deserialize;

use super::text::{normalize_name, stands_alone};

const SOURCE: &str = include_str!("../../data/vocabulary.toml");

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
    /// Brand names.
    #[serde(default)]
    pub brands: Vec<String>,
    /// Development code names.
    #[serde(default)]
    pub codes: Vec<String>,
    /// Abbreviations.
    #[serde(default)]
    pub abbreviations: Vec<String>,
    /// Pharmacological class.
    pub class: Option<String>,
    /// WHO ATC code.
    pub atc: Option<String>,
    /// ATC code before reclassification.
    pub atc_previous: Option<String>,
    /// RxNorm concept ID.
    pub rxcui: Option<String>,
}

impl KnownDrug {
    /// Every name with its kind, generic first.
    pub fn names(&self) -> Vec<(String, DrugNameKind)> {
        let mut names = vec![(self.generic.clone(), DrugNameKind::Generic)];
        names.extend(self.brands.iter().map(|n| (n.clone(), DrugNameKind::Brand)));
        names.extend(
            self.codes
                .iter()
                .map(|n| (n.clone(), DrugNameKind::CodeName)),
        );
        names.extend(
            self.abbreviations
                .iter()
                .map(|n| (n.clone(), DrugNameKind::Abbreviation)),
        );
        names
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    category: Vec<KnownCategory>,
    drug: Vec<KnownDrug>,
}

/// The parsed vocabulary with its lookup structures.
#[derive(Debug)]
pub struct Vocabulary {
    /// Categories, in file order.
    pub categories: Vec<KnownCategory>,
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
    fn parse(source: &str) -> Result<Self, String> {
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
                alternatives.push(name);
                pattern_drugs.push(index);
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
