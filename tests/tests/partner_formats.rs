//! The JSON-LD and FHIR exports, fetched from a real `lmsdr serve` on SQLite and PostgreSQL and
//! read by real processors: jsonld.js expands the JSON-LD with no network, FHIR.js validates the
//! Bundle against the R4 structure definitions with zero errors.
//!
//! Needs Node and `npm ci` in `tests/partners/`; skipped, with a notice, without them. `.ci/run`
//! installs them and sets `LMSDR_REQUIRE_PARTNER_TOOLS=1`, which turns their absence into a
//! failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use lmsdr_tests::{Server, TestDb, import_dir, node_helpers};
use serde_json::Value;

fn tools() -> Option<PathBuf> {
    node_helpers("partners", "fhir", "LMSDR_REQUIRE_PARTNER_TOOLS")
        .filter(|dir| dir.join("node_modules/jsonld").exists())
}

/// Runs one of the helper scripts on a file; its exit status and standard output.
fn node(dir: &Path, script: &str, file: &Path) -> (bool, String, String) {
    let output = Command::new("node")
        .arg(script)
        .arg(file)
        .current_dir(dir)
        .output()
        .expect("node runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A database holding the fixture site: the treatments page and eight pages of other kinds.
fn site(db: &TestDb) {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../ingest/tests/fixtures");
    for entry in std::fs::read_dir(format!("{fixtures}/site")).expect("fixtures") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copy");
    }
    std::fs::copy(
        format!("{fixtures}/treatments/html5.html"),
        dir.path().join("treatments.php"),
    )
    .expect("copy");
    import_dir(&db.url, dir.path());
}

async fn fetch(server: &Server, path: &str) -> (String, Vec<u8>) {
    let response = reqwest::get(format!("{}{path}", server.base))
        .await
        .expect("the export answers");
    assert_eq!(response.status(), 200, "{path}");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (content_type, response.bytes().await.expect("body").to_vec())
}

fn values<'a>(node: &'a Value, property: &str) -> Vec<&'a Value> {
    node[format!("https://schema.org/{property}")]
        .as_array()
        .map(|values| {
            values
                .iter()
                .map(|v| v.get("@value").or_else(|| v.get("@id")).unwrap_or(v))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn json_ld_expands_offline_into_schema_org_terms() {
    let Some(tools) = tools() else {
        return;
    };
    for db in TestDb::all().await {
        site(&db);
        let server = Server::start(&db.url).await;
        let (content_type, body) = fetch(&server, "/export/jsonld").await;
        assert_eq!(content_type, "application/ld+json");
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("export.jsonld");
        std::fs::write(&file, &body).expect("write");
        let (ok, stdout, stderr) = node(&tools, "expand.mjs", &file);
        assert!(ok, "{}: {stderr}", db.backend());
        let expanded: Vec<Value> = serde_json::from_str(&stdout).expect("expanded JSON-LD");
        let node = |id: &str| {
            expanded
                .iter()
                .find(|n| n["@id"] == id)
                .unwrap_or_else(|| panic!("no node {id}"))
        };

        let doxorubicin = node("urn:lmsdr:drug:doxorubicin");
        assert_eq!(doxorubicin["@type"][0], "https://schema.org/Drug");
        assert_eq!(values(doxorubicin, "nonProprietaryName"), ["doxorubicin"]);
        assert!(values(doxorubicin, "proprietaryName").contains(&&Value::from("Adriamycin")));
        assert_eq!(values(doxorubicin, "rxcui"), ["3639"]);
        let code = &doxorubicin["https://schema.org/code"][0];
        assert_eq!(code["@type"][0], "https://schema.org/MedicalCode");
        assert_eq!(values(code, "codeValue"), ["L01DB01"]);
        assert_eq!(values(code, "codingSystem"), ["ATC"]);
        let class = &doxorubicin["https://schema.org/drugClass"][0];
        assert_eq!(class["@type"][0], "https://schema.org/DrugClass");
        assert_eq!(
            values(doxorubicin, "subjectOf"),
            ["http://www.lmsdr.org/treatments.php"]
        );
        assert!(
            doxorubicin["urn:lmsdr:vocab:sourceExcerpt"][0]["@value"]
                .as_str()
                .is_some_and(|e| e.contains("Adriamycin")),
            "{doxorubicin}"
        );

        let page = node("http://www.lmsdr.org/treatments.php");
        assert_eq!(page["@type"][0], "https://schema.org/MedicalWebPage");
        assert_eq!(values(page, "dateModified"), ["2012-08-01T08:59:00"]);
        assert_eq!(values(page, "lastReviewed"), ["2012-08-01"]);
        assert!(values(page, "about").contains(&&Value::from("urn:lmsdr:category:chemotherapy")));
        let faq = node("http://www.lmsdr.org/faq.php");
        assert!(
            values(faq, "mentions").contains(&&Value::from("urn:lmsdr:drug:doxorubicin")),
            "the FAQ names doxorubicin: {faq}"
        );

        let hormonal = node("urn:lmsdr:category:hormonal-therapy");
        assert_eq!(hormonal["@type"][0], "https://schema.org/MedicalTherapy");
        let contraindication = values(hormonal, "contraindication");
        assert_eq!(contraindication.len(), 1, "{hormonal}");
        let warning = node(contraindication[0].as_str().expect("an IRI"));
        assert_eq!(
            warning["@type"][0],
            "https://schema.org/MedicalContraindication"
        );
        let tamoxifen = node("urn:lmsdr:drug:tamoxifen");
        assert!(
            values(tamoxifen, "warning")
                .iter()
                .any(|w| w.as_str().is_some_and(|w| w.contains("uterine LMS")))
        );
        let aim = node("urn:lmsdr:regimen:aim");
        assert_eq!(
            values(aim, "drug"),
            [
                "urn:lmsdr:drug:doxorubicin",
                "urn:lmsdr:drug:ifosfamide",
                "urn:lmsdr:drug:mesna"
            ]
            .map(Value::from)
            .iter()
            .collect::<Vec<_>>()
        );
        drop(server);
    }
}

#[tokio::test]
async fn the_fhir_bundle_validates_with_zero_errors_and_keeps_its_ids() {
    let Some(tools) = tools() else {
        return;
    };
    for db in TestDb::all().await {
        site(&db);
        let server = Server::start(&db.url).await;
        let (content_type, body) = fetch(&server, "/export/fhir").await;
        assert_eq!(content_type, "application/fhir+json; fhirVersion=4.0");
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("bundle.json");
        std::fs::write(&file, &body).expect("write");
        let (ok, stdout, stderr) = node(&tools, "validate-fhir.mjs", &file);
        let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stderr}"));
        let errors: Vec<&Value> = report["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter(|m| m["severity"] == "error")
            .collect();
        assert!(ok && errors.is_empty(), "{}: {errors:#?}", db.backend());

        let bundle: Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(bundle["type"], "collection");
        let entries = bundle["entry"].as_array().expect("entries");
        let of = |kind: &str| -> Vec<&Value> {
            entries
                .iter()
                .map(|e| &e["resource"])
                .filter(|r| r["resourceType"] == kind)
                .collect()
        };
        let drugs = of("MedicationKnowledge");
        let (_, ndjson) = fetch(&server, "/export/ndjson").await;
        let listed = String::from_utf8_lossy(&ndjson)
            .lines()
            .filter(|l| l.contains(r#""type":"drug""#))
            .count();
        assert!(listed >= 13, "{listed}");
        assert_eq!(drugs.len(), listed, "one MedicationKnowledge per drug");
        let doxorubicin = drugs
            .iter()
            .find(|d| d["id"] == "drug-doxorubicin")
            .expect("doxorubicin");
        let codings = &doxorubicin["code"]["coding"];
        assert_eq!(codings[0]["system"], "http://www.whocc.no/atc");
        assert_eq!(codings[0]["code"], "L01DB01");
        assert_eq!(
            codings[1]["system"],
            "http://www.nlm.nih.gov/research/umls/rxnorm"
        );
        assert_eq!(codings[1]["code"], "3639");
        assert!(
            doxorubicin["synonym"]
                .as_array()
                .is_some_and(|s| s.contains(&"Adriamycin".into()))
        );
        let plans = of("PlanDefinition");
        let plan = |id: &str| {
            *plans
                .iter()
                .find(|p| p["id"] == id)
                .unwrap_or_else(|| panic!("no {id}"))
        };
        let aim = plan("regimen-aim");
        assert_eq!(
            aim["topic"][0]["coding"][0]["system"],
            "http://fhir.ohdsi.org/CodeSystem/concepts"
        );
        assert_eq!(aim["topic"][0]["coding"][0]["code"], "35806965");
        let actions = aim["action"].as_array().expect("actions");
        assert_eq!(actions.len(), 3);
        assert!(
            actions[2]["description"]
                .as_str()
                .is_some_and(|d| d.contains("not counted")),
            "mesna"
        );
        assert!(actions[0].get("description").is_none());
        assert_eq!(
            plan("regimen-gem-tax")["topic"][0]["coding"][0]["code"],
            "35803577"
        );
        let activities: Vec<&Value> = of("ActivityDefinition");
        for action in actions {
            let canonical = &action["definitionCanonical"];
            assert!(
                activities.iter().any(|a| &a["url"] == canonical),
                "{action}"
            );
        }

        // Every drug and regimen has its provenance; every fullUrl is unique.
        let full_urls: Vec<&str> = entries
            .iter()
            .map(|e| e["fullUrl"].as_str().expect("fullUrl"))
            .collect();
        let unique: std::collections::BTreeSet<&str> = full_urls.iter().copied().collect();
        assert_eq!(unique.len(), full_urls.len());
        let targets: Vec<&Value> = of("Provenance")
            .iter()
            .map(|p| &p["target"][0]["reference"])
            .collect();
        for entry in entries.iter().filter(|e| {
            matches!(
                e["resource"]["resourceType"].as_str(),
                Some("MedicationKnowledge" | "PlanDefinition")
            )
        }) {
            assert!(targets.contains(&&entry["fullUrl"]), "{}", entry["fullUrl"]);
        }
        let provenance = of("Provenance")[0];
        assert!(
            provenance["entity"][0]["what"]["display"]
                .as_str()
                .is_some_and(|d| !d.is_empty())
        );

        // The validator does reject what is not FHIR.
        let mut broken = bundle.clone();
        broken["type"] = "not-a-bundle-type".into();
        std::fs::write(&file, broken.to_string()).expect("write");
        let (ok, _, _) = node(&tools, "validate-fhir.mjs", &file);
        assert!(!ok, "a bundle of an unknown type is invalid");

        // The same facts keep the same identities in the next export.
        let (_, again) = fetch(&server, "/export/fhir").await;
        let again: Value = serde_json::from_slice(&again).expect("JSON");
        let again_urls: Vec<&str> = again["entry"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| e["fullUrl"].as_str().expect("fullUrl"))
            .collect();
        assert_eq!(again_urls, full_urls);
        drop(server);
    }
}
