//! The memory a picture decode may take. A picture's header says how large
//! it is; a few hundred hostile bytes can declare 10000 x 10000 pixels of
//! 16-bit RGBA in seven interlaced passes, or an animation canvas, and a
//! decoder would allocate gigabytes for it before finding the data is not
//! there. So every decode first works out, from the header alone, the most
//! it will allocate (width x height x channels x bytes per sample, and the
//! copies its path makes), is refused when that is over a limit, and
//! otherwise reserves it from one budget shared by all the decodes running
//! at once, waiting while others hold it. This module owns the budget and
//! the limits; the decoders in `hash` own the estimates.

use std::sync::{Condvar, Mutex};

/// All decodes together hold at most this much (the analysis pool runs one
/// per core; `check-photo` and `lookup` one).
pub const TOTAL: u64 = 512 << 20;
/// Most one decode may take on a path that shrinks as it decodes (JPEG in
/// the IDCT, WebP in libwebp's rescaler, PNG row by row): the whole budget.
pub const SHRINKING_PATH: u64 = TOTAL;
/// Most one decode may take on a path that holds the whole picture at full
/// size (GIF, BMP, TIFF, interlaced PNG, animated WebP, anything else the
/// image crate reads): about 24 megapixels of RGB, far less of 16-bit RGBA.
pub const FULL_SIZE_PATH: u64 = 256 << 20;

/// What a decode was refused for, or holds while it runs.
pub struct Reservation {
    bytes: u64,
}

struct Budget {
    used: Mutex<u64>,
    freed: Condvar,
}

static BUDGET: Budget = Budget {
    used: Mutex::new(0),
    freed: Condvar::new(),
};

/// Reserves `bytes` (at most [`TOTAL`]: the caller has checked its limit),
/// waiting until the decodes running now leave that much free.
pub fn reserve(bytes: u64) -> Reservation {
    let bytes = bytes.min(TOTAL);
    let mut used = BUDGET
        .used
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    while *used + bytes > TOTAL {
        used = BUDGET
            .freed
            .wait(used)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
    }
    *used += bytes;
    Reservation { bytes }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut used = BUDGET
            .used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *used -= self.bytes;
        BUDGET.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    #[test]
    fn decodes_wait_for_the_budget_and_free_it() {
        let big = reserve(TOTAL - 10);
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let waiter = std::thread::spawn(move || {
            let r = reserve(100);
            d.store(true, Ordering::SeqCst);
            drop(r);
        });
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert!(!done.load(Ordering::SeqCst), "over the budget: it waits");
        drop(big);
        waiter.join().unwrap();
        assert!(done.load(Ordering::SeqCst));
    }
}
