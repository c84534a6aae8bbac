//! What a crawl reads of a site, as crawlers people know do it (Scrapy's `DEPTH_LIMIT`, wget's
//! rejected patterns): one URL per page — tracking and session parameters dropped, the rest
//! sorted — and nothing that is machinery rather than content (comment-reply links, feeds, the
//! REST API, logins), nothing deeper than a depth limit, and no long chain of `noindex` pages
//! (pagination, calendars). What is left out is counted by rule, with a few examples.

use std::collections::BTreeMap;

use regex::Regex;
use serde::Serialize;
use url::Url;

/// Most links from the start page to a page read (a URL a sitemap lists counts as a start).
pub const DEFAULT_MAX_DEPTH: usize = 10;
/// Most `noindex` pages in a row a crawl reads through: a listing page's links are read, but an
/// archive's second page's third page is not.
pub const MAX_NOINDEX_CHAIN: usize = 2;
/// Examples kept per rule.
const EXAMPLES: usize = 3;

/// Query parameters that only say where a reader came from: dropped.
const TRACKING: [&str; 12] = [
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid", "_ga",
    "_gl", "igshid",
];
/// Query parameters that carry a session: dropped.
const SESSION: [&str; 5] = ["phpsessid", "sid", "sessionid", "jsessionid", "cfid"];
/// Query parameters whose URL is no page of its own: a comment reply form, a share or print
/// view, a site search, a calendar or filter widget's state.
const NO_PAGE: [&str; 16] = [
    "replytocom",
    "share",
    "like_comment",
    "unapprove",
    "moderation-hash",
    "print",
    "s",
    "orderby",
    "order",
    "filter",
    "min_price",
    "max_price",
    "ical",
    "outlook-ical",
    "tribe-bar-date",
    "eventdisplay",
];
/// Prefixes of query parameters that make no page of their own (a shop's faceted filters).
const NO_PAGE_PREFIXES: [&str; 2] = ["filter_", "query_type_"];
/// Path segments of machinery rather than content.
const NOT_CONTENT: [&str; 9] = [
    "wp-json",
    "wp-admin",
    "wp-login.php",
    "xmlrpc.php",
    "wp-includes",
    "feed",
    "trackback",
    "embed",
    "wp-cron.php",
];

/// Why a URL found was not read, or a page read was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SkipRule {
    /// A query parameter that makes no page of its own (`replytocom`, `share`, `s` …).
    NoPageParameter,
    /// A feed, the REST API, a login or admin page, trackbacks: machinery, not content.
    NotContent,
    /// Deeper than the depth limit from the start page.
    TooDeep,
    /// Found only through a chain of `noindex` pages longer than the limit.
    NoindexChain,
    /// The page asks `noindex`: its links were read, the page not kept.
    Noindex,
    /// The page asks `nofollow`: its links were not read.
    Nofollow,
    /// Matched by an `--exclude` pattern.
    Excluded,
    /// Matched by no `--include` pattern.
    NotIncluded,
}

/// The bounds and patterns a crawl keeps to.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Most links from the start page to a page read.
    pub max_depth: usize,
    /// When any is given, only URLs one of them matches are read (the start page aside).
    pub include: Vec<Regex>,
    /// URLs any of them matches are not read.
    pub exclude: Vec<Regex>,
}

impl Default for Scope {
    fn default() -> Self {
        Self {
            max_depth: DEFAULT_MAX_DEPTH,
            include: Vec::new(),
            exclude: Vec::new(),
        }
    }
}

impl Scope {
    /// The rule that leaves a URL reached this way unread, if one does: the site-wide rules
    /// first, then the patterns, then the bounds.
    pub fn rule_for(&self, url: &Url, reach: Reach) -> Option<SkipRule> {
        let text = url.as_str();
        rule_for(url)
            .or_else(|| {
                self.exclude
                    .iter()
                    .any(|p| p.is_match(text))
                    .then_some(SkipRule::Excluded)
            })
            .or_else(|| {
                (!self.include.is_empty() && !self.include.iter().any(|p| p.is_match(text)))
                    .then_some(SkipRule::NotIncluded)
            })
            .or_else(|| (reach.depth > self.max_depth).then_some(SkipRule::TooDeep))
            .or_else(|| (reach.noindex_chain > MAX_NOINDEX_CHAIN).then_some(SkipRule::NoindexChain))
    }
}

/// How many URLs a rule left out, and a few of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// How many.
    pub count: usize,
    /// The first few.
    pub examples: Vec<String>,
}

/// What was left out of a crawl, by rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SkipSummary(pub BTreeMap<SkipRule, Skipped>);

impl Skipped {
    /// Counts a URL, keeping the first few.
    pub fn add(&mut self, url: &str) {
        self.count += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(url.to_owned());
        }
    }
}

impl SkipSummary {
    /// Counts a URL left out by a rule.
    pub fn add(&mut self, rule: SkipRule, url: &Url) {
        self.0.entry(rule).or_default().add(url.as_str());
    }

