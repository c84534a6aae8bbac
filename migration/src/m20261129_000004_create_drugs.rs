//! Drugs with their names and codes, the drugs of each regimen and treatment (with the route the
//! page gives), and relations the page states between drugs ("same drug as").

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{drop_tables, fk, index, with_listing};
use crate::m20261129_000002_create_pages::Provenance;
use crate::m20261129_000003_create_treatments::{Regimens, Treatments};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut drugs = Table::create();
        drugs
            .table(Drugs::Table)
            .if_not_exists()
            .col(pk_auto(Drugs::Id))
            .col(string_len_uniq(Drugs::Slug, 128))
            .col(text(Drugs::GenericName))
            .col(text_null(Drugs::DrugClass))
            .col(string_len_null(Drugs::AtcCode, 16))
            .col(string_len_null(Drugs::AtcCodePrevious, 16))
            .col(string_len_null(Drugs::Rxcui, 16))
            .col(boolean(Drugs::Verified))
            .col(boolean(Drugs::InTrial))
            .col(integer(Drugs::ProvenanceId))
            .foreign_key(&mut fk(
                Drugs::Table,
                Drugs::ProvenanceId,
                Provenance::Table,
                Provenance::Id,
            ));
        manager
            .create_table(with_listing(&mut drugs).to_owned())
            .await?;
        index(manager, Drugs::Table, [Drugs::AtcCode], false).await?;
        index(manager, Drugs::Table, [Drugs::Rxcui], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(DrugNames::Table)
                    .if_not_exists()
                    .col(pk_auto(DrugNames::Id))
                    .col(integer(DrugNames::DrugId))
                    .col(text(DrugNames::Name))
                    .col(string_len_uniq(DrugNames::NormalizedName, 255))
                    .col(string_len(DrugNames::Kind, 16))
                    .foreign_key(&mut fk(
                        DrugNames::Table,
                        DrugNames::DrugId,
                        Drugs::Table,
                        Drugs::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, DrugNames::Table, [DrugNames::DrugId], false).await?;

        let mut regimen_drugs = Table::create();
        regimen_drugs
            .table(RegimenDrugs::Table)
            .if_not_exists()
            .col(pk_auto(RegimenDrugs::Id))
            .col(integer(RegimenDrugs::RegimenId))
            .col(integer(RegimenDrugs::DrugId))
            .col(integer(RegimenDrugs::Position))
            .col(text(RegimenDrugs::NameAsWritten))
            .col(integer(RegimenDrugs::ProvenanceId))
            .foreign_key(&mut fk(
                RegimenDrugs::Table,
                RegimenDrugs::RegimenId,
                Regimens::Table,
                Regimens::Id,
            ))
            .foreign_key(&mut fk(
                RegimenDrugs::Table,
                RegimenDrugs::DrugId,
                Drugs::Table,
                Drugs::Id,
            ))
            .foreign_key(&mut fk(
                RegimenDrugs::Table,
                RegimenDrugs::ProvenanceId,
                Provenance::Table,
                Provenance::Id,
            ));
        manager
            .create_table(with_listing(&mut regimen_drugs).to_owned())
            .await?;
        index(
            manager,
            RegimenDrugs::Table,
            [RegimenDrugs::RegimenId, RegimenDrugs::DrugId],
            true,
        )
        .await?;
        index(manager, RegimenDrugs::Table, [RegimenDrugs::DrugId], false).await?;

        let mut treatment_drugs = Table::create();
        treatment_drugs
            .table(TreatmentDrugs::Table)
            .if_not_exists()
            .col(pk_auto(TreatmentDrugs::Id))
            .col(integer(TreatmentDrugs::TreatmentId))
            .col(integer(TreatmentDrugs::DrugId))
            .col(integer(TreatmentDrugs::Position))
            .col(text(TreatmentDrugs::NameAsWritten))
            .col(string_len_null(TreatmentDrugs::Route, 32))
            .col(integer(TreatmentDrugs::ProvenanceId))
            .foreign_key(&mut fk(
                TreatmentDrugs::Table,
                TreatmentDrugs::TreatmentId,
                Treatments::Table,
                Treatments::Id,
            ))
            .foreign_key(&mut fk(
                TreatmentDrugs::Table,
                TreatmentDrugs::DrugId,
                Drugs::Table,
                Drugs::Id,
            ))
            .foreign_key(&mut fk(
                TreatmentDrugs::Table,
                TreatmentDrugs::ProvenanceId,
                Provenance::Table,
                Provenance::Id,
            ));
        manager
            .create_table(with_listing(&mut treatment_drugs).to_owned())
            .await?;
        index(
            manager,
            TreatmentDrugs::Table,
            [TreatmentDrugs::TreatmentId, TreatmentDrugs::DrugId],
            true,
        )
        .await?;
        index(
            manager,
            TreatmentDrugs::Table,
            [TreatmentDrugs::DrugId],
            false,
        )
        .await?;

        let mut relations = Table::create();
        relations
            .table(DrugRelations::Table)
            .if_not_exists()
            .col(pk_auto(DrugRelations::Id))
            .col(integer(DrugRelations::DrugId))
            .col(integer(DrugRelations::RelatedDrugId))
            .col(string_len(DrugRelations::Kind, 32))
            .col(integer(DrugRelations::ProvenanceId))
            .foreign_key(&mut fk(
                DrugRelations::Table,
                DrugRelations::DrugId,
                Drugs::Table,
                Drugs::Id,
            ))
            .foreign_key(&mut fk(
                DrugRelations::Table,
                DrugRelations::RelatedDrugId,
                Drugs::Table,
                Drugs::Id,
            ))
            .foreign_key(&mut fk(
                DrugRelations::Table,
                DrugRelations::ProvenanceId,
                Provenance::Table,
                Provenance::Id,
            ));
        manager
            .create_table(with_listing(&mut relations).to_owned())
            .await?;
        index(
            manager,
            DrugRelations::Table,
            [
                DrugRelations::DrugId,
                DrugRelations::RelatedDrugId,
                DrugRelations::Kind,
            ],
            true,
        )
        .await?;
        index(
            manager,
            DrugRelations::Table,
            [DrugRelations::RelatedDrugId],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                DrugRelations::Table.into_iden(),
                TreatmentDrugs::Table.into_iden(),
                RegimenDrugs::Table.into_iden(),
                DrugNames::Table.into_iden(),
                Drugs::Table.into_iden(),
            ],
        )
        .await
    }
}

#[derive(DeriveIden)]
pub enum Drugs {
    Table,
    Id,
    Slug,
    GenericName,
    DrugClass,
    AtcCode,
    AtcCodePrevious,
    Rxcui,
    Verified,
    InTrial,
    ProvenanceId,
}

#[derive(DeriveIden)]
enum DrugNames {
    Table,
    Id,
    DrugId,
    Name,
    NormalizedName,
    Kind,
}

#[derive(DeriveIden)]
enum RegimenDrugs {
    Table,
    Id,
    RegimenId,
    DrugId,
    Position,
    NameAsWritten,
    ProvenanceId,
}

#[derive(DeriveIden)]
enum TreatmentDrugs {
    Table,
    Id,
    TreatmentId,
    DrugId,
    Position,
    NameAsWritten,
    Route,
    ProvenanceId,
}

#[derive(DeriveIden)]
enum DrugRelations {
    Table,
    Id,
    DrugId,
    RelatedDrugId,
    Kind,
    ProvenanceId,
}
