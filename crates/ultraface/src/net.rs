//! The network: its layers, read from the weight file `convert.py` writes,
//! and run over a CHW float tensor. Four kinds of layer are all UltraFace
//! uses: convolution (pointwise, depthwise 3x3, or any other through
//! im2col), element-wise addition, concatenation along channels, and the
//! eight heads it reads out.

use std::fmt;

/// A weight file that is not one `convert.py` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub &'static str);

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not an UltraFace weight file: {}", self.0)
    }
}

impl std::error::Error for FormatError {}

#[derive(Debug)]
struct Conv {
    input: usize,
    output: usize,
    cin: usize,
    cout: usize,
    k: usize,
    stride: usize,
    pad: usize,
    dilation: usize,
    groups: usize,
    relu: bool,
    /// For a matrix product (every conv but the depthwise ones): the
    /// weights in panels of [`PANEL`] output channels, `panel, k index,
    /// row`, padded with zero rows to a whole panel. For a depthwise
    /// conv: `channel, ky, kx`.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

#[derive(Debug)]
enum Op {
    Conv(Conv),
    Add {
        a: usize,
        b: usize,
        output: usize,
        relu: bool,
    },
    Concat {
        inputs: Vec<usize>,
        output: usize,
    },
}

/// Which head a tensor is: class scores or box offsets, at one of the
/// four feature-map levels.
#[derive(Debug, Clone, Copy)]
pub struct Head {
    pub tensor: usize,
    pub boxes: bool,
    pub level: usize,
}

/// The network, read once and shared by every thread.
#[derive(Debug)]
pub struct Network {
    tensors: usize,
    ops: Vec<Op>,
    pub heads: Vec<Head>,
    /// For each tensor, the index of the last op that reads it (heads
    /// count as read at the end): its buffer is dropped after.
    last_use: Vec<usize>,
}

/// A CHW tensor.
#[derive(Debug, Clone, Default)]
pub struct Tensor {
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub data: Vec<f32>,
}

/// Output channels computed together by the matrix-product kernel.
const PANEL: usize = 4;
/// Pixels computed together by the matrix-product kernel (two AVX
/// registers a row).
const STRIP: usize = 16;
/// Pixels whose inputs are kept in cache while every output panel is
/// computed over them.
const BLOCK: usize = 128;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn u32(&mut self) -> Result<usize, FormatError> {
        let b = self
            .bytes
            .get(self.at..self.at + 4)
            .ok_or(FormatError("ends early"))?;
        self.at += 4;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn f32s(&mut self, n: usize) -> Result<Vec<f32>, FormatError> {
        let len = n.checked_mul(4).ok_or(FormatError("too large"))?;
        let b = self
            .bytes
            .get(self.at..self.at + len)
            .ok_or(FormatError("ends early"))?;
        self.at += len;
        Ok(b.chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// A convolution's fields, its shape checked before its weights are read.
    fn conv(&mut self, input: usize, output: usize) -> Result<Conv, FormatError> {
        let (cin, cout, k, stride) = (self.u32()?, self.u32()?, self.u32()?, self.u32()?);
        let (pad, dilation, groups) = (self.u32()?, self.u32()?, self.u32()?);
        let relu = self.u32()? != 0;
        let sane = (1..=4096).contains(&cin)
            && (1..=4096).contains(&cout)
            && (1..=7).contains(&k)
            && (1..=4).contains(&stride)
            && pad <= 16
            && (1..=8).contains(&dilation)
            && groups >= 1
            && cin % groups == 0
            && cout % groups == 0;
        if !sane {
            return Err(FormatError("a convolution's shape is out of range"));
        }
        let depthwise = groups > 1;
        if depthwise && !(groups == cin && cin == cout && k == 3 && dilation == 1) {
            return Err(FormatError("grouped convolutions must be depthwise 3x3"));
        }
        let raw = self.f32s(cout * (cin / groups) * k * k)?;
        let bias = self.f32s(cout)?;
        let weights = if depthwise {
            raw
        } else {
            pack(&raw, cout, cin * k * k)
        };
        Ok(Conv {
            input,
            output,
            cin,
            cout,
            k,
            stride,
            pad,
            dilation,
            groups,
            relu,
            weights,
            bias,
        })
    }
}

impl Network {
    /// Reads a weight file written by `convert.py`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Network, FormatError> {
        if !bytes.starts_with(b"UFACE1\0\0") {
            return Err(FormatError("no UFACE1 header"));
        }
        let mut r = Reader { bytes, at: 8 };
        let tensors = r.u32()?;
        let count = r.u32()?;
        if tensors > 4096 || count > 4096 {
            return Err(FormatError("too many layers"));
        }
        let id = |v: usize| {
            if v < tensors {
                Ok(v)
            } else {
                Err(FormatError("tensor id out of range"))
            }
        };
        let mut ops = Vec::new();
        let mut heads = Vec::new();
        for _ in 0..count {
            match r.u32()? {
                1 => {
                    let (input, output) = (id(r.u32()?)?, id(r.u32()?)?);
                    ops.push(Op::Conv(r.conv(input, output)?));
                }
                2 => {
                    let (a, b, output) = (id(r.u32()?)?, id(r.u32()?)?, id(r.u32()?)?);
                    let relu = r.u32()? != 0;
                    ops.push(Op::Add { a, b, output, relu });
                }
                3 => {
                    let n = r.u32()?;
                    if n == 0 || n > 64 {
                        return Err(FormatError("a concatenation's size is out of range"));
                    }
                    let inputs = (0..n)
                        .map(|_| id(r.u32()?))
                        .collect::<Result<Vec<_>, _>>()?;
                    let output = id(r.u32()?)?;
                    ops.push(Op::Concat { inputs, output });
                }
                4 => {
                    let tensor = id(r.u32()?)?;
                    let boxes = r.u32()? == 1;
                    let level = r.u32()?;
                    if level > 15 {
                        return Err(FormatError("a head's level is out of range"));
                    }
                    heads.push(Head {
                        tensor,
                        boxes,
                        level,
                    });
                }
                _ => return Err(FormatError("unknown layer kind")),
            }
        }
        if r.at != bytes.len() {
            return Err(FormatError("bytes after the last layer"));
        }
        let mut last_use = vec![0; tensors];
        for (i, op) in ops.iter().enumerate() {
            let inputs: Vec<usize> = match op {
                Op::Conv(c) => vec![c.input],
                Op::Add { a, b, .. } => vec![*a, *b],
                Op::Concat { inputs, .. } => inputs.clone(),
            };
            for t in inputs {
                last_use[t] = last_use[t].max(i);
            }
        }
        for h in &heads {
            last_use[h.tensor] = usize::MAX;
        }
        Ok(Network {
            tensors,
            ops,
            heads,
            last_use,
        })
    }

    /// Runs the network on `input` (3 x H x W); gives back each head's
    /// tensor, in the order of [`Network::heads`].
    pub fn run(&self, input: Tensor) -> Result<Vec<Tensor>, FormatError> {
        let mut t: Vec<Option<Tensor>> = vec![None; self.tensors];
        t[0] = Some(input);
        for (i, op) in self.ops.iter().enumerate() {
            let (out_id, out) = match op {
                Op::Conv(c) => {
                    let x = get(&t, c.input)?;
                    if x.c != c.cin {
                        return Err(FormatError(
                            "a convolution's input has the wrong channel count",
                        ));
                    }
                    (c.output, conv(c, x))
                }
                Op::Add { a, b, output, relu } => {
                    let (x, y) = (get(&t, *a)?, get(&t, *b)?);
                    if (x.c, x.h, x.w) != (y.c, y.h, y.w) {
                        return Err(FormatError("an addition's inputs differ in shape"));
                    }
                    let mut data: Vec<f32> =
                        x.data.iter().zip(&y.data).map(|(p, q)| p + q).collect();
                    if *relu {
                        for v in &mut data {
                            *v = v.max(0.0);
                        }
                    }
                    (
                        *output,
                        Tensor {
                            c: x.c,
                            h: x.h,
                            w: x.w,
                            data,
                        },
                    )
                }
                Op::Concat { inputs, output } => {
                    let first = get(&t, inputs[0])?;
                    let (h, w) = (first.h, first.w);
                    let mut out = Tensor {
                        c: 0,
                        h,
                        w,
                        data: Vec::new(),
                    };
                    for &id in inputs {
                        let x = get(&t, id)?;
                        if (x.h, x.w) != (h, w) {
                            return Err(FormatError("a concatenation's inputs differ in size"));
                        }
                        out.c += x.c;
                        out.data.extend_from_slice(&x.data);
                    }
                    (*output, out)
                }
            };
            t[out_id] = Some(out);
            for (id, slot) in t.iter_mut().enumerate() {
                if self.last_use[id] == i {
                    *slot = None;
                }
            }
        }
        self.heads
            .iter()
            .map(|h| {
                t[h.tensor]
                    .clone()
                    .ok_or(FormatError("a head is never made"))
            })
            .collect()
    }
}

fn get(t: &[Option<Tensor>], id: usize) -> Result<&Tensor, FormatError> {
    t[id]
        .as_ref()
        .ok_or(FormatError("a layer reads a tensor not yet made"))
}

/// Weights `rows x k` into panels of [`PANEL`] rows: `panel, k, row`.
fn pack(raw: &[f32], rows: usize, k: usize) -> Vec<f32> {
    let panels = rows.div_ceil(PANEL);
    let mut out = vec![0.0; panels * k * PANEL];
    for r in 0..rows {
        for c in 0..k {
            out[(r / PANEL) * k * PANEL + c * PANEL + r % PANEL] = raw[r * k + c];
        }
    }
    out
}

fn out_size(n: usize, k: usize, stride: usize, pad: usize, dilation: usize) -> usize {
    (n + 2 * pad).saturating_sub(dilation * (k - 1) + 1) / stride + 1
}

fn conv(c: &Conv, x: &Tensor) -> Tensor {
    let ho = out_size(x.h, c.k, c.stride, c.pad, c.dilation);
    let wo = out_size(x.w, c.k, c.stride, c.pad, c.dilation);
    let mut out = Tensor {
        c: c.cout,
        h: ho,
        w: wo,
        data: Vec::new(),
    };
    if c.groups > 1 {
        out.data = vec![0.0; c.cout * ho * wo];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has the instructions the function is compiled for.
            unsafe { depthwise_avx2(c, x, &mut out) };
            return out;
        }
        depthwise(c, x, &mut out);
    } else if c.k == 1 && c.stride == 1 && c.pad == 0 {
        out.data = Product::of(c, &x.data, c.cin, ho * wo).run();
    } else {
        let cols = im2col(c, x, ho, wo);
        out.data = Product::of(c, &cols, c.cin * c.k * c.k, ho * wo).run();
    }
    out
}

/// The input patches of a convolution as a `(cin k k) x (ho wo)` matrix.
fn im2col(c: &Conv, x: &Tensor, ho: usize, wo: usize) -> Vec<f32> {
    let (k, s, d) = (c.k, c.stride, c.dilation);
    let mut cols = vec![0.0; c.cin * k * k * ho * wo];
    for ci in 0..c.cin {
        let plane = &x.data[ci * x.h * x.w..(ci + 1) * x.h * x.w];
        for ky in 0..k {
            for kx in 0..k {
                let row = &mut cols[((ci * k + ky) * k + kx) * ho * wo..][..ho * wo];
                for oy in 0..ho {
                    let iy = (oy * s + ky * d).wrapping_sub(c.pad);
                    if iy >= x.h {
                        continue;
                    }
                    let src = &plane[iy * x.w..(iy + 1) * x.w];
                    let dst = &mut row[oy * wo..(oy + 1) * wo];
                    // Output columns ox read input ox * s + kx * d - pad:
                    // those reading inside the row are a strided copy.
                    let shift = kx * d;
                    let first = c.pad.saturating_sub(shift).div_ceil(s);
                    let last = (x.w + c.pad).saturating_sub(shift).div_ceil(s).min(wo);
                    if first < last {
                        let start = first * s + shift - c.pad;
                        for (v, &p) in dst[first..last]
                            .iter_mut()
                            .zip(src[start..].iter().step_by(s))
                        {
                            *v = p;
                        }
                    }
                }
            }
        }
    }
    cols
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn depthwise_avx2(c: &Conv, x: &Tensor, out: &mut Tensor) {
    depthwise(c, x, out);
}

/// A depthwise 3x3 convolution (stride 1 or 2, padding 1). Inlined into
/// the AVX2 copy above, so its loops are compiled for AVX2 there.
#[allow(clippy::inline_always)]
#[inline(always)]
fn depthwise(c: &Conv, x: &Tensor, out: &mut Tensor) {
    let (h, w, ho, wo, s, p) = (x.h, x.w, out.h, out.w, c.stride, c.pad);
    for ch in 0..c.cout {
        let plane = &x.data[ch * h * w..(ch + 1) * h * w];
        let k = &c.weights[ch * 9..ch * 9 + 9];
        let dst = &mut out.data[ch * ho * wo..(ch + 1) * ho * wo];
        dst.fill(c.bias[ch]);
        for oy in 0..ho {
            let orow = &mut dst[oy * wo..(oy + 1) * wo];
            for ky in 0..3 {
                let iy = (oy * s + ky).wrapping_sub(p);
                if iy >= h {
                    continue;
                }
                let irow = &plane[iy * w..(iy + 1) * w];
                let (w0, w1, w2) = (k[ky * 3], k[ky * 3 + 1], k[ky * 3 + 2]);
                if s == 1 && p == 1 && wo == w && w >= 3 {
                    // Interior pixels read x-1, x, x+1 with no bounds to test.
                    orow[0] += w1 * irow[0] + w2 * irow[1];
                    for ((o, a), (b, cc)) in orow[1..w - 1]
                        .iter_mut()
                        .zip(&irow[..w - 2])
                        .zip(irow[1..w - 1].iter().zip(&irow[2..]))
                    {
                        *o += w0 * a + w1 * b + w2 * cc;
                    }
                    orow[w - 1] += w0 * irow[w - 2] + w1 * irow[w - 1];
                } else if s == 2 && p == 1 && wo == w.div_ceil(2) && w >= 3 {
                    // Output x reads input 2x-1, 2x, 2x+1: only the first
                    // and (for an odd width) the last lack a neighbour.
                    orow[0] += w1 * irow[0] + w2 * irow[1];
                    let inner = (w - 2) / 2;
                    for (o, t) in orow[1..=inner]
                        .iter_mut()
                        .zip(irow[1..].windows(3).step_by(2))
                    {
                        *o += w0 * t[0] + w1 * t[1] + w2 * t[2];
                    }
                    if inner + 1 < wo {
                        orow[wo - 1] += w0 * irow[w - 2] + w1 * irow[w - 1];
                    }
                } else {
                    for (ox, o) in orow.iter_mut().enumerate() {
                        for (kx, wk) in [w0, w1, w2].into_iter().enumerate() {
                            let ix = (ox * s + kx).wrapping_sub(p);
                            if ix < w {
                                *o += wk * irow[ix];
                            }
                        }
                    }
                }
            }
        }
        if c.relu {
            for v in dst.iter_mut() {
                *v = v.max(0.0);
            }
        }
    }
}

/// A matrix product `W x X + b`, ReLU'd if asked, for packed weights `W`
/// (`rows x k`, [`pack`]) and `X` (`k x n`), as `rows x n`.
#[derive(Clone, Copy)]
struct Product<'a> {
    weights: &'a [f32],
    input: &'a [f32],
    bias: &'a [f32],
    rows: usize,
    k: usize,
    n: usize,
    relu: bool,
}

impl<'a> Product<'a> {
    /// The product a (non-depthwise) convolution computes over `input`.
    fn of(c: &'a Conv, input: &'a [f32], k: usize, n: usize) -> Product<'a> {
        Product {
            weights: &c.weights,
            input,
            bias: &c.bias,
            rows: c.cout,
            k,
            n,
            relu: c.relu,
        }
    }

