//! The JSON document and NDJSON encoders.

use super::records::{Record, RecordType};
use super::{Encoder, ExportError};

/// One record a line, each with its `type`; the metadata first.
#[derive(Debug, Default)]
pub struct NdjsonEncoder;

impl Encoder for NdjsonEncoder {
    fn record(&mut self, record: &Record, out: &mut Vec<u8>) -> Result<(), ExportError> {
        serde_json::to_writer(&mut *out, record)?;
        out.push(b'\n');
        Ok(())
    }

    fn finish(&mut self, _: &mut Vec<u8>) -> Result<(), ExportError> {
        Ok(())
    }
}

/// One document: `{"export": {…}, "pages": […], "categories": […], …}`, every key present
/// (an empty array when there is nothing of a type), in [`RecordType::ALL`] order.
#[derive(Debug, Default)]
pub struct JsonEncoder {
    /// The type being written, with whether its array has an element yet.
    open: Option<(RecordType, bool)>,
}

impl JsonEncoder {
    /// Closes the open array and writes empty ones for the types before `next`.
    fn advance(&mut self, next: Option<RecordType>, out: &mut Vec<u8>) -> Result<(), ExportError> {
        let Some((current, _)) = self.open else {
            return Err(ExportError::Inconsistent(
                "an export must start with its metadata",
            ));
        };
        if next.is_some_and(|next| next < current) {
            return Err(ExportError::Inconsistent("records out of export order"));
        }
        if current != RecordType::Export {
            out.push(b']');
        }
        let skipped = RecordType::ALL
            .into_iter()
            .filter(|t| *t > current && next.is_none_or(|next| *t < next));
        for kind in skipped {
            out.extend_from_slice(format!(",\"{}\":[]", kind.plural()).as_bytes());
        }
        match next {
            Some(next) => {
                out.extend_from_slice(format!(",\"{}\":[", next.plural()).as_bytes());
                self.open = Some((next, false));
            }
            None => out.push(b'}'),
        }
        Ok(())
    }
}

impl Encoder for JsonEncoder {
    fn record(&mut self, record: &Record, out: &mut Vec<u8>) -> Result<(), ExportError> {
        let kind = record.record_type();
        if kind == RecordType::Export {
            if self.open.is_some() {
                return Err(ExportError::Inconsistent(
                    "an export has one metadata record",
                ));
            }
            out.extend_from_slice(b"{\"export\":");
            record.write_body(out)?;
            self.open = Some((RecordType::Export, true));
            return Ok(());
        }
        if self.open.is_none_or(|(current, _)| current != kind) {
            self.advance(Some(kind), out)?;
        }
        if let Some((_, written)) = &mut self.open {
            if *written {
                out.push(b',');
            }
            *written = true;
        }
        record.write_body(out)?;
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), ExportError> {
        self.advance(None, out)
    }
}
