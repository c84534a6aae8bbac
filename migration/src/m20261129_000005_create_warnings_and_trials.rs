//! Warnings the page gives (with the population they apply to) and references to clinical trials.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{drop_tables, fk, index, with_listing};
use crate::m20261129_000002_create_pages::Provenance;
use crate::m20261129_000003_create_treatments::{TreatmentCategories, Treatments};
use crate::m20261129_000004_create_drugs::Drugs;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut warnings = Table::create();
        warnings
            .table(Warnings::Table)
            .if_not_exists()
            .col(pk_auto(Warnings::Id))
            .col(string_len_uniq(Warnings::Slug, 160))
            .col(string_len(Warnings::Kind, 32))
            .col(text(Warnings::Text))
            .col(text_null(Warnings::Population))
            .col(integer_null(Warnings::DrugId))
            .col(integer_null(Warnings::CategoryId))
            .col(integer(Warnings::ProvenanceId))
            .foreign_key(&mut fk(
                Warnings::Table,
                Warnings::DrugId,
                Drugs::Table,
                Drugs::Id,
            ))
            .foreign_key(&mut fk(
                Warnings::Table,
                Warnings::CategoryId,
                TreatmentCategories::Table,
                TreatmentCategories::Id,
            ))
            .foreign_key(&mut fk(
                Warnings::Table,
                Warnings::ProvenanceId,
                Provenance::Table,
                Provenance::Id,
            ));
        manager
            .create_table(with_listing(&mut warnings).to_owned())
            .await?;
        index(manager, Warnings::Table, [Warnings::DrugId], false).await?;

        let mut trials = Table::create();
        trials
            .table(TrialReferences::Table)
            .if_not_exists()
            .col(pk_auto(TrialReferences::Id))
            .col(string_len_uniq(TrialReferences::Slug, 160))
            .col(text(TrialReferences::Label))
            .col(string_len_null(TrialReferences::Code, 64))
            .col(text_null(TrialReferences::Url))
            .col(integer_null(TrialReferences::DrugId))
            .col(integer_null(TrialReferences::TreatmentId))
            .col(integer(TrialReferences::ProvenanceId))
            .foreign_key(&mut fk(
                TrialReferences::Table,
                TrialReferences::DrugId,
                Drugs::Table,
                Drugs::Id,
            ))
            .foreign_key(&mut fk(
                TrialReferences::Table,
                TrialReferences::TreatmentId,
                Treatments::Table,
                Treatments::Id,
            ))
            .foreign_key(&mut fk(
                TrialReferences::Table,
                TrialReferences::ProvenanceId,
                Provenance::Table,
                Provenance::Id,
            ));
        manager
            .create_table(with_listing(&mut trials).to_owned())
            .await?;
        index(
            manager,
            TrialReferences::Table,
            [TrialReferences::DrugId],
            false,
        )
        .await?;
        index(
            manager,
            TrialReferences::Table,
            [TrialReferences::TreatmentId],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                TrialReferences::Table.into_iden(),
                Warnings::Table.into_iden(),
            ],
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Warnings {
    Table,
    Id,
    Slug,
    Kind,
    Text,
    Population,
    DrugId,
    CategoryId,
    ProvenanceId,
}

#[derive(DeriveIden)]
enum TrialReferences {
    Table,
    Id,
    Slug,
    Label,
    Code,
    Url,
    DrugId,
    TreatmentId,
    ProvenanceId,
}
