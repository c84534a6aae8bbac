//! sitemap.xml: the page URLs (`<urlset>`) or nested sitemaps (`<sitemapindex>`) it lists.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct UrlSet {
    #[serde(rename = "url", default)]
    urls: Vec<Loc>,
}

#[derive(Debug, Deserialize)]
struct SitemapIndex {
    #[serde(rename = "sitemap", default)]
    sitemaps: Vec<Loc>,
}

#[derive(Debug, Deserialize)]
struct Loc {
    loc: String,
}

/// What a sitemap lists.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sitemap {
    /// Page URLs.
    pub pages: Vec<String>,
    /// Further sitemaps.
    pub sitemaps: Vec<String>,
}

/// Parses a sitemap; an unreadable one lists nothing.
pub fn parse(xml: &[u8]) -> Sitemap {
    let Ok(text) = std::str::from_utf8(xml) else {
        return Sitemap::default();
    };
    if text.contains("<sitemapindex") {
        let index: Result<SitemapIndex, _> = quick_xml::de::from_str(text);
        return Sitemap {
            pages: Vec::new(),
            sitemaps: index
                .map(|i| {
                    i.sitemaps
                        .into_iter()
                        .map(|l| l.loc.trim().to_owned())
                        .collect()
                })
                .unwrap_or_default(),
        };
    }
    let set: Result<UrlSet, _> = quick_xml::de::from_str(text);
    Sitemap {
        pages: set
            .map(|s| {
                s.urls
                    .into_iter()
                    .map(|l| l.loc.trim().to_owned())
                    .collect()
            })
            .unwrap_or_default(),
        sitemaps: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlsets_and_indexes() {
        let set = parse(br#"<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://x.org/a.php?b=1&amp;c=2</loc></url><url><loc> http://x.org/b </loc><lastmod>2012-08-01</lastmod></url></urlset>"#);
        assert_eq!(set.pages, ["http://x.org/a.php?b=1&c=2", "http://x.org/b"]);
        let index = parse(
            br#"<sitemapindex><sitemap><loc>http://x.org/s1.xml</loc></sitemap></sitemapindex>"#,
        );
        assert_eq!(index.sitemaps, ["http://x.org/s1.xml"]);
        assert_eq!(parse(b"not xml <<<"), Sitemap::default());
    }
}
