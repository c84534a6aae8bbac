//! Words as search matches them: transliterated to ASCII, lowercased, split at anything not a
//! letter or digit, English stop words dropped, each stemmed (Snowball English, the stemmer
//! PostgreSQL's `english` configuration uses). Documents and queries go through the same steps,
//! on both databases, so both match the same documents.

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// The Snowball project's English stop words.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

/// A word of a text with where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Byte range in the text.
    pub start: usize,
    /// End of the range.
    pub end: usize,
    /// The normalized term; `None` for a stop word.
    pub term: Option<String>,
}

/// The words of a text, stop words included (with no term), in order.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let word = &text[s..i];
                let ascii = deunicode::deunicode(word).to_ascii_lowercase();
                for part in ascii.split(|c: char| !c.is_ascii_alphanumeric()) {
                    if part.is_empty() {
                        continue;
                    }
                    out.push(Token {
                        start: s,
                        end: i,
                        term: normalize(part),
                    });
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// The normalized terms of a text, stop words dropped.
pub fn terms(text: &str) -> Vec<String> {
    tokens(text).into_iter().filter_map(|t| t.term).collect()
}

/// One lowercase ASCII word's term, or `None` for a stop word.
fn normalize(word: &str) -> Option<String> {
    if STOP_WORDS.binary_search(&word).is_ok() {
        return None;
    }
    Some(STEMMER.stem(word).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn words_stem_and_fold() {
        assert_eq!(
            terms("The Treatments of LMS: chémo, ET-743 & Gem/Tax!"),
            ["treatment", "lms", "chemo", "et", "743", "gem", "tax"]
        );
        assert_eq!(
            terms("treating treated treatment"),
            ["treat", "treat", "treatment"]
        );
        assert!(terms("what is it").is_empty());
        let tokens = tokens("Doxorubicin (Adriamycin)");
        assert_eq!((tokens[1].start, tokens[1].end), (13, 23));
    }
}
