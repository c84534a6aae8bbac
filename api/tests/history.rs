//! History through the API, on SQLite and PostgreSQL: a held revision changes nothing until an
//! admin accepts it; `asOf` answers with what the page stated then — names, statuses,
//! descriptions, warning texts, drug names and routes — not only with what it listed.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::{TestApp, admin};
use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;
use lmsdr_ingest::bundled::{TREATMENTS_HTML, TREATMENTS_URL};
use lmsdr_ingest::pipeline::{self, Input};
use lmsdr_ingest::store::PageChange;
use serde_json::{Value, json};

/// A PHP site's answer while it is updated: 200, and a line of text.
const MAINTENANCE: &str =
    "<html><head><title>Maintenance</title></head><body><p>Down for maintenance</p></body></html>";

impl TestApp {
    /// The treatments page's revisions as an admin sees them (held ones too), newest capture
    /// first.
    async fn revisions(&self) -> Vec<Value> {
        let data = self
            .as_admin(
                "query($url: String!) { page(url: $url) { revisions(first: 50) { nodes {
                    id number origin fetchedAt quarantined quarantineReason review reviewedAt
                    summary { treatments { added removed } } } } } }",
                json!({ "url": TREATMENTS_URL }),
            )
            .await
            .data();
        data["page"]["revisions"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// How many treatments and drugs the site lists now, or listed at a moment.
    async fn counts(&self, at: Option<DateTime<Utc>>) -> (Value, Value) {
        let data = self
            .graphql(
                "query($at: DateTime) { treatments(asOf: $at) { totalCount }
                    drugs(asOf: $at) { totalCount } }",
                json!({ "at": at.map(|t| t.to_rfc3339()) }),
            )
            .await
            .data();
        (
            data["treatments"]["totalCount"].clone(),
            data["drugs"]["totalCount"].clone(),
        )
    }
}

/// The bundled page's text, edited.
fn bundled_with(edits: &[(&str, &str)]) -> String {
    let mut text = encoding_rs::WINDOWS_1252
        .decode(TREATMENTS_HTML)
        .0
        .into_owned();
    for (from, to) in edits {
        assert!(text.contains(from), "the bundled page says {from:?}");
        text = text.replace(from, to);
    }
    text
}

/// Stores a capture of the treatments page taken at a moment.
async fn capture(app: &TestApp, html: String, at: DateTime<Utc>) -> pipeline::Ingested {
    let url = url::Url::parse(TREATMENTS_URL).expect("url");
    let input = Input {
        fetched_at: at,
        content_type: Some("text/html; charset=utf-8".to_owned()),
        ..Input::new(url, html.into_bytes(), RevisionOrigin::Archive)
    };
    pipeline::ingest(&app.db.conn, input)
        .await
        .expect("the capture is stored")
}

#[tokio::test]
async fn a_held_revision_changes_nothing_until_an_admin_accepts_it() {
    for app in TestApp::all_with(admin()).await {
        let backend = app.db.backend();
        let loaded = app.revisions().await[0]["fetchedAt"].clone();
        let imported = app
            .as_admin(
                "mutation($url: String!, $html: String!) {
                    importPage(url: $url, html: $html) { change kind page { title } } }",
                json!({ "url": TREATMENTS_URL, "html": MAINTENANCE }),
            )
            .await
            .data();
        assert_eq!(imported["importPage"]["change"], "QUARANTINED", "{backend}");
        assert_eq!(
            imported["importPage"]["page"]["title"],
            "LeioMyoSarcoma Direct Research Foundation - LMSdr",
            "{backend}: no page field changes"
        );

        let revisions = app.revisions().await;
        assert_eq!(revisions.len(), 2, "{backend}: {revisions:?}");
        let (held, bundled) = (&revisions[0], &revisions[1]);
        assert_eq!(held["quarantined"], true, "{backend}");
        assert!(
            held["quarantineReason"]
                .as_str()
                .is_some_and(|r| r.contains("no longer reads as a treatment listing")),
            "{backend}: {held}"
        );
        assert_eq!(held["review"], Value::Null, "{backend}");
        assert_eq!(bundled["quarantined"], false, "{backend}");
        assert_eq!(bundled["fetchedAt"], loaded);
        assert_eq!(app.counts(None).await, (json!(39), json!(13)), "{backend}");

        let review = "mutation($id: ID!) { acceptRevision(id: $id) {
            number quarantined review reviewedAt } }";
        let reject = "mutation($id: ID!) { rejectRevision(id: $id) { review } }";
        let not_held = app.as_admin(reject, json!({ "id": bundled["id"] })).await;
        assert_eq!(not_held.error_code(), "BAD_USER_INPUT", "{backend}");
        let unauthorised = app.graphql(review, json!({ "id": held["id"] })).await;
        assert_eq!(unauthorised.error_code(), "UNAUTHORIZED", "{backend}");
        assert_eq!(app.counts(None).await, (json!(39), json!(13)), "{backend}");

        let accepted = app
            .as_admin(review, json!({ "id": held["id"] }))
            .await
            .data();
        let accepted = &accepted["acceptRevision"];
        assert_eq!(accepted["review"], "ACCEPTED", "{backend}");
        assert_eq!(
            accepted["number"], held["number"],
            "{backend}: numbers are stable"
        );
        assert!(accepted["reviewedAt"].is_string(), "{backend}");
        assert_eq!(app.counts(None).await, (json!(0), json!(0)), "{backend}");
        // Applied as if accepted when fetched: listed until then, not after.
        let fetched: DateTime<Utc> = held["fetchedAt"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("a fetch time");
        let just_before = Some(fetched - Duration::milliseconds(1));
        assert_eq!(
            app.counts(just_before).await,
            (json!(39), json!(13)),
            "{backend}"
        );
        assert_eq!(
            app.counts(Some(fetched)).await,
            (json!(0), json!(0)),
            "{backend}"
        );

        let twice = app.as_admin(review, json!({ "id": held["id"] })).await;
        assert_eq!(twice.error_code(), "BAD_USER_INPUT", "{backend}");
        let revisions = app.revisions().await;
        assert_eq!(
            revisions[0]["summary"]["treatments"]["removed"]
                .as_array()
                .map(Vec::len),
            Some(39),
            "{backend}: the accepted revision's summary is against the capture before it"
        );
    }
}

