//! Owns code generation: a typed program and an operand layout lowered to Cranelift IR and compiled into a `Kernel`.
//! Must not touch threads, the AST, shapes or raw user memory, and holds no `unsafe`: calling, sharing and freeing a kernel is `exec::call`'s.
//!
//! Provides [`compile`]: lowers a typed [`Program`] for one layout (an [`Access`] per operand, output first) to a Cranelift function,
//! JIT-compiles it, and returns a callable [`Kernel`].
//!
//! A kernel evaluates a 2-D block of the output: `m` rows of `n` elements. Every operand
//! (output first, then the program's inputs) has a base pointer and byte strides for the two
//! axes. The whole expression is fused: each element is loaded once per input, computed in
//! registers, and stored once. Nodes that depend only on constants and scalar inputs are
//! computed once per call (hoisted to the entry block); nodes that depend only on inputs that
//! are constant along a row are computed once per row.
//!
//! **Vector loop.** When the output is contiguous and no input is strided (every operand is
//! `Scalar`, `Row` or `Contiguous`), each row first runs a vector loop over 128-bit vectors
//! (the widest Cranelift's x86-64 backend has), several per iteration (`UNROLL`), while that
//! many elements remain; the scalar loop then does the rest. A kernel whose values are all
//! 64-bit (or bool) has 2 lanes: float64 is `f64x2`, int64 `i64x2`, bool an `i64x2` mask (each
//! lane all ones or all zeros), loaded from and stored to one byte per element. A kernel whose
//! values are all 32-bit (or bool) has 4 lanes: `f32x4`, `i32x4`, bool an `i32x4` mask.
//! Kernels mixing widths, complex kernels and byte-string kernels have only the scalar loop
//! (see `vector_width`). Hoisted values are splatted
//! once, where they are computed. One emitter serves both loops, parameterised by the lane
//! count: whitelisted operations (see `Lower::emit_op`) become vector instructions whose every
//! lane has exactly the scalar instruction's bits, NaN payloads and signs included; any other
//! operation runs lane by lane (extract each lane, emit the scalar operation, insert the
//! result). So the vector and scalar loops compute every element identically.
//!
//! **Invariant:** codegen never spawns threads and never sees the AST or shapes.

pub mod vmath;

use crate::ir::{NodeId, Program};
use crate::semantics::{scalar as sc, Func};
use crate::semantics::{Cmp, Op};
use crate::types::Scalar;
use crate::types::{raw, Complex64, DType};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, Block, ConstantData, Endianness, InstBuilder, MemFlagsData, Signature, Type,
    Value,
};
use cranelift_codegen::isa::{self, CallConv, TargetFrontendConfig};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Linkage, Module};
use std::fmt;

/// How an operand is laid out along the kernel's two axes; part of the kernel's cache key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Both strides are 0: one value for the whole call (scalars, fully broadcast arrays).
    Scalar,
    /// Inner stride 0: one value per row (an array broadcast along the last axis).
    Row,
    /// Inner stride equals the element size.
    Contiguous,
    /// Any other inner stride (read from the stride table at run time).
    Strided,
}

/// A compiled kernel: machine code that stays alive as long as this value. Turning the code
/// into a callable function, calling it, sharing it across threads and freeing it are the JIT
/// call boundary's (`exec::call`); this module only builds it.
pub struct Kernel {
    pub(crate) module: Option<JITModule>,
    /// The finalized code of a function with the kernel signature (`exec::call`'s `KernelFn`).
    pub(crate) code: *const u8,
    clif: String,
    /// The element size in bytes of each operand, output first: what the code reads and
    /// writes per element (checked by `exec::call`'s row runner).
    pub(crate) sizes: Vec<usize>,
    /// Constant data the code points to (byte-string literals); freed with the code.
    _data: Vec<Box<[u8]>>,
}

impl Kernel {
    /// The Cranelift IR the kernel was compiled from, if it was kept (see [`clif`]).
    pub fn clif(&self) -> &str {
        &self.clif
    }
}

impl fmt::Debug for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kernel").finish_non_exhaustive()
    }
}

/// Compiles `program` for `layout` (output first, then one entry per input).
///
/// Fails only if Cranelift cannot compile for this machine; checked programs are always
/// lowerable.
pub fn compile(program: &Program, layout: &[Access]) -> Result<Kernel, String> {
    build(program, layout, host_isa()?, false)
}

/// The Cranelift IR of the kernel [`compile`] would build (for `:clif` and debugging).
pub fn clif(program: &Program, layout: &[Access]) -> Result<String, String> {
    Ok(build(program, layout, host_isa()?, true)?
        .clif()
        .to_string())
}

/// The host's target, detected once (feature detection and flag parsing cost more than a
/// small kernel's whole compilation).
fn host_isa() -> Result<isa::OwnedTargetIsa, String> {
    static ISA: std::sync::OnceLock<Result<isa::OwnedTargetIsa, String>> =
        std::sync::OnceLock::new();
    ISA.get_or_init(|| {
        let b = cranelift_native::builder()
            .map_err(|e| format!("host machine is not supported: {e}"))?;
        finish_isa(b)
    })
    .clone()
}

/// numjit's Cranelift settings on the target `b` describes.
fn finish_isa(b: isa::Builder) -> Result<isa::OwnedTargetIsa, String> {
    let mut flags = settings::builder();
    flags.set("opt_level", "speed").map_err(|e| e.to_string())?;
    flags.set("is_pic", "false").map_err(|e| e.to_string())?;
    flags
        .set("use_colocated_libcalls", "false")
        .map_err(|e| e.to_string())?;
    b.finish(settings::Flags::new(flags))
        .map_err(|e| e.to_string())
}

/// [`compile`] for the target `isa` describes (the host's, or a subset of its features).
#[cfg(test)]
fn compile_for(program: &Program, layout: &[Access], isa: isa::Builder) -> Result<Kernel, String> {
    build(program, layout, finish_isa(isa)?, true)
}

/// Lowers and compiles; keeps the IR text only when `keep_clif` (printing it is not free).
fn build(
    program: &Program,
    layout: &[Access],
    isa: isa::OwnedTargetIsa,
    keep_clif: bool,
) -> Result<Kernel, String> {
    let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
    let ptr = module.target_config().pointer_type();
    let mut sig = module.make_signature();
    for _ in 0..3 {
        sig.params.push(AbiParam::new(ptr));
    }
    sig.params.push(AbiParam::new(types::I64));
    sig.params.push(AbiParam::new(types::I64));
    let id = module
        .declare_function("kernel", Linkage::Local, &sig)
        .map_err(|e| e.to_string())?;
    let mut ctx: Context = module.make_context();
    ctx.func.signature = sig;
    let mut fctx = FunctionBuilderContext::new();
    let data = {
        let fb = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let call_conv = module.isa().default_call_conv();
        let frontend = module.isa().frontend_config();
        Lower::new(program, layout, fb, ptr, call_conv, frontend).lower()
    };
    let clif = if keep_clif {
        ctx.func.display().to_string()
    } else {
        String::new()
    };
    module
        .define_function(id, &mut ctx)
        .map_err(|e| format!("{e:?}"))?;
    module.clear_context(&mut ctx);
    module.finalize_definitions().map_err(|e| e.to_string())?;
    let code = module.get_finalized_function(id);
    let sizes = std::iter::once(program.dtype())
        .chain(program.inputs.iter().map(|i| i.dtype))
        .map(|d| d.size())
        .collect();
    Ok(Kernel {
        module: Some(module),
        code,
        sizes,
        clif,
        _data: data,
    })
}

/// The scalar Cranelift type of `dt` (complex128: of each part).
fn clif_type(dt: DType) -> Type {
    match dt {
        DType::Bool => types::I8,
        DType::Int32 => types::I32,
        DType::Int64 => types::I64,
        DType::Float32 => types::F32,
        DType::Float64 | DType::Complex128 => types::F64,
        // The element's address (the width is part of the dtype).
        DType::Bytes(_) => types::I64,
    }
}

/// Vectors per iteration of the vector loop. Measured on the 2-core development machine with
/// `cargo run --release --example diffusion -- --steps 3000 --threads 1 --check`, seven runs
/// each: ×4 gave a median of 1.24× the plain loop against 1.39× for ×2 (the stencil has five
/// loads per element to overlap); `a**2 + b**2 + 2*a*b` is the same at ×2 and ×4.
const UNROLL: usize = 4;

/// Vectors per iteration when the element computation calls a math kernel: such bodies are
/// long enough to keep the CPU busy on their own, and unrolling them multiplies compile time.
/// Measured with `cargo run --release --example targets`: the cold compile of
/// `sin(a)*a + exp(-a)/(1 + a*a) - sqrt(a)*k + a**3` took 2.3 ms at ×4, 1.37 ms at ×2 and
/// 0.9 ms at ×1, while `sin(a)**2 + cos(b)**2` ran at 4.2 ns/element at both ×1 and ×2.
const UNROLL_MATH: usize = 1;

/// The vector form of `dt` in a kernel of `width` lanes (128-bit vectors, the widest
/// Cranelift's x86-64 backend has): 2 lanes of 64-bit values (bool as an `i64x2` mask) or 4
/// lanes of 32-bit values (bool as an `i32x4` mask).
fn vector_type(dt: DType, width: usize) -> Type {
    match (dt, width) {
        (DType::Float64, _) => types::F64X2,
        (DType::Float32, _) => types::F32X4,
        (DType::Int32, _) | (DType::Bool, 4) => types::I32X4,
        _ => types::I64X2,
    }
}

