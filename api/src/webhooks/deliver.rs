//! One delivery attempt: the change event as JSON, signed with the endpoint's secret, POSTed
//! once with no redirect followed, and its outcome.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use lmsdr_entity::{change_events, webhook_deliveries, webhooks};
use lmsdr_ingest::fetch::root_cause;
use sea_orm::{DatabaseConnection, DbErr};
use sha2::Sha256;

use super::queue::Outcome;
use crate::feed::records;

/// The header that names the event's kind (`new`, `changed`, `reread`, `accepted`).
pub const EVENT_HEADER: &str = "X-Lmsdr-Event";
/// The header that names the delivery: the same on every attempt.
pub const DELIVERY_HEADER: &str = "X-Lmsdr-Delivery";
/// The header that carries `sha256=<hex HMAC-SHA256 of the body with the endpoint's secret>`.
/// It signs the body only, so a captured delivery could be sent again: kept for receivers
/// written before [`WEBHOOK_SIGNATURE_HEADER`], which they should check instead.
pub const SIGNATURE_HEADER: &str = "X-Lmsdr-Signature";
/// Standard Webhooks' (standardwebhooks.com) message ID: the delivery's ID, as
/// [`DELIVERY_HEADER`].
pub const WEBHOOK_ID_HEADER: &str = "webhook-id";
/// Standard Webhooks' timestamp: when the attempt was signed, in Unix seconds.
pub const WEBHOOK_TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// Standard Webhooks' signature: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, so
/// that a delivery cannot be replayed later or under another ID.
pub const WEBHOOK_SIGNATURE_HEADER: &str = "webhook-signature";

/// The first retry waits about this long; each later one twice as long as the one before.
const FIRST_RETRY: Duration = Duration::from_secs(30);
/// No retry waits longer than this.
const LONGEST_RETRY: Duration = Duration::from_secs(3600);

/// HMAC-SHA256 of `parts`, one after the other, with a secret.
fn hmac(secret: &str, parts: &[&[u8]]) -> Vec<u8> {
    // HMAC takes a key of any length, so this never fails.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// `sha256=<hex>` of the body with a secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac(secret, &[body])))
}

/// Standard Webhooks' `v1,<base64>`: the delivery's ID, the attempt's Unix time and the body,
/// joined by `.`, signed with the secret's bytes as the key.
pub fn signature_v1(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let timestamp = timestamp.to_string();
    let signed = hmac(
        secret,
        &[id.as_bytes(), b".", timestamp.as_bytes(), b".", body],
    );
    format!("v1,{}", STANDARD.encode(signed))
}

/// How long to wait after the given number of failed attempts: exponential, capped, and
/// jittered to between half and all of it so that endpoints that failed together do not retry
/// together.
pub fn backoff(attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 16)).unwrap_or(0);
    let full = FIRST_RETRY
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(LONGEST_RETRY);
    full.mul_f64(0.5 + fastrand::f64() * 0.5)
}

/// The body of a delivery: the change event as the change feed gives it.
pub async fn body(db: &DatabaseConnection, event: &change_events::Model) -> Result<Vec<u8>, DbErr> {
    let record = records(db, std::slice::from_ref(event))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| DbErr::RecordNotFound(format!("change event {}", event.id)))?;
    serde_json::to_vec(&record).map_err(|e| DbErr::Custom(e.to_string()))
}

/// Makes one attempt; `started` is when it began, and retries are counted from it.
pub async fn attempt(
    client: &reqwest::Client,
    hook: &webhooks::Model,
    delivery: &webhook_deliveries::Model,
    kind: &str,
    body: Vec<u8>,
    started: DateTime<Utc>,
) -> Outcome {
    let signed = signature(&hook.secret, &body);
    let timestamp = Utc::now().timestamp();
    let signed_v1 = signature_v1(&hook.secret, &delivery.delivery_id, timestamp, &body);
    let sent = client
        .post(&hook.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(EVENT_HEADER, kind)
        .header(DELIVERY_HEADER, &delivery.delivery_id)
        .header(SIGNATURE_HEADER, signed)
        .header(WEBHOOK_ID_HEADER, &delivery.delivery_id)
        .header(WEBHOOK_TIMESTAMP_HEADER, timestamp)
        .header(WEBHOOK_SIGNATURE_HEADER, signed_v1)
        .body(body)
        .send()
        .await;
    let failed = |status: Option<u16>, error: String| Outcome::Failed {
        status,
        error,
        retry_at: started
            + chrono::Duration::from_std(backoff(delivery.attempts))
                .unwrap_or(chrono::Duration::hours(1)),
    };
    match sent {
        Ok(response) if response.status().is_success() => Outcome::Delivered {
            status: response.status().as_u16(),
        },
        Ok(response) if response.status().is_redirection() => failed(
            Some(response.status().as_u16()),
            format!(
                "answered {} (redirects are not followed: register the final URL)",
                response.status()
            ),
        ),
        Ok(response) => failed(
            Some(response.status().as_u16()),
            format!("answered {}", response.status()),
        ),
        Err(err) if err.is_timeout() => failed(None, "timed out".to_owned()),
        Err(err) => failed(None, root_cause(&err.without_url())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn the_v1_signature_covers_the_id_the_time_and_the_body() {
        // Computed independently: Python's hmac over b"msg_1.1614265330.{\"a\":1}".
        assert_eq!(
            signature_v1("whsec-test-secret-0123", "msg_1", 1614265330, br#"{"a":1}"#),
            "v1,VzwmVgoekcJPOk6oQOLgbrBSG/TiNOKCWfaM8xJiPTY="
        );
        let later = signature_v1("whsec-test-secret-0123", "msg_1", 1614265331, br#"{"a":1}"#);
        let other = signature_v1("whsec-test-secret-0123", "msg_2", 1614265330, br#"{"a":1}"#);
        assert_ne!(later, other);
        assert!(later.starts_with("v1,") && other.starts_with("v1,"));
    }

    #[test]
    fn retries_wait_longer_each_time_with_jitter_up_to_an_hour() {
        for _ in 0..100 {
            let first = backoff(1);
            assert!(
                first >= FIRST_RETRY / 2 && first <= FIRST_RETRY,
                "{first:?}"
            );
            let fourth = backoff(4);
            assert!(
                fourth >= FIRST_RETRY * 4 && fourth <= FIRST_RETRY * 8,
                "{fourth:?}"
            );
            assert!(backoff(40) <= LONGEST_RETRY && backoff(40) >= LONGEST_RETRY / 2);
        }
    }
}
