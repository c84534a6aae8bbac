//! Every query, on SQLite and PostgreSQL, over the bundled treatments page.

mod common;

use common::{ADMIN_TOKEN, TestApp};
use lmsdr_api::server::ServerConfig;
use serde_json::{Value, json};

#[tokio::test]
async fn categories_in_page_order_with_treatments_and_drugs() {
    for app in TestApp::all().await {
        let data = app
            .graphql(
                "{ treatmentCategories { slug name scope description
                     treatments { slug name status firstLine currentlyListed
                       regimen { slug }
                       drugs { slug }
                       drugMentions { nameAsWritten route drug { slug } } } } }",
                json!({}),
            )
            .await
            .data();
        let categories = data["treatmentCategories"].as_array().expect("a list");
        let counts: Vec<(String, usize)> = categories
            .iter()
            .map(|c| {
                (
                    c["slug"].as_str().unwrap_or_default().to_owned(),
                    c["treatments"].as_array().map_or(0, Vec::len),
                )
            })
            .collect();
        assert_eq!(
            counts,
            [
                ("surgery".to_owned(), 4),
                ("chemotherapy".to_owned(), 8),
                ("targeted-therapy".to_owned(), 7),
                ("radiation-therapy".to_owned(), 5),
                ("interventional-radiology".to_owned(), 5),
                ("immunotherapy".to_owned(), 7),
                ("hormonal-therapy".to_owned(), 3),
            ],
            "{}",
            app.db.backend()
        );
        assert_eq!(
            categories[6]["scope"],
            json!(["uterine LMS", "post-menopausal women"])
        );
        insta::assert_json_snapshot!("categories", data);
    }
}

#[tokio::test]
async fn drugs_by_every_kind_of_name() {
    for app in TestApp::all().await {
        for (name, slug) in [
            ("Adriamycin", "doxorubicin"),
            ("doxorubicin", "doxorubicin"),
            ("ET-743", "trabectedin"),
            ("et 743", "trabectedin"),
            ("yondelis", "trabectedin"),
            ("DTIC", "dacarbazine"),
            ("ap23573", "ridaforolimus"),
            ("FEMARA", "letrozole"),
        ] {
            let data = app
                .graphql(
                    "query($name: String!) { drugs(filter: { name: $name }) { totalCount edges { node { slug } } } }",
                    json!({ "name": name }),
                )
                .await
                .data();
            assert_eq!(data["drugs"]["totalCount"], 1, "{name}");
            assert_eq!(data["drugs"]["edges"][0]["node"]["slug"], slug, "{name}");
        }
        let none = app
            .graphql(
                "{ drugs(filter: { name: \"aspirin\" }) { totalCount } }",
                json!({}),
            )
            .await
            .data();
        assert_eq!(none["drugs"]["totalCount"], 0);
    }
}

#[tokio::test]
async fn a_drug_with_its_names_codes_routes_and_relations() {
    for app in TestApp::all().await {
        let query = "query($slug: String!) { drug(slug: $slug) {
            slug genericName brandNames aliases routes atcCode atcCodePrevious rxcui inTrial verified
            drugClass sameDrugAs { slug } regimens { slug } treatments { slug }
            warnings { text population }
            source { excerpt section page { url } revision { number } } } }";
        let temozolomide = app
            .graphql(query, json!({ "slug": "temozolomide" }))
            .await
            .data();
        insta::assert_json_snapshot!("temozolomide", temozolomide);
        let dacarbazine = app
            .graphql(query, json!({ "slug": "dacarbazine" }))
            .await
            .data();
        assert_eq!(dacarbazine["drug"]["routes"], json!(["INTRAVENOUS"]));
        assert_eq!(
            dacarbazine["drug"]["sameDrugAs"],
            json!([{ "slug": "temozolomide" }])
        );
        assert_eq!(dacarbazine["drug"]["aliases"], json!(["DTIC"]));
        let tamoxifen = app
            .graphql(query, json!({ "slug": "tamoxifen" }))
            .await
            .data();
        assert_eq!(
            tamoxifen["drug"]["warnings"],
            json!([{ "text": "Tamoxifen has been contra-indicated for uterine LMS in recent studies.", "population": "uterine LMS" }])
        );
        assert_eq!(tamoxifen["drug"]["rxcui"], "10324");
        let trabectedin = app
            .graphql(query, json!({ "slug": "trabectedin" }))
            .await
            .data();
        assert_eq!(trabectedin["drug"]["inTrial"], true);
        assert_eq!(trabectedin["drug"]["aliases"], json!(["ET-743"]));
        let missing = app
            .graphql(query, json!({ "slug": "aspirin" }))
            .await
            .data();
        assert_eq!(missing["drug"], Value::Null);
    }
}

