//! Partner exports over HTTP, on SQLite and PostgreSQL: every record validates against its
//! published JSON Schema, JSON and NDJSON hold the same records, CSV round-trips, `ETag` and
//! `Last-Modified` follow the content generation, and an export taken while a change commits
//! reads one snapshot.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::TestApp;
use lmsdr_api::export::csv::{CsvFile, split_list};
use lmsdr_api::export::records::{Record, RecordType};
use lmsdr_api::export::{Export, all_types};
use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;
use lmsdr_ingest::pipeline::{self, Input};
use serde_json::Value;

const SCHEMA_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/export-schema");
const FAQ_URL: &str = "http://www.lmsdr.org/faq.php";

fn checked_in_schema(kind: RecordType) -> Value {
    let path = format!("{SCHEMA_DIR}/{}.json", kind.name());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("schema is JSON")
}

fn validators() -> BTreeMap<String, jsonschema::Validator> {
    RecordType::ALL
        .into_iter()
        .map(|kind| {
            let validator =
                jsonschema::validator_for(&checked_in_schema(kind)).expect("a valid JSON Schema");
            (kind.name().to_owned(), validator)
        })
        .collect()
}

/// Asserts a record (with or without its `type`) is valid against its type's schema.
fn assert_valid(validators: &BTreeMap<String, jsonschema::Validator>, kind: &str, record: &Value) {
    let validator = validators
        .get(kind)
        .unwrap_or_else(|| panic!("no schema for `{kind}`"));
    let errors: Vec<String> = validator
        .iter_errors(record)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{kind} {record}: {errors:?}");
}

impl TestApp {
    async fn ndjson(&self) -> Vec<Value> {
        let response = self.get("/export/ndjson").await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        response
            .text()
            .lines()
            .map(|line| serde_json::from_str(line).expect("each line is JSON"))
            .collect()
    }

    /// Stores the FAQ page fixture, a page that names drugs in its sentences.
    async fn store_faq(&self) {
        let html = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../ingest/tests/fixtures/site/faq.php"
        ))
        .expect("fixture");
        let input = Input::new(
            url::Url::parse(FAQ_URL).expect("url"),
            html,
            RevisionOrigin::Import,
        );
        pipeline::ingest(&self.db.conn, input)
            .await
            .expect("the page is stored");
    }
}

fn of_type<'a>(records: &'a [Value], kind: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["type"] == kind).collect()
}

#[test]
fn the_published_schemas_are_the_ones_the_code_writes() {
    for kind in RecordType::ALL {
        assert_eq!(
            checked_in_schema(kind),
            kind.schema(),
            "api/export-schema/{}.json is stale: run `cargo run -p lmsdr-api --example write_export_schemas`",
            kind.name()
        );
    }
}

#[tokio::test]
async fn ndjson_records_validate_and_carry_their_provenance() {
    let validators = validators();
    for app in TestApp::all().await {
        let response = app.get("/export/ndjson").await;
        assert_eq!(response.content_type(), "application/x-ndjson");
        let records = app.ndjson().await;
        assert_eq!(records[0]["type"], "export", "the metadata comes first");
        for record in &records {
            let kind = record["type"].as_str().expect("a type");
            assert_valid(&validators, kind, record);
        }

        let meta = &records[0];
        assert_eq!(meta["lmsdrVersion"], env!("CARGO_PKG_VERSION"));
        assert_eq!(
            meta["sources"],
            serde_json::json!(["http://www.lmsdr.org/treatments.php"])
        );
        assert_eq!(meta["sites"], serde_json::json!(["http://www.lmsdr.org"]));
        assert!(
            meta["lastSuccessfulSync"].is_null(),
            "nothing was synced yet"
        );
        let disclaimers = meta["disclaimers"].as_array().expect("disclaimers");
        assert_eq!(disclaimers.len(), 1, "{meta}");
        assert!(
            disclaimers[0]["text"]
                .as_str()
                .is_some_and(|t| t.len() > 40),
            "the page's disclaimer, verbatim: {meta}"
        );

        // The same facts the API serves, each with the sentence it was read from.
        let counts = app
            .graphql(
                "{ treatments { totalCount } drugs { totalCount } regimens { slug } }",
                Value::Null,
            )
            .await
            .data();
        assert_eq!(
            of_type(&records, "treatment").len() as u64,
            counts["treatments"]["totalCount"].as_u64().expect("n")
        );
        assert_eq!(
            of_type(&records, "drug").len() as u64,
            counts["drugs"]["totalCount"].as_u64().expect("n")
        );
        assert_eq!(
            of_type(&records, "regimen").len() as u64,
            counts["regimens"].as_array().expect("list").len() as u64
        );
        assert_eq!(of_type(&records, "page").len(), 1);
        assert_eq!(of_type(&records, "revision").len(), 1);
        for record in records.iter().filter(|r| r.get("provenance").is_some()) {
            let source = &record["provenance"];
            assert_eq!(
                source["pageUrl"], "http://www.lmsdr.org/treatments.php",
                "{record}"
            );
            assert_eq!(source["revision"], 1, "{record}");
            assert!(
                source["excerpt"].as_str().is_some_and(|e| !e.is_empty()),
                "{record}"
            );
        }

        let doxorubicin = of_type(&records, "drug")
            .into_iter()
            .find(|d| d["slug"] == "doxorubicin")
            .expect("doxorubicin");
        assert_eq!(doxorubicin["atcCode"], "L01DB01");
        assert!(
            doxorubicin["brandNames"]
                .as_array()
                .is_some_and(|b| b.contains(&"Adriamycin".into())),
            "{doxorubicin}"
        );
        let page = of_type(&records, "page")[0];
        assert!(
            page["text"]
                .as_str()
                .is_some_and(|t| t.contains("Gem/Tax (Gemzar + Taxotere)")),
            "the page's content"
        );
    }
}

