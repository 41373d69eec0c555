//! Reductions: `numjit::internals::reduce` for every reduction × dtype × axis against
//! hand-written loops (exact for integers and bools; floats bit-for-bit against an independent
//! pairwise reference and within n·ε of a compensated sum, and bit-identical to NumPy's
//! `np.sum` for contiguous 1-D arrays), NaN, signed zeros, empties, NumPy's error messages and
//! thread-count determinism; then reductions inside expressions and scripts through the API
//! (against computing the reduction separately, carets, no partial writes), and the core
//! computations of examples/monte_carlo_pi.rs and examples/area_under_curve.rs at small n.

use ndarray::{ArrayD, Axis, IxDyn, ShapeBuilder};
use numjit::internals::syntax::ast::ReduceOp;
use numjit::internals::{reduce, result_dtype, result_shape, BLOCK};
use numjit::{Array, Complex64, DType, Schedule};

const OPS: [ReduceOp; 4] = [ReduceOp::Sum, ReduceOp::Prod, ReduceOp::Min, ReduceOp::Max];

/// SplitMix64, as numjit's `random`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float64 of varied magnitude, exactly as `tests/gen.py` would make it: a 53-bit
    /// uniform in [-0.5, 0.5) times 2**(0..32 - 10).
    fn f64(&mut self) -> f64 {
        let z = self.next();
        let u = (z >> 11) as f64 * 2f64.powi(-53) - 0.5;
        u * 2f64.powi((z & 31) as i32 - 10)
    }

    /// A float32 made the same way with 24 bits.
    fn f32(&mut self) -> f32 {
        let z = self.next();
        let u = (z >> 40) as f64 * 2f64.powi(-24) - 0.5;
        (u * 2f64.powi((z & 15) as i32 - 5)) as f32
    }
}

fn sched(threads: usize) -> Schedule {
    Schedule {
        threads: Some(threads),
        chunk: 1024,
        serial_below: 0,
        ..Default::default()
    }
}

/// An array of `dtype` and `shape` with varied values; with `specials`, floats include NaN,
/// ±inf and ±0 and ints their extremes.
fn make(dtype: DType, shape: &[usize], seed: u64, specials: bool) -> Array {
    let n: usize = shape.iter().product();
    let mut r = Rng(seed);
    let sh = IxDyn(shape);
    let fspecial = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0];
    let special = |r: &mut Rng| specials && r.next().is_multiple_of(5);
    let a = match dtype {
        DType::Bool => Array::Bool(ArrayD::from_shape_fn(sh, |_| r.next().is_multiple_of(3))),
        DType::Int32 => Array::Int32(ArrayD::from_shape_fn(sh, |_| {
            let z = r.next();
            if specials && z.is_multiple_of(4) {
                [i32::MIN, i32::MAX, -1, 0][(z >> 8) as usize % 4]
            } else {
                (z >> 32) as i32 % 1000
            }
        })),
        DType::Int64 => Array::Int64(ArrayD::from_shape_fn(sh, |_| {
            let z = r.next();
            if specials && z.is_multiple_of(4) {
                [i64::MIN, i64::MAX, -1, 0][(z >> 8) as usize % 4]
            } else {
                (z >> 40) as i64 % 100_000 - 50_000
            }
        })),
        DType::Float32 => Array::Float32(ArrayD::from_shape_fn(sh, |_| {
            if special(&mut r) {
                fspecial[r.next() as usize % 5] as f32
            } else {
                r.f32()
            }
        })),
        DType::Float64 => Array::Float64(ArrayD::from_shape_fn(sh, |_| {
            if special(&mut r) {
                fspecial[r.next() as usize % 5]
            } else {
                r.f64()
            }
        })),
        DType::Complex128 => Array::Complex128(ArrayD::from_shape_fn(sh, |_| {
            let re = if special(&mut r) {
                fspecial[r.next() as usize % 5]
            } else {
                r.f64()
            };
            let im = if special(&mut r) {
                fspecial[r.next() as usize % 5]
            } else {
                r.f64()
            };
            Complex64::new(re, im)
        })),
        DType::Bytes(_) => unreachable!("byte strings are never reduced"),
    };
    assert_eq!(a.len(), n);
    a
}

// Reference pairwise sums, written after NumPy's C code (index loops over a strided buffer)
// independently of numjit's.

