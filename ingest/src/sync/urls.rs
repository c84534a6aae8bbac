//! URL forms: one per page, and which URLs belong to the site.

use url::Url;

/// Same host (`www.` aside) and port, over HTTP or HTTPS: `http://lmsdr.org/` and
/// `https://www.lmsdr.org/` are one site, another port of the same host is not.
pub fn same_site(a: &Url, b: &Url) -> bool {
    let host = |u: &Url| {
        u.host_str()
            .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
    };
    matches!(b.scheme(), "http" | "https") && host(a) == host(b) && a.port() == b.port()
}

/// One URL form per page: no fragment, no empty query.
pub fn normalize(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_fragment(None);
    if url.query() == Some("") {
        url.set_query(None);
    }
    url
}

/// The forms one page's URL may be written in on the same site: HTTP or HTTPS, with `www.` or
/// without, normalized as the crawler stores URLs. The URL itself comes first.
pub fn url_forms(url: &Url) -> Vec<String> {
    let url = normalize(url);
    let mut forms = vec![url.to_string()];
    let Some(host) = url.host_str().map(|h| h.to_ascii_lowercase()) else {
        return forms;
    };
    let bare = host.trim_start_matches("www.").to_owned();
    for scheme in ["http", "https"] {
        for host in [bare.clone(), format!("www.{bare}")] {
            let mut form = url.clone();
            if form.set_scheme(scheme).is_ok() && form.set_host(Some(&host)).is_ok() {
                let form = form.to_string();
                if !forms.contains(&form) {
                    forms.push(form);
                }
            }
        }
    }
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_normalize_and_sites_compare() {
        let u = |s: &str| Url::parse(s).expect("url");
        assert_eq!(
            normalize(&u("HTTP://WWW.LMSDR.ORG:80/a.php?#top")).as_str(),
            "http://www.lmsdr.org/a.php"
        );
        assert!(same_site(
            &u("http://www.lmsdr.org/"),
            &u("https://lmsdr.org/x")
        ));
        assert!(!same_site(
            &u("http://www.lmsdr.org/"),
            &u("http://example.org/")
        ));
        assert!(!same_site(
            &u("http://www.lmsdr.org/"),
            &u("mailto:a@lmsdr.org")
        ));
    }
}
