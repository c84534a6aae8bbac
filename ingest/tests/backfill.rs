//! `lmsdr backfill` against a local archive with real archives' quirks, on SQLite and (with
//! TEST_DATABASE_URL) PostgreSQL: duplicate rows, revisit records, captures with the previous
//! digest, redirect and error captures, a digest that does not match, resume keys, refusals with
//! `Retry-After`, URLs written several ways. The revisions, their times, mementos and facts;
//! nothing fetched twice; a second run fetches nothing; a stopped run goes on where it stopped.

use std::collections::BTreeSet;
use std::time::Duration;

use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;
use lmsdr_entity::{drugs, page_revisions, pages};
use lmsdr_ingest::backfill::{self, BackfillOptions, BackfillReport, DateRange, Politeness, Quiet};
use lmsdr_ingest::testing::TestDb;
use lmsdr_ingest::testing::wayback::{Api, Archived, FakeArchive, lmsdr_history, simple_page};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use url::Url;

const SITE: &str = "http://www.lmsdr.org/";

fn holdings() -> Vec<Archived> {
    lmsdr_history()
}

fn options(archive: &FakeArchive) -> BackfillOptions {
    BackfillOptions {
        archive: Url::parse(&archive.base).expect("archive URL"),
        site: Url::parse(SITE).expect("site URL"),
        range: DateRange::default(),
        dry_run: false,
        politeness: Politeness {
            listings_per_minute: 60_000,
            fetches_per_second: 1_000,
            refusal_wait: Duration::from_millis(10),
            max_refusals: 3,
            ..Politeness::default()
        },
    }
}

async fn run(db: &TestDb, options: &BackfillOptions) -> BackfillReport {
    backfill::backfill(&db.conn, &db.url, options, &Quiet)
        .await
        .expect("backfill runs")
}

async fn revisions(db: &DatabaseConnection, url: &str) -> Vec<page_revisions::Model> {
    let page = pages::Entity::find()
        .filter(pages::Column::Url.eq(url))
        .one(db)
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("{url} is stored"));
    page_revisions::Entity::find()
        .filter(page_revisions::Column::PageId.eq(page.id))
        .order_by_asc(page_revisions::Column::FetchedAt)
        .all(db)
        .await
        .expect("revisions")
}

