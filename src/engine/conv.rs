//! The CPU engine's convolutions. Three algorithms, picked per layer by its shape:
//!
//! - **Winograd F(4x4, 3x3)** for 3x3 stride-1 layers with more than 16 output channels (the
//!   residual blocks, over half of the generator's multiply-adds): 36 multiplies per 4x4
//!   output tile instead of 144, as 36 matrix products over transformed tiles.
//! - **Direct** for stride-1 layers with few output or input channels (the 9x9 first and last
//!   layers): im2col there makes a huge column matrix and a matrix product with 3 or 16 rows,
//!   which wastes most of the kernel. Instead a register block of output channels x pixels
//!   accumulates over the kernel window.
//! - **im2col + gemm** for the rest (the stride-2 downsampling layers).
//!
//! A nearest x2 upsampling followed by a 3x3 convolution runs as four 2x2 direct convolutions
//! on the small input (`upsample2_conv3x3`). Every kernel works on register blocks of a `Vector`
//! type and is compiled once per instruction set, picked at run time (`Simd`): four lanes
//! everywhere (SSE2, NEON on aarch64, wasm simd128), eight with fused multiply-add on x86-64
//! with AVX2 + FMA.
//!
//! Each is checked against a plain reference convolution in the tests below. Measured in
//! Chromium (wasm, simd128) on the 256x256 generator pass: 423 ms with im2col + matrixmultiply
//! everywhere, 169 ms with these (docs/benchmarks.md).

use super::threads::{map_parallel, threads};

/// A convolution's shape: NCHW with N = 1, ONNX `pads` = [top, left, bottom, right].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvShape {
    pub c_in: usize,
    pub h: usize,
    pub w: usize,
    pub c_out: usize,
    pub kh: usize,
    pub kw: usize,
    pub oh: usize,
    pub ow: usize,
    pub pad_top: usize,
    pub pad_left: usize,
    pub stride: (usize, usize),
    pub dilation: (usize, usize),
    /// Where the `h` input rows lie in the input slice: from row `input_row0` of channel planes
    /// of `input_plane_rows` rows (0 and `h` for a whole picture). A band of output rows reads
    /// its rows of the whole input in place instead of a copy of them.
    pub input_row0: usize,
    pub input_plane_rows: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvAlgorithm {
    Winograd,
    /// Winograd with the weights already transformed and packed (`winograd_weights`): what the
    /// CPU engine runs, transforming each layer's weights once instead of on every pass and band.
    WinogradPrepared,
    Direct,
    Im2col,
}

impl ConvShape {
    /// Input row `y` (0..h) of channel `c`.
    #[inline(always)]
    fn input_row<'a>(&self, input: &'a [f32], c: usize, y: usize) -> &'a [f32] {
        &input[(c * self.input_plane_rows + self.input_row0 + y) * self.w..][..self.w]
    }

    fn unit_stride(&self) -> bool {
        self.stride == (1, 1) && self.dilation == (1, 1)
    }

    pub fn algorithm(&self) -> ConvAlgorithm {
        // Winograd's 36 transformed weight matrices are read in full for every band: where the
        // picture has fewer tiles than output channels (the loss network's deep layers on a
        // learner's 128 px crop) that traffic outweighs the products saved.
        let tiles = self.oh.div_ceil(TILE) * self.ow.div_ceil(TILE);
        if self.unit_stride() && self.kh == 3 && self.kw == 3 && self.c_in >= 16 && self.c_out > 16 && tiles >= self.c_out {
            ConvAlgorithm::Winograd
        } else if self.unit_stride() && (self.c_out <= 16 || self.c_in <= 4) {
            ConvAlgorithm::Direct
        } else {
            ConvAlgorithm::Im2col
        }
    }
}

/// `input` [c_in, h, w], `weight` [c_out, c_in, kh, kw], `bias` [c_out] -> [c_out, oh, ow].
pub fn conv2d(shape: &ConvShape, input: &[f32], weight: &[f32], bias: &[f32]) -> Vec<f32> {
    conv2d_with(shape.algorithm(), shape, input, weight, bias)
}

/// Multiply-adds below which a convolution runs on one thread: handing bands to the pool and
/// waking it costs microseconds, a band of this size takes about a millisecond.
const PARALLEL_MIN_MACS: usize = 1 << 21;

/// `conv2d` with a given algorithm, split into bands of output rows computed on `threads()`
/// threads. Each band is the same convolution on the input rows it reads (the padding it needs
/// kept), so every output value is computed exactly as in one pass: bit-identical results.
/// Bands start on rows that are multiples of 4, so Winograd's 4x4 tiles fall where they would in
/// one pass.
pub fn conv2d_with(
    algorithm: ConvAlgorithm,
    shape: &ConvShape,
    input: &[f32],
    weight: &[f32],
    bias: &[f32],
) -> Vec<f32> {
    if algorithm == ConvAlgorithm::Winograd {
        // Transformed once here, not once per band.
        let packed = winograd_weights(shape.c_out, shape.c_in, weight);
        return conv2d_with(ConvAlgorithm::WinogradPrepared, shape, input, &packed, bias);
    }
    let macs = shape.c_out * shape.c_in * shape.kh * shape.kw * shape.oh * shape.ow;
    if macs < PARALLEL_MIN_MACS {
        return conv2d_serial(algorithm, shape, input, weight, bias);
    }
    conv2d_in_bands(algorithm, shape, input, weight, bias, threads().min(shape.oh / 8))
}

fn conv2d_in_bands(
    algorithm: ConvAlgorithm,
    shape: &ConvShape,
    input: &[f32],
    weight: &[f32],
    bias: &[f32],
    threads: usize,
) -> Vec<f32> {
    if threads < 2 {
        return conv2d_serial(algorithm, shape, input, weight, bias);
    }
    let band_rows = shape.oh.div_ceil(threads).next_multiple_of(TILE);
    let bands: Vec<(usize, usize)> =
        (0..shape.oh).step_by(band_rows).map(|r0| (r0, band_rows.min(shape.oh - r0))).collect();
    let results: Vec<Vec<f32>> = map_parallel(bands.len(), |i| {
        let (r0, rows) = bands[i];
        conv_band(algorithm, shape, input, weight, bias, r0, rows)
    });
    let plane = shape.oh * shape.ow;
    let mut out = vec![0.0f32; shape.c_out * plane];
    for (&(r0, rows), band) in bands.iter().zip(&results) {
        for o in 0..shape.c_out {
            out[o * plane + r0 * shape.ow..][..rows * shape.ow].copy_from_slice(&band[o * rows * shape.ow..][..rows * shape.ow]);
        }
    }
    out
}

/// Output rows `r0 .. r0 + rows` of the convolution: the input rows they read (a window of
/// `input`, not a copy), with the top padding that is left at this band.
fn conv_band(
    algorithm: ConvAlgorithm,
    shape: &ConvShape,
    input: &[f32],
    weight: &[f32],
    bias: &[f32],
    r0: usize,
    rows: usize,
) -> Vec<f32> {
    let (sh, dh) = (shape.stride.0 as isize, shape.dilation.0 as isize);
    let first = r0 as isize * sh - shape.pad_top as isize;
    let last = (r0 + rows - 1) as isize * sh - shape.pad_top as isize + (shape.kh as isize - 1) * dh;
    let lo = first.clamp(0, shape.h as isize) as usize;
    let hi = (last + 1).clamp(lo as isize, shape.h as isize) as usize;
    let band = ConvShape {
        h: hi - lo,
        oh: rows,
        pad_top: (lo as isize - first) as usize,
        input_row0: shape.input_row0 + lo,
        ..*shape
    };
    conv2d_serial(algorithm, &band, input, weight, bias)
}

fn conv2d_serial(algorithm: ConvAlgorithm, shape: &ConvShape, input: &[f32], weight: &[f32], bias: &[f32]) -> Vec<f32> {
    conv2d_serial_on(Simd::detected(), algorithm, shape, input, weight, bias)
}

