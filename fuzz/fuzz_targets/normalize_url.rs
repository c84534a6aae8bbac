//! Arbitrary link targets resolved against the site, as the crawler does: resolving never
//! panics, normalizing is idempotent, and normalizing never moves a URL on or off the site.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lmsdr_ingest::sync::{normalize, same_site};

fuzz_target!(|data: &[u8]| {
    let Ok(href) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(base) = url::Url::parse("http://www.lmsdr.org/treatments.php") else {
        return;
    };
    let Ok(url) = base.join(href) else {
        return;
    };
    let once = normalize(&url);
    assert_eq!(normalize(&once), once, "normalizing twice changes {url}");
    assert_eq!(same_site(&base, &url), same_site(&base, &once), "{url}");
});
