//! Owns code generation: a typed program and an operand layout lowered to Cranelift IR and compiled into a `Kernel`.
//! Must not touch threads, the AST, shapes or raw user memory, and holds no `unsafe` outside `wide` (the tile routines' target-feature calls): calling, sharing and freeing a kernel is `exec::call`'s.
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
//! **Vector loop.** Each row first runs a vector loop over 128-bit vectors (the widest
//! Cranelift's x86-64 backend has), several per iteration (`UNROLL`), while that many
//! elements remain; the scalar loop then does the rest. Contiguous operands are loaded and
//! stored as whole vectors; strided ones (numexpr's `a[::2]`, a column of a matrix) are
//! gathered lane by lane into a vector and scattered back the same way, so the arithmetic of
//! a strided layout is vectorised too. A kernel whose values are all
//! 64-bit (or bool) has 2 lanes: float64 is `f64x2`, int64 `i64x2`, bool an `i64x2` mask (each
//! lane all ones or all zeros), loaded from and stored to one byte per element. A kernel whose
//! values are all 32-bit (or bool) has 4 lanes: `f32x4`, `i32x4`, bool an `i32x4` mask.
//! A kernel mixing float32 with 64-bit values has 2 lanes, each float32 value held exactly in
//! a float64 lane and every operation on it rounded to float32 (the same bits as float32
//! arithmetic). Kernels mixing int32 with 64-bit values, complex kernels and byte-string
//! kernels have only the scalar loop (see `vector_width`). Hoisted values are splatted
//! once, where they are computed. One emitter serves both loops, parameterised by the lane
//! count: whitelisted operations (see `Lower::emit_op`) become vector instructions whose every
//! lane has exactly the scalar instruction's bits, NaN payloads and signs included; any other
//! operation runs lane by lane (extract each lane, emit the scalar operation, insert the
//! result). So the vector and scalar loops compute every element identically.
//!
//! **Row routines.** On CPUs with AVX-512F (or AVX2 and FMA), a kernel whose per-element
//! nodes are all float operations that `rows` encodes (arithmetic, `sqrt`, rounding,
//! constant powers, `%`, `where` over comparisons; contiguous or gathered inputs, hoisted
//! scalars) calls, on each row, a routine of 512-bit (256-bit) machine code defined in the
//! kernel's own module, which computes the whole row (8 or 16 lanes per instruction with
//! AVX-512, 4 or 8 with AVX2, the last partial vector under a mask), and the vector and
//! scalar loops find nothing left; where it may stop early (a `%` outside its fast path, an
//! AVX2 row with strided inputs) those loops are compiled and finish the row. Cranelift's
//! x86-64 backend has no vectors wider than 128 bits, and such kernels are bound by the
//! vector ports.
//!
//! **Invariant:** codegen never spawns threads and never sees the AST or shapes.

mod rows;
pub mod vmath;

use crate::ir::{NodeId, Program};
use crate::semantics::{scalar as sc, Func};
use crate::semantics::{Cmp, Op};
use crate::types::Scalar;
use crate::types::{raw, DType};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, Block, BlockArg, ConstantData, Endianness, FuncRef, InstBuilder, MemFlagsData,
    Signature, StackSlotData, StackSlotKind, Type, Value,
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
    /// Whether each row runs the row routine (`rows`: AVX-512 or AVX2) first.
    row_routine: bool,
}

impl Kernel {
    /// The Cranelift IR the kernel was compiled from, if it was kept (see [`clif`]).
    pub fn clif(&self) -> &str {
        &self.clif
    }

