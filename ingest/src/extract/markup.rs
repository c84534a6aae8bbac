//! What the markup says about an element: whether it is page text at all, whether it ends a line,
//! which zone of the page it marks, whether an image is a bullet, and whether a table holds data
//! or only lays the page out.

use ego_tree::NodeRef;
use scraper::Node;
use scraper::node::Element;

use super::text::contains_ignore_case;

/// Where a line sits, as far as the markup says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// Nothing said.
    Body,
    /// `<nav>`, or an id/class naming a menu or navigation.
    Nav,
    /// `<header>` or a banner.
    Header,
    /// `<footer>`.
    Footer,
    /// Beside the content and never part of it: a sidebar and its widgets (recent posts, archive
    /// months), a comment area and its form, a search form.
    Aside,
}

/// Characters that mark a line as a list item when they open it.
pub const BULLETS: &[char] = &[
    '•', '·', '*', '-', '–', '▪', '◦', '●', '■', '►', '»', '○', '◊',
];

/// The font size text has when no `<font size>` says otherwise.
pub const DEFAULT_FONT_SIZE: i8 = 3;

/// Most nodes of a table inspected to decide whether it holds data.
const TABLE_SCAN_LIMIT: usize = 4_000;

/// Elements whose content is never page text.
pub fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "head"
            | "script"
            | "style"
            | "noscript"
            | "template"
            | "iframe"
            | "object"
            | "embed"
            | "select"
            | "option"
            | "textarea"
            | "button"
            | "svg"
            | "math"
            | "map"
    )
}

/// Elements that start and end a line.
pub fn is_block(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "center"
            | "dd"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "frame"
            | "frameset"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "html"
            | "legend"
            | "li"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
            | "caption"
            | "title"
    )
}

/// An attribute's value. Unlike `Element::attr`, this compares names in place instead of
/// interning the name asked for, which costs a lock and a hash on every call.
pub fn attr<'e>(element: &'e Element, name: &str) -> Option<&'e str> {
    element
        .attrs()
        .find_map(|(key, value)| (key == name).then_some(value))
}

/// The heading level of `h1`…`h6`.
pub fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// The absolute font size (1–7) a `<font size>` or `<big>`/`<small>` gives its text, from the
/// size of the text around it.
pub fn font_size(element: &Element, around: i8) -> Option<i8> {
    let size = match element.name() {
        "big" => around + 1,
        "small" => around - 1,
        "font" => {
            let value = attr(element, "size")?.trim();
            let number = |s: &str| s.parse::<i8>().ok();
            if let Some(relative) = value.strip_prefix('+') {
                DEFAULT_FONT_SIZE + number(relative)?
            } else if value.starts_with('-') {
                DEFAULT_FONT_SIZE + number(value)?
            } else {
                number(value)?
            }
        }
        _ => return None,
    };
    Some(size.clamp(1, 7))
}

/// The zone an element marks, by its name, its ARIA role or its id and classes. `in_main` says
/// whether the element sits inside the page's main content (`<main>`, `<article>`), where an
/// `<aside>` is a callout of the text rather than a sidebar.
pub fn zone_of(element: &Element, in_main: bool) -> Option<Zone> {
    match element.name() {
        "nav" => return Some(Zone::Nav),
        "header" => return Some(Zone::Header),
        "footer" => return Some(Zone::Footer),
        "aside" if !in_main => return Some(Zone::Aside),
        _ => {}
    }
    match attr(element, "role").map(str::trim) {
        Some(role) if role.eq_ignore_ascii_case("navigation") => return Some(Zone::Nav),
        Some(role) if role.eq_ignore_ascii_case("banner") => return Some(Zone::Header),
        Some(role) if role.eq_ignore_ascii_case("contentinfo") => return Some(Zone::Footer),
        Some(role) if role.eq_ignore_ascii_case("search") => return Some(Zone::Aside),
        Some(role) if role.eq_ignore_ascii_case("complementary") && !in_main => {
            return Some(Zone::Aside);
        }
        _ => {}
    }
    let (id, class) = (attr(element, "id"), attr(element, "class"));
    if id.is_none() && class.is_none() {
        return None;
    }
    let names_contain = |keyword: &str| {
        [id, class]
            .into_iter()
            .flatten()
            .any(|names| contains_ignore_case(names, keyword))
    };
    if aside_names(id, class) {
        Some(Zone::Aside)
    } else if ["nav", "menu"].into_iter().any(names_contain) {
        Some(Zone::Nav)
    } else if names_contain("footer") {
        Some(Zone::Footer)
    } else if ["header", "banner", "masthead"]
        .into_iter()
        .any(names_contain)
    {
        Some(Zone::Header)
    } else {
        None
    }
}

