use super::*;

#[test]
fn a_sha256_key_is_its_first_128_bits() {
    let a = sha256_hex(b"a");
    assert_eq!(sha256_key(&a), u128::from_str_radix(&a[..32], 16).unwrap());
    let bytes = crate::model::parse_digest(&a).unwrap();
    assert_eq!(digest_key(&bytes), sha256_key(&a));
    assert_eq!(crate::model::digest_hex(&bytes), a);
    assert_ne!(sha256_key(&a), sha256_key(&sha256_hex(b"b")));
    // Not hex (a hand-edited database): a key still, and a stable one.
    assert_eq!(sha256_key("not-a-sha"), sha256_key("not-a-sha"));
    assert_ne!(sha256_key("not-a-sha"), sha256_key("other"));
}

fn limits() -> HashLimits {
    HashLimits {
        max_pixels: 100_000_000,
    }
}

/// A file of `tests/fixtures/<folder>`.
fn fixture_in(folder: &str, name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(folder)
            .join(name),
    )
    .unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    fixture_in("images", name)
}

/// A decoder's grey picture and original size.
fn parts(d: Decoded) -> (GrayImage, u32, u32) {
    (d.grey, d.width, d.height)
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

#[test]
fn decoding_path_does_not_change_the_hash() {
    // The same pixels as JPEG (scaled IDCT path) and PNG (generic path).
    for name in [
        "grace_hopper.jpg",
        "rocket.jpg",
        "astronaut.png",
        "coffee.png",
        "chelsea.png",
        "camera.png",
    ] {
        // As published, and at camera size, where the scaled IDCT and the
        // shrinking do the work.
        for upscale in [1, 4] {
            let img = image::load_from_memory(&fixture(name)).unwrap();
            let img = img.resize(
                img.width() * upscale,
                img.height() * upscale,
                FilterType::Triangle,
            );
            let img = DynamicImage::ImageRgb8(img.to_rgb8());
            let jpeg = encode(&img, ImageFormat::Jpeg);
            let png = encode(&img, ImageFormat::Png);
            let a = analyse(&jpeg, limits()).unwrap();
            let b = analyse(&png, limits()).unwrap();
            let d = (a.phash ^ b.phash).count_ones();
            eprintln!("{name} x{upscale}: jpeg/png {d}");
            assert!(d <= 4, "{name}: JPEG and PNG paths differ by {d} bits");
            assert_eq!((a.width, a.height), (b.width, b.height));
            // And the generic decoder on the JPEG agrees with the scaled one.
            let (g, w, h) =
                parts(decode_generic(&jpeg, ImageFormat::Jpeg, limits(), false).unwrap());
            let d = (hash_grey(&g) ^ a.phash).count_ones();
            eprintln!("{name} x{upscale}: scaled/full {d}");
            assert!(
                d <= 4,
                "{name}: scaled and full JPEG decode differ by {d} bits"
            );
            assert_eq!((w, h), (a.width, a.height));
            // libjpeg-turbo (the usual path) and jpeg-decoder (its fallback).
            let (t, tw, th) = parts(decode_jpeg_turbo(&jpeg, limits(), false).unwrap());
            let (j, jw, jh) = parts(decode_jpeg_small(&jpeg, limits(), false).unwrap());
            assert_eq!((tw, th), (jw, jh));
            let d = (hash_grey(&t) ^ hash_grey(&j)).count_ones();
            eprintln!("{name} x{upscale}: turbo/jpeg-decoder {d}");
            assert!(
                d <= 2,
                "{name}: libjpeg-turbo and jpeg-decoder differ by {d} bits"
            );
            // PNG row by row against the image crate's whole decode.
            let (r, rw, rh) = parts(decode_png(&png, limits(), false).unwrap());
            let (g, gw, gh) =
                parts(decode_generic(&png, ImageFormat::Png, limits(), false).unwrap());
            assert_eq!((rw, rh, gw, gh), (a.width, a.height, a.width, a.height));
            let d = (hash_grey(&r) ^ hash_grey(&g)).count_ones();
            eprintln!("{name} x{upscale}: png rows/whole {d}");
            assert!(d <= 2, "{name}: PNG rows and whole differ by {d} bits");
            // WebP: libwebp's luma plane against the image crate's RGB,
            // lossy (as sites serve it) and lossless (the PNG's pixels).
            let lossy = encode_lossy_webp(&img);
            let (l, lw, lh) = parts(decode_webp(&lossy, limits(), false).unwrap());
            let (g, gw, gh) =
                parts(decode_generic(&lossy, ImageFormat::WebP, limits(), false).unwrap());
            assert_eq!((lw, lh, gw, gh), (a.width, a.height, a.width, a.height));
            let d = (hash_grey(&l) ^ hash_grey(&g)).count_ones();
            eprintln!("{name} x{upscale}: libwebp/image-webp {d}");
            assert!(d <= 2, "{name}: libwebp and image-webp differ by {d} bits");
            // (Lossless at published size only: the image crate's
            // encoder takes seconds at camera size.)
            if upscale == 1 {
                let lossless = analyse(&encode(&img, ImageFormat::WebP), limits()).unwrap();
                let d = (lossless.phash ^ b.phash).count_ones();
                eprintln!("{name}: webp/png {d}");
                assert!(d <= 2, "{name}: lossless WebP and PNG differ by {d} bits");
            }
        }
    }
}

/// Lossy WebP at quality 80, by libwebp's encoder.
/// Asked for colour (for UltraFace), every decoder gives the very grey it
/// gives without, so the hash does not change, and a colour picture of
/// the grey's size whose colours agree across formats: the face detector's
/// input does not depend on how a picture was saved.
#[test]
fn colour_decodes_keep_the_grey_and_agree_across_formats() {
    type Decode = fn(&[u8], HashLimits, bool) -> Result<Decoded, AnalysisError>;
    let img = image::load_from_memory(&fixture("chelsea.png")).unwrap();
    let img = DynamicImage::ImageRgb8(image::imageops::resize(
        &img.to_rgb8(),
        img.width() * 3,
        img.height() * 3,
        FilterType::Triangle,
    ));
    let jpeg = encode(&img, ImageFormat::Jpeg);
    let png = encode(&img, ImageFormat::Png);
    let webp = encode_lossy_webp(&img);
    let generic_jpeg: Decode = |b, l, c| decode_generic(b, ImageFormat::Jpeg, l, c);
    let paths: [(&str, &[u8], Decode); 5] = [
        ("libjpeg-turbo", &jpeg, decode_jpeg_turbo),
        ("jpeg-decoder", &jpeg, decode_jpeg_small),
        ("generic JPEG", &jpeg, generic_jpeg),
        ("PNG rows", &png, decode_png),
        ("libwebp", &webp, decode_webp),
    ];
    let mean = |c: &RgbImage, ch: usize| {
        c.pixels().map(|p| f64::from(p.0[ch])).sum::<f64>() / f64::from(c.width() * c.height())
    };
    let mut means = Vec::new();
    for (name, bytes, decode) in paths {
        let grey_only = decode(bytes, limits(), false).unwrap();
        let both = decode(bytes, limits(), true).unwrap();
        assert!(grey_only.colour.is_none(), "{name}");
        assert_eq!(grey_only.grey, both.grey, "{name}: the grey changed");
        let colour = both.colour.expect(name);
        // The same picture, at least as large as the detection size (or
        // as the grey, if that is smaller).
        let ((cw, ch), (gw, gh)) = (colour.image.dimensions(), both.grey.dimensions());
        let aspect = |w: u32, h: u32| f64::from(w) / f64::from(h);
        assert!(
            (aspect(cw, ch) / aspect(gw, gh) - 1.0).abs() < 0.01,
            "{name}: {cw}x{ch} against {gw}x{gh}"
        );
        assert!(
            cw.max(ch) >= gw.max(gh).min(DETECT_SIDE),
            "{name}: {cw}x{ch} against {gw}x{gh}"
        );
        // In RGB, as UltraFace reads it.
        let rgb = match colour.kind {
            ultraface::Pixels::Rgb => colour.image,
            ultraface::Pixels::YCbCr => {
                RgbImage::from_fn(colour.image.width(), colour.image.height(), |x, y| {
                    let [l, cb, cr] = colour.image.get_pixel(x, y).0.map(f32::from);
                    let (cb, cr) = (cb - 128.0, cr - 128.0);
                    image::Rgb(
                        [l + 1.402 * cr, l - 0.344 * cb - 0.714 * cr, l + 1.772 * cb]
                            .map(|v| v.clamp(0.0, 255.0) as u8),
                    )
                })
            }
        };
        means.push((name, [0, 1, 2].map(|ch| mean(&rgb, ch))));
    }
    let (_, reference) = means[3];
    for (name, m) in &means {
        for ch in 0..3 {
            assert!(
                (m[ch] - reference[ch]).abs() < 4.0,
                "{name}: channel {ch} mean {} against the PNG's {}",
                m[ch],
                reference[ch]
            );
        }
    }
    // The cat is orange: red well above blue, on every path.
    assert!(reference[0] > reference[2] + 20.0, "{reference:?}");
    // A grey picture has no colour to give.
    let grey_jpeg = encode(&DynamicImage::ImageLuma8(img.to_luma8()), ImageFormat::Jpeg);
    assert!(decode_jpeg_turbo(&grey_jpeg, limits(), true)
        .unwrap()
        .colour
        .is_none());
}

fn encode_lossy_webp(img: &DynamicImage) -> Vec<u8> {
    let rgb = img.to_rgb8();
    let (w, h) = (rgb.width() as i32, rgb.height() as i32);
    let mut out: *mut u8 = std::ptr::null_mut();
    // SAFETY: the RGB buffer holds h rows of 3w bytes; libwebp allocates
    // `out`, freed below after the copy.
    unsafe {
        let n = libwebp_sys::WebPEncodeRGB(rgb.as_ptr(), w, h, w * 3, 80.0, &raw mut out);
        assert!(n > 0, "libwebp could not encode");
        let bytes = std::slice::from_raw_parts(out, n).to_vec();
        libwebp_sys::WebPFree(out.cast());
        bytes
    }
}

#[test]
fn png_rows_match_the_whole_decode_in_every_colour_type() {
    let img = image::load_from_memory(&fixture("chelsea.png")).unwrap();
    let (w, h) = (img.width(), img.height());
    let mut pngs = vec![
        (
            "grey",
            encode(&DynamicImage::ImageLuma8(img.to_luma8()), ImageFormat::Png),
        ),
        (
            "grey+alpha",
            encode(
                &DynamicImage::ImageLumaA8(img.to_luma_alpha8()),
                ImageFormat::Png,
            ),
        ),
        (
            "rgb16",
            encode(&DynamicImage::ImageRgb16(img.to_rgb16()), ImageFormat::Png),
        ),
        (
            "rgba",
            encode(&DynamicImage::ImageRgba8(img.to_rgba8()), ImageFormat::Png),
        ),
    ];
    // A palette of 4-bit greys, as small site graphics are stored.
    let grey = img.to_luma8();
    let mut indexed = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut indexed, w, h);
        enc.set_color(png::ColorType::Indexed);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_palette((0..16u8).flat_map(|i| [i * 17; 3]).collect::<Vec<u8>>());
        let mut writer = enc.write_header().unwrap();
        let data: Vec<u8> = grey.pixels().map(|p| p.0[0] / 17).collect();
        writer.write_image_data(&data).unwrap();
    }
    pngs.push(("indexed", indexed));
    for (kind, png) in pngs {
        let (r, rw, rh) = parts(decode_png(&png, limits(), false).unwrap());
        let (g, _, _) = parts(decode_generic(&png, ImageFormat::Png, limits(), false).unwrap());
        assert_eq!((rw, rh), (w, h), "{kind}");
        let d = (hash_grey(&r) ^ hash_grey(&g)).count_ones();
        assert!(d <= 2, "{kind}: PNG rows and whole differ by {d} bits");
    }
}

