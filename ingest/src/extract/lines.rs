//! Linearising a parsed page into lines of text, whatever its markup.
//!
//! Block elements, table cells and `<br>` end a line; `<li>`, a leading bullet character or a
//! bullet image marks a line as a list item. Links keep their text and target. Semantic elements
//! and id/class names give each line a hint of the zone it sits in, which later steps weigh
//! against the text itself.

use ego_tree::NodeRef;
use scraper::{Html, Node};

use super::text::{contains_ignore_case, push_collapsed};

/// A link inside a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineLink {
    /// The link's visible text.
    pub text: String,
    /// The raw `href`.
    pub href: String,
}

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
}

/// One line of the page's text.
#[derive(Debug, Clone)]
pub struct Line {
    /// The text, white space collapsed, bullet stripped.
    pub text: String,
    /// Whether the line is a list item (`<li>`, a bullet character or a bullet image).
    pub list_item: bool,
    /// Links on the line, in order.
    pub links: Vec<LineLink>,
    /// The zone hint.
    pub zone: Zone,
}

impl Line {
    /// Share of the line's letters that sit inside links.
    pub fn link_share(&self) -> f32 {
        let letters = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).count();
        let total = letters(&self.text);
        if total == 0 {
            return 0.0;
        }
        let linked: usize = self.links.iter().map(|l| letters(&l.text)).sum();
        linked as f32 / total as f32
    }
}

const BULLETS: &[char] = &[
    '•', '·', '*', '-', '–', '▪', '◦', '●', '■', '►', '»', '○', '◊',
];

/// Elements whose content is never page text.
fn is_skipped(name: &str) -> bool {
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
fn is_block(name: &str) -> bool {
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

/// Splits a parsed document's body into lines.
pub fn lines(html: &Html) -> Vec<Line> {
    let mut walker = Walker::default();
    walker.walk(html.tree.root(), Zone::Body);
    walker.flush();
    walker.lines
}

#[derive(Default)]
struct Walker {
    lines: Vec<Line>,
    text: String,
    pending_space: bool,
    links: Vec<LineLink>,
    open_link: Option<(String, String)>,
    list_item_pending: bool,
    bullet_image: bool,
    zone: Option<Zone>,
}

impl Walker {
    fn walk(&mut self, node: NodeRef<'_, Node>, zone: Zone) {
        match node.value() {
            Node::Text(text) => self.push_text(text, zone),
            Node::Element(element) => {
                let name = element.name();
                if is_skipped(name) {
                    return;
                }
                match name {
                    "br" => return self.flush(),
                    "img" => {
                        if self.text.trim().is_empty() && is_bullet_image(element) {
                            self.bullet_image = true;
                        }
                        return;
                    }
                    _ => {}
                }
                let zone = zone_of(element).unwrap_or(zone);
                let block = is_block(name);
                if block {
                    self.flush();
                }
                if name == "li" {
                    self.list_item_pending = true;
                }
                let href = (name == "a")
                    .then(|| attr(element, "href"))
                    .flatten()
                    .map(str::trim)
                    .filter(|h| !h.is_empty());
                if let Some(href) = href {
                    self.close_link();
                    self.open_link = Some((href.to_owned(), String::new()));
                }
                for child in node.children() {
                    self.walk(child, zone);
                }
                if href.is_some() {
                    self.close_link();
                }
                if block {
                    self.flush();
                    if name == "li" {
                        self.list_item_pending = false;
                    }
                }
            }
            Node::Document | Node::Fragment => {
                for child in node.children() {
                    self.walk(child, zone);
                }
            }
            _ => {}
        }
    }

    fn push_text(&mut self, text: &str, zone: Zone) {
        let starts_with_space = text.starts_with(|c: char| c.is_whitespace() || c == '\u{a0}');
        let ends_with_space = text.ends_with(|c: char| c.is_whitespace() || c == '\u{a0}');
        if text.chars().all(|c| c.is_whitespace() || c == '\u{a0}') {
            if !text.is_empty() {
                self.pending_space = true;
            }
            return;
        }
        if (self.pending_space || starts_with_space) && !self.text.is_empty() {
            self.text.push(' ');
        }
        let from = self.text.len();
        push_collapsed(&mut self.text, text);
        if let Some((_, link_text)) = &mut self.open_link {
            if (starts_with_space || self.pending_space) && !link_text.is_empty() {
                link_text.push(' ');
            }
            link_text.push_str(&self.text[from..]);
        }
        self.pending_space = ends_with_space;
        if self.zone.is_none() {
            self.zone = Some(zone);
        }
    }

    fn close_link(&mut self) {
        if let Some((href, text)) = self.open_link.take()
            && !text.is_empty()
        {
            // Built from collapsed pieces joined by single spaces: already normalized.
            self.links.push(LineLink { text, href });
        }
    }

    fn flush(&mut self) {
        if let Some((href, text)) = &mut self.open_link
            && !text.is_empty()
        {
            // A block inside a link: the link's text so far belongs to this line.
            self.links.push(LineLink {
                text: std::mem::take(text),
                href: href.clone(),
            });
        }
        let links = std::mem::take(&mut self.links);
        let zone = self.zone.take().unwrap_or(Zone::Body);
        self.pending_space = false;
        let (text, bullet) = strip_bullet(self.text.trim());
        if !text.is_empty() {
            let list_item = self.list_item_pending || bullet || self.bullet_image;
            self.list_item_pending = false;
            self.bullet_image = false;
            self.lines.push(Line {
                text: text.to_owned(),
                list_item,
                links,
                zone,
            });
        }
        self.text.clear();
    }
}

/// Removes a leading bullet character followed by a space.
fn strip_bullet(text: &str) -> (&str, bool) {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if BULLETS.contains(&first) && second.is_whitespace() => {
            (text[first.len_utf8()..].trim_start(), true)
        }
        _ => (text, false),
    }
}

/// An attribute's value. Unlike `Element::attr`, this compares names in place instead of
/// interning the name asked for, which costs a lock and a hash on every call.
fn attr<'e>(element: &'e scraper::node::Element, name: &str) -> Option<&'e str> {
    element
        .attrs()
        .find_map(|(key, value)| (key == name).then_some(value))
}

