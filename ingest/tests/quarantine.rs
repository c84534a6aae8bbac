//! Quarantine, on SQLite and (with TEST_DATABASE_URL) PostgreSQL: a sync that fetches a
//! maintenance page served with 200, a page cut short mid-list or a "moved to …" notice keeps
//! every fact listed, stores the capture as a held revision and records an error on the run; the
//! good page returning leaves no gap in the listing intervals; an admin's acceptance applies a
//! held revision as of when it was fetched. A normal edit is not held.

use std::time::Duration;

use chrono::{DateTime, Utc};
use lmsdr_entity::sea_orm_active_enums::{FactKind, PageKind, RevisionReview, SyncRunStatus};
use lmsdr_entity::{fact_listings, page_revisions, pages, sync_errors, treatments};
use lmsdr_ingest::fetch::FetchConfig;
use lmsdr_ingest::pipeline;
use lmsdr_ingest::store::review::{self, ReviewError};
use lmsdr_ingest::sync::{self, PageOutcome, Quiet, SyncOptions, SyncReport};
use lmsdr_ingest::testing::TestDb;
use lmsdr_ingest::testing::site::{Route, Site};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use url::Url;

const TREATMENTS: &str = include_str!("fixtures/treatments/html5.html");
const MAINTENANCE: &str =
    "<html><body><h1>Down for maintenance</h1><p>Back soon.</p></body></html>\n";
const MOVED: &str = r#"<!DOCTYPE html>
<html><head><title>LeioMyoSarcoma Direct Research Foundation - LMSdr</title></head>
<body><h1>Treatments</h1>
<p>This page has moved to <a href="/lms/treatments.php">our new treatments page</a>. Please update your bookmarks.</p>
</body></html>
"#;
const PATH: &str = "/treatments.php";

/// The treatments page cut short in the middle of its list of targeted drugs, as when a PHP
/// error stops a page half-way.
fn truncated() -> String {
    let cut = TREATMENTS
        .find("<li>Tumor vascular disruptors")
        .expect("the fixture lists vascular disruptors");
    TREATMENTS[..cut].to_owned()
}

/// A site whose robots.txt lets a crawler read the treatments page alone: each sync reads that
/// page and nothing else, and finishes (no same-site page is left unread).
async fn one_page_site() -> Site {
    let site = Site::start().await;
    site.route(
        "/robots.txt",
        Route::Status {
            status: 200,
            headers: vec![],
            body: format!("User-agent: *\nAllow: {PATH}\nDisallow: /\n").into_bytes(),
        },
    );
    site
}

fn options(site: &Site) -> SyncOptions {
    let mut options = SyncOptions::new(Url::parse(&site.url(PATH)).expect("url"));
    options.max_pages = 1;
    options.delay = Duration::from_millis(1);
    options.fetch = FetchConfig {
        max_retries: 0,
        ..FetchConfig::default()
    };
    options
}

async fn sync(db: &TestDb, site: &Site) -> SyncReport {
    sync::run(&db.conn, &db.url, &options(site), &Quiet)
        .await
        .expect("sync runs")
}

fn outcome(report: &SyncReport) -> &PageOutcome {
    &report.pages.first().expect("the page was crawled").outcome
}

/// Treatments the page lists at a moment, read from the listing intervals as `asOf` reads them.
async fn listed_at(db: &DatabaseConnection, at: DateTime<Utc>) -> u64 {
    fact_listings::Entity::find()
        .filter(fact_listings::Column::FactKind.eq(FactKind::Treatment))
        .filter(fact_listings::Column::ListedFrom.lte(at))
        .filter(
            Condition::any()
                .add(fact_listings::Column::ListedUntil.is_null())
                .add(fact_listings::Column::ListedUntil.gt(at)),
        )
        .count(db)
        .await
        .expect("count")
}

async fn listed_now(db: &DatabaseConnection) -> u64 {
    treatments::Entity::find()
        .filter(treatments::Column::DelistedAt.is_null())
        .count(db)
        .await
        .expect("count")
}

async fn revisions(db: &DatabaseConnection) -> Vec<page_revisions::Model> {
    page_revisions::Entity::find()
        .order_by_asc(page_revisions::Column::FetchedAt)
        .all(db)
        .await
        .expect("revisions")
}

