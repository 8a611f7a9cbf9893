//! A small evaluator for OpenCV's LBP frontal-face cascade
//! (`lbpcascade_frontalface_opencv.xml`, BSD-3-Clause), written to compare
//! it with SeetaFace on the same labelled pictures. It follows OpenCV's
//! `LBPEvaluator` (3 x 3 blocks of cells from an integral image, an 8-bit
//! code against the centre cell, a 256-bit subset per weak classifier) and
//! `detectMultiScale` (image pyramid by 1.1, step 2 at small scales, 1 at
//! large; neighbouring windows grouped, at least 3 to a face).

use image::GrayImage;

pub struct Cascade {
    window: u32,
    stages: Vec<Stage>,
    features: Vec<[u32; 4]>,
}

struct Stage {
    threshold: f32,
    weak: Vec<Weak>,
}

struct Weak {
    feature: usize,
    subset: [i32; 8],
    leaves: [f32; 2],
}

impl Cascade {
    pub fn parse(xml: &str) -> Cascade {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut stack: Vec<String> = Vec::new();
        let mut stages: Vec<Stage> = Vec::new();
        let mut features = Vec::new();
        let mut window = 24;
        loop {
            match reader.read_event().expect("valid XML") {
                Event::Start(e) => stack.push(e.name().0.to_string()),
                Event::End(_) => {
                    stack.pop();
                }
                Event::Text(t) => {
                    let text = t.xml10_content().into_owned();
                    let nums: Vec<&str> = text.split_whitespace().collect();
                    match stack.last().map(String::as_str) {
                        Some("width") if stack.len() == 3 => window = nums[0].parse().unwrap(),
                        Some("stageThreshold") => stages.push(Stage {
                            threshold: nums[0].parse().unwrap(),
                            weak: Vec::new(),
                        }),
                        Some("internalNodes") => {
                            let v: Vec<i64> = nums.iter().map(|n| n.parse().unwrap()).collect();
                            let mut subset = [0i32; 8];
                            for (s, n) in subset.iter_mut().zip(&v[3..11]) {
                                *s = *n as i32;
                            }
                            stages.last_mut().unwrap().weak.push(Weak {
                                feature: v[2] as usize,
                                subset,
                                leaves: [0.0; 2],
                            });
                        }
                        Some("leafValues") => {
                            let w = stages.last_mut().unwrap().weak.last_mut().unwrap();
                            w.leaves = [nums[0].parse().unwrap(), nums[1].parse().unwrap()];
                        }
                        Some("rect") => {
                            let r: Vec<u32> = nums.iter().map(|n| n.parse().unwrap()).collect();
                            features.push([r[0], r[1], r[2], r[3]]);
                        }
                        _ => {}
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        Cascade {
            window,
            stages,
            features,
        }
    }

    /// Faces found: (x, y, size) in the picture's pixels.
    pub fn detect(&self, grey: &GrayImage, min_neighbours: usize) -> Vec<(u32, u32, u32)> {
        let mut hits = Vec::new();
        let mut scale = 1.0f32;
        loop {
            let (w, h) = (
                (grey.width() as f32 / scale) as u32,
                (grey.height() as f32 / scale) as u32,
            );
            if w < self.window || h < self.window {
                break;
            }
            let small = image::imageops::resize(grey, w, h, image::imageops::FilterType::Triangle);
            let ii = Integral::new(&small);
            let step = if scale > 2.0 { 1 } else { 2 };
            let mut y = 0;
            while y + self.window <= h {
                let mut x = 0;
                while x + self.window <= w {
                    if self.passes(&ii, x, y) {
                        hits.push((
                            (x as f32 * scale) as u32,
                            (y as f32 * scale) as u32,
                            (self.window as f32 * scale) as u32,
                        ));
                    }
                    x += step;
                }
                y += step;
            }
            scale *= 1.1;
        }
        group(&hits, min_neighbours)
    }

    fn passes(&self, ii: &Integral, x: u32, y: u32) -> bool {
        for stage in &self.stages {
            let mut sum = 0.0f32;
            for w in &stage.weak {
                let [fx, fy, fw, fh] = self.features[w.feature];
                let c = ii.lbp(x + fx, y + fy, fw, fh);
                let bit = (w.subset[(c >> 5) as usize] >> (c & 31)) & 1;
                sum += if bit != 0 { w.leaves[0] } else { w.leaves[1] };
            }
            if sum < stage.threshold - 1e-5 {
                return false;
            }
        }
        true
    }
}

struct Integral {
    w: usize,
    sums: Vec<i64>,
}

impl Integral {
    fn new(img: &GrayImage) -> Integral {
        let (w, h) = (img.width() as usize + 1, img.height() as usize + 1);
        let mut sums = vec![0i64; w * h];
        for y in 1..h {
            let mut row = 0i64;
            for x in 1..w {
                row += i64::from(img.get_pixel(x as u32 - 1, y as u32 - 1)[0]);
                sums[y * w + x] = sums[(y - 1) * w + x] + row;
            }
        }
        Integral { w, sums }
    }

    fn rect(&self, x: u32, y: u32, w: u32, h: u32) -> i64 {
        let (x, y, w, h) = (x as usize, y as usize, w as usize, h as usize);
        let at = |x: usize, y: usize| self.sums[y * self.w + x];
        at(x + w, y + h) - at(x, y + h) - at(x + w, y) + at(x, y)
    }

    /// OpenCV's LBP code of the 3 x 3 cells of `w` x `h` at (x, y).
    fn lbp(&self, x: u32, y: u32, w: u32, h: u32) -> u32 {
        let cell = |i: u32, j: u32| self.rect(x + i * w, y + j * h, w, h);
        let c = cell(1, 1);
        let order = [
            (0, 0, 128),
            (1, 0, 64),
            (2, 0, 32),
            (2, 1, 16),
            (2, 2, 8),
            (1, 2, 4),
            (0, 2, 2),
            (0, 1, 1),
        ];
        order
            .iter()
            .filter(|(i, j, _)| cell(*i, *j) >= c)
            .map(|(_, _, b)| b)
            .sum()
    }
}

/// Groups overlapping windows of similar size; keeps groups of at least
/// `min` + 1 windows, as their average.
fn group(hits: &[(u32, u32, u32)], min: usize) -> Vec<(u32, u32, u32)> {
    let similar = |a: &(u32, u32, u32), b: &(u32, u32, u32)| {
        let delta = 0.2 * (a.2.min(b.2) as f32 + 0.5 * (a.2 as f32 + b.2 as f32)) * 0.5;
        (a.0 as f32 - b.0 as f32).abs() <= delta
            && (a.1 as f32 - b.1 as f32).abs() <= delta
            && ((a.0 + a.2) as f32 - (b.0 + b.2) as f32).abs() <= delta
            && ((a.1 + a.2) as f32 - (b.1 + b.2) as f32).abs() <= delta
    };
    let mut label: Vec<usize> = (0..hits.len()).collect();
    fn root(l: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while l[r] != r {
            r = l[r];
        }
        l[i] = r;
        r
    }
    for i in 0..hits.len() {
        for j in i + 1..hits.len() {
            if similar(&hits[i], &hits[j]) {
                let (a, b) = (root(&mut label, i), root(&mut label, j));
                label[a] = b;
            }
        }
    }
    let mut groups: std::collections::HashMap<usize, Vec<&(u32, u32, u32)>> = Default::default();
    for (i, hit) in hits.iter().enumerate() {
        let r = root(&mut label, i);
        groups.entry(r).or_default().push(hit);
    }
    groups
        .values()
        .filter(|g| g.len() > min)
        .map(|g| {
            let n = g.len() as u32;
            (
                g.iter().map(|h| h.0).sum::<u32>() / n,
                g.iter().map(|h| h.1).sum::<u32>() / n,
                g.iter().map(|h| h.2).sum::<u32>() / n,
            )
        })
        .collect()
}