/// The vector width of a kernel over `program`: 4 when every value is 32-bit or bool (at
/// least one 32-bit), 2 when every value is 64-bit or bool, 0 (no vector loop) when widths
/// mix or a value is complex.
fn vector_width(program: &Program) -> usize {
    let dts = program
        .nodes
        .iter()
        .map(|n| n.dtype)
        .chain(program.inputs.iter().map(|i| i.dtype));
    let (mut w32, mut w64) = (false, false);
    for dt in dts {
        match dt {
            DType::Bool => {}
            DType::Int32 | DType::Float32 => w32 = true,
            DType::Int64 | DType::Float64 => w64 = true,
            DType::Complex128 | DType::Bytes(_) => return 0,
        }
    }
    match (w32, w64) {
        (true, true) => 0,
        (true, false) => 4,
        _ => 2,
    }
}

/// Flags for vector loads and stores: in bounds, but only element-aligned (never `aligned`,
/// which would promise 16 bytes).
fn vector_flags() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

/// How often a node's value changes: once per call, per row, or per element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Call,
    Row,
    Element,
}

/// An operation on float64 operands (see `Lower::via_f64`): the lowering, the operands, and
/// the lane count; `None` when it has no vector form.
type Widened<'f, 'a, 'b> = dyn FnMut(&mut Lower<'a, 'b>, &[Value], usize) -> Option<Value> + 'f;

struct Lower<'a, 'b> {
    program: &'a Program,
    layout: &'a [Access],
    fb: FunctionBuilder<'b>,
    ptr: Type,
    call_conv: CallConv,
    frontend: TargetFrontendConfig,
    levels: Vec<Level>,
    /// Scalar value of each node: hoisted nodes, and element nodes in the scalar loop.
    values: Vec<Option<Value>>,
    /// Vector value of each node in the vector loop: hoisted nodes splatted (where `splat`
    /// says so), element nodes of the current unrolled copy.
    vvalues: Vec<Option<Value>>,
    /// The scalar lanes of element nodes of the current unrolled copy, once known (results of
    /// lane-wise operations, lanes extracted for them).
    lanes: Vec<Option<Vec<Value>>>,
    /// The (real, imaginary) parts of complex128 nodes (complex kernels have no vector loop).
    cvalues: Vec<Option<(Value, Value)>>,
    /// Lanes per vector (see [`vector_width`]); 0 when the kernel has no vector loop.
    width: usize,
    /// Memory the code points to (byte-string literals), owned by the kernel.
    data: Vec<Box<[u8]>>,
    /// Whether a hoisted node is needed in vector form (an element node or the store uses it).
    splat: Vec<bool>,
}

extern "C" fn h_floordiv_i64(a: i64, b: i64) -> i64 {
    sc::floordiv_i64(a, b)
}
extern "C" fn h_mod_i64(a: i64, b: i64) -> i64 {
    sc::mod_i64(a, b)
}
extern "C" fn h_fmod_i64(a: i64, b: i64) -> i64 {
    sc::fmod_i64(a, b)
}
extern "C" fn h_pow_i64(a: i64, b: i64) -> i64 {
    sc::pow_i64(a, b)
}
extern "C" fn h_floordiv_f64(a: f64, b: f64) -> f64 {
    sc::floordiv_f64(a, b)
}
extern "C" fn h_mod_f64(a: f64, b: f64) -> f64 {
    sc::mod_f64(a, b)
}

macro_rules! unary_helpers {
    ($($func:ident => $name:ident = $f:expr),* $(,)?) => {
        /// The out-of-line float64 routine for a function without a machine instruction.
        fn unary_helper(f: Func) -> Option<extern "C" fn(f64) -> f64> {
            $(extern "C" fn $name(x: f64) -> f64 {
                $f(x)
            })*
            match f {
                $(Func::$func => Some($name),)*
                _ => None,
            }
        }
    };
}

// Functions without a numjit kernel (`crate::codegen::vmath`) call these; each is the very routine the
// reference interpreter uses (`interp::float_unary`), so the JIT and the oracle agree bit for
// bit.
unary_helpers! {
    Arcsin => h_asin = f64::asin, Arccos => h_acos = f64::acos,
    Arcsinh => h_asinh = libm::asinh, Arccosh => h_acosh = sc::acosh_f64,
    Arctanh => h_atanh = libm::atanh,
    Sign => h_sign = sc::sign_f64,
}

extern "C" fn h_floordiv_f32(a: f32, b: f32) -> f32 {
    sc::floordiv_f32(a, b)
}
extern "C" fn h_mod_f32(a: f32, b: f32) -> f32 {
    sc::mod_f32(a, b)
}
extern "C" fn h_nextafter_f32(a: f32, b: f32) -> f32 {
    sc::nextafter_f32(a, b)
}

/// A complex128 result as the C ABI returns `struct { double re, im; }`: in two float
/// registers, which is how Cranelift returns two `f64` results.
#[repr(C)]
struct Pair {
    re: f64,
    im: f64,
}

impl From<Complex64> for Pair {
    fn from(z: Complex64) -> Pair {
        Pair { re: z.re, im: z.im }
    }
}

extern "C" fn h_cdiv(ar: f64, ai: f64, br: f64, bi: f64) -> Pair {
    crate::semantics::cmath::div(Complex64::new(ar, ai), Complex64::new(br, bi)).into()
}
extern "C" fn h_cpow(ar: f64, ai: f64, br: f64, bi: f64) -> Pair {
    crate::semantics::cmath::pow(Complex64::new(ar, ai), Complex64::new(br, bi)).into()
}
extern "C" fn h_cabs(re: f64, im: f64) -> f64 {
    crate::semantics::cmath::abs(Complex64::new(re, im))
}
extern "C" fn h_cmax(ar: f64, ai: f64, br: f64, bi: f64) -> Pair {
    complex_extremum(Func::Maximum, ar, ai, br, bi)
}
extern "C" fn h_cmin(ar: f64, ai: f64, br: f64, bi: f64) -> Pair {
    complex_extremum(Func::Minimum, ar, ai, br, bi)
}
fn complex_extremum(f: Func, ar: f64, ai: f64, br: f64, bi: f64) -> Pair {
    let args = [
        Scalar::Complex(Complex64::new(ar, ai)),
        Scalar::Complex(Complex64::new(br, bi)),
    ];
    match crate::semantics::apply::apply(Op::Call(f), DType::Complex128, &args) {
        Scalar::Complex(z) => z.into(),
        _ => unreachable!("maximum of complex numbers is complex"),
    }
}

macro_rules! complex_helpers {
    ($($func:ident => $name:ident),* $(,)?) => {
        /// The complex128 routine ([`crate::semantics::cmath`]) of a one-argument function.
        fn complex_helper(f: Func) -> Option<extern "C" fn(f64, f64) -> Pair> {
            $(extern "C" fn $name(re: f64, im: f64) -> Pair {
                let g = crate::semantics::apply::complex_fn(Func::$func).expect("listed functions have one");
                g(Complex64::new(re, im)).into()
            })*
            match f {
                $(Func::$func => Some($name),)*
                _ => None,
            }
        }
    };
}

complex_helpers! {
    Sqrt => hc_sqrt, Exp => hc_exp, Expm1 => hc_expm1, Log => hc_log, Log1p => hc_log1p,
    Log10 => hc_log10, Log2 => hc_log2, Sin => hc_sin, Cos => hc_cos, Tan => hc_tan,
    Arcsin => hc_asin, Arccos => hc_acos, Arctan => hc_atan, Sinh => hc_sinh, Cosh => hc_cosh,
    Tanh => hc_tanh, Arcsinh => hc_asinh, Arccosh => hc_acosh, Arctanh => hc_atanh,
    Sign => hc_sign, Round => hc_round, Reciprocal => hc_reciprocal,
}

extern "C" fn h_fmod_f64(a: f64, b: f64) -> f64 {
    a % b
}
extern "C" fn h_hypot(a: f64, b: f64) -> f64 {
    a.hypot(b)
}
extern "C" fn h_nextafter(a: f64, b: f64) -> f64 {
    sc::nextafter_f64(a, b)
}

impl<'a, 'b> Lower<'a, 'b> {
    fn new(
        program: &'a Program,
        layout: &'a [Access],
        fb: FunctionBuilder<'b>,
        ptr: Type,
        call_conv: CallConv,
        frontend: TargetFrontendConfig,
    ) -> Self {
        let mut levels = Vec::with_capacity(program.nodes.len());
        for n in &program.nodes {
            let l = match n.op {
                Op::Const(_) => Level::Call,
                Op::Input(k) => match layout[k + 1] {
                    Access::Scalar => Level::Call,
                    Access::Row => Level::Row,
                    _ => Level::Element,
                },
                _ => n
                    .args
                    .iter()
                    .map(|&a| levels[a])
                    .max()
                    .unwrap_or(Level::Call),
            };
            levels.push(l);
        }
        let count = program.nodes.len();
        let mut splat = vec![false; count];
        for (id, node) in program.nodes.iter().enumerate() {
            if levels[id] == Level::Element {
                for &a in &node.args {
                    splat[a] |= levels[a] != Level::Element;
                }
            }
        }
        splat[program.root] |= levels[program.root] != Level::Element;
        Lower {
            program,
            layout,
            fb,
            ptr,
            call_conv,
            frontend,
            levels,
            values: vec![None; count],
            vvalues: vec![None; count],
            lanes: vec![None; count],
            cvalues: vec![None; count],
            width: vector_width(program),
            data: Vec::new(),
            splat,
        }
    }

