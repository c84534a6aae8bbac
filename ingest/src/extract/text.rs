//! Small text helpers shared by the extractor.

/// Collapses runs of white space (including no-break spaces) into single spaces and trims.
pub fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_collapsed(&mut out, text);
    out
}

/// Appends `text` to `out` with white space collapsed, trimmed at both ends. Runs of words
/// already separated by single spaces are copied whole.
pub fn push_collapsed(out: &mut String, text: &str) {
    if is_collapsed(text) {
        out.push_str(text);
        return;
    }
    let start = out.len();
    let append = |out: &mut String, run: &str| {
        if out.len() > start {
            out.push(' ');
        }
        out.push_str(run);
    };
    let bytes = text.as_bytes();
    let mut run: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let (space, len) = char_at(text, i);
        if !space {
            run.get_or_insert(i);
            i += len;
            // Most text is visible ASCII with single spaces: skip it without decoding.
            let visible = |i: usize| bytes.get(i).is_some_and(|b| (b'!'..=b'~').contains(b));
            loop {
                if visible(i) {
                    i += 1;
                } else if bytes.get(i) == Some(&b' ') && visible(i + 1) {
                    i += 2;
                } else {
                    break;
                }
            }
            continue;
        }
        let spaces_start = i;
        i += len;
        while i < bytes.len() {
            let (space, len) = char_at(text, i);
            if !space {
                break;
            }
            i += len;
        }
        let single_space = i == spaces_start + 1 && bytes[spaces_start] == b' ';
        if let Some(from) = run
            && (!single_space || i == bytes.len())
        {
            append(out, &text[from..spaces_start]);
            run = None;
        }
    }
    if let Some(from) = run {
        append(out, &text[from..]);
    }
}

/// Whether a text is visible ASCII with single spaces between words, as most text is: nothing to
/// collapse. Checked without early exits, so that it compiles to vector instructions.
fn is_collapsed(text: &str) -> bool {
    let bytes = text.as_bytes();
    let visible = |b: u8| (b'!'..=b'~').contains(&b);
    let edges =
        bytes.first().is_none_or(|&b| visible(b)) && bytes.last().is_none_or(|&b| visible(b));
    let plain = bytes
        .iter()
        .fold(true, |plain, &b| plain & (visible(b) | (b == b' ')));
    edges && plain && memchr::memmem::find(bytes, b"  ").is_none()
}

/// Whether the character at byte `i` is white space (Unicode white space or a no-break space),
/// and its length; ASCII without UTF-8 decoding.
fn char_at(text: &str, i: usize) -> (bool, usize) {
    match text.as_bytes()[i] {
        b if b.is_ascii() => (b.is_ascii_whitespace() || b == 0x0b, 1),
        _ => text[i..].chars().next().map_or((false, 1), |c| {
            (c.is_whitespace() || c == '\u{a0}', c.len_utf8())
        }),
    }
}

/// Number of words in a text whose white space is collapsed (single spaces, trimmed), as every
/// line's and link's text is.
pub fn word_count(collapsed: &str) -> usize {
    if collapsed.is_empty() {
        return 0;
    }
    collapsed.bytes().filter(|&b| b == b' ').count() + 1
}

/// A URL-safe identifier: lowercase ASCII words joined by hyphens, at most `max` bytes, cut at a
/// word boundary.
pub fn slugify(text: &str, max: usize) -> String {
    let mut slug = if text.is_ascii() {
        ascii_slug(text, max)
    } else {
        slug::slugify(text)
    };
    if slug.len() > max {
        // Cut after the last whole word that fits, or mid-word if the first word alone is too long.
        let bytes = slug.as_bytes();
        let cut = if bytes[max] == b'-' {
            max
        } else {
            bytes[..max].iter().rposition(|&b| b == b'-').unwrap_or(max)
        };
        let cut = (0..=cut)
            .rev()
            .find(|&i| slug.is_char_boundary(i))
            .unwrap_or(0);
        slug.truncate(cut);
    }
    slug
}

/// `slug::slugify` for ASCII text, without its transliteration tables. It stops once the slug is
/// longer than `max`: the bytes past that cannot change where [`slugify`] cuts.
fn ascii_slug(text: &str, max: usize) -> String {
    let limit = max.saturating_add(1);
    let mut out = String::with_capacity(text.len().min(limit));
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() && out.len() < limit {
        if !bytes[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_alphanumeric) {
            i += 1;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&text[start..i]);
    }
    out.truncate(limit);
    out.make_ascii_lowercase();
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

/// Whether `text[start..end]` is not part of a longer word.
pub fn stands_alone(text: &str, start: usize, end: usize) -> bool {
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    !is_word(text[..start].chars().next_back()) && !is_word(text[end..].chars().next())
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
    memchr::memchr3_iter(b'.', b'!', b'?', bytes)
        .filter(move |&i| {
            if bytes.get(i + 1) != Some(&b' ') {
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
    let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
    let Some(&first) = needle.first() else {
        return true;
    };
    memchr::memchr2_iter(
        first.to_ascii_lowercase(),
        first.to_ascii_uppercase(),
        haystack,
    )
    .any(|i| {
        haystack
            .get(i..i + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    })
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
        assert_eq!(slugify("Removal of the", 10), "removal-of");
        assert_eq!(slugify("Leiomyosarcoma is rare", 5), "leiom");
    }

    #[test]
    fn ascii_slugs_match_the_slug_crate() {
        for text in [
            "Gem/Tax (Gemzar + Taxotere)",
            "  RFA -- (radio)  ",
            "ET-743",
            "a_b",
        ] {
            assert_eq!(
                ascii_slug(text, usize::MAX - 1),
                slug::slugify(text),
                "{text}"
            );
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

    /// `slugify` as first written: the slug crate's slug, cut at the last whole word that fits.
    fn reference_slug(text: &str, max: usize) -> String {
        let slug = slug::slugify(text);
        if slug.len() <= max {
            return slug;
        }
        let words: Vec<&str> = slug.split('-').collect();
        let mut out = String::new();
        for word in words {
            let next = if out.is_empty() {
                word.len()
            } else {
                out.len() + 1 + word.len()
            };
            if next > max {
                break;
            }
            if !out.is_empty() {
                out.push('-');
            }
            out.push_str(word);
        }
        if out.is_empty() {
            slug[..max].to_owned()
        } else {
            out
        }
    }

    proptest::proptest! {
        #[test]
        fn slugs_match_the_slug_crate_cut_at_words(
            text in "[ a-zA-Z0-9_+/().:-]{0,60}",
            max in 1usize..40,
        ) {
            proptest::prop_assert_eq!(slugify(&text, max), reference_slug(&text, max));
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_helpers_match_their_plain_definitions(
            text in "[ a-zA-Z.!?\t\n\u{a0}\u{2003}\u{0b}é•@`\\[{]{0,80}",
            needle in "[a-zA-Z ]{0,3}",
        ) {
            let words: Vec<&str> = text
                .split(|c: char| c.is_whitespace() || c == '\u{a0}')
                .filter(|w| !w.is_empty())
                .collect();
            proptest::prop_assert_eq!(collapse_whitespace(&text), words.join(" "));
            let mut appended = String::from("x");
            push_collapsed(&mut appended, &text);
            proptest::prop_assert_eq!(appended, format!("x{}", words.join(" ")));
            proptest::prop_assert_eq!(word_count(&collapse_whitespace(&text)), words.len());
            proptest::prop_assert_eq!(
                contains_ignore_case(&text, &needle),
                text.to_ascii_lowercase().contains(&needle.to_ascii_lowercase())
            );
        }
    }
}