#[tokio::test]
async fn regimens_and_warnings() {
    for app in TestApp::all().await {
        let data = app
            .graphql(
                "{ regimens { slug name components firstLine drugs { slug } source { excerpt } }
                   warnings { kind text population drug { slug } category { slug } source { excerpt } } }",
                json!({}),
            )
            .await
            .data();
        insta::assert_json_snapshot!("regimens_and_warnings", data);
    }
}

#[tokio::test]
async fn pages_with_navigation_history_and_sync_runs() {
    for app in TestApp::all().await {
        let data = app
            .graphql(
                "{ pages(first: 5) { totalCount edges { node { url } } }
                   page(url: \"http://www.lmsdr.org/treatments.php\") {
                     url title lastEdited lastEditedText status disclaimer originNote
                     navigation { text url }
                     revisions(first: 5) { totalCount edges { node { number lastEdited origin diff
                       summary { treatments { added removed } drugs { added } } } } } }
                   syncRuns { totalCount } }",
                json!({}),
            )
            .await
            .data();
        let page = &data["page"];
        assert_eq!(page["lastEdited"], "2012-08-01T08:59:00");
        assert_eq!(page["lastEditedText"], "1 August 2012 08:59 am");
        assert_eq!(page["navigation"].as_array().map(Vec::len), Some(16));
        assert_eq!(page["navigation"][9]["text"], "Thank you, Donors");
        let revision = &page["revisions"]["edges"][0]["node"];
        assert_eq!(revision["number"], 1);
        assert_eq!(revision["origin"], "BUNDLED");
        assert_eq!(
            revision["summary"]["drugs"]["added"]
                .as_array()
                .map(Vec::len),
            Some(13)
        );
        assert_eq!(data["syncRuns"]["totalCount"], 0);
        assert!(
            page["originNote"]
                .as_str()
                .is_some_and(|n| n.starts_with("Reconstructed"))
        );
        let gone = app
            .graphql(
                "{ page(url: \"http://www.lmsdr.org/nope.php\") { url } }",
                json!({}),
            )
            .await
            .data();
        assert_eq!(gone["page"], Value::Null);
    }
}

