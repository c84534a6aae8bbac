//! Arbitrary bytes, with an arbitrary Content-Type, through the extractor: it must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lmsdr_ingest::extract::{PageInput, extract};

fuzz_target!(|data: &[u8]| {
    let Ok(url) = url::Url::parse("http://www.lmsdr.org/treatments.php") else {
        return;
    };
    // The first line, if short, is taken as a Content-Type header.
    let (content_type, bytes) = match data.iter().position(|&b| b == b'\n') {
        Some(n) if n < 64 => (std::str::from_utf8(&data[..n]).ok(), &data[n + 1..]),
        _ => (None, data),
    };
    let _ = extract(PageInput {
        url: &url,
        bytes,
        content_type,
    });
});
