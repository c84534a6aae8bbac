//! Linearising a parsed page into lines of text, whatever its markup.
//!
//! Block elements, table cells and `<br>` end a line; `<li>`, a leading bullet character or a
//! bullet image marks a line as a list item. Links keep their text and target. Each line also
//! keeps what its markup hinted at — the zone it sits in, a heading level, a quotation, a data
//! table's cell, bold or enlarged text — which later steps weigh against the text itself.
//!
//! The walk is iterative (an explicit stack of open elements), so no page is nested too deeply
//! to read.

use ego_tree::iter::Edge;
use scraper::node::Element;
use scraper::{Html, Node};

pub use super::markup::Zone;
use super::markup::{
    BULLETS, DEFAULT_FONT_SIZE, attr, font_size, heading_level, is_block, is_bullet_image,
    is_data_table, is_skipped, is_spacer_image, zone_of,
};
use super::text::push_collapsed;

/// A link inside a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineLink {
    /// The link's visible text.
    pub text: String,
    /// The raw `href`.
    pub href: String,
}

/// A list a line is an item of, as the markup marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListMark {
    /// `<ol>` rather than `<ul>`.
    pub ordered: bool,
    /// Nesting depth, from 1.
    pub depth: u8,
}

/// The most columns a data table's row is read with; cells past it join the last column.
pub const MAX_COLUMNS: u32 = 64;

/// A part of a definition list (`<dl>`): a list whose items are a term and what is said of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Definition {
    /// `<dt>`.
    Term,
    /// `<dd>`.
    Description,
}

/// A data table's cell a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// Which data table of the page, from 0.
    pub table: u32,
    /// Its row, from 0.
    pub row: u32,
    /// Its column, from 0, counting the columns the cells before it span.
    pub column: u32,
    /// A header cell (`<th>`).
    pub header: bool,
}

/// What the markup says about a line beyond its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    /// `h1`…`h6`.
    pub heading: Option<u8>,
    /// Inside `<blockquote>` or `<q>`.
    pub quote: bool,
    /// Inside `<ul>`/`<ol>`.
    pub list: Option<ListMark>,
    /// A cell of a data table.
    pub cell: Option<Cell>,
    /// A term (`<dt>`) or description (`<dd>`) of a definition list.
    pub definition: Option<Definition>,
    /// Every letter of it is bold (`<b>`, `<strong>`).
    pub emphasized: bool,
    /// The smallest font size (1–7) any of its text has.
    pub font_size: i8,
}

/// One line of the page's text.
#[derive(Debug, Clone)]
pub struct Line {
    /// Its position among the page's lines, from 0.
    pub index: usize,
    /// The text, white space collapsed, bullet stripped.
    pub text: String,
    /// Whether the line is a list item (`<li>`, a bullet character or a bullet image).
    pub list_item: bool,
    /// Links on the line, in order.
    pub links: Vec<LineLink>,
    /// The zone hint.
    pub zone: Zone,
    /// The other markup hints.
    pub style: Style,
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

/// A picture on the page, between lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineImage {
    /// The index of the first line after it.
    pub before_line: usize,
    /// The raw `src`.
    pub src: String,
    /// Its alternative text, if it has any.
    pub alt: Option<String>,
    /// The zone it sits in.
    pub zone: Zone,
}

/// A page as lines and the images between them.
#[derive(Debug, Clone, Default)]
pub struct Lines {
    /// The lines, in page order.
    pub lines: Vec<Line>,
    /// The pictures (not bullets or spacers), in page order.
    pub images: Vec<LineImage>,
}

/// Splits a parsed document's body into lines.
pub fn lines(html: &Html) -> Lines {
    let mut walker = Walker::default();
    for edge in html.tree.root().traverse() {
        match edge {
            Edge::Open(node) => walker.open(node),
            Edge::Close(node) => walker.close(node),
        }
    }
    walker.flush();
    Lines {
        lines: walker.lines,
        images: walker.images,
    }
}

