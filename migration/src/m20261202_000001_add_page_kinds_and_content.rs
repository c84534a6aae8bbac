//! Page kinds with their reasons, each revision's content (its blocks, the kind it was read as,
//! and what the extractor reported), a page's excerpt and current revision, and a
//! drug's withdrawal note.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_column, drop_column, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Pages::Table,
            string_len(Pages::Kind, 32).default("other").to_owned(),
        )
        .await?;
        add_column(manager, Pages::Table, json_binary_null(Pages::KindReasons)).await?;
        add_column(manager, Pages::Table, text_null(Pages::Excerpt)).await?;
        add_column(
            manager,
            Pages::Table,
            integer_null(Pages::CurrentRevisionId),
        )
        .await?;
        index(manager, Pages::Table, [Pages::Kind], false).await?;

        for column in [
            string_len_null(PageRevisions::Kind, 32),
            json_binary_null(PageRevisions::KindReasons),
            json_binary_null(PageRevisions::ContentBlocks),
            json_binary_null(PageRevisions::Notices),
        ] {
            add_column(manager, PageRevisions::Table, column).await?;
        }

        add_column(manager, Drugs::Table, text_null(Drugs::Withdrawn)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, Drugs::Table, Drugs::Withdrawn).await?;
        for column in [
            PageRevisions::Notices,
            PageRevisions::ContentBlocks,
            PageRevisions::KindReasons,
            PageRevisions::Kind,
        ] {
            drop_column(manager, PageRevisions::Table, column).await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ix_pages_kind")
                    .table(Pages::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Pages::CurrentRevisionId,
            Pages::Excerpt,
            Pages::KindReasons,
            Pages::Kind,
        ] {
            drop_column(manager, Pages::Table, column).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Pages {
    Table,
    Kind,
    KindReasons,
    Excerpt,
    CurrentRevisionId,
}

#[derive(DeriveIden)]
enum PageRevisions {
    Table,
    Kind,
    KindReasons,
    ContentBlocks,
    Notices,
}

#[derive(DeriveIden)]
enum Drugs {
    Table,
    Withdrawn,
}
