//! Provides [`compile`]: lowers a typed [`Program`] for one [`Layout`] to a Cranelift function,
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
//! `Scalar`, `Row` or `Contiguous`), each row first runs a vector loop: 2 lanes per vector
//! (Cranelift's x86-64 backend has only 128-bit vectors), 2 vectors per iteration, so 4
//! elements at a time while at least 4 remain; the scalar loop then does the last `n % 4`. In
//! vector form float64 is `f64x2`, int64 `i64x2`, and bool an `i64x2` mask (each lane all ones
//! or all zeros), loaded from and stored to one byte per element. Hoisted values are splatted
//! once, where they are computed. One emitter serves both loops, parameterised by the lane
//! count: whitelisted operations (see `Lower::emit_op`) become vector instructions whose every
//! lane has exactly the scalar instruction's bits, NaN payloads and signs included; any other
//! operation runs lane by lane (extract each lane, emit the scalar operation, insert the
//! result). So the vector and scalar loops compute every element identically.
//!
//! **Invariant:** codegen never spawns threads and never sees the AST or shapes.

use crate::array::DType;
use crate::ir::{Cmp, NodeId, Op, Program, Scalar};
use crate::ops::{scalar as sc, Func};
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

/// The access pattern of every operand: output first, then the program's inputs in order.
pub type Layout = Vec<Access>;

/// The machine signature of every kernel:
/// `(ptrs, outer_strides, inner_strides, m, n)`, one pointer and two byte strides per operand.
pub type KernelFn = unsafe extern "C" fn(*const *mut u8, *const isize, *const isize, i64, i64);

/// A compiled kernel: machine code that stays alive as long as this value.
pub struct Kernel {
    module: Option<JITModule>,
    func: KernelFn,
    clif: String,
}

// SAFETY: after `finalize_definitions` the module's code is immutable and only freed in `drop`;
// the function pointer is plain machine code that reads its arguments and touches no shared
// state, so the kernel may be called from several threads at once.
unsafe impl Send for Kernel {}
// SAFETY: see above; `&Kernel` only exposes the function pointer and the IR text.
unsafe impl Sync for Kernel {}

