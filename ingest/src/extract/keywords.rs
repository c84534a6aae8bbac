//! Sets of words and phrases found in one pass, as whole words and regardless of ASCII case.

use aho_corasick::AhoCorasick;

/// Words or phrases looked for together. A word written with a trailing `*` also stands for the
/// words it begins ("chemo*" finds "chemo" and "chemotherapy").
#[derive(Debug)]
pub struct Keywords {
    pattern: AhoCorasick,
    /// For each pattern, whether further letters may follow it.
    open_ended: Vec<bool>,
}

impl Keywords {
    /// A set of keywords. Panics on an invalid set, which only a programming error can make.
    pub fn new(words: &[&str]) -> Self {
        let open_ended = words.iter().map(|w| w.ends_with('*')).collect();
        let pattern = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(words.iter().map(|w| w.trim_end_matches('*')))
            .expect("keyword sets are small and valid");
        Self {
            pattern,
            open_ended,
        }
    }

    /// Whether any of the keywords stands in `text` as a whole word (ASCII word boundaries).
    pub fn any_in(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        let word = |i: usize| {
            bytes
                .get(i)
                .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
        };
        self.pattern.find_overlapping_iter(text).any(|m| {
            let mut end = m.end();
            if self.open_ended[m.pattern().as_usize()] {
                while bytes.get(end).is_some_and(u8::is_ascii_alphabetic) {
                    end += 1;
                }
            }
            let starts_word = m.start() == 0 || !word(m.start() - 1);
            starts_word && !word(end)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_only_and_open_ended_words() {
        let keywords = Keywords::new(&["drug", "drugs", "chemo*", "same as"]);
        assert!(keywords.any_in("Two Drugs."));
        assert!(keywords.any_in("chemotherapy"));
        assert!(keywords.any_in("it is the SAME AS that"));
        assert!(!keywords.any_in("drugstore, chemo2, sameas"));
        assert!(!keywords.any_in("_drug"));
    }
}
