//! Soak: `lmsdr serve` (release build, SQLite unless `LMSDR_SOAK_DATABASE_URL` names another
//! database) under 200 concurrent connections sending the frontend's query mix, while `lmsdr
//! sync` runs back to back against a local 200-page site whose every page changes on each run.
//! Every response body is checked (HTTP 200, `data`, no `errors`). Prints requests, failures,
//! latency percentiles, sync runs and the server's resident memory; exits 1 on any failure.
//!
//! `just soak` (2 minutes; `LMSDR_SOAK_SECONDS` to change). Not part of `cargo test`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use lmsdr_ingest::testing::site::Site;
use lmsdr_tests::{Server, binary, lmsdr, memory_mib};
use serde_json::{Value, json};

const CONNECTIONS: usize = 200;
const PAGES: usize = 200;

/// What the foundation's frontend asks, in rotation.
const QUERIES: &[&str] = &[
    "query TreatmentsByCategory { treatmentCategories { name description treatments { name \
     status firstLine drugs { genericName brandNames atcCode routes } source { excerpt } } } }",
    "{ drugs(first: 20) { totalCount edges { node { slug genericName brandNames atcCode } } } }",
    "{ search(query: \"doxorubicin\", first: 10) { totalCount edges { snippet score node { \
     __typename ... on Page { url title } ... on Drug { slug } ... on Treatment { name } } } } }",
    "{ pages(first: 20) { totalCount edges { node { url title kind lastEdited excerpt } } } }",
    "{ site { navigation { text url } pageKinds { kind count } } }",
    "{ regimens { slug name drugs { slug } } warnings { text } }",
];

fn page(i: usize, generation: u64) -> String {
    let links: String = (1..=4)
        .map(|k| (i * 4 + k) % PAGES)
        .map(|c| format!("<li><a href=\"/p/{c}.html\">Page {c}</a></li>"))
        .collect();
    format!(
        "<html><head><title>Page {i}</title></head><body><h1>Treatments {i}</h1>\
         <p>Chemotherapy uses traditional cytotoxic drugs. First line choices are:</p>\
         <ul><li>Gem/Tax (Gemzar + Taxotere)</li><li>Adriamycin (doxorubicin)</li></ul>\
         <p>Update {generation} of page {i}: doxorubicin remains a first line choice.</p>\
         <ul>{links}</ul><p>Last Edited - 1 August 2012 08:59 am</p></body></html>"
    )
}

fn publish(site: &Site, generation: u64) {
    let links: String = (0..PAGES)
        .map(|i| format!("<li><a href=\"/p/{i}.html\">Page {i}</a></li>"))
        .collect();
    site.page("/", &format!("<html><body><ul>{links}</ul></body></html>"));
    for i in 0..PAGES {
        site.page(&format!("/p/{i}.html"), &page(i, generation));
    }
}

#[derive(Default)]
struct Tally {
    latencies: Option<Histogram<u64>>,
    requests: u64,
    failures: u64,
    samples: Vec<String>,
}

