//! `lmsdr sync` against an in-process fixture site, on SQLite and (with TEST_DATABASE_URL)
//! PostgreSQL: crawling, politeness, change detection, and every fault.

use std::time::{Duration, Instant};

use lmsdr_entity::sea_orm_active_enums::{PageStatus, SyncRunStatus};
use lmsdr_entity::{change_events, drugs, page_revisions, pages, sync_errors, sync_runs};
use lmsdr_ingest::fetch::FetchConfig;
use lmsdr_ingest::sync::{self, PageOutcome, Quiet, SyncOptions, SyncReport};
use lmsdr_ingest::testing::TestDb;
use lmsdr_ingest::testing::site::{Route, Site};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use url::Url;

const TREATMENTS: &str = include_str!("fixtures/treatments/html5.html");
const NAV_PATHS: [&str; 16] = [
    "/index.php",
    "/registries.php",
    "/foundation.php",
    "/ealerts.php",
    "/whatislms.php",
    "/news.php",
    "/help.php",
    "/donate.php",
    "/memorials.php",
    "/donors.php",
    "/fundraisers.php",
    "/resources.php",
    "/trials.php",
    "/tissuebank.php",
    "/grants.php",
    "/contact.php",
];
/// Pages of the fixture site: home, treatments, about and the 16 menu pages.
const SITE_PAGES: i32 = 19;

fn index(links: &[&str]) -> String {
    let items: String = links
        .iter()
        .map(|l| format!("<li><a href=\"{l}\">{l}</a></li>"))
        .collect();
    format!(
        "<html><head><title>LMSdr</title></head><body><p>Welcome to the foundation's site.</p><ul>{items}</ul><p><a href=\"http://offsite.invalid/x\">elsewhere</a> <a href=\"mailto:info@lmsdr.org\">mail</a></p></body></html>"
    )
}

/// Options for tests: fast, with short timeouts and backoff.
fn options(site: &Site) -> SyncOptions {
    let mut options = SyncOptions::new(Url::parse(&site.url("/")).expect("url"));
    options.delay = Duration::from_millis(5);
    options.fetch = FetchConfig {
        read_timeout: Duration::from_millis(700),
        total_timeout: Duration::from_secs(3),
        connect_timeout: Duration::from_secs(2),
        max_retries: 2,
        base_backoff: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(5),
        max_body_bytes: 256 * 1024,
        ..FetchConfig::default()
    };
    options
}

async fn sync_once(db: &TestDb, options: &SyncOptions) -> SyncReport {
    sync::run(&db.conn, &db.url, options, &Quiet)
        .await
        .expect("sync runs")
}

fn outcome<'a>(report: &'a SyncReport, site: &Site, path: &str) -> &'a PageOutcome {
    let url = site.url(path);
    &report
        .pages
        .iter()
        .find(|p| p.url == url)
        .unwrap_or_else(|| panic!("no report for {url}: {:?}", report.pages))
        .outcome
}

/// The stored page at a path of the fixture site.
async fn stored_page(db: &TestDb, site: &Site, path: &str) -> Option<pages::Model> {
    pages::Entity::find()
        .filter(pages::Column::Url.eq(site.url(path)))
        .one(&db.conn)
        .await
        .expect("query")
}

async fn fixture_site() -> Site {
    let site = Site::start().await;
    site.route(
        "/robots.txt",
        Route::Status {
            status: 200,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: b"User-agent: *\nDisallow: /private/\n".to_vec(),
        },
    );
    site.page(
        "/",
        &index(&[
            "/treatments.php",
            "/private/secret.html",
            "/about.html#team",
        ]),
    );
    site.page("/treatments.php", TREATMENTS);
    // The treatments page's navigation menu links these.
    for path in NAV_PATHS {
        site.page(
            path,
            "<html><body><p>Another page of the foundation.</p></body></html>",
        );
    }
    site.page(
        "/about.html",
        "<html><body><p>About the foundation.</p></body></html>",
    );
    site.page(
        "/private/secret.html",
        "<html><body><p>secret</p></body></html>",
    );
    site
}