#[tokio::test]
async fn an_archive_becomes_the_pages_history_once() {
    for db in TestDb::all().await {
        let archive = FakeArchive::start(Api::Wayback, holdings()).await;
        // The archive is busy at first: its Retry-After is honoured, and the listing goes on.
        archive.refuse_listings(1, 429, Some(1));
        let options = options(&archive);
        let report = run(&db, &options).await;
        let backend = db.backend();

        let stored: Vec<(&str, &str)> = report
            .captures
            .iter()
            .map(|c| (c.url.as_str(), c.timestamp.as_str()))
            .collect();
        assert_eq!(
            stored,
            [
                ("http://www.lmsdr.org/treatments.php", "20110301100000"),
                ("http://www.lmsdr.org/about.php", "20120315000000"),
                ("http://www.lmsdr.org/treatments.php", "20120501100000"),
                ("http://www.lmsdr.org/treatments.php", "20120801100000"),
            ],
            "{backend}: oldest first, one page per URL form"
        );
        assert_eq!(
            report.listing.listed, 11,
            "{backend}: every row, through resume keys"
        );
        assert_eq!(report.listing.duplicates, 1, "{backend}");
        assert_eq!(report.listing.revisits, 1, "{backend}");
        assert_eq!(report.listing.same_digest, 1, "{backend}");
        assert_eq!(report.listing.not_html, 1, "{backend}");
        assert_eq!(report.redirects.len(), 1, "{backend}");
        assert_eq!(report.errors.len(), 1, "{backend}");
        assert_eq!(report.rejected.len(), 1, "{backend}: {:?}", report.rejected);
        assert!(
            report.rejected[0].reason.contains("digest"),
            "{backend}: {:?}",
            report.rejected
        );
        assert!(report.stopped.is_none(), "{backend}");
        assert!(
            archive.listings() >= 5,
            "{backend}: refused once, then four answers"
        );

        // The treatments page: three revisions at their capture times, each with its memento.
        let treatments = revisions(&db.conn, "http://www.lmsdr.org/treatments.php").await;
        let times: Vec<String> = treatments
            .iter()
            .map(|r| r.fetched_at.format("%Y%m%d%H%M%S").to_string())
            .collect();
        assert_eq!(
            times,
            ["20110301100000", "20120501100000", "20120801100000"],
            "{backend}"
        );
        assert!(
            treatments
                .iter()
                .all(|r| r.origin == RevisionOrigin::Archive)
        );
        assert_eq!(
            treatments[0].memento_url.as_deref(),
            Some(
                format!(
                    "{}/web/20110301100000/http://lmsdr.org:80/treatments.php",
                    archive.base
                )
                .as_str()
            ),
            "{backend}"
        );
        // What the page states today is the newest capture's: letrozole is listed.
        let letrozole = drugs::Entity::find()
            .filter(drugs::Column::Slug.eq("letrozole"))
            .one(&db.conn)
            .await
            .expect("query");
        assert!(
            letrozole.is_some(),
            "{backend}: the 2012 page lists letrozole"
        );
        // No redirect, error, corrupted or non-HTML capture is a page.
        let urls: BTreeSet<String> = pages::Entity::find()
            .all(&db.conn)
            .await
            .expect("pages")
            .into_iter()
            .map(|p| p.url)
            .collect();
        assert_eq!(
            urls,
            BTreeSet::from([
                "http://www.lmsdr.org/about.php".to_owned(),
                "http://www.lmsdr.org/treatments.php".to_owned()
            ]),
            "{backend}"
        );

        // Each capture fetched once; a second run fetches nothing.
        let fetched = archive.fetched();
        let distinct: BTreeSet<&String> = fetched.iter().collect();
        assert_eq!(fetched.len(), 5, "{backend}: {fetched:?}");
        assert_eq!(distinct.len(), fetched.len(), "{backend}: {fetched:?}");
        let again = run(&db, &options).await;
        assert_eq!(
            archive.fetched().len(),
            5,
            "{backend}: nothing fetched again"
        );
        assert_eq!(again.already_fetched, 5, "{backend}");
        assert!(again.captures.is_empty(), "{backend}");

        // A capture made since is the only one fetched next time.
        archive.add(vec![Archived::page(
            "20130101000000",
            "http://www.lmsdr.org/about.php",
            &simple_page(
                "About LMSdr",
                "The foundation funds research and a tissue bank.",
            ),
        )]);
        let later = run(&db, &options).await;
        assert_eq!(later.captures.len(), 1, "{backend}");
        assert_eq!(archive.fetched().len(), 6, "{backend}");
        assert_eq!(
            revisions(&db.conn, "http://www.lmsdr.org/about.php")
                .await
                .len(),
            2,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn an_archive_that_keeps_refusing_stops_the_run_and_the_next_goes_on() {
    for db in TestDb::all().await {
        let backend = db.backend();
        let archive = FakeArchive::start(Api::Wayback, holdings()).await;
        let options = options(&archive);
        // A first run reads 2011 only.
        let mut early = options.clone();
        early.range.to = Some("2011".into());
        let first = run(&db, &early).await;
        assert_eq!(first.captures.len(), 1, "{backend}: {first:?}");

        // Then the archive refuses every fetch: the run stops, keeping what it stored.
        archive.refuse_fetches(10, 429, Some(0));
        let stopped = run(&db, &options).await;
        let reason = stopped.stopped.clone().expect("the run stops");
        assert!(reason.contains("429"), "{backend}: {reason}");
        assert!(stopped.captures.is_empty(), "{backend}");
        assert_eq!(stopped.already_fetched, 1, "{backend}");

        // Later the archive answers: the run goes on with what it did not fetch.
        archive.answer_all();
        let resumed = run(&db, &options).await;
        assert_eq!(resumed.captures.len(), 3, "{backend}: {resumed:?}");
        assert_eq!(resumed.already_fetched, 1, "{backend}");
        let fetched = archive.fetched();
        let distinct: BTreeSet<&String> = fetched.iter().collect();
        assert_eq!(fetched.len(), 5, "{backend}: {fetched:?}");
        assert_eq!(distinct.len(), 5, "{backend}: nothing fetched twice");
        assert_eq!(
            revisions(&db.conn, "http://www.lmsdr.org/treatments.php")
                .await
                .len(),
            3,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_dry_run_counts_without_fetching_a_body() {
    for db in TestDb::all().await {
        let archive = FakeArchive::start(Api::Wayback, holdings()).await;
        let mut options = options(&archive);
        options.dry_run = true;
        let report = run(&db, &options).await;
        assert_eq!(report.versions, 5, "{}", db.backend());
        assert_eq!(
            report.pages.len(),
            6,
            "{}: {:?}",
            db.backend(),
            report.pages
        );
        assert_eq!(
            report.pages["http://www.lmsdr.org/treatments.php"].versions,
            3,
            "{}",
            db.backend()
        );
        assert!(archive.fetched().is_empty(), "{}", db.backend());
        assert!(report.run_id.is_none());
        assert!(
            pages::Entity::find()
                .one(&db.conn)
                .await
                .expect("query")
                .is_none(),
            "{}: nothing written",
            db.backend()
        );
    }
}

#[tokio::test]
async fn a_pywb_collection_is_read_the_same_way() {
    let db = TestDb::sqlite().await;
    let archive = FakeArchive::start(Api::Pywb, holdings()).await;
    let report = run(&db, &options(&archive)).await;
    assert_eq!(report.captures.len(), 4, "{report:?}");
    assert_eq!(report.rejected.len(), 1);
    let treatments = revisions(&db.conn, "http://www.lmsdr.org/treatments.php").await;
    assert_eq!(
        treatments[2].memento_url.as_deref(),
        Some(
            format!(
                "{}/20120801100000/http://www.lmsdr.org/treatments.php",
                archive.base
            )
            .as_str()
        )
    );
}