#[tokio::test]
async fn the_json_document_holds_every_key_and_the_same_records_as_ndjson() {
    let validators = validators();
    for app in TestApp::all().await {
        let response = app.get("/export/json").await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.content_type(), "application/json");
        let document = response.json();
        let keys: Vec<&str> = document
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let expected: Vec<&str> = RecordType::ALL.iter().map(|t| t.plural()).collect();
        assert_eq!(
            keys.iter().copied().collect::<BTreeSet<_>>(),
            expected.iter().copied().collect::<BTreeSet<_>>()
        );
        assert!(
            document["trialReferences"].is_array(),
            "present even when empty"
        );

        let ndjson = app.ndjson().await;
        for kind in RecordType::ALL
            .into_iter()
            .filter(|t| *t != RecordType::Export)
        {
            let from_json = document[kind.plural()].as_array().expect("array").clone();
            for record in &from_json {
                assert_valid(&validators, kind.name(), record);
            }
            let from_ndjson: Vec<Value> = of_type(&ndjson, kind.name())
                .into_iter()
                .map(|r| {
                    let mut r = r.clone();
                    r.as_object_mut().expect("object").remove("type");
                    r
                })
                .collect();
            assert_eq!(from_json, from_ndjson, "{}", kind.plural());
        }
        assert_eq!(document["export"]["generation"], ndjson[0]["generation"]);
    }
}

#[tokio::test]
async fn csv_files_have_spreadsheet_headers_and_round_trip() {
    for app in TestApp::all().await {
        let ndjson = app.ndjson().await;
        let records: Vec<Record> = ndjson
            .iter()
            .map(|r| serde_json::from_value(r.clone()).expect("a record"))
            .collect();
        for file in CsvFile::ALL {
            let response = app.get(&format!("/export/csv/{}", file.file_name())).await;
            assert_eq!(response.status, StatusCode::OK, "{}", file.file_name());
            assert_eq!(
                response.content_type(),
                "text/csv; charset=utf-8; header=present"
            );
            let mut reader = csv::Reader::from_reader(response.body.as_slice());
            let headers: Vec<String> = reader
                .headers()
                .expect("a header row")
                .iter()
                .map(str::to_owned)
                .collect();
            assert_eq!(headers, file.headers());
            let rows: Vec<Vec<String>> = reader
                .records()
                .map(|r| r.expect("a row").iter().map(str::to_owned).collect())
                .collect();
            let mut expected: Vec<Vec<String>> =
                records.iter().flat_map(|r| file.rows(r)).collect();
            if file == CsvFile::Export {
                // Each export has its own export time; everything else is the same.
                let at = |rows: &[Vec<String>]| rows.iter().position(|r| r[0] == "Exported at");
                let (mine, theirs) = (at(&rows).expect("a row"), at(&expected).expect("a row"));
                expected[theirs][1] = rows[mine][1].clone();
                assert!(
                    rows.iter()
                        .any(|r| r[0] == "Disclaimer" && r[1].contains("informational purposes"))
                );
            }
            assert_eq!(rows, expected, "{} reads back as written", file.file_name());
            assert!(
                !rows.is_empty() || file == CsvFile::TrialReferences,
                "{} has rows",
                file.file_name()
            );
        }

        // Lists split back into what they were.
        let response = app.get("/export/csv/drugs.csv").await;
        let mut reader = csv::Reader::from_reader(response.body.as_slice());
        let brand = reader
            .headers()
            .expect("headers")
            .iter()
            .position(|h| h == "Brand names")
            .expect("column");
        let slug = reader
            .headers()
            .expect("headers")
            .iter()
            .position(|h| h == "Slug")
            .expect("column");
        let drugs: BTreeMap<String, Vec<String>> = records
            .iter()
            .filter_map(|r| match r {
                Record::Drug(d) => Some((d.slug.clone(), d.brand_names.clone())),
                _ => None,
            })
            .collect();
        let mut with_brands = 0;
        for row in reader.records() {
            let row = row.expect("row");
            let names = split_list(&row[brand]);
            with_brands += usize::from(!names.is_empty());
            assert_eq!(Some(&names), drugs.get(&row[slug]), "{}", &row[slug]);
        }
        assert!(with_brands > 3, "brand names are exported");

        let missing = app.get("/export/csv/patients.csv").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert!(missing.text().contains("drugs.csv"), "{}", missing.text());
    }
}