    /// Emits the kernel; returns the constant data its code points to.
    fn lower(mut self) -> Vec<Box<[u8]>> {
        let nops = self.layout.len();
        let vector = self.vectorize();
        let entry = self.fb.create_block();
        self.fb.append_block_params_for_function_params(entry);
        self.fb.switch_to_block(entry);
        self.fb.seal_block(entry);
        let params = self.fb.block_params(entry).to_vec();
        let (ptrs, outer, inner, m, n) = (params[0], params[1], params[2], params[3], params[4]);
        let flags = MemFlagsData::trusted();

        // Per operand: base pointer, outer stride, inner stride (runtime values).
        let mut base = Vec::with_capacity(nops);
        let mut ostride = Vec::with_capacity(nops);
        let mut istride = Vec::with_capacity(nops);
        for k in 0..nops {
            let off = (k * 8) as i32;
            base.push(self.fb.ins().load(self.ptr, flags, ptrs, off));
            ostride.push(self.fb.ins().load(self.ptr, flags, outer, off));
            istride.push(self.fb.ins().load(self.ptr, flags, inner, off));
        }

        // Hoisted: everything computed once per call.
        self.load_inputs(Access::Scalar, &base);
        self.emit_level(Level::Call);
        if vector {
            self.splat_level(Level::Call);
        }

        let row_var = self.fb.declare_var(types::I64);
        let zero = self.fb.ins().iconst(types::I64, 0);
        self.fb.def_var(row_var, zero);
        let row_ptr = self.pointer_vars(&base);

        let row_head = self.fb.create_block();
        let row_body = self.fb.create_block();
        let inner_head = self.fb.create_block();
        let inner_body = self.fb.create_block();
        let row_end = self.fb.create_block();
        let exit = self.fb.create_block();

        self.fb.ins().jump(row_head, &[]);
        self.fb.switch_to_block(row_head);
        let r = self.fb.use_var(row_var);
        let more_rows = self.fb.ins().icmp(IntCC::SignedLessThan, r, m);
        self.fb.ins().brif(more_rows, row_body, &[], exit, &[]);

        // Row body: per-row values, then the vector loop (if any) and the scalar loop.
        self.fb.switch_to_block(row_body);
        self.fb.seal_block(row_body);
        let rp: Vec<Value> = row_ptr.iter().map(|&v| self.fb.use_var(v)).collect();
        self.load_inputs(Access::Row, &rp);
        self.emit_level(Level::Row);
        if vector {
            self.splat_level(Level::Row);
        }
        let i_var = self.fb.declare_var(types::I64);
        self.fb.def_var(i_var, zero);
        let elem_ptr = self.pointer_vars(&rp);
        if vector {
            self.vector_loop(n, i_var, &rp, &elem_ptr, inner_head);
        } else {
            self.fb.ins().jump(inner_head, &[]);
        }

        // The scalar loop: the whole row, or what the vector loop left.
        self.fb.switch_to_block(inner_head);
        let i = self.fb.use_var(i_var);
        let more = self.fb.ins().icmp(IntCC::SignedLessThan, i, n);
        self.fb.ins().brif(more, inner_body, &[], row_end, &[]);

        self.fb.switch_to_block(inner_body);
        self.fb.seal_block(inner_body);
        let ep: Vec<Value> = elem_ptr.iter().map(|&v| self.fb.use_var(v)).collect();
        self.load_inputs(Access::Contiguous, &ep);
        self.load_inputs(Access::Strided, &ep);
        self.emit_level(Level::Element);
        let root = self.program.root;
        match self.cvalues[root] {
            Some((re, im)) => {
                self.fb.ins().store(flags, re, ep[0], 0);
                self.fb.ins().store(flags, im, ep[0], 8);
            }
            None => {
                let result = self.value(root);
                self.fb.ins().store(flags, result, ep[0], 0);
            }
        }
        for k in 0..nops {
            let step = match self.layout[k] {
                Access::Contiguous => {
                    let size = self.operand_size(k);
                    Some(self.fb.ins().iconst(self.ptr, size as i64))
                }
                Access::Strided => Some(istride[k]),
                _ => None,
            };
            if let Some(step) = step {
                let next = self.fb.ins().iadd(ep[k], step);
                self.fb.def_var(elem_ptr[k], next);
            }
        }
        let i1 = self.fb.ins().iadd_imm_s(i, 1);
        self.fb.def_var(i_var, i1);
        self.fb.ins().jump(inner_head, &[]);
        self.fb.seal_block(inner_head);

        self.fb.switch_to_block(row_end);
        self.fb.seal_block(row_end);
        for k in 0..nops {
            if self.layout[k] != Access::Scalar {
                let next = self.fb.ins().iadd(rp[k], ostride[k]);
                self.fb.def_var(row_ptr[k], next);
            }
        }
        let r1 = self.fb.ins().iadd_imm_s(r, 1);
        self.fb.def_var(row_var, r1);
        self.fb.ins().jump(row_head, &[]);
        self.fb.seal_block(row_head);

        self.fb.switch_to_block(exit);
        self.fb.seal_block(exit);
        self.fb.ins().return_(&[]);
        self.fb.finalize(self.frontend);
        self.data
    }

    /// Whether this layout gets a vector loop: the output is contiguous and no input is
    /// strided, so every vector load and store covers adjacent elements.
    fn vectorize(&self) -> bool {
        self.width != 0
            && self.layout[0] == Access::Contiguous
            && !self.layout.contains(&Access::Strided)
    }

    /// Bytes per element of operand `k` (the output first).
    fn operand_size(&self, k: usize) -> usize {
        if k == 0 {
            self.program.dtype().size()
        } else {
            self.program.inputs[k - 1].dtype.size()
        }
    }

    /// How many vectors one iteration of the vector loop computes.
    fn unroll(&self) -> usize {
        let math = self.program.nodes.iter().any(|n| match n.op {
            Op::Call(f) => crate::codegen::vmath::has_kernel(f),
            Op::Pow => n.dtype.is_float(),
            _ => false,
        });
        if math {
            UNROLL_MATH
        } else {
            UNROLL
        }
    }

    /// Emits the vector loop of a row, from the current block: while `LANES * unroll` elements
    /// remain, `unroll` copies of the element computation on vectors; then sets `i_var` and the
    /// element pointers past what it did and jumps to `tail` (the scalar loop). Inside the loop
    /// every contiguous operand is addressed as its row base `rp[k]` plus the one index scaled
    /// by its element size, which x86-64 folds into the load's addressing mode, instead of
    /// advancing a pointer per operand.
    fn vector_loop(
        &mut self,
        n: Value,
        i_var: Variable,
        rp: &[Value],
        elem_ptr: &[Variable],
        tail: Block,
    ) {
        let unroll = self.unroll();
        let lanes = self.width;
        let step = lanes * unroll;
        let head = self.fb.create_block();
        let body = self.fb.create_block();
        let done = self.fb.create_block();
        self.fb.ins().jump(head, &[]);

        self.fb.switch_to_block(head);
        let i = self.fb.use_var(i_var);
        let end = self.fb.ins().iadd_imm_s(i, step as i64);
        let more = self.fb.ins().icmp(IntCC::SignedLessThanOrEqual, end, n);
        self.fb.ins().brif(more, body, &[], done, &[]);

        self.fb.switch_to_block(body);
        self.fb.seal_block(body);
        let ep = self.element_addresses(i, rp);
        for copy in 0..unroll {
            for id in 0..self.program.nodes.len() {
                if self.levels[id] == Level::Element {
                    self.vvalues[id] = None;
                    self.lanes[id] = None;
                }
            }
            for (k, &p) in ep.iter().enumerate().skip(1) {
                if self.layout[k] == Access::Contiguous {
                    let offset = (copy * lanes * self.operand_size(k)) as i32;
                    self.load_input_vector(k - 1, p, offset);
                }
            }
            for id in 0..self.program.nodes.len() {
                if self.levels[id] == Level::Element && self.vvalues[id].is_none() {
                    let v = self.emit_vector(id);
                    self.vvalues[id] = Some(v);
                }
            }
            let result = self.vvalue(self.program.root);
            let offset = (copy * lanes * self.operand_size(0)) as i32;
            self.store_vector(result, ep[0], offset);
        }
        self.fb.def_var(i_var, end);
        self.fb.ins().jump(head, &[]);
        self.fb.seal_block(head);

        // Leaving: the scalar loop continues from element `i` through its own pointers.
        self.fb.switch_to_block(done);
        self.fb.seal_block(done);
        let ep = self.element_addresses(i, rp);
        for (k, &p) in ep.iter().enumerate() {
            if self.layout[k] == Access::Contiguous {
                self.fb.def_var(elem_ptr[k], p);
            }
        }
        self.fb.ins().jump(tail, &[]);
    }

