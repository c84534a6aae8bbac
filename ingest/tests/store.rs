//! Storing extracted pages, on SQLite and (with TEST_DATABASE_URL) PostgreSQL.

use chrono::{DateTime, TimeZone, Utc};
use lmsdr_entity::sea_orm_active_enums::{FactKind, RevisionOrigin};
use lmsdr_entity::{
    drugs, fact_listings, page_revisions, pages, provenance, treatment_categories, treatments,
    warnings,
};
use lmsdr_ingest::extract::{Document, PageInput, extract};
use lmsdr_ingest::store::{Observation, PageChange, store_page};
use lmsdr_ingest::testing::TestDb;
use lmsdr_ingest::{bundled, store};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, ModelTrait, PaginatorTrait, QueryFilter,
};
use url::Url;

const URL: &str = "http://www.lmsdr.org/treatments.php";
const HTML5: &str = include_str!("fixtures/treatments/html5.html");
const BR_BULLETS: &[u8] = include_bytes!("fixtures/treatments/br-bullets.html");

fn doc(bytes: &[u8]) -> Document {
    let url = Url::parse(URL).expect("url");
    extract(PageInput {
        url: &url,
        bytes,
        content_type: None,
    })
    .expect("extracts")
}

fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, d, 12, 0, 0)
        .single()
        .expect("valid date")
}

async fn put(db: &DatabaseConnection, bytes: &[u8], at: DateTime<Utc>) -> store::Stored {
    let document = doc(bytes);
    store_page(
        db,
        Observation {
            document: &document,
            raw: bytes,
            content_type: Some("text/html"),
            fetched_at: at,
            http_status: Some(200),
            etag: None,
            last_modified: None,
            origin: RevisionOrigin::Import,
            sync_run_id: None,
            memento_url: None,
        },
    )
    .await
    .expect("stores")
}

async fn counts(db: &DatabaseConnection) -> [u64; 6] {
    [
        pages::Entity::find().count(db).await.expect("count"),
        page_revisions::Entity::find()
            .count(db)
            .await
            .expect("count"),
        provenance::Entity::find().count(db).await.expect("count"),
        treatments::Entity::find().count(db).await.expect("count"),
        drugs::Entity::find().count(db).await.expect("count"),
        fact_listings::Entity::find()
            .count(db)
            .await
            .expect("count"),
    ]
}

#[tokio::test]
async fn the_seed_page_is_stored_with_provenance() {
    for test in TestDb::all().await {
        let db = &test.conn;
        let stored = put(db, HTML5.as_bytes(), day(1)).await;
        assert_eq!(stored.change, PageChange::New, "{}", test.backend());
        assert_eq!(
            treatment_categories::Entity::find()
                .count(db)
                .await
                .expect("count"),
            7
        );
        assert_eq!(
            treatments::Entity::find().count(db).await.expect("count"),
            39
        );
        assert_eq!(drugs::Entity::find().count(db).await.expect("count"), 13);
        let page = pages::Entity::find()
            .one(db)
            .await
            .expect("query")
            .expect("page");
        assert_eq!(
            page.last_edited_text.as_deref(),
            Some("1 August 2012 08:59 am")
        );
        assert_eq!(
            page.last_edited_at.map(|d| d.to_string()).as_deref(),
            Some("2012-08-01 08:59:00")
        );

        // Every treatment points at its page, revision and list item.
        let revision_id = stored.revision_id.expect("a revision");
        for (treatment, source) in treatments::Entity::find()
            .find_also_related(provenance::Entity)
            .all(db)
            .await
            .expect("query")
        {
            let source = source.expect("provenance");
            assert_eq!((source.page_id, source.revision_id), (page.id, revision_id));
            assert!(
                source.excerpt.contains(&treatment.name) || treatment.name.contains("inhibitors"),
                "{} vs {}",
                treatment.name,
                source.excerpt
            );
        }
        let warning = warnings::Entity::find()
            .one(db)
            .await
            .expect("query")
            .expect("warning");
        let source = warning
            .find_related(provenance::Entity)
            .one(db)
            .await
            .expect("query")
            .expect("provenance");
        assert_eq!(
            source.excerpt,
            "Warning: Tamoxifen has been contra-indicated for uterine LMS in recent studies."
        );
    }
}

