//! The sentences of a page that name drugs, and the page's search documents (the page, its
//! treatments, the drugs it names), written beside its facts.

use lmsdr_entity::drug_mentions;
use lmsdr_entity::sea_orm_active_enums::FactKind;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use super::Deriver;
use crate::extract::{Document, PageMention};
use crate::search::{DocKind, index};

impl<C: ConnectionTrait> Deriver<'_, C> {
    /// Writes one sentence naming a drug.
    pub(super) async fn mention(&mut self, mention: &PageMention) -> Result<(), DbErr> {
        let provenance_id = self.source(Some("mentions"), &mention.sentence).await?;
        let drug_id = self.drug_id(&mention.drug)?;
        let hash = hex::encode(Sha256::digest(mention.sentence.as_bytes()));
        let existing = drug_mentions::Entity::find()
            .filter(drug_mentions::Column::PageId.eq(self.at.page_id))
            .filter(drug_mentions::Column::DrugId.eq(drug_id))
            .filter(drug_mentions::Column::SentenceHash.eq(&hash))
            .one(self.db)
            .await?;
        let page_id = self.at.page_id;
        let stored = self
            .upsert(existing, |row: &mut drug_mentions::ActiveModel| {
                row.drug_id = Set(drug_id);
                row.page_id = Set(page_id);
                row.name_as_written = Set(mention.name_as_written.clone());
                row.sentence = Set(mention.sentence.clone());
                row.sentence_hash = Set(hash);
                row.provenance_id = Set(provenance_id);
            })
            .await?;
        self.list(FactKind::DrugMention, stored.id, "");
        Ok(())
    }

    /// Writes the search documents of the page, its treatments and the drugs it names.
    pub(super) async fn index(&mut self, doc: &Document) -> Result<(), DbErr> {
        let title = doc.title.as_deref().unwrap_or(&doc.url);
        index::put(
            self.db,
            DocKind::Page,
            self.at.page_id,
            title,
            &doc.main_text,
        )
        .await?;
        for (id, name, category) in std::mem::take(&mut self.treatments) {
            index::put(self.db, DocKind::Treatment, id, &name, &category).await?;
        }
        for drug in &doc.drugs {
            let id = self.drug_id(&drug.slug)?;
            let mut body: Vec<&str> = drug
                .names
                .iter()
                .map(|n| n.name.as_str())
                .filter(|n| *n != drug.generic_name)
                .collect();
            body.extend(drug.drug_class.as_deref());
            index::put(
                self.db,
                DocKind::Drug,
                id,
                &drug.generic_name,
                &body.join(", "),
            )
            .await?;
        }
        Ok(())
    }
}
