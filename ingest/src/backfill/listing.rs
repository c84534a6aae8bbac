//! Listing a site's captures in a web archive, in one row shape: the Wayback CDX server API
//! (`{archive}/cdx/search/cdx`, JSON rows, resume keys) and pywb's per-collection CDX endpoint
//! (`{archive}/cdx`, one JSON object per line).

use serde_json::Value;
use url::Url;

/// Rows asked for per listing request; the archive says where to go on with a resume key.
const ROWS_PER_LISTING: u32 = 5000;

/// The fields asked of a Wayback CDX server, in this order.
const FIELDS: &str = "urlkey,timestamp,original,mimetype,statuscode,digest,length";

/// Which kind of archive answers: where it lists captures and where it plays them back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// The Internet Archive's Wayback Machine, and archives that copy its API.
    Wayback,
    /// A pywb collection (`--archive` names the collection: `http://host/my-collection`).
    Pywb,
}

impl Flavour {
    /// Where captures are listed.
    fn listing_base(self, archive: &Url) -> String {
        match self {
            Flavour::Wayback => format!("{}/cdx/search/cdx", trimmed(archive)),
            Flavour::Pywb => format!("{}/cdx", trimmed(archive)),
        }
    }

    /// Where a capture's original bytes are played back, unmodified (`id_`).
    pub fn playback_url(self, archive: &Url, timestamp: &str, original: &str) -> String {
        format!(
            "{}/{timestamp}id_/{}",
            self.collection(archive),
            requested(original)
        )
    }

    /// The capture as the archive shows it to people: a revision's `mementoUrl`.
    pub fn memento_url(self, archive: &Url, timestamp: &str, original: &str) -> String {
        format!(
            "{}/{timestamp}/{}",
            self.collection(archive),
            requested(original)
        )
    }

    fn collection(self, archive: &Url) -> String {
        match self {
            Flavour::Wayback => format!("{}/web", trimmed(archive)),
            Flavour::Pywb => trimmed(archive).to_owned(),
        }
    }

    /// The listing request for a site's captures (`site` without its scheme, prefix match),
    /// from a resume key when there is one.
    pub fn listing_url(
        self,
        archive: &Url,
        site: &Url,
        range: &DateRange,
        resume_key: Option<&str>,
    ) -> Result<Url, url::ParseError> {
        let mut url = Url::parse(&self.listing_base(archive))?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("url", &site_prefix(site))
                .append_pair("matchType", "prefix")
                .append_pair("output", "json");
            if self == Flavour::Wayback {
                query
                    .append_pair("fl", FIELDS)
                    .append_pair("showResumeKey", "true")
                    .append_pair("limit", &ROWS_PER_LISTING.to_string());
            }
            if let Some(from) = &range.from {
                query.append_pair("from", from);
            }
            if let Some(to) = &range.to {
                query.append_pair("to", to);
            }
            if let Some(key) = resume_key {
                query.append_pair("resumeKey", key);
            }
        }
        Ok(url)
    }

    /// Reads one listing answer.
    pub fn parse(self, body: &[u8]) -> Result<Listing, String> {
        match self {
            Flavour::Wayback => parse_wayback(body),
            Flavour::Pywb => parse_pywb(body),
        }
    }
}

/// The URL a crawler requested: a fragment some crawler wrote into the listing was never sent,
/// and archives look captures up without it.
pub fn requested(original: &str) -> &str {
    original.split('#').next().unwrap_or(original)
}

/// The archive's base URL without a trailing slash.
fn trimmed(archive: &Url) -> &str {
    archive.as_str().trim_end_matches('/')
}

/// The site as a CDX URL prefix: host and path, no scheme (the archive matches both schemes,
/// and its canonical form drops `www.`).
fn site_prefix(site: &Url) -> String {
    let host = site.host_str().unwrap_or_default();
    match site.port() {
        Some(port) => format!("{host}:{port}{}", site.path()),
        None => format!("{host}{}", site.path()),
    }
}

/// The `from` and `to` of a listing, as the archive takes them (`YYYY`, `YYYYMM`, `YYYYMMDD`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DateRange {
    /// The earliest capture wanted.
    pub from: Option<String>,
    /// The latest capture wanted.
    pub to: Option<String>,
}

impl DateRange {
    /// Checks a `--from` or `--to` value: 4, 6 or 8 digits.
    pub fn check(value: &str) -> Result<String, String> {
        let value = value.trim();
        if matches!(value.len(), 4 | 6 | 8) && value.bytes().all(|b| b.is_ascii_digit()) {
            Ok(value.to_owned())
        } else {
            Err(format!(
                "`{value}` is not a date: write YYYY, YYYYMM or YYYYMMDD"
            ))
        }
    }
}

/// One capture as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// When it was captured: `YYYYMMDDhhmmss`.
    pub timestamp: String,
    /// The URL captured, as the crawler wrote it.
    pub original: String,
    /// Its media type (`warc/revisit` for a revisit record).
    pub mime: String,
    /// Its HTTP status (`None` for `-`, as revisit records say).
    pub status: Option<u16>,
    /// The archive's digest of its body (base32 SHA-1).
    pub digest: Option<String>,
}

/// One listing answer: rows, and where to go on.
#[derive(Debug, Default)]
pub struct Listing {
    /// The captures listed.
    pub rows: Vec<Row>,
    /// The resume key for the next request, when there are more rows.
    pub resume_key: Option<String>,
}

