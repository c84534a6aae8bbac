//! Where pages name a drug: a treatment's words and route, or any sentence of any page.

use async_graphql::{Context, Object};
use lmsdr_entity::{drug_mentions, treatment_drugs};

use super::context::{load_one, loaders};
use super::drug::Drug;
use super::enums::Route;
use super::error::Result;
use super::page::Page;
use super::revision::{Provenance, source};

/// Where a drug is named.
#[derive(Debug, Clone)]
pub enum Mentioned {
    /// In a treatment (a list item of a listing), with the route it gives.
    Treatment(treatment_drugs::Model),
    /// In a sentence of any page.
    Sentence(drug_mentions::Model),
}

/// A place a page names a drug: the words used, the sentence, the page and revision.
#[derive(Debug, Clone)]
pub struct DrugMention(pub Mentioned);

impl DrugMention {
    fn provenance_id(&self) -> i32 {
        match &self.0 {
            Mentioned::Treatment(m) => m.provenance_id,
            Mentioned::Sentence(m) => m.provenance_id,
        }
    }
}

/// A place a page names a drug: the words used, the sentence, the page and revision.
#[Object]
impl DrugMention {
    /// The drug.
    async fn drug(&self, ctx: &Context<'_>) -> Result<Option<Drug>> {
        let id = match &self.0 {
            Mentioned::Treatment(m) => m.drug_id,
            Mentioned::Sentence(m) => m.drug_id,
        };
        Ok(load_one(&loaders(ctx)?.drug, id).await?.map(Drug::now))
    }
    /// The words the page used, e.g. "Adriamycin (doxorubicin)".
    async fn name_as_written(&self) -> &str {
        match &self.0 {
            Mentioned::Treatment(m) => &m.name_as_written,
            Mentioned::Sentence(m) => &m.name_as_written,
        }
    }
    /// The route the page gives, if any (treatments only).
    async fn route(&self) -> Option<Route> {
        match &self.0 {
            Mentioned::Treatment(m) => m.route.map(Route::from),
            Mentioned::Sentence(_) => None,
        }
    }
    /// The sentence or list item naming it.
    async fn sentence(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(match &self.0 {
            Mentioned::Sentence(m) => Some(m.sentence.clone()),
            Mentioned::Treatment(_) => source(ctx, self.provenance_id()).await?.map(|p| p.excerpt),
        })
    }
    /// The page naming it.
    async fn page(&self, ctx: &Context<'_>) -> Result<Option<Page>> {
        let page_id = match &self.0 {
            Mentioned::Sentence(m) => Some(m.page_id),
            Mentioned::Treatment(_) => source(ctx, self.provenance_id()).await?.map(|p| p.page_id),
        };
        match page_id {
            Some(id) => Ok(load_one(&loaders(ctx)?.page, id).await?.map(Page)),
            None => Ok(None),
        }
    }
    /// Where it was read: page, revision and sentence.
    async fn source(&self, ctx: &Context<'_>) -> Result<Option<Provenance>> {
        source(ctx, self.provenance_id()).await
    }
}