#[tokio::test]
async fn schemas_are_served_and_etags_follow_the_content() {
    for app in TestApp::all().await {
        let schema = app.get("/export/schema/drug.json").await;
        assert_eq!(schema.status, StatusCode::OK);
        assert_eq!(schema.content_type(), "application/schema+json");
        assert_eq!(schema.json(), checked_in_schema(RecordType::Drug));
        assert_eq!(
            app.get("/export/schema/nope.json").await.status,
            StatusCode::NOT_FOUND
        );

        let first = app.get("/export/ndjson").await;
        let etag = first.headers[header::ETAG]
            .to_str()
            .expect("etag")
            .to_owned();
        let modified = first.headers[header::LAST_MODIFIED]
            .to_str()
            .expect("date")
            .to_owned();
        let again = app
            .get_with("/export/ndjson", &[(header::IF_NONE_MATCH, &etag)])
            .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED);
        assert!(again.body.is_empty());
        let since = app
            .get_with("/export/ndjson", &[(header::IF_MODIFIED_SINCE, &modified)])
            .await;
        assert_eq!(since.status, StatusCode::NOT_MODIFIED);
        let json = app.get("/export/json").await;
        assert_ne!(
            json.headers[header::ETAG],
            etag.as_str(),
            "each representation has its own"
        );

        app.store_faq().await;
        let changed = app
            .get_with("/export/ndjson", &[(header::IF_NONE_MATCH, &etag)])
            .await;
        assert_eq!(
            changed.status,
            StatusCode::OK,
            "a new page is a new generation"
        );
        assert_ne!(changed.headers[header::ETAG], etag.as_str());
    }
}

#[tokio::test]
async fn an_export_reads_one_snapshot_while_a_change_commits() {
    for app in TestApp::all().await {
        let before = app.ndjson().await;
        let mut export = Export::start(app.db.conn.clone(), all_types())
            .await
            .expect("the export starts");
        let generation = export.meta().generation.clone();
        // The reader is now part way through, its channel full.
        let first = export.next().await.expect("reads").expect("a record");
        assert!(matches!(first, Record::Page(_)));

        app.store_faq().await;

        let mut during =
            vec![serde_json::to_value(Record::Export(export.meta().clone())).expect("json")];
        during.push(serde_json::to_value(&first).expect("json"));
        while let Some(record) = export.next().await.expect("reads") {
            during.push(serde_json::to_value(&record).expect("json"));
        }
        let after = app.ndjson().await;
        let strip = |records: &[Value]| -> Vec<Value> { records[1..].to_vec() };
        assert_eq!(
            strip(&during),
            strip(&before),
            "{}: the export holds none of the change",
            app.db.backend()
        );
        assert_eq!(during[0]["generation"], generation.as_str());
        assert_ne!(after[0]["generation"], before[0]["generation"]);
        let faq_mentions = of_type(&after, "mention")
            .into_iter()
            .filter(|m| m["pageUrl"] == FAQ_URL)
            .count();
        assert!(
            faq_mentions > 0,
            "the change names drugs, so a torn read would show"
        );
        assert_eq!(of_type(&after, "revision").len(), 2);
    }
}

#[tokio::test]
async fn exports_beyond_the_limit_are_told_to_retry_and_queries_still_answer() {
    use lmsdr_api::server::MAX_CONCURRENT_EXPORTS;
    for app in TestApp::all().await {
        let get = || {
            Request::get("/export/ndjson")
                .body(Body::empty())
                .expect("request")
        };
        // Held open, unread: each holds its snapshot and a permit.
        let mut held = Vec::new();
        for _ in 0..MAX_CONCURRENT_EXPORTS {
            let response = app.response(get()).await;
            assert_eq!(response.status(), StatusCode::OK);
            held.push(response);
        }
        let refused = app.get("/export/json").await;
        assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(refused.headers.contains_key(header::RETRY_AFTER));
        assert!(refused.text().contains("retry"), "{}", refused.text());
        let query = app.graphql("{ drugs { totalCount } }", Value::Null).await;
        assert_eq!(
            query.data()["drugs"]["totalCount"],
            13,
            "queries are not starved"
        );

        held.pop();
        let again = app.get("/export/json").await;
        assert_eq!(
            again.status,
            StatusCode::OK,
            "a finished export frees its place"
        );
    }
}
