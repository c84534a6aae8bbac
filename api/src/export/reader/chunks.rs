//! Reading a table in keyset chunks.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::export::ExportError;

/// A table read in chunks of `size` rows ordered by its integer key.
pub(super) struct Chunks<E: EntityTrait> {
    select: Select<E>,
    id: E::Column,
    size: u64,
    key: fn(&E::Model) -> i32,
    after: Option<i32>,
}

impl<E: EntityTrait> Chunks<E> {
    pub(super) fn new(
        select: Select<E>,
        id: E::Column,
        size: u64,
        key: fn(&E::Model) -> i32,
    ) -> Self {
        Self {
            select,
            id,
            size,
            key,
            after: Some(i32::MIN),
        }
    }

    /// The next chunk; `None` after the last.
    pub(super) async fn next(
        &mut self,
        txn: &DatabaseTransaction,
    ) -> Result<Option<Vec<E::Model>>, ExportError> {
        let Some(after) = self.after else {
            return Ok(None);
        };
        let chunk = self
            .select
            .clone()
            .filter(self.id.gt(after))
            .order_by_asc(self.id)
            .limit(self.size)
            .all(txn)
            .await?;
        self.after = chunk.last().map(self.key);
        Ok(Some(chunk).filter(|c| !c.is_empty()))
    }
}

/// `id → value` for every row of a table.
pub(super) async fn id_map<E: EntityTrait>(
    txn: &impl ConnectionTrait,
    id: E::Column,
    value: E::Column,
) -> Result<HashMap<i32, String>, ExportError> {
    Ok(E::find()
        .select_only()
        .columns([id, value])
        .into_tuple::<(i32, String)>()
        .all(txn)
        .await?
        .into_iter()
        .collect())
}
