//! The command line as a new user meets it: a usage error has an exit code of its own (64,
//! EX_USAGE), which a scheduler can tell from a partial run (2); `--help` lists every code; logs
//! written off a terminal carry no colour codes.

use lmsdr_tests::{lmsdr, run};

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_wrong_flag_or_value_exits_64_and_names_it() {
    for (args, named) in [
        (&["sync", "--max-pagez", "3"][..], "--max-pagez"),
        (&["sync", "--max-pages", "many"][..], "many"),
        (&["sync", "--max-pages", "0"][..], "--max-pages"),
        (&["sync", "--concurrency", "0"][..], "--concurrency"),
        (&["export", "--format", "yaml"][..], "yaml"),
        (&["frobnicate"][..], "frobnicate"),
    ] {
        let output = run(args);
        assert_eq!(
            output.status.code(),
            Some(64),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(named),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn help_lists_every_exit_code() {
    for args in [
        &["--help"][..],
        &["sync", "--help"][..],
        &["import", "--help"][..],
    ] {
        let output = run(args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("Exit codes:"), "{args:?}: {help}");
        if args == ["--help"] {
            assert!(help.contains("Examples:\n  lmsdr "), "{help}");
        }
        for code in ["0 ", "1 ", "2 ", "3 ", "4 ", "64 "] {
            assert!(
                help.lines().any(|line| line.trim_start().starts_with(code)),
                "{args:?}: exit code {code}missing: {help}"
            );
        }
    }
}

#[test]
fn logs_off_a_terminal_carry_no_colour_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A new database: applying its migrations is logged.
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("new.db").display());
    let page = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ingest/tests/fixtures/site/faq.php"
    );
    let output = lmsdr(["import", "--database-url", &url, page])
        .env("RUST_LOG", "info")
        .output()
        .expect("lmsdr runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let logs = stderr(&output);
    assert!(logs.contains("INFO"), "the import logs: {logs}");
    assert!(!logs.contains('\u{1b}'), "escape sequences in {logs:?}");
}

#[test]
fn a_dot_env_file_in_the_working_directory_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = dir.path().join("from-dot-env.db");
    std::fs::write(
        dir.path().join(".env"),
        format!(
            "# as .env.example says: copy it to .env\nDATABASE_URL=sqlite://{}?mode=rwc\n",
            database.display()
        ),
    )
    .expect("write .env");
    let output = lmsdr(["migrate", "up"])
        .current_dir(dir.path())
        .output()
        .expect("lmsdr runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(database.exists(), "the database .env names was used");

    std::fs::write(dir.path().join(".env"), "DATABASE_URL='unclosed\n").expect("write .env");
    let output = lmsdr(["migrate", "status"])
        .current_dir(dir.path())
        .output()
        .expect("lmsdr runs");
    assert_eq!(output.status.code(), Some(64), "{}", stderr(&output));
    assert!(stderr(&output).contains(".env"), "{}", stderr(&output));
}

#[test]
fn settings_mistakes_are_named_where_they_are() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path.display().to_string()
    };
    let broken = file("broken.toml", "[sync]\nmax_pages = \n");
    let output = run(["sync", "--config", &broken]);
    assert_eq!(output.status.code(), Some(64));
    assert!(stderr(&output).contains("line 2"), "{}", stderr(&output));

    let enum_value = file("enum.toml", "log_format = \"yaml\"\n");
    let output = run(["migrate", "status", "--config", &enum_value]);
    assert_eq!(output.status.code(), Some(64));
    assert!(
        stderr(&output).contains("text, json"),
        "{}",
        stderr(&output)
    );

    // A shared file names the database; `vocabulary check`, which needs none, takes it too.
    let shared = file("shared.toml", "database_url = \"sqlite://x.db?mode=rwc\"\n");
    let output = run(["vocabulary", "check", "--config", &shared]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = run([
        "vocabulary",
        "check",
        "--database-url",
        "sqlite://x.db?mode=rwc",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));

    let missing = format!("sqlite://{}", dir.path().join("new.db").display());
    let output = run(["migrate", "status", "--database-url", &missing]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("?mode=rwc"), "{}", stderr(&output));
}
