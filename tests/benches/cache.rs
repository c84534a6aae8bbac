//! The response cache, measured: `lmsdr serve` (release build, SQLite) under wrk on loopback,
//! 2 threads and 64 connections, for `/healthz` (the floor: what the HTTP stack alone does), the
//! Playground's treatments-by-category query with the cache on, and the same query on a second
//! server over the same database with it off. Prints requests/s, p50 and p99 side by side and
//! the ratios to the floor. Needs `wrk` on the PATH.
//!
//! `just bench-cache` (10 s a run; `LMSDR_BENCH_SECONDS` to change). Not part of `cargo test`.

use std::process::Command;

use lmsdr_tests::Server;
use serde_json::json;

const QUERY: &str = "{treatmentCategories{name treatments{name status drugs{genericName brandNames atcCode} regimen{name drugs{genericName}}}}}";

/// What wrk measured.
struct Run {
    requests_per_second: f64,
    p50: String,
    p99: String,
    errors: String,
}

fn wrk(url: &str, script: Option<&std::path::Path>, seconds: u64) -> Run {
    let mut command = Command::new("wrk");
    command.args(["-t2", "-c64", &format!("-d{seconds}s"), "--latency"]);
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    let output = command
        .arg(url)
        .output()
        .expect("wrk runs (apt-get install wrk)");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "wrk failed: {text}");
    let field = |prefix: &str| {
        text.lines()
            .find_map(|line| {
                line.trim()
                    .strip_prefix(prefix)
                    .map(|v| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    Run {
        requests_per_second: field("Requests/sec:").parse().unwrap_or(0.0),
        p50: field("50%"),
        p99: field("99%"),
        errors: [field("Non-2xx or 3xx responses:"), field("Socket errors:")]
            .into_iter()
            .filter(|e| !e.is_empty())
            .collect::<Vec<_>>()
            .join("; "),
    }
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("LMSDR_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let dir = tempfile::tempdir().expect("tempdir");
    let database_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let cached = Server::start_with(&database_url, &["--cache", "on", "--metrics", "off"]).await;
    let uncached = Server::start_with(&database_url, &["--cache", "off", "--metrics", "off"]).await;

    let body = json!({ "query": QUERY }).to_string();
    let script = dir.path().join("query.lua");
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = {}\nwrk.headers[\"Content-Type\"] = \"application/json\"\n",
            serde_json::to_string(&body).expect("a Lua string")
        ),
    )
    .expect("script");
    // Each answer checked once before it is measured.
    for server in [&cached, &uncached] {
        let answer = server.graphql(&json!({ "query": QUERY }), None).await;
        assert!(
            answer["errors"].is_null() && answer["data"]["treatmentCategories"].is_array(),
            "{answer}"
        );
    }

    let runs = [
        (
            "/healthz (floor)",
            wrk(&format!("{}/healthz", cached.base), None, seconds),
        ),
        (
            "query, cache on",
            wrk(&format!("{}/graphql", cached.base), Some(&script), seconds),
        ),
        (
            "query, cache off",
            wrk(
                &format!("{}/graphql", uncached.base),
                Some(&script),
                seconds,
            ),
        ),
    ];
    let floor = runs[0].1.requests_per_second;
    println!("wrk on loopback, 2 threads, 64 connections, {seconds} s each; SQLite; release build");
    println!(
        "{:<18} {:>12} {:>10} {:>10} {:>9}  errors",
        "target", "requests/s", "p50", "p99", "/ floor"
    );
    for (name, run) in &runs {
        println!(
            "{:<18} {:>12.0} {:>10} {:>10} {:>9.3}  {}",
            name,
            run.requests_per_second,
            run.p50,
            run.p99,
            run.requests_per_second / floor,
            if run.errors.is_empty() {
                "none"
            } else {
                &run.errors
            }
        );
    }
    println!(
        "cached / uncached: {:.1}x",
        runs[1].1.requests_per_second / runs[2].1.requests_per_second
    );
}
