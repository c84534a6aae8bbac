//! Webhooks as admins manage them: `registerWebhook`, `enableWebhook`, `removeWebhook`, and the
//! `webhooks` query with each endpoint's recent deliveries and their outcomes. A secret, once
//! registered, is never shown again.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Enum, ID, Object};
use chrono::Utc;
use lmsdr_entity::{webhook_deliveries, webhooks};
use sea_orm::DatabaseConnection;

use super::admin::require_admin;
use super::change::PageChange;
use super::context::{db, load_many, load_one, loaders};
use super::error::{Result, bad_input, internal};
use super::ids::{decode_named, encode_named};
use super::loaders::LoadError;
use super::scalars::Timestamp;
use crate::webhooks::queue::{self, RegisterError};
use crate::webhooks::{WebhookSettings, target};

/// The shortest secret an endpoint may have: a guessable secret signs nothing.
const MIN_SECRET_LEN: usize = 16;
/// The longest secret an endpoint may have.
const MAX_SECRET_LEN: usize = 1024;
/// Deliveries shown per endpoint.
const RECENT_DELIVERIES: u32 = 20;
/// The type name in a webhook's ID.
const WEBHOOK: &str = "Webhook";

/// A partner's endpoint that is sent every accepted change.
#[derive(Clone)]
pub struct Webhook(pub webhooks::Model);

impl std::fmt::Debug for Webhook {
    /// Everything but the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hook = &self.0;
        f.debug_struct("Webhook")
            .field("id", &hook.id)
            .field("url", &hook.url)
            .field("secret", &"[redacted]")
            .field("created_at", &hook.created_at)
            .field("after_event_id", &hook.after_event_id)
            .field("failing_since", &hook.failing_since)
            .field("disabled_at", &hook.disabled_at)
            .field("disabled_reason", &hook.disabled_reason)
            .finish_non_exhaustive()
    }
}

/// A partner's endpoint: every accepted change is POSTed to it as JSON, signed with its secret
/// (`X-Lmsdr-Signature: sha256=<hex HMAC-SHA256 of the body>`).
#[Object]
impl Webhook {
    /// Its ID, for `removeWebhook` and `enableWebhook`.
    async fn id(&self) -> ID {
        encode_named(WEBHOOK, self.0.id)
    }
    /// Where deliveries are POSTed.
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// When it was registered; it is sent the changes committed since.
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
    }
    /// Whether deliveries are being sent (false once disabled).
    async fn active(&self) -> bool {
        self.0.disabled_at.is_none()
    }
    /// Since when every attempt has failed; none while deliveries succeed.
    async fn failing_since(&self) -> Option<Timestamp> {
        self.0.failing_since.map(Timestamp)
    }
    /// When it was disabled for failing a whole day; `enableWebhook` turns it back on.
    async fn disabled_at(&self) -> Option<Timestamp> {
        self.0.disabled_at.map(Timestamp)
    }
    /// Why it was disabled.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }
    /// Its most recent deliveries (up to 20), newest first.
    async fn deliveries(&self, ctx: &Context<'_>) -> Result<Vec<WebhookDelivery>> {
        Ok(load_many(&loaders(ctx)?.recent_deliveries, self.0.id)
            .await?
            .into_iter()
            .map(WebhookDelivery)
            .collect())
    }
}

/// Where a delivery stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// Not tried yet.
    Pending,
    /// Tried and failed; it will be tried again at `nextAttemptAt`.
    Retrying,
    /// The endpoint answered 2xx.
    Delivered,
}

/// One change sent (or to be sent) to one endpoint.
#[derive(Debug, Clone)]
pub struct WebhookDelivery(pub webhook_deliveries::Model);

/// One change sent, or to be sent, to one endpoint, with how its attempts went.
#[Object]
impl WebhookDelivery {
    /// The delivery's ID: the `X-Lmsdr-Delivery` header, the same on every attempt.
    async fn id(&self) -> ID {
        ID(self.0.delivery_id.clone())
    }
    /// The change it carries.
    async fn change(&self, ctx: &Context<'_>) -> Result<PageChange> {
        load_one(&loaders(ctx)?.change_event, self.0.event_id)
            .await?
            .map(PageChange)
            .ok_or_else(|| internal(format!("delivery {} names no event", self.0.id)))
    }
    /// Where it stands.
    async fn outcome(&self) -> DeliveryOutcome {
        match (self.0.delivered_at, self.0.last_attempt_at) {
            (Some(_), _) => DeliveryOutcome::Delivered,
            (None, None) => DeliveryOutcome::Pending,
            (None, Some(_)) => DeliveryOutcome::Retrying,
        }
    }
    /// Attempts made.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// The HTTP status of the last attempt, when the endpoint answered.
    async fn last_status(&self) -> Option<i32> {
        self.0.last_status
    }
    /// What went wrong on the last attempt.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// When it was last tried.
    async fn last_attempt_at(&self) -> Option<Timestamp> {
        self.0.last_attempt_at.map(Timestamp)
    }
    /// When it will be tried next; none once delivered.
    async fn next_attempt_at(&self) -> Option<Timestamp> {
        self.0
            .delivered_at
            .is_none()
            .then_some(Timestamp(self.0.next_attempt_at))
    }
    /// When the endpoint accepted it.
    async fn delivered_at(&self) -> Option<Timestamp> {
        self.0.delivered_at.map(Timestamp)
    }
}

