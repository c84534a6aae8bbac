//! Answering a search: the documents holding every word of the query (the last word also as a
//! prefix, for search-as-you-type), ranked by BM25 over lmsdr's own terms, and snippets with the
//! matched words in `<mark>`.
//!
//! The query never reaches SQL as text: its words are normalized to `[a-z0-9]+` terms first, so
//! `%`, `_`, quotes and FTS operators in it are plain characters that match nothing special.

use std::collections::{HashMap, HashSet};

use html_escape::encode_text;
use lmsdr_entity::sea_orm_active_enums::PageStatus;
use lmsdr_entity::{drugs, pages, search_documents, treatments};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QuerySelect, Statement,
};

use super::DocKind;
use super::terms::{Token, terms, tokens};

/// Most words of a query that count.
pub const MAX_QUERY_TERMS: usize = 8;
/// Most documents ranked for one query.
pub const MAX_CANDIDATES: usize = 5_000;
/// Words around the best match in a snippet.
const SNIPPET_WORDS: usize = 24;
/// BM25's term-frequency saturation and length normalization.
const K1: f64 = 1.2;
const B: f64 = 0.75;
/// Extra weight of a query word found in a document's title.
const TITLE_WEIGHT: f64 = 0.5;
/// Extra weight when every word of the title is matched: the query names the document (a drug's
/// generic name, a page's title).
const EXACT_TITLE_WEIGHT: f64 = 1.0;

/// A parsed query: its terms, the last one perhaps a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    terms: Vec<String>,
    prefix: bool,
}

impl Query {
    /// The query a text asks; `None` when it has no word that can be searched.
    pub fn parse(text: &str) -> Option<Self> {
        let mut seen = HashSet::new();
        let mut words: Vec<String> = terms(text)
            .into_iter()
            .filter(|t| seen.insert(t.clone()))
            .collect();
        words.truncate(MAX_QUERY_TERMS);
        if words.is_empty() {
            return None;
        }
        // The last word is a prefix while it is being typed: the text ends inside it.
        let prefix = text.chars().last().is_some_and(char::is_alphanumeric)
            && tokens(text).last().is_some_and(|t| t.term.is_some());
        Some(Self {
            terms: words,
            prefix,
        })
    }

    fn fts5(&self) -> String {
        let mut out = self
            .terms
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(" ");
        if self.prefix {
            out.push('*');
        }
        out
    }

    fn tsquery(&self) -> String {
        let mut out = self.terms.join(" & ");
        if self.prefix {
            out.push_str(":*");
        }
        out
    }

    /// Whether a document term matches the query's `index`-th term.
    fn matches(&self, index: usize, term: &str) -> bool {
        let wanted = &self.terms[index];
        if self.prefix && index + 1 == self.terms.len() {
            term.starts_with(wanted.as_str())
        } else {
            term == wanted
        }
    }

    fn single(&self, index: usize) -> Self {
        Self {
            terms: vec![self.terms[index].clone()],
            prefix: self.prefix && index + 1 == self.terms.len(),
        }
    }
}

/// A ranked document.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// The search document.
    pub doc_id: i32,
    /// What it stands for.
    pub kind: DocKind,
    /// The page, treatment or drug.
    pub ref_id: i32,
    /// Its BM25 score; higher is better.
    pub score: f64,
}

struct Candidate {
    id: i32,
    kind: DocKind,
    ref_id: i32,
    title: String,
    terms: String,
    term_count: i64,
}

/// Every document matching the query that stands for a page, treatment or drug the site lists
/// now, best first; equal scores in document order.
pub async fn rank(db: &DatabaseConnection, query: &Query) -> Result<Vec<Ranked>, DbErr> {
    let backend = db.get_database_backend();
    let stats = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n, COALESCE(SUM(term_count), 0) AS total FROM search_documents",
        ))
        .await?;
    let (documents, total_terms) = match stats {
        Some(row) => (
            row.try_get::<i64>("", "n")?,
            row.try_get::<i64>("", "total")?,
        ),
        None => (0, 0),
    };
    if documents == 0 {
        return Ok(Vec::new());
    }
    let average_length = total_terms as f64 / documents as f64;
    let mut frequencies = Vec::with_capacity(query.terms.len());
    for index in 0..query.terms.len() {
        frequencies.push(count_matching(db, &query.single(index)).await?);
    }
    let candidates = matching(db, query).await?;
    let listed = listed(db, &candidates).await?;
    let corpus = Corpus {
        documents,
        average_length,
        frequencies,
    };
    let query = query.clone();
    super::cpu::run(move || score(&query, &corpus, candidates, &listed)).await
}

/// What BM25 needs of the whole index: its size, its documents' average length, and how many
/// documents hold each word of the query.
struct Corpus {
    documents: i64,
    average_length: f64,
    frequencies: Vec<i64>,
}

