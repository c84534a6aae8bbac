//! An approval a treatment item states — "Yondelis (trabectedin), approved by the FDA in October
//! 2015 for liposarcoma and leiomyosarcoma" — read as an attribute of the item: who approved it,
//! when (as precisely as the page says), and the words used. A date in an item is said of the
//! item; it never makes the item something other than a treatment. "Not approved" states no
//! approval.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// An approval, as an item states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The body that approved it, as written ("FDA"), if the item names one.
    pub by: Option<String>,
    /// When, as precisely as written: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub on: Option<String>,
    /// The words that state it ("approved by the FDA in October 2015").
    pub text: String,
}

/// "approved", or "FDA-approved"; the clause after it runs to the next `.`, `;` or `(`.
static APPROVED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:(?P<prefix>FDA|EMA)[- ])?approved(?-u:\b)(?P<clause>[^.;(]*)")
        .expect("valid")
});
static NEGATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)(?:not|never|un|yet to be|awaiting|pending)(?:\s+(?:yet|been|be))?[\s-]*$",
    )
    .expect("valid")
});
static BODY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*by\s+(?:the\s+)?(?P<by>U\.?S\.? FDA|FDA|Food and Drug Administration|EMA|European Medicines Agency|European Commission|Health Canada)(?-u:\b)")
        .expect("valid")
});
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+)?)?(?P<year>(?:19|20)\d{2})(?-u:\b)")
        .expect("valid")
});

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// The approval an item states, if it states one.
pub fn approval(item: &str) -> Option<Approval> {
    let found = APPROVED.captures_iter(item).find(|c| {
        c.get(0)
            .is_some_and(|m| !NEGATED.is_match(&item[..m.start()]))
    })?;
    let whole = found.get(0)?;
    let clause = found.name("clause")?;
    let mut by = found.name("prefix").map(|p| p.as_str().to_uppercase());
    let mut end = clause.start();
    if let Some(body) = BODY.captures(clause.as_str()) {
        by = body.name("by").map(|b| b.as_str().to_owned());
        end = clause.start() + body.get(0).map_or(0, |m| m.end());
    }
    let mut on = None;
    if let Some(date) = DATE.captures(clause.as_str()) {
        on = iso_date(&date);
        end = clause.start() + date.get(0).map_or(0, |m| m.end());
    }
    Some(Approval {
        by,
        on,
        text: item[whole.start()..end].trim().to_owned(),
    })
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` from a date's parts; a day only with its month.
fn iso_date(date: &regex::Captures<'_>) -> Option<String> {
    let year = date.name("year")?.as_str();
    let Some(month) = date.name("month") else {
        return Some(year.to_owned());
    };
    let prefix = month.as_str().get(..3)?.to_ascii_lowercase();
    let month = MONTHS.iter().position(|m| *m == prefix)? + 1;
    match date
        .name("day")
        .and_then(|d| d.as_str().parse::<u32>().ok())
    {
        Some(day) if (1..=31).contains(&day) => Some(format!("{year}-{month:02}-{day:02}")),
        _ => Some(format!("{year}-{month:02}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(item: &str) -> Option<(Option<String>, Option<String>, String)> {
        approval(item).map(|a| (a.by, a.on, a.text))
    }

    fn some(
        by: Option<&str>,
        on: Option<&str>,
        text: &str,
    ) -> Option<(Option<String>, Option<String>, String)> {
        Some((
            by.map(str::to_owned),
            on.map(str::to_owned),
            text.to_owned(),
        ))
    }

    #[test]
    fn approvals_as_items_write_them() {
        assert_eq!(
            read(
                "Yondelis (trabectedin), approved by the FDA in October 2015 for liposarcoma and leiomyosarcoma"
            ),
            some(
                Some("FDA"),
                Some("2015-10"),
                "approved by the FDA in October 2015"
            )
        );
        assert_eq!(
            read("Votrient (pazopanib) oral, approved in 2012 for advanced soft tissue sarcoma"),
            some(None, Some("2012"), "approved in 2012")
        );
        assert_eq!(
            read("Lartruvo (olaratumab) with doxorubicin, approved by the FDA on October 19, 2016"),
            some(
                Some("FDA"),
                Some("2016-10-19"),
                "approved by the FDA on October 19, 2016"
            )
        );
        assert_eq!(
            read("Halaven (eribulin), FDA-approved for liposarcoma"),
            some(Some("FDA"), None, "FDA-approved")
        );
    }

    #[test]
    fn no_approval_where_none_is_stated() {
        assert_eq!(read("Gemzar (gemcitabine)"), None);
        assert_eq!(read("Stivarga (regorafenib), not approved for LMS"), None);
        assert_eq!(
            read("Stivarga (regorafenib), not yet approved in 2016"),
            None
        );
    }
}
