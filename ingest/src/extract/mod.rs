//! Extraction: a page's bytes and URL in, a [`Document`] out. A pure function: no I/O, no clock.
//!
//! The steps, each in its own module: [`decode`] the bytes, split the parsed page into [`lines`],
//! separate the [`page`] frame (navigation, stamp, boilerplate) from the content, section the
//! [`content`] into categories, and read each item's drugs and regimens ([`items`]).

pub mod content;
pub mod decode;
pub mod document;
pub mod items;
pub mod lines;
pub mod page;
pub mod text;
pub mod vocabulary;

use std::collections::{BTreeSet, HashSet};
use std::sync::LazyLock;

use lmsdr_entity::sea_orm_active_enums::{DrugNameKind, TreatmentStatus, WarningKind};
use regex::Regex;
use scraper::Html;
use sha2::{Digest, Sha256};
use url::Url;

pub use decode::MAX_PAGE_BYTES;
pub use document::*;

use content::RawCategory;
use items::{DrugRef, ItemFacts, Mention};
use text::{contains_ignore_case, last_sentence, sentences, slugify};
use vocabulary::VOCABULARY;

/// Why a page could not be extracted.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// Larger than [`MAX_PAGE_BYTES`].
    #[error("page is too large: {size} bytes, the limit is {limit}")]
    TooLarge {
        /// The page's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not an HTML page.
    #[error("not an HTML page: {0}")]
    NotHtml(String),
}

/// A page to extract.
#[derive(Debug, Clone, Copy)]
pub struct PageInput<'a> {
    /// Where the page lives (or lived).
    pub url: &'a Url,
    /// Its raw bytes.
    pub bytes: &'a [u8],
    /// The `Content-Type` it was served with, if known.
    pub content_type: Option<&'a str>,
}

static DISCLAIMER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)informational purposes|not recommending|not an endorsement|should be made by the patient|consult (?:your|a) (?:physician|doctor)|not (?:intended as )?medical advice")
        .expect("valid")
});
static INVESTIGATIONAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:experimental|investigational|early stages? of investigation|under investigation)(?-u:\b)")
        .expect("valid")
});
static FIRST_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(?-u:\b)first[- ]line(?-u:\b)").expect("valid"));
static DRUG_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:drugs?|agents?|chemo[a-z]*|inhibitors?|blockers?|medications?|medicines?)(?-u:\b)")
        .expect("valid")
});
static POPULATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)for\s+((?:[a-z-]+\s+){0,3}?(?:LMS|leiomyosarcoma|women|men|patients|children|adults))(?-u:\b)")
        .expect("valid")
});
/// What introduces the population a warning applies to; the population runs from there to the
/// first [`WARNING_POPULATION_END`].
static WARNING_POPULATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:contra-?indicated|not recommended|should not be used|avoid(?:ed)?)\s+(?:for|in)\s+")
        .expect("valid")
});
static WARNING_POPULATION_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\s+in\s+recent\s+stud(?:y|ies)|\s+(?:because|due|by|since)(?-u:\b)|[.;,]")
        .expect("valid")
});
static MENOPAUSAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(post|pre|peri)[\s-]+menopausal(?-u:\b)").expect("valid")
});

/// Extracts one page.
pub fn extract(input: PageInput<'_>) -> Result<Document, ExtractError> {
    let decoded = decode::decode(input.bytes, input.content_type)?;
    let html = Html::parse_document(&decoded.text);
    let frame = page::frame(&html, lines::lines(&html), input.url);
    let sections = content::sections(&frame.content);

    let main_text = normalized_text(&sections);
    let content_hash = hex::encode(Sha256::digest(main_text.as_bytes()));

    let links = frame
        .content
        .iter()
        .flat_map(|line| line.links.iter().map(move |link| (line, link)))
        .filter_map(|(line, link)| {
            let url = page::resolve(input.url, &link.href)?;
            Some(Link {
                text: link.text.clone(),
                external: page::is_external(input.url, &url),
                url: url.to_string(),
                context: Some(line.text.clone()),
            })
        })
        .collect();

    let disclaimer = sections
        .intro
        .iter()
        .chain(&sections.outro)
        .flat_map(|p| sentences(p))
        .filter(|s| DISCLAIMER.is_match(s))
        .collect::<Vec<_>>();

    let mut builder = Builder::default();
    builder.categories.reserve(sections.categories.len());
    for (index, raw) in sections.categories.iter().enumerate() {
        builder.category(raw, index);
    }
    for warning in &sections.loose_warnings {
        builder.warning(warning, None);
    }

    Ok(Document {
        url: input.url.to_string(),
        title: frame.title,
        encoding: decoded.encoding.name().to_owned(),
        last_edited: frame.stamp,
        disclaimer: (!disclaimer.is_empty()).then(|| disclaimer.join(" ")),
        origin_note: frame.origin_note,
        navigation: frame.navigation,
        links,
        main_text,
        content_hash,
        categories: builder.categories,
        drugs: builder.drugs,
        regimens: builder.regimens,
        drug_relations: builder.relations,
        warnings: builder.warnings,
        trials: builder.trials,
        unverified_names: builder.unverified.into_iter().collect(),
    })
}