    /// The address of element `i` of every contiguous operand (others: their row base).
    fn element_addresses(&mut self, i: Value, rp: &[Value]) -> Vec<Value> {
        let mut scaled: Vec<(usize, Value)> = Vec::new();
        let mut out = Vec::with_capacity(rp.len());
        for (k, &base) in rp.iter().enumerate() {
            if self.layout[k] != Access::Contiguous {
                out.push(base);
                continue;
            }
            let size = self.operand_size(k);
            let off = match scaled.iter().find(|(s, _)| *s == size) {
                Some(&(_, v)) => v,
                None => {
                    let v = if size == 1 {
                        i
                    } else {
                        self.fb.ins().imul_imm_s(i, size as i64)
                    };
                    scaled.push((size, v));
                    v
                }
            };
            out.push(self.fb.ins().iadd(base, off));
        }
        out
    }

    /// One pointer variable per operand, starting at `init`.
    fn pointer_vars(&mut self, init: &[Value]) -> Vec<Variable> {
        init.iter()
            .map(|&p| {
                let v = self.fb.declare_var(self.ptr);
                self.fb.def_var(v, p);
                v
            })
            .collect()
    }

    /// Loads every input whose access is `access` through its pointer in `ptrs` (indexed by
    /// operand, the output first).
    fn load_inputs(&mut self, access: Access, ptrs: &[Value]) {
        for (k, &p) in ptrs.iter().enumerate().skip(1) {
            if self.layout[k] == access {
                self.load_input(k - 1, p);
            }
        }
    }

    /// Loads input `k` through `p` into every node that reads it.
    fn load_input(&mut self, k: usize, p: Value) {
        let dt = self.program.inputs[k].dtype;
        let ty = clif_type(dt);
        let flags = MemFlagsData::trusted();
        let v = if let DType::Bytes(_) = dt {
            p
        } else {
            self.fb.ins().load(ty, flags, p, 0)
        };
        let im = (dt == DType::Complex128).then(|| self.fb.ins().load(ty, flags, p, 8));
        for (i, node) in self.program.nodes.iter().enumerate() {
            if node.op == Op::Input(k) {
                match im {
                    Some(im) => self.cvalues[i] = Some((v, im)),
                    None => self.values[i] = Some(v),
                }
            }
        }
    }

    /// Loads `LANES` elements of contiguous input `k` at `p + offset` as a vector into every
    /// node that reads it.
    fn load_input_vector(&mut self, k: usize, p: Value, offset: i32) {
        let flags = vector_flags();
        let width = self.width;
        let v = match self.program.inputs[k].dtype {
            DType::Bool if width == 4 => {
                // Four bytes → i32x4 [b0|b1<<8|b2<<16|b3<<24; 4] → and with the bit each lane
                // tests → equal to that bit: all ones exactly where the lane's byte is 1.
                let word = self.fb.ins().load(types::I32, flags, p, offset);
                let spread = self.fb.ins().splat(types::I32X4, word);
                let bit = self.vconst_i32x4([1, 1 << 8, 1 << 16, 1 << 24]);
                let tested = self.fb.ins().band(spread, bit);
                self.fb.ins().icmp(IntCC::Equal, tested, bit)
            }
            DType::Bool => {
                // Two bytes b0, b1 (each 0 or 1) → i32x4 [b0|b1<<8; 4] → and with the bit each
                // lane tests, [1, 1, 256, 256] → equal to that bit: both halves of a 64-bit
                // lane are all ones exactly where its byte is 1.
                let pair = self.fb.ins().uload16(types::I32, flags, p, offset);
                let spread = self.fb.ins().splat(types::I32X4, pair);
                let bit = self.vconst_i32x4([1, 1, 256, 256]);
                let tested = self.fb.ins().band(spread, bit);
                let mask = self.fb.ins().icmp(IntCC::Equal, tested, bit);
                let little = MemFlagsData::new().with_endianness(Endianness::Little);
                self.fb.ins().bitcast(types::I64X2, little, mask)
            }
            dt => self.fb.ins().load(vector_type(dt, width), flags, p, offset),
        };
        for (i, node) in self.program.nodes.iter().enumerate() {
            if node.op == Op::Input(k) {
                self.vvalues[i] = Some(v);
            }
        }
    }

    /// Stores the output vector `v` to `p + offset`.
    fn store_vector(&mut self, v: Value, p: Value, offset: i32) {
        let flags = vector_flags();
        match self.program.dtype() {
            DType::Bool if self.width == 4 => {
                // The four lanes' sign bits m → bytes: bit k moves to bit 8k, (m·0x204081) &
                // 0x01010101.
                let m = self.fb.ins().vhigh_bits(types::I32, v);
                let spread = self.fb.ins().imul_imm_s(m, 0x0020_4081);
                let bytes = self.fb.ins().band_imm_s(spread, 0x0101_0101);
                self.fb.ins().store(flags, bytes, p, offset);
            }
            DType::Bool => {
                // The two lanes' sign bits m = b0 | b1<<1 → bytes b0 and b1: (m | m<<7) & 0x101.
                let m = self.fb.ins().vhigh_bits(types::I32, v);
                let shifted = self.fb.ins().ishl_imm_s(m, 7);
                let both = self.fb.ins().bor(m, shifted);
                let bytes = self.fb.ins().band_imm_s(both, 0x101);
                self.fb.ins().istore16(flags, bytes, p, offset);
            }
            _ => {
                self.fb.ins().store(flags, v, p, offset);
            }
        }
    }

    /// An `i32x4` constant.
    fn vconst_i32x4(&mut self, lanes: [u32; 4]) -> Value {
        let bytes: Vec<u8> = lanes.iter().flat_map(|w| w.to_le_bytes()).collect();
        let c = self.fb.func.dfg.constants.insert(ConstantData::from(bytes));
        self.fb.ins().vconst(types::I32X4, c)
    }

    fn value(&self, id: NodeId) -> Value {
        self.values[id].expect("operands are lowered before their users")
    }

    fn vvalue(&self, id: NodeId) -> Value {
        self.vvalues[id].expect("vector operands are lowered or splatted before their users")
    }

    fn emit_level(&mut self, level: Level) {
        for id in 0..self.program.nodes.len() {
            if self.levels[id] != level || self.values[id].is_some() || self.cvalues[id].is_some() {
                continue;
            }
            if self.is_complex(id) {
                self.emit_complex(id);
            } else {
                let args: Vec<Value> = self.program.nodes[id]
                    .args
                    .iter()
                    .map(|&a| self.value(a))
                    .collect();
                let v = self
                    .emit_op(id, &args, 1)
                    .expect("every operation has a scalar lowering");
                self.values[id] = Some(v);
            }
        }
    }

    /// Splats every hoisted node of `level` that the vector loop needs.
    fn splat_level(&mut self, level: Level) {
        for id in 0..self.program.nodes.len() {
            if self.levels[id] == level && self.splat[id] {
                let x = self.value(id);
                let dt = self.program.nodes[id].dtype;
                let x = if dt == DType::Bool {
                    self.mask_of(x)
                } else {
                    x
                };
                let v = self.fb.ins().splat(vector_type(dt, self.width), x);
                self.vvalues[id] = Some(v);
            }
        }
    }

    /// Element node `id` in vector form: the whitelisted vector lowering if there is one,
    /// otherwise the scalar lowering once per lane.
    fn emit_vector(&mut self, id: NodeId) -> Value {
        let args: Vec<Value> = self.program.nodes[id]
            .args
            .iter()
            .map(|&a| self.vvalue(a))
            .collect();
        match self.emit_op(id, &args, self.width) {
            Some(v) => v,
            None => self.emit_lanewise(id),
        }
    }

    /// The lane-wise fallback: the scalar lowering of `id` on each lane's operands (hoisted
    /// operands as they are, element operands extracted), the results inserted into a vector.
    fn emit_lanewise(&mut self, id: NodeId) -> Value {
        let node_args = self.program.nodes[id].args.clone();
        let arg_lanes: Vec<Vec<Value>> = node_args.iter().map(|&a| self.lanes_of(a)).collect();
        let mut results = Vec::with_capacity(self.width);
        for lane in 0..self.width {
            let args: Vec<Value> = arg_lanes.iter().map(|l| l[lane]).collect();
            let r = self
                .emit_op(id, &args, 1)
                .expect("every operation has a scalar lowering");
            results.push(r);
        }
        self.lanes[id] = Some(results.clone());
        let dt = self.program.nodes[id].dtype;
        let mut v = None;
        for (lane, &r) in results.iter().enumerate() {
            let r = if dt == DType::Bool {
                self.mask_of(r)
            } else {
                r
            };
            v = Some(match v {
                None => self
                    .fb
                    .ins()
                    .scalar_to_vector(vector_type(dt, self.width), r),
                Some(v) => self.fb.ins().insertlane(v, r, lane as u8),
            });
        }
        v.expect("a vector has lanes")
    }

    /// The scalar value of each lane of node `id` in the current unrolled copy (a bool lane as
    /// 0 or 1).
    fn lanes_of(&mut self, id: NodeId) -> Vec<Value> {
        if self.levels[id] != Level::Element {
            return vec![self.value(id); self.width];
        }
        if let Some(l) = &self.lanes[id] {
            return l.clone();
        }
        let v = self.vvalue(id);
        let bool = self.program.nodes[id].dtype == DType::Bool;
        let mut out = Vec::with_capacity(self.width);
        for lane in 0..self.width {
            let x = self.fb.ins().extractlane(v, lane as u8);
            out.push(if bool {
                self.fb.ins().icmp_imm_s(IntCC::NotEqual, x, 0)
            } else {
                x
            });
        }
        self.lanes[id] = Some(out.clone());
        out
    }

