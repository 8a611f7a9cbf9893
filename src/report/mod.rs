//! Reports: read a stored run (and the run before it) from the store and
//! render it. One format per file; reports read only the store.

pub mod actions;
pub mod csv;
pub mod fixes;
pub mod html;
pub mod json;

pub use json::{build, Report};

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot write the report: {0}")]
    Io(#[from] std::io::Error),
}
