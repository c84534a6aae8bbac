//! The treatments page as the site became, stored after the 2012 page, on SQLite and (with
//! TEST_DATABASE_URL) PostgreSQL: a later edit whose items carry approval dates keeps every
//! section; a section the page lists that can no longer be read holds the revision for review
//! instead of delisting it; a change only in the theme's sidebar is not an edit of the page.

use chrono::{DateTime, TimeZone, Utc};
use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;
use lmsdr_entity::{page_revisions, regimens, treatment_categories, treatments};
use lmsdr_ingest::pipeline::{self, Ingested, Input};
use lmsdr_ingest::store::PageChange;
use lmsdr_ingest::testing::TestDb;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use url::Url;

const PAGE_2012: &str = include_str!("fixtures/treatments/html5.html");
const PAGE_2016: &str = include_str!("fixtures/treatments/wordpress-2016.html");
const URL: &str = "http://www.lmsdr.org/treatments.php";

fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 12, 0, 0)
        .single()
        .expect("a valid date")
}

async fn ingest(db: &DatabaseConnection, html: &str, fetched_at: DateTime<Utc>) -> Ingested {
    let mut input = Input::new(
        Url::parse(URL).expect("url"),
        html.as_bytes().to_vec(),
        RevisionOrigin::Import,
    );
    input.fetched_at = fetched_at;
    pipeline::ingest(db, input).await.expect("ingests")
}

async fn listed_categories(db: &DatabaseConnection) -> Vec<String> {
    let mut slugs: Vec<String> = treatment_categories::Entity::find()
        .filter(treatment_categories::Column::DelistedAt.is_null())
        .all(db)
        .await
        .expect("categories")
        .into_iter()
        .map(|c| c.slug)
        .collect();
    slugs.sort();
    slugs
}

async fn listed_regimens(db: &DatabaseConnection) -> Vec<String> {
    let mut names: Vec<String> = regimens::Entity::find()
        .filter(regimens::Column::DelistedAt.is_null())
        .all(db)
        .await
        .expect("regimens")
        .into_iter()
        .map(|r| r.name)
        .collect();
    names.sort();
    names
}

async fn listed_treatments(db: &DatabaseConnection) -> u64 {
    treatments::Entity::find()
        .filter(treatments::Column::DelistedAt.is_null())
        .count(db)
        .await
        .expect("count")
}

const CATEGORIES: [&str; 7] = [
    "chemotherapy",
    "hormonal-therapy",
    "immunotherapy",
    "interventional-radiology",
    "radiation-therapy",
    "surgery",
    "targeted-therapy",
];

#[tokio::test]
async fn a_later_edit_whose_items_carry_approval_dates_keeps_every_section() {
    for db in TestDb::all().await {
        let backend = db.backend();
        ingest(&db.conn, PAGE_2012, at(2012, 8, 1)).await;
        assert_eq!(listed_treatments(&db.conn).await, 39, "{backend}");

        let edited = ingest(&db.conn, PAGE_2016, at(2016, 11, 14)).await;
        assert_eq!(edited.stored.change, PageChange::Changed, "{backend}");
        assert_eq!(edited.stored.quarantine_reason, None, "{backend}");
        assert!(
            edited.document.notices.is_empty(),
            "{:?}",
            edited.document.notices
        );
        assert_eq!(listed_categories(&db.conn).await, CATEGORIES, "{backend}");
        assert_eq!(
            listed_regimens(&db.conn).await,
            ["AIM", "Gem/Tax"],
            "{backend}: the page still lists both regimens"
        );
        // 39 in 2012; the 2016 page drops the ET-743 and mTOR items and adds four dated agents.
        assert_eq!(listed_treatments(&db.conn).await, 41, "{backend}");
        let chemotherapy = &edited.document.categories[1];
        assert_eq!(chemotherapy.slug, "chemotherapy");
        let pazopanib = chemotherapy
            .treatments
            .iter()
            .find(|t| t.name.starts_with("Votrient"))
            .expect("the dated pazopanib item is a treatment");
        assert_eq!(pazopanib.drugs[0].drug, "pazopanib", "{backend}");
    }
}

/// The 2016 page with its chemotherapy items rewritten as response rates: the section is still
/// there and still names its drugs, but no longer reads as a list of treatments.
fn chemotherapy_unreadable() -> String {
    let start = PAGE_2016
        .find("<p>&bull; Gem/Tax")
        .expect("the fixture lists Gem/Tax");
    let end = PAGE_2016
        .find("<h3>Targeted Therapy</h3>")
        .expect("the fixture has a targeted therapy section");
    let rates = "<ul>\n\
        <li>Gem/Tax (Gemzar + Taxotere): response rate of 53% in a 2002 study</li>\n\
        <li>AIM (Adriamycin + Ifex + Mesna): response rate of 40% in a 2007 study</li>\n\
        <li>Adriamycin (doxorubicin) alone: response rate of about 25%</li>\n\
        <li>Yondelis (trabectedin): median survival of 13.7 months</li>\n\
        </ul>\n";
    format!("{}{rates}{}", &PAGE_2016[..start], &PAGE_2016[end..])
}