#[tokio::test]
async fn first_sync_crawls_the_site_politely() {
    for db in TestDb::all().await {
        let site = fixture_site().await;
        let report = sync_once(&db, &options(&site)).await;
        assert_eq!(report.status, SyncRunStatus::Ok, "{:?}", report.pages);
        assert_eq!(
            *outcome(&report, &site, "/treatments.php"),
            PageOutcome::New
        );
        assert_eq!(*outcome(&report, &site, "/about.html"), PageOutcome::New);
        let paths = site.paths();
        assert_eq!(paths[0], "/robots.txt", "robots.txt first");
        assert!(
            !paths.iter().any(|p| p.starts_with("/private/")),
            "robots.txt obeyed: {paths:?}"
        );
        assert_eq!(
            paths.iter().filter(|p| *p == "/about.html").count(),
            1,
            "fetched once"
        );
        let agents: Vec<_> = site
            .seen()
            .iter()
            .filter_map(|s| {
                s.headers
                    .get("user-agent")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            })
            .collect();
        assert!(
            agents
                .iter()
                .all(|a| a.starts_with("lmsdr/") && a.contains("+https://"))
        );
        // Off-site links are recorded, never fetched.
        let home = stored_page(&db, &site, "/").await.expect("home stored");
        let offsite = lmsdr_entity::links::Entity::find()
            .filter(lmsdr_entity::links::Column::PageId.eq(home.id))
            .filter(lmsdr_entity::links::Column::External.eq(true))
            .count(&db.conn)
            .await
            .expect("count");
        assert_eq!(offsite, 1);
        let run = sync_runs::Entity::find()
            .one(&db.conn)
            .await
            .expect("query")
            .expect("run");
        assert_eq!(
            (run.pages_fetched, run.pages_changed, run.pages_failed),
            (SITE_PAGES, SITE_PAGES, 0)
        );
        assert_eq!(
            drugs::Entity::find().count(&db.conn).await.expect("count"),
            13
        );
    }
}

#[tokio::test]
async fn an_unchanged_site_costs_304s_and_writes_nothing() {
    for db in TestDb::all().await {
        let site = fixture_site().await;
        let first = sync_once(&db, &options(&site)).await;
        let revisions = page_revisions::Entity::find()
            .count(&db.conn)
            .await
            .expect("count");
        let events = change_events::Entity::find()
            .all(&db.conn)
            .await
            .expect("events");
        assert_eq!(events.len() as u64, revisions, "one event per new page");
        assert!(
            events
                .iter()
                .all(|e| e.kind == "new" && e.sync_run_id == first.run_id)
        );
        site.clear_seen();
        let report = sync_once(&db, &options(&site)).await;
        assert_eq!(report.status, SyncRunStatus::Ok);
        assert_eq!(report.counts.not_modified, SITE_PAGES, "{:?}", report.pages);
        assert_eq!(report.counts.changed, 0);
        assert_eq!(
            page_revisions::Entity::find()
                .count(&db.conn)
                .await
                .expect("count"),
            revisions
        );
        let events = change_events::Entity::find().count(&db.conn).await;
        assert_eq!(
            events.expect("count"),
            revisions,
            "an unchanged site announces nothing"
        );
        let conditional = site
            .seen()
            .iter()
            .filter(|s| s.headers.contains_key("if-none-match"))
            .count();
        assert_eq!(
            conditional, SITE_PAGES as usize,
            "validators sent for every known page"
        );
    }
}

