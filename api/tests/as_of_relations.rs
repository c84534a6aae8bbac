//! `asOf` answers every relation as of that time, on SQLite and PostgreSQL: after a 2016 edit
//! drops the mTOR item and the ET-743 trial line, the 2014 view still gives each treatment and
//! regimen its drugs, and each drug its treatments; a delisted fact keeps the links it last
//! had; and a derived flag follows the facts (a drug the site no longer lists is not in trial).

mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::TestApp;
use lmsdr_api::server::ServerConfig;
use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;
use lmsdr_ingest::pipeline::{self, Input};
use lmsdr_ingest::testing::TestDb;
use serde_json::{Value, json};
use url::Url;

const URL: &str = "http://www.lmsdr.org/treatments.php";
const IN_2014: &str = "2014-06-01T00:00:00Z";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../ingest/tests/fixtures/treatments/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

async fn ingest(app: &TestApp, bytes: Vec<u8>, at: DateTime<Utc>) {
    let mut input = Input::new(Url::parse(URL).expect("url"), bytes, RevisionOrigin::Import);
    input.fetched_at = at;
    pipeline::ingest(&app.db.conn, input)
        .await
        .expect("ingests");
}

/// The 2012 page, then the 2016 edit.
async fn apps() -> Vec<TestApp> {
    let mut apps = Vec::new();
    for db in TestDb::all().await {
        let app = TestApp::new(db, ServerConfig::default());
        let at = |y, m, d| {
            Utc.with_ymd_and_hms(y, m, d, 9, 0, 0)
                .single()
                .expect("date")
        };
        ingest(&app, fixture("html5.html"), at(2012, 8, 1)).await;
        ingest(&app, fixture("wordpress-2016.html"), at(2016, 11, 14)).await;
        apps.push(app);
    }
    apps
}

