//! From a listing to what to fetch. A revision is an HTML capture answered with 200 whose
//! digest differs from the same page's previous one; duplicate rows, revisit records and
//! captures with the previous digest add nothing; redirect and error captures are reported,
//! never stored. Every URL form of one page (`http://lmsdr.org:80/x`, `https://www.lmsdr.org/x`)
//! is one page, in the site's own form.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use url::Url;

use super::listing::Row;
use crate::sync::page_url;

/// One capture to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// The page it is a version of, in the site's URL form.
    pub page: Url,
    /// The archive's timestamp, `YYYYMMDDhhmmss`.
    pub timestamp: String,
    /// When it was captured.
    pub captured_at: DateTime<Utc>,
    /// The URL as the archive holds it.
    pub original: String,
    /// The listed digest of its body.
    pub digest: Option<String>,
    /// Its listed media type.
    pub mime: String,
}

/// A capture reported, not fetched (a redirect or an error the crawler met).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listed {
    /// The page.
    pub url: String,
    /// The archive's timestamp.
    pub timestamp: String,
    /// The status captured.
    pub status: u16,
}

/// One page's captures, for `--dry-run`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PagePlan {
    /// Captures listed under it.
    pub captures: usize,
    /// Distinct versions among them: what a backfill would fetch at most.
    pub versions: usize,
}

/// What the listing held, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListingCounts {
    /// Rows listed.
    pub listed: usize,
    /// Rows of the same page at the same second as another.
    pub duplicates: usize,
    /// Revisit records: the crawler saw the same bytes again.
    pub revisits: usize,
    /// HTML captures with the same digest as the page's previous one.
    pub same_digest: usize,
    /// Captures that are not HTML (images, style sheets, documents).
    pub not_html: usize,
    /// Rows whose URL or timestamp cannot be read, or off the site.
    pub unreadable: usize,
}

/// What to do with a listing.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The captures to fetch, oldest first.
    pub captures: Vec<Capture>,
    /// Pages, with their captures and versions.
    pub pages: BTreeMap<String, PagePlan>,
    /// Redirect captures.
    pub redirects: Vec<Listed>,
    /// Error captures (4xx, 5xx).
    pub errors: Vec<Listed>,
    /// The counts.
    pub counts: ListingCounts,
}

/// Plans a site's backfill from its listed captures.
pub fn plan(site: &Url, rows: Vec<Row>) -> Plan {
    let mut plan = Plan::default();
    plan.counts.listed = rows.len();
    let mut by_page: BTreeMap<String, Vec<(Row, Url, DateTime<Utc>)>> = BTreeMap::new();
    for row in rows {
        match (page_of(site, &row.original), captured_at(&row.timestamp)) {
            (Some(page), Some(at)) => by_page
                .entry(page.to_string())
                .or_default()
                .push((row, page, at)),
            _ => plan.counts.unreadable += 1,
        }
    }
    for (key, mut rows) in by_page {
        // One row per second: the first 200 if any (a stable sort keeps the listing's order).
        rows.sort_by_key(|(row, _, at)| (*at, row.status != Some(200)));
        let mut previous_digest: Option<String> = None;
        let mut page = PagePlan::default();
        let mut last_at = None;
        for (row, url, at) in rows {
            if last_at == Some(at) {
                plan.counts.duplicates += 1;
                continue;
            }
            last_at = Some(at);
            page.captures += 1;
            if row.mime == "warc/revisit" || row.status.is_none() {
                plan.counts.revisits += 1;
                continue;
            }
            let status = row.status.unwrap_or_default();
            let listed = || Listed {
                url: key.clone(),
                timestamp: row.timestamp.clone(),
                status,
            };
            match status {
                200 if !is_html(&row.mime) => plan.counts.not_html += 1,
                200 if row.digest.is_some() && row.digest == previous_digest => {
                    plan.counts.same_digest += 1;
                }
                200 => {
                    previous_digest.clone_from(&row.digest);
                    page.versions += 1;
                    plan.captures.push(Capture {
                        page: url,
                        timestamp: row.timestamp,
                        captured_at: at,
                        original: row.original,
                        digest: row.digest,
                        mime: row.mime,
                    });
                }
                300..=399 => plan.redirects.push(listed()),
                _ => plan.errors.push(listed()),
            }
        }
        plan.pages.insert(key, page);
    }
    plan.captures
        .sort_by(|a, b| (a.captured_at, a.page.as_str()).cmp(&(b.captured_at, b.page.as_str())));
    plan
}

/// Whether a listed media type is HTML (archives write `unk` for what they did not record;
/// such a capture is fetched and its bytes decide).
fn is_html(mime: &str) -> bool {
    mime.contains("html") || mime == "unk" || mime.is_empty()
}

