//! `lmsdr sync` and `lmsdr import` as schedulers run them: exit codes, one run at a time, and a
//! run killed with SIGKILL that the next run marks aborted and completes after.

use std::process::Stdio;
use std::time::{Duration, Instant};

use lmsdr_entity::sea_orm_active_enums::{SyncRunKind, SyncRunStatus};
use lmsdr_entity::sync_runs;
use lmsdr_ingest::testing::site::{Route, Site};
use lmsdr_tests::{TestDb, keys_not_camel_case, lmsdr, run};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

async fn site() -> Site {
    let site = Site::start().await;
    site.allow_all_robots();
    site.page(
        "/",
        "<html><body><p>Home of the foundation.</p><p><a href=\"/a.html\">A</a></p></body></html>",
    );
    site.page("/a.html", "<html><body><p>Page A.</p></body></html>");
    site
}

fn sync_args<'a>(site: &'a str, db: &'a str) -> Vec<&'a str> {
    vec![
        "sync",
        "--source",
        site,
        "--delay-ms",
        "0",
        "--json",
        "--database-url",
        db,
    ]
}

/// Runs `lmsdr sync` to completion off the async runtime, which keeps serving the fixture site.
async fn sync_in_background(site: &str, db: &str) -> std::process::Output {
    let (site, db) = (site.to_owned(), db.to_owned());
    tokio::task::spawn_blocking(move || run(sync_args(&site, &db)))
        .await
        .expect("joins")
}

#[tokio::test]
async fn exit_codes_tell_schedulers_how_it_went() {
    for db in TestDb::all_unmigrated().await {
        let site = site().await;
        let base = site.url("/");
        let output = sync_in_background(&base, &db.url).await;
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        assert_eq!(report["status"], "ok");
        assert_eq!(report["counts"]["changed"], 2);

        site.route(
            "/a.html",
            Route::Status {
                status: 500,
                headers: vec![],
                body: vec![],
            },
        );
        let output = sync_in_background(&base, &db.url).await;
        assert_eq!(output.status.code(), Some(2), "partial");

        site.route(
            "/robots.txt",
            Route::Status {
                status: 500,
                headers: vec![],
                body: vec![],
            },
        );
        let output = sync_in_background(&base, &db.url).await;
        assert_eq!(output.status.code(), Some(1), "failed");
    }
}