fn conv2d_serial_on(
    simd: Simd,
    algorithm: ConvAlgorithm,
    shape: &ConvShape,
    input: &[f32],
    weight: &[f32],
    bias: &[f32],
) -> Vec<f32> {
    match simd {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: Avx2Fma is only detected, or listed as available, where the processor has both.
        Simd::Avx2Fma => unsafe { avx2_fma::conv2d_serial(algorithm, shape, input, weight, bias) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, with AVX-512F.
        Simd::Avx512 => unsafe { avx512::conv2d_serial(algorithm, shape, input, weight, bias) },
        _ => conv2d_serial_with::<lanes::F4>(algorithm, shape, input, weight, bias),
    }
}

/// Inlined into each instruction set's entry point, with every kernel below, so each is
/// compiled with that set's instructions.
#[inline(always)]
fn conv2d_serial_with<V: Vector>(
    algorithm: ConvAlgorithm,
    shape: &ConvShape,
    input: &[f32],
    weight: &[f32],
    bias: &[f32],
) -> Vec<f32> {
    match algorithm {
        ConvAlgorithm::Winograd => {
            winograd_3x3::<V>(shape, input, &winograd_weights(shape.c_out, shape.c_in, weight), bias)
        }
        ConvAlgorithm::WinogradPrepared => winograd_3x3::<V>(shape, input, weight, bias),
        ConvAlgorithm::Direct if shape.c_out <= 3 => direct::<V, 3, 4>(shape, input, weight, bias),
        ConvAlgorithm::Direct => direct::<V, 4, 2>(shape, input, weight, bias),
        ConvAlgorithm::Im2col => im2col::<V>(shape, input, weight, bias),
    }
}

/// The backward pass of `conv2d` with respect to its input (the weights held fixed): given the
/// loss's gradient at the output (`[c_out, oh, ow]`), its gradient at the input (`[c_in, h, w]`).
/// That is the transposed convolution, run as a forward one (so with the same kernels): the
/// output gradient spread out by the stride (zeros between), correlated with the kernels flipped
/// in both axes and with input and output channels swapped, padded by `k - 1 - pad`. Learning a
/// style (`crate::learn`) needs it for every layer between the loss and the instance norms.
pub fn conv2d_input_grad(shape: &ConvShape, grad_out: &[f32], weight: &[f32]) -> Vec<f32> {
    let (sh, sw) = shape.stride;
    assert!(shape.dilation == (1, 1), "conv2d_input_grad: dilated kernels are not used by any network here");
    assert!(shape.pad_top < shape.kh && shape.pad_left < shape.kw && grad_out.len() == shape.c_out * shape.oh * shape.ow);
    let (hd, wd) = ((shape.oh - 1) * sh + 1, (shape.ow - 1) * sw + 1);
    let spread: std::borrow::Cow<[f32]> = if (sh, sw) == (1, 1) {
        std::borrow::Cow::Borrowed(grad_out)
    } else {
        let mut spread = vec![0.0f32; shape.c_out * hd * wd];
        for (o, plane) in grad_out.chunks_exact(shape.oh * shape.ow).enumerate() {
            for (y, row) in plane.chunks_exact(shape.ow).enumerate() {
                let dst = &mut spread[(o * hd + y * sh) * wd..][..wd];
                for (x, &g) in row.iter().enumerate() {
                    dst[x * sw] = g;
                }
            }
        }
        std::borrow::Cow::Owned(spread)
    };
    let (kh, kw) = (shape.kh, shape.kw);
    let mut flipped = vec![0.0f32; weight.len()];
    for o in 0..shape.c_out {
        for c in 0..shape.c_in {
            for ky in 0..kh {
                for kx in 0..kw {
                    flipped[((c * shape.c_out + o) * kh + kh - 1 - ky) * kw + kw - 1 - kx] = weight[((o * shape.c_in + c) * kh + ky) * kw + kx];
                }
            }
        }
    }
    let transposed = ConvShape {
        c_in: shape.c_out,
        h: hd,
        w: wd,
        c_out: shape.c_in,
        kh,
        kw,
        oh: shape.h,
        ow: shape.w,
        pad_top: kh - 1 - shape.pad_top,
        pad_left: kw - 1 - shape.pad_left,
        stride: (1, 1),
        dilation: (1, 1),
        input_row0: 0,
        input_plane_rows: hd,
    };
    conv2d(&transposed, &spread, &flipped, &vec![0.0; shape.c_in])
}

/// A nearest x2 upsampling followed by a 3x3 stride-1 convolution with padding 1, computed on
/// the small input: each of the four output phases (row and column parity) sees the upsampled
/// pixels as a 2x2 kernel over the input, its taps sums of the 3x3 taps. 4 multiply-adds per
/// output and channel instead of 9, and the upsampled tensor is never made.
///
/// Along one axis, output 2y takes input y-1 with w0 and input y with w1 + w2; output 2y+1 takes
/// input y with w0 + w1 and input y+1 with w2.
pub fn upsample2_conv3x3(c_in: usize, h: usize, w: usize, input: &[f32], weight: &[f32], bias: &[f32]) -> Vec<f32> {
    let macs = bias.len() * c_in * 16 * h * w;
    let threads = if macs < PARALLEL_MIN_MACS { 1 } else { threads().min(h / 4).max(1) };
    upsample2_conv3x3_on(Simd::detected(), threads, c_in, h, w, input, weight, bias)
}

/// `upsample2_conv3x3` with given instruction set and threads (bands of input rows).
#[allow(clippy::too_many_arguments)] // the public function's arguments and the two choices
fn upsample2_conv3x3_on(
    simd: Simd,
    threads: usize,
    c_in: usize,
    h: usize,
    w: usize,
    input: &[f32],
    weight: &[f32],
    bias: &[f32],
) -> Vec<f32> {
    let c_out = bias.len();
    let collapse = |taps: [f32; 3], phase: usize| {
        if phase == 0 {
            [taps[0], taps[1] + taps[2]]
        } else {
            [taps[0] + taps[1], taps[2]]
        }
    };
    // Each phase's 2x2 kernel, packed as the kernel reads it: [py][block][c][ky][px][kx][OB].
    let blocks = c_out.div_ceil(UP_OB);
    let mut packed = vec![0.0f32; 2 * blocks * c_in * 2 * 4 * UP_OB];
    for (oc, g) in weight.chunks_exact(9).enumerate().take(c_out * c_in) {
        let (o, c) = (oc / c_in, oc % c_in);
        for py in 0..2 {
            for px in 0..2 {
                // The 3x3 kernel's rows collapsed along x, then its columns along y.
                let [top, middle, bottom]: [[f32; 2]; 3] =
                    std::array::from_fn(|ky| collapse([g[3 * ky], g[3 * ky + 1], g[3 * ky + 2]], px));
                for kx in 0..2 {
                    let taps = collapse([top[kx], middle[kx], bottom[kx]], py);
                    for (ky, &tap) in taps.iter().enumerate() {
                        let at = (((py * blocks + o / UP_OB) * c_in + c) * 2 + ky) * 4 * UP_OB + (px * 2 + kx) * UP_OB;
                        packed[at + o % UP_OB] = tap;
                    }
                }
            }
        }
    }
    // The input with one zero pixel round it, rows padded to whole vectors of any width.
    let (hp, wp) = (h + 2, w.next_multiple_of(MAX_LANES) + 2);
    let padded_shape = ConvShape {
        c_in,
        h,
        w,
        c_out,
        kh: 3,
        kw: 3,
        oh: h,
        ow: w,
        pad_top: 1,
        pad_left: 1,
        stride: (1, 1),
        dilation: (1, 1),
        input_row0: 0,
        input_plane_rows: h,
    };
    let padded = zero_padded(&padded_shape, input, hp, wp);
    let job = Upsampling { c_in, c_out, w, hp, wp, padded: &padded, packed: &packed, bias };
    if threads < 2 {
        return upsample_rows_on(simd, &job, 0, h);
    }
    let band = h.div_ceil(threads);
    let bands: Vec<(usize, usize)> = (0..h).step_by(band).map(|r0| (r0, band.min(h - r0))).collect();
    let results: Vec<Vec<f32>> = map_parallel(bands.len(), |i| {
        let (r0, rows) = bands[i];
        upsample_rows_on(simd, &job, r0, rows)
    });
    let ow = 2 * w;
    let mut out = vec![0.0f32; c_out * 2 * h * ow];
    for (&(r0, rows), part) in bands.iter().zip(&results) {
        for o in 0..c_out {
            out[(o * 2 * h + 2 * r0) * ow..][..2 * rows * ow].copy_from_slice(&part[o * 2 * rows * ow..][..2 * rows * ow]);
        }
    }
    out
}

/// Output channels per register block of the upsampling kernel: with two phases of one vector
/// each, 8 accumulators and 3 loads fit AVX2's 16 registers.
const UP_OB: usize = 4;

/// What `upsample_rows` reads: the padded input and the packed phase kernels.
struct Upsampling<'a> {
    c_in: usize,
    c_out: usize,
    w: usize,
    hp: usize,
    wp: usize,
    padded: &'a [f32],
    packed: &'a [f32],
    bias: &'a [f32],
}

