//! Opaque global IDs (`base64("Type:id")`) for the Relay `Node` interface.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::{Result, bad_input};

/// The types that implement `Node`.
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
    fn name(self) -> &'static str {
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

/// The global ID of a row.
pub fn encode(node: NodeType, id: i32) -> ID {
    encode_named(node.name(), id)
}

/// An ID in the same form for a row of a type that is not a `Node` (exports name trial
/// references and drug mentions with it).
pub fn encode_named(name: &str, id: i32) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{name}:{id}")))
}

/// An ID's text, `Type:id`.
fn decoded(id: &ID) -> Option<String> {
    String::from_utf8(URL_SAFE_NO_PAD.decode(id.as_bytes()).ok()?).ok()
}

/// The row ID of an ID made by [`encode_named`] with `name`.
pub fn decode_named(id: &ID, name: &str) -> Result<i32> {
    let invalid = || bad_input(format!("`{}` is not a {name}'s ID", id.as_str()));
    let raw = decoded(id).ok_or_else(invalid)?;
    match raw.split_once(':') {
        Some((prefix, number)) if prefix == name => number.parse().map_err(|_| invalid()),
        _ => Err(invalid()),
    }
}

/// The type and row ID a global ID names.
pub fn decode(id: &ID) -> Result<(NodeType, i32)> {
    let invalid = || bad_input(format!("`{}` is not a valid ID", id.as_str()));
    let raw = decoded(id).ok_or_else(invalid)?;
    let (name, number) = raw.split_once(':').ok_or_else(invalid)?;
    let node = ALL
        .into_iter()
        .find(|n| n.name() == name)
        .ok_or_else(invalid)?;
    Ok((node, number.parse().map_err(|_| invalid())?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        let id = encode(NodeType::Drug, 42);
        assert_eq!(decode(&id).ok(), Some((NodeType::Drug, 42)));
        for bad in ["", "!!", "RHJ1Zzp4", "Tm9wZTox"] {
            assert!(decode(&ID(bad.to_owned())).is_err(), "{bad}");
        }
    }
}