#[tokio::test]
async fn the_same_content_twice_changes_nothing() {
    for test in TestDb::all().await {
        let db = &test.conn;
        put(db, HTML5.as_bytes(), day(1)).await;
        let before = counts(db).await;
        let again = put(db, HTML5.as_bytes(), day(2)).await;
        assert_eq!(again.change, PageChange::Unchanged);
        // The same text in another markup is the same content.
        let other_markup = put(db, BR_BULLETS, day(3)).await;
        assert_eq!(other_markup.change, PageChange::Unchanged);
        assert_eq!(counts(db).await, before, "{}", test.backend());
    }
}

#[tokio::test]
async fn a_changed_page_gets_a_revision_and_delists_what_left() {
    for test in TestDb::all().await {
        let db = &test.conn;
        put(db, HTML5.as_bytes(), day(1)).await;
        let changed = HTML5
            .replace("  <li>Femara (letrozole)</li>\n", "")
            .replace(
                "<li>Spindle disruptors</li>",
                "<li>Spindle disruptors</li>\n  <li>Votrient (pazopanib)</li>",
            );
        let stored = put(db, changed.as_bytes(), day(5)).await;
        assert_eq!(stored.change, PageChange::Changed, "{}", test.backend());
        assert_eq!(stored.summary.drugs.added, ["pazopanib"]);
        assert_eq!(stored.summary.drugs.removed, ["letrozole"]);
        assert_eq!(
            stored.summary.treatments.removed,
            ["hormonal-therapy/letrozole"]
        );
        assert_eq!(
            stored.summary.treatments.added,
            ["targeted-therapy/pazopanib"]
        );

        let revision = page_revisions::Entity::find_by_id(stored.revision_id.expect("revision"))
            .one(db)
            .await
            .expect("query")
            .expect("revision");
        assert_eq!(revision.number, 2);
        let diff = revision.diff.expect("a diff");
        assert!(diff.contains("-• Femara (letrozole)"), "{diff}");
        assert!(diff.contains("+• Votrient (pazopanib)"), "{diff}");

        // Delisted, never deleted, with the moment it left.
        let letrozole = drugs::Entity::find()
            .filter(drugs::Column::Slug.eq("letrozole"))
            .one(db)
            .await
            .expect("query")
            .expect("letrozole kept");
        assert_eq!(letrozole.delisted_at, Some(day(5)));
        assert_eq!(letrozole.first_listed_at, day(1));
        let interval = fact_listings::Entity::find()
            .filter(fact_listings::Column::FactKind.eq(FactKind::Drug))
            .filter(fact_listings::Column::FactId.eq(letrozole.id))
            .one(db)
            .await
            .expect("query")
            .expect("interval");
        assert_eq!(
            (interval.listed_from, interval.listed_until),
            (day(1), Some(day(5)))
        );
        let pazopanib = drugs::Entity::find()
            .filter(drugs::Column::Slug.eq("pazopanib"))
            .one(db)
            .await
            .expect("query")
            .expect("pazopanib");
        assert_eq!(pazopanib.atc_code.as_deref(), Some("L01EX03"));
        assert_eq!(pazopanib.delisted_at, None);

        // Back on the page: listed again, in a new interval.
        let restored = put(db, HTML5.as_bytes(), day(9)).await;
        assert_eq!(restored.summary.drugs.added, ["letrozole"]);
        let letrozole = drugs::Entity::find_by_id(letrozole.id)
            .one(db)
            .await
            .expect("query")
            .expect("letrozole");
        assert_eq!(letrozole.delisted_at, None);
        let intervals = fact_listings::Entity::find()
            .filter(fact_listings::Column::FactKind.eq(FactKind::Drug))
            .filter(fact_listings::Column::FactId.eq(letrozole.id))
            .count(db)
            .await
            .expect("count");
        assert_eq!(intervals, 2);
    }
}

#[tokio::test]
async fn the_bundled_page_loads_once_into_an_empty_database() {
    for test in TestDb::all().await {
        let db = &test.conn;
        let first = bundled::load_if_empty(db).await.expect("loads");
        assert!(first.is_some());
        assert!(bundled::load_if_empty(db).await.expect("checks").is_none());
        let page = pages::Entity::find()
            .one(db)
            .await
            .expect("query")
            .expect("page");
        assert_eq!(page.url, bundled::TREATMENTS_URL);
        assert!(
            page.origin_note
                .is_some_and(|n| n.starts_with("Reconstructed"))
        );
        let revision = page_revisions::Entity::find()
            .one(db)
            .await
            .expect("query")
            .expect("rev");
        assert_eq!(revision.origin, RevisionOrigin::Bundled);
        let raw = zstd::decode_all(revision.raw_body_zstd.as_slice()).expect("decompresses");
        assert_eq!(raw, bundled::TREATMENTS_HTML);
    }
}
