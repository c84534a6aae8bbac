//! lmsdr's request hooks, as one extension: the document limits as each document is parsed
//! ([`limits::check_document`]), the request's shared cost as each operation is validated
//! ([`budget::spend_validated`]), and the error boundary on WebSocket streams
//! ([`boundary::StreamBoundary`]). async-graphql runs every field through each extension the
//! schema has (a boxed future apiece), so the hooks share one, and only the schema batches and
//! WebSockets run on has it (`Schemas::hooked`). A batch's documents are checked at the HTTP
//! edge too, as every HTTP operation's is: a walk of the document, not worth a lane of its own.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
    NextSubscribe, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, Response, ServerError, ServerResult, ValidationResult, Variables};
use futures::stream::BoxStream;

use super::boundary::StreamBoundary;
use super::{budget, limits};

/// The extension of the schema batches and WebSockets run on.
#[derive(Debug, Clone, Copy)]
pub struct Guard;

impl ExtensionFactory for Guard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GuardExtension::default())
    }
}

#[derive(Default)]
struct GuardExtension {
    boundary: StreamBoundary,
}

#[async_trait::async_trait]
impl Extension for GuardExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        self.boundary.remember(&request.query);
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        limits::check_document(&document, variables)?;
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        budget::spend_validated(ctx, result)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        self.boundary.clean(next.run(ctx, stream))
    }
}
