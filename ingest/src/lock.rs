//! One writing run at a time per database — a sync or an import: a PostgreSQL advisory lock held
//! on a connection of its own (released by the server if the process dies), or on SQLite a lease
//! row with an expiry, renewed while the run goes and taken over at once when its holder's
//! process is gone.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use lmsdr_entity::sync_leases;
use sea_orm::sqlx::{Connection, PgConnection};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter, Set, Statement, TransactionTrait,
};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

/// The advisory-lock key (and lease name) of the sync job.
const LOCK_KEY: i64 = 0x6c6d_7364_7273_796e; // "lmsdrsyn"
const LEASE_NAME: &str = "sync";

/// How long a lease lasts without renewal; its keeper renews it every third of that.
pub const LEASE_TTL: Duration = Duration::from_secs(60);
/// How long connecting the advisory lock's session may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the lock could not be had.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another sync or import holds it.
    #[error("the database is busy: another sync or import is running (held by {0})")]
    Busy(String),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// A held sync lock. A keeper task owned by the lock renews it (the lease) or checks it (the
/// advisory lock) every third of [`LEASE_TTL`], so that a page that hangs cannot outlive it;
/// when the lock turns out no longer ours, [`SyncLock::renew`] fails and the run stops writing.
/// Release it with [`SyncLock::release`]; dropping it stops the keeper, and the lock expires.
pub struct SyncLock {
    held: Held,
    lost: Arc<AtomicBool>,
    keeper: JoinHandle<()>,
}

/// What is held.
#[derive(Clone)]
enum Held {
    /// The PostgreSQL session holding the advisory lock.
    Postgres(Arc<Mutex<PgConnection>>),
    /// The SQLite lease this process holds, by its holder token.
    Lease {
        /// `host:pid:random`, unique to this acquisition.
        holder: String,
    },
}

impl std::fmt::Debug for SyncLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.held {
            Held::Postgres(_) => f.write_str("SyncLock::Postgres"),
            Held::Lease { holder } => write!(f, "SyncLock::Lease({holder})"),
        }
    }
}

impl Drop for SyncLock {
    fn drop(&mut self) {
        self.keeper.abort();
    }
}

fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned())
}

/// A holder token for one acquisition: `host:pid:random`, so that two acquisitions by one
/// process (or by a process that reused a PID) are never mistaken for each other.
fn new_holder() -> String {
    format!(
        "{}:{}:{:016x}",
        this_host(),
        std::process::id(),
        fastrand::u64(..)
    )
}

/// Whether a holder is a process of this host that no longer exists.
fn holder_is_dead(holder: &str) -> bool {
    let mut parts = holder.splitn(3, ':');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    host == this_host()
        && pid.parse::<u32>().is_ok()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Takes the lock, or says who holds it.
pub async fn acquire(db: &DatabaseConnection, url: &str) -> Result<SyncLock, LockError> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let conn_error = |e: String| DbErr::Conn(sea_orm::RuntimeErr::Internal(e));
            let mut conn = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(url))
                .await
                .map_err(|_| conn_error("the lock connection timed out".to_owned()))?
                .map_err(|e| conn_error(e.to_string()))?;
            let (locked,): (bool,) = sea_orm::sqlx::query_as("SELECT pg_try_advisory_lock($1)")
                .bind(LOCK_KEY)
                .fetch_one(&mut conn)
                .await
                .map_err(|e| DbErr::Custom(e.to_string()))?;
            if !locked {
                return Err(LockError::Busy("another PostgreSQL session".to_owned()));
            }
            if !holds_advisory_lock(&mut conn).await? {
                // A transaction-mode pooler hands each statement another server session: the
                // lock was taken on one session and is not held by the one this connection has.
                return Err(LockError::Db(DbErr::Custom(
                    "the sync lock needs a session of its own: DATABASE_URL goes through a \
                     transaction-mode pooler (use a direct or session-mode connection)"
                        .to_owned(),
                )));
            }
            Ok(SyncLock::keep(
                Held::Postgres(Arc::new(Mutex::new(conn))),
                db.clone(),
                LEASE_TTL,
            ))
        }
        _ => acquire_lease(db, LEASE_TTL).await,
    }
}

/// Whether this session holds the sync's advisory lock, as `pg_locks` says.
async fn holds_advisory_lock(conn: &mut PgConnection) -> Result<bool, DbErr> {
    let (held,): (bool,) = sea_orm::sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' \
         AND pid = pg_backend_pid() AND granted \
         AND ((classid::bigint << 32) | objid::bigint) = $1)",
    )
    .bind(LOCK_KEY)
    .fetch_one(conn)
    .await
    .map_err(|e| DbErr::Custom(e.to_string()))?;
    Ok(held)
}