fn upsample_rows_on(simd: Simd, job: &Upsampling, r0: usize, rows: usize) -> Vec<f32> {
    match simd {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as in conv2d_serial_on.
        Simd::Avx2Fma => unsafe { avx2_fma::upsample_rows(job, r0, rows) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as in conv2d_serial_on.
        Simd::Avx512 => unsafe { avx512::upsample_rows(job, r0, rows) },
        _ => upsample_rows::<lanes::F4>(job, r0, rows),
    }
}

/// Input rows `r0 .. r0 + rows` of the upsampling convolution: output rows 2y and 2y + 1, each
/// from two input rows; both column phases of a vector of pixels at once (they read the same
/// three shifted loads), stored interleaved.
#[inline(always)]
fn upsample_rows<V: Vector>(job: &Upsampling, r0: usize, rows: usize) -> Vec<f32> {
    let &Upsampling { c_in, c_out, w, hp, wp, padded, packed, bias } = job;
    let blocks = c_out.div_ceil(UP_OB);
    let ow = 2 * w;
    let mut out = vec![0.0f32; c_out * 2 * rows * ow];
    let (mut even, mut odd) = ([0.0f32; MAX_LANES], [0.0f32; MAX_LANES]);
    for block in 0..blocks {
        for y in r0..r0 + rows {
            for py in 0..2 {
                let kernel = &packed[(py * blocks + block) * c_in * 2 * 4 * UP_OB..][..c_in * 2 * 4 * UP_OB];
                for x0 in (0..w).step_by(V::LANES) {
                    let mut acc = [[V::splat(0.0); 2]; UP_OB];
                    for (j, pair) in acc.iter_mut().enumerate() {
                        *pair = [V::splat(bias.get(block * UP_OB + j).copied().unwrap_or(0.0)); 2];
                    }
                    for c in 0..c_in {
                        for ky in 0..2 {
                            let line = &padded[(c * hp + y + py + ky) * wp + x0..][..V::LANES + 2];
                            let v = [V::load(line), V::load(&line[1..]), V::load(&line[2..])];
                            let taps = &kernel[(c * 2 + ky) * 4 * UP_OB..][..4 * UP_OB];
                            for (j, [left, right]) in acc.iter_mut().enumerate() {
                                *left = left.mul_add(V::splat(taps[j]), v[0]).mul_add(V::splat(taps[UP_OB + j]), v[1]);
                                *right =
                                    right.mul_add(V::splat(taps[2 * UP_OB + j]), v[1]).mul_add(V::splat(taps[3 * UP_OB + j]), v[2]);
                            }
                        }
                    }
                    let valid = V::LANES.min(w - x0);
                    for (j, [left, right]) in acc.iter().enumerate() {
                        let o = block * UP_OB + j;
                        if o >= c_out {
                            break;
                        }
                        left.store(&mut even);
                        right.store(&mut odd);
                        let row = &mut out[(o * 2 * rows + 2 * (y - r0) + py) * ow + 2 * x0..][..2 * valid];
                        for (i, pair) in row.chunks_exact_mut(2).enumerate() {
                            pair[0] = even[i];
                            pair[1] = odd[i];
                        }
                    }
                }
            }
        }
    }
    out
}

/// Copy `input` into a zero-bordered buffer of `hp` x `wp` per channel, the picture at
/// (pad_top, pad_left): the kernels then read without bounds checks on the padding.
fn zero_padded(shape: &ConvShape, input: &[f32], hp: usize, wp: usize) -> Vec<f32> {
    let mut padded = vec![0.0f32; shape.c_in * hp * wp];
    for c in 0..shape.c_in {
        for y in 0..shape.h.min(hp.saturating_sub(shape.pad_top)) {
            let src = shape.input_row(input, c, y);
            let dst =
                &mut padded[(c * hp + y + shape.pad_top) * wp + shape.pad_left..][..shape.w.min(wp - shape.pad_left)];
            dst.copy_from_slice(&src[..dst.len()]);
        }
    }
    padded
}

/// The vector kernels are written once over this trait and compiled once per instruction set.
/// Spelled out because LLVM did not keep the direct kernel's accumulators in vector registers
/// on its own (measured: 3 GMAC/s natively, a fifth of what the 4-lane kernels get).
trait Vector: Copy {
    const LANES: usize;
    fn splat(x: f32) -> Self;
    /// The first `LANES` floats of `s`.
    fn load(s: &[f32]) -> Self;
    /// `self + a * b` (fused where the instruction set has it).
    fn mul_add(self, a: Self, b: Self) -> Self;
    fn add(self, b: Self) -> Self;
    fn sub(self, b: Self) -> Self;
    fn store(self, s: &mut [f32]);
}

/// `N` neighbouring vectors from the start of `s`. A loop, not `std::array::from_fn`: its closure
/// is a function of its own, compiled without the `#[target_feature]`s of the kernel it sits in,
/// so the intrinsics inside it were called rather than inlined (a profile at 1024 px had
/// `_mm512_sub_ps`, `_mm512_add_ps`, `_mm512_loadu_ps` and `array::try_from_fn` as functions, a
/// quarter of the pass). The kernels' small arrays of vectors are filled by loops for the same
/// reason.
#[inline(always)]
fn load_vectors<V: Vector, const N: usize>(s: &[f32]) -> [V; N] {
    let mut vectors = [V::splat(0.0); N];
    for (q, vector) in vectors.iter_mut().enumerate() {
        *vector = V::load(&s[V::LANES * q..]);
    }
    vectors
}

/// The most lanes any `Vector` has: the size of the scratch `load_part`/`store_part` use.
const MAX_LANES: usize = 16;

/// `V::load` of a slice that may be shorter than a vector (the rest of the lanes zero).
#[inline(always)]
fn load_part<V: Vector>(s: &[f32]) -> V {
    if s.len() >= V::LANES {
        V::load(s)
    } else {
        let mut scratch = [0.0f32; MAX_LANES];
        scratch[..s.len()].copy_from_slice(s);
        V::load(&scratch)
    }
}

/// `store` into a slice that may be shorter than a vector (the lanes past it dropped).
#[inline(always)]
fn store_part<V: Vector>(v: V, s: &mut [f32]) {
    if s.len() >= V::LANES {
        v.store(s)
    } else {
        let mut scratch = [0.0f32; MAX_LANES];
        v.store(&mut scratch);
        let n = s.len();
        s.copy_from_slice(&scratch[..n]);
    }
}

/// Four f32 lanes: simd128 in wasm, SSE2 on x86-64 and NEON on aarch64 (always there), plain
/// arrays elsewhere.
mod lanes {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    mod imp {
        use core::arch::wasm32::*;
        #[derive(Clone, Copy)]
        pub struct F4(v128);
        impl super::super::Vector for F4 {
            const LANES: usize = 4;
            #[inline(always)]
            fn splat(x: f32) -> Self {
                F4(f32x4_splat(x))
            }
            #[inline(always)]
            fn load(s: &[f32]) -> Self {
                let s = &s[..4];
                // SAFETY: s has four floats; v128_load has no alignment requirement.
                F4(unsafe { v128_load(s.as_ptr() as *const v128) })
            }
            #[inline(always)]
            fn mul_add(self, a: F4, b: F4) -> Self {
                F4(f32x4_add(self.0, f32x4_mul(a.0, b.0)))
            }
            #[inline(always)]
            fn add(self, b: F4) -> Self {
                F4(f32x4_add(self.0, b.0))
            }
            #[inline(always)]
            fn sub(self, b: F4) -> Self {
                F4(f32x4_sub(self.0, b.0))
            }
            #[inline(always)]
            fn store(self, s: &mut [f32]) {
                let s = &mut s[..4];
                // SAFETY: as in load.
                unsafe { v128_store(s.as_mut_ptr() as *mut v128, self.0) }
            }
        }
    }
    #[cfg(target_arch = "x86_64")]
    mod imp {
        use core::arch::x86_64::*;
        #[derive(Clone, Copy)]
        pub struct F4(__m128);
        impl super::super::Vector for F4 {
            const LANES: usize = 4;
            #[inline(always)]
            fn splat(x: f32) -> Self {
                // SAFETY: SSE is part of x86-64.
                F4(unsafe { _mm_set1_ps(x) })
            }
            #[inline(always)]
            fn load(s: &[f32]) -> Self {
                let s = &s[..4];
                // SAFETY: s has four floats; loadu has no alignment requirement.
                F4(unsafe { _mm_loadu_ps(s.as_ptr()) })
            }
            #[inline(always)]
            fn mul_add(self, a: F4, b: F4) -> Self {
                // SAFETY: SSE is part of x86-64.
                F4(unsafe { _mm_add_ps(self.0, _mm_mul_ps(a.0, b.0)) })
            }
            #[inline(always)]
            fn add(self, b: F4) -> Self {
                // SAFETY: SSE is part of x86-64.
                F4(unsafe { _mm_add_ps(self.0, b.0) })
            }
            #[inline(always)]
            fn sub(self, b: F4) -> Self {
                // SAFETY: SSE is part of x86-64.
                F4(unsafe { _mm_sub_ps(self.0, b.0) })
            }
            #[inline(always)]
            fn store(self, s: &mut [f32]) {
                let s = &mut s[..4];
                // SAFETY: as in load.
                unsafe { _mm_storeu_ps(s.as_mut_ptr(), self.0) }
            }
        }
    }
    // NEON is part of every aarch64 processor (phones, Apple silicon, Graviton): four lanes with
    // a fused multiply-add.
    #[cfg(target_arch = "aarch64")]
    mod imp {
        use core::arch::aarch64::*;
        #[derive(Clone, Copy)]
        pub struct F4(float32x4_t);
        impl super::super::Vector for F4 {
            const LANES: usize = 4;
            #[inline(always)]
            fn splat(x: f32) -> Self {
                // SAFETY: NEON is part of aarch64.
                F4(unsafe { vdupq_n_f32(x) })
            }
            #[inline(always)]
            fn load(s: &[f32]) -> Self {
                let s = &s[..4];
                // SAFETY: s has four floats; vld1q has no alignment requirement beyond f32's.
                F4(unsafe { vld1q_f32(s.as_ptr()) })
            }
            #[inline(always)]
            fn mul_add(self, a: F4, b: F4) -> Self {
                // SAFETY: NEON is part of aarch64.
                F4(unsafe { vfmaq_f32(self.0, a.0, b.0) })
            }
            #[inline(always)]
            fn add(self, b: F4) -> Self {
                // SAFETY: NEON is part of aarch64.
                F4(unsafe { vaddq_f32(self.0, b.0) })
            }
            #[inline(always)]
            fn sub(self, b: F4) -> Self {
                // SAFETY: NEON is part of aarch64.
                F4(unsafe { vsubq_f32(self.0, b.0) })
            }
            #[inline(always)]
            fn store(self, s: &mut [f32]) {
                let s = &mut s[..4];
                // SAFETY: as in load.
                unsafe { vst1q_f32(s.as_mut_ptr(), self.0) }
            }
        }
    }
    #[cfg(not(any(all(target_arch = "wasm32", target_feature = "simd128"), target_arch = "x86_64", target_arch = "aarch64")))]
    mod imp {
        #[derive(Clone, Copy)]
        pub struct F4([f32; 4]);
        impl super::super::Vector for F4 {
            const LANES: usize = 4;
            fn splat(x: f32) -> Self {
                F4([x; 4])
            }
            fn load(s: &[f32]) -> Self {
                F4([s[0], s[1], s[2], s[3]])
            }
            fn mul_add(self, a: F4, b: F4) -> Self {
                F4(std::array::from_fn(|i| self.0[i] + a.0[i] * b.0[i]))
            }
            fn add(self, b: F4) -> Self {
                F4(std::array::from_fn(|i| self.0[i] + b.0[i]))
            }
            fn sub(self, b: F4) -> Self {
                F4(std::array::from_fn(|i| self.0[i] - b.0[i]))
            }
            fn store(self, s: &mut [f32]) {
                s[..4].copy_from_slice(&self.0);
            }
        }
    }
    pub use imp::F4;
}

/// A wide x86-64 vector type over one register type and its intrinsics, and the entry points
/// that compile the kernels for it.
///
/// The type is only ever created inside its module's entry points, which are compiled with the
/// instruction set's features and called only after `Simd::detected` (or `available`) found
/// them: its methods are inlined there, and so run only on a processor that has the
/// instructions.
#[cfg(target_arch = "x86_64")]
macro_rules! x86_kernels {
    ($module:ident, $features:literal, $lanes:literal, $register:ident,
     $splat:ident, $load:ident, $fmadd:ident, $add:ident, $sub:ident, $store:ident) => {
        mod $module {
            use super::*;
            use core::arch::x86_64::*;

            #[derive(Clone, Copy)]
            pub struct Wide($register);
            impl Vector for Wide {
                const LANES: usize = $lanes;
                #[inline(always)]
                fn splat(x: f32) -> Self {
                    // SAFETY: see the macro: only reached on processors with these instructions.
                    Wide(unsafe { $splat(x) })
                }
                #[inline(always)]
                fn load(s: &[f32]) -> Self {
                    let s = &s[..$lanes];
                    // SAFETY: s has LANES floats, loadu has no alignment requirement.
                    Wide(unsafe { $load(s.as_ptr()) })
                }
                #[inline(always)]
                fn mul_add(self, a: Wide, b: Wide) -> Self {
                    // SAFETY: as in splat.
                    Wide(unsafe { $fmadd(a.0, b.0, self.0) })
                }
                #[inline(always)]
                fn add(self, b: Wide) -> Self {
                    // SAFETY: as in splat.
                    Wide(unsafe { $add(self.0, b.0) })
                }
                #[inline(always)]
                fn sub(self, b: Wide) -> Self {
                    // SAFETY: as in splat.
                    Wide(unsafe { $sub(self.0, b.0) })
                }
                #[inline(always)]
                fn store(self, s: &mut [f32]) {
                    let s = &mut s[..$lanes];
                    // SAFETY: as in load.
                    unsafe { $store(s.as_mut_ptr(), self.0) }
                }
            }

            /// The convolutions, the same generic code as the portable path compiled with
            /// these instructions.
            /// # Safety
            /// The processor must have the instructions (`Simd::detected` checks).
            #[target_feature(enable = $features)]
            pub unsafe fn conv2d_serial(
                algorithm: ConvAlgorithm,
                shape: &ConvShape,
                input: &[f32],
                weight: &[f32],
                bias: &[f32],
            ) -> Vec<f32> {
                conv2d_serial_with::<Wide>(algorithm, shape, input, weight, bias)
            }

            /// # Safety
            /// As `conv2d_serial`.
            #[target_feature(enable = $features)]
            pub(super) unsafe fn upsample_rows(job: &Upsampling, r0: usize, rows: usize) -> Vec<f32> {
                super::upsample_rows::<Wide>(job, r0, rows)
            }
        }
    };
}

// Eight lanes with fused multiply-add (AVX2 + FMA, x86-64 processors since 2013-2015).
#[cfg(target_arch = "x86_64")]
x86_kernels!(
    avx2_fma, "avx2,fma", 8, __m256,
    _mm256_set1_ps, _mm256_loadu_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_sub_ps, _mm256_storeu_ps
);
// Sixteen lanes (AVX-512F: Intel server chips since 2017, AMD since Zen 4).
#[cfg(target_arch = "x86_64")]
x86_kernels!(
    avx512, "avx512f,avx2,fma", 16, __m512,
    _mm512_set1_ps, _mm512_loadu_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_sub_ps, _mm512_storeu_ps
);

/// The vector instructions the CPU engine's kernels use, chosen at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Simd {
    /// Four lanes: SSE2 on x86-64, NEON (fused multiply-add) on aarch64, simd128 in wasm, plain
    /// arrays elsewhere. Runs everywhere.
    Lanes4,
    /// Eight lanes with fused multiply-add (x86-64 with AVX2 and FMA).
    Avx2Fma,
    /// Sixteen lanes with fused multiply-add (x86-64 with AVX-512F).
    Avx512,
}

