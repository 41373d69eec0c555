//! Owns the ISA-level tests of code generation: every kernel's vector loop against its scalar
//! loop, bit for bit, at SSE2, SSE4.2, AVX2 and the host.
//! Must not touch anything outside the tests.

//! Every whitelisted vector operation must lower at every x86-64 feature level (Cranelift
//! fails or panics on a vector instruction it cannot lower), and the vector loop must give
//! exactly the scalar loop's bits, NaN payloads and signs included. Kernels are compiled for
//! SSE2 only, SSE4.2, AVX2 and the host's features, and run on the host, which has them all.

use super::*;
use crate::ir::Node;
use crate::Vars;

const SSE3_TO_SSE42: &[&str] = &[
    "has_sse3",
    "has_ssse3",
    "has_sse41",
    "has_sse42",
    "has_popcnt",
];
const AVX_AVX2: &[&str] = &[
    "has_avx",
    "has_avx2",
    "has_fma",
    "has_bmi1",
    "has_bmi2",
    "has_lzcnt",
];
const AVX512: &[&str] = &[
    "has_avx512bitalg",
    "has_avx512dq",
    "has_avx512f",
    "has_avx512vl",
    "has_avx512vbmi",
    "has_avx512vnni",
    "has_avx_vnni",
];

/// Feature levels: a name and the host features switched off for it.
const LEVELS: &[(&str, &[&[&str]])] = &[
    ("sse2", &[SSE3_TO_SSE42, AVX_AVX2, AVX512]),
    ("sse4.2", &[AVX_AVX2, AVX512]),
    ("avx2", &[AVX512]),
    ("host", &[]),
];

fn isa_builder(off: &[&[&str]]) -> isa::Builder {
    let mut b = cranelift_native::builder().expect("host is supported");
    for group in off {
        for f in *group {
            b.set(f, "false").expect("known x86-64 setting");
        }
    }
    b
}

/// Whitelisted operations on each dtype, and some lane-wise ones. Names: a, b float64;
/// i, j int64; p, q bool; s a float64 scalar.
const EXPRESSIONS: &[&str] = &[
    "a + b * a - b / a",
    "-a",
    "abs(a)",
    "sqrt(a)",
    "floor(a) + ceil(b)",
    "trunc(a) - round(b)",
    "maximum(a, b)",
    "minimum(a, b)",
    "maximum(b, -a)",
    "copysign(a, b)",
    "where(a < b, a, b)",
    "a <= b",
    "a == b",
    "a != b",
    "a >= b",
    "a > b",
    "isnan(a) | isinf(b)",
    "isfinite(a) ^ signbit(b)",
    "a**3",
    "a**4",
    "p + a",
    "i + a",
    "where(a, i, j)",
    "i + j - i * j",
    "-i",
    "~i & j | i ^ j",
    "i < j",
    "i <= j",
    "i == j",
    "i != j",
    "i >= j",
    "i > j",
    "abs(i)",
    "sign(i)",
    "maximum(i, j)",
    "minimum(i, j)",
    "signbit(i)",
    "i ** 5",
    "p + i",
    "where(i, p, q)",
    "p & q | ~p ^ q",
    "p < q",
    "p <= q",
    "p == q",
    "p != q",
    "p >= q",
    "p > q",
    "maximum(p, q)",
    "minimum(p, q)",
    "where(p, q, ~q)",
    "isnan(p) | isfinite(i)",
    "a * s + b",
    "where(p, s, a)",
    "a // b",
    "a % b",
    "sin(a)",
    "i // j",
    "i << j",
    "i >> j",
    "hypot(a, b)",
    "sign(a)",
    "arctan2(a, s)",
    // float32 and int32: 4-lane kernels. x, y float32; u, v int32; w a float32 scalar.
    "x + y * x - y / x",
    "-x",
    "abs(x) + sqrt(y)",
    "floor(x) + ceil(y) - trunc(x) * round(y)",
    "maximum(x, y) - minimum(y, x)",
    "copysign(x, y)",
    "where(x < y, x, y)",
    "(x <= y) ^ (x == y) | (x != y) & (x >= y) | (x > y)",
    "isnan(x) | isinf(y) | isfinite(x) ^ signbit(y)",
    "x**3 + y**2.5",
    "sin(x) * exp(y) + log(x) - arctan2(x, y)",
    "x // y + x % y",
    "sign(x) + hypot(x, y) + fmod(x, y)",
    "nextafter(x, y)",
    "x * w + 1",
    "p + x",
    "u + x",
    "where(p, u, v)",
    "u + v - u * v",
    "-u",
    "~u & v | u ^ v",
    "(u < v) | (u <= v) ^ (u == v) & (u != v) | (u >= v) ^ (u > v)",
    "abs(u) + sign(v) + maximum(u, v) - minimum(u, v)",
    "signbit(u)",
    "u ** 5",
    "u // v + u % v",
    "u << v",
    "u >> v",
    "u / v",
    "p & (x > w)",
];

