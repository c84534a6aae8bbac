//! Sync over a generated site served locally: the first sync, a no-change resync (target: at
//! least 10x cheaper, thanks to 304s) and peak memory (target: flat as the site grows — 1,000
//! against 5,000 pages). Each size runs in a child process of its own, so peak RSS is its own.
//!
//! Run with `just bench-sync` (or `cargo bench -p lmsdr-ingest --bench sync`). It runs on the
//! allocator the `lmsdr` binary ships with (mimalloc).

use std::process::Command;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lmsdr_ingest::sync::{self, Quiet, SyncOptions};
use lmsdr_ingest::testing::TestDb;
use lmsdr_ingest::testing::site::serve_on_loopback;
use url::Url;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const FAN_OUT: usize = 10;

/// Page `i` links to its children `i*10+1 ..= i*10+10`, so a crawl from page 0 reaches them all.
fn page(i: usize, total: usize) -> String {
    let links: String = (i * FAN_OUT + 1..=i * FAN_OUT + FAN_OUT)
        .filter(|c| *c < total)
        .map(|c| format!("<li><a href=\"/p/{c}\">Page {c}</a></li>"))
        .collect();
    format!(
        "<html><head><title>Page {i}</title></head><body><p>Page {i} of the generated site: \
         Chemotherapy uses traditional cytotoxic drugs. First line choices are:</p>\
         <ul><li>Gem/Tax (Gemzar + Taxotere)</li><li>Adriamycin (doxorubicin)</li></ul>\
         <ul>{links}</ul><p>Last Edited - 1 August 2012 08:59 am</p></body></html>"
    )
}

async fn serve(total: usize) -> String {
    let app = Router::new()
        .route(
            "/p/{i}",
            get(move |Path(i): Path<usize>, headers: HeaderMap| async move {
                if i >= total {
                    return StatusCode::NOT_FOUND.into_response();
                }
                let etag = format!("\"v1-{i}\"");
                if headers
                    .get(header::IF_NONE_MATCH)
                    .and_then(|v| v.to_str().ok())
                    == Some(&etag)
                {
                    return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
                }
                let response: Response = (
                    [
                        (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
                        (header::ETAG, etag),
                    ],
                    page(i, total),
                )
                    .into_response();
                response
            }),
        )
        .fallback(|| async { StatusCode::NOT_FOUND });
    serve_on_loopback(app).await
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn child(total: usize) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let base = serve(total).await;
        let db = TestDb::sqlite().await;
        let mut options = SyncOptions::new(Url::parse(&format!("{base}/p/0")).expect("url"));
        options.delay = Duration::ZERO;
        options.concurrency = 4;
        options.max_pages = total + 10;
        let started = Instant::now();
        let first = sync::run(&db.conn, &db.url, &options, &Quiet)
            .await
            .expect("first sync");
        let first_time = started.elapsed();
        let started = Instant::now();
        let again = sync::run(&db.conn, &db.url, &options, &Quiet)
            .await
            .expect("resync");
        let again_time = started.elapsed();
        assert_eq!(first.counts.changed as usize, total, "every page stored");
        assert_eq!(
            again.counts.not_modified as usize, total,
            "every page a 304"
        );
        println!(
            "{total} {} {} {}",
            first_time.as_millis(),
            again_time.as_millis(),
            peak_rss_kib()
        );
    });
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--child") {
        let total = args
            .get(at + 1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(1000);
        child(total);
        return;
    }
    let exe = std::env::current_exe().expect("own path");
    println!("sync of a generated site on SQLite (fan-out {FAN_OUT}, no delay, concurrency 4)");
    let mut rows = Vec::new();
    for total in [1000usize, 5000] {
        let output = Command::new(&exe)
            .args(["--child", &total.to_string()])
            .output()
            .expect("child runs");
        let text = String::from_utf8_lossy(&output.stdout);
        let numbers: Vec<u64> = text
            .lines()
            .last()
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        let [pages, first, again, rss] = numbers[..] else {
            panic!(
                "child failed: {}{}",
                text,
                String::from_utf8_lossy(&output.stderr)
            );
        };
        println!(
            "  {pages:>5} pages: first sync {first:>7} ms ({:.2} ms/page), no-change resync {again:>6} ms, \
             resync {:.1}x cheaper (target >= 10x), peak RSS {:.1} MiB",
            first as f64 / pages as f64,
            first as f64 / again.max(1) as f64,
            rss as f64 / 1024.0
        );
        rows.push((pages, rss));
    }
    if let [(small, small_rss), (large, large_rss)] = rows[..] {
        println!(
            "  peak memory {large} vs {small} pages: {:.2}x for {:.0}x the pages (target: flat)",
            large_rss as f64 / small_rss.max(1) as f64,
            large as f64 / small as f64
        );
    }
}
