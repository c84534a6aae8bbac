//! Public IDs and row cursors, defined once: GraphQL's `ID`s, the exports' `id`s, and the
//! cursors of GraphQL lists, the change feed and webhook payloads are all made here, so a
//! change to one layer cannot silently change what another hands to partners.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The types that implement GraphQL's `Node`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeType {
    /// `TreatmentCategory`.
    TreatmentCategory,
    /// `Treatment`.
    Treatment,
    /// `Drug`.
    Drug,
    /// `Regimen`.
    Regimen,
    /// `Warning`.
    Warning,
    /// `Page`.
    Page,
    /// `Revision`.
    Revision,
    /// `SyncRun`.
    SyncRun,
}

const ALL: [NodeType; 8] = [
    NodeType::TreatmentCategory,
    NodeType::Treatment,
    NodeType::Drug,
    NodeType::Regimen,
    NodeType::Warning,
    NodeType::Page,
    NodeType::Revision,
    NodeType::SyncRun,
];

impl NodeType {
    /// The GraphQL type's name.
    pub fn name(self) -> &'static str {
        match self {
            NodeType::TreatmentCategory => "TreatmentCategory",
            NodeType::Treatment => "Treatment",
            NodeType::Drug => "Drug",
            NodeType::Regimen => "Regimen",
            NodeType::Warning => "Warning",
            NodeType::Page => "Page",
            NodeType::Revision => "Revision",
            NodeType::SyncRun => "SyncRun",
        }
    }
}

/// The global ID of a row, `base64("Type:id")`.
pub fn encode(node: NodeType, id: i32) -> String {
    encode_named(node.name(), id)
}

/// An ID in the same form for a row of a type that is not a `Node` (exports name trial
/// references and drug mentions with it).
pub fn encode_named(name: &str, id: i32) -> String {
    URL_SAFE_NO_PAD.encode(format!("{name}:{id}"))
}

/// An ID's text, `Type:id`.
fn decoded(id: &str) -> Option<String> {
    String::from_utf8(URL_SAFE_NO_PAD.decode(id.as_bytes()).ok()?).ok()
}

/// The row ID of an ID made by [`encode_named`] with `name`.
pub fn decode_named(id: &str, name: &str) -> Option<i32> {
    let raw = decoded(id)?;
    match raw.split_once(':') {
        Some((prefix, number)) if prefix == name => number.parse().ok(),
        _ => None,
    }
}

/// The type and row ID a global ID names.
pub fn decode(id: &str) -> Option<(NodeType, i32)> {
    let raw = decoded(id)?;
    let (name, number) = raw.split_once(':')?;
    let node = ALL.into_iter().find(|n| n.name() == name)?;
    Some((node, number.parse().ok()?))
}

/// The cursor naming a row by its ID.
pub fn row_cursor(id: i32) -> String {
    URL_SAFE_NO_PAD.encode(format!("row:{id}"))
}

/// The row ID a cursor names.
pub fn decode_row_cursor(cursor: &str) -> Option<i32> {
    let raw = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("row:")?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_cursors_round_trip_and_reject_garbage() {
        let id = encode(NodeType::Drug, 42);
        assert_eq!(decode(&id), Some((NodeType::Drug, 42)));
        for bad in ["", "!!", "RHJ1Zzp4", "Tm9wZTox"] {
            assert!(decode(bad).is_none(), "{bad}");
        }
        assert_eq!(
            decode_named(&encode_named("Mention", 7), "Mention"),
            Some(7)
        );
        assert_eq!(decode_named(&encode_named("Mention", 7), "Drug"), None);
        assert_eq!(decode_row_cursor(&row_cursor(9)), Some(9));
        assert_eq!(decode_row_cursor(&encode(NodeType::Drug, 9)), None);
    }
}
