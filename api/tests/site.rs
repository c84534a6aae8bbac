//! The whole site through the API, on SQLite and PostgreSQL: page kinds, content, links in and
//! out, broken links, drug mentions, search, and cursors that hold still while a sync inserts.

mod common;

use std::path::PathBuf;

use chrono::Utc;
use common::TestApp;
use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;
use lmsdr_ingest::import::import_paths;
use lmsdr_ingest::pipeline::{self, Input};
use lmsdr_ingest::store;
use serde_json::{Value, json};
use url::Url;

const SITE: &str = "http://www.lmsdr.org/";

/// One app per backend holding the treatments page and the fixture site's other pages.
async fn site_apps() -> Vec<TestApp> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ingest/tests/fixtures/site");
    let base = Url::parse(SITE).expect("URL");
    let mut apps = TestApp::all().await;
    for app in &mut apps {
        let report = import_paths(&app.db.conn, &app.db.url, std::slice::from_ref(&dir), &base)
            .await
            .expect("the fixture site imports");
        assert_eq!(report.pages.pages_failed, 0, "{:?}", report.files);
    }
    apps
}

fn url(path: &str) -> String {
    format!("{SITE}{path}")
}

async fn ingest(app: &TestApp, path: &str, html: &str) {
    let input = Input::new(
        Url::parse(&url(path)).expect("URL"),
        html.as_bytes().to_vec(),
        RevisionOrigin::Import,
    );
    pipeline::ingest(&app.db.conn, input)
        .await
        .expect("the page is stored");
}

