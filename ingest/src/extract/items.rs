//! Reading one list item (or warning line): the drugs it names and how, regimens ("Gem/Tax
//! (Gemzar + Taxotere)"), routes ("oral", "intravenously"), "same drug as" relations and trial
//! references. Known names come from the vocabulary; drug-like names it lacks are kept, unverified.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use lmsdr_entity::sea_orm_active_enums::{DrugRelationKind, Route};
use memchr::memmem;
use regex::Regex;

use super::text::{contains_ignore_case, normalize_name, slugify, stands_alone};
use super::vocabulary::{KnownDrug, VOCABULARY};

/// A drug as an item names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrugRef {
    /// In the vocabulary.
    Known(&'static KnownDrug),
    /// Not in the vocabulary: what the page calls it.
    Unknown {
        /// The slug it is stored under, made from `generic`.
        slug: String,
        /// The lowercase (generic-looking) name, or the only name.
        generic: String,
        /// A capitalised (brand-looking) name beside it.
        brand: Option<String>,
        /// A development code.
        code: Option<String>,
    },
}

impl DrugRef {
    /// A drug the vocabulary lacks, under its generic-looking name.
    fn unknown(generic: String, brand: Option<String>, code: Option<String>) -> Self {
        DrugRef::Unknown {
            slug: slugify(&generic, 120),
            generic,
            brand,
            code,
        }
    }

    /// The slug the drug is stored under.
    pub fn slug(&self) -> &str {
        match self {
            DrugRef::Known(drug) => &drug.slug,
            DrugRef::Unknown { slug, .. } => slug,
        }
    }
}

/// One drug mention inside an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// The drug.
    pub drug: DrugRef,
    /// The words used.
    pub name_as_written: String,
    /// The route given right after it.
    pub route: Option<Route>,
}

/// A regimen an item names; its drugs are the item's mentions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegimenRef {
    /// Its name ("Gem/Tax").
    pub name: String,
    /// Its components as written.
    pub components: String,
}

/// What an item says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFacts {
    /// Display name for the treatment.
    pub name: String,
    /// Drugs named, in order.
    pub mentions: Vec<Mention>,
    /// A regimen, if the item is one.
    pub regimen: Option<RegimenRef>,
    /// Relations between mentions, as indexes into `mentions`.
    pub relations: Vec<(usize, usize, DrugRelationKind)>,
    /// A trial reference: its label and code.
    pub trial: Option<(String, String)>,
    /// Whether the item says it is in a trial ("in clinical trials").
    pub in_trial: bool,
    /// Drug-like names the vocabulary lacks.
    pub unverified: Vec<String>,
}

static CODE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)[A-Z]{1,5}-?\d{3,6}(?-u:\b)").expect("code pattern is valid")
});
static TRIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?P<code>[A-Z]{1,6}-?\d{3,}[A-Z0-9-]*)\s+(?:trial|study)(?-u:\b)")
        .expect("trial pattern is valid")
});
/// A ClinicalTrials.gov identifier, wherever an item gives it.
static NCT_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u:\b)NCT\d{8}(?-u:\b)").expect("valid"));
static IN_TRIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:in (?:an? )?(?:phase [1-4IV/]+ )?(?:clinical )?trials?|clinical trial)(?-u:\b)")
        .expect("valid")
});
static TRIAL_WORD: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new("trial"));
static STUDY_WORD: LazyLock<memmem::Finder<'static>> =
    LazyLock::new(|| memmem::Finder::new("study"));
static SAME_DRUG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)(?:same drug as|same as|identical to|equivalent to|the oral form of)(?-u:\b)",
    )
    .expect("relation pattern is valid")
});
static SEE_ALSO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\s*\(\s*see(?-u:\b)[^)]*\)\s*$").expect("see-also pattern is valid")
});

