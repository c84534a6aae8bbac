//! A data table put back together from its cell lines: each cell in its column (an empty cell
//! keeps its place, so a row lines up with its header), the lines of one cell joined, and each
//! body row read as a list item — a table is a list whose items have named columns. Where the
//! header names a brand-name and a generic-name column, a row pairs them as a list writes them:
//! "Votrient (pazopanib)"; so does a row without a header whose cells side by side are names of
//! one drug.

use std::ops::Range;

use super::lines::Line;
use super::text::contains_ignore_case;
use super::vocabulary::VOCABULARY;

/// One row of a data table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Every cell of it is a header cell (`<th>`).
    pub header: bool,
    /// The cells' texts by column; empty where the row has no text in a column.
    pub cells: Vec<String>,
    /// The positions, among the lines given, of the row's lines.
    pub lines: Range<usize>,
}

/// The rows of one data table's cell lines, in order, every row as wide as the widest.
pub fn rows(cells: &[Line]) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let mut current = None;
    for (at, line) in cells.iter().enumerate() {
        let Some(cell) = line.style.cell else {
            continue;
        };
        if current != Some(cell.row) {
            current = Some(cell.row);
            rows.push(Row {
                header: true,
                cells: Vec::new(),
                lines: at..at,
            });
        }
        let Some(row) = rows.last_mut() else {
            continue;
        };
        row.header &= cell.header;
        row.lines.end = at + 1;
        let column = cell.column as usize;
        if row.cells.len() <= column {
            row.cells.resize(column + 1, String::new());
        }
        let text = &mut row.cells[column];
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&line.text);
    }
    let width = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
    for row in &mut rows {
        row.cells.resize(width, String::new());
    }
    rows
}

/// A body row as a list item's text: the brand and generic names paired where the header names
/// both columns, the other cells after them, in column order, separated by commas. Empty when
/// the row has no text.
pub fn item_text(header: Option<&Row>, row: &Row) -> String {
    let column_named = |words: &[&str]| {
        header.and_then(|h| {
            h.cells
                .iter()
                .position(|name| words.iter().any(|w| contains_ignore_case(name, w)))
        })
    };
    let cell = |column: usize| row.cells.get(column).map_or("", |c| c.trim());
    let pair = match (
        column_named(&["brand", "trade"]),
        column_named(&["generic"]),
    ) {
        (Some(brand), Some(generic)) if brand != generic => Some((brand, generic)),
        // No header says so, but two cells side by side are names of one drug.
        _ => (1..row.cells.len())
            .find(|&column| same_drug(cell(column - 1), cell(column)))
            .map(|column| (column - 1, column)),
    };
    let mut parts: Vec<String> = Vec::new();
    for column in 0..row.cells.len() {
        let text = match pair {
            Some((brand, generic)) if column == brand.min(generic) => {
                let (first, second) = (cell(column), cell(brand.max(generic)));
                match (first.is_empty(), second.is_empty()) {
                    (false, false) => format!("{first} ({second})"),
                    (false, true) => first.to_owned(),
                    (true, _) => second.to_owned(),
                }
            }
            Some((brand, generic)) if column == brand.max(generic) => continue,
            _ => cell(column).to_owned(),
        };
        if !text.is_empty() {
            parts.push(text);
        }
    }
    parts.join(", ")
}

/// Whether two texts are each a name of the same vocabulary drug ("Gemzar", "gemcitabine").
fn same_drug(a: &str, b: &str) -> bool {
    match (VOCABULARY.lookup(a), VOCABULARY.lookup(b)) {
        (Some((x, _)), Some((y, _))) => x.slug == y.slug,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use scraper::Html;

    use super::super::lines::lines;
    use super::*;

    fn table(html: &str) -> Vec<Row> {
        rows(&lines(&Html::parse_document(html)).lines)
    }

    #[test]
    fn empty_cells_keep_their_column_and_a_cell_its_lines() {
        let got = table(
            "<table><tr><th>Brand name</th><th>Generic name</th><th>Notes</th></tr>\
             <tr><td></td><td>dacarbazine</td><td>intravenous</td></tr>\
             <tr><td>Votrient</td><td>pazopanib</td><td></td></tr>\
             <tr><td colspan=2>Yondelis<br>(ET-743)</td><td>in trial</td></tr></table>",
        );
        let cells: Vec<Vec<&str>> = got
            .iter()
            .map(|r| r.cells.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(
            cells,
            [
                vec!["Brand name", "Generic name", "Notes"],
                vec!["", "dacarbazine", "intravenous"],
                vec!["Votrient", "pazopanib", ""],
                vec!["Yondelis (ET-743)", "", "in trial"],
            ]
        );
        assert!(got[0].header && !got[1].header);
    }

    #[test]
    fn hostile_column_spans_stay_bounded() {
        let cells = "<td colspan=1000>x</td>".repeat(500);
        let got = table(&format!(
            "<table><tr>{cells}</tr><tr><td>a</td><td>b</td></tr></table>"
        ));
        assert!(
            got.iter().all(|r| r.cells.len() <= 64),
            "{}",
            got[0].cells.len()
        );
        assert_eq!(got[1].cells[..2], ["a", "b"]);
    }

    #[test]
    fn rows_pair_brand_and_generic_as_a_list_does() {
        let got = table(
            "<table><tr><th>Generic</th><th>Notes</th><th>Brand</th></tr>\
             <tr><td>pazopanib</td><td>oral</td><td>Votrient</td></tr>\
             <tr><td>dacarbazine</td><td></td><td></td></tr></table>",
        );
        assert_eq!(
            item_text(Some(&got[0]), &got[1]),
            "pazopanib (Votrient), oral"
        );
        assert_eq!(item_text(Some(&got[0]), &got[2]), "dacarbazine");
        let plain = table(
            "<table><tr><td>Gemzar</td><td>gemcitabine</td></tr><tr><td>a</td><td></td></tr></table>",
        );
        assert_eq!(item_text(None, &plain[0]), "Gemzar (gemcitabine)");
        assert_eq!(item_text(None, &plain[1]), "a");
    }
}
