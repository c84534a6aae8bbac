//! `lmsdr export --format json|ndjson|csv|jsonld|fhir --out DIR`: the whole content, from one
//! consistent snapshot, into files that appear whole or not at all.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use lmsdr_ingest::db;

use super::DatabaseArgs;
use crate::export::csv::{CsvEncoder, CsvFile};
use crate::export::{
    Encoder, Export, FhirEncoder, Format, JsonEncoder, JsonLdEncoder, NdjsonEncoder, order_of,
};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The format to write.
    #[arg(long, value_enum)]
    format: Format,
    /// The directory to write into (created if missing); files of the same name are replaced.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    #[command(flatten)]
    db: DatabaseArgs,
}

/// One output file and the encoder that writes it.
struct Sink {
    name: &'static str,
    encoder: Box<dyn Encoder>,
    file: std::io::BufWriter<tempfile::NamedTempFile>,
    bytes: u64,
}

/// The files a format is written to, each with its encoder.
fn files_of(format: Format) -> anyhow::Result<Vec<(&'static str, Box<dyn Encoder>)>> {
    Ok(match format {
        Format::Json => vec![("lmsdr-export.json", Box::new(JsonEncoder::default()))],
        Format::Ndjson => vec![("lmsdr-export.ndjson", Box::new(NdjsonEncoder))],
        Format::Csv => CsvFile::ALL
            .into_iter()
            .map(|file| {
                let encoder: Box<dyn Encoder> = Box::new(CsvEncoder::new(file));
                (file.file_name(), encoder)
            })
            .collect(),
        Format::Jsonld => vec![("lmsdr-export.jsonld", Box::new(JsonLdEncoder::default()))],
        Format::Fhir => vec![("lmsdr-export.fhir.json", Box::new(FhirEncoder::default()))],
    })
}

pub async fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let files = files_of(args.format)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut sinks = files
        .into_iter()
        .map(|(name, encoder)| {
            let file = tempfile::Builder::new()
                .prefix(".lmsdr-export-")
                .tempfile_in(&args.out)
                .with_context(|| format!("cannot write in {}", args.out.display()))?;
            Ok(Sink {
                name,
                encoder,
                file: std::io::BufWriter::new(file),
                bytes: 0,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let conn = db::connect_and_migrate(&args.db.database_url).await?;
    let mut export = Export::start(conn, order_of(args.format)).await?;
    let meta = export.meta().clone();
    let mut buffer = Vec::new();
    let mut records = 0u64;
    let mut record = Some(crate::export::records::Record::Export(meta.clone()));
    while let Some(current) = record {
        records += 1;
        for sink in &mut sinks {
            buffer.clear();
            sink.encoder.record(&current, &mut buffer)?;
            write(sink, &buffer, &args.out)?;
        }
        record = export.next().await?;
    }
    for sink in &mut sinks {
        buffer.clear();
        sink.encoder.finish(&mut buffer)?;
        write(sink, &buffer, &args.out)?;
    }
    // Every file is complete before any replaces what was there.
    let mut written = Vec::new();
    for sink in sinks {
        let target = args.out.join(sink.name);
        let file = sink
            .file
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", target.display()))?;
        file.as_file()
            .sync_all()
            .with_context(|| format!("cannot write {}", target.display()))?;
        written.push((file, target, sink.bytes));
    }
    for (file, target, bytes) in written {
        file.persist(&target)
            .with_context(|| format!("cannot replace {}", target.display()))?;
        println!("wrote {} ({bytes} bytes)", target.display());
    }
    println!(
        "{records} records, content generation {}, exported at {}",
        meta.generation,
        meta.exported_at.to_rfc3339()
    );
    Ok(ExitCode::SUCCESS)
}

fn write(sink: &mut Sink, bytes: &[u8], dir: &Path) -> anyhow::Result<()> {
    sink.file
        .write_all(bytes)
        .with_context(|| format!("cannot write {}", dir.join(sink.name).display()))?;
    sink.bytes += bytes.len() as u64;
    Ok(())
}
