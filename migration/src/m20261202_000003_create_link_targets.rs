//! What a sync learnt of a linked URL that is not a stored page: the status it answered with, so
//! that links to pages that never existed (404, 410) can be listed for the webmaster.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{drop_tables, fk};
use crate::m20261129_000001_create_sync_runs::SyncRuns;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LinkTargets::Table)
                    .if_not_exists()
                    .col(pk_auto(LinkTargets::Id))
                    .col(text_uniq(LinkTargets::Url))
                    .col(integer(LinkTargets::HttpStatus))
                    .col(timestamp_with_time_zone(LinkTargets::CheckedAt))
                    .col(integer_null(LinkTargets::SyncRunId))
                    .foreign_key(&mut fk(
                        LinkTargets::Table,
                        LinkTargets::SyncRunId,
                        SyncRuns::Table,
                        SyncRuns::Id,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, [LinkTargets::Table.into_iden()]).await
    }
}

#[derive(DeriveIden)]
enum LinkTargets {
    Table,
    Id,
    Url,
    HttpStatus,
    CheckedAt,
    SyncRunId,
}
