// This file is part of the open-source port of SeetaFace engine, which originally includes three modules:
//      SeetaFace Detection, SeetaFace Alignment, and SeetaFace Identification.
//
// This file is part of the SeetaFace Detection module, containing codes implementing the face detection method described in the following paper:
//
//      Funnel-structured cascade for multi-view face detection with alignment awareness,
//      Shuzhe Wu, Meina Kan, Zhenliang He, Shiguang Shan, Xilin Chen.
//      In Neurocomputing (under review)
//
// Copyright (C) 2016, Visual Information Processing and Learning (VIPL) group,
// Institute of Computing Technology, Chinese Academy of Sciences, Beijing, China.
//
// As an open-source face recognition engine: you can redistribute SeetaFace source codes
// and/or modify it under the terms of the BSD 2-Clause License.
//
// You should have received a copy of the BSD 2-Clause License along with the software.
// If not, see < https://opensource.org/licenses/BSD-2-Clause>.

use std::cmp;

#[derive(Debug)]
pub struct ImageData<'a> {
    data: &'a [u8],
    width: u32,
    height: u32,
    num_channels: u32,
}

impl<'a> ImageData<'a> {
    #[inline]
    pub fn new(data: &'a [u8], width: u32, height: u32) -> Self {
        assert_eq!(data.len(), width as usize * height as usize);
        ImageData {
            data,
            width,
            height,
            num_channels: 1,
        }
    }

    #[inline]
    pub fn width(&self) -> u32 {
        self.width
    }

    #[inline]
    pub fn height(&self) -> u32 {
        self.height
    }

    #[inline]
    pub fn num_channels(&self) -> u32 {
        self.num_channels
    }

    #[inline]
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
}

pub struct ImagePyramid {
    max_scale: f32,
    min_scale: f32,
    scale_factor: f32,
    scale_step: f32,
    width1x: u32,
    height1x: u32,
    width_scaled: u32,
    height_scaled: u32,
    img_buf: Vec<u8>,
    img_buf_scaled: Vec<u8>,
    img_buf_scaled_width: u32,
    img_buf_scaled_height: u32,
}

impl ImagePyramid {
    pub fn new() -> Self {
        let img_buf_scaled_width: u32 = 2;
        let img_buf_scaled_height: u32 = 2;

        ImagePyramid {
            max_scale: 1.0,
            min_scale: 1.0,
            scale_factor: 1.0,
            scale_step: 0.8,
            width1x: 0,
            height1x: 0,
            width_scaled: 0,
            height_scaled: 0,
            img_buf: Vec::new(),
            img_buf_scaled: Vec::with_capacity(
                (img_buf_scaled_width * img_buf_scaled_height) as usize,
            ),
            img_buf_scaled_width,
            img_buf_scaled_height,
        }
    }

    #[allow(dead_code)]
    pub fn set_max_scale(&mut self, max_scale: f32) {
        self.max_scale = max_scale;
        self.scale_factor = max_scale;
        self.update_buf_scaled();
    }

    #[inline]
    pub fn set_min_scale(&mut self, min_scale: f32) {
        self.min_scale = min_scale;
    }

    pub fn set_scale_step(&mut self, scale_step: f32) {
        if scale_step > 0.0 && scale_step <= 1.0 {
            self.scale_step = scale_step;
        }
    }

    #[inline]
    pub fn get_image_1x(&self) -> ImageData<'_> {
        ImageData::new(&self.img_buf, self.width1x, self.height1x)
    }

    pub fn set_image_1x(&mut self, img_data: &[u8], width: u32, height: u32) {
        self.width1x = width;
        self.height1x = height;

        self.img_buf.clear();
        self.img_buf.extend_from_slice(img_data);

        self.scale_factor = self.max_scale;
        self.update_buf_scaled();
    }

    fn update_buf_scaled(&mut self) {
        if self.width1x == 0 || self.height1x == 0 {
            return;
        }

        let max_width = (self.width1x as f32 * self.max_scale + 0.5) as u32;
        let max_height = (self.height1x as f32 * self.max_scale + 0.5) as u32;

        if max_width > self.img_buf_scaled_width || max_height > self.img_buf_scaled_height {
            self.img_buf_scaled_width = max_width;
            self.img_buf_scaled_height = max_height;
            self.img_buf_scaled = Vec::with_capacity((max_width * max_height) as usize);
        }
    }

    pub fn get_next_scale_image(&mut self) -> Option<(ImageData<'_>, f32)> {
        if self.scale_factor < self.min_scale {
            return None;
        }

        let scale_factor = self.scale_factor;
        self.width_scaled = (self.width1x as f32 * scale_factor) as u32;
        self.height_scaled = (self.height1x as f32 * scale_factor) as u32;

        let src = ImageData::new(&self.img_buf, self.width1x, self.height1x);
        resize_image(
            &src,
            &mut self.img_buf_scaled,
            self.width_scaled,
            self.height_scaled,
        );
        let img_scaled = ImageData::new(
            &self.img_buf_scaled,
            self.width_scaled,
            self.height_scaled,
        );
        self.scale_factor *= self.scale_step;

        Some((img_scaled, scale_factor))
    }
}

