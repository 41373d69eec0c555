//! Provides execution: [`run`] splits the output into blocks and chunks, resolves broadcast
//! strides, and calls a compiled kernel on each chunk, on the calling thread for small problems
//! and together with numjit's rayon pool otherwise (whose workers stay warm between calls). A [`Schedule`] decides how, never what: results are
//! bit-identical for every thread count and chunk size, because every output element is
//! computed by the same code from the same inputs.
//!
//! **Invariant:** exec never sees the AST; all `unsafe` pointer work outside the JIT boundary
//! lives here.

use crate::codegen::{Access, Kernel};
use crate::types::raw::{arg_ptr, out_ptr};
use crate::types::{Arg, DType, Dims, Out, Steps};
use numjit_syntax::Result;
use smallvec::SmallVec;
use std::collections::HashMap;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// How to run a kernel: thread count and chunk size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Threads to use; `None` means numjit's pool (see [`crate::set_num_threads`]).
    pub threads: Option<usize>,
    /// Elements per chunk handed to one thread at a time.
    pub chunk: usize,
    /// Problems with fewer elements run on the calling thread, never touching the pool.
    pub serial_below: usize,
}

impl Default for Schedule {
    /// Chosen on the 2-core development machine: 16 Ki-element chunks (128 KiB per float64
    /// operand, inside L2) and a serial threshold of 64 Ki elements, below which handing work
    /// to the pool (≈1.6 µs with warm workers, ≈14 µs waking a sleeping one; `cargo bench
    /// --bench evaluate -- dispatch`) costs more than it saves at under 1 ns per element.
    /// Re-measure with `cargo bench --bench evaluate -- "poly|dispatch"`.
    fn default() -> Self {
        Schedule {
            threads: None,
            chunk: 16 * 1024,
            serial_below: 64 * 1024,
        }
    }
}

/// A numjit-owned rayon pool and its warm workers.
///
/// **Keeping workers warm.** Waking a sleeping rayon worker costs ≈14 µs per call on the
/// development VM, more than a whole 301×301 stencil step is worth splitting. So a worker that
/// helped with a call stays awake for [`KEEP_WARM`] afterwards as a *keeper*: it spins on
/// `job`, a mailbox where the next caller publishes its work, and joins in without any wake-up.
/// Keepers that time out return to rayon (and sleep); the next call spawns them again.
struct Pool {
    threads: rayon::ThreadPool,
    /// The published job (a `*const Job` on the publishing caller's stack), or null.
    job: AtomicPtr<()>,
    /// Keepers currently inside the published job; its caller waits for 0 before returning.
    active: AtomicUsize,
    /// Bumped by every publication, so a keeper joins each job once (a new job may sit at the
    /// same stack address as the last).
    epoch: AtomicUsize,
    /// Keepers alive (spinning or working).
    keepers: AtomicUsize,
}

/// How long a keeper spins for the next call before going back to sleep. Long enough to span
/// the gap between the steps of a time loop, short enough not to matter to other work.
const KEEP_WARM: std::time::Duration = std::time::Duration::from_micros(200);

/// One call's work, shared with keepers through [`Pool::job`]: tasks claimed from a counter.
struct Job<'p> {
    plan: &'p Plan,
    tasks: &'p [Task],
    next: AtomicUsize,
}

impl Job<'_> {
    /// Runs tasks until none are left unclaimed.
    fn work(&self) {
        loop {
            let k = self.next.fetch_add(1, Ordering::Relaxed);
            match self.tasks.get(k) {
                Some(&t) => self.plan.run_task(t),
                None => break,
            }
        }
    }
}

