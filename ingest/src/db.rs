//! Opening the database (SQLite or PostgreSQL, chosen by the URL's scheme) and applying migrations.

use std::time::Duration;

use lmsdr_migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr, TransactionTrait};

/// The database used when none is given: an SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://lmsdr.db?mode=rwc";

/// How long an SQLite connection waits for a lock held by another connection or process.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections in the pool. SQLite in WAL mode serves many readers beside one writer; each
/// connection is a thread of its own with its caches, and four keep two cores as busy as eight
/// while holding 10 MiB less (`just bench`).
const SQLITE_POOL_SIZE: u32 = 4;
const POSTGRES_POOL_SIZE: u32 = 16;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A pooled connection idle this long is pinged before it is handed out; one used more recently
/// is known good. SQLx's default pings on every checkout: a round trip to PostgreSQL, or to an
/// SQLite connection's thread, before every statement (`just bench`: half the statements).
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// Why the database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names neither SQLite nor PostgreSQL.
    #[error(
        "unsupported database URL `{0}`: use sqlite://PATH?mode=rwc or postgres://USER@HOST/DB"
    )]
    UnsupportedScheme(String),
    /// The database could not be reached or opened.
    #[error("cannot open database {url}: {reason}")]
    Connect {
        /// The URL with any password hidden.
        url: String,
        /// What the driver said.
        reason: String,
    },
    /// Applying or inspecting migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[source] DbErr),
}

/// Which database engine a URL names.
pub fn backend_of(url: &str) -> Result<DbBackend, DbError> {
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
    match scheme {
        "sqlite" => Ok(DbBackend::Sqlite),
        "postgres" | "postgresql" => Ok(DbBackend::Postgres),
        _ => Err(DbError::UnsupportedScheme(redact(url))),
    }
}

/// Opens a connection pool, tuned for the engine the URL names.
///
/// SQLite gets WAL, `synchronous=NORMAL`, a busy timeout, enforced foreign keys and a pool of
/// several connections (SeaORM would otherwise cap it at one). An in-memory SQLite database keeps
/// a single connection, since each connection would otherwise see a database of its own.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbError> {
    open(url, true).await
}

/// [`connect`], with SQLite's foreign keys enforced or not; one connection when they are not.
async fn open(url: &str, foreign_keys: bool) -> Result<DatabaseConnection, DbError> {
    let backend = backend_of(url)?;
    let mut options = ConnectOptions::new(url);
    options
        .connect_timeout(CONNECT_TIMEOUT)
        .acquire_timeout(CONNECT_TIMEOUT)
        .test_before_acquire_if_idle_for(PING_WHEN_IDLE_FOR)
        .sqlx_logging(false);
    match backend {
        DbBackend::Sqlite => {
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            options
                .max_connections(if in_memory || !foreign_keys {
                    1
                } else {
                    SQLITE_POOL_SIZE
                })
                .min_connections(1)
                .map_sqlx_sqlite_opts(move |opts| {
                    opts.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .busy_timeout(SQLITE_BUSY_TIMEOUT)
                        .foreign_keys(foreign_keys)
                });
        }
        _ => {
            options.max_connections(POSTGRES_POOL_SIZE);
        }
    }
    if backend == DbBackend::Postgres {
        probe_postgres(url).await?;
    }
    Database::connect(options).await.map_err(|err| {
        let mut reason = driver_reason(&err);
        if backend == DbBackend::Sqlite && !url.contains("mode=") {
            reason.push_str(
                " (a new SQLite file is created only with ?mode=rwc at the end of the URL)",
            );
        }
        DbError::Connect {
            url: redact(url),
            reason,
        }
    })
}

