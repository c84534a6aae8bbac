//! The treatment listing: regimens, categories, their treatments and the drugs each names.

use lmsdr_entity::sea_orm_active_enums::FactKind;
use lmsdr_entity::{regimen_drugs, regimens, treatment_categories, treatment_drugs, treatments};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use serde_json::json;

use super::Deriver;
use crate::extract::DrugMention;
use crate::store::keys::treatment_key;

impl<C: ConnectionTrait> Deriver<'_, C> {
    pub(super) async fn regimen(&mut self, regimen: &crate::extract::Regimen) -> Result<(), DbErr> {
        let provenance_id = self.source(Some("regimens"), &regimen.source).await?;
        let existing = regimens::Entity::find()
            .filter(regimens::Column::Slug.eq(&regimen.slug))
            .one(self.db)
            .await?;
        let stored = self
            .upsert(existing, |row: &mut regimens::ActiveModel| {
                row.slug = Set(regimen.slug.clone());
                row.name = Set(regimen.name.clone());
                row.components = Set(regimen.components.clone());
                row.first_line = Set(regimen.first_line);
                row.provenance_id = Set(provenance_id);
            })
            .await?;
        self.list(FactKind::Regimen, stored.id, regimen.slug.clone());
        for (position, mention) in regimen.drugs.iter().enumerate() {
            let drug_id = self.drug_id(&mention.drug)?;
            let existing = regimen_drugs::Entity::find()
                .filter(regimen_drugs::Column::RegimenId.eq(stored.id))
                .filter(regimen_drugs::Column::DrugId.eq(drug_id))
                .one(self.db)
                .await?;
            let link = self
                .upsert(existing, |link: &mut regimen_drugs::ActiveModel| {
                    link.regimen_id = Set(stored.id);
                    link.drug_id = Set(drug_id);
                    link.position = Set(position as i32 + 1);
                    link.name_as_written = Set(mention.name_as_written.clone());
                    link.provenance_id = Set(provenance_id);
                })
                .await?;
            self.list(FactKind::RegimenDrug, link.id, "");
        }
        Ok(())
    }

    pub(super) async fn category(
        &mut self,
        category: &crate::extract::Category,
    ) -> Result<(), DbErr> {
        let section = category.name.clone();
        let provenance_id = self.source(Some(&section), &category.source).await?;
        let existing = treatment_categories::Entity::find()
            .filter(treatment_categories::Column::Slug.eq(&category.slug))
            .one(self.db)
            .await?;
        let stored = self
            .upsert(existing, |row: &mut treatment_categories::ActiveModel| {
                row.slug = Set(category.slug.clone());
                row.name = Set(category.name.clone());
                row.description = Set(category.description.clone());
                row.scope =
                    Set((!category.scope.is_empty()).then(|| serde_json::json!(category.scope)));
                row.position = Set(category.position);
                row.page_id = Set(self.at.page_id);
                row.provenance_id = Set(provenance_id);
            })
            .await?;
        self.list(FactKind::Category, stored.id, category.slug.clone());

        for treatment in &category.treatments {
            let provenance_id = self.source(Some(&section), &treatment.source).await?;
            let regimen_id = match &treatment.regimen {
                Some(slug) => regimens::Entity::find()
                    .filter(regimens::Column::Slug.eq(slug))
                    .one(self.db)
                    .await?
                    .map(|r| r.id),
                None => None,
            };
            let existing = treatments::Entity::find()
                .filter(treatments::Column::CategoryId.eq(stored.id))
                .filter(treatments::Column::Slug.eq(&treatment.slug))
                .one(self.db)
                .await?;
            let stored_treatment = self
                .upsert(existing, |row: &mut treatments::ActiveModel| {
                    row.category_id = Set(stored.id);
                    row.slug = Set(treatment.slug.clone());
                    row.name = Set(treatment.name.clone());
                    row.status = Set(treatment.status);
                    row.first_line = Set(treatment.first_line);
                    row.approval = Set(treatment.approval.as_ref().map(|a| json!(a)));
                    row.trial_phase = Set(treatment.trial_phase.clone());
                    row.position = Set(treatment.position);
                    row.regimen_id = Set(regimen_id);
                    row.provenance_id = Set(provenance_id);
                })
                .await?;
            self.treatments.push((
                stored_treatment.id,
                treatment.name.clone(),
                category.name.clone(),
            ));
            self.list(
                FactKind::Treatment,
                stored_treatment.id,
                treatment_key(&category.slug, &treatment.slug),
            );
            for (position, mention) in treatment.drugs.iter().enumerate() {
                self.treatment_drug(stored_treatment.id, position, mention, provenance_id)
                    .await?;
            }
        }
        Ok(())
    }

    async fn treatment_drug(
        &mut self,
        treatment_id: i32,
        position: usize,
        mention: &DrugMention,
        provenance_id: i32,
    ) -> Result<(), DbErr> {
        let drug_id = self.drug_id(&mention.drug)?;
        let existing = treatment_drugs::Entity::find()
            .filter(treatment_drugs::Column::TreatmentId.eq(treatment_id))
            .filter(treatment_drugs::Column::DrugId.eq(drug_id))
            .one(self.db)
            .await?;
        let stored = self
            .upsert(existing, |row: &mut treatment_drugs::ActiveModel| {
                row.treatment_id = Set(treatment_id);
                row.drug_id = Set(drug_id);
                row.position = Set(position as i32 + 1);
                row.name_as_written = Set(mention.name_as_written.clone());
                row.route = Set(mention.route);
                row.provenance_id = Set(provenance_id);
            })
            .await?;
        self.list(FactKind::TreatmentDrug, stored.id, "");
        Ok(())
    }
}