/// Collects facts across categories, merging drugs by slug.
#[derive(Default)]
struct Builder {
    categories: Vec<Category>,
    drugs: Vec<Drug>,
    regimens: Vec<Regimen>,
    /// The slugs in `regimens`, for a lookup that does not grow with the page.
    regimen_slugs: HashSet<String>,
    relations: Vec<DrugRelation>,
    warnings: Vec<Warning>,
    trials: Vec<TrialReference>,
    unverified: BTreeSet<String>,
}

impl Builder {
    fn category(&mut self, raw: &RawCategory<'_>, index: usize) {
        let slug = raw
            .known
            .map_or_else(|| slugify(&raw.subject, 80), |k| k.slug.clone());
        let name = raw
            .known
            .map_or_else(|| raw.subject.clone(), |k| k.name.clone());
        let investigational = INVESTIGATIONAL.is_match(&raw.description);
        let drug_context = DRUG_CONTEXT.is_match(&raw.description);
        let mut scope = Vec::new();
        for group in &raw.groups {
            if !contains_ignore_case(&group.lead_in, "for ") {
                continue;
            }
            for found in POPULATION.find_iter(&group.lead_in) {
                // The match is "for", white space, then the population: no capture needed.
                let named = found.as_str()["for".len()..].trim_start();
                let population = if contains_ignore_case(named, "menopausal") {
                    MENOPAUSAL
                        .replace_all(named, |m: &regex::Captures<'_>| {
                            format!("{}-menopausal", m[1].to_lowercase())
                        })
                        .into_owned()
                } else {
                    named.to_owned()
                };
                if !population.eq_ignore_ascii_case("lms") && !scope.contains(&population) {
                    scope.push(population);
                }
            }
        }
        let mut treatments: Vec<Treatment> =
            Vec::with_capacity(raw.groups.iter().map(|g| g.items.len()).sum());
        for group in &raw.groups {
            let first_line = FIRST_LINE.is_match(last_sentence(&group.lead_in));
            for &item in &group.items {
                let facts = items::analyze(item, drug_context);
                let status = if facts.in_trial {
                    TreatmentStatus::InTrial
                } else if investigational {
                    TreatmentStatus::Investigational
                } else {
                    TreatmentStatus::Standard
                };
                let treatment = self.treatment(item, facts, &slug, &treatments, status, first_line);
                treatments.push(treatment);
            }
        }
        for warning in &raw.warnings {
            self.warning(warning, Some(&slug));
        }
        let description = raw.description.to_string();
        self.categories.push(Category {
            slug,
            name,
            source: description.clone(),
            description,
            scope,
            position: index as i32 + 1,
            treatments,
        });
    }

    /// Reads one list item into a treatment, recording its drugs, regimen, relations and trial.
    fn treatment(
        &mut self,
        item: &str,
        facts: ItemFacts,
        category: &str,
        siblings: &[Treatment],
        status: TreatmentStatus,
        first_line: bool,
    ) -> Treatment {
        let slug = unique_slug(treatment_slug(&facts), siblings);
        let in_trial = status == TreatmentStatus::InTrial || facts.trial.is_some();
        let drugs = self.mentions(facts.mentions, item, in_trial);
        let regimen = facts.regimen.map(|r| {
            let regimen_slug = slugify(&r.name, 80);
            if self.regimen_slugs.insert(regimen_slug.clone()) {
                self.regimens.push(Regimen {
                    slug: regimen_slug.clone(),
                    name: r.name,
                    components: r.components,
                    first_line,
                    drugs: drugs.clone(),
                    source: item.to_owned(),
                });
            }
            regimen_slug
        });
        for &(a, b, kind) in &facts.relations {
            if let (Some(a), Some(b)) = (drugs.get(a), drugs.get(b)) {
                self.relations.push(DrugRelation {
                    drug: a.drug.clone(),
                    related: b.drug.clone(),
                    kind,
                    source: item.to_owned(),
                });
            }
        }
        if let Some((label, code)) = facts.trial {
            let drug = VOCABULARY
                .lookup(&code)
                .map(|(d, _)| d.slug.clone())
                .or_else(|| drugs.first().map(|m| m.drug.clone()));
            self.trials.push(TrialReference {
                slug: slugify(&label, 120),
                label,
                code: Some(code),
                drug,
                treatment: Some((category.to_owned(), slug.clone())),
                source: item.to_owned(),
            });
        }
        self.unverified.extend(facts.unverified);
        Treatment {
            slug,
            name: facts.name,
            status,
            first_line,
            position: siblings.len() as i32 + 1,
            regimen,
            drugs,
            source: item.to_owned(),
        }
    }

    /// Records the drugs of an item's mentions and returns the mentions by slug.
    fn mentions(
        &mut self,
        mentions: Vec<Mention>,
        source: &str,
        in_trial: bool,
    ) -> Vec<DrugMention> {
        mentions
            .into_iter()
            .map(|m| {
                let slug = self.drug(&m.drug, source);
                if in_trial && let Some(drug) = self.drugs.iter_mut().find(|d| d.slug == slug) {
                    drug.in_trial = true;
                }
                DrugMention {
                    drug: slug,
                    name_as_written: m.name_as_written,
                    route: m.route,
                }
            })
            .collect()
    }

    /// Adds a drug once, returning its slug.
    fn drug(&mut self, drug: &DrugRef, source: &str) -> String {
        let slug = drug.slug().to_owned();
        if self.drugs.iter().any(|d| d.slug == slug) {
            return slug;
        }
        let record = match drug {
            DrugRef::Known(k) => Drug {
                slug: slug.clone(),
                generic_name: k.generic.clone(),
                names: k
                    .names()
                    .into_iter()
                    .map(|(name, kind)| DrugName { name, kind })
                    .collect(),
                drug_class: k.class.clone(),
                atc_code: k.atc.clone(),
                atc_code_previous: k.atc_previous.clone(),
                rxcui: k.rxcui.clone(),
                verified: true,
                in_trial: false,
                source: source.to_owned(),
            },
            DrugRef::Unknown {
                generic,
                brand,
                code,
                ..
            } => {
                let mut names = vec![DrugName {
                    name: generic.clone(),
                    kind: if code.is_some() {
                        DrugNameKind::CodeName
                    } else {
                        DrugNameKind::Generic
                    },
                }];
                if let Some(brand) = brand {
                    names.push(DrugName {
                        name: brand.clone(),
                        kind: DrugNameKind::Brand,
                    });
                }
                Drug {
                    slug: slug.clone(),
                    generic_name: generic.clone(),
                    names,
                    drug_class: None,
                    atc_code: None,
                    atc_code_previous: None,
                    rxcui: None,
                    verified: false,
                    in_trial: false,
                    source: source.to_owned(),
                }
            }
        };
        self.drugs.push(record);
        slug
    }

    fn warning(&mut self, line: &str, category: Option<&str>) {
        let label = content::warning_label_len(line).unwrap_or(0);
        let text = line[label..].trim().to_owned();
        let kind = if contains_ignore_case(&text, "contra") {
            WarningKind::Contraindication
        } else {
            WarningKind::Caution
        };
        let population = warning_population(&text);
        let drug = VOCABULARY
            .find_names(&text)
            .next()
            .map(|m| self.drug(&DrugRef::Known(m.drug), line));
        let subject = drug
            .clone()
            .or_else(|| category.map(str::to_owned))
            .unwrap_or_else(|| "page".to_owned());
        let kind_word = match kind {
            WarningKind::Contraindication => "contraindication",
            WarningKind::Caution => "caution",
        };
        let slug = slugify(
            &format!(
                "{subject} {kind_word} {}",
                population.as_deref().unwrap_or("")
            ),
            150,
        );
        if self.warnings.iter().any(|w| w.slug == slug) {
            return;
        }
        self.warnings.push(Warning {
            slug,
            kind,
            text,
            population,
            drug,
            category: category.map(str::to_owned),
            source: line.to_owned(),
        });
    }
}

