//! A fact the site stops listing is never deleted from the exports: it stays in every format,
//! marked with the moment it left, as the page last stated it and with the drugs it last had.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use lmsdr_ingest::bundled::TREATMENTS_EDITED;
use lmsdr_ingest::testing::store_bundled_edit;
use serde_json::Value;

/// The bundled page, a year after its stamp, without its Femara (letrozole) item.
async fn drop_letrozole(app: &TestApp) {
    let item = "<LI>Femara (letrozole)\r\n";
    store_bundled_edit(&app.db.conn, item, "", "2013-08-01T00:00:00Z").await;
}

fn named<'a>(records: &'a [Value], kind: &str, key: &str, value: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["type"] == kind && r[key] == value)
        .unwrap_or_else(|| panic!("no {kind} with {key} {value}"))
}

#[tokio::test]
async fn a_delisted_treatment_and_its_drug_stay_in_every_export_with_their_dates() {
    for app in TestApp::all().await {
        let backend = app.db.backend();
        drop_letrozole(&app).await;

        let response = app.get("/export/ndjson").await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        let records: Vec<Value> = response
            .text()
            .lines()
            .map(|line| serde_json::from_str(line).expect("JSON"))
            .collect();
        let femara = named(&records, "treatment", "name", "Femara (letrozole)");
        assert_eq!(
            femara["firstListedAt"], TREATMENTS_EDITED,
            "{backend}: {femara}"
        );
        assert_eq!(
            femara["delistedAt"], "2013-08-01T00:00:00Z",
            "{backend}: {femara}"
        );
        assert_eq!(
            femara["drugs"][0]["drug"], "letrozole",
            "{backend}: the drugs it last had"
        );
        assert!(
            femara["provenance"]["excerpt"]
                .as_str()
                .is_some_and(|e| e.contains("Femara"))
        );
        let letrozole = named(&records, "drug", "slug", "letrozole");
        assert_eq!(letrozole["delistedAt"], "2013-08-01T00:00:00Z", "{backend}");
        let listed = named(&records, "drug", "slug", "doxorubicin");
        assert_eq!(listed["delistedAt"], Value::Null, "{backend}");

        let json: Value =
            serde_json::from_str(&app.get("/export/json").await.text()).expect("JSON");
        let in_json = json["treatments"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["name"] == "Femara (letrozole)")
            .unwrap_or_else(|| panic!("{backend}: the JSON export holds it"));
        assert_eq!(in_json["delistedAt"], "2013-08-01T00:00:00Z");

        let csv = app.get("/export/csv/treatments.csv").await.text();
        let header = csv.lines().next().expect("a header");
        assert!(header.contains("First listed at,Delisted at"), "{header}");
        let row = csv
            .lines()
            .find(|l| l.contains("Femara (letrozole)"))
            .unwrap_or_else(|| panic!("{backend}: the CSV holds it"));
        assert!(row.contains("2013-08-01T00:00:00+00:00"), "{row}");

        let jsonld = app.get("/export/jsonld").await.text();
        assert!(jsonld.contains("\"lmsdr:delistedAt\""), "{backend}");

        let fhir: Value =
            serde_json::from_str(&app.get("/export/fhir").await.text()).expect("JSON");
        let resource = fhir["entry"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| &e["resource"])
            .find(|r| r["resourceType"] == "MedicationKnowledge" && r["id"] == "drug-letrozole")
            .unwrap_or_else(|| panic!("{backend}: FHIR holds letrozole"));
        assert_eq!(resource["status"], "inactive", "{backend}");
    }
}
