//! Attribute history: what a page stated about a fact, one field at a time, over which moments
//! (a treatment's name and status, a drug's names and routes, a warning's text …), so that
//! `asOf` answers with the attributes of the moment asked and not only the facts listed then.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{drop_tables, fk, index};
use crate::m20261129_000002_create_pages::PageRevisions;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FactVersions::Table)
                    .if_not_exists()
                    .col(pk_auto(FactVersions::Id))
                    .col(string_len(FactVersions::FactKind, 32))
                    .col(integer(FactVersions::FactId))
                    .col(string_len(FactVersions::Field, 32))
                    .col(json_binary(FactVersions::Value))
                    .col(timestamp_with_time_zone(FactVersions::ValidFrom))
                    .col(timestamp_with_time_zone_null(FactVersions::ValidUntil))
                    .col(integer(FactVersions::RevisionId))
                    .foreign_key(&mut fk(
                        FactVersions::Table,
                        FactVersions::RevisionId,
                        PageRevisions::Table,
                        PageRevisions::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            FactVersions::Table,
            [
                FactVersions::FactKind,
                FactVersions::FactId,
                FactVersions::ValidFrom,
            ],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, [FactVersions::Table.into_iden()]).await
    }
}

#[derive(DeriveIden)]
enum FactVersions {
    Table,
    Id,
    FactKind,
    FactId,
    Field,
    Value,
    ValidFrom,
    ValidUntil,
    RevisionId,
}
