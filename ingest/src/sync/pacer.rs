//! Politeness: requests to one host spaced by a delay.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use url::Url;

/// Spaces requests to each host by a delay.
pub(super) struct Pacer {
    delay: Duration,
    next: Mutex<HashMap<String, Instant>>,
}

impl Pacer {
    pub(super) fn new(delay: Duration) -> Self {
        Self {
            delay,
            next: Mutex::new(HashMap::new()),
        }
    }

    pub(super) async fn wait(&self, url: &Url) {
        let host = url.host_str().unwrap_or_default().to_owned();
        let at = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let at = next.get(&host).copied().unwrap_or(now).max(now);
            next.insert(host, at + self.delay);
            at
        };
        tokio::time::sleep_until(at.into()).await;
    }
}
