//! `lmsdr vocabulary check`: a vocabulary file's names are unique, its codes well formed, and
//! every code confirmed — by the code system's publisher, an HL7 guide or a curated database,
//! or else by two sources. A code with a single unconfirmed source must stay empty.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use super::{File, SourceKind, Vocabulary};
use crate::extract::text::normalize_name;

static ATC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$").expect("valid"));
static RXCUI: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[1-9][0-9]{0,9}$").expect("valid"));

static OMOP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[1-9][0-9]{0,9}$").expect("valid"));

/// The code fields a drug's `sources` may name.
const CODE_FIELDS: [&str; 3] = ["atc", "atc_previous", "rxcui"];

/// What a valid file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Drugs.
    pub drugs: usize,
    /// Categories.
    pub categories: usize,
    /// Sources.
    pub sources: usize,
    /// Codes, each confirmed.
    pub codes: usize,
}

/// Checks a vocabulary file; every problem found, one sentence each, when it is not valid.
pub fn check(source: &str) -> Result<Summary, Vec<String>> {
    let file: File = toml::from_str(source).map_err(|e| vec![format!("not a vocabulary: {e}")])?;
    let mut problems = Vec::new();
    let kinds: HashMap<&str, SourceKind> = file
        .source
        .iter()
        .map(|s| (s.id.as_str(), s.kind))
        .collect();
    duplicates(
        file.source.iter().map(|s| s.id.as_str()),
        "source id",
        &mut problems,
    );
    duplicates(
        file.category.iter().map(|c| c.slug.as_str()),
        "category slug",
        &mut problems,
    );
    duplicates(
        file.drug.iter().map(|d| d.slug.as_str()),
        "drug slug",
        &mut problems,
    );
    let mut owners: HashMap<String, &str> = HashMap::new();
    let mut codes = 0;
    for drug in &file.drug {
        for (name, _) in drug.names() {
            let key = normalize_name(&name);
            if key.is_empty() {
                problems.push(format!(
                    "drug {}: the name \"{name}\" has no letters or digits",
                    drug.slug
                ));
            } else if let Some(other) = owners.insert(key, &drug.slug) {
                problems.push(format!(
                    "drug {}: the name \"{name}\" is also a name of {other}",
                    drug.slug
                ));
            }
        }
        let present: BTreeMap<&str, &str> = [
            ("atc", drug.atc.as_deref()),
            ("atc_previous", drug.atc_previous.as_deref()),
            ("rxcui", drug.rxcui.as_deref()),
        ]
        .into_iter()
        .filter_map(|(field, code)| Some((field, code?)))
        .collect();
        for (&field, &code) in &present {
            let pattern = if field == "rxcui" { &*RXCUI } else { &*ATC };
            if !pattern.is_match(code) {
                problems.push(format!(
                    "drug {}: {field} \"{code}\" is not a valid code",
                    drug.slug
                ));
            }
            let cited = drug
                .sources
                .get(field)
                .map(Vec::as_slice)
                .unwrap_or_default();
            match confirmation(cited, &kinds) {
                Ok(()) => codes += 1,
                Err(why) => problems.push(format!("drug {}: {field} {code} {why}", drug.slug)),
            }
        }
        for (field, cited) in &drug.sources {
            if !CODE_FIELDS.contains(&field.as_str()) {
                problems.push(format!(
                    "drug {}: sources name an unknown code field `{field}`",
                    drug.slug
                ));
            } else if !present.contains_key(field.as_str()) && !cited.is_empty() {
                problems.push(format!(
                    "drug {}: sources are given for {field}, which is empty",
                    drug.slug
                ));
            }
            for id in cited {
                if !kinds.contains_key(id.as_str()) {
                    problems.push(format!("drug {}: source `{id}` is not declared", drug.slug));
                }
            }
        }
    }
    let slugs: HashSet<&str> = file.drug.iter().map(|d| d.slug.as_str()).collect();
    for regimen in &file.regimen {
        let name = &regimen.display;
        if !OMOP.is_match(&regimen.omop) {
            problems.push(format!(
                "regimen {name}: OMOP concept \"{}\" is not a valid ID",
                regimen.omop
            ));
        }
        for drug in regimen.drugs.iter().chain(&regimen.supportive) {
            if !slugs.contains(drug.as_str()) {
                problems.push(format!(
                    "regimen {name}: drug `{drug}` is not in the vocabulary"
                ));
            }
        }
        for id in &regimen.sources {
            if !kinds.contains_key(id.as_str()) {
                problems.push(format!("regimen {name}: source `{id}` is not declared"));
            }
        }
        match confirmation(&regimen.sources, &kinds) {
            Ok(()) => codes += 1,
            Err(why) => problems.push(format!("regimen {name}: OMOP {} {why}", regimen.omop)),
        }
    }
    if let Err(parse) = Vocabulary::parse(source)
        && problems.is_empty()
    {
        problems.push(parse);
    }
    if problems.is_empty() {
        Ok(Summary {
            drugs: file.drug.len(),
            categories: file.category.len(),
            sources: file.source.len(),
            codes,
        })
    } else {
        Err(problems)
    }
}

