//! The main content's structure: an introduction, then categories (a lead-in paragraph followed
//! by a list, possibly in several groups), then closing paragraphs. Lists may be marked (`<li>`,
//! bullets) or not (one paragraph per item); both read the same.

use std::sync::LazyLock;

use regex::Regex;

use super::lines::Line;
use super::text::{first_sentence, has_several_sentences, word_count};
use super::vocabulary::{KnownCategory, VOCABULARY};

/// The content, sectioned.
#[derive(Debug, Default)]
pub struct Sections {
    /// Paragraphs before the first category.
    pub intro: Vec<String>,
    /// The categories, in page order.
    pub categories: Vec<RawCategory>,
    /// Paragraphs after the last category.
    pub outro: Vec<String>,
    /// Warnings outside any category.
    pub loose_warnings: Vec<String>,
}

/// A category as found on the page.
#[derive(Debug)]
pub struct RawCategory {
    /// The vocabulary entry its subject matched.
    pub known: Option<&'static KnownCategory>,
    /// The lead-in's subject ("Hormonal Therapy").
    pub subject: String,
    /// The lead-in paragraph.
    pub description: String,
    /// Lead-ins and their items.
    pub groups: Vec<Group>,
    /// Warning lines.
    pub warnings: Vec<String>,
}

impl RawCategory {
    fn slug(&self) -> Option<&str> {
        self.known.map(|k| k.slug.as_str())
    }
}

/// A lead-in with the items it introduces.
#[derive(Debug)]
pub struct Group {
    /// The lead-in text.
    pub lead_in: String,
    /// The items, as written.
    pub items: Vec<String>,
}

static WARNING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:warning|caution|important|attention)\s*[:!\-–]").expect("valid")
});
static SUBGROUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:individual|other|additional|single|combination|first[- ]line|second[- ]line|further)(?-u:\b)")
        .expect("valid")
});
const SUBJECT_STOPS: &[&str] = &[
    "is", "are", "uses", "use", "includes", "include", "has", "have", "may", "can", "for", "was",
    "were", "will", "should", "involves", "involve", "refers", "means",
];
/// Longest paragraph, in words, still read as a list item when lists are unmarked.
const MAX_ITEM_WORDS: usize = 22;

/// Whether a line is a warning ("Warning: …").
pub fn is_warning(text: &str) -> bool {
    WARNING.is_match(text)
}

/// The subject of a lead-in: its words up to the first verb-like word.
pub fn subject_of(text: &str) -> String {
    first_sentence(text)
        .split_whitespace()
        .take_while(|w| {
            let bare = w
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase();
            !SUBJECT_STOPS.contains(&bare.as_str())
        })
        .take(6)
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches([',', ':', '.'])
        .to_owned()
}

fn item_like(text: &str) -> bool {
    word_count(text) <= MAX_ITEM_WORDS
        && !text.trim_end().ends_with(':')
        && !is_warning(text)
        && !has_several_sentences(text)
}

enum LeadIn {
    NewCategory(Option<&'static KnownCategory>),
    SubGroup,
    Continuation,
}

/// Sections the content lines.
pub fn sections(lines: &[Line]) -> Sections {
    let marked = lines.iter().any(|l| l.list_item && !is_warning(&l.text));
    let mut out = Sections::default();
    let mut current: Option<RawCategory> = None;
    for (index, line) in lines.iter().enumerate() {
        let text = line.text.as_str();
        if is_warning(text) {
            match current.as_mut() {
                Some(category) => category.warnings.push(text.to_owned()),
                None => out.loose_warnings.push(text.to_owned()),
            }
            continue;
        }
        if marked && line.list_item {
            match current.as_mut().and_then(|c| c.groups.last_mut()) {
                Some(group) => group.items.push(text.to_owned()),
                None if out.categories.is_empty() => out.intro.push(text.to_owned()),
                None => out.outro.push(text.to_owned()),
            }
            continue;
        }
        let next = lines.get(index + 1);
        match lead_in(text, next, marked, current.as_ref()) {
            Some(LeadIn::NewCategory(known)) => {
                out.categories.extend(current.take());
                current = Some(RawCategory {
                    known,
                    subject: subject_of(text),
                    description: text.to_owned(),
                    groups: vec![Group {
                        lead_in: text.to_owned(),
                        items: Vec::new(),
                    }],
                    warnings: Vec::new(),
                });
            }
            Some(LeadIn::SubGroup) => {
                if let Some(category) = current.as_mut() {
                    category.groups.push(Group {
                        lead_in: text.to_owned(),
                        items: Vec::new(),
                    });
                }
            }
            Some(LeadIn::Continuation) => {
                if let Some(category) = current.as_mut() {
                    category.description.push(' ');
                    category.description.push_str(text);
                    if let Some(group) = category.groups.last_mut() {
                        group.lead_in.push(' ');
                        group.lead_in.push_str(text);
                    }
                }
            }
            None => {
                let open_group = current.as_mut().and_then(|c| c.groups.last_mut());
                match open_group {
                    Some(group) if !marked && item_like(text) => group.items.push(text.to_owned()),
                    _ => {
                        out.categories.extend(current.take());
                        if out.categories.is_empty() {
                            out.intro.push(text.to_owned());
                        } else {
                            out.outro.push(text.to_owned());
                        }
                    }
                }
            }
        }
    }
    out.categories.extend(current);
    out.categories
        .retain(|c| c.groups.iter().any(|g| !g.items.is_empty()));
    out
}

fn lead_in(
    text: &str,
    next: Option<&Line>,
    marked: bool,
    current: Option<&RawCategory>,
) -> Option<LeadIn> {
    let next_is_item = next.is_some_and(|n| {
        if marked {
            n.list_item
        } else {
            item_like(&n.text) || n.text.trim_end().ends_with(':')
        }
    });
    let subject = subject_of(text);
    let known = VOCABULARY.category_for(&subject);
    let same_as_current = |k: Option<&KnownCategory>| {
        current.is_some_and(|c| c.slug().is_some() && c.slug() == k.map(|k| k.slug.as_str()))
    };
    let open_without_items =
        current.is_some_and(|c| c.groups.last().is_some_and(|g| g.items.is_empty()));
    if text.trim_end().ends_with(':') {
        if current.is_none() {
            return Some(LeadIn::NewCategory(known));
        }
        if open_without_items && known.is_none() {
            return Some(LeadIn::Continuation);
        }
        if same_as_current(known) || (known.is_none() && SUBGROUP.is_match(&subject)) {
            return Some(LeadIn::SubGroup);
        }
        return Some(LeadIn::NewCategory(known));
    }
    let sentence_like = word_count(text) >= 5;
    if next_is_item && sentence_like && known.is_some() && !same_as_current(known) {
        return Some(LeadIn::NewCategory(known));
    }
    None
}