#[tokio::test]
async fn a_changed_page_gets_a_revision_with_its_diff() {
    for db in TestDb::all().await {
        let site = fixture_site().await;
        sync_once(&db, &options(&site)).await;
        site.page(
            "/treatments.php",
            &TREATMENTS
                .replace("  <li>Femara (letrozole)</li>\n", "")
                .replace(
                    "<li>Spindle disruptors</li>",
                    "<li>Spindle disruptors</li><li>Votrient (pazopanib)</li>",
                ),
        );
        let report = sync_once(&db, &options(&site)).await;
        assert_eq!(
            *outcome(&report, &site, "/treatments.php"),
            PageOutcome::Changed
        );
        let revision = page_revisions::Entity::find()
            .order_by_desc(page_revisions::Column::Id)
            .one(&db.conn)
            .await
            .expect("query")
            .expect("revision");
        assert_eq!(revision.number, 2);
        assert_eq!(revision.sync_run_id, report.run_id);
        let event = change_events::Entity::find()
            .order_by_desc(change_events::Column::Id)
            .one(&db.conn)
            .await
            .expect("query")
            .expect("an event");
        assert_eq!(
            (event.kind.as_str(), event.revision_id, event.sync_run_id),
            ("changed", revision.id, report.run_id),
            "the change is announced with its run, in the same commit"
        );
        assert_eq!(
            event.summary["drugs"]["added"],
            serde_json::json!(["pazopanib"])
        );
        assert_eq!(
            event.summary["drugs"]["removed"],
            serde_json::json!(["letrozole"])
        );
        let diff = revision.diff.unwrap_or_default();
        assert!(
            diff.contains("-• Femara (letrozole)") && diff.contains("+• Votrient (pazopanib)"),
            "{diff}"
        );
        let letrozole = drugs::Entity::find()
            .filter(drugs::Column::Slug.eq("letrozole"))
            .one(&db.conn)
            .await
            .expect("query")
            .expect("kept");
        assert!(letrozole.delisted_at.is_some(), "delisted, not deleted");
    }
}

#[tokio::test]
async fn robots_txt_failures_stop_the_run_and_touch_nothing() {
    for db in TestDb::all().await {
        let site = fixture_site().await;
        sync_once(&db, &options(&site)).await;
        let before = page_revisions::Entity::find()
            .count(&db.conn)
            .await
            .expect("count");
        site.route(
            "/robots.txt",
            Route::Status {
                status: 503,
                headers: vec![],
                body: vec![],
            },
        );
        site.clear_seen();
        let report = sync_once(&db, &options(&site)).await;
        assert_eq!(report.status, SyncRunStatus::Failed);
        assert!(
            site.paths().iter().all(|p| p == "/robots.txt"),
            "{:?}",
            site.paths()
        );
        assert_eq!(
            page_revisions::Entity::find()
                .count(&db.conn)
                .await
                .expect("count"),
            before
        );
        let error = sync_errors::Entity::find()
            .one(&db.conn)
            .await
            .expect("query")
            .expect("error recorded");
        assert!(error.reason.contains("RFC 9309"), "{}", error.reason);

        // A robots.txt that is missing (4xx) allows everything.
        site.route(
            "/robots.txt",
            Route::Status {
                status: 404,
                headers: vec![],
                body: vec![],
            },
        );
        let report = sync_once(&db, &options(&site)).await;
        assert_eq!(report.status, SyncRunStatus::Ok);
        assert!(site.paths().iter().any(|p| p.starts_with("/private/")));
    }
}

