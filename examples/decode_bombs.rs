//! Writes the decompression bombs of issue 16 (item 2) into a folder: each
//! a few hundred bytes that declare 10000 x 10000 pixels, which a decoder
//! without a memory bound allocates in full before it finds the data
//! missing. tests/fixtures/bombs/ holds the output (the hostile tests serve
//! it); bench/decode_bombs.sh measures an audit's peak memory on pages of
//! four of each.
//!
//!   cargo run --example decode_bombs -- tests/fixtures/bombs

use std::io::Write;
use std::path::Path;

const SIDE: u32 = 10_000;

fn main() {
    let dir = std::env::args().nth(1).expect("usage: decode_bombs DIR");
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap();
    for (name, bytes) in [
        ("animated.webp", animated_webp()),
        ("interlaced16.png", interlaced_png16()),
        ("deflate.tiff", deflate_tiff()),
        ("canvas.gif", gif()),
        ("rle8.bmp", rle8_bmp()),
        ("progressive.jpg", progressive_jpeg()),
    ] {
        std::fs::write(dir.join(name), &bytes).unwrap();
        println!("{name}: {} bytes", bytes.len());
    }
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(data).unwrap();
    z.finish().unwrap()
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

/// 16-bit RGBA, Adam7-interlaced: decoded only whole (800 MB of buffer).
fn interlaced_png16() -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&SIDE.to_be_bytes());
    ihdr.extend_from_slice(&SIDE.to_be_bytes());
    ihdr.extend_from_slice(&[16, 6, 0, 0, 1]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", &zlib(&[0u8; 64]));
    png_chunk(&mut out, b"IEND", &[]);
    out
}

fn riff_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(kind);
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
}

fn u24(v: u32) -> [u8; 3] {
    let b = v.to_le_bytes();
    [b[0], b[1], b[2]]
}

/// An animation on a 10000 x 10000 canvas whose one frame is 1 x 1.
fn animated_webp() -> Vec<u8> {
    // A real 1 x 1 lossless frame, from the image crate's encoder.
    let mut one = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut one)
        .encode(&[200, 100, 50, 255], 1, 1, image::ExtendedColorType::Rgba8)
        .unwrap();
    let vp8l = &one[12..]; // the VP8L chunk, header included
    let mut body = b"WEBP".to_vec();
    let mut vp8x = vec![0x02 | 0x10, 0, 0, 0]; // animation, alpha
    vp8x.extend_from_slice(&u24(SIDE - 1));
    vp8x.extend_from_slice(&u24(SIDE - 1));
    riff_chunk(&mut body, b"VP8X", &vp8x);
    riff_chunk(&mut body, b"ANIM", &[0, 0, 0, 0, 0, 0]);
    let mut anmf = Vec::new();
    anmf.extend_from_slice(&u24(0));
    anmf.extend_from_slice(&u24(0));
    anmf.extend_from_slice(&u24(0));
    anmf.extend_from_slice(&u24(0));
    anmf.extend_from_slice(&u24(100));
    anmf.push(0);
    anmf.extend_from_slice(vp8l);
    riff_chunk(&mut body, b"ANMF", &anmf);
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// 16-bit RGBA in one deflate strip that holds almost nothing.
fn deflate_tiff() -> Vec<u8> {
    let strip = zlib(&[0u8; 64]);
    let entries: Vec<(u16, u16, u32, u32)> = vec![
        (256, 4, 1, SIDE),               // ImageWidth
        (257, 4, 1, SIDE),               // ImageLength
        (258, 3, 4, 0),                  // BitsPerSample: at `bits`
        (259, 3, 1, 8),                  // Compression: deflate
        (262, 3, 1, 2),                  // Photometric: RGB
        (273, 4, 1, 0),                  // StripOffsets: at `strip`
        (277, 3, 1, 4),                  // SamplesPerPixel
        (278, 4, 1, SIDE),               // RowsPerStrip
        (279, 4, 1, strip.len() as u32), // StripByteCounts
        (284, 3, 1, 1),                  // PlanarConfiguration: chunky
        (338, 3, 1, 2),                  // ExtraSamples: unassociated alpha
    ];
    let ifd_at = 8u32;
    let ifd_len = 2 + entries.len() as u32 * 12 + 4;
    let bits_at = ifd_at + ifd_len;
    let strip_at = bits_at + 8;
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&ifd_at.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, count, value) in entries {
        let value = match tag {
            258 => bits_at,
            273 => strip_at,
            _ => value,
        };
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        if kind == 3 && count == 1 {
            out.extend_from_slice(&(value as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
        } else {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    for _ in 0..4 {
        out.extend_from_slice(&16u16.to_le_bytes());
    }
    out.extend_from_slice(&strip);
    out
}

/// One 10000 x 10000 frame of a few LZW codes.
fn gif() -> Vec<u8> {
    let side = (SIDE as u16).to_le_bytes();
    let mut out = b"GIF89a".to_vec();
    out.extend_from_slice(&side);
    out.extend_from_slice(&side);
    out.extend_from_slice(&[0x80, 0, 0]); // global colour table of 2
    out.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
    out.push(0x2C);
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&side);
    out.extend_from_slice(&side);
    out.push(0);
    out.push(2); // LZW minimum code size
    out.extend_from_slice(&[2, 0x4C, 0x01, 0]); // clear, 0, end
    out.push(0x3B);
    out
}

/// 8-bit, run-length encoded, ending at once: decoded to 300 MB of RGB.
fn rle8_bmp() -> Vec<u8> {
    let palette = 256 * 4;
    let data = [0u8, 1]; // end of bitmap
    let offset = 14 + 40 + palette;
    let size = offset + data.len();
    let mut out = b"BM".to_vec();
    out.extend_from_slice(&(size as u32).to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(offset as u32).to_le_bytes());
    out.extend_from_slice(&40u32.to_le_bytes());
    out.extend_from_slice(&(SIDE as i32).to_le_bytes());
    out.extend_from_slice(&(SIDE as i32).to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&8u16.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // BI_RLE8
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&256u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    for i in 0..256u32 {
        let v = i as u8;
        out.extend_from_slice(&[v, v, v, 0]);
    }
    out.extend_from_slice(&data);
    out
}

/// A progressive JPEG header of 10000 x 10000 pixels, colour, unsubsampled:
/// a decoder keeps every coefficient of such a file (600 MB).
fn progressive_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(8, 8, image::Rgb([120, 60, 30]));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&img)
        .unwrap();
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    jpeg[sof + 1] = 0xC2;
    let side = (SIDE as u16).to_be_bytes();
    jpeg[sof + 5..sof + 7].copy_from_slice(&side);
    jpeg[sof + 7..sof + 9].copy_from_slice(&side);
    let ncomp = usize::from(jpeg[sof + 9]);
    for c in 0..ncomp {
        jpeg[sof + 10 + c * 3 + 1] = 0x11; // every component at full resolution
    }
    jpeg
}