/// What holds inside an open element.
#[derive(Debug, Clone, Copy)]
struct Context {
    zone: Zone,
    /// Inside `<main>`, `<article>` or `role="main"`.
    in_main: bool,
    heading: Option<u8>,
    quote: bool,
    list: Option<ListMark>,
    /// The data table and whether inside a header cell.
    table: Option<u32>,
    header_cell: bool,
    /// The column of the cell inside.
    column: u32,
    definition: Option<Definition>,
    bold: bool,
    font_size: i8,
}

impl Default for Context {
    fn default() -> Self {
        Self {
            zone: Zone::Body,
            in_main: false,
            heading: None,
            quote: false,
            list: None,
            table: None,
            header_cell: false,
            column: 0,
            definition: None,
            bold: false,
            font_size: DEFAULT_FONT_SIZE,
        }
    }
}

/// An open element and what closing it undoes.
#[derive(Debug)]
struct Frame {
    context: Context,
    block: bool,
    list_item: bool,
    link: bool,
}

/// The line being read.
#[derive(Debug, Default)]
struct Pending {
    text: String,
    space: bool,
    links: Vec<LineLink>,
    open_link: Option<(String, String)>,
    list_item: bool,
    bullet_image: bool,
    /// The context of its first text.
    first: Option<(Context, Option<Cell>)>,
    plain_letters: bool,
    smallest_font: Option<i8>,
}

#[derive(Default)]
struct Walker {
    lines: Vec<Line>,
    images: Vec<LineImage>,
    line: Pending,
    stack: Vec<Frame>,
    /// Depth inside an element whose content is not page text.
    skipping: usize,
    /// Rows seen so far in each data table.
    table_rows: Vec<u32>,
    /// The next cell's column in each data table's current row.
    table_columns: Vec<u32>,
}

impl Walker {
    fn context(&self) -> Context {
        self.stack.last().map(|f| f.context).unwrap_or_default()
    }

    fn open(&mut self, node: ego_tree::NodeRef<'_, Node>) {
        if self.skipping > 0 {
            self.skipping += 1;
            return;
        }
        match node.value() {
            Node::Text(text) => self.push_text(text),
            Node::Element(element) => {
                let name = element.name();
                if is_skipped(name) {
                    self.skipping = 1;
                    return;
                }
                let context = self.context();
                match name {
                    "br" => self.flush(),
                    "img" => self.image(element, context.zone),
                    _ => {}
                }
                let frame = self.enter(node, element, context);
                self.stack.push(frame);
            }
            _ => {}
        }
    }

    fn close(&mut self, node: ego_tree::NodeRef<'_, Node>) {
        if self.skipping > 0 {
            self.skipping -= 1;
            return;
        }
        if !node.value().is_element() {
            return;
        }
        let Some(frame) = self.stack.pop() else {
            return;
        };
        if frame.link {
            self.close_link();
        }
        if frame.block {
            self.flush();
            if frame.list_item {
                self.line.list_item = false;
            }
        }
    }

