//! Web archives (WARC, as written by `wget --warc-file` or exported from web archives): the HTTP
//! responses they captured, with their capture dates, ready to replay in date order.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use chrono::{DateTime, Utc};
use url::Url;
use warc::{RecordType, WarcHeader, WarcReader};

/// One captured HTTP response.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The URL captured.
    pub url: Url,
    /// When it was captured.
    pub captured_at: DateTime<Utc>,
    /// Its HTTP status.
    pub status: u16,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
    /// Its body, de-chunked.
    pub body: Vec<u8>,
}

/// Whether a path names a WARC file (`.warc` or `.warc.gz`).
pub fn is_warc(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name.ends_with(".warc") || name.ends_with(".warc.gz")
}

/// Reads every response record of a WARC file (gzip members too, for `.warc.gz`).
pub fn read(path: &Path) -> Result<Vec<Capture>, String> {
    let file = File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let gzip = path.to_string_lossy().to_ascii_lowercase().ends_with(".gz");
    if gzip {
        captures(WarcReader::new(BufReader::new(MultiGzDecoder::new(file))))
    } else {
        captures(WarcReader::new(BufReader::new(file)))
    }
}

fn captures<R: BufRead>(reader: WarcReader<R>) -> Result<Vec<Capture>, String> {
    let mut captures = Vec::new();
    for record in reader.iter_records() {
        let record = record.map_err(|e| format!("malformed WARC record: {e}"))?;
        captures.extend(capture_of(&record));
    }
    Ok(captures)
}

fn capture_of(record: &warc::Record<warc::BufferedBody>) -> Option<Capture> {
    if *record.warc_type() != RecordType::Response {
        return None;
    }
    let url = Url::parse(
        record
            .header(WarcHeader::TargetURI)?
            .trim_matches(['<', '>']),
    )
    .ok()?;
    let (status, content_type, body) = parse_http_response(record.body())?;
    Some(Capture {
        url,
        captured_at: *record.date(),
        status,
        content_type,
        body,
    })
}

/// Status, `Content-Type` and de-chunked body of a raw HTTP response.
fn parse_http_response(raw: &[u8]) -> Option<(u16, Option<String>, Vec<u8>)> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(header_len) = response.parse(raw).ok()? else {
        return None;
    };
    let status = response.code?;
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type");
    let chunked =
        header("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
    let body = &raw[header_len..];
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Some((status, content_type, body))
}

fn dechunk(mut input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let httparse::Status::Complete((start, size)) = httparse::parse_chunk_size(input).ok()?
        else {
            return None;
        };
        if size == 0 {
            return Some(out);
        }
        let end = start.checked_add(usize::try_from(size).ok()?)?;
        out.extend_from_slice(input.get(start..end)?);
        input = input.get(end + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_responses_parse_and_dechunk() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<p>hi\r\n6\r\n there\r\n0\r\n\r\n";
        let (status, content_type, body) = parse_http_response(raw).expect("parses");
        assert_eq!((status, content_type.as_deref()), (200, Some("text/html")));
        assert_eq!(body, b"<p>hi there");
        assert!(parse_http_response(b"garbage").is_none());
    }
}