#[tokio::test]
async fn pagination_edges() {
    for app in TestApp::all().await {
        let query = "query($first: Int, $after: String, $last: Int, $before: String) {
            treatments(first: $first, after: $after, last: $last, before: $before) {
              totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
              edges { cursor node { slug } } } }";
        let first = app.graphql(query, json!({ "first": 5 })).await.data();
        let conn = &first["treatments"];
        assert_eq!(conn["totalCount"], 39);
        assert_eq!(conn["pageInfo"]["hasNextPage"], true);
        assert_eq!(conn["pageInfo"]["hasPreviousPage"], false);
        assert_eq!(
            conn["edges"][0]["node"]["slug"],
            "surgery/removal-of-the-primary-tumor-with-wide-margins-at-least-1-cm"
        );

        // Walk to the end: 39 items in pages of 10.
        let mut after = Value::Null;
        let mut seen = 0;
        loop {
            let page = app
                .graphql(query, json!({ "first": 10, "after": after }))
                .await
                .data();
            let edges = page["treatments"]["edges"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            seen += edges.len();
            if page["treatments"]["pageInfo"]["hasNextPage"] == false {
                assert_eq!(edges.len(), 9, "the last page holds the rest");
                let end = page["treatments"]["pageInfo"]["endCursor"].clone();
                let past = app
                    .graphql(query, json!({ "first": 10, "after": end }))
                    .await
                    .data();
                assert_eq!(
                    past["treatments"]["edges"],
                    json!([]),
                    "past the end is empty"
                );
                break;
            }
            after = page["treatments"]["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(seen, 39);

        let last = app.graphql(query, json!({ "last": 2 })).await.data();
        assert_eq!(
            last["treatments"]["edges"][1]["node"]["slug"],
            "hormonal-therapy/letrozole"
        );
        assert_eq!(last["treatments"]["pageInfo"]["hasPreviousPage"], true);

        let invalid = app
            .graphql(query, json!({ "first": 2, "after": "garbage" }))
            .await;
        assert_eq!(invalid.error_code(), "BAD_USER_INPUT");
        let too_many = app.graphql(query, json!({ "first": 101 })).await;
        assert_eq!(too_many.error_code(), "PAGE_SIZE_EXCEEDED");
        assert!(too_many.text().contains("maximum page size is 100"));

        let empty = app
            .graphql(
                "{ syncRuns(first: 5) { totalCount pageInfo { hasNextPage } edges { cursor } } }",
                json!({}),
            )
            .await
            .data();
        assert_eq!(
            empty["syncRuns"],
            json!({ "totalCount": 0, "pageInfo": { "hasNextPage": false }, "edges": [] })
        );
    }
}

#[tokio::test]
async fn treatment_filters() {
    for app in TestApp::all().await {
        let query = "query($filter: TreatmentFilter) { treatments(first: 50, filter: $filter) { totalCount edges { node { slug status } } } }";
        let count = |data: &Value| data["treatments"]["totalCount"].as_i64().unwrap_or(-1);
        let by_slug = app
            .graphql(query, json!({ "filter": { "category": "immunotherapy" } }))
            .await
            .data();
        assert_eq!(count(&by_slug), 7);
        let by_name = app
            .graphql(
                query,
                json!({ "filter": { "category": "Hormonal Therapy" } }),
            )
            .await
            .data();
        assert_eq!(count(&by_name), 3);
        let in_trial = app
            .graphql(query, json!({ "filter": { "status": "IN_TRIAL" } }))
            .await
            .data();
        assert_eq!(
            in_trial["treatments"]["edges"],
            json!([{ "node": { "slug": "chemotherapy/trabectedin", "status": "IN_TRIAL" } }])
        );
        let investigational = app
            .graphql(query, json!({ "filter": { "status": "INVESTIGATIONAL" } }))
            .await
            .data();
        assert_eq!(count(&investigational), 7);
    }
}

#[tokio::test]
async fn provenance_points_to_page_revision_and_item() {
    for app in TestApp::all().await {
        let data = app
            .graphql(
                "{ treatments(first: 1, filter: { category: \"chemotherapy\" }) { edges { node { name
                   source { excerpt section page { url } revision { number contentHash } } } } } }",
                json!({}),
            )
            .await
            .data();
        let source = &data["treatments"]["edges"][0]["node"]["source"];
        assert_eq!(source["excerpt"], "Gem/Tax (Gemzar + Taxotere)");
        assert_eq!(source["section"], "Chemotherapy");
        assert_eq!(source["page"]["url"], "http://www.lmsdr.org/treatments.php");
        assert_eq!(source["revision"]["number"], 1);
    }
}