/// Words that give a route, grouped by route; where an item gives several routes, the earlier
/// group wins.
const ROUTE_WORDS: &[(&str, Route)] = &[
    ("oral", Route::Oral),
    ("orally", Route::Oral),
    ("by mouth", Route::Oral),
    ("p.o.", Route::Oral),
    ("intravenous", Route::Intravenous),
    ("intravenously", Route::Intravenous),
    ("i.v.", Route::Intravenous),
    ("iv", Route::Intravenous),
    ("infusion", Route::Intravenous),
    ("subcutaneous", Route::Subcutaneous),
    ("subcutaneously", Route::Subcutaneous),
    ("intramuscular", Route::Intramuscular),
    ("intramuscularly", Route::Intramuscular),
    ("topical", Route::Topical),
    ("topically", Route::Topical),
    ("intra-arterial", Route::Intraarterial),
    ("intraarterial", Route::Intraarterial),
    ("intra-arterially", Route::Intraarterial),
    ("intraarterially", Route::Intraarterial),
    ("intraperitoneal", Route::Intraperitoneal),
    ("intraperitoneally", Route::Intraperitoneal),
];
static ROUTE_PATTERN: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(ROUTE_WORDS.iter().map(|(word, _)| word))
        .expect("route words are valid")
});

/// Reads an item: a line's text, its white space already collapsed. `drug_context` says whether
/// its category is about drugs, so that unknown drug-like names are taken as drugs rather than,
/// say, procedures ("RFA (radio frequency ablation)").
pub fn analyze(text: &str, drug_context: bool) -> ItemFacts {
    let mut facts = ItemFacts::default();
    // Lowercased once, the item is searched for plain words faster than case-insensitively.
    let lower = text.to_ascii_lowercase();
    let says = |word: &memmem::Finder<'_>| word.find(lower.as_bytes()).is_some();
    let says_trial = says(&TRIAL_WORD);
    facts.in_trial = says_trial && IN_TRIAL.is_match(text);
    if says_trial || says(&STUDY_WORD) || text.contains("NCT") {
        facts.trial = trial_reference(text);
    }
    if let Some((regimen, drugs)) = regimen(text, drug_context, &mut facts.unverified) {
        facts.mentions = drugs;
        facts.name = strip_item_punctuation(text);
        facts.regimen = Some(regimen);
        return facts;
    }
    let groups = group_names(text);
    for (i, group) in groups.iter().enumerate() {
        let next_start = groups.get(i + 1).map_or(text.len(), |g| g.start);
        let tail = &text[group.end.min(next_start)..next_start];
        facts.mentions.push(Mention {
            drug: DrugRef::Known(group.drug),
            name_as_written: text[group.start..group.end].trim().to_owned(),
            route: route_in(tail),
        });
        if i + 1 < groups.len() && !tail.trim().is_empty() && SAME_DRUG.is_match(tail) {
            facts
                .relations
                .push((i, i + 1, DrugRelationKind::SameDrugAs));
        }
    }
    if drug_context && !groups.is_empty() {
        unknown_names_beside(text, &groups, &mut facts.unverified);
    }
    if facts.mentions.is_empty() && drug_context {
        facts.mentions = unknown_drugs(text, &mut facts.unverified);
    }
    if let Some((_, code)) = &facts.trial
        && !facts.mentions.iter().any(|m| mentions_code(m, code))
        && !NCT_ID.is_match(code)
        && drug_context
    {
        // A trial named by a code the vocabulary lacks still names a drug.
        facts.unverified.push(code.clone());
    }
    facts.name = display_name(text, groups.first().map(|g| g.start));
    facts
}

/// A vocabulary drug named in a text: the names of one drug next to each other ("Adriamycin
/// (doxorubicin)", "ET-743 (Trabectedin / Yondelis)") make one group.
#[derive(Debug, Clone, Copy)]
pub struct NameGroup {
    /// Where the group starts.
    pub start: usize,
    /// Where it ends, past a closing bracket it opened.
    pub end: usize,
    /// The drug.
    pub drug: &'static KnownDrug,
}

/// The vocabulary drugs a text names, left to right, in groups.
pub fn group_names(text: &str) -> Vec<NameGroup> {
    let mut groups: Vec<NameGroup> = Vec::new();
    for m in VOCABULARY.find_names(text) {
        match groups.last_mut() {
            Some(last)
                if last.drug.slug == m.drug.slug && only_joiners(&text[last.end..m.start]) =>
            {
                last.end = m.end;
            }
            _ => groups.push(NameGroup {
                start: m.start,
                end: m.end,
                drug: m.drug,
            }),
        }
    }
    for group in &mut groups {
        group.end = include_closing_paren(text, group.start, group.end);
    }
    groups
}