/// Recent deliveries by endpoint, newest first, in one statement for every endpoint asked.
pub struct RecentDeliveries {
    /// The connection.
    pub db: DatabaseConnection,
}

impl Loader<i32> for RecentDeliveries {
    type Value = Vec<webhook_deliveries::Model>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[i32],
    ) -> std::result::Result<HashMap<i32, Self::Value>, LoadError> {
        let mut grouped: HashMap<i32, Self::Value> = HashMap::new();
        for row in queue::recent(&self.db, keys, RECENT_DELIVERIES).await? {
            grouped.entry(row.webhook_id).or_default().push(row);
        }
        Ok(grouped)
    }
}

/// The admin query for webhooks.
#[derive(Debug, Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// Every registered webhook with its recent deliveries (admin only).
    async fn webhooks(&self, ctx: &Context<'_>) -> Result<Vec<Webhook>> {
        require_admin(ctx)?;
        Ok(queue::all(db(ctx)?)
            .await
            .map_err(internal)?
            .into_iter()
            .map(Webhook)
            .collect())
    }
}

/// The admin mutations for webhooks.
#[derive(Debug, Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers an endpoint to be sent every change committed from now on (admin only). Each
    /// is POSTed as JSON with `X-Lmsdr-Event`, `X-Lmsdr-Delivery` and `X-Lmsdr-Signature`.
    /// Loopback and private addresses are refused unless the server allows them.
    async fn register_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The http(s) URL to POST to; redirects are not followed.")] url: String,
        #[graphql(desc = "The secret deliveries are signed with (HMAC-SHA256).")] secret: String,
    ) -> Result<Webhook> {
        require_admin(ctx)?;
        let length = secret.trim().chars().count();
        if !(MIN_SECRET_LEN..=MAX_SECRET_LEN).contains(&length) {
            return Err(bad_input(format!(
                "`secret` must be {MIN_SECRET_LEN} to {MAX_SECRET_LEN} characters (use at least 32 random bytes)"
            )));
        }
        let settings = ctx
            .data_opt::<WebhookSettings>()
            .copied()
            .unwrap_or_default();
        let url = target::check(&url, settings.allow_private)
            .await
            .map_err(|e| bad_input(e.to_string()))?;
        queue::register(db(ctx)?, &url, &secret, Utc::now())
            .await
            .map(Webhook)
            .map_err(|e| match e {
                e @ RegisterError::TooMany => bad_input(e.to_string()),
                RegisterError::Db(e) => internal(e),
            })
    }

    /// Turns a disabled endpoint back on (admin only): its pending deliveries and every change
    /// since it was disabled follow.
    async fn enable_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's ID.")] id: ID,
    ) -> Result<Webhook> {
        require_admin(ctx)?;
        let row = webhook_id(&id)?;
        queue::enable(db(ctx)?, row)
            .await
            .map_err(internal)?
            .map(Webhook)
            .ok_or_else(|| bad_input(format!("no webhook has the ID `{}`", id.as_str())))
    }

    /// Removes an endpoint and its deliveries (admin only); false when there was none.
    async fn remove_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's ID.")] id: ID,
    ) -> Result<bool> {
        require_admin(ctx)?;
        let row = webhook_id(&id)?;
        queue::remove(db(ctx)?, row).await.map_err(internal)
    }
}

/// The row ID of a webhook's ID.
fn webhook_id(id: &ID) -> Result<i32> {
    decode_named(id, WEBHOOK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let hook = Webhook(webhooks::Model {
            id: 1,
            url: "https://partner.example/hook".to_owned(),
            secret: "the-partner-shared-secret".to_owned(),
            key: "a-key".to_owned(),
            after_event_id: 0,
            created_at: Utc::now(),
            failing_since: None,
            disabled_at: None,
            disabled_reason: None,
        });
        let shown = format!("{hook:?} {hook:#?}");
        assert!(!shown.contains("the-partner-shared-secret"), "{shown}");
        assert!(shown.contains("partner.example"), "{shown}");
    }
}
