//! Tells subscribers that the change outbox has grown, whichever process committed the change.
//!
//! One task per `serve` process reads the outbox's highest event ID every second while anyone
//! subscribes, and publishes it on a watch channel. Each subscription keeps its own cursor and, when told, reads the events
//! after it from the database: a slow subscriber misses nothing (it reads what it has not seen),
//! and a sync run by another process, or by another replica on PostgreSQL, reaches every
//! subscriber of every process.

use std::sync::{Arc, Weak};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use super::latest_id;

/// How often the outbox is looked at.
pub const POLL_EVERY: Duration = Duration::from_secs(1);

/// The outbox's highest event ID as last read; `None` once the hub is closed.
#[derive(Debug, Clone)]
pub struct ChangeHub {
    latest: Arc<watch::Sender<Option<i32>>>,
}

impl ChangeHub {
    /// A hub over a database, with its polling task started (it stops when the hub is dropped).
    pub fn start(db: DatabaseConnection) -> Self {
        let (sender, _) = watch::channel(Some(0));
        let latest = Arc::new(sender);
        tokio::spawn(poll(db, Arc::downgrade(&latest)));
        Self { latest }
    }

    /// A receiver of the highest event ID.
    pub fn subscribe(&self) -> watch::Receiver<Option<i32>> {
        self.latest.subscribe()
    }

    /// Ends every subscription (on shutdown): each completes cleanly.
    pub fn close(&self) {
        self.latest.send_replace(None);
    }

    /// Whether the hub is closed.
    pub fn is_closed(&self) -> bool {
        self.latest.borrow().is_none()
    }

    /// Resolves once the hub is closed.
    pub async fn closed(&self) {
        // The sender lives in `self`: the channel cannot close while this waits.
        let _ = self.latest.subscribe().wait_for(Option::is_none).await;
    }
}

async fn poll(db: DatabaseConnection, latest: Weak<watch::Sender<Option<i32>>>) {
    let mut ticker = tokio::time::interval(POLL_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let Some(sender) = latest.upgrade() else {
            return;
        };
        if sender.borrow().is_none() {
            return;
        }
        // With no subscriber there is nobody to tell: the database is not asked. A subscriber
        // reads the outbox itself when it starts, so it misses nothing from before.
        if sender.receiver_count() == 0 {
            continue;
        }
        match latest_id(&db).await {
            Ok(id) => {
                sender.send_if_modified(|current| {
                    let newer = current.is_some_and(|c| id > c);
                    if newer {
                        *current = Some(id);
                    }
                    newer
                });
            }
            // A database that is away for a moment delays notifications; it loses none.
            Err(err) => tracing::warn!(error = %err, "cannot read the change outbox"),
        }
    }
}
