//! The `lmsdr` binary, run for real.

use lmsdr_tests::{Server, TestDb, keys_not_camel_case, lmsdr, run};

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn migrate_status_on_new_databases() {
    for db in TestDb::all_unmigrated().await {
        let output = run(["migrate", "status", "--database-url", &db.url]);
        assert!(
            output.status.success(),
            "{}: {}",
            db.backend(),
            stderr(&output)
        );
        let lines: Vec<String> = stdout(&output).lines().map(str::to_owned).collect();
        let migrations =
            <lmsdr_migration::Migrator as lmsdr_migration::MigratorTrait>::migrations();
        assert_eq!(lines.len(), migrations.len(), "{}", stdout(&output));
        assert!(lines.iter().all(|l| l.starts_with("pending ")));
        assert!(lines[0].ends_with("m20261129_000001_create_sync_runs"));

        let output = run(["migrate", "up", "--database-url", &db.url]);
        assert!(output.status.success(), "{}", stderr(&output));
        let output = run(["migrate", "status", "--database-url", &db.url]);
        assert!(stdout(&output).lines().all(|l| l.starts_with("applied ")));
    }
}

#[test]
fn bad_database_urls_give_one_clear_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let unwritable = format!(
        "sqlite://{}/missing-dir/x.db?mode=rwc",
        dir.path().display()
    );
    for (url, expected) in [
        ("mysql://root@localhost/x", "unsupported database URL"),
        ("postgres://postgres@127.0.0.1:1/x", "Connection refused"),
        (unwritable.as_str(), "unable to open database file"),
    ] {
        for command in ["serve", "import", "migrate"] {
            let mut args = vec![command, "--database-url", url];
            if command == "import" {
                args.push(".");
            }
            let output = run(&args);
            let err = stderr(&output);
            assert_eq!(output.status.code(), Some(1), "{command} {url}: {err}");
            assert_eq!(err.lines().count(), 1, "{command} {url}: {err}");
            assert!(err.starts_with("error: "), "{err}");
            assert!(err.contains(expected), "{command} {url}: {err}");
            assert!(!err.contains("panicked") && !err.contains("backtrace"));
        }
    }
}

#[tokio::test]
async fn export_writes_whole_files_and_replaces_old_ones() {
    for db in TestDb::all().await {
        lmsdr_ingest::bundled::load_if_empty(&db.conn)
            .await
            .expect("bundled page");
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("exports");
        let out_arg = out.display().to_string();
        std::fs::create_dir_all(&out).expect("dir");
        std::fs::write(out.join("drugs.csv"), "stale").expect("write");

        for format in ["json", "ndjson", "csv"] {
            let output = run([
                "export",
                "--format",
                format,
                "--out",
                &out_arg,
                "--database-url",
                &db.url,
            ]);
            assert!(output.status.success(), "{format}: {}", stderr(&output));
            assert!(
                stdout(&output).contains("content generation"),
                "{}",
                stdout(&output)
            );
        }
        let json: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.join("lmsdr-export.json")).expect("the JSON file"),
        )
        .expect("JSON");
        assert_eq!(
            json["drugs"].as_array().map(Vec::len),
            Some(13),
            "{}",
            db.backend()
        );
        let ndjson = std::fs::read_to_string(out.join("lmsdr-export.ndjson")).expect("NDJSON");
        assert_eq!(
            ndjson
                .lines()
                .filter(|l| l.contains(r#""type":"drug""#))
                .count(),
            13
        );
        let drugs = std::fs::read_to_string(out.join("drugs.csv")).expect("drugs.csv");
        assert!(
            drugs.starts_with("ID,Slug,Generic name,Brand names"),
            "{drugs}"
        );
        assert_eq!(drugs.lines().count(), 14, "a header and 13 drugs");
        let mut names: Vec<String> = std::fs::read_dir(&out)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names.len(),
            14,
            "two documents and 12 CSV files, no leftovers: {names:?}"
        );
        assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");

        // An export that cannot finish leaves what was there.
        let output = run([
            "export",
            "--format",
            "csv",
            "--out",
            &out_arg,
            "--database-url",
            "postgres://postgres@127.0.0.1:1/x",
        ]);
        assert_eq!(output.status.code(), Some(1));
        assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
        assert_eq!(
            std::fs::read_to_string(out.join("drugs.csv")).expect("kept"),
            drugs
        );
        let count = std::fs::read_dir(&out).expect("dir").count();
        assert_eq!(count, 14, "no temporary file is left behind");
    }
}