#[tokio::test]
async fn faults_are_recorded_and_stored_content_survives() {
    for db in TestDb::all().await {
        let site = fixture_site().await;
        sync_once(&db, &options(&site)).await;
        let before = page_revisions::Entity::find()
            .count(&db.conn)
            .await
            .expect("count");
        let faults: Vec<(&str, Route)> = vec![
            (
                "/e500.html",
                Route::Status {
                    status: 500,
                    headers: vec![],
                    body: b"boom".to_vec(),
                },
            ),
            ("/hang.html", Route::Hang),
            (
                "/truncated.html",
                Route::Truncated {
                    body: b"<html><body><p>cut".to_vec(),
                },
            ),
            (
                "/huge.html",
                Route::Page {
                    body: vec![b'a'; 300 * 1024],
                    content_type: "text/html".into(),
                },
            ),
            ("/loop-a.html", Route::Redirect("/loop-b.html".into())),
            ("/loop-b.html", Route::Redirect("/loop-a.html".into())),
            (
                "/garbage.html",
                Route::Page {
                    body: vec![0, 159, 146, 150, 0, 1, 2],
                    content_type: "text/html".into(),
                },
            ),
            (
                "/latin1.html",
                Route::Page {
                    body: b"<html><body><p>Caf\xe9 au lait \x95 bullet</p></body></html>".to_vec(),
                    content_type: "text/html; charset=utf-8".into(),
                },
            ),
        ];
        let paths: Vec<&str> = faults
            .iter()
            .map(|(p, _)| *p)
            .filter(|p| *p != "/loop-b.html")
            .collect();
        for (path, route) in faults {
            site.route(path, route);
        }
        site.page("/", &index(&paths));
        // The treatments page fails this time: its stored content must survive.
        site.route(
            "/treatments.php",
            Route::Status {
                status: 500,
                headers: vec![],
                body: vec![],
            },
        );
        let mut paths_with_treatments = paths.clone();
        paths_with_treatments.push("/treatments.php");
        site.page("/", &index(&paths_with_treatments));

        let report = sync_once(&db, &options(&site)).await;
        assert_eq!(report.status, SyncRunStatus::Partial, "{:?}", report.pages);
        let failed = |path: &str| match outcome(&report, &site, path) {
            PageOutcome::Failed(reason) => reason.clone(),
            other => panic!("{path}: {other:?}"),
        };
        assert!(failed("/e500.html").contains("HTTP 500 after 3 attempts"));
        assert!(failed("/hang.html").contains("timed out"));
        assert!(!failed("/truncated.html").is_empty());
        assert!(failed("/huge.html").contains("larger than"));
        assert!(failed("/loop-a.html").contains("redirect loop"));
        assert!(failed("/garbage.html").contains("not an HTML page"));
        assert_eq!(
            *outcome(&report, &site, "/latin1.html"),
            PageOutcome::New,
            "a wrong charset is repaired"
        );
        assert!(failed("/treatments.php").contains("HTTP 500"));

        let treatments = stored_page(&db, &site, "/treatments.php")
            .await
            .expect("kept");
        assert_eq!(treatments.status, PageStatus::Active);
        assert_eq!(
            drugs::Entity::find()
                .filter(drugs::Column::DelistedAt.is_null())
                .count(&db.conn)
                .await
                .expect("count"),
            13
        );
        // The failed page kept its one revision; the pages that failed to fetch made none.
        let revisions_of = |page_id: i32| {
            page_revisions::Entity::find()
                .filter(page_revisions::Column::PageId.eq(page_id))
                .count(&db.conn)
        };
        assert_eq!(revisions_of(treatments.id).await.expect("count"), 1);
        let stored_urls: Vec<String> = pages::Entity::find()
            .all(&db.conn)
            .await
            .expect("query")
            .into_iter()
            .map(|p| p.url)
            .collect();
        for path in [
            "/e500.html",
            "/hang.html",
            "/truncated.html",
            "/huge.html",
            "/loop-a.html",
            "/garbage.html",
        ] {
            assert!(
                !stored_urls.contains(&site.url(path)),
                "{path} was not stored"
            );
        }
        assert!(
            page_revisions::Entity::find()
                .count(&db.conn)
                .await
                .expect("count")
                > before
        );
        let errors = sync_errors::Entity::find()
            .filter(sync_errors::Column::SyncRunId.eq(report.run_id.unwrap_or_default()))
            .count(&db.conn)
            .await
            .expect("count");
        assert_eq!(errors, report.counts.failed as u64);
    }
}

