//! What kind of page a page is, from what its text says — never from its URL.
//!
//! A page is a treatment listing only when at least two of its sections are lead-ins naming a
//! treatment modality followed by items that read as treatments (drugs, regimens, procedures),
//! and that evidence outweighs what says it is another kind of page (questions, dates, amounts,
//! tributes, contact details, links). When the evidence is weak the page is not a listing, and
//! what looked like treatments is reported instead: a missed listing can be fixed, an invented
//! treatment is the worst bug there is. Each kind keeps its reasons, in plain words.

mod reading;

use lmsdr_entity::sea_orm_active_enums::PageKind;

use super::content::Sections;
use super::document::{Block, BlockKind};
use super::text::{contains_ignore_case, stands_alone, word_count};
use reading::{LEAD_IN_TERMS, SectionReading, Signals, read_section, says_any, speaks_of};

/// A page's kind, why, and which of its sections are treatment categories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// The kind.
    pub kind: PageKind,
    /// The evidence, one sentence each.
    pub reasons: Vec<String>,
    /// Indexes into the sections' categories that are about treatments (empty unless a listing).
    pub treatment_sections: Vec<usize>,
    /// What a person should look at: a possible listing not read as one, a section left out.
    pub notices: Vec<String>,
    /// Indexes into the sections' categories that read partly as treatments but were left out.
    pub left_out: Vec<usize>,
}

/// Evidence for one kind: a score and its reasons.
#[derive(Default)]
struct Evidence {
    score: f32,
    reasons: Vec<String>,
}

impl Evidence {
    fn add(&mut self, points: f32, reason: impl Into<String>) {
        self.score += points;
        self.reasons.push(reason.into());
    }
}

/// The evidence for each kind, in the order it was first found.
#[derive(Default)]
struct Scores(Vec<(PageKind, Evidence)>);

impl Scores {
    fn of(&mut self, kind: PageKind) -> &mut Evidence {
        let at = match self.0.iter().position(|(k, _)| *k == kind) {
            Some(at) => at,
            None => {
                self.0.push((kind, Evidence::default()));
                self.0.len() - 1
            }
        };
        &mut self.0[at].1
    }
}

/// Title words that name a kind of page.
const TITLE_WORDS: &[(PageKind, &[&str])] = &[
    (PageKind::Faq, &["faq", "frequently asked", "questions"]),
    (
        PageKind::News,
        &["news", "press", "announcement", "newsletter", "ealert"],
    ),
    (
        PageKind::Events,
        &["event", "events", "calendar", "fundraiser", "fundraisers"],
    ),
    (
        PageKind::Donation,
        &[
            "donate",
            "donation",
            "donations",
            "give",
            "giving",
            "how to help",
        ],
    ),
    (
        PageKind::Tribute,
        &["memorial", "memorials", "tribute", "tributes", "in memory"],
    ),
    (PageKind::Contact, &["contact"]),
    (PageKind::Index, &["home", "welcome", "site map", "sitemap"]),
    (
        PageKind::TreatmentListing,
        &["treatment", "treatments", "therapies"],
    ),
];

fn title_names(title: &str, words: &[&str]) -> Option<String> {
    words
        .iter()
        .find(|w| {
            let lower = title.to_ascii_lowercase();
            lower
                .match_indices(*w)
                .any(|(at, _)| stands_alone(&lower, at, at + w.len()))
        })
        .map(|w| (*w).to_owned())
}