fn parse_wayback(body: &[u8]) -> Result<Listing, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Listing::default());
    }
    let table: Vec<Vec<Value>> = serde_json::from_slice(body)
        .map_err(|e| format!("the listing is not the CDX server's JSON: {e}"))?;
    let mut lines = table.into_iter();
    let Some(header) = lines.next() else {
        return Ok(Listing::default());
    };
    let column = |name: &str| header.iter().position(|h| h.as_str() == Some(name));
    let (Some(timestamp), Some(original)) = (column("timestamp"), column("original")) else {
        return Err("the listing has no `timestamp` and `original` columns".to_owned());
    };
    let (mime, status, digest) = (column("mimetype"), column("statuscode"), column("digest"));
    let mut listing = Listing::default();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            // An empty row, then the resume key alone on the last.
            listing.resume_key = lines
                .next()
                .and_then(|row| row.first().and_then(|k| k.as_str().map(str::to_owned)));
            break;
        }
        let field = |at: Option<usize>| at.and_then(|i| line.get(i)).and_then(Value::as_str);
        let (Some(timestamp), Some(original)) = (field(Some(timestamp)), field(Some(original)))
        else {
            return Err(format!("a listing row lacks a timestamp or URL: {line:?}"));
        };
        listing.rows.push(row(
            timestamp,
            original,
            field(mime),
            field(status),
            field(digest),
        ));
    }
    Ok(listing)
}

fn parse_pywb(body: &[u8]) -> Result<Listing, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("the listing is not UTF-8: {e}"))?;
    let mut listing = Listing::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let object: serde_json::Map<String, Value> = serde_json::from_str(line)
            .map_err(|e| format!("a listing line is not a JSON object: {e}"))?;
        let field = |name: &str| object.get(name).and_then(Value::as_str);
        let (Some(timestamp), Some(original)) = (field("timestamp"), field("url")) else {
            return Err(format!("a listing line lacks a timestamp or URL: {line}"));
        };
        listing.rows.push(row(
            timestamp,
            original,
            field("mime"),
            field("status"),
            field("digest"),
        ));
    }
    Ok(listing)
}

fn row(
    timestamp: &str,
    original: &str,
    mime: Option<&str>,
    status: Option<&str>,
    digest: Option<&str>,
) -> Row {
    Row {
        timestamp: timestamp.trim().to_owned(),
        original: original.trim().to_owned(),
        mime: mime.unwrap_or_default().trim().to_ascii_lowercase(),
        status: status.and_then(|s| s.trim().parse().ok()),
        digest: digest
            .map(str::trim)
            .filter(|d| !d.is_empty() && *d != "-")
            .map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wayback_rows_and_resume_key() {
        let body = br#"[["urlkey","timestamp","original","mimetype","statuscode","digest","length"],
            ["org,lmsdr)/","20120301000000","http://www.lmsdr.org:80/","text/html","200","AAAA","10"],
            ["org,lmsdr)/","20120302000000","http://lmsdr.org/","warc/revisit","-","AAAA","10"],
            [],
            ["org%2Clmsdr%29%2F+20120302000000"]]"#;
        let listing = Flavour::Wayback.parse(body).expect("parses");
        assert_eq!(listing.rows.len(), 2);
        assert_eq!(listing.rows[0].status, Some(200));
        assert_eq!(listing.rows[1].status, None);
        assert_eq!(listing.rows[1].mime, "warc/revisit");
        assert_eq!(
            listing.resume_key.as_deref(),
            Some("org%2Clmsdr%29%2F+20120302000000")
        );
        assert!(Flavour::Wayback.parse(b"").expect("empty").rows.is_empty());
        assert!(Flavour::Wayback.parse(b"<html>").is_err());
        assert!(Flavour::Wayback.parse(br#"[["urlkey"],["x"]]"#).is_err());
    }

    #[test]
    fn pywb_lines() {
        let body = b"{\"urlkey\":\"org,lmsdr)/\",\"timestamp\":\"20120301000000\",\"url\":\"http://www.lmsdr.org/\",\"mime\":\"text/html\",\"status\":\"200\",\"digest\":\"sha1:AAAA\"}\n";
        let listing = Flavour::Pywb.parse(body).expect("parses");
        assert_eq!(listing.rows[0].original, "http://www.lmsdr.org/");
        assert_eq!(listing.rows[0].digest.as_deref(), Some("sha1:AAAA"));
    }

    #[test]
    fn urls_of_an_archive() {
        let archive = Url::parse("https://web.archive.org/").expect("url");
        let site = Url::parse("http://www.lmsdr.org/").expect("url");
        let range = DateRange {
            from: Some("2012".into()),
            to: None,
        };
        let listing = Flavour::Wayback
            .listing_url(&archive, &site, &range, Some("k y"))
            .expect("url");
        assert_eq!(
            listing.as_str(),
            "https://web.archive.org/cdx/search/cdx?url=www.lmsdr.org%2F&matchType=prefix&output=json&fl=urlkey%2Ctimestamp%2Coriginal%2Cmimetype%2Cstatuscode%2Cdigest%2Clength&showResumeKey=true&limit=5000&from=2012&resumeKey=k+y"
        );
        assert_eq!(
            Flavour::Wayback.playback_url(&archive, "20120301000000", "http://www.lmsdr.org/"),
            "https://web.archive.org/web/20120301000000id_/http://www.lmsdr.org/"
        );
        assert_eq!(DateRange::check("201203").as_deref(), Ok("201203"));
        assert!(DateRange::check("2012-03").is_err());
    }
}
