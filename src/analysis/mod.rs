//! Analysis: what a picture's bytes are. Bounded decoding, perceptual hash,
//! embedded metadata. Pure functions of the bytes, run off the async runtime
//! by the caller; they know nothing of HTTP or storage.

pub mod budget;
pub mod details;
pub mod faces;
pub mod hash;
pub mod metadata;
pub mod pool;

pub use hash::{analyse, analyse_raster, AnalysisError, HashLimits};

/// Reads a picture file given on the command line (`lookup`, `check-photo`,
/// `withdraw`), at most `max_bytes` of it (`crawl.max_image_bytes`, the
/// same bound as a fetched picture): a larger file, or an endless one such
/// as a device, is refused after that many bytes, never read whole.
pub fn read_picture_file(path: &std::path::Path, max_bytes: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let too_large = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "larger than the {} MiB limit for a picture (crawl.max_image_bytes)",
                max_bytes.div_ceil(1 << 20)
            ),
        )
    };
    let file = std::fs::File::open(path)?;
    if file
        .metadata()
        .is_ok_and(|m| m.is_file() && m.len() > max_bytes)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(max_bytes + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_picture_file_is_read_up_to_its_limit_only() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.bin");
        std::fs::write(&big, vec![0u8; 4096]).unwrap();
        let e = super::read_picture_file(&big, 1024).unwrap_err();
        assert!(e.to_string().contains("max_image_bytes"), "{e}");
        assert_eq!(super::read_picture_file(&big, 4096).unwrap().len(), 4096);
        // An endless file is cut at the limit, not read forever.
        let e = super::read_picture_file(std::path::Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(e.to_string().contains("limit"), "{e}");
    }
}
