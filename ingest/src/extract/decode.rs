//! Turning a page's bytes into text: size cap, binary detection and charset resolution.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

use super::ExtractError;
use crate::limits::MAX_PAGE_BYTES;

/// How far into a document `<meta>` charset declarations are looked for.
const META_PRESCAN_BYTES: usize = 4096;

/// A page's text and how it was decoded.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The decoded text, borrowed from the bytes when they needed no conversion.
    pub text: Cow<'a, str>,
    /// The encoding used.
    pub encoding: &'static Encoding,
    /// Where the encoding came from.
    pub source: CharsetSource,
}

/// Where the charset used for decoding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CharsetSource {
    /// A byte-order mark.
    Bom,
    /// The `Content-Type` header's `charset` parameter.
    Header,
    /// A `<meta charset>` or `<meta http-equiv="Content-Type">` declaration.
    Meta,
    /// Nothing declared: the legacy default, windows-1252.
    Fallback,
    /// The declared charset did not fit the bytes; windows-1252 did.
    Repaired,
}

/// Decodes a page: BOM first, then the HTTP header, then `<meta>`, then windows-1252.
pub fn decode<'a>(
    bytes: &'a [u8],
    content_type: Option<&str>,
) -> Result<Decoded<'a>, ExtractError> {
    if bytes.len() > MAX_PAGE_BYTES {
        return Err(ExtractError::TooLarge {
            size: bytes.len(),
            limit: MAX_PAGE_BYTES,
        });
    }
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        return checked(text, encoding, CharsetSource::Bom);
    }
    if looks_binary(bytes) {
        return Err(ExtractError::NotHtml(
            "the file contains binary data".to_owned(),
        ));
    }
    let declared = content_type
        .and_then(header_charset)
        .map(|e| (e, CharsetSource::Header))
        .or_else(|| meta_charset(bytes).map(|e| (e, CharsetSource::Meta)));
    let (encoding, source) = declared.unwrap_or((WINDOWS_1252, CharsetSource::Fallback));
    let (text, _, had_errors) = encoding.decode(bytes);
    if had_errors {
        // A wrong declaration (often "utf-8" on a legacy page): windows-1252 decodes every byte.
        let (text, _, _) = WINDOWS_1252.decode(bytes);
        return checked(text, WINDOWS_1252, CharsetSource::Repaired);
    }
    checked(text, encoding, source)
}

fn checked<'a>(
    text: Cow<'a, str>,
    encoding: &'static Encoding,
    source: CharsetSource,
) -> Result<Decoded<'a>, ExtractError> {
    if !has_markup(&text) {
        return Err(ExtractError::NotHtml("no HTML markup found".to_owned()));
    }
    Ok(Decoded {
        text,
        encoding,
        source,
    })
}

/// NUL bytes, or many control characters, in the first few kilobytes mark a binary file.
fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    head.contains(&0) || controls * 20 > head.len().max(1)
}

/// True when the text has at least one tag (`<` then a letter, `!` or `/`).
fn has_markup(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'!' || w[1] == b'/'))
}

fn header_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        if key.trim().eq_ignore_ascii_case("charset") {
            label_to_encoding(value.trim().trim_matches(|c| c == '"' || c == '\''))
        } else {
            None
        }
    })
}

fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(META_PRESCAN_BYTES)];
    label_to_encoding(std::str::from_utf8(meta_charset_label(head)?).ok()?)
}

/// The charset label of the first `<meta>` tag that declares one, in either form:
/// `<meta charset="…">` or `<meta http-equiv="Content-Type" content="text/html; charset=…">`.
fn meta_charset_label(head: &[u8]) -> Option<&[u8]> {
    let mut at = 0;
    while let Some(open) = memchr::memchr(b'<', &head[at..]).map(|i| at + i) {
        at = open + 1;
        let name_end = open + "<meta".len();
        let is_meta = head
            .get(open + 1..name_end)
            .is_some_and(|name| name.eq_ignore_ascii_case(b"meta"))
            && !head.get(name_end).is_some_and(|&b| is_word_byte(b));
        if !is_meta {
            continue;
        }
        let tag_end = memchr::memchr(b'>', &head[name_end..]).map_or(head.len(), |i| name_end + i);
        if let Some(label) = charset_in(&head[name_end..tag_end]) {
            return Some(label);
        }
    }
    None
}

