//! Time order, on SQLite and (with TEST_DATABASE_URL) PostgreSQL: a page stored today, then
//! archived captures from 2011 and 2012 replayed in either order. Current state is unchanged;
//! the listing intervals answer each year with that year's page, identically whichever order the
//! captures came in; revisions list in capture order, each diff against the capture before it.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use lmsdr_entity::sea_orm_active_enums::{FactKind, RevisionOrigin};
use lmsdr_entity::{drugs, fact_listings, page_revisions, pages, treatments};
use lmsdr_ingest::import::import_paths;
use lmsdr_ingest::pipeline::{self, Input};
use lmsdr_ingest::testing::TestDb;
use lmsdr_ingest::testing::archive::{self, Capture};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use url::Url;

const TREATMENTS: &str = include_str!("fixtures/treatments/html5.html");
const URL: &str = "http://www.lmsdr.org/treatments.php";
const LETROZOLE: &str = "  <li>Femara (letrozole)</li>\n";
const PROTON: &str = "  <li>Proton, electron or neutron beams</li>\n";

fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 10, 0, 0)
        .single()
        .expect("a date")
}

/// The page as archived in 2012: letrozole not listed yet.
fn page_2012() -> String {
    TREATMENTS
        .replace(LETROZOLE, "")
        .replace("1 August 2012 08:59 am", "1 May 2012 10:00 am")
}

/// The page as archived in 2011: no letrozole, no particle beams either, and interferon among
/// the immunotherapies (gone by 2012).
fn page_2011() -> String {
    page_2012()
        .replace(PROTON, "")
        .replace(
            "  <li>Viral therapy</li>\n",
            "  <li>Viral therapy</li>\n  <li>Interferon therapy</li>\n",
        )
        .replace("1 May 2012 10:00 am", "1 March 2011 10:00 am")
}

/// Treatments the page lists at a moment, read from the listing intervals.
async fn listed_at(db: &DatabaseConnection, kind: FactKind, moment: DateTime<Utc>) -> u64 {
    fact_listings::Entity::find()
        .filter(fact_listings::Column::FactKind.eq(kind))
        .filter(fact_listings::Column::ListedFrom.lte(moment))
        .filter(
            Condition::any()
                .add(fact_listings::Column::ListedUntil.is_null())
                .add(fact_listings::Column::ListedUntil.gt(moment)),
        )
        .count(db)
        .await
        .expect("count")
}

/// Every interval, by fact, as times only (revision IDs depend on the order captures came in;
/// today's capture time differs from one run to the next).
type Intervals = Vec<(String, i32, String, Option<String>)>;

/// What one replay left: its intervals and its diffs, newest capture first.
type Replayed = (Intervals, Vec<Option<String>>);

fn moment(time: DateTime<Utc>) -> String {
    if time.year() > 2020 {
        "today".to_owned()
    } else {
        time.to_rfc3339()
    }
}

async fn intervals(db: &DatabaseConnection) -> Intervals {
    let mut all: Intervals = fact_listings::Entity::find()
        .all(db)
        .await
        .expect("intervals")
        .into_iter()
        .map(|l| {
            (
                format!("{:?}", l.fact_kind),
                l.fact_id,
                moment(l.listed_from),
                l.listed_until.map(moment),
            )
        })
        .collect();
    all.sort();
    all
}

