//! The phase of the trial a treatment item names ("in a phase 2 trial", "Phase I/II"), read as
//! an attribute of the item, in arabic numerals: `1`, `2`, `3`, `4`, or a span such as `1/2`.

use std::sync::LazyLock;

use regex::Regex;

static PHASE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)phase\s+(?P<a>IV|I{1,3}|[1-4])(?:\s*[/–-]\s*(?P<b>IV|I{1,3}|[1-4]))?(?-u:\b)",
    )
    .expect("valid")
});

/// The trial phase an item states, if it states one.
pub fn trial_phase(item: &str) -> Option<String> {
    let found = PHASE.captures(item)?;
    let first = arabic(found.name("a")?.as_str())?;
    match found.name("b").and_then(|b| arabic(b.as_str())) {
        Some(second) if second > first => Some(format!("{first}/{second}")),
        _ => Some(first.to_string()),
    }
}

fn arabic(numeral: &str) -> Option<u8> {
    match numeral.to_ascii_uppercase().as_str() {
        "1" | "I" => Some(1),
        "2" | "II" => Some(2),
        "3" | "III" => Some(3),
        "4" | "IV" => Some(4),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::trial_phase;

    #[test]
    fn phases_as_items_write_them() {
        assert_eq!(
            trial_phase("Stivarga (regorafenib), in a phase 2 trial").as_deref(),
            Some("2")
        );
        assert_eq!(
            trial_phase("olaratumab, Phase III (ANNOUNCE)").as_deref(),
            Some("3")
        );
        assert_eq!(
            trial_phase("a Phase I/II study of eribulin").as_deref(),
            Some("1/2")
        );
        assert_eq!(trial_phase("phase 2-3").as_deref(), Some("2/3"));
        assert_eq!(trial_phase("Gemzar (gemcitabine)"), None);
        assert_eq!(trial_phase("a phase of remission"), None);
        assert_eq!(trial_phase("phase 5"), None);
    }
}
