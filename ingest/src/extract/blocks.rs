//! The main content as blocks a frontend can render without parsing HTML: headings, paragraphs,
//! lists, quotations, images and data tables, in page order, whatever the markup.
//!
//! Legacy markup comes out the same as semantic markup: a short line that is all bold or set in a
//! larger `<font>` than the page's text is a heading; lines the sections step read as list items
//! (bullets, `<br>` lists, one paragraph per item) form a list.

use std::collections::HashMap;

use url::Url;

use super::content::is_warning;
use super::document::{Block, BlockKind, Image, Link};
use super::lines::Line;
use super::page::{link, resolve_content_link};
use super::table;
use super::text::word_count;

/// Longest line, in words, read as a heading when only its style says so.
const MAX_HEADING_WORDS: usize = 12;
/// Longest excerpt, in bytes.
const MAX_EXCERPT_BYTES: usize = 280;

/// Builds the blocks of the main content. `item_lines[i]` says whether `content[i]` was read as
/// a list item; `images` are the content's pictures with the index of the line each precedes.
pub fn build(
    content: &[Line],
    item_lines: &[bool],
    images: &[(usize, Image)],
    base: &Url,
) -> Vec<Block> {
    let base_font = base_font_size(content);
    let mut blocks = Vec::new();
    let mut images = images.iter().peekable();
    let mut i = 0;
    while i < content.len() {
        let line = &content[i];
        while let Some((_, image)) = images.next_if(|(before, _)| *before <= line.index) {
            blocks.push(image_block(image));
        }
        let is_item = |l: &Line, i: usize| {
            (item_lines.get(i).copied().unwrap_or(false) || l.list_item)
                && l.style.cell.is_none()
                && !is_warning(&l.text)
        };
        if let Some(cell) = line.style.cell {
            let end = run_end(content, i, |l| {
                l.style.cell.is_some_and(|c| c.table == cell.table)
            });
            blocks.push(table_block(&content[i..end], base));
            i = end;
        } else if is_item(line, i) {
            let depth = line.style.list.map_or(1, |l| l.depth);
            let mut end = i + 1;
            while end < content.len()
                && is_item(&content[end], end)
                && content[end].style.list.map_or(1, |l| l.depth) == depth
            {
                end += 1;
            }
            blocks.push(list_block(&content[i..end], depth, base));
            i = end;
        } else if let Some(level) = heading_level(line, base_font) {
            let mut block = text_block(BlockKind::Heading, line, base);
            block.level = Some(level);
            blocks.push(block);
            i += 1;
        } else {
            // A warning is a callout whatever indents it (legacy pages indent with blockquote).
            let kind = if line.style.quote && !is_warning(&line.text) {
                BlockKind::Quote
            } else {
                BlockKind::Paragraph
            };
            blocks.push(text_block(kind, line, base));
            i += 1;
        }
    }
    blocks.extend(images.map(|(_, image)| image_block(image)));
    blocks
}

/// The content as normalized text: one line per heading, paragraph, list item (marked "• "),
/// table row or image. The same content in any markup gives the same text.
pub fn normalized_text(blocks: &[Block]) -> String {
    let mut text = String::new();
    let mut line = |part: &str| {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(part);
    };
    for block in blocks {
        match block.kind {
            BlockKind::List => {
                for item in &block.items {
                    line(&format!("• {item}"));
                }
            }
            BlockKind::Table => {
                for row in block.text.lines() {
                    line(row);
                }
            }
            BlockKind::Image => line(&format!("[image: {}]", image_label(block))),
            _ => line(&block.text),
        }
    }
    text
}

/// The first paragraph of some length, cut at a word boundary to a teaser.
pub fn excerpt(blocks: &[Block]) -> Option<String> {
    let paragraph = blocks
        .iter()
        .filter(|b| b.kind == BlockKind::Paragraph)
        .find(|b| word_count(&b.text) >= 8)
        .or_else(|| blocks.iter().find(|b| b.kind == BlockKind::Paragraph))?;
    let text = paragraph.text.as_str();
    if text.len() <= MAX_EXCERPT_BYTES {
        return Some(text.to_owned());
    }
    let mut cut = MAX_EXCERPT_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let cut = text[..cut].rfind(' ').unwrap_or(cut);
    Some(format!(
        "{}…",
        text[..cut].trim_end_matches([',', ';', ':', ' '])
    ))
}

