//! What one HTTP request may cost, shared by the operations of a batch: the query cost, spent as
//! each operation validates, and the bytes its big fields (texts, HTML, diffs, blocks) answer
//! with, spent as they resolve. So neither aliases nor a batch multiply what one request gets,
//! and the memory an answer takes is bounded whatever the pages hold.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::extensions::ExtensionContext;
use async_graphql::{Context, ErrorExtensions, ServerError, ValidationResult};

use super::error::{Result, code, coded};
use super::limits::MAX_COMPLEXITY;

/// Most bytes of big fields one request is answered with, all its operations together.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// One request's budgets: put the same one in the data of each of its operations.
#[derive(Debug, Clone)]
pub struct RequestBudget {
    cost: Arc<AtomicUsize>,
    bytes: Arc<AtomicUsize>,
}

impl Default for RequestBudget {
    fn default() -> Self {
        Self {
            cost: Arc::new(AtomicUsize::new(MAX_COMPLEXITY)),
            bytes: Arc::new(AtomicUsize::new(MAX_RESPONSE_BYTES)),
        }
    }
}

/// Takes `amount` from what is left; `false`, taking nothing, when less is left.
fn spend(left: &AtomicUsize, amount: usize) -> bool {
    left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
        left.checked_sub(amount)
    })
    .is_ok()
}

impl RequestBudget {
    /// Spends `bytes` of the request's answer (an answer found in the response cache, say);
    /// `false` when they do not fit.
    pub fn spend_bytes(&self, bytes: usize) -> bool {
        spend(&self.bytes, bytes)
    }
}

/// The error of an answer that would outgrow [`MAX_RESPONSE_BYTES`].
pub fn too_large() -> async_graphql::Error {
    coded(
        code::RESPONSE_TOO_LARGE,
        format!(
            "the answer would be larger than {} MiB: ask for fewer items, or for fewer big fields \
             (text, html, blocks, diff) at once",
            MAX_RESPONSE_BYTES / (1024 * 1024)
        ),
    )
}

/// Charges a big field's bytes to the request before it is answered with; `RESPONSE_TOO_LARGE`
/// once the request's answers have reached [`MAX_RESPONSE_BYTES`]. A context without a budget
/// (a subscription's events) is not charged.
pub fn charge(ctx: &Context<'_>, bytes: usize) -> Result<()> {
    match ctx.data_opt::<RequestBudget>() {
        Some(budget) if !budget.spend_bytes(bytes) => Err(too_large()),
        _ => Ok(()),
    }
}

/// Spends a validated operation's cost from its request's budget, and refuses the operation
/// once the operations of a batch together cost more than [`MAX_COMPLEXITY`] (run as each
/// operation is validated, by [`super::guard::Guard`]).
pub(super) fn spend_validated(
    ctx: &ExtensionContext<'_>,
    result: ValidationResult,
) -> std::result::Result<ValidationResult, Vec<ServerError>> {
    match ctx.data_opt::<RequestBudget>() {
        Some(budget) if !spend(&budget.cost, result.complexity) => Err(vec![
            async_graphql::Error::new(format!(
                "the operations of this request cost more than {MAX_COMPLEXITY} together \
                 (this one costs {}): send them in separate requests, or ask for less",
                result.complexity
            ))
            .extend_with(|_, e| e.set("code", code::VALIDATION_FAILED))
            .into_server_error(async_graphql::Pos::default()),
        ]),
        _ => Ok(result),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_is_spent_whole_or_not_at_all() {
        let budget = RequestBudget::default();
        assert!(budget.spend_bytes(MAX_RESPONSE_BYTES - 10));
        assert!(!budget.spend_bytes(11), "more than is left takes nothing");
        assert!(budget.spend_bytes(10));
        assert!(!budget.spend_bytes(1));
        let shared = budget.clone();
        assert!(!shared.spend_bytes(1), "clones share one budget");
    }
}
