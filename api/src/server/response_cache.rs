//! The response cache: a query's answer kept, by the content generation it was computed at,
//! the query's text, its operation name and its variables, and served again while the
//! generation stands. Bounded by bytes (the keys and answers held), least recently used first
//! out.
//!
//! Only a query's answer without errors is kept, and only for a request that carries no
//! `Authorization` header, so nothing that depends on who asks is served to anyone else.
//! Mutations and subscriptions are never kept. A commit anywhere moves the generation, so an
//! answer from before it is never found again (it ages out of the cache).

use bytes::Bytes;
use moka::notification::RemovalCause;
use moka::sync::Cache;
use sha2::{Digest, Sha256};

/// What an answer is kept under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The content generation the answer was computed at.
    pub generation: i64,
    /// The query's text, as sent.
    pub query: String,
    /// The operation it names, if any.
    pub operation: Option<String>,
    /// Its variables, as JSON.
    pub variables: String,
}

impl Key {
    /// The HTTP `ETag` of the answer it names: the generation and a digest of the request.
    pub fn etag(&self) -> String {
        let mut digest = Sha256::new();
        for part in [
            self.query.as_str(),
            self.operation.as_deref().unwrap_or_default(),
            self.variables.as_str(),
        ] {
            digest.update(part.len().to_le_bytes());
            digest.update(part.as_bytes());
        }
        format!(
            "\"{}-{}\"",
            self.generation,
            hex::encode(&digest.finalize()[..12])
        )
    }

    /// Bytes the key holds, counted against the cache's size with its answer.
    fn weight(&self) -> usize {
        self.query.len() + self.variables.len() + self.operation.as_ref().map_or(0, String::len)
    }
}

/// Answers kept by [`Key`].
#[derive(Clone)]
pub struct ResponseCache {
    entries: Cache<Key, Bytes>,
}

impl ResponseCache {
    /// A cache holding at most `max_bytes` of keys and answers.
    pub fn new(max_bytes: u64) -> Self {
        let entries = Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|key: &Key, answer: &Bytes| {
                // Each entry's bookkeeping counts too, so that tiny answers stay bounded.
                u32::try_from(key.weight() + answer.len() + 128).unwrap_or(u32::MAX)
            })
            .eviction_listener(|_, _, cause| {
                if matches!(cause, RemovalCause::Size) {
                    crate::metrics::cache_eviction();
                }
            })
            .build();
        Self { entries }
    }

    /// The answer kept for a key, if any.
    pub fn get(&self, key: &Key) -> Option<Bytes> {
        let found = self.entries.get(key);
        crate::metrics::cache_lookup(found.is_some());
        found
    }

    /// Keeps an answer.
    pub fn insert(&self, key: Key, answer: Bytes) {
        self.entries.insert(key, answer);
        crate::metrics::cache_bytes(self.entries.weighted_size());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(generation: i64, variables: &str) -> Key {
        Key {
            generation,
            query: "query($slug: String!) { drug(slug: $slug) { name } }".to_owned(),
            operation: None,
            variables: variables.to_owned(),
        }
    }

    #[test]
    fn an_answer_is_found_only_under_its_own_generation_and_variables() {
        let cache = ResponseCache::new(1 << 20);
        cache.insert(key(1, r#"{"slug":"a"}"#), Bytes::from_static(b"A"));
        assert_eq!(
            cache.get(&key(1, r#"{"slug":"a"}"#)).as_deref(),
            Some(&b"A"[..])
        );
        assert_eq!(cache.get(&key(1, r#"{"slug":"b"}"#)), None);
        assert_eq!(cache.get(&key(2, r#"{"slug":"a"}"#)), None);
    }

    #[test]
    fn the_cache_holds_no_more_bytes_than_it_is_given() {
        let cache = ResponseCache::new(64 * 1024);
        for i in 0..1000 {
            cache.insert(key(i, "{}"), Bytes::from(vec![b'x'; 1024]));
        }
        cache.entries.run_pending_tasks();
        assert!(
            cache.entries.weighted_size() <= 64 * 1024,
            "{}",
            cache.entries.weighted_size()
        );
    }
}
