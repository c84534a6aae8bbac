//! Hostile pages: deep nesting, thousands of identical items, a page over its time budget. Each
//! is read on the blocking threads `serve` uses (2 MiB stacks), without a crash, in time.

use std::collections::HashSet;
use std::time::Duration;

use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;
use lmsdr_ingest::pipeline::{self, Input, PipelineError};
use url::Url;

const TREATMENTS: &str = include_str!("fixtures/treatments/html5.html");

fn input(html: String) -> Input {
    let url = Url::parse("http://www.lmsdr.org/treatments.php").expect("url");
    Input {
        content_type: Some("text/html; charset=utf-8".to_owned()),
        ..Input::new(url, html.into_bytes(), RevisionOrigin::Import)
    }
}

#[tokio::test]
async fn two_hundred_thousand_nested_elements_are_read_without_overflowing_a_worker_stack() {
    let depth = 200_000;
    let html = format!(
        "<html><body><p>About LMS.</p>{}deep{}</body></html>",
        "<span>".repeat(depth),
        "</span>".repeat(depth)
    );
    let read = pipeline::read(input(html)).await.expect("read");
    assert!(read.document.main_text.contains("deep"));
}

#[tokio::test]
async fn four_thousand_identical_items_are_read_at_once_and_not_served_as_treatments() {
    let items = "  <li>Straight fields</li>\n".repeat(4_000);
    let html = TREATMENTS.replacen("  <li>Straight fields</li>\n", &items, 1);
    let read = pipeline::read(input(html)).await.expect("read");
    let document = &read.document;
    // A list that is one item four thousand times is no list of treatments: the section is
    // left out and reported, the page's other categories stay.
    assert!(
        !document
            .categories
            .iter()
            .any(|c| c.slug.starts_with("radiation"))
    );
    assert_eq!(document.categories.len(), 6);
    assert!(
        document
            .notices
            .iter()
            .any(|n| n.contains("Radiation") && n.contains("4004 items")),
        "{:?}",
        document.notices
    );
    let slugs: HashSet<(&str, &str)> = document
        .categories
        .iter()
        .flat_map(|c| {
            c.treatments
                .iter()
                .map(move |t| (c.slug.as_str(), t.slug.as_str()))
        })
        .collect();
    let treatments: usize = document.categories.iter().map(|c| c.treatments.len()).sum();
    assert_eq!(slugs.len(), treatments, "every slug is unique");
}

#[tokio::test]
async fn a_page_over_its_budget_is_an_error_not_a_stall() {
    let big = TREATMENTS.replace(
        "<li>Straight fields</li>",
        &"<li>Straight fields</li>".repeat(20_000),
    );
    match pipeline::read_within(input(big), Duration::ZERO).await {
        Err(PipelineError::TooSlow(budget)) => assert_eq!(budget, Duration::ZERO),
        other => panic!(
            "expected over budget, got {:?}",
            other.map(|r| r.document.url)
        ),
    }
}
