//! Treatment categories in page order, combination regimens, and the treatments each category lists.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{drop_tables, fk, index, with_listing};
use crate::m20261129_000002_create_pages::{Pages, Provenance};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut categories = Table::create();
        categories
            .table(TreatmentCategories::Table)
            .if_not_exists()
            .col(pk_auto(TreatmentCategories::Id))
            .col(string_len_uniq(TreatmentCategories::Slug, 128))
            .col(text(TreatmentCategories::Name))
            .col(text(TreatmentCategories::Description))
            .col(json_binary_null(TreatmentCategories::Scope))
            .col(integer(TreatmentCategories::Position))
            .col(integer(TreatmentCategories::PageId))
            .col(integer(TreatmentCategories::ProvenanceId))
            .foreign_key(&mut fk(
                TreatmentCategories::Table,
                TreatmentCategories::PageId,
                Pages::Table,
                Pages::Id,
            ))
            .foreign_key(&mut fk(
                TreatmentCategories::Table,
                TreatmentCategories::ProvenanceId,
                Provenance::Table,
                Provenance::Id,
            ));
        manager
            .create_table(with_listing(&mut categories).to_owned())
            .await?;
        index(
            manager,
            TreatmentCategories::Table,
            [TreatmentCategories::PageId, TreatmentCategories::Position],
            false,
        )
        .await?;

        let mut regimens = Table::create();
        regimens
            .table(Regimens::Table)
            .if_not_exists()
            .col(pk_auto(Regimens::Id))
            .col(string_len_uniq(Regimens::Slug, 128))
            .col(text(Regimens::Name))
            .col(text(Regimens::Components))
            .col(boolean(Regimens::FirstLine))
            .col(integer(Regimens::ProvenanceId))
            .foreign_key(&mut fk(
                Regimens::Table,
                Regimens::ProvenanceId,
                Provenance::Table,
                Provenance::Id,
            ));
        manager
            .create_table(with_listing(&mut regimens).to_owned())
            .await?;

        let mut treatments = Table::create();
        treatments
            .table(Treatments::Table)
            .if_not_exists()
            .col(pk_auto(Treatments::Id))
            .col(integer(Treatments::CategoryId))
            .col(string_len(Treatments::Slug, 128))
            .col(text(Treatments::Name))
            .col(string_len(Treatments::Status, 16))
            .col(boolean(Treatments::FirstLine))
            .col(integer(Treatments::Position))
            .col(integer_null(Treatments::RegimenId))
            .col(integer(Treatments::ProvenanceId))
            .foreign_key(&mut fk(
                Treatments::Table,
                Treatments::CategoryId,
                TreatmentCategories::Table,
                TreatmentCategories::Id,
            ))
            .foreign_key(&mut fk(
                Treatments::Table,
                Treatments::RegimenId,
                Regimens::Table,
                Regimens::Id,
            ))
            .foreign_key(&mut fk(
                Treatments::Table,
                Treatments::ProvenanceId,
                Provenance::Table,
                Provenance::Id,
            ));
        manager
            .create_table(with_listing(&mut treatments).to_owned())
            .await?;
        index(
            manager,
            Treatments::Table,
            [Treatments::CategoryId, Treatments::Slug],
            true,
        )
        .await?;
        index(manager, Treatments::Table, [Treatments::RegimenId], false).await?;
        index(manager, Treatments::Table, [Treatments::Status], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                Treatments::Table.into_iden(),
                Regimens::Table.into_iden(),
                TreatmentCategories::Table.into_iden(),
            ],
        )
        .await
    }
}

#[derive(DeriveIden)]
pub enum TreatmentCategories {
    Table,
    Id,
    Slug,
    Name,
    Description,
    Scope,
    Position,
    PageId,
    ProvenanceId,
}

#[derive(DeriveIden)]
pub enum Regimens {
    Table,
    Id,
    Slug,
    Name,
    Components,
    FirstLine,
    ProvenanceId,
}

#[derive(DeriveIden)]
pub enum Treatments {
    Table,
    Id,
    CategoryId,
    Slug,
    Name,
    Status,
    FirstLine,
    Position,
    RegimenId,
    ProvenanceId,
}
