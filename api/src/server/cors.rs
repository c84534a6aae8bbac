//! Which browser origins may call the API (CORS): none, a list of origins, or any (`*`).

use axum::http::{HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};
use url::{Host, Url};

/// Origins allowed to call the API from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorsOrigins {
    /// These origins (none when empty).
    Listed(Vec<HeaderValue>),
    /// Every origin (`*`). The API takes no cookies, so this exposes nothing a browser holds.
    Any,
}

impl Default for CorsOrigins {
    fn default() -> Self {
        CorsOrigins::Listed(Vec::new())
    }
}

/// Why an origin given to `--cors-origin` is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CorsError {
    /// `*` among other origins.
    #[error("`*` allows every origin: give it alone, not with other origins")]
    WildcardWithOthers,
    /// Not a scheme, a host and a port.
    #[error(
        "invalid CORS origin `{0}`: an origin is a scheme, a host and an optional port, such as `https://www.lmsdr.org`, or `*` for any"
    )]
    NotAnOrigin(String),
}

impl CorsOrigins {
    /// The origins as given (`*` alone, or `http(s)://host[:port]` each, a trailing `/`
    /// allowed); blank entries are skipped.
    pub fn parse<S: AsRef<str>>(given: &[S]) -> Result<Self, CorsError> {
        let given: Vec<&str> = given
            .iter()
            .map(|o| o.as_ref().trim())
            .filter(|o| !o.is_empty())
            .collect();
        if given.contains(&"*") {
            return match given.len() {
                1 => Ok(CorsOrigins::Any),
                _ => Err(CorsError::WildcardWithOthers),
            };
        }
        given
            .into_iter()
            .map(origin)
            .collect::<Result<_, _>>()
            .map(CorsOrigins::Listed)
    }

    /// The CORS layer that allows them.
    pub fn layer(&self) -> CorsLayer {
        let origins = match self {
            CorsOrigins::Listed(origins) => AllowOrigin::list(origins.iter().cloned()),
            CorsOrigins::Any => AllowOrigin::any(),
        };
        CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT])
    }
}

/// One origin, serialized as browsers send it in `Origin`.
fn origin(given: &str) -> Result<HeaderValue, CorsError> {
    let refused = || CorsError::NotAnOrigin(given.to_owned());
    let url = Url::parse(given).map_err(|_| refused())?;
    let bare = matches!(url.scheme(), "http" | "https")
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && match url.host() {
            Some(Host::Domain(name)) => name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'),
            Some(Host::Ipv4(_) | Host::Ipv6(_)) => true,
            None => false,
        };
    if !bare {
        return Err(refused());
    }
    HeaderValue::from_str(&url.origin().ascii_serialization()).map_err(|_| refused())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked_and_a_lone_star_allows_any() {
        assert_eq!(CorsOrigins::parse(&["*"]), Ok(CorsOrigins::Any));
        assert_eq!(
            CorsOrigins::parse(&[" https://a.example/ ", "http://b.example:8080", ""]),
            Ok(CorsOrigins::Listed(vec![
                HeaderValue::from_static("https://a.example"),
                HeaderValue::from_static("http://b.example:8080"),
            ]))
        );
        assert_eq!(
            CorsOrigins::parse(&["*", "https://a.example"]),
            Err(CorsError::WildcardWithOthers)
        );
        for bad in [
            "a.example",
            "https://a.example/app",
            "ftp://a.example",
            "https://user@a.example",
            "https://*.example",
            "null",
        ] {
            assert!(
                matches!(CorsOrigins::parse(&[bad]), Err(CorsError::NotAnOrigin(_))),
                "{bad}"
            );
        }
        // Every accepted list builds a layer: no panic at start-up.
        for ok in [CorsOrigins::Any, CorsOrigins::default()] {
            let _ = ok.layer();
        }
    }
}
