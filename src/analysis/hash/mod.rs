//! Decoding and perceptual hashing. Every picture is decoded small (JPEG at
//! down to 1/8 scale inside the IDCT, other formats decoded under hard limits
//! and shrunk), turned grey, rotated upright by its EXIF orientation, brought
//! to one fixed working size and hashed with Median + DCT 8x8 (pHash). The
//! fixed working size makes the hash independent of the decoding path.
//! Thresholds and robustness figures: docs/hashing.md.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, GrayImage, ImageFormat, RgbImage};
use image_hasher::{HashAlg, Hasher, HasherConfig};
use sha2::{Digest, Sha256};

use super::faces::Colour;
use super::{budget, metadata};
use crate::model::{Picture, Raster};

pub mod crop;
mod raster;

/// Side of the grey working image every decoding path is brought to for hashing.
const WORK_SIDE: u32 = 64;
/// Longest side of the grey picture faces are detected on. The colour
/// picture UltraFace is given is at most twice this (a JPEG's IDCT scale)
/// and is resized by UltraFace to its input.
pub const DETECT_SIDE: u32 = 800;
/// Largest side accepted by any decoder.
const MAX_SIDE: u32 = 65_535;

/// Why a picture could not be analysed. Recorded on its row.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AnalysisError {
    /// The bytes are not a raster format we decode (HTML error page, SVG, PDF).
    #[error("not a supported picture ({0})")]
    NotAPicture(String),
    /// Declared dimensions exceed the configured limit; nothing was decoded.
    #[error("picture of {width} x {height} pixels exceeds the {limit}-pixel limit")]
    TooLarge { width: u32, height: u32, limit: u64 },
    /// Decoding would take more memory than its path may have
    /// ([`super::budget`]); nothing was decoded.
    #[error(
        "picture of {width} x {height} pixels not decoded: it would take {needed_mib} MiB, \
         over the {limit_mib} MiB limit for {path}"
    )]
    TooMuchMemory {
        width: u32,
        height: u32,
        needed_mib: u64,
        limit_mib: u64,
        path: &'static str,
    },
    /// The decoder failed on corrupt or truncated data.
    #[error("cannot decode picture: {0}")]
    Decode(String),
}

/// Hard limits on decoding.
#[derive(Debug, Clone, Copy)]
pub struct HashLimits {
    pub max_pixels: u64,
}

fn hasher() -> Hasher {
    HasherConfig::new()
        .hash_alg(HashAlg::Median)
        .preproc_dct()
        .hash_size(8, 8)
        .to_hasher()
}

/// Analyses one picture: sha256, format, size, perceptual hash, metadata.
pub fn analyse(bytes: &[u8], limits: HashLimits) -> Result<Picture, AnalysisError> {
    // Decoders are third-party code fed hostile bytes: a panic in one is a
    // recorded error for this picture, never the end of the run.
    match std::panic::catch_unwind(|| analyse_inner(bytes, limits)) {
        Ok(r) => r,
        Err(_) => Err(AnalysisError::Decode(
            "decoder panicked on this input".into(),
        )),
    }
}

/// Analyses samples from inside a document: as [`analyse`], with no file
/// metadata of its own (the document's goes with its context).
pub fn analyse_raster(r: &Raster, limits: HashLimits) -> Result<Picture, AnalysisError> {
    match std::panic::catch_unwind(|| {
        let grey = raster::to_grey(r, limits)?;
        Ok(finish(
            Decoded {
                grey,
                colour: None,
                width: r.width,
                height: r.height,
            },
            r.sha256.clone(),
            "raw",
            r.data.len() as u64,
            crate::model::PictureMetadata::default(),
        ))
    }) {
        Ok(r) => r,
        Err(_) => Err(AnalysisError::Decode(
            "decoder panicked on this input".into(),
        )),
    }
}

/// A picture as the decoders give it, small: grey (what is hashed and
/// what SeetaFace looks at); in colour too when that was asked for and
/// the picture has colour (what UltraFace looks at); and its own size.
struct Decoded {
    grey: GrayImage,
    colour: Option<Colour>,
    width: u32,
    height: u32,
}

/// Hash, faces and thumbnail of a picture decoded and turned upright.
fn finish(
    Decoded {
        grey,
        colour,
        width,
        height,
    }: Decoded,
    sha256: String,
    format: &str,
    bytes: u64,
    metadata: crate::model::PictureMetadata,
) -> Picture {
    // Hashed as decoded (one area-averaging pass down to the working size),
    // then shrunk for the face detector.
    let (phash, mirror, detail) = hashes_of_grey(&grey);
    let grey = fit_within(grey, DETECT_SIDE);
    // The colour picture is at most twice the detection size (a JPEG's
    // IDCT scale) and UltraFace resizes it itself.
    let faces = super::faces::detect(&grey, colour.as_ref());
    Picture {
        sha256,
        phash,
        width,
        height,
        format: format.to_string(),
        bytes,
        metadata,
        faces: Some(faces.count),
        largest_face: Some(faces.largest),
        phash_mirror: Some(mirror),
        phash_detail: Some(detail),
        thumbnail: thumbnail(&grey),
    }
}