    fn run(self) -> Vec<f32> {
        let mut out = vec![0.0; self.rows.div_ceil(PANEL) * PANEL * self.n];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU has the instructions the function is compiled for.
            unsafe { self.run_fma(&mut out) };
            out.truncate(self.rows * self.n);
            return out;
        }
        self.run_into::<false>(&mut out);
        out.truncate(self.rows * self.n);
        out
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn run_fma(self, out: &mut [f32]) {
        self.run_into::<true>(out);
    }

    // Inlined into the AVX2 copy above, so its loops are compiled for AVX2.
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn run_into<const FMA: bool>(self, out: &mut [f32]) {
        let Product {
            weights: w,
            input: x,
            bias,
            rows,
            k,
            n,
            relu,
        } = self;
        let panels = rows.div_ceil(PANEL);
        let mut start = 0;
        while start < n {
            let end = (start + BLOCK).min(n);
            for panel in 0..panels {
                let wp = &w[panel * k * PANEL..(panel + 1) * k * PANEL];
                let b: [f32; PANEL] =
                    std::array::from_fn(|r| bias.get(panel * PANEL + r).copied().unwrap_or(0.0));
                let mut p = start;
                while p + STRIP <= end {
                    let mut acc = [[0.0f32; STRIP]; PANEL];
                    for (r, a) in acc.iter_mut().enumerate() {
                        *a = [b[r]; STRIP];
                    }
                    for (c, wr) in wp.chunks_exact(PANEL).enumerate() {
                        let xr: &[f32; STRIP] =
                            x[c * n + p..c * n + p + STRIP].try_into().expect("a strip");
                        for (a, &wv) in acc.iter_mut().zip(wr) {
                            for (o, &xv) in a.iter_mut().zip(xr) {
                                *o = madd::<FMA>(wv, xv, *o);
                            }
                        }
                    }
                    for (r, a) in acc.iter().enumerate() {
                        let o = &mut out[(panel * PANEL + r) * n + p..][..STRIP];
                        for (d, &v) in o.iter_mut().zip(a) {
                            *d = if relu { v.max(0.0) } else { v };
                        }
                    }
                    p += STRIP;
                }
                // The last few pixels of the block, one at a time.
                for q in p..end {
                    let mut acc = b;
                    for (c, wr) in wp.chunks_exact(PANEL).enumerate() {
                        let xv = x[c * n + q];
                        for (a, &wv) in acc.iter_mut().zip(wr) {
                            *a = madd::<FMA>(wv, xv, *a);
                        }
                    }
                    for (r, &v) in acc.iter().enumerate() {
                        out[(panel * PANEL + r) * n + q] = if relu { v.max(0.0) } else { v };
                    }
                }
            }
            start = end;
        }
    }
}