/// The page a captured URL is a version of, in the site's form: any scheme, `www.` or not, the
/// default port or none; `None` for a URL off the site.
pub fn page_of(site: &Url, original: &str) -> Option<Url> {
    let original = original.trim();
    let mut url = if original.contains("://") {
        Url::parse(original).ok()?
    } else {
        Url::parse(&format!("http://{original}")).ok()?
    };
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let bare = |host: &str| host.trim_start_matches("www.").to_ascii_lowercase();
    let same_host = url.host_str().map(bare) == site.host_str().map(bare);
    let port = url.port_or_known_default();
    let default_port = port == Some(80) || port == Some(443);
    if !same_host || !(default_port || url.port() == site.port()) {
        return None;
    }
    url.set_scheme(site.scheme()).ok()?;
    url.set_host(site.host_str()).ok()?;
    url.set_port(site.port()).ok()?;
    if !url.path().starts_with(site.path()) {
        return None;
    }
    Some(page_url(&url))
}

/// A capture time from an archive timestamp (`YYYYMMDDhhmmss`; a shorter one is padded).
pub fn captured_at(timestamp: &str) -> Option<DateTime<Utc>> {
    if !(4..=14).contains(&timestamp.len()) || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // What a shorter timestamp leaves out is the start of it: January, the first, midnight.
    let padded = format!("{timestamp}{}", &"00000101000000"[timestamp.len()..]);
    NaiveDateTime::parse_from_str(&padded, "%Y%m%d%H%M%S")
        .ok()
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(timestamp: &str, original: &str, mime: &str, status: Option<u16>, digest: &str) -> Row {
        Row {
            timestamp: timestamp.into(),
            original: original.into(),
            mime: mime.into(),
            status,
            digest: Some(digest.into()),
        }
    }

    #[test]
    fn url_forms_of_one_page() {
        let site = Url::parse("http://www.lmsdr.org/").expect("url");
        for form in [
            "http://lmsdr.org:80/x",
            "https://www.lmsdr.org/x",
            "http://WWW.LMSDR.ORG/x#top",
            "www.lmsdr.org/x?utm_source=feed",
        ] {
            assert_eq!(
                page_of(&site, form).map(|u| u.to_string()).as_deref(),
                Some("http://www.lmsdr.org/x"),
                "{form}"
            );
        }
        assert_eq!(page_of(&site, "http://example.org/x"), None);
        assert_eq!(page_of(&site, "http://lmsdr.org:8080/x"), None);
    }

    #[test]
    fn timestamps() {
        let at = captured_at("20120301123456").expect("time");
        assert_eq!(at.to_rfc3339(), "2012-03-01T12:34:56+00:00");
        assert_eq!(
            captured_at("2012").expect("year").to_rfc3339(),
            "2012-01-01T00:00:00+00:00"
        );
        assert_eq!(captured_at("2012x"), None);
        assert_eq!(captured_at("20121301000000"), None);
    }

    #[test]
    fn what_adds_a_version() {
        let site = Url::parse("http://www.lmsdr.org/").expect("url");
        let rows = vec![
            row(
                "20120101000000",
                "http://www.lmsdr.org/t.html",
                "text/html",
                Some(200),
                "A",
            ),
            row(
                "20120101000000",
                "http://lmsdr.org/t.html",
                "text/html",
                Some(200),
                "A",
            ),
            row(
                "20120201000000",
                "http://lmsdr.org/t.html",
                "warc/revisit",
                None,
                "A",
            ),
            row(
                "20120301000000",
                "https://lmsdr.org/t.html",
                "text/html",
                Some(200),
                "A",
            ),
            row(
                "20120401000000",
                "http://lmsdr.org/t.html",
                "text/html",
                Some(302),
                "R",
            ),
            row(
                "20120501000000",
                "http://lmsdr.org/t.html",
                "text/html",
                Some(200),
                "B",
            ),
            row(
                "20120601000000",
                "http://lmsdr.org/t.html",
                "text/html",
                Some(404),
                "N",
            ),
            row(
                "20120701000000",
                "http://lmsdr.org/logo.png",
                "image/png",
                Some(200),
                "P",
            ),
            row(
                "bad",
                "http://lmsdr.org/t.html",
                "text/html",
                Some(200),
                "C",
            ),
        ];
        let plan = plan(&site, rows);
        let fetched: Vec<_> = plan.captures.iter().map(|c| c.timestamp.as_str()).collect();
        assert_eq!(fetched, ["20120101000000", "20120501000000"]);
        assert_eq!(plan.counts.duplicates, 1);
        assert_eq!(plan.counts.revisits, 1);
        assert_eq!(plan.counts.same_digest, 1);
        assert_eq!(plan.counts.not_html, 1);
        assert_eq!(plan.counts.unreadable, 1);
        assert_eq!(plan.redirects.len(), 1);
        assert_eq!(plan.errors.len(), 1);
        assert_eq!(plan.pages["http://www.lmsdr.org/t.html"].versions, 2);
    }
}