/// The listed candidates, scored, best first; equal scores in document order.
fn score(
    query: &Query,
    corpus: &Corpus,
    candidates: Vec<Candidate>,
    listed: &HashSet<(DocKind, i32)>,
) -> Vec<Ranked> {
    let Corpus {
        documents,
        average_length,
        ref frequencies,
    } = *corpus;
    let mut ranked: Vec<Ranked> = candidates
        .iter()
        .filter(|c| listed.contains(&(c.kind, c.ref_id)))
        .map(|c| {
            let words: Vec<&str> = c.terms.split(' ').collect();
            let title_terms = terms(&c.title);
            let length = c.term_count.max(1) as f64;
            let mut score = 0.0;
            let mut idf_sum = 0.0;
            for (index, &df) in frequencies.iter().enumerate() {
                let idf = ((documents as f64 - df as f64 + 0.5) / (df as f64 + 0.5) + 1.0).ln();
                idf_sum += idf;
                let tf = words.iter().filter(|w| query.matches(index, w)).count() as f64;
                score +=
                    idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * length / average_length));
                if title_terms.iter().any(|t| query.matches(index, t)) {
                    score += TITLE_WEIGHT * idf;
                }
            }
            let names_it = !title_terms.is_empty()
                && title_terms
                    .iter()
                    .all(|t| (0..query.terms.len()).any(|i| query.matches(i, t)));
            if names_it {
                score += EXACT_TITLE_WEIGHT * idf_sum;
            }
            Ranked {
                doc_id: c.id,
                kind: c.kind,
                ref_id: c.ref_id,
                score,
            }
        })
        .collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc_id.cmp(&b.doc_id)));
    ranked
}

/// How many documents match a query.
async fn count_matching(db: &DatabaseConnection, query: &Query) -> Result<i64, DbErr> {
    let statement = match db.get_database_backend() {
        DbBackend::Postgres => Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT COUNT(*) AS n FROM search_documents WHERE to_tsvector('simple', terms) @@ to_tsquery('simple', $1)",
            [query.tsquery().into()],
        ),
        backend => Statement::from_sql_and_values(
            backend,
            "SELECT COUNT(*) AS n FROM search_fts WHERE search_fts MATCH ?",
            [query.fts5().into()],
        ),
    };
    let row = db.query_one_raw(statement).await?;
    row.map_or(Ok(0), |r| r.try_get::<i64>("", "n"))
}

/// The documents holding every word of the query.
async fn matching(db: &DatabaseConnection, query: &Query) -> Result<Vec<Candidate>, DbErr> {
    let limit = MAX_CANDIDATES as i64;
    let statement = match db.get_database_backend() {
        DbBackend::Postgres => Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT id, kind, ref_id, title, terms, term_count FROM search_documents \
             WHERE to_tsvector('simple', terms) @@ to_tsquery('simple', $1) ORDER BY id LIMIT $2",
            [query.tsquery().into(), limit.into()],
        ),
        backend => Statement::from_sql_and_values(
            backend,
            "SELECT d.id, d.kind, d.ref_id, d.title, d.terms, d.term_count FROM search_fts \
             JOIN search_documents d ON d.id = search_fts.rowid \
             WHERE search_fts MATCH ? ORDER BY d.id LIMIT ?",
            [query.fts5().into(), limit.into()],
        ),
    };
    let rows = db.query_all_raw(statement).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: String = row.try_get("", "kind")?;
        let Some(kind) = DocKind::parse(&kind) else {
            continue;
        };
        out.push(Candidate {
            id: row.try_get("", "id")?,
            kind,
            ref_id: row.try_get("", "ref_id")?,
            title: row.try_get("", "title")?,
            terms: row.try_get("", "terms")?,
            term_count: i64::from(row.try_get::<i32>("", "term_count")?),
        });
    }
    Ok(out)
}

/// The candidates that stand for a page, treatment or drug the site lists now.
async fn listed(
    db: &DatabaseConnection,
    candidates: &[Candidate],
) -> Result<HashSet<(DocKind, i32)>, DbErr> {
    let ids = |kind: DocKind| -> Vec<i32> {
        candidates
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| c.ref_id)
            .collect()
    };
    let mut listed = HashSet::new();
    let page_ids = ids(DocKind::Page);
    let found = listed_ids::<pages::Entity>(db, &page_ids, pages::Column::Id, || {
        pages::Column::Status.eq(PageStatus::Active)
    })
    .await?;
    listed.extend(found.into_iter().map(|id| (DocKind::Page, id)));
    let treatment_ids = ids(DocKind::Treatment);
    let found =
        listed_ids::<treatments::Entity>(db, &treatment_ids, treatments::Column::Id, || {
            treatments::Column::DelistedAt.is_null()
        })
        .await?;
    listed.extend(found.into_iter().map(|id| (DocKind::Treatment, id)));
    let drug_ids = ids(DocKind::Drug);
    let found = listed_ids::<drugs::Entity>(db, &drug_ids, drugs::Column::Id, || {
        drugs::Column::DelistedAt.is_null()
    })
    .await?;
    listed.extend(found.into_iter().map(|id| (DocKind::Drug, id)));
    Ok(listed)
}

