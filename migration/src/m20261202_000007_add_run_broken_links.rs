//! Broken links on each run: a linked URL that was never a page and answers 404 or 410 is the
//! site's broken link, counted apart from failures so that it alone never makes a run partial.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_column, drop_column};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            SyncRuns::Table,
            integer(SyncRuns::BrokenLinks).default(0).to_owned(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, SyncRuns::Table, SyncRuns::BrokenLinks).await
    }
}

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
    BrokenLinks,
}
