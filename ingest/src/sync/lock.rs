//! One writing run at a time per database — a sync or an import: a PostgreSQL advisory lock held
//! on a connection of its own (released by the server if the process dies), or on SQLite a lease
//! row with an expiry, renewed while the run goes and taken over at once when its holder's
//! process is gone.

use std::time::Duration;

use chrono::Utc;
use lmsdr_entity::sync_leases;
use sea_orm::sqlx::{Connection, PgConnection};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter, Set, TransactionTrait,
};

/// The advisory-lock key (and lease name) of the sync job.
const LOCK_KEY: i64 = 0x6c6d_7364_7273_796e; // "lmsdrsyn"
const LEASE_NAME: &str = "sync";

/// How long a lease lasts without renewal.
pub const LEASE_TTL: Duration = Duration::from_secs(60);

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

/// A held sync lock; release it with [`SyncLock::release`] (dropping it releases too, later).
pub enum SyncLock {
    /// The PostgreSQL session holding the advisory lock.
    Postgres(PgConnection),
    /// The SQLite lease this process holds.
    Lease {
        /// Who holds it.
        holder: String,
    },
}

impl std::fmt::Debug for SyncLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SyncLock::Postgres(_) => f.write_str("SyncLock::Postgres"),
            SyncLock::Lease { holder } => write!(f, "SyncLock::Lease({holder})"),
        }
    }
}

/// This process, as a lease holder: `host:pid`.
fn this_holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned());
    format!("{host}:{}", std::process::id())
}

/// Whether a holder is a process of this host that no longer exists.
fn holder_is_dead(holder: &str) -> bool {
    let ours = this_holder();
    let (Some((host, pid)), Some((our_host, _))) = (holder.rsplit_once(':'), ours.rsplit_once(':'))
    else {
        return false;
    };
    host == our_host && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Takes the lock, or says who holds it.
pub async fn acquire(db: &DatabaseConnection, url: &str) -> Result<SyncLock, LockError> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let mut conn = PgConnection::connect(url)
                .await
                .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::Internal(e.to_string())))?;
            let (locked,): (bool,) = sea_orm::sqlx::query_as("SELECT pg_try_advisory_lock($1)")
                .bind(LOCK_KEY)
                .fetch_one(&mut conn)
                .await
                .map_err(|e| DbErr::Custom(e.to_string()))?;
            if locked {
                Ok(SyncLock::Postgres(conn))
            } else {
                Err(LockError::Busy("another PostgreSQL session".to_owned()))
            }
        }
        _ => acquire_lease(db).await,
    }
}

async fn acquire_lease(db: &DatabaseConnection) -> Result<SyncLock, LockError> {
    let holder = this_holder();
    let now = Utc::now();
    let expires = now + chrono::Duration::from_std(LEASE_TTL).unwrap_or_default();
    let txn = db.begin().await?;
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
    Ok(SyncLock::Lease { holder })
}

impl SyncLock {
    /// Extends a lease (a no-op for the advisory lock, which lives as long as its session).
    pub async fn renew(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        if let SyncLock::Lease { holder } = self {
            let expires = Utc::now() + chrono::Duration::from_std(LEASE_TTL).unwrap_or_default();
            sync_leases::Entity::update_many()
                .col_expr(
                    sync_leases::Column::ExpiresAt,
                    sea_orm::sea_query::Expr::value(expires),
                )
                .filter(sync_leases::Column::Holder.eq(holder.clone()))
                .exec(db)
                .await?;
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
        match self {
            SyncLock::Postgres(mut conn) => {
                let _ = sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(LOCK_KEY)
                    .execute(&mut conn)
                    .await;
                let _ = conn.close().await;
                Ok(())
            }
            SyncLock::Lease { holder } => {
                sync_leases::Entity::delete_many()
                    .filter(sync_leases::Column::Holder.eq(holder))
                    .exec(db)
                    .await?;
                Ok(())
            }
        }
    }
}
