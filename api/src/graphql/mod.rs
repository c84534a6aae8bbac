//! The GraphQL schema.

use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};
use sea_orm::DatabaseConnection;

/// The schema lmsdr serves.
pub type AppSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Builds the schema over a database.
pub fn build_schema(db: DatabaseConnection) -> AppSchema {
    Schema::build(QueryRoot, EmptyMutation, EmptySubscription)
        .data(db)
        .finish()
}

/// The root of every query.
#[derive(Debug, Default)]
pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// The version of lmsdr serving this API.
    async fn api_version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }
}
