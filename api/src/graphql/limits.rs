//! Query limits, set explicitly: depth, complexity, recursion, directives, and (checked before
//! an operation runs, since async-graphql has no setting for them) the number of aliases and of
//! introspection fields in one document, and text holding NUL characters, which neither
//! database stores.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensions, ServerError, ServerResult, Value as ConstValue, Variables};

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
/// What a big field (a page's text, HTML or blocks, a revision's diff) costs: what it carries
/// is tens of kilobytes where another field's is a few bytes. Its bytes are charged too, as
/// they are answered ([`super::budget`]).
pub const BIG_FIELD: usize = 40;
/// What a search costs besides its hits: ranking reads and scores every matching document, and
/// a snippet reads each hit's whole text, so at most ten searches fit in one request.
pub const SEARCH: usize = 500;
/// Deepest recursion of the parser.
pub const MAX_RECURSIVE_DEPTH: usize = 32;
/// Most directives on one field.
pub const MAX_DIRECTIVES: usize = 8;
/// Most aliases in one document: aliases let one request ask for the same field many times.
pub const MAX_ALIASES: usize = 30;
/// Most introspection fields (`__schema`, `__type`) in one document: introspection is not
/// costed, and the standard introspection query needs one.
pub const MAX_INTROSPECTIONS: usize = 5;

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

/// Refuses documents with more than [`MAX_ALIASES`] aliases or [`MAX_INTROSPECTIONS`]
/// introspection fields, and arguments or variables whose text holds a NUL character: checked
/// at the HTTP edge before each operation runs, and by [`super::guard::Guard`] as each
/// WebSocket operation's document is parsed.
pub fn check_document(document: &ExecutableDocument, variables: &Variables) -> ServerResult<()> {
    let counts = Counts::of(document);
    if counts.nul_text {
        return Err(nul_text());
    }
    check_variables(variables)?;
    if counts.aliases > MAX_ALIASES {
        return Err(refusal(
            format!(
                "the query uses {} aliases; at most {MAX_ALIASES} are allowed",
                counts.aliases
            ),
            code::VALIDATION_FAILED,
        ));
    }
    if counts.introspections > MAX_INTROSPECTIONS {
        return Err(refusal(
            format!(
                "the query introspects the schema {} times; at most {MAX_INTROSPECTIONS} are allowed",
                counts.introspections
            ),
            code::VALIDATION_FAILED,
        ));
    }
    Ok(())
}

/// Refuses variables whose text holds a NUL character: what [`check_document`] checks of a
/// request besides its document, for a document already checked.
pub fn check_variables(variables: &Variables) -> ServerResult<()> {
    if variables.values().any(holds_nul) {
        return Err(nul_text());
    }
    Ok(())
}

fn nul_text() -> ServerError {
    refusal(
        "text arguments must not contain NUL (U+0000) characters".to_owned(),
        code::BAD_USER_INPUT,
    )
}

fn refusal(message: String, code: &'static str) -> ServerError {
    async_graphql::Error::new(message)
        .extend_with(|_, e| e.set("code", code))
        .into_server_error(async_graphql::Pos::default())
}

/// What a document holds that the schema's own limits do not count.
#[derive(Debug, Default)]
struct Counts {
    aliases: usize,
    introspections: usize,
    /// Whether an argument written in the document holds a NUL character.
    nul_text: bool,
}

impl Counts {
    /// Counts every operation's and fragment's selections, walking with an explicit stack.
    fn of(document: &ExecutableDocument) -> Self {
        let mut stack: Vec<&SelectionSet> = document
            .operations
            .iter()
            .map(|(_, operation)| &operation.node.selection_set.node)
            .chain(
                document
                    .fragments
                    .values()
                    .map(|fragment| &fragment.node.selection_set.node),
            )
            .collect();
        let mut counts = Self::default();
        while let Some(set) = stack.pop() {
            for item in &set.items {
                match &item.node {
                    Selection::Field(field) => {
                        let field = &field.node;
                        counts.aliases += usize::from(field.alias.is_some());
                        counts.introspections +=
                            usize::from(matches!(field.name.node.as_str(), "__schema" | "__type"));
                        counts.nul_text |= field.arguments.iter().any(|(_, value)| {
                            // Variables are checked where they are given.
                            let written = value.node.clone().into_const_with(|_| {
                                Ok::<_, std::convert::Infallible>(ConstValue::Null)
                            });
                            written.is_ok_and(|written| holds_nul(&written))
                        });
                        stack.push(&field.selection_set.node);
                    }
                    Selection::InlineFragment(fragment) => {
                        stack.push(&fragment.node.selection_set.node)
                    }
                    Selection::FragmentSpread(_) => {}
                }
            }
        }
        counts
    }
}

/// Whether a variable's value holds a NUL character anywhere (walked with an explicit stack).
fn holds_nul(value: &ConstValue) -> bool {
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            ConstValue::String(text) if text.contains('\0') => return true,
            ConstValue::List(items) => stack.extend(items),
            ConstValue::Object(fields) => stack.extend(fields.values()),
            _ => {}
        }
    }
    false
}
