//! A capture's body checked against the archive's digest: SHA-1, written in base32 (as the
//! Wayback Machine and pywb list it, with or without `sha1:`) or in hex.

use std::io::Read;

use data_encoding::{BASE32, HEXLOWER_PERMISSIVE};
use sha1::{Digest, Sha1};

use crate::limits::MAX_PAGE_BYTES;

/// The body a digest vouches for: as sent, or — when the archive passes the original's gzip
/// encoding on — decoded. `Err` says why none matches.
pub fn checked(
    listed: Option<&str>,
    body: Vec<u8>,
    content_encoding: Option<&str>,
) -> Result<Vec<u8>, String> {
    let Some(listed) = listed else {
        return Err(
            "the archive lists no digest for this capture; its bytes cannot be checked".into(),
        );
    };
    let Some(expected) = parse(listed) else {
        return Err(format!(
            "the archive's digest `{listed}` is not a SHA-1 lmsdr can check"
        ));
    };
    let decoded = match content_encoding {
        Some("gzip" | "x-gzip") => gunzip(&body),
        _ => None,
    };
    if Sha1::digest(&body).as_slice() == expected.as_slice() {
        return Ok(decoded.unwrap_or(body));
    }
    match decoded {
        Some(decoded) if Sha1::digest(&decoded).as_slice() == expected.as_slice() => Ok(decoded),
        _ => Err(format!(
            "the body does not match the archive's digest {listed} (it hashes to {}); not stored",
            BASE32.encode(&Sha1::digest(&body))
        )),
    }
}

/// The 20 bytes of a listed SHA-1.
fn parse(listed: &str) -> Option<Vec<u8>> {
    let text = listed.trim();
    let text = text.strip_prefix("sha1:").unwrap_or(text);
    let bytes = match text.len() {
        32 => BASE32.decode(text.to_ascii_uppercase().as_bytes()).ok()?,
        40 => HEXLOWER_PERMISSIVE.decode(text.as_bytes()).ok()?,
        _ => return None,
    };
    (bytes.len() == 20).then_some(bytes)
}

/// A gzip body decoded, within the page cap.
fn gunzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut decoded = Vec::new();
    flate2::read::MultiGzDecoder::new(body)
        .take(MAX_PAGE_BYTES as u64 + 1)
        .read_to_end(&mut decoded)
        .ok()?;
    (decoded.len() <= MAX_PAGE_BYTES).then_some(decoded)
}

/// The base32 SHA-1 of bytes, as archives list it.
pub fn of(body: &[u8]) -> String {
    BASE32.encode(&Sha1::digest(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_one_digest() {
        let body = b"<html>hello</html>".to_vec();
        let base32 = of(&body);
        assert_eq!(base32.len(), 32);
        let hex = data_encoding::HEXLOWER.encode(&Sha1::digest(&body));
        for listed in [base32.clone(), format!("sha1:{base32}"), hex] {
            assert_eq!(checked(Some(&listed), body.clone(), None), Ok(body.clone()));
        }
        assert!(checked(Some(&of(b"other")), body.clone(), None).is_err());
        assert!(checked(Some("sha256:abc"), body.clone(), None).is_err());
        assert!(checked(None, body, None).is_err());
    }

    #[test]
    fn a_gzip_body_matches_decoded() {
        use std::io::Write;
        let page = b"<html>hello</html>".to_vec();
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&page).expect("write");
        let gzipped = encoder.finish().expect("gzip");
        assert_eq!(checked(Some(&of(&page)), gzipped, Some("gzip")), Ok(page));
    }
}
