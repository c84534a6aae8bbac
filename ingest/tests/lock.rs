//! The sync lock cannot be lost unnoticed, on SQLite and (with TEST_DATABASE_URL) PostgreSQL:
//! its keeper renews the lease while a run waits on a page that hangs, and a lock that is no
//! longer ours makes `renew` fail, so the run stops writing.

use std::time::{Duration, Instant};

use chrono::Utc;
use lmsdr_entity::sync_leases;
use lmsdr_ingest::lock::{self, LockError};
use lmsdr_ingest::testing::TestDb;
use lmsdr_migration::MigratorTrait;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbBackend, EntityTrait, IntoActiveModel, Set};

async fn lease(db: &TestDb) -> sync_leases::Model {
    sync_leases::Entity::find()
        .one(&db.conn)
        .await
        .expect("query")
        .expect("a lease is held")
}

#[tokio::test]
async fn a_kept_lease_outlives_its_ttl_and_a_taken_one_stops_the_run() {
    let db = TestDb::sqlite().await;
    let ttl = Duration::from_millis(300);
    let held = lock::acquire_lease(&db.conn, ttl).await.expect("acquired");
    let first = lease(&db).await;

    // Long past the first expiry, the keeper has renewed it: a second run is still busy.
    let deadline = Instant::now() + Duration::from_secs(10);
    while Utc::now() < first.expires_at + chrono::Duration::milliseconds(600) {
        assert!(Instant::now() < deadline, "time stands still");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(lease(&db).await.expires_at > first.expires_at, "renewed");
    match lock::acquire(&db.conn, &db.url).await {
        Err(LockError::Busy(holder)) => assert_eq!(holder, first.holder),
        other => panic!("expected busy, got {other:?}"),
    }
    held.renew(&db.conn).await.expect("still ours");

    // Another holder takes the row over (as after an expiry): renewing fails loudly.
    let mut row = lease(&db).await.into_active_model();
    row.holder = Set("elsewhere:1:0000000000000000".to_owned());
    row.update(&db.conn).await.expect("taken over");
    let err = held.renew(&db.conn).await.expect_err("no longer ours");
    assert!(err.to_string().contains("lost"), "{err}");
    held.release(&db.conn).await.expect("released");
    assert_eq!(
        lease(&db).await.holder,
        "elsewhere:1:0000000000000000",
        "not ours to delete"
    );
}

#[tokio::test]
async fn an_advisory_lock_whose_session_died_is_noticed() {
    let Some(db) = TestDb::postgres_if_configured().await else {
        return;
    };
    assert_eq!(db.conn.get_database_backend(), DbBackend::Postgres);
    let held = lock::acquire(&db.conn, &db.url).await.expect("acquired");
    held.renew(&db.conn).await.expect("held");
    assert!(matches!(
        lock::acquire(&db.conn, &db.url).await,
        Err(LockError::Busy(_))
    ));
    // The lock's session is killed (a failover, an idle timeout, an operator).
    db.conn
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_locks \
             WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .await
        .expect("terminated");
    let err = held.renew(&db.conn).await.expect_err("the session is gone");
    assert!(!err.to_string().is_empty());
    drop(held);
    let again = lock::acquire(&db.conn, &db.url).await.expect("free again");
    again.release(&db.conn).await.expect("released");
}

#[tokio::test]
async fn replicas_starting_at_once_migrate_one_at_a_time() {
    for db in TestDb::all_unmigrated().await {
        let start = || lmsdr_ingest::db::connect_and_migrate(&db.url);
        let (a, b, c) = tokio::join!(start(), start(), start());
        for started in [a, b, c] {
            let conn = started.unwrap_or_else(|e| panic!("{}: {e}", db.backend()));
            let pending = lmsdr_migration::Migrator::get_pending_migrations(&conn)
                .await
                .expect("status");
            assert!(pending.is_empty(), "{}", db.backend());
        }
    }
}

#[tokio::test]
async fn a_lease_expires_by_the_database_clock_on_either_database() {
    for db in TestDb::all().await {
        let ttl = Duration::from_secs(60);
        let held = lock::acquire_lease(&db.conn, ttl).await.expect("acquired");
        let row = lease(&db).await;
        let expected = Utc::now() + chrono::Duration::seconds(60);
        let skew = (row.expires_at - expected).num_seconds().abs();
        assert!(skew < 5, "expiry {} is {skew}s off", row.expires_at);
        drop(held);

        // A lease another host left behind, expired a second ago by the database's clock, is
        // taken over; one still running for a minute is not.
        let mut stale = row.into_active_model();
        stale.holder = Set("elsewhere:1:0000000000000000".to_owned());
        stale.expires_at = Set(Utc::now() - chrono::Duration::seconds(1));
        let stale = stale.update(&db.conn).await.expect("stale lease");
        let taken = lock::acquire_lease(&db.conn, ttl)
            .await
            .expect("taken over");
        assert_ne!(lease(&db).await.holder, stale.holder);
        drop(taken);

        let mut live = lease(&db).await.into_active_model();
        live.holder = Set("elsewhere:1:0000000000000000".to_owned());
        live.expires_at = Set(Utc::now() + chrono::Duration::seconds(60));
        live.update(&db.conn).await.expect("live lease");
        match lock::acquire_lease(&db.conn, ttl).await {
            Err(LockError::Busy(holder)) => assert_eq!(holder, "elsewhere:1:0000000000000000"),
            other => panic!("expected busy, got {other:?}"),
        }
    }
}