fn analyse_inner(bytes: &[u8], limits: HashLimits) -> Result<Picture, AnalysisError> {
    let format =
        image::guess_format(bytes).map_err(|_| AnalysisError::NotAPicture(sniff(bytes)))?;
    let meta = metadata::read(bytes, format);
    let decoded = orient(decode(bytes, format, limits, true)?, meta.orientation);
    Ok(finish(
        decoded,
        sha256_hex(bytes),
        format_name(format),
        bytes.len() as u64,
        meta.metadata,
    ))
}

/// Longest side of stored thumbnails, and how much they are blurred.
const THUMB_SIDE: u32 = 96;
const THUMB_BLUR: f32 = 2.5;

/// A small, blurred, grey JPEG: enough to tell which picture an exposure
/// is, not enough to recognise anyone in it.
fn thumbnail(grey: &GrayImage) -> Option<Vec<u8>> {
    let small = fit_within(grey.clone(), THUMB_SIDE);
    let blurred = image::imageops::blur(&small, THUMB_BLUR);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 60)
        .encode_image(&blurred)
        .ok()?;
    Some(out)
}

/// The size of a `w` x `h` picture shrunk so its longest side is at most
/// `side`.
fn fit_size(w: u32, h: u32, side: u32) -> (u32, u32) {
    if w.max(h) <= side {
        return (w, h);
    }
    let scale = side as f32 / w.max(h) as f32;
    (
        ((w as f32 * scale).round() as u32).max(1),
        ((h as f32 * scale).round() as u32).max(1),
    )
}

/// Shrinks a picture (grey, or the colour one for UltraFace) so its
/// longest side is at most `side`.
fn fit_within<P: image::Pixel<Subpixel = u8> + 'static>(
    picture: image::ImageBuffer<P, Vec<u8>>,
    side: u32,
) -> image::ImageBuffer<P, Vec<u8>> {
    let (w, h) = picture.dimensions();
    let (nw, nh) = fit_size(w, h, side);
    if (nw, nh) == (w, h) {
        return picture;
    }
    // Area averaging in integers: a tenth of a triangle filter's cost, and
    // every decoding path goes through it, so hashes still agree.
    image::imageops::thumbnail(&picture, nw, nh)
}

/// The perceptual hash alone, through the same decoding path as [`analyse`]
/// (no sha256, metadata or faces): what the hashing benchmark compares with
/// other perceptual-hash tools.
pub fn phash_only(bytes: &[u8], limits: HashLimits) -> Result<u64, AnalysisError> {
    Ok(hash_grey(&decode_upright(bytes, limits)?))
}

/// The perceptual hash of a picture and of its mirror image, for looking up
/// pictures that may have been flipped (no 64-bit hash survives a flip).
pub fn phash_and_mirror(bytes: &[u8], limits: HashLimits) -> Result<(u64, u64), AnalysisError> {
    Ok(hash_grey_and_mirror(&decode_upright(bytes, limits)?))
}

/// A picture decoded small and grey and turned upright, for the hash alone
/// (no other metadata is read).
fn decode_upright(bytes: &[u8], limits: HashLimits) -> Result<GrayImage, AnalysisError> {
    let format =
        image::guess_format(bytes).map_err(|_| AnalysisError::NotAPicture(sniff(bytes)))?;
    let orientation = if format == ImageFormat::Jpeg {
        metadata::orientation(bytes)
    } else {
        metadata::read(bytes, format).orientation
    };
    Ok(orient(decode(bytes, format, limits, false)?, orientation).grey)
}

/// sha256 of bytes, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A sha256 (as [`sha256_hex`] writes it) in 16 bytes: its first 128
/// bits, for sets of every picture known (a collision of 128 bits of
/// SHA-256 does not happen). Anything not hex keys by a hash of the text.
pub fn sha256_key(hex: &str) -> u128 {
    hex.get(..32)
        .and_then(|h| u128::from_str_radix(h, 16).ok())
        .unwrap_or_else(|| u128::from(crate::urls::Fingerprints::of(hex)))
}

/// [`sha256_key`] of a sha256 held as bytes.
pub fn digest_key(d: &crate::model::Digest) -> u128 {
    let mut first = [0u8; 16];
    first.copy_from_slice(&d[..16]);
    u128::from_be_bytes(first)
}

/// The 64-bit pHash of an upright grey picture of any size.
pub fn hash_grey(grey: &GrayImage) -> u64 {
    hash_work(&work_image(grey))
}

/// The pHash of a picture and of its mirror image, from one working image.
pub fn hash_grey_and_mirror(grey: &GrayImage) -> (u64, u64) {
    let (hash, mirror, _) = hashes_of_grey(grey);
    (hash, mirror)
}

/// The pHash, the mirror image's pHash and the detail hash of a picture,
/// from one working image.
pub fn hashes_of_grey(grey: &GrayImage) -> (u64, u64, DetailHash) {
    let work = work_image(grey);
    let mirrored = image::imageops::flip_horizontal(&work);
    (hash_work(&work), hash_work(&mirrored), detail_hash(&work))
}

/// A 256-bit hash of the working image's 16x16 lowest DCT frequencies,
/// each above or below their median: four times the pHash's detail. It
/// checks a pair the pHash calls one picture (docs/hashing.md): staff
/// portraits on one backdrop sit 6 to 10 pHash bits apart but 58 or more
/// detail bits; sizes and recompressions of one photo 0 to 8.
pub type DetailHash = [u64; 4];

/// Side of the block of DCT frequencies the detail hash keeps.
const DETAIL_SIDE: usize = 16;

