//! Small text helpers shared by the extractor.

/// Collapses runs of white space (including no-break spaces) into single spaces and trims.
pub fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_collapsed(&mut out, text);
    out
}

/// Appends `text` to `out` with white space collapsed, trimmed at both ends.
pub fn push_collapsed(out: &mut String, text: &str) {
    let start = out.len();
    for word in text.split(|c: char| c.is_whitespace() || c == '\u{a0}') {
        if word.is_empty() {
            continue;
        }
        if out.len() > start {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// Number of words in a text.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// A URL-safe identifier: lowercase ASCII words joined by hyphens, at most `max` bytes, cut at a
/// word boundary.
pub fn slugify(text: &str, max: usize) -> String {
    let full = if text.is_ascii() {
        ascii_slug(text)
    } else {
        slug::slugify(text)
    };
    if full.len() <= max {
        return full;
    }
    let mut out = String::new();
    for word in full.split('-') {
        if !out.is_empty() && out.len() + 1 + word.len() > max {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(word);
    }
    out.truncate(max);
    out
}

/// `slug::slugify` for ASCII text, without its transliteration tables.
fn ascii_slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The key a drug name is matched and stored under: lowercase letters and digits only, so that
/// "ET-743", "et 743" and "ET743" are one name.
pub fn normalize_name(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Splits a paragraph into sentences at `.`, `!` or `?` followed by a space and a capital.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    for end in sentence_ends(text) {
        out.push(text[start..end].trim().to_owned());
        start = end;
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
}

/// The last sentence of a paragraph, without allocating.
pub fn last_sentence(text: &str) -> &str {
    sentence_ends(text)
        .filter(|&end| !text[end..].trim().is_empty())
        .last()
        .map_or(text, |end| &text[end..])
        .trim()
}

/// The first sentence of a paragraph, without allocating.
pub fn first_sentence(text: &str) -> &str {
    sentence_ends(text)
        .next()
        .map_or(text, |end| &text[..end])
        .trim()
}

/// Whether a paragraph holds more than one sentence.
pub fn has_several_sentences(text: &str) -> bool {
    sentence_ends(text)
        .next()
        .is_some_and(|end| !text[end..].trim().is_empty())
}

/// Byte offsets just past each sentence-ending mark that is followed by a space and a capital.
/// "D. Kossove, M.D." — a single capital before the dot is an initial, not a sentence end.
fn sentence_ends(text: &str) -> impl Iterator<Item = usize> + '_ {
    let bytes = text.as_bytes();
    (0..bytes.len())
        .filter(move |&i| {
            if !matches!(bytes[i], b'.' | b'!' | b'?') || bytes.get(i + 1) != Some(&b' ') {
                return false;
            }
            let then_capital = text[i + 2..].chars().next().is_some_and(char::is_uppercase);
            let mut before = text[..i].chars().rev();
            let initial = before.next().is_some_and(char::is_uppercase)
                && before.next().is_none_or(|c| !c.is_alphanumeric());
            then_capital && !initial
        })
        .map(|i| i + 1)
}

/// Case-insensitive ASCII substring test, without allocating.
pub fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let needle = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_collapses_including_nbsp() {
        assert_eq!(collapse_whitespace("  a\u{a0}\u{a0}b \n\t c "), "a b c");
    }

    #[test]
    fn slugs_cut_at_word_boundaries() {
        assert_eq!(
            slugify("Gem/Tax (Gemzar + Taxotere)", 60),
            "gem-tax-gemzar-taxotere"
        );
        assert_eq!(
            slugify("Removal of the primary tumor", 16),
            "removal-of-the"
        );
    }

    #[test]
    fn ascii_slugs_match_the_slug_crate() {
        for text in [
            "Gem/Tax (Gemzar + Taxotere)",
            "  RFA -- (radio)  ",
            "ET-743",
            "a_b",
        ] {
            assert_eq!(ascii_slug(text), slug::slugify(text), "{text}");
        }
        assert_eq!(last_sentence("One. Two are: here:"), "Two are: here:");
    }

    #[test]
    fn names_normalize_to_letters_and_digits() {
        assert_eq!(normalize_name("ET-743"), "et743");
        assert_eq!(normalize_name(" Adriamycin "), "adriamycin");
    }

    #[test]
    fn sentence_helpers_agree() {
        let text = "One thing. Two things are here: more.";
        assert_eq!(first_sentence(text), "One thing.");
        assert!(has_several_sentences(text));
        assert!(!has_several_sentences(
            "Removal of metastases (other sites), if possible."
        ));
        assert!(contains_ignore_case("see the AP23573 Trial", "trial"));
        assert!(!contains_ignore_case("tri al", "trial"));
    }

    #[test]
    fn sentences_keep_initials_together() {
        let s = sentences("Visit the site by D. Kossove, M.D. who was a patient. Then more.");
        assert_eq!(
            s,
            vec![
                "Visit the site by D. Kossove, M.D. who was a patient.",
                "Then more."
            ]
        );
    }
}