/// A keeper's life: join published jobs; leave after [`KEEP_WARM`] without one.
fn keep(pool: &Pool) {
    let mut idle = std::time::Instant::now();
    let mut joined = usize::MAX;
    let mut spins = 0u32;
    loop {
        let p = pool.job.load(Ordering::SeqCst);
        let e = pool.epoch.load(Ordering::SeqCst);
        if !p.is_null() && e != joined {
            // Announce first, then check the job is still the one published: its caller
            // retracts it before waiting for `active` to reach 0, so a job seen here twice is
            // still alive.
            pool.active.fetch_add(1, Ordering::SeqCst);
            if pool.job.load(Ordering::SeqCst) == p && pool.epoch.load(Ordering::SeqCst) == e {
                // SAFETY: `p` points to a `Job` on the stack of a caller that is inside `run`;
                // that caller retracts the job and then waits until `active` is 0 before its
                // frame (and the plan and tasks the job borrows) goes away. We incremented
                // `active` before re-reading the pointer, so the job outlives this use.
                unsafe { (*(p as *const Job<'_>)).work() };
                joined = e;
            }
            pool.active.fetch_sub(1, Ordering::SeqCst);
            idle = std::time::Instant::now();
        } else if idle.elapsed() >= KEEP_WARM {
            break;
        } else {
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(64) {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }
    pool.keepers.fetch_sub(1, Ordering::SeqCst);
}

static POOL: RwLock<Option<Arc<Pool>>> = RwLock::new(None);
static EXTRA_POOLS: Mutex<Option<HashMap<usize, Arc<Pool>>>> = Mutex::new(None);

fn build_pool(threads: usize) -> Arc<Pool> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("numjit-{i}"))
        .build()
        .or_else(|_| rayon::ThreadPoolBuilder::new().num_threads(1).build())
        .expect("a one-thread pool can always be built");
    Arc::new(Pool {
        threads: pool,
        job: AtomicPtr::new(std::ptr::null_mut()),
        active: AtomicUsize::new(0),
        epoch: AtomicUsize::new(0),
        keepers: AtomicUsize::new(0),
    })
}

/// The default thread count: `NUMJIT_NUM_THREADS` if set to a positive integer, else the
/// number of available cores.
pub fn default_threads() -> usize {
    std::env::var("NUMJIT_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
}

fn pool() -> Arc<Pool> {
    if let Some(p) = POOL.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        return p.clone();
    }
    let mut w = POOL.write().unwrap_or_else(|e| e.into_inner());
    w.get_or_insert_with(|| build_pool(default_threads()))
        .clone()
}

fn pool_with(threads: usize) -> Arc<Pool> {
    let p = pool();
    if p.threads.current_num_threads() == threads {
        return p;
    }
    let mut extra = EXTRA_POOLS.lock().unwrap_or_else(|e| e.into_inner());
    extra
        .get_or_insert_with(HashMap::new)
        .entry(threads)
        .or_insert_with(|| build_pool(threads))
        .clone()
}

/// Sets the number of threads numjit's pool uses and returns the previous number (like
/// numexpr's `set_num_threads`). `0` is treated as 1.
pub fn set_num_threads(n: usize) -> usize {
    let n = n.max(1);
    let old = num_threads();
    if old != n {
        *POOL.write().unwrap_or_else(|e| e.into_inner()) = Some(build_pool(n));
    }
    old
}

/// The number of threads numjit's pool uses.
pub fn num_threads() -> usize {
    pool().threads.current_num_threads()
}

/// `op(args)` on float64 values for an operation that numjit computes with its own kernels
/// ([`crate::codegen::vmath`]: a function call, or `**` with a non-constant exponent), computed by
/// that very kernel (compiled once per operation), so that the reference interpreter and
/// constant folding agree with the JIT bit for bit.
pub fn math(op: crate::ir::Op, args: &[f64]) -> f64 {
    use crate::ir::Builder;
    static KERNELS: Mutex<Vec<(crate::ir::Op, Arc<Kernel>)>> = Mutex::new(Vec::new());
    let kernel = {
        let mut ks = KERNELS.lock().unwrap_or_else(|e| e.into_inner());
        match ks.iter().find(|(g, _)| *g == op) {
            Some((_, k)) => k.clone(),
            None => {
                let mut b = Builder::new();
                let xs: Vec<_> = (0..args.len())
                    .map(|i| {
                        b.input(
                            &format!("x{i}"),
                            DType::Float64,
                            Vec::new(),
                            Default::default(),
                        )
                    })
                    .collect();
                let root = b.add(op, DType::Float64, xs);
                let layout = vec![Access::Scalar; args.len() + 1];
                let k = Arc::new(
                    crate::codegen::compile(&b.finish(root), &layout)
                        .expect("a one-call kernel compiles on every supported machine"),
                );
                ks.push((op, k.clone()));
                k
            }
        }
    };
    let mut result = 0.0f64;
    let mut ptrs: SmallVec<[*mut u8; 4]> = SmallVec::new();
    ptrs.push(&mut result as *mut f64 as *mut u8);
    for a in args {
        ptrs.push(a as *const f64 as *mut u8);
    }
    let zeros = [0isize; 4];
    // SAFETY: the kernel was compiled for one float64 output and `args.len()` float64 inputs,
    // all `Scalar` (strides 0); with m = n = 1 it reads each input once and writes `result`
    // once, through the pointers given, which point to live f64 values for the whole call.
    unsafe { (kernel.func())(ptrs.as_ptr(), zeros.as_ptr(), zeros.as_ptr(), 1, 1) };
    result
}

/// One operand's base pointer and byte strides along the (coalesced) output axes.
struct Operand {
    ptr: *mut u8,
    strides: Steps,
}

/// A piece of work: rows `row..row+m` (flat over all axes but the last; all in one block so
/// they are uniformly strided) and columns `col..col+n` of the last axis.
#[derive(Clone, Copy)]
struct Task {
    row: usize,
    m: usize,
    col: usize,
    n: usize,
}

/// Everything a task needs to find its pointers.
struct Plan {
    shape: Dims,
    ops: SmallVec<[Operand; 8]>,
    kernel: Option<Arc<Kernel>>,
}

// SAFETY: a plan holds raw pointers into the caller's arrays; tasks made from it write disjoint
// parts of the output and only read inputs, and `run` does not return before all tasks end, so
// sharing the plan across the pool's threads is as safe as sharing `&[T]` and `&mut [T]`
// split into disjoint chunks.
unsafe impl Sync for Plan {}
// SAFETY: as above.
unsafe impl Send for Plan {}

/// Operand counts up to this use stack arrays for the kernel's pointer and stride tables.
const STACK_OPERANDS: usize = 16;

impl Plan {
    fn run_task(&self, t: Task) {
        let nops = self.ops.len();
        if nops <= STACK_OPERANDS {
            let mut ptrs = [std::ptr::null_mut(); STACK_OPERANDS];
            let mut outer = [0isize; STACK_OPERANDS];
            let mut inner = [0isize; STACK_OPERANDS];
            self.call(t, &mut ptrs[..nops], &mut outer[..nops], &mut inner[..nops]);
        } else {
            let mut ptrs = vec![std::ptr::null_mut(); nops];
            let (mut outer, mut inner) = (vec![0isize; nops], vec![0isize; nops]);
            self.call(t, &mut ptrs, &mut outer, &mut inner);
        }
    }

    /// Fills the kernel's tables for task `t` (one entry per operand) and calls it.
    fn call(&self, t: Task, ptrs: &mut [*mut u8], outer: &mut [isize], inner: &mut [isize]) {
        let nd = self.shape.len();
        for (k, op) in self.ops.iter().enumerate() {
            // Unravel the first row's flat index over the axes before the last.
            let mut rem = t.row;
            let mut off: isize = op.strides[nd - 1] * t.col as isize;
            for d in (0..nd - 1).rev() {
                off += (rem % self.shape[d]) as isize * op.strides[d];
                rem /= self.shape[d];
            }
            // In bounds: every index used is below its axis length, and the strides are the
            // operand's own (or 0 where it is broadcast); dereferenced only by the kernel.
            ptrs[k] = op.ptr.wrapping_offset(off);
            outer[k] = if nd >= 2 { op.strides[nd - 2] } else { 0 };
            inner[k] = op.strides[nd - 1];
        }
        // SAFETY: the kernel was compiled for this program and layout; it reads `m` rows of
        // `n` elements of each input and writes those of the output, stepping by the strides
        // given, and every such element is in bounds by construction of the task. The tables
        // hold one entry per operand, as the kernel expects.
        unsafe {
            (self.kernel.as_ref().expect("set before tasks run").func())(
                ptrs.as_ptr(),
                outer.as_ptr(),
                inner.as_ptr(),
                t.m as i64,
                t.n as i64,
            )
        };
    }
}

/// Merges axes that every operand walks contiguously (like NumPy's iterator) and drops axes
/// of length 1, so most layouts become one or two axes.
fn coalesce(shape: &[usize], ops: &mut [Operand]) -> Dims {
    // In place: axis `d` is either merged into kept axis `w - 1` or kept as axis `w` (w <= d).
    let mut out_shape = Dims::new();
    for (d, &len) in shape.iter().enumerate() {
        if len == 1 {
            continue;
        }
        let w = out_shape.len();
        let merge = w > 0
            && ops
                .iter()
                .all(|o| o.strides[w - 1] == o.strides[d] * len as isize);
        if merge {
            out_shape[w - 1] *= len;
            for o in ops.iter_mut() {
                o.strides[w - 1] = o.strides[d];
            }
        } else {
            out_shape.push(len);
            for o in ops.iter_mut() {
                o.strides[w] = o.strides[d];
            }
        }
    }
    let kept = out_shape.len();
    for o in ops.iter_mut() {
        o.strides.truncate(kept);
    }
    if out_shape.is_empty() {
        out_shape.push(1);
        for o in ops.iter_mut() {
            o.strides.push(0);
        }
    }
    out_shape
}

/// Byte strides of `arg` broadcast to `shape` (0 along repeated axes).
fn broadcast_strides(
    a_shape: &[usize],
    a_strides: &[isize],
    size: usize,
    shape: &[usize],
) -> Steps {
    let off = shape.len() - a_shape.len();
    let mut out = Steps::from_elem(0, shape.len());
    for (d, (&len, &st)) in a_shape.iter().zip(a_strides).enumerate() {
        if len != 1 {
            out[off + d] = st * size as isize;
        }
    }
    out
}

/// Evaluates into `out` (whose shape is the broadcast result shape, already checked) the
/// kernel that `kernel_for` returns for the operands' layout.
pub fn run(
    out: &mut Out<'_>,
    args: &[&Arg<'_>],
    sched: &Schedule,
    kernel_for: &dyn Fn(&[Access]) -> Result<Arc<Kernel>>,
) -> Result<()> {
    let shape = &out.shape[..];
    // The kernel trusts every operand to cover the output's shape: refuse anything else here,
    // whatever the caller checked, rather than read out of bounds.
    for a in args {
        let fits = a.shape.len() <= shape.len()
            && a.shape
                .iter()
                .rev()
                .zip(shape.iter().rev())
                .all(|(&x, &y)| x == y || x == 1);
        if !fits {
            return Err(numjit_syntax::Error::new(
                numjit_syntax::ErrorKind::Shape,
                format!(
                    "an operand of shape {} does not broadcast to the output's shape {}",
                    crate::types::shape_str(&a.shape),
                    crate::types::shape_str(shape)
                ),
                None,
            ));
        }
    }
    let total: usize = shape.iter().product();
    if total == 0 {
        return Ok(());
    }
    // Built in place: the plan is large (inline operand tables), so it is never moved.
    let mut plan = Plan {
        shape: Dims::new(),
        ops: SmallVec::new(),
        kernel: None,
    };
    let ops = &mut plan.ops;
    ops.push(Operand {
        ptr: out_ptr(out),
        strides: broadcast_strides(&out.shape, &out.strides, out.dtype.size(), shape),
    });
    for a in args {
        ops.push(Operand {
            ptr: arg_ptr(a) as *mut u8,
            strides: broadcast_strides(&a.shape, &a.strides, a.dtype.size(), shape),
        });
    }
    plan.shape = coalesce(shape, &mut plan.ops);
    let nd = plan.shape.len();
    let layout: SmallVec<[Access; 8]> = plan
        .ops
        .iter()
        .enumerate()
        .map(|(k, o)| {
            let size = if k == 0 {
                out.dtype.size()
            } else {
                args[k - 1].dtype.size()
            };
            let inner = o.strides[nd - 1];
            if o.strides.iter().all(|&x| x == 0) {
                Access::Scalar
            } else if inner == 0 {
                Access::Row
            } else if inner == size as isize {
                Access::Contiguous
            } else {
                Access::Strided
            }
        })
        .collect();
    plan.kernel = Some(kernel_for(&layout)?);
    let n = plan.shape[nd - 1];
    let m_block = if nd >= 2 { plan.shape[nd - 2] } else { 1 };
    let rows: usize = plan.shape[..nd - 1].iter().product();
    let threads = sched.threads.unwrap_or(0);
    let serial = total < sched.serial_below || threads == 1 || (threads == 0 && num_threads() == 1);
    if serial {
        // Whole blocks: one kernel call per m×n block.
        let mut row = 0;
        while row < rows {
            plan.run_task(Task {
                row,
                m: m_block,
                col: 0,
                n,
            });
            row += m_block;
        }
        return Ok(());
    }
    let chunk = sched.chunk.max(1);
    let mut tasks = Vec::new();
    if n >= chunk {
        for row in 0..rows {
            let mut col = 0;
            while col < n {
                let w = chunk.min(n - col);
                tasks.push(Task {
                    row,
                    m: 1,
                    col,
                    n: w,
                });
                col += w;
            }
        }
    } else {
        let per = (chunk / n).max(1);
        let mut block = 0;
        while block < rows {
            let mut r = 0;
            while r < m_block {
                let h = per.min(m_block - r);
                tasks.push(Task {
                    row: block + r,
                    m: h,
                    col: 0,
                    n,
                });
                r += h;
            }
            block += m_block;
        }
    }
    let pool = match sched.threads {
        Some(t) => pool_with(t),
        None => pool(),
    };
    // The calling thread works too, alongside `threads - 1` workers (not a hand-off of the
    // whole call): warm keepers join through the mailbox without a wake-up; missing ones are
    // spawned on the pool and stay warm for the next call.
    let workers = pool.threads.current_num_threads().min(tasks.len());
    let job = Job {
        plan: &plan,
        tasks: &tasks,
        next: AtomicUsize::new(0),
    };
    let me = &job as *const Job<'_> as *mut ();
    pool.epoch.fetch_add(1, Ordering::SeqCst);
    let published = pool
        .job
        .compare_exchange(std::ptr::null_mut(), me, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok();
    if !published {
        // Another caller holds the mailbox: plain fork-join for this call.
        pool.threads.in_place_scope(|s| {
            for _ in 1..workers {
                s.spawn(|_| job.work());
            }
            job.work();
        });
        return Ok(());
    }
    while pool.keepers.load(Ordering::SeqCst) < workers - 1 {
        pool.keepers.fetch_add(1, Ordering::SeqCst);
        let p = pool.clone();
        pool.threads.spawn(move || keep(&p));
    }
    job.work();
    // Retract, then wait until every keeper that joined has left: only then may `job`, the
    // plan and the tasks go away (see `keep`).
    pool.job.store(std::ptr::null_mut(), Ordering::SeqCst);
    let mut spins = 0u32;
    while pool.active.load(Ordering::SeqCst) != 0 {
        // A keeper descheduled inside the job must get the core back to finish its task.
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(64) {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
    Ok(())
}

/// Runs `task(0) … task(count - 1)` on numjit's pool (or `sched.threads` threads), the
/// calling thread included, and returns when all are done. Tasks are independent; each
/// writes only what it owns (reductions use it for their partial results, whose combination
/// order the caller fixes, so results do not depend on which thread ran which task).
/// Runs serially when `sched` asks for one thread or `count` is 1.
pub fn parallel_for(sched: &Schedule, count: usize, task: &(dyn Fn(usize) + Sync)) {
    let threads = match sched.threads {
        Some(t) => t,
        None => num_threads(),
    };
    if threads <= 1 || count <= 1 {
        (0..count).for_each(task);
        return;
    }
    let pool = match sched.threads {
        Some(t) => pool_with(t),
        None => pool(),
    };
    let next = AtomicUsize::new(0);
    let work = || loop {
        let k = next.fetch_add(1, Ordering::Relaxed);
        if k >= count {
            break;
        }
        task(k);
    };
    let workers = pool.threads.current_num_threads().min(count);
    pool.threads.in_place_scope(|s| {
        for _ in 1..workers {
            s.spawn(|_| work());
        }
        work();
    });
}
