//! What each client address holds (connections, WebSockets, exports), so that no one client
//! takes what every other client needs.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::ConnectInfo;
use axum::http::Extensions;

/// Counts what each client address holds of one thing, up to a limit per address.
#[derive(Debug, Clone)]
pub struct PerClient {
    limit: usize,
    held: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One held by a client address; given back when dropped.
#[derive(Debug)]
pub struct ClientSlot {
    owner: PerClient,
    ip: IpAddr,
}

impl PerClient {
    /// At most `limit` per client address.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            held: Arc::default(),
        }
    }

    /// One more for `ip`, unless it holds the limit already.
    pub fn try_take(&self, ip: IpAddr) -> Option<ClientSlot> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let count = held.entry(ip).or_default();
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(ClientSlot {
            owner: self.clone(),
            ip,
        })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut held = self
            .owner
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = held.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.remove(&self.ip);
            }
        }
    }
}

/// The address a request came from, when it came over a connection the server accepted (not
/// in tests that call the router directly).
pub fn client_ip(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// A slot of `limit` for the request's client; `Some(None)` when the client is unknown (nothing
/// to count), `None` when it holds the limit already.
pub fn take_for(limit: &PerClient, extensions: &Extensions) -> Option<Option<ClientSlot>> {
    match client_ip(extensions) {
        Some(ip) => limit.try_take(ip).map(Some),
        None => Some(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_holds_up_to_the_limit_and_gets_it_back() {
        let limit = PerClient::new(2);
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        let first = limit.try_take(a).expect("one");
        let _second = limit.try_take(a).expect("two");
        assert!(limit.try_take(a).is_none(), "a third is refused");
        assert!(limit.try_take(b).is_some(), "another address is not");
        drop(first);
        assert!(limit.try_take(a).is_some(), "given back when dropped");
    }
}
