//! The GraphQL schema: one query root per domain, merged; DataLoaders for every relation; limits
//! set explicitly; admin-only mutations.

mod admin;
mod as_of;
mod boundary;
mod budget;
mod category;
mod change;
mod content;
mod context;
mod drug;
mod drug_mention;
mod enums;
mod error;
mod guard;
pub mod ids;
mod limits;
mod links;
mod loaders;
mod node;
mod page;
pub(crate) mod pagination;
mod regimen;
mod relations;
mod revision;
mod revision_pages;
mod scalars;
mod search;
mod site;
mod subscription;
mod summary;
mod sync_run;
mod treatment;
mod warning;
mod webhook;

use async_graphql::{ID, MergedObject, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

use crate::jobs::SyncJob;
use crate::webhooks::WebhookSettings;

use crate::feed::ChangeHub;
pub use admin::AdminAccess;
pub use boundary::clean_errors;
pub use budget::{MAX_RESPONSE_BYTES, RequestBudget, too_large};
pub use error::code;
pub use limits::{check_document, check_variables};
pub use loaders::Loaders;
pub use page::stored_page;
pub use subscription::SubscriptionCount;

/// What lmsdr knows of the LMSdr foundation's site: its treatments, drugs, regimens and
/// warnings, every page with its content, links and history, search, and the sync runs that
/// keep it current. (One query root per domain, merged.)
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    category::CategoryQuery,
    treatment::TreatmentQuery,
    drug::DrugQuery,
    regimen::RegimenQuery,
    warning::WarningQuery,
    page::PageQuery,
    site::SiteQuery,
    sync_run::SyncRunQuery,
    change::ChangeQuery,
    search::SearchQuery,
    node::NodeQuery,
    webhook::WebhookQuery,
);

/// Admin operations; each needs `Authorization: Bearer <admin token>`. (One root per domain,
/// merged.)
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(admin::ContentMutation, webhook::WebhookMutation);

/// The schema lmsdr serves.
pub type AppSchema = Schema<QueryRoot, MutationRoot, subscription::SubscriptionRoot>;

/// The schemas lmsdr serves: the same types, data and limits, with and without its request
/// hooks ([`guard::Guard`]).
#[derive(Clone)]
pub struct Schemas {
    /// For one operation over HTTP, whose document the HTTP edge checks ([`check_document`]):
    /// async-graphql sends every field of a schema with an extension through the extension's
    /// hook (a registry lookup and a boxed future apiece), so this one has none.
    pub single: AppSchema,
    /// With the hooks: for the operations of a batch, which share one cost budget, and for
    /// WebSocket operations, whose documents it checks and whose errors it cleans.
    pub hooked: AppSchema,
}

/// Builds the schemas over a database, with every limit set.
pub fn build_schemas(
    db: DatabaseConnection,
    sync: Option<SyncJob>,
    hub: ChangeHub,
    webhooks: WebhookSettings,
) -> Schemas {
    let build = || {
        let mut builder = builder()
            .data(db.clone())
            .data(hub.clone())
            .data(webhooks)
            .limit_depth(limits::MAX_DEPTH)
            .limit_complexity(limits::MAX_COMPLEXITY)
            .limit_recursive_depth(limits::MAX_RECURSIVE_DEPTH)
            .limit_directives(limits::MAX_DIRECTIVES);
        if let Some(sync) = &sync {
            builder = builder.data(sync.clone());
        }
        builder
    };
    Schemas {
        single: build().finish(),
        hooked: build().extension(guard::Guard).finish(),
    }
}

/// The schema in SDL, as checked in at `api/schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// What `ID` means here; GraphQL's built-in scalars come with no description.
const ID_DESCRIPTION: &str = "An opaque global ID naming an object's type and row, which \
    `node(id:)` fetches again. It names the same object for as long as the database holds it; \
    the key that is the same in every deployment and export is `slug`. Compare it, never parse it.";

/// The roots, with the descriptions the built-in scalars lack.
fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, subscription::SubscriptionRoot> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        subscription::SubscriptionRoot,
    )
    .override_output_type_description::<ID>(ID_DESCRIPTION)
}
