//! [`crate::ids`] as GraphQL's `ID`: a bad ID is the client's error.

use async_graphql::ID;

pub use crate::ids::NodeType;

use super::error::{Result, bad_input};

/// The global ID of a row.
pub fn encode(node: NodeType, id: i32) -> ID {
    ID(crate::ids::encode(node, id))
}

/// An ID in the same form for a row of a type that is not a `Node`.
pub fn encode_named(name: &str, id: i32) -> ID {
    ID(crate::ids::encode_named(name, id))
}

/// The row ID of an ID of a type that is not a `Node`, made with `name`.
pub fn decode_named(id: &ID, name: &str) -> Result<i32> {
    crate::ids::decode_named(id.as_str(), name)
        .ok_or_else(|| bad_input(format!("`{}` is not a {name}'s ID", id.as_str())))
}

/// The type and row ID a global ID names.
pub fn decode(id: &ID) -> Result<(NodeType, i32)> {
    crate::ids::decode(id.as_str())
        .ok_or_else(|| bad_input(format!("`{}` is not a valid ID", id.as_str())))
}
