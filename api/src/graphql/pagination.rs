//! Relay connections over keyset windows: a cursor names a row, and a page holds the rows whose
//! sort key comes after (or before) that row's, so rows inserted by a sync never shift the pages
//! a client is walking. `first`/`after`/`last`/`before`, a maximum page size (asking for more is
//! an error, not a silent cut), `totalCount`, and described connection, edge and page-info types.

use async_graphql::SimpleObject;
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Value,
};

use super::change::PageChange;
use super::drug::Drug;
use super::drug_mention::DrugMention;
use super::error::{Result, bad_input, code, coded, internal};
use super::page::Page;
use super::revision::Revision;
use super::sync_run::SyncRun;
use super::treatment::Treatment;

/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: usize = 100;
/// The page size when the client gives none.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// Where a page of results stands in the whole list.
#[derive(Debug, Clone, SimpleObject)]
pub struct PageInfo {
    /// Whether more items follow this page.
    pub has_next_page: bool,
    /// Whether items come before this page.
    pub has_previous_page: bool,
    /// The cursor of the page's first item.
    pub start_cursor: Option<String>,
    /// The cursor of the page's last item; pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// A page of items as the pagination helpers produce it, before it becomes a connection.
#[derive(Debug, Clone)]
pub struct Slice<T> {
    /// The items with their cursors.
    pub items: Vec<(String, T)>,
    /// Where the page stands.
    pub page_info: PageInfo,
    /// How many items the whole list holds.
    pub total: i64,
}

impl<T> Slice<T> {
    /// A page of items, each with its cursor.
    pub fn new(items: Vec<(String, T)>, has_previous: bool, has_next: bool, total: i64) -> Self {
        let page_info = PageInfo {
            has_next_page: has_next,
            has_previous_page: has_previous,
            start_cursor: items.first().map(|(c, _)| c.clone()),
            end_cursor: items.last().map(|(c, _)| c.clone()),
        };
        Self {
            items,
            page_info,
            total,
        }
    }

    /// The same page with each item made into another.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Slice<U> {
        Slice {
            items: self
                .items
                .into_iter()
                .map(|(c, item)| (c, f(item)))
                .collect(),
            page_info: self.page_info,
            total: self.total,
        }
    }
}

/// Declares a Relay connection type and its edge type for one kind of node.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty, $what:literal) => {
        #[doc = concat!("A page of ", $what, ", Relay style: the items as edges or as nodes, where the page stands, and how many items the whole list holds.")]
        #[derive(Debug, Clone, SimpleObject)]
        pub struct $connection {
            /// Where this page stands in the whole list.
            pub page_info: PageInfo,
            /// The items with their cursors.
            pub edges: Vec<$edge>,
            /// The items alone.
            pub nodes: Vec<$node>,
            /// How many items the whole list holds.
            pub total_count: i64,
        }

        #[doc = concat!("One of ", $what, ", with the cursor that names its place in the list.")]
        #[derive(Debug, Clone, SimpleObject)]
        pub struct $edge {
            /// The item.
            pub node: $node,
            /// Where the item stands; pass it as `after` or `before` to page from it.
            pub cursor: String,
        }

        impl From<Slice<$node>> for $connection {
            fn from(slice: Slice<$node>) -> Self {
                let nodes = slice.items.iter().map(|(_, node)| node.clone()).collect();
                let edges = slice
                    .items
                    .into_iter()
                    .map(|(cursor, node)| $edge { node, cursor })
                    .collect();
                Self {
                    page_info: slice.page_info,
                    edges,
                    nodes,
                    total_count: slice.total,
                }
            }
        }
    };
}

connection!(DrugConnection, DrugEdge, Drug, "drugs");
connection!(TreatmentConnection, TreatmentEdge, Treatment, "treatments");
connection!(PageConnection, PageEdge, Page, "pages");
connection!(RevisionConnection, RevisionEdge, Revision, "revisions");
connection!(SyncRunConnection, SyncRunEdge, SyncRun, "sync runs");
connection!(ChangeConnection, ChangeEdge, PageChange, "changes");
connection!(
    DrugMentionConnection,
    DrugMentionEdge,
    DrugMention,
    "drug mentions"
);

/// Pagination arguments as a resolver receives them.
#[derive(Debug, Clone, Default)]
pub struct Args {
    /// `first`.
    pub first: Option<i32>,
    /// `after`.
    pub after: Option<String>,
    /// `last`.
    pub last: Option<i32>,
    /// `before`.
    pub before: Option<String>,
}

/// What a request asks for, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window<K> {
    /// Items after this one.
    pub after: Option<K>,
    /// Items before this one.
    pub before: Option<K>,
    /// How many.
    pub limit: usize,
    /// Counted from the end (`last`).
    pub from_end: bool,
}

impl Args {
    /// Forward pagination only.
    pub fn forward(first: Option<i32>, after: Option<String>) -> Self {
        Self {
            first,
            after,
            ..Self::default()
        }
    }

    /// The window asked for, its cursors decoded by `decode`.
    pub fn window<K>(&self, decode: impl Fn(&str) -> Option<K>) -> Result<Window<K>> {
        let count = |n: Option<i32>, name: &str| -> Result<Option<usize>> {
            match n {
                None => Ok(None),
                Some(n) if n < 0 => Err(bad_input(format!("`{name}` must not be negative"))),
                Some(n) if n as usize > MAX_PAGE_SIZE => Err(coded(
                    code::PAGE_SIZE_EXCEEDED,
                    format!("`{name}` is {n}; the maximum page size is {MAX_PAGE_SIZE}"),
                )),
                Some(n) => Ok(Some(n as usize)),
            }
        };
        let cursor = |c: &Option<String>, name: &str| -> Result<Option<K>> {
            c.as_deref()
                .map(|c| {
                    decode(c).ok_or_else(|| bad_input(format!("`{name}` is not a valid cursor")))
                })
                .transpose()
        };
        let first = count(self.first, "first")?;
        let last = count(self.last, "last")?;
        if first.is_some() && last.is_some() {
            return Err(bad_input("pass `first` or `last`, not both"));
        }
        Ok(Window {
            after: cursor(&self.after, "after")?,
            before: cursor(&self.before, "before")?,
            limit: first.or(last).unwrap_or(DEFAULT_PAGE_SIZE),
            from_end: last.is_some(),
        })
    }
}

