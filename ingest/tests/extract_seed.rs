//! The treatments page, in four markups, extracts to the same facts.

use lmsdr_entity::sea_orm_active_enums::{
    DrugNameKind, DrugRelationKind, Route, TreatmentStatus, WarningKind,
};
use lmsdr_ingest::extract::{Document, PageInput, extract};
use url::Url;

const URL: &str = "http://www.lmsdr.org/treatments.php";
const MARKUPS: &[(&str, &[u8])] = &[
    ("html5", include_bytes!("fixtures/treatments/html5.html")),
    ("legacy-table", include_bytes!("../data/treatments.html")),
    (
        "br-bullets",
        include_bytes!("fixtures/treatments/br-bullets.html"),
    ),
    (
        "p-per-item",
        include_bytes!("fixtures/treatments/p-per-item.html"),
    ),
];

fn documents() -> Vec<(&'static str, Document)> {
    let url = Url::parse(URL).expect("valid URL");
    MARKUPS
        .iter()
        .map(|(name, bytes)| {
            let doc = extract(PageInput {
                url: &url,
                bytes,
                content_type: None,
            })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            (*name, doc)
        })
        .collect()
}

/// Everything but how the bytes were encoded.
fn facts(doc: &Document) -> serde_json::Value {
    let mut value = serde_json::to_value(doc).expect("serializable");
    if let Some(map) = value.as_object_mut() {
        map.remove("encoding");
    }
    value
}

#[test]
fn every_markup_gives_the_same_facts() {
    let docs = documents();
    let reference = facts(&docs[0].1);
    for (name, doc) in &docs[1..] {
        let got = facts(doc);
        if got != reference {
            let a = serde_json::to_string_pretty(&reference).unwrap_or_default();
            let b = serde_json::to_string_pretty(&got).unwrap_or_default();
            let diff = similar::TextDiff::from_lines(&a, &b)
                .unified_diff()
                .header("html5", name)
                .to_string();
            panic!("{name} differs from html5:\n{diff}");
        }
    }
}

#[test]
fn normalized_output_snapshot() {
    let docs = documents();
    insta::assert_json_snapshot!("treatments_page", facts(&docs[0].1));
}

#[test]
fn encodings_are_detected_per_markup() {
    let docs = documents();
    let encodings: Vec<_> = docs
        .iter()
        .map(|(n, d)| (*n, d.encoding.as_str()))
        .collect();
    assert_eq!(
        encodings,
        [
            ("html5", "UTF-8"),
            ("legacy-table", "windows-1252"),
            ("br-bullets", "windows-1252"),
            ("p-per-item", "windows-1252"),
        ]
    );
}

#[test]
fn required_facts_on_every_markup() {
    for (name, doc) in documents() {
        check_required_facts(name, &doc);
    }
}