/// One direct connection before the pool is built: a pool reports only "timed out" after retrying
/// for its whole acquire timeout, whatever went wrong; a single attempt names the cause at once
/// (refused, unknown host, no such database, bad password).
async fn probe_postgres(url: &str) -> Result<(), DbError> {
    use sea_orm::sqlx::Connection;
    let failure = |reason: String| DbError::Connect {
        url: redact(url),
        reason,
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, sea_orm::sqlx::PgConnection::connect(url)).await {
        Ok(Ok(conn)) => {
            // Closing politely is best effort; the probe has done its job either way.
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(err)) => Err(failure(err.to_string())),
        Err(_) => Err(failure(format!(
            "no answer within {}s",
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbError> {
    Migrator::up(db, None).await.map_err(DbError::Migrate)
}

/// Drops every table and applies every migration again, in one transaction: if any step fails,
/// the database is left as it was. On SQLite this runs on a connection of its own that does not
/// enforce foreign keys: dropping a table deletes its rows first, which a key would refuse, and
/// the setting cannot change inside a transaction.
pub async fn rebuild(url: &str) -> Result<(), DbError> {
    let db = open(url, false).await?;
    let txn = db.begin().await.map_err(DbError::Migrate)?;
    Migrator::fresh(&txn).await.map_err(DbError::Migrate)?;
    txn.commit().await.map_err(DbError::Migrate)?;
    // Closing politely is best effort: the work is committed.
    let _ = db.close().await;
    Ok(())
}

/// Opens the database and applies pending migrations: what `serve`, `import` and `sync` do first.
/// On PostgreSQL, where several replicas may start at once, the migrations run under an
/// advisory lock of their own: one replica migrates, the others wait and then find nothing
/// pending.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbError> {
    let db = connect(url).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        migrate_locked(&db, url).await?;
    } else {
        migrate_racing(&db).await?;
    }
    Ok(db)
}

/// SQLite has no advisory lock: a process that loses the race to another one's migrations has
/// a statement fail, waits, and finds them applied (or applies what is still pending).
async fn migrate_racing(db: &DatabaseConnection) -> Result<(), DbError> {
    const ATTEMPTS: u64 = 5;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let Err(err) = migrate(db).await else {
            return Ok(());
        };
        let pending = Migrator::get_pending_migrations(db)
            .await
            .map_err(DbError::Migrate)?;
        if pending.is_empty() {
            return Ok(());
        }
        if attempt == ATTEMPTS {
            return Err(err);
        }
        tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
    }
}

/// The advisory-lock key migrations run under ("lmsdrmig").
const MIGRATION_LOCK_KEY: i64 = 0x6c6d_7364_726d_6967;
/// How long a replica waits for another one's migrations.
const MIGRATION_LOCK_WAIT: &str = "10min";

async fn migrate_locked(db: &DatabaseConnection, url: &str) -> Result<(), DbError> {
    use sea_orm::sqlx::{Connection, PgConnection};
    let failure = |reason: String| DbError::Migrate(DbErr::Custom(reason));
    let mut session = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(url))
        .await
        .map_err(|_| failure("the migration lock's connection timed out".to_owned()))?
        .map_err(|e| failure(e.to_string()))?;
    sea_orm::sqlx::query("SELECT set_config('lock_timeout', $1, false)")
        .bind(MIGRATION_LOCK_WAIT)
        .execute(&mut session)
        .await
        .map_err(|e| failure(e.to_string()))?;
    sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut session)
        .await
        .map_err(|e| failure(format!("waiting for another replica's migrations: {e}")))?;
    let migrated = migrate(db).await;
    // Closing the session releases the lock whatever happened.
    let _ = session.close().await;
    migrated
}

/// Whether an error means the database cannot take writes at all — its disk is full, it is
/// read-only or corrupt, its storage or connection failed — rather than that one statement was
/// refused. Going on page by page would only fail again, and the next failure (on SQLite, often
/// "database is locked" while the failed transaction unwinds) would hide this cause.
pub fn cannot_write(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error;
    let sqlx = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return false,
    };
    match sqlx.as_ref() {
        Error::Io(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed => true,
        Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db
                .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
                .is_some()
            {
                // SQLite's extended code; its low byte is the primary one: READONLY, IOERR,
                // CORRUPT, FULL, CANTOPEN, NOTADB.
                let primary = code.parse::<i32>().map(|c| c & 0xff);
                matches!(primary, Ok(8 | 10 | 11 | 13 | 14 | 26))
            } else {
                // PostgreSQL's SQLSTATE: connection exceptions, insufficient resources (disk
                // full, out of memory), operator intervention (shutdown), system and internal
                // errors, and a read-only transaction (a standby, or read-only by default).
                ["08", "53", "57P", "58", "XX"]
                    .iter()
                    .any(|class| code.starts_with(class))
                    || code == "25006"
            }
        }
        _ => false,
    }
}

/// The URL with its password replaced, fit for logs and error messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password only fails for URLs that cannot have one, excluded above.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// The driver's own words, without SeaORM's wrapping.
fn driver_reason(err: &DbErr) -> String {
    match err {
        DbErr::Conn(inner) => inner.to_string(),
        other => other.to_string(),
    }
    .trim_start_matches("Connection Error: ")
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_follows_the_scheme() {
        assert_eq!(backend_of("sqlite://x.db").ok(), Some(DbBackend::Sqlite));
        assert_eq!(
            backend_of("postgres://u@h/d").ok(),
            Some(DbBackend::Postgres)
        );
        assert_eq!(
            backend_of("postgresql://u@h/d").ok(),
            Some(DbBackend::Postgres)
        );
        assert!(matches!(
            backend_of("mysql://u@h/d"),
            Err(DbError::UnsupportedScheme(_))
        ));
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://lmsdr:hunter2@db:5432/lmsdr"),
            "postgres://lmsdr:***@db:5432/lmsdr"
        );
        assert_eq!(
            redact("sqlite://lmsdr.db?mode=rwc"),
            "sqlite://lmsdr.db?mode=rwc"
        );
    }
}