/// Whether the cited sources confirm a code.
fn confirmation(cited: &[String], kinds: &HashMap<&str, SourceKind>) -> Result<(), &'static str> {
    let known: HashSet<&str> = cited
        .iter()
        .map(String::as_str)
        .filter(|id| kinds.contains_key(id))
        .collect();
    if known.is_empty() {
        return Err("names no source; leave it empty until one confirms it");
    }
    let strong = known
        .iter()
        .any(|id| !matches!(kinds.get(id), Some(SourceKind::Reference)));
    if strong || known.len() >= 2 {
        Ok(())
    } else {
        Err("has a single unconfirmed source; leave it empty until a second source confirms it")
    }
}

fn duplicates<'a>(values: impl Iterator<Item = &'a str>, what: &str, problems: &mut Vec<String>) {
    let mut seen = HashSet::new();
    for value in values {
        if !seen.insert(value) {
            problems.push(format!("the {what} `{value}` appears twice"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCES: &str = r#"
[[source]]
id = "guide"
name = "An HL7 guide"
url = "http://hl7.org/fhir/us/mcode/"
kind = "hl7"

[[source]]
id = "blog"
name = "A blog"
url = "https://example.org/"
kind = "reference"

[[category]]
slug = "chemotherapy"
name = "Chemotherapy"
terms = ["chemo"]
"#;

    #[test]
    fn the_bundled_vocabulary_is_valid() {
        let summary = check(super::super::SOURCE).unwrap_or_else(|p| panic!("{p:#?}"));
        assert!(summary.drugs >= 28 && summary.codes >= 40, "{summary:?}");
    }

    #[test]
    fn a_regimen_code_names_known_drugs_and_is_confirmed() {
        let file = format!(
            "{SOURCES}
[[drug]]
slug = \"a\"
generic = \"a\"

[[regimen]]
drugs = [\"a\", \"nowhere\"]
omop = \"35806965\"
display = \"A and Nowhere\"
sources = [\"blog\"]

[[regimen]]
drugs = [\"a\"]
omop = \"x1\"
display = \"A monotherapy\"
sources = [\"guide\"]
"
        );
        let problems = check(&file).expect_err("invalid");
        assert_eq!(
            problems,
            [
                "regimen A and Nowhere: drug `nowhere` is not in the vocabulary",
                "regimen A and Nowhere: OMOP 35806965 has a single unconfirmed source; leave it empty until a second source confirms it",
                "regimen A monotherapy: OMOP concept \"x1\" is not a valid ID",
            ]
        );
    }

    #[test]
    fn a_code_needs_a_confirming_source() {
        let file = format!(
            "{SOURCES}
[[drug]]
slug = \"a\"
generic = \"a\"
rxcui = \"12\"
sources = {{ rxcui = [\"blog\"] }}

[[drug]]
slug = \"b\"
generic = \"b\"
rxcui = \"13\"
sources = {{ rxcui = [\"blog\", \"guide\"] }}

[[drug]]
slug = \"c\"
generic = \"c\"
atc = \"L01XX99\"
"
        );
        let problems = check(&file).expect_err("invalid");
        assert_eq!(
            problems,
            [
                "drug a: rxcui 12 has a single unconfirmed source; leave it empty until a second source confirms it",
                "drug c: atc L01XX99 names no source; leave it empty until one confirms it",
            ]
        );
    }

    #[test]
    fn names_formats_and_references_are_checked() {
        let file = format!(
            "{SOURCES}
[[drug]]
slug = \"a\"
generic = \"alpha\"
brands = [\"Beta\"]
atc = \"L1\"
sources = {{ atc = [\"nowhere\", \"guide\"], rxcui = [\"guide\"] }}

[[drug]]
slug = \"a\"
generic = \"beta\"
"
        );
        let problems = check(&file).expect_err("invalid");
        assert_eq!(
            problems,
            [
                "the drug slug `a` appears twice",
                "drug a: atc \"L1\" is not a valid code",
                "drug a: source `nowhere` is not declared",
                "drug a: sources are given for rxcui, which is empty",
                "drug a: the name \"beta\" is also a name of a",
            ]
        );
    }
}