fn mentions_code(mention: &Mention, code: &str) -> bool {
    match &mention.drug {
        DrugRef::Known(known) => VOCABULARY
            .lookup(code)
            .is_some_and(|(drug, _)| drug.slug == known.slug),
        DrugRef::Unknown { code: Some(c), .. } => normalize_name(c) == normalize_name(code),
        DrugRef::Unknown { .. } => false,
    }
}

/// The label and code of a trial the item refers to ("see the AP23573 trial", "NCT02451943").
fn trial_reference(text: &str) -> Option<(String, String)> {
    if let Some(captures) = TRIAL.captures(text) {
        let whole = captures.get(0)?.as_str().to_owned();
        let code = captures.name("code")?.as_str().to_owned();
        return Some((whole, code));
    }
    let id = NCT_ID.find(text)?.as_str().to_owned();
    Some((id.clone(), id))
}

/// A regimen and its drugs, in order.
fn regimen(
    text: &str,
    drug_context: bool,
    unverified: &mut Vec<String>,
) -> Option<(RegimenRef, Vec<Mention>)> {
    let (name, parts) = regimen_parts(text)?;
    let mut drugs = Vec::new();
    for part in parts.split('+').map(str::trim).filter(|p| !p.is_empty()) {
        let drug = match VOCABULARY.lookup(part) {
            Some((known, _)) => DrugRef::Known(known),
            None if drug_context => {
                unverified.push(part.to_owned());
                DrugRef::unknown(part.to_lowercase(), None, None)
            }
            None => return None,
        };
        drugs.push(Mention {
            drug,
            name_as_written: part.to_owned(),
            route: None,
        });
    }
    let regimen = RegimenRef {
        name: name.to_owned(),
        components: parts.trim().to_owned(),
    };
    (drugs.len() >= 2).then_some((regimen, drugs))
}

/// "Name (A + B + C)" gives the name and "A + B + C"; a bare "A + B + C" gives itself twice.
fn regimen_parts(text: &str) -> Option<(&str, &str)> {
    if !text.contains('+') {
        return None;
    }
    let text = text.trim();
    if let Some(open) = text.find('(') {
        let name = text[..open].trim();
        let close = open + text[open..].find(')')?;
        let parts = text[open + 1..close].trim();
        let name_ok = !name.is_empty() && name.chars().count() <= 40 && !name.contains('+');
        return (name_ok && parts.contains('+') && !parts.contains('(')).then_some((name, parts));
    }
    let single_words = text.split('+').map(str::trim).all(|part| {
        let mut chars = part.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    });
    single_words.then_some((text, text))
}

/// Between two names of one drug there may only be brackets, slashes, commas and spaces.
fn only_joiners(gap: &str) -> bool {
    gap.chars()
        .all(|c| c.is_whitespace() || matches!(c, '(' | ')' | '/' | ',' | '-' | '–' | '='))
}

/// Extends a mention over the `)` that closes a bracket it opened.
fn include_closing_paren(text: &str, start: usize, end: usize) -> usize {
    let span = &text[start..end];
    if span.matches('(').count() > span.matches(')').count()
        && let Some(offset) = text[end..].find(')')
    {
        return end + offset + 1;
    }
    end
}

/// The route a text gives, by the words standing alone in it.
fn route_in(tail: &str) -> Option<Route> {
    let first = ROUTE_PATTERN
        .find_overlapping_iter(tail)
        .filter(|m| stands_alone(tail, m.start(), m.end()))
        .map(|m| m.pattern().as_usize())
        .min()?;
    ROUTE_WORDS.get(first).map(|&(_, route)| route)
}

/// A "Brand (generic)" or "generic (Brand)" pair: a capitalised word and a lowercase word, one
/// of them alone in brackets after the other.
struct BrandGeneric<'t> {
    whole: std::ops::Range<usize>,
    brand: &'t str,
    generic: &'t str,
    /// Where `brand` starts.
    brand_at: usize,
    /// Where `generic` starts.
    generic_at: usize,
}

