//! A page's main content for frontends: normalized text, sanitized HTML, and ordered blocks that
//! render without parsing HTML. Read from what was stored with each revision; a revision stored
//! before content was kept is read again from its raw bytes, through the one ingestion path.

use async_graphql::{Context, Enum, Object, SimpleObject};
use lmsdr_ingest::extract::{Block, BlockKind as StoredKind, Content};
use lmsdr_ingest::pipeline;

use super::budget;
use super::context::{db, load_one, loaders};
use super::error::{Result, internal};
use super::limits;
use super::loaders::RevisionReading;

/// What a block of content is.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "StoredKind")]
pub enum BlockKind {
    /// A heading; `level` is 1–6.
    Heading,
    /// A paragraph.
    Paragraph,
    /// A list; `items` holds its items, `ordered` says whether it is numbered.
    List,
    /// A quotation.
    Quote,
    /// An image; `src` and `alt`.
    Image,
    /// A data table; `rows`, the first one a header when `headerRow` is true.
    Table,
}

/// A link inside a block of content.
#[derive(Debug, Clone, SimpleObject)]
pub struct ContentLink {
    /// Its text as shown.
    pub text: String,
    /// Its absolute URL.
    pub url: String,
    /// Whether it leads off the foundation's site.
    pub external: bool,
}

/// A page's main content: plain text, sanitized HTML and blocks, the same content three ways.
#[derive(Debug, Clone)]
pub struct PageContent {
    text: String,
    content: Content,
}

/// A page's main content: plain text, sanitized HTML and blocks, the same content three ways.
#[Object]
impl PageContent {
    /// The content as plain text, one line per heading, paragraph, list item ("• "), table row.
    #[graphql(complexity = "limits::BIG_FIELD")]
    async fn text(&self, ctx: &Context<'_>) -> Result<&str> {
        budget::charge(ctx, self.text.len())?;
        Ok(&self.text)
    }
    /// The content as HTML, sanitized: only headings, paragraphs, lists, quotations, figures,
    /// data tables and links with absolute URLs; no scripts, styles, `<font>` or event handlers.
    #[graphql(complexity = "limits::BIG_FIELD")]
    async fn html(&self, ctx: &Context<'_>) -> Result<String> {
        let html = self.content.html();
        budget::charge(ctx, html.len())?;
        Ok(html)
    }
    /// The content as ordered blocks.
    #[graphql(complexity = "limits::BIG_FIELD + limits::list_cost(child_complexity)")]
    async fn blocks(&self, ctx: &Context<'_>) -> Result<Vec<ContentBlock>> {
        budget::charge(ctx, self.content.blocks.iter().map(block_bytes).sum())?;
        Ok(self
            .content
            .blocks
            .iter()
            .cloned()
            .map(ContentBlock)
            .collect())
    }
}

/// About the bytes a block answers with: its texts, items, cells and links.
fn block_bytes(block: &Block) -> usize {
    let texts = [&block.text]
        .into_iter()
        .chain(&block.items)
        .chain(block.rows.iter().flatten())
        .chain(block.src.as_ref())
        .chain(block.alt.as_ref());
    let links = block.links.iter().map(|l| l.text.len() + l.url.len());
    texts.map(String::len).sum::<usize>() + links.sum::<usize>()
}

impl PageContent {
    /// The images among the blocks.
    pub fn images(&self) -> impl Iterator<Item = &Block> {
        self.content
            .blocks
            .iter()
            .filter(|b| b.kind == StoredKind::Image && b.src.is_some())
    }
}

/// One block of a page's content.
#[derive(Debug, Clone)]
pub struct ContentBlock(Block);

/// One block of a page's content: a heading, paragraph, list, quotation, image or table.
#[Object]
impl ContentBlock {
    /// What it is.
    async fn kind(&self) -> BlockKind {
        self.0.kind.into()
    }
    /// Its plain text (a list's items and a table's rows one a line; an image's alt text).
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// A heading's level (1–6), or a list's nesting depth (from 1).
    async fn level(&self) -> Option<i32> {
        self.0.level.map(i32::from)
    }
    /// A list's items.
    async fn items(&self) -> &[String] {
        &self.0.items
    }
    /// Whether a list is numbered.
    async fn ordered(&self) -> bool {
        self.0.ordered
    }
    /// The links in the block, in order.
    #[graphql(complexity = "limits::list_cost(child_complexity)")]
    async fn links(&self) -> Vec<ContentLink> {
        self.0
            .links
            .iter()
            .map(|l| ContentLink {
                text: l.text.clone(),
                url: l.url.clone(),
                external: l.external,
            })
            .collect()
    }
    /// An image's absolute URL.
    async fn src(&self) -> Option<&str> {
        self.0.src.as_deref()
    }
    /// An image's alternative text.
    async fn alt(&self) -> Option<&str> {
        self.0.alt.as_deref()
    }
    /// A table's rows of cells.
    async fn rows(&self) -> &[Vec<String>] {
        &self.0.rows
    }
    /// Whether a table's first row is its header.
    async fn header_row(&self) -> bool {
        self.0.header_row
    }
}

/// How a revision was read.
pub async fn reading(ctx: &Context<'_>, revision_id: i32) -> Result<Option<RevisionReading>> {
    load_one(&loaders(ctx)?.reading, revision_id).await
}

/// A revision's content, as stored, or read again from its raw bytes when it was stored before
/// content was kept.
pub async fn of_revision(ctx: &Context<'_>, revision_id: i32) -> Result<Option<PageContent>> {
    let Some(reading) = reading(ctx, revision_id).await? else {
        return Ok(None);
    };
    if let Some(blocks) = reading.content_blocks {
        let blocks: Vec<Block> = serde_json::from_value(blocks).map_err(internal)?;
        return Ok(Some(PageContent {
            text: reading.normalized_text,
            content: Content { blocks },
        }));
    }
    read_again(ctx, revision_id).await
}

async fn read_again(ctx: &Context<'_>, revision_id: i32) -> Result<Option<PageContent>> {
    let Some(input) = pipeline::stored_input(db(ctx)?, revision_id)
        .await
        .map_err(internal)?
    else {
        return Ok(None);
    };
    let read = pipeline::read(input).await.map_err(internal)?;
    Ok(Some(PageContent {
        text: read.document.main_text,
        content: read.document.content,
    }))
}
