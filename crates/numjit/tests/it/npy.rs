//! `numjit::npy` (reading and writing `.npy` files) and `numjit::format` (NumPy's `repr`).
//!
//! The fixtures in `tests/data/npy/` were written by NumPy: the bool, int64 and float64 ones by
//! `scripts/make_npy_fixtures.py`, those of the other dtypes (int32, float32, complex128, the
//! narrower dtypes numjit widens, the ones it refuses) and the `repr` cases by
//! `tests/data/npy/make.py`; the expected `repr` strings were recorded from NumPy 2.4.

use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use numjit::npy::{self, NpyErrorKind};
use numjit::{Array, Complex64, DType};
use std::path::{Path, PathBuf};

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/npy")
        .join(name)
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).expect("fixture exists")
}

fn read_fixture(name: &str) -> Array {
    npy::read(&fixture_path(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

fn af(shape: &[usize], v: Vec<f64>) -> Array {
    Array::Float64(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
}

fn ai(shape: &[usize], v: Vec<i64>) -> Array {
    Array::Int64(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
}

fn ab(shape: &[usize], v: Vec<bool>) -> Array {
    Array::Bool(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
}

fn ai32(shape: &[usize], v: Vec<i32>) -> Array {
    Array::Int32(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
}

fn af32(shape: &[usize], v: Vec<f32>) -> Array {
    Array::Float32(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
}

fn ac(shape: &[usize], v: Vec<(f64, f64)>) -> Array {
    let v = v
        .into_iter()
        .map(|(re, im)| Complex64::new(re, im))
        .collect();
    Array::Complex128(ArrayD::from_shape_vec(IxDyn(shape), v).unwrap())
}

/// The bits of every element in logical order (floats by their bit patterns, so NaNs and
/// signed zeros compare), with the dtype and shape: equal when the arrays are identical.
fn bits(a: &Array) -> (DType, Vec<usize>, Vec<u128>) {
    let v: Vec<u128> = match a {
        Array::Bool(x) => x.iter().map(|&v| u128::from(v)).collect(),
        Array::Int32(x) => x.iter().map(|&v| v as u32 as u128).collect(),
        Array::Int64(x) => x.iter().map(|&v| v as u64 as u128).collect(),
        Array::Float32(x) => x.iter().map(|v| u128::from(v.to_bits())).collect(),
        Array::Float64(x) => x.iter().map(|v| u128::from(v.to_bits())).collect(),
        Array::Complex128(x) => x
            .iter()
            .map(|v| (u128::from(v.re.to_bits()) << 64) | u128::from(v.im.to_bits()))
            .collect(),
    };
    (a.dtype(), a.shape().to_vec(), v)
}

/// Asserts that two arrays have the same dtype, shape and element bits.
#[track_caller]
fn assert_identical(got: &Array, want: &Array) {
    assert_eq!(bits(got), bits(want), "got {got:?}, want {want:?}");
}

/// A fresh, empty directory for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("numjit-npy-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The header text of a `.npy` file written by version 1.0.
fn header_text(bytes: &[u8]) -> String {
    let len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    String::from_utf8(bytes[10..10 + len].to_vec()).unwrap()
}

/// Arrays of every dtype and ranks 0 to 4 (including a zero-length axis), in C order, Fortran
/// order and with non-contiguous strides.
fn sample_arrays() -> Vec<Array> {
    let shapes: [&[usize]; 7] = [
        &[],
        &[5],
        &[2, 3],
        &[2, 3, 4],
        &[3, 1, 2, 2],
        &[0],
        &[2, 0, 3],
    ];
    let mut out = Vec::new();
    for shape in shapes {
        let n: usize = shape.iter().product();
        let f: Vec<f64> = (0..n).map(|i| i as f64 * 0.75 - 3.0).collect();
        let i: Vec<i64> = (0..n).map(|i| (i as i64 - 7) * 1_000_000_007).collect();
        let b: Vec<bool> = (0..n).map(|i| i % 3 == 1).collect();
        out.push(Array::Float64(
            ArrayD::from_shape_vec(shape, f.clone()).unwrap(),
        ));
        out.push(Array::Int64(
            ArrayD::from_shape_vec(shape, i.clone()).unwrap(),
        ));
        out.push(Array::Bool(
            ArrayD::from_shape_vec(shape, b.clone()).unwrap(),
        ));
        out.push(Array::Float64(
            ArrayD::from_shape_vec(shape.f(), f.clone()).unwrap(),
        ));
        out.push(Array::Int64(
            ArrayD::from_shape_vec(shape.f(), i.clone()).unwrap(),
        ));
        out.push(Array::Bool(ArrayD::from_shape_vec(shape.f(), b).unwrap()));
        let i32s: Vec<i32> = i.iter().map(|&v| v as i32).collect();
        let f32s: Vec<f32> = f.iter().map(|&v| v as f32 / 3.0).collect();
        let c: Vec<Complex64> = f
            .iter()
            .map(|&v| Complex64::new(v, -v * 1e-3 - 0.5))
            .collect();
        for fortran in [false, true] {
            let s = || {
                if fortran {
                    IxDyn(shape).f()
                } else {
                    IxDyn(shape).into_shape_with_order()
                }
            };
            out.push(Array::Int32(
                ArrayD::from_shape_vec(s(), i32s.clone()).unwrap(),
            ));
            out.push(Array::Float32(
                ArrayD::from_shape_vec(s(), f32s.clone()).unwrap(),
            ));
            out.push(Array::Complex128(
                ArrayD::from_shape_vec(s(), c.clone()).unwrap(),
            ));
        }
    }
    // Non-contiguous: every other column, and a reversed axis.
    let m = ArrayD::from_shape_vec(IxDyn(&[3, 4]), (0..12).map(|i| i as f64).collect()).unwrap();
    let strided = m.slice_each_axis(|ax| {
        if ax.axis.index() == 1 {
            ndarray::Slice::new(0, None, 2)
        } else {
            ndarray::Slice::new(0, None, -1)
        }
    });
    out.push(Array::Float64(strided.to_owned()));
    let mut reversed = ArrayD::from_shape_vec(IxDyn(&[2, 3]), vec![1i64, 2, 3, 4, 5, 6]).unwrap();
    reversed.invert_axis(ndarray::Axis(1));
    out.push(Array::Int64(reversed));
    out
}

#[test]
fn round_trip_every_dtype_rank_and_order() {
    for a in sample_arrays() {
        let bytes = npy::to_bytes(&a);
        let back = npy::read_bytes(&bytes).unwrap_or_else(|e| panic!("{a:?}: {e}"));
        assert_eq!(back, a);
        assert_eq!(back.dtype(), a.dtype());
        assert_eq!(back.shape(), a.shape());
        // The data starts at a multiple of 64 bytes and fills the rest of the file.
        let header_end = 10 + u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!(header_end % 64, 0);
        assert_eq!(bytes.len() - header_end, a.len() * a.dtype().size());
    }
}

#[test]
fn fortran_order_is_kept() {
    let a = af(&[2, 3], (0..6).map(f64::from).collect());
    let Array::Float64(c) = &a else {
        unreachable!()
    };
    let f = Array::Float64(
        ArrayD::from_shape_vec(IxDyn(&[2, 3]).f(), c.t().iter().copied().collect()).unwrap(),
    );
    assert_eq!(f, a);
    assert!(header_text(&npy::to_bytes(&a)).contains("'fortran_order': False"));
    let bytes = npy::to_bytes(&f);
    assert!(header_text(&bytes).contains("'fortran_order': True"));
    // The data is written in Fortran order: column by column.
    let data: Vec<f64> = bytes[bytes.len() - 48..]
        .chunks(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(data, vec![0., 3., 1., 4., 2., 5.]);
    let back = npy::read_bytes(&bytes).unwrap();
    assert_eq!(back, a);
    assert!(!back.as_f64().unwrap().is_standard_layout());
}

#[test]
fn write_and_read_a_file() {
    let dir = temp_dir("write_and_read_a_file");
    let path = dir.join("x.npy");
    let a = ai(&[2, 2], vec![1, -2, 3, i64::MIN]);
    npy::write(&path, &a).unwrap();
    assert_eq!(npy::read(&path).unwrap(), a);
    assert_eq!(std::fs::read(&path).unwrap(), npy::to_bytes(&a));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn io_errors_name_the_path() {
    let dir = temp_dir("io_errors_name_the_path");
    let missing = dir.join("missing.npy");
    let e = npy::read(&missing).unwrap_err();
    assert!(matches!(e.kind(), NpyErrorKind::Io(_)));
    assert_eq!(e.path(), Some(missing.as_path()));
    assert!(e.to_string().contains("missing.npy"), "{e}");
    assert!(std::error::Error::source(&e).is_some());

    let unwritable = dir.join("no-such-dir").join("out.npy");
    let e = npy::write(&unwritable, &af(&[1], vec![1.0])).unwrap_err();
    assert!(matches!(e.kind(), NpyErrorKind::Io(_)));
    assert!(e.to_string().contains("out.npy"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

// --- Fixtures written by NumPy ---------------------------------------------------------------

#[test]
fn reads_float64() {
    let a = read_fixture("f8_1d.npy");
    let v = a.as_f64().expect("float64");
    assert_eq!(v.shape(), &[8]);
    let v: Vec<f64> = v.iter().copied().collect();
    assert_eq!(
        &v[..7],
        &[
            0.0,
            -1.5,
            2.25,
            1e300,
            -5e-324,
            f64::INFINITY,
            f64::NEG_INFINITY
        ]
    );
    assert!(v[7].is_nan());
}

#[test]
fn reads_int64() {
    assert_eq!(
        read_fixture("i8_2d.npy"),
        ai(&[2, 3], vec![0, 1, -2, 1 << 62, i64::MIN, i64::MAX])
    );
}

#[test]
fn reads_bool() {
    assert_eq!(
        read_fixture("b1_1d.npy"),
        ab(&[4], vec![true, false, true, true])
    );
}

#[test]
fn reads_3d() {
    assert_eq!(
        read_fixture("f8_3d.npy"),
        af(&[2, 3, 4], (0..24).map(|i| i as f64 / 4.0).collect())
    );
}

#[test]
fn reads_0d() {
    let a = read_fixture("f8_0d.npy");
    assert_eq!(a.shape(), &[] as &[usize]);
    assert_eq!(a, af(&[], vec![3.5]));
    assert_eq!(read_fixture("i8_0d.npy"), ai(&[], vec![-7]));
    assert_eq!(read_fixture("b1_0d.npy"), ab(&[], vec![true]));
}

#[test]
fn reads_empty() {
    assert_eq!(read_fixture("f8_empty_0x3.npy"), af(&[0, 3], vec![]));
    assert_eq!(read_fixture("i8_empty.npy"), ai(&[0], vec![]));
}

#[test]
fn reads_fortran_order() {
    assert_eq!(
        read_fixture("f8_fortran.npy"),
        af(&[2, 3], vec![0., 1., 2., 3., 4., 5.])
    );
    assert_eq!(
        read_fixture("i8_fortran_3d.npy"),
        ai(&[2, 3, 4], (0..24).collect())
    );
    assert_eq!(
        read_fixture("b1_fortran.npy"),
        ab(&[2, 3], vec![true, false, false, false, true, true])
    );
}

#[test]
fn reads_big_endian() {
    assert_eq!(
        read_fixture("f8_big.npy"),
        af(&[3], vec![1.0, -2.5, 1e-300])
    );
    assert_eq!(
        read_fixture("i8_big.npy"),
        ai(&[3], vec![1, -2, (1 << 40) + 3])
    );
    assert_eq!(
        read_fixture("f8_big_fortran.npy"),
        af(&[3, 2], vec![0., 1., 2., 3., 4., 5.])
    );
}

#[test]
fn reads_versions_2_and_3() {
    assert_eq!(&fixture_bytes("f8_v2.npy")[6..8], &[2, 0]);
    assert_eq!(read_fixture("f8_v2.npy"), af(&[3], vec![1., 2., 3.]));
    assert_eq!(&fixture_bytes("i8_v3.npy")[6..8], &[3, 0]);
    assert_eq!(read_fixture("i8_v3.npy"), ai(&[2, 2], vec![1, 2, 3, 4]));
}

#[test]
fn reads_int32() {
    assert_eq!(
        read_fixture("i4_1d.npy"),
        ai32(&[5], vec![0, 1, -2, i32::MAX, i32::MIN])
    );
    assert_eq!(read_fixture("i4_0d.npy"), ai32(&[], vec![-7]));
    assert_eq!(read_fixture("i4_empty.npy"), ai32(&[2, 0], vec![]));
    // Big-endian and Fortran order.
    let a = read_fixture("i4_big_fortran.npy");
    assert_eq!(a, ai32(&[2, 3], vec![-3, -2, -1, 0, 1, 2]));
    assert!(!a.as_i32().unwrap().is_standard_layout());
}

#[test]
fn reads_float32() {
    let a = read_fixture("f4_1d.npy");
    let want = af32(
        &[10],
        vec![
            0.0,
            -1.5,
            0.1,
            f32::MAX,
            1e-45,
            f32::MIN_POSITIVE,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            -0.0,
        ],
    );
    assert_identical(&a, &want);
    assert_eq!(read_fixture("f4_0d.npy"), af32(&[], vec![2.5]));
    assert_eq!(
        read_fixture("f4_big.npy"),
        af32(&[3], vec![1.0, -2.5, 1e-30])
    );
    assert_eq!(
        read_fixture("f4_fortran_3d.npy"),
        af32(&[2, 3, 4], (0..24).map(|i| i as f32 / 8.0).collect())
    );
    assert_eq!(&fixture_bytes("f4_v2.npy")[6..8], &[2, 0]);
    assert_eq!(read_fixture("f4_v2.npy"), af32(&[2], vec![0.5, 1.5]));
}

#[test]
fn reads_complex128() {
    let nan = f64::NAN;
    assert_identical(
        &read_fixture("c16_1d.npy"),
        &ac(
            &[4],
            vec![
                (1.0, 2.0),
                (-0.5, -1e300),
                (f64::INFINITY, nan),
                (0.0, -0.0),
            ],
        ),
    );
    assert_eq!(read_fixture("c16_0d.npy"), ac(&[], vec![(3.0, -4.0)]));
    assert_eq!(
        read_fixture("c16_big.npy"),
        ac(&[2], vec![(1.0, 2.0), (-3.5, 0.25)])
    );
    assert_eq!(
        read_fixture("c16_fortran.npy"),
        ac(
            &[2, 3],
            (0..6).map(|i| (i as f64, i as f64 + 6.0)).collect()
        )
    );
    assert_eq!(&fixture_bytes("c16_v3.npy")[6..8], &[3, 0]);
    assert_identical(
        &read_fixture("c16_v3.npy"),
        &ac(&[3], vec![(0.0, 1.0), (2.0, 0.0), (-0.0, -3.0)]),
    );
}

#[test]
fn reads_byte_strings() {
    use numjit::npy::Contents;
    let bytes = |name: &str| match npy::read_contents(&fixture_path(name)).unwrap() {
        Contents::Bytes(b) => b,
        Contents::Array(a) => panic!("{name}: {a:?}"),
    };
    // np.array([b"abc", b"de"]): NUL-padded to the width.
    let b = bytes("S3.npy");
    assert_eq!((b.width(), b.shape()), (3, &[2usize][..]));
    assert_eq!(b.data(), b"abcde\0");
    // Fortran order comes back in C order; NULs inside a string are kept.
    let b = bytes("S_fortran.npy");
    assert_eq!((b.width(), b.shape()), (4, &[2usize, 3][..]));
    assert_eq!(b.data(), b"a\0\0\0bb\0\0\0\0\0\0dddde\0f\0ff\0\0");
    let b = bytes("S_0d.npy");
    assert_eq!((b.width(), b.shape(), b.data()), (3, &[][..], &b"xyz"[..]));
    let b = bytes("S_big_width.npy");
    assert_eq!(b.data(), b"hello\0\0\0world\0\0\0");
    assert_eq!(b.arg().dtype(), DType::Bytes(8));
    assert_eq!(b.arg().shape(), &[2]);
    // Arrays come through read_contents too.
    assert!(matches!(
        npy::read_contents(&fixture_path("i4_1d.npy")).unwrap(),
        Contents::Array(a) if a == read_fixture("i4_1d.npy")
    ));
    // Width 0 holds nothing.
    let header = "{'descr': '|S0', 'fortran_order': False, 'shape': (2,), }";
    let e = npy::read_contents_bytes(&with_header(header, &[])).unwrap_err();
    assert!(e.to_string().contains("width 0"), "{e}");
}

/// Narrower dtypes are widened the way numexpr widens them, value by value the same as NumPy's
/// `astype` to the wider dtype (`<name>_want.npy`, written by NumPy).
#[test]
fn narrow_dtypes_are_widened_like_numpy() {
    for (name, dtype) in [
        ("i1", DType::Int32),
        ("i2", DType::Int32),
        ("i2_big_fortran", DType::Int32),
        ("u1_range", DType::Int32),
        ("u2", DType::Int32),
        ("u2_big", DType::Int32),
        ("u4", DType::Int64),
        ("u4_big_0d", DType::Int64),
        ("f2", DType::Float32),
        ("f2_big", DType::Float32),
        ("f2_nans", DType::Float32),
        ("c8", DType::Complex128),
        ("c8_big", DType::Complex128),
    ] {
        let got = read_fixture(&format!("{name}.npy"));
        let want = read_fixture(&format!("{name}_want.npy"));
        assert_eq!(got.dtype(), dtype, "{name}");
        assert_identical(&got, &want);
    }
    // A few values by hand.
    assert_eq!(
        read_fixture("i1.npy"),
        ai32(&[5], vec![-128, -1, 0, 1, 127])
    );
    assert_eq!(
        read_fixture("u4.npy"),
        ai(&[4], vec![0, 1, 1 << 31, (1 << 32) - 1])
    );
    let i2 = read_fixture("i2_big_fortran.npy");
    assert_eq!(i2, ai32(&[3, 2], vec![-3, -2, -1, 0, 1, 2]));
    assert!(!i2.as_i32().unwrap().is_standard_layout());
    let f2 = read_fixture("f2.npy");
    let f2: Vec<f32> = f2.as_f32().unwrap().iter().copied().collect();
    assert_eq!(
        &f2[..6],
        &[0.0, -0.0, 1.0, -2.0, 65504.0, -65504.0],
        "{f2:?}"
    );
    assert_eq!(f2[6], 2f32.powi(-14));
    assert_eq!(f2[7], 2f32.powi(-24));
    assert_eq!(f2[10], 0.099975586);
}

/// The bytes of a version 1.0 `.npy` file of all 65536 float16 bit patterns.
fn every_half(big: bool) -> Vec<u8> {
    let descr = if big { ">f2" } else { "<f2" };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (65536,), }}");
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut data = Vec::new();
    for b in 0..=u16::MAX {
        data.extend_from_slice(&if big {
            b.to_be_bytes()
        } else {
            b.to_le_bytes()
        });
    }
    with_header(&header, &data)
}

/// Every float16 converts exactly: the same float32 bits as NumPy's conversion (hashed in
/// `f2_all.txt`), and the value of the IEEE 754 formula.
#[test]
fn every_float16_converts_exactly() {
    let want_hash = std::fs::read_to_string(fixture_path("f2_all.txt")).unwrap();
    let want_hash = u64::from_str_radix(want_hash.trim(), 16).unwrap();
    for big in [false, true] {
        let a = npy::read_bytes(&every_half(big)).unwrap();
        let v = a.as_f32().expect("float16 is read as float32");
        assert_eq!(v.len(), 65536);
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for (bits, x) in v.iter().enumerate() {
            for byte in x.to_le_bytes() {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
            }
            let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
            let exp = (bits >> 10) & 0x1f;
            let mant = (bits & 0x3ff) as f64;
            let want = match exp {
                0 => sign * mant * 2f64.powi(-24),
                0x1f if mant == 0.0 => sign * f64::INFINITY,
                0x1f => f64::NAN,
                e => sign * (1.0 + mant / 1024.0) * 2f64.powi(e as i32 - 15),
            };
            if want.is_nan() {
                assert!(x.is_nan(), "{bits:#06x}");
                assert_eq!(x.is_sign_negative(), sign < 0.0, "{bits:#06x}");
            } else {
                assert_eq!(f64::from(*x), want, "{bits:#06x}");
                assert_eq!(x.is_sign_negative(), sign < 0.0, "{bits:#06x}");
            }
        }
        assert_eq!(hash, want_hash, "big-endian: {big}");
    }
}

#[test]
fn writes_the_same_bytes_as_numpy() {
    for name in [
        "f8_1d.npy",
        "i8_2d.npy",
        "b1_1d.npy",
        "f8_3d.npy",
        "f8_0d.npy",
        "i8_0d.npy",
        "b1_0d.npy",
        "f8_empty_0x3.npy",
        "i8_empty.npy",
        "f8_fortran.npy",
        "i8_fortran_3d.npy",
        "b1_fortran.npy",
        "i4_1d.npy",
        "i4_0d.npy",
        "i4_empty.npy",
        "f4_1d.npy",
        "f4_0d.npy",
        "f4_fortran_3d.npy",
        "c16_1d.npy",
        "c16_0d.npy",
        "c16_fortran.npy",
        "i4.npy",
        "f4.npy",
        "c16.npy",
        // What NumPy writes for the widened array.
        "u1_range_want.npy",
        "f2_want.npy",
        "c8_want.npy",
        "u4_want.npy",
    ] {
        let a = read_fixture(name);
        assert!(npy::to_bytes(&a) == fixture_bytes(name), "{name}");
    }
}

#[test]
fn ignores_bytes_after_the_data() {
    let mut bytes = fixture_bytes("i8_2d.npy");
    bytes.extend_from_slice(&fixture_bytes("f8_1d.npy"));
    assert_eq!(npy::read_bytes(&bytes).unwrap(), read_fixture("i8_2d.npy"));
}

// --- Errors ----------------------------------------------------------------------------------

#[test]
fn unsupported_dtypes_are_named() {
    for (file, descr, name, why) in [
        ("u8.npy", "<u8", "uint64", "values above 2**63-1"),
        ("f16.npy", "<f16", "long double", ".astype('float64')"),
        (
            "c32.npy",
            "<c32",
            "complex long double",
            ".astype('complex128')",
        ),
        ("U3.npy", "<U3", "unicode", "no unicode dtype"),
        ("S3.npy", "|S3", "byte string", "npy::read_contents"),
        ("object.npy", "|O", "object", "Python objects, not numbers"),
        ("M8.npy", "<M8[D]", "datetime64", "not dates or durations"),
        ("m8.npy", "<m8[s]", "timedelta64", "not dates or durations"),
        ("V4.npy", "|V4", "void", "records, not numbers"),
        (
            "structured.npy",
            "[('a', '<f8'), ('b', '<i4')]",
            "structured",
            "records, not numbers",
        ),
    ] {
        let e = npy::read(&fixture_path(file)).unwrap_err();
        match e.kind() {
            NpyErrorKind::UnsupportedDtype { descr: d } => assert_eq!(d, descr, "{file}"),
            other => panic!("{file}: unexpected error {other:?}"),
        }
        let msg = e.to_string();
        for part in [
            file,
            descr,
            name,
            why,
            "bool",
            "int64",
            "float64",
            "complex128",
        ] {
            assert!(msg.contains(part), "{file}: {msg:?} lacks {part:?}");
        }
    }
}

#[test]
fn unsupported_dtype_message() {
    let e = npy::read_bytes(&fixture_bytes("u8.npy")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unsupported dtype '<u8' (uint64): values above 2**63-1 have no numjit dtype (numexpr \
         casts them to int64 unchecked, so they turn negative); convert them with \
         .astype('int64') if they fit; numjit reads bool, int8 to int64, uint8 to uint32, \
         float16 to float64, complex64, complex128 and byte-string (`S`) arrays"
    );
    // A dtype numjit knows nothing about still gets its name and the list.
    let header = "{'descr': '<i16', 'fortran_order': False, 'shape': (1,), }";
    let e = npy::read_bytes(&with_header(header, &[0; 16])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "unsupported dtype '<i16' (int128); numjit reads bool, int8 to int64, uint8 to uint32, \
         float16 to float64, complex64, complex128 and byte-string (`S`) arrays"
    );
}

#[test]
fn truncated_data() {
    let bytes = fixture_bytes("f8_1d.npy");
    let e = npy::read_bytes(&bytes[..bytes.len() - 1]).unwrap_err();
    assert!(
        matches!(
            e.kind(),
            NpyErrorKind::Truncated {
                what: "data",
                expected: 64,
                found: 63
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "truncated .npy file: the data needs 64 bytes but only 63 are present"
    );
    let e = npy::read_bytes(&bytes[..100]).unwrap_err();
    assert!(
        matches!(e.kind(), NpyErrorKind::Truncated { what: "header", .. }),
        "{e:?}"
    );
}

#[test]
fn every_truncation_is_an_error() {
    for name in [
        "f8_1d.npy",
        "i8_fortran_3d.npy",
        "b1_0d.npy",
        "f8_v2.npy",
        "i8_v3.npy",
        "c16_v3.npy",
        "f2_big.npy",
        "i4_big_fortran.npy",
        "c8.npy",
    ] {
        let bytes = fixture_bytes(name);
        for len in 0..bytes.len() {
            assert!(
                npy::read_bytes(&bytes[..len]).is_err(),
                "{name} cut to {len} bytes"
            );
        }
    }
}

#[test]
fn corrupt_bytes_never_panic() {
    for name in [
        "f8_1d.npy",
        "i8_2d.npy",
        "b1_0d.npy",
        "i8_v3.npy",
        "c16_1d.npy",
        "f2.npy",
        "u4.npy",
    ] {
        let bytes = fixture_bytes(name);
        for i in 0..bytes.len().min(128) {
            for replacement in [0u8, b' ', b'(', b')', b'\'', b'9', b'-', 0xff] {
                let mut b = bytes.clone();
                b[i] = replacement;
                let _ = npy::read_bytes(&b);
            }
        }
    }
}

#[test]
fn bad_magic() {
    for bytes in [
        &b""[..],
        b"hello, world",
        b"\x93NUMPZ\x01\x00",
        b"PK\x03\x04",
    ] {
        let e = npy::read_bytes(bytes).unwrap_err();
        assert!(
            matches!(e.kind(), NpyErrorKind::BadMagic),
            "{bytes:?}: {e:?}"
        );
        assert!(e.to_string().contains("not a .npy file"), "{e}");
    }
}

#[test]
fn unsupported_version() {
    let mut bytes = fixture_bytes("f8_1d.npy");
    bytes[6] = 4;
    let e = npy::read_bytes(&bytes).unwrap_err();
    assert!(
        matches!(
            e.kind(),
            NpyErrorKind::UnsupportedVersion { major: 4, minor: 0 }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("4.0"), "{e}");
}

/// A version 1.0 file with the given header text and data.
fn with_header(header: &str, data: &[u8]) -> Vec<u8> {
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    bytes
}

#[test]
fn bad_headers() {
    for header in [
        "",
        "not a dict",
        "{'descr': '<f8', 'fortran_order': False}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}",
        "{'descr': '<f8', 'fortran_order': 'no', 'shape': (1,)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': [1]}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1.5,)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1,)",
        "{'descr': 8, 'fortran_order': False, 'shape': (1,)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} trailing",
        "{'descr': '<f8, 'fortran_order': False, 'shape': (1,)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296)}",
    ] {
        let e = npy::read_bytes(&with_header(header, &[0; 8])).unwrap_err();
        assert!(
            matches!(e.kind(), NpyErrorKind::BadHeader(_)),
            "{header}: {e:?}"
        );
        assert!(e.to_string().starts_with("malformed .npy header: "), "{e}");
    }
}

#[test]
fn huge_shape_with_little_data_is_truncated() {
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }\n";
    let e = npy::read_bytes(&with_header(header, &[0; 8])).unwrap_err();
    assert!(
        matches!(e.kind(), NpyErrorKind::Truncated { what: "data", .. }),
        "{e:?}"
    );
}

#[test]
fn lenient_header_syntax() {
    // Double quotes, no trailing comma or padding, Python 2 longs, any key order.
    let header = "{\"shape\": (2L, 1), \"fortran_order\": False, \"descr\": \"<i8\"}";
    let mut data = Vec::new();
    data.extend_from_slice(&5i64.to_le_bytes());
    data.extend_from_slice(&(-6i64).to_le_bytes());
    assert_eq!(
        npy::read_bytes(&with_header(header, &data)).unwrap(),
        ai(&[2, 1], vec![5, -6])
    );
}

#[test]
fn dtypes_of_written_files() {
    for (a, descr) in [
        (af(&[1], vec![1.]), "'<f8'"),
        (ai(&[1], vec![1]), "'<i8'"),
        (ab(&[1], vec![true]), "'|b1'"),
        (ai32(&[1], vec![1]), "'<i4'"),
        (af32(&[1], vec![1.]), "'<f4'"),
        (ac(&[1], vec![(1., 2.)]), "'<c16'"),
    ] {
        let bytes = npy::to_bytes(&a);
        assert!(header_text(&bytes).contains(descr));
        let back = npy::read_bytes(&bytes).unwrap();
        assert_eq!(back.dtype(), a.dtype());
    }
    assert_eq!(read_fixture("b1_1d.npy").dtype(), DType::Bool);
}

// --- repr ------------------------------------------------------------------------------------

/// `numjit::internals::repr` against NumPy 2.4's `repr()` of every array in `repr_cases.npy`
/// (int32, float32, complex128 and float64 arrays, hand-picked and random; see make.py).
#[test]
fn repr_matches_numpy_cases() {
    let stream = fixture_bytes("repr_cases.npy");
    let text = std::fs::read_to_string(fixture_path("repr_cases.txt")).unwrap();
    let cases: Vec<(&str, String)> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (desc, want) = l.split_once('\t').expect("description, tab, repr");
            (desc, want.replace("\\n", "\n"))
        })
        .collect();
    assert!(cases.len() > 400, "{} cases", cases.len());
    let mut at = 0;
    let mut failures = Vec::new();
    for (desc, want) in &cases {
        let bytes = &stream[at..];
        let a = npy::read_bytes(bytes).unwrap_or_else(|e| panic!("{desc}: {e}"));
        // The arrays follow one another: version 1.0 header, then the data.
        at += 10 + u16::from_le_bytes([bytes[8], bytes[9]]) as usize + a.len() * a.dtype().size();
        let got = numjit::internals::repr(&a);
        if &got != want {
            failures.push(format!("{desc}:\n  got  {got:?}\n  want {want:?}"));
        }
    }
    assert_eq!(at, stream.len(), "every array of the stream was read");
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// `numjit::internals::repr` against strings printed by NumPy 2.4's `repr()`.
mod repr {
    use super::{ab, ac, af, af32, ai, ai32};
    use numjit::internals::repr;

    #[test]
    fn int32() {
        // np.array([1, 2], dtype=np.int32); np.array(3, dtype=np.int32)
        assert_eq!(repr(&ai32(&[2], vec![1, 2])), "array([1, 2], dtype=int32)");
        assert_eq!(repr(&ai32(&[], vec![3])), "array(3, dtype=int32)");
        // np.zeros((0,), np.int32)
        assert_eq!(repr(&ai32(&[0], vec![])), "array([], dtype=int32)");
    }

    #[test]
    fn float32_shortest_digits() {
        // np.array([1.5, 2.], dtype=np.float32); np.array([0.1, 1/3], dtype=np.float32)
        assert_eq!(
            repr(&af32(&[2], vec![1.5, 2.0])),
            "array([1.5, 2. ], dtype=float32)"
        );
        assert_eq!(
            repr(&af32(&[2], vec![0.1, 1.0 / 3.0])),
            "array([0.1       , 0.33333334], dtype=float32)"
        );
        // np.array(1.5, dtype=np.float32)
        assert_eq!(repr(&af32(&[], vec![1.5])), "array(1.5, dtype=float32)");
    }

    #[test]
    fn float32_exp_cutoff_is_1e6() {
        // np.array([1e6, 1.], dtype=np.float32); np.array([999999., 1.], dtype=np.float32)
        assert_eq!(
            repr(&af32(&[2], vec![1e6, 1.0])),
            "array([1.e+06, 1.e+00], dtype=float32)"
        );
        assert_eq!(
            repr(&af32(&[2], vec![999999.0, 1.0])),
            "array([9.99999e+05, 1.00000e+00], dtype=float32)"
        );
        // np.array([1e-4], dtype=np.float32): compared with 1e-4 in float32, not below it.
        assert_eq!(
            repr(&af32(&[1], vec![1e-4])),
            "array([0.0001], dtype=float32)"
        );
    }

    #[test]
    fn complex128() {
        // np.array([1+2j, -1j]); np.array(1+2j)
        assert_eq!(
            repr(&ac(&[2], vec![(1.0, 2.0), (-0.0, -1.0)])),
            "array([ 1.+2.j, -0.-1.j])"
        );
        assert_eq!(repr(&ac(&[], vec![(1.0, 2.0)])), "array(1.+2.j)");
        // np.array([1+2j, complex(-0., -1), complex(nan, nan), complex(inf, 0)])
        let nan = f64::NAN;
        let inf = f64::INFINITY;
        assert_eq!(
            repr(&ac(
                &[4],
                vec![(1.0, 2.0), (-0.0, -1.0), (nan, nan), (inf, 0.0)]
            )),
            "array([ 1. +2.j, -0. -1.j, nan+nanj, inf +0.j])"
        );
        // np.array([1.5+2.25j, 1])
        assert_eq!(
            repr(&ac(&[2], vec![(1.5, 2.25), (1.0, 0.0)])),
            "array([1.5+2.25j, 1. +0.j  ])"
        );
        // np.zeros((0,), complex)
        assert_eq!(repr(&ac(&[0], vec![])), "array([], dtype=complex128)");
    }

    #[test]
    fn float_1d() {
        // np.array([1., 2., 3.])
        assert_eq!(repr(&af(&[3], vec![1., 2., 3.])), "array([1., 2., 3.])");
    }

    #[test]
    fn int_1d() {
        // np.array([1, 2, 3])
        assert_eq!(repr(&ai(&[3], vec![1, 2, 3])), "array([1, 2, 3])");
    }

    #[test]
    fn bool_1d() {
        // np.array([True, False])
        assert_eq!(repr(&ab(&[2], vec![true, false])), "array([ True, False])");
    }

    #[test]
    fn float_0d() {
        // np.array(3.5)
        assert_eq!(repr(&af(&[], vec![3.5])), "array(3.5)");
    }

    #[test]
    fn float_0d_exp() {
        // np.array(1e20)
        assert_eq!(repr(&af(&[], vec![1e20])), "array(1.e+20)");
    }

    #[test]
    fn float_0d_nan() {
        // np.array(np.nan)
        assert_eq!(repr(&af(&[], vec![f64::NAN])), "array(nan)");
    }

    #[test]
    fn int_0d() {
        // np.array(-7)
        assert_eq!(repr(&ai(&[], vec![-7])), "array(-7)");
    }

    #[test]
    fn bool_0d() {
        // np.array(True)
        assert_eq!(repr(&ab(&[], vec![true])), "array(True)");
    }

    #[test]
    fn unique_width() {
        // np.array([1., 2.5, -3.25])
        assert_eq!(
            repr(&af(&[3], vec![1., 2.5, -3.25])),
            "array([ 1.  ,  2.5 , -3.25])"
        );
    }

    #[test]
    fn exp_large() {
        // np.array([1e20, 1.5])
        assert_eq!(
            repr(&af(&[2], vec![1e20, 1.5])),
            "array([1.0e+20, 1.5e+00])"
        );
    }

    #[test]
    fn exp_cutoff_1e8() {
        // np.array([1e8, 1.])
        assert_eq!(repr(&af(&[2], vec![1e8, 1.])), "array([1.e+08, 1.e+00])");
    }

    #[test]
    fn below_exp_cutoff() {
        // np.array([99999999., 1.])
        assert_eq!(
            repr(&af(&[2], vec![99999999., 1.])),
            "array([9.9999999e+07, 1.0000000e+00])"
        );
    }

    #[test]
    fn exp_small() {
        // np.array([0., 1e-5])
        assert_eq!(repr(&af(&[2], vec![0., 1e-5])), "array([0.e+00, 1.e-05])");
    }

    #[test]
    fn exp_ratio() {
        // np.array([1., 1000.5])
        assert_eq!(
            repr(&af(&[2], vec![1., 1000.5])),
            "array([1.0000e+00, 1.0005e+03])"
        );
    }

    #[test]
    fn no_exp_ratio_1000() {
        // np.array([1., 1000.])
        assert_eq!(repr(&af(&[2], vec![1., 1000.])), "array([   1., 1000.])");
    }

    #[test]
    fn nonfinite() {
        // np.array([np.nan, -np.inf, np.inf, 0.5])
        assert_eq!(
            repr(&af(
                &[4],
                vec![f64::NAN, f64::NEG_INFINITY, f64::INFINITY, 0.5]
            )),
            "array([ nan, -inf,  inf,  0.5])"
        );
    }

    #[test]
    fn only_nonfinite() {
        // np.array([np.nan, np.inf])
        assert_eq!(
            repr(&af(&[2], vec![f64::NAN, f64::INFINITY])),
            "array([nan, inf])"
        );
    }

    #[test]
    fn nonfinite_exp() {
        // np.array([np.nan, 1e100, -np.inf])
        assert_eq!(
            repr(&af(&[3], vec![f64::NAN, 1e100, f64::NEG_INFINITY])),
            "array([    nan, 1.e+100,    -inf])"
        );
    }

    #[test]
    fn negative_zero() {
        // np.array([-0.0, 0.0])
        assert_eq!(repr(&af(&[2], vec![-0.0, 0.0])), "array([-0.,  0.])");
    }

    #[test]
    fn shortest_digits() {
        // np.array([0.1, 0.2, 0.30000000000000004])
        assert_eq!(
            repr(&af(&[3], vec![0.1, 0.2, 0.30000000000000004])),
            "array([0.1, 0.2, 0.3])"
        );
    }

    #[test]
    fn eight_digits() {
        // np.array([1/3, 2/3, 123456.789012345])
        assert_eq!(
            repr(&af(&[3], vec![1. / 3., 2. / 3., 123456.789012345])),
            "array([3.33333333e-01, 6.66666667e-01, 1.23456789e+05])"
        );
    }

    #[test]
    fn round_half_even() {
        // np.array([1/512, 3/512])
        assert_eq!(
            repr(&af(&[2], vec![1. / 512., 3. / 512.])),
            "array([0.00195312, 0.00585938])"
        );
    }

    #[test]
    fn extremes() {
        // np.array([1.7976931348623157e308, -5e-324])
        assert_eq!(
            repr(&af(&[2], vec![f64::MAX, -5e-324])),
            "array([ 1.79769313e+308, -4.94065646e-324])"
        );
    }

    #[test]
    fn int_extremes() {
        // np.array([-2**63, 2**63 - 1])
        assert_eq!(
            repr(&ai(&[2], vec![i64::MIN, i64::MAX])),
            "array([-9223372036854775808,  9223372036854775807])"
        );
    }

    #[test]
    fn int_wrap() {
        // np.arange(100)
        assert_eq!(
            repr(&ai(&[100], (0..100).collect())),
            "array([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16,\n       17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33,\n       34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50,\n       51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67,\n       68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84,\n       85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99])"
        );
    }

    #[test]
    fn float_wrap() {
        // np.arange(40.) / 7
        assert_eq!(
            repr(&af(&[40], (0..40).map(|i| i as f64 / 7.).collect())),
            "array([0.        , 0.14285714, 0.28571429, 0.42857143, 0.57142857,\n       0.71428571, 0.85714286, 1.        , 1.14285714, 1.28571429,\n       1.42857143, 1.57142857, 1.71428571, 1.85714286, 2.        ,\n       2.14285714, 2.28571429, 2.42857143, 2.57142857, 2.71428571,\n       2.85714286, 3.        , 3.14285714, 3.28571429, 3.42857143,\n       3.57142857, 3.71428571, 3.85714286, 4.        , 4.14285714,\n       4.28571429, 4.42857143, 4.57142857, 4.71428571, 4.85714286,\n       5.        , 5.14285714, 5.28571429, 5.42857143, 5.57142857])"
        );
    }

    #[test]
    fn float_exp_wrap() {
        // np.arange(1, 25).astype(float)**5 * 1e5
        assert_eq!(
            repr(&af(&[24], (1..25i64).map(|i| (i * i * i * i * i) as f64 * 1e5).collect())),
            "array([1.000000e+05, 3.200000e+06, 2.430000e+07, 1.024000e+08,\n       3.125000e+08, 7.776000e+08, 1.680700e+09, 3.276800e+09,\n       5.904900e+09, 1.000000e+10, 1.610510e+10, 2.488320e+10,\n       3.712930e+10, 5.378240e+10, 7.593750e+10, 1.048576e+11,\n       1.419857e+11, 1.889568e+11, 2.476099e+11, 3.200000e+11,\n       4.084101e+11, 5.153632e+11, 6.436343e+11, 7.962624e+11])"
        );
    }

    #[test]
    fn bool_wrap() {
        // np.arange(30) % 3 == 0
        assert_eq!(
            repr(&ab(&[30], (0..30).map(|i| i % 3 == 0).collect())),
            "array([ True, False, False,  True, False, False,  True, False, False,\n        True, False, False,  True, False, False,  True, False, False,\n        True, False, False,  True, False, False,  True, False, False,\n        True, False, False])"
        );
    }

    #[test]
    fn int_2d() {
        // np.array([[1, -20], [300, 4]])
        assert_eq!(
            repr(&ai(&[2, 2], vec![1, -20, 300, 4])),
            "array([[  1, -20],\n       [300,   4]])"
        );
    }

    #[test]
    fn int_3d() {
        // np.arange(24).reshape(2, 3, 4)
        assert_eq!(
            repr(&ai(&[2, 3, 4], (0..24).collect())),
            "array([[[ 0,  1,  2,  3],\n        [ 4,  5,  6,  7],\n        [ 8,  9, 10, 11]],\n\n       [[12, 13, 14, 15],\n        [16, 17, 18, 19],\n        [20, 21, 22, 23]]])"
        );
    }

    #[test]
    fn float_3d() {
        // np.arange(24.).reshape(2, 3, 4) - 5.5
        assert_eq!(
            repr(&af(&[2, 3, 4], (0..24).map(|i| i as f64 - 5.5).collect())),
            "array([[[-5.5, -4.5, -3.5, -2.5],\n        [-1.5, -0.5,  0.5,  1.5],\n        [ 2.5,  3.5,  4.5,  5.5]],\n\n       [[ 6.5,  7.5,  8.5,  9.5],\n        [10.5, 11.5, 12.5, 13.5],\n        [14.5, 15.5, 16.5, 17.5]]])"
        );
    }

    #[test]
    fn bool_2d() {
        // np.arange(12).reshape(3, 4) % 3 == 0
        assert_eq!(
            repr(&ab(&[3, 4], (0..12).map(|i| i % 3 == 0).collect())),
            "array([[ True, False, False,  True],\n       [False, False,  True, False],\n       [False,  True, False, False]])"
        );
    }

    #[test]
    fn float_2d_nonfinite() {
        // np.array([[np.inf, -np.inf], [np.nan, 0.]])
        assert_eq!(
            repr(&af(
                &[2, 2],
                vec![f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 0.]
            )),
            "array([[ inf, -inf],\n       [ nan,   0.]])"
        );
    }

    #[test]
    fn ones_4d() {
        // np.ones((1, 1, 1, 1))
        assert_eq!(repr(&af(&[1, 1, 1, 1], vec![1.])), "array([[[[1.]]]])");
    }

    #[test]
    fn wide_rows() {
        // np.arange(60).reshape(2, 30) * 1000
        assert_eq!(
            repr(&ai(&[2, 30], (0..60).map(|i| i * 1000).collect())),
            "array([[    0,  1000,  2000,  3000,  4000,  5000,  6000,  7000,  8000,\n         9000, 10000, 11000, 12000, 13000, 14000, 15000, 16000, 17000,\n        18000, 19000, 20000, 21000, 22000, 23000, 24000, 25000, 26000,\n        27000, 28000, 29000],\n       [30000, 31000, 32000, 33000, 34000, 35000, 36000, 37000, 38000,\n        39000, 40000, 41000, 42000, 43000, 44000, 45000, 46000, 47000,\n        48000, 49000, 50000, 51000, 52000, 53000, 54000, 55000, 56000,\n        57000, 58000, 59000]])"
        );
    }

    #[test]
    fn wide_float_rows() {
        // np.arange(36).reshape(3, 12) / 3
        assert_eq!(
            repr(&af(&[3, 12], (0..36).map(|i| i as f64 / 3.).collect())),
            "array([[ 0.        ,  0.33333333,  0.66666667,  1.        ,  1.33333333,\n         1.66666667,  2.        ,  2.33333333,  2.66666667,  3.        ,\n         3.33333333,  3.66666667],\n       [ 4.        ,  4.33333333,  4.66666667,  5.        ,  5.33333333,\n         5.66666667,  6.        ,  6.33333333,  6.66666667,  7.        ,\n         7.33333333,  7.66666667],\n       [ 8.        ,  8.33333333,  8.66666667,  9.        ,  9.33333333,\n         9.66666667, 10.        , 10.33333333, 10.66666667, 11.        ,\n        11.33333333, 11.66666667]])"
        );
    }

    #[test]
    fn empty_1d() {
        // np.zeros((0,))
        assert_eq!(repr(&af(&[0], vec![])), "array([], dtype=float64)");
    }

    #[test]
    fn empty_2d() {
        // np.zeros((0, 3))
        assert_eq!(
            repr(&af(&[0, 3], vec![])),
            "array([], shape=(0, 3), dtype=float64)"
        );
    }

    #[test]
    fn empty_int() {
        // np.zeros((2, 0), dtype=np.int64)
        assert_eq!(
            repr(&ai(&[2, 0], vec![])),
            "array([], shape=(2, 0), dtype=int64)"
        );
    }

    #[test]
    fn empty_bool() {
        // np.zeros((0,), dtype=bool)
        assert_eq!(repr(&ab(&[0], vec![])), "array([], dtype=bool)");
    }

    #[test]
    fn summary_1d() {
        // np.arange(1001)
        assert_eq!(
            repr(&ai(&[1001], (0..1001).collect())),
            "array([   0,    1,    2, ...,  998,  999, 1000], shape=(1001,))"
        );
    }

    #[test]
    fn summary_float() {
        // np.arange(1001.) / 7 + 1000
        assert_eq!(
            repr(&af(&[1001], (0..1001).map(|i| i as f64 / 7. + 1000.).collect())),
            "array([1000.        , 1000.14285714, 1000.28571429, ..., 1142.57142857,\n       1142.71428571, 1142.85714286], shape=(1001,))"
        );
    }

    #[test]
    fn summary_shape_newline() {
        // np.arange(1001) * 1000
        assert_eq!(
            repr(&ai(&[1001], (0..1001).map(|i| i * 1000).collect())),
            "array([      0,    1000,    2000, ...,  998000,  999000, 1000000],\n      shape=(1001,))"
        );
    }

    #[test]
    fn summary_2d() {
        // np.arange(2002).reshape(2, 1001) * 1.5
        assert_eq!(
            repr(&af(&[2, 1001], (0..2002).map(|i| i as f64 * 1.5).collect())),
            "array([[0.0000e+00, 1.5000e+00, 3.0000e+00, ..., 1.4970e+03, 1.4985e+03,\n        1.5000e+03],\n       [1.5015e+03, 1.5030e+03, 1.5045e+03, ..., 2.9985e+03, 3.0000e+03,\n        3.0015e+03]], shape=(2, 1001))"
        );
    }

    #[test]
    fn summary_3d() {
        // np.arange(3000).reshape(10, 10, 30)
        assert_eq!(
            repr(&ai(&[10, 10, 30], (0..3000).collect())),
            "array([[[   0,    1,    2, ...,   27,   28,   29],\n        [  30,   31,   32, ...,   57,   58,   59],\n        [  60,   61,   62, ...,   87,   88,   89],\n        ...,\n        [ 210,  211,  212, ...,  237,  238,  239],\n        [ 240,  241,  242, ...,  267,  268,  269],\n        [ 270,  271,  272, ...,  297,  298,  299]],\n\n       [[ 300,  301,  302, ...,  327,  328,  329],\n        [ 330,  331,  332, ...,  357,  358,  359],\n        [ 360,  361,  362, ...,  387,  388,  389],\n        ...,\n        [ 510,  511,  512, ...,  537,  538,  539],\n        [ 540,  541,  542, ...,  567,  568,  569],\n        [ 570,  571,  572, ...,  597,  598,  599]],\n\n       [[ 600,  601,  602, ...,  627,  628,  629],\n        [ 630,  631,  632, ...,  657,  658,  659],\n        [ 660,  661,  662, ...,  687,  688,  689],\n        ...,\n        [ 810,  811,  812, ...,  837,  838,  839],\n        [ 840,  841,  842, ...,  867,  868,  869],\n        [ 870,  871,  872, ...,  897,  898,  899]],\n\n       ...,\n\n       [[2100, 2101, 2102, ..., 2127, 2128, 2129],\n        [2130, 2131, 2132, ..., 2157, 2158, 2159],\n        [2160, 2161, 2162, ..., 2187, 2188, 2189],\n        ...,\n        [2310, 2311, 2312, ..., 2337, 2338, 2339],\n        [2340, 2341, 2342, ..., 2367, 2368, 2369],\n        [2370, 2371, 2372, ..., 2397, 2398, 2399]],\n\n       [[2400, 2401, 2402, ..., 2427, 2428, 2429],\n        [2430, 2431, 2432, ..., 2457, 2458, 2459],\n        [2460, 2461, 2462, ..., 2487, 2488, 2489],\n        ...,\n        [2610, 2611, 2612, ..., 2637, 2638, 2639],\n        [2640, 2641, 2642, ..., 2667, 2668, 2669],\n        [2670, 2671, 2672, ..., 2697, 2698, 2699]],\n\n       [[2700, 2701, 2702, ..., 2727, 2728, 2729],\n        [2730, 2731, 2732, ..., 2757, 2758, 2759],\n        [2760, 2761, 2762, ..., 2787, 2788, 2789],\n        ...,\n        [2910, 2911, 2912, ..., 2937, 2938, 2939],\n        [2940, 2941, 2942, ..., 2967, 2968, 2969],\n        [2970, 2971, 2972, ..., 2997, 2998, 2999]]], shape=(10, 10, 30))"
        );
    }

    #[test]
    fn summary_bool() {
        // np.arange(1200).reshape(40, 30) % 7 == 0
        assert_eq!(
            repr(&ab(&[40, 30], (0..1200).map(|i| i % 7 == 0).collect())),
            "array([[ True, False, False, ..., False,  True, False],\n       [False, False, False, ..., False, False, False],\n       [False, False, False, ..., False, False, False],\n       ...,\n       [False, False, False, ..., False, False, False],\n       [False,  True, False, ..., False, False,  True],\n       [False, False, False, ...,  True, False, False]], shape=(40, 30))"
        );
    }

    #[test]
    fn summary_digits_from_shown_only() {
        // a = np.zeros(1001); a[0] = 0.5; a[500] = 1e-9; a[-1] = 2.  (1e-9 is not shown, so no exp)
        assert_eq!(
            repr(&af(
                &[1001],
                (0..1001)
                    .map(|i| match i {
                        0 => 0.5,
                        500 => 1e-9,
                        1000 => 2.,
                        _ => 0.,
                    })
                    .collect()
            )),
            "array([0.5, 0. , 0. , ..., 0. , 0. , 2. ], shape=(1001,))"
        );
    }
}

/// A version 1.0 `.npy` file with header dictionary `dict` and `data`.
fn raw_npy(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut header = dict.to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

#[test]
fn shapes_too_large_to_address_are_refused_for_every_dtype() {
    // No elements (an axis is 0), but the other axes multiply past what memory can address,
    // which NumPy and ndarray refuse too; strings once went through unchecked.
    for descr in ["|S2", "<f8", "|b1"] {
        let dict = format!(
            "{{'descr': '{descr}', 'fortran_order': False, 'shape': (1099511627776, 0, 1099511627776), }}"
        );
        let e = numjit::npy::read_contents_bytes(&raw_npy(&dict, &[]))
            .err()
            .unwrap_or_else(|| panic!("{descr}: accepted"));
        assert!(e.to_string().contains("too large"), "{descr}: {e}");
    }
    // A fine empty string array still reads.
    let dict = "{'descr': '|S2', 'fortran_order': False, 'shape': (3, 0), }";
    assert!(numjit::npy::read_contents_bytes(&raw_npy(dict, &[])).is_ok());
}
