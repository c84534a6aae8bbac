//! `just bench`: lmsdr side by side with PostGraphile, in one run on loopback with `wrk`
//! (2 threads, 64 connections, POST), every body checked for `errors` first:
//!
//! 1. the floor, lmsdr's own `/healthz` (what the HTTP stack alone does);
//! 2. the Playground's treatments-by-category query, cache on (SQLite);
//! 3. the same, cache off (SQLite);
//! 4. PostGraphile 4.14.1 (installed from npm into `target/bench/postgraphile`) over the same data
//!    in PostgreSQL, with the equivalent query;
//! 5. lmsdr on that same PostgreSQL database, cache off.
//!
//! Prints requests/s, p50 and p99, the servers' resident memory (after their run, and lmsdr's
//! after 200 concurrent connections), the SQL statements one query makes, and the ratios 2/1,
//! 3/1 and 5/4 against the targets. Needs `wrk`, `npm` and PostgreSQL (`LMSDR_BENCH_POSTGRES`, or
//! `TEST_DATABASE_URL`, or `postgres://postgres@127.0.0.1:5432/postgres`, where a database of its
//! own is made and dropped). `LMSDR_BENCH_SECONDS` sets each run's length (default 10). Not part
//! of `cargo test`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lmsdr_tests::{Server, TestDb, memory_mib, post_graphql};
use serde_json::{Value, json};

/// The Playground's example: categories, their treatments, each treatment's drugs with brand
/// names and ATC code, each regimen's drugs.
const QUERY: &str = "{treatmentCategories{name treatments{name status drugs{genericName brandNames atcCode} regimen{name drugs{genericName}}}}}";

/// The same for PostGraphile over lmsdr's tables: what is listed now, in the page's order.
const POSTGRAPHILE_QUERY: &str = "{allTreatmentCategories(orderBy:POSITION_ASC,condition:{delistedAt:null}){nodes{name treatmentsByCategoryId(orderBy:POSITION_ASC,condition:{delistedAt:null}){nodes{name status treatmentDrugsByTreatmentId(orderBy:POSITION_ASC,condition:{delistedAt:null}){nodes{drugByDrugId{genericName atcCode drugNamesByDrugId(condition:{kind:\"brand\"},orderBy:ID_ASC){nodes{name}}}}} regimenByRegimenId{name regimenDrugsByRegimenId(orderBy:POSITION_ASC,condition:{delistedAt:null}){nodes{drugByDrugId{genericName}}}}}}}}}";

const POSTGRAPHILE: &str = "postgraphile@4.14.1";

/// The frontends' main queries, whose SQL statements per request the bench prints.
const MAIN_QUERIES: [(&str, &str); 4] = [
    ("treatments by category", QUERY),
    (
        "drugs with their treatments",
        "{drugs(first:50){nodes{genericName brandNames atcCode rxcui routes treatments{name category{name}} regimens{name} warnings{text}}}}",
    ),
    (
        "a page with its revisions",
        "{page(url:\"/treatments.php\"){title kind excerpt content{text} links{url} revisions(first:10){nodes{number fetchedAt origin}}}}",
    ),
    (
        "search",
        "{search(query:\"doxorubicin\",first:10){totalCount edges{snippet node{__typename ... on Drug{genericName} ... on Treatment{name} ... on Page{url}}}}}",
    ),
];

/// What wrk measured.
struct Run {
    requests_per_second: f64,
    p50: String,
    p99: String,
    errors: String,
}

fn wrk(url: &str, script: Option<&Path>, connections: u32, seconds: u64) -> Run {
    let mut command = Command::new("wrk");
    command.args([
        "-t2",
        &format!("-c{connections}"),
        &format!("-d{seconds}s"),
        "--latency",
    ]);
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

/// A wrk script that POSTs `query` as JSON.
fn script(dir: &Path, name: &str, query: &str) -> PathBuf {
    let body = json!({ "query": query }).to_string();
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "wrk.method = \"POST\"\nwrk.body = {}\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.headers[\"Accept\"] = \"application/json\"\n",
            serde_json::to_string(&body).expect("a Lua string")
        ),
    )
    .expect("script");
    path
}

