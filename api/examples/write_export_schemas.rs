//! Writes the export record schemas to `api/export-schema/`, where partners find them and the
//! drift test compares them: `cargo run -p lmsdr-api --example write_export_schemas`.

use lmsdr_api::export::records::RecordType;

fn main() -> std::io::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("export-schema");
    std::fs::create_dir_all(&dir)?;
    for kind in RecordType::ALL {
        let path = dir.join(format!("{}.json", kind.name()));
        let text = serde_json::to_string_pretty(&kind.schema())?;
        std::fs::write(&path, text + "\n")?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