fn brand_generic_pairs(text: &str) -> Vec<BrandGeneric<'_>> {
    let generic_like = |w: &str| {
        w.len() >= 4
            && w.starts_with(|c: char| c.is_ascii_lowercase())
            && w.chars().all(|c| c.is_ascii_lowercase() || c == '-')
    };
    let brand_like = |w: &str| {
        w.len() >= 3
            && w.starts_with(|c: char| c.is_ascii_uppercase())
            && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let mut pairs = Vec::new();
    for (open, _) in text.match_indices('(') {
        let Some(close) = text[open..].find(')').map(|c| open + c) else {
            continue;
        };
        let inside = &text[open + 1..close];
        let before = text[..open].trim_end();
        let word_start = before
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '-'))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &before[word_start..];
        let whole = word_start..close + 1;
        if generic_like(inside) && brand_like(word) {
            pairs.push(BrandGeneric {
                whole,
                brand: word,
                generic: inside,
                brand_at: word_start,
                generic_at: open + 1,
            });
        } else if generic_like(word)
            && brand_like(inside)
            && !inside.chars().any(|c| c.is_ascii_digit())
        {
            pairs.push(BrandGeneric {
                whole,
                brand: inside,
                generic: word,
                brand_at: open + 1,
                generic_at: word_start,
            });
        }
    }
    pairs
}

/// "Brand (generic)" pairs in which the vocabulary lacks a name: reported, the known drug kept.
/// `known` holds the vocabulary names found in `text`.
fn unknown_names_beside(text: &str, known: &[NameGroup], unverified: &mut Vec<String>) {
    for pair in brand_generic_pairs(text) {
        for (name, start) in [(pair.brand, pair.brand_at), (pair.generic, pair.generic_at)] {
            let found = known
                .iter()
                .any(|g| g.start <= start && start + name.len() <= g.end);
            if !found && VOCABULARY.lookup(name).is_none() {
                unverified.push(name.to_owned());
            }
        }
    }
}

/// Drug-like names in an item that names no known drug: "Brand (generic)" and code names.
fn unknown_drugs(text: &str, unverified: &mut Vec<String>) -> Vec<Mention> {
    let mut mentions = Vec::new();
    for pair in brand_generic_pairs(text) {
        unverified.push(pair.generic.to_owned());
        unverified.push(pair.brand.to_owned());
        mentions.push(Mention {
            drug: DrugRef::unknown(pair.generic.to_owned(), Some(pair.brand.to_owned()), None),
            name_as_written: text[pair.whole.clone()].to_owned(),
            route: route_in(&text[pair.whole.end..]),
        });
    }
    if mentions.is_empty() && may_hold_code(text) {
        for m in CODE_NAME.find_iter(text) {
            unverified.push(m.as_str().to_owned());
            mentions.push(Mention {
                drug: DrugRef::unknown(m.as_str().to_owned(), None, Some(m.as_str().to_owned())),
                name_as_written: m.as_str().to_owned(),
                route: None,
            });
        }
    }
    mentions
}

