//! Drugs named anywhere on a page — news, FAQ, trial pages — sentence by sentence, with the
//! words used. Names come from the vocabulary; a name it lacks is taken only when the word has
//! the form of a drug's international non-proprietary name (a WHO INN stem such as `-mab`,
//! `-tinib` or `-platin`), so that "Robert Lee (oncologist)" is never a drug.

use super::items::{DrugRef, group_names};
use super::text::{has_several_sentences, sentences, slugify};
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
    // Most lines name no drug: find that out before splitting them into sentences.
    if VOCABULARY.find_names(text).next().is_none() && stem_words(text).next().is_none() {
        return Vec::new();
    }
    let mut found = Vec::new();
    let split = if has_several_sentences(text) {
        sentences(text)
    } else {
        vec![text.to_owned()]
    };
    for sentence in split {
        let groups = group_names(&sentence);
        for group in &groups {
            found.push(Found {
                drug: DrugRef::Known(group.drug),
                name_as_written: sentence[group.start..group.end].trim().to_owned(),
                sentence: sentence.clone(),
            });
        }
        for (start, end) in stem_words(&sentence) {
            let inside_known = groups.iter().any(|g| g.start <= start && start < g.end);
            let word = &sentence[start..end];
            if inside_known || VOCABULARY.lookup(word).is_some() {
                continue;
            }
            let (bracket, whole_end) = bracket_after(&sentence, end).unzip();
            let (mut brand, code) = match bracket {
                Some(b) if b.chars().any(|c| c.is_ascii_digit()) => (None, Some(b.to_owned())),
                other => (other.map(str::to_owned), None),
            };
            // "Brand (generic)": the name before the bracket the generic stands alone in.
            let (mut whole_start, mut whole_end) = (start, whole_end.unwrap_or(end));
            if brand.is_none()
                && let Some((brand_start, named, close)) = brand_before(&sentence, start, end)
            {
                brand = Some(named.to_owned());
                (whole_start, whole_end) = (brand_start, close);
            }
            let generic = word.to_ascii_lowercase();
            found.push(Found {
                drug: DrugRef::Unknown {
                    slug: slugify(&generic, 120),
                    generic,
                    brand,
                    code,
                },
                name_as_written: sentence[whole_start..whole_end].to_owned(),
                sentence: sentence.clone(),
            });
        }
    }
    found
}

/// The words of a text that have the form of a drug's generic name: ASCII letters (perhaps a
/// hyphenated part), capitalised at most on the first letter, ending with an INN stem.
fn stem_words(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() {
            let start = at;
            while at < bytes.len() && (bytes[at].is_ascii_alphabetic() || bytes[at] == b'-') {
                at += 1;
            }
            let end = at;
            at += 1;
            let word = text.get(start..end)?;
            let before_ok = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
            let after_ok = end >= bytes.len() || !bytes[end].is_ascii_alphanumeric();
            let shaped = word.len() >= 6
                && !word.starts_with('-')
                && !word.ends_with('-')
                && word.bytes().skip(1).all(|b| !b.is_ascii_uppercase());
            if before_ok && after_ok && shaped && has_inn_stem(word) {
                return Some((start, end));
            }
        }
        None
    })
}

/// What stands alone in brackets right after `end` ("(AVE8062)", "(Zorvex)"), and where the
/// closing bracket ends.
fn bracket_after(text: &str, end: usize) -> Option<(&str, usize)> {
    let rest = &text[end..];
    let open = rest.len() - rest.trim_start().len();
    if !rest[open..].starts_with('(') {
        return None;
    }
    let close = rest[open..].find(')')? + open;
    let inside = rest[open + 1..close].trim();
    let named = (3..=30).contains(&inside.len())
        && inside.starts_with(|c: char| c.is_ascii_uppercase())
        && inside
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ' ' | '/'));
    named.then_some((inside, end + close + 1))
}

/// The capitalised name right before a bracket that holds only `text[start..end]`, with where
/// it starts and where the bracket closes: "Zorvex" in "Zorvex (zorvexamab)".
fn brand_before(text: &str, start: usize, end: usize) -> Option<(usize, &str, usize)> {
    let before = text[..start].trim_end().strip_suffix('(')?.trim_end();
    let after = &text[end..];
    let close = end + (after.len() - after.trim_start().len());
    if !text[close..].starts_with(')') {
        return None;
    }
    let brand_start = before
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .map_or(0, |i| i + 1);
    let brand = &before[brand_start..];
    let named = brand.len() >= 3 && brand.starts_with(|c: char| c.is_ascii_uppercase());
    named.then_some((brand_start, brand, close + 1))
}

/// Whether a word ends with an INN stem and is long enough to be a drug's name.
pub fn has_inn_stem(word: &str) -> bool {
    let ends_with = |stem: &str| {
        word.len() >= stem.len() + 4
            && word
                .get(word.len() - stem.len()..)
                .is_some_and(|tail| tail.eq_ignore_ascii_case(stem))
    };
    !NOT_DRUGS.iter().any(|w| word.eq_ignore_ascii_case(w))
        && INN_STEMS.iter().any(|s| ends_with(s))
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
        let found = in_text("Results for Zorvex (zorvexamab) were presented.");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name_as_written, "Zorvex (zorvexamab)");
        assert!(matches!(
            &found[0].drug,
            DrugRef::Unknown { generic, brand: Some(brand), .. } if generic == "zorvexamab" && brand == "Zorvex"
        ));
        assert!(in_text("Tax deductible gifts are a gem.").is_empty());
        assert!(in_text("Visit the Mayo Clinic (Rochester) or Boston.").is_empty());
    }
}
