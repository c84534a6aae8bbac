//! The Relay `Node` interface and `node(id:)`.

use async_graphql::{Context, ID, Interface, Object};
use lmsdr_entity::{sync_runs, warnings};
use sea_orm::EntityTrait;

use super::category::TreatmentCategory;
use super::context::{db, load_one, loaders};
use super::drug::Drug;
use super::error::{Result, internal};
use super::ids::{NodeType, decode};
use super::page::Page;
use super::regimen::Regimen;
use super::revision::Revision;
use super::sync_run::SyncRun;
use super::treatment::Treatment;
use super::warning::Warning;

/// An object with a global ID.
#[derive(Debug, Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Global ID."))]
pub enum Node {
    /// A category.
    TreatmentCategory(TreatmentCategory),
    /// A treatment.
    Treatment(Treatment),
    /// A drug.
    Drug(Drug),
    /// A regimen.
    Regimen(Regimen),
    /// A warning.
    Warning(Warning),
    /// A page.
    Page(Page),
    /// A revision.
    Revision(Revision),
    /// A sync run.
    SyncRun(SyncRun),
}

/// `node(id:)`.
#[derive(Debug, Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global ID.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global ID, as any object's `id` gives it.")] id: ID,
    ) -> Result<Option<Node>> {
        let (kind, id) = decode(&id)?;
        let loaders = loaders(ctx)?;
        Ok(match kind {
            NodeType::TreatmentCategory => load_one(&loaders.category, id)
                .await?
                .map(|m| Node::TreatmentCategory(TreatmentCategory(m, None))),
            NodeType::Treatment => load_one(&loaders.treatment, id)
                .await?
                .map(|m| Node::Treatment(Treatment(m, None))),
            NodeType::Drug => load_one(&loaders.drug, id)
                .await?
                .map(|m| Node::Drug(Drug::now(m))),
            NodeType::Regimen => load_one(&loaders.regimen, id)
                .await?
                .map(|m| Node::Regimen(Regimen(m, None))),
            NodeType::Page => load_one(&loaders.page, id)
                .await?
                .map(|m| Node::Page(Page(m))),
            NodeType::Revision => load_one(&loaders.revision, id)
                .await?
                .map(|m| Node::Revision(Revision(m))),
            NodeType::Warning => warnings::Entity::find_by_id(id)
                .one(db(ctx)?)
                .await
                .map_err(internal)?
                .map(|m| Node::Warning(Warning(m))),
            NodeType::SyncRun => sync_runs::Entity::find_by_id(id)
                .one(db(ctx)?)
                .await
                .map_err(internal)?
                .map(|m| Node::SyncRun(SyncRun(m))),
        })
    }
}
