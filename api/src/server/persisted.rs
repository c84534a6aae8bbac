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
use async_graphql::parser::types::Selection;
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
    /// `--persisted-only`: anonymous callers run only queries already persisted (and
    /// introspection, for the Playground's schema); only an admin persists new ones.
    only: bool,
}

impl PersistedQueries {
    /// A store holding at most `max_bytes` of query text; with `only`, an allow-list.
    pub fn new(max_bytes: u64, only: bool) -> Self {
        let queries = Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|hash: &String, query: &Arc<str>| {
                u32::try_from(hash.len() + query.len() + 64).unwrap_or(u32::MAX)
            })
            .build();
        Self { queries, only }
    }

    /// Gives a request that names a persisted query the query's text, and persists the query
    /// of a request that sends both; leaves any other request as it is, unless this is an
    /// allow-list and an anonymous caller sends a query not on it.
    pub fn resolve(&self, request: &mut Request, admin: bool) -> Result<(), Refusal> {
        let allow_list = self.only && !admin;
        let Some(named) = request.extensions.get(EXTENSION) else {
            if allow_list && !self.listed(&request.query) && !introspection_only(&request.query) {
                return Err(not_in_list());
            }
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
        if allow_list && !self.queries.contains_key(&hash) {
            return Err(not_in_list());
        }
        self.queries.insert(hash, Arc::from(request.query.as_str()));
        Ok(())
    }

    /// Whether a query's text is persisted.
    fn listed(&self, query: &str) -> bool {
        self.queries
            .contains_key(&hex::encode(Sha256::digest(query.as_bytes())))
    }
}

/// The refusal of a query an allow-list does not hold.
fn not_in_list() -> Refusal {
    Refusal {
        code: code::PERSISTED_QUERY_NOT_IN_LIST,
        message: "PersistedQueryNotInList: this server runs only persisted queries; an admin \
                  persists new ones"
            .to_owned(),
    }
}

/// Whether every operation of a query asks only for introspection (`__schema`, `__type`,
/// `__typename`), which the Playground needs to show the schema.
fn introspection_only(query: &str) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    document.operations.iter().all(|(_, operation)| {
        operation
            .node
            .selection_set
            .node
            .items
            .iter()
            .all(|item| match &item.node {
                Selection::Field(field) => field.node.name.node.starts_with("__"),
                _ => false,
            })
    })
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
        let store = PersistedQueries::new(1 << 20, false);
        let query = "{ drugs { totalCount } }";
        let hash = hex::encode(Sha256::digest(query.as_bytes()));
        let unknown = store
            .resolve(&mut named(&hash, ""), false)
            .expect_err("unknown");
        assert_eq!(unknown.message, "PersistedQueryNotFound");
        let wrong = store
            .resolve(&mut named(&"0".repeat(64), query), false)
            .expect_err("refused");
        assert_eq!(wrong.message, "provided sha does not match query");
        store
            .resolve(&mut named(&hash, query), false)
            .expect("persisted");
        let mut by_hash = named(&hash, "");
        store.resolve(&mut by_hash, false).expect("found");
        assert_eq!(by_hash.query, query);
        let mut plain = Request::new("{ site { name } }");
        store.resolve(&mut plain, false).expect("untouched");
    }

    #[test]
    fn an_allow_list_runs_only_what_an_admin_persisted_and_introspection() {
        let store = PersistedQueries::new(1 << 20, true);
        let query = "{ drugs { totalCount } }";
        let hash = hex::encode(Sha256::digest(query.as_bytes()));
        let refused = store
            .resolve(&mut named(&hash, query), false)
            .expect_err("anonymous callers persist nothing");
        assert_eq!(refused.code, code::PERSISTED_QUERY_NOT_IN_LIST);
        store
            .resolve(&mut Request::new(query), false)
            .expect_err("nor run what is not listed");
        store
            .resolve(&mut named(&hash, query), true)
            .expect("an admin persists it");
        store
            .resolve(&mut named(&hash, ""), false)
            .expect("then its hash runs");
        store
            .resolve(&mut Request::new(query), false)
            .expect("and so does its text");
        store
            .resolve(
                &mut Request::new("{ __schema { queryType { name } } }"),
                false,
            )
            .expect("introspection runs");
        store
            .resolve(
                &mut Request::new("{ __typename drugs { totalCount } }"),
                false,
            )
            .expect_err("introspection with more is a query");
    }
}
