//! An index for "which facts does this page list now", asked for every stored revision: without
//! it that lookup scans every listing of a kind, and a crawl slows with the site's size.

use sea_orm_migration::prelude::*;

use crate::columns::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(
            manager,
            FactListings::Table,
            [
                FactListings::PageId,
                FactListings::FactKind,
                FactListings::ListedUntil,
            ],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_fact_listings_page_id_fact_kind_listed_until")
                    .table(FactListings::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum FactListings {
    Table,
    PageId,
    FactKind,
    ListedUntil,
}
