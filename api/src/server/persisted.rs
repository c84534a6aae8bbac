//! Automatic persisted queries, Apollo's APQ protocol: a client sends a query's SHA-256 alone;
//! the first time, lmsdr answers `PersistedQueryNotFound`, the client sends the hash with the
//! query, and from then on the hash alone runs it — over GET too, so that a CDN can cache it.
//!
//! The protocol is handled before anything else looks at a request (async-graphql's own
//! extension resolves the hash only inside execution, where neither the GET-mutation refusal nor
//! the response cache could see what the query is): a known hash is replaced by its query's
//! text, so every rule that follows applies to a persisted query as to one sent whole.

use std::sync::Arc;

use async_graphql::Request;
use moka::sync::Cache;
use sha2::{Digest, Sha256};

use crate::graphql::code;

/// The extension a client names a persisted query in.
const EXTENSION: &str = "persistedQuery";

/// Why a request naming a persisted query is refused.
#[derive(Debug)]
pub struct Refusal {
    /// The error code.
    pub code: &'static str,
    /// The message, as Apollo's clients expect it.
    pub message: String,
}

/// The queries clients have persisted, by SHA-256, bounded in bytes.
#[derive(Clone)]
pub struct PersistedQueries {
    queries: Cache<String, Arc<str>>,
}

impl PersistedQueries {
    /// A store holding at most `max_bytes` of query text.
    pub fn new(max_bytes: u64) -> Self {
        let queries = Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|hash: &String, query: &Arc<str>| {
                u32::try_from(hash.len() + query.len() + 64).unwrap_or(u32::MAX)
            })
            .build();
        Self { queries }
    }

    /// Gives a request that names a persisted query the query's text, and persists the query
    /// of a request that sends both; leaves any other request as it is.
    pub fn resolve(&self, request: &mut Request) -> Result<(), Refusal> {
        let Some(named) = request.extensions.get(EXTENSION) else {
            return Ok(());
        };
        let refused = |message: &str| Refusal {
            code: code::BAD_REQUEST,
            message: message.to_owned(),
        };
        let named = named
            .clone()
            .into_json()
            .map_err(|_| refused("the persistedQuery extension is not JSON"))?;
        if named["version"] != 1 {
            return Err(refused(
                "only version 1 of the persistedQuery extension is supported",
            ));
        }
        let Some(hash) = named["sha256Hash"].as_str().map(str::to_ascii_lowercase) else {
            return Err(refused("the persistedQuery extension has no sha256Hash"));
        };
        if request.query.trim().is_empty() {
            let Some(query) = self.queries.get(&hash) else {
                return Err(Refusal {
                    code: code::PERSISTED_QUERY_NOT_FOUND,
                    message: "PersistedQueryNotFound".to_owned(),
                });
            };
            request.query = query.to_string();
            return Ok(());
        }
        let actual = hex::encode(Sha256::digest(request.query.as_bytes()));
        if actual != hash {
            return Err(refused("provided sha does not match query"));
        }
        self.queries.insert(hash, Arc::from(request.query.as_str()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::Value;

    fn named(hash: &str, query: &str) -> Request {
        let mut request = Request::new(query);
        request.extensions.insert(
            EXTENSION.to_owned(),
            Value::from_json(serde_json::json!({ "version": 1, "sha256Hash": hash }))
                .expect("a value"),
        );
        request
    }

    #[test]
    fn a_hash_runs_its_query_once_the_query_was_sent_with_it() {
        let store = PersistedQueries::new(1 << 20);
        let query = "{ drugs { totalCount } }";
        let hash = hex::encode(Sha256::digest(query.as_bytes()));
        let unknown = store.resolve(&mut named(&hash, "")).expect_err("unknown");
        assert_eq!(unknown.message, "PersistedQueryNotFound");
        let wrong = store
            .resolve(&mut named(&"0".repeat(64), query))
            .expect_err("refused");
        assert_eq!(wrong.message, "provided sha does not match query");
        store.resolve(&mut named(&hash, query)).expect("persisted");
        let mut by_hash = named(&hash, "");
        store.resolve(&mut by_hash).expect("found");
        assert_eq!(by_hash.query, query);
        let mut plain = Request::new("{ site { name } }");
        store.resolve(&mut plain).expect("untouched");
    }
}