/// The database's clock, so that every process judges a lease's expiry by the same time
/// whatever its own clock says.
async fn database_now(db: &impl ConnectionTrait) -> Result<DateTime<Utc>, DbErr> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', \
             'YYYY-MM-DD\"T\"HH24:MI:SS.US') AS now"
        }
        _ => "SELECT strftime('%Y-%m-%dT%H:%M:%f', 'now') AS now",
    };
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| DbErr::Custom("the database gave no time".to_owned()))?;
    let text: String = row.try_get("", "now")?;
    chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|t| t.and_utc())
        .map_err(|e| DbErr::Custom(format!("the database's time {text:?} is unreadable: {e}")))
}

/// Takes the SQLite lease for `ttl` (renewed every third of it while held). Expiry is judged
/// by the database's clock.
pub async fn acquire_lease(db: &DatabaseConnection, ttl: Duration) -> Result<SyncLock, LockError> {
    let holder = new_holder();
    let txn = db.begin().await?;
    let now = database_now(&txn).await?;
    let expires = now + chrono::Duration::from_std(ttl).unwrap_or_default();
    let current = sync_leases::Entity::find_by_id(LEASE_NAME.to_owned())
        .one(&txn)
        .await?;
    match current {
        Some(lease) if lease.expires_at > now && !holder_is_dead(&lease.holder) => {
            txn.rollback().await?;
            return Err(LockError::Busy(lease.holder));
        }
        Some(lease) => {
            let mut row = lease.into_active_model();
            row.holder = Set(holder.clone());
            row.sync_run_id = Set(None);
            row.acquired_at = Set(now);
            row.expires_at = Set(expires);
            row.update(&txn).await?;
        }
        None => {
            sync_leases::ActiveModel {
                name: Set(LEASE_NAME.to_owned()),
                holder: Set(holder.clone()),
                sync_run_id: Set(None),
                acquired_at: Set(now),
                expires_at: Set(expires),
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(SyncLock::keep(Held::Lease { holder }, db.clone(), ttl))
}

impl SyncLock {
    /// A held lock, with its keeper started.
    fn keep(held: Held, db: DatabaseConnection, ttl: Duration) -> Self {
        let lost = Arc::new(AtomicBool::new(false));
        let keeper = tokio::spawn({
            let (held, lost) = (held.clone(), lost.clone());
            async move {
                let mut every = tokio::time::interval(ttl / 3);
                every.tick().await;
                loop {
                    every.tick().await;
                    match still_ours(&held, &db, ttl).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::error!("the sync lock is no longer ours; the run stops");
                            lost.store(true, Ordering::SeqCst);
                            return;
                        }
                        // A failed renewal is retried at the next tick; the lease lasts three.
                        Err(err) => tracing::warn!(error = %err, "cannot renew the sync lock"),
                    }
                }
            }
        });
        Self { held, lost, keeper }
    }

    /// Renews the lock now, and fails when it is no longer ours (the lease was taken over, the
    /// advisory lock's session is gone): the run must stop writing.
    pub async fn renew(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        if self.lost.load(Ordering::SeqCst) || !still_ours(&self.held, db, LEASE_TTL).await? {
            self.lost.store(true, Ordering::SeqCst);
            return Err(DbErr::Custom(
                "the sync lock was lost (another run may hold it): stopping".to_owned(),
            ));
        }
        Ok(())
    }

    /// Releases the lock; one that cannot be released is left to expire, with a warning.
    pub async fn release_or_expire(self, db: &impl ConnectionTrait) {
        if let Err(err) = self.release(db).await {
            tracing::warn!(error = %err, "could not release the sync lock; it will expire");
        }
    }

    /// Releases the lock.
    pub async fn release(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        self.keeper.abort();
        match &self.held {
            Held::Postgres(conn) => {
                let mut conn = conn.lock().await;
                let _ = sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(LOCK_KEY)
                    .execute(&mut *conn)
                    .await;
                Ok(())
            }
            Held::Lease { holder } => {
                sync_leases::Entity::delete_many()
                    .filter(sync_leases::Column::Holder.eq(holder.clone()))
                    .exec(db)
                    .await?;
                Ok(())
            }
        }
    }
}

/// Renews a lease by `ttl` or checks the advisory lock's session; false when it is not ours.
async fn still_ours(held: &Held, db: &DatabaseConnection, ttl: Duration) -> Result<bool, DbErr> {
    match held {
        Held::Postgres(conn) => holds_advisory_lock(&mut *conn.lock().await).await,
        Held::Lease { holder } => {
            let expires =
                database_now(db).await? + chrono::Duration::from_std(ttl).unwrap_or_default();
            let renewed = sync_leases::Entity::update_many()
                .col_expr(
                    sync_leases::Column::ExpiresAt,
                    sea_orm::sea_query::Expr::value(expires),
                )
                .filter(sync_leases::Column::Name.eq(LEASE_NAME))
                .filter(sync_leases::Column::Holder.eq(holder.clone()))
                .exec(db)
                .await?;
            Ok(renewed.rows_affected == 1)
        }
    }
}
