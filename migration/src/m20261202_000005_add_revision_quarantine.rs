//! Quarantine: a revision that would wipe or gut a page's facts (a maintenance page served with
//! 200, a page cut short) is kept, visible, but applied only when a person accepts it; and the
//! number of such pages on each run.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_column, drop_column};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            boolean(PageRevisions::Quarantined)
                .default(false)
                .to_owned(),
            text_null(PageRevisions::QuarantineReason),
            string_len_null(PageRevisions::Review, 16),
            timestamp_with_time_zone_null(PageRevisions::ReviewedAt),
        ] {
            add_column(manager, PageRevisions::Table, column).await?;
        }
        add_column(
            manager,
            SyncRuns::Table,
            integer(SyncRuns::PagesQuarantined).default(0).to_owned(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, SyncRuns::Table, SyncRuns::PagesQuarantined).await?;
        for column in [
            PageRevisions::ReviewedAt,
            PageRevisions::Review,
            PageRevisions::QuarantineReason,
            PageRevisions::Quarantined,
        ] {
            drop_column(manager, PageRevisions::Table, column).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum PageRevisions {
    Table,
    Quarantined,
    QuarantineReason,
    Review,
    ReviewedAt,
}

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
    PagesQuarantined,
}