/// Classifies a page from its title, sections and blocks.
pub fn classify(title: Option<&str>, sections: &Sections<'_>, blocks: &[Block]) -> Classification {
    let readings: Vec<SectionReading> = sections.categories.iter().map(read_section).collect();
    let texts: Vec<&str> = blocks
        .iter()
        .flat_map(|b| {
            if b.kind == BlockKind::List {
                b.items.iter().map(String::as_str).collect::<Vec<_>>()
            } else {
                vec![b.text.as_str()]
            }
        })
        .collect();
    let signals: Vec<Signals> = texts.iter().map(|t| Signals::of(t)).collect();
    let count = |signal: fn(&Signals) -> bool| signals.iter().filter(|s| signal(s)).count();
    let mut evidence = Scores::default();
    if let Some(title) = title {
        for (kind, words) in TITLE_WORDS {
            if let Some(word) = title_names(title, words) {
                evidence
                    .of(*kind)
                    .add(3.0, format!("the title says \"{word}\""));
            }
        }
    }

    // Treatment listing: modality lead-ins with treatment items.
    let strong: Vec<usize> = readings
        .iter()
        .enumerate()
        .filter(|(_, r)| r.about_treatments && r.known)
        .map(|(i, _)| i)
        .collect();
    if !strong.is_empty() {
        let names: Vec<String> = strong
            .iter()
            .map(|&i| sections.categories[i].subject.clone())
            .collect();
        evidence.of(PageKind::TreatmentListing).add(
            2.0 * strong.len() as f32,
            format!(
                "{} lead-in(s) name a treatment modality and introduce items that read as treatments ({})",
                strong.len(),
                names.join(", ")
            ),
        );
    }
    if sections
        .intro
        .iter()
        .any(|p| says_any(&LEAD_IN_TERMS, p) && contains_ignore_case(p, "list"))
    {
        evidence
            .of(PageKind::TreatmentListing)
            .add(1.0, "the introduction says it lists treatments");
    }

    let questions = blocks
        .iter()
        .filter(|b| matches!(b.kind, BlockKind::Heading | BlockKind::Paragraph))
        .filter(|b| b.text.trim_end().ends_with('?'))
        .count();
    if questions >= 2 {
        evidence.of(PageKind::Faq).add(
            1.0 + questions as f32 / 2.0,
            format!("{questions} headings or paragraphs are questions"),
        );
    }
    let dates = count(|s| s.date);
    let weekdays = count(|s| s.weekday_or_time);
    if weekdays >= 2 {
        evidence.of(PageKind::Events).add(
            1.0 + weekdays as f32,
            format!("{weekdays} lines give a weekday or a time of day"),
        );
    } else if dates >= 2 {
        evidence
            .of(PageKind::News)
            .add(dates as f32, format!("{dates} lines are dated"));
    }
    let money = count(|s| s.money);
    if money >= 2 {
        evidence
            .of(PageKind::Donation)
            .add(money as f32, format!("{money} lines give amounts of money"));
    }
    let mut giving = 0;
    let mut tributes = 0;
    for text in &texts {
        let (gift, tribute) = speaks_of(text);
        giving += usize::from(gift);
        tributes += usize::from(tribute);
    }
    if giving >= 2 {
        evidence
            .of(PageKind::Donation)
            .add(1.0, format!("{giving} lines speak of gifts or donations"));
    }
    if tributes >= 1 {
        evidence.of(PageKind::Tribute).add(
            tributes as f32,
            format!("{tributes} lines speak of tributes or memory"),
        );
    }
    let contact = count(|s| s.contact);
    let words: usize = texts.iter().map(|t| word_count(t)).sum();
    if contact >= 1 && words <= 300 {
        evidence.of(PageKind::Contact).add(
            2.0,
            format!("{contact} lines give an e-mail address, a telephone number or a post box"),
        );
    }
    let (linked, letters) = link_letters(blocks);
    let links: usize = blocks.iter().map(|b| b.links.len()).sum();
    if links >= 5 && linked * 2 >= letters {
        evidence.of(PageKind::Index).add(
            3.0,
            format!(
                "most of its text ({}%) is links to other pages",
                linked * 100 / letters.max(1)
            ),
        );
    }
    let long_paragraphs = blocks
        .iter()
        .filter(|b| b.kind == BlockKind::Paragraph && word_count(&b.text) >= 12)
        .count();
    if long_paragraphs >= 2 {
        evidence.of(PageKind::Article).add(
            1.0 + long_paragraphs.min(4) as f32,
            format!("{long_paragraphs} paragraphs of prose"),
        );
    }

    decide(evidence.0, &readings, &strong, sections)
}