fn is_bullet_image(element: &scraper::node::Element) -> bool {
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

fn zone_of(element: &scraper::node::Element) -> Option<Zone> {
    match element.name() {
        "nav" => return Some(Zone::Nav),
        "header" => return Some(Zone::Header),
        "footer" => return Some(Zone::Footer),
        _ => {}
    }
    let (id, class) = (attr(element, "id"), attr(element, "class"));
    let names_contain = |keyword: &str| {
        [id, class]
            .into_iter()
            .flatten()
            .any(|names| contains_ignore_case(names, keyword))
    };
    if id.is_none() && class.is_none() {
        None
    } else if ["nav", "menu", "sidebar"].into_iter().any(names_contain) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(html: &str) -> Vec<(String, bool)> {
        lines(&Html::parse_document(html))
            .into_iter()
            .map(|l| (l.text, l.list_item))
            .collect()
    }

    #[test]
    fn list_items_from_li_bullets_and_images() {
        let got = texts(
            "<ul><li>One</li><li><p>Two</p></li></ul>\
             &bull; Three<br>* Four<br><img src=\"img/bullet.gif\"> Five<br>Plain",
        );
        let want = [
            ("One", true),
            ("Two", true),
            ("Three", true),
            ("Four", true),
            ("Five", true),
            ("Plain", false),
        ];
        assert_eq!(
            got,
            want.iter()
                .map(|(t, l)| (t.to_string(), *l))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn unclosed_legacy_tags_still_split_lines() {
        let got = texts("<P>First <B>bold</B> para<P>Second<UL><LI>a<LI>b</UL>");
        assert_eq!(
            got,
            vec![
                ("First bold para".to_string(), false),
                ("Second".to_string(), false),
                ("a".to_string(), true),
                ("b".to_string(), true),
            ]
        );
    }

    #[test]
    fn links_keep_text_and_target() {
        let got = lines(&Html::parse_document(
            "<p>Visit <a href=\"http://x.org/\">the  site</a> now</p>",
        ));
        assert_eq!(got[0].text, "Visit the site now");
        assert_eq!(
            got[0].links,
            vec![LineLink {
                text: "the site".into(),
                href: "http://x.org/".into()
            }]
        );
    }
}
