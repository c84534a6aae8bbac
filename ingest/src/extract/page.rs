//! A page's frame: title, navigation menu, "Last Edited" stamp and boilerplate, separated from the
//! main content. Decided from the text and the links, with the markup's zone hints as tie-breakers.

use std::sync::LazyLock;

use chrono::{NaiveDate, NaiveDateTime};
use regex::Regex;
use scraper::{Html, Selector};
use url::Url;

use super::document::{Image, Link, RobotsMeta, Stamp};
use super::lines::{Line, LineLink, Lines, Zone};
use super::text::{collapse_whitespace, contains_ignore_case, word_count};

/// A page split into its frame and its main content.
#[derive(Debug)]
pub struct Frame {
    /// The page's title.
    pub title: Option<String>,
    /// The navigation menu.
    pub navigation: Vec<Link>,
    /// The "Last Edited" stamp.
    pub stamp: Option<Stamp>,
    /// The origin note from `<meta name="lmsdr-origin">`.
    pub origin_note: Option<String>,
    /// The URL `<link rel="canonical">` names, when it is another page of the same site.
    pub canonical: Option<Url>,
    /// What `<meta name="robots">` asks.
    pub robots: RobotsMeta,
    /// The main content's lines, boilerplate removed.
    pub content: Vec<Line>,
    /// The main content's pictures, each with the index of the line it stands before.
    pub images: Vec<(usize, Image)>,
}

static STAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)last\s+(?:edited|updated|modified|revised)(?-u:\b)\s*(?:on(?-u:\b)|at(?-u:\b))?\s*[:\-–—]?\s*(.+?)\s*$")
        .expect("stamp pattern is valid")
});
static BOILERPLATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:back to (?:the )?top|top of page|(?:©|\(c\)|copyright(?-u:\b)).*|all rights reserved\.?)$")
        .expect("boilerplate pattern is valid")
});

/// Minimum number of links for a run of link lines to count as a navigation menu.
const MIN_NAV_LINKS: usize = 4;

/// Splits a page into frame and content.
pub fn frame(html: &Html, page: Lines, base: &Url) -> Frame {
    let Lines { lines, images } = page;
    let title = title(html);
    let origin_note = meta_content(html, "lmsdr-origin");
    let canonical = canonical(html, base);
    let robots = meta_content(html, "robots")
        .map(|content| RobotsMeta::parse(&content))
        .unwrap_or_default();
    let nav_run = navigation_run(&lines);
    let navigation = nav_run
        .clone()
        .map(|run| {
            lines[run]
                .iter()
                .flat_map(|line| &line.links)
                .filter(|l| !l.href.starts_with('#'))
                .filter_map(|l| link(base, l, None, resolve))
                .collect()
        })
        .unwrap_or_default();

    // Pictures before the end of the menu, in its zones or repeating the title are the site's
    // banner and chrome, not content.
    let content_starts = nav_run.as_ref().map_or(0, |run| run.end);
    let images = images
        .into_iter()
        .filter(|image| image.zone == Zone::Body && image.before_line >= content_starts)
        .filter(|image| {
            image.alt.as_deref().is_none_or(|alt| {
                title
                    .as_deref()
                    .is_none_or(|title| !alt.eq_ignore_ascii_case(title))
            })
        })
        .filter_map(|image| {
            let src = resolve(base, &image.src)?;
            Some((
                image.before_line,
                Image {
                    src: src.to_string(),
                    alt: image.alt,
                },
            ))
        })
        .collect();

    let mut stamp = None;
    let mut content = Vec::with_capacity(lines.len());
    for (index, line) in lines.into_iter().enumerate() {
        if line.zone == Zone::Aside || nav_run.as_ref().is_some_and(|run| run.contains(&index)) {
            continue;
        }
        if let Some(found) = parse_stamp(&line.text) {
            if word_count(&line.text) <= 14 {
                stamp.get_or_insert(found);
                continue;
            }
            stamp.get_or_insert(found);
        }
        if is_boilerplate(&line, title.as_deref()) {
            continue;
        }
        content.push(line);
    }
    Frame {
        title,
        navigation,
        stamp,
        origin_note,
        canonical,
        robots,
        content,
        images,
    }
}

/// A line's link as a [`Link`] with an absolute URL, through a resolver (`resolve` for the
/// site's web links, `resolve_content_link` for what readers may follow); `None` when it does
/// not resolve.
pub fn link(
    base: &Url,
    link: &LineLink,
    context: Option<&str>,
    resolver: fn(&Url, &str) -> Option<Url>,
) -> Option<Link> {
    let url = resolver(base, &link.href)?;
    Some(Link {
        text: link.text.clone(),
        external: is_external(base, &url),
        url: url.to_string(),
        context: context.map(str::to_owned),
    })
}

