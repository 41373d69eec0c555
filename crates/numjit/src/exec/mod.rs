//! Owns execution: broadcasting strides, coalescing axes, splitting into chunks, the thread pool and `Schedule`.
//! Must not touch the AST, programs or Cranelift: a schedule decides how, never what; raw pointer work is `call`'s.
//!
//! Provides execution: [`run`] splits the output into blocks and chunks, resolves broadcast
//! strides, and calls a compiled kernel on each chunk, on the calling thread for small problems
//! and together with numjit's rayon pool otherwise (whose workers stay warm between calls). A [`Schedule`] decides how, never what: results are
//! bit-identical for every thread count and chunk size, because every output element is
//! computed by the same code from the same inputs.
//!
//! [`plan`] does the layout work of `run` once, as a [`Planned`] call that a script runs
//! again on other arrays of the same layouts (anchored to its operands' arrays, so that a
//! later run checks each array's layout against it before using the new addresses).
//!

mod call;
mod interrupt;

pub use interrupt::Interrupt;

use crate::codegen::{Access, Kernel};
use crate::types::raw::{self, arg_ptr, out_ptr};
use crate::types::{Arg, Dims, Element, Out, Steps, Strided};
use call::{keep, Bases, Job, Operand, Plan, Pool, Task};
use numjit_syntax::Result;
use smallvec::SmallVec;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// How to run a kernel: thread count, chunk size, and an optional [`Interrupt`] to stop it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Threads to use; `None` means numjit's pool (see [`crate::set_num_threads`]). Clamped
    /// to 1 ..= 256 (numjit's `MAX_THREADS`).
    pub threads: Option<usize>,
    /// Elements per chunk handed to one thread at a time.
    pub chunk: usize,
    /// Problems with fewer elements run on the calling thread, never touching the pool.
    pub serial_below: usize,
    /// When set and tripped, the call stops between chunks (and a script between statements)
    /// with an [`ErrorKind::Interrupted`](numjit_syntax::ErrorKind::Interrupted) error.
    pub interrupt: Option<Interrupt>,
}

impl Schedule {
    /// This schedule, stopped by `interrupt` (a clone of the handle is kept).
    pub fn with_interrupt(mut self, interrupt: &Interrupt) -> Schedule {
        self.interrupt = Some(interrupt.clone());
        self
    }

    /// `Err(interrupted)` once this schedule's interrupt is tripped.
    pub(crate) fn check_interrupt(&self) -> Result<()> {
        self.interrupt.as_ref().map_or(Ok(()), Interrupt::check)
    }
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
            interrupt: None,
        }
    }
}

static POOL: RwLock<Option<Arc<Pool>>> = RwLock::new(None);
/// Pools for `Schedule`s asking for another thread count than numjit's pool, most recently
/// used first, at most [`EXTRA_POOLS_KEPT`]: an evicted pool's workers exit once the calls
/// (and warm keepers) holding it end, so a program that tries many thread counts keeps a
/// bounded number of OS threads (at most 3 pools of at most [`MAX_THREADS`]).
static EXTRA_POOLS: Mutex<Vec<Arc<Pool>>> = Mutex::new(Vec::new());

/// How many pools of other thread counts are kept besides numjit's own: a benchmark
/// alternating between two schedules keeps both warm.
const EXTRA_POOLS_KEPT: usize = 2;

/// The most threads a pool has: larger requests (a `Schedule` or `set_num_threads` of
/// 100 000) are clamped rather than spawning that many OS threads. Results do not depend on
/// the thread count, so clamping changes only speed.
pub const MAX_THREADS: usize = 256;

/// The chunk size grows so that one call has at most about twice this many tasks.
const MAX_TASKS: usize = 1 << 16;

