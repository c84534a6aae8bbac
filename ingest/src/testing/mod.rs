//! Isolated databases for tests: a fresh SQLite file per test, and a fresh PostgreSQL database per
//! test when `TEST_DATABASE_URL` names a server (dropped again when the test ends).

pub mod archive;
pub mod site;
pub mod wayback;

use std::sync::atomic::{AtomicU32, Ordering};

use sea_orm::DatabaseConnection;
use sea_orm::sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};

use crate::db;

/// The variable naming the PostgreSQL database tests may create their own databases beside.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// A migrated database that belongs to one test alone.
pub struct TestDb {
    /// The connection pool.
    pub conn: DatabaseConnection,
    /// The URL the pool was opened with, for subprocesses.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl std::fmt::Debug for TestDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb").field("url", &self.url).finish()
    }
}

impl TestDb {
    /// One database per available backend: SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![Self::sqlite().await];
        if let Some(admin) = postgres_admin_url() {
            dbs.push(Self::postgres(&admin).await);
        }
        dbs
    }

    /// An empty URL-addressable database for each backend, not yet migrated.
    pub async fn all_unmigrated() -> Vec<TestDb> {
        let mut dbs = vec![Self::create_sqlite(false).await];
        if let Some(admin) = postgres_admin_url() {
            dbs.push(Self::create_postgres(&admin, false).await);
        }
        dbs
    }

    /// A fresh SQLite database in a temporary directory.
    pub async fn sqlite() -> TestDb {
        Self::create_sqlite(true).await
    }

    /// A fresh PostgreSQL database when `TEST_DATABASE_URL` is set, for tests of PostgreSQL alone.
    pub async fn postgres_if_configured() -> Option<TestDb> {
        Some(Self::postgres(&postgres_admin_url()?).await)
    }

    /// A fresh PostgreSQL database on the server `admin_url` points at.
    pub async fn postgres(admin_url: &str) -> TestDb {
        Self::create_postgres(admin_url, true).await
    }

    /// Runs one SQL statement as written, as an older lmsdr or an operator would have left the
    /// database (e.g. a column an older version did not fill).
    pub async fn execute(&self, sql: &str) {
        use sea_orm::{ConnectionTrait, Statement};
        let statement = Statement::from_string(self.conn.get_database_backend(), sql.to_owned());
        self.conn
            .execute_raw(statement)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// "sqlite" or "postgres", for messages and snapshot names.
    pub fn backend(&self) -> &'static str {
        match self.cleanup {
            Cleanup::Sqlite(_) => "sqlite",
            Cleanup::Postgres { .. } => "postgres",
        }
    }

    async fn create_sqlite(migrated: bool) -> TestDb {
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        let conn = open(&url, migrated).await;
        TestDb {
            conn,
            url,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    async fn create_postgres(admin_url: &str, migrated: bool) -> TestDb {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let name = format!(
            "lmsdr_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        let mut admin = PgConnection::connect(admin_url)
            .await
            .expect("connect to TEST_DATABASE_URL");
        admin
            .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("create a test database");
        let _ = admin.close().await;
        let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        let url = url.to_string();
        let conn = open(&url, migrated).await;
        TestDb {
            conn,
            url,
            cleanup: Cleanup::Postgres {
                admin_url: admin_url.to_owned(),
                name,
            },
        }
    }
}

async fn open(url: &str, migrated: bool) -> DatabaseConnection {
    if migrated {
        db::connect_and_migrate(url).await
    } else {
        db::connect(url).await
    }
    .unwrap_or_else(|err| panic!("open test database {url}: {err}"))
}

/// The PostgreSQL server tests may create databases on, from `TEST_DATABASE_URL`.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var(TEST_DATABASE_URL)
        .ok()
        .filter(|url| !url.is_empty())
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, db_name) = (admin_url.clone(), name.clone());
            // Drop runs outside any runtime we may block, so the cleanup gets a thread of its own.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                runtime.block_on(async {
                    let mut admin = PgConnection::connect(&admin_url).await.ok()?;
                    let name = db_name;
                    admin
                        .execute(AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .await
                        .ok()?;
                    admin.close().await.ok()
                })
            })
            .join();
            if !matches!(dropped, Ok(Some(()))) {
                eprintln!("warning: could not drop test database {name}");
            }
        }
    }
}

/// Stores the bundled treatments page as a sync would have found it at `fetched_at`, after
/// replacing `from` with `to` in its text (which must hold `from`).
pub async fn store_bundled_edit(
    db: &DatabaseConnection,
    from: &str,
    to: &str,
    fetched_at: &str,
) -> crate::pipeline::Ingested {
    use crate::bundled::{TREATMENTS_HTML, TREATMENTS_URL};
    use crate::pipeline::{self, Input};
    use lmsdr_entity::sea_orm_active_enums::RevisionOrigin;

    let text = encoding_rs::WINDOWS_1252
        .decode(TREATMENTS_HTML)
        .0
        .into_owned();
    assert!(text.contains(from), "the bundled page holds {from:?}");
    let input = Input {
        content_type: Some("text/html; charset=utf-8".to_owned()),
        fetched_at: fetched_at.parse().expect("an RFC 3339 moment"),
        ..Input::new(
            url::Url::parse(TREATMENTS_URL).expect("the bundled URL"),
            text.replace(from, to).into_bytes(),
            RevisionOrigin::Sync,
        )
    };
    pipeline::ingest(db, input)
        .await
        .expect("the edit is stored")
}