async fn run_errors(db: &DatabaseConnection, report: &SyncReport) -> Vec<String> {
    sync_errors::Entity::find()
        .filter(sync_errors::Column::SyncRunId.eq(report.run_id.expect("a run")))
        .all(db)
        .await
        .expect("errors")
        .into_iter()
        .map(|e| e.reason)
        .collect()
}

/// Syncs a suspicious page and checks it is held: every fact listed, a held revision with a
/// reason, an error on a partial run. Returns the held revision.
async fn held(db: &TestDb, site: &Site, html: &str, why: &str) -> page_revisions::Model {
    site.page(PATH, html);
    let report = sync(db, site).await;
    let backend = db.backend();
    let PageOutcome::Quarantined(reason) = outcome(&report) else {
        panic!("{backend}: {why} was not held: {:?}", outcome(&report));
    };
    assert_eq!(report.status, SyncRunStatus::Partial, "{backend}: {why}");
    assert_eq!(report.counts.quarantined, 1, "{backend}: {why}");
    assert_eq!(listed_now(&db.conn).await, 39, "{backend}: {why}");
    let errors = run_errors(&db.conn, &report).await;
    assert!(
        errors.iter().any(|e| e.contains("held in quarantine")),
        "{backend}: {why}: {errors:?}"
    );
    let latest = revisions(&db.conn).await.pop().expect("a revision");
    assert!(latest.quarantined, "{backend}: {why}");
    assert_eq!(latest.quarantine_reason.as_deref(), Some(reason.as_str()));
    assert!(latest.diff.is_some(), "{backend}: {why}: the diff is kept");
    latest
}

#[tokio::test]
async fn suspicious_pages_are_held_and_the_good_page_returns_without_a_gap() {
    for db in TestDb::all().await {
        let backend = db.backend();
        let site = one_page_site().await;
        site.page(PATH, TREATMENTS);
        assert_eq!(outcome(&sync(&db, &site).await), &PageOutcome::New);
        assert_eq!(listed_now(&db.conn).await, 39, "{backend}");

        // Maintenance, served with 200: held, and held again without a second revision.
        let maintenance = held(&db, &site, MAINTENANCE, "a maintenance page").await;
        assert!(
            maintenance
                .quarantine_reason
                .as_deref()
                .is_some_and(|r| r.contains("no longer reads as a treatment listing")),
            "{backend}: {:?}",
            maintenance.quarantine_reason
        );
        let again = sync(&db, &site).await;
        assert!(matches!(outcome(&again), PageOutcome::Quarantined(_)));
        assert_eq!(revisions(&db.conn).await.len(), 2, "{backend}");

        // The good page returns: a capture of its own, and no interval was ever closed.
        site.page(PATH, TREATMENTS);
        let back = sync(&db, &site).await;
        assert_eq!(outcome(&back), &PageOutcome::Changed, "{backend}");
        assert_eq!(back.status, SyncRunStatus::Ok, "{backend}");
        let closed = fact_listings::Entity::find()
            .filter(fact_listings::Column::ListedUntil.is_not_null())
            .count(&db.conn)
            .await
            .expect("count");
        assert_eq!(closed, 0, "{backend}: no false gap in the intervals");
        assert_eq!(listed_at(&db.conn, maintenance.fetched_at).await, 39);
        let all = revisions(&db.conn).await;
        assert_eq!(all.len(), 3, "{backend}");
        let superseded = &all[1];
        assert_eq!(superseded.review, Some(RevisionReview::Superseded));

        // Cut short mid-list, then a "moved" notice: each held.
        let cut = held(&db, &site, &truncated(), "a page cut short").await;
        assert!(
            cut.quarantine_reason
                .as_deref()
                .is_some_and(|r| r.contains("of the 39 treatments")),
            "{backend}: {:?}",
            cut.quarantine_reason
        );
        let moved = held(&db, &site, MOVED, "a moved notice").await;

        // Rejected: out of consideration, and the same content stays held.
        let rejected = review::reject(&db.conn, cut.id, Utc::now())
            .await
            .expect("rejects");
        assert_eq!(rejected.review, Some(RevisionReview::Rejected));
        assert!(matches!(
            pipeline::accept(&db.conn, cut.id).await,
            Err(pipeline::AcceptError::Review(ReviewError::Rejected(_)))
        ));

        // An admin accepts the notice on purpose: applied as of when it was fetched.
        let accepted = pipeline::accept(&db.conn, moved.id).await.expect("accepts");
        assert!(!accepted.quarantined, "{backend}");
        assert_eq!(accepted.review, Some(RevisionReview::Accepted));
        assert_eq!(listed_now(&db.conn).await, 0, "{backend}");
        assert_eq!(listed_at(&db.conn, moved.fetched_at).await, 0, "{backend}");
        let just_before = moved.fetched_at - chrono::Duration::milliseconds(1);
        assert_eq!(listed_at(&db.conn, just_before).await, 39, "{backend}");
        let page = pages::Entity::find()
            .one(&db.conn)
            .await
            .expect("page")
            .expect("stored");
        assert_eq!(page.current_revision_id, Some(moved.id), "{backend}");
        assert_ne!(page.kind, PageKind::TreatmentListing, "{backend}");
        assert!(matches!(
            pipeline::accept(&db.conn, moved.id).await,
            Err(pipeline::AcceptError::Review(ReviewError::NotHeld(_)))
        ));
    }
}