/// POSTs a query and checks its answer has data and no `errors`; the number of treatments.
async fn check(url: &str, query: &str, treatments: impl Fn(&Value) -> usize) -> usize {
    let answer = post_graphql(url, &json!({ "query": query }), None).await;
    assert!(
        answer.get("errors").is_none() && !answer["data"].is_null(),
        "{url}: {answer}"
    );
    treatments(&answer["data"])
}

fn lmsdr_treatments(data: &Value) -> usize {
    data["treatmentCategories"].as_array().map_or(0, |c| {
        c.iter()
            .map(|c| c["treatments"].as_array().map_or(0, Vec::len))
            .sum()
    })
}

fn postgraphile_treatments(data: &Value) -> usize {
    data["allTreatmentCategories"]["nodes"]
        .as_array()
        .map_or(0, |c| {
            c.iter()
                .map(|c| {
                    c["treatmentsByCategoryId"]["nodes"]
                        .as_array()
                        .map_or(0, Vec::len)
                })
                .sum()
        })
}

/// SQL statements one query makes: `lmsdr_db_statements_total` before and after ten of it.
async fn statements_per_query(server: &Server, query: &str) -> f64 {
    let client = reqwest::Client::new();
    let read = || async {
        let text = client
            .get(format!("{}/metrics", server.base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        text.lines()
            .find_map(|l| l.strip_prefix("lmsdr_db_statements_total "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let before = read().await;
    for _ in 0..10 {
        check(&format!("{}/graphql", server.base), query, |_| 0).await;
    }
    (read().await - before) / 10.0
}

/// PostGraphile 4, installed into a folder of its own on first use, serving `database_url`.
struct PostGraphile {
    child: Child,
    base: String,
}

impl PostGraphile {
    async fn start(database_url: &str) -> PostGraphile {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench/postgraphile");
        let cli = dir.join("node_modules/postgraphile/cli.js");
        if !cli.exists() {
            std::fs::create_dir_all(&dir).expect("a folder for PostGraphile");
            let installed = Command::new("npm")
                .args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    "--prefix",
                ])
                .arg(&dir)
                .arg(POSTGRAPHILE)
                .status()
                .expect("npm runs");
            assert!(installed.success(), "npm install {POSTGRAPHILE}");
        }
        let port = lmsdr_tests::free_port();
        let child = Command::new("node")
            .arg(&cli)
            .args(["-c", database_url, "--host", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .args(["--disable-graphiql", "--disable-query-log"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("PostGraphile starts");
        let graphile = PostGraphile {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = reqwest::Client::new();
        loop {
            let answer = client
                .post(format!("{}/graphql", graphile.base))
                .json(&json!({ "query": "{__typename}" }))
                .send()
                .await;
            if answer.is_ok_and(|r| r.status().is_success()) {
                return graphile;
            }
            assert!(Instant::now() < deadline, "PostGraphile did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for PostGraphile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `url` without TLS (`sslmode=disable`).
fn plain_tcp(url: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}sslmode=disable")
}

fn postgres_admin_url() -> String {
    std::env::var("LMSDR_BENCH_POSTGRES")
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("LMSDR_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    // Declared first, dropped last: after every server that connects to it.
    let postgres = TestDb::postgres(&postgres_admin_url()).await;

    let cached = Server::start_with(&sqlite, &["--cache", "on", "--metrics", "off"]).await;
    let uncached = Server::start_with(&sqlite, &["--cache", "off", "--metrics", "off"]).await;
    // Over plain TCP, as PostGraphile connects by default: on loopback, TLS would only measure
    // the encryption of one of the two.
    let plain = plain_tcp(&postgres.url);
    // The servers measured uncached found their database filled, as a replica does: the cached
    // one loaded the bundled page into SQLite, and this one, stopped at once, into PostgreSQL
    // (loading leaves some 15 MiB with the allocator: the cached server's memory shows it).
    drop(Server::start_with(&plain, &["--metrics", "off"]).await);
    let on_postgres = Server::start_with(&plain, &["--cache", "off", "--metrics", "off"]).await;
    let graphile = PostGraphile::start(&postgres.url).await;

    let lmsdr_script = script(dir.path(), "lmsdr.lua", QUERY);
    let graphile_script = script(dir.path(), "postgraphile.lua", POSTGRAPHILE_QUERY);
    // Every body checked before it is measured; both servers list the same treatments.
    let mut listed = Vec::new();
    for server in [&cached, &uncached, &on_postgres] {
        listed.push(check(&format!("{}/graphql", server.base), QUERY, lmsdr_treatments).await);
    }
    let graphile_url = format!("{}/graphql", graphile.base);
    listed.push(check(&graphile_url, POSTGRAPHILE_QUERY, postgraphile_treatments).await);
    assert!(
        listed.iter().all(|n| *n == listed[0] && *n > 0),
        "the answers list different treatments: {listed:?}"
    );

    let graphql = |server: &Server| format!("{}/graphql", server.base);
    let runs = [
        (
            "1 /healthz (floor)",
            wrk(&format!("{}/healthz", cached.base), None, 64, seconds),
            cached.pid(),
        ),
        (
            "2 cache on, SQLite",
            wrk(&graphql(&cached), Some(&lmsdr_script), 64, seconds),
            cached.pid(),
        ),
        (
            "3 cache off, SQLite",
            wrk(&graphql(&uncached), Some(&lmsdr_script), 64, seconds),
            uncached.pid(),
        ),
        (
            "4 PostGraphile 4.14.1",
            wrk(&graphile_url, Some(&graphile_script), 64, seconds),
            graphile.child.id(),
        ),
        (
            "5 cache off, PostgreSQL",
            wrk(&graphql(&on_postgres), Some(&lmsdr_script), 64, seconds),
            on_postgres.pid(),
        ),
    ];
    let mut rows = Vec::new();
    for (name, run, pid) in &runs {
        rows.push((name, run, memory_mib(*pid)));
    }
    // Memory after 200 connections at once on the uncached query.
    let wide = [
        (
            "SQLite",
            wrk(
                &graphql(&uncached),
                Some(&lmsdr_script),
                200,
                seconds.min(5),
            ),
            uncached.pid(),
        ),
        (
            "PostgreSQL",
            wrk(
                &graphql(&on_postgres),
                Some(&lmsdr_script),
                200,
                seconds.min(5),
            ),
            on_postgres.pid(),
        ),
    ];

    println!(
        "wrk on loopback, 2 threads, 64 connections, {seconds} s a run; release build; {} treatments per answer",
        listed[0]
    );
    println!(
        "{:<26} {:>11} {:>10} {:>10} {:>9} {:>9}  errors",
        "target", "requests/s", "p50", "p99", "RSS MiB", "peak MiB"
    );
    for (name, run, (rss, peak)) in &rows {
        println!(
            "{:<26} {:>11.0} {:>10} {:>10} {:>9.1} {:>9.1}  {}",
            name,
            run.requests_per_second,
            run.p50,
            run.p99,
            rss,
            peak,
            if run.errors.is_empty() {
                "none"
            } else {
                &run.errors
            }
        );
    }
    for (name, run, pid) in &wide {
        let (rss, peak) = memory_mib(*pid);
        println!(
            "lmsdr on {name}, 200 connections: {:.0} requests/s, p99 {}, resident {rss:.1} MiB (peak {peak:.1}; target under 64){}",
            run.requests_per_second,
            run.p99,
            if run.errors.is_empty() {
                String::new()
            } else {
                format!("; errors: {}", run.errors)
            }
        );
    }
    let rps = |i: usize| rows[i].1.requests_per_second;
    println!(
        "ratio 2/1 (cache on / floor):             {:.3}",
        rps(1) / rps(0)
    );
    println!(
        "ratio 3/1 (cache off, SQLite / floor):    {:.3}  (target at least 0.05)",
        rps(2) / rps(0)
    );
    println!(
        "ratio 5/4 (lmsdr, PostgreSQL / PostGraphile): {:.2}  (target at least 3)",
        rps(4) / rps(3)
    );

    // Statements per query, counted by servers with metrics on.
    println!("SQL statements per request (cache off):");
    let sqlite_counted = Server::start_with(&sqlite, &["--cache", "off"]).await;
    let postgres_counted = Server::start_with(&postgres.url, &["--cache", "off"]).await;
    for (name, query) in MAIN_QUERIES {
        println!(
            "  {name:<28} SQLite {:>5.1}   PostgreSQL {:>5.1}",
            statements_per_query(&sqlite_counted, query).await,
            statements_per_query(&postgres_counted, query).await
        );
    }
}
