//! Web archives (WARC, as written by `wget --warc-file` or exported from web archives): the HTTP
//! responses they captured, with their capture dates, ready to replay in date order.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::panic::AssertUnwindSafe;
use std::path::Path;

use chrono::{DateTime, Utc};
use flate2::read::MultiGzDecoder;
use url::Url;
use warc::{EmptyBody, RawRecordHeader, Record, RecordType, WarcHeader};

use crate::limits::MAX_PAGE_BYTES;

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

/// The most a record's header block may take.
const MAX_HEADER_BYTES: u64 = 64 * 1024;
/// The largest record body read: a page at the page cap, with its HTTP headers.
const MAX_RECORD_BYTES: u64 = MAX_PAGE_BYTES as u64 + 64 * 1024;
/// How many times its size a compressed archive may decode to, at the least
/// [`MIN_DECODED_CAP`]: HTML compresses about tenfold, a decompression bomb a thousandfold.
const MAX_DECODE_RATIO: u64 = 100;
/// The decoded size every compressed archive may reach, whatever its own size.
const MIN_DECODED_CAP: u64 = 64 * 1024 * 1024;

/// What a WARC file held: its HTML-bearing responses, and the records it skipped.
#[derive(Debug, Default)]
pub struct Archive {
    /// The captured responses, in file order.
    pub captures: Vec<Capture>,
    /// Why records were skipped (too large), one line each.
    pub skipped: Vec<String>,
}

/// Reads the response records of a WARC file (gzip members too, for `.warc.gz`), one record at a
/// time: a record over the page cap is skipped without being read into memory, a compressed file
/// may not decode to more than [`MAX_DECODE_RATIO`] times its size, and any failure of the
/// reader — a malformed or truncated record, a panic inside a crate — is an error for the file.
pub fn read(path: &Path) -> Result<Archive, String> {
    let file = File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or_default();
    let gzip = path.to_string_lossy().to_ascii_lowercase().ends_with(".gz");
    read_from(file, gzip.then_some(size))
}

/// [`read`] from any reader: `gzip` gives the compressed size of a gzip stream, none for a
/// plain one.
pub fn read_from<R: Read + 'static>(reader: R, gzip: Option<u64>) -> Result<Archive, String> {
    let reader: Box<dyn Read> = match gzip {
        Some(size) => {
            let cap = size.saturating_mul(MAX_DECODE_RATIO).max(MIN_DECODED_CAP);
            Box::new(Capped::new(MultiGzDecoder::new(reader), cap))
        }
        None => Box::new(reader),
    };
    let reader = BufReader::new(reader);
    std::panic::catch_unwind(AssertUnwindSafe(|| records(reader)))
        .unwrap_or_else(|_| Err("the WARC reader failed on a malformed record".to_owned()))
}

/// A reader that fails once more than `cap` bytes have come through it.
struct Capped<R> {
    inner: R,
    left: u64,
    cap: u64,
}