    /// The integer type of a bool mask lane: as wide as the kernel's lanes.
    fn mask_lane(&self) -> Type {
        if self.width == 4 {
            types::I32
        } else {
            types::I64
        }
    }

    /// A scalar bool (0 or 1) as a lane mask (0 or all ones).
    fn mask_of(&mut self, b: Value) -> Value {
        let lane = self.mask_lane();
        let wide = self.fb.ins().uextend(lane, b);
        self.fb.ins().ineg(wide)
    }

    fn call_helper(&mut self, addr: *const u8, args: &[Value], ty: Type) -> Value {
        let mut sig = Signature::new(self.call_conv);
        for &a in args {
            let t = self.fb.func.dfg.value_type(a);
            sig.params.push(AbiParam::new(t));
        }
        sig.returns.push(AbiParam::new(ty));
        let sigref = self.fb.import_signature(sig);
        let callee = self.fb.ins().iconst(self.ptr, addr as i64);
        let call = self.fb.ins().call_indirect(sigref, callee, args);
        self.fb.inst_results(call)[0]
    }

    fn i(&mut self) -> cranelift_frontend::FuncInstBuilder<'_, 'b> {
        self.fb.ins()
    }

    // Lane-generic building blocks: `lanes` is 1 (scalars) or the kernel's width (vectors,
    // bool as a mask).

    /// `x` splatted to `lanes` lanes (nothing when `lanes` is 1).
    fn splat(&mut self, lanes: usize, x: Value) -> Value {
        if lanes == 1 {
            return x;
        }
        let ty = self.fb.func.dfg.value_type(x);
        let vty = if ty == types::I8 {
            unreachable!("bool constants are masks in vectors")
        } else {
            ty.by(lanes as u32).expect("128-bit vector")
        };
        self.fb.ins().splat(vty, x)
    }

    /// A float constant of float dtype `dt`.
    fn fconst(&mut self, dt: DType, lanes: usize, x: f64) -> Value {
        let c = if dt == DType::Float32 {
            self.fb.ins().f32const(x as f32)
        } else {
            self.fb.ins().f64const(x)
        };
        self.splat(lanes, c)
    }

    /// An integer constant of integer dtype `dt` (wrapped to its width).
    fn iconst(&mut self, dt: DType, lanes: usize, x: i64) -> Value {
        let c = self.fb.ins().iconst(clif_type(dt), x);
        self.splat(lanes, c)
    }

    /// `x` as a constant of any real dtype `dt`.
    fn constant(&mut self, dt: DType, lanes: usize, x: Scalar) -> Value {
        match x.cast(dt) {
            Scalar::Bool(b) => self.bool_const(lanes, b),
            Scalar::Int32(i) => self.iconst(dt, lanes, i as i64),
            Scalar::Int(i) => self.iconst(dt, lanes, i),
            Scalar::Float32(v) => {
                let c = self.fb.ins().f32const(v);
                self.splat(lanes, c)
            }
            Scalar::Float(v) => self.fconst(dt, lanes, v),
            Scalar::Complex(_) => unreachable!("complex constants are pairs"),
            Scalar::Str(k, _) => {
                // A copy owned by the kernel, so the code never points into the program.
                let bytes: Box<[u8]> = self.program.strings[k as usize].clone().into();
                let addr = bytes.as_ptr() as i64;
                self.data.push(bytes);
                self.fb.ins().iconst(self.ptr, addr)
            }
        }
    }

    fn bool_const(&mut self, lanes: usize, b: bool) -> Value {
        if lanes == 1 {
            self.fb.ins().iconst(types::I8, b as i64)
        } else {
            let lane = self.mask_lane();
            let c = self.fb.ins().iconst(lane, -(b as i64));
            self.splat(lanes, c)
        }
    }

    /// Bool → integer `to` (0 or 1).
    fn bool_to_int(&mut self, to: DType, lanes: usize, b: Value) -> Value {
        if lanes == 1 {
            self.fb.ins().uextend(clif_type(to), b)
        } else {
            let one = self.iconst(to, lanes, 1);
            self.fb.ins().band(b, one)
        }
    }

    fn not(&mut self, lanes: usize, b: Value) -> Value {
        if lanes == 1 {
            self.fb.ins().bxor_imm_s(b, 1)
        } else {
            self.fb.ins().bnot(b)
        }
    }

    fn icmp_imm(&mut self, lanes: usize, cc: IntCC, x: Value, imm: i64) -> Value {
        if lanes == 1 {
            self.fb.ins().icmp_imm_s(cc, x, imm)
        } else {
            let ty = self.fb.func.dfg.value_type(x).lane_type();
            let c = self.fb.ins().iconst(ty, imm);
            let c = self.splat(lanes, c);
            self.fb.ins().icmp(cc, x, c)
        }
    }

    /// `c ? a : b`; on vectors a bitwise select on the mask `c`.
    fn select(&mut self, lanes: usize, c: Value, a: Value, b: Value) -> Value {
        if lanes == 1 {
            return self.fb.ins().select(c, a, b);
        }
        let ty = self.fb.func.dfg.value_type(a);
        let cty = self.fb.func.dfg.value_type(c);
        let c = if ty == cty {
            c
        } else {
            self.fb.ins().bitcast(ty, MemFlagsData::new(), c)
        };
        self.fb.ins().bitselect(c, a, b)
    }

    /// Computes a float32 operation through its float64 form: `f` on the operands converted
    /// to float64, the result rounded to float32 (bool results pass through). On `f32x4`
    /// vectors each half is widened to `f64x2`, computed, and narrowed back. This is numjit's
    /// definition of the float32 math functions (the reference interpreter does the same), so
    /// the vector and scalar forms agree bit for bit.
    fn via_f64(
        &mut self,
        args: &[Value],
        lanes: usize,
        f: &mut Widened<'_, 'a, 'b>,
    ) -> Option<Value> {
        if lanes == 1 {
            let wide: Vec<Value> = args
                .iter()
                .map(|&a| self.fb.ins().fpromote(types::F64, a))
                .collect();
            let r = f(self, &wide, 1)?;
            return Some(if self.fb.func.dfg.value_type(r) == types::F64 {
                self.fb.ins().fdemote(types::F32, r)
            } else {
                r
            });
        }
        let little = MemFlagsData::new().with_endianness(Endianness::Little);
        let high_to_low = self.fb.func.dfg.immediates.push(ConstantData::from(
            (8u8..16).chain(8..16).collect::<Vec<u8>>(),
        ));
        let mut halves = Vec::with_capacity(2);
        for half in 0..2 {
            let wide: Vec<Value> = args
                .iter()
                .map(|&a| {
                    let a = if half == 0 {
                        a
                    } else {
                        let bytes = self.fb.ins().bitcast(types::I8X16, little, a);
                        let moved = self.fb.ins().shuffle(bytes, bytes, high_to_low);
                        self.fb.ins().bitcast(types::F32X4, little, moved)
                    };
                    self.fb.ins().fvpromote_low(a)
                })
                .collect();
            let r = f(self, &wide, 2)?;
            let narrow = self.fb.ins().fvdemote(r);
            halves.push(self.fb.ins().bitcast(types::I8X16, little, narrow));
        }
        let join = self.fb.func.dfg.immediates.push(ConstantData::from(
            (0u8..8).chain(16..24).collect::<Vec<u8>>(),
        ));
        let joined = self.fb.ins().shuffle(halves[0], halves[1], join);
        Some(self.fb.ins().bitcast(types::F32X4, little, joined))
    }