#[tokio::test]
async fn an_admin_may_accept_a_superseded_capture_into_the_history() {
    for db in TestDb::all().await {
        let backend = db.backend();
        let site = one_page_site().await;
        site.page(PATH, TREATMENTS);
        sync(&db, &site).await;
        let maintenance = held(&db, &site, MAINTENANCE, "a maintenance page").await;
        site.page(PATH, TREATMENTS);
        sync(&db, &site).await;
        let back = revisions(&db.conn)
            .await
            .pop()
            .expect("the good page again");

        // The site really was down: accepted, it delists over [maintenance, back) only.
        pipeline::accept(&db.conn, maintenance.id)
            .await
            .expect("accepts");
        assert_eq!(listed_at(&db.conn, maintenance.fetched_at).await, 0);
        assert_eq!(listed_at(&db.conn, back.fetched_at).await, 39, "{backend}");
        assert_eq!(listed_now(&db.conn).await, 39, "{backend}");
        let page = pages::Entity::find()
            .one(&db.conn)
            .await
            .expect("page")
            .expect("stored");
        assert_eq!(page.current_revision_id, Some(back.id), "{backend}");
        assert_eq!(page.kind, PageKind::TreatmentListing, "{backend}");
        let back = page_revisions::Entity::find_by_id(back.id)
            .one(&db.conn)
            .await
            .expect("revision")
            .expect("stored");
        let summary = back.summary.expect("a summary").to_string();
        assert!(
            summary.contains("surgery/"),
            "{backend}: the good page now relists what the accepted capture dropped: {summary}"
        );
    }
}

#[tokio::test]
async fn a_normal_edit_is_not_held() {
    for db in TestDb::all().await {
        let backend = db.backend();
        let site = one_page_site().await;
        site.page(PATH, TREATMENTS);
        sync(&db, &site).await;
        let edited = TREATMENTS.replace("  <li>Cryoablation</li>\n", "").replace(
            "  <li>Taxotere (docetaxel)</li>\n",
            "  <li>Taxotere (docetaxel)</li>\n  <li>Votrient (pazopanib)</li>\n",
        );
        site.page(PATH, &edited);
        let report = sync(&db, &site).await;
        assert_eq!(outcome(&report), &PageOutcome::Changed, "{backend}");
        assert_eq!(report.status, SyncRunStatus::Ok, "{backend}");
        let latest = revisions(&db.conn).await.pop().expect("a revision");
        assert!(!latest.quarantined, "{backend}");
        let summary = latest.summary.expect("a summary").to_string();
        assert!(summary.contains("cryoablation"), "{backend}: {summary}");
        assert!(summary.contains("pazopanib"), "{backend}: {summary}");
        assert_eq!(listed_now(&db.conn).await, 39, "{backend}");
    }
}
