//! The whole site stored, on SQLite and (with TEST_DATABASE_URL) PostgreSQL: a sync of the
//! fixture site keeps its kinds, content, mentions and broken links; a database written by an
//! older extractor — which read a donation page as a treatment list — is read again and stops
//! listing what the page never said.

use std::time::Duration;

use chrono::Utc;
use lmsdr_entity::sea_orm_active_enums::{PageKind, RevisionOrigin, SyncRunStatus};
use lmsdr_entity::{
    drug_mentions, link_targets, page_revisions, pages, sync_errors, sync_runs,
    treatment_categories, treatments,
};
use lmsdr_ingest::extract::{PageInput, extract};
use lmsdr_ingest::fetch::FetchConfig;
use lmsdr_ingest::pipeline;
use lmsdr_ingest::search::query::{Query, rank};
use lmsdr_ingest::store::{Observation, store_page};
use lmsdr_ingest::sync::{self, PageOutcome, Quiet, SyncOptions};
use lmsdr_ingest::testing::TestDb;
use lmsdr_ingest::testing::site::Site;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Set,
};
use url::Url;

const PAGES: &[(&str, &str)] = &[
    ("/index.php", include_str!("fixtures/site/index.php")),
    (
        "/whatislms.php",
        include_str!("fixtures/site/whatislms.php"),
    ),
    ("/faq.php", include_str!("fixtures/site/faq.php")),
    ("/news.php", include_str!("fixtures/site/news.php")),
    ("/donate.php", include_str!("fixtures/site/donate.php")),
    ("/events.php", include_str!("fixtures/site/events.php")),
    ("/contact.php", include_str!("fixtures/site/contact.php")),
    (
        "/memorials.php",
        include_str!("fixtures/site/memorials.php"),
    ),
    (
        "/treatments.php",
        include_str!("fixtures/treatments/html5.html"),
    ),
];
const TREATMENTS: &[u8] = include_bytes!("../data/treatments.html");
const DONATE: &[u8] = include_bytes!("fixtures/site/donate.php");

async fn fixture_site() -> Site {
    let site = Site::start().await;
    for (path, html) in PAGES {
        site.page(path, html);
    }
    site.page("/", include_str!("fixtures/site/index.php"));
    site
}

fn options(site: &Site) -> SyncOptions {
    let mut options = SyncOptions::new(Url::parse(&site.url("/")).expect("url"));
    options.delay = Duration::from_millis(2);
    options.fetch = FetchConfig {
        max_retries: 0,
        ..FetchConfig::default()
    };
    options
}