    /// Opens an element: its line break, its link and the context it gives its content.
    fn enter(
        &mut self,
        node: ego_tree::NodeRef<'_, Node>,
        element: &Element,
        parent: Context,
    ) -> Frame {
        let name = element.name();
        let mut context = parent;
        context.zone = match parent.zone {
            // Nothing inside a sidebar or a comment area is content, whatever it is marked.
            Zone::Aside => Zone::Aside,
            _ => zone_of(element, parent.in_main).unwrap_or(parent.zone),
        };
        context.in_main |= matches!(name, "main" | "article")
            || attr(element, "role").is_some_and(|r| r.trim().eq_ignore_ascii_case("main"));
        if let Some(level) = heading_level(name) {
            context.heading = Some(level);
        }
        match name {
            "blockquote" | "q" => context.quote = true,
            "dt" => context.definition = Some(Definition::Term),
            "dd" => context.definition = Some(Definition::Description),
            "b" | "strong" => context.bold = true,
            "ul" | "ol" | "dir" | "menu" => {
                let depth = parent.list.map_or(1, |l| l.depth.saturating_add(1));
                context.list = Some(ListMark {
                    ordered: name == "ol",
                    depth,
                });
            }
            "table" => {
                context.table = is_data_table(node).then(|| {
                    self.table_rows.push(0);
                    self.table_columns.push(0);
                    self.table_rows.len() as u32 - 1
                });
            }
            "tr" => {
                if let Some(table) = context.table.map(|t| t as usize) {
                    if let Some(rows) = self.table_rows.get_mut(table) {
                        *rows += 1;
                    }
                    if let Some(columns) = self.table_columns.get_mut(table) {
                        *columns = 0;
                    }
                }
            }
            "th" | "td" => {
                context.header_cell = name == "th";
                if let Some(columns) = context
                    .table
                    .and_then(|t| self.table_columns.get_mut(t as usize))
                {
                    // A hostile table cannot make rows wider than any real table is.
                    context.column = (*columns).min(MAX_COLUMNS - 1);
                    *columns = columns.saturating_add(span(element)).min(MAX_COLUMNS);
                }
            }
            _ => {}
        }
        if let Some(size) = font_size(element, parent.font_size) {
            context.font_size = size;
        }
        let block = is_block(name);
        if block {
            self.flush();
        }
        let list_item = matches!(name, "li" | "dt" | "dd");
        if list_item {
            self.line.list_item = true;
        }
        let href = (name == "a")
            .then(|| attr(element, "href"))
            .flatten()
            .map(str::trim)
            .filter(|h| !h.is_empty());
        if let Some(href) = href {
            self.close_link();
            self.line.open_link = Some((href.to_owned(), String::new()));
        }
        Frame {
            context,
            block,
            list_item,
            link: href.is_some(),
        }
    }

    fn image(&mut self, element: &Element, zone: Zone) {
        if is_bullet_image(element) {
            if self.line.text.trim().is_empty() {
                self.line.bullet_image = true;
            }
            return;
        }
        if is_spacer_image(element) {
            return;
        }
        if let Some(src) = attr(element, "src")
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let alt = attr(element, "alt")
                .map(super::text::collapse_whitespace)
                .filter(|a| !a.is_empty());
            self.images.push(LineImage {
                before_line: self.lines.len() + usize::from(!self.line.text.trim().is_empty()),
                src: src.to_owned(),
                alt,
                zone,
            });
        }
    }

    fn push_text(&mut self, text: &str) {
        let is_space = |c: char| c.is_whitespace() || c == '\u{a0}';
        let starts_with_space = text.starts_with(is_space);
        let ends_with_space = text.ends_with(is_space);
        if text.chars().all(is_space) {
            if !text.is_empty() {
                self.line.space = true;
            }
            return;
        }
        let context = self.context();
        let line = &mut self.line;
        if (line.space || starts_with_space) && !line.text.is_empty() {
            line.text.push(' ');
        }
        let from = line.text.len();
        push_collapsed(&mut line.text, text);
        if let Some((_, link_text)) = &mut line.open_link {
            if (starts_with_space || line.space) && !link_text.is_empty() {
                link_text.push(' ');
            }
            link_text.push_str(&line.text[from..]);
        }
        line.space = ends_with_space;
        if !context.bold && line.text[from..].chars().any(char::is_alphanumeric) {
            line.plain_letters = true;
        }
        line.smallest_font = Some(
            line.smallest_font
                .map_or(context.font_size, |s| s.min(context.font_size)),
        );
        if line.first.is_none() {
            let cell = context.table.map(|table| Cell {
                table,
                row: self
                    .table_rows
                    .get(table as usize)
                    .map_or(0, |r| r.saturating_sub(1)),
                column: context.column,
                header: context.header_cell,
            });
            line.first = Some((context, cell));
        }
    }

    fn close_link(&mut self) {
        if let Some((href, text)) = self.line.open_link.take()
            && !text.is_empty()
        {
            // Built from collapsed pieces joined by single spaces: already normalized.
            self.line.links.push(LineLink { text, href });
        }
    }

    fn flush(&mut self) {
        let line = &mut self.line;
        if let Some((href, text)) = &mut line.open_link
            && !text.is_empty()
        {
            // A block inside a link: the link's text so far belongs to this line.
            line.links.push(LineLink {
                text: std::mem::take(text),
                href: href.clone(),
            });
        }
        let links = std::mem::take(&mut line.links);
        let first = line.first.take();
        let emphasized = !std::mem::take(&mut line.plain_letters);
        let smallest_font = line.smallest_font.take();
        line.space = false;
        let (text, bullet) = strip_bullet(line.text.trim());
        if !text.is_empty() {
            let list_item = line.list_item || bullet || line.bullet_image;
            line.list_item = false;
            line.bullet_image = false;
            let (context, cell) = first.unwrap_or_default();
            let style = Style {
                heading: context.heading,
                quote: context.quote,
                list: context.list,
                cell,
                definition: context.definition,
                emphasized,
                font_size: smallest_font.unwrap_or(DEFAULT_FONT_SIZE),
            };
            self.lines.push(Line {
                index: self.lines.len(),
                text: text.to_owned(),
                list_item,
                links,
                zone: context.zone,
                style,
            });
        }
        line.text.clear();
    }
}