/// `cos[k * n + x] = scale(k) * cos(pi (2x + 1) k / 2n)` for the first
/// DETAIL_SIDE frequencies over the WORK_SIDE (`n`) pixels of a row: the
/// orthonormal DCT-II's basis, computed once.
static DETAIL_COS: std::sync::LazyLock<Vec<f64>> = std::sync::LazyLock::new(|| {
    let n = WORK_SIDE as usize;
    let nf = n as f64;
    let scale = |k: usize| {
        if k == 0 {
            (1.0 / nf).sqrt()
        } else {
            (2.0 / nf).sqrt()
        }
    };
    (0..DETAIL_SIDE)
        .flat_map(|k| {
            (0..n).map(move |x| {
                scale(k) * (std::f64::consts::PI * (2 * x + 1) as f64 * k as f64 / (2.0 * nf)).cos()
            })
        })
        .collect()
});

/// See [`DetailHash`]: the orthonormal 2-D DCT-II of the 64x64 working
/// image, its top-left 16x16 coefficients (the constant one included),
/// each compared with their median.
fn detail_hash(work: &GrayImage) -> DetailHash {
    // The working image: square (`work_image`), WORK_SIDE wide.
    let n = work.width() as usize;
    assert_eq!(
        (n, work.height() as usize),
        (WORK_SIDE as usize, WORK_SIDE as usize),
        "the working image"
    );
    let cos = &*DETAIL_COS;
    let px = work.as_raw();
    // Rows first: rows[y][k], the k-th horizontal frequency of row y.
    let mut rows = vec![0.0f64; n * DETAIL_SIDE];
    for y in 0..n {
        let row = &px[y * n..(y + 1) * n];
        for k in 0..DETAIL_SIDE {
            let c = &cos[k * n..(k + 1) * n];
            rows[y * DETAIL_SIDE + k] = row.iter().zip(c).map(|(&v, &c)| f64::from(v) * c).sum();
        }
    }
    let mut coef = [0.0f64; DETAIL_SIDE * DETAIL_SIDE];
    for l in 0..DETAIL_SIDE {
        let c = &cos[l * n..(l + 1) * n];
        for k in 0..DETAIL_SIDE {
            coef[l * DETAIL_SIDE + k] = (0..n).map(|y| rows[y * DETAIL_SIDE + k] * c[y]).sum();
        }
    }
    let mut sorted = coef;
    sorted.sort_by(f64::total_cmp);
    let half = sorted.len() / 2;
    let median = f64::midpoint(sorted[half - 1], sorted[half]);
    let mut out = [0u64; 4];
    for (i, &v) in coef.iter().enumerate() {
        if v > median {
            out[i / 64] |= 1 << (i % 64);
        }
    }
    out
}

/// Bits two detail hashes differ by.
pub fn detail_distance(a: &DetailHash, b: &DetailHash) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// The picture at the working size the hash is taken from.
fn work_image(grey: &GrayImage) -> GrayImage {
    let (w, h) = grey.dimensions();
    if (w, h) == (WORK_SIDE, WORK_SIDE) {
        grey.clone()
    } else if w >= WORK_SIDE && h >= WORK_SIDE {
        image::imageops::thumbnail(grey, WORK_SIDE, WORK_SIDE)
    } else {
        image::imageops::resize(grey, WORK_SIDE, WORK_SIDE, FilterType::Triangle)
    }
}

fn hash_work(work: &GrayImage) -> u64 {
    let h = hasher().hash_image(work);
    let b = h.as_bytes();
    let mut arr = [0u8; 8];
    arr.copy_from_slice(&b[..8]);
    u64::from_be_bytes(arr)
}