#[test]
fn transparent_pictures_are_grey_over_white_on_every_path() {
    // Half the picture transparent: libwebp's alpha plane, PNG rows and
    // the image crate's RGBA give the same grey.
    let img = image::load_from_memory(&fixture("coffee.png")).unwrap();
    let mut rgba = img.to_rgba8();
    let w = rgba.width();
    for (x, _, p) in rgba.enumerate_pixels_mut() {
        if x < w / 2 {
            p.0[3] = 0;
        }
    }
    let img = DynamicImage::ImageRgba8(rgba);
    let webp = encode(&img, ImageFormat::WebP);
    let png = encode(&img, ImageFormat::Png);
    let (l, _, _) = parts(decode_webp(&webp, limits(), false).unwrap());
    let (r, _, _) = parts(decode_png(&png, limits(), false).unwrap());
    let (g, _, _) = parts(decode_generic(&png, ImageFormat::Png, limits(), false).unwrap());
    for grey in [&l, &r, &g] {
        assert_eq!(grey.get_pixel(0, 0).0[0], 255, "transparent is white");
    }
    let d = (hash_grey(&l) ^ hash_grey(&g)).count_ones();
    assert!(d <= 2, "alpha WebP and PNG differ by {d} bits");
    let d = (hash_grey(&r) ^ hash_grey(&g)).count_ones();
    assert!(d <= 2, "alpha PNG rows and whole differ by {d} bits");
}