/// Resolves a link against the page's URL; `None` for fragments, mail and script links.
pub fn resolve(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim();
    let has_scheme = |scheme: &str| {
        href.get(..scheme.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
    };
    if href.starts_with('#') || has_scheme("mailto:") || has_scheme("javascript:") {
        return None;
    }
    let mut url = base.join(href).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    Some(url)
}

/// Resolves a link of the main content for readers: web links as [`resolve`] does, and mail and
/// telephone links too; `None` for fragments and script links.
pub fn resolve_content_link(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim();
    let scheme = href.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("mailto" | "tel") => Url::parse(href).ok(),
        _ => resolve(base, href),
    }
}

/// Whether a URL leaves the base URL's site (`www.` does not count).
pub fn is_external(base: &Url, url: &Url) -> bool {
    // Parsed URLs hold their host in lowercase already.
    fn host(url: &Url) -> Option<&str> {
        url.host_str().map(|h| h.trim_start_matches("www."))
    }
    host(base) != host(url)
}

static TITLE: LazyLock<[Selector; 2]> = LazyLock::new(|| {
    ["title", "h1"].map(|tag| Selector::parse(tag).expect("title selectors are valid"))
});
static META: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("meta[name][content]").expect("meta selector is valid"));

static CANONICAL: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("link[rel][href]").expect("canonical link selector is valid"));

/// The first `<link rel="canonical">`, when it names another URL of the same site (one naming
/// itself, another site or nothing usable says nothing).
fn canonical(html: &Html, base: &Url) -> Option<Url> {
    let href = html.select(&CANONICAL).find_map(|link| {
        let el = link.value();
        el.attr("rel")
            .filter(|rel| {
                rel.split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("canonical"))
            })
            .and(el.attr("href"))
    })?;
    let url = resolve(base, href)?;
    (url != *base && !is_external(base, &url)).then_some(url)
}

fn title(html: &Html) -> Option<String> {
    TITLE.iter().find_map(|selector| {
        let text = collapse_whitespace(&html.select(selector).next()?.text().collect::<String>());
        (!text.is_empty()).then_some(text)
    })
}

fn meta_content(html: &Html, name: &str) -> Option<String> {
    html.select(&META).find_map(|meta| {
        let el = meta.value();
        el.attr("name")
            .filter(|n| n.eq_ignore_ascii_case(name))
            .and(el.attr("content"))
            .map(collapse_whitespace)
    })
}

/// A line made of short links and little else.
fn is_link_line(line: &Line) -> bool {
    !line.links.is_empty()
        && line.link_share() >= 0.75
        && line.links.iter().all(|l| word_count(&l.text) <= 6)
}

