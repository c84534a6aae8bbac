//! The regression corpus: every markup and kind of page the project knows, each with the facts
//! a person read off it, in one test, so that a fix for one page cannot silently break another.
//!
//! Each `corpus/NAME.facts` names its page (`file`, relative to this directory, and `url`) and
//! lists, one a line, every fact the page states: its kind, categories, treatments with their
//! status, drugs, approval and trial phase, regimens, relations, warnings, trial references and the names
//! taken for drugs that the vocabulary lacks; `absent TEXT` lines
//! name chrome that must not be read as content. The test prints, for each page and in all,
//! the facts expected, found, invented (found but not expected) and lost (expected but not
//! found), and fails on any invented or lost fact.
//!
//! A new page: write its `.facts` by hand from what the page says. `LMSDR_CORPUS_DRAFT=1` writes
//! `NAME.facts.draft` beside it with what the extractor found, for comparing: never copy it
//! unread.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use lmsdr_ingest::extract::{Document, PageInput, extract};
use url::Url;

/// One page of the corpus and what it states.
struct Expected {
    name: String,
    file: PathBuf,
    url: String,
    facts: BTreeSet<String>,
    absent: Vec<String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn read_expected(path: &Path) -> Expected {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    let (mut file, mut url) = (None, None);
    let mut facts = BTreeSet::new();
    let mut absent = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "file" => {
                file = Some(
                    Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("tests")
                        .join(rest),
                )
            }
            "url" => url = Some(rest.to_owned()),
            "absent" => absent.push(rest.to_owned()),
            _ => {
                facts.insert(line.to_owned());
            }
        }
    }
    Expected {
        file: file.unwrap_or_else(|| panic!("{name}: no `file` line")),
        url: url.unwrap_or_else(|| panic!("{name}: no `url` line")),
        name,
        facts,
        absent,
    }
}

/// Every fact a document states, one line each, in the `.facts` notation.
fn facts_of(doc: &Document) -> BTreeSet<String> {
    let mut facts = BTreeSet::new();
    facts.insert(format!("kind {}", kind_name(&doc.kind)));
    for category in &doc.categories {
        facts.insert(format!("category {} | {}", category.slug, category.name));
        for treatment in &category.treatments {
            let mut drugs = String::new();
            for drug in &treatment.drugs {
                let _ = write!(drugs, " {}", drug.drug);
                if let Some(route) = drug.route {
                    let _ = write!(drugs, "/{}", serde_plain(&route));
                }
            }
            facts.insert(format!(
                "treatment {} | {} | {}{} |{drugs}",
                category.slug,
                treatment.name,
                serde_plain(&treatment.status),
                if treatment.first_line {
                    " first-line"
                } else {
                    ""
                },
            ));
            if let Some(phase) = &treatment.trial_phase {
                facts.insert(format!(
                    "phase {} | {} | {phase}",
                    category.slug, treatment.name
                ));
            }
            if let Some(approval) = &treatment.approval {
                facts.insert(format!(
                    "approval {} | {} | {} | {} | {}",
                    category.slug,
                    treatment.name,
                    approval.by.as_deref().unwrap_or("-"),
                    approval.on.as_deref().unwrap_or("-"),
                    approval.text
                ));
            }
        }
    }
    for regimen in &doc.regimens {
        let drugs: Vec<&str> = regimen.drugs.iter().map(|d| d.drug.as_str()).collect();
        facts.insert(format!("regimen {} | {}", regimen.name, drugs.join(" ")));
    }
    for relation in &doc.drug_relations {
        facts.insert(format!(
            "relation {} {} {}",
            relation.drug,
            serde_plain(&relation.kind),
            relation.related
        ));
    }
    for warning in &doc.warnings {
        facts.insert(format!(
            "warning {} | {} | {}",
            serde_plain(&warning.kind),
            warning.drug.as_deref().unwrap_or("-"),
            warning.text
        ));
    }
    for trial in &doc.trials {
        facts.insert(format!(
            "trial {} | {}",
            trial.label,
            trial.drug.as_deref().unwrap_or("-")
        ));
    }
    for name in &doc.unverified_names {
        facts.insert(format!("unverified {name}"));
    }
    facts
}

fn kind_name(kind: &lmsdr_entity::sea_orm_active_enums::PageKind) -> String {
    serde_plain(kind)
}

/// A unit enum as its serialized name.
fn serde_plain<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(e) => panic!("not serializable: {e}"),
    }
}

#[test]
fn every_page_of_the_corpus_states_exactly_its_facts() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("the corpus directory")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "facts"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "the corpus has {} pages", paths.len());

    let draft = std::env::var_os("LMSDR_CORPUS_DRAFT").is_some();
    let mut report =
        String::from("page                              expected  found  invented  lost\n");
    let mut failures = Vec::new();
    let (mut expected_total, mut found_total, mut invented_total, mut lost_total) = (0, 0, 0, 0);
    for path in &paths {
        let expected = read_expected(path);
        let bytes = std::fs::read(&expected.file)
            .unwrap_or_else(|e| panic!("{}: {e}", expected.file.display()));
        let url = Url::parse(&expected.url).expect("a valid url");
        let doc = extract(PageInput {
            url: &url,
            bytes: &bytes,
            content_type: None,
        })
        .unwrap_or_else(|e| panic!("{}: {e}", expected.name));
        let found = facts_of(&doc);
        if draft {
            let text: String = found.iter().map(|f| format!("{f}\n")).collect();
            std::fs::write(path.with_extension("facts.draft"), text).expect("draft written");
        }
        let invented: Vec<&String> = found.difference(&expected.facts).collect();
        let lost: Vec<&String> = expected.facts.difference(&found).collect();
        let _ = writeln!(
            report,
            "{:<34}{:>8}{:>7}{:>10}{:>6}",
            expected.name,
            expected.facts.len(),
            found.len(),
            invented.len(),
            lost.len()
        );
        expected_total += expected.facts.len();
        found_total += found.len();
        invented_total += invented.len();
        lost_total += lost.len();
        for fact in invented {
            failures.push(format!("{}: invented: {fact}", expected.name));
        }
        for fact in lost {
            failures.push(format!("{}: lost: {fact}", expected.name));
        }
        for chrome in &expected.absent {
            if doc.main_text.contains(chrome.as_str()) {
                failures.push(format!(
                    "{}: chrome read as content: {chrome}",
                    expected.name
                ));
            }
        }
    }
    let _ = writeln!(
        report,
        "{:<34}{:>8}{:>7}{:>10}{:>6}",
        format!("all {} pages", paths.len()),
        expected_total,
        found_total,
        invented_total,
        lost_total
    );
    println!("{report}");
    assert!(failures.is_empty(), "{report}\n{}", failures.join("\n"));
}