impl<R> Capped<R> {
    fn new(inner: R, cap: u64) -> Self {
        Self {
            inner,
            left: cap,
            cap,
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.left = self.left.checked_sub(read as u64).ok_or_else(|| {
            io::Error::other(format!(
                "the archive decodes to more than {} bytes (a decompression bomb?)",
                self.cap
            ))
        })?;
        Ok(read)
    }
}

fn records<R: BufRead>(mut reader: R) -> Result<Archive, String> {
    let mut archive = Archive::default();
    while let Some(header) = header_block(&mut reader)? {
        let (_, (version, headers, length)) = warc::parser::headers(&header)
            .map_err(|_| "malformed WARC record header".to_owned())?;
        let raw = RawRecordHeader {
            version: version.to_owned(),
            headers: headers
                .into_iter()
                .map(|(name, value)| (WarcHeader::from(name), value.to_owned()))
                .collect(),
        };
        // Read here, where a value that is not UTF-8 is an `Err`: the crate's own accessor
        // unwraps it.
        let target = raw
            .headers
            .get(&WarcHeader::TargetURI)
            .and_then(|v| std::str::from_utf8(v).ok())
            .map(|v| v.trim_matches(['<', '>']).to_owned());
        let record = Record::<EmptyBody>::try_from(raw)
            .map_err(|e| format!("malformed WARC record: {e}"))?;
        let length = length as u64;
        if length > MAX_RECORD_BYTES {
            let skipped =
                io::copy(&mut (&mut reader).take(length), &mut io::sink()).map_err(read_error)?;
            if skipped < length {
                return Err("truncated WARC record".to_owned());
            }
            archive.skipped.push(format!(
                "record {} ({length} bytes) is over the {MAX_RECORD_BYTES}-byte cap; skipped",
                record.warc_id()
            ));
        } else {
            let mut body = Vec::with_capacity(length as usize);
            (&mut reader)
                .take(length)
                .read_to_end(&mut body)
                .map_err(read_error)?;
            if (body.len() as u64) < length {
                return Err("truncated WARC record".to_owned());
            }
            archive
                .captures
                .extend(capture_of(&record, target.as_deref(), &body));
        }
        let mut end = [0u8; 4];
        reader.read_exact(&mut end).map_err(read_error)?;
        if &end != b"\r\n\r\n" {
            return Err("malformed WARC record: no blank lines after its body".to_owned());
        }
    }
    Ok(archive)
}

/// The next record's header block, up to and including the blank line that ends it; none at the
/// end of the file.
fn header_block<R: BufRead>(reader: &mut R) -> Result<Option<Vec<u8>>, String> {
    let mut header = Vec::new();
    loop {
        let room = MAX_HEADER_BYTES.saturating_sub(header.len() as u64);
        let start = header.len();
        let read = reader
            .take(room)
            .read_until(b'\n', &mut header)
            .map_err(read_error)?;
        if read == 0 {
            return match header.is_empty() {
                true => Ok(None),
                false if header.len() as u64 >= MAX_HEADER_BYTES => Err(format!(
                    "a WARC record header is over {MAX_HEADER_BYTES} bytes"
                )),
                false => Err("truncated WARC record header".to_owned()),
            };
        }
        if &header[start..] == b"\r\n" {
            if start == 0 {
                // A blank line between records.
                header.clear();
                continue;
            }
            return Ok(Some(header));
        }
    }
}

fn read_error(e: io::Error) -> String {
    format!("cannot read the archive: {e}")
}

fn capture_of(record: &Record<EmptyBody>, target: Option<&str>, body: &[u8]) -> Option<Capture> {
    if *record.warc_type() != RecordType::Response {
        return None;
    }
    let url = Url::parse(target?).ok()?;
    let (status, content_type, body) = parse_http_response(body)?;
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

    fn record(target: &[u8], body: &[u8]) -> Vec<u8> {
        let mut raw = b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: ".to_vec();
        raw.extend_from_slice(target);
        raw.extend_from_slice(
            format!(
                "\r\nWARC-Date: 2011-01-01T00:00:00Z\r\n\
                 WARC-Record-ID: <urn:uuid:12345678-1234-1234-1234-123456789012>\r\n\
                 Content-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
        raw.extend_from_slice(body);
        raw.extend_from_slice(b"\r\n\r\n");
        raw
    }

    /// Found by the `warc` fuzz target: the crate's header accessor unwraps a target URI that
    /// is not UTF-8. Such a record is skipped; the rest of the file is read.
    #[test]
    fn a_target_uri_that_is_not_utf8_skips_its_record_only() {
        let page = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>kept</p>";
        let mut bytes = record(b"http://\xff\xffwww.lmsdr.org/x.php", page);
        bytes.extend(record(b"http://www.lmsdr.org/y.php", page));
        let archive = read_from(io::Cursor::new(bytes), None).expect("read");
        let urls: Vec<&str> = archive.captures.iter().map(|c| c.url.as_str()).collect();
        assert_eq!(urls, ["http://www.lmsdr.org/y.php"]);
    }

    #[test]
    fn http_responses_parse_and_dechunk() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n<p>hi\r\n6\r\n there\r\n0\r\n\r\n";
        let (status, content_type, body) = parse_http_response(raw).expect("parses");
        assert_eq!((status, content_type.as_deref()), (200, Some("text/html")));
        assert_eq!(body, b"<p>hi there");
        assert!(parse_http_response(b"garbage").is_none());
    }
}