/// The columns a cell spans (`colspan`, 1 when absent or unreadable, at most
/// [`MAX_COLUMNS`]).
fn span(cell: &Element) -> u32 {
    attr(cell, "colspan")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .map_or(1, |n| n.clamp(1, MAX_COLUMNS))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(html: &str) -> Vec<(String, bool)> {
        lines(&Html::parse_document(html))
            .lines
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
        ))
        .lines;
        assert_eq!(got[0].text, "Visit the site now");
        assert_eq!(
            got[0].links,
            vec![LineLink {
                text: "the site".into(),
                href: "http://x.org/".into()
            }]
        );
    }

    #[test]
    fn markup_hints_reach_the_lines() {
        let page = lines(&Html::parse_document(
            "<font size=2><font size=3><b>Big news</b></font><br>Plain <b>and</b> bold\
             <blockquote>Quoted</blockquote><h2>Heading</h2>\
             <ol><li>One<ul><li>Inner</li></ul></li></ol>\
             <table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>\
             <img src=\"photo.jpg\" alt=\"A photo\"><img src=\"spacer.gif\"></font>",
        ));
        let style = |text: &str| {
            page.lines
                .iter()
                .find(|l| l.text == text)
                .map(|l| l.style)
                .unwrap_or_else(|| panic!("no line {text}"))
        };
        assert!(style("Big news").emphasized && style("Big news").font_size == 3);
        assert!(!style("Plain and bold").emphasized && style("Plain and bold").font_size == 2);
        assert!(style("Quoted").quote);
        assert_eq!(style("Heading").heading, Some(2));
        assert_eq!(
            style("One").list,
            Some(ListMark {
                ordered: true,
                depth: 1
            })
        );
        assert_eq!(style("Inner").list.map(|l| l.depth), Some(2));
        assert_eq!(
            style("A").cell,
            Some(Cell {
                table: 0,
                row: 0,
                column: 0,
                header: true
            })
        );
        assert_eq!(
            style("2").cell,
            Some(Cell {
                table: 0,
                row: 1,
                column: 1,
                header: false
            })
        );
        assert_eq!(page.images.len(), 1);
        assert_eq!(page.images[0].alt.as_deref(), Some("A photo"));
        assert_eq!(page.images[0].before_line, page.lines.len());
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let depth = 100_000;
        let html = format!("{}deep{}", "<span>".repeat(depth), "</span>".repeat(depth));
        let got = texts(&html);
        assert_eq!(got, [("deep".to_owned(), false)]);
    }
}
