//! `contentChanged`: every accepted change, as it commits, to subscribers over WebSocket
//! (graphql-transport-ws at `/graphql`).

use std::sync::Arc;

use async_graphql::{Context, Object, Subscription};
use futures::{Stream, StreamExt};
use lmsdr_entity::change_events;
use sea_orm::{DatabaseConnection, QuerySelect};
use tokio::sync::watch;

use super::change::PageChange;
use super::context::{db, load_one, loaders};
use super::error::{Result, code, coded, internal};
use super::sync_run::SyncRun;
use crate::feed::{self, ChangeHub, latest_id};

/// Subscriptions one WebSocket connection may hold at once.
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: usize = 8;
/// Events read per statement when a subscriber catches up.
const BATCH: u64 = 200;

/// The subscriptions a connection holds, counted (one per connection, from `connection_init`).
#[derive(Debug, Clone, Default)]
pub struct SubscriptionCount(Arc<watch::Sender<usize>>);

impl SubscriptionCount {
    /// Takes a slot; returns it with the number held before.
    fn take(&self) -> (Slot, usize) {
        let mut before = 0;
        self.0.send_modify(|held| {
            before = *held;
            *held += 1;
        });
        (Slot(self.0.clone()), before)
    }

    /// Resolves once the connection holds no subscription.
    pub async fn none_held(&self) {
        // The sender lives in `self`: the channel cannot close while this waits.
        let _ = self.0.subscribe().wait_for(|held| *held == 0).await;
    }
}

/// Releases a connection's subscription slot when the subscription ends.
struct Slot(Arc<watch::Sender<usize>>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.send_modify(|held| *held = held.saturating_sub(1));
    }
}

/// Counts a subscriber in the `lmsdr_subscribers` metric while it lives.
struct Subscribed;

impl Subscribed {
    fn new() -> Self {
        crate::metrics::subscribers(1.0);
        Self
    }
}

impl Drop for Subscribed {
    fn drop(&mut self) {
        crate::metrics::subscribers(-1.0);
    }
}

/// Changes of one run that reached a subscriber together.
#[derive(Debug, Clone)]
pub struct ContentChange {
    run: Option<i32>,
    pages: Vec<PageChange>,
}

/// Content that changed: the run that committed it, and each page's change, in commit order.
#[Object]
impl ContentChange {
    /// The sync or import run that committed it; none for a person's review.
    async fn run(&self, ctx: &Context<'_>) -> Result<Option<SyncRun>> {
        let Some(run) = self.run else {
            return Ok(None);
        };
        Ok(load_one(&loaders(ctx)?.sync_run, run).await?.map(SyncRun))
    }
    /// The pages that changed, in commit order.
    async fn pages(&self) -> &[PageChange] {
        &self.pages
    }
}

/// The subscription root.
#[derive(Debug, Default)]
pub struct SubscriptionRoot;

/// What lmsdr tells subscribers as it happens, over WebSocket at `/graphql`
/// (graphql-transport-ws).
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Every accepted change from now on, as it commits: a held revision announces nothing until
    /// a person accepts it.
    async fn content_changed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = ContentChange>> {
        let slot = match ctx.data_opt::<SubscriptionCount>() {
            Some(count) => {
                let (slot, held) = count.take();
                if held >= MAX_SUBSCRIPTIONS_PER_CONNECTION {
                    return Err(coded(
                        code::SUBSCRIPTION_LIMIT,
                        format!(
                            "a connection may hold {MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions"
                        ),
                    ));
                }
                Some(slot)
            }
            None => None,
        };
        let db = db(ctx)?.clone();
        let hub = ctx.data::<ChangeHub>().map_err(|e| internal(e.message))?;
        let cursor = latest_id(&db).await.map_err(internal)?;
        let state = Follow {
            db,
            latest: hub.subscribe(),
            cursor,
            _slot: slot,
            _counted: Subscribed::new(),
        };
        Ok(futures::stream::unfold(state, Follow::next).flat_map(futures::stream::iter))
    }
}

/// One subscriber's place in the outbox.
struct Follow {
    db: DatabaseConnection,
    latest: watch::Receiver<Option<i32>>,
    cursor: i32,
    _slot: Option<Slot>,
    _counted: Subscribed,
}

impl Follow {
    /// The next commits after the cursor, waiting for the hub when there are none; `None` when
    /// the hub closes.
    async fn next(mut self) -> Option<(Vec<ContentChange>, Self)> {
        loop {
            let events = feed::after(self.cursor).limit(BATCH).all(&self.db).await;
            match events {
                Ok(events) if !events.is_empty() => {
                    self.cursor = events.last().map_or(self.cursor, |e| e.id);
                    return Some((group(events), self));
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "a subscriber cannot read the outbox"),
            }
            // Wait until the outbox grows (or the hub closes).
            if self.latest.changed().await.is_err() || self.latest.borrow().is_none() {
                return None;
            }
        }
    }
}

/// Consecutive events of the same run, as one change each.
fn group(events: Vec<change_events::Model>) -> Vec<ContentChange> {
    let mut changes: Vec<(Option<i32>, Vec<PageChange>)> = Vec::new();
    for event in events {
        match changes.last_mut() {
            Some((run, pages)) if *run == event.sync_run_id && run.is_some() => {
                pages.push(PageChange(event));
            }
            _ => changes.push((event.sync_run_id, vec![PageChange(event)])),
        }
    }
    changes
        .into_iter()
        .map(|(run, pages)| ContentChange { run, pages })
        .collect()
}