#[tokio::test]
async fn search_and_nodes() {
    for app in TestApp::all().await {
        let data = app
            .graphql(
                "{ search(query: \"gem\") { totalCount edges { snippet score node { __typename
                   ... on Drug { id slug } ... on Treatment { id slug } ... on Page { id url } } } } }",
                json!({}),
            )
            .await
            .data();
        let hits = data["search"]["edges"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(hits[0]["node"]["__typename"], "Drug");
        assert_eq!(hits[0]["node"]["slug"], "gemcitabine");
        assert!(hits.iter().any(|h| h["node"]["__typename"] == "Treatment"
            && h["node"]["slug"] == "chemotherapy/gem-tax"));
        assert!(
            hits[0]["snippet"]
                .as_str()
                .is_some_and(|s| s.contains("<mark>")),
            "{}",
            hits[0]
        );

        let id = hits[0]["node"]["id"].clone();
        let node = app
            .graphql(
                "query($id: ID!) { node(id: $id) { id ... on Drug { slug } } }",
                json!({ "id": id }),
            )
            .await
            .data();
        assert_eq!(node["node"]["slug"], "gemcitabine");
        let bad = app
            .graphql("{ node(id: \"bm9wZQ\") { id } }", json!({}))
            .await;
        assert_eq!(bad.error_code(), "BAD_USER_INPUT");
        let wildcard = app
            .graphql(
                "{ search(query: \"%\") { totalCount edges { cursor } } }",
                json!({}),
            )
            .await
            .data();
        assert_eq!(
            wildcard["search"],
            json!({ "totalCount": 0, "edges": [] }),
            "wildcards are plain characters"
        );
        let empty = app
            .graphql("{ search(query: \"  \") { totalCount } }", json!({}))
            .await;
        assert_eq!(empty.error_code(), "BAD_USER_INPUT");
    }
}

#[tokio::test]
async fn statements_follow_query_depth_not_row_count() {
    for app in TestApp::all().await {
        let query = "{ treatmentCategories { name treatments { name
            drugs { slug brandNames routes regimens { slug } warnings { text } }
            regimen { drugs { slug } } source { excerpt revision { number } page { url } } } } }";
        app.take_statement_count();
        app.graphql(query, json!({})).await.data();
        let with_one_page = app.take_statement_count();

        // Three more pages: three times the rows, the same statements.
        for name in ["copy-a.html", "copy-b.html", "copy-c.html"] {
            let html = include_str!("../../ingest/tests/fixtures/treatments/html5.html").replace(
                "Surgery is the first choice",
                &format!("Surgery ({name}) is the first choice"),
            );
            let url = format!("http://www.lmsdr.org/{name}");
            let document = lmsdr_ingest::extract::extract(lmsdr_ingest::extract::PageInput {
                url: &url::Url::parse(&url).expect("url"),
                bytes: html.as_bytes(),
                content_type: None,
            })
            .expect("extracts");
            lmsdr_ingest::store::store_page(
                &app.db.conn,
                lmsdr_ingest::store::Observation {
                    document: &document,
                    raw: html.as_bytes(),
                    content_type: None,
                    fetched_at: chrono::Utc::now(),
                    http_status: None,
                    etag: None,
                    last_modified: None,
                    origin: lmsdr_entity::sea_orm_active_enums::RevisionOrigin::Import,
                    sync_run_id: None,
                    memento_url: None,
                },
            )
            .await
            .expect("stores");
        }
        app.take_statement_count();
        app.graphql(query, json!({})).await.data();
        let with_more_rows = app.take_statement_count();
        // DataLoaders batch the keys a level registers before their batch task runs, so under
        // load one level may go out as two statements; an N+1 would add one statement per row
        // (hundreds here).
        assert!(
            with_more_rows.abs_diff(with_one_page) <= 2,
            "{}: {with_one_page} statements for one page, {with_more_rows} for four",
            app.db.backend()
        );
        assert!(with_more_rows <= 18, "{with_more_rows} statements");

        // Every page's revisions with their diffs: the statements do not grow with the pages.
        let revisions = "{ pages(first: 20) { totalCount nodes { url
            revisions(first: 5) { totalCount pageInfo { hasNextPage }
                nodes { number fetchedAt diff } } } } }";
        app.take_statement_count();
        let data = app.graphql(revisions, json!({})).await.data();
        let statements = app.take_statement_count();
        let pages = data["pages"]["nodes"].as_array().map_or(0, Vec::len);
        assert_eq!(pages, 4, "{}", app.db.backend());
        for page in data["pages"]["nodes"].as_array().into_iter().flatten() {
            assert_eq!(page["revisions"]["totalCount"], 1, "{page}");
            assert_eq!(page["revisions"]["nodes"][0]["number"], 1, "{page}");
            assert_eq!(
                page["revisions"]["pageInfo"]["hasNextPage"], false,
                "{page}"
            );
        }
        assert!(
            statements <= 6,
            "{}: {statements} statements for the revisions of {pages} pages",
            app.db.backend()
        );
    }
}