fn check_size(width: u32, height: u32, limits: HashLimits) -> Result<(), AnalysisError> {
    if width == 0 || height == 0 {
        return Err(AnalysisError::Decode("zero-sized picture".into()));
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels
        || width > MAX_SIDE
        || height > MAX_SIDE
    {
        return Err(AnalysisError::TooLarge {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    Ok(())
}

/// Reserves `needed` bytes of the decode budget for a `width` x `height`
/// picture, or refuses it when that is over `limit`, the most its decoding
/// `path` may take.
fn reserve(
    (width, height): (u32, u32),
    needed: u64,
    limit: u64,
    path: &'static str,
) -> Result<budget::Reservation, AnalysisError> {
    if needed > limit {
        return Err(AnalysisError::TooMuchMemory {
            width,
            height,
            needed_mib: needed.div_ceil(1 << 20),
            limit_mib: limit >> 20,
            path,
        });
    }
    Ok(budget::reserve(needed))
}

/// Pixels of a `w` x `h` picture.
fn pixels(w: u32, h: u32) -> u64 {
    u64::from(w) * u64::from(h)
}

/// Bytes of DCT coefficients a decoder holds for a whole progressive JPEG
/// (two per coefficient, every component at its sampling), read from its
/// frame header; 0 for a sequential one, which is decoded a row of blocks
/// at a time. `None` when no frame header is found.
fn jpeg_coefficient_bytes(bytes: &[u8]) -> Option<u64> {
    let mut i = 2; // after SOI
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        if (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            i += 2;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let is_frame = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_frame {
            let seg = bytes.get(i + 4..i + 2 + len)?;
            let progressive = matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE);
            if !progressive {
                return Some(0);
            }
            let h = u64::from(u16::from_be_bytes([*seg.get(1)?, *seg.get(2)?]));
            let w = u64::from(u16::from_be_bytes([*seg.get(3)?, *seg.get(4)?]));
            let n = usize::from(*seg.get(5)?);
            let comps: Vec<(u64, u64)> = (0..n)
                .filter_map(|c| {
                    let f = *seg.get(6 + c * 3 + 1)?;
                    Some((u64::from(f >> 4).max(1), u64::from(f & 15).max(1)))
                })
                .collect();
            let hmax = comps.iter().map(|c| c.0).max().unwrap_or(1);
            let vmax = comps.iter().map(|c| c.1).max().unwrap_or(1);
            // Blocks of 8 x 8 per component, padded to whole MCUs.
            let mcu_w = (w).div_ceil(8 * hmax);
            let mcu_h = (h).div_ceil(8 * vmax);
            let blocks: u64 = comps.iter().map(|(hs, vs)| mcu_w * hs * mcu_h * vs).sum();
            return Some(blocks * 64 * 2);
        }
        if marker == 0xDA {
            return None; // scan data before any frame header
        }
        i += 2 + len;
    }
    None
}

/// Reserves what a JPEG decode of a `w` x `h` picture to `out` pixels
/// needs ([`jpeg_needs`]); both JPEG decoders shrink while decoding.
fn reserve_jpeg(
    bytes: &[u8],
    (w, h): (u32, u32),
    out: u64,
) -> Result<budget::Reservation, AnalysisError> {
    reserve(
        (w, h),
        jpeg_needs(bytes, (w, h), out),
        budget::SHRINKING_PATH,
        "JPEG",
    )
}

/// The most a JPEG decode of a `w` x `h` picture scaled to `out` pixels
/// allocates: the output (up to four bytes a pixel, CMYK), a few rows of
/// blocks, and a progressive file's whole coefficient buffer.
fn jpeg_needs(bytes: &[u8], (w, h): (u32, u32), out: u64) -> u64 {
    // A header this reading cannot follow (junk between segments, which
    // libjpeg skips) is taken at its worst: progressive, four components.
    let coefficients = jpeg_coefficient_bytes(bytes).unwrap_or(pixels(w, h) * 4 * 2);
    out * 4 + u64::from(w) * 16 * 4 * 2 + coefficients
}

/// Decodes any supported format small and grey, with its original size;
/// in colour too when `colour` asks for it (for the face detector; the
/// hash alone does not).
fn decode(
    bytes: &[u8],
    format: ImageFormat,
    limits: HashLimits,
    colour: bool,
) -> Result<Decoded, AnalysisError> {
    // JPEG: libjpeg-turbo first, jpeg-decoder for what it refuses (CMYK
    // and YCCK cannot be decoded straight to grey), then the generic
    // decoder. WebP: libwebp, then the generic decoder (animations). PNG:
    // row by row to grey, then the generic decoder (interlaced). Every
    // path gives the same luma (ITU-R BT.601, JPEG's own Y), so the hash
    // does not depend on which one decoded the picture.
    type Decoder = fn(&[u8], HashLimits, bool) -> Result<Decoded, AnalysisError>;
    let decoders: &[Decoder] = match format {
        ImageFormat::Jpeg => &[decode_jpeg_turbo, decode_jpeg_small],
        ImageFormat::WebP => &[decode_webp],
        ImageFormat::Png => &[decode_png],
        _ => &[],
    };
    for decoder in decoders {
        let decoded = decoder(bytes, limits, colour);
        // Too large is final; a decode error lets the next decoder try.
        if !matches!(decoded, Err(AnalysisError::Decode(_))) {
            return decoded;
        }
    }
    decode_generic(bytes, format, limits, colour)
}

/// The numerator n of the smallest libjpeg IDCT scale n/8 that keeps the
/// long side at or above the detection size (8: no scaling).
fn idct_scale(long_side: u32) -> u8 {
    (1..=8u8)
        .find(|n| (u64::from(long_side) * u64::from(*n)).div_ceil(8) >= u64::from(DETECT_SIDE))
        .unwrap_or(8)
}

/// JPEG through libjpeg-turbo, decoded to grey (only the Y component goes
/// through the IDCT) and scaled inside the IDCT: a 12 MP photograph is
/// decoded at 1/4 to 1000 x 750 grey pixels, never to a full-size buffer.
/// Asked for colour, a YCbCr JPEG is decoded to YCbCr at the same scale
/// (the entropy decoding, most of the cost, is the same; chroma goes
/// through the IDCT too, upsampled plainly): the grey is its Y, the very
/// bytes the grey decode gives, and UltraFace converts the three to RGB
/// after shrinking them to its input.
fn decode_jpeg_turbo(
    bytes: &[u8],
    limits: HashLimits,
    colour: bool,
) -> Result<Decoded, AnalysisError> {
    // libjpeg reports fatal errors by unwinding (mozjpeg's error manager
    // resumes a panic without the hook): caught here, they are a decode
    // error that lets the next decoder try.
    let decoded = std::panic::catch_unwind(|| -> Result<_, AnalysisError> {
        let mut dec = mozjpeg::Decompress::with_markers(&[])
            .from_mem(bytes)
            .map_err(|e| AnalysisError::Decode(e.to_string()))?;
        let (w, h) = (dec.width() as u32, dec.height() as u32);
        check_size(w, h, limits)?;
        let scale = idct_scale(w.max(h));
        let out = pixels(w, h) * u64::from(scale) * u64::from(scale) / 64;
        let colour = colour && dec.color_space() == mozjpeg::ColorSpace::JCS_YCbCr;
        // In colour, seven bytes a pixel: the YCbCr scanlines (three), the
        // grey split from them (one) and, for a turned picture, the turned
        // copy of the colour (three).
        let _memory = reserve_jpeg(bytes, (w, h), if colour { out * 7 } else { out })?;
        dec.scale(scale);
        let started = if colour {
            dec.do_fancy_upsampling(false);
            dec.to_colorspace(mozjpeg::ColorSpace::JCS_YCbCr)
        } else {
            dec.grayscale()
        };
        let mut started = started.map_err(|e| AnalysisError::Decode(e.to_string()))?;
        let (sw, sh) = (started.width() as u32, started.height() as u32);
        let pixels: Vec<u8> = started
            .read_scanlines()
            .map_err(|e| AnalysisError::Decode(e.to_string()))?;
        let truncated = || AnalysisError::Decode("truncated JPEG".into());
        if !colour {
            let grey = GrayImage::from_raw(sw, sh, pixels).ok_or_else(truncated)?;
            return Ok(Decoded {
                grey,
                colour: None,
                width: w,
                height: h,
            });
        }
        let ycc = RgbImage::from_raw(sw, sh, pixels).ok_or_else(truncated)?;
        let grey = GrayImage::from_raw(sw, sh, ycc.pixels().map(|p| p.0[0]).collect())
            .ok_or_else(truncated)?;
        Ok(Decoded {
            grey,
            colour: Some(Colour {
                image: ycc,
                kind: ultraface::Pixels::YCbCr,
            }),
            width: w,
            height: h,
        })
    });
    match decoded {
        Ok(r) => r,
        Err(panic) => Err(AnalysisError::Decode(
            panic
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| "libjpeg error".into()),
        )),
    }
}

/// WebP through libwebp, decoded straight to its luma plane (no chroma
/// upsampling, no RGB) and shrunk to the detection size by libwebp's
/// rescaler as rows leave the decoder: no full-size RGB buffer. Animated
/// WebP, which this decoder refuses, goes to the generic one.
///
/// Asked for colour, the chroma planes libwebp gives beside the luma
/// (half the size each way, already shrunk) make the colour picture.
fn decode_webp(bytes: &[u8], limits: HashLimits, colour: bool) -> Result<Decoded, AnalysisError> {
    use libwebp_sys as webp;
    let failed =
        |status: webp::VP8StatusCode| AnalysisError::Decode(format!("libwebp: {status:?}"));
    let mut config = webp::WebPDecoderConfig::new()
        .map_err(|()| AnalysisError::Decode("libwebp: version mismatch".into()))?;
    // SAFETY: libwebp reads `bytes` only within its length and writes only
    // into `config`, which WebPDecoderConfig::new initialised.
    let status =
        unsafe { webp::WebPGetFeatures(bytes.as_ptr(), bytes.len(), &raw mut config.input) };
    if status != webp::VP8StatusCode::VP8_STATUS_OK {
        return Err(failed(status));
    }
    let (w, h) = (
        config.input.width.max(0) as u32,
        config.input.height.max(0) as u32,
    );
    check_size(w, h, limits)?;
    if config.input.has_animation != 0 {
        // libwebp's simple decoder refuses animations: the generic one.
        return Err(AnalysisError::Decode("animated WebP".into()));
    }
    let alpha = config.input.has_alpha != 0;
    let (sw, sh) = fit_size(w, h, DETECT_SIDE);
    // Lossless WebP is decoded whole into 32-bit ARGB before rescaling; a
    // lossy one's alpha plane is whole too; the rest goes a few rows at a
    // time.
    let whole = match (config.input.format, alpha) {
        (2, _) => pixels(w, h) * 4,
        (_, true) => pixels(w, h),
        _ => 0,
    };
    let needs = whole + pixels(sw, sh) * if colour { 6 } else { 3 } + u64::from(w) * 64;
    let _memory = reserve((w, h), needs, budget::SHRINKING_PATH, "WebP")?;
    if (sw, sh) != (w, h) {
        config.options.use_scaling = 1;
        config.options.scaled_width = sw as i32;
        config.options.scaled_height = sh as i32;
    }
    config.output.colorspace = if alpha {
        webp::WEBP_CSP_MODE::MODE_YUVA
    } else {
        webp::WEBP_CSP_MODE::MODE_YUV
    };
    // SAFETY: as above; on success libwebp owns the output planes until
    // WebPFreeDecBuffer, and each holds `height` rows of `stride` bytes.
    let status = unsafe { webp::WebPDecode(bytes.as_ptr(), bytes.len(), &raw mut config) };
    // SAFETY (reading the union): the colourspace asked for is YUV(A).
    let planes = unsafe { config.output.u.YUVA };
    let (ow, oh) = (
        config.output.width.max(0) as usize,
        config.output.height.max(0) as usize,
    );
    // What the reads below rely on, checked rather than assumed.
    let planes_ok = !planes.y.is_null()
        && planes.y_stride as usize >= ow
        && (!alpha || (!planes.a.is_null() && planes.a_stride as usize >= ow));
    let (cw, ch) = (ow.div_ceil(2), oh.div_ceil(2));
    let chroma_ok = !planes.u.is_null()
        && !planes.v.is_null()
        && planes.u_stride as usize >= cw
        && planes.v_stride as usize >= cw;
    // SAFETY: called only when WebPDecode succeeded and the plane was
    // checked above to be there with a stride of at least `len`, for rows
    // under its height (`oh`, or `ch` for chroma).
    let row = |plane: *const u8, stride: i32, y: usize, len: usize| unsafe {
        std::slice::from_raw_parts(plane.add(y * stride as usize), len)
    };
    let colour = (colour && planes_ok && chroma_ok && status == webp::VP8StatusCode::VP8_STATUS_OK)
        .then(|| {
            let mut rgb = Vec::with_capacity(ow * oh * 3);
            for y in 0..oh {
                let (luma, u, v) = (
                    row(planes.y, planes.y_stride, y, ow),
                    row(planes.u, planes.u_stride, (y / 2).min(ch - 1), cw),
                    row(planes.v, planes.v_stride, (y / 2).min(ch - 1), cw),
                );
                for x in 0..ow {
                    let p = yuv_to_rgb(luma[x], u[x / 2], v[x / 2]);
                    if alpha {
                        let a = row(planes.a, planes.a_stride, y, ow)[x];
                        rgb.extend(p.map(|c| over_white(c, a)));
                    } else {
                        rgb.extend(p);
                    }
                }
            }
            RgbImage::from_raw(ow as u32, oh as u32, rgb).map(Colour::rgb)
        });
    let grey = if status != webp::VP8StatusCode::VP8_STATUS_OK {
        Err(failed(status))
    } else if !planes_ok {
        Err(AnalysisError::Decode("libwebp: no luma plane".into()))
    } else {
        let mut grey = Vec::with_capacity(ow * oh);
        for y in 0..oh {
            let luma = row(planes.y, planes.y_stride, y, ow)
                .iter()
                .map(|&v| full_range(v));
            if alpha {
                let a = row(planes.a, planes.a_stride, y, ow);
                grey.extend(luma.zip(a).map(|(l, &a)| over_white(l, a)));
            } else {
                grey.extend(luma);
            }
        }
        GrayImage::from_raw(ow as u32, oh as u32, grey)
            .ok_or_else(|| AnalysisError::Decode("libwebp: bad output".into()))
    };
    // SAFETY: frees only what WebPDecode allocated (nothing if it failed).
    unsafe { webp::WebPFreeDecBuffer(&raw mut config.output) };
    Ok(Decoded {
        grey: grey?,
        colour: colour.flatten(),
        width: w,
        height: h,
    })
}

/// WebP's YUV (BT.601, video range) as RGB.
fn yuv_to_rgb(y: u8, u: u8, v: u8) -> [u8; 3] {
    let (y, u, v) = (
        (i32::from(y) - 16) * 76_309,
        i32::from(u) - 128,
        i32::from(v) - 128,
    );
    let c = |x: i32| ((x + 32_768) >> 16).clamp(0, 255) as u8;
    [
        c(y + 104_597 * v),
        c(y - 25_675 * u - 53_279 * v),
        c(y + 132_201 * u),
    ]
}

/// PNG decoded a row at a time, each row turned grey as it is unfiltered:
/// the largest buffer is the grey picture (a third of the RGB one the
/// generic decoder makes, a quarter of RGBA), shrunk to the detection size
/// after. Interlaced PNG (rows come in seven passes) goes to the generic
/// decoder.
///
/// Asked for colour, an RGB(A) PNG also keeps its rows in colour, shrunk
/// to the detection size at the end.
fn decode_png(bytes: &[u8], limits: HashLimits, colour: bool) -> Result<Decoded, AnalysisError> {
    let failed = |e: png::DecodingError| AnalysisError::Decode(e.to_string());
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    // Palette to RGB, low bit depths to 8, transparency to an alpha channel,
    // 16 bits to 8.
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(failed)?;
    let (w, h) = (reader.info().width, reader.info().height);
    check_size(w, h, limits)?;
    if reader.info().interlaced {
        return Err(AnalysisError::Decode("interlaced PNG".into()));
    }
    // The grey picture at full size, two rows of the widest pixels
    // (16-bit RGBA), and the shrunk copy.
    let (kind, _) = reader.output_color_type();
    let colour = colour && matches!(kind, png::ColorType::Rgb | png::ColorType::Rgba);
    let copies = if colour { 4 } else { 1 };
    let needs =
        pixels(w, h) * copies + u64::from(w) * 8 * 2 + pixels(DETECT_SIDE, DETECT_SIDE) * copies;
    let _memory = reserve((w, h), needs, budget::SHRINKING_PATH, "PNG")?;
    let mut grey = Vec::with_capacity(w as usize * h as usize);
    let mut rgb = Vec::with_capacity(if colour {
        w as usize * h as usize * 3
    } else {
        0
    });
    while let Some(row) = reader.next_row().map_err(failed)? {
        let data = row.data();
        if colour {
            if kind == png::ColorType::Rgb {
                rgb.extend_from_slice(data);
            } else {
                rgb.extend(
                    data.chunks_exact(4)
                        .flat_map(|p| [p[0], p[1], p[2]].map(|c| over_white(c, p[3]))),
                );
            }
        }
        match kind {
            png::ColorType::Grayscale => grey.extend_from_slice(data),
            png::ColorType::GrayscaleAlpha => {
                grey.extend(data.chunks_exact(2).map(|p| over_white(p[0], p[1])));
            }
            png::ColorType::Rgb => {
                grey.extend(data.chunks_exact(3).map(|p| rgb_luma(p[0], p[1], p[2])));
            }
            png::ColorType::Rgba => grey.extend(data.chunks_exact(4).map(|p| {
                let white = |c: u8| over_white(c, p[3]);
                rgb_luma(white(p[0]), white(p[1]), white(p[2]))
            })),
            png::ColorType::Indexed => {
                return Err(AnalysisError::Decode("palette PNG not expanded".into()))
            }
        }
    }
    let truncated = || AnalysisError::Decode("truncated PNG".into());
    let grey = GrayImage::from_raw(w, h, grey).ok_or_else(truncated)?;
    let colour = if colour {
        let rgb = RgbImage::from_raw(w, h, rgb).ok_or_else(truncated)?;
        Some(Colour::rgb(fit_within(rgb, DETECT_SIDE)))
    } else {
        None
    };
    Ok(Decoded {
        grey: fit_within(grey, DETECT_SIDE),
        colour,
        width: w,
        height: h,
    })
}

/// WebP's luma (video range, 16 to 235) brought to the full range RGB
/// luma has: within a level of BT.601 luma of the RGB libwebp would give.
fn full_range(y: u8) -> u8 {
    (((i32::from(y) - 16) * 76_309 + 32_768) >> 16).clamp(0, 255) as u8
}

/// JPEG decoded at the smallest IDCT scale that keeps the long side at or
/// above the detection size: a 12 MP photo never exists at full size here.
fn decode_jpeg_small(
    bytes: &[u8],
    limits: HashLimits,
    colour: bool,
) -> Result<Decoded, AnalysisError> {
    let mut dec = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    dec.read_info()
        .map_err(|e| AnalysisError::Decode(e.to_string()))?;
    let info = dec
        .info()
        .ok_or_else(|| AnalysisError::Decode("no JPEG header".into()))?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    check_size(w, h, limits)?;
    let long = w.max(h).max(1);
    let req_w =
        (u64::from(DETECT_SIDE) * u64::from(w) / u64::from(long)).clamp(1, u64::from(w)) as u16;
    let req_h =
        (u64::from(DETECT_SIDE) * u64::from(h) / u64::from(long)).clamp(1, u64::from(h)) as u16;
    let (sw, sh) = dec
        .scale(req_w, req_h)
        .map_err(|e| AnalysisError::Decode(e.to_string()))?;
    let out = pixels(u32::from(sw), u32::from(sh));
    // In colour, a CMYK picture's RGB copy is held beside its samples.
    let _memory = reserve_jpeg(bytes, (w, h), if colour { out * 2 } else { out })?;
    let pixels = dec
        .decode()
        .map_err(|e| AnalysisError::Decode(e.to_string()))?;
    let (sw, sh) = (u32::from(sw), u32::from(sh));
    let n = (sw * sh) as usize;
    let format = dec
        .info()
        .map(|i| i.pixel_format)
        .ok_or_else(|| AnalysisError::Decode("no JPEG info".into()))?;
    let cmyk = |p: &[u8]| {
        let k = 255 - u16::from(p[3]);
        let ch = |c: u8| ((255 - u16::from(c)) * k / 255) as u8;
        [ch(p[0]), ch(p[1]), ch(p[2])]
    };
    // The grey, and (asked for colour) the RGB samples themselves, not a
    // copy of them.
    let (luma, rgb): (Vec<u8>, Option<Vec<u8>>) = match format {
        jpeg_decoder::PixelFormat::L8 => (pixels, None),
        jpeg_decoder::PixelFormat::L16 => (pixels.chunks_exact(2).map(|p| p[0]).collect(), None),
        jpeg_decoder::PixelFormat::RGB24 => {
            let luma = pixels
                .chunks_exact(3)
                .map(|p| rgb_luma(p[0], p[1], p[2]))
                .collect();
            (luma, colour.then_some(pixels))
        }
        jpeg_decoder::PixelFormat::CMYK32 => {
            let luma = pixels
                .chunks_exact(4)
                .map(|p| {
                    let [r, g, b] = cmyk(p);
                    rgb_luma(r, g, b)
                })
                .collect();
            let rgb = colour.then(|| pixels.chunks_exact(4).flat_map(cmyk).collect());
            (luma, rgb)
        }
    };
    if luma.len() < n {
        return Err(AnalysisError::Decode("truncated JPEG".into()));
    }
    let grey = GrayImage::from_raw(sw, sh, luma[..n].to_vec())
        .ok_or_else(|| AnalysisError::Decode("bad JPEG buffer".into()))?;
    let colour = rgb
        .filter(|v| v.len() >= n * 3)
        .and_then(|mut v| {
            v.truncate(n * 3);
            RgbImage::from_raw(sw, sh, v)
        })
        .map(|c| Colour::rgb(fit_within(c, DETECT_SIDE)));
    Ok(Decoded {
        grey,
        colour,
        width: w,
        height: h,
    })
}

/// Luma as JPEG defines it (ITU-R BT.601, libjpeg's fixed-point weights and
/// rounding), so the grey of a colour PNG or WebP matches the Y component
/// libjpeg decodes from the same picture saved as JPEG.
fn rgb_luma(r: u8, g: u8, b: u8) -> u8 {
    ((19_595 * u32::from(r) + 38_470 * u32::from(g) + 7_471 * u32::from(b) + 32_768) >> 16) as u8
}

/// A decoded picture in grey by [`rgb_luma`]; transparent pixels are
/// composed over white, as a browser shows them on a white page. The grey
/// every decoding path gives, so the face detector's evaluation uses it too.
pub fn to_grey(img: DynamicImage) -> GrayImage {
    match img {
        DynamicImage::ImageLuma8(g) => g,
        DynamicImage::ImageRgb8(rgb) => GrayImage::from_fn(rgb.width(), rgb.height(), |x, y| {
            let p = rgb.get_pixel(x, y).0;
            image::Luma([rgb_luma(p[0], p[1], p[2])])
        }),
        _ => {
            let rgba = img.to_rgba8();
            GrayImage::from_fn(rgba.width(), rgba.height(), |x, y| {
                let [r, g, b, a] = rgba.get_pixel(x, y).0;
                let white = |c: u8| over_white(c, a);
                image::Luma([rgb_luma(white(r), white(g), white(b))])
            })
        }
    }
}

/// A level `c` at opacity `a`, over white.
fn over_white(c: u8, a: u8) -> u8 {
    ((u32::from(c) * u32::from(a) + 255 * (255 - u32::from(a))) / 255) as u8
}

/// Any format the image crate reads, under explicit limits.
fn decode_generic(
    bytes: &[u8],
    format: ImageFormat,
    limits: HashLimits,
    colour: bool,
) -> Result<Decoded, AnalysisError> {
    use image::ImageDecoder as _;
    let decoder = image::ImageReader::with_format(Cursor::new(bytes), format)
        .into_decoder()
        .map_err(|e| AnalysisError::Decode(e.to_string()))?;
    let (w, h) = decoder.dimensions();
    check_size(w, h, limits)?;
    // The decoded picture in its own layout (channels x bytes per sample);
    // an animation's first frame is composed on a canvas of that size from
    // a frame buffer; then one RGBA copy on the way to grey.
    let decoded = decoder.total_bytes();
    drop(decoder);
    let copies = if matches!(format, ImageFormat::Gif | ImageFormat::WebP) {
        3
    } else {
        1
    };
    let needs = decoded.saturating_mul(copies) + pixels(w, h) * 4;
    let _memory = reserve(
        (w, h),
        needs,
        budget::FULL_SIZE_PATH,
        "a format decoded at full size",
    )?;
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut l = image::Limits::default();
    l.max_image_width = Some(w);
    l.max_image_height = Some(h);
    // What was reserved is what the decoder may allocate.
    l.max_alloc = Some(needs.max(1 << 20));
    reader.limits(l);
    let img: DynamicImage = reader
        .decode()
        .map_err(|e| AnalysisError::Decode(e.to_string()))?;
    let small = if w.max(h) > DETECT_SIDE {
        img.thumbnail(DETECT_SIDE, DETECT_SIDE)
    } else {
        img
    };
    let colour = (colour && small.color().has_color()).then(|| Colour::rgb(to_rgb(&small)));
    Ok(Decoded {
        grey: to_grey(small),
        colour,
        width: w,
        height: h,
    })
}

/// A decoded picture in colour, transparent pixels over white (as
/// [`to_grey`] does).
pub fn to_rgb(img: &DynamicImage) -> RgbImage {
    if let DynamicImage::ImageRgb8(rgb) = img {
        return rgb.clone();
    }
    let rgba = img.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        image::Rgb([r, g, b].map(|c| over_white(c, a)))
    })
}

