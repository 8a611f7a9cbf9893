//! Samples from inside a document ([`Raster`]: a PDF image under Flate,
//! LZW or JPEG 2000) turned grey the way every other picture is: luma by
//! JPEG's weights, transparency over white. The grey of a PDF's RGB image
//! is then the grey of the PNG it was made from, so the two hash alike.

use image::GrayImage;

use super::{over_white, rgb_luma, AnalysisError, HashLimits};
use crate::model::{Colour, Raster};

/// The grey picture of a raster, with its soft mask over white.
pub fn to_grey(r: &Raster, limits: HashLimits) -> Result<GrayImage, AnalysisError> {
    super::check_size(r.width, r.height, limits)?;
    let comps = usize::from(r.colour.components());
    let bits = usize::from(r.bits);
    let row_bytes = (r.width as usize * comps * bits).div_ceil(8);
    let needed = row_bytes * r.height as usize;
    if r.data.len() < needed {
        return Err(AnalysisError::Decode(format!(
            "picture data is {} bytes, {needed} expected",
            r.data.len()
        )));
    }
    let max = (1u32 << bits.min(8)) - 1;
    // One sample, scaled to 0..=255.
    let sample = |row: &[u8], i: usize| -> u8 {
        let v = match bits {
            8 => u32::from(row[i]),
            16 => u32::from(row[2 * i]),
            b => {
                let bit = i * b;
                let byte = row[bit / 8];
                let shift = 8 - b - (bit % 8);
                u32::from(byte >> shift) & max
            }
        };
        let v = if bits == 16 { v } else { v * 255 / max };
        let v = v as u8;
        if r.inverted {
            255 - v
        } else {
            v
        }
    };
    // Palette index, unscaled.
    let index = |row: &[u8], i: usize| -> usize {
        match bits {
            8 => usize::from(row[i]),
            16 => usize::from(row[2 * i]),
            b => {
                let bit = i * b;
                (usize::from(row[bit / 8]) >> (8 - b - (bit % 8))) & ((1 << b) - 1)
            }
        }
    };
    let grey_of = |colour: &Colour, px: &[u8]| -> u8 {
        match colour {
            Colour::Grey | Colour::Lab | Colour::Indexed { .. } => px[0],
            Colour::Rgb => rgb_luma(px[0], px[1], px[2]),
            Colour::Cmyk => {
                let k = 255 - u32::from(px[3]);
                let c = |v: u8| ((255 - u32::from(v)) * k / 255) as u8;
                rgb_luma(c(px[0]), c(px[1]), c(px[2]))
            }
            Colour::Ink => 255 - px[0],
            Colour::Inks(_) => {
                let sum: u32 = px.iter().map(|&v| u32::from(v)).sum();
                255 - (sum / px.len().max(1) as u32) as u8
            }
        }
    };
    let mut grey = GrayImage::new(r.width, r.height);
    let mut px = vec![0u8; comps.max(4)];
    for y in 0..r.height as usize {
        let row = &r.data[y * row_bytes..(y + 1) * row_bytes];
        for x in 0..r.width as usize {
            let g = if let Colour::Indexed { base, palette } = &r.colour {
                let n = usize::from(base.components());
                let at = index(row, x) * n;
                match palette.get(at..at + n) {
                    Some(entry) => grey_of(base, entry),
                    None => 0,
                }
            } else {
                for (c, slot) in px.iter_mut().enumerate().take(comps) {
                    *slot = sample(row, x * comps + c);
                }
                grey_of(&r.colour, &px[..comps])
            };
            grey.put_pixel(x as u32, y as u32, image::Luma([g]));
        }
    }
    if let Some((mw, mh, mask)) = &r.alpha {
        if *mw > 0 && *mh > 0 {
            for (x, y, p) in grey.enumerate_pixels_mut() {
                let mx = (u64::from(x) * u64::from(*mw) / u64::from(r.width)) as usize;
                let my = (u64::from(y) * u64::from(*mh) / u64::from(r.height)) as usize;
                let a = mask.get(my * *mw as usize + mx).copied().unwrap_or(255);
                p.0[0] = over_white(p.0[0], a);
            }
        }
    }
    Ok(grey)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raster(colour: Colour, bits: u8, data: Vec<u8>, w: u32, h: u32) -> Raster {
        Raster {
            width: w,
            height: h,
            colour,
            bits,
            data,
            inverted: false,
            alpha: None,
            sha256: String::new(),
        }
    }
    const LIMITS: HashLimits = HashLimits {
        max_pixels: 1 << 20,
    };

    #[test]
    fn every_colour_space_gives_the_grey_of_the_same_colours() {
        // Red, green, blue, white as RGB; the same as CMYK, indexed RGB.
        let rgb = raster(
            Colour::Rgb,
            8,
            vec![255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255],
            4,
            1,
        );
        let cmyk = raster(
            Colour::Cmyk,
            8,
            vec![0, 255, 255, 0, 255, 0, 255, 0, 255, 255, 0, 0, 0, 0, 0, 0],
            4,
            1,
        );
        let indexed = raster(
            Colour::Indexed {
                base: Box::new(Colour::Rgb),
                palette: vec![255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255],
            },
            8,
            vec![0, 1, 2, 3],
            4,
            1,
        );
        let want: Vec<u8> = vec![
            rgb_luma(255, 0, 0),
            rgb_luma(0, 255, 0),
            rgb_luma(0, 0, 255),
            255,
        ];
        for r in [rgb, cmyk, indexed] {
            assert_eq!(
                to_grey(&r, LIMITS).unwrap().into_raw(),
                want,
                "{:?}",
                r.colour
            );
        }
    }

    #[test]
    fn low_bit_depths_inversion_and_soft_masks() {
        // 1-bit grey, 8 pixels in one byte: 1 0 1 0 1 0 1 0.
        let one = raster(Colour::Grey, 1, vec![0b1010_1010], 8, 1);
        assert_eq!(
            to_grey(&one, LIMITS).unwrap().into_raw(),
            [255, 0, 255, 0, 255, 0, 255, 0]
        );
        let mut inv = one.clone();
        inv.inverted = true;
        assert_eq!(
            to_grey(&inv, LIMITS).unwrap().into_raw(),
            [0, 255, 0, 255, 0, 255, 0, 255]
        );
        // 4-bit: 0xF0 is 255 then 0.
        let four = raster(Colour::Grey, 4, vec![0xF0], 2, 1);
        assert_eq!(to_grey(&four, LIMITS).unwrap().into_raw(), [255, 0]);
        // A black picture fully transparent on the left is white there.
        let mut masked = raster(Colour::Grey, 8, vec![0, 0], 2, 1);
        masked.alpha = Some((2, 1, vec![0, 255]));
        assert_eq!(to_grey(&masked, LIMITS).unwrap().into_raw(), [255, 0]);
    }

    #[test]
    fn short_data_and_huge_pictures_are_errors() {
        let short = raster(Colour::Rgb, 8, vec![0; 5], 2, 1);
        assert!(matches!(
            to_grey(&short, LIMITS),
            Err(AnalysisError::Decode(_))
        ));
        let huge = raster(Colour::Grey, 8, Vec::new(), 60_000, 60_000);
        assert!(matches!(
            to_grey(&huge, LIMITS),
            Err(AnalysisError::TooLarge { .. })
        ));
    }
}
