//! Sync runs (one per `lmsdr sync` or `lmsdr import`), their per-URL errors, and the lease that
//! keeps a second sync off a database that is already being synced.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{drop_tables, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SyncRuns::Table)
                    .if_not_exists()
                    .col(pk_auto(SyncRuns::Id))
                    .col(string_len(SyncRuns::Kind, 16))
                    .col(text(SyncRuns::Source))
                    .col(string_len(SyncRuns::Status, 16))
                    .col(boolean(SyncRuns::DryRun).default(false))
                    .col(timestamp_with_time_zone(SyncRuns::StartedAt))
                    .col(timestamp_with_time_zone_null(SyncRuns::FinishedAt))
                    .col(timestamp_with_time_zone_null(SyncRuns::HeartbeatAt))
                    .col(integer(SyncRuns::PagesFetched).default(0))
                    .col(integer(SyncRuns::PagesChanged).default(0))
                    .col(integer(SyncRuns::PagesNotModified).default(0))
                    .col(integer(SyncRuns::PagesFailed).default(0))
                    .to_owned(),
            )
            .await?;
        index(manager, SyncRuns::Table, [SyncRuns::StartedAt], false).await?;
        index(manager, SyncRuns::Table, [SyncRuns::Status], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(SyncErrors::Table)
                    .if_not_exists()
                    .col(pk_auto(SyncErrors::Id))
                    .col(integer(SyncErrors::SyncRunId))
                    .col(text(SyncErrors::Url))
                    .col(text(SyncErrors::Reason))
                    .col(timestamp_with_time_zone(SyncErrors::OccurredAt))
                    .foreign_key(&mut fk(
                        SyncErrors::Table,
                        SyncErrors::SyncRunId,
                        SyncRuns::Table,
                        SyncRuns::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, SyncErrors::Table, [SyncErrors::SyncRunId], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(SyncLeases::Table)
                    .if_not_exists()
                    .col(string_len(SyncLeases::Name, 64).primary_key())
                    .col(text(SyncLeases::Holder))
                    .col(integer_null(SyncLeases::SyncRunId))
                    .col(timestamp_with_time_zone(SyncLeases::AcquiredAt))
                    .col(timestamp_with_time_zone(SyncLeases::ExpiresAt))
                    .foreign_key(&mut fk(
                        SyncLeases::Table,
                        SyncLeases::SyncRunId,
                        SyncRuns::Table,
                        SyncRuns::Id,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                SyncLeases::Table.into_iden(),
                SyncErrors::Table.into_iden(),
                SyncRuns::Table.into_iden(),
            ],
        )
        .await
    }
}

#[derive(DeriveIden)]
pub enum SyncRuns {
    Table,
    Id,
    Kind,
    Source,
    Status,
    DryRun,
    StartedAt,
    FinishedAt,
    HeartbeatAt,
    PagesFetched,
    PagesChanged,
    PagesNotModified,
    PagesFailed,
}

#[derive(DeriveIden)]
enum SyncErrors {
    Table,
    Id,
    SyncRunId,
    Url,
    Reason,
    OccurredAt,
}

#[derive(DeriveIden)]
enum SyncLeases {
    Table,
    Name,
    Holder,
    SyncRunId,
    AcquiredAt,
    ExpiresAt,
}