fn year(year: i32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, 6, 1, 12, 0, 0)
        .single()
        .expect("a date")
}

/// The value at a JSON pointer of each item of a list whose `slug` is `slug`.
fn of<'v>(list: &'v Value, slug: &str, field: &str) -> &'v Value {
    list.as_array()
        .and_then(|items| items.iter().find(|item| item["slug"] == slug))
        .map_or(&Value::Null, |item| &item[field])
}

#[tokio::test]
async fn as_of_answers_with_what_the_page_stated_then() {
    // In 2011 the page described surgery in other words, worded the tamoxifen warning
    // differently, named ifosfamide without its brand, gave no route for temozolomide and
    // listed trabectedin as a standard agent.
    let page_2011 = bundled_with(&[
        (
            "<B>Surgery</B> is the first choice for LMS treatment",
            "<B>Surgery</B> is the main choice for LMS treatment",
        ),
        (
            "Tamoxifen has been contra-indicated for uterine LMS in recent studies.",
            "Tamoxifen has been contra-indicated for uterine LMS.",
        ),
        ("<LI>Ifex (ifosfamide)", "<LI>Ifosfamide"),
        ("Temodar (temozolomide) oral,", "Temodar (temozolomide),"),
        (
            "Currently in trial showing good response in Sarcoma is ET-743 (Trabectedin / Yondelis).",
            "ET-743 (Trabectedin / Yondelis).",
        ),
        ("1 August 2012 08:59\u{a0}am", "1 March 2011 10:00\u{a0}am"),
    ]);
    // An hour after the bundled page was loaded, the hormonal lead-in is reworded.
    let page_later = bundled_with(&[(
        "Therapy for uterine LMS may be useful",
        "Therapy for uterine LMS can be useful",
    )]);
    let query = "query($at: DateTime) {
        treatmentCategories(asOf: $at) { slug description treatments { slug name status } }
        treatments(first: 100, asOf: $at) { nodes { slug name status } }
        inTrial: treatments(first: 100, asOf: $at, filter: { status: IN_TRIAL }) {
            nodes { slug } }
        warnings(asOf: $at) { slug text population }
        drugs(first: 50, asOf: $at) { nodes { slug brandNames routes } } }";
    for app in TestApp::all().await {
        let backend = app.db.backend();
        let at = |t: DateTime<Utc>| json!({ "at": t.to_rfc3339() });
        let loaded: DateTime<Utc> = app.revisions().await[0]["fetchedAt"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("the bundled page's fetch time");
        let before = app.graphql(query, json!({})).await.data();

        let stored = capture(&app, page_2011.clone(), year(2011)).await;
        assert_eq!(stored.stored.change, PageChange::Past, "{backend}");
        let now = app.graphql(query, json!({})).await.data();
        assert_eq!(
            now, before,
            "{backend}: a capture in the past changes nothing current"
        );

        let then = app.graphql(query, at(year(2011))).await.data();
        let categories = &then["treatmentCategories"];
        assert_eq!(
            of(categories, "surgery", "description"),
            "Surgery is the main choice for LMS treatment, and includes:",
            "{backend}"
        );
        assert_eq!(
            of(&now["treatmentCategories"], "surgery", "description"),
            "Surgery is the first choice for LMS treatment, and includes:",
            "{backend}"
        );
        assert_eq!(
            of(
                &then["warnings"],
                "tamoxifen-contraindication-uterine-lms",
                "text"
            ),
            "Tamoxifen has been contra-indicated for uterine LMS.",
            "{backend}"
        );
        assert_eq!(
            of(
                &now["warnings"],
                "tamoxifen-contraindication-uterine-lms",
                "text"
            ),
            "Tamoxifen has been contra-indicated for uterine LMS in recent studies.",
            "{backend}"
        );
        let trabectedin = |data: &Value| {
            data["treatments"]["nodes"]
                .as_array()
                .and_then(|all| {
                    all.iter()
                        .find(|t| t["name"].as_str().is_some_and(|n| n.contains("ET-743")))
                })
                .cloned()
                .unwrap_or_default()
        };
        assert_eq!(trabectedin(&then)["status"], "STANDARD", "{backend}");
        assert_eq!(trabectedin(&now)["status"], "IN_TRIAL", "{backend}");
        assert_eq!(
            trabectedin(&then)["slug"],
            trabectedin(&now)["slug"],
            "{backend}"
        );
        assert_eq!(
            then["inTrial"]["nodes"],
            json!([]),
            "{backend}: filtered by the status then"
        );
        assert_eq!(
            now["inTrial"]["nodes"],
            json!([{ "slug": trabectedin(&now)["slug"] }]),
            "{backend}"
        );
        let chemo =
            |data: &Value| of(&data["treatmentCategories"], "chemotherapy", "treatments").clone();
        assert!(
            chemo(&then)
                .to_string()
                .contains("\"Temodar (temozolomide), same drug as"),
            "{backend}: a category's treatments are named as then: {}",
            chemo(&then)
        );
        let drugs = |data: &Value| data["drugs"]["nodes"].clone();
        // A known drug's names are the curated vocabulary's, whatever words a page used.
        let ifex = json!(["Ifex"]);
        assert_eq!(
            of(&drugs(&then), "ifosfamide", "brandNames"),
            &ifex,
            "{backend}"
        );
        assert_eq!(
            of(&drugs(&now), "ifosfamide", "brandNames"),
            &ifex,
            "{backend}"
        );
        let ifosfamide = |data: &Value| {
            chemo(data)
                .as_array()
                .and_then(|all| {
                    all.iter()
                        .find(|t| t["name"].as_str().is_some_and(|n| n.contains("fosfamide")))
                })
                .map(|t| t["name"].clone())
                .unwrap_or_default()
        };
        assert_eq!(ifosfamide(&then), "Ifosfamide", "{backend}");
        assert_eq!(ifosfamide(&now), "Ifex (ifosfamide)", "{backend}");
        assert_eq!(
            of(&drugs(&then), "temozolomide", "routes"),
            &json!([]),
            "{backend}"
        );
        assert_eq!(
            of(&drugs(&now), "temozolomide", "routes"),
            &json!(["ORAL"]),
            "{backend}"
        );

        // A newer revision rewords a lead-in: before it, the words stored before.
        let later = loaded + Duration::hours(1);
        let stored = capture(&app, page_later.clone(), later).await;
        assert_eq!(stored.stored.change, PageChange::Changed, "{backend}");
        let hormonal = |data: &Value| {
            of(
                &data["treatmentCategories"],
                "hormonal-therapy",
                "description",
            )
            .as_str()
            .unwrap_or_default()
            .to_owned()
        };
        let between = app
            .graphql(query, at(loaded + Duration::minutes(30)))
            .await
            .data();
        assert!(
            hormonal(&between).contains("may be useful"),
            "{backend}: {}",
            hormonal(&between)
        );
        let current = app.graphql(query, json!({})).await.data();
        assert!(
            hormonal(&current).contains("can be useful"),
            "{backend}: {}",
            hormonal(&current)
        );
        let after = app
            .graphql(query, at(later + Duration::minutes(1)))
            .await
            .data();
        assert_eq!(
            after, current,
            "{backend}: asOf after the last capture answers as now"
        );
        let then_again = app.graphql(query, at(year(2011))).await.data();
        assert_eq!(
            then_again, then,
            "{backend}: a newer revision leaves 2011 as it was"
        );
    }
}