/// The population a warning applies to: what follows "contra-indicated for" (and the like) up to
/// the end of its clause, at least one character long.
fn warning_population(text: &str) -> Option<String> {
    let start = WARNING_POPULATION.find(text)?.end();
    let first = text[start..].chars().next()?;
    let end = WARNING_POPULATION_END
        .find_at(text, start + first.len_utf8())
        .map_or(text.len(), |m| m.start());
    Some(text[start..end].trim().to_owned())
}

/// The main content as the extractor understood it, one paragraph or item per line, list items
/// marked "• ". The same content in any markup gives the same text (and so the same hash).
fn normalized_text(sections: &content::Sections<'_>) -> String {
    let mut text = String::new();
    let mut line = |part: &str, item: bool| {
        if !text.is_empty() {
            text.push('\n');
        }
        if item {
            text.push_str("• ");
        }
        text.push_str(part);
    };
    for paragraph in &sections.intro {
        line(paragraph, false);
    }
    for category in &sections.categories {
        for group in &category.groups {
            line(&group.lead_in, false);
            for item in &group.items {
                line(item, true);
            }
        }
        for warning in &category.warnings {
            line(warning, false);
        }
    }
    for paragraph in sections.outro.iter().chain(&sections.loose_warnings) {
        line(paragraph, false);
    }
    text
}

