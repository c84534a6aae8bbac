//! GraphQL errors with a machine-readable `extensions.code`, and the error boundary for causes
//! that must not reach clients: they are logged in full and answered with a clean message.

use async_graphql::{Error, ErrorExtensions};

/// Codes clients can act on.
pub mod code {
    /// The input was well-formed GraphQL but not acceptable (bad cursor, unknown slug, …).
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    /// A page size above the maximum was asked for.
    pub const PAGE_SIZE_EXCEEDED: &str = "PAGE_SIZE_EXCEEDED";
    /// The server failed; the cause is in its log.
    pub const INTERNAL: &str = "INTERNAL_SERVER_ERROR";
    /// No admin token was given, or the wrong one.
    pub const UNAUTHORIZED: &str = "UNAUTHORIZED";
    /// Mutations are off because the server has no admin token.
    pub const MUTATIONS_DISABLED: &str = "MUTATIONS_DISABLED";
    /// Another sync holds the database.
    pub const SYNC_BUSY: &str = "SYNC_BUSY";
    /// The query failed to validate (depth, complexity, aliases, unknown fields …), or asked
    /// for what the request may not do (too many operations, a mutation over GET).
    pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// The query is not GraphQL: it failed to parse.
    pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    /// The HTTP request is not one GraphQL can run: an `Accept` lmsdr cannot answer, a body
    /// that is not JSON (or not `application/json`), too large, or without a `query`.
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    /// A persisted query's hash lmsdr does not know: send it again with the query (APQ).
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
    /// `--persisted-only`: the query is not one an admin persisted.
    pub const PERSISTED_QUERY_NOT_IN_LIST: &str = "PERSISTED_QUERY_NOT_IN_LIST";
    /// The request's answers would carry more than `MAX_RESPONSE_BYTES` of big fields (texts,
    /// HTML, diffs, blocks): the fields past that are null, with this error.
    pub const RESPONSE_TOO_LARGE: &str = "RESPONSE_TOO_LARGE";
    /// A WebSocket connection asked for more subscriptions than it may hold.
    pub const SUBSCRIPTION_LIMIT: &str = "SUBSCRIPTION_LIMIT_EXCEEDED";
}

/// An error with a code.
pub fn coded(code: &'static str, message: impl Into<String>) -> Error {
    Error::new(message).extend_with(|_, e| e.set("code", code))
}

/// A client input error.
pub fn bad_input(message: impl Into<String>) -> Error {
    coded(code::BAD_USER_INPUT, message)
}

/// The boundary for server-side failures: logs the cause, returns a clean message.
pub fn internal(cause: impl std::fmt::Display) -> Error {
    tracing::error!(error = %cause, "request failed");
    coded(code::INTERNAL, "internal server error")
}

/// Result alias for resolvers.
pub type Result<T> = std::result::Result<T, Error>;
