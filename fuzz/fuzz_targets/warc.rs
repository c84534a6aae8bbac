//! Arbitrary bytes as a WARC archive, plain or gzip (the first byte decides): the reader must
//! never panic, hang or read a record larger than the page cap into memory; it answers with
//! captures or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lmsdr_ingest::archive;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    let gzip = (mode & 1 == 1).then_some(bytes.len() as u64);
    if let Ok(found) = archive::read_from(std::io::Cursor::new(bytes.to_vec()), gzip) {
        for capture in found.captures {
            // A record's body is read only up to the page cap and its HTTP headers.
            assert!(capture.body.len() <= 8 * 1024 * 1024 + 64 * 1024);
        }
    }
});
