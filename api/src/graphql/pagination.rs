//! Relay connections over offset windows: opaque cursors, `first`/`after`/`last`/`before`, a
//! maximum page size (asking for more is an error, not a silent cut) and `totalCount`.

use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::{OutputType, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, QuerySelect, Select};

use super::error::{Result, bad_input, code, coded, internal};

/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: usize = 100;
/// The page size when the client gives none.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// A position in an ordered list, opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset(pub usize);

impl CursorType for Offset {
    type Error = String;

    fn decode_cursor(s: &str) -> std::result::Result<Self, Self::Error> {
        let raw = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| "invalid cursor".to_owned())?;
        let raw = String::from_utf8(raw).map_err(|_| "invalid cursor".to_owned())?;
        raw.strip_prefix("offset:")
            .and_then(|n| n.parse().ok())
            .map(Offset)
            .ok_or_else(|| "invalid cursor".to_owned())
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("offset:{}", self.0))
    }
}

/// The total number of items in a connection.
#[derive(Debug, SimpleObject)]
pub struct Total {
    /// How many items the whole list holds.
    pub total_count: i64,
}

/// A connection page.
pub type Page<T> = Connection<Offset, T, Total>;

/// The window a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Rows to skip.
    pub offset: usize,
    /// Rows to return.
    pub limit: usize,
}

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

impl Args {
    /// Forward pagination only.
    pub fn forward(first: Option<i32>, after: Option<String>) -> Self {
        Self {
            first,
            after,
            ..Self::default()
        }
    }

    /// The window over a list of `total` rows.
    pub fn window(&self, total: usize) -> Result<Window> {
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
        let cursor = |c: &Option<String>, name: &str| -> Result<Option<usize>> {
            c.as_deref()
                .map(|c| {
                    Offset::decode_cursor(c)
                        .map(|o| o.0)
                        .map_err(|_| bad_input(format!("`{name}` is not a valid cursor")))
                })
                .transpose()
        };
        let first = count(self.first, "first")?;
        let last = count(self.last, "last")?;
        if first.is_some() && last.is_some() {
            return Err(bad_input("pass `first` or `last`, not both"));
        }
        let start = cursor(&self.after, "after")?
            .map_or(0, |a| a + 1)
            .min(total);
        let end = cursor(&self.before, "before")?
            .unwrap_or(total)
            .min(total)
            .max(start);
        let (offset, limit) = match (first, last) {
            (_, Some(last)) => (end.saturating_sub(last).max(start), last.min(end - start)),
            (Some(first), None) => (start, first.min(end - start)),
            (None, None) => (start, DEFAULT_PAGE_SIZE.min(end - start)),
        };
        Ok(Window { offset, limit })
    }
}

/// Counts a query's rows, reads the window the arguments ask for, and wraps each row.
pub async fn paginate<E, T>(
    db: &DatabaseConnection,
    query: Select<E>,
    args: Args,
    wrap: impl Fn(E::Model) -> T,
) -> Result<Page<T>>
where
    E: EntityTrait,
    E::Model: Send + Sync,
    T: OutputType,
{
    let total = query.clone().count(db).await.map_err(internal)? as usize;
    let window = args.window(total)?;
    let rows = query
        .offset(window.offset as u64)
        .limit(window.limit as u64)
        .all(db)
        .await
        .map_err(internal)?;
    Ok(page(rows.into_iter().map(wrap).collect(), window, total))
}

/// Builds a connection page from the rows of a window.
pub fn page<T: OutputType>(rows: Vec<T>, window: Window, total: usize) -> Page<T> {
    let has_previous = window.offset > 0;
    let has_next = window.offset + rows.len() < total;
    let mut connection = Connection::with_additional_fields(
        has_previous,
        has_next,
        Total {
            total_count: total as i64,
        },
    );
    connection.edges.extend(
        rows.into_iter()
            .enumerate()
            .map(|(i, node)| Edge::new(Offset(window.offset + i), node)),
    );
    connection
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(n: usize) -> Option<String> {
        Some(Offset(n).encode_cursor())
    }

    #[test]
    fn windows_follow_relay_rules() {
        let w = |args: Args| args.window(10).ok();
        assert_eq!(
            w(Args::forward(Some(3), None)),
            Some(Window {
                offset: 0,
                limit: 3
            })
        );
        assert_eq!(
            w(Args::forward(Some(3), after(8))),
            Some(Window {
                offset: 9,
                limit: 1
            })
        );
        assert_eq!(
            w(Args::forward(Some(3), after(9))),
            Some(Window {
                offset: 10,
                limit: 0
            })
        );
        let last = Args {
            last: Some(2),
            before: after(5),
            ..Args::default()
        };
        assert_eq!(
            w(last),
            Some(Window {
                offset: 3,
                limit: 2
            })
        );
        assert_eq!(
            w(Args::forward(None, None)),
            Some(Window {
                offset: 0,
                limit: 10
            })
        );
    }

    #[test]
    fn limits_and_bad_cursors_are_errors() {
        assert!(Args::forward(Some(101), None).window(10).is_err());
        assert!(Args::forward(Some(-1), None).window(10).is_err());
        assert!(
            Args::forward(Some(1), Some("nope".into()))
                .window(10)
                .is_err()
        );
    }
}
