//! Owns the JIT call boundary: a compiled kernel's function pointer (made from finalized code,
//! freed with it, shared across threads), the pointer and stride tables a kernel is called
//! with, and the pool's shared jobs that hand those calls to worker threads. This is one of
//! numjit's `unsafe` modules (with `types::raw` and `codegen::wide`).
//! Must not touch expressions, programs or code generation: it calls what `codegen` built,
//! on operands `exec::run` planned.

use crate::codegen::Kernel;
use crate::types::{Dims, Steps};
use smallvec::SmallVec;
use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// The machine signature of every kernel:
/// `(ptrs, outer_strides, inner_strides, m, n)`, one pointer and two byte strides per operand.
pub(crate) type KernelFn =
    unsafe extern "C" fn(*const *mut u8, *const isize, *const isize, i64, i64);

/// A numjit-owned rayon pool and its warm workers.
///
/// **Keeping workers warm.** Waking a sleeping rayon worker costs ≈14 µs per call on the
/// development VM, more than a whole 301×301 stencil step is worth splitting. So a worker that
/// helped with a call stays awake for [`KEEP_WARM`] afterwards as a *keeper*: it spins on
/// `job`, a mailbox where the next caller publishes its work, and joins in without any wake-up.
/// Keepers that time out return to rayon (and sleep); the next call spawns them again.
pub(super) struct Pool {
    pub(super) threads: rayon::ThreadPool,
    /// The published job (a `*const Job` on the publishing caller's stack), or null.
    pub(super) job: AtomicPtr<()>,
    /// Keepers currently inside the published job; its caller waits for 0 before returning.
    pub(super) active: AtomicUsize,
    /// Bumped by every publication, so a keeper joins each job once (a new job may sit at the
    /// same stack address as the last).
    pub(super) epoch: AtomicUsize,
    /// Keepers alive (spinning or working).
    pub(super) keepers: AtomicUsize,
}

/// How long a keeper spins for the next call before going back to sleep. Long enough to span
/// the gap between the steps of a time loop, short enough not to matter to other work.
const KEEP_WARM: std::time::Duration = std::time::Duration::from_micros(200);

/// One call's work, shared with keepers through [`Pool::job`]: `task(0)` … `task(count - 1)`,
/// claimed from a counter (kernel tasks of `exec::run`, or a reduction's pieces).
pub(super) struct Job<'p> {
    pub(super) task: &'p (dyn Fn(usize) + Sync),
    pub(super) count: usize,
    pub(super) next: AtomicUsize,
    /// With `parts` > 0 the tasks form that many contiguous parts, and participant `s` (the
    /// caller 0, keepers 1, 2, ... in the order they join) takes part `s` first, then any part
    /// nobody took: a time loop's calls give each thread the same rows every step, which stay
    /// in its cache (as a static schedule does), and no part is left if a keeper is missing.
    pub(super) parts: usize,
    /// Which parts are taken (bit `p`; at most 64 parts).
    pub(super) taken: AtomicU64,
    /// The next participant's number (the caller is 0).
    pub(super) seats: AtomicUsize,
}

impl Job<'_> {
    /// Runs tasks until none are left unclaimed.
    pub(super) fn work(&self) {
        if self.parts > 0 {
            let seat = self.seats.fetch_add(1, Ordering::Relaxed);
            return self.work_parts(seat);
        }
        loop {
            let k = self.next.fetch_add(1, Ordering::Relaxed);
            if k >= self.count {
                break;
            }
            (self.task)(k);
        }
    }

    /// [`Job::work`] for the caller, who publishes the job: seat 0.
    pub(super) fn work_first(&self) {
        if self.parts > 0 {
            self.work_parts(0)
        } else {
            self.work()
        }
    }

    /// Part `seat` first, then every part still free.
    fn work_parts(&self, seat: usize) {
        let parts = self.parts;
        for i in 0..parts {
            let p = (seat + i) % parts;
            let bit = 1u64 << p;
            if self.taken.fetch_or(bit, Ordering::Relaxed) & bit == 0 {
                for k in p * self.count / parts..(p + 1) * self.count / parts {
                    (self.task)(k);
                }
            }
        }
    }
}

/// A keeper's life: join published jobs; leave after [`KEEP_WARM`] without one.
pub(super) fn keep(pool: &Pool) {
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
                // SAFETY: `p` points to a `Job` on the stack of a caller that is inside
                // `exec::dispatch`; that caller retracts the job and then waits until `active`
                // is 0 before its frame (and the task the job borrows) goes away. We incremented
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

/// One operand's base pointer and byte strides along the (coalesced) output axes.
#[derive(Clone)]
pub(super) struct Operand {
    pub(super) ptr: *mut u8,
    pub(super) strides: Steps,
}

/// A piece of work: rows `row..row+m` (flat over all axes but the last; all in one block so
/// they are uniformly strided) and columns `col..col+n` of the last axis.
#[derive(Clone, Copy)]
pub(super) struct Task {
    pub(super) row: usize,
    pub(super) m: usize,
    pub(super) col: usize,
    pub(super) n: usize,
}

/// Everything a task needs to find its pointers.
pub(super) struct Plan {
    pub(super) shape: Dims,
    pub(super) ops: SmallVec<[Operand; 8]>,
    pub(super) kernel: Option<Arc<Kernel>>,
}

// SAFETY: a plan holds raw pointers into the caller's arrays; tasks made from it write disjoint
// parts of the output and only read inputs, and `run` does not return before all tasks end, so
// sharing the plan across the pool's threads is as safe as sharing `&[T]` and `&mut [T]`
// split into disjoint chunks.
unsafe impl Sync for Plan {}
// SAFETY: as above.
unsafe impl Send for Plan {}

/// Where a plan's operands are for one run: `None` where it was planned, or each operand's
/// first element (`exec::Planned::run_on`).
#[derive(Clone, Copy)]
pub(super) struct Bases<'p>(pub(super) Option<&'p [*mut u8]>);