#[tokio::test]
async fn mutations_need_the_admin_token() {
    let mutation = "mutation($url: String!, $html: String!) { importPage(url: $url, html: $html) { change unverifiedNames page { url title } } }";
    let html = include_str!("../../ingest/tests/fixtures/treatments/html5.html").replace(
        "<li>Spindle disruptors</li>",
        "<li>Spindle disruptors</li><li>Zorvex (zorvexamab)</li>",
    );
    let vars = json!({ "url": "http://www.lmsdr.org/treatments.php", "html": html });

    for app in TestApp::all().await {
        let off = app.graphql(mutation, vars.clone()).await;
        assert_eq!(
            off.error_code(),
            "MUTATIONS_DISABLED",
            "{}",
            app.db.backend()
        );
    }
    let config = ServerConfig {
        admin_token: Some(ADMIN_TOKEN.to_owned()),
        ..ServerConfig::default()
    };
    for app in TestApp::all_with(config).await {
        let body = json!({ "query": mutation, "variables": vars });
        let anonymous = app.post_json(body.clone(), &[]).await;
        assert_eq!(anonymous.error_code(), "UNAUTHORIZED");
        let wrong = app
            .post_json(body.clone(), &[("authorization", "Bearer nope")])
            .await;
        assert_eq!(wrong.error_code(), "UNAUTHORIZED");
        let bearer = format!("Bearer {ADMIN_TOKEN}");
        let admin = app
            .post_json(body.clone(), &[("authorization", &bearer)])
            .await
            .data();
        assert_eq!(admin["importPage"]["change"], "CHANGED");
        assert_eq!(
            admin["importPage"]["unverifiedNames"],
            json!(["Zorvex", "zorvexamab"])
        );
        let drug = app
            .graphql(
                "{ drug(slug: \"zorvexamab\") { verified brandNames } }",
                json!({}),
            )
            .await
            .data();
        assert_eq!(
            drug["drug"],
            json!({ "verified": false, "brandNames": ["Zorvex"] })
        );
        let again = app
            .post_json(body, &[("authorization", &bearer)])
            .await
            .data();
        assert_eq!(again["importPage"]["change"], "UNCHANGED");
    }
}

#[tokio::test]
async fn the_standard_introspection_query_fits_the_limits() {
    // GraphiQL's Docs panel and editor completion rely on it (graphql-js getIntrospectionQuery).
    for app in TestApp::all().await {
        let data = app
            .graphql(include_str!("fixtures/introspection.graphql"), json!({}))
            .await
            .data();
        assert_eq!(data["__schema"]["queryType"]["name"], "Query");
    }
}

