//! One operation answered: from the response cache, or run within the request's budget and
//! written as the GraphQL over HTTP spec says (no `data` for a request that never ran).

use std::collections::BTreeMap;

use async_graphql::parser::types::OperationType;
use async_graphql::{Response as GraphQLResponse, ServerError, Value};
use axum::body::Bytes;

use super::AppState;
use super::response_cache::Key;
use crate::graphql::{
    AdminAccess, AppSchema, Loaders, RequestBudget, clean_errors, code, too_large,
};

/// Whether the operation the request runs is a mutation.
pub(super) fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let wanted = request.operation_name.as_deref();
    document.operations.iter().any(|(name, operation)| {
        operation.node.ty == OperationType::Mutation
            && (wanted.is_none() || name.map(|n| n.as_str()) == wanted)
    })
}

/// One operation's answer, as written.
pub(super) struct Answer {
    /// The response, serialized.
    pub(super) json: Bytes,
    /// Whether it failed before it ran (it did not parse or validate).
    pub(super) never_ran: bool,
    /// Whether it holds no error.
    pub(super) clean: bool,
}

/// Runs one operation on `schema` within the request's budget, or finds its answer in the
/// response cache: an anonymous query's answer without errors is kept under `key`, made with the
/// content generation read for this request. An operation beyond the document limits is refused
/// before it runs.
pub(super) async fn answer(
    state: &AppState,
    schema: &AppSchema,
    request: async_graphql::Request,
    access: AdminAccess,
    key: Option<Key>,
    budget: &RequestBudget,
) -> Answer {
    let started = std::time::Instant::now();
    let operation = request.operation_name.clone();
    if let (Some(cache), Some(key)) = (&state.cache, &key)
        && let Some(json) = cache.get(key)
    {
        crate::metrics::record_operation(operation.as_deref(), started.elapsed(), &[]);
        if !budget.spend_bytes(json.len()) {
            return error_answer(code::RESPONSE_TOO_LARGE, &too_large().message);
        }
        return Answer {
            json,
            never_ran: false,
            clean: true,
        };
    }
    let query = request.query.clone();
    let keep = key.filter(|_| !is_mutation(&request));
    let mut request = request
        .data(Loaders::new(&state.db, access.audience()))
        .data(access)
        .data(budget.clone());
    let mut response = match state.documents.prepare(&mut request) {
        Ok(()) => {
            // Closed only at shutdown, when nothing is waiting.
            let _turn = state.executions.acquire().await.ok();
            schema.execute(request).await
        }
        Err(refused) => GraphQLResponse::from_errors(vec![refused]),
    };
    clean_errors(&mut response, &query);
    let codes: Vec<String> = response
        .errors
        .iter()
        .filter_map(|e| e.extensions.as_ref()?.get("code")?.clone().into_json().ok())
        .filter_map(|code| code.as_str().map(str::to_owned))
        .collect();
    crate::metrics::record_operation(operation.as_deref(), started.elapsed(), &codes);
    let written = Written::from(&response);
    let never_ran = written.data.is_none();
    let json = match serde_json::to_vec(&written) {
        Ok(json) => Bytes::from(json),
        Err(err) => {
            tracing::error!(error = %err, "cannot serialize a GraphQL response");
            return error_answer(code::INTERNAL, "internal server error");
        }
    };
    let clean = response.errors.is_empty();
    if let (Some(cache), Some(key)) = (&state.cache, keep)
        && clean
    {
        cache.insert(key, json.clone());
    }
    Answer {
        json,
        never_ran,
        clean,
    }
}

/// An answer that is one error, with no data.
fn error_answer(code: &str, message: &str) -> Answer {
    let body = serde_json::json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    });
    Answer {
        json: Bytes::from(body.to_string()),
        never_ran: false,
        clean: false,
    }
}

/// What an answer to this request is kept under; `None` when the generation cannot be read
/// (the request then runs uncached).
pub(super) async fn cache_key(state: &AppState, request: &async_graphql::Request) -> Option<Key> {
    let generation = match state.generation.current().await {
        Ok(generation) => generation,
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the content generation: answering uncached");
            return None;
        }
    };
    Some(Key {
        generation,
        query: request.query.clone(),
        operation: request.operation_name.clone(),
        variables: serde_json::to_string(&request.variables).ok()?,
    })
}

/// A response as written: its fields in the order the query selected them (serialized from
/// async-graphql's ordered map, never through a sorted one), and no `data` entry at all for a
/// request that never ran (it failed to parse or validate), as the GraphQL over HTTP spec says;
/// one that ran keeps its `data`, null or not.
#[derive(serde::Serialize)]
struct Written<'a> {
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    extensions: &'a BTreeMap<String, Value>,
}

impl<'a> From<&'a GraphQLResponse> for Written<'a> {
    fn from(response: &'a GraphQLResponse) -> Self {
        let never_ran = response.data == Value::Null && !response.errors.is_empty();
        Self {
            errors: &response.errors,
            data: (!never_ran).then_some(&response.data),
            extensions: &response.extensions,
        }
    }
}
