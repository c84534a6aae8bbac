//! Lookups a frontend makes by what it has in hand: a page by its URL as a link writes it, and a
//! treatment, regimen or category by its slug (as WPGraphQL's `idType: SLUG`).

mod common;

use common::TestApp;
use serde_json::{Value, json};

const TREATMENTS: &str = "http://www.lmsdr.org/treatments.php";

async fn page_url(app: &TestApp, url: &str) -> Value {
    app.graphql(
        "query($url: String!) { page(url: $url) { url } }",
        json!({ "url": url }),
    )
    .await
    .data()["page"]["url"]
        .clone()
}

#[tokio::test]
async fn a_page_is_found_by_any_url_a_link_to_it_may_use() {
    for app in TestApp::all().await {
        for url in [
            TREATMENTS,
            "https://www.lmsdr.org/treatments.php",
            "http://lmsdr.org/treatments.php",
            "https://LMSDR.org/treatments.php#gemtax",
            "/treatments.php",
            " http://www.lmsdr.org/treatments.php ",
        ] {
            assert_eq!(page_url(&app, url).await, TREATMENTS, "{url}");
        }
        assert_eq!(page_url(&app, "/nothing-here.php").await, Value::Null);
        assert_eq!(
            page_url(&app, "http://elsewhere.example/treatments.php").await,
            Value::Null
        );
        let response = app
            .graphql("{ page(url: \"treatments.php\") { url } }", json!({}))
            .await;
        assert_eq!(
            response.error_code(),
            "BAD_USER_INPUT",
            "{}",
            response.text()
        );
    }
}

#[tokio::test]
async fn treatments_regimens_and_categories_are_found_by_slug() {
    for app in TestApp::all().await {
        let regimen = app
            .graphql(
                "{ regimen(slug: \"gem-tax\") { name } missing: regimen(slug: \"nope\") { name } }",
                json!({}),
            )
            .await
            .data();
        assert_eq!(regimen["regimen"]["name"], "Gem/Tax");
        assert_eq!(regimen["missing"], Value::Null);

        let listed = app
            .graphql(
                "{ treatmentCategories { slug treatments { slug name } } }",
                json!({}),
            )
            .await
            .data();
        let category = &listed["treatmentCategories"][0];
        let category_slug = category["slug"].as_str().expect("a category slug");
        let treatment = &category["treatments"][0];
        let treatment_key = treatment["slug"].as_str().expect("a treatment key");
        let (_, treatment_slug) = treatment_key
            .split_once('/')
            .expect("a treatment's key is category/treatment");

        let found = app
            .graphql(
                "query($c: String!, $key: String!, $bare: String!) {
                    treatmentCategory(slug: $c) { slug }
                    byKey: treatment(slug: $key) { name category { slug } }
                    bare: treatment(slug: $bare) { name }
                    missing: treatment(slug: \"chemotherapy/no-such-drug\") { name } }",
                json!({
                    "c": category_slug,
                    "key": treatment_key,
                    "bare": treatment_slug,
                }),
            )
            .await
            .data();
        assert_eq!(found["treatmentCategory"]["slug"], category_slug);
        assert_eq!(found["byKey"]["name"], treatment["name"]);
        assert_eq!(found["byKey"]["category"]["slug"], category_slug);
        assert_eq!(found["bare"]["name"], treatment["name"]);
        assert_eq!(found["missing"], Value::Null);
    }
}

#[tokio::test]
async fn a_drug_gives_its_code_names_abbreviations_and_former_names_as_the_exports_do() {
    for app in TestApp::all().await {
        let data = app
            .graphql(
                "{ drug(slug: \"trabectedin\") { codeNames abbreviations formerNames aliases } }",
                json!({}),
            )
            .await
            .data();
        let drug = &data["drug"];
        assert_eq!(drug["codeNames"], json!(["ET-743"]), "{data}");
        assert_eq!(drug["abbreviations"], json!([]));
        assert_eq!(drug["formerNames"], json!([]));
        assert_eq!(drug["aliases"], json!(["ET-743"]));
    }
}

#[tokio::test]
async fn a_withdrawn_drug_says_so_as_a_flag_and_says_why_apart() {
    for app in TestApp::all().await {
        let page = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../ingest/tests/fixtures/treatments/wordpress-2016.html"
        ))
        .expect("fixture");
        let input = lmsdr_ingest::pipeline::Input::new(
            url::Url::parse(TREATMENTS).expect("url"),
            page,
            lmsdr_entity::sea_orm_active_enums::RevisionOrigin::Import,
        );
        lmsdr_ingest::pipeline::ingest(&app.db.conn, input)
            .await
            .expect("ingests");
        let data = app
            .graphql(
                "{ withdrawn: drug(slug: \"olaratumab\") { isWithdrawn withdrawal }
                   listed: drug(slug: \"doxorubicin\") { isWithdrawn withdrawal } }",
                json!({}),
            )
            .await
            .data();
        assert_eq!(data["withdrawn"]["isWithdrawn"], true, "{data}");
        assert!(
            data["withdrawn"]["withdrawal"]
                .as_str()
                .is_some_and(|why| why.contains("ANNOUNCE")),
            "{data}"
        );
        assert_eq!(data["listed"]["isWithdrawn"], false, "{data}");
        assert_eq!(data["listed"]["withdrawal"], Value::Null, "{data}");
    }
}

#[tokio::test]
async fn a_page_is_found_by_another_url_it_is_served_at() {
    for app in TestApp::all().await {
        let home = "<html><head><title>LMSdr</title></head><body>\
                    <p>The foundation funds research into leiomyosarcoma.</p></body></html>";
        for url in ["http://www.lmsdr.org/", "http://www.lmsdr.org/index.php"] {
            let input = lmsdr_ingest::pipeline::Input::new(
                url::Url::parse(url).expect("url"),
                home.as_bytes().to_vec(),
                lmsdr_entity::sea_orm_active_enums::RevisionOrigin::Import,
            );
            lmsdr_ingest::pipeline::ingest(&app.db.conn, input)
                .await
                .expect("ingests");
        }
        for url in ["/index.php", "https://lmsdr.org/index.php", "/"] {
            assert_eq!(page_url(&app, url).await, "http://www.lmsdr.org/", "{url}");
        }
        let search = app
            .graphql(
                "{ search(query: \"foundation funds research\") { totalCount } }",
                json!({}),
            )
            .await
            .data();
        assert_eq!(search["search"]["totalCount"], 1, "{search}");
    }
}