#[tokio::test]
async fn a_killed_sync_leaves_the_database_consistent_and_busy_meanwhile() {
    for db in TestDb::all().await {
        let site = site().await;
        site.route("/a.html", Route::Hang);
        let base = site.url("/");
        let mut first = lmsdr(sync_args(&base, &db.url))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("first sync starts");
        // Wait until it holds the lock and is stuck on the hanging page.
        let deadline = Instant::now() + Duration::from_secs(30);
        while !site.paths().iter().any(|p| p == "/a.html") {
            assert!(
                Instant::now() < deadline,
                "the first sync never reached /a.html"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let second = sync_in_background(&base, &db.url).await;
        assert_eq!(second.status.code(), Some(3), "{}: busy", db.backend());
        assert!(String::from_utf8_lossy(&second.stderr).contains("busy"));

        first.kill().expect("SIGKILL");
        first.wait().expect("reaped");
        site.page("/a.html", "<html><body><p>Page A, back.</p></body></html>");

        let third = sync_in_background(&base, &db.url).await;
        assert_eq!(
            third.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&third.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&third.stdout).expect("JSON");
        assert_eq!(report["abortedRuns"], 1);

        let runs = sync_runs::Entity::find()
            .order_by_asc(sync_runs::Column::Id)
            .all(&db.conn)
            .await
            .expect("runs");
        let statuses: Vec<_> = runs.iter().map(|r| r.status).collect();
        assert_eq!(
            statuses,
            [SyncRunStatus::Aborted, SyncRunStatus::Ok],
            "{}",
            db.backend()
        );
        let pages = lmsdr_entity::pages::Entity::find()
            .count(&db.conn)
            .await
            .expect("count");
        assert_eq!(pages, 2);
    }
}

#[tokio::test]
async fn an_import_holds_the_sync_lock_and_a_killed_one_is_marked_aborted() {
    for db in TestDb::all().await {
        let backend = db.backend();
        // Enough pages that the import is still going when it is killed.
        let dir = tempfile::tempdir().expect("a temporary directory");
        for i in 0..2000 {
            let html = format!(
                "<html><head><title>Note {i}</title></head>\
                 <body><p>Note number {i} of the foundation's archive.</p></body></html>"
            );
            std::fs::write(dir.path().join(format!("note-{i}.html")), html).expect("written");
        }
        let dir_arg = dir.path().to_string_lossy().into_owned();
        let mut import = lmsdr(["import", &dir_arg, "--json", "--database-url", &db.url])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the import starts");
        // Wait until its run is recorded and under way.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let running = sync_runs::Entity::find()
                .filter(sync_runs::Column::Kind.eq(SyncRunKind::Import))
                .filter(sync_runs::Column::Status.eq(SyncRunStatus::Running))
                .count(&db.conn)
                .await
                .expect("count");
            if running == 1 {
                break;
            }
            assert!(
                import.try_wait().expect("polls").is_none(),
                "{backend}: the import ended before it could be seen running"
            );
            assert!(
                Instant::now() < deadline,
                "{backend}: no import run appeared"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        // A sync meanwhile finds the database busy, and records no run.
        let site = site().await;
        let busy = sync_in_background(&site.url("/"), &db.url).await;
        assert_eq!(busy.status.code(), Some(3), "{backend}: busy");
        assert!(
            import.try_wait().expect("polls").is_none(),
            "{backend}: the import ended before it could be killed"
        );
        import.kill().expect("SIGKILL");
        import.wait().expect("reaped");

        // The next import runs, and marks the killed one aborted.
        let one = tempfile::tempdir().expect("a temporary directory");
        let page = one.path().join("after.html");
        std::fs::write(&page, "<html><body><p>After the kill.</p></body></html>").expect("written");
        let (page, url) = (page.to_string_lossy().into_owned(), db.url.clone());
        let next = tokio::task::spawn_blocking(move || {
            run(["import", &page, "--json", "--database-url", &url])
        })
        .await
        .expect("joins");
        assert_eq!(
            next.status.code(),
            Some(0),
            "{backend}: {}",
            String::from_utf8_lossy(&next.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&next.stdout).expect("JSON");
        assert_eq!(report["abortedRuns"], 1, "{backend}");
        let runs: Vec<(SyncRunKind, SyncRunStatus)> = sync_runs::Entity::find()
            .order_by_asc(sync_runs::Column::Id)
            .all(&db.conn)
            .await
            .expect("runs")
            .into_iter()
            .map(|r| (r.kind, r.status))
            .collect();
        assert_eq!(
            runs,
            [
                (SyncRunKind::Import, SyncRunStatus::Aborted),
                (SyncRunKind::Import, SyncRunStatus::Ok)
            ],
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_run_stopped_by_max_pages_is_no_clean_success() {
    let db = TestDb::sqlite().await;
    let site = site().await;
    let base = site.url("/");
    let (source, url) = (base.clone(), db.url.clone());
    let output = tokio::task::spawn_blocking(move || {
        let mut args = sync_args(&source, &url);
        args.extend(["--max-pages", "1"]);
        run(args)
    })
    .await
    .expect("joins");
    assert_eq!(
        output.status.code(),
        Some(2),
        "partial: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(report["status"], "partial", "{report}");
    assert_eq!(report["finishReason"], "page_limit", "{report}");
    assert_eq!(report["counts"]["leftUnread"], 1, "{report}");
    // camelCase, as GraphQL and the exports are.
    assert_eq!(keys_not_camel_case(&report, &[]), Vec::<String>::new());
}
