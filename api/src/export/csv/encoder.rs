//! The CSV encoder: one file of an export, header row first.

use super::{CsvFile, neutralize};
use crate::export::records::Record;
use crate::export::{Encoder, ExportError};

/// Writes one CSV file from an export's records.
#[derive(Debug)]
pub struct CsvEncoder {
    file: CsvFile,
    headed: bool,
}

impl CsvEncoder {
    /// An encoder of one file.
    pub fn new(file: CsvFile) -> Self {
        Self {
            file,
            headed: false,
        }
    }

    /// Appends rows, after the header row if it is not written yet.
    fn write(&mut self, rows: &[Vec<String>], out: &mut Vec<u8>) -> Result<(), ExportError> {
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(out);
        if !self.headed {
            self.headed = true;
            writer
                .write_record(self.file.headers())
                .map_err(csv_error)?;
        }
        for row in rows {
            // Field by field: a cell needs no copy unless it is neutralized.
            for cell in row {
                writer
                    .write_field(neutralize(cell).as_bytes())
                    .map_err(csv_error)?;
            }
            writer
                .write_record(std::iter::empty::<&[u8]>())
                .map_err(csv_error)?;
        }
        writer
            .flush()
            .map_err(|e| ExportError::Encode(e.to_string()))
    }
}

fn csv_error(err: csv::Error) -> ExportError {
    ExportError::Encode(err.to_string())
}

impl Encoder for CsvEncoder {
    fn record(&mut self, record: &Record, out: &mut Vec<u8>) -> Result<(), ExportError> {
        self.write(&self.file.rows(record), out)
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), ExportError> {
        self.write(&[], out)
    }
}
