//! Extraction against a bare `scraper::Html::parse_document` of the same bytes, on the seed page
//! and on a generated 1 MB page. Target: extraction costs at most 2x the bare parse.
//!
//! Prints criterion's figures, then the ratios. Both sides run on the allocator the `lmsdr`
//! binary ships with (mimalloc), as extraction does in `lmsdr import`, `sync` and `serve`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use lmsdr_ingest::bundled::TREATMENTS_HTML;
use lmsdr_ingest::extract::{PageInput, extract};
use url::Url;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const HTML5: &str = include_str!("../tests/fixtures/treatments/html5.html");

/// A page of about `size` bytes: the seed page's sections repeated, each with its own subject.
fn large_page(size: usize) -> Vec<u8> {
    let start = HTML5.find("<section>").unwrap_or(0);
    let end = HTML5
        .rfind("</section>")
        .map_or(HTML5.len(), |e| e + "</section>".len());
    let (head, sections, tail) = (&HTML5[..start], &HTML5[start..end], &HTML5[end..]);
    let mut page = String::from(head);
    let mut n = 0;
    while page.len() + sections.len() + tail.len() < size {
        page.push_str(&sections.replace("<li>", &format!("<li>Variant {n}: ")));
        n += 1;
    }
    page.push_str(tail);
    page.into_bytes()
}

fn bare_parse(bytes: &[u8]) -> scraper::Html {
    let text = String::from_utf8_lossy(bytes);
    scraper::Html::parse_document(&text)
}

fn run_extract(url: &Url, bytes: &[u8]) {
    let doc = extract(PageInput {
        url,
        bytes,
        content_type: None,
    });
    black_box(doc.is_ok());
}

fn pages() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("seed", TREATMENTS_HTML.to_vec()),
        ("1MB", large_page(1024 * 1024)),
    ]
}

fn benches(c: &mut Criterion) {
    let url = Url::parse("http://www.lmsdr.org/treatments.php").expect("url");
    for (name, bytes) in pages() {
        let mut group = c.benchmark_group(name);
        group.sample_size(if bytes.len() > 100_000 { 20 } else { 100 });
        group.bench_function("bare_parse", |b| b.iter(|| black_box(bare_parse(&bytes))));
        group.bench_function("extract", |b| b.iter(|| run_extract(&url, &bytes)));
        group.finish();
    }
}

/// Median wall time of `f` over enough runs to fill about a second.
fn median(mut f: impl FnMut()) -> Duration {
    let mut times = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(1);
    while times.len() < 5 || (Instant::now() < deadline && times.len() < 500) {
        let start = Instant::now();
        f();
        times.push(start.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

fn ratios() {
    let url = Url::parse("http://www.lmsdr.org/treatments.php").expect("url");
    println!("\nextraction / bare parse (target: at most 2.00x)");
    for (name, bytes) in pages() {
        let parse = median(|| {
            black_box(bare_parse(&bytes));
        });
        let full = median(|| run_extract(&url, &bytes));
        println!(
            "  {name:>4} ({:>8} bytes): parse {:>10.3?}  extract {:>10.3?}  ratio {:.2}x",
            bytes.len(),
            parse,
            full,
            full.as_secs_f64() / parse.as_secs_f64()
        );
    }
}

criterion_group!(extraction, benches);

fn main() {
    extraction();
    Criterion::default().configure_from_args().final_summary();
    ratios();
}
