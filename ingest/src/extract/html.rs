//! The main content as HTML for frontends: the blocks rendered as plain semantic elements, then
//! cleaned by `ammonia` against a short allow-list (no scripts, styles, `<font>`, event handlers
//! or layout tables can pass), with every link absolute.

use std::collections::HashSet;
use std::fmt::Write;
use std::sync::LazyLock;

use html_escape::{encode_double_quoted_attribute, encode_text};

use super::document::{Block, BlockKind, Link};

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let tags: HashSet<&str> = [
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "p",
        "ul",
        "ol",
        "li",
        "blockquote",
        "figure",
        "figcaption",
        "img",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "a",
    ]
    .into_iter()
    .collect();
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(tags)
        .add_tag_attributes("a", ["href"])
        .add_tag_attributes("img", ["src", "alt"])
        .url_schemes(["http", "https", "mailto", "tel"].into_iter().collect())
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true);
    builder
});

/// Renders blocks as sanitized HTML.
pub fn render(blocks: &[Block]) -> String {
    let mut html = String::new();
    for block in blocks {
        let mut links = block.links.iter().peekable();
        match block.kind {
            BlockKind::Heading => {
                let level = block.level.unwrap_or(2).clamp(1, 6);
                let _ = write!(html, "<h{level}>");
                inline(&mut html, &block.text, &mut links);
                let _ = writeln!(html, "</h{level}>");
            }
            BlockKind::Paragraph => {
                html.push_str("<p>");
                inline(&mut html, &block.text, &mut links);
                html.push_str("</p>\n");
            }
            BlockKind::Quote => {
                html.push_str("<blockquote><p>");
                inline(&mut html, &block.text, &mut links);
                html.push_str("</p></blockquote>\n");
            }
            BlockKind::List => {
                let tag = if block.ordered { "ol" } else { "ul" };
                let _ = writeln!(html, "<{tag}>");
                for item in &block.items {
                    html.push_str("<li>");
                    inline(&mut html, item, &mut links);
                    html.push_str("</li>\n");
                }
                let _ = writeln!(html, "</{tag}>");
            }
            BlockKind::Image => {
                if let Some(src) = &block.src {
                    let _ = writeln!(
                        html,
                        "<figure><img src=\"{}\" alt=\"{}\"></figure>",
                        encode_double_quoted_attribute(src),
                        encode_double_quoted_attribute(block.alt.as_deref().unwrap_or(""))
                    );
                }
            }
            BlockKind::Table => table(&mut html, block, &mut links),
        }
    }
    SANITIZER.clean(&html).to_string()
}

/// Writes a text with the links that stand in it, in order: each link wraps the first
/// occurrence of its text after the previous one.
fn inline<'l>(
    html: &mut String,
    text: &str,
    links: &mut std::iter::Peekable<impl Iterator<Item = &'l Link>>,
) {
    let mut rest = text;
    while let Some(link) = links.peek() {
        let Some(at) = (!link.text.is_empty())
            .then(|| rest.find(link.text.as_str()))
            .flatten()
        else {
            break;
        };
        html.push_str(&encode_text(&rest[..at]));
        let _ = write!(
            html,
            "<a href=\"{}\">{}</a>",
            encode_double_quoted_attribute(&link.url),
            encode_text(&link.text)
        );
        rest = &rest[at + link.text.len()..];
        links.next();
    }
    html.push_str(&encode_text(rest));
}

fn table<'l>(
    html: &mut String,
    block: &Block,
    links: &mut std::iter::Peekable<impl Iterator<Item = &'l Link>>,
) {
    html.push_str("<table>\n");
    for (index, row) in block.rows.iter().enumerate() {
        let header = index == 0 && block.header_row;
        if header {
            html.push_str("<thead>");
        } else if index == usize::from(block.header_row) {
            html.push_str("<tbody>");
        }
        html.push_str("<tr>");
        let cell = if header { "th" } else { "td" };
        for text in row {
            let _ = write!(html, "<{cell}>");
            inline(html, text, links);
            let _ = write!(html, "</{cell}>");
        }
        html.push_str("</tr>");
        if header {
            html.push_str("</thead>\n");
        } else {
            html.push('\n');
        }
    }
    if block.rows.len() > usize::from(block.header_row) {
        html.push_str("</tbody>");
    }
    html.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(text: &str, url: &str) -> Link {
        Link {
            text: text.into(),
            url: url.into(),
            external: false,
            context: None,
        }
    }

    #[test]
    fn text_is_escaped_and_links_inline() {
        let mut block = Block::new(BlockKind::Paragraph, "Read <this> & the guide now");
        block.links = vec![link("the guide", "http://x.org/a?b=1&c=\"2\"")];
        let html = render(&[block]);
        assert_eq!(
            html,
            "<p>Read &lt;this&gt; &amp; <a href=\"http://x.org/a?b=1&amp;c=&quot;2&quot;\" rel=\"noopener noreferrer\">the guide</a> now</p>\n"
        );
    }

    #[test]
    fn nothing_unsafe_survives() {
        let mut block = Block::new(BlockKind::Paragraph, "x");
        block.links = vec![link("x", "javascript:alert(1)")];
        let mut image = Block::new(BlockKind::Image, "");
        image.src = Some("data:text/html,<script>alert(1)</script>".into());
        let html = render(&[block, image]);
        assert!(!html.contains("javascript"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("data:"), "{html}");
    }

    #[test]
    fn tables_have_head_and_body() {
        let mut block = Block::new(BlockKind::Table, "");
        block.rows = vec![vec!["A".into(), "B".into()], vec!["1".into(), "2".into()]];
        block.header_row = true;
        assert_eq!(
            render(&[block]),
            "<table>\n<thead><tr><th>A</th><th>B</th></tr></thead>\n<tbody><tr><td>1</td><td>2</td></tr>\n</tbody></table>\n"
        );
    }
}
