//! Extraction: a page's bytes and URL in, a [`Document`] out. A pure function: no I/O, no clock.
//!
//! The steps, each in its own module: [`decode`] the bytes, split the parsed page into [`lines`],
//! separate the [`page`] frame (navigation, stamp, boilerplate) from the content, section the
//! [`content`], build its [`blocks`] and [`html`], [`classify`] the page, and — on a treatment
//! listing only — read each treatment section's [`facts`]; drugs named anywhere are [`mentions`].

pub mod approval;
pub mod blocks;
pub mod classify;
pub mod content;
pub mod decode;
pub mod document;
pub mod facts;
pub mod html;
pub mod items;
pub mod lines;
pub mod markup;
pub mod mentions;
pub mod page;
pub mod phase;
pub mod table;
pub mod text;
pub mod vocabulary;

use std::sync::LazyLock;

use lmsdr_entity::sea_orm_active_enums::PageKind;
use regex::Regex;
use scraper::Html;
use sha2::{Digest, Sha256};
use url::Url;

pub use document::*;

use facts::Builder;
use text::sentences;

/// The version of the extraction rules. Bumped whenever a change to extraction changes what a
/// stored page states (its facts, content or kind): a page whose current revision was read by
/// an older version is read again from its stored bytes when `serve`, `sync` or `import` starts
/// ([`crate::pipeline::reread_stale`]). 2: dated items, tables, definition lists, theme chrome,
/// approvals, trial identifiers and phases.
pub const READER_VERSION: i32 = 2;

/// Why a page could not be extracted.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// Larger than [`crate::limits::MAX_PAGE_BYTES`].
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

/// Extracts one page.
pub fn extract(input: PageInput<'_>) -> Result<Document, ExtractError> {
    let decoded = decode::decode(input.bytes, input.content_type)?;
    let html = Html::parse_document(&decoded.text);
    let frame = page::frame(&html, lines::lines(&html), input.url);
    let sections = content::sections(&frame.content);

    let blocks = blocks::build(
        &frame.content,
        &sections.item_lines,
        &frame.images,
        input.url,
    );
    let main_text = blocks::normalized_text(&blocks);
    let content_hash = hex::encode(Sha256::digest(main_text.as_bytes()));
    let classification = classify::classify(frame.title.as_deref(), &sections, &blocks);

    let links = frame
        .content
        .iter()
        .flat_map(|line| line.links.iter().map(move |link| (line, link)))
        .filter_map(|(line, link)| page::link(input.url, link, Some(&line.text), page::resolve))
        .collect();

    let disclaimer = sections
        .intro
        .iter()
        .chain(&sections.outro)
        .flat_map(|p| sentences(p))
        .filter(|s| DISCLAIMER.is_match(s))
        .collect::<Vec<_>>();

    let mut builder = Builder::with_categories(classification.treatment_sections.len());
    let listing = classification.kind == PageKind::TreatmentListing;
    if listing {
        for (position, &index) in classification.treatment_sections.iter().enumerate() {
            builder.category(&sections.categories[index], position);
        }
        for warning in &sections.loose_warnings {
            builder.warning(warning, None);
        }
    }
    // The treatments' own items gave their mentions already.
    let mut read_as_treatments = vec![false; frame.content.len()];
    for &index in &classification.treatment_sections {
        for group in &sections.categories[index].groups {
            for lines in &group.item_lines {
                if let Some(read) = read_as_treatments.get_mut(lines.clone()) {
                    read.fill(true);
                }
            }
        }
    }
    for (line, _) in frame
        .content
        .iter()
        .zip(&read_as_treatments)
        .filter(|(_, read)| !**read)
    {
        for found in mentions::in_text(&line.text) {
            builder.mention(&found);
        }
    }
    let facts = builder.finish();

    let images = frame
        .images
        .iter()
        .map(|(_, image)| image.clone())
        .collect();
    Ok(Document {
        url: input.url.to_string(),
        title: frame.title,
        encoding: decoded.encoding.name().to_owned(),
        last_edited: frame.stamp,
        disclaimer: (!disclaimer.is_empty()).then(|| disclaimer.join(" ")),
        origin_note: frame.origin_note,
        canonical: frame.canonical.map(|url| url.to_string()),
        robots: frame.robots,
        navigation: frame.navigation,
        links,
        main_text,
        content_hash,
        kind: classification.kind,
        kind_reasons: classification.reasons,
        excerpt: blocks::excerpt(&blocks),
        content: Content { blocks },
        images,
        mentions: facts.mentions,
        notices: classification.notices,
        left_out_categories: classification
            .left_out
            .iter()
            .map(|&index| sections.categories[index].category_slug())
            .collect(),
        categories: facts.categories,
        drugs: facts.drugs,
        regimens: facts.regimens,
        drug_relations: facts.relations,
        warnings: facts.warnings,
        trials: facts.trials,
        unverified_names: facts.unverified,
    })
}
