//! Small text helpers shared by the extractor.

/// Collapses runs of white space (including no-break spaces) into single spaces and trims.
pub fn collapse_whitespace(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Number of words in a text.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// A URL-safe identifier: lowercase ASCII words joined by hyphens, at most `max` bytes, cut at a
/// word boundary.
pub fn slugify(text: &str, max: usize) -> String {
    let full = slug::slugify(text);
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

/// The key a drug name is matched and stored under: lowercase letters and digits only, so that
/// "ET-743", "et 743" and "ET743" are one name.
pub fn normalize_name(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Splits a paragraph into sentences at `.`, `!` or `?` followed by white space and a capital.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(pos, c)) in chars.iter().enumerate() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let next_is_space = chars.get(i + 1).is_some_and(|&(_, n)| n == ' ');
        let then_capital = chars.get(i + 2).is_some_and(|&(_, n)| n.is_uppercase());
        // "D. Kossove, M.D." — a single capital before the dot is an initial, not a sentence end.
        let initial =
            i >= 1 && chars[i - 1].1.is_uppercase() && (i < 2 || !chars[i - 2].1.is_alphanumeric());
        if next_is_space && then_capital && !initial {
            let end = pos + c.len_utf8();
            out.push(text[start..end].trim().to_owned());
            start = end;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
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
    fn names_normalize_to_letters_and_digits() {
        assert_eq!(normalize_name("ET-743"), "et743");
        assert_eq!(normalize_name(" Adriamycin "), "adriamycin");
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