/// A decoded picture turned upright by its EXIF orientation.
fn orient(d: Decoded, orientation: Option<u8>) -> Decoded {
    let Some(o) = orientation.and_then(image::metadata::Orientation::from_exif) else {
        return d;
    };
    let upright = |img: DynamicImage| {
        let mut img = img;
        img.apply_orientation(o);
        img
    };
    let grey = upright(DynamicImage::ImageLuma8(d.grey)).into_luma8();
    let colour = d.colour.map(|c| Colour {
        image: upright(DynamicImage::ImageRgb8(c.image)).into_rgb8(),
        kind: c.kind,
    });
    let swapped = matches!(
        o,
        image::metadata::Orientation::Rotate90
            | image::metadata::Orientation::Rotate270
            | image::metadata::Orientation::Rotate90FlipH
            | image::metadata::Orientation::Rotate270FlipH
    );
    let (width, height) = if swapped {
        (d.height, d.width)
    } else {
        (d.width, d.height)
    };
    Decoded {
        grey,
        colour,
        width,
        height,
    }
}

fn format_name(f: ImageFormat) -> &'static str {
    match f {
        ImageFormat::Jpeg => "jpeg",
        ImageFormat::Png => "png",
        ImageFormat::WebP => "webp",
        ImageFormat::Gif => "gif",
        ImageFormat::Bmp => "bmp",
        ImageFormat::Tiff => "tiff",
        ImageFormat::Avif => "avif",
        _ => "other",
    }
}

/// A short description of bytes that are not a picture, for the error row.
fn sniff(bytes: &[u8]) -> String {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).to_ascii_lowercase();
    if head.contains("<svg") || head.contains("<?xml") {
        "svg or xml".into()
    } else if head.contains("<html") || head.contains("<!doctype") {
        "html".into()
    } else if bytes.starts_with(b"%PDF") {
        "pdf".into()
    } else if bytes.is_empty() {
        "empty body".into()
    } else {
        "unknown format".into()
    }
}

#[cfg(test)]
mod tests;