/// One connection's loop: the query mix until `stop`, every body checked.
async fn client_loop(
    client: reqwest::Client,
    endpoint: String,
    offset: usize,
    stop: Arc<AtomicBool>,
) -> Tally {
    let mut tally = Tally {
        latencies: Histogram::new(3).ok(),
        ..Default::default()
    };
    let mut next = offset;
    while !stop.load(Ordering::Relaxed) {
        let query = QUERIES[next % QUERIES.len()];
        next += 1;
        let started = Instant::now();
        let outcome = async {
            let response = client
                .post(&endpoint)
                .json(&json!({ "query": query }))
                .send()
                .await
                .map_err(|e| format!("request failed: {e}"))?;
            let status = response.status();
            let body: Value = response.json().await.map_err(|e| format!("body: {e}"))?;
            if status != 200 || !body["errors"].is_null() || body["data"].is_null() {
                return Err(format!("HTTP {status}: {body}"));
            }
            Ok(())
        }
        .await;
        let micros = started.elapsed().as_micros() as u64;
        if let Some(h) = tally.latencies.as_mut() {
            let _ = h.record(micros.max(1));
        }
        tally.requests += 1;
        if let Err(why) = outcome {
            tally.failures += 1;
            if tally.samples.len() < 3 {
                tally.samples.push(why.chars().take(300).collect());
            }
        }
    }
    tally
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("LMSDR_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(120);
    println!(
        "soak: {} ({CONNECTIONS} connections, {seconds} s)",
        binary().display()
    );
    let dir = tempfile::tempdir().expect("a directory");
    let database_url = std::env::var("LMSDR_SOAK_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}?mode=rwc", dir.path().join("soak.db").display()));
    let site = Site::start().await;
    site.allow_all_robots();
    publish(&site, 0);
    let server = Server::start(&database_url).await;
    let pid = server.pid();
    let (idle_rss, _) = memory_mib(pid);

    let stop = Arc::new(AtomicBool::new(false));
    let syncs = Arc::new(AtomicU64::new(0));
    let sync_failures = Arc::new(AtomicU64::new(0));
    let sync_loop = {
        let (stop, syncs, sync_failures) = (stop.clone(), syncs.clone(), sync_failures.clone());
        let (source, database_url) = (site.url("/"), database_url.clone());
        let site = Arc::new(site);
        tokio::spawn(async move {
            let mut generation = 0;
            while !stop.load(Ordering::Relaxed) {
                generation += 1;
                publish(&site, generation);
                let mut command = lmsdr(["sync", "--source", &source, "--delay-ms", "0"]);
                command.args(["--database-url", &database_url]);
                let output = tokio::process::Command::from(command)
                    .output()
                    .await
                    .expect("lmsdr sync runs");
                syncs.fetch_add(1, Ordering::Relaxed);
                if output.status.code() != Some(0) {
                    sync_failures.fetch_add(1, Ordering::Relaxed);
                    let stderr = String::from_utf8_lossy(&output.stderr);
                    eprintln!(
                        "sync exited {:?}: {}",
                        output.status.code(),
                        stderr.lines().last().unwrap_or_default()
                    );
                }
            }
        })
    };

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .expect("a client");
    let endpoint = format!("{}/graphql", server.base);
    let started = Instant::now();
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|i| {
            tokio::spawn(client_loop(
                client.clone(),
                endpoint.clone(),
                i,
                stop.clone(),
            ))
        })
        .collect();
    let mut peak_during = 0f64;
    while started.elapsed() < Duration::from_secs(seconds) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        peak_during = peak_during.max(memory_mib(pid).0);
    }
    stop.store(true, Ordering::Relaxed);
    let mut total = Tally {
        latencies: Histogram::new(3).ok(),
        ..Default::default()
    };
    for client in clients {
        let tally = client.await.expect("a client loop");
        total.requests += tally.requests;
        total.failures += tally.failures;
        total.samples.extend(
            tally
                .samples
                .into_iter()
                .take(3 - total.samples.len().min(3)),
        );
        if let (Some(sum), Some(h)) = (total.latencies.as_mut(), tally.latencies.as_ref()) {
            let _ = sum.add(h);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let _ = sync_loop.await;
    let (_, hwm) = memory_mib(pid);
    let ms = |q: f64| {
        total
            .latencies
            .as_ref()
            .map_or(f64::NAN, |h| h.value_at_quantile(q) as f64 / 1000.0)
    };
    println!(
        "requests {} in {elapsed:.0} s ({:.0}/s), failures {}",
        total.requests,
        total.requests as f64 / elapsed,
        total.failures
    );
    println!(
        "latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(0.5),
        ms(0.9),
        ms(0.99),
        ms(1.0)
    );
    println!(
        "syncs {} ({} failed), {PAGES} pages changed on each",
        syncs.load(Ordering::Relaxed),
        sync_failures.load(Ordering::Relaxed)
    );
    println!(
        "server memory: idle {idle_rss:.0} MiB, peak {hwm:.0} MiB (sampled peak {peak_during:.0} MiB)"
    );
    for sample in &total.samples {
        println!("failure: {sample}");
    }
    drop(server);
    if total.failures > 0 || sync_failures.load(Ordering::Relaxed) > 0 {
        std::process::exit(1);
    }
}
