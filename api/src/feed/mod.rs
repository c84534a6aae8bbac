//! The change outbox's read side, for its three consumers: GraphQL subscriptions (told by the
//! [`ChangeHub`]), the `/export/changes` feed and webhook fan-out; and the content
//! [`Generation`] that tells a process its cached answers are out of date. Ingest's store writes each
//! event in the transaction of the change it announces; here events are read, oldest first,
//! after a cursor, and given the shape partners read.

mod generation;
mod hub;
mod names;
mod records;

use lmsdr_entity::change_events;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

pub use generation::Generation;
pub use hub::ChangeHub;
pub use names::Names;
pub use records::records;

/// The outbox's highest event ID (0 when empty).
pub async fn latest_id<C: ConnectionTrait>(db: &C) -> Result<i32, DbErr> {
    let max: Option<Option<i32>> = change_events::Entity::find()
        .select_only()
        .column_as(change_events::Column::Id.max(), "m")
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().unwrap_or(0))
}

/// The events after the one with ID `cursor`, oldest first (each consumer sets its batch).
pub fn after(cursor: i32) -> Select<change_events::Entity> {
    change_events::Entity::find()
        .filter(change_events::Column::Id.gt(cursor))
        .order_by_asc(change_events::Column::Id)
}