#[tokio::test]
async fn a_sync_of_the_whole_site_keeps_kinds_mentions_and_broken_links() {
    for db in TestDb::all().await {
        let site = fixture_site().await;
        let report = sync::run(&db.conn, &db.url, &options(&site), &Quiet)
            .await
            .expect("sync runs");
        let stored: Vec<(String, PageKind)> = pages::Entity::find()
            .all(&db.conn)
            .await
            .expect("pages")
            .into_iter()
            .map(|p| (p.url, p.kind))
            .collect();
        let kind_of = |path: &str| {
            stored
                .iter()
                .find(|(url, _)| url.ends_with(path))
                .map(|(_, kind)| *kind)
        };
        assert_eq!(kind_of("/treatments.php"), Some(PageKind::TreatmentListing));
        assert_eq!(kind_of("/faq.php"), Some(PageKind::Faq));
        assert_eq!(kind_of("/news.php"), Some(PageKind::News));
        assert_eq!(kind_of("/donate.php"), Some(PageKind::Donation));
        assert_eq!(
            treatment_categories::Entity::find()
                .count(&db.conn)
                .await
                .expect("count"),
            7,
            "{}",
            db.backend()
        );
        assert_eq!(
            treatments::Entity::find()
                .count(&db.conn)
                .await
                .expect("count"),
            39
        );
        assert!(
            drug_mentions::Entity::find()
                .count(&db.conn)
                .await
                .expect("count")
                > 17
        );

        // The FAQ's possible listing is on the run's errors; the page itself did not fail.
        let faq = report
            .pages
            .iter()
            .find(|p| p.url.ends_with("/faq.php"))
            .expect("faq fetched");
        assert_eq!(faq.outcome, PageOutcome::New);
        assert!(faq.notices[0].starts_with("possible treatment listing"));
        let errors = sync_errors::Entity::find()
            .all(&db.conn)
            .await
            .expect("errors");
        assert!(
            errors
                .iter()
                .any(|e| e.url.ends_with("/faq.php") && e.reason.starts_with("possible"))
        );

        // Links to pages that never existed answered 404: dead link targets (the treatments
        // page's menu links to pages this fixture site does not have, too).
        let dead = || async {
            link_targets::Entity::find()
                .all(&db.conn)
                .await
                .expect("targets")
                .into_iter()
                .map(|t| (t.url, t.http_status))
                .collect::<Vec<_>>()
        };
        let before = dead().await;
        assert!(
            before.contains(&(site.url("/oldpage.php"), 404)),
            "{before:?}"
        );
        // Broken links are the site's, not the run's failures: counted and listed, and the
        // run is ok when they are its only problem.
        assert_eq!(report.status, SyncRunStatus::Ok, "{}", db.backend());
        assert_eq!(report.counts.failed, 0, "{}", db.backend());
        assert_eq!(
            report.counts.broken_links as usize,
            before.len(),
            "{}",
            db.backend()
        );
        let broken = report
            .pages
            .iter()
            .find(|p| p.url.ends_with("/oldpage.php"))
            .map(|p| p.outcome.clone());
        assert_eq!(broken, Some(PageOutcome::BrokenLink(404)));
        assert!(
            errors
                .iter()
                .any(|e| e.url.ends_with("/oldpage.php") && e.reason == "broken link: HTTP 404")
        );
        let run = sync_runs::Entity::find()
            .one(&db.conn)
            .await
            .expect("query")
            .expect("the run");
        assert_eq!(run.broken_links as usize, before.len());
        assert!(
            before.contains(&(site.url("/grants.php"), 404)),
            "{before:?}"
        );
        // Once one answers, it is forgotten.
        site.page("/oldpage.php", "<p>Our research overview is back.</p>");
        sync::run(&db.conn, &db.url, &options(&site), &Quiet)
            .await
            .expect("sync runs");
        let after = dead().await;
        assert_eq!(after.len(), before.len() - 1);
        assert!(!after.iter().any(|(url, _)| url.ends_with("/oldpage.php")));

        // Search finds words of any page.
        let hits = rank(&db.conn, &Query::parse("tribute funds").expect("words"))
            .await
            .expect("ranks");
        assert!(!hits.is_empty());
    }
}

#[tokio::test]
async fn pages_read_by_an_older_extractor_are_read_again() {
    for db in TestDb::all().await {
        // What an older lmsdr stored for the donation page: the treatments page's facts under
        // its URL, no content blocks.
        let url = Url::parse("http://www.lmsdr.org/donate.php").expect("url");
        let mut invented = extract(PageInput {
            url: &url,
            bytes: TREATMENTS,
            content_type: None,
        })
        .expect("extracts");
        invented.url = url.to_string();
        store_page(
            &db.conn,
            Observation {
                document: &invented,
                raw: DONATE,
                content_type: Some("text/html"),
                fetched_at: Utc::now(),
                http_status: Some(200),
                etag: None,
                last_modified: None,
                origin: RevisionOrigin::Sync,
                sync_run_id: None,
                memento_url: None,
            },
        )
        .await
        .expect("stores");
        db.execute("UPDATE page_revisions SET content_blocks = NULL")
            .await;
        let mut page = pages::Entity::find()
            .one(&db.conn)
            .await
            .expect("page")
            .expect("stored")
            .into_active_model();
        page.kind = Set(PageKind::Other);
        page.update(&db.conn).await.expect("update");
        let listed = || async {
            treatments::Entity::find()
                .filter(treatments::Column::DelistedAt.is_null())
                .count(&db.conn)
                .await
                .expect("count")
        };
        assert_eq!(listed().await, 39, "the old database's invented treatments");

        let reread = pipeline::reread_stale(&db.conn).await.expect("rereads");
        assert_eq!((reread.pages, reread.failed.len()), (1, 0));
        assert_eq!(
            listed().await,
            0,
            "{}: none is listed any more",
            db.backend()
        );
        let page = pages::Entity::find()
            .one(&db.conn)
            .await
            .expect("page")
            .expect("stored");
        assert_eq!(page.kind, PageKind::Donation);
        let revisions = page_revisions::Entity::find()
            .filter(page_revisions::Column::PageId.eq(page.id))
            .all(&db.conn)
            .await
            .expect("revisions");
        assert_eq!(revisions.len(), 2);
        assert_eq!(revisions[1].origin, RevisionOrigin::Reread);
        assert_eq!(page.current_revision_id, Some(revisions[1].id));
        // Idempotent: nothing is stale now.
        assert_eq!(
            pipeline::reread_stale(&db.conn)
                .await
                .expect("rereads")
                .pages,
            0
        );
    }
}
