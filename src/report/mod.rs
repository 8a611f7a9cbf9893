//! Reports: read a stored run (and the run before it) from the store and
//! render it. One format per file; reports read only the store.

pub mod csv;
pub mod fixes;
pub mod html;
pub mod json;

pub use json::{build, Report};