/// The index just past the run of lines from `start` that satisfy `keep`.
fn run_end(lines: &[Line], start: usize, keep: impl Fn(&Line) -> bool) -> usize {
    lines[start..]
        .iter()
        .position(|l| !keep(l))
        .map_or(lines.len(), |p| start + p)
}

/// The font size most of the content's text is set in.
fn base_font_size(content: &[Line]) -> i8 {
    let mut weights: HashMap<i8, usize> = HashMap::new();
    for line in content {
        *weights.entry(line.style.font_size).or_default() += line.text.len();
    }
    weights
        .into_iter()
        .max_by_key(|&(size, weight)| (weight, -size))
        .map_or(super::markup::DEFAULT_FONT_SIZE, |(size, _)| size)
}

/// A line's heading level: its `h1`…`h6`, or for a short line that does not end like a sentence
/// part, a larger font than the page's text or bold throughout.
fn heading_level(line: &Line, base_font: i8) -> Option<u8> {
    if let Some(level) = line.style.heading {
        return Some(level);
    }
    let text = line.text.trim_end();
    let looks_like_heading = !line.list_item
        && line.style.cell.is_none()
        && word_count(text) <= MAX_HEADING_WORDS
        && !text.ends_with([':', '.', ',', ';'])
        && !is_warning(text)
        && line.link_share() < 0.5;
    if !looks_like_heading {
        return None;
    }
    match line.style.font_size - base_font {
        d if d >= 2 => Some(2),
        1 => Some(3),
        _ if line.style.emphasized && !line.style.quote => Some(3),
        _ => None,
    }
}

fn links_of(line: &Line, base: &Url) -> Vec<Link> {
    line.links
        .iter()
        .filter_map(|l| link(base, l, None, resolve_content_link))
        .collect()
}

fn text_block(kind: BlockKind, line: &Line, base: &Url) -> Block {
    let mut block = Block::new(kind, line.text.clone());
    block.links = links_of(line, base);
    block
}

fn list_block(lines: &[Line], depth: u8, base: &Url) -> Block {
    let items: Vec<String> = lines.iter().map(|l| l.text.clone()).collect();
    let mut block = Block::new(BlockKind::List, items.join("\n"));
    block.level = Some(depth);
    block.ordered = lines
        .first()
        .and_then(|l| l.style.list)
        .is_some_and(|l| l.ordered);
    block.links = lines.iter().flat_map(|l| links_of(l, base)).collect();
    block.items = items;
    block
}

fn table_block(cells: &[Line], base: &Url) -> Block {
    let rows = table::rows(cells);
    let header_row = rows.first().is_some_and(|row| row.header);
    let rows: Vec<Vec<String>> = rows.into_iter().map(|row| row.cells).collect();
    let text = rows
        .iter()
        .map(|row| row.join(" | "))
        .collect::<Vec<_>>()
        .join("\n");
    let mut block = Block::new(BlockKind::Table, text);
    block.links = cells.iter().flat_map(|l| links_of(l, base)).collect();
    block.rows = rows;
    block.header_row = header_row;
    block
}

fn image_block(image: &Image) -> Block {
    let mut block = Block::new(BlockKind::Image, image.alt.clone().unwrap_or_default());
    block.src = Some(image.src.clone());
    block.alt = image.alt.clone();
    block
}

/// What stands for an image in text: its alt text, or its file name.
fn image_label(block: &Block) -> &str {
    match (&block.alt, &block.src) {
        (Some(alt), _) => alt,
        (None, Some(src)) => src.rsplit('/').next().unwrap_or(src),
        (None, None) => "",
    }
}
