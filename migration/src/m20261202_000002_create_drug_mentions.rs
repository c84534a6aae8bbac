//! Every sentence that names a drug, on any page, with listing intervals like every fact; and an
//! index of links by target, for a page's inbound links and the site's broken links.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{drop_tables, fk, index, with_listing};
use crate::m20261129_000002_create_pages::{Pages, Provenance};
use crate::m20261129_000004_create_drugs::Drugs;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut mentions = Table::create();
        mentions
            .table(DrugMentions::Table)
            .if_not_exists()
            .col(pk_auto(DrugMentions::Id))
            .col(integer(DrugMentions::DrugId))
            .col(integer(DrugMentions::PageId))
            .col(text(DrugMentions::NameAsWritten))
            .col(text(DrugMentions::Sentence))
            .col(string_len(DrugMentions::SentenceHash, 64))
            .col(integer(DrugMentions::ProvenanceId))
            .foreign_key(&mut fk(
                DrugMentions::Table,
                DrugMentions::DrugId,
                Drugs::Table,
                Drugs::Id,
            ))
            .foreign_key(&mut fk(
                DrugMentions::Table,
                DrugMentions::PageId,
                Pages::Table,
                Pages::Id,
            ))
            .foreign_key(&mut fk(
                DrugMentions::Table,
                DrugMentions::ProvenanceId,
                Provenance::Table,
                Provenance::Id,
            ));
        manager
            .create_table(with_listing(&mut mentions).to_owned())
            .await?;
        index(
            manager,
            DrugMentions::Table,
            [
                DrugMentions::PageId,
                DrugMentions::DrugId,
                DrugMentions::SentenceHash,
            ],
            true,
        )
        .await?;
        index(
            manager,
            DrugMentions::Table,
            [DrugMentions::DrugId, DrugMentions::Id],
            false,
        )
        .await?;
        index(manager, Links::Table, [Links::Url], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_links_url")
                    .table(Links::Table)
                    .to_owned(),
            )
            .await?;
        drop_tables(manager, [DrugMentions::Table.into_iden()]).await
    }
}

#[derive(DeriveIden)]
enum DrugMentions {
    Table,
    Id,
    DrugId,
    PageId,
    NameAsWritten,
    Sentence,
    SentenceHash,
    ProvenanceId,
}

#[derive(DeriveIden)]
enum Links {
    Table,
    Url,
}
