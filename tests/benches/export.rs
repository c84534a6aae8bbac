//! Export benchmark: a generated 1,000-page site is imported, then `lmsdr export` (release build)
//! writes every format while its peak resident memory is read from `/proc`; then `lmsdr serve`
//! streams `/export/ndjson` and `/export/json` while its memory is watched the same way. Prints
//! time, bytes, records and peak memory for each; the targets are that memory stays flat (one
//! chunk of records in flight, not the whole export) and that no format takes much longer than
//! the others. SQLite, or the database `LMSDR_BENCH_DATABASE_URL` names.
//!
//! `just bench-export`. Not part of `cargo test`.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use lmsdr_tests::{Server, lmsdr, run};

const PAGES: usize = 1000;

/// A page of the generated site: a treatments listing with drugs, regimens and a warning, and
/// paragraphs of prose that name drugs, about 6 KB in all.
fn page(i: usize) -> String {
    let prose: String = (0..12)
        .map(|k| {
            format!(
                "<p>Paragraph {k} of page {i}. Patients asked about doxorubicin and gemcitabine \
                 at visit {k}; the team explained how trabectedin is given and what to expect \
                 over the following weeks of treatment and follow-up care.</p>"
            )
        })
        .collect();
    format!(
        "<html><head><title>Treatments {i}</title></head><body><h1>Treatments {i}</h1>\
         <p>This list is for informational purposes only and LMSdr is not recommending any of \
         these treatments.</p>\
         <p>Chemotherapy uses traditional cytotoxic drugs. First line choices for LMS are:</p>\
         <ul><li>Gem/Tax (Gemzar + Taxotere)</li><li>AIM (Adriamycin + Ifex + Mesna)</li>\
         <li>Adriamycin (doxorubicin)</li><li>Temodar (temozolomide) oral</li></ul>\
         <p>Hormonal Therapy for uterine LMS may be useful. Aromatase inhibitors are:</p>\
         <ul><li>Arimidex (anastrozole)</li><li>Femara (letrozole)</li></ul>\
         <p>Warning: Tamoxifen has been contra-indicated for uterine LMS in recent studies.</p>\
         {prose}<p>Last Edited - 1 August 2012 08:59 am</p></body></html>"
    )
}

/// Peak resident memory of a process, in KiB, from `/proc/PID/status`.
fn peak_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Waits for a child, reading its peak memory until it exits.
fn watch(mut child: Child) -> (bool, Duration, u64) {
    let started = Instant::now();
    let mut peak = 0;
    loop {
        if let Some(kib) = peak_kib(child.id()) {
            peak = peak.max(kib);
        }
        match child.try_wait().expect("wait") {
            Some(status) => return (status.success(), started.elapsed(), peak),
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = std::env::var("LMSDR_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()));
    let site = dir.path().join("site");
    std::fs::create_dir_all(&site).expect("dir");
    for i in 0..PAGES {
        std::fs::write(site.join(format!("page-{i}.html")), page(i)).expect("write");
    }
    let started = Instant::now();
    let output = run([
        "import",
        "--base-url",
        "http://bench.lmsdr.test/",
        "--database-url",
        &url,
        &site.display().to_string(),
    ]);
    assert!(
        output.status.code().is_some_and(|c| c == 0 || c == 2),
        "import: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    println!(
        "export of a generated {PAGES}-page site ({}); imported in {:.1} s",
        if url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        started.elapsed().as_secs_f64()
    );
    println!(
        "{:<22} {:>9} {:>12} {:>9} {:>14}",
        "format", "time (s)", "bytes", "records", "peak RSS (MiB)"
    );
    for format in ["ndjson", "json", "csv", "jsonld", "fhir"] {
        let out = dir.path().join(format!("out-{format}"));
        let child = lmsdr([
            "export",
            "--format",
            format,
            "--out",
            &out.display().to_string(),
            "--database-url",
            &url,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("export starts");
        let (ok, time, peak) = watch(child);
        assert!(ok, "lmsdr export --format {format} failed");
        let bytes: u64 = std::fs::read_dir(&out)
            .expect("out")
            .map(|e| e.expect("entry").metadata().expect("metadata").len())
            .sum();
        let records = if format == "ndjson" {
            std::fs::read_to_string(out.join("lmsdr-export.ndjson"))
                .expect("ndjson")
                .lines()
                .count()
                .to_string()
        } else {
            "-".to_owned()
        };
        println!(
            "{:<22} {:>9.2} {:>12} {:>9} {:>14.1}",
            format!("lmsdr export {format}"),
            time.as_secs_f64(),
            bytes,
            records,
            mib(peak)
        );
    }

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let server = Server::start(&url).await;
        let idle = peak_kib(server.pid()).unwrap_or(0);
        for path in ["/export/ndjson", "/export/json", "/export/fhir"] {
            let started = Instant::now();
            let mut response = reqwest::get(format!("{}{path}", server.base))
                .await
                .expect("answers");
            assert_eq!(response.status(), 200);
            let mut bytes = 0usize;
            while let Some(chunk) = response.chunk().await.expect("reads") {
                bytes += chunk.len();
            }
            println!(
                "{:<22} {:>9.2} {:>12} {:>9} {:>14.1}",
                format!("GET {path}"),
                started.elapsed().as_secs_f64(),
                bytes,
                "-",
                mib(peak_kib(server.pid()).unwrap_or(0))
            );
        }
        println!(
            "serve: {:.1} MiB peak before the exports (idle), {:.1} MiB after three streamed exports",
            mib(idle),
            mib(peak_kib(server.pid()).unwrap_or(0))
        );
    });
}