pub use crate::ids::{decode_row_cursor, row_cursor};

/// How a list is ordered: its sort key, most significant first and ending with the row's ID,
/// all ascending or all descending. `M` is the row read (the entity's model by default).
pub struct Keyset<E: EntityTrait, M = <E as EntityTrait>::Model> {
    /// The sort key's expressions.
    pub key: Vec<SimpleExpr>,
    /// Whether the list runs from the largest key down.
    pub descending: bool,
    /// The ID column.
    pub id: E::Column,
    /// A row's ID.
    pub id_of: fn(&M) -> i32,
    /// The table (with the joins the key needs, and no filter) to find a cursor's row in.
    pub base: Select<E>,
}

/// Reads the page of `query` the arguments ask for, ordered by the keyset, and wraps each row.
pub async fn paginate<E, M, T>(
    db: &DatabaseConnection,
    query: Select<E>,
    keyset: Keyset<E, M>,
    args: Args,
    wrap: impl Fn(M) -> T,
) -> Result<Slice<T>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    M: FromQueryResult + Send + Sync,
{
    let window = args.window(decode_row_cursor)?;
    let total = query.clone().count(db).await.map_err(internal)? as i64;
    let mut page = query;
    for (cursor, later) in [(window.after, true), (window.before, false)] {
        let Some(id) = cursor else { continue };
        let key = key_of(db, &keyset, id).await?;
        let (rows, values) = (Expr::tuple(keyset.key.clone()), Expr::tuple(key));
        // "After" in list order: a larger key ascending, a smaller one descending.
        page = page.filter(if later != keyset.descending {
            rows.gt(values)
        } else {
            rows.lt(values)
        });
    }
    let ascending = window.from_end == keyset.descending;
    for expr in &keyset.key {
        page = page.order_by(
            expr.clone(),
            if ascending { Order::Asc } else { Order::Desc },
        );
    }
    let mut rows = page
        .limit(window.limit as u64 + 1)
        .into_model::<M>()
        .all(db)
        .await
        .map_err(internal)?;
    let more = rows.len() > window.limit;
    rows.truncate(window.limit);
    if window.from_end {
        rows.reverse();
    }
    let (has_previous, has_next) = if window.from_end {
        (more, window.before.is_some())
    } else {
        (window.after.is_some(), more)
    };
    let items = rows
        .into_iter()
        .map(|row| (row_cursor((keyset.id_of)(&row)), wrap(row)))
        .collect();
    Ok(Slice::new(items, has_previous, has_next, total))
}

/// The sort key of the row a cursor names.
async fn key_of<E: EntityTrait, M>(
    db: &DatabaseConnection,
    keyset: &Keyset<E, M>,
    id: i32,
) -> Result<Vec<SimpleExpr>> {
    let mut select = keyset.base.clone().select_only();
    for (index, expr) in keyset.key.iter().enumerate() {
        select = select.expr_as(expr.clone(), format!("k{index}"));
    }
    let statement = select
        .filter(keyset.id.eq(id))
        .build(sea_orm::ConnectionTrait::get_database_backend(db));
    let row = sea_orm::ConnectionTrait::query_one_raw(db, statement)
        .await
        .map_err(internal)?
        .ok_or_else(|| bad_input("the cursor names an item that does not exist"))?;
    (0..keyset.key.len())
        .map(|index| {
            let name = format!("k{index}");
            let value = row
                .try_get::<i32>("", &name)
                .map(Value::from)
                .or_else(|_| row.try_get::<i64>("", &name).map(Value::from))
                .or_else(|_| row.try_get::<String>("", &name).map(Value::from))
                .or_else(|_| {
                    row.try_get::<chrono::DateTime<chrono::Utc>>("", &name)
                        .map(Value::from)
                })
                .map_err(internal)?;
            Ok(Expr::val(value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(args: Args) -> Option<Window<i32>> {
        args.window(decode_row_cursor).ok()
    }

    #[test]
    fn windows_follow_relay_rules() {
        assert_eq!(
            window(Args::forward(Some(3), Some(row_cursor(8)))),
            Some(Window {
                after: Some(8),
                before: None,
                limit: 3,
                from_end: false
            })
        );
        let last = Args {
            last: Some(2),
            before: Some(row_cursor(5)),
            ..Args::default()
        };
        assert_eq!(
            window(last),
            Some(Window {
                after: None,
                before: Some(5),
                limit: 2,
                from_end: true
            })
        );
        assert_eq!(
            window(Args::forward(None, None)).map(|w| w.limit),
            Some(DEFAULT_PAGE_SIZE)
        );
    }

    #[test]
    fn limits_and_bad_cursors_are_errors() {
        assert!(window(Args::forward(Some(101), None)).is_none());
        assert!(window(Args::forward(Some(-1), None)).is_none());
        assert!(window(Args::forward(Some(1), Some("nope".into()))).is_none());
        let both = Args {
            first: Some(1),
            last: Some(1),
            ..Args::default()
        };
        assert!(window(both).is_none());
        assert_eq!(decode_row_cursor(&row_cursor(42)), Some(42));
    }
}
