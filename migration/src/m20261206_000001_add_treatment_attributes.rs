//! What a treatment item says of itself besides its names: the approval it states ("approved by
//! the FDA in October 2015": who, when as precisely as written, the words used, as one JSON
//! value) and the phase of the trial it names ("phase 2"). Null when the item states none.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{add_column, drop_column};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Treatments::Table,
            json_binary_null(Treatments::Approval).to_owned(),
        )
        .await?;
        add_column(
            manager,
            Treatments::Table,
            string_len_null(Treatments::TrialPhase, 16).to_owned(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, Treatments::Table, Treatments::TrialPhase).await?;
        drop_column(manager, Treatments::Table, Treatments::Approval).await
    }
}

#[derive(DeriveIden)]
enum Treatments {
    Table,
    Approval,
    TrialPhase,
}
