//! The change outbox: one event for every accepted change a sync, an import or a review commits,
//! written in the same transaction as the change, so that an event exists exactly when its change
//! does. Its ID orders the change feed and is the cursor subscribers and webhooks resume from.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{drop_tables, fk, index};
use crate::m20261129_000001_create_sync_runs::SyncRuns;
use crate::m20261129_000002_create_pages::{PageRevisions, Pages};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChangeEvents::Table)
                    .if_not_exists()
                    .col(pk_auto(ChangeEvents::Id))
                    .col(string_len(ChangeEvents::Kind, 32))
                    .col(integer(ChangeEvents::PageId))
                    .col(integer(ChangeEvents::RevisionId))
                    .col(integer_null(ChangeEvents::SyncRunId))
                    .col(json_binary(ChangeEvents::Summary))
                    .col(timestamp_with_time_zone(ChangeEvents::CreatedAt))
                    .foreign_key(&mut fk(
                        ChangeEvents::Table,
                        ChangeEvents::PageId,
                        Pages::Table,
                        Pages::Id,
                    ))
                    .foreign_key(&mut fk(
                        ChangeEvents::Table,
                        ChangeEvents::RevisionId,
                        PageRevisions::Table,
                        PageRevisions::Id,
                    ))
                    .foreign_key(&mut fk(
                        ChangeEvents::Table,
                        ChangeEvents::SyncRunId,
                        SyncRuns::Table,
                        SyncRuns::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            ChangeEvents::Table,
            [ChangeEvents::SyncRunId],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, [ChangeEvents::Table.into_iden()]).await
    }
}

#[derive(DeriveIden)]
pub enum ChangeEvents {
    Table,
    Id,
    Kind,
    PageId,
    RevisionId,
    SyncRunId,
    Summary,
    CreatedAt,
}