    /// Emits node `id` on `args`: scalars when `lanes` is 1, vectors of the kernel's width
    /// otherwise. Returns `None`, having emitted nothing, for an operation without a vector
    /// lowering.
    ///
    /// The vector whitelist: every lane gives exactly the scalar instruction's bits, and each
    /// instruction lowers on every x86-64 (the unit tests compile and run them at SSE2, SSE4.2,
    /// AVX2 and the host's features). Floats: `+ - * /`, negation, comparisons, `abs`,
    /// `sqrt`, `floor`, `ceil`, `trunc`, `round`, `maximum`/`minimum` (with the scalar
    /// sequence's NaN), `copysign`, `isnan`/`isinf`/`isfinite`/`signbit`, `**3` and `**4`,
    /// casts from bool and integers and to bool; float32 math functions through float64
    /// halves. Integers: `+ - *`, negation, `~ & | ^`, comparisons, `abs`, `sign`,
    /// `maximum`/`minimum`, `signbit`, constant powers 0..=64, casts from and to bool. Bool:
    /// `~ & | ^ + *`, comparisons, `maximum`/`minimum`, casts to numbers. All dtypes: `where`,
    /// the constant predicates, `copy`, `real`, `imag`, `conj`, `ones_like`. Lane by lane:
    /// `//`, `%`, `<< >>`, other integer powers, float → int, `sign` on floats, `fmod`, and
    /// the libm functions.
    fn emit_op(&mut self, id: NodeId, args: &[Value], lanes: usize) -> Option<Value> {
        let node = &self.program.nodes[id];
        let (op, dt) = (node.op, node.dtype);
        let arg_dt = node.args.first().map(|&a| self.program.nodes[a].dtype);
        let scalar = lanes == 1;
        let float = dt.is_float();
        Some(match op {
            Op::Input(_) => unreachable!("inputs are loaded, not emitted"),
            Op::Const(c) => self.constant(dt, lanes, c),
            Op::Cast => return self.cast(args[0], arg_dt.unwrap_or(dt), dt, lanes),
            Op::Neg if float => self.i().fneg(args[0]),
            Op::Neg => self.i().ineg(args[0]),
            Op::Invert => match dt {
                DType::Bool => self.not(lanes, args[0]),
                _ => self.i().bnot(args[0]),
            },
            Op::Add | Op::Or => match dt {
                _ if float => self.i().fadd(args[0], args[1]),
                DType::Bool => self.i().bor(args[0], args[1]),
                _ if op == Op::Add => self.i().iadd(args[0], args[1]),
                _ => self.i().bor(args[0], args[1]),
            },
            Op::Mul | Op::And => match dt {
                _ if float => self.i().fmul(args[0], args[1]),
                DType::Bool => self.i().band(args[0], args[1]),
                _ if op == Op::Mul => self.i().imul(args[0], args[1]),
                _ => self.i().band(args[0], args[1]),
            },
            Op::Xor => self.i().bxor(args[0], args[1]),
            Op::Sub if float => self.i().fsub(args[0], args[1]),
            Op::Sub => self.i().isub(args[0], args[1]),
            Op::Div => self.i().fdiv(args[0], args[1]),
            Op::FloorDiv | Op::Mod | Op::Shl | Op::Shr if !scalar => return None,
            Op::FloorDiv | Op::Mod => {
                let floor = op == Op::FloorDiv;
                match dt {
                    DType::Float64 => {
                        let h = if floor { h_floordiv_f64 } else { h_mod_f64 };
                        self.call_helper(h as *const u8, args, types::F64)
                    }
                    DType::Float32 => {
                        let h = if floor { h_floordiv_f32 } else { h_mod_f32 };
                        self.call_helper(h as *const u8, args, types::F32)
                    }
                    _ => {
                        let h = if floor { h_floordiv_i64 } else { h_mod_i64 };
                        self.int_helper(dt, h as *const u8, args)
                    }
                }
            }
            Op::Pow => {
                let exponent = match self.program.nodes[node.args[1]].op {
                    Op::Const(c) => Some(c),
                    _ => None,
                };
                return self.pow(dt, args[0], args[1], exponent, lanes);
            }
            Op::Shl | Op::Shr => {
                let (a, b) = (args[0], args[1]);
                let bits = (dt.size() * 8) as i64;
                let ty = clif_type(dt);
                let in_range = self.i().icmp_imm_s(IntCC::UnsignedLessThan, b, bits);
                if op == Op::Shl {
                    let shifted = self.i().ishl(a, b);
                    let zero = self.i().iconst(ty, 0);
                    self.i().select(in_range, shifted, zero)
                } else {
                    let top = self.i().iconst(ty, bits - 1);
                    let count = self.i().select(in_range, b, top);
                    self.i().sshr(a, count)
                }
            }
            Op::Cmp(c) => {
                let (a, b) = (args[0], args[1]);
                match arg_dt.unwrap_or(DType::Float64) {
                    DType::Bytes(_) => {
                        let o = self.bytes_call(id, raw::h_bytes_cmp as *const u8, types::I32);
                        let cc = match c {
                            Cmp::Lt => IntCC::SignedLessThan,
                            Cmp::Le => IntCC::SignedLessThanOrEqual,
                            Cmp::Eq => IntCC::Equal,
                            Cmp::Ne => IntCC::NotEqual,
                            Cmp::Ge => IntCC::SignedGreaterThanOrEqual,
                            Cmp::Gt => IntCC::SignedGreaterThan,
                        };
                        self.i().icmp_imm_s(cc, o, 0)
                    }
                    t if t.is_float() => {
                        let cc = match c {
                            Cmp::Lt => FloatCC::LessThan,
                            Cmp::Le => FloatCC::LessThanOrEqual,
                            Cmp::Eq => FloatCC::Equal,
                            Cmp::Ne => FloatCC::NotEqual,
                            Cmp::Ge => FloatCC::GreaterThanOrEqual,
                            Cmp::Gt => FloatCC::GreaterThan,
                        };
                        self.i().fcmp(cc, a, b)
                    }
                    DType::Bool if !scalar => {
                        // Masks, false < true: a < b is !a & b, a <= b is !a | b.
                        match c {
                            Cmp::Lt => self.i().band_not(b, a),
                            Cmp::Le => self.i().bor_not(b, a),
                            Cmp::Gt => self.i().band_not(a, b),
                            Cmp::Ge => self.i().bor_not(a, b),
                            Cmp::Eq => {
                                let ne = self.i().bxor(a, b);
                                self.i().bnot(ne)
                            }
                            Cmp::Ne => self.i().bxor(a, b),
                        }
                    }
                    other => {
                        let signed = other.is_int();
                        let cc = match (c, signed) {
                            (Cmp::Lt, true) => IntCC::SignedLessThan,
                            (Cmp::Le, true) => IntCC::SignedLessThanOrEqual,
                            (Cmp::Ge, true) => IntCC::SignedGreaterThanOrEqual,
                            (Cmp::Gt, true) => IntCC::SignedGreaterThan,
                            (Cmp::Lt, false) => IntCC::UnsignedLessThan,
                            (Cmp::Le, false) => IntCC::UnsignedLessThanOrEqual,
                            (Cmp::Ge, false) => IntCC::UnsignedGreaterThanOrEqual,
                            (Cmp::Gt, false) => IntCC::UnsignedGreaterThan,
                            (Cmp::Eq, _) => IntCC::Equal,
                            (Cmp::Ne, _) => IntCC::NotEqual,
                        };
                        self.i().icmp(cc, a, b)
                    }
                }
            }
            Op::Call(Func::Contains) => {
                self.bytes_call(id, raw::h_contains as *const u8, types::I8)
            }
            Op::Call(f) => return self.call(f, dt, arg_dt.unwrap_or(dt), args, lanes),
        })
    }

    /// Calls a byte-string helper `h(a, a_width, b, b_width)` on the two operands of node `id`
    /// (scalar loop only: kernels over byte strings have no vector loop).
    fn bytes_call(&mut self, id: NodeId, h: *const u8, ret: Type) -> Value {
        let node = &self.program.nodes[id];
        let (a, b) = (node.args[0], node.args[1]);
        let (wa, wb) = (
            self.program.nodes[a].dtype.size() as i64,
            self.program.nodes[b].dtype.size() as i64,
        );
        let (pa, pb) = (self.value(a), self.value(b));
        let la = self.i().iconst(types::I64, wa);
        let lb = self.i().iconst(types::I64, wb);
        self.call_helper(h, &[pa, la, pb, lb], ret)
    }

    /// An int64 helper `h` applied to int32 or int64 operands (int32 sign-extended, the result
    /// wrapped back: every int32 operation is the low half of the int64 one).
    fn int_helper(&mut self, dt: DType, h: *const u8, args: &[Value]) -> Value {
        if dt == DType::Int64 {
            return self.call_helper(h, args, types::I64);
        }
        let wide: Vec<Value> = args
            .iter()
            .map(|&a| self.fb.ins().sextend(types::I64, a))
            .collect();
        let r = self.call_helper(h, &wide, types::I64);
        self.fb.ins().ireduce(types::I32, r)
    }

    fn cast(&mut self, v: Value, from: DType, to: DType, lanes: usize) -> Option<Value> {
        use DType::*;
        let scalar = lanes == 1;
        let vty = |dt: DType| {
            if scalar {
                clif_type(dt)
            } else {
                vector_type(dt, lanes)
            }
        };
        Some(match (from, to) {
            (a, b) if a == b => v,
            (Bool, Int32 | Int64) => self.bool_to_int(to, lanes, v),
            (Bool, Float32 | Float64) if scalar => {
                let w = self.i().uextend(types::I32, v);
                self.i().fcvt_from_sint(clif_type(to), w)
            }
            (Bool, Float32 | Float64) => {
                // The mask selects the bits of 1.0; elsewhere +0.0, as converting 0 gives.
                let one = match to {
                    Float32 => self.iconst(Int32, lanes, 1.0f32.to_bits() as i64),
                    _ => self.iconst(Int64, lanes, 1.0f64.to_bits() as i64),
                };
                let bits = self.i().band(v, one);
                self.i().bitcast(vty(to), MemFlagsData::new(), bits)
            }
            (Int32 | Int64, Bool) => self.icmp_imm(lanes, IntCC::NotEqual, v, 0),
            (Float32 | Float64, Bool) => {
                let zero = self.fconst(from, lanes, 0.0);
                self.i().fcmp(FloatCC::NotEqual, v, zero)
            }
            // Mixed widths never reach the vector loop (see `vector_width`).
            (Int32, Int64) => self.i().sextend(types::I64, v),
            (Int64, Int32) => self.i().ireduce(types::I32, v),
            (Float32, Float64) => self.i().fpromote(types::F64, v),
            (Float64, Float32) => self.i().fdemote(types::F32, v),
            (Int32 | Int64, Float32 | Float64) => self.i().fcvt_from_sint(vty(to), v),
            // x86-64 has no saturating float → int vector conversion (Cranelift refuses it).
            (Float32 | Float64, Int32 | Int64) if !scalar => return None,
            (Float32 | Float64, Int32 | Int64) => {
                // x86-64's (and so NumPy's) answer: the integer minimum for NaN and values out
                // of range (below the range, saturation gives it too); see `ir::float_to_int`.
                let ty = clif_type(to);
                let sat = self.i().fcvt_to_sint_sat(ty, v);
                let limit = (1u64 << (to.size() * 8 - 1)) as f64;
                let limit = self.fconst(from, 1, limit);
                let fits = self.i().fcmp(FloatCC::LessThan, v, limit);
                let min = self.i().iconst(
                    ty,
                    if to == Int32 {
                        i32::MIN as i64
                    } else {
                        i64::MIN
                    },
                );
                self.i().select(fits, sat, min)
            }
            _ => unreachable!("complex casts are lowered by emit_complex"),
        })
    }

