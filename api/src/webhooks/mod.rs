//! Webhooks: every accepted change POSTed to partners' endpoints, signed, retried with backoff,
//! durable across restarts and delivered once across replicas.
//!
//! Deliveries are made from the change outbox, so nothing a sync commits depends on an endpoint:
//! a sync only writes its events; each `serve` process's [`Dispatcher`] turns them into
//! deliveries and sends them. An endpoint gets at most [`PER_ENDPOINT`] attempts at a time, so a
//! slow or dead one never holds up another.

pub mod deliver;
pub mod queue;
pub mod target;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use lmsdr_entity::{change_events, webhook_deliveries, webhooks};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};
use tokio::task::JoinHandle;

use queue::{EndpointState, Outcome};

use crate::feed::latest_id;

/// Attempts in flight to one endpoint at most.
pub const PER_ENDPOINT: usize = 4;
/// How often a dispatcher looks for due deliveries.
const ROUND_EVERY: Duration = Duration::from_secs(1);

/// How webhooks are sent.
#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    /// Whether endpoints on loopback and private addresses are allowed.
    pub allow_private: bool,
    /// How long an attempt may take, connection included.
    pub timeout: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Sends due deliveries, in rounds.
#[derive(Clone)]
pub struct Dispatcher {
    db: DatabaseConnection,
    client: reqwest::Client,
    settings: WebhookSettings,
    in_flight: Arc<Mutex<HashMap<i32, usize>>>,
}

/// One attempt made in a round, as recorded.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// The delivery, as claimed.
    pub delivery: webhook_deliveries::Model,
    /// How it went.
    pub outcome: Outcome,
}

impl Dispatcher {
    /// A dispatcher over a database, with an HTTP client that follows no redirect and, unless
    /// private targets are allowed, connects to public addresses only.
    pub fn new(db: DatabaseConnection, settings: WebhookSettings) -> Result<Self, reqwest::Error> {
        let mut client = reqwest::Client::builder()
            .user_agent(lmsdr_ingest::fetch::USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)));
        if !settings.allow_private {
            client = client.dns_resolver(Arc::new(target::PublicOnly));
        }
        Ok(Self {
            db,
            client: client.build()?,
            settings,
            in_flight: Arc::default(),
        })
    }

    /// Runs rounds every second in the background, for as long as the process runs. A delivery
    /// cut off by shutdown is tried again once its claim lapses, with the same delivery ID.
    pub fn start(self) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(ROUND_EVERY);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                if let Err(err) = self.round(Utc::now()).await {
                    tracing::warn!(error = %err, "webhook round failed; trying again");
                }
            }
        })
    }

    /// One round at `now`, waiting for every attempt it starts (jobs run synchronously in tests).
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<Vec<Attempt>, DbErr> {
        let mut attempts = Vec::new();
        for handle in self.round(now).await? {
            match handle.await {
                Ok(Ok(attempt)) => attempts.push(attempt),
                Ok(Err(err)) => return Err(err),
                Err(join) => return Err(DbErr::Custom(format!("delivery task failed: {join}"))),
            }
        }
        Ok(attempts)
    }

    /// Makes deliveries for new events, claims the due ones each endpoint has room for, and
    /// starts their attempts.
    async fn round(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<JoinHandle<Result<Attempt, DbErr>>>, DbErr> {
        let lease = chrono::Duration::from_std(self.settings.timeout * 2 + ROUND_EVERY * 30)
            .unwrap_or(chrono::Duration::minutes(5));
        let mut started = Vec::new();
        // One look at the outbox, rather than one per endpoint, says whose deliveries to make.
        let latest = latest_id(&self.db).await?;
        for hook in queue::active(&self.db).await? {
            if hook.after_event_id < latest {
                queue::fan_out(&self.db, &hook, now).await?;
            }
            let room = PER_ENDPOINT.saturating_sub(self.busy(hook.id));
            if room == 0 {
                continue;
            }
            let claimed = queue::claim(&self.db, hook.id, room as u64, now, lease).await?;
            for delivery in claimed {
                let slot = Slot::take(&self.in_flight, hook.id);
                let this = self.clone();
                let hook = hook.clone();
                started.push(tokio::spawn(async move {
                    let _slot = slot;
                    this.send(&hook, delivery, now).await
                }));
            }
        }
        Ok(started)
    }

    /// One attempt, recorded.
    async fn send(
        &self,
        hook: &webhooks::Model,
        delivery: webhook_deliveries::Model,
        now: DateTime<Utc>,
    ) -> Result<Attempt, DbErr> {
        let event = change_events::Entity::find_by_id(delivery.event_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(format!("change event {}", delivery.event_id)))?;
        let body = deliver::body(&self.db, &event).await?;
        let outcome = deliver::attempt(&self.client, hook, &delivery, &event.kind, body, now).await;
        let state = queue::record(&self.db, &delivery, &outcome, now).await?;
        match &outcome {
            Outcome::Delivered { .. } => crate::metrics::webhook_delivery("delivered"),
            Outcome::Failed { error, .. } => {
                crate::metrics::webhook_delivery("failed");
                tracing::warn!(
                    webhook = hook.id,
                    delivery = %delivery.delivery_id,
                    attempt = delivery.attempts,
                    error = %error,
                    "webhook delivery failed; it will be tried again"
                );
            }
        }
        if state == EndpointState::Disabled {
            crate::metrics::webhook_delivery("disabled");
            tracing::error!(
                webhook = hook.id,
                url = %hook.url,
                "webhook disabled: every delivery failed for a day"
            );
        }
        Ok(Attempt { delivery, outcome })
    }

    fn busy(&self, webhook_id: i32) -> usize {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&webhook_id)
            .copied()
            .unwrap_or(0)
    }
}

/// A place in an endpoint's in-flight count, given back when dropped.
struct Slot {
    counts: Arc<Mutex<HashMap<i32, usize>>>,
    webhook_id: i32,
}

impl Slot {
    fn take(counts: &Arc<Mutex<HashMap<i32, usize>>>, webhook_id: i32) -> Self {
        *counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(webhook_id)
            .or_default() += 1;
        Self {
            counts: counts.clone(),
            webhook_id,
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.webhook_id) {
            *count = count.saturating_sub(1);
        }
    }
}