#[tokio::test]
async fn import_reports_per_file_and_keeps_going() {
    let db = TestDb::sqlite().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ingest/tests/fixtures/treatments"
    );
    std::fs::copy(
        format!("{fixtures}/html5.html"),
        dir.path().join("treatments.php"),
    )
    .expect("copy");
    std::fs::write(dir.path().join("broken.html"), [0u8, 159, 146, 150]).expect("write");
    let dir_arg = dir.path().display().to_string();

    let output = run(["import", "--json", "--database-url", &db.url, &dir_arg]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "partial: {}",
        stderr(&output)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(report["pagesNew"], 1);
    assert_eq!(report["pagesFailed"], 1);
    // camelCase, as GraphQL and the exports are (`kinds` is keyed by page kind).
    assert_eq!(
        keys_not_camel_case(&report, &["kinds"]),
        Vec::<String>::new()
    );
    assert_eq!(report["entities"]["treatments"], 39);
    assert_eq!(report["entities"]["drugs"], 13);
    let failed = report["files"]
        .as_array()
        .and_then(|files| files.iter().find(|f| !f["error"].is_null()))
        .expect("a failed file");
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("not an HTML page"))
    );
    let page = report["files"]
        .as_array()
        .and_then(|files| files.iter().find(|f| f["error"].is_null()))
        .expect("an imported file");
    assert_eq!(page["url"], "http://www.lmsdr.org/treatments.php");

    let again = run(["import", "--database-url", &db.url, &dir_arg]);
    let text = stdout(&again);
    assert!(
        text.contains(
            "pages: 0 new, 0 changed, 1 unchanged, 0 older (history only), 0 other URLs of stored pages, 0 held in quarantine, 1 failed"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn serve_answers_and_stops_on_sigterm() {
    for db in TestDb::all_unmigrated().await {
        let server = Server::start(&db.url).await;
        let client = reqwest::Client::new();
        let ready = client
            .get(format!("{}/readyz", server.base))
            .send()
            .await
            .expect("readyz answers");
        assert!(ready.status().is_success(), "{}", db.backend());
        // Real content from the first second: the bundled treatments page.
        let response: serde_json::Value = client
            .post(format!("{}/graphql", server.base))
            .json(&serde_json::json!({ "query": "{ treatmentCategories { slug } }" }))
            .send()
            .await
            .expect("graphql answers")
            .json()
            .await
            .expect("JSON");
        let categories = response["data"]["treatmentCategories"]
            .as_array()
            .map(Vec::len);
        assert_eq!(categories, Some(7), "{response}");
        let status = server.terminate();
        assert!(status.success(), "{}: exit {status:?}", db.backend());
    }
}

#[tokio::test]
async fn no_subcommand_serves_with_every_default() {
    // What `cargo run --release` does on a fresh checkout: serve, from `lmsdr.db` in the working
    // directory, with the bundled page. Only the port is moved off 8000, for the test's sake.
    let dir = tempfile::tempdir().expect("tempdir");
    let port = lmsdr_tests::free_port();
    let mut child = lmsdr(Vec::<&str>::new())
        .current_dir(dir.path())
        .env("LMSDR_BIND", format!("127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("lmsdr starts");
    let client = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let response = loop {
        let attempt = client
            .post(format!("http://127.0.0.1:{port}/graphql"))
            .json(&serde_json::json!({ "query": "{ regimens { slug } }" }))
            .send()
            .await;
        if let Ok(response) = attempt {
            break response;
        }
        assert!(std::time::Instant::now() < deadline, "lmsdr did not serve");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["data"]["regimens"][0]["slug"], "gem-tax");
    assert!(dir.path().join("lmsdr.db").exists());
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn vocabulary_check_passes_on_the_bundled_file_and_lists_every_problem() {
    let output = run(["vocabulary", "check"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("ok: the built-in vocabulary: 28 drugs"),
        "{}",
        stdout(&output)
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("vocabulary.toml");
    std::fs::write(
        &file,
        r#"
[[source]]
id = "blog"
name = "A blog"
url = "https://example.org/"
kind = "reference"

[[category]]
slug = "chemotherapy"
name = "Chemotherapy"
terms = ["chemo"]

[[drug]]
slug = "x"
generic = "xumab"
atc = "L01XX"
rxcui = "123"
sources = { rxcui = ["blog"] }
"#,
    )
    .expect("write");
    let output = run(["vocabulary", "check", "--file", &file.display().to_string()]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("error: drug x: atc \"L01XX\" is not a valid code"),
        "{err}"
    );
    assert!(
        err.contains("error: drug x: atc L01XX names no source"),
        "{err}"
    );
    assert!(
        err.contains("rxcui 123 has a single unconfirmed source"),
        "{err}"
    );
    assert!(err.contains("3 problem(s)"), "{err}");
}

#[tokio::test]
async fn import_reports_page_kinds_and_what_to_look_at() {
    let db = TestDb::sqlite().await;
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ingest/tests/fixtures/site");
    let output = run([
        "import",
        "--database-url",
        &db.url,
        &dir.display().to_string(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.contains("page kinds: 1 article, 1 faq, 1 news, 1 events, 1 donation, 1 tribute, 1 contact, 1 index"),
        "{out}"
    );
    assert!(
        out.contains(
            "notice     http://www.lmsdr.org/faq.php: possible treatment listing not read as one"
        ),
        "{out}"
    );
    assert!(
        out.contains("entities: 0 categories, 0 treatments"),
        "{out}"
    );
}

#[test]
fn log_format_json_writes_one_json_object_a_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/logs.db?mode=rwc", dir.path().display());
    let port = lmsdr_tests::free_port();
    let bind = format!("127.0.0.1:{port}");
    let child = lmsdr(["serve", "--bind", &bind, "--database-url", &url])
        .env("LOG_FORMAT", "json")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("serve starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(&bind).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "serve did not come up"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let terminated = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(terminated.success());
    let output = child.wait_with_output().expect("serve stops");
    let logs = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = logs.lines().collect();
    assert!(lines.len() >= 2, "{logs}");
    for line in lines {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(entry["timestamp"].is_string(), "{line}");
        assert!(entry["level"].is_string(), "{line}");
        assert!(entry["fields"]["message"].is_string(), "{line}");
    }
}

#[tokio::test]
async fn a_config_file_sets_what_flags_and_the_environment_leave_unset() {
    let dir = tempfile::tempdir().expect("temp dir");
    for db in TestDb::all_unmigrated().await {
        let config = dir.path().join("lmsdr.toml");
        std::fs::write(&config, format!("database_url = \"{}\"\n", db.url)).expect("write");
        let output = run([
            "migrate".as_ref(),
            "up".as_ref(),
            "--config".as_ref(),
            config.as_os_str(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        let status = run(["migrate", "status", "--database-url", &db.url]);
        assert!(
            stdout(&status).lines().all(|l| l.starts_with("applied ")),
            "{}: the file's database was migrated, not the default: {}",
            db.backend(),
            stdout(&status)
        );
    }
    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, "[sync]\nmax_page = 3\n").expect("write");
    let output = lmsdr(["sync".as_ref(), "--config".as_ref(), typo.as_os_str()])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(64), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("typo.toml"), "{message}");
    assert!(
        message.contains("unknown setting `max_page` in [sync]"),
        "{message}"
    );
    assert!(message.contains("max_pages"), "{message}");
}

#[tokio::test]
async fn cors_takes_a_lone_star_and_refuses_what_is_not_an_origin() {
    // Refused before anything else happens: one line, exit 1, no panic.
    for bad in ["https://a.example/app", "*,https://a.example", "a.example"] {
        let output = run(["serve", "--cors-origin", bad, "--bind", "127.0.0.1:0"]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{bad}: {err}");
        assert!(err.starts_with("error: "), "{bad}: {err}");
        assert!(err.contains("origin"), "{bad}: {err}");
        assert!(!err.contains("panicked"), "{bad}: {err}");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/cors.db?mode=rwc", dir.path().display());
    let server = Server::start_with(&url, &["--cors-origin", "*"]).await;
    let answer = reqwest::Client::new()
        .get(format!("{}/graphql?query=%7B__typename%7D", server.base))
        .header("origin", "https://anywhere.example")
        .send()
        .await
        .expect("answers");
    assert_eq!(
        answer
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("*")
    );
}
