//! Drugs as the page names them: the drug, its names, and how drugs relate.

use lmsdr_entity::sea_orm_active_enums::FactKind;
use lmsdr_entity::{drug_names, drug_relations, drugs};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

use super::Deriver;
use crate::extract::text::normalize_name;

impl<C: ConnectionTrait> Deriver<'_, C> {
    pub(super) async fn drug(&mut self, drug: &crate::extract::Drug) -> Result<(), DbErr> {
        let provenance_id = self.source(Some("drugs"), &drug.source).await?;
        let existing = drugs::Entity::find()
            .filter(drugs::Column::Slug.eq(&drug.slug))
            .one(self.db)
            .await?;
        // Whether a listing names the drug, and where it was first read, are a listing's to say:
        // a page that only mentions a known drug leaves them as they are.
        let listing_says = drug.from_listing || existing.is_none();
        // An older capture adds no name to a drug newer captures state.
        let names_stated = self.writes_current() || existing.is_none();
        let stored = self
            .upsert(existing, |row: &mut drugs::ActiveModel| {
                row.slug = Set(drug.slug.clone());
                row.generic_name = Set(drug.generic_name.clone());
                row.drug_class = Set(drug.drug_class.clone());
                row.atc_code = Set(drug.atc_code.clone());
                row.atc_code_previous = Set(drug.atc_code_previous.clone());
                row.rxcui = Set(drug.rxcui.clone());
                row.withdrawn = Set(drug.withdrawn.clone());
                row.verified = Set(drug.verified);
                if listing_says {
                    row.in_trial = Set(drug.in_trial);
                    row.provenance_id = Set(provenance_id);
                }
            })
            .await?;
        for name in drug.names.iter().filter(|_| names_stated) {
            let normalized = normalize_name(&name.name);
            let known = drug_names::Entity::find()
                .filter(drug_names::Column::NormalizedName.eq(&normalized))
                .one(self.db)
                .await?;
            match known {
                Some(existing) if existing.drug_id != stored.id => {
                    tracing::warn!(
                        name = %name.name,
                        drug = %drug.slug,
                        "drug name already belongs to another drug; kept there"
                    );
                }
                Some(_) => {}
                None => {
                    drug_names::ActiveModel {
                        drug_id: Set(stored.id),
                        name: Set(name.name.clone()),
                        normalized_name: Set(normalized),
                        kind: Set(name.kind),
                        ..Default::default()
                    }
                    .insert(self.db)
                    .await?;
                }
            }
        }
        self.drug_ids.insert(drug.slug.clone(), stored.id);
        self.list(FactKind::Drug, stored.id, drug.slug.clone());
        Ok(())
    }

    pub(super) fn drug_id(&self, slug: &str) -> Result<i32, DbErr> {
        self.drug_ids
            .get(slug)
            .copied()
            .ok_or_else(|| DbErr::Custom(format!("document names unknown drug {slug}")))
    }

    pub(super) async fn relation(
        &mut self,
        relation: &crate::extract::DrugRelation,
    ) -> Result<(), DbErr> {
        let provenance_id = self.source(Some("drugs"), &relation.source).await?;
        let (drug_id, related_id) = (
            self.drug_id(&relation.drug)?,
            self.drug_id(&relation.related)?,
        );
        let existing = drug_relations::Entity::find()
            .filter(drug_relations::Column::DrugId.eq(drug_id))
            .filter(drug_relations::Column::RelatedDrugId.eq(related_id))
            .filter(drug_relations::Column::Kind.eq(relation.kind))
            .one(self.db)
            .await?;
        let stored = self
            .upsert(existing, |row: &mut drug_relations::ActiveModel| {
                row.drug_id = Set(drug_id);
                row.related_drug_id = Set(related_id);
                row.kind = Set(relation.kind);
                row.provenance_id = Set(provenance_id);
            })
            .await?;
        self.list(FactKind::DrugRelation, stored.id, "");
        Ok(())
    }
}