/// Each node's name with its drugs' generic names.
fn named_drugs(nodes: &Value) -> Vec<(String, Vec<String>)> {
    nodes
        .as_array()
        .into_iter()
        .flatten()
        .map(|node| {
            let drugs = node["drugs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d["genericName"].as_str().map(str::to_owned))
                .collect();
            (node["name"].as_str().unwrap_or_default().to_owned(), drugs)
        })
        .collect()
}

fn pair(name: &str, drugs: &[&str]) -> (String, Vec<String>) {
    (
        name.to_owned(),
        drugs.iter().map(|d| (*d).to_owned()).collect(),
    )
}

#[tokio::test]
async fn treatments_and_regimens_answer_their_drugs_as_of_then() {
    for app in apps().await {
        let backend = app.db.backend();
        let data = app
            .graphql(
                "query($at: DateTime) {
                    targeted: treatments(asOf: $at, filter: {category: \"targeted-therapy\"}) {
                        nodes { name drugs { genericName } } }
                    chemo: treatments(asOf: $at, filter: {category: \"chemotherapy\"}) {
                        nodes { name drugs { genericName } } }
                    regimens(asOf: $at) { name drugs { genericName } } }",
                json!({ "at": IN_2014 }),
            )
            .await
            .data();
        let targeted = named_drugs(&data["targeted"]["nodes"]);
        assert!(
            targeted.contains(&pair("mTOR inhibitors", &["ridaforolimus"])),
            "{backend}: {targeted:?}"
        );
        let chemo = named_drugs(&data["chemo"]["nodes"]);
        for expected in [
            pair("Gem/Tax (Gemzar + Taxotere)", &["gemcitabine", "docetaxel"]),
            pair("ET-743 (Trabectedin / Yondelis)", &["trabectedin"]),
        ] {
            assert!(chemo.contains(&expected), "{backend}: {chemo:?}");
        }
        let regimens = named_drugs(&data["regimens"]);
        assert_eq!(
            regimens,
            [
                pair("Gem/Tax", &["gemcitabine", "docetaxel"]),
                pair("AIM", &["doxorubicin", "ifosfamide", "mesna"]),
            ],
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_drug_answers_its_treatments_then_and_its_last_ones_once_delisted() {
    const DRUG: &str = "query($slug: String!, $at: DateTime) {
        drug(slug: $slug, asOf: $at) { currentlyListed inTrial treatments { name } } }";
    for app in apps().await {
        let backend = app.db.backend();
        let then = app
            .graphql(DRUG, json!({ "slug": "ridaforolimus", "at": IN_2014 }))
            .await
            .data();
        assert_eq!(
            then["drug"]["treatments"],
            json!([{ "name": "mTOR inhibitors" }]),
            "{backend}"
        );
        let now = app
            .graphql(DRUG, json!({ "slug": "ridaforolimus", "at": null }))
            .await
            .data();
        assert_eq!(now["drug"]["currentlyListed"], false, "{backend}");
        assert_eq!(
            now["drug"]["treatments"],
            json!([{ "name": "mTOR inhibitors" }]),
            "{backend}: a delisted drug keeps the links it last had"
        );
        assert_eq!(
            now["drug"]["inTrial"], false,
            "{backend}: the site no longer says it is in a trial"
        );

        let trabectedin = app
            .graphql(DRUG, json!({ "slug": "trabectedin", "at": null }))
            .await
            .data();
        assert_eq!(
            trabectedin["drug"]["inTrial"], false,
            "{backend}: approved in 2015"
        );
        let trabectedin_then = app
            .graphql(DRUG, json!({ "slug": "trabectedin", "at": IN_2014 }))
            .await
            .data();
        assert_eq!(
            trabectedin_then["drug"]["inTrial"], true,
            "{backend}: in 2014 the page said it was in a trial"
        );
    }
}

#[tokio::test]
async fn an_approval_an_item_states_is_an_attribute_of_the_treatment() {
    const APPROVALS: &str = "query($at: DateTime) {
        treatments(asOf: $at, filter: {category: \"chemotherapy\"}) {
            nodes { name approval { by on text } } } }";
    for app in apps().await {
        let backend = app.db.backend();
        let now = app.graphql(APPROVALS, json!({ "at": null })).await.data();
        let approved: Vec<&Value> = now["treatments"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| !t["approval"].is_null())
            .collect();
        assert_eq!(approved.len(), 4, "{backend}: {approved:?}");
        let yondelis = approved
            .iter()
            .find(|t| {
                t["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("Yondelis"))
            })
            .expect("the trabectedin item");
        assert_eq!(
            yondelis["approval"],
            json!({ "by": "FDA", "on": "2015-10", "text": "approved by the FDA in October 2015" }),
            "{backend}"
        );
        let then = app
            .graphql(APPROVALS, json!({ "at": IN_2014 }))
            .await
            .data();
        assert!(
            then["treatments"]["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|t| t["approval"].is_null()),
            "{backend}: the 2012 page states no approval: {then}"
        );
    }
}

#[tokio::test]
async fn a_trial_phase_an_item_names_is_an_attribute_of_the_treatment() {
    for db in TestDb::all().await {
        let app = TestApp::new(db, ServerConfig::default());
        let backend = app.db.backend();
        let bytes = std::fs::read(format!(
            "{}/../ingest/tests/fixtures/later/treatments-table-no-header.html",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture");
        ingest(&app, bytes, Utc::now()).await;
        let data = app
            .graphql(
                "{ treatments(filter: {category: \"targeted-therapy\"}) {
                    nodes { name status trialPhase } } }",
                json!({}),
            )
            .await
            .data();
        assert_eq!(
            data["treatments"]["nodes"],
            json!([
                { "name": "Votrient (pazopanib), oral, approved in 2012",
                  "status": "STANDARD", "trialPhase": null },
                { "name": "Stivarga (regorafenib), oral, in a phase 2 trial for LMS",
                  "status": "IN_TRIAL", "trialPhase": "2" },
            ]),
            "{backend}"
        );
    }
}

#[tokio::test]
async fn the_bundled_page_states_its_facts_from_its_last_edited_stamp() {
    for app in TestApp::all().await {
        let query = "query($at: DateTime) { treatmentCategories(asOf: $at) { slug }
            regimens(asOf: $at) { slug } page(url: \"/treatments.php\") { lastEdited fetchedAt } }";
        let in_2013 = app
            .graphql(query, json!({ "at": "2013-01-01" }))
            .await
            .data();
        let now = app.graphql(query, json!({ "at": null })).await.data();
        assert!(
            !in_2013["treatmentCategories"]
                .as_array()
                .is_none_or(Vec::is_empty),
            "{}: {in_2013}",
            app.db.backend()
        );
        assert_eq!(in_2013["treatmentCategories"], now["treatmentCategories"]);
        assert_eq!(in_2013["regimens"], now["regimens"]);
        assert_eq!(now["page"]["fetchedAt"], "2012-08-01T08:59:00Z");
        let before = app
            .graphql(query, json!({ "at": "2012-07-31" }))
            .await
            .data();
        assert_eq!(
            before["treatmentCategories"],
            json!([]),
            "not yet edited then"
        );
    }
}
