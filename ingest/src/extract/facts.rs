//! The facts of a treatment listing's sections — categories, treatments, drugs, regimens,
//! relations, warnings and trial references — and the drugs any page names, merged by slug.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::LazyLock;

use lmsdr_entity::sea_orm_active_enums::{DrugNameKind, TreatmentStatus, WarningKind};
use regex::Regex;

use super::approval::approval;
use super::content::{self, RawCategory};
use super::document::{
    Category, Drug, DrugMention, DrugName, DrugRelation, PageMention, Regimen, Treatment,
    TrialReference, Warning,
};
use super::items::{self, DrugRef, ItemFacts, Mention};
use super::mentions::Found;
use super::phase::trial_phase;
use super::text::{contains_ignore_case, last_sentence, slugify};
use super::vocabulary::VOCABULARY;

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

/// Collects facts across categories, merging drugs by slug.
#[derive(Default)]
pub struct Builder {
    categories: Vec<Category>,
    drugs: Vec<Drug>,
    regimens: Vec<Regimen>,
    /// The slugs in `regimens`, for a lookup that does not grow with the page.
    regimen_slugs: HashSet<String>,
    relations: Vec<DrugRelation>,
    warnings: Vec<Warning>,
    trials: Vec<TrialReference>,
    unverified: BTreeSet<String>,
    mentions: Vec<PageMention>,
    /// The (drug, sentence) pairs in `mentions`.
    mentioned: HashSet<(String, String)>,
}

/// What a page states, once every section and sentence is read.
#[derive(Debug, Default)]
pub struct Facts {
    /// Treatment categories in page order.
    pub categories: Vec<Category>,
    /// Every drug named, by slug.
    pub drugs: Vec<Drug>,
    /// Combination regimens.
    pub regimens: Vec<Regimen>,
    /// Relations stated between drugs.
    pub relations: Vec<DrugRelation>,
    /// Warnings.
    pub warnings: Vec<Warning>,
    /// Trial references.
    pub trials: Vec<TrialReference>,
    /// Drug-like names the vocabulary lacks.
    pub unverified: Vec<String>,
    /// Every sentence naming a drug.
    pub mentions: Vec<PageMention>,
}

impl Builder {
    /// A builder with room for a page's categories.
    pub fn with_categories(count: usize) -> Self {
        let mut builder = Self::default();
        builder.categories.reserve(count);
        builder
    }

    /// Everything read.
    pub fn finish(self) -> Facts {
        Facts {
            categories: self.categories,
            drugs: self.drugs,
            regimens: self.regimens,
            relations: self.relations,
            warnings: self.warnings,
            trials: self.trials,
            unverified: self.unverified.into_iter().collect(),
            mentions: self.mentions,
        }
    }

    /// Records a sentence naming a drug, anywhere on the page.
    pub fn mention(&mut self, found: &Found) {
        if let DrugRef::Unknown {
            generic,
            brand,
            code,
            ..
        } = &found.drug
        {
            self.unverified.insert(generic.clone());
            self.unverified.extend(brand.iter().chain(code).cloned());
        }
        let slug = self.drug(&found.drug, &found.sentence, false);
        self.note_mention(slug, &found.name_as_written, &found.sentence);
    }

    fn note_mention(&mut self, drug: String, name_as_written: &str, sentence: &str) {
        if self.mentioned.insert((drug.clone(), sentence.to_owned())) {
            self.mentions.push(PageMention {
                drug,
                name_as_written: name_as_written.to_owned(),
                sentence: sentence.to_owned(),
            });
        }
    }

    /// Reads one treatment section into a category, its `index` among the page's categories.
    pub fn category(&mut self, raw: &RawCategory<'_>, index: usize) {
        let slug = raw.category_slug();
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
        let mut slugs = SlugCounter::default();
        for group in &raw.groups {
            let first_line = FIRST_LINE.is_match(last_sentence(&group.lead_in));
            for item in &group.items {
                let facts = items::analyze(item, drug_context);
                let status = if facts.in_trial {
                    TreatmentStatus::InTrial
                } else if investigational {
                    TreatmentStatus::Investigational
                } else {
                    TreatmentStatus::Standard
                };
                let position = treatments.len() as i32 + 1;
                let treatment =
                    self.treatment(item, facts, &slug, &mut slugs, position, status, first_line);
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
    #[allow(
        clippy::too_many_arguments,
        reason = "one call site, every argument distinct"
    )]
    fn treatment(
        &mut self,
        item: &str,
        facts: ItemFacts,
        category: &str,
        slugs: &mut SlugCounter,
        position: i32,
        status: TreatmentStatus,
        first_line: bool,
    ) -> Treatment {
        let slug = slugs.unique(treatment_slug(&facts));
        let in_trial = status == TreatmentStatus::InTrial || facts.trial.is_some();
        let drugs = self.drug_mentions(facts.mentions, item, in_trial);
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
            position,
            regimen,
            drugs,
            approval: approval(item),
            trial_phase: trial_phase(item),
            source: item.to_owned(),
        }
    }

    /// Records the drugs of an item's mentions and returns the mentions by slug.
    fn drug_mentions(
        &mut self,
        mentions: Vec<Mention>,
        source: &str,
        in_trial: bool,
    ) -> Vec<DrugMention> {
        mentions
            .into_iter()
            .map(|m| {
                let slug = self.drug(&m.drug, source, true);
                if in_trial && let Some(drug) = self.drugs.iter_mut().find(|d| d.slug == slug) {
                    drug.in_trial = true;
                }
                self.note_mention(slug.clone(), &m.name_as_written, source);
                DrugMention {
                    drug: slug,
                    name_as_written: m.name_as_written,
                    route: m.route,
                }
            })
            .collect()
    }

    /// Adds a drug once, returning its slug. `from_listing` says a treatment or warning of a
    /// listing names it, not only a sentence.
    fn drug(&mut self, drug: &DrugRef, source: &str, from_listing: bool) -> String {
        let slug = drug.slug().to_owned();
        if let Some(known) = self.drugs.iter_mut().find(|d| d.slug == slug) {
            known.from_listing |= from_listing;
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
                withdrawn: k.withdrawn.clone(),
                verified: true,
                in_trial: false,
                from_listing,
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
                    withdrawn: None,
                    verified: false,
                    in_trial: false,
                    from_listing,
                    source: source.to_owned(),
                }
            }
        };
        self.drugs.push(record);
        slug
    }

    /// Reads a warning line, within a category or not.
    pub fn warning(&mut self, line: &str, category: Option<&str>) {
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
            .map(|m| self.drug(&DrugRef::Known(m.drug), line, true));
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

/// The slugs given to one category's treatments: a repeated slug gets `-2`, `-3` … in constant
/// time however many siblings share it.
#[derive(Default)]
struct SlugCounter {
    taken: HashSet<String>,
    next: HashMap<String, u32>,
}

impl SlugCounter {
    /// `slug`, or `slug-2`, `slug-3` … when a sibling already has it.
    fn unique(&mut self, slug: String) -> String {
        if self.taken.insert(slug.clone()) {
            return slug;
        }
        let next = self.next.entry(slug.clone()).or_insert(2);
        loop {
            let candidate = format!("{slug}-{next}");
            *next += 1;
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_slugs_get_numbers() {
        let mut slugs = SlugCounter::default();
        let got: Vec<String> = ["a", "a", "a-2", "a", "b"]
            .into_iter()
            .map(|s| slugs.unique(s.to_owned()))
            .collect();
        assert_eq!(got, ["a", "a-2", "a-2-2", "a-3", "b"]);
    }

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