#[test]
fn declared_size_over_limit_is_refused_without_decoding() {
    let img = DynamicImage::new_luma8(400, 300);
    let png = encode(&img, ImageFormat::Png);
    let e = analyse(
        &png,
        HashLimits {
            max_pixels: 100_000,
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            AnalysisError::TooLarge {
                width: 400,
                height: 300,
                ..
            }
        ),
        "{e}"
    );
}

fn bomb(name: &str) -> Vec<u8> {
    fixture_in("bombs", name)
}

#[test]
fn a_progressive_jpeg_holds_every_coefficient() {
    assert_eq!(
        jpeg_coefficient_bytes(&bomb("progressive.jpg")),
        Some(1250 * 1250 * 3 * 64 * 2)
    );
    assert_eq!(
        jpeg_coefficient_bytes(&fixture("grace_hopper.jpg")),
        Some(0)
    );
}

/// Issue 16, item 2: each bomb is refused from its header, saying how
/// much it would have taken, and a real photo still decodes.
#[test]
fn decode_bombs_are_refused_before_anything_is_allocated() {
    for (name, path) in [
        ("animated.webp", "a format decoded at full size"),
        ("interlaced16.png", "a format decoded at full size"),
        ("deflate.tiff", "a format decoded at full size"),
        ("canvas.gif", "a format decoded at full size"),
        ("rle8.bmp", "a format decoded at full size"),
        ("progressive.jpg", "JPEG"),
    ] {
        match analyse(&bomb(name), limits()) {
            Err(AnalysisError::TooMuchMemory {
                width: 10_000,
                height: 10_000,
                path: p,
                needed_mib,
                limit_mib,
            }) => {
                assert_eq!(p, path, "{name}");
                assert!(needed_mib > limit_mib, "{name}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!(analyse(&fixture("grace_hopper.jpg"), limits()).is_ok());
}

#[test]
fn garbage_and_truncation_are_errors() {
    assert!(matches!(
        analyse(b"<html>404</html>", limits()),
        Err(AnalysisError::NotAPicture(_))
    ));
    let jpeg = fixture("grace_hopper.jpg");
    assert!(analyse(&jpeg[..200], limits()).is_err());
    let mut corrupt = jpeg.clone();
    for b in corrupt.iter_mut().skip(600).step_by(7) {
        *b ^= 0x5a;
    }
    let _ = analyse(&corrupt, limits()); // must not panic; may or may not decode
}

/// The detail hash tells copies of a photo from other photos: sizes and
/// recompressions a few bits apart, different fixture photos far.
#[test]
fn detail_hashes_of_copies_are_near_and_of_other_photos_far() {
    let detail = |bytes: &[u8]| analyse(bytes, limits()).unwrap().phash_detail.unwrap();
    let names = [
        "grace_hopper.jpg",
        "coffee.png",
        "chelsea.png",
        "astronaut.png",
        "rocket.jpg",
    ];
    let mut originals = Vec::new();
    for name in names {
        let img = image::load_from_memory(&fixture(name)).unwrap();
        let d = detail(&fixture(name));
        let half = img.resize(
            img.width() / 2,
            img.height() / 2,
            image::imageops::FilterType::Triangle,
        );
        let half = DynamicImage::ImageRgb8(half.to_rgb8());
        let near = detail_distance(&d, &detail(&encode(&half, ImageFormat::Jpeg)));
        assert!(
            near <= 12,
            "{name}: a half-size JPEG copy is {near} bits away"
        );
        // As stored and read back.
        let stored = crate::model::detail_hex(&d);
        assert_eq!(stored.len(), 64);
        assert_eq!(crate::model::parse_detail_hex(&stored), Some(d));
        originals.push(d);
    }
    assert_eq!(crate::model::parse_detail_hex("not hex"), None);
    for (i, a) in originals.iter().enumerate() {
        for b in &originals[i + 1..] {
            let far = detail_distance(a, b);
            assert!(far > crate::group::DETAIL_MAX_DISTANCE, "{far}");
        }
    }
}
