//! Captures read from web archives by `lmsdr backfill`: each capture fetched once, what became
//! of it, and the archive URL a revision came from, so a backfill that was stopped, or is run
//! again later, fetches only what is new.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_column, drop_column, drop_tables, fk, index};
use crate::m20261129_000001_create_sync_runs::SyncRuns;
use crate::m20261129_000002_create_pages::PageRevisions;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            PageRevisions::Table,
            text_null(Revisions::MementoUrl),
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(ArchiveCaptures::Table)
                    .if_not_exists()
                    .col(pk_auto(ArchiveCaptures::Id))
                    .col(text(ArchiveCaptures::Archive))
                    .col(text(ArchiveCaptures::PageUrl))
                    .col(string_len(ArchiveCaptures::Timestamp, 14))
                    .col(text(ArchiveCaptures::Original))
                    .col(timestamp_with_time_zone(ArchiveCaptures::CapturedAt))
                    .col(string_len_null(ArchiveCaptures::Digest, 64))
                    .col(string_len(ArchiveCaptures::Outcome, 32))
                    .col(text_null(ArchiveCaptures::Reason))
                    .col(integer_null(ArchiveCaptures::RevisionId))
                    .col(integer_null(ArchiveCaptures::SyncRunId))
                    .col(timestamp_with_time_zone(ArchiveCaptures::RecordedAt))
                    .foreign_key(&mut fk(
                        ArchiveCaptures::Table,
                        ArchiveCaptures::RevisionId,
                        PageRevisions::Table,
                        PageRevisions::Id,
                    ))
                    .foreign_key(&mut fk(
                        ArchiveCaptures::Table,
                        ArchiveCaptures::SyncRunId,
                        SyncRuns::Table,
                        SyncRuns::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            ArchiveCaptures::Table,
            [
                ArchiveCaptures::Archive,
                ArchiveCaptures::PageUrl,
                ArchiveCaptures::Timestamp,
            ],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, [ArchiveCaptures::Table.into_iden()]).await?;
        drop_column(manager, PageRevisions::Table, Revisions::MementoUrl).await
    }
}

#[derive(DeriveIden)]
enum Revisions {
    MementoUrl,
}

#[derive(DeriveIden)]
enum ArchiveCaptures {
    Table,
    Id,
    Archive,
    PageUrl,
    Timestamp,
    Original,
    CapturedAt,
    Digest,
    Outcome,
    Reason,
    RevisionId,
    SyncRunId,
    RecordedAt,
}