/// Letters inside links and letters in all, over the blocks.
fn link_letters(blocks: &[Block]) -> (usize, usize) {
    let letters = |s: &str| {
        if s.is_ascii() {
            s.bytes().filter(u8::is_ascii_alphanumeric).count()
        } else {
            s.chars().filter(|c| c.is_alphanumeric()).count()
        }
    };
    let total = blocks.iter().map(|b| letters(&b.text)).sum();
    let linked = blocks
        .iter()
        .flat_map(|b| &b.links)
        .map(|l| letters(&l.text))
        .sum();
    (linked, total)
}

fn decide(
    mut evidence: Vec<(PageKind, Evidence)>,
    readings: &[SectionReading],
    strong: &[usize],
    sections: &Sections<'_>,
) -> Classification {
    // The strongest kind; a tie goes to the kind listed first, a listing last of all.
    evidence.sort_by(|a, b| {
        let listing = |k: &PageKind| *k == PageKind::TreatmentListing;
        b.1.score
            .total_cmp(&a.1.score)
            .then(listing(&a.0).cmp(&listing(&b.0)))
    });
    let listing_evidence = evidence
        .iter()
        .find(|(k, _)| *k == PageKind::TreatmentListing)
        .map_or(0.0, |(_, e)| e.score);
    let best = evidence
        .iter()
        .find(|(k, e)| e.score >= 2.0 && (*k != PageKind::TreatmentListing || strong.len() >= 2));
    let Some((kind, winner)) = best else {
        let mut classification = Classification {
            kind: PageKind::Other,
            reasons: vec!["too little text to tell what kind of page it is".to_owned()],
            treatment_sections: Vec::new(),
            notices: Vec::new(),
            left_out: Vec::new(),
        };
        missed_listing(
            &mut classification,
            strong,
            sections,
            "the evidence is too weak",
        );
        return classification;
    };
    let kind = *kind;
    let mut classification = Classification {
        kind,
        reasons: winner.reasons.clone(),
        treatment_sections: Vec::new(),
        notices: Vec::new(),
        left_out: Vec::new(),
    };
    if kind != PageKind::TreatmentListing {
        if listing_evidence > 0.0 {
            let why = format!(
                "it reads more as {} ({})",
                kind_name(kind),
                winner.reasons.join("; ")
            );
            missed_listing(&mut classification, strong, sections, &why);
        }
        return classification;
    }
    for (index, (reading, category)) in readings.iter().zip(&sections.categories).enumerate() {
        if reading.about_treatments {
            classification.treatment_sections.push(index);
        } else if reading.items > 0 && reading.treatment_like > 0 {
            classification.left_out.push(index);
            classification.notices.push(format!(
                "section \"{}\" was left out of the treatments: {} of its {} items read as treatments, {} as statistics, amounts, dates or questions{}",
                short(&category.description),
                reading.treatment_like,
                reading.items,
                reading.other,
                if reading.known { "" } else { ", and its lead-in names no treatment modality" },
            ));
        }
    }
    classification
}

/// The start of a lead-in, to name its section in a notice.
fn short(text: &str) -> String {
    const MAX: usize = 60;
    if text.len() <= MAX {
        return text.to_owned();
    }
    let mut cut = MAX;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", text[..cut].trim_end())
}

fn missed_listing(
    classification: &mut Classification,
    strong: &[usize],
    sections: &Sections<'_>,
    why: &str,
) {
    if strong.is_empty() {
        return;
    }
    let names: Vec<&str> = strong
        .iter()
        .map(|&i| sections.categories[i].subject.as_str())
        .collect();
    classification.notices.push(format!(
        "possible treatment listing not read as one: {} section(s) read like treatment lists ({}), but {why}; no treatments were taken from it",
        names.len(),
        names.join(", ")
    ));
}

fn kind_name(kind: PageKind) -> &'static str {
    match kind {
        PageKind::TreatmentListing => "a treatment listing",
        PageKind::Article => "an article",
        PageKind::Faq => "an FAQ",
        PageKind::News => "a news page",
        PageKind::Events => "an events page",
        PageKind::Donation => "a donation page",
        PageKind::Tribute => "a tribute page",
        PageKind::Contact => "a contact page",
        PageKind::Index => "an index of links",
        PageKind::Other => "another kind of page",
    }
}
