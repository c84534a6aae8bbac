//! The foundation's other kinds of pages, in several markups: each is classified from what it
//! says, yields its content as blocks, HTML and links, names its drugs — and never a treatment.

use lmsdr_entity::sea_orm_active_enums::PageKind;
use lmsdr_ingest::extract::{BlockKind, Document, PageInput, extract};
use url::Url;

const SITE: &[(&str, &[u8], PageKind)] = &[
    (
        "whatislms.php",
        include_bytes!("fixtures/site/whatislms.php"),
        PageKind::Article,
    ),
    (
        "faq.php",
        include_bytes!("fixtures/site/faq.php"),
        PageKind::Faq,
    ),
    (
        "news.php",
        include_bytes!("fixtures/site/news.php"),
        PageKind::News,
    ),
    (
        "donate.php",
        include_bytes!("fixtures/site/donate.php"),
        PageKind::Donation,
    ),
    (
        "events.php",
        include_bytes!("fixtures/site/events.php"),
        PageKind::Events,
    ),
    (
        "contact.php",
        include_bytes!("fixtures/site/contact.php"),
        PageKind::Contact,
    ),
    (
        "memorials.php",
        include_bytes!("fixtures/site/memorials.php"),
        PageKind::Tribute,
    ),
    (
        "index.php",
        include_bytes!("fixtures/site/index.php"),
        PageKind::Index,
    ),
];
const TREATMENTS: &[u8] = include_bytes!("../data/treatments.html");

fn page(name: &str, bytes: &[u8]) -> Document {
    let url = Url::parse(&format!("http://www.lmsdr.org/{name}")).expect("URL");
    extract(PageInput {
        url: &url,
        bytes,
        content_type: None,
    })
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn fixture(name: &str) -> Document {
    let (_, bytes, _) = SITE.iter().find(|(n, _, _)| *n == name).expect("a fixture");
    page(name, bytes)
}

fn kinds(doc: &Document) -> Vec<BlockKind> {
    doc.content.blocks.iter().map(|b| b.kind).collect()
}

#[test]
fn other_pages_are_classified_and_state_no_treatment_facts() {
    for (name, bytes, kind) in SITE {
        let doc = page(name, bytes);
        assert_eq!(doc.kind, *kind, "{name}: {:?}", doc.kind_reasons);
        assert!(!doc.kind_reasons.is_empty(), "{name}: reasons");
        assert!(doc.categories.is_empty(), "{name}: {:?}", doc.categories);
        assert!(doc.regimens.is_empty(), "{name}: regimens");
        assert!(doc.warnings.is_empty(), "{name}: warnings");
        assert!(doc.trials.is_empty(), "{name}: trials");
        assert!(doc.drug_relations.is_empty(), "{name}: relations");
        assert!(doc.drugs.iter().all(|d| !d.from_listing), "{name}: drugs");
        assert!(!doc.content.blocks.is_empty(), "{name}: blocks");
        assert!(!doc.content.html().is_empty(), "{name}: html");
        assert_eq!(doc.navigation.len(), 7, "{name}: navigation");
    }
}

#[test]
fn the_treatments_page_is_a_listing_and_the_site_has_its_facts_only() {
    let treatments = page("treatments.php", TREATMENTS);
    assert_eq!(treatments.kind, PageKind::TreatmentListing);
    let mut docs = vec![treatments];
    docs.extend(SITE.iter().map(|(n, b, _)| page(n, b)));
    let categories: usize = docs.iter().map(|d| d.categories.len()).sum();
    let treatment_count: usize = docs
        .iter()
        .flat_map(|d| &d.categories)
        .map(|c| c.treatments.len())
        .sum();
    assert_eq!((categories, treatment_count), (7, 39));
}

#[test]
fn a_statistics_list_on_a_listing_is_left_out_and_reported() {
    let html = String::from_utf8_lossy(TREATMENTS).replace(
        "<P>For more information",
        "<P>According to WebMD, the five-year survival rate for LMS looks like this:\
         <UL><LI>Localized tumors: 60%<LI>Regional spread: 36%<LI>Distant metastases: 15%</UL>\
         <P>Surgery for a recurrence may include:<UL><LI>Radiation of the tumor bed: 40%\
         <LI>Chemotherapy after surgery: 20% <LI>No treatment: 40%</UL><P>For more information",
    );
    let doc = page("treatments.php", html.as_bytes());
    assert_eq!(doc.kind, PageKind::TreatmentListing);
    let names: Vec<&str> = doc.categories.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), 7, "{names:?}");
    assert_eq!(
        doc.categories
            .iter()
            .map(|c| c.treatments.len())
            .sum::<usize>(),
        39
    );
    assert!(
        doc.notices
            .iter()
            .any(|n| n.contains("Surgery for a recurrence") && n.contains("left out")),
        "{:?}",
        doc.notices
    );
    let blocks = kinds(&doc);
    assert!(blocks.iter().filter(|k| **k == BlockKind::List).count() >= 10);
}

#[test]
fn an_faq_with_treatment_like_answers_is_reported_as_a_possible_listing() {
    let doc = fixture("faq.php");
    assert!(
        doc.notices
            .iter()
            .any(|n| n.starts_with("possible treatment listing not read as one")),
        "{:?}",
        doc.notices
    );
    let drugs: Vec<&str> = doc.drugs.iter().map(|d| d.slug.as_str()).collect();
    assert_eq!(drugs, ["gemcitabine", "docetaxel", "doxorubicin"]);
}

