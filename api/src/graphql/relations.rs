//! Relations between facts as listed at a moment: a treatment's drugs, a regimen's components,
//! a drug's treatments, regimens, warnings and same-drug relations, each read from the listing
//! intervals when the view is in the past. One loader per relation, keyed by the parent and
//! the moment, so that a query's relations at one level are one statement per moment asked.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use chrono::{DateTime, Duration, Utc};
use lmsdr_entity::sea_orm_active_enums::FactKind;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, IntoSimpleExpr, QueryFilter, Select};

use super::as_of::listed;
use super::loaders::LoadError;

/// A parent fact and the moment its relations are read at: `None` for what is listed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct At {
    /// The parent's ID.
    pub id: i32,
    /// The moment.
    pub at: Option<DateTime<Utc>>,
}

/// The moment a fact's relations are read at: the view's `asOf` when there is one; for a fact
/// the site no longer lists, the last moment it was listed (its links as they last stood, not
/// none); else now.
pub fn relations_at(
    as_of: Option<DateTime<Utc>>,
    delisted_at: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    as_of.or_else(|| delisted_at.map(|at| at - Duration::microseconds(1)))
}

impl At {
    /// A parent's relations at a moment ([`relations_at`]).
    pub fn of(id: i32, as_of: Option<DateTime<Utc>>, delisted_at: Option<DateTime<Utc>>) -> Self {
        Self {
            id,
            at: relations_at(as_of, delisted_at),
        }
    }
}

/// Loads the rows of a relation table by parent, listed at each key's moment, in a stated
/// order.
pub struct Listed<E: EntityTrait> {
    pub(super) db: DatabaseConnection,
    /// What the listing intervals call the relation's rows.
    pub(super) kind: FactKind,
    /// The rows, ordered.
    pub(super) query: fn() -> Select<E>,
    /// The column naming the parent.
    pub(super) parent: E::Column,
    pub(super) parent_of: fn(&E::Model) -> i32,
    /// The row's ID and delisting time.
    pub(super) id: E::Column,
    pub(super) delisted_at: E::Column,
}

impl<E> Loader<At> for Listed<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync,
    E::Column: Send + Sync + IntoSimpleExpr,
{
    type Value = Vec<E::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[At]) -> Result<HashMap<At, Vec<E::Model>>, LoadError> {
        let mut by_moment: HashMap<Option<DateTime<Utc>>, Vec<i32>> = HashMap::new();
        for key in keys {
            by_moment.entry(key.at).or_default().push(key.id);
        }
        let mut grouped: HashMap<At, Vec<E::Model>> = HashMap::new();
        for (at, parents) in by_moment {
            let rows = (self.query)()
                .filter(self.parent.is_in(parents))
                .filter(listed(self.id, self.delisted_at, self.kind, at))
                .all(&self.db)
                .await?;
            for row in rows {
                let key = At {
                    id: (self.parent_of)(&row),
                    at,
                };
                grouped.entry(key).or_default().push(row);
            }
        }
        Ok(grouped)
    }
}