/// Which of the IDs name rows of `E` that meet the condition, 500 IDs a query.
async fn listed_ids<E: EntityTrait>(
    db: &DatabaseConnection,
    ids: &[i32],
    id: E::Column,
    condition: impl Fn() -> sea_orm::sea_query::SimpleExpr,
) -> Result<Vec<i32>, DbErr> {
    let mut found = Vec::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<i32> = E::find()
            .select_only()
            .column(id)
            .filter(id.is_in(chunk.iter().copied()))
            .filter(condition())
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// Snippets for the given documents: the stretch of each document's text with the most matched
/// words, HTML-escaped, the matched words in `<mark>`.
pub async fn snippets<C: ConnectionTrait>(
    db: &C,
    doc_ids: &[i32],
    query: &Query,
) -> Result<HashMap<i32, String>, DbErr> {
    let rows: Vec<(i32, String, String)> = search_documents::Entity::find()
        .select_only()
        .columns([
            search_documents::Column::Id,
            search_documents::Column::Title,
            search_documents::Column::Body,
        ])
        .filter(search_documents::Column::Id.is_in(doc_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let query = query.clone();
    super::cpu::run(move || marked(rows, &query)).await
}

/// Each document's snippet, from its ID, title and text.
fn marked(rows: Vec<(i32, String, String)>, query: &Query) -> HashMap<i32, String> {
    rows.into_iter()
        .map(|(id, title, body)| {
            // Each text is read into words once.
            let words = tokens(&body);
            let snippet = highlight(&body, &words, query).unwrap_or_else(|| {
                let title = highlight(&title, &tokens(&title), query)
                    .unwrap_or_else(|| encode_text(&title).into_owned());
                let body = highlight_window(&body, &words, query, 0);
                if body.is_empty() {
                    title
                } else {
                    format!("{title} — {body}")
                }
            });
            (id, snippet)
        })
        .collect()
}

/// The best stretch of a text, or `None` when no word of it matches.
fn highlight(text: &str, tokens: &[Token], query: &Query) -> Option<String> {
    let hits: Vec<bool> = tokens
        .iter()
        .map(|t| {
            t.term
                .as_deref()
                .is_some_and(|term| (0..query.terms.len()).any(|i| query.matches(i, term)))
        })
        .collect();
    if !hits.contains(&true) {
        return None;
    }
    let window = SNIPPET_WORDS.min(tokens.len());
    let mut count = hits[..window].iter().filter(|h| **h).count();
    let (mut best_count, mut best_start) = (count, 0);
    for start in 1..=tokens.len() - window {
        count = count + usize::from(hits[start + window - 1]) - usize::from(hits[start - 1]);
        if count > best_count {
            best_count = count;
            best_start = start;
        }
    }
    // Start a little before the window's first match, for context.
    let first_hit = (best_start..best_start + window)
        .find(|&i| hits[i])
        .unwrap_or(best_start);
    let start = first_hit.saturating_sub(4);
    Some(highlight_window(text, tokens, query, start))
}

/// `SNIPPET_WORDS` words of a text from word `start`, escaped, matches marked, with ellipses
/// where the text goes on.
fn highlight_window(text: &str, tokens: &[Token], query: &Query, start: usize) -> String {
    if tokens.is_empty() {
        return String::new();
    }
    let start = start.min(tokens.len() - 1);
    let end = (start + SNIPPET_WORDS).min(tokens.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut at = tokens[start].start;
    for token in &tokens[start..end] {
        let matched = token
            .term
            .as_deref()
            .is_some_and(|term| (0..query.terms.len()).any(|i| query.matches(i, term)));
        if token.start < at {
            continue;
        }
        out.push_str(&encode_text(&text[at..token.start]));
        let word = encode_text(&text[token.start..token.end]);
        if matched {
            out.push_str("<mark>");
            out.push_str(&word);
            out.push_str("</mark>");
        } else {
            out.push_str(&word);
        }
        at = token.end;
    }
    if end < tokens.len() {
        out.push('…');
    } else {
        out.push_str(&encode_text(&text[at..]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_terms_never_syntax() {
        let q = Query::parse("100% \"doxo_rubicin\" OR NEAR( 'x* -y").expect("terms");
        assert_eq!(
            q.fts5(),
            "\"100\" \"doxo\" \"rubicin\" \"near\" \"x\" \"y\"*"
        );
        assert_eq!(q.tsquery(), "100 & doxo & rubicin & near & x & y:*");
        assert!(Query::parse("%_ \"' the of").is_none());
        let q = Query::parse("chemotherapy ").expect("terms");
        assert_eq!(q.fts5(), "\"chemotherapi\"");
    }

    #[test]
    fn snippets_mark_the_matched_words() {
        let q = Query::parse("treatments").expect("terms");
        let text = "Below is a listing of some approved Leiomyosarcoma treatments & more.";
        assert_eq!(
            highlight(text, &tokens(text), &q).as_deref(),
            Some("…of some approved Leiomyosarcoma <mark>treatments</mark> &amp; more.")
        );
        assert_eq!(highlight("nothing here", &tokens("nothing here"), &q), None);
    }
}