#[test]
fn legacy_markup_comes_out_as_headings_paragraphs_and_lists() {
    let doc = fixture("whatislms.php");
    assert_eq!(
        kinds(&doc),
        [
            BlockKind::Heading,
            BlockKind::Paragraph,
            BlockKind::Image,
            BlockKind::Heading,
            BlockKind::Paragraph,
            BlockKind::Paragraph,
            BlockKind::List,
            BlockKind::Paragraph,
        ]
    );
    let blocks = &doc.content.blocks;
    assert_eq!(blocks[0].text, "What is Leiomyosarcoma?");
    assert_eq!(blocks[0].level, Some(3));
    assert_eq!(
        blocks[6].items,
        [
            "Localized tumors: 60%",
            "Regional spread: 36%",
            "Distant metastases: 15%",
            "All stages combined: 39%"
        ]
    );
    assert_eq!(
        blocks[2].src.as_deref(),
        Some("http://www.lmsdr.org/images/smooth-muscle.jpg")
    );
    assert_eq!(doc.images.len(), 1, "the banner is chrome, not content");
    // Text bullets with <br>, and a bold line as a heading.
    let donate = fixture("donate.php");
    assert_eq!(
        kinds(&donate),
        [
            BlockKind::Heading,
            BlockKind::Paragraph,
            BlockKind::List,
            BlockKind::Paragraph
        ]
    );
    assert_eq!(donate.content.blocks[2].items.len(), 4);
    // A data table and a quotation.
    let events = fixture("events.php");
    let table = events
        .content
        .blocks
        .iter()
        .find(|b| b.kind == BlockKind::Table)
        .expect("a table");
    assert!(table.header_row);
    assert_eq!(table.rows[0], ["Date", "Event", "Raised"]);
    assert_eq!(table.rows.len(), 3);
    assert!(events.content.html().contains("<th>Date</th>"));
    let tribute = fixture("memorials.php");
    assert!(kinds(&tribute).contains(&BlockKind::Quote));
}

#[test]
fn links_are_absolute_and_mentions_name_their_sentence() {
    let doc = fixture("whatislms.php");
    let links: Vec<(&str, bool)> = doc
        .links
        .iter()
        .map(|l| (l.url.as_str(), l.external))
        .collect();
    assert_eq!(
        links,
        [
            ("http://www.lmsdr.org/treatments.php", false),
            ("http://www.cancer.gov/types/soft-tissue-sarcoma", true),
            ("http://www.lmsdr.org/oldpage.php", false),
        ]
    );
    assert!(
        doc.content
            .html()
            .contains("<a href=\"http://www.lmsdr.org/treatments.php\" rel=\"noopener noreferrer\">treatments page</a>")
    );
    assert_eq!(doc.mentions.len(), 1);
    let mention = &doc.mentions[0];
    assert_eq!(mention.drug, "doxorubicin");
    assert_eq!(mention.name_as_written, "Doxorubicin (Adriamycin)");
    assert!(
        mention
            .sentence
            .starts_with("Doxorubicin (Adriamycin) is often")
    );
    assert!(
        doc.excerpt
            .as_deref()
            .is_some_and(|e| e.starts_with("Leiomyosarcoma (LMS) is a rare"))
    );

    let news = fixture("news.php");
    let named: Vec<(&str, bool)> = news
        .drugs
        .iter()
        .map(|d| (d.slug.as_str(), d.verified))
        .collect();
    assert_eq!(
        named,
        [
            ("pazopanib", true),
            ("trabectedin", true),
            ("ombrabulin", false)
        ]
    );
    assert!(news.unverified_names.contains(&"ombrabulin".to_owned()));
}

#[test]
fn words_that_are_not_drugs_name_none() {
    for name in ["donate.php", "memorials.php", "events.php", "contact.php"] {
        let doc = fixture(name);
        assert!(doc.drugs.is_empty(), "{name}: {:?}", doc.drugs);
        assert!(doc.mentions.is_empty(), "{name}");
    }
    let doc = page(
        "x.php",
        b"<p>Gem/Tax (Gemzar + Taxotere) is one choice. Your tax-deductible gift is a gem.</p>",
    );
    let named: Vec<&str> = doc
        .mentions
        .iter()
        .map(|m| m.name_as_written.as_str())
        .collect();
    assert_eq!(named, ["Gemzar", "Taxotere"]);
}

#[test]
fn hostile_markup_is_sanitized() {
    let doc = page(
        "hostile.php",
        br#"<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>
        <table width=760><tr><td><p onclick="steal()">Click <a href="javascript:alert(2)">here</a>
        and <a href="/safe.php" onmouseover="x()">there</a>.</p>
        <p><font size=2 color=red>Styled text</font> <img src="x.png" onerror="alert(3)" alt="An x"></p>
        <p><a href="data:text/html,boom">data</a> <a href="mailto:info@lmsdr.org">mail</a></p>
        </td></tr></table></body></html>"#,
    );
    let html = &doc.content.html();
    for banned in [
        "<script",
        "<style",
        "onclick",
        "onmouseover",
        "onerror",
        "javascript:",
        "<font",
        "<table",
        "data:text",
    ] {
        assert!(!html.contains(banned), "{banned} in {html}");
    }
    assert!(
        html.contains("<a href=\"http://www.lmsdr.org/safe.php\""),
        "{html}"
    );
    assert!(html.contains("<a href=\"mailto:info@lmsdr.org\""), "{html}");
    assert!(
        html.contains("<img src=\"http://www.lmsdr.org/x.png\" alt=\"An x\">"),
        "{html}"
    );
    assert!(html.contains("Styled text"));
}