fn ref_pairwise_f64(a: &[f64], start: usize, n: usize) -> f64 {
    if n < 8 {
        let mut res = -0.0;
        for i in 0..n {
            res += a[start + i];
        }
        res
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        for (k, rk) in r.iter_mut().enumerate() {
            *rk = a[start + k];
        }
        let mut i = 8;
        while i < n - (n % 8) {
            for (k, rk) in r.iter_mut().enumerate() {
                *rk += a[start + i + k];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[start + i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        ref_pairwise_f64(a, start, n2) + ref_pairwise_f64(a, start + n2, n - n2)
    }
}

fn ref_pairwise_f32(a: &[f32], start: usize, n: usize) -> f32 {
    if n < 8 {
        let mut res = -0.0f32;
        for i in 0..n {
            res += a[start + i];
        }
        res
    } else if n <= 128 {
        let mut r = [0.0f32; 8];
        for (k, rk) in r.iter_mut().enumerate() {
            *rk = a[start + k];
        }
        let mut i = 8;
        while i < n - (n % 8) {
            for (k, rk) in r.iter_mut().enumerate() {
                *rk += a[start + i + k];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[start + i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        ref_pairwise_f32(a, start, n2) + ref_pairwise_f32(a, start + n2, n - n2)
    }
}

/// NumPy's complex pairwise sum over interleaved (re, im) reals: `n` reals from `start`.
fn ref_pairwise_c(a: &[f64], start: usize, n: usize) -> (f64, f64) {
    if n < 8 {
        let (mut rr, mut ri) = (-0.0, -0.0);
        let mut i = 0;
        while i < n {
            rr += a[start + i];
            ri += a[start + i + 1];
            i += 2;
        }
        (rr, ri)
    } else if n <= 128 {
        let mut r = [0.0f64; 8];
        for (k, rk) in r.iter_mut().enumerate() {
            *rk = a[start + k];
        }
        let mut i = 8;
        while i < n - (n % 8) {
            for (k, rk) in r.iter_mut().enumerate() {
                *rk += a[start + i + k];
            }
            i += 8;
        }
        let mut rr = (r[0] + r[2]) + (r[4] + r[6]);
        let mut ri = (r[1] + r[3]) + (r[5] + r[7]);
        while i < n {
            rr += a[start + i];
            ri += a[start + i + 1];
            i += 2;
        }
        (rr, ri)
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        let (a1, b1) = ref_pairwise_c(a, start, n2);
        let (a2, b2) = ref_pairwise_c(a, start + n2, n - n2);
        (a1 + a2, b1 + b2)
    }
}

fn first_nan<T: Copy>(lane: &[T], is_nan: impl Fn(T) -> bool) -> Option<T> {
    lane.iter().copied().find(|&x| is_nan(x))
}

/// The reference result of `op` over one lane (in order), as a 0-d array of the result dtype.
fn ref_lane(op: ReduceOp, lane: &Array) -> Array {
    use ReduceOp::*;
    let one = |a: Array| a;
    if matches!(op, Any | All) {
        // Nonzero is true; NaN is nonzero; a complex number is nonzero if a part is.
        let truth: Vec<bool> = match lane {
            Array::Bool(x) => x.iter().copied().collect(),
            Array::Int32(x) => x.iter().map(|&v| v != 0).collect(),
            Array::Int64(x) => x.iter().map(|&v| v != 0).collect(),
            Array::Float32(x) => x.iter().map(|&v| v != 0.0).collect(),
            Array::Float64(x) => x.iter().map(|&v| v != 0.0).collect(),
            Array::Complex128(x) => x.iter().map(|v| v.re != 0.0 || v.im != 0.0).collect(),
        };
        let r = if op == All {
            truth.iter().all(|&t| t)
        } else {
            truth.iter().any(|&t| t)
        };
        return Array::Bool(ndarray::arr0(r).into_dyn());
    }
    if op == Mean {
        let n = lane.len();
        // NumPy: bool and integers summed in float64, float32 in float32; then divided by n.
        let f64_mean = |v: Vec<f64>| {
            let s = 0.0 + ref_pairwise_f64(&v, 0, v.len());
            Array::Float64(ndarray::arr0(s / n as f64).into_dyn())
        };
        return match lane {
            Array::Bool(x) => f64_mean(x.iter().map(|&b| b as u8 as f64).collect()),
            Array::Int32(x) => f64_mean(x.iter().map(|&b| b as f64).collect()),
            Array::Int64(x) => f64_mean(x.iter().map(|&b| b as f64).collect()),
            Array::Float64(x) => f64_mean(x.iter().copied().collect()),
            Array::Float32(x) => {
                let v: Vec<f32> = x.iter().copied().collect();
                let s = 0.0 + ref_pairwise_f32(&v, 0, v.len());
                Array::Float32(ndarray::arr0(s / n as f32).into_dyn())
            }
            Array::Complex128(x) => {
                let flat: Vec<f64> = x.iter().flat_map(|z| [z.re, z.im]).collect();
                let (rr, ri) = ref_pairwise_c(&flat, 0, flat.len());
                let (ar, ai) = (0.0 + rr, 0.0 + ri);
                // NumPy's complex division (Smith's) by n + 0j, written out.
                let (br, bi) = (n as f64, 0.0f64);
                let z = if br == 0.0 {
                    Complex64::new(ar / br, ai / br)
                } else {
                    let rat = bi / br;
                    let scl = 1.0 / (br + bi * rat);
                    Complex64::new((ar + ai * rat) * scl, (ai - ar * rat) * scl)
                };
                Array::Complex128(ndarray::arr0(z).into_dyn())
            }
        };
    }
    match lane {
        Array::Bool(x) => {
            let v: Vec<bool> = x.iter().copied().collect();
            match op {
                Mean | Any | All => unreachable!("handled above"),
                Sum => scalar_i64(v.iter().filter(|&&b| b).count() as i64),
                Prod => scalar_i64(v.iter().all(|&b| b) as i64),
                Min => one(Array::Bool(ndarray::arr0(v.iter().all(|&b| b)).into_dyn())),
                Max => one(Array::Bool(ndarray::arr0(v.iter().any(|&b| b)).into_dyn())),
            }
        }
        Array::Int32(x) => {
            let v: Vec<i64> = x.iter().map(|&b| b as i64).collect();
            match op {
                Mean | Any | All => unreachable!("handled above"),
                Sum => scalar_i64(v.iter().fold(0i64, |s, &b| s.wrapping_add(b))),
                Prod => scalar_i64(v.iter().fold(1i64, |s, &b| s.wrapping_mul(b))),
                Min => Array::Int32(ndarray::arr0(*v.iter().min().unwrap() as i32).into_dyn()),
                Max => Array::Int32(ndarray::arr0(*v.iter().max().unwrap() as i32).into_dyn()),
            }
        }
        Array::Int64(x) => {
            let v: Vec<i64> = x.iter().copied().collect();
            match op {
                Mean | Any | All => unreachable!("handled above"),
                Sum => scalar_i64(v.iter().fold(0i64, |s, &b| s.wrapping_add(b))),
                Prod => scalar_i64(v.iter().fold(1i64, |s, &b| s.wrapping_mul(b))),
                Min => scalar_i64(*v.iter().min().unwrap()),
                Max => scalar_i64(*v.iter().max().unwrap()),
            }
        }
        Array::Float64(x) => {
            let v: Vec<f64> = x.iter().copied().collect();
            let r = match op {
                Mean | Any | All => unreachable!("handled above"),
                Sum => 0.0 + ref_pairwise_f64(&v, 0, v.len()),
                Prod => v.iter().fold(1.0, |p, &b| p * b),
                Min => first_nan(&v, f64::is_nan)
                    .unwrap_or_else(|| *v.iter().min_by(|a, b| a.total_cmp(b)).unwrap()),
                Max => first_nan(&v, f64::is_nan)
                    .unwrap_or_else(|| *v.iter().max_by(|a, b| a.total_cmp(b)).unwrap()),
            };
            Array::Float64(ndarray::arr0(r).into_dyn())
        }
        Array::Float32(x) => {
            let v: Vec<f32> = x.iter().copied().collect();
            let r = match op {
                Mean | Any | All => unreachable!("handled above"),
                Sum => 0.0 + ref_pairwise_f32(&v, 0, v.len()),
                Prod => v.iter().fold(1.0, |p, &b| p * b),
                Min => first_nan(&v, f32::is_nan)
                    .unwrap_or_else(|| *v.iter().min_by(|a, b| a.total_cmp(b)).unwrap()),
                Max => first_nan(&v, f32::is_nan)
                    .unwrap_or_else(|| *v.iter().max_by(|a, b| a.total_cmp(b)).unwrap()),
            };
            Array::Float32(ndarray::arr0(r).into_dyn())
        }
        Array::Complex128(x) => {
            let v: Vec<Complex64> = x.iter().copied().collect();
            let nan = |z: Complex64| z.re.is_nan() || z.im.is_nan();
            let gt = |a: Complex64, b: Complex64| a.re > b.re || (a.re == b.re && a.im > b.im);
            let r = match op {
                Mean | Any | All => unreachable!("handled above"),
                Sum => {
                    let flat: Vec<f64> = v.iter().flat_map(|z| [z.re, z.im]).collect();
                    let (rr, ri) = ref_pairwise_c(&flat, 0, flat.len());
                    Complex64::new(0.0 + rr, 0.0 + ri)
                }
                Prod => v.iter().fold(Complex64::new(1.0, 0.0), |p, &q| {
                    Complex64::new(p.re * q.re - p.im * q.im, p.re * q.im + p.im * q.re)
                }),
                Min => first_nan(&v, nan).unwrap_or_else(|| {
                    v.iter()
                        .copied()
                        .fold(v[0], |b, z| if gt(b, z) { z } else { b })
                }),
                Max => first_nan(&v, nan).unwrap_or_else(|| {
                    v.iter()
                        .copied()
                        .fold(v[0], |b, z| if gt(z, b) { z } else { b })
                }),
            };
            Array::Complex128(ndarray::arr0(r).into_dyn())
        }
    }
}

fn scalar_i64(v: i64) -> Array {
    Array::Int64(ndarray::arr0(v).into_dyn())
}

/// The reference reduction: `ref_lane` over ndarray's own lanes (or all elements).
fn reference(a: &Array, op: ReduceOp, axis: Option<i64>) -> Array {
    let nd = a.shape().len() as i64;
    let ax = axis
        .filter(|_| nd > 0)
        .map(|k| if k < 0 { k + nd } else { k } as usize);
    numjit::each_array!(a, x => {
        let lanes: Vec<Array> = match ax {
            None => {
                let all = ArrayD::from_shape_vec(IxDyn(&[x.len()]), x.iter().cloned().collect());
                vec![Array::from(all.unwrap())]
            }
            Some(k) => x.lanes(Axis(k)).into_iter().map(|l| Array::from(l.to_owned().into_dyn())).collect(),
        };
        let out_shape = result_shape(a.shape(), op, axis).unwrap();
        let parts: Vec<Array> = lanes.iter().map(|l| ref_lane(op, l)).collect();
        stack(&parts, &out_shape, result_dtype(a.dtype(), op))
    })
}

/// 0-d arrays of one dtype, assembled into `shape`.
fn stack(parts: &[Array], shape: &[usize], dtype: DType) -> Array {
    let sh = IxDyn(shape);
    macro_rules! cat {
        ($v:ident, $get:ident) => {
            Array::$v(
                ArrayD::from_shape_vec(
                    sh,
                    parts
                        .iter()
                        .map(|p| *p.$get().unwrap().first().unwrap())
                        .collect(),
                )
                .unwrap(),
            )
        };
    }
    match dtype {
        DType::Bool => cat!(Bool, as_bool),
        DType::Int32 => cat!(Int32, as_i32),
        DType::Int64 => cat!(Int64, as_i64),
        DType::Float32 => cat!(Float32, as_f32),
        DType::Float64 => cat!(Float64, as_f64),
        DType::Complex128 => cat!(Complex128, as_c128),
        DType::Bytes(_) => unreachable!(),
    }
}

/// Bitwise equality, signed zeros included, except that every NaN equals every NaN (Rust,
/// like IEEE 754, leaves the payload of a computed NaN unspecified).
fn same_bits(a: &Array, b: &Array) -> bool {
    fn f64_eq(p: f64, q: f64) -> bool {
        p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan())
    }
    if a.dtype() != b.dtype() || a.shape() != b.shape() {
        return false;
    }
    match (a, b) {
        (Array::Float64(x), Array::Float64(y)) => x.iter().zip(y).all(|(p, q)| f64_eq(*p, *q)),
        (Array::Float32(x), Array::Float32(y)) => x
            .iter()
            .zip(y)
            .all(|(p, q)| p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan())),
        (Array::Complex128(x), Array::Complex128(y)) => x
            .iter()
            .zip(y)
            .all(|(p, q)| f64_eq(p.re, q.re) && f64_eq(p.im, q.im)),
        _ => a == b,
    }
}

#[test]
fn result_dtypes_follow_numpy() {
    use DType::*;
    let want = [
        (Bool, [Int64, Int64, Bool, Bool]),
        (Int32, [Int64, Int64, Int32, Int32]),
        (Int64, [Int64, Int64, Int64, Int64]),
        (Float32, [Float32, Float32, Float32, Float32]),
        (Float64, [Float64, Float64, Float64, Float64]),
        (Complex128, [Complex128, Complex128, Complex128, Complex128]),
    ];
    for (d, ws) in want {
        for (op, w) in OPS.iter().zip(ws) {
            assert_eq!(result_dtype(d, *op), w, "{op:?} of {d}");
            let got = reduce(&make(d, &[3], 1, false), *op, None, &sched(1)).unwrap();
            assert_eq!(got.dtype(), w, "{op:?} of {d}");
        }
    }
}

#[test]
fn every_reduction_dtype_and_axis_matches_hand_written_loops() {
    let shapes: [&[usize]; 8] = [
        &[],
        &[1],
        &[7],
        &[300],
        &[3, 5],
        &[2, 3, 4],
        &[4, 1, 130],
        &[5, 2, 3, 2],
    ];
    let mut checked = 0;
    for dtype in DType::ALL {
        for shape in shapes {
            for specials in [false, true] {
                let a = make(dtype, shape, 7 + shape.len() as u64, specials);
                let nd = shape.len() as i64;
                let mut axes = vec![None];
                axes.extend((-nd..nd).map(Some));
                for axis in axes {
                    for op in ReduceOp::ALL {
                        let want = reference(&a, op, axis);
                        let got = reduce(&a, op, axis, &sched(1)).unwrap();
                        assert!(
                            same_bits(&got, &want),
                            "{op:?} of {dtype} {shape:?} axis {axis:?} (specials {specials}):\n got {got:?}\nwant {want:?}"
                        );
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 900);
}

#[test]
fn non_contiguous_inputs_reduce_like_contiguous_ones() {
    // A Fortran-order array and a transposed one hold the same logical values.
    let a = make(DType::Float64, &[6, 40], 3, true);
    let x = a.as_f64().unwrap();
    let mut f = ArrayD::<f64>::zeros(IxDyn(&[6, 40]).f());
    f.assign(x);
    let f = Array::Float64(f);
    // The transpose of a standard-layout copy of the transpose: the same logical values in
    // column-major memory, reached through a view's strides.
    let tt = x.t().as_standard_layout().into_owned();
    let t = Array::Float64(tt.t().to_owned());
    for op in OPS {
        for axis in [None, Some(0), Some(1)] {
            let want = reduce(&a, op, axis, &sched(1)).unwrap();
            assert!(
                same_bits(&reduce(&f, op, axis, &sched(2)).unwrap(), &want),
                "{op:?} {axis:?}"
            );
            assert!(
                same_bits(&reduce(&t, op, axis, &sched(2)).unwrap(), &want),
                "{op:?} {axis:?}"
            );
        }
    }
}

/// Neumaier's compensated sum: within a few ulps of the exact sum for these inputs.
fn compensated(xs: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut s, mut c, mut abs) = (0.0f64, 0.0f64, 0.0f64);
    for x in xs {
        let t = s + x;
        c += if s.abs() >= x.abs() {
            (s - t) + x
        } else {
            (x - t) + s
        };
        s = t;
        abs += x.abs();
    }
    (s + c, abs)
}

#[test]
fn float_sums_are_within_the_pairwise_error_bound() {
    for n in [10usize, 1000, 100_000, 1_000_003] {
        let a = make(DType::Float64, &[n], 11, false);
        let got = *reduce(&a, ReduceOp::Sum, None, &sched(2))
            .unwrap()
            .as_f64()
            .unwrap()
            .first()
            .unwrap();
        let (exact, abs) = compensated(a.as_f64().unwrap().iter().copied());
        let bound = n as f64 * f64::EPSILON * abs;
        assert!(
            (got - exact).abs() <= bound,
            "n={n}: {got} vs {exact} (bound {bound})"
        );
        // Pairwise summation does much better than the worst case of a running sum.
        assert!((got - exact).abs() <= 64.0 * f64::EPSILON * abs, "n={n}");
        let b = make(DType::Float32, &[n], 12, false);
        let got = *reduce(&b, ReduceOp::Sum, None, &sched(2))
            .unwrap()
            .as_f32()
            .unwrap()
            .first()
            .unwrap();
        let (exact, abs) = compensated(b.as_f32().unwrap().iter().map(|&x| x as f64));
        let bound = n as f64 * f32::EPSILON as f64 * abs;
        assert!(
            (got as f64 - exact).abs() <= bound,
            "f32 n={n}: {got} vs {exact}"
        );
    }
}

/// `np.sum` of the arrays `Rng` makes (seed 1 float64, seed 2 float32, seeds 3 and 4 the
/// real and imaginary parts of complex128), computed by NumPy 2.4: (n, float64 bits, float32
/// bits, complex real bits, complex imaginary bits).
const NUMPY_SUMS: [(usize, u64, u32, u64, u64); 11] = [
    (
        0,
        0x0000000000000000,
        0x00000000,
        0x0000000000000000,
        0x0000000000000000,
    ),
    (
        1,
        0x3f210a2dec890258,
        0x423ac1a8,
        0xc008bd3ac6c93f9e,
        0xbfb18c1c8d1dcc78,
    ),
    (
        7,
        0x411e085f1f6b08e5,
        0x430e2fa4,
        0xc0bbf3e1018d30a8,
        0x413209e77b709dea,
    ),
    (
        8,
        0x411e091c16cceb2a,
        0x430e3ef1,
        0xc0b5bbb02f6f6850,
        0x413209da5c047642,
    ),
    (
        9,
        0x411e091bdfe40408,
        0xc2e2de5e,
        0xc0b8056b4ea71e68,
        0x413209da334937c7,
    ),
    (
        100,
        0xc12f45468a821cd8,
        0xc45edbe8,
        0xc111cf88f6781391,
        0x40f7719244537190,
    ),
    (
        128,
        0x410a2dd879c29610,
        0xc44bfc9e,
        0xc12008b9a879ab9b,
        0xc12947476851b481,
    ),
    (
        129,
        0x410a2dd8690cade8,
        0xc44c11e4,
        0xc120218bdabdfd71,
        0xc12976590e3ba835,
    ),
    (
        1000,
        0xc1499d475f04c2a0,
        0xc505632e,
        0x4137b3f6a821e0a4,
        0x406a11f988412000,
    ),
    (
        65537,
        0x417e9022155b2cd4,
        0xc52d27d6,
        0x4182817e1456a84d,
        0xc16c0a7efd6568bf,
    ),
    (
        1000003,
        0x418febd5b8c2bb74,
        0x482f450f,
        0x41a110d7bf3bc2e0,
        0x417d272de461c8e0,
    ),
];

#[test]
fn contiguous_sums_are_bit_identical_to_numpy() {
    for (n, f64_bits, f32_bits, re_bits, im_bits) in NUMPY_SUMS {
        let mut r = Rng(1);
        let a: Vec<f64> = (0..n).map(|_| r.f64()).collect();
        let mut r = Rng(2);
        let b: Vec<f32> = (0..n).map(|_| r.f32()).collect();
        let (mut r3, mut r4) = (Rng(3), Rng(4));
        let c: Vec<Complex64> = (0..n).map(|_| Complex64::new(r3.f64(), r4.f64())).collect();
        for threads in [1, 2, 4] {
            let s = sched(threads);
            let sum = |x: Array| reduce(&x, ReduceOp::Sum, None, &s).unwrap();
            let got = sum(Array::Float64(
                ArrayD::from_shape_vec(IxDyn(&[n]), a.clone()).unwrap(),
            ));
            assert_eq!(
                got.as_f64().unwrap().first().unwrap().to_bits(),
                f64_bits,
                "float64 n={n}"
            );
            let got = sum(Array::Float32(
                ArrayD::from_shape_vec(IxDyn(&[n]), b.clone()).unwrap(),
            ));
            assert_eq!(
                got.as_f32().unwrap().first().unwrap().to_bits(),
                f32_bits,
                "float32 n={n}"
            );
            let got = sum(Array::Complex128(
                ArrayD::from_shape_vec(IxDyn(&[n]), c.clone()).unwrap(),
            ));
            let z = got.as_c128().unwrap().first().unwrap();
            assert_eq!(
                (z.re.to_bits(), z.im.to_bits()),
                (re_bits, im_bits),
                "complex128 n={n}"
            );
        }
    }
}

fn f64s(v: &[f64]) -> Array {
    Array::Float64(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.to_vec()).unwrap())
}

fn c128s(v: &[(f64, f64)]) -> Array {
    Array::Complex128(
        ArrayD::from_shape_vec(
            IxDyn(&[v.len()]),
            v.iter().map(|&(r, i)| Complex64::new(r, i)).collect(),
        )
        .unwrap(),
    )
}

fn first(a: &Array) -> String {
    match a {
        Array::Float64(x) => format!("{:?}", x.first().unwrap()),
        Array::Complex128(x) => format!("{:?}", x.first().unwrap()),
        other => format!("{other:?}"),
    }
}

#[test]
fn nan_propagates_through_min_and_max() {
    let nan = f64::NAN;
    let r = |op, v: &[f64]| first(&reduce(&f64s(v), op, None, &sched(1)).unwrap());
    for op in [ReduceOp::Min, ReduceOp::Max] {
        assert_eq!(r(op, &[1.0, nan, 3.0]), "NaN");
        assert_eq!(r(op, &[nan, 1.0]), "NaN");
        assert_eq!(r(op, &[1.0, 2.0, nan]), "NaN");
        assert_eq!(
            r(op, &[f64::INFINITY, f64::NEG_INFINITY]),
            if op == ReduceOp::Min { "-inf" } else { "inf" }
        );
    }
    assert_eq!(r(ReduceOp::Sum, &[1.0, nan]), "NaN");
    // Long arrays: a NaN in a late block wins over every earlier block, for every thread count.
    let mut v = vec![1.0; 3 * BLOCK + 5];
    v[2 * BLOCK + 7] = nan;
    for t in [1, 2, 4] {
        for op in [ReduceOp::Min, ReduceOp::Max] {
            assert!(reduce(&f64s(&v), op, None, &sched(t))
                .unwrap()
                .as_f64()
                .unwrap()
                .first()
                .unwrap()
                .is_nan());
        }
    }
    // Complex: NumPy's answers (np.max / np.min of these arrays).
    let c = |op, v: &[(f64, f64)]| first(&reduce(&c128s(v), op, None, &sched(1)).unwrap());
    assert_eq!(
        c(ReduceOp::Max, &[(1.0, 1.0), (nan, 0.0), (2.0, 0.0)]),
        "Complex { re: NaN, im: 0.0 }"
    );
    assert_eq!(
        c(ReduceOp::Max, &[(1.0, 1.0), (0.0, nan), (2.0, 0.0)]),
        "Complex { re: 0.0, im: NaN }"
    );
    assert_eq!(
        c(ReduceOp::Min, &[(1.0, 1.0), (5.0, nan)]),
        "Complex { re: 5.0, im: NaN }"
    );
    assert_eq!(
        c(ReduceOp::Max, &[(1.0, 5.0), (1.0, 2.0), (0.0, 9.0)]),
        "Complex { re: 1.0, im: 5.0 }"
    );
    assert_eq!(
        c(ReduceOp::Min, &[(1.0, 5.0), (1.0, 2.0), (0.0, 9.0)]),
        "Complex { re: 0.0, im: 9.0 }"
    );
    assert_eq!(
        c(ReduceOp::Sum, &[(1.0, 5.0), (nan, 2.0)]),
        "Complex { re: NaN, im: 7.0 }"
    );
}

#[test]
fn signed_zeros() {
    let r = |op, v: &[f64]| {
        reduce(&f64s(v), op, None, &sched(1))
            .unwrap()
            .as_f64()
            .unwrap()
            .first()
            .unwrap()
            .to_bits()
    };
    for v in [[0.0, -0.0], [-0.0, 0.0]] {
        assert_eq!(r(ReduceOp::Max, &v), 0.0f64.to_bits());
        assert_eq!(r(ReduceOp::Min, &v), (-0.0f64).to_bits());
    }
    // np.sum of -0.0s is +0.0 (the identity 0.0 is added), np.prod of -0.0 is -0.0.
    assert_eq!(r(ReduceOp::Sum, &[-0.0; 10]), 0.0f64.to_bits());
    assert_eq!(r(ReduceOp::Sum, &[-0.0]), 0.0f64.to_bits());
    assert_eq!(r(ReduceOp::Prod, &[-0.0]), (-0.0f64).to_bits());
}

#[test]
fn empty_reductions() {
    for dtype in DType::ALL {
        let e = make(dtype, &[0], 1, false);
        let sum = reduce(&e, ReduceOp::Sum, None, &sched(1)).unwrap();
        let prod = reduce(&e, ReduceOp::Prod, None, &sched(1)).unwrap();
        assert_eq!(sum.shape(), &[] as &[usize]);
        match (&sum, &prod) {
            (Array::Int64(s), Array::Int64(p)) => {
                assert_eq!((s.first(), p.first()), (Some(&0), Some(&1)))
            }
            (Array::Float32(s), Array::Float32(p)) => {
                assert_eq!((s.first(), p.first()), (Some(&0.0), Some(&1.0)))
            }
            (Array::Float64(s), Array::Float64(p)) => {
                assert_eq!(s.first().unwrap().to_bits(), 0);
                assert_eq!(p.first(), Some(&1.0));
            }
            (Array::Complex128(s), Array::Complex128(p)) => {
                assert_eq!(
                    (s.first(), p.first()),
                    (
                        Some(&Complex64::new(0.0, 0.0)),
                        Some(&Complex64::new(1.0, 0.0))
                    )
                )
            }
            other => panic!("{dtype}: {other:?}"),
        }
        for (op, name) in [(ReduceOp::Min, "minimum"), (ReduceOp::Max, "maximum")] {
            let want =
                format!("zero-size array to reduction operation {name} which has no identity");
            assert_eq!(reduce(&e, op, None, &sched(1)).unwrap_err().message(), want);
            // NumPy: an error whenever the reduced axis is empty, even if the result is too.
            for (shape, axis) in [
                (&[0, 3][..], Some(0)),
                (&[3, 0], Some(1)),
                (&[0, 0], Some(1)),
                (&[2, 0, 2], None),
            ] {
                let a = make(dtype, shape, 1, false);
                assert_eq!(
                    reduce(&a, op, axis, &sched(1)).unwrap_err().message(),
                    want,
                    "{shape:?} {axis:?}"
                );
                assert_eq!(result_shape(shape, op, axis).unwrap_err(), want);
            }
            // ... and not when only the other axes are empty.
            let a = make(dtype, &[0, 3], 1, false);
            let r = reduce(&a, op, Some(1), &sched(1)).unwrap();
            assert_eq!((r.shape(), r.dtype()), (&[0usize][..], dtype));
            let a = make(dtype, &[3, 0], 1, false);
            assert_eq!(reduce(&a, op, Some(0), &sched(1)).unwrap().shape(), &[0]);
        }
        // Sums over empty axes give identities of the right shape.
        let a = make(dtype, &[2, 0], 1, false);
        let s = reduce(&a, ReduceOp::Sum, Some(1), &sched(1)).unwrap();
        assert_eq!(s.shape(), &[2]);
        assert_eq!(
            reduce(&a, ReduceOp::Sum, Some(0), &sched(1))
                .unwrap()
                .shape(),
            &[0]
        );
    }
}

#[test]
fn axis_errors_match_numpy() {
    let a = make(DType::Float64, &[2, 2], 1, false);
    for op in OPS {
        assert_eq!(
            reduce(&a, op, Some(2), &sched(1)).unwrap_err().message(),
            "axis 2 is out of bounds for array of dimension 2"
        );
        assert_eq!(
            reduce(&a, op, Some(-3), &sched(1)).unwrap_err().message(),
            "axis -3 is out of bounds for array of dimension 2"
        );
    }
    let z = make(DType::Float64, &[], 1, false);
    assert_eq!(
        reduce(&z, ReduceOp::Sum, Some(1), &sched(1))
            .unwrap_err()
            .message(),
        "axis 1 is out of bounds for array of dimension 0"
    );
}

#[test]
fn zero_d_arrays_reduce_to_themselves() {
    // As np.sum(np.array(2.5)), with NumPy's acceptance of axis 0 and -1 for 0-d arrays.
    let z = Array::Float64(ndarray::arr0(2.5).into_dyn());
    for axis in [None, Some(0), Some(-1)] {
        for op in OPS {
            assert_eq!(
                reduce(&z, op, axis, &sched(1)).unwrap(),
                z,
                "{op:?} {axis:?}"
            );
        }
    }
    let b = Array::Bool(ndarray::arr0(true).into_dyn());
    assert_eq!(
        reduce(&b, ReduceOp::Sum, None, &sched(1)).unwrap(),
        scalar_i64(1)
    );
    assert_eq!(reduce(&b, ReduceOp::Max, None, &sched(1)).unwrap(), b);
}

#[test]
fn integer_sums_and_products_wrap() {
    let i = |v: Vec<i64>| Array::Int64(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v).unwrap());
    assert_eq!(
        reduce(&i(vec![i64::MAX, 1]), ReduceOp::Sum, None, &sched(1)).unwrap(),
        scalar_i64(i64::MIN)
    );
    // np.prod([2**40, 2**40]) == 0
    assert_eq!(
        reduce(&i(vec![1 << 40, 1 << 40]), ReduceOp::Prod, None, &sched(1)).unwrap(),
        scalar_i64(0)
    );
    // np.sum(np.array([2**31-1]*3, np.int32)) == 6442450941: int32 sums in int64.
    let a = Array::Int32(ArrayD::from_shape_vec(IxDyn(&[3]), vec![i32::MAX; 3]).unwrap());
    assert_eq!(
        reduce(&a, ReduceOp::Sum, None, &sched(1)).unwrap(),
        scalar_i64(6442450941)
    );
}

#[test]
fn complex_products_follow_numpy() {
    let p = |v: &[(f64, f64)]| first(&reduce(&c128s(v), ReduceOp::Prod, None, &sched(1)).unwrap());
    // np.prod([inf+0j]) == inf+nanj: NumPy multiplies into the identity 1+0j.
    assert_eq!(p(&[(f64::INFINITY, 0.0)]), "Complex { re: inf, im: NaN }");
    assert_eq!(
        p(&[(1.0, 2.0), (3.0, -4.0), (0.5, 0.25)]),
        "Complex { re: 5.0, im: 3.75 }"
    );
}

#[test]
fn results_are_identical_for_every_thread_count() {
    let cases: [(&[usize], Option<i64>); 6] = [
        (&[300_007], None),
        (&[3, 70_001], Some(1)),
        (&[40_001, 3], Some(0)),
        (&[40_001, 3], Some(1)),
        (&[70, 2, 1_000], Some(-1)),
        (&[70, 2, 1_000], Some(0)),
    ];
    for dtype in DType::ALL {
        for (shape, axis) in cases {
            let a = make(dtype, shape, 5, false);
            for op in OPS {
                let want = reduce(&a, op, axis, &sched(1)).unwrap();
                for s in [sched(2), sched(4), Schedule::default()] {
                    let got = reduce(&a, op, axis, &s).unwrap();
                    assert!(
                        same_bits(&got, &want),
                        "{op:?} {dtype} {shape:?} {axis:?} {s:?}"
                    );
                }
            }
        }
    }
    // Against the hand-written loops too, where lanes are long enough to be split.
    let a = make(DType::Float64, &[3, 70_001], 6, false);
    // (Past BLOCK elements, products combine per block, so they equal the sequential product
    // only within rounding.)
    for op in [ReduceOp::Sum, ReduceOp::Min, ReduceOp::Max] {
        let want = reference(&a, op, Some(1));
        let got = reduce(&a, op, Some(1), &sched(4)).unwrap();
        assert!(same_bits(&got, &want), "{op:?}");
    }
}

// ---- reductions inside expressions (src/api.rs) ----

fn f64_array(v: Vec<f64>) -> Array {
    Array::Float64(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v).unwrap())
}

fn scalar_f64(v: f64) -> Array {
    Array::Float64(ndarray::arr0(v).into_dyn())
}

/// `expr` with its reductions computed separately (by `reduce`, bound as plain inputs) must
/// give the same bits as `expr` itself, through the JIT and through the interpreter.
#[test]
fn reductions_in_expressions_match_computing_them_separately() {
    let a: Vec<f64> = (0..1000).map(|k| (k as f64 * 0.37).sin() * 10.0).collect();
    let m = ArrayD::from_shape_fn(IxDyn(&[30, 40]), |ix| {
        (ix[0] * 40 + ix[1]) as f64 * 0.25 - 99.0
    });
    let b: Vec<f64> = (0..30).map(|k| k as f64).collect();
    let n = a.len() as i64;
    let s1 = sched(1);
    let red = |x: &Array, op, axis| reduce(x, op, axis, &s1).unwrap();
    let aa = f64_array(a.clone());
    let mm = Array::Float64(m.clone());

    // a - sum(a)/n
    let s = red(&aa, ReduceOp::Sum, None);
    let want = numjit::eval("a - s/n", numjit::vars! {a, n, "s" => &s}).unwrap();
    for got in [
        numjit::eval("a - sum(a)/n", numjit::vars! {a, n}).unwrap(),
        numjit::interpret("a - sum(a)/n", numjit::vars! {a, n}).unwrap(),
    ] {
        assert!(same_bits(&got, &want));
    }

    // x / max(abs(x))
    let abs_a = numjit::eval("abs(a)", numjit::vars! {a}).unwrap();
    let mx = red(&abs_a, ReduceOp::Max, None);
    let want = numjit::eval("a / mx", numjit::vars! {a, "mx" => &mx}).unwrap();
    let got = numjit::eval("a / max(abs(a))", numjit::vars! {a}).unwrap();
    assert!(same_bits(&got, &want));

    // sum(m, axis=1) + b, and the same reduction subscripted
    let rows = red(&mm, ReduceOp::Sum, Some(1));
    let want = numjit::eval("r + b", numjit::vars! {b, "r" => &rows}).unwrap();
    let got = numjit::eval("sum(m, axis=1) + b", numjit::vars! {m, b}).unwrap();
    assert!(same_bits(&got, &want));
    assert_eq!(got.shape(), &[30]);
    let got = numjit::eval("sum(m, 1)[2:5] * 2", numjit::vars! {m}).unwrap();
    let want = numjit::eval("r[2:5] * 2", numjit::vars! {"r" => &rows}).unwrap();
    assert!(same_bits(&got, &want));

    // Nested: sum(m - sum(m, axis=0)/30, axis=0) (column sums of deviations from the mean)
    let cols = red(&mm, ReduceOp::Sum, Some(0));
    let dev = numjit::eval("m - c/30", numjit::vars! {m, "c" => &cols}).unwrap();
    let want = red(&dev, ReduceOp::Sum, Some(0));
    let got = numjit::eval("sum(m - sum(m, axis=0)/30, axis=0)", numjit::vars! {m}).unwrap();
    assert!(same_bits(&got, &want));
    let got = numjit::interpret("sum(m - sum(m, axis=0)/30, axis=0)", numjit::vars! {m}).unwrap();
    assert!(same_bits(&got, &want));

    // Every reduction and dtype rule through the API.
    let i: Vec<i32> = vec![i32::MAX, i32::MAX, -5];
    assert_eq!(
        numjit::eval("sum(i)", numjit::vars! {i}).unwrap(),
        scalar_i64(2 * i32::MAX as i64 - 5)
    );
    let p = vec![true, false, true];
    assert_eq!(
        numjit::eval("sum(p) + prod(p)", numjit::vars! {p}).unwrap(),
        scalar_i64(2)
    );
    assert_eq!(
        numjit::eval("max(p) & ~min(p)", numjit::vars! {p}).unwrap(),
        Array::Bool(ndarray::arr0(true).into_dyn())
    );
    let g = vec![1.5f32, -2.0, 4.0];
    let got = numjit::eval("sum(g) + max(g)", numjit::vars! {g}).unwrap();
    assert_eq!(got, Array::Float32(ndarray::arr0(7.5f32).into_dyn()));
    let z = vec![Complex64::new(1.0, 2.0), Complex64::new(-3.0, 0.5)];
    let got = numjit::eval("sum(z) * 1j", numjit::vars! {z}).unwrap();
    assert_eq!(
        got,
        Array::Complex128(ndarray::arr0(Complex64::new(-2.5, -2.0)).into_dyn())
    );

    // Evaluating into a caller's output, and into one of another dtype.
    let mut out = vec![0.0; 1000];
    numjit::evaluate("a - sum(a)/n", &mut out, numjit::vars! {a, n}).unwrap();
    let want = numjit::eval("a - sum(a)/n", numjit::vars! {a, n}).unwrap();
    assert_eq!(out.as_slice(), want.as_f64().unwrap().as_slice().unwrap());
    let mut out32 = vec![0f32; 1000];
    numjit::evaluate("a - sum(a)/n", &mut out32, numjit::vars! {a, n}).unwrap();
    assert_eq!(out32[7], out[7] as f32);
}

#[test]
fn identical_reductions_are_computed_once() {
    let a = vec![1.0, 2.0];
    let p = numjit::compile("sum(a) + sum(a) * max(a) - sum(a, axis=0)")
        .unwrap()
        .program(numjit::vars! {a})
        .unwrap()
        .to_string();
    // sum(a) once, max(a), and sum(a, axis=0) (another reduction as written).
    assert!(
        p.contains("sum#0") && p.contains("max#1") && p.contains("sum#2"),
        "{p}"
    );
    assert!(!p.contains("#3"), "{p}");
    let r = numjit::eval(
        "sum(a) + sum(a) * max(a) - sum(a, axis=0)",
        numjit::vars! {a},
    )
    .unwrap();
    assert_eq!(r, scalar_f64(3.0 + 3.0 * 2.0 - 3.0));
}

#[test]
fn reductions_are_identical_for_every_thread_count() {
    let a: Vec<f64> = (0..300_007)
        .map(|k| ((k as f64) * 0.001).cos() * 1e3)
        .collect();
    let m = ArrayD::from_shape_vec(IxDyn(&[3, 100_001]), a[..300_003].to_vec()).unwrap();
    let f =
        numjit::compile("a - sum(a)/3 + max(a) * prod(a / 1e3 + 1) + sum(sum(m, axis=1))").unwrap();
    let want = f.interpret(numjit::vars! {a, m}).unwrap();
    for s in [sched(1), sched(2), sched(4), Schedule::default()] {
        let got = f.eval_with(numjit::vars! {a, m}, &s).unwrap();
        assert!(same_bits(&got, &want), "{s:?}");
    }
}

/// The message and the text under the caret.
fn err_at(expr: &str, vars: numjit::Vars<'_>) -> (numjit::ErrorKind, String, String) {
    let e = numjit::eval(expr, vars).unwrap_err();
    let sp = e.span().expect("a span");
    (
        e.kind(),
        e.message().to_string(),
        expr[sp.start..sp.end].to_string(),
    )
}

#[test]
fn errors_in_reductions_point_at_them() {
    use numjit::ErrorKind;
    let m = ndarray::Array2::<f64>::zeros((2, 3));
    let b = vec![1.0, 2.0];
    let e = vec![0.0f64; 0];
    assert_eq!(
        err_at("b + sum(m, axis=2)", numjit::vars! {m, b}),
        (
            ErrorKind::Shape,
            "axis 2 is out of bounds for array of dimension 2".into(),
            "sum(m, axis=2)".into()
        )
    );
    assert_eq!(
        err_at("1 + max(e)", numjit::vars! {e}),
        (
            ErrorKind::Shape,
            "zero-size array to reduction operation maximum which has no identity".into(),
            "max(e)".into()
        )
    );
    // Errors inside the argument point into it, in the original text.
    assert_eq!(err_at("b * sum(m + zz)", numjit::vars! {m, b}).2, "zz");
    assert_eq!(
        err_at("sum(m - mm)", numjit::vars! {m, b}).1,
        "unknown name `mm`; did you mean `m`?"
    );
    // Reductions nested in an argument are named by their text too.
    assert_eq!(
        err_at("sum(sum(m, 1) - max(m, 0))", numjit::vars! {m}),
        (
            ErrorKind::Shape,
            "shapes do not broadcast: `sum(m, 1)` has shape (2,) but `max(m, 0)` has shape (3,)"
                .into(),
            "max(m, 0)".into()
        )
    );
    let (kind, msg, at) = err_at("min(m & 1)", numjit::vars! {m});
    assert_eq!((kind, at), (ErrorKind::DType, "m & 1".to_string()), "{msg}");
    // Around the reduction: the result is named by its text, never by its hidden name.
    let (kind, msg, at) = err_at("sum(m, axis=0) + b", numjit::vars! {m, b});
    assert_eq!(kind, ErrorKind::Shape);
    assert_eq!(
        msg,
        "shapes do not broadcast: `sum(m, axis=0)` has shape (3,) but `b` has shape (2,)"
    );
    assert_eq!(at, "b");
    let (_, msg, at) = err_at("sum(m) + sumx", numjit::vars! {m, b});
    assert_eq!((msg.as_str(), at.as_str()), ("unknown name `sumx`", "sumx"));
    assert!(!msg.contains('#'));
    // Displayed with the caret under the reduction.
    let e = numjit::eval("b + sum(m, axis=-3)", numjit::vars! {m, b}).unwrap_err();
    assert_eq!(
        e.to_string(),
        "error: axis -3 is out of bounds for array of dimension 2\n  b + sum(m, axis=-3)\n      ^^^^^^^^^^^^^^^"
    );
}

#[test]
fn failed_calls_with_reductions_write_nothing() {
    let a = vec![1.0, 2.0, 3.0];
    let e = vec![0.0f64; 0];
    let mut out = vec![7.0; 3];
    for expr in [
        "a - max(e)",         // the reduction fails
        "a - sum(a, axis=1)", // the reduction's axis
        "sum(a) + a + zz",    // the expression around it
        "sum(a + zz) + a",    // the argument
        "sum(a) + a + e",     // broadcasting after the reduction
    ] {
        assert!(
            numjit::evaluate(expr, &mut out, numjit::vars! {a, e}).is_err(),
            "{expr}"
        );
        assert_eq!(out, vec![7.0; 3], "{expr}");
    }
    let mut ints = vec![7i64; 3];
    let err = numjit::evaluate("a - sum(a)", &mut ints, numjit::vars! {a}).unwrap_err();
    assert_eq!(err.kind(), numjit::ErrorKind::Output);
    assert_eq!(ints, vec![7; 3]);
    // Scripts: a reduction that would fail in a later statement stops the script before the
    // first statement writes.
    let mut u = vec![1.0, 2.0, 3.0];
    let r = numjit::execute("u[0] = 5; u[1] = max(e)", numjit::vars! {mut u, e});
    assert_eq!(
        r.unwrap_err().message(),
        "zero-size array to reduction operation maximum which has no identity"
    );
    let r = numjit::execute(
        "u[0] = 5; y = u[1:] * 2; u[1] = sum(y, axis=1)",
        numjit::vars! {mut u},
    );
    let err = r.unwrap_err();
    assert_eq!(
        err.message(),
        "axis 1 is out of bounds for array of dimension 1"
    );
    assert_eq!(u, vec![1.0, 2.0, 3.0]);
}

#[test]
fn scripts_with_reductions() {
    let a = vec![1.0, 2.0, 3.0, 4.0];
    let n = 4i64;
    let out = numjit::execute(
        "y = a * 2; z = y - sum(y)/n; w = sum(z); max(y) - min(y)",
        numjit::vars! {a, n},
    )
    .unwrap();
    assert_eq!(
        out.get("z").unwrap(),
        &f64_array(vec![-3.0, -1.0, 1.0, 3.0])
    );
    assert_eq!(out.get("w").unwrap(), &scalar_f64(0.0));
    assert_eq!(out.value().unwrap(), &scalar_f64(6.0));
    // Assigning into an array the reduction reads: the reduction sees the old values (NumPy).
    let mut u = vec![1.0, 2.0, 3.0, 4.0];
    numjit::execute("u[:] = u - sum(u)/4; u[0] = max(u)", numjit::vars! {mut u}).unwrap();
    assert_eq!(u, vec![1.5, -0.5, 0.5, 1.5]);
    // Checking a script sees the reductions' dtypes and shapes without computing them.
    let e =
        numjit::execute("y = a * 2; z = y[0] + sum(y, axis=0)[1]", numjit::vars! {a}).unwrap_err();
    assert_eq!(e.kind(), numjit::ErrorKind::Shape);
    let mut k = vec![1i64, 2];
    let e = numjit::execute("k[0] = sum(a) / 2", numjit::vars! {a, mut k}).unwrap_err();
    assert_eq!(
        e.message(),
        "the target `k[0]` has dtype int64 but the expression's result is float64"
    );
    assert_eq!(k, vec![1, 2]);
    numjit::execute("k[0] = sum(k) * 10", numjit::vars! {mut k}).unwrap();
    assert_eq!(k, vec![30, 2]);
}

#[test]
fn deeply_nested_reductions_stay_within_the_stack() {
    let a = vec![1.0, 2.0];
    let nested = format!("{}a{}", "sum(".repeat(150), ")".repeat(150));
    assert_eq!(
        numjit::eval(&nested, numjit::vars! {a}).unwrap(),
        scalar_f64(3.0)
    );
    assert_eq!(
        numjit::interpret(&nested, numjit::vars! {a}).unwrap(),
        scalar_f64(3.0)
    );
    let too_deep = format!("{}a{}", "max(".repeat(300), ")".repeat(300));
    assert_eq!(
        numjit::eval(&too_deep, numjit::vars! {a})
            .unwrap_err()
            .kind(),
        numjit::ErrorKind::Limit
    );
}

// ---- the examples' computations at small n ----

/// examples/monte_carlo_pi.rs: `4*sum(x**2 + y**2 < 1)/n` within 6σ of π, the same for every
/// thread count, and equal to counting by hand.
#[test]
fn monte_carlo_pi() {
    let n = 100_000usize;
    let mut rng = Rng(2024);
    let (x, y): (Vec<f64>, Vec<f64>) = (0..n)
        .map(|_| {
            let u = (rng.next() >> 11) as f64 * 2f64.powi(-53);
            let v = (rng.next() >> 11) as f64 * 2f64.powi(-53);
            (u, v)
        })
        .unzip();
    let nn = n as i64;
    let f = numjit::compile("4*sum(x**2 + y**2 < 1)/n").unwrap();
    let inside = x
        .iter()
        .zip(&y)
        .filter(|(u, v)| *u * *u + *v * *v < 1.0)
        .count();
    let want = 4.0 * inside as f64 / n as f64;
    for s in [sched(1), sched(2), Schedule::default()] {
        let got = f.eval_with(numjit::vars! {x, y, "n" => nn}, &s).unwrap();
        assert_eq!(got, scalar_f64(want));
    }
    let p = std::f64::consts::PI / 4.0;
    let sigma = 4.0 * (p * (1.0 - p) / n as f64).sqrt();
    assert!((want - std::f64::consts::PI).abs() < 6.0 * sigma);
}

/// examples/area_under_curve.rs: the midpoint rule for 0.7x³ − 2x² + 4 on [0, 3] (exactly
/// 8.175) within (b−a)·h²/24·max|f''|.
#[test]
fn area_under_curve() {
    for n in [10usize, 1000, 100_000] {
        let dx = 3.0 / n as f64;
        let x: Vec<f64> = (0..n).map(|k| (k as f64 + 0.5) * dx).collect();
        let area = numjit::eval("sum(0.7*x**3 - 2*x**2 + 4)*dx", numjit::vars! {x, dx}).unwrap();
        let area = *area.as_f64().unwrap().first().unwrap();
        let bound = 3.0 * dx * dx / 24.0 * 8.6 + 1e-13;
        assert!((area - 8.175).abs() <= bound, "n={n}: {area}");
        // The midpoint rule's error is close to h²/24·(f'(3) − f'(0)) = h²/24·6.9.
        if n <= 1000 {
            assert!(
                (8.175 - area - dx * dx / 24.0 * 6.9).abs() < 0.01 * dx * dx,
                "n={n}"
            );
        }
    }
}

/// Review finding: an axis longer than a block with no output elements (another axis is
/// empty) once divided by zero; NumPy gives an empty result.
#[test]
fn long_axes_with_an_empty_result_reduce_to_empty() {
    let x = Array::Float64(ArrayD::zeros(IxDyn(&[0, BLOCK + 7])));
    for op in [ReduceOp::Sum, ReduceOp::Prod, ReduceOp::Min, ReduceOp::Max] {
        let r = reduce(&x, op, Some(1), &sched(2)).unwrap();
        assert_eq!(r.shape(), &[0], "{op:?}");
        assert_eq!(r.dtype(), DType::Float64, "{op:?}");
    }
    // A result too large to address is an error, not an abort.
    let huge = Array::Float64(ArrayD::zeros(IxDyn(&[1 << 62, 0])));
    let e = reduce(&huge, ReduceOp::Sum, Some(1), &sched(1)).unwrap_err();
    assert!(e.message().contains("more than memory can address"), "{e}");
}

/// A reduction of a bare name reads the bound array in place (no copy); over every layout a
/// view can have (contiguous, transposed, strided, reversed, broadcast-free 0-d and empty)
/// and every dtype it must equal the interpreter's (which copies first), bit for bit.
#[test]
fn bare_names_reduce_in_place_as_the_interpreter_does() {
    use ndarray::{s, Array2};
    let m = Array2::from_shape_fn((37, 129), |(i, j)| {
        ((i * 131 + j * 17) % 97) as f64 * 0.37 - 11.0 + if (i + j) % 13 == 0 { 1e-9 } else { 0.0 }
    });
    let views = [
        m.view(),
        m.t(),
        m.slice(s![.., ..;3]),
        m.slice(s![..;-2, 5..]),
        m.slice(s![3..3, ..]),
        m.slice(s![.., 7..8]),
    ];
    for (k, v) in views.iter().enumerate() {
        let f32s = v.mapv(|x| x as f32);
        let ints = v.mapv(|x| x as i64);
        let i32s = v.mapv(|x| x as i32);
        let bools = v.mapv(|x| x > 0.0);
        let cplx = v.mapv(|x| numjit::Complex64::new(x, -x * 0.5));
        for expr in [
            "sum(a)",
            "prod(a)",
            "min(a)",
            "max(a)",
            "sum(a, axis=0)",
            "sum(a, axis=1)",
            "max(a, axis=-1)",
            "min(a, axis=0)",
            "prod(a, axis=1)",
        ] {
            let bind = |d: usize| match d {
                0 => numjit::Vars::new().bind("a", v.view()),
                1 => numjit::vars! {"a" => &f32s},
                2 => numjit::vars! {"a" => &ints},
                3 => numjit::vars! {"a" => &i32s},
                4 => numjit::vars! {"a" => &bools},
                _ => numjit::vars! {"a" => &cplx},
            };
            for d in 0..6 {
                let jit = numjit::eval(expr, bind(d));
                let reference = numjit::interpret(expr, bind(d));
                match (jit, reference) {
                    (Ok(j), Ok(r)) => assert!(
                        format!("{j:?}") == format!("{r:?}"),
                        "view {k}, dtype {d}, `{expr}`: {j:?} vs {r:?}"
                    ),
                    (Err(j), Err(r)) => assert_eq!(j.to_string(), r.to_string()),
                    (j, r) => panic!("view {k}, dtype {d}, `{expr}`: {j:?} vs {r:?}"),
                }
            }
        }
    }
}

/// `sum(expr)` over all elements is computed piece by piece as the kernel produces the
/// argument (never materialised) when its operands walk it along one axis; it must give the
/// interpreter's bits (which materialises, then sums pairwise) at lengths around every
/// boundary of the pieces, for float64 and float32, contiguous, strided, broadcast and 2-D
/// operands (and 2-D layouts that do not coalesce, which fall back).
#[test]
fn fused_sums_equal_the_interpreter() {
    use ndarray::{s, Array1, Array2};
    for n in [
        1usize,
        7,
        129,
        4095,
        4096,
        4097,
        32768,
        32769,
        65536 + 513,
        200_003,
    ] {
        let a = Array1::from_shape_fn(n, |i| ((i * 7919) % 1009) as f64 * 0.01 - 3.3);
        let b = Array1::from_shape_fn(2 * n, |i| ((i * 104_729) % 997) as f64 * 1e-3 + 0.5);
        let bs = b.slice(s![..;2]);
        let a32 = a.mapv(|x| x as f32);
        let b32 = bs.mapv(|x| x as f32);
        for (expr, vars) in [
            ("sum(a*b)", numjit::vars! {"a" => a.view(), "b" => bs}),
            ("sum(a*b + 1.5)", numjit::vars! {"a" => a.view(), "b" => bs}),
            ("sum(sin(a) * 2)", numjit::vars! {"a" => a.view()}),
            ("sum(a*b)", numjit::vars! {"a" => &a32, "b" => &b32}),
            ("sum(a - 2*b)", numjit::vars! {"a" => &a32, "b" => &b32}),
        ] {
            let jit = numjit::eval(expr, vars).unwrap();
            let reference = match expr {
                "sum(a*b)" | "sum(a*b + 1.5)" if jit.dtype() == numjit::DType::Float64 => {
                    numjit::interpret(expr, numjit::vars! {"a" => a.view(), "b" => bs}).unwrap()
                }
                "sum(sin(a) * 2)" => {
                    numjit::interpret(expr, numjit::vars! {"a" => a.view()}).unwrap()
                }
                _ => numjit::interpret(expr, numjit::vars! {"a" => &a32, "b" => &b32}).unwrap(),
            };
            assert_eq!(
                format!("{jit:?}"),
                format!("{reference:?}"),
                "n = {n}: `{expr}`"
            );
        }
    }
    // Two-dimensional: contiguous (coalesces to one axis) and a column block (does not).
    let m = Array2::from_shape_fn((300, 257), |(i, j)| ((i * 31 + j * 17) % 101) as f64 * 0.3);
    for v in [m.view(), m.slice(s![.., 1..200])] {
        let jit = numjit::eval("sum(m * m - 1)", numjit::vars! {"m" => v}).unwrap();
        let reference = numjit::interpret("sum(m * m - 1)", numjit::vars! {"m" => v}).unwrap();
        assert_eq!(format!("{jit:?}"), format!("{reference:?}"));
    }
}