/// `w * x + a`, fused where the CPU has FMA (elsewhere `mul_add` would be
/// a slow library call).
#[allow(clippy::inline_always)]
#[inline(always)]
fn madd<const FMA: bool>(w: f32, x: f32, a: f32) -> f32 {
    if FMA {
        w.mul_add(x, a)
    } else {
        w * x + a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A convolution summed term by term, as its definition reads.
    fn plain(c: &Conv, raw: &[f32], x: &Tensor) -> Tensor {
        let (ho, wo) = (
            out_size(x.h, c.k, c.stride, c.pad, c.dilation),
            out_size(x.w, c.k, c.stride, c.pad, c.dilation),
        );
        let per_group = c.cin / c.groups;
        let mut data = vec![0.0; c.cout * ho * wo];
        for co in 0..c.cout {
            let g = co / (c.cout / c.groups);
            for oy in 0..ho {
                for ox in 0..wo {
                    let mut v = c.bias[co];
                    for ci in 0..per_group {
                        for ky in 0..c.k {
                            for kx in 0..c.k {
                                let iy = (oy * c.stride + ky * c.dilation).checked_sub(c.pad);
                                let ix = (ox * c.stride + kx * c.dilation).checked_sub(c.pad);
                                let (Some(iy), Some(ix)) = (iy, ix) else {
                                    continue;
                                };
                                if iy >= x.h || ix >= x.w {
                                    continue;
                                }
                                let input = x.data[((g * per_group + ci) * x.h + iy) * x.w + ix];
                                v += raw[((co * per_group + ci) * c.k + ky) * c.k + kx] * input;
                            }
                        }
                    }
                    data[(co * ho + oy) * wo + ox] = if c.relu { v.max(0.0) } else { v };
                }
            }
        }
        Tensor {
            c: c.cout,
            h: ho,
            w: wo,
            data,
        }
    }

    /// Every shape of layer the network has, at odd and even sizes, with
    /// its fast path: the same sums as the plain definition.
    #[test]
    fn every_kind_of_convolution_matches_its_plain_sum() {
        let value = |i: usize| ((i * 7919 % 1000) as f32 / 500.0) - 1.0;
        // (cin, cout, k, stride, pad, dilation, groups)
        let shapes = [
            (3, 5, 3, 2, 1, 1, 1),
            (6, 9, 1, 1, 0, 1, 1),
            (4, 4, 3, 1, 1, 1, 4),
            (4, 4, 3, 2, 1, 1, 4),
            (5, 6, 3, 1, 3, 3, 1),
            (5, 7, 3, 1, 5, 5, 1),
        ];
        for (cin, cout, k, stride, pad, dilation, groups) in shapes {
            for (h, w) in [(5, 3), (6, 4), (7, 9), (4, 16), (9, 17), (3, 33), (12, 25)] {
                let raw: Vec<f32> = (0..cout * cin / groups * k * k).map(value).collect();
                let bias: Vec<f32> = (0..cout).map(|i| value(i + 31)).collect();
                let weights = if groups > 1 {
                    raw.clone()
                } else {
                    pack(&raw, cout, cin * k * k)
                };
                let c = Conv {
                    input: 0,
                    output: 1,
                    cin,
                    cout,
                    k,
                    stride,
                    pad,
                    dilation,
                    groups,
                    relu: true,
                    weights,
                    bias,
                };
                let x = Tensor {
                    c: cin,
                    h,
                    w,
                    data: (0..cin * h * w).map(|i| value(i + 101)).collect(),
                };
                let (got, want) = (conv(&c, &x), plain(&c, &raw, &x));
                assert_eq!((got.c, got.h, got.w), (want.c, want.h, want.w));
                for (i, (a, b)) in got.data.iter().zip(&want.data).enumerate() {
                    assert!((a - b).abs() < 1e-4, "{cin}->{cout} k{k} s{stride} d{dilation} g{groups} at {h}x{w}, [{i}]: {a} against {b}");
                }
            }
        }
    }
}