impl Simd {
    /// The widest set this processor has, detected once. `ATELIER_SIMD=lanes4|avx2|avx512`
    /// picks a narrower one the processor has (for comparisons).
    pub fn detected() -> Simd {
        #[cfg(target_arch = "x86_64")]
        {
            static DETECTED: std::sync::OnceLock<Simd> = std::sync::OnceLock::new();
            *DETECTED.get_or_init(|| {
                let available = Simd::available();
                let forced = std::env::var("ATELIER_SIMD").ok().and_then(|name| Simd::named(&name));
                match forced {
                    Some(simd) if available.contains(&simd) => simd,
                    _ => available[available.len() - 1],
                }
            })
        }
        #[cfg(not(target_arch = "x86_64"))]
        Simd::Lanes4
    }

    /// Every set this processor can run, the portable one first (what the tests compare).
    pub fn available() -> Vec<Simd> {
        #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
        let mut sets = vec![Simd::Lanes4];
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            sets.push(Simd::Avx2Fma);
            if is_x86_feature_detected!("avx512f") {
                sets.push(Simd::Avx512);
            }
        }
        sets
    }

    /// The names `ATELIER_SIMD` takes: lanes4, avx2, avx512.
    pub fn named(name: &str) -> Option<Simd> {
        match name {
            "lanes4" => Some(Simd::Lanes4),
            "avx2" => Some(Simd::Avx2Fma),
            "avx512" => Some(Simd::Avx512),
            _ => None,
        }
    }

    /// In words, for benchmarks and the CLI's engine line.
    pub fn describe(self) -> &'static str {
        match self {
            Simd::Lanes4 if cfg!(target_arch = "wasm32") => "simd128, 4 lanes",
            Simd::Lanes4 if cfg!(target_arch = "x86_64") => "SSE2, 4 lanes",
            Simd::Lanes4 if cfg!(target_arch = "aarch64") => "NEON+FMA, 4 lanes",
            Simd::Lanes4 => "4 lanes",
            Simd::Avx2Fma => "AVX2+FMA, 8 lanes",
            Simd::Avx512 => "AVX-512, 16 lanes",
        }
    }
}

