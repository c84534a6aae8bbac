//! Pages, their revisions (the edit history), the provenance records that tie every fact to a
//! revision and a source sentence, the page's links, and the listing intervals of every fact.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{drop_tables, fk, index, with_listing};
use crate::m20261129_000001_create_sync_runs::SyncRuns;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Pages::Table)
                    .if_not_exists()
                    .col(pk_auto(Pages::Id))
                    .col(text_uniq(Pages::Url))
                    .col(text_null(Pages::Title))
                    .col(text_null(Pages::LastEditedText))
                    .col(date_time_null(Pages::LastEditedAt))
                    .col(string_len(Pages::ContentHash, 64))
                    .col(text_null(Pages::Etag))
                    .col(text_null(Pages::LastModified))
                    .col(string_len(Pages::Status, 16))
                    .col(text_null(Pages::Disclaimer))
                    .col(text_null(Pages::OriginNote))
                    .col(timestamp_with_time_zone(Pages::FirstSeenAt))
                    .col(timestamp_with_time_zone(Pages::LastSeenAt))
                    .col(timestamp_with_time_zone(Pages::FetchedAt))
                    .col(timestamp_with_time_zone_null(Pages::GoneAt))
                    .to_owned(),
            )
            .await?;
        index(manager, Pages::Table, [Pages::Status], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(PageRevisions::Table)
                    .if_not_exists()
                    .col(pk_auto(PageRevisions::Id))
                    .col(integer(PageRevisions::PageId))
                    .col(integer(PageRevisions::Number))
                    .col(string_len(PageRevisions::ContentHash, 64))
                    .col(text_null(PageRevisions::LastEditedText))
                    .col(date_time_null(PageRevisions::LastEditedAt))
                    .col(timestamp_with_time_zone(PageRevisions::FetchedAt))
                    .col(integer_null(PageRevisions::HttpStatus))
                    .col(integer_null(PageRevisions::SyncRunId))
                    .col(string_len(PageRevisions::Origin, 16))
                    .col(text_null(PageRevisions::ContentType))
                    .col(string_len(PageRevisions::Encoding, 32))
                    .col(blob(PageRevisions::RawBodyZstd))
                    .col(text(PageRevisions::NormalizedText))
                    .col(text_null(PageRevisions::Diff))
                    .col(json_binary_null(PageRevisions::Summary))
                    .foreign_key(&mut fk(
                        PageRevisions::Table,
                        PageRevisions::PageId,
                        Pages::Table,
                        Pages::Id,
                    ))
                    .foreign_key(&mut fk(
                        PageRevisions::Table,
                        PageRevisions::SyncRunId,
                        SyncRuns::Table,
                        SyncRuns::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            PageRevisions::Table,
            [PageRevisions::PageId, PageRevisions::Number],
            true,
        )
        .await?;
        index(
            manager,
            PageRevisions::Table,
            [PageRevisions::SyncRunId],
            false,
        )
        .await?;
        index(
            manager,
            PageRevisions::Table,
            [PageRevisions::FetchedAt],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Provenance::Table)
                    .if_not_exists()
                    .col(pk_auto(Provenance::Id))
                    .col(integer(Provenance::PageId))
                    .col(integer(Provenance::RevisionId))
                    .col(text_null(Provenance::Section))
                    .col(text(Provenance::Excerpt))
                    .col(string_len(Provenance::ExcerptHash, 64))
                    .foreign_key(&mut fk(
                        Provenance::Table,
                        Provenance::PageId,
                        Pages::Table,
                        Pages::Id,
                    ))
                    .foreign_key(&mut fk(
                        Provenance::Table,
                        Provenance::RevisionId,
                        PageRevisions::Table,
                        PageRevisions::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            Provenance::Table,
            [Provenance::RevisionId, Provenance::ExcerptHash],
            true,
        )
        .await?;
        index(manager, Provenance::Table, [Provenance::PageId], false).await?;

        let mut links = Table::create();
        links
            .table(Links::Table)
            .if_not_exists()
            .col(pk_auto(Links::Id))
            .col(integer(Links::PageId))
            .col(string_len(Links::Kind, 16))
            .col(integer(Links::Position))
            .col(text(Links::Text))
            .col(text(Links::Url))
            .col(boolean(Links::External))
            .col(text_null(Links::Context))
            .col(integer_null(Links::ProvenanceId))
            .foreign_key(&mut fk(
                Links::Table,
                Links::PageId,
                Pages::Table,
                Pages::Id,
            ))
            .foreign_key(&mut fk(
                Links::Table,
                Links::ProvenanceId,
                Provenance::Table,
                Provenance::Id,
            ));
        manager
            .create_table(with_listing(&mut links).to_owned())
            .await?;
        index(
            manager,
            Links::Table,
            [Links::PageId, Links::Kind, Links::Url, Links::Text],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(FactListings::Table)
                    .if_not_exists()
                    .col(pk_auto(FactListings::Id))
                    .col(string_len(FactListings::FactKind, 32))
                    .col(integer(FactListings::FactId))
                    .col(integer(FactListings::PageId))
                    .col(timestamp_with_time_zone(FactListings::ListedFrom))
                    .col(timestamp_with_time_zone_null(FactListings::ListedUntil))
                    .col(integer(FactListings::FromRevisionId))
                    .col(integer_null(FactListings::UntilRevisionId))
                    .foreign_key(&mut fk(
                        FactListings::Table,
                        FactListings::PageId,
                        Pages::Table,
                        Pages::Id,
                    ))
                    .foreign_key(&mut fk(
                        FactListings::Table,
                        FactListings::FromRevisionId,
                        PageRevisions::Table,
                        PageRevisions::Id,
                    ))
                    .foreign_key(&mut fk(
                        FactListings::Table,
                        FactListings::UntilRevisionId,
                        PageRevisions::Table,
                        PageRevisions::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            FactListings::Table,
            [FactListings::FactKind, FactListings::FactId],
            false,
        )
        .await?;
        index(
            manager,
            FactListings::Table,
            [
                FactListings::FactKind,
                FactListings::ListedFrom,
                FactListings::ListedUntil,
            ],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                FactListings::Table.into_iden(),
                Links::Table.into_iden(),
                Provenance::Table.into_iden(),
                PageRevisions::Table.into_iden(),
                Pages::Table.into_iden(),
            ],
        )
        .await
    }
}

#[derive(DeriveIden)]
pub enum Pages {
    Table,
    Id,
    Url,
    Title,
    LastEditedText,
    LastEditedAt,
    ContentHash,
    Etag,
    LastModified,
    Status,
    Disclaimer,
    OriginNote,
    FirstSeenAt,
    LastSeenAt,
    FetchedAt,
    GoneAt,
}

#[derive(DeriveIden)]
pub enum PageRevisions {
    Table,
    Id,
    PageId,
    Number,
    ContentHash,
    LastEditedText,
    LastEditedAt,
    FetchedAt,
    HttpStatus,
    SyncRunId,
    Origin,
    ContentType,
    Encoding,
    RawBodyZstd,
    NormalizedText,
    Diff,
    Summary,
}

#[derive(DeriveIden)]
pub enum Provenance {
    Table,
    Id,
    PageId,
    RevisionId,
    Section,
    Excerpt,
    ExcerptHash,
}

#[derive(DeriveIden)]
enum Links {
    Table,
    Id,
    PageId,
    Kind,
    Position,
    Text,
    Url,
    External,
    Context,
    ProvenanceId,
}

#[derive(DeriveIden)]
enum FactListings {
    Table,
    Id,
    FactKind,
    FactId,
    PageId,
    ListedFrom,
    ListedUntil,
    FromRevisionId,
    UntilRevisionId,
}