/// The label after the first `charset` = (quoted or not) in a tag's attributes.
fn charset_in(attributes: &[u8]) -> Option<&[u8]> {
    const KEY: &[u8] = b"charset";
    let skip_spaces = |mut i: usize| {
        while attributes.get(i).is_some_and(|&b| is_space(b)) {
            i += 1;
        }
        i
    };
    let label_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'.' | b'-');
    let mut from = 0;
    while from + KEY.len() <= attributes.len() {
        let Some(key) = attributes[from..]
            .windows(KEY.len())
            .position(|w| w.eq_ignore_ascii_case(KEY))
            .map(|i| from + i)
        else {
            break;
        };
        from = key + 1;
        let mut i = skip_spaces(key + KEY.len());
        if attributes.get(i) != Some(&b'=') {
            continue;
        }
        i = skip_spaces(i + 1);
        if attributes.get(i).is_some_and(|&b| b == b'"' || b == b'\'') {
            i = skip_spaces(i + 1);
        }
        let start = i;
        while attributes.get(i).is_some_and(|&b| label_byte(b)) {
            i += 1;
        }
        if i > start {
            return Some(&attributes[start..i]);
        }
    }
    None
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Letters, digits, `_`, and any byte of a non-ASCII character: what keeps `<meta` from ending.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || !b.is_ascii()
}

/// The WHATWG label lookup, with the HTML rule that a UTF-16 declaration in markup means UTF-8.
fn label_to_encoding(label: &str) -> Option<&'static Encoding> {
    let encoding = Encoding::for_label(label.as_bytes())?;
    if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
        Some(UTF_8)
    } else if encoding == encoding_rs::X_USER_DEFINED {
        Some(WINDOWS_1252)
    } else {
        Some(encoding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &[u8] = b"<html><body><p>Caf\xe9 \x95 item</p></body></html>";

    #[test]
    fn undeclared_pages_fall_back_to_windows_1252() {
        let decoded = decode(PAGE, None).expect("decodes");
        assert_eq!(decoded.source, CharsetSource::Fallback);
        assert!(decoded.text.contains("Café • item"));
    }

    #[test]
    fn header_charset_wins_over_meta() {
        let page = "<html><head><meta charset=\"windows-1252\"></head><body><p>é</p></body></html>";
        let decoded = decode(page.as_bytes(), Some("text/html; charset=UTF-8")).expect("decodes");
        assert_eq!(decoded.encoding, UTF_8);
        assert_eq!(decoded.source, CharsetSource::Header);
        assert!(decoded.text.contains("<p>é</p>"));
    }

    #[test]
    fn old_http_equiv_meta_is_honoured() {
        let page = b"<HTML><HEAD><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=iso-8859-1\"></HEAD><BODY>\x95</BODY></HTML>";
        let decoded = decode(page, None).expect("decodes");
        assert_eq!(decoded.source, CharsetSource::Meta);
        // WHATWG maps the iso-8859-1 label to windows-1252, where 0x95 is a bullet.
        assert!(decoded.text.contains('•'));
    }

    #[test]
    fn a_bom_overrides_everything() {
        let mut page = vec![0xEF, 0xBB, 0xBF];
        page.extend_from_slice("<p>é</p>".as_bytes());
        let decoded = decode(&page, Some("text/html; charset=windows-1252")).expect("decodes");
        assert_eq!(decoded.source, CharsetSource::Bom);
        assert!(decoded.text.starts_with("<p>é"));
    }

    #[test]
    fn a_wrong_utf8_declaration_is_repaired() {
        let decoded = decode(PAGE, Some("text/html; charset=utf-8")).expect("decodes");
        assert_eq!(decoded.source, CharsetSource::Repaired);
        assert!(decoded.text.contains("Café"));
    }

    #[test]
    fn binary_and_plain_text_are_not_html() {
        assert!(matches!(
            decode(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", None),
            Err(ExtractError::NotHtml(_))
        ));
        assert!(matches!(
            decode(b"just some words", None),
            Err(ExtractError::NotHtml(_))
        ));
    }

    proptest::proptest! {
        #[test]
        fn meta_prescan_matches_the_pattern_it_replaces(
            pieces in proptest::collection::vec(
                proptest::sample::select(&[
                    "<meta", "<META ", "<metax", "<p>", " charset", "CharSet", "=", " ", "\n",
                    "\"", "'", "utf-8", "windows-1252", ">", "x", ";",
                    " http-equiv=\"Content-Type\" content=\"text/html; ",
                ][..]),
                0..14,
            ),
        ) {
            let head = pieces.concat();
            let pattern = regex::bytes::Regex::new(
                r#"(?i)<meta\b[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)"#,
            )
            .expect("valid");
            let expected = pattern
                .captures(head.as_bytes())
                .and_then(|c| c.get(1))
                .map(|m| m.as_bytes());
            proptest::prop_assert_eq!(meta_charset_label(head.as_bytes()), expected);
        }
    }

    #[test]
    fn oversized_pages_are_refused_before_parsing() {
        let big = vec![b'a'; MAX_PAGE_BYTES + 1];
        assert!(matches!(
            decode(&big, None),
            Err(ExtractError::TooLarge { .. })
        ));
    }
}
