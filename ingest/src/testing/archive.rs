//! Web archives for tests: WARC files of HTML responses captured at given dates.

use std::path::Path;

use chrono::{DateTime, Utc};
use warc::{RecordBuilder, RecordType, WarcHeader, WarcWriter};

/// One HTML response as an archive holds it.
#[derive(Debug, Clone, Copy)]
pub struct Capture<'a> {
    /// The page's URL.
    pub url: &'a str,
    /// When it was captured.
    pub at: DateTime<Utc>,
    /// The page's HTML.
    pub html: &'a str,
}

/// Writes a WARC file holding the captures as `response` records, in the order given.
///
/// # Panics
/// When the file cannot be written: a test fixture that cannot be made is a broken test.
pub fn write(path: &Path, captures: &[Capture<'_>]) {
    let mut writer = WarcWriter::from_path(path).expect("a WARC file can be created");
    for capture in captures {
        let mut body = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
            capture.html.len()
        )
        .into_bytes();
        body.extend_from_slice(capture.html.as_bytes());
        let record = RecordBuilder::default()
            .warc_type(RecordType::Response)
            .date(capture.at)
            .header(WarcHeader::TargetURI, capture.url)
            .body(body)
            .build()
            .expect("a valid record");
        writer.write(&record).expect("the record is written");
    }
}
