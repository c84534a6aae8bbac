//! What else a page states: warnings, trial references and links.

use lmsdr_entity::sea_orm_active_enums::{FactKind, LinkKind};
use lmsdr_entity::{links, treatment_categories, treatments, trial_references, warnings};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::Deriver;
use crate::extract::Link;

impl<C: ConnectionTrait> Deriver<'_, C> {
    pub(super) async fn warning(&mut self, warning: &crate::extract::Warning) -> Result<(), DbErr> {
        let provenance_id = self.source(Some("warnings"), &warning.source).await?;
        let drug_id = warning
            .drug
            .as_deref()
            .map(|s| self.drug_id(s))
            .transpose()?;
        let category_id = match &warning.category {
            Some(slug) => treatment_categories::Entity::find()
                .filter(treatment_categories::Column::Slug.eq(slug))
                .one(self.db)
                .await?
                .map(|c| c.id),
            None => None,
        };
        let existing = warnings::Entity::find()
            .filter(warnings::Column::Slug.eq(&warning.slug))
            .one(self.db)
            .await?;
        let stored = self
            .upsert(existing, |row: &mut warnings::ActiveModel| {
                row.slug = Set(warning.slug.clone());
                row.kind = Set(warning.kind);
                row.text = Set(warning.text.clone());
                row.population = Set(warning.population.clone());
                row.drug_id = Set(drug_id);
                row.category_id = Set(category_id);
                row.provenance_id = Set(provenance_id);
            })
            .await?;
        self.list(FactKind::Warning, stored.id, warning.slug.clone());
        Ok(())
    }

    pub(super) async fn trial(
        &mut self,
        trial: &crate::extract::TrialReference,
    ) -> Result<(), DbErr> {
        let provenance_id = self.source(Some("trials"), &trial.source).await?;
        let drug_id = trial.drug.as_deref().map(|s| self.drug_id(s)).transpose()?;
        let treatment_id = match &trial.treatment {
            Some((category, treatment)) => treatments::Entity::find()
                .inner_join(treatment_categories::Entity)
                .filter(treatment_categories::Column::Slug.eq(category))
                .filter(treatments::Column::Slug.eq(treatment))
                .one(self.db)
                .await?
                .map(|t| t.id),
            None => None,
        };
        let existing = trial_references::Entity::find()
            .filter(trial_references::Column::Slug.eq(&trial.slug))
            .one(self.db)
            .await?;
        let stored = self
            .upsert(existing, |row: &mut trial_references::ActiveModel| {
                row.slug = Set(trial.slug.clone());
                row.label = Set(trial.label.clone());
                row.code = Set(trial.code.clone());
                row.drug_id = Set(drug_id);
                row.treatment_id = Set(treatment_id);
                row.provenance_id = Set(provenance_id);
            })
            .await?;
        self.list(FactKind::TrialReference, stored.id, trial.slug.clone());
        Ok(())
    }

    pub(super) async fn link(
        &mut self,
        kind: LinkKind,
        position: usize,
        link: &Link,
    ) -> Result<(), DbErr> {
        let provenance_id = match &link.context {
            Some(context) => Some(self.source(Some("links"), context).await?),
            None => None,
        };
        let existing = links::Entity::find()
            .filter(links::Column::PageId.eq(self.at.page_id))
            .filter(links::Column::Kind.eq(kind))
            .filter(links::Column::Url.eq(&link.url))
            .filter(links::Column::Text.eq(&link.text))
            .one(self.db)
            .await?;
        let stored = self
            .upsert(existing, |row: &mut links::ActiveModel| {
                row.page_id = Set(self.at.page_id);
                row.kind = Set(kind);
                row.position = Set(position as i32 + 1);
                row.text = Set(link.text.clone());
                row.url = Set(link.url.clone());
                row.external = Set(link.external);
                row.context = Set(link.context.clone());
                row.provenance_id = Set(provenance_id);
            })
            .await?;
        self.list(FactKind::Link, stored.id, "");
        Ok(())
    }
}