/// A treatment's slug: its regimen's name, the generic names it mentions, or its own words.
fn treatment_slug(facts: &ItemFacts) -> String {
    if let Some(regimen) = &facts.regimen {
        return slugify(&regimen.name, 80);
    }
    if !facts.mentions.is_empty() && facts.trial.is_none() {
        let mut slugs = String::new();
        for mention in &facts.mentions {
            if !slugs.is_empty() {
                slugs.push(' ');
            }
            slugs.push_str(mention.drug.slug());
        }
        return slugify(&slugs, 80);
    }
    slugify(&facts.name, 80)
}

/// `slug`, or `slug-2`, `slug-3` … when a sibling already has it.
fn unique_slug(slug: String, siblings: &[Treatment]) -> String {
    let taken = |candidate: &str| siblings.iter().any(|t| t.slug == candidate);
    if !taken(&slug) {
        return slug;
    }
    (2..)
        .map(|n| format!("{slug}-{n}"))
        .find(|candidate| !taken(candidate))
        .unwrap_or(slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The single pattern `warning_population` replaces: the population as its first capture.
    static WARNING_POPULATION_CAPTURE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?:contra-?indicated|not recommended|should not be used|avoid(?:ed)?)\s+(?:for|in)\s+(.+?)(?:\s+in\s+recent\s+stud(?:y|ies)|\s+(?:because|due|by|since)(?-u:\b)|[.;,]|$)")
            .expect("valid")
    });

    #[test]
    fn warning_populations_end_with_their_clause() {
        assert_eq!(
            warning_population(
                "Tamoxifen has been contra-indicated for uterine LMS in recent studies."
            )
            .as_deref(),
            Some("uterine LMS")
        );
        assert_eq!(
            warning_population("Avoid in children because of growth effects").as_deref(),
            Some("children")
        );
        assert_eq!(
            warning_population("Not recommended for patients bypassing surgery").as_deref(),
            Some("patients bypassing surgery")
        );
        assert_eq!(warning_population("Use with care."), None);
    }

    proptest::proptest! {
        #[test]
        fn warning_populations_match_the_single_pattern(
            words in proptest::collection::vec(
                proptest::sample::select(&[
                    "contra-indicated", "contraindicated", "not recommended", "avoid", "avoided",
                    "should not be used", "for", "in", "uterine", "LMS", "because", "due", "by",
                    "bypass", "since", "recent", "study", "studies", ".", ",", ";", "women", "é",
                ][..]),
                0..12,
            ),
        ) {
            let text = words.join(" ");
            let expected = WARNING_POPULATION_CAPTURE
                .captures(&text)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().trim().to_owned());
            proptest::prop_assert_eq!(warning_population(&text), expected);
        }
    }
}
