//! Other URLs of a stored page: one the page names another as canonical of, one that redirects
//! to it, or one serving the same content (the home page at `/` and `/index.php`). A page is
//! stored once, under one URL; its aliases find it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{drop_tables, fk, index};
use crate::m20261129_000002_create_pages::Pages;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PageAliases::Table)
                    .if_not_exists()
                    .col(pk_auto(PageAliases::Id))
                    .col(text_uniq(PageAliases::Url))
                    .col(integer(PageAliases::PageId))
                    .col(string_len(PageAliases::Reason, 32))
                    .col(timestamp_with_time_zone(PageAliases::FirstSeenAt))
                    .foreign_key(&mut fk(
                        PageAliases::Table,
                        PageAliases::PageId,
                        Pages::Table,
                        Pages::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, PageAliases::Table, [PageAliases::PageId], false).await?;
        // A new URL is compared with the stored pages holding the same content.
        index(manager, Pages::Table, [Pages::ContentHash], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_pages_content_hash")
                    .table(Pages::Table)
                    .to_owned(),
            )
            .await?;
        drop_tables(manager, [PageAliases::Table.into_iden()]).await
    }
}

#[derive(DeriveIden)]
enum PageAliases {
    Table,
    Id,
    Url,
    PageId,
    Reason,
    FirstSeenAt,
}
