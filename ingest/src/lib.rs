//! lmsdr's ingest pipeline: opening the database, extracting the foundation's pages into
//! normalized, traceable entities, and storing them.

pub mod archive;
pub mod backfill;
pub mod bundled;
pub mod db;
pub mod extract;
pub mod fetch;
pub mod import;
pub mod limits;
pub mod lock;
pub mod pipeline;
pub mod runs;
pub mod search;
pub mod store;
pub mod sync;
#[cfg(feature = "test-support")]
pub mod testing;
