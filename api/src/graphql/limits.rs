//! Query limits, set explicitly: depth, complexity, recursion, directives, and (as an extension,
//! since async-graphql has no setting for it) the number of aliases in one document.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensions, ServerResult, Variables};

use super::error::code;

/// Deepest selection nesting accepted: the standard introspection query (GraphiQL's Docs panel)
/// needs 15.
pub const MAX_DEPTH: usize = 15;
/// Highest query complexity accepted (every field counts 1, list fields as their page size).
pub const MAX_COMPLEXITY: usize = 2_000;
/// Deepest recursion of the parser.
pub const MAX_RECURSIVE_DEPTH: usize = 32;
/// Most directives on one field.
pub const MAX_DIRECTIVES: usize = 8;
/// Most aliases in one document: aliases let one request ask for the same field many times.
pub const MAX_ALIASES: usize = 30;

/// Refuses documents with more than [`MAX_ALIASES`] aliases.
#[derive(Debug, Clone, Copy)]
pub struct AliasLimit;

impl ExtensionFactory for AliasLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AliasLimitExtension)
    }
}

struct AliasLimitExtension;

#[async_trait::async_trait]
impl Extension for AliasLimitExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let mut aliases = 0;
        for (_, operation) in document.operations.iter() {
            aliases += count_aliases(&operation.node.selection_set.node);
        }
        for fragment in document.fragments.values() {
            aliases += count_aliases(&fragment.node.selection_set.node);
        }
        if aliases > MAX_ALIASES {
            let error = async_graphql::Error::new(format!(
                "the query uses {aliases} aliases; at most {MAX_ALIASES} are allowed"
            ))
            .extend_with(|_, e| e.set("code", code::VALIDATION_FAILED));
            return Err(error.into_server_error(async_graphql::Pos::default()));
        }
        Ok(document)
    }
}

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some())
                    + count_aliases(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => count_aliases(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}
