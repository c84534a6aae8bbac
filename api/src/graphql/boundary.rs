//! The error boundary: every error leaves with a code, and no error raised while running leaves
//! with its text. HTTP responses pass through [`clean_errors`]; WebSocket responses
//! (subscriptions, and queries sent over the socket) through a [`StreamBoundary`].

use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::{ErrorExtensions, Response, Value};
use futures::StreamExt;
use futures::stream::BoxStream;

use super::error::code;

/// The error boundary at the edge: every error leaves with a code. A parse or validation error
/// (the request never ran) keeps its message, which is about the query; an error raised while
/// running without a code is a failure nobody turned into a clean message, so its text (a
/// database error, say) is logged and replaced.
pub fn clean_errors(response: &mut Response, query: &str) {
    // A request that never ran has no data; its errors, unlike a resolver's, have no path.
    let never_ran = response.data == Value::Null;
    // Parsed again only to name a request error: a query that ran needs no second parse.
    let mut request_code = None;
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if has_code {
            continue;
        }
        let coded = if never_ran && error.path.is_empty() {
            let request_code = *request_code.get_or_insert_with(|| {
                match async_graphql::parser::parse_query(query) {
                    Ok(_) => code::VALIDATION_FAILED,
                    Err(_) => code::PARSE_FAILED,
                }
            });
            async_graphql::Error::new(error.message.clone())
                .extend_with(|_, e| e.set("code", request_code))
        } else {
            tracing::error!(error = %error.message, "a resolver failed without a code");
            async_graphql::Error::new("internal server error")
                .extend_with(|_, e| e.set("code", code::INTERNAL))
        };
        error.message = coded.message;
        error.extensions = coded.extensions;
    }
}

/// The query of one request, kept to clean the responses of its stream as [`clean_errors`]
/// cleans an HTTP response (by [`super::guard::Guard`], for WebSocket responses).
#[derive(Debug, Default)]
pub(super) struct StreamBoundary {
    /// The request's query, to name a request error as a parse or a validation failure.
    query: Arc<Mutex<String>>,
}

impl StreamBoundary {
    /// Keeps the request's query.
    pub(super) fn remember(&self, query: &str) {
        query.clone_into(&mut self.query.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// The stream with every response cleaned.
    pub(super) fn clean<'s>(&self, stream: BoxStream<'s, Response>) -> BoxStream<'s, Response> {
        let query = self.query.clone();
        stream
            .map(move |mut response| {
                let query = query.lock().unwrap_or_else(PoisonError::into_inner).clone();
                clean_errors(&mut response, &query);
                response
            })
            .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_raised_while_running_without_a_code_reach_clients_as_a_clean_message() {
        let leak =
            "error returned from database: password authentication failed for user \"lmsdr\"";
        let mut response =
            Response::new(Value::from_json(serde_json::json!({ "a": null })).expect("value"));
        response
            .errors
            .push(async_graphql::ServerError::new(leak, None));
        clean_errors(&mut response, "{ a }");
        let error = serde_json::to_value(&response.errors[0]).expect("json");
        assert_eq!(error["message"], "internal server error");
        assert_eq!(error["extensions"]["code"], code::INTERNAL);

        // A query that never ran keeps its message: it is about the query.
        let mut rejected = Response::from_errors(vec![async_graphql::ServerError::new(
            "Unknown field \"nope\" on type \"Query\".",
            None,
        )]);
        clean_errors(&mut rejected, "{ nope }");
        let error = serde_json::to_value(&rejected.errors[0]).expect("json");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains("nope"))
        );
        assert_eq!(error["extensions"]["code"], code::VALIDATION_FAILED);
    }

    struct Query;

    #[async_graphql::Object]
    impl Query {
        async fn a(&self) -> i32 {
            1
        }
    }

    struct Leaky;

    #[async_graphql::Subscription]
    impl Leaky {
        async fn boom(&self) -> impl futures::Stream<Item = async_graphql::Result<i32>> {
            futures::stream::iter([Err(async_graphql::Error::new(
                "error returned from database: password authentication failed",
            ))])
        }
    }

    async fn first(
        schema: async_graphql::Schema<Query, async_graphql::EmptyMutation, Leaky>,
    ) -> serde_json::Value {
        let response = schema
            .execute_stream("subscription { boom }")
            .next()
            .await
            .expect("a response");
        serde_json::to_value(&response.errors[0]).expect("json")
    }

    #[tokio::test]
    async fn subscription_errors_raised_while_running_leave_clean() {
        let build = || async_graphql::Schema::build(Query, async_graphql::EmptyMutation, Leaky);
        let leaked = first(build().finish()).await;
        assert!(
            leaked["message"]
                .as_str()
                .is_some_and(|m| m.contains("password")),
            "without the boundary the text leaks: {leaked}"
        );
        let cleaned = first(build().extension(crate::graphql::guard::Guard).finish()).await;
        assert_eq!(cleaned["message"], "internal server error");
        assert_eq!(cleaned["extensions"]["code"], code::INTERNAL);

        let schema = build().extension(crate::graphql::guard::Guard).finish();
        let response = schema
            .execute_stream("subscription { nope }")
            .next()
            .await
            .expect("a response");
        let rejected = serde_json::to_value(&response.errors[0]).expect("json");
        assert!(
            rejected["message"]
                .as_str()
                .is_some_and(|m| m.contains("nope"))
        );
        assert_eq!(rejected["extensions"]["code"], code::VALIDATION_FAILED);
    }
}