// SAFETY: the addresses are only read (copied into each task's pointer table); what the
// kernels do at them is shared across threads on the terms of `Plan`'s `Sync` above.
unsafe impl Sync for Bases<'_> {}

/// Operand counts up to this use stack arrays for the kernel's pointer and stride tables.
const STACK_OPERANDS: usize = 16;

impl Plan {
    pub(super) fn run_task(&self, t: Task) {
        self.run_task_at(Bases(None), t)
    }

    /// Runs task `t` with operand `k`'s first element at `bases[k]` instead of its planned
    /// pointer (`bases`: one per operand, of arrays of the planned layouts; see
    /// `exec::Planned::run_on`).
    pub(super) fn run_task_at(&self, bases: Bases<'_>, t: Task) {
        let nops = self.ops.len();
        if nops <= STACK_OPERANDS {
            let mut ptrs = [std::ptr::null_mut(); STACK_OPERANDS];
            let mut outer = [0isize; STACK_OPERANDS];
            let mut inner = [0isize; STACK_OPERANDS];
            self.call(
                bases,
                t,
                &mut ptrs[..nops],
                &mut outer[..nops],
                &mut inner[..nops],
            );
        } else {
            let mut ptrs = vec![std::ptr::null_mut(); nops];
            let (mut outer, mut inner) = (vec![0isize; nops], vec![0isize; nops]);
            self.call(bases, t, &mut ptrs, &mut outer, &mut inner);
        }
    }

    /// Fills the kernel's tables for task `t` (one entry per operand) and calls it.
    fn call(
        &self,
        bases: Bases<'_>,
        t: Task,
        ptrs: &mut [*mut u8],
        outer: &mut [isize],
        inner: &mut [isize],
    ) {
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
            let base = bases.0.map_or(op.ptr, |b| b[k]);
            ptrs[k] = base.wrapping_offset(off);
            outer[k] = if nd >= 2 { op.strides[nd - 2] } else { 0 };
            inner[k] = op.strides[nd - 1];
        }
        // SAFETY: the kernel was compiled for this program and layout; it reads `m` rows of
        // `n` elements of each input and writes those of the output, stepping by the strides
        // given, and every such element is in bounds by construction of the task: of the
        // planned operands, or (`bases`) of operands `Planned::run_on` checked to have the
        // planned layouts at those addresses. The tables hold one entry per operand, as the
        // kernel expects.
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

// SAFETY: after `finalize_definitions` the module's code is immutable and only freed in `drop`;
// the function is plain machine code that reads its arguments and touches no shared state,
// so the kernel may be called from several threads at once.
unsafe impl Send for Kernel {}
// SAFETY: see above; `&Kernel` only exposes the code pointer (called here) and the IR text.
unsafe impl Sync for Kernel {}

impl Kernel {
    /// The kernel's code as a callable function pointer.
    pub(crate) fn func(&self) -> KernelFn {
        // SAFETY: `code` is the finalized machine code of a function that `codegen` declared
        // with exactly the signature `KernelFn` describes (three pointers and two i64, no
        // result, the host's default call convention); it stays valid until the module is
        // freed in `Kernel::drop`, and the returned pointer is only used while `self` is
        // borrowed.
        unsafe { std::mem::transmute::<*const u8, KernelFn>(self.code) }
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

#[cfg(test)]
impl Kernel {
    /// Runs the kernel on one row of `n` elements into `out` (contiguous), each input given
    /// as its bytes and inner byte stride (0: one element read for every position). Checks
    /// that every buffer holds what the kernel touches, so the call is sound for any
    /// arguments (the code tests drive kernels built for one ISA through it).
    pub(crate) fn run_row(&self, out: &mut [u8], inputs: &[(&[u8], isize)], n: usize) {
        assert_eq!(self.sizes.len(), inputs.len() + 1, "one buffer per operand");
        assert!(
            out.len() >= n * self.sizes[0],
            "the output holds n elements"
        );
        let reach = |stride: isize, size: usize| {
            if n == 0 {
                0
            } else {
                (n - 1) * stride.unsigned_abs() + size
            }
        };
        let mut ptrs: Vec<*mut u8> = vec![out.as_mut_ptr()];
        let mut inner: Vec<isize> = vec![self.sizes[0] as isize];
        for ((bytes, stride), &size) in inputs.iter().zip(&self.sizes[1..]) {
            assert!(*stride >= 0, "forward strides");
            assert!(
                bytes.len() >= reach(*stride, size),
                "the input holds what is read"
            );
            ptrs.push(bytes.as_ptr() as *mut u8);
            inner.push(*stride);
        }
        let outer = vec![0isize; ptrs.len()];
        // SAFETY: the kernel takes one pointer and two strides per operand (checked above
        // against the operand count it was compiled for); with m = 1 it reads `n` elements of
        // each input at its inner stride and writes `n` contiguous output elements, and the
        // assertions above check that every buffer holds all of them at the element sizes
        // the kernel was compiled for.
        unsafe { (self.func())(ptrs.as_ptr(), outer.as_ptr(), inner.as_ptr(), 1, n as i64) };
    }
}