const N: usize = 37;

fn floats() -> Vec<f64> {
    let special = [
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0xFFF0_0000_0000_1234),
        f64::from_bits(0x7FF0_0000_0000_0001),
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        1.5,
        -2.5,
        1e300,
        -1e-310,
    ];
    (0..N)
        .map(|k| {
            special
                .get(k * 5 % 17)
                .copied()
                .unwrap_or(k as f64 * 0.75 - 9.0)
        })
        .collect()
}

fn ints() -> Vec<i64> {
    let special = [0, 1, -1, 63, 64, -64, i64::MIN, i64::MAX, (1 << 53) + 1];
    (0..N)
        .map(|k| special.get(k * 7 % 13).copied().unwrap_or(k as i64 - 20))
        .collect()
}

fn floats32() -> Vec<f32> {
    floats().into_iter().map(|x| x as f32).collect()
}

fn ints32() -> Vec<i32> {
    let special = [0, 1, -1, 31, 32, -32, i32::MIN, i32::MAX, (1 << 24) + 1];
    (0..N)
        .map(|k| special.get(k * 7 % 13).copied().unwrap_or(k as i32 - 20))
        .collect()
}

fn bools(seed: usize) -> Vec<bool> {
    (0..N).map(|k| (k * 7 + seed).is_multiple_of(3)).collect()
}

/// Runs `kernel` on one row of `n` elements. `inputs` holds each input's bytes and inner
/// stride (0 for a scalar).
fn run(kernel: &Kernel, out_size: usize, inputs: &[(Vec<u8>, isize)], n: usize) -> Vec<u8> {
    let mut out = vec![0xA5u8; n * out_size];
    let ins: Vec<(&[u8], isize)> = inputs.iter().map(|(b, s)| (&b[..], *s)).collect();
    kernel.run_row(&mut out, &ins, n);
    out
}

/// Compiles `program` with the vector loop and without (strided inputs), at every level,
/// and checks that both give the same bytes for every length up to `N`.
fn check_program(name: &str, program: &Program, data: &[(&str, Vec<u8>, DType, bool)]) {
    let mut inputs = Vec::new();
    let mut vector_layout = vec![Access::Contiguous];
    let mut scalar_layout = vec![Access::Contiguous];
    for input in &program.inputs {
        let (_, bytes, _, is_scalar) = data
            .iter()
            .find(|(n, ..)| *n == input.name)
            .expect("every input has data");
        let size = input.dtype.size() as isize;
        inputs.push((bytes.clone(), if *is_scalar { 0 } else { size }));
        let (v, s) = if *is_scalar {
            (Access::Scalar, Access::Scalar)
        } else {
            (Access::Contiguous, Access::Strided)
        };
        vector_layout.push(v);
        scalar_layout.push(s);
    }
    let out_size = program.dtype().size();
    for (level, off) in LEVELS {
        let vector = compile_for(program, &vector_layout, isa_builder(off), false)
            .unwrap_or_else(|e| panic!("{name} at {level}: {e}"));
        // The same layout as it runs (with the row routine where the level has one).
        let native = compile_for(program, &vector_layout, isa_builder(off), true)
            .unwrap_or_else(|e| panic!("{name} at {level}: {e}"));
        let has_vector = vector.clif().contains("x2") || vector.clif().contains("x4");
        let mixed = vector_width(program) == 0;
        assert!(has_vector || mixed, "{name}: no vector loop");
        let scalar = compile_for(program, &scalar_layout, isa_builder(off), false)
            .unwrap_or_else(|e| panic!("{name} at {level}: {e}"));
        for n in (0..=9).chain([N]) {
            let v = run(&vector, out_size, &inputs, n);
            let s = run(&scalar, out_size, &inputs, n);
            assert_eq!(
                v, s,
                "{name} at {level}, n = {n}: vector and scalar loops differ"
            );
            let w = run(&native, out_size, &inputs, n);
            assert_eq!(
                w, s,
                "{name} at {level}, n = {n}: the row routine and the scalar loop differ"
            );
        }
    }
}

