//! Query limits, set explicitly: depth, complexity, recursion, directives, and (as an extension,
//! since async-graphql has no setting for it) the number of aliases in one document.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensions, ServerResult, Variables};

use super::error::code;
use super::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// Deepest selection nesting accepted: the standard introspection query (GraphiQL's Docs panel)
/// needs 15.
pub const MAX_DEPTH: usize = 15;
/// Highest query cost accepted: GraphQL Armor's default `maxCost`. Every field costs 1; a
/// connection costs its selection once per item it may return ([`page_cost`]) and a list
/// without a page size [`UNPAGED_LIST`] times ([`list_cost`]), so nested lists compound: 100
/// pages of 100 revisions each is 10,000 times a revision's cost, and refused before it runs.
pub const MAX_COMPLEXITY: usize = 5_000;
/// How many items a list field without a page size is costed at (a category's treatments, a
/// treatment's drugs, a drug's regimens): what such lists typically hold on the site, so that
/// a frontend may nest four of them and still compound towards the limit.
pub const UNPAGED_LIST: usize = 4;
/// Deepest recursion of the parser.
pub const MAX_RECURSIVE_DEPTH: usize = 32;
/// Most directives on one field.
pub const MAX_DIRECTIVES: usize = 8;
/// Most aliases in one document: aliases let one request ask for the same field many times.
pub const MAX_ALIASES: usize = 30;

/// A connection field's cost: its selection once per item it may return (`first`, else
/// `last`, else the default page size, at most the maximum page size), plus its own.
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let items = first
        .or(last)
        .map_or(DEFAULT_PAGE_SIZE, |n| usize::try_from(n).unwrap_or(0))
        .clamp(1, MAX_PAGE_SIZE);
    items.saturating_mul(child_complexity).saturating_add(1)
}

/// A list field's cost when the list has no page size: its selection [`UNPAGED_LIST`] times.
pub fn list_cost(child_complexity: usize) -> usize {
    UNPAGED_LIST
        .saturating_mul(child_complexity)
        .saturating_add(1)
}

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