    /// Whether the kernel computes each row's whole vectors with a row routine
    /// (`codegen::rows`: 512-bit on CPUs with AVX-512, 256-bit on CPUs with AVX2 and FMA;
    /// unless `NUMJIT_WIDE=0`).
    pub fn row_routine(&self) -> bool {
        self.row_routine
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
    build(program, layout, host_isa()?, false, true)
}

/// The Cranelift IR of the kernel [`compile`] would build (for `:clif` and debugging).
pub fn clif(program: &Program, layout: &[Access]) -> Result<String, String> {
    Ok(build(program, layout, host_isa()?, true, true)?
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

/// `1/c` if node `id` of `program` is a float constant `c = ±2^k` whose reciprocal is a normal
/// float: then `x / c` and `x · (1/c)` are the same real number, rounded once, for every `x`
/// (the inline loops and the row routines multiply instead of dividing).
pub(super) fn exact_reciprocal(program: &Program, id: crate::ir::NodeId) -> Option<f64> {
    let c = match program.nodes[id].op {
        crate::semantics::Op::Const(crate::types::Scalar::Float(c)) => c,
        crate::semantics::Op::Const(crate::types::Scalar::Float32(c)) => c as f64,
        _ => return None,
    };
    let r = 1.0 / c;
    let pow2 = |x: f64| x.is_normal() && x.to_bits() & ((1u64 << 52) - 1) == 0;
    (pow2(c) && pow2(r)).then_some(r)
}

/// [`compile`] for the target `isa` describes (the host's, or a subset of its features),
/// with the row routine (`rows`) if `native` and the target has AVX-512 or AVX2 (without it, the
/// Cranelift loops are what runs, at every level).
#[cfg(test)]
fn compile_for(
    program: &Program,
    layout: &[Access],
    isa: isa::Builder,
    native: bool,
) -> Result<Kernel, String> {
    build(program, layout, finish_isa(isa)?, true, native)
}

/// Lowers and compiles; keeps the IR text only when `keep_clif` (printing it is not free);
/// uses the row routine (`rows`) where it can if `native`.
fn build(
    program: &Program,
    layout: &[Access],
    isa: isa::OwnedTargetIsa,
    keep_clif: bool,
    native: bool,
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
    // The row routine, when the target has AVX-512 or AVX2 and the kernel fits it: defined
    // from its bytes in this module, called by the kernel.
    let native = match rows::isa_of(module.isa()) {
        Some(isa) if native => rows::plan(program, layout, &levels(program, layout), isa),
        _ => None,
    };
    let native = match native {
        Some(plan) => {
            let mut nsig = module.make_signature();
            nsig.params.push(AbiParam::new(ptr));
            nsig.params.push(AbiParam::new(ptr));
            nsig.params.push(AbiParam::new(types::I64));
            // −1, or the element where a bail stopped it (see `rows::Plan::partial`).
            nsig.returns.push(AbiParam::new(types::I64));
            let nid = module
                .declare_function("row", Linkage::Local, &nsig)
                .map_err(|e| e.to_string())?;
            module
                .define_function_bytes(nid, 64, &plan.code, &[])
                .map_err(|e| e.to_string())?;
            let fref = module.declare_func_in_func(nid, &mut ctx.func);
            Some((plan, fref))
        }
        None => None,
    };
    let row_routine = native.is_some();
    let mut fctx = FunctionBuilderContext::new();
    let data = {
        let fb = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let call_conv = module.isa().default_call_conv();
        let frontend = module.isa().frontend_config();
        Lower::new(program, layout, fb, ptr, call_conv, frontend, native).lower()
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
        row_routine,
    })
}

/// Output bytes from which a run's rows use streaming stores (see `avx512`): outputs at
/// least as large as the last-level cache, which ordinary stores would only cycle through
/// (reading each line in first). Smaller outputs stay cached for whatever reads them next (the
/// next step of a time loop): streaming them costs more than it saves. On the development
/// machine (480 MiB L3), a 2001×2001 diffusion step ran 2.8 ms per step with ordinary stores
/// and 4.6 ms streamed (`NUMJIT_STREAM_BYTES=16777216 cargo run --release --example diffusion
/// -- --grid 1999 --steps 100 --threads 1`). `NUMJIT_STREAM_BYTES` sets another threshold.
static STREAM_BYTES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static STREAM_BYTES_SET: std::sync::Once = std::sync::Once::new();

fn stream_bytes_default() {
    STREAM_BYTES_SET.call_once(|| {
        let bytes = std::env::var("NUMJIT_STREAM_BYTES")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| last_level_cache().unwrap_or(256 << 20).max(16 << 20));
        STREAM_BYTES.store(bytes, std::sync::atomic::Ordering::Relaxed);
    });
}

/// The size in bytes of the largest cache CPUID describes (leaf 4 on Intel, 0x8000001D on
/// AMD: ways × partitions × line size × sets).
#[cfg(target_arch = "x86_64")]
fn last_level_cache() -> Option<usize> {
    use std::arch::x86_64::{__cpuid, __cpuid_count};
    let leaf = if __cpuid(0x8000_0000).eax >= 0x8000_001D && __cpuid_count(4, 0).eax & 0x1f == 0 {
        0x8000_001D
    } else {
        4
    };
    (0..16)
        .map(|i| __cpuid_count(leaf, i))
        .take_while(|r| r.eax & 0x1f != 0)
        .map(|r| {
            let ways = ((r.ebx >> 22) & 0x3ff) as usize + 1;
            let parts = ((r.ebx >> 12) & 0x3ff) as usize + 1;
            let line = (r.ebx & 0xfff) as usize + 1;
            ways * parts * line * (r.ecx as usize + 1)
        })
        .max()
}

#[cfg(not(target_arch = "x86_64"))]
fn last_level_cache() -> Option<usize> {
    None
}

/// Sets the output size in bytes from which runs use streaming stores and returns the
/// previous one (tests set 0 to run them on small arrays; the results are the same).
pub fn stream_stores_from(bytes: usize) -> usize {
    stream_bytes_default();
    STREAM_BYTES.swap(bytes, std::sync::atomic::Ordering::Relaxed)
}

/// Whether an output of `bytes` bytes gets streaming stores.
pub(crate) fn streams(bytes: usize) -> bool {
    stream_bytes_default();
    bytes >= STREAM_BYTES.load(std::sync::atomic::Ordering::Relaxed)
}

/// Tells the AVX-512 row routines (the AVX2 ones store plainly) whether the coming run's output is large enough for
/// streaming stores (a hint: both kinds of store write the same values).
pub(crate) fn stream_stores(on: bool) {
    rows::STREAM.store(on, std::sync::atomic::Ordering::Relaxed);
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
        // A float32 value in a 2-lane kernel (mixed with 64-bit values) lives in a float64
        // lane: exactly its value, every operation on it rounded to float32 (see
        // `Lower::emit_op`), which gives float32's bits.
        (DType::Float32, 2) => types::F64X2,
        (DType::Float32, _) => types::F32X4,
        (DType::Int32, _) | (DType::Bool, 4) => types::I32X4,
        _ => types::I64X2,
    }
}

