//! The main content's structure: an introduction, then categories (a lead-in paragraph followed
//! by a list, possibly in several groups), then closing paragraphs. Lists may be marked (`<li>`,
//! bullets) or not (one paragraph per item); both read the same.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::lines::{Definition, Line};
use super::table;
use super::text::{first_sentence, has_several_sentences, slugify, word_count};
use super::vocabulary::{KnownCategory, VOCABULARY};

/// The content, sectioned; its texts borrow from the lines.
#[derive(Debug, Default)]
pub struct Sections<'a> {
    /// Paragraphs before the first category.
    pub intro: Vec<&'a str>,
    /// The categories, in page order.
    pub categories: Vec<RawCategory<'a>>,
    /// Paragraphs after the last category.
    pub outro: Vec<&'a str>,
    /// Warnings outside any category.
    pub loose_warnings: Vec<&'a str>,
    /// For each line, whether it was read as a list item (marked or not).
    pub item_lines: Vec<bool>,
}

/// A category as found on the page.
#[derive(Debug)]
pub struct RawCategory<'a> {
    /// The vocabulary entry its subject matched.
    pub known: Option<&'static KnownCategory>,
    /// The lead-in's subject ("Hormonal Therapy").
    pub subject: String,
    /// The lead-in paragraph.
    pub description: Cow<'a, str>,
    /// Lead-ins and their items.
    pub groups: Vec<Group<'a>>,
    /// Warning lines.
    pub warnings: Vec<&'a str>,
}

impl RawCategory<'_> {
    fn slug(&self) -> Option<&str> {
        self.known.map(|k| k.slug.as_str())
    }

    /// The slug the category is stored under: its vocabulary entry's, or one made from its
    /// subject.
    pub fn category_slug(&self) -> String {
        self.known
            .map_or_else(|| slugify(&self.subject, 80), |k| k.slug.clone())
    }
}

/// A lead-in with the items it introduces.
#[derive(Debug)]
pub struct Group<'a> {
    /// The lead-in text.
    pub lead_in: Cow<'a, str>,
    /// The items, as written (a table's row as its cells read in a list).
    pub items: Vec<Cow<'a, str>>,
    /// The indexes of each item's lines (one, or a table row's cells).
    pub item_lines: Vec<Range<usize>>,
}

impl<'a> Group<'a> {
    fn new(lead_in: &'a str) -> Self {
        Self {
            lead_in: Cow::Borrowed(lead_in),
            items: Vec::new(),
            item_lines: Vec::new(),
        }
    }

    fn push(&mut self, item: Cow<'a, str>, lines: Range<usize>, item_lines: &mut [bool]) {
        if let Some(marks) = item_lines.get_mut(lines.clone()) {
            marks.fill(true);
        }
        self.items.push(item);
        self.item_lines.push(lines);
    }
}

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

/// Words that open a warning line.
const WARNING_WORDS: &[&str] = &["warning", "caution", "important", "attention"];

/// Whether a line is a warning ("Warning: …").
pub fn is_warning(text: &str) -> bool {
    warning_label_len(text).is_some()
}

/// The length of a warning's label ("Warning: "), white space after it included.
pub fn warning_label_len(text: &str) -> Option<usize> {
    let rest = text.trim_start();
    // Every warning word starts with one of these letters: most lines stop here.
    let first = rest.as_bytes().first()?.to_ascii_lowercase();
    if !matches!(first, b'w' | b'c' | b'i' | b'a') {
        return None;
    }
    let word_end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    if !WARNING_WORDS
        .iter()
        .any(|w| rest[..word_end].eq_ignore_ascii_case(w))
    {
        return None;
    }
    let after = rest[word_end..].trim_start();
    let mark = after
        .chars()
        .next()
        .filter(|c| matches!(c, ':' | '!' | '-' | '–'))?;
    let label_end = text.len() - after.len() + mark.len_utf8();
    Some(text.len() - text[label_end..].trim_start().len())
}

/// The subject of a lead-in: its words up to the first verb-like word.
pub fn subject_of(text: &str) -> String {
    let mut subject = String::new();
    let words = first_sentence(text)
        .split_whitespace()
        .take_while(|w| {
            let bare = w.trim_matches(|c: char| !c.is_alphanumeric());
            !SUBJECT_STOPS.iter().any(|s| bare.eq_ignore_ascii_case(s))
        })
        .take(6);
    for word in words {
        if !subject.is_empty() {
            subject.push(' ');
        }
        subject.push_str(word);
    }
    let kept = subject.trim_end_matches([',', ':', '.']).len();
    subject.truncate(kept);
    subject
}

fn item_like(text: &str) -> bool {
    word_count(text) <= MAX_ITEM_WORDS
        && !text.trim_end().ends_with(':')
        && !is_warning(text)
        && !has_several_sentences(text)
}

