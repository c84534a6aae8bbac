//! Limits every door into the pipeline shares.

/// The largest page read, decoded: a fetched body, an archive record or a stored revision
/// beyond it is refused rather than read.
pub const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;