/// The vector width of a kernel over `program`: 4 when every value is 32-bit or bool (at
/// least one 32-bit), 2 when every value is 64-bit or bool, and 2 as well when float32
/// values mix with 64-bit ones (each float32 value then lives in a float64 lane, see
/// `vector_type`); 0 (no vector loop) when int32 mixes with 64-bit values or a value is
/// complex.
fn vector_width(program: &Program) -> usize {
    let dts = program
        .nodes
        .iter()
        .map(|n| n.dtype)
        .chain(program.inputs.iter().map(|i| i.dtype));
    let (mut i32s, mut f32s, mut w64) = (false, false, false);
    for dt in dts {
        match dt {
            DType::Bool => {}
            DType::Int32 => i32s = true,
            DType::Float32 => f32s = true,
            DType::Int64 | DType::Float64 => w64 = true,
            DType::Complex128 | DType::Bytes(_) => return 0,
        }
    }
    match (i32s, f32s, w64) {
        (true, _, true) => 0,
        (_, _, true) => 2,
        (false, false, false) => 2,
        _ => 4,
    }
}

/// Flags for vector loads and stores: in bounds, but only element-aligned (never `aligned`,
/// which would promise 16 bytes).
fn vector_flags() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

/// Elements per tile of the tile loop (see `Lower::tile_loop`): 2 KiB per float64 buffer (1
/// KiB per float32 one), so a tile's inputs and buffers stay in L1.
const TILE: usize = 256;

/// Tile buffers one kernel may use (2 KiB each: 64 KiB of stack at most); calls beyond them
/// are computed inline.
const MAX_TILE_BUFFERS: usize = 32;

/// How a kernel's vector loop is cut into tiles for the wide-vector routines.
struct TilePlan {
    /// Per node: how many tiled functions lie on its deepest path (itself included).
    depth: Vec<usize>,
    /// The tiled operations (element nodes: function calls, constant powers, remainders),
    /// their routines' addresses and immediate argument (a constant power's exponent).
    math: Vec<(NodeId, *const u8, Option<i32>)>,
    /// The root's depth: the number of stages before the last.
    stages: usize,
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
    /// The row routine (`rows`) and its reference in this function, when the
    /// kernel has one: each row calls it, and it computes the whole row.
    native: Option<(rows::Plan, FuncRef)>,
}

/// How often each node of `program` changes under `layout`: a constant or scalar input once
/// per call, an input broadcast along rows once per row, any other input per element; an
/// operation as often as its most frequent operand.
fn levels(program: &Program, layout: &[Access]) -> Vec<Level> {
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
    levels
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

mod helpers;
mod lower;
#[cfg(all(test, target_arch = "x86_64"))]
mod tests;
pub(crate) mod wide;

use helpers::*;