#[tokio::test]
async fn as_of_answers_as_the_site_stood_then() {
    for app in TestApp::all().await {
        // The bundled page stands from its Last Edited stamp.
        let loaded = chrono::DateTime::parse_from_rfc3339(lmsdr_ingest::bundled::TREATMENTS_EDITED)
            .expect("a moment")
            .with_timezone(&chrono::Utc);
        // An hour later the page drops Femara (letrozole) and the AIM regimen's line.
        let html = lmsdr_ingest::bundled::TREATMENTS_HTML;
        let text = encoding_rs::WINDOWS_1252.decode(html).0.into_owned();
        let changed = text
            .replace("<LI>Femara (letrozole)\r\n", "")
            .replace("<LI>AIM (Adriamycin + Ifex + Mesna)\r\n", "");
        assert_ne!(changed, text, "the fixture changed");
        let url = url::Url::parse(lmsdr_ingest::bundled::TREATMENTS_URL).expect("url");
        let document = lmsdr_ingest::extract::extract(lmsdr_ingest::extract::PageInput {
            url: &url,
            bytes: changed.as_bytes(),
            content_type: Some("text/html; charset=utf-8"),
        })
        .expect("extracts");
        lmsdr_ingest::store::store_page(
            &app.db.conn,
            lmsdr_ingest::store::Observation {
                document: &document,
                raw: changed.as_bytes(),
                content_type: None,
                fetched_at: loaded + chrono::Duration::hours(1),
                http_status: Some(200),
                etag: None,
                last_modified: None,
                origin: lmsdr_entity::sea_orm_active_enums::RevisionOrigin::Sync,
                sync_run_id: None,
                memento_url: None,
            },
        )
        .await
        .expect("stores");

        let query = "query($at: DateTime) {
            regimens(asOf: $at) { slug }
            drugs(first: 50, asOf: $at) { totalCount }
            treatments(first: 50, asOf: $at) { totalCount }
            treatmentCategories(asOf: $at) { slug treatments { slug } } }";
        let at = |t: chrono::DateTime<chrono::Utc>| json!({ "at": t.to_rfc3339() });
        let before = app
            .graphql(query, at(loaded - chrono::Duration::hours(1)))
            .await
            .data();
        assert_eq!(
            before["regimens"],
            json!([]),
            "nothing was listed before the page was edited"
        );
        assert_eq!(before["treatments"]["totalCount"], 0);

        let then = app
            .graphql(query, at(loaded + chrono::Duration::minutes(30)))
            .await
            .data();
        assert_eq!(
            then["regimens"],
            json!([{ "slug": "gem-tax" }, { "slug": "aim" }])
        );
        assert_eq!(then["drugs"]["totalCount"], 13);
        assert_eq!(then["treatments"]["totalCount"], 39);
        let hormonal = |data: &Value| {
            data["treatmentCategories"][6]["treatments"]
                .as_array()
                .map(Vec::len)
        };
        assert_eq!(hormonal(&then), Some(3));

        let now = app.graphql(query, json!({})).await.data();
        assert_eq!(
            now["regimens"],
            json!([{ "slug": "gem-tax" }]),
            "{}",
            app.db.backend()
        );
        assert_eq!(now["treatments"]["totalCount"], 37);
        let later = app
            .graphql(query, at(loaded + chrono::Duration::hours(2)))
            .await
            .data();
        assert_eq!(later["regimens"], now["regimens"]);
        assert_eq!(hormonal(&later), Some(2));
        // Mesna was only in AIM, letrozole only in its item; the others stand elsewhere too.
        assert_eq!(later["drugs"]["totalCount"], 11);
    }
}

#[tokio::test]
async fn trigger_sync_starts_a_run_and_returns_its_id() {
    use lmsdr_ingest::testing::site::{Route, Site};
    for db in lmsdr_ingest::testing::TestDb::all().await {
        let site = Site::start().await;
        site.route(
            "/robots.txt",
            Route::Status {
                status: 404,
                headers: vec![],
                body: vec![],
            },
        );
        site.page(
            "/",
            "<html><body><p>The foundation's home page.</p></body></html>",
        );
        let mut options =
            lmsdr_ingest::sync::SyncOptions::new(url::Url::parse(&site.url("/")).expect("url"));
        options.delay = std::time::Duration::from_millis(5);
        let job = lmsdr_api::jobs::SyncJob::new(db.conn.clone(), db.url.clone(), options);
        let app = TestApp::new(
            db,
            ServerConfig {
                admin_token: Some(ADMIN_TOKEN.to_owned()),
                sync: Some(job),
                ..ServerConfig::default()
            },
        );
        let bearer = format!("Bearer {ADMIN_TOKEN}");
        let started = app
            .post_json(
                json!({ "query": "mutation { triggerSync }" }),
                &[("authorization", &bearer)],
            )
            .await
            .data();
        let id = started["triggerSync"].clone();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let run = app
                .graphql(
                    "query($id: ID!) { node(id: $id) { ... on SyncRun { status pagesChanged kind } } }",
                    json!({ "id": id }),
                )
                .await
                .data();
            if run["node"]["status"] != "RUNNING" {
                assert_eq!(
                    run["node"],
                    json!({ "status": "OK", "pagesChanged": 1, "kind": "SYNC" })
                );
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the run never finished"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let anonymous = app.graphql("mutation { triggerSync }", json!({})).await;
        assert_eq!(anonymous.error_code(), "UNAUTHORIZED");
    }
}