#[tokio::test]
async fn every_page_has_a_kind_and_only_the_listing_states_treatments() {
    for app in site_apps().await {
        let data = app
            .graphql(
                "{ pages(first: 20) { totalCount edges { node { url kind kindReasons excerpt } } }
                   treatmentCategories { slug }
                   treatments(first: 1) { totalCount }
                   site { pageKinds { kind count } } }",
                json!({}),
            )
            .await
            .data();
        let kinds: Vec<(String, String)> = data["pages"]["edges"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|e| {
                (
                    e["node"]["url"].as_str().unwrap_or_default().to_owned(),
                    e["node"]["kind"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let expected = [
            ("contact.php", "CONTACT"),
            ("donate.php", "DONATION"),
            ("events.php", "EVENTS"),
            ("faq.php", "FAQ"),
            ("index.php", "INDEX"),
            ("memorials.php", "TRIBUTE"),
            ("news.php", "NEWS"),
            ("treatments.php", "TREATMENT_LISTING"),
            ("whatislms.php", "ARTICLE"),
        ];
        assert_eq!(
            kinds,
            expected
                .iter()
                .map(|(p, k)| (url(p), (*k).to_owned()))
                .collect::<Vec<_>>(),
            "{}",
            app.db.backend()
        );
        for edge in data["pages"]["edges"].as_array().into_iter().flatten() {
            assert!(
                edge["node"]["kindReasons"]
                    .as_array()
                    .is_some_and(|r| !r.is_empty())
            );
        }
        assert_eq!(
            data["treatmentCategories"].as_array().map(Vec::len),
            Some(7)
        );
        assert_eq!(data["treatments"]["totalCount"], 39);
        assert!(
            data["site"]["pageKinds"]
                .as_array()
                .is_some_and(|k| k.contains(&json!({ "kind": "FAQ", "count": 1 })))
        );
    }
}

#[tokio::test]
async fn pages_give_their_content_as_text_html_and_blocks() {
    for app in site_apps().await {
        let data = app
            .graphql(
                "query($url: String!) { page(url: $url) { excerpt images { src alt }
                   content { text html blocks { kind text level items ordered links { url external }
                     src alt rows headerRow } } } }",
                json!({ "url": url("whatislms.php") }),
            )
            .await
            .data();
        let content = &data["page"]["content"];
        let kinds: Vec<&str> = content["blocks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| b["kind"].as_str())
            .collect();
        assert_eq!(
            kinds,
            [
                "HEADING",
                "PARAGRAPH",
                "IMAGE",
                "HEADING",
                "PARAGRAPH",
                "PARAGRAPH",
                "LIST",
                "PARAGRAPH"
            ]
        );
        assert_eq!(content["blocks"][0]["level"], 3);
        assert_eq!(content["blocks"][6]["items"][0], "Localized tumors: 60%");
        let html = content["html"].as_str().unwrap_or_default();
        assert!(html.contains("<li>Localized tumors: 60%</li>"), "{html}");
        assert!(
            !html.contains("<font") && !html.contains("<table"),
            "{html}"
        );
        assert!(
            content["text"]
                .as_str()
                .is_some_and(|t| t.contains("• Regional spread: 36%"))
        );
        assert_eq!(
            data["page"]["images"],
            json!([{ "src": url("images/smooth-muscle.jpg"), "alt": "Smooth muscle cells under a microscope" }])
        );
        let table = app
            .graphql(
                "query($url: String!) { page(url: $url) { content { blocks { kind rows headerRow } } } }",
                json!({ "url": url("events.php") }),
            )
            .await
            .data();
        let blocks = table["page"]["content"]["blocks"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let table = blocks
            .iter()
            .find(|b| b["kind"] == "TABLE")
            .expect("a table block");
        assert_eq!(table["headerRow"], true);
        assert_eq!(
            table["rows"][1],
            json!(["2011-09-17", "Walk for LMS", "$12,400"])
        );
    }
}

#[tokio::test]
async fn any_revision_says_what_the_page_said_then() {
    for app in site_apps().await {
        let faq =
            String::from_utf8_lossy(include_bytes!("../../ingest/tests/fixtures/site/faq.php"))
                .replace("A biopsy is needed.", "A biopsy is always needed.");
        ingest(&app, "faq.php", &faq).await;
        let query = "query($url: String!) { page(url: $url) { content { text }
            revisions(first: 5) { edges { node { number kind notices content { text } } } } } }";
        let data = app
            .graphql(query, json!({ "url": url("faq.php") }))
            .await
            .data();
        let revisions = data["page"]["revisions"]["edges"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(revisions.len(), 2);
        let text = |i: usize| {
            revisions[i]["node"]["content"]["text"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        };
        assert!(text(0).contains("A biopsy is always needed."));
        assert!(text(1).contains("A biopsy is needed."));
        assert_eq!(
            data["page"]["content"]["text"].as_str(),
            Some(text(0).as_str())
        );
        assert_eq!(revisions[0]["node"]["kind"], "FAQ");
        assert!(
            revisions[0]["node"]["notices"][0]
                .as_str()
                .is_some_and(|n| n.starts_with("possible treatment listing"))
        );

        // A revision stored before content was kept is read again from its raw bytes.
        app.db
            .execute("UPDATE page_revisions SET content_blocks = NULL")
            .await;
        let again = app
            .graphql(query, json!({ "url": url("faq.php") }))
            .await
            .data();
        assert_eq!(
            again["page"]["revisions"]["edges"][1]["node"]["content"]["text"].as_str(),
            Some(text(1).as_str())
        );
    }
}

#[tokio::test]
async fn links_lead_somewhere_and_broken_ones_are_listed() {
    for app in site_apps().await {
        store::record_dead_link_target(&app.db.conn, &url("oldpage.php"), 404, None, Utc::now())
            .await
            .expect("recorded");
        let data = app
            .graphql(
                "query($url: String!, $treatments: String!) {
                   page(url: $url) { links(external: false) { text url kind targetStored broken target { url } } }
                   outbound: page(url: $url) { links(external: true) { url } }
                   treatments: page(url: $treatments) { linkedFrom { text kind page { url } } }
                   site { navigation { text url }
                     brokenLinks { url status checkedAt linkedFrom { text page { url } } } } }",
                json!({ "url": url("whatislms.php"), "treatments": url("treatments.php") }),
            )
            .await
            .data();
        let content: Vec<&Value> = data["page"]["links"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|l| l["kind"] == "CONTENT")
            .collect();
        assert_eq!(
            content
                .iter()
                .map(|l| (
                    l["url"].clone(),
                    l["targetStored"].clone(),
                    l["broken"].clone()
                ))
                .collect::<Vec<_>>(),
            [
                (json!(url("treatments.php")), json!(true), json!(false)),
                (json!(url("oldpage.php")), json!(false), json!(true)),
            ]
        );
        assert_eq!(content[0]["target"]["url"], url("treatments.php"));
        assert_eq!(
            data["outbound"]["links"],
            json!([{ "url": "http://www.cancer.gov/types/soft-tissue-sarcoma" }])
        );
        let inbound = data["treatments"]["linkedFrom"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(inbound.iter().any(|l| l["kind"] == "CONTENT"
            && l["text"] == "treatments page"
            && l["page"]["url"] == url("whatislms.php")));
        assert!(inbound.iter().any(|l| l["kind"] == "NAVIGATION"));
        let broken = &data["site"]["brokenLinks"];
        assert_eq!(broken[0]["url"], url("oldpage.php"));
        assert_eq!(broken[0]["status"], 404);
        assert_eq!(
            broken[0]["linkedFrom"][0]["page"]["url"],
            url("whatislms.php")
        );
        assert_eq!(broken.as_array().map(Vec::len), Some(1));
        let menu: Vec<&str> = data["site"]["navigation"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l["text"].as_str())
            .collect();
        assert_eq!(
            menu,
            [
                "Home",
                "What is Leiomyosarcoma?",
                "Treatments",
                "FAQ",
                "News and Advocacy",
                "Donate Now",
                "Contact Us"
            ],
            "the menu most pages share"
        );
    }
}

#[tokio::test]
async fn drugs_named_anywhere_are_mentions_never_treatments() {
    for app in site_apps().await {
        let query = "query($slug: String!) { drug(slug: $slug) { slug verified isWithdrawn treatments { slug }
            mentions(first: 20) { totalCount edges { cursor node { nameAsWritten sentence route
              page { url kind } source { revision { number } } } } } } }";
        let doxorubicin = app
            .graphql(query, json!({ "slug": "doxorubicin" }))
            .await
            .data();
        let mentions = doxorubicin["drug"]["mentions"]["edges"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let pages: Vec<&str> = mentions
            .iter()
            .filter_map(|m| m["node"]["page"]["url"].as_str())
            .collect();
        for page in ["treatments.php", "whatislms.php", "faq.php"] {
            assert!(pages.contains(&url(page).as_str()), "{page} in {pages:?}");
        }
        assert!(mentions.iter().any(|m| m["node"]["sentence"]
            == "Doxorubicin (Adriamycin) is often the first drug an oncologist discusses with a new patient."
            && m["node"]["nameAsWritten"] == "Doxorubicin (Adriamycin)"
            && m["node"]["page"]["kind"] == "ARTICLE"));
        assert_eq!(
            doxorubicin["drug"]["treatments"].as_array().map(Vec::len),
            Some(2),
            "AIM and the Adriamycin item"
        );

        let pazopanib = app
            .graphql(query, json!({ "slug": "pazopanib" }))
            .await
            .data();
        assert_eq!(pazopanib["drug"]["verified"], true);
        assert_eq!(pazopanib["drug"]["treatments"], json!([]));
        assert_eq!(pazopanib["drug"]["mentions"]["totalCount"], 1);
        let ombrabulin = app
            .graphql(query, json!({ "slug": "ombrabulin" }))
            .await
            .data();
        assert_eq!(ombrabulin["drug"]["verified"], false);
        assert_eq!(ombrabulin["drug"]["treatments"], json!([]));

        // Mentions page with cursors.
        let first = app
            .graphql(
                "{ drug(slug: \"doxorubicin\") { mentions(first: 2) { pageInfo { hasNextPage endCursor } edges { node { sentence } } } } }",
                json!({}),
            )
            .await
            .data();
        let end = first["drug"]["mentions"]["pageInfo"]["endCursor"].clone();
        let next = app
            .graphql(
                "query($after: String) { drug(slug: \"doxorubicin\") { mentions(first: 20, after: $after) { edges { node { sentence } } } } }",
                json!({ "after": end }),
            )
            .await
            .data();
        assert_eq!(
            next["drug"]["mentions"]["edges"].as_array().map(Vec::len),
            Some(mentions.len() - 2)
        );
    }
}

/// (typename, slug or URL, score) of each hit.
fn hits(data: &Value) -> Vec<(String, String, f64)> {
    data["search"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let node = &e["node"];
            let key = node["slug"]
                .as_str()
                .or(node["url"].as_str())
                .unwrap_or_default();
            (
                node["__typename"].as_str().unwrap_or_default().to_owned(),
                key.to_owned(),
                e["score"].as_f64().unwrap_or_default(),
            )
        })
        .collect()
}

const SEARCH: &str = "query($q: String!, $first: Int, $after: String) {
    search(query: $q, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
      edges { cursor snippet score node { __typename ... on Drug { slug } ... on Treatment { slug }
        ... on Page { url } } } } }";

