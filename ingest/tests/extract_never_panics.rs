//! Whatever the bytes, extraction returns a document or an error, and the document's content
//! renders to HTML that holds no script: it never panics.

use lmsdr_ingest::extract::{PageInput, extract};
use proptest::prelude::*;
use url::Url;

fn run(bytes: &[u8], content_type: Option<&str>) {
    let url = Url::parse("http://www.lmsdr.org/treatments.php").expect("url");
    if let Ok(document) = extract(PageInput {
        url: &url,
        bytes,
        content_type,
    }) {
        let html = document.content.html();
        assert!(!html.to_ascii_lowercase().contains("<script"), "{html}");
    }
}

/// Fragments of the markups the site has used, to be shuffled into malformed pages.
const FRAGMENTS: &[&str] = &[
    "<html>",
    "<body>",
    "<script>alert(1)</script>",
    "<a href=\"javascript:alert(1)\" onclick=\"x()\">x</a>",
    "<h2>",
    "</h2>",
    "<blockquote>",
    "<font size=4><b>",
    "<img src=\"x.png\" onerror=\"x()\" alt=\"<script>\">",
    "<th>",
    "<p>",
    "</p>",
    "<ul>",
    "<li>",
    "</ul>",
    "<br>",
    "<table><tr><td>",
    "</td>",
    "<font size=2>",
    "<b>",
    "</b>",
    "&bull; ",
    "• ",
    "* ",
    "- ",
    "<a href=\"x.php\">",
    "</a>",
    "<a href=\"http://other.org/\">",
    "Warning: Tamoxifen is contra-indicated for uterine LMS.",
    "Chemotherapy uses drugs. First line choices are:",
    "Gem/Tax (Gemzar + Taxotere)",
    "Adriamycin (doxorubicin)",
    "Temodar (temozolomide) oral, same drug as, DTIC (dacarbazine)",
    "Zorvex (zorvexamab)",
    "(see the AP23573 trial)",
    "A + B + C",
    "Last Edited - 31 February 2012 99:99 pm",
    "Individual chemo agents are:",
    ":",
    "(",
    ")",
    "/",
    "+",
    "\u{a0}",
    "<meta charset=\"utf-16\">",
    "<img src=\"bullet.gif\">",
    "<nav>",
    "</nav>",
    "<!--",
    "-->",
    "<script>",
    "</script>",
    "\u{feff}",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        run(&bytes, None);
        run(&bytes, Some("text/html; charset=utf-8"));
    }

    #[test]
    fn shuffled_markup(parts in proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..200)) {
        let page = parts.concat();
        run(page.as_bytes(), None);
        run(page.as_bytes(), Some("text/html; charset=\"bogus\""));
    }

    #[test]
    fn arbitrary_text_in_a_page(text in "\\PC{0,400}") {
        let page = format!("<html><body><p>Surgery includes:</p><ul><li>{text}</li></ul><p>{text}:</p><p>{text}</p></body></html>");
        run(page.as_bytes(), None);
    }
}
