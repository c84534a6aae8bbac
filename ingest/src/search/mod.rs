//! Full-text search over pages, treatments and drugs: documents written beside the facts in the
//! same transaction ([`index`]), matched by SQLite FTS5 or a PostgreSQL GIN index, ranked by
//! BM25 computed by lmsdr itself ([`query`]) so that both databases give the same results in the
//! same order, with a snippet that highlights the words matched.

mod cpu;
pub mod index;
pub mod query;
pub mod terms;

/// What a search document stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocKind {
    /// A stored page: its title and content.
    Page,
    /// A listed treatment: its name and category.
    Treatment,
    /// A drug: every name it goes by and its class.
    Drug,
}

impl DocKind {
    /// The value stored in `search_documents.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Page => "page",
            DocKind::Treatment => "treatment",
            DocKind::Drug => "drug",
        }
    }

    /// The kind a stored value names.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "page" => Some(DocKind::Page),
            "treatment" => Some(DocKind::Treatment),
            "drug" => Some(DocKind::Drug),
            _ => None,
        }
    }
}
