//! Where deliveries may go. A webhook is a request lmsdr makes on a partner's behalf, so a URL
//! that reaches the machine lmsdr runs on or its private network (loopback, private, link-local,
//! shared and unique-local ranges, cloud metadata addresses) is refused — when registered, and
//! again on every delivery through a resolver that drops such addresses, so a name that
//! re-resolves to a private address later is refused too. `--webhook-allow-private` lifts this
//! for deployments whose partners are on the same network (and for tests).

use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// The longest URL an endpoint may have.
pub const MAX_URL_LEN: usize = 2048;

/// Why a URL cannot be an endpoint.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    /// Not an absolute http(s) URL of acceptable size.
    #[error("`{0}` is not an http or https URL")]
    NotHttp(String),
    /// Too long.
    #[error("the URL is longer than {MAX_URL_LEN} characters")]
    TooLong,
    /// Credentials in the URL would be sent to every redirect target and logged.
    #[error("the URL must not carry a user name or password; sign with the secret instead")]
    Credentials,
    /// It reaches a loopback or private address.
    #[error(
        "`{0}` is a loopback or private address; webhooks there are refused unless the server \
         runs with --webhook-allow-private (LMSDR_WEBHOOK_ALLOW_PRIVATE=true)"
    )]
    Private(String),
    /// The name does not resolve.
    #[error("`{0}` does not resolve: {1}")]
    Unresolved(String, String),
}

/// Whether an address is one deliveries may reach without `--webhook-allow-private`.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                // 100.64.0.0/10, carrier-grade NAT (shared address space).
                || (a == 100 && (64..128).contains(&b))
                // 198.18.0.0/15, benchmarking.
                || (a == 198 && (18..20).contains(&b))
                // 240.0.0.0/4, reserved.
                || a >= 240)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || v6.is_unique_local()
                    || v6.is_unicast_link_local())
            }
        },
    }
}

/// Checks a URL's form, and when private targets are refused, every address it resolves to.
pub async fn check(url: &str, allow_private: bool) -> Result<Url, TargetError> {
    if url.len() > MAX_URL_LEN {
        return Err(TargetError::TooLong);
    }
    let parsed = Url::parse(url).map_err(|_| TargetError::NotHttp(url.to_owned()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(TargetError::NotHttp(url.to_owned()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(TargetError::Credentials);
    }
    let host = parsed
        .host()
        .ok_or_else(|| TargetError::NotHttp(url.to_owned()))?
        .to_owned();
    if allow_private {
        return Ok(parsed);
    }
    let ips: Vec<IpAddr> = match host {
        Host::Ipv4(ip) => vec![ip.into()],
        Host::Ipv6(ip) => vec![ip.into()],
        Host::Domain(name) => {
            let port = parsed.port_or_known_default().unwrap_or(443);
            tokio::net::lookup_host((name.as_str(), port))
                .await
                .map_err(|e| TargetError::Unresolved(name.clone(), e.to_string()))?
                .map(|addr| addr.ip())
                .collect()
        }
    };
    match ips.iter().find(|ip| !is_public(**ip)) {
        Some(ip) => Err(TargetError::Private(ip.to_string())),
        None if ips.is_empty() => Err(TargetError::Unresolved(
            parsed.host_str().unwrap_or_default().to_owned(),
            "no addresses".to_owned(),
        )),
        None => Ok(parsed),
    }
}

/// A resolver that answers only with public addresses: a name that resolves to a private one
/// fails to connect, whenever it resolves.
#[derive(Debug, Default)]
pub struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(private) = addrs.iter().find(|a| !is_public(a.ip())) {
                return Err(Box::new(TargetError::Private(private.ip().to_string())) as _);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_ranges_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(ip.parse().expect("an address")), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "100.128.0.1"] {
            assert!(is_public(ip.parse().expect("an address")), "{ip}");
        }
    }

    #[tokio::test]
    async fn loopback_private_and_malformed_targets_are_refused() {
        for url in [
            "http://127.0.0.1:9/hook",
            "http://[::1]/hook",
            "http://10.0.0.5/hook",
            "http://localhost:8080/hook",
            "http://169.254.169.254/latest/meta-data",
        ] {
            assert!(
                matches!(check(url, false).await, Err(TargetError::Private(_))),
                "{url}"
            );
        }
        assert_eq!(
            check("ftp://example.org/x", false).await,
            Err(TargetError::NotHttp("ftp://example.org/x".into()))
        );
        assert_eq!(
            check("https://user:pw@93.184.216.34/x", false).await,
            Err(TargetError::Credentials)
        );
        assert!(check("https://93.184.216.34/hook", false).await.is_ok());
        assert!(check("http://127.0.0.1:9/hook", true).await.is_ok());
    }
}