impl Kernel {
    /// The function pointer.
    pub fn func(&self) -> KernelFn {
        self.func
    }

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

impl Drop for Kernel {
    fn drop(&mut self) {
        if let Some(m) = self.module.take() {
            // SAFETY: the kernel is being dropped, so no caller holds its function pointer any
            // more (callers borrow the kernel, or an Arc to it, for the duration of a call).
            unsafe { m.free_memory() };
        }
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
    {
        let fb = FunctionBuilder::new(&mut ctx.func, &mut fctx);
        let call_conv = module.isa().default_call_conv();
        let frontend = module.isa().frontend_config();
        Lower::new(program, layout, fb, ptr, call_conv, frontend).lower();
    }
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
    // SAFETY: `code` is the finalized machine code of a function declared with exactly the
    // signature `KernelFn` describes (three pointers and two i64, no result, default call
    // convention); it stays valid until the module is freed in `Kernel::drop`.
    let func = unsafe { std::mem::transmute::<*const u8, KernelFn>(code) };
    Ok(Kernel {
        module: Some(module),
        func,
        clif,
    })
}

fn clif_type(dt: DType) -> Type {
    match dt {
        DType::Bool => types::I8,
        DType::Int64 => types::I64,
        DType::Float64 => types::F64,
    }
}

/// Elements per vector: 128-bit vectors, the widest Cranelift's x86-64 backend has, of 64-bit
/// lanes.
const LANES: usize = 2;
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

/// The vector form of `dt`: bool is a mask, all ones or all zeros per 64-bit lane.
fn vector_type(dt: DType) -> Type {
    match dt {
        DType::Float64 => types::F64X2,
        DType::Int64 | DType::Bool => types::I64X2,
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
    lanes: Vec<Option<[Value; LANES]>>,
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

// Functions without a numjit kernel (`crate::vmath`) call these; each is the very routine the
// reference interpreter uses (`interp::float_unary`), so the JIT and the oracle agree bit for
// bit.
unary_helpers! {
    Arcsin => h_asin = f64::asin, Arccos => h_acos = f64::acos,
    Arcsinh => h_asinh = libm::asinh, Arccosh => h_acosh = libm::acosh,
    Arctanh => h_atanh = libm::atanh,
    Sign => h_sign = sc::sign_f64,
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
            splat,
        }
    }

    fn lower(mut self) {
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
        let result = self.value(self.program.root);
        self.fb.ins().store(flags, result, ep[0], 0);
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
    }

    /// Whether this layout gets a vector loop: the output is contiguous and no input is
    /// strided, so every vector load and store covers adjacent elements.
    fn vectorize(&self) -> bool {
        self.layout[0] == Access::Contiguous && !self.layout.contains(&Access::Strided)
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
            Op::Call(f) => crate::vmath::has_kernel(f),
            Op::Pow => n.dtype == DType::Float64,
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
        let step = LANES * unroll;
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
                    let offset = (copy * LANES * self.operand_size(k)) as i32;
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
            let offset = (copy * LANES * self.operand_size(0)) as i32;
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
        let ty = clif_type(self.program.inputs[k].dtype);
        let v = self.fb.ins().load(ty, MemFlagsData::trusted(), p, 0);
        for (i, node) in self.program.nodes.iter().enumerate() {
            if node.op == Op::Input(k) {
                self.values[i] = Some(v);
            }
        }
    }

    /// Loads `LANES` elements of contiguous input `k` at `p + offset` as a vector into every
    /// node that reads it.
    fn load_input_vector(&mut self, k: usize, p: Value, offset: i32) {
        let flags = vector_flags();
        let v = match self.program.inputs[k].dtype {
            DType::Bool => {
                // Two bytes b0, b1 (each 0 or 1) → i32x4 [b0|b1<<8; 4] → and with the bit each
                // lane tests, [1, 1, 256, 256] → equal to that bit: both halves of a 64-bit
                // lane are all ones exactly where its byte is 1.
                let pair = self.fb.ins().uload16(types::I32, flags, p, offset);
                let spread = self.fb.ins().splat(types::I32X4, pair);
                let bytes: Vec<u8> = [1u32, 1, 256, 256]
                    .iter()
                    .flat_map(|w| w.to_le_bytes())
                    .collect();
                let c = self.fb.func.dfg.constants.insert(ConstantData::from(bytes));
                let bit = self.fb.ins().vconst(types::I32X4, c);
                let tested = self.fb.ins().band(spread, bit);
                let mask = self.fb.ins().icmp(IntCC::Equal, tested, bit);
                let little = MemFlagsData::new().with_endianness(Endianness::Little);
                self.fb.ins().bitcast(types::I64X2, little, mask)
            }
            dt => self.fb.ins().load(vector_type(dt), flags, p, offset),
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

    fn value(&self, id: NodeId) -> Value {
        self.values[id].expect("operands are lowered before their users")
    }

    fn vvalue(&self, id: NodeId) -> Value {
        self.vvalues[id].expect("vector operands are lowered or splatted before their users")
    }

    fn emit_level(&mut self, level: Level) {
        for id in 0..self.program.nodes.len() {
            if self.levels[id] == level && self.values[id].is_none() {
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
                let v = self.fb.ins().splat(vector_type(dt), x);
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
        match self.emit_op(id, &args, LANES) {
            Some(v) => v,
            None => self.emit_lanewise(id),
        }
    }

    /// The lane-wise fallback: the scalar lowering of `id` on each lane's operands (hoisted
    /// operands as they are, element operands extracted), the results inserted into a vector.
    fn emit_lanewise(&mut self, id: NodeId) -> Value {
        let node_args = self.program.nodes[id].args.clone();
        let arg_lanes: Vec<[Value; LANES]> = node_args.iter().map(|&a| self.lanes_of(a)).collect();
        let mut results = Vec::with_capacity(LANES);
        for lane in 0..LANES {
            let args: Vec<Value> = arg_lanes.iter().map(|l| l[lane]).collect();
            let r = self
                .emit_op(id, &args, 1)
                .expect("every operation has a scalar lowering");
            results.push(r);
        }
        let results: [Value; LANES] = results.try_into().expect("one result per lane");
        self.lanes[id] = Some(results);
        let dt = self.program.nodes[id].dtype;
        let mut v = None;
        for (lane, &r) in results.iter().enumerate() {
            let r = if dt == DType::Bool {
                self.mask_of(r)
            } else {
                r
            };
            v = Some(match v {
                None => self.fb.ins().scalar_to_vector(vector_type(dt), r),
                Some(v) => self.fb.ins().insertlane(v, r, lane as u8),
            });
        }
        v.expect("LANES > 0")
    }

    /// The scalar value of each lane of node `id` in the current unrolled copy (a bool lane as
    /// 0 or 1).
    fn lanes_of(&mut self, id: NodeId) -> [Value; LANES] {
        if self.levels[id] != Level::Element {
            return [self.value(id); LANES];
        }
        if let Some(l) = self.lanes[id] {
            return l;
        }
        let v = self.vvalue(id);
        let bool = self.program.nodes[id].dtype == DType::Bool;
        let mut out = [v; LANES];
        for (lane, slot) in out.iter_mut().enumerate() {
            let x = self.fb.ins().extractlane(v, lane as u8);
            *slot = if bool {
                self.fb.ins().icmp_imm_s(IntCC::NotEqual, x, 0)
            } else {
                x
            };
        }
        self.lanes[id] = Some(out);
        out
    }

    /// A scalar bool (0 or 1) as a 64-bit lane mask (0 or all ones).
    fn mask_of(&mut self, b: Value) -> Value {
        let wide = self.fb.ins().uextend(types::I64, b);
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

    // Lane-generic building blocks: `lanes` is 1 (scalars) or `LANES` (vectors, bool as mask).

    fn fconst(&mut self, lanes: usize, x: f64) -> Value {
        let c = self.fb.ins().f64const(x);
        if lanes == 1 {
            c
        } else {
            self.fb.ins().splat(types::F64X2, c)
        }
    }

    fn iconst(&mut self, lanes: usize, x: i64) -> Value {
        let c = self.fb.ins().iconst(types::I64, x);
        if lanes == 1 {
            c
        } else {
            self.fb.ins().splat(types::I64X2, c)
        }
    }

    fn bool_const(&mut self, lanes: usize, b: bool) -> Value {
        if lanes == 1 {
            self.fb.ins().iconst(types::I8, b as i64)
        } else {
            self.iconst(lanes, -(b as i64))
        }
    }

    /// Bool → int64 (0 or 1).
    fn bool_to_int(&mut self, lanes: usize, b: Value) -> Value {
        if lanes == 1 {
            self.fb.ins().uextend(types::I64, b)
        } else {
            let one = self.iconst(lanes, 1);
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
            let c = self.iconst(lanes, imm);
            self.fb.ins().icmp(cc, x, c)
        }
    }

    /// `c ? a : b`; on vectors a bitwise select on the mask `c`.
    fn select(&mut self, lanes: usize, c: Value, a: Value, b: Value) -> Value {
        if lanes == 1 {
            return self.fb.ins().select(c, a, b);
        }
        let ty = self.fb.func.dfg.value_type(a);
        let c = if ty == types::I64X2 {
            c
        } else {
            self.fb.ins().bitcast(ty, MemFlagsData::new(), c)
        };
        self.fb.ins().bitselect(c, a, b)
    }

    /// Emits node `id` on `args`: scalars when `lanes` is 1, `LANES`-lane vectors otherwise.
    /// Returns `None`, having emitted nothing, for an operation without a vector lowering.
    ///
    /// The vector whitelist: every lane gives exactly the scalar instruction's bits, and each
    /// instruction lowers on every x86-64 (the unit tests compile and run them at SSE2, SSE4.2,
    /// AVX2 and the host's features). Float64: `+ - * /`, negation, comparisons, `abs`,
    /// `sqrt`, `floor`, `ceil`, `trunc`, `round`, `maximum`/`minimum` (with the scalar
    /// sequence's NaN), `copysign`, `isnan`/`isinf`/`isfinite`/`signbit`, `**3` and `**4`,
    /// casts from bool and int64 and to bool. Int64: `+ - *`, negation, `~ & | ^`, comparisons,
    /// `abs`, `sign`, `maximum`/`minimum`, `signbit`, constant powers 0..=64, casts from and to
    /// bool. Bool: `~ & | ^ + *`, comparisons, `maximum`/`minimum`, cast to int64 and float64.
    /// All dtypes: `where`, and the constant predicates. Lane by lane: `//`, `%`, `<< >>`, other
    /// powers, float64 → int64, `sign` on float64, `fmod`, and the libm functions.
    fn emit_op(&mut self, id: NodeId, args: &[Value], lanes: usize) -> Option<Value> {
        let node = &self.program.nodes[id];
        let (op, dt) = (node.op, node.dtype);
        let arg_dt = node.args.first().map(|&a| self.program.nodes[a].dtype);
        let scalar = lanes == 1;
        Some(match op {
            Op::Input(_) => unreachable!("inputs are loaded, not emitted"),
            Op::Const(c) => match c {
                Scalar::Bool(b) => self.bool_const(lanes, b),
                Scalar::Int(i) => self.iconst(lanes, i),
                Scalar::Float(x) => self.fconst(lanes, x),
            },
            Op::Cast => return self.cast(args[0], arg_dt.unwrap_or(dt), dt, lanes),
            Op::Neg => match dt {
                DType::Float64 => self.i().fneg(args[0]),
                _ => self.i().ineg(args[0]),
            },
            Op::Invert => match dt {
                DType::Bool => self.not(lanes, args[0]),
                _ => self.i().bnot(args[0]),
            },
            Op::Add | Op::Or => match dt {
                DType::Float64 => self.i().fadd(args[0], args[1]),
                DType::Int64 if op == Op::Add => self.i().iadd(args[0], args[1]),
                _ => self.i().bor(args[0], args[1]),
            },
            Op::Mul | Op::And => match dt {
                DType::Float64 => self.i().fmul(args[0], args[1]),
                DType::Int64 if op == Op::Mul => self.i().imul(args[0], args[1]),
                _ => self.i().band(args[0], args[1]),
            },
            Op::Xor => self.i().bxor(args[0], args[1]),
            Op::Sub => match dt {
                DType::Float64 => self.i().fsub(args[0], args[1]),
                _ => self.i().isub(args[0], args[1]),
            },
            Op::Div => self.i().fdiv(args[0], args[1]),
            Op::FloorDiv | Op::Mod | Op::Shl | Op::Shr if !scalar => return None,
            Op::FloorDiv => match dt {
                DType::Float64 => self.call_helper(h_floordiv_f64 as *const u8, args, types::F64),
                _ => self.call_helper(h_floordiv_i64 as *const u8, args, types::I64),
            },
            Op::Mod => match dt {
                DType::Float64 => self.call_helper(h_mod_f64 as *const u8, args, types::F64),
                _ => self.call_helper(h_mod_i64 as *const u8, args, types::I64),
            },
            Op::Pow => {
                let exponent = match self.program.nodes[node.args[1]].op {
                    Op::Const(c) => Some(c),
                    _ => None,
                };
                return self.pow(dt, args[0], args[1], exponent, lanes);
            }
            Op::Shl | Op::Shr => {
                let (a, b) = (args[0], args[1]);
                let in_range = self.i().icmp_imm_s(IntCC::UnsignedLessThan, b, 64);
                if op == Op::Shl {
                    let shifted = self.i().ishl(a, b);
                    let zero = self.i().iconst(types::I64, 0);
                    self.i().select(in_range, shifted, zero)
                } else {
                    let sixty_three = self.i().iconst(types::I64, 63);
                    let count = self.i().select(in_range, b, sixty_three);
                    self.i().sshr(a, count)
                }
            }
            Op::Cmp(c) => {
                let (a, b) = (args[0], args[1]);
                match arg_dt.unwrap_or(DType::Float64) {
                    DType::Float64 => {
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
                        let signed = other == DType::Int64;
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
            Op::Call(f) => return self.call(f, dt, arg_dt.unwrap_or(dt), args, lanes),
        })
    }

    fn cast(&mut self, v: Value, from: DType, to: DType, lanes: usize) -> Option<Value> {
        let scalar = lanes == 1;
        Some(match (from, to) {
            (a, b) if a == b => v,
            (DType::Bool, DType::Int64) => self.bool_to_int(lanes, v),
            (DType::Bool, DType::Float64) if scalar => {
                let w = self.i().uextend(types::I64, v);
                self.i().fcvt_from_sint(types::F64, w)
            }
            (DType::Bool, DType::Float64) => {
                // The mask selects the bits of 1.0; elsewhere +0.0, as converting 0 gives.
                let one = self.iconst(lanes, 1.0f64.to_bits() as i64);
                let bits = self.i().band(v, one);
                self.i().bitcast(types::F64X2, MemFlagsData::new(), bits)
            }
            (DType::Int64, DType::Float64) => {
                let ty = if scalar { types::F64 } else { types::F64X2 };
                self.i().fcvt_from_sint(ty, v)
            }
            (DType::Int64, DType::Bool) => self.icmp_imm(lanes, IntCC::NotEqual, v, 0),
            (DType::Float64, DType::Bool) => {
                let zero = self.fconst(lanes, 0.0);
                self.i().fcmp(FloatCC::NotEqual, v, zero)
            }
            // x86-64 has no saturating f64x2 → i64x2 conversion (Cranelift refuses it).
            (DType::Float64, DType::Int64) if !scalar => return None,
            (DType::Float64, DType::Int64) => self.i().fcvt_to_sint_sat(types::I64, v),
            _ => unreachable!("all dtype pairs are covered"),
        })
    }

    /// `x ** e`. (Checking already turned the exponents NumPy special-cases, 0, 1, 2, -1 and
    /// 0.5, into plain operations.) Float exponents 3 and 4 use an error-compensated product
    /// (within 1 ulp of `pow`); other float exponents use the inline kernel
    /// `vmath::emit_pow` (within 1 ulp of `pow`, special cases exact, vector and scalar alike).
    /// Constant integer exponents 0..=64 become repeated squaring, exact with wrapping.
    fn pow(
        &mut self,
        dt: DType,
        x: Value,
        e: Value,
        exponent: Option<Scalar>,
        lanes: usize,
    ) -> Option<Value> {
        match (dt, exponent) {
            (DType::Int64, Some(Scalar::Int(k))) if (0..=64).contains(&k) => {
                let mut result = self.iconst(lanes, 1);
                let mut base = x;
                let mut k = k;
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
                let inf = self.fconst(lanes, f64::INFINITY);
                let abs = self.fb.ins().fabs(plain);
                let finite = self.fb.ins().fcmp(FloatCC::LessThan, abs, inf);
                Some(self.select(lanes, finite, r, plain))
            }
            // Any other float exponent: the inline kernel (vector and scalar alike).
            (DType::Float64, _) => crate::vmath::emit_pow(&mut self.fb, x, e),
            _ if lanes != 1 => None,
            // int64 with an exponent known only at run time (checking gives `**` no other
            // dtypes).
            _ => Some(self.call_helper(h_pow_i64 as *const u8, &[x, e], types::I64)),
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
        Some(match (f, arg_dt) {
            (Where, _) => self.select(lanes, args[0], args[1], args[2]),
            (Isnan, DType::Float64) => self.i().fcmp(FloatCC::Unordered, args[0], args[0]),
            (Isinf | Isfinite, DType::Float64) => {
                let abs = self.i().fabs(args[0]);
                let inf = self.fconst(lanes, f64::INFINITY);
                let cc = if f == Isinf {
                    FloatCC::Equal
                } else {
                    FloatCC::LessThan
                };
                self.i().fcmp(cc, abs, inf)
            }
            (Signbit, DType::Float64) => {
                let ty = if scalar { types::I64 } else { types::I64X2 };
                let bits = self.i().bitcast(ty, MemFlagsData::new(), args[0]);
                self.icmp_imm(lanes, IntCC::SignedLessThan, bits, 0)
            }
            (Signbit, DType::Int64) => self.icmp_imm(lanes, IntCC::SignedLessThan, args[0], 0),
            (Isnan | Isinf | Signbit, _) => self.bool_const(lanes, false),
            (Isfinite, _) => self.bool_const(lanes, true),
            (Abs, DType::Float64) => self.i().fabs(args[0]),
            (Abs, DType::Int64) => self.i().iabs(args[0]),
            (Abs | Floor | Ceil | Trunc | Round, _) if dt != DType::Float64 => args[0],
            (Floor, _) => self.i().floor(args[0]),
            (Ceil, _) => self.i().ceil(args[0]),
            (Trunc, _) => self.i().trunc(args[0]),
            (Round, _) => self.i().nearest(args[0]),
            (Sqrt, _) => self.i().sqrt(args[0]),
            (Sign, DType::Int64) => {
                let gt = self.icmp_imm(lanes, IntCC::SignedGreaterThan, args[0], 0);
                let lt = self.icmp_imm(lanes, IntCC::SignedLessThan, args[0], 0);
                let gt = self.bool_to_int(lanes, gt);
                let lt = self.bool_to_int(lanes, lt);
                self.i().isub(gt, lt)
            }
            (Maximum | Minimum, DType::Float64) => {
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
            (Maximum, DType::Int64) => self.i().smax(args[0], args[1]),
            (Minimum, DType::Int64) => self.i().smin(args[0], args[1]),
            (Maximum, _) => self.i().bor(args[0], args[1]),
            (Minimum, _) => self.i().band(args[0], args[1]),
            (Copysign, _) if scalar => self.i().fcopysign(args[0], args[1]),
            (Copysign, _) => {
                // Cranelift has no f64x2 fcopysign on x86-64: the sign bit from args[1], the
                // rest from args[0], as the scalar lowering does.
                let sign = self.fconst(lanes, -0.0);
                self.i().bitselect(sign, args[1], args[0])
            }
            // numjit's own vectorised kernels (exp, log, sin, ...), identical bits in vector and
            // scalar form; the interpreter evaluates through them too (`exec::math`).
            (_, DType::Float64) if crate::vmath::has_kernel(f) => {
                return match *args {
                    [x] => crate::vmath::emit(&mut self.fb, f, x),
                    [x, y] => crate::vmath::emit2(&mut self.fb, f, x, y),
                    _ => None,
                };
            }
            _ if !scalar => return None,
            (Fmod, DType::Int64) => self.call_helper(h_fmod_i64 as *const u8, args, types::I64),
            (Fmod, _) => self.call_helper(h_fmod_f64 as *const u8, args, types::F64),
            (Hypot, _) => self.call_helper(h_hypot as *const u8, args, types::F64),
            (Nextafter, _) => self.call_helper(h_nextafter as *const u8, args, types::F64),
            _ => {
                let h = unary_helper(f).expect("every float function has a routine");
                self.call_helper(h as *const u8, args, types::F64)
            }
        })
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

    fn bools(seed: usize) -> Vec<bool> {
        (0..N).map(|k| (k * 7 + seed).is_multiple_of(3)).collect()
    }

    /// Runs `kernel` on one row of `n` elements. `inputs` holds each input's bytes and inner
    /// stride (0 for a scalar).
    fn run(kernel: &Kernel, out_size: usize, inputs: &[(Vec<u8>, isize)], n: usize) -> Vec<u8> {
        let mut out = vec![0xA5u8; n * out_size];
        let mut ptrs: Vec<*mut u8> = vec![out.as_mut_ptr()];
        let mut inner: Vec<isize> = vec![out_size as isize];
        for (bytes, stride) in inputs {
            ptrs.push(bytes.as_ptr() as *mut u8);
            inner.push(*stride);
        }
        let outer = vec![0isize; ptrs.len()];
        // SAFETY: the kernel was compiled for this program with one operand per pointer; it
        // reads `n` elements of each input at its inner stride (one element for a scalar) and
        // writes `n` output elements, and every buffer holds at least that many.
        unsafe { (kernel.func())(ptrs.as_ptr(), outer.as_ptr(), inner.as_ptr(), 1, n as i64) };
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
            assert!(vector.clif().contains("x2"), "{name}: no vector loop");
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
        ]
    }

    /// Bindings of the right dtypes and shapes, for typing only.
    fn vars(data: &[(&'static str, Vec<u8>, DType, bool)]) -> Vars<'static> {
        static F: [f64; N] = [0.0; N];
        static I: [i64; N] = [0; N];
        static B: [bool; N] = [false; N];
        let mut v = Vars::new();
        for (name, _, dt, is_scalar) in data {
            v = match (dt, is_scalar) {
                (DType::Bool, true) => v.bind(name, true),
                (_, true) => v.bind(name, 1.0f64),
                (DType::Float64, _) => v.bind(name, &F),
                (DType::Int64, _) => v.bind(name, &I),
                (DType::Bool, _) => v.bind(name, &B),
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
            assert_eq!(got, x as i64, "int64({x:?})");
        }
    }
}