pub fn resize_image(src: &ImageData, dest: &mut Vec<u8>, width: u32, height: u32) {
    dest.clear();

    if src.width() == width && src.height() == height {
        dest.extend_from_slice(src.data());
        return;
    }

    // Bilinear, as the published crate computes it, with each column's and
    // each row's source position and weights worked out once instead of
    // for every pixel (patch 2, PATCHES.md): the same f64 arithmetic in the
    // same order, so the same bytes.
    let src_w = src.width() as usize;
    let data = src.data();
    // A window the box regression shrank under 2 pixels: the published
    // code read past its buffer here (or underflowed in a debug build);
    // its edge pixels are repeated instead, and an empty one is black.
    if src.width() < 2 || src.height() < 2 {
        let at = |x: usize, y: usize| {
            let (x, y) = (x.min(src_w.saturating_sub(1)), y.min(src.height().saturating_sub(1) as usize));
            data.get(y * src_w + x).copied().unwrap_or(0)
        };
        for y in 0..height as usize {
            for x in 0..width as usize {
                dest.push(at(
                    x * src_w / width as usize,
                    y * src.height() as usize / height as usize,
                ));
            }
        }
        return;
    }
    let lf_x_scl = f64::from(src.width()) / f64::from(width);
    let lf_y_scl = f64::from(src.height()) / f64::from(height);
    let columns: Vec<(usize, f64, f64)> = (0..width)
        .map(|x| {
            let lf_x_s = lf_x_scl * f64::from(x);
            let n_x_s = cmp::min(lf_x_s as u32, src.width().saturating_sub(2));
            let w = lf_x_s - f64::from(n_x_s);
            (n_x_s as usize, 1.0 - w, w)
        })
        .collect();
    // Separable: each source row the output needs is interpolated across
    // once (a row is shared by neighbouring output rows), then pairs of
    // such rows are blended down; the published per-pixel expression
    // evaluated in the same order (Rust does not fuse multiply-adds), so
    // the same bytes.
    let across = |row: usize, out: &mut Vec<f64>| {
        let line = &data[row * src_w..(row + 1) * src_w];
        out.clear();
        out.extend(columns.iter().map(|&(n_x_s, one_minus_wx, wx)| {
            one_minus_wx * f64::from(line[n_x_s]) + wx * f64::from(line[n_x_s + 1])
        }));
    };
    let (mut top, mut bottom) = (Vec::new(), Vec::new());
    let mut have: Option<usize> = None;
    dest.reserve(width as usize * height as usize);
    for y in 0..height {
        let lf_y_s = lf_y_scl * f64::from(y);
        let n_y_s = cmp::min(lf_y_s as u32, src.height().saturating_sub(2));
        let wy = lf_y_s - f64::from(n_y_s);
        let row = n_y_s as usize;
        match have {
            Some(r) if r == row => {}
            Some(r) if r + 1 == row => {
                std::mem::swap(&mut top, &mut bottom);
                across(row + 1, &mut bottom);
            }
            _ => {
                across(row, &mut top);
                across(row + 1, &mut bottom);
            }
        }
        have = Some(row);
        let one_minus_wy = 1.0 - wy;
        dest.extend(
            top.iter()
                .zip(bottom.iter())
                .map(|(&t, &b)| (one_minus_wy * t + wy * b) as u8),
        );
    }
}