#[tokio::test]
async fn a_listed_section_that_can_no_longer_be_read_holds_the_revision_for_review() {
    for db in TestDb::all().await {
        let backend = db.backend();
        ingest(&db.conn, PAGE_2016, at(2016, 11, 14)).await;
        let before = listed_treatments(&db.conn).await;

        let held = ingest(&db.conn, &chemotherapy_unreadable(), at(2017, 1, 9)).await;
        assert_eq!(held.stored.change, PageChange::Quarantined, "{backend}");
        let reason = held.stored.quarantine_reason.unwrap_or_default();
        assert!(reason.contains("chemotherapy"), "{backend}: {reason}");
        assert_eq!(listed_categories(&db.conn).await, CATEGORIES, "{backend}");
        assert_eq!(listed_treatments(&db.conn).await, before, "{backend}");
        assert_eq!(listed_regimens(&db.conn).await, ["AIM", "Gem/Tax"]);
    }
}

#[tokio::test]
async fn a_change_only_in_the_sidebar_or_the_footer_is_not_an_edit_of_the_page() {
    for db in TestDb::all().await {
        let backend = db.backend();
        ingest(&db.conn, PAGE_2016, at(2016, 11, 14)).await;
        let new_post = PAGE_2016
            .replace(
                "<li><a href=\"http://www.lmsdr.org/2016/11/\">November 2016</a></li>",
                "<li><a href=\"http://www.lmsdr.org/2016/12/\">December 2016</a></li>\n\
                 <li><a href=\"http://www.lmsdr.org/2016/11/\">November 2016</a></li>",
            )
            .replace(
                "<ul>\n\t\t\t\t\t<li><a href=\"http://www.lmsdr.org/2016/11/lartruvo-approved/\">",
                "<ul>\n\t\t\t\t\t<li><a href=\"http://www.lmsdr.org/2016/12/giving-tuesday/\">Giving Tuesday: double your gift</a></li>\n\
                 <li><a href=\"http://www.lmsdr.org/2016/11/lartruvo-approved/\">",
            )
            .replace("&copy; 2016", "&copy; 2017");
        assert_ne!(new_post, PAGE_2016, "the fixture changed");
        let again = ingest(&db.conn, &new_post, at(2016, 12, 1)).await;
        assert_eq!(again.stored.change, PageChange::Unchanged, "{backend}");
        assert!(!again.document.main_text.contains("Giving Tuesday"));
        let revisions = page_revisions::Entity::find()
            .count(&db.conn)
            .await
            .expect("count");
        assert_eq!(
            revisions, 1,
            "{backend}: no revision for the theme's chrome"
        );
    }
}

/// What the extractor before this version made of the 2016 page: its chemotherapy section left
/// out (as the issue measured it), the rest as today.
fn read_by_the_old_extractor() -> lmsdr_ingest::extract::Document {
    let url = Url::parse(URL).expect("url");
    let mut doc = lmsdr_ingest::extract::extract(lmsdr_ingest::extract::PageInput {
        url: &url,
        bytes: PAGE_2016.as_bytes(),
        content_type: None,
    })
    .expect("extracts");
    doc.categories.retain(|c| c.slug != "chemotherapy");
    doc.regimens.clear();
    doc.drug_relations.clear();
    doc
}

#[tokio::test]
async fn a_page_an_older_extractor_read_is_read_again_and_lists_what_it_states() {
    use lmsdr_ingest::store::{self, Observation};

    for db in TestDb::all().await {
        let backend = db.backend();
        ingest(&db.conn, PAGE_2012, at(2012, 8, 1)).await;
        // The database as the older lmsdr left it: the 2016 page stored without its
        // chemotherapy, regimens delisted, and no record of which rules read it.
        let old = read_by_the_old_extractor();
        store::store_page(
            &db.conn,
            Observation {
                document: &old,
                raw: PAGE_2016.as_bytes(),
                content_type: None,
                fetched_at: at(2016, 11, 14),
                http_status: None,
                etag: None,
                last_modified: None,
                origin: RevisionOrigin::Import,
                sync_run_id: None,
                memento_url: None,
            },
        )
        .await
        .expect("stores");
        db.execute("UPDATE page_revisions SET read_by = NULL").await;
        assert_eq!(
            listed_regimens(&db.conn).await,
            Vec::<String>::new(),
            "{backend}"
        );

        let reread = pipeline::reread_stale(&db.conn).await.expect("rereads");
        assert_eq!((reread.pages, reread.failed.len()), (1, 0), "{backend}");
        assert_eq!(listed_categories(&db.conn).await, CATEGORIES, "{backend}");
        assert_eq!(
            listed_regimens(&db.conn).await,
            ["AIM", "Gem/Tax"],
            "{backend}"
        );
        assert_eq!(listed_treatments(&db.conn).await, 41, "{backend}");
        assert_eq!(
            pipeline::reread_stale(&db.conn)
                .await
                .expect("rereads")
                .pages,
            0,
            "{backend}: read once"
        );
    }
}
