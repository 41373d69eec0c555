//! Owns [`Interrupt`], the handle a caller trips (from another thread or a signal handler) to
//! stop a call that is running, and the [`ErrorKind::Interrupted`] error such a call returns.
//! Must not touch kernels, pools or programs: `exec::run` reads the flag between chunks, scripts
//! between statements, `api` between reductions; this module only holds the flag.
//!
//! **Cost.** The flag is read with one relaxed atomic load per chunk (16 Ki elements by
//! default), by whichever thread claims the chunk, and once per statement and per reduction;
//! a schedule without an interrupt pays one branch per call. A chunk that started runs to its
//! end, so a call stops within about one chunk's time per thread after the trip.

use numjit_syntax::{Error, ErrorKind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A cancellation handle: put a clone in a [`Schedule`](crate::Schedule) (see
/// [`Schedule::with_interrupt`](crate::Schedule::with_interrupt)), [`trip`](Interrupt::trip)
/// it from anywhere, and the call running on that schedule returns an
/// [`ErrorKind::Interrupted`] error at its next check (between chunks, statements and
/// reductions).
///
/// Clones share one flag. A tripped interrupt stays tripped (every later call on it returns
/// the error at once) until [`reset`](Interrupt::reset). Tripping is one atomic store, with no
/// allocation or lock, so it may be done from a signal handler (clone the handle into the
/// handler beforehand).
///
/// ```
/// use numjit::{ErrorKind, Interrupt, Schedule};
/// let stop = Interrupt::new();
/// let sched = Schedule::default().with_interrupt(&stop);
/// let x = vec![1.0; 1000];
/// let f = numjit::compile("sin(x)**2 + cos(x)**2")?;
/// // Tripped from another thread (here: before the call, so it stops at the first check).
/// let s = stop.clone();
/// std::thread::spawn(move || s.trip()).join().unwrap();
/// let err = f.eval_with(numjit::vars! {x}, &sched).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Interrupted);
/// assert_eq!(err.message(), "interrupted");
/// stop.reset();
/// assert_eq!(f.eval_with(numjit::vars! {x}, &sched)?.len(), 1000);
/// # Ok::<(), numjit::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Interrupt {
    flag: Arc<AtomicBool>,
}

impl Interrupt {
    /// A handle that is not tripped.
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Asks every call running (or started later) on a schedule holding this handle to stop.
    pub fn trip(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// Whether [`trip`](Interrupt::trip) was called since the last
    /// [`reset`](Interrupt::reset).
    pub fn is_tripped(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    /// Clears the flag, so that calls run to completion again.
    pub fn reset(&self) {
        self.flag.store(false, Ordering::Relaxed);
    }

    /// The flag itself, for the per-chunk check.
    pub(crate) fn flag(&self) -> &AtomicBool {
        &self.flag
    }

    /// `Err(interrupted)` once tripped.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.is_tripped() {
            Err(interrupted())
        } else {
            Ok(())
        }
    }
}

/// Two handles are equal when they share one flag (clones of each other).
impl PartialEq for Interrupt {
    fn eq(&self, other: &Interrupt) -> bool {
        Arc::ptr_eq(&self.flag, &other.flag)
    }
}

impl Eq for Interrupt {}

/// The error of a call stopped by its interrupt.
pub(crate) fn interrupted() -> Error {
    Error::new(ErrorKind::Interrupted, "interrupted", None)
}
