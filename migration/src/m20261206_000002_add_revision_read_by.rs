//! Which version of the extractor read each revision, so that a page read by an older one is
//! read again from its stored bytes once extraction changes what pages state (null: read before
//! versions were kept).

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_column, drop_column};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            PageRevisions::Table,
            integer_null(PageRevisions::ReadBy).to_owned(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, PageRevisions::Table, PageRevisions::ReadBy).await
    }
}

#[derive(DeriveIden)]
enum PageRevisions {
    Table,
    ReadBy,
}