#[tokio::test]
async fn archived_captures_fill_the_history_in_either_order() {
    let captures = [
        (2011, page_2011(), at(2011, 3, 2)),
        (2012, page_2012(), at(2012, 5, 2)),
    ];
    let mut by_order: BTreeMap<(&str, bool), Replayed> = BTreeMap::new();
    for oldest_first in [true, false] {
        for db in TestDb::all().await {
            let backend = db.backend();
            let today = Input::new(
                Url::parse(URL).expect("url"),
                TREATMENTS.as_bytes().to_vec(),
                RevisionOrigin::Sync,
            );
            pipeline::ingest(&db.conn, today).await.expect("stores");
            let before = pages::Entity::find()
                .one(&db.conn)
                .await
                .expect("page")
                .expect("stored");

            let dir = tempfile::tempdir().expect("tempdir");
            let mut order: Vec<_> = captures.iter().collect();
            if !oldest_first {
                order.reverse();
            }
            for (year, html, captured) in order {
                let path = dir.path().join(format!("{year}.warc"));
                archive::write(
                    &path,
                    &[Capture {
                        url: URL,
                        at: *captured,
                        html,
                    }],
                );
                let base = Url::parse("http://ignored.example/").expect("url");
                let report = import_paths(&db.conn, &db.url, &[path], &base)
                    .await
                    .expect("imports");
                assert_eq!(
                    (report.pages.pages_past, report.pages.pages_failed),
                    (1, 0),
                    "{backend}: {year}: {:?}",
                    report.files
                );
            }

            // Current state unchanged; the page was first seen in 2011.
            let after = pages::Entity::find()
                .one(&db.conn)
                .await
                .expect("page")
                .expect("stored");
            assert_eq!(after.current_revision_id, before.current_revision_id);
            assert_eq!(after.last_seen_at, before.last_seen_at, "{backend}");
            assert_eq!(after.last_edited_text, before.last_edited_text);
            assert_eq!(after.content_hash, before.content_hash, "{backend}");
            assert_eq!(after.first_seen_at, at(2011, 3, 2), "{backend}");

            // Each year answers with that year's page.
            let treatments = |moment| listed_at(&db.conn, FactKind::Treatment, moment);
            assert_eq!(treatments(at(2010, 1, 1)).await, 0, "{backend}");
            assert_eq!(treatments(at(2011, 9, 1)).await, 38, "{backend}");
            assert_eq!(treatments(at(2012, 9, 1)).await, 38, "{backend}");
            assert_eq!(treatments(Utc::now()).await, 39, "{backend}");
            let letrozole = drugs::Entity::find()
                .filter(drugs::Column::Slug.eq("letrozole"))
                .one(&db.conn)
                .await
                .expect("query")
                .expect("stored");
            assert_eq!(letrozole.delisted_at, None, "{backend}: listed today");
            assert!(letrozole.first_listed_at > at(2012, 9, 1), "{backend}");
            let gemcitabine = drugs::Entity::find()
                .filter(drugs::Column::Slug.eq("gemcitabine"))
                .one(&db.conn)
                .await
                .expect("query")
                .expect("stored");
            assert_eq!(gemcitabine.first_listed_at, at(2011, 3, 2), "{backend}");
            let interferon = treatments::Entity::find()
                .filter(treatments::Column::Name.contains("Interferon"))
                .one(&db.conn)
                .await
                .expect("query")
                .expect("stored from 2011");
            assert_eq!(
                (interferon.first_listed_at, interferon.delisted_at),
                (at(2011, 3, 2), Some(at(2012, 5, 2))),
                "{backend}: listed in 2011 only"
            );

            // Newest capture first; each diff against the capture before it in time.
            let revisions = page_revisions::Entity::find()
                .order_by_desc(page_revisions::Column::FetchedAt)
                .all(&db.conn)
                .await
                .expect("revisions");
            let times: Vec<_> = revisions.iter().skip(1).map(|r| r.fetched_at).collect();
            assert_eq!(times, [at(2012, 5, 2), at(2011, 3, 2)], "{backend}");
            assert_eq!(revisions[0].number, 1, "{backend}: numbers stay as given");
            let added = |r: &page_revisions::Model, what: &str| {
                r.diff
                    .as_deref()
                    .is_some_and(|d| d.lines().any(|l| l.starts_with('+') && l.contains(what)))
            };
            assert!(added(&revisions[0], "letrozole"), "{backend}");
            assert!(!added(&revisions[0], "Proton"), "{backend}");
            assert!(added(&revisions[1], "Proton"), "{backend}");
            assert_eq!(revisions[2].diff, None, "{backend}: the earliest capture");
            let summary = revisions[0].summary.as_ref().expect("summary").to_string();
            assert!(summary.contains("letrozole"), "{backend}: {summary}");
            assert!(!summary.contains("proton"), "{backend}: {summary}");

            let diffs = revisions.iter().map(|r| r.diff.clone()).collect();
            by_order.insert((backend, oldest_first), (intervals(&db.conn).await, diffs));
        }
    }
    for backend in ["sqlite", "postgres"] {
        if let (Some(oldest_first), Some(newest_first)) = (
            by_order.get(&(backend, true)),
            by_order.get(&(backend, false)),
        ) {
            assert_eq!(
                oldest_first.0, newest_first.0,
                "{backend}: the same intervals"
            );
            let strip = |diffs: &Vec<Option<String>>| -> Vec<Option<String>> {
                // Headers name revision numbers, which depend on the order stored.
                diffs
                    .iter()
                    .map(|d| {
                        d.as_ref().map(|d| {
                            d.lines()
                                .filter(|l| !l.starts_with("---") && !l.starts_with("+++"))
                                .collect::<Vec<_>>()
                                .join("\n")
                        })
                    })
                    .collect()
            };
            assert_eq!(strip(&oldest_first.1), strip(&newest_first.1), "{backend}");
        }
    }
}

#[tokio::test]
async fn the_same_capture_replayed_twice_adds_nothing() {
    for db in TestDb::all().await {
        let today = Input::new(
            Url::parse(URL).expect("url"),
            TREATMENTS.as_bytes().to_vec(),
            RevisionOrigin::Sync,
        );
        pipeline::ingest(&db.conn, today).await.expect("stores");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("2012.warc");
        let html = page_2012();
        archive::write(
            &path,
            &[Capture {
                url: URL,
                at: at(2012, 5, 2),
                html: &html,
            }],
        );
        let base = Url::parse("http://ignored.example/").expect("url");
        import_paths(&db.conn, &db.url, std::slice::from_ref(&path), &base)
            .await
            .expect("imports");
        let once = intervals(&db.conn).await;
        let report = import_paths(&db.conn, &db.url, &[path], &base)
            .await
            .expect("imports");
        assert_eq!(report.pages.pages_unchanged, 1, "{}", db.backend());
        assert_eq!(intervals(&db.conn).await, once, "{}", db.backend());
        let revisions = page_revisions::Entity::find()
            .count(&db.conn)
            .await
            .expect("count");
        assert_eq!(revisions, 2, "{}", db.backend());
    }
}