fn build_pool(threads: usize) -> Arc<Pool> {
    let threads = threads.clamp(1, MAX_THREADS);
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
        .min(MAX_THREADS)
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
    let threads = threads.clamp(1, MAX_THREADS);
    let p = pool();
    if p.threads.current_num_threads() == threads {
        return p;
    }
    let mut extra = EXTRA_POOLS.lock().unwrap_or_else(|e| e.into_inner());
    let hit = extra
        .iter()
        .position(|q| q.threads.current_num_threads() == threads);
    let q = match hit {
        Some(k) => extra.remove(k),
        None => build_pool(threads),
    };
    extra.insert(0, q.clone());
    // Dropped outside the lock (a pool's drop only signals its workers to exit).
    let keep = EXTRA_POOLS_KEPT.min(extra.len());
    let evicted: Vec<Arc<Pool>> = extra.drain(keep..).collect();
    drop(extra);
    drop(evicted);
    q
}

/// Sets the number of threads numjit's pool uses and returns the previous number (like
/// numexpr's `set_num_threads`). `0` is treated as 1, and more than 256 (numjit's
/// `MAX_THREADS`) as 256.
pub fn set_num_threads(n: usize) -> usize {
    let n = n.clamp(1, MAX_THREADS);
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

/// Pushes the operands of a call into `ops`, output first (`out`: its pointer, shape,
/// element strides and element size), each with its byte strides broadcast to `shape`, and
/// coalesces them; returns the coalesced shape.
fn operands(
    ops: &mut SmallVec<[Operand; 8]>,
    (ptr, out_shape, out_strides, size): (*mut u8, &[usize], &[isize], usize),
    args: &[&Arg<'_>],
    shape: &[usize],
) -> Dims {
    ops.push(Operand {
        ptr,
        strides: broadcast_strides(out_shape, out_strides, size, shape),
    });
    for a in args {
        ops.push(Operand {
            ptr: arg_ptr(a) as *mut u8,
            strides: broadcast_strides(&a.shape, &a.strides, a.dtype.size(), shape),
        });
    }
    coalesce(shape, ops)
}

/// The kernel `kernel_for` returns for the layout of coalesced `ops` (the output, of element
/// size `out_size`, first; then `args`), checked to be compiled for exactly these operands:
/// the call tables hold one entry per operand, and the kernel steps through each at its
/// element size.
fn kernel_for_operands(
    ops: &[Operand],
    out_size: usize,
    args: &[&Arg<'_>],
    kernel_for: &dyn Fn(&[Access]) -> Result<Arc<Kernel>>,
) -> Result<Arc<Kernel>> {
    let sizes = || std::iter::once(out_size).chain(args.iter().map(|a| a.dtype.size()));
    let layout: SmallVec<[Access; 8]> = ops
        .iter()
        .zip(sizes())
        .map(|(o, size)| {
            let inner = *o.strides.last().expect("at least one axis");
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
    let kernel = kernel_for(&layout)?;
    assert!(
        kernel.sizes.len() == ops.len() && kernel.sizes.iter().copied().eq(sizes()),
        "a kernel compiled for its operands"
    );
    Ok(kernel)
}

/// Evaluates into `out` (whose shape is the broadcast result shape, already checked) the
/// kernel that `kernel_for` returns for the operands' layout.
pub fn run(
    out: &mut Out<'_>,
    args: &[&Arg<'_>],
    sched: &Schedule,
    kernel_for: &dyn Fn(&[Access]) -> Result<Arc<Kernel>>,
) -> Result<()> {
    match plan(out, args, kernel_for)? {
        Some(planned) => planned.run(sched),
        None => sched.check_interrupt(),
    }
}

/// A call worked out from its operands' layouts alone: the coalesced shape, each operand's
/// byte strides and the kernel. Anchored to the arrays its operands are views of
/// ([`Planned::anchor`]), it runs again on other arrays of the same layouts
/// ([`Planned::run_on`]: a script's next step) without redoing any of that.
pub(crate) struct Planned {
    plan: Plan,
    /// The output's element size, and the number of elements it has.
    size: usize,
    total: usize,
    /// Each operand's dtype size, shape and element strides as planned, output first.
    layouts: SmallVec<[(usize, Dims, Steps); 8]>,
    /// Each operand's array: its layout, and the bytes from its first element to the
    /// operand's (empty until anchored).
    anchors: SmallVec<[(Strided, isize); 8]>,
}

/// Plans writing `out` from `args` (see [`run`]); `None` when the output is empty.
pub(crate) fn plan(
    out: &Out<'_>,
    args: &[&Arg<'_>],
    kernel_for: &dyn Fn(&[Access]) -> Result<Arc<Kernel>>,
) -> Result<Option<Planned>> {
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
        return Ok(None);
    }
    let mut plan = Plan {
        shape: Dims::new(),
        ops: SmallVec::new(),
        kernel: None,
    };
    let (ptr, size) = (out_ptr(out), out.dtype.size());
    plan.shape = operands(
        &mut plan.ops,
        (ptr, &out.shape, &out.strides, size),
        args,
        shape,
    );
    let kernel = kernel_for_operands(&plan.ops, size, args, kernel_for)?;
    plan.kernel = Some(kernel);
    let layouts = std::iter::once((size, out.shape.clone(), out.strides.clone()))
        .chain(
            args.iter()
                .map(|a| (a.dtype.size(), a.shape.clone(), a.strides.clone())),
        )
        .collect();
    Ok(Some(Planned {
        plan,
        size,
        total,
        layouts,
        anchors: SmallVec::new(),
    }))
}

impl Planned {
    /// Runs the call on the operands it was planned with (right after [`plan`], while they
    /// are still borrowed).
    pub(crate) fn run(&self, sched: &Schedule) -> Result<()> {
        self.go(None, sched)
    }

    /// Records the arrays the operands are views of: the output (`out`, as planned) within
    /// `out_base`, `args[k]` (as planned) within `bases[k]`. Returns `false`, recording
    /// nothing, unless each operand is the one planned and lies within its array's memory.
    pub(crate) fn anchor(
        &mut self,
        (out, args): (&Out<'_>, &[&Arg<'_>]),
        (out_base, bases): (&Out<'_>, &[&Arg<'_>]),
    ) -> bool {
        if args.len() != bases.len()
            || args.len() + 1 != self.plan.ops.len()
            || out_ptr(out) != self.plan.ops[0].ptr
            || !self.same(0, out.dtype.size(), &out.shape, &out.strides)
        {
            return false;
        }
        let mut anchors: SmallVec<[(Strided, isize); 8]> = SmallVec::new();
        match raw::out_within(out_base, out) {
            Some(delta) => anchors.push((out_base.layout(), delta)),
            None => return false,
        }
        for (k, (a, b)) in args.iter().zip(bases).enumerate() {
            if !std::ptr::eq(arg_ptr(a), self.plan.ops[k + 1].ptr)
                || !self.same(k + 1, a.dtype.size(), &a.shape, &a.strides)
                || a.dtype.size() != b.dtype.size()
            {
                return false;
            }
            match raw::arg_within(b, a) {
                Some(delta) => anchors.push((b.layout(), delta)),
                None => return false,
            }
        }
        self.anchors = anchors;
        true
    }

    /// Runs the call again with its operands in `out_base` and `bases` (arrays of exactly the
    /// dtype sizes and layouts it was anchored to, their memory elsewhere); `None`, running
    /// nothing, if they are not such arrays.
    pub(crate) fn run_on(
        &self,
        out_base: &Out<'_>,
        bases: &[&Arg<'_>],
        sched: &Schedule,
    ) -> Option<Result<()>> {
        if self.anchors.len() != bases.len() + 1 {
            return None;
        }
        let fits = |(l, _): &(Strided, isize),
                    size: usize,
                    k: usize,
                    offset,
                    shape: &[usize],
                    strides: &[isize]| {
            self.layouts[k].0 == size
                && l.offset == offset
                && l.shape[..] == *shape
                && l.strides[..] == *strides
        };
        let (a0, rest) = (&self.anchors[0], &self.anchors[1..]);
        if !fits(
            a0,
            out_base.dtype.size(),
            0,
            out_base.offset,
            &out_base.shape,
            &out_base.strides,
        ) || !rest.iter().zip(bases).enumerate().all(|(k, (a, b))| {
            !b.is_placeholder() && fits(a, b.dtype.size(), k + 1, b.offset, &b.shape, &b.strides)
        }) {
            return None;
        }
        // The same layouts: each operand lies at the same distance from its array's first
        // element, within it.
        let mut ptrs: SmallVec<[*mut u8; 8]> = SmallVec::new();
        ptrs.push(out_ptr(out_base).wrapping_offset(a0.1));
        for ((_, delta), b) in rest.iter().zip(bases) {
            ptrs.push((arg_ptr(b) as *mut u8).wrapping_offset(*delta));
        }
        Some(self.go(Some(&ptrs), sched))
    }

    /// Whether operand `k` was planned with this dtype size, shape and strides.
    fn same(&self, k: usize, size: usize, shape: &[usize], strides: &[isize]) -> bool {
        let (s, sh, st) = &self.layouts[k];
        *s == size && sh[..] == *shape && st[..] == *strides
    }

    /// Runs the plan serially or on the pool, operand `k` at `bases[k]` if given.
    fn go(&self, bases: Option<&[*mut u8]>, sched: &Schedule) -> Result<()> {
        let plan = &self.plan;
        let bases = Bases(bases);
        let (total, size) = (self.total, self.size);
        // Outputs past the caches are written with streaming stores where the kernel can.
        crate::codegen::stream_stores(crate::codegen::streams(total.saturating_mul(size)));
        let nd = plan.shape.len();
        let n = plan.shape[nd - 1];
        let m_block = if nd >= 2 { plan.shape[nd - 2] } else { 1 };
        let rows: usize = plan.shape[..nd - 1].iter().product();
        let threads = sched.threads.unwrap_or(0);
        let serial =
            total < sched.serial_below || threads == 1 || (threads == 0 && num_threads() == 1);
        // An interruptible call on one thread still runs chunk by chunk, so that it can stop.
        let stop = sched.interrupt.as_ref().map(Interrupt::flag);
        if serial && (stop.is_none() || total < sched.serial_below) {
            // Whole blocks: one kernel call per m×n block.
            let mut row = 0;
            while row < rows {
                plan.run_task_at(
                    bases,
                    Task {
                        row,
                        m: m_block,
                        col: 0,
                        n,
                    },
                );
                row += m_block;
            }
            return sched.check_interrupt();
        }
        // At most about 2 × MAX_TASKS tasks, whatever chunk a schedule asks for (a chunk of 1
        // over 10^9 elements would otherwise be a 32 GB task list); results do not depend on
        // the chunk size.
        let chunk = sched.chunk.max(1).max(total.div_ceil(MAX_TASKS));
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
            let mut per = (chunk / n).max(1);
            if rows == m_block && !serial {
                // One block of rows (a 2-D output): as many tasks as chunks would make,
                // rounded up to a multiple of the threads, of equal numbers of rows, so the
                // threads finish together (the 299 rows of a 301² stencil in 6 tasks of 54
                // left one thread 162 rows and the other 137).
                let workers = match sched.threads {
                    Some(t) => t.clamp(1, MAX_THREADS),
                    None => num_threads(),
                };
                let tasks = rows.div_ceil(per).div_ceil(workers) * workers;
                per = rows.div_ceil(tasks).max(1);
            }
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
        // One relaxed load per chunk: once tripped, the chunks not yet claimed are skipped.
        let task = |k: usize| {
            if !stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
                plan.run_task_at(bases, tasks[k]);
            }
        };
        if serial {
            (0..tasks.len()).for_each(task);
        } else {
            let pool = match sched.threads {
                Some(t) => pool_with(t),
                None => pool(),
            };
            // Equal tasks, a multiple of the threads: each thread its own rows, call after call.
            let parts = match (rows == m_block, sched.threads) {
                (true, Some(t)) => t.clamp(1, MAX_THREADS),
                (true, None) => num_threads(),
                _ => 0,
            };
            let parts = if parts <= 64 && parts > 0 && tasks.len().is_multiple_of(parts) {
                parts
            } else {
                0
            };
            dispatch(&pool, tasks.len(), parts, &task);
        }
        sched.check_interrupt()
    }
}

/// Calls `body` with a *filler* for the result of the kernel `kernel_for` returns (for a
/// program whose result has `T`'s dtype and the C-ordered `shape`): `fill(start, buf)`
/// computes the result's elements `start .. start + buf.len()` into `buf`. A reduction can
/// so consume its argument piece by piece without materialising it. Returns `Ok(None)`,
/// without calling `body`, unless every operand walks the result along one coalesced axis
/// (then a flat range of the result is a range of every operand).
pub fn with_filler<T: Element, R>(
    shape: &[usize],
    args: &[&Arg<'_>],
    kernel_for: &dyn Fn(&[Access]) -> Result<Arc<Kernel>>,
    body: impl FnOnce(&(dyn Fn(usize, &mut [T]) + Sync)) -> R,
) -> Result<Option<R>> {
    let total: usize = shape.iter().product();
    let size = T::DTYPE.size();
    if total == 0 || args.iter().any(|a| a.is_placeholder()) {
        return Ok(None);
    }
    // The output's C-order strides (a contiguous buffer), in elements.
    let mut out_strides = vec![0isize; shape.len()];
    let mut step = 1isize;
    for d in (0..shape.len()).rev() {
        out_strides[d] = step;
        step *= shape[d] as isize;
    }
    let mut ops: SmallVec<[Operand; 8]> = SmallVec::new();
    let out = (std::ptr::null_mut(), shape, &out_strides[..], size);
    let flat = operands(&mut ops, out, args, shape);
    if flat.len() != 1 || ops[0].strides[0] != size as isize {
        return Ok(None);
    }
    let kernel = kernel_for_operands(&ops, size, args, kernel_for)?;
    // The filler's buffers are small and read right back: ordinary stores.
    crate::codegen::stream_stores(false);
    let plan = Plan {
        shape: flat,
        ops,
        kernel: Some(kernel),
    };
    // The whole plan (which is Sync), not its fields.
    let plan = &plan;
    let fill = |start: usize, buf: &mut [T]| {
        assert!(start + buf.len() <= total, "a range of the result");
        let mut mine = Plan {
            shape: plan.shape.clone(),
            ops: plan.ops.clone(),
            kernel: plan.kernel.clone(),
        };
        // Element `start` of the result lands at the start of `buf`; the kernel writes
        // elements start .. start + buf.len() only.
        mine.ops[0].ptr = (buf.as_mut_ptr() as *mut u8).wrapping_offset(-((start * size) as isize));
        mine.run_task(Task {
            row: 0,
            m: 1,
            col: start,
            n: buf.len(),
        });
    };
    Ok(Some(body(&fill)))
}

/// Runs `task(0) … task(count - 1)` on `pool`, the calling thread included. The calling
/// thread works too, alongside `threads - 1` workers (not a hand-off of the whole call): warm
/// keepers join through the mailbox without a wake-up; missing ones are spawned on the pool
/// and stay warm for the next call. Kernel calls and reductions share this path, so a
/// reduction right after an elementwise call finds the keepers that call left awake instead
/// of queueing behind them.
fn dispatch(pool: &Arc<Pool>, count: usize, parts: usize, task: &(dyn Fn(usize) + Sync)) {
    let workers = pool.threads.current_num_threads().min(count);
    let job = Job {
        task,
        count,
        next: AtomicUsize::new(0),
        parts,
        taken: AtomicU64::new(0),
        // The caller is participant 0 (`work_first`).
        seats: AtomicUsize::new(1),
    };
    if workers <= 1 {
        job.work_first();
        return;
    }
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
            job.work_first();
        });
        return;
    }
    while pool.keepers.load(Ordering::SeqCst) < workers - 1 {
        pool.keepers.fetch_add(1, Ordering::SeqCst);
        let p = pool.clone();
        pool.threads.spawn(move || keep(&p));
    }
    job.work_first();
    // Retract, then wait until every keeper that joined has left: only then may `job` and
    // what its task borrows go away (see `keep`).
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
    dispatch(&pool, count, 0, task);
}
