//! The two shapes most loaders take: rows by a unique key, and rows grouped by a parent key.

use std::collections::HashMap;
use std::hash::Hash;

use async_graphql::dataloader::Loader;
use lmsdr_entity::{
    change_events, drugs, pages, provenance, regimens, sync_runs, treatment_categories, treatments,
    warnings,
};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Select, Value};

use super::LoadError;

/// Rows that have an `id`.
pub trait Keyed {
    /// The row's primary key.
    fn key(&self) -> i32;
}

macro_rules! keyed {
    ($($module:ident),*) => {$(
        impl Keyed for $module::Model {
            fn key(&self) -> i32 {
                self.id
            }
        }
    )*};
}
keyed!(
    treatment_categories,
    treatments,
    drugs,
    regimens,
    warnings,
    pages,
    provenance,
    sync_runs,
    change_events
);

/// The keys loaders batch: row IDs and URLs.
pub trait Key: Hash + Eq + Clone + Send + Sync + Into<Value> + 'static {}
impl<K: Hash + Eq + Clone + Send + Sync + Into<Value> + 'static> Key for K {}

/// Loads rows of one table by a unique column (the primary key, a URL).
pub struct ByKey<E: EntityTrait, K> {
    pub(super) db: DatabaseConnection,
    pub(super) column: E::Column,
    pub(super) key_of: fn(&E::Model) -> K,
}

impl<E, K> Loader<K> for ByKey<E, K>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync,
    E::Column: Send + Sync,
    K: Key,
{
    type Value = E::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[K]) -> Result<HashMap<K, E::Model>, LoadError> {
        let rows = E::find()
            .filter(self.column.is_in(keys.iter().cloned()))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| ((self.key_of)(&row), row))
            .collect())
    }
}

/// Loads the rows of a table grouped by a parent key, in a stated order.
pub struct Grouped<E: EntityTrait, K = i32> {
    pub(super) db: DatabaseConnection,
    pub(super) query: fn() -> Select<E>,
    pub(super) parent: E::Column,
    pub(super) parent_of: fn(&E::Model) -> K,
}

impl<E, K> Loader<K> for Grouped<E, K>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync,
    E::Column: Send + Sync,
    K: Key,
{
    type Value = Vec<E::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[K]) -> Result<HashMap<K, Vec<E::Model>>, LoadError> {
        let rows = (self.query)()
            .filter(self.parent.is_in(keys.iter().cloned()))
            .all(&self.db)
            .await?;
        let mut grouped: HashMap<K, Vec<E::Model>> = HashMap::new();
        for row in rows {
            grouped.entry((self.parent_of)(&row)).or_default().push(row);
        }
        Ok(grouped)
    }
}