/// Direct convolution, stride 1: OB output channels x LANES*XV pixels of one row per register
/// block (OB * XV vector accumulators), over the whole kernel window and every input channel.
#[inline(always)]
fn direct<V: Vector, const OB: usize, const XV: usize>(
    shape: &ConvShape,
    input: &[f32],
    weight: &[f32],
    bias: &[f32],
) -> Vec<f32> {
    let &ConvShape { c_in, c_out, kh, kw, oh, ow, .. } = shape;
    let xb = V::LANES * XV;
    let ow_blocks = ow.div_ceil(xb);
    let (hp, wp) = (oh + kh - 1, ow_blocks * xb + kw - 1);
    let padded = zero_padded(shape, input, hp, wp);
    // Weights as [block][ci][ky][kx][OB], the missing channels of the last block zero.
    let blocks = c_out.div_ceil(OB);
    let taps = c_in * kh * kw;
    let mut packed = vec![0.0f32; blocks * taps * OB];
    for o in 0..c_out {
        for t in 0..taps {
            packed[((o / OB) * taps + t) * OB + o % OB] = weight[o * taps + t];
        }
    }
    let mut out = vec![0.0f32; c_out * oh * ow];
    let mut row_out = vec![0.0f32; xb];
    for block in 0..blocks {
        let weights = &packed[block * taps * OB..][..taps * OB];
        for y in 0..oh {
            for bx in 0..ow_blocks {
                let x0 = bx * xb;
                let mut acc = [[V::splat(0.0); XV]; OB];
                for (j, row) in acc.iter_mut().enumerate() {
                    *row = [V::splat(bias.get(block * OB + j).copied().unwrap_or(0.0)); XV];
                }
                for ci in 0..c_in {
                    for ky in 0..kh {
                        let line = &padded[(ci * hp + y + ky) * wp + x0..][..xb + kw - 1];
                        let taps_row = &weights[(ci * kh + ky) * kw * OB..][..kw * OB];
                        for kx in 0..kw {
                            let v: [V; XV] = load_vectors(&line[kx..]);
                            for (j, row) in acc.iter_mut().enumerate() {
                                let w = V::splat(taps_row[kx * OB + j]);
                                for (a, &x) in row.iter_mut().zip(&v) {
                                    *a = a.mul_add(w, x);
                                }
                            }
                        }
                    }
                }
                let valid = xb.min(ow - x0);
                for (j, row) in acc.iter().enumerate() {
                    let o = block * OB + j;
                    if o < c_out {
                        for (q, a) in row.iter().enumerate() {
                            a.store(&mut row_out[V::LANES * q..]);
                        }
                        out[(o * oh + y) * ow + x0..][..valid].copy_from_slice(&row_out[..valid]);
                    }
                }
            }
        }
    }
    out
}

/// Row-major `a` (m x k) as blocks of 4 rows, each stored column by column ([k][4]), the rows
/// past m zero: the layout `gemm_4x2v` reads.
fn pack_rows_by_4(a: &[f32], m: usize, k: usize) -> Vec<f32> {
    let mut packed = vec![0.0f32; m.div_ceil(4) * 4 * k];
    for i in 0..m {
        for p in 0..k {
            packed[((i / 4) * k + p) * 4 + i % 4] = a[i * k + p];
        }
    }
    packed
}

/// C (m x n, rows `ldc` apart) = A (m x k, packed by `pack_rows_by_4`) x B (k x n) + bias,
/// row-major: 4 rows x 2 vectors (8 or 16 columns) of C per register block, column panels
/// outermost so each panel of B stays in L1 while every block of rows passes over it.
#[allow(clippy::too_many_arguments)] // a BLAS-style signature: sizes, operands, output stride
#[inline(always)]
fn gemm_4x2v<V: Vector>(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    b: &[f32],
    bias: Option<&[f32]>,
    c: &mut [f32],
    ldc: usize,
) {
    let row_blocks = m.div_ceil(4);
    let width = 2 * V::LANES;
    // The panel of B, contiguous: B's rows are often 2^k floats apart, and reading a few floats
    // from each of k such rows would map them all to the same few L1 sets.
    let mut panel_b = vec![0.0f32; k * width];
    let mut j0 = 0;
    while j0 < n {
        let cols = width.min(n - j0);
        for p in 0..k {
            panel_b[p * width..p * width + cols].copy_from_slice(&b[p * n + j0..][..cols]);
        }
        for block in 0..row_blocks {
            let panel_a = &a[block * k * 4..][..k * 4];
            let mut acc = [[V::splat(0.0); 2]; 4];
            if let Some(bias) = bias {
                for (r, acc_row) in acc.iter_mut().enumerate() {
                    *acc_row = [V::splat(bias.get(block * 4 + r).copied().unwrap_or(0.0)); 2];
                }
            }
            for (w4, xs) in panel_a.chunks_exact(4).zip(panel_b.chunks_exact(width)) {
                let x = [V::load(xs), V::load(&xs[V::LANES..])];
                for (acc_row, &w) in acc.iter_mut().zip(w4) {
                    let w = V::splat(w);
                    acc_row[0] = acc_row[0].mul_add(w, x[0]);
                    acc_row[1] = acc_row[1].mul_add(w, x[1]);
                }
            }
            let mut values = [0.0f32; 2 * MAX_LANES];
            for (r, acc_row) in acc.iter().enumerate() {
                let i = block * 4 + r;
                if i < m {
                    acc_row[0].store(&mut values);
                    acc_row[1].store(&mut values[V::LANES..]);
                    c[i * ldc + j0..][..cols].copy_from_slice(&values[..cols]);
                }
            }
        }
        j0 += width;
    }
}

/// Floats of transformed tiles per band (1 MB): the band's tiles and products stay in the L2
/// cache (measured in wasm: the 64->32 layer at 128x128 took 21 ms in one 16 MB band).
const WINOGRAD_BAND_FLOATS: usize = 1 << 18;