enum LeadIn {
    NewCategory(Option<&'static KnownCategory>, String),
    SubGroup,
    Continuation,
}

/// Sections the content lines.
pub fn sections(lines: &[Line]) -> Sections<'_> {
    let marked = lines.iter().any(|l| l.list_item && !is_warning(&l.text));
    let mut out = Sections {
        item_lines: vec![false; lines.len()],
        ..Sections::default()
    };
    let mut current: Option<RawCategory<'_>> = None;
    let mut read_to = 0;
    for (index, line) in lines.iter().enumerate() {
        if index < read_to {
            continue;
        }
        let text = line.text.as_str();
        if let Some(cell) = line.style.cell {
            read_to = index
                + lines[index..]
                    .iter()
                    .take_while(|l| l.style.cell.is_some_and(|c| c.table == cell.table))
                    .count();
            let cells = &lines[index..read_to];
            // A table right after a lead-in is the list it introduces; anywhere else it is text.
            let open = current
                .as_mut()
                .and_then(|c| c.groups.last_mut())
                .filter(|g| g.items.is_empty());
            match open {
                Some(group) => table_items(group, cells, index, &mut out.item_lines),
                None => {
                    out.categories.extend(current.take());
                    let texts = cells.iter().map(|l| l.text.as_str());
                    if out.categories.is_empty() {
                        out.intro.extend(texts);
                    } else {
                        out.outro.extend(texts);
                    }
                }
            }
            continue;
        }
        if is_warning(text) {
            match current.as_mut() {
                Some(category) => category.warnings.push(text),
                None => out.loose_warnings.push(text),
            }
            continue;
        }
        if marked && line.list_item {
            let (item, end) = definition_item(lines, index);
            read_to = end;
            match current.as_mut().and_then(|c| c.groups.last_mut()) {
                Some(group) => group.push(item, index..end, &mut out.item_lines),
                None if out.categories.is_empty() => out.intro.push(text),
                None => out.outro.push(text),
            }
            continue;
        }
        let next = lines.get(index + 1);
        match lead_in(text, next, marked, current.as_ref()) {
            Some(LeadIn::NewCategory(known, subject)) => {
                out.categories.extend(current.take());
                current = Some(RawCategory {
                    known,
                    subject,
                    description: Cow::Borrowed(text),
                    groups: vec![Group::new(text)],
                    warnings: Vec::new(),
                });
            }
            Some(LeadIn::SubGroup) => {
                if let Some(category) = current.as_mut() {
                    category.groups.push(Group::new(text));
                }
            }
            Some(LeadIn::Continuation) => {
                if let Some(category) = current.as_mut() {
                    append_sentence(&mut category.description, text);
                    if let Some(group) = category.groups.last_mut() {
                        append_sentence(&mut group.lead_in, text);
                    }
                }
            }
            None => {
                let open_group = current.as_mut().and_then(|c| c.groups.last_mut());
                match open_group {
                    Some(group) if !marked && item_like(text) => {
                        group.push(Cow::Borrowed(text), index..index + 1, &mut out.item_lines);
                    }
                    _ => {
                        out.categories.extend(current.take());
                        if out.categories.is_empty() {
                            out.intro.push(text);
                        } else {
                            out.outro.push(text);
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

/// The list item at `index` and the index past its lines: a definition list's term with what
/// its descriptions say of it ("Femara (letrozole), oral, once a day"), or the line alone.
fn definition_item(lines: &[Line], index: usize) -> (Cow<'_, str>, usize) {
    let text = Cow::Borrowed(lines[index].text.as_str());
    if lines[index].style.definition != Some(Definition::Term) {
        return (text, index + 1);
    }
    let descriptions = lines[index + 1..]
        .iter()
        .take_while(|l| l.style.definition == Some(Definition::Description))
        .count();
    if descriptions == 0 {
        return (text, index + 1);
    }
    let end = index + 1 + descriptions;
    let mut item = text.into_owned();
    for line in &lines[index + 1..end] {
        item.push_str(", ");
        item.push_str(&line.text);
    }
    (Cow::Owned(item), end)
}

/// A data table's body rows as the items of the group its lead-in opened; `first` is the index
/// of its first line.
fn table_items<'a>(
    group: &mut Group<'a>,
    cells: &'a [Line],
    first: usize,
    item_lines: &mut [bool],
) {
    let rows = table::rows(cells);
    let header = rows.first().filter(|row| row.header);
    for row in rows.iter().filter(|row| !row.header) {
        let text = table::item_text(header, row);
        if !text.is_empty() {
            let lines = first + row.lines.start..first + row.lines.end;
            group.push(Cow::Owned(text), lines, item_lines);
        }
    }
}

fn append_sentence(paragraph: &mut Cow<'_, str>, text: &str) {
    let paragraph = paragraph.to_mut();
    paragraph.push(' ');
    paragraph.push_str(text);
}

fn lead_in(
    text: &str,
    next: Option<&Line>,
    marked: bool,
    current: Option<&RawCategory<'_>>,
) -> Option<LeadIn> {
    let next_is_item = next.is_some_and(|n| {
        if marked {
            n.list_item
        } else {
            item_like(&n.text) || n.text.trim_end().ends_with(':')
        }
    });
    let ends_with_colon = text.trim_end().ends_with(':');
    let sentence_like = word_count(text) >= 5;
    if !(ends_with_colon || (next_is_item && sentence_like)) {
        return None;
    }
    let subject = subject_of(text);
    let known = VOCABULARY.category_for(&subject);
    let same_as_current = |k: Option<&KnownCategory>| {
        current.is_some_and(|c| c.slug().is_some() && c.slug() == k.map(|k| k.slug.as_str()))
    };
    let open_without_items =
        current.is_some_and(|c| c.groups.last().is_some_and(|g| g.items.is_empty()));
    if ends_with_colon {
        if current.is_none() {
            return Some(LeadIn::NewCategory(known, subject));
        }
        if open_without_items && known.is_none() {
            return Some(LeadIn::Continuation);
        }
        if same_as_current(known) || (known.is_none() && SUBGROUP.is_match(&subject)) {
            return Some(LeadIn::SubGroup);
        }
        return Some(LeadIn::NewCategory(known, subject));
    }
    if known.is_some() && !same_as_current(known) {
        return Some(LeadIn::NewCategory(known, subject));
    }
    None
}