#[tokio::test]
async fn retry_after_is_honoured_on_503_and_429() {
    for db in TestDb::all().await {
        let site = fixture_site().await;
        for (path, status) in [("/busy.html", 503), ("/slow-down.html", 429)] {
            site.route(
                path,
                Route::Flaky {
                    status,
                    retry_after: Some(1),
                    times: 1,
                    then: Box::new(Route::Page {
                        body: b"<html><body><p>fine now</p></body></html>".to_vec(),
                        content_type: "text/html".into(),
                    }),
                },
            );
        }
        site.page("/", &index(&["/busy.html", "/slow-down.html"]));
        let started = Instant::now();
        let report = sync_once(&db, &options(&site)).await;
        assert_eq!(*outcome(&report, &site, "/busy.html"), PageOutcome::New);
        assert_eq!(
            *outcome(&report, &site, "/slow-down.html"),
            PageOutcome::New
        );
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "waited as asked"
        );
        assert_eq!(
            site.paths().iter().filter(|p| *p == "/busy.html").count(),
            2
        );
    }
}

#[tokio::test]
async fn a_page_that_disappears_is_marked_gone_with_its_facts_kept() {
    for db in TestDb::all().await {
        let site = fixture_site().await;
        sync_once(&db, &options(&site)).await;
        site.route(
            "/treatments.php",
            Route::Status {
                status: 410,
                headers: vec![],
                body: vec![],
            },
        );
        let report = sync_once(&db, &options(&site)).await;
        assert_eq!(
            *outcome(&report, &site, "/treatments.php"),
            PageOutcome::Gone
        );
        let page = stored_page(&db, &site, "/treatments.php")
            .await
            .expect("kept");
        assert_eq!(page.status, PageStatus::Gone);
        assert!(page.gone_at.is_some());
        assert_eq!(
            drugs::Entity::find().count(&db.conn).await.expect("count"),
            13
        );
    }
}

#[tokio::test]
async fn two_syncs_at_once_one_is_busy() {
    for db in TestDb::all().await {
        let site = fixture_site().await;
        site.route("/slow.html", Route::Hang);
        site.page("/", &index(&["/slow.html"]));
        let mut slow = options(&site);
        slow.fetch.max_retries = 0;
        let first = sync::run(&db.conn, &db.url, &slow, &Quiet);
        let second = async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            sync::run(&db.conn, &db.url, &options(&site), &Quiet).await
        };
        let (first, second) = tokio::join!(first, second);
        assert!(first.is_ok());
        match second {
            Err(sync::SyncError::Busy(message)) => assert!(message.contains("busy"), "{message}"),
            other => panic!("{}: expected busy, got {other:?}", db.backend()),
        }
        // Once the first is done, the next one runs.
        assert!(
            sync::run(&db.conn, &db.url, &options(&site), &Quiet)
                .await
                .is_ok()
        );
    }
}

#[tokio::test]
async fn a_dry_run_writes_nothing() {
    for db in TestDb::all().await {
        let site = fixture_site().await;
        let mut dry = options(&site);
        dry.dry_run = true;
        let report = sync_once(&db, &dry).await;
        assert_eq!(
            *outcome(&report, &site, "/treatments.php"),
            PageOutcome::New
        );
        assert_eq!(report.run_id, None);
        assert_eq!(
            pages::Entity::find().count(&db.conn).await.expect("count"),
            0
        );
        assert_eq!(
            sync_runs::Entity::find()
                .count(&db.conn)
                .await
                .expect("count"),
            0
        );
    }
}