/// The run of consecutive link lines that forms the navigation menu: the first run with enough
/// links, preferring one the markup itself calls navigation.
fn navigation_run(lines: &[Line]) -> Option<std::ops::Range<usize>> {
    let mut runs = Vec::new();
    let mut start = None;
    for (index, line) in lines.iter().enumerate() {
        match (is_link_line(line), start) {
            (true, None) => start = Some(index),
            (false, Some(s)) => {
                runs.push(s..index);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push(s..lines.len());
    }
    let link_count = |run: &std::ops::Range<usize>| {
        lines[run.clone()]
            .iter()
            .flat_map(|l| &l.links)
            .filter(|l| !l.href.starts_with('#'))
            .count()
    };
    let candidates: Vec<_> = runs
        .into_iter()
        .filter(|run| link_count(run) >= MIN_NAV_LINKS)
        .collect();
    let marked_nav = candidates
        .iter()
        .find(|run| lines[(*run).clone()].iter().any(|l| l.zone == Zone::Nav));
    marked_nav.or(candidates.first()).cloned()
}

fn is_boilerplate(line: &Line, title: Option<&str>) -> bool {
    let text = line.text.as_str();
    let may_be_boilerplate = text
        .chars()
        .next()
        .is_some_and(|c| matches!(c.to_ascii_lowercase(), 'b' | 't' | 'c' | 'a' | '(' | '©'));
    if may_be_boilerplate && word_count(text) <= 12 && BOILERPLATE.is_match(text) {
        return true;
    }
    if title.is_some_and(|t| t.eq_ignore_ascii_case(text)) {
        return true;
    }
    let only_fragment_links = !line.links.is_empty()
        && line.links.iter().all(|l| l.href.starts_with('#'))
        && line.link_share() >= 0.75;
    if only_fragment_links {
        return true;
    }
    // A footer is the site's, never the page's (its stamp was read before this).
    line.zone == Zone::Footer
        || (matches!(line.zone, Zone::Header | Zone::Nav)
            && !line.list_item
            && word_count(text) <= 8)
}

/// Reads a "Last Edited - 1 August 2012 08:59 am" stamp.
pub fn parse_stamp(line: &str) -> Option<Stamp> {
    if !contains_ignore_case(line, "last") {
        return None;
    }
    let captured = STAMP.captures(line)?.get(1)?.as_str();
    let text = captured.trim_end_matches(['.', ',']).trim().to_owned();
    if text.is_empty() || !text.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(Stamp {
        at: parse_date_time(&text),
        text,
    })
}

static ORDINAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(?-u:\b)(\d{1,2})(?:st|nd|rd|th)(?-u:\b)").expect("valid"));
static MERIDIEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(?-u:\b)([ap])\.?\s*m(?-u:\b)\.?").expect("valid"));

/// Parses the date-time formats such stamps are written in; the result has no time zone, as the
/// page gives none. A date without a time reads as midnight.
fn parse_date_time(text: &str) -> Option<NaiveDateTime> {
    let cleaned = ORDINAL.replace_all(text, "$1");
    let cleaned = MERIDIEM.replace_all(&cleaned, |c: &regex::Captures<'_>| {
        format!("{}M", c[1].to_ascii_uppercase())
    });
    let cleaned = collapse_whitespace(&cleaned.replace([',', '@'], " ").replace(" at ", " "));
    const WITH_TIME: &[&str] = &[
        "%d %B %Y %I:%M %p",
        "%d %B %Y %H:%M",
        "%B %d %Y %I:%M %p",
        "%B %d %Y %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%m/%d/%Y %I:%M %p",
        "%m/%d/%Y %H:%M",
    ];
    const DATE_ONLY: &[&str] = &["%d %B %Y", "%B %d %Y", "%Y-%m-%d", "%m/%d/%Y"];
    WITH_TIME
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&cleaned, f).ok())
        .or_else(|| {
            DATE_ONLY
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(&cleaned, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Option<String> {
        parse_stamp(s).and_then(|st| st.at).map(|d| d.to_string())
    }

    #[test]
    fn stamps_in_the_forms_sites_write_them() {
        let stamp = parse_stamp("Last Edited - 1 August 2012 08:59 am").expect("stamp");
        assert_eq!(stamp.text, "1 August 2012 08:59 am");
        assert_eq!(
            at("Last Edited - 1 August 2012 08:59 am").as_deref(),
            Some("2012-08-01 08:59:00")
        );
        assert_eq!(
            at("Last edited: August 1st, 2012 at 8:59 p.m.").as_deref(),
            Some("2012-08-01 20:59:00")
        );
        assert_eq!(
            at("Last updated 2012-08-01").as_deref(),
            Some("2012-08-01 00:00:00")
        );
        assert_eq!(
            at("Last Edited - 12 Aug 2012 13:05").as_deref(),
            Some("2012-08-12 13:05:00")
        );
    }

    #[test]
    fn unreadable_stamps_keep_their_text() {
        let stamp = parse_stamp("Last Edited - sometime in 2012").expect("stamp");
        assert_eq!(stamp.text, "sometime in 2012");
        assert_eq!(stamp.at, None);
        assert!(parse_stamp("Last edited by the webmaster").is_none());
    }

    #[test]
    fn links_resolve_and_classify() {
        let base = Url::parse("http://www.lmsdr.org/treatments.php").expect("url");
        let url = resolve(&base, "donate.php#x").expect("resolves");
        assert_eq!(url.as_str(), "http://www.lmsdr.org/donate.php");
        assert!(!is_external(
            &base,
            &Url::parse("http://lmsdr.org/").expect("url")
        ));
        assert!(is_external(
            &base,
            &Url::parse("http://example.org/").expect("url")
        ));
        assert!(resolve(&base, "mailto:a@b.org").is_none());
        assert!(resolve(&base, " JavaScript:void(0)").is_none());
        assert!(!is_external(
            &base,
            &Url::parse("HTTP://WWW.LMSDR.ORG/x").expect("url")
        ));
        assert!(resolve(&base, "#top").is_none());
    }
}