/// Whether an id or a class names what CMS themes put beside the content: a sidebar, a widget,
/// the comments and their reply form. Compared name by name, so that a word merely containing
/// "comment" does not count.
fn aside_names(id: Option<&str>, class: Option<&str>) -> bool {
    [id, class]
        .into_iter()
        .flatten()
        .flat_map(str::split_ascii_whitespace)
        .any(|name| {
            let name = name.to_ascii_lowercase();
            name.contains("sidebar")
                || name.contains("widget")
                || name == "comments"
                || name == "respond"
                || name.starts_with("comments-")
                || name.starts_with("comment-")
        })
}

/// Whether an image stands for a bullet: its file or class says so, or its alt text is one.
pub fn is_bullet_image(element: &Element) -> bool {
    let hint = |name: &str| {
        attr(element, name).is_some_and(|value| {
            let value = value.to_ascii_lowercase();
            value.contains("bullet") || value.contains("dot") || value.contains("arrow")
        })
    };
    let alt_is_bullet = attr(element, "alt").is_some_and(|alt| {
        alt.trim().chars().all(|c| BULLETS.contains(&c)) && !alt.trim().is_empty()
    });
    hint("src") || hint("class") || alt_is_bullet
}

/// Whether an image is a spacer or tracking pixel rather than a picture.
pub fn is_spacer_image(element: &Element) -> bool {
    let tiny = |name: &str| {
        attr(element, name)
            .and_then(|v| v.trim().trim_end_matches("px").parse::<u32>().ok())
            .is_some_and(|v| v <= 2)
    };
    let named = attr(element, "src").is_some_and(|src| {
        let src = src.to_ascii_lowercase();
        ["spacer", "pixel", "blank.gif", "clear.gif", "transparent"]
            .iter()
            .any(|word| src.contains(word))
    });
    tiny("width") || tiny("height") || named
}

/// Whether a table holds data (rows of short cells, or header cells) rather than laying out the
/// page (nested tables, lists, headings or long text in its cells, or a single row).
pub fn is_data_table(table: NodeRef<'_, Node>) -> bool {
    let mut rows = 0;
    let mut widest = 0;
    let mut header_cells = false;
    for (seen, node) in table.descendants().skip(1).enumerate() {
        if seen > TABLE_SCAN_LIMIT {
            return false;
        }
        let Some(element) = node.value().as_element() else {
            continue;
        };
        match element.name() {
            "table" | "ul" | "ol" | "dl" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "form"
            | "blockquote" | "nav" | "header" | "footer" | "iframe" => return false,
            "tr" => {
                rows += 1;
                let cells = node
                    .children()
                    .filter_map(|c| c.value().as_element())
                    .filter(|e| matches!(e.name(), "td" | "th"))
                    .count();
                widest = widest.max(cells);
            }
            "th" => header_cells = true,
            "td" => {
                // Stop counting as soon as the cell is too long for data.
                let mut words = 0;
                for text in node.descendants().filter_map(|n| n.value().as_text()) {
                    words += text.split_whitespace().count();
                    if words > 40 {
                        return false;
                    }
                }
            }
            _ => {}
        }
    }
    (rows >= 2 && widest >= 2) || (header_cells && rows >= 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Html;

    fn first_table(html: &str) -> bool {
        let doc = Html::parse_document(html);
        let table = doc
            .tree
            .root()
            .descendants()
            .find(|n| n.value().as_element().is_some_and(|e| e.name() == "table"))
            .expect("a table");
        is_data_table(table)
    }

    #[test]
    fn data_tables_and_layout_tables() {
        assert!(first_table(
            "<table><tr><th>Date</th><th>Event</th></tr><tr><td>2012</td><td>Walk</td></tr></table>"
        ));
        assert!(first_table(
            "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>"
        ));
        assert!(!first_table(
            "<table><tr><td><a href=a>Home</a></td><td><a href=b>News</a></td></tr></table>"
        ));
        assert!(!first_table(
            "<table><tr><td>menu</td><td><p>Text</p><ul><li>x</li></ul></td></tr><tr><td>a</td><td>b</td></tr></table>"
        ));
        assert!(!first_table(
            "<table><tr><td><table><tr><td>x</td></tr></table></td></tr></table>"
        ));
    }

    #[test]
    fn font_sizes_absolute_and_relative() {
        let doc = Html::parse_fragment("<font size=+2>a</font><font size=2>b</font><big>c</big>");
        let sizes: Vec<_> = doc
            .tree
            .root()
            .descendants()
            .filter_map(|n| n.value().as_element().and_then(|e| font_size(e, 3)))
            .collect();
        assert_eq!(sizes, [5, 2, 4]);
    }
}
