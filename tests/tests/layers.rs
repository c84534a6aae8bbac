//! The layering guard: each crate's top-level modules import only modules of layers below
//! their own, so that a helper reached for from the wrong side fails here, not in review.
//! ARCHITECTURE.md explains the layers; a new module is added to its layer below.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The api crate's layers, lowest first.
const API: &[&[&str]] = &[
    &["ids", "telemetry", "metrics", "jobs"],
    &["feed"],
    &["export", "webhooks"],
    &["graphql"],
    &["server"],
    &["cli"],
];

/// The ingest crate's layers, lowest first.
const INGEST: &[&[&str]] = &[
    &["limits", "db", "lock", "search"],
    &["extract", "fetch", "archive", "runs"],
    &["store"],
    &["pipeline"],
    &["bundled", "sync", "import"],
    &["backfill"],
    &["testing"],
];

/// Files that sit above every layer: the crate root and the binary.
const ROOTS: &[&str] = &["lib", "main"];

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a source directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The top-level module a file belongs to (`src/graphql/drug.rs` → `graphql`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("under src");
    let first = relative.components().next().expect("a component");
    Path::new(first.as_os_str())
        .file_stem()
        .expect("a name")
        .to_string_lossy()
        .into_owned()
}

/// The crate's top-level modules a source text names through `crate::` (comments aside),
/// including each member of a `crate::{a, b::c}` group.
fn crate_imports(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let Some(group) = rest.strip_prefix('{') else {
            found.insert(ident(rest));
            continue;
        };
        // A group: the first name of each member at the group's own depth.
        let mut depth = 1;
        let mut expecting = true;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                ',' if depth == 1 => expecting = true,
                c if expecting && depth == 1 && (c.is_ascii_alphabetic() || c == '_') => {
                    found.insert(ident(&group[i..]));
                    expecting = false;
                }
                _ => {}
            }
        }
    }
    found.retain(|name| !name.is_empty() && name != "self");
    found
}

/// Every import that does not run down the layers, as `file: module -> imported`.
fn violations(crate_dir: &str, layers: &[&[&str]]) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(crate_dir)
        .join("src");
    let rank = |module: &str| layers.iter().position(|layer| layer.contains(&module));
    let mut wrong = Vec::new();
    for file in sources(&src) {
        let module = module_of(&src, &file);
        if ROOTS.contains(&module.as_str()) {
            continue;
        }
        let Some(own) = rank(&module) else {
            wrong.push(format!(
                "{}: module `{module}` is in no layer of the guard",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("a source file");
        for imported in crate_imports(&text) {
            if imported == module {
                continue;
            }
            match rank(&imported) {
                Some(theirs) if theirs < own => {}
                _ => wrong.push(format!(
                    "{}: `{module}` imports `{imported}`, which is not below it",
                    file.display()
                )),
            }
        }
    }
    wrong
}

#[test]
fn the_api_crate_imports_only_downwards() {
    let wrong = violations("api", API);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_ingest_crate_imports_only_downwards() {
    let wrong = violations("ingest", INGEST);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_guard_reads_plain_and_grouped_imports_and_skips_comments() {
    let text = "use crate::feed::{self, latest_id};\n\
                use crate::{export, graphql::ids::{NodeType, encode}};\n\
                // see crate::server for the handler\n\
                let x = crate::metrics::gather(db);";
    let found: Vec<String> = crate_imports(text).into_iter().collect();
    assert_eq!(found, ["export", "feed", "graphql", "metrics"]);
}