#[tokio::test]
async fn search_ranks_highlights_and_pages_the_same_on_both_databases() {
    let mut orders = Vec::new();
    for app in site_apps().await {
        let data = app
            .graphql(SEARCH, json!({ "q": "doxorubicin", "first": 20 }))
            .await
            .data();
        let found = hits(&data);
        assert_eq!(found[0].0, "Drug");
        assert_eq!(found[0].1, "doxorubicin");
        assert!(
            found.windows(2).all(|w| w[0].2 >= w[1].2),
            "best first: {found:?}"
        );
        assert!(found.iter().any(|h| h.1 == url("whatislms.php")));
        let snippets: Vec<&str> = data["search"]["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["snippet"].as_str())
            .collect();
        assert!(
            snippets.iter().all(|s| s.contains("<mark>")),
            "{snippets:?}"
        );
        assert!(
            snippets
                .iter()
                .any(|s| s.contains("<mark>Doxorubicin</mark> (Adriamycin)"))
        );

        // Pages of two, walked to the end, give the same hits in the same order.
        let mut walked = Vec::new();
        let mut after = Value::Null;
        loop {
            let page = app
                .graphql(
                    SEARCH,
                    json!({ "q": "doxorubicin", "first": 2, "after": after }),
                )
                .await
                .data();
            walked.extend(hits(&page));
            if page["search"]["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["search"]["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(walked, found);
        assert_eq!(data["search"]["totalCount"], found.len());

        // Stemming, a prefix being typed, and words that are not there.
        let treatments = hits(
            &app.graphql(SEARCH, json!({ "q": "radiation therapies" }))
                .await
                .data(),
        );
        assert!(
            treatments.iter().any(|h| h.0 == "Treatment"),
            "{treatments:?}"
        );
        let typed = hits(&app.graphql(SEARCH, json!({ "q": "pazop" })).await.data());
        assert_eq!(typed.first().map(|h| h.1.as_str()), Some("pazopanib"));
        for hostile in [
            "100% \"doxo' OR NEAR(x y) _ -chemo*",
            "doxorubicin'; DROP TABLE drugs; --",
            "\"unbalanced",
            "AND OR NOT",
            "x^2 {near} [a:b]",
        ] {
            let response = app.graphql(SEARCH, json!({ "q": hostile })).await;
            let data = response.data();
            assert!(data["search"]["totalCount"].is_number(), "{hostile}");
        }
        orders.push((app.db.backend(), found));
    }
    if let [(_, sqlite), (_, postgres)] = orders.as_slice() {
        assert_eq!(
            sqlite, postgres,
            "the same results in the same order on both databases"
        );
    }
}

#[tokio::test]
async fn cursors_hold_still_while_a_sync_inserts() {
    for app in site_apps().await {
        let query = "query($after: String) { drugs(first: 3, after: $after) {
            pageInfo { endCursor } edges { node { slug } } } }";
        let first = app.graphql(query, json!({})).await.data();
        let cursor = first["drugs"]["pageInfo"]["endCursor"].clone();
        let before = app.graphql(query, json!({ "after": cursor })).await.data();
        // A new drug that sorts before every other arrives between two requests.
        ingest(
            &app,
            "trials.php",
            "<p>A trial of aaronumab (AB-1234) opened for sarcoma patients this week.</p>",
        )
        .await;
        let listed = app
            .graphql("{ drug(slug: \"aaronumab\") { slug verified } }", json!({}))
            .await
            .data();
        assert_eq!(listed["drug"]["verified"], false);
        let after = app.graphql(query, json!({ "after": cursor })).await.data();
        assert_eq!(after["drugs"]["edges"], before["drugs"]["edges"]);
        let top = app.graphql(query, json!({})).await.data();
        assert_eq!(top["drugs"]["edges"][0]["node"]["slug"], "aaronumab");
    }
}

#[tokio::test]
async fn page_fields_load_through_dataloaders() {
    for app in site_apps().await {
        let query = "{ pages(first: 20) { edges { node { url kind excerpt
            content { text blocks { kind } } images { src }
            links { url targetStored broken target { url kind } page { url } }
            linkedFrom { text page { url } } } } } }";
        app.take_statement_count();
        let data = app.graphql(query, json!({})).await.data();
        let statements = app.take_statement_count();
        assert_eq!(data["pages"]["edges"].as_array().map(Vec::len), Some(9));
        // Nine pages and hundreds of links: the statements follow the query's levels.
        assert!(
            statements <= 12,
            "{}: {statements} statements",
            app.db.backend()
        );
    }
}