fn check_required_facts(name: &str, doc: &Document) {
    let ctx = |what: &str| format!("{name}: {what}");
    assert_eq!(
        doc.title.as_deref(),
        Some("LeioMyoSarcoma Direct Research Foundation - LMSdr"),
        "{}",
        ctx("title")
    );
    let stamp = doc.last_edited.as_ref().expect("stamp");
    assert_eq!(
        stamp.text,
        "1 August 2012 08:59 am",
        "{}",
        ctx("stamp text")
    );
    assert_eq!(
        stamp.at.map(|d| d.to_string()).as_deref(),
        Some("2012-08-01 08:59:00"),
        "{}",
        ctx("stamp")
    );

    let nav: Vec<_> = doc.navigation.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        nav,
        [
            "Home",
            "Patient Registries",
            "The Foundation",
            "eAlerts",
            "What is Leiomyosarcoma?",
            "News and Advocacy",
            "How to Help",
            "Donate Now",
            "Memorials and Tribute Funds",
            "Thank you, Donors",
            "Fundraisers",
            "Patient Resources",
            "Clinical Trials",
            "Tissue Bank",
            "Research Grants",
            "Contact Us"
        ],
        "{}",
        ctx("navigation")
    );
    assert!(
        doc.navigation
            .iter()
            .all(|l| l.url.starts_with("http://www.lmsdr.org/"))
    );

    let disclaimer = doc.disclaimer.as_deref().expect("disclaimer");
    assert!(disclaimer.starts_with("This list is for informational purposes only"));
    assert!(disclaimer.ends_with("made by the patient and their physician."));

    let categories: Vec<_> = doc
        .categories
        .iter()
        .map(|c| (c.name.as_str(), c.treatments.len()))
        .collect();
    assert_eq!(
        categories,
        [
            ("Surgery", 4),
            ("Chemotherapy", 8),
            ("Targeted Therapy", 7),
            ("Radiation Therapy", 5),
            ("Interventional Radiology", 5),
            ("Immunotherapy", 7),
            ("Hormonal Therapy", 3),
        ],
        "{}",
        ctx("categories")
    );
    for category in &doc.categories {
        assert!(
            !category.description.is_empty() && category.source == category.description,
            "{}",
            ctx("lead-in")
        );
    }
    assert!(
        doc.categories[0]
            .description
            .starts_with("Surgery is the first choice")
    );

    let chemo = &doc.categories[1];
    let first_line: Vec<_> = chemo
        .treatments
        .iter()
        .filter(|t| t.first_line)
        .map(|t| t.regimen.as_deref())
        .collect();
    assert_eq!(
        first_line,
        [Some("gem-tax"), Some("aim")],
        "{}",
        ctx("first line")
    );
    assert_eq!(
        chemo
            .treatments
            .iter()
            .filter(|t| t.regimen.is_none())
            .count(),
        6
    );

    let immuno = &doc.categories[5];
    assert!(
        immuno
            .treatments
            .iter()
            .all(|t| t.status == TreatmentStatus::Investigational)
    );
    let surgery = &doc.categories[0];
    assert!(
        surgery
            .treatments
            .iter()
            .all(|t| t.status == TreatmentStatus::Standard)
    );

    let regimen = |slug: &str| {
        let r = doc
            .regimens
            .iter()
            .find(|r| r.slug == slug)
            .expect("regimen");
        (
            r.name.as_str(),
            r.drugs.iter().map(|m| m.drug.as_str()).collect::<Vec<_>>(),
            r.first_line,
        )
    };
    assert_eq!(
        regimen("gem-tax"),
        ("Gem/Tax", vec!["gemcitabine", "docetaxel"], true)
    );
    assert_eq!(
        regimen("aim"),
        ("AIM", vec!["doxorubicin", "ifosfamide", "mesna"], true)
    );

    let drug = |slug: &str| {
        doc.drugs
            .iter()
            .find(|d| d.slug == slug)
            .unwrap_or_else(|| panic!("{name}: drug {slug}"))
    };
    for (slug, atc) in [
        ("doxorubicin", "L01DB01"),
        ("ifosfamide", "L01AA06"),
        ("mesna", "V03AF01"),
        ("gemcitabine", "L01BC05"),
        ("docetaxel", "L01CD02"),
        ("temozolomide", "L01AX03"),
        ("dacarbazine", "L01AX04"),
        ("trabectedin", "L01CX01"),
        ("anastrozole", "L02BG03"),
        ("exemestane", "L02BG06"),
        ("letrozole", "L02BG04"),
        ("tamoxifen", "L02BA01"),
        ("ridaforolimus", "L01EG03"),
    ] {
        assert_eq!(drug(slug).atc_code.as_deref(), Some(atc), "{}", ctx(slug));
        assert!(drug(slug).verified);
    }
    assert_eq!(doc.drugs.len(), 13, "{}", ctx("drug count"));
    assert_eq!(
        drug("ridaforolimus").atc_code_previous.as_deref(),
        Some("L01XE19")
    );
    for (slug, rxcui) in [
        ("doxorubicin", Some("3639")),
        ("gemcitabine", Some("12574")),
        ("tamoxifen", Some("10324")),
        ("mesna", Some("44")),
        ("ifosfamide", None),
        ("trabectedin", None),
    ] {
        assert_eq!(drug(slug).rxcui.as_deref(), rxcui, "{}", ctx(slug));
    }
    let has_name = |slug: &str, n: &str, kind: DrugNameKind| {
        drug(slug)
            .names
            .iter()
            .any(|x| x.name == n && x.kind == kind)
    };
    assert!(has_name("doxorubicin", "Adriamycin", DrugNameKind::Brand));
    assert!(has_name("trabectedin", "ET-743", DrugNameKind::CodeName));
    assert!(has_name("trabectedin", "Yondelis", DrugNameKind::Brand));
    assert!(has_name("dacarbazine", "DTIC", DrugNameKind::Abbreviation));
    assert!(has_name("ridaforolimus", "AP23573", DrugNameKind::CodeName));
    assert!(drug("trabectedin").in_trial);
    assert!(!drug("doxorubicin").in_trial);

    let temodar = chemo
        .treatments
        .iter()
        .find(|t| t.slug == "temozolomide-dacarbazine")
        .expect("temozolomide item");
    let routes: Vec<_> = temodar
        .drugs
        .iter()
        .map(|m| (m.drug.as_str(), m.route))
        .collect();
    assert_eq!(
        routes,
        [
            ("temozolomide", Some(Route::Oral)),
            ("dacarbazine", Some(Route::Intravenous))
        ]
    );
    assert_eq!(
        doc.drug_relations
            .iter()
            .map(|r| (r.drug.as_str(), r.related.as_str(), r.kind))
            .collect::<Vec<_>>(),
        [("temozolomide", "dacarbazine", DrugRelationKind::SameDrugAs)]
    );
    let trabectedin = chemo
        .treatments
        .iter()
        .find(|t| t.slug == "trabectedin")
        .expect("trabectedin item");
    assert_eq!(trabectedin.status, TreatmentStatus::InTrial);
    assert_eq!(trabectedin.name, "ET-743 (Trabectedin / Yondelis)");

    assert_eq!(doc.trials.len(), 1);
    let trial = &doc.trials[0];
    assert_eq!(
        (
            trial.label.as_str(),
            trial.code.as_deref(),
            trial.drug.as_deref()
        ),
        ("AP23573 trial", Some("AP23573"), Some("ridaforolimus"))
    );
    assert_eq!(
        trial.treatment,
        Some(("targeted-therapy".to_owned(), "mtor-inhibitors".to_owned()))
    );

    assert_eq!(doc.warnings.len(), 1);
    let warning = &doc.warnings[0];
    assert_eq!(warning.kind, WarningKind::Contraindication);
    assert_eq!(warning.drug.as_deref(), Some("tamoxifen"));
    assert_eq!(warning.population.as_deref(), Some("uterine LMS"));
    assert_eq!(warning.category.as_deref(), Some("hormonal-therapy"));
    assert_eq!(
        warning.text,
        "Tamoxifen has been contra-indicated for uterine LMS in recent studies."
    );

    assert_eq!(
        doc.categories[6].scope,
        ["uterine LMS", "post-menopausal women"],
        "{}",
        ctx("hormonal scope")
    );

    let kossove: Vec<_> = doc.links.iter().filter(|l| l.external).collect();
    assert_eq!(kossove.len(), 1, "{}", ctx("external references"));
    assert_eq!(kossove[0].text, "the website by D. Kossove, M.D.");
    assert!(
        kossove[0]
            .context
            .as_deref()
            .is_some_and(|c| c.contains("LMSdr Scientific Advisory Committee"))
    );

    assert!(
        doc.unverified_names.is_empty(),
        "{}: {:?}",
        name,
        doc.unverified_names
    );
    assert!(
        doc.origin_note
            .as_deref()
            .is_some_and(|n| n.starts_with("Reconstructed"))
    );
    assert!(!doc.main_text.contains("Back to Top"));
    assert!(!doc.main_text.contains("Last Edited"));
}
