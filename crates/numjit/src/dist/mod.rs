//! Owns numjit past one machine: distributed arrays over an MPI process grid and scripts run
//! over them (`DistScript`), with halos inferred from the scripts' slice offsets, exchanged
//! with non-blocking messages while the interior computes, and reductions combined across
//! ranks in a fixed order.
//! Must not touch Cranelift, raw pointers or the thread pool: each rank's local statements run
//! through `api::Script` like any other script.
//!
//! The distributed arrays and scripts (`DistArray`, `ProcessGrid`, `DistScript`) are behind
//! the cargo feature `mpi` (rsmpi over the system's MPI library). The halo inference is not:
//! [`halo_widths`] says, without MPI, how wide each array's halo must be for a script, for
//! programs that exchange halos themselves (mpi4py: crates/numjit-py/examples/diffusion_mpi.py).
//!
//! ```
//! use numjit::{dist::halo_widths, IntoArg};
//! let step = "next[1:-1, 1:-1] = dens[1:-1, 1:-1] + c*(dens[2:, 1:-1] + dens[:-2, 1:-1] \
//!             + dens[1:-1, 2:] + dens[1:-1, :-2] - 4*dens[1:-1, 1:-1])";
//! let h = halo_widths(step, &[100, 100], None, &["next", "dens"], &[("c", 0.1.into_arg())])?;
//! assert_eq!((h[0].below.as_slice(), h[0].above.as_slice()), (&[0, 0][..], &[0, 0][..]));
//! assert_eq!((h[1].below.as_slice(), h[1].above.as_slice()), (&[1, 1][..], &[1, 1][..]));
//! # Ok::<(), numjit::Error>(())
//! ```
//!
//! The parts: `blocks` (which indices each grid position owns) and `plan` (the analysis of
//! a script: offsets, halo widths, exchanges, each rank's local statements) build without
//! MPI; `halo` is the public face of the analysis; `grid` (the Cartesian communicator),
//! `array` (blocks with halos, scatter, gather) and `run` (`DistScript`: exchanges,
//! reductions, agreement on errors) need the feature.
//!
//! **How a run goes.** The script is parsed once; at each call, the plan for the bindings'
//! shapes, grid and integer scalars is looked up (built on first use: `plan`). Every rank
//! then agrees, in one collective, that the plan is valid, so an error is raised on every
//! rank alike. Halos grow to the widths the plan needs. Statements run in order; before a
//! statement that reads an array at an offset whose halo is stale (at the start of a run, or
//! since a statement wrote the array), that array's halo cells are exchanged with the
//! neighbours (corners included when an offset is diagonal): the sends and receives are
//! posted, the interior of the rank's block (the cells whose operands are all owned) is
//! computed meanwhile, then the run waits, unpacks the halos and computes the slabs around
//! the interior. A run ends in a second collective, so that an error on one rank (from the
//! engine) is returned on every rank, and no rank is left waiting for a message.
//!
//! **Reductions** (`sum`, `prod`, `min`, `max` over all elements, anywhere in a statement):
//! each rank reduces its own cells with numjit's reduction (NumPy's pairwise summation over
//! its block in row-major order), the per-rank partials are gathered on every rank, and each
//! rank combines them the same way, with numjit's reduction over the partials in rank order
//! (the row-major order of the grid coordinates): for fewer than 8 ranks, left to right. So
//! the result depends on the process grid only through where the blocks split, is the same
//! on every rank, and on one rank is the single-process result bit for bit; integer sums and
//! `min`/`max` do not depend on the grid at all. Ranks with no cells of a reduction are
//! left out. `mean` is the sum so combined (bool and integers summed in float64, as NumPy
//! does for a mean) divided by the global count; `any`/`all` combine as `or`/`and`. Over no
//! elements at all, `sum` and `prod` give NumPy's identities (0 and 1, in NumPy's result
//! dtype), `mean` NaN, and `min`/`max` NumPy's error.
//!
//! **Errors and panics.** A script of several statements is checked whole on every rank
//! (names, dtypes, casts, on one cell of each rank's block: the analysis checks the shapes
//! globally) before any statement runs, so an error anywhere writes nothing on any rank.
//! Every error reaches every rank as itself (kind, message, span). A panic inside a `dist`
//! entry point (`DistScript::execute`, `DistArray::from_fn`/`zeros`/`scatter`/`gather`) is a
//! bug or a panic of the caller's `from_fn` closure: unwinding on one rank would leave the
//! others waiting for it in a collective, so the rank aborts the grid's communicator
//! (`MPI_Abort`) with exit code `PANIC_EXIT_CODE` (70) after Rust's panic hook has printed
//! the message on its standard error.

mod blocks;
mod halo;
// Without the feature, only the halo inference uses the analysis.
#[cfg_attr(not(feature = "mpi"), allow(dead_code))]
mod plan;

#[cfg(feature = "mpi")]
mod array;
#[cfg(feature = "mpi")]
mod grid;
#[cfg(feature = "mpi")]
mod run;

pub use blocks::Blocks;
pub use halo::{halo_widths, HaloWidths};

#[cfg(feature = "mpi")]
pub use array::{DistArray, DistElement, LocalView};
#[cfg(feature = "mpi")]
pub use grid::ProcessGrid;
#[cfg(feature = "mpi")]
pub use mpi;
#[cfg(feature = "mpi")]
pub use run::{execute, DistBinding, DistScript, DistVars, IntoDistArg, PANIC_EXIT_CODE};
