//! What resolvers reach through the GraphQL context.

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::DatabaseConnection;

use super::error::{Result, internal};
use super::loaders::{Key, Loaders};

/// The database connection.
pub fn db<'a>(ctx: &Context<'a>) -> Result<&'a DatabaseConnection> {
    ctx.data::<DatabaseConnection>()
        .map_err(|_| internal("no database connection in the GraphQL context"))
}

/// This request's loaders.
pub fn loaders<'a>(ctx: &Context<'a>) -> Result<&'a Loaders> {
    ctx.data::<Loaders>()
        .map_err(|_| internal("no loaders in the GraphQL context"))
}

/// Loads one key through a loader, mapping database errors to the error boundary.
pub async fn load_one<L, K>(loader: &DataLoader<L>, key: K) -> Result<Option<L::Value>>
where
    K: Key,
    L: Loader<K, Error = super::loaders::LoadError>,
{
    loader.load_one(key).await.map_err(internal)
}

/// Loads a grouped key, an empty list when there is nothing.
pub async fn load_many<L, K, T>(loader: &DataLoader<L>, key: K) -> Result<Vec<T>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    L: Loader<K, Value = Vec<T>, Error = super::loaders::LoadError>,
    T: Clone + Send + Sync + 'static,
{
    Ok(loader
        .load_one(key)
        .await
        .map_err(internal)?
        .unwrap_or_default())
}

/// Loads rows by ID through a loader, in the order of `ids`, skipping IDs with no row.
pub async fn load_ordered<L>(loader: &DataLoader<L>, ids: Vec<i32>) -> Result<Vec<L::Value>>
where
    L: Loader<i32, Error = super::loaders::LoadError>,
{
    let rows = loader.load_many(ids.clone()).await.map_err(internal)?;
    Ok(ids.iter().filter_map(|id| rows.get(id).cloned()).collect())
}

/// Rows reached through a link table: `key`'s links in their order, then the row each names
/// (`target`), in that order.
pub async fn load_through<Links, K, T, Rows>(
    links: &DataLoader<Links>,
    key: K,
    rows: &DataLoader<Rows>,
    target: impl Fn(&T) -> i32,
) -> Result<Vec<Rows::Value>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    Links: Loader<K, Value = Vec<T>, Error = super::loaders::LoadError>,
    T: Clone + Send + Sync + 'static,
    Rows: Loader<i32, Error = super::loaders::LoadError>,
{
    let ids = load_many(links, key).await?.iter().map(target).collect();
    load_ordered(rows, ids).await
}
