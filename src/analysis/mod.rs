//! Analysis: what a picture's bytes are. Bounded decoding, perceptual hash,
//! embedded metadata. Pure functions of the bytes, run off the async runtime
//! by the caller; they know nothing of HTTP or storage.

pub mod details;
pub mod faces;
pub mod hash;
pub mod metadata;
pub mod pool;

pub use hash::{analyse, AnalysisError, HashLimits};
