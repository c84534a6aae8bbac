//! Full-text search over pages, treatments and drugs (every name they go by): ranked, each hit
//! with a snippet that highlights the words matched, the same order on SQLite and PostgreSQL.

use std::collections::HashMap;

use async_graphql::{Context, Object, SimpleObject, Union};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lmsdr_ingest::search::DocKind;
use lmsdr_ingest::search::query::{self, Query, Ranked};

use super::context::{db, load_ordered, loaders};
use super::drug::Drug;
use super::error::{Result, bad_input, internal};
use super::limits;
use super::page::Page;
use super::pagination::{Args, PageInfo};
use super::treatment::Treatment;

/// A search hit.
#[derive(Debug, Clone, Union)]
pub enum SearchResult {
    /// A treatment whose name or category matches.
    Treatment(Treatment),
    /// A drug one of whose names or class matches.
    Drug(Drug),
    /// A page whose title or content matches.
    Page(Page),
}

/// One search hit with where it stands, why it matched and how well.
#[derive(Debug, Clone, SimpleObject)]
pub struct SearchEdge {
    /// The page, treatment or drug.
    pub node: SearchResult,
    /// Where the hit stands; pass it as `after` for the next page.
    pub cursor: String,
    /// The stretch of its text with the most matched words, HTML-escaped, each matched word in
    /// `<mark>`.
    pub snippet: String,
    /// How well it matches (BM25); higher is better.
    pub score: f64,
}

/// A page of search hits, best first.
#[derive(Debug, Clone, SimpleObject)]
pub struct SearchConnection {
    /// Where this page stands in the whole list.
    pub page_info: PageInfo,
    /// The hits with their cursors, snippets and scores.
    pub edges: Vec<SearchEdge>,
    /// How many hits the whole list holds.
    pub total_count: i64,
}

/// The longest search text accepted.
const MAX_QUERY_CHARS: usize = 200;

fn encode_cursor(hit: &Ranked) -> String {
    URL_SAFE_NO_PAD.encode(format!("search:{:x}:{}", hit.score.to_bits(), hit.doc_id))
}

fn decode_cursor(cursor: &str) -> Option<(f64, i32)> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let (bits, doc) = raw.strip_prefix("search:")?.split_once(':')?;
    Some((
        f64::from_bits(u64::from_str_radix(bits, 16).ok()?),
        doc.parse().ok()?,
    ))
}

/// Search queries.
#[derive(Debug, Default)]
pub struct SearchQuery;

/// Search queries.
#[Object]
impl SearchQuery {
    /// Pages, treatments and drugs matching every word of a text (the last word also as the start
    /// of a longer one), best first. Words are matched by their stem, case and accents aside;
    /// `%`, `_`, quotes and search operators are plain characters.
    #[graphql(complexity = "limits::SEARCH + limits::page_cost(first, None, child_complexity)")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The words to look for, e.g. \"doxorubicin\" or \"radiation therapy\".")]
        query: String,
        #[graphql(desc = "How many hits to return (at most 100, 20 when not given).")]
        first: Option<i32>,
        #[graphql(desc = "Return the hits after this cursor.")] after: Option<String>,
    ) -> Result<SearchConnection> {
        let text = query.trim();
        if text.is_empty() {
            return Err(bad_input("`query` must not be empty"));
        }
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(bad_input(format!(
                "`query` is longer than {MAX_QUERY_CHARS} characters"
            )));
        }
        let window = Args::forward(first, after).window(decode_cursor)?;
        let Some(parsed) = Query::parse(text) else {
            return Ok(SearchConnection {
                page_info: PageInfo {
                    has_next_page: false,
                    has_previous_page: false,
                    start_cursor: None,
                    end_cursor: None,
                },
                edges: Vec::new(),
                total_count: 0,
            });
        };
        let db = db(ctx)?;
        let ranked = query::rank(db, &parsed).await.map_err(internal)?;
        let start = match window.after {
            None => 0,
            Some((score, doc)) => ranked
                .iter()
                .position(|h| h.score < score || (h.score == score && h.doc_id > doc))
                .unwrap_or(ranked.len()),
        };
        let end = (start + window.limit).min(ranked.len());
        let hits = &ranked[start..end];
        let ids: Vec<i32> = hits.iter().map(|h| h.doc_id).collect();
        let snippets = query::snippets(db, &ids, &parsed).await.map_err(internal)?;
        let mut nodes = load_nodes(ctx, hits).await?;
        let edges = hits
            .iter()
            .filter_map(|hit| {
                Some(SearchEdge {
                    node: nodes.remove(&(hit.kind, hit.ref_id))?,
                    cursor: encode_cursor(hit),
                    snippet: snippets.get(&hit.doc_id).cloned().unwrap_or_default(),
                    score: hit.score,
                })
            })
            .collect::<Vec<_>>();
        Ok(SearchConnection {
            page_info: PageInfo {
                has_next_page: end < ranked.len(),
                has_previous_page: start > 0,
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            edges,
            total_count: ranked.len() as i64,
        })
    }
}

/// The pages, treatments and drugs the hits stand for, through the loaders.
async fn load_nodes(
    ctx: &Context<'_>,
    hits: &[Ranked],
) -> Result<HashMap<(DocKind, i32), SearchResult>> {
    let loaders = loaders(ctx)?;
    let ids = |kind: DocKind| -> Vec<i32> {
        hits.iter()
            .filter(|h| h.kind == kind)
            .map(|h| h.ref_id)
            .collect()
    };
    let mut nodes = HashMap::new();
    for page in load_ordered(&loaders.page, ids(DocKind::Page)).await? {
        nodes.insert((DocKind::Page, page.id), SearchResult::Page(Page(page)));
    }
    for treatment in load_ordered(&loaders.treatment, ids(DocKind::Treatment)).await? {
        nodes.insert(
            (DocKind::Treatment, treatment.id),
            SearchResult::Treatment(Treatment(treatment, None)),
        );
    }
    for drug in load_ordered(&loaders.drug, ids(DocKind::Drug)).await? {
        nodes.insert(
            (DocKind::Drug, drug.id),
            SearchResult::Drug(Drug::now(drug)),
        );
    }
    Ok(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_exactly() {
        let hit = Ranked {
            doc_id: 7,
            kind: DocKind::Drug,
            ref_id: 3,
            score: 1.0 / 3.0,
        };
        assert_eq!(decode_cursor(&encode_cursor(&hit)), Some((1.0 / 3.0, 7)));
        assert_eq!(decode_cursor("garbage"), None);
    }
}
