//! Drugs named anywhere on a page — news, FAQ, trial pages — sentence by sentence, with the
//! words used. Names come from the vocabulary; a name it lacks is taken only when the word has
//! the form of a drug's international non-proprietary name (a WHO INN stem such as `-mab`,
//! `-tinib` or `-platin`), so that "Robert Lee (oncologist)" is never a drug.

use std::sync::LazyLock;

use regex::Regex;

use super::items::{DrugRef, group_names};
use super::text::{sentences, slugify};
use super::vocabulary::VOCABULARY;

/// WHO INN stems of medicines an LMS page may name (antineoplastics, hormones and their kin).
const INN_STEMS: &[&str] = &[
    "mab",
    "tinib",
    "anib",
    "rafenib",
    "ciclib",
    "parib",
    "lisib",
    "degib",
    "zomib",
    "platin",
    "rubicin",
    "taxel",
    "mustine",
    "fosfamide",
    "citabine",
    "trexed",
    "limus",
    "tecan",
    "poside",
    "relin",
    "relix",
    "strant",
    "trozole",
    "mestane",
    "lutamide",
    "bulin",
    "mycin",
    "ifene",
    "oxifen",
    "inostat",
    "leukin",
    "tabine",
    "epilone",
];
/// Words that end like a stem but are not drugs.
const NOT_DRUGS: &[&str] = &["globulin", "immunoglobulin"];

/// A single word standing for a drug's generic name, with what stands in brackets after it.
static GENERIC_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)([A-Za-z][a-z]{5,}(?:-[a-z]+)?)(?:\s*\(\s*([A-Z][A-Za-z0-9-]{2,}(?:[ /][A-Z0-9][A-Za-z0-9-]*)?)\s*\))?")
        .expect("valid")
});

/// One drug named in one sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The drug.
    pub drug: DrugRef,
    /// The words used.
    pub name_as_written: String,
    /// The sentence.
    pub sentence: String,
}

/// Every drug a text names, sentence by sentence.
pub fn in_text(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    for sentence in sentences(text) {
        let groups = group_names(&sentence);
        for group in &groups {
            found.push(Found {
                drug: DrugRef::Known(group.drug),
                name_as_written: sentence[group.start..group.end].trim().to_owned(),
                sentence: sentence.clone(),
            });
        }
        for m in GENERIC_WORD.captures_iter(&sentence) {
            let (Some(whole), Some(word)) = (m.get(0), m.get(1)) else {
                continue;
            };
            let inside_known = groups
                .iter()
                .any(|g| g.start <= whole.start() && whole.start() < g.end);
            if inside_known || !has_inn_stem(word.as_str()) {
                continue;
            }
            if VOCABULARY.lookup(word.as_str()).is_some() {
                continue;
            }
            let generic = word.as_str().to_lowercase();
            let bracket = m.get(2).map(|b| b.as_str().to_owned());
            let (brand, code) = match bracket {
                Some(b) if b.chars().any(|c| c.is_ascii_digit()) => (None, Some(b)),
                other => (other, None),
            };
            found.push(Found {
                drug: DrugRef::Unknown {
                    slug: slugify(&generic, 120),
                    generic,
                    brand,
                    code,
                },
                name_as_written: whole.as_str().trim().to_owned(),
                sentence: sentence.clone(),
            });
        }
    }
    found
}

/// Whether a word ends with an INN stem and is long enough to be a drug's name.
pub fn has_inn_stem(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    !NOT_DRUGS.contains(&lower.as_str())
        && INN_STEMS
            .iter()
            .any(|stem| lower.len() >= stem.len() + 4 && lower.ends_with(stem))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slugs(text: &str) -> Vec<(String, String)> {
        in_text(text)
            .into_iter()
            .map(|f| (f.drug.slug().to_owned(), f.name_as_written))
            .collect()
    }

    #[test]
    fn known_names_in_either_order() {
        assert_eq!(
            slugs("Doxorubicin (Adriamycin) is often the first drug."),
            [(
                "doxorubicin".to_owned(),
                "Doxorubicin (Adriamycin)".to_owned()
            )]
        );
        assert_eq!(
            slugs("A trial of Votrient (pazopanib) opened. It was small."),
            [("pazopanib".to_owned(), "Votrient (pazopanib)".to_owned())]
        );
    }

    #[test]
    fn unknown_names_only_with_a_drug_stem() {
        let found = in_text("Researchers presented ombrabulin (AVE8062) in sarcoma.");
        assert_eq!(found.len(), 1);
        assert!(matches!(
            &found[0].drug,
            DrugRef::Unknown { generic, code: Some(code), .. } if generic == "ombrabulin" && code == "AVE8062"
        ));
        assert!(in_text("Robert Lee (oncologist), 1948-2010").is_empty());
        assert!(in_text("Tax deductible gifts are a gem.").is_empty());
        assert!(in_text("Visit the Mayo Clinic (Rochester) or Boston.").is_empty());
    }
}