#[tokio::test]
async fn redirects_are_followed_only_within_the_site_and_robots_txt() {
    for db in TestDb::all().await {
        let site = fixture_site().await;
        // Another host:port, standing for a metadata service or a third party.
        let elsewhere = Site::start().await;
        elsewhere.page(
            "/secret",
            "<html><body><p>Instance credentials.</p></body></html>",
        );
        site.route("/out.php", Route::Redirect(elsewhere.url("/secret")));
        site.route("/moved.html", Route::Redirect("/new-home.html".into()));
        site.page(
            "/new-home.html",
            "<html><body><p>The page that moved, at its new address.</p></body></html>",
        );
        site.route(
            "/sneaky.html",
            Route::Redirect("/private/inside.html".into()),
        );
        site.page(
            "/private/inside.html",
            "<html><body><p>Not for crawlers.</p></body></html>",
        );
        site.page("/", &index(&["/out.php", "/moved.html", "/sneaky.html"]));

        let report = sync_once(&db, &options(&site)).await;
        let backend = db.backend();
        assert_eq!(
            report.status,
            SyncRunStatus::Ok,
            "{backend}: {:?}",
            report.pages
        );
        assert!(
            elsewhere.paths().is_empty(),
            "{backend}: {:?}",
            elsewhere.paths()
        );
        assert!(
            !site.paths().iter().any(|p| p.starts_with("/private/")),
            "{backend}: {:?}",
            site.paths()
        );
        assert_eq!(
            *outcome(&report, &site, "/out.php"),
            PageOutcome::OffSiteRedirect(elsewhere.url("/secret"))
        );
        assert_eq!(
            *outcome(&report, &site, "/sneaky.html"),
            PageOutcome::OffSiteRedirect(site.url("/private/inside.html"))
        );
        assert_eq!(
            *outcome(&report, &site, "/moved.html"),
            PageOutcome::Redirected(site.url("/new-home.html"))
        );
        assert_eq!(*outcome(&report, &site, "/new-home.html"), PageOutcome::New);
        // The content is stored under the URL that answered, never under the one that redirected.
        assert!(
            stored_page(&db, &site, "/new-home.html").await.is_some(),
            "{backend}"
        );
        for path in [
            "/out.php",
            "/moved.html",
            "/sneaky.html",
            "/private/inside.html",
        ] {
            assert!(
                stored_page(&db, &site, path).await.is_none(),
                "{backend}: {path}"
            );
        }
        let noted = sync_errors::Entity::find()
            .filter(sync_errors::Column::Url.eq(site.url("/out.php")))
            .one(&db.conn)
            .await
            .expect("query")
            .expect("the off-site redirect is on the run");
        assert!(noted.reason.contains("not followed"), "{}", noted.reason);
    }
}

#[tokio::test]
async fn a_compressed_body_is_capped_by_its_decoded_size() {
    use std::io::Write;
    // 64 MiB of spaces, a few KiB on the wire: far under the cap compressed, far over it
    // decoded.
    let decoded = vec![b' '; 64 * 1024 * 1024];
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(&decoded).expect("compresses");
    let gzip = gzip.finish().expect("compresses");
    let mut brotli = brotli::CompressorWriter::new(Vec::new(), 4096, 9, 22);
    brotli.write_all(&decoded).expect("compresses");
    let brotli = brotli.into_inner();
    for (encoding, bomb) in [("gzip", &gzip), ("br", &brotli)] {
        assert!(bomb.len() < 256 * 1024, "{encoding}: {} bytes", bomb.len());
        for db in TestDb::all().await {
            let site = fixture_site().await;
            site.route(
                "/bomb.html",
                Route::Status {
                    status: 200,
                    headers: vec![
                        ("content-type".into(), "text/html".into()),
                        ("content-encoding".into(), encoding.into()),
                    ],
                    body: bomb.clone(),
                },
            );
            site.page("/", &index(&["/bomb.html"]));
            let report = sync_once(&db, &options(&site)).await;
            match outcome(&report, &site, "/bomb.html") {
                PageOutcome::Failed(reason) => {
                    assert!(reason.contains("larger than"), "{encoding}: {reason}")
                }
                other => panic!(
                    "{encoding} on {}: expected a failure, got {other:?}",
                    db.backend()
                ),
            }
            assert!(stored_page(&db, &site, "/bomb.html").await.is_none());
        }
    }
}
