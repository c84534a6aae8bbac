//! lmsdr's ingest pipeline: opening the database, extracting the foundation's pages into
//! normalized, traceable entities, and storing them.

pub mod db;
pub mod extract;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod store;
pub mod bundled;
pub mod import;
pub mod runs;