/// Winograd F(4x4, 3x3)'s output tile: 4x4 outputs from a 6x6 input tile.
const TILE: usize = 4;
/// The input tile's side, and the transformed tile's: `TILE` + 2.
const WINDOW: usize = TILE + 2;
/// The transformed tile's elements: one matrix product each.
const PRODUCTS: usize = WINDOW * WINDOW;

/// G of F(4x4, 3x3) (Lavin & Gray 2015; interpolation points 0, 1, -1, 2, -2 and infinity)
/// applied to three values: [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6;
/// 1/24 -1/12 1/6; 0 0 1] (a, b, c).
#[inline(always)]
fn winograd_kernel_3(a: f64, b: f64, c: f64) -> [f64; WINDOW] {
    let (ends, middle) = (a + c, b);
    let (ends_at_2, middle_at_2) = (a / 24.0 + c / 6.0, b / 12.0);
    [a / 4.0, -(ends + middle) / 6.0, -(ends - middle) / 6.0, ends_at_2 + middle_at_2, ends_at_2 - middle_at_2, c]
}

/// Winograd F(4x4, 3x3)'s weights for `winograd_3x3`: U[k][o][c] = (G g G^T)[k] (in f64,
/// rounded once), each of the 36 [c_out x c_in] matrices packed for `gemm_4x2v`. Independent of
/// the instruction set. Made once per layer by the engine; once per call by `conv2d`.
pub fn winograd_weights(c_out: usize, c_in: usize, weight: &[f32]) -> Vec<f32> {
    let mut u = vec![0.0f32; PRODUCTS * c_out * c_in];
    for o in 0..c_out {
        for c in 0..c_in {
            let g = &weight[(o * c_in + c) * 9..][..9];
            let columns: [[f64; WINDOW]; 3] =
                [0, 1, 2].map(|col| winograd_kernel_3(g[col] as f64, g[3 + col] as f64, g[6 + col] as f64)); // G g, by column
            for i in 0..WINDOW {
                let row = winograd_kernel_3(columns[0][i], columns[1][i], columns[2][i]); // (G g G^T)[i]
                for (s, value) in row.into_iter().enumerate() {
                    u[((i * WINDOW + s) * c_out + o) * c_in + c] = value as f32;
                }
            }
        }
    }
    (0..PRODUCTS).flat_map(|k| pack_rows_by_4(&u[k * c_out * c_in..][..c_out * c_in], c_out, c_in)).collect()
}

/// B^T of F(4x4, 3x3), applied to six vectors (a column, or a row, of input tiles):
/// [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1].
#[inline(always)]
fn winograd_input_6<V: Vector>(d: [V; WINDOW]) -> [V; WINDOW] {
    let (two, minus_two, four, minus_four, minus_five) =
        (V::splat(2.0), V::splat(-2.0), V::splat(4.0), V::splat(-4.0), V::splat(-5.0));
    let d4_minus_d2 = d[4].sub(d[2]);
    let d3_minus_d1 = d[3].sub(d[1]);
    [
        d[4].mul_add(d[0], four).mul_add(d[2], minus_five),
        d[4].add(d[3]).mul_add(d[1].add(d[2]), minus_four),
        d[4].sub(d[3]).mul_add(d[1].sub(d[2]), four),
        d4_minus_d2.mul_add(d3_minus_d1, two),
        d4_minus_d2.mul_add(d3_minus_d1, minus_two),
        d[5].mul_add(d[1], four).mul_add(d[3], minus_five),
    ]
}

/// A^T of F(4x4, 3x3), applied to six vectors: [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0;
/// 0 1 -1 8 -8 1].
#[inline(always)]
fn winograd_output_6<V: Vector>(m: [V; WINDOW]) -> [V; TILE] {
    let (m1_plus_m2, m1_minus_m2) = (m[1].add(m[2]), m[1].sub(m[2]));
    let (m3_plus_m4, m3_minus_m4) = (m[3].add(m[4]), m[3].sub(m[4]));
    [
        m[0].add(m1_plus_m2).add(m3_plus_m4),
        m1_minus_m2.mul_add(m3_minus_m4, V::splat(2.0)),
        m1_plus_m2.mul_add(m3_plus_m4, V::splat(4.0)),
        m1_minus_m2.mul_add(m3_minus_m4, V::splat(8.0)).add(m[5]),
    ]
}

/// Winograd F(4x4, 3x3) (Lavin & Gray 2015): per 6x6 input tile d and 3x3 kernel g, the 4x4
/// output is A^T [(G g G^T) * (B^T d B)] A, and the elementwise product over channels becomes
/// 36 matrix products [c_out x c_in] x [c_in x tiles]: 36 multiplies per 16 outputs where F(2x2,
/// 3x3) did 16 per 4 and the definition 9 per output. `packed_u` from `winograd_weights`.
#[allow(clippy::needless_range_loop)] // the transforms read best as the matrices they are
#[inline(always)]
fn winograd_3x3<V: Vector>(shape: &ConvShape, input: &[f32], packed_u: &[f32], bias: &[f32]) -> Vec<f32> {
    let &ConvShape { c_in, c_out, oh, ow, .. } = shape;
    let (tiles_y, tiles_x) = (oh.div_ceil(TILE), ow.div_ceil(TILE));
    // One tile's worth of zero columns past the last tile's window, so that every row splits into
    // `TILE` phases of `tiles_x + 1` elements.
    let (hp, wp) = (TILE * tiles_y + 2, TILE * (tiles_x + 1));
    let padded = zero_padded(shape, input, hp, wp);

    let mut out = vec![0.0f32; c_out * oh * ow];
    let band_rows = (WINOGRAD_BAND_FLOATS / (PRODUCTS * c_in.max(c_out) * tiles_x).max(1)).clamp(1, tiles_y);
    let mut v = vec![0.0f32; PRODUCTS * c_in * band_rows * tiles_x];
    let mut m = vec![0.0f32; PRODUCTS * c_out * band_rows * tiles_x];
    // Six padded rows split into their elements 4t + p (phase p); four output rows' phases.
    let mut split_rows = vec![[(); TILE].map(|_| vec![0.0f32; tiles_x + 1]); WINDOW];
    let mut split_out = vec![[(); TILE].map(|_| vec![0.0f32; tiles_x]); TILE];
    for ty0 in (0..tiles_y).step_by(band_rows) {
        let rows = band_rows.min(tiles_y - ty0);
        let tiles = rows * tiles_x;
        // V[k][c][tile] = (B^T d B)[k], a vector of neighbouring tiles at a time: tile t's columns
        // 0..6 are the padded row's elements 4t..4t+6, i.e. phase 0, 1, 2, 3 at t and phase 0, 1
        // at t + 1: contiguous loads.
        for c in 0..c_in {
            let plane = &padded[c * hp * wp..][..hp * wp];
            for ty in 0..rows {
                let top = TILE * (ty0 + ty);
                for r in 0..WINDOW {
                    let row = &plane[(top + r) * wp..][..wp];
                    for (t, quad) in row.chunks_exact(TILE).enumerate() {
                        for p in 0..TILE {
                            split_rows[r][p][t] = quad[p];
                        }
                    }
                }
                let tile0 = ty * tiles_x;
                for t in (0..tiles_x).step_by(V::LANES) {
                    let n = tiles_x - t;
                    let mut bd = [[V::splat(0.0); WINDOW]; WINDOW]; // bd[col][r] = (B^T d)[r][col]
                    for col in 0..WINDOW {
                        let (phase, shift) = (col % TILE, col / TILE);
                        let mut column = [V::splat(0.0); WINDOW];
                        for r in 0..WINDOW {
                            column[r] = load_part(&split_rows[r][phase][t + shift..][..n]);
                        }
                        bd[col] = winograd_input_6(column);
                    }
                    for r in 0..WINDOW {
                        let mut row = [V::splat(0.0); WINDOW];
                        for col in 0..WINDOW {
                            row[col] = bd[col][r];
                        }
                        for (s, value) in winograd_input_6(row).into_iter().enumerate() {
                            let start = ((r * WINDOW + s) * c_in + c) * tiles + tile0 + t;
                            store_part(value, &mut v[start..][..n.min(V::LANES)]);
                        }
                    }
                }
            }
        }
        for k in 0..PRODUCTS {
            let (a, b) = (&packed_u[k * c_out.div_ceil(4) * 4 * c_in..], &v[k * c_in * tiles..][..c_in * tiles]);
            gemm_4x2v::<V>(c_out, c_in, tiles, a, b, None, &mut m[k * c_out * tiles..][..c_out * tiles], tiles);
        }
        // Y = A^T M A plus the bias, a vector of tiles at a time: each gives the four phases of
        // four output rows, interleaved after; tiles past the edge cropped.
        for o in 0..c_out {
            let plane = &mut out[o * oh * ow..][..oh * ow];
            let b = V::splat(bias[o]);
            for ty in 0..rows {
                let (tile0, y) = (ty * tiles_x, TILE * (ty0 + ty));
                for t in (0..tiles_x).step_by(V::LANES) {
                    let n = tiles_x - t;
                    let mut am = [[V::splat(0.0); TILE]; WINDOW]; // am[s][r] = (A^T M)[r][s]
                    for s in 0..WINDOW {
                        let mut column = [V::splat(0.0); WINDOW];
                        for r in 0..WINDOW {
                            column[r] = load_part(&m[((r * WINDOW + s) * c_out + o) * tiles + tile0 + t..][..n]);
                        }
                        am[s] = winograd_output_6(column);
                    }
                    for r in 0..TILE {
                        let mut row = [V::splat(0.0); WINDOW];
                        for s in 0..WINDOW {
                            row[s] = am[s][r];
                        }
                        for (p, value) in winograd_output_6(row).into_iter().enumerate() {
                            store_part(value.add(b), &mut split_out[r][p][t..][..n.min(V::LANES)]);
                        }
                    }
                }
                for (r, phases) in split_out.iter().enumerate() {
                    if y + r < oh {
                        for (x, value) in plane[(y + r) * ow..][..ow].iter_mut().enumerate() {
                            *value = phases[x % TILE][x / TILE];
                        }
                    }
                }
            }
        }
    }
    out
}