fn data() -> Vec<(&'static str, Vec<u8>, DType, bool)> {
    let f = |v: Vec<f64>| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let i = |v: Vec<i64>| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let b = |v: Vec<bool>| v.iter().map(|&x| x as u8).collect::<Vec<u8>>();
    let f32s = |v: Vec<f32>| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let i32s = |v: Vec<i32>| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let mut rev32 = floats32();
    rev32.reverse();
    let mut ints32b = ints32();
    ints32b.rotate_left(5);
    let mut rev = floats();
    rev.reverse();
    let mut ints2 = ints();
    ints2.rotate_left(5);
    vec![
        ("a", f(floats()), DType::Float64, false),
        ("b", f(rev), DType::Float64, false),
        ("i", i(ints()), DType::Int64, false),
        ("j", i(ints2), DType::Int64, false),
        ("p", b(bools(0)), DType::Bool, false),
        ("q", b(bools(1)), DType::Bool, false),
        ("s", f(vec![-0.0]), DType::Float64, true),
        ("t", b(vec![true]), DType::Bool, true),
        ("x", f32s(floats32()), DType::Float32, false),
        ("y", f32s(rev32), DType::Float32, false),
        ("u", i32s(ints32()), DType::Int32, false),
        ("v", i32s(ints32b), DType::Int32, false),
        ("w", f32s(vec![-0.5]), DType::Float32, true),
    ]
}

/// Bindings of the right dtypes and shapes, for typing only.
fn vars(data: &[(&'static str, Vec<u8>, DType, bool)]) -> Vars<'static> {
    static F: [f64; N] = [0.0; N];
    static I: [i64; N] = [0; N];
    static B: [bool; N] = [false; N];
    static F32: [f32; N] = [0.0; N];
    static I32: [i32; N] = [0; N];
    let mut v = Vars::new();
    for (name, _, dt, is_scalar) in data {
        v = match (dt, is_scalar) {
            (DType::Bool, true) => v.bind(name, true),
            (DType::Float32, true) => v.bind(name, 1.0f32),
            (_, true) => v.bind(name, 1.0f64),
            (DType::Float32, _) => v.bind(name, &F32),
            (DType::Int32, _) => v.bind(name, &I32),
            (DType::Float64, _) => v.bind(name, &F),
            (DType::Int64, _) => v.bind(name, &I),
            (DType::Bool, _) => v.bind(name, &B),
            (DType::Complex128 | DType::Bytes(_), _) => {
                unreachable!("no complex or string test data")
            }
        };
    }
    v
}

#[test]
fn vector_ops_lower_at_every_level_and_match_the_scalar_loop() {
    let data = data();
    for expr in EXPRESSIONS {
        let program = crate::compile(expr)
            .and_then(|c| c.program(vars(&data)))
            .unwrap_or_else(|e| panic!("{expr}: {e}"));
        check_program(expr, &program, &data);
    }
}

#[test]
fn hoisted_root_is_splatted_and_stored() {
    // Checking never makes a program whose result is hoisted while an element input is
    // read, but the vector loop handles it: make `s + a` and `t | p` return `s` and `t`.
    let data = data();
    for expr in ["s + a", "t | p"] {
        let mut program = crate::compile(expr)
            .and_then(|c| c.program(vars(&data)))
            .expect("program");
        let scalar = program
            .nodes
            .iter()
            .position(|n| match n.op {
                Op::Input(k) => ["s", "t"].contains(&program.inputs[k].name.as_str()),
                _ => false,
            })
            .expect("the scalar input");
        program.root = scalar;
        check_program(expr, &program, &data);
    }
}

#[test]
fn float_to_int_cast_falls_back_lane_wise() {
    // Checking never casts float64 to int64 (promotion only widens), so build it from
    // `-a` by hand: the vector loop has no saturating f64x2 conversion and goes lane-wise.
    let data = data();
    let mut program = crate::compile("-a")
        .and_then(|c| c.program(vars(&data)))
        .expect("program");
    let root = program.root;
    program.nodes[root] = Node {
        op: Op::Cast,
        dtype: DType::Int64,
        args: program.nodes[root].args.clone(),
    };
    check_program("int64(a)", &program, &data);
    let kernel = compile(&program, &[Access::Contiguous, Access::Contiguous]).unwrap();
    let out = run(&kernel, 8, &[(data[0].1.clone(), 8)], N);
    for (k, x) in floats().into_iter().enumerate() {
        let got = i64::from_le_bytes(out[k * 8..k * 8 + 8].try_into().unwrap());
        // NumPy on x86-64: truncation, the minimum for NaN and out-of-range values.
        let want = if x.is_nan() || x >= 2f64.powi(63) {
            i64::MIN
        } else {
            x as i64
        };
        assert_eq!(got, want, "int64({x:?})");
    }
}