/// Whether a text has a capital letter followed (perhaps after a hyphen) by three digits, as
/// every code name does; cheaper than running the pattern on every item.
fn may_hold_code(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |i: usize| {
        bytes
            .get(i..i + 3)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    (0..bytes.len()).any(|i| {
        bytes[i].is_ascii_uppercase()
            && (digits(i + 1) || (bytes.get(i + 1) == Some(&b'-') && digits(i + 2)))
    })
}

/// The treatment's display name: the item without closing punctuation or a "(see …)" note, and
/// without a leading clause such as "Currently in trial … is" before the drug it introduces.
fn display_name(text: &str, first_mention: Option<usize>) -> String {
    let mut name = text;
    if let Some(start) = first_mention
        && start > 0
        && introduces(&text[..start])
    {
        name = &text[start..];
    }
    if name.trim_end().ends_with(')') && contains_ignore_case(name, "see") {
        return strip_item_punctuation(&SEE_ALSO.replace(name, ""));
    }
    strip_item_punctuation(name)
}

/// Whether a clause ends in "is" or "are", introducing what follows it.
fn introduces(clause: &str) -> bool {
    let last = clause.trim_end().rsplit(' ').next().unwrap_or_default();
    clause.ends_with(' ') && (last.eq_ignore_ascii_case("is") || last.eq_ignore_ascii_case("are"))
}

fn strip_item_punctuation(text: &str) -> String {
    text.trim()
        .trim_end_matches(['.', ';', ',', ':'])
        .trim_end()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(slug: &str) -> DrugRef {
        DrugRef::Known(VOCABULARY.drug(slug).expect("a known drug"))
    }

    #[test]
    fn brand_with_generic_is_one_mention() {
        let facts = analyze("Adriamycin (doxorubicin)", true);
        assert_eq!(facts.mentions.len(), 1);
        assert_eq!(facts.mentions[0].drug, known("doxorubicin"));
        assert_eq!(
            facts.mentions[0].name_as_written,
            "Adriamycin (doxorubicin)"
        );
        assert_eq!(facts.name, "Adriamycin (doxorubicin)");
    }

    #[test]
    fn regimens_resolve_their_components() {
        let facts = analyze("AIM (Adriamycin + Ifex + Mesna)", true);
        let regimen = facts.regimen.expect("a regimen");
        assert_eq!(regimen.name, "AIM");
        assert_eq!(regimen.components, "Adriamycin + Ifex + Mesna");
        let drugs: Vec<_> = facts.mentions.iter().map(|m| m.drug.slug()).collect();
        assert_eq!(drugs, ["doxorubicin", "ifosfamide", "mesna"]);
    }

    #[test]
    fn routes_and_same_drug_relations() {
        let facts = analyze(
            "Temodar (temozolomide) oral, same drug as, DTIC (dacarbazine) intravenously",
            true,
        );
        let got: Vec<_> = facts
            .mentions
            .iter()
            .map(|m| (m.drug.slug(), m.route))
            .collect();
        assert_eq!(
            got,
            [
                ("temozolomide", Some(Route::Oral)),
                ("dacarbazine", Some(Route::Intravenous))
            ]
        );
        assert_eq!(facts.relations, [(0, 1, DrugRelationKind::SameDrugAs)]);
    }

    #[test]
    fn routes_are_whole_words_and_the_first_route_group_wins() {
        assert_eq!(route_in(" given orally"), Some(Route::Oral));
        assert_eq!(route_in(", p.o. or IV"), Some(Route::Oral));
        assert_eq!(route_in(" by IV infusion"), Some(Route::Intravenous));
        assert_eq!(route_in(" intra-arterially"), Some(Route::Intraarterial));
        assert_eq!(route_in(" Intraperitoneal"), Some(Route::Intraperitoneal));
        assert_eq!(route_in(" ivory, oralis, topicals"), None);
        assert_eq!(route_in(")"), None);
    }

    #[test]
    fn code_names_and_aliases_merge() {
        let facts = analyze(
            "Currently in trial showing good response in Sarcoma is ET-743 (Trabectedin / Yondelis).",
            true,
        );
        assert_eq!(facts.mentions.len(), 1);
        assert_eq!(
            facts.mentions[0].name_as_written,
            "ET-743 (Trabectedin / Yondelis)"
        );
        assert_eq!(facts.name, "ET-743 (Trabectedin / Yondelis)");
    }

    #[test]
    fn trial_references_by_code() {
        let facts = analyze("mTOR inhibitors (see the AP23573 trial)", true);
        assert_eq!(
            facts.trial,
            Some(("AP23573 trial".into(), "AP23573".into()))
        );
        assert_eq!(facts.mentions[0].drug, known("ridaforolimus"));
        assert_eq!(facts.name, "mTOR inhibitors");
    }

    #[test]
    fn unknown_drugs_are_kept_unverified() {
        let facts = analyze("Zorvex (zorvexamab)", true);
        assert_eq!(facts.mentions.len(), 1);
        assert!(
            matches!(&facts.mentions[0].drug, DrugRef::Unknown { generic, .. } if generic == "zorvexamab")
        );
        assert!(facts.unverified.contains(&"zorvexamab".to_owned()));
    }

    #[test]
    fn unknown_brands_beside_known_generics_are_reported() {
        let facts = analyze("Doxil (doxorubicin)", true);
        assert_eq!(facts.mentions[0].drug, known("doxorubicin"));
        assert_eq!(facts.unverified, ["Doxil"]);
    }

    #[test]
    fn procedures_are_not_drugs() {
        let facts = analyze("RFA (radio frequency ablation)", false);
        assert!(facts.mentions.is_empty());
        assert!(facts.regimen.is_none());
    }
}