    /// How many a rule left out.
    pub fn count(&self, rule: SkipRule) -> usize {
        self.0.get(&rule).map_or(0, |s| s.count)
    }
}

/// How a URL was reached: links from the start page, and `noindex` pages in a row just before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reach {
    /// Links from the start page.
    pub depth: usize,
    /// `noindex` pages in a row on the way.
    pub noindex_chain: usize,
}

impl Reach {
    /// How the links of a page reached this way are reached.
    pub fn next(self, page_is_noindex: bool) -> Reach {
        Reach {
            depth: self.depth + 1,
            noindex_chain: if page_is_noindex {
                self.noindex_chain + 1
            } else {
                0
            },
        }
    }
}

/// The one URL a page is read under: no fragment, no empty query, no tracking or session
/// parameters, the others sorted by name (their order kept among equal names).
pub fn page_url(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_fragment(None);
    // A session in the path (`/page;jsessionid=…`), as Java servers write it.
    if let Some((path, _)) = url.path().split_once(';')
        && url.path()[path.len()..]
            .to_ascii_lowercase()
            .starts_with(";jsessionid=")
    {
        let path = path.to_owned();
        url.set_path(&path);
    }
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| !dropped(name))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    if pairs.is_empty() {
        url.set_query(None);
    } else if url.query().is_some() {
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url
}

/// Whether a query parameter is dropped from every URL.
fn dropped(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("utm_")
        || TRACKING.contains(&name.as_str())
        || SESSION.contains(&name.as_str())
}

/// The rule that leaves a URL unread whatever links to it, if one does.
pub fn rule_for(url: &Url) -> Option<SkipRule> {
    let no_page = |name: &str| {
        let name = name.to_ascii_lowercase();
        NO_PAGE.contains(&name.as_str()) || NO_PAGE_PREFIXES.iter().any(|p| name.starts_with(p))
    };
    if url.query_pairs().any(|(name, _)| no_page(&name)) {
        return Some(SkipRule::NoPageParameter);
    }
    let machinery = url.path_segments().is_some_and(|mut segments| {
        segments.any(|s| NOT_CONTENT.contains(&s.to_ascii_lowercase().as_str()))
    });
    machinery.then_some(SkipRule::NotContent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).expect("a URL")
    }

    #[test]
    fn one_url_per_page() {
        assert_eq!(
            page_url(&u(
                "http://lmsdr.org/faq/?utm_source=x&b=2&fbclid=y&a=1&PHPSESSID=z#top"
            ))
            .as_str(),
            "http://lmsdr.org/faq/?a=1&b=2"
        );
        assert_eq!(
            page_url(&u("http://lmsdr.org/faq/?utm_medium=email")).as_str(),
            "http://lmsdr.org/faq/"
        );
        assert_eq!(
            page_url(&u("http://lmsdr.org/treatments.php")).as_str(),
            "http://lmsdr.org/treatments.php"
        );
        assert_eq!(
            page_url(&u("http://lmsdr.org/news.jsp;jsessionid=0AB12?id=3")).as_str(),
            "http://lmsdr.org/news.jsp?id=3"
        );
        assert_eq!(
            page_url(&u("http://lmsdr.org/?p=12")).as_str(),
            "http://lmsdr.org/?p=12",
            "a short link is another URL of a page: its redirect says which"
        );
    }

    #[test]
    fn machinery_and_no_page_parameters_are_left_out() {
        for (url, rule) in [
            (
                "http://lmsdr.org/faq/?replytocom=7",
                Some(SkipRule::NoPageParameter),
            ),
            ("http://lmsdr.org/?s=lms", Some(SkipRule::NoPageParameter)),
            (
                "http://lmsdr.org/shop/?filter_color=red",
                Some(SkipRule::NoPageParameter),
            ),
            (
                "http://lmsdr.org/events/?ical=1",
                Some(SkipRule::NoPageParameter),
            ),
            (
                "http://lmsdr.org/faqs/?print=1",
                Some(SkipRule::NoPageParameter),
            ),
            (
                "http://lmsdr.org/wp-json/wp/v2/pages",
                Some(SkipRule::NotContent),
            ),
            ("http://lmsdr.org/feed/", Some(SkipRule::NotContent)),
            ("http://lmsdr.org/news/feed/", Some(SkipRule::NotContent)),
            (
                "http://lmsdr.org/xmlrpc.php?rsd",
                Some(SkipRule::NotContent),
            ),
            ("http://lmsdr.org/treatments/", None),
            ("http://lmsdr.org/feeding-tubes/", None),
            ("http://lmsdr.org/page/2/", None),
        ] {
            assert_eq!(rule_for(&u(url)), rule, "{url}");
        }
    }

    #[test]
    fn noindex_chains_grow_and_reset() {
        let start = Reach::default();
        let listing = start.next(true);
        assert_eq!(
            listing,
            Reach {
                depth: 1,
                noindex_chain: 1
            }
        );
        let content = listing.next(true).next(false);
        assert_eq!(
            content,
            Reach {
                depth: 3,
                noindex_chain: 0
            }
        );
    }
}
