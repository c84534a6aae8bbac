//! How a page's lines and sections read: what they say besides treatments (dates, weekdays and
//! times, amounts, statistics, contact details, gifts, tributes) and whether a section's items
//! read as treatments.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::RegexSet;

use super::super::content::RawCategory;
use super::super::text::stands_alone;
use super::super::vocabulary::VOCABULARY;

/// The least share of a section's items that must read as treatments.
const TREATMENT_ITEM_SHARE: f32 = 0.6;
/// The most share of a section's items that may read as statistics, amounts, dates or questions.
const OTHER_ITEM_SHARE: f32 = 0.2;

/// Words that name treatments, procedures or drug classes in a list item.
const TREATMENT_WORDS: &[&str] = &[
    "surgery",
    "surgical",
    "resection",
    "excision",
    "removal",
    "amputation",
    "ablation",
    "cryoablation",
    "embolization",
    "chemoembolization",
    "radiation",
    "radiotherapy",
    "brachytherapy",
    "radiosurgery",
    "beams",
    "beam",
    "imrt",
    "proton",
    "radioisotope",
    "chemotherapy",
    "chemo",
    "immunotherapy",
    "therapy",
    "therapies",
    "vaccine",
    "vaccines",
    "inhibitor",
    "inhibitors",
    "blocker",
    "blockers",
    "disruptors",
    "binders",
    "agents",
    "drug",
    "drugs",
    "regimen",
    "infusion",
    "treatment",
    "treatments",
    "techniques",
    "trial",
    "transplant",
    "hyperthermia",
    "perfusion",
    "knife",
];
/// Words in a lead-in that say it introduces treatments.
const LEAD_IN_WORDS: &[&str] = &[
    "treatment",
    "treatments",
    "therapy",
    "therapies",
    "procedures",
    "options",
    "regimens",
];

static TREATMENT_TERMS: LazyLock<AhoCorasick> = LazyLock::new(|| words(TREATMENT_WORDS));
/// Words of giving (the first three) and of tribute (the rest).
const GIVING_AND_TRIBUTE: &[&str] = &[
    "donat",
    "gift",
    "tax-deductible",
    "in memory of",
    "in honor of",
    "in honour of",
    "tribute",
    "memorial",
];
static GIVING_AND_TRIBUTE_TERMS: LazyLock<AhoCorasick> =
    LazyLock::new(|| words(GIVING_AND_TRIBUTE));

/// Whether a text speaks of gifts, and whether of tributes, in one pass.
pub(super) fn speaks_of(text: &str) -> (bool, bool) {
    let mut found = (false, false);
    for m in GIVING_AND_TRIBUTE_TERMS.find_overlapping_iter(text) {
        if m.pattern().as_usize() < 3 {
            found.0 = true;
        } else {
            found.1 = true;
        }
    }
    found
}
pub(super) static LEAD_IN_TERMS: LazyLock<AhoCorasick> = LazyLock::new(|| words(LEAD_IN_WORDS));

fn words(list: &[&str]) -> AhoCorasick {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(list)
        .expect("word lists are valid")
}

pub(super) fn says_any(terms: &AhoCorasick, text: &str) -> bool {
    terms
        .find_overlapping_iter(text)
        .any(|m| stands_alone(text, m.start(), m.end()))
}

/// What a line may say besides treatments, all looked for in one pass: a date, a weekday or a
/// time of day, an amount of money, a statistic, contact details.
static SIGNALS: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new([
        r"(?i)(?-u:\b)(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(?:\d{1,2}(?:st|nd|rd|th)?,?\s+)?\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})(?-u:\b)",
        r"(?i)(?-u:\b)(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{1,2}:\d{2}\s*(?:a\.?m|p\.?m))",
        r"[$€£]\s?\d",
        r"(?i)\d\s?%|(?-u:\b)(?:survival|rate|percent|median|incidence)(?-u:\b)",
        r"(?i)[\w.+-]+@[\w-]+\.[a-z]{2,}|\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}|(?-u:\b)p\.?\s?o\.? box(?-u:\b)",
    ])
    .expect("valid")
});

/// What [`SIGNALS`] found in one line.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Signals {
    pub(super) date: bool,
    pub(super) weekday_or_time: bool,
    pub(super) money: bool,
    pub(super) statistic: bool,
    pub(super) contact: bool,
}

impl Signals {
    pub(super) fn of(text: &str) -> Self {
        let found = SIGNALS.matches(text);
        Self {
            date: found.matched(0),
            weekday_or_time: found.matched(1),
            money: found.matched(2),
            statistic: found.matched(3),
            contact: found.matched(4),
        }
    }
}

/// Whether a list item reads as something other than a treatment: a question, an amount, a
/// statistic, or a date that names no drug. A drug with the date it was approved is still a
/// drug: the date is an attribute of the item, not a reason to leave it out.
fn reads_as_other(item: &str, names_drug: bool) -> bool {
    let signals = Signals::of(item);
    item.trim_end().ends_with('?')
        || signals.money
        || signals.statistic
        || (signals.date && !names_drug)
}

/// How one section's items read.
pub(super) struct SectionReading {
    pub(super) items: usize,
    pub(super) treatment_like: usize,
    pub(super) other: usize,
    pub(super) known: bool,
    pub(super) about_treatments: bool,
}

pub(super) fn read_section(category: &RawCategory<'_>) -> SectionReading {
    let items: Vec<&str> = category
        .groups
        .iter()
        .flat_map(|g| g.items.iter().map(AsRef::as_ref))
        .collect();
    let mut treatment_like = 0;
    let mut other = 0;
    for item in &items {
        let names_drug = VOCABULARY.find_names(item).next().is_some();
        treatment_like += usize::from(names_drug || says_any(&TREATMENT_TERMS, item));
        other += usize::from(reads_as_other(item, names_drug));
    }
    let n = items.len();
    let share = |k: usize| if n == 0 { 0.0 } else { k as f32 / n as f32 };
    let known = category.known.is_some();
    let lead_in_says = category
        .groups
        .iter()
        .any(|g| says_any(&LEAD_IN_TERMS, &g.lead_in));
    SectionReading {
        items: n,
        treatment_like,
        other,
        known,
        about_treatments: n >= 2
            && share(treatment_like) >= TREATMENT_ITEM_SHARE
            && share(other) <= OTHER_ITEM_SHARE
            && (known || lead_in_says),
    }
}