/// im2col buffer budget per band, in floats (4 MB).
const IM2COL_BAND_FLOATS: usize = 1 << 20;

/// im2col in row bands (so the column buffer stays small for big pictures) + `gemm_4x2v`.
#[inline(always)]
fn im2col<V: Vector>(shape: &ConvShape, input: &[f32], weight: &[f32], bias: &[f32]) -> Vec<f32> {
    let &ConvShape { c_in, h, w, c_out, kh, kw, oh, ow, .. } = shape;
    let (pt, pl) = (shape.pad_top as isize, shape.pad_left as isize);
    let (sh, sw) = (shape.stride.0 as isize, shape.stride.1 as isize);
    let (dh, dw) = (shape.dilation.0 as isize, shape.dilation.1 as isize);
    let k = c_in * kh * kw;
    let plane = oh * ow;
    let packed = pack_rows_by_4(weight, c_out, k);
    let mut out = vec![0.0f32; c_out * plane];
    let band_rows = (IM2COL_BAND_FLOATS / (k * ow).max(1)).clamp(1, oh.max(1));
    let mut columns = vec![0.0f32; k * band_rows * ow];
    for row0 in (0..oh).step_by(band_rows) {
        let rows = band_rows.min(oh - row0);
        let n = rows * ow;
        // columns[k_index][pixel], pixel = (row - row0) * ow + col
        for ci in 0..c_in {
            for ky in 0..kh {
                for kx in 0..kw {
                    let kidx = (ci * kh + ky) * kw + kx;
                    let dst = &mut columns[kidx * n..(kidx + 1) * n];
                    for r in 0..rows {
                        let iy = (row0 + r) as isize * sh - pt + ky as isize * dh;
                        let line = &mut dst[r * ow..(r + 1) * ow];
                        if iy < 0 || iy >= h as isize {
                            line.fill(0.0);
                            continue;
                        }
                        let src_row = shape.input_row(input, ci, iy as usize);
                        for (col, value) in line.iter_mut().enumerate() {
                            let ix = col as isize * sw - pl + kx as isize * dw;
                            *value = if ix >= 0 && ix < w as isize { src_row[ix as usize] } else { 0.0 };
                        }
                    }
                }
            }
        }
        gemm_4x2v::<V>(c_out, k, n, &packed, &columns[..k * n], Some(bias), &mut out[row0 * ow..], plane);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The input gradient is the adjoint of the convolution: <conv(x), g> = <x, grad(g)> for
    /// every x and g (bias zero), at shapes that run each algorithm forward and backward,
    /// strides 1 and 2, odd sizes (where a stride-2 layer drops its last row).
    #[test]
    fn input_grad_is_the_adjoint_of_the_convolution() {
        for &(c_in, c_out, k, stride, h, w) in
            &[(3, 16, 9, 1, 13, 11), (16, 32, 3, 2, 17, 14), (32, 32, 3, 1, 12, 10), (64, 64, 3, 1, 9, 8), (16, 3, 9, 1, 10, 12), (8, 12, 3, 2, 8, 9)]
        {
            let pad = k / 2;
            let shape = ConvShape {
                c_in,
                h,
                w,
                c_out,
                kh: k,
                kw: k,
                oh: (h + 2 * pad - k) / stride + 1,
                ow: (w + 2 * pad - k) / stride + 1,
                pad_top: pad,
                pad_left: pad,
                stride: (stride, stride),
                dilation: (1, 1),
                input_row0: 0,
                input_plane_rows: h,
            };
            let x: Vec<f32> = (0..c_in * h * w).map(|i| ((i as f32) * 0.731).sin()).collect();
            let weight: Vec<f32> = (0..c_out * c_in * k * k).map(|i| ((i as f32) * 0.377).cos() * 0.2).collect();
            let g: Vec<f32> = (0..c_out * shape.oh * shape.ow).map(|i| ((i as f32) * 0.193).sin()).collect();
            let y = conv2d(&shape, &x, &weight, &vec![0.0; c_out]);
            let back = conv2d_input_grad(&shape, &g, &weight);
            assert_eq!(back.len(), x.len());
            let lhs: f64 = y.iter().zip(&g).map(|(&a, &b)| a as f64 * b as f64).sum();
            let rhs: f64 = x.iter().zip(&back).map(|(&a, &b)| a as f64 * b as f64).sum();
            assert!((lhs - rhs).abs() <= 1e-4 * lhs.abs().max(1.0), "{c_in}->{c_out} k{k} s{stride} {h}x{w}: {lhs} vs {rhs}");
        }
    }

    /// The definition, in f64: the reference every algorithm must match.
    fn reference(s: &ConvShape, input: &[f32], weight: &[f32], bias: &[f32]) -> Vec<f32> {
        let mut out = vec![0.0f32; s.c_out * s.oh * s.ow];
        for o in 0..s.c_out {
            for y in 0..s.oh {
                for x in 0..s.ow {
                    let mut acc = bias[o] as f64;
                    for c in 0..s.c_in {
                        for ky in 0..s.kh {
                            for kx in 0..s.kw {
                                let iy = (y * s.stride.0 + ky * s.dilation.0) as isize - s.pad_top as isize;
                                let ix = (x * s.stride.1 + kx * s.dilation.1) as isize - s.pad_left as isize;
                                if iy >= 0 && ix >= 0 && (iy as usize) < s.h && (ix as usize) < s.w {
                                    acc += input[(c * s.h + iy as usize) * s.w + ix as usize] as f64
                                        * weight[((o * s.c_in + c) * s.kh + ky) * s.kw + kx] as f64;
                                }
                            }
                        }
                    }
                    out[(o * s.oh + y) * s.ow + x] = acc as f32;
                }
            }
        }
        out
    }

    /// Deterministic values in -1..1 without a random number crate.
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2654435761).wrapping_add(12345);
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state as f32 / u32::MAX as f32) * 2.0 - 1.0
            })
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn shape(
        c_in: usize,
        h: usize,
        w: usize,
        c_out: usize,
        k: usize,
        pad: usize,
        stride: usize,
        oh: usize,
        ow: usize,
    ) -> ConvShape {
        ConvShape {
            c_in,
            h,
            w,
            c_out,
            kh: k,
            kw: k,
            oh,
            ow,
            pad_top: pad,
            pad_left: pad,
            stride: (stride, stride),
            dilation: (1, 1),
            input_row0: 0,
            input_plane_rows: h,
        }
    }

    fn check(algorithm: ConvAlgorithm, s: ConvShape) {
        // Sums of up to c_in * 81 products of values in -1..1: f32 rounding is ~1e-5 here.
        check_within(algorithm, s, 2e-4)
    }

    fn check_within(algorithm: ConvAlgorithm, s: ConvShape, bound: f32) {
        let input = values(s.c_in * s.h * s.w, 1);
        let weight = values(s.c_out * s.c_in * s.kh * s.kw, 2);
        let bias = values(s.c_out, 3);
        let want = reference(&s, &input, &weight, &bias);
        // Every instruction set this processor has: the portable kernels are tested here even
        // where the engine would pick wider ones.
        for simd in Simd::available() {
            let got = conv2d_serial_on(simd, algorithm, &s, &input, &weight, &bias);
            assert_eq!(got.len(), want.len());
            let worst = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            let largest = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!(worst < bound, "{simd:?} {algorithm:?} {s:?}: worst difference {worst} (largest value {largest})");
        }
    }

    #[test]
    fn every_algorithm_matches_the_definition() {
        // Odd sizes, so blocks and tiles are cut at the right and bottom edges.
        let same_3x3 = shape(17, 13, 11, 19, 3, 1, 1, 13, 11);
        for algorithm in [ConvAlgorithm::Winograd, ConvAlgorithm::Direct, ConvAlgorithm::Im2col] {
            check(algorithm, same_3x3);
        }
        let first_9x9 = shape(3, 21, 19, 16, 9, 4, 1, 21, 19);
        let last_9x9 = shape(16, 21, 19, 3, 9, 4, 1, 21, 19);
        for s in [first_9x9, last_9x9] {
            check(ConvAlgorithm::Direct, s);
            check(ConvAlgorithm::Im2col, s);
        }
        check(ConvAlgorithm::Im2col, shape(16, 20, 18, 32, 3, 1, 2, 10, 9));
        // Wider than one 8-lane register block and its two-vector gemm panel, cut at the edge.
        check(ConvAlgorithm::Direct, shape(4, 9, 45, 5, 3, 1, 1, 9, 45));
        check(ConvAlgorithm::Im2col, shape(8, 11, 37, 9, 3, 1, 1, 11, 37));
        check(ConvAlgorithm::Winograd, shape(16, 9, 37, 20, 3, 1, 1, 9, 37));
        // The residual blocks' width, 576 products a sum (values up to ~34): F(4x4, 3x3)'s
        // transforms scale terms by up to 25 each way (B^T's 4 and 5, A^T's 8), so its rounding
        // reaches ~2e-4 here (6e-6 of the largest value), past the narrower layers' bound.
        check_within(ConvAlgorithm::Winograd, shape(64, 18, 23, 64, 3, 1, 1, 18, 23), 1e-3);
    }

    /// The engine transforms Winograd weights once per layer; the result is the same bits as
    /// transforming them on every call, in one pass and in bands.
    #[test]
    fn prepared_winograd_weights_give_the_same_bits() {
        let s = shape(17, 37, 11, 19, 3, 1, 1, 37, 11);
        let (input, weight, bias) = (values(s.c_in * s.h * s.w, 3), values(s.c_out * s.c_in * 9, 4), values(s.c_out, 5));
        let packed = winograd_weights(s.c_out, s.c_in, &weight);
        for threads in [1, 3] {
            let raw = conv2d_in_bands(ConvAlgorithm::Winograd, &s, &input, &weight, &bias, threads);
            let prepared = conv2d_in_bands(ConvAlgorithm::WinogradPrepared, &s, &input, &packed, &bias, threads);
            assert!(raw.iter().zip(&prepared).all(|(a, b)| a.to_bits() == b.to_bits()), "{threads} threads");
        }
    }

    #[test]
    fn the_portable_kernels_are_always_available() {
        assert_eq!(Simd::available()[0], Simd::Lanes4);
        assert!(Simd::available().contains(&Simd::detected()));
    }

    /// Bands of output rows on several threads give exactly the one-pass result, for every
    /// algorithm, padding at the top and bottom, stride 2, odd heights and uneven last bands.
    #[test]
    fn threaded_bands_are_bit_identical_to_one_pass() {
        let cases = [
            (ConvAlgorithm::Winograd, shape(17, 37, 11, 19, 3, 1, 1, 37, 11)),
            (ConvAlgorithm::Direct, shape(3, 41, 19, 16, 9, 4, 1, 41, 19)),
            (ConvAlgorithm::Direct, shape(16, 33, 19, 3, 9, 4, 1, 33, 19)),
            (ConvAlgorithm::Im2col, shape(16, 40, 18, 32, 3, 1, 2, 20, 9)),
            (ConvAlgorithm::Im2col, shape(8, 29, 18, 12, 3, 1, 1, 29, 18)),
        ];
        for (algorithm, s) in cases {
            let input = values(s.c_in * s.h * s.w, 7);
            let weight = values(s.c_out * s.c_in * s.kh * s.kw, 8);
            let bias = values(s.c_out, 9);
            let one_pass = conv2d_serial(algorithm, &s, &input, &weight, &bias);
            for threads in [2, 3, 5] {
                let banded = conv2d_in_bands(algorithm, &s, &input, &weight, &bias, threads);
                assert!(banded == one_pass, "{algorithm:?} {s:?} on {threads} threads differs");
            }
        }
    }

    /// Every instruction set, on one thread and in bands: the definition's values, and the
    /// same bits whatever the bands.
    #[test]
    fn upsampling_then_convolving_matches_the_definition() {
        for (c_in, h, w, c_out) in [(5, 7, 6, 6), (3, 13, 37, 5), (16, 9, 19, 8)] {
            let input = values(c_in * h * w, 4);
            let weight = values(c_out * c_in * 9, 5);
            let bias = values(c_out, 6);
            let upsampled: Vec<f32> = (0..c_in * 4 * h * w)
                .map(|i| {
                    let (c, y, x) = (i / (4 * h * w), (i / (2 * w)) % (2 * h), i % (2 * w));
                    input[(c * h + y / 2) * w + x / 2]
                })
                .collect();
            let want =
                reference(&shape(c_in, 2 * h, 2 * w, c_out, 3, 1, 1, 2 * h, 2 * w), &upsampled, &weight, &bias);
            for simd in Simd::available() {
                let one = upsample2_conv3x3_on(simd, 1, c_in, h, w, &input, &weight, &bias);
                let worst = one.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
                assert!(worst < 1e-4, "{simd:?} {c_in}x{h}x{w}->{c_out}: worst difference {worst}");
                for threads in [2, 3] {
                    let banded = upsample2_conv3x3_on(simd, threads, c_in, h, w, &input, &weight, &bias);
                    assert!(banded == one, "{simd:?} on {threads} threads differs");
                }
            }
        }
    }

    #[test]
    fn each_layer_of_the_generator_gets_its_algorithm() {
        let layers = [
            ("residual 64->64 3x3", shape(64, 64, 64, 64, 3, 1, 1, 64, 64), ConvAlgorithm::Winograd),
            ("upsampling 32->16 3x3", shape(32, 256, 256, 16, 3, 1, 1, 256, 256), ConvAlgorithm::Direct),
            ("first 3->16 9x9", shape(3, 256, 256, 16, 9, 4, 1, 256, 256), ConvAlgorithm::Direct),
            ("last 16->3 9x9", shape(16, 256, 256, 3, 9, 4, 1, 256, 256), ConvAlgorithm::Direct),
            ("downsampling 16->32 stride 2", shape(16, 256, 256, 32, 3, 1, 2, 128, 128), ConvAlgorithm::Im2col),
            // 16 tiles for 512 output channels: Winograd's weights would outweigh its savings.
            ("the loss network's conv4_1 at 16x16", shape(256, 16, 16, 512, 3, 1, 1, 16, 16), ConvAlgorithm::Im2col),
            ("residual 64->64 3x3 at 32x32 (64 tiles)", shape(64, 32, 32, 64, 3, 1, 1, 32, 32), ConvAlgorithm::Winograd),
        ];
        for (layer, s, algorithm) in layers {
            assert_eq!(s.algorithm(), algorithm, "{layer}");
        }
    }
}