    /// `x ** e`. (Checking already turned the exponents NumPy special-cases, 0, 1, 2, -1 and
    /// 0.5, into plain operations.) Float64 exponents 3 and 4 use an error-compensated product
    /// (within 1 ulp of `pow`); other float exponents use the inline kernel
    /// `vmath::emit_pow` (within 1 ulp of `pow`, special cases exact, vector and scalar alike);
    /// float32 goes through float64 (see `via_f64`). Constant integer exponents 0..=64 become
    /// repeated squaring, exact with wrapping.
    fn pow(
        &mut self,
        dt: DType,
        x: Value,
        e: Value,
        exponent: Option<Scalar>,
        lanes: usize,
    ) -> Option<Value> {
        let int_exponent = match exponent {
            Some(Scalar::Int(k)) => Some(k),
            Some(Scalar::Int32(k)) => Some(k as i64),
            _ => None,
        };
        match (dt, exponent) {
            (DType::Int32 | DType::Int64, _)
                if int_exponent.is_some_and(|k| (0..=64).contains(&k)) =>
            {
                let mut result = self.iconst(dt, lanes, 1);
                let mut base = x;
                let mut k = int_exponent.unwrap_or(0);
                while k > 0 {
                    if k & 1 == 1 {
                        result = self.fb.ins().imul(result, base);
                    }
                    k >>= 1;
                    if k > 0 {
                        base = self.fb.ins().imul(base, base);
                    }
                }
                Some(result)
            }
            (DType::Float64, Some(Scalar::Float(k))) if k == 3.0 || k == 4.0 => {
                // x² = hi + lo exactly (fma), then one rounding of the final product.
                let hi = self.fb.ins().fmul(x, x);
                let neg_hi = self.fb.ins().fneg(hi);
                let lo = self.fb.ins().fma(x, x, neg_hi);
                // x³ = hi·x + lo·x;  x⁴ = hi·hi + 2·hi·lo (+ lo², below an ulp).
                let a = if k == 3.0 { x } else { hi };
                let factor = if k == 3.0 {
                    x
                } else {
                    self.fb.ins().fadd(hi, hi)
                };
                let corr = self.fb.ins().fmul(lo, factor);
                let r = self.fb.ins().fma(hi, a, corr);
                // Where hi overflowed, lo is NaN; keep the plain product there.
                let plain = self.fb.ins().fmul(hi, a);
                let inf = self.fconst(DType::Float64, lanes, f64::INFINITY);
                let abs = self.fb.ins().fabs(plain);
                let finite = self.fb.ins().fcmp(FloatCC::LessThan, abs, inf);
                Some(self.select(lanes, finite, r, plain))
            }
            (DType::Float32, _) => {
                let wide = exponent.map(|c| Scalar::Float(c.to_f64()));
                self.via_f64(&[x, e], lanes, &mut |me, a, l| {
                    me.pow(DType::Float64, a[0], a[1], wide, l)
                })
            }
            // Any other float exponent: the inline kernel (vector and scalar alike).
            (DType::Float64, _) => crate::codegen::vmath::emit_pow(&mut self.fb, x, e),
            _ if lanes != 1 => None,
            // An integer exponent known only at run time.
            _ => Some(self.int_helper(dt, h_pow_i64 as *const u8, &[x, e])),
        }
    }

    fn call(
        &mut self,
        f: Func,
        dt: DType,
        arg_dt: DType,
        args: &[Value],
        lanes: usize,
    ) -> Option<Value> {
        use Func::*;
        let scalar = lanes == 1;
        let float_arg = arg_dt.is_float();
        Some(match (f, arg_dt) {
            (Where, _) => self.select(lanes, args[0], args[1], args[2]),
            (Real | Conj | Copy, _) => args[0],
            (Imag, _) => self.constant(dt, lanes, Scalar::Int(0)),
            (OnesLike, _) => self.constant(dt, lanes, Scalar::Int(1)),
            (Isnan, _) if float_arg => self.i().fcmp(FloatCC::Unordered, args[0], args[0]),
            (Isinf | Isfinite, _) if float_arg => {
                let abs = self.i().fabs(args[0]);
                let inf = self.fconst(arg_dt, lanes, f64::INFINITY);
                let cc = if f == Isinf {
                    FloatCC::Equal
                } else {
                    FloatCC::LessThan
                };
                self.i().fcmp(cc, abs, inf)
            }
            (Signbit, _) if float_arg => {
                let int = if arg_dt == DType::Float32 {
                    DType::Int32
                } else {
                    DType::Int64
                };
                let ty = if scalar {
                    clif_type(int)
                } else {
                    vector_type(int, lanes)
                };
                let bits = self.i().bitcast(ty, MemFlagsData::new(), args[0]);
                self.icmp_imm(lanes, IntCC::SignedLessThan, bits, 0)
            }
            (Signbit, t) if t.is_int() => self.icmp_imm(lanes, IntCC::SignedLessThan, args[0], 0),
            (Isnan | Isinf | Signbit, _) => self.bool_const(lanes, false),
            (Isfinite, _) => self.bool_const(lanes, true),
            (Abs, _) if float_arg => self.i().fabs(args[0]),
            (Abs, t) if t.is_int() => self.i().iabs(args[0]),
            (Abs | Floor | Ceil | Trunc | Round, _) if !dt.is_float() => args[0],
            (Floor, _) => self.i().floor(args[0]),
            (Ceil, _) => self.i().ceil(args[0]),
            (Trunc, _) => self.i().trunc(args[0]),
            (Round, _) => self.i().nearest(args[0]),
            (Sqrt, _) => self.i().sqrt(args[0]),
            (Sign, t) if t.is_int() => {
                let gt = self.icmp_imm(lanes, IntCC::SignedGreaterThan, args[0], 0);
                let lt = self.icmp_imm(lanes, IntCC::SignedLessThan, args[0], 0);
                let gt = self.bool_to_int(t, lanes, gt);
                let lt = self.bool_to_int(t, lanes, lt);
                self.i().isub(gt, lt)
            }
            (Maximum | Minimum, _) if float_arg => {
                let (x, y) = (args[0], args[1]);
                let m = if f == Maximum {
                    self.i().fmax(x, y)
                } else {
                    self.i().fmin(x, y)
                };
                if scalar {
                    m
                } else {
                    // Vector fmax/fmin agree with the scalar sequence except that they
                    // canonicalise NaN; the scalar sequence returns y + x there (its `addsd`
                    // with y as destination), so the NaN keeps its payload and sign.
                    let nan = self.i().fcmp(FloatCC::Unordered, x, y);
                    let sum = self.i().fadd(y, x);
                    self.select(lanes, nan, sum, m)
                }
            }
            (Maximum, t) if t.is_int() => self.i().smax(args[0], args[1]),
            (Minimum, t) if t.is_int() => self.i().smin(args[0], args[1]),
            (Maximum, _) => self.i().bor(args[0], args[1]),
            (Minimum, _) => self.i().band(args[0], args[1]),
            (Copysign, _) if scalar => self.i().fcopysign(args[0], args[1]),
            (Copysign, _) => {
                // Cranelift has no vector fcopysign on x86-64: the sign bit from args[1], the
                // rest from args[0], as the scalar lowering does.
                let sign = self.fconst(arg_dt, lanes, -0.0);
                self.i().bitselect(sign, args[1], args[0])
            }
            (Nextafter, DType::Float32) if scalar => {
                self.call_helper(h_nextafter_f32 as *const u8, args, types::F32)
            }
            (Fmod, t) if t.is_int() && scalar => self.int_helper(t, h_fmod_i64 as *const u8, args),
            // Everything else on float32 (math functions, hypot, fmod, sign): through float64.
            (_, DType::Float32) if f != Nextafter => {
                return self.via_f64(args, lanes, &mut |me, a, l| {
                    me.call(f, DType::Float64, DType::Float64, a, l)
                });
            }
            // numjit's own vectorised kernels (exp, log, sin, ...), identical bits in vector and
            // scalar form; the interpreter evaluates through them too (`exec::math`).
            (_, DType::Float64) if crate::codegen::vmath::has_kernel(f) => {
                return match *args {
                    [x] => crate::codegen::vmath::emit(&mut self.fb, f, x),
                    [x, y] => crate::codegen::vmath::emit2(&mut self.fb, f, x, y),
                    _ => None,
                };
            }
            _ if !scalar => return None,
            (Fmod, _) => self.call_helper(h_fmod_f64 as *const u8, args, types::F64),
            (Hypot, _) => self.call_helper(h_hypot as *const u8, args, types::F64),
            (Nextafter, _) => self.call_helper(h_nextafter as *const u8, args, types::F64),
            _ => {
                let h = unary_helper(f).expect("every float function has a routine");
                self.call_helper(h as *const u8, args, types::F64)
            }
        })
    }

