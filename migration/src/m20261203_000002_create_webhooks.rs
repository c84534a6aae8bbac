//! Webhooks: partners' endpoints, and one delivery per change event and endpoint. Deliveries are
//! made from the change outbox (each endpoint keeps the last event it was given deliveries for),
//! so an event committed while no `serve` runs is still delivered once one starts.

use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{drop_tables, fk, index};
use crate::m20261203_000001_create_change_events::ChangeEvents;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .if_not_exists()
                    .col(pk_auto(Webhooks::Id))
                    .col(text(Webhooks::Url))
                    .col(text(Webhooks::Secret))
                    .col(string_len_uniq(Webhooks::Key, 36))
                    .col(integer(Webhooks::AfterEventId))
                    .col(timestamp_with_time_zone(Webhooks::CreatedAt))
                    .col(timestamp_with_time_zone_null(Webhooks::FailingSince))
                    .col(timestamp_with_time_zone_null(Webhooks::DisabledAt))
                    .col(text_null(Webhooks::DisabledReason))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .if_not_exists()
                    .col(pk_auto(WebhookDeliveries::Id))
                    .col(integer(WebhookDeliveries::WebhookId))
                    .col(integer(WebhookDeliveries::EventId))
                    .col(string_len_uniq(WebhookDeliveries::DeliveryId, 36))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::ClaimedUntil,
                    ))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::LastAttemptAt,
                    ))
                    .col(integer_null(WebhookDeliveries::LastStatus))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .foreign_key(
                        // Removing an endpoint removes its deliveries; change events stay.
                        fk(
                            WebhookDeliveries::Table,
                            WebhookDeliveries::WebhookId,
                            Webhooks::Table,
                            Webhooks::Id,
                        )
                        .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut fk(
                        WebhookDeliveries::Table,
                        WebhookDeliveries::EventId,
                        ChangeEvents::Table,
                        ChangeEvents::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            WebhookDeliveries::Table,
            [WebhookDeliveries::WebhookId, WebhookDeliveries::EventId],
            true,
        )
        .await?;
        index(
            manager,
            WebhookDeliveries::Table,
            [
                WebhookDeliveries::DeliveredAt,
                WebhookDeliveries::NextAttemptAt,
            ],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            [
                WebhookDeliveries::Table.into_iden(),
                Webhooks::Table.into_iden(),
            ],
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    Url,
    Secret,
    Key,
    AfterEventId,
    CreatedAt,
    FailingSince,
    DisabledAt,
    DisabledReason,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    WebhookId,
    EventId,
    DeliveryId,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    LastAttemptAt,
    LastStatus,
    LastError,
    DeliveredAt,
    CreatedAt,
}
