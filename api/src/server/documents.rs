//! Parsed documents kept by their text, so that a query asked again after a commit (when its
//! answer must be computed anew) is not parsed again. Bounded by an estimate of the bytes a
//! document holds.

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerResult};
use moka::sync::Cache;

use crate::graphql::{check_document, check_variables};

/// Parsed documents by query text.
#[derive(Clone)]
pub struct Documents {
    parsed: Cache<String, ExecutableDocument>,
}

impl Documents {
    /// A store of at most about `max_bytes`.
    pub fn new(max_bytes: u64) -> Self {
        let parsed = Cache::builder()
            .max_capacity(max_bytes)
            // A parsed document holds several times its text: positions, names, nested nodes.
            .weigher(|query: &String, _: &ExecutableDocument| {
                u32::try_from(query.len() * 8 + 256).unwrap_or(u32::MAX)
            })
            .build();
        Self { parsed }
    }

    /// Gives the request its parsed document, parsing (and keeping) it the first time, and
    /// checks it against the limits async-graphql has no setting for: a document the first time
    /// ([`check_document`]; only one within them is kept), the variables every time
    /// ([`check_variables`]). A query that does not parse is left for execution to refuse.
    pub fn prepare(&self, request: &mut Request) -> ServerResult<()> {
        if let Some(document) = self.parsed.get(&request.query) {
            check_variables(&request.variables)?;
            request.set_parsed_query(document);
        } else if let Ok(document) = request.parsed_query() {
            let document = document.clone();
            check_document(&document, &request.variables)?;
            self.parsed.insert(request.query.clone(), document);
        }
        Ok(())
    }
}