    /// Whether node `id` computes on complex values (its result or its first operand is
    /// complex, or it builds one with `complex(re, im)`).
    fn is_complex(&self, id: NodeId) -> bool {
        let node = &self.program.nodes[id];
        node.dtype == DType::Complex128
            || node
                .args
                .first()
                .is_some_and(|&a| self.program.nodes[a].dtype == DType::Complex128)
    }

    /// The (real, imaginary) parts of complex node `id`.
    fn cvalue(&self, id: NodeId) -> (Value, Value) {
        self.cvalues[id].expect("complex operands are lowered before their users")
    }

    /// Emits a complex node (scalar loop only): into `cvalues` when its result is complex,
    /// `values` otherwise. `+ - *`, negation, comparisons, parts and predicates are inline (the
    /// formulas of the reference interpreter, so the two agree bit for bit); division, powers
    /// and functions call [`crate::semantics::cmath`].
    fn emit_complex(&mut self, id: NodeId) {
        use Func::*;
        let node = self.program.nodes[id].clone();
        let from = node
            .args
            .first()
            .map(|&a| self.program.nodes[a].dtype)
            .unwrap_or(node.dtype);
        let pair = |me: &mut Self, k: usize| me.cvalue(node.args[k]);
        let ty = types::F64;
        let result: Result<(Value, Value), Value> = match node.op {
            Op::Const(c) => {
                let z = c.to_complex();
                Ok((self.i().f64const(z.re), self.i().f64const(z.im)))
            }
            Op::Cast if from == DType::Complex128 && node.dtype == DType::Bool => {
                // Nonzero: either part nonzero (NaN counts).
                let (re, im) = pair(self, 0);
                let zero = self.i().f64const(0.0);
                let r = self.i().fcmp(FloatCC::NotEqual, re, zero);
                let i = self.i().fcmp(FloatCC::NotEqual, im, zero);
                Err(self.i().bor(r, i))
            }
            Op::Cast if from == DType::Complex128 => {
                // complex → real (NumPy's unsafe cast): the real part.
                let (re, _) = pair(self, 0);
                Err(self
                    .cast(re, DType::Float64, node.dtype, 1)
                    .expect("scalar casts always lower"))
            }
            Op::Cast => {
                let x = self.value(node.args[0]);
                let re = self
                    .cast(x, from, DType::Float64, 1)
                    .expect("scalar casts always lower");
                Ok((re, self.i().f64const(0.0)))
            }
            Op::Neg => {
                let (re, im) = pair(self, 0);
                Ok((self.i().fneg(re), self.i().fneg(im)))
            }
            Op::Add | Op::Sub => {
                let ((ar, ai), (br, bi)) = (pair(self, 0), pair(self, 1));
                Ok(if node.op == Op::Add {
                    (self.i().fadd(ar, br), self.i().fadd(ai, bi))
                } else {
                    (self.i().fsub(ar, br), self.i().fsub(ai, bi))
                })
            }
            Op::Mul => {
                // NumPy's complex multiply on x86-64: re = fma(ar, br, -(ai·bi)),
                // im = fma(ar, bi, ai·br) (see `interp::complex_mul`).
                let ((ar, ai), (br, bi)) = (pair(self, 0), pair(self, 1));
                let ii = self.i().fmul(ai, bi);
                let neg_ii = self.i().fneg(ii);
                let ir = self.i().fmul(ai, br);
                Ok((self.i().fma(ar, br, neg_ii), self.i().fma(ar, bi, ir)))
            }
            Op::Div | Op::Pow => {
                let ((ar, ai), (br, bi)) = (pair(self, 0), pair(self, 1));
                let h = if node.op == Op::Div { h_cdiv } else { h_cpow };
                Ok(self.call_pair(h as *const u8, &[ar, ai, br, bi]))
            }
            Op::Cmp(c) => {
                let ((ar, ai), (br, bi)) = (pair(self, 0), pair(self, 1));
                let fc = |me: &mut Self, cc, x, y| me.i().fcmp(cc, x, y);
                Err(match c {
                    Cmp::Eq | Cmp::Ne => {
                        let cc = if c == Cmp::Eq {
                            FloatCC::Equal
                        } else {
                            FloatCC::NotEqual
                        };
                        let (r, i) = (fc(self, cc, ar, br), fc(self, cc, ai, bi));
                        if c == Cmp::Eq {
                            self.i().band(r, i)
                        } else {
                            self.i().bor(r, i)
                        }
                    }
                    _ => {
                        // Lexicographic: a.re ⋄ b.re, or equal real parts and a.im ⋄' b.im.
                        let (strict, im_cc) = match c {
                            Cmp::Lt => (FloatCC::LessThan, FloatCC::LessThan),
                            Cmp::Le => (FloatCC::LessThan, FloatCC::LessThanOrEqual),
                            Cmp::Gt => (FloatCC::GreaterThan, FloatCC::GreaterThan),
                            _ => (FloatCC::GreaterThan, FloatCC::GreaterThanOrEqual),
                        };
                        // NumPy: the real parts decide only where no imaginary part is NaN.
                        let strict_re = fc(self, strict, ar, br);
                        let ordered = fc(self, FloatCC::Ordered, ai, bi);
                        let first = self.i().band(strict_re, ordered);
                        let same = fc(self, FloatCC::Equal, ar, br);
                        let second = fc(self, im_cc, ai, bi);
                        let tie = self.i().band(same, second);
                        self.i().bor(first, tie)
                    }
                })
            }
            Op::Call(Complex) => {
                let (re, im) = (self.value(node.args[0]), self.value(node.args[1]));
                Ok((re, im))
            }
            Op::Call(Where) => {
                let c = self.value(node.args[0]);
                let ((ar, ai), (br, bi)) = (pair(self, 1), pair(self, 2));
                Ok((self.i().select(c, ar, br), self.i().select(c, ai, bi)))
            }
            Op::Call(f) => {
                let (re, im) = pair(self, 0);
                match f {
                    Real => Err(re),
                    Imag => Err(im),
                    Conj => Ok((re, self.i().fneg(im))),
                    Copy => Ok((re, im)),
                    OnesLike => Ok((self.i().f64const(1.0), self.i().f64const(0.0))),
                    Isnan => {
                        let a = self.i().fcmp(FloatCC::Unordered, re, re);
                        let b = self.i().fcmp(FloatCC::Unordered, im, im);
                        Err(self.i().bor(a, b))
                    }
                    Isinf | Isfinite => {
                        let inf = self.i().f64const(f64::INFINITY);
                        let cc = if f == Isinf {
                            FloatCC::Equal
                        } else {
                            FloatCC::LessThan
                        };
                        let ra = self.i().fabs(re);
                        let ia = self.i().fabs(im);
                        let a = self.i().fcmp(cc, ra, inf);
                        let b = self.i().fcmp(cc, ia, inf);
                        Err(if f == Isinf {
                            self.i().bor(a, b)
                        } else {
                            self.i().band(a, b)
                        })
                    }
                    Abs => Err(self.call_helper(h_cabs as *const u8, &[re, im], ty)),
                    Maximum | Minimum => {
                        let (br, bi) = pair(self, 1);
                        let h = if f == Maximum { h_cmax } else { h_cmin };
                        Ok(self.call_pair(h as *const u8, &[re, im, br, bi]))
                    }
                    f => {
                        let h = complex_helper(f).expect("checking admits only complex functions");
                        Ok(self.call_pair(h as *const u8, &[re, im]))
                    }
                }
            }
            Op::Input(_)
            | Op::Invert
            | Op::FloorDiv
            | Op::Mod
            | Op::Shl
            | Op::Shr
            | Op::And
            | Op::Or
            | Op::Xor => {
                unreachable!("checking admits no {:?} on complex", node.op)
            }
        };
        match result {
            Ok(z) => self.cvalues[id] = Some(z),
            Err(v) => self.values[id] = Some(v),
        }
    }

    /// Calls a helper returning a complex number (two float64 results).
    fn call_pair(&mut self, addr: *const u8, args: &[Value]) -> (Value, Value) {
        let mut sig = Signature::new(self.call_conv);
        for _ in args {
            sig.params.push(AbiParam::new(types::F64));
        }
        sig.returns.push(AbiParam::new(types::F64));
        sig.returns.push(AbiParam::new(types::F64));
        let sigref = self.fb.import_signature(sig);
        let callee = self.fb.ins().iconst(self.ptr, addr as i64);
        let call = self.fb.ins().call_indirect(sigref, callee, args);
        let r = self.fb.inst_results(call);
        (r[0], r[1])
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
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
            let vector = compile_for(program, &vector_layout, isa_builder(off))
                .unwrap_or_else(|e| panic!("{name} at {level}: {e}"));
            let has_vector = vector.clif().contains("x2") || vector.clif().contains("x4");
            let mixed = vector_width(program) == 0;
            assert!(has_vector || mixed, "{name}: no vector loop");
            let scalar = compile_for(program, &scalar_layout, isa_builder(off))
                .unwrap_or_else(|e| panic!("{name} at {level}: {e}"));
            for n in (0..=9).chain([N]) {
                let v = run(&vector, out_size, &inputs, n);
                let s = run(&scalar, out_size, &inputs, n);
                assert_eq!(
                    v, s,
                    "{name} at {level}, n = {n}: vector and scalar loops differ"
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
}
