//! Owns distributed arrays: `DistArray` (one block per rank, with halo cells around it), its
//! creation, scatter from and gather to rank 0, local views, and packing halo cells into and
//! out of message buffers.
//! Must not touch scripts or the engine's stages: it stores blocks and moves bytes; which
//! halo a script needs and when it is exchanged is `plan`'s and `run`'s.

use super::blocks::{shape_error, Blocks};
use super::grid::ProcessGrid;
use super::run::guard;
use crate::types::{Arg, Complex64, DType, Element, Out};
use mpi::datatype::{Equivalence, Partition, PartitionMut};
use mpi::topology::Communicator;
use mpi::traits::Root;
use ndarray::{ArrayD, ArrayViewD, ArrayViewMutD, IxDyn, SliceInfoElem};
use numjit_syntax::Result;
use std::cell::{Ref, RefCell, RefMut};

/// An element type a [`DistArray`] can hold: numjit's element types, which MPI can send.
pub trait DistElement: Element + Equivalence + Default {
    /// The value from its bytes in memory order (the first `DTYPE.size()` of them).
    fn from_bytes(b: &[u8]) -> Self;
}

macro_rules! dist_element {
    ($($t:ty),*) => {$(
        impl DistElement for $t {
            fn from_bytes(b: &[u8]) -> Self {
                <$t>::from_ne_bytes(b[..std::mem::size_of::<$t>()].try_into().expect("size"))
            }
        }
    )*};
}
dist_element!(i32, i64, f32, f64);

impl DistElement for bool {
    fn from_bytes(b: &[u8]) -> Self {
        b[0] != 0
    }
}

impl DistElement for Complex64 {
    fn from_bytes(b: &[u8]) -> Self {
        Complex64::new(f64::from_bytes(&b[..8]), f64::from_bytes(&b[8..16]))
    }
}

/// An n-dimensional array split into blocks over a [`ProcessGrid`]: each rank holds its block
/// (the *owned* cells) inside a local array padded by halo cells on every side, which
/// [`super::DistScript::execute`] fills from the neighbouring ranks when a script reads past
/// the block. Along an axis with one rank there is no halo.
///
/// The halo widths grow as scripts need (they never shrink); the halo cells are a cache of
/// the neighbours' cells, so they change behind a shared reference, and a `DistArray` is not
/// `Sync`.
pub struct DistArray<T: DistElement> {
    grid: ProcessGrid,
    blocks: Blocks,
    lo: Vec<usize>,
    hi: Vec<usize>,
    local: RefCell<Local<T>>,
}

/// A block with its halo.
pub(super) struct Local<T> {
    /// Owned cells at `[halo_lo, halo_lo + extent)` per axis.
    pub(super) data: ArrayD<T>,
    pub(super) halo_lo: Vec<usize>,
    pub(super) halo_hi: Vec<usize>,
}

impl<T: DistElement> std::fmt::Debug for DistArray<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let l = self.local.borrow();
        f.debug_struct("DistArray")
            .field("dtype", &T::DTYPE)
            .field("shape", &self.blocks.shape)
            .field("grid", &self.grid)
            .field("owned", &(&self.lo, &self.hi))
            .field("halo", &(&l.halo_lo, &l.halo_hi))
            .finish()
    }
}

impl<T: DistElement> DistArray<T> {
    /// A zero-filled array of the global `shape` on `grid` (no communication; every rank of
    /// the grid makes the call). Fails, on every rank alike, when the shape does not split
    /// over the grid (an axis shorter than its number of ranks).
    pub fn zeros(grid: &ProcessGrid, shape: &[usize]) -> Result<DistArray<T>> {
        Self::from_fn(grid, shape, |_| T::default())
    }

    /// An array of the global `shape` whose element at global index `i` is `f(i)`; each rank
    /// calls `f` for its own block only (no communication).
    pub fn from_fn(
        grid: &ProcessGrid,
        shape: &[usize],
        f: impl Fn(&[usize]) -> T,
    ) -> Result<DistArray<T>> {
        guard(grid, || Self::make(grid, shape, f))
    }

    fn make(
        grid: &ProcessGrid,
        shape: &[usize],
        f: impl Fn(&[usize]) -> T,
    ) -> Result<DistArray<T>> {
        let blocks = Blocks::new(shape, grid.dims())?;
        let (lo, hi) = blocks.block(grid.coords());
        let ext: Vec<usize> = lo.iter().zip(&hi).map(|(a, b)| b - a).collect();
        let mut g = vec![0; shape.len()];
        let data = ArrayD::from_shape_fn(IxDyn(&ext), |ix| {
            for k in 0..g.len() {
                g[k] = lo[k] + ix[k];
            }
            f(&g)
        });
        let nd = shape.len();
        Ok(DistArray {
            grid: grid.clone(),
            blocks,
            lo,
            hi,
            local: RefCell::new(Local {
                data,
                halo_lo: vec![0; nd],
                halo_hi: vec![0; nd],
            }),
        })
    }

    /// Splits `global`, given on rank 0 of the grid (other ranks pass `None`, or anything:
    /// it is not read), into blocks, one per rank. Collective. The shape travels from rank 0,
    /// so every rank fails alike when rank 0 passes `None` or the shape does not split.
    pub fn scatter(grid: &ProcessGrid, global: Option<ArrayViewD<'_, T>>) -> Result<DistArray<T>> {
        guard(grid, || Self::scatter_from(grid, global))
    }

    fn scatter_from(grid: &ProcessGrid, global: Option<ArrayViewD<'_, T>>) -> Result<DistArray<T>> {
        let comm = grid.comm();
        let root = comm.process_at_rank(0);
        let is_root = grid.rank() == 0;
        // [present, ndim, shape...], fixed length: at most 32 axes.
        let mut head = [0u64; 34];
        if is_root {
            if let Some(g) = &global {
                head[0] = 1;
                head[1] = g.ndim() as u64;
                for (k, &n) in g.shape().iter().enumerate().take(32) {
                    head[2 + k] = n as u64;
                }
                if g.ndim() > 32 {
                    head[0] = 2;
                }
            }
        }
        root.broadcast_into(&mut head[..]);
        match head[0] {
            0 => return Err(shape_error("scatter: rank 0 passed no array")),
            2 => return Err(shape_error("scatter: arrays of more than 32 axes")),
            _ => {}
        }
        let shape: Vec<usize> = head[2..2 + head[1] as usize]
            .iter()
            .map(|&n| n as usize)
            .collect();
        let mut a = Self::zeros(grid, &shape)?;
        let mut mine = vec![T::default(); a.owned_len()];
        if is_root {
            let g = global.expect("checked: rank 0 has the array");
            let (mut send, mut counts, mut displs) = (Vec::new(), Vec::new(), Vec::new());
            for r in 0..grid.size() {
                let (lo, hi) = a.blocks.block(&grid.coords_of(r));
                displs.push(send.len() as i32);
                send.extend(g.slice(boxed(&lo, &hi).as_slice()).iter().copied());
                counts.push(send.len() as i32 - displs[r]);
            }
            root.scatter_varcount_into_root(
                &Partition::new(&send[..], counts, &displs[..]),
                &mut mine[..],
            );
        } else {
            root.scatter_varcount_into(&mut mine[..]);
        }
        let local = a.local.get_mut();
        let owned = owned_box(local, &a.lo, &a.hi);
        local
            .data
            .slice_mut(owned.as_slice())
            .iter_mut()
            .zip(mine)
            .for_each(|(d, v)| *d = v);
        Ok(a)
    }

    /// The whole array on rank 0 (`None` on the other ranks). Collective.
    pub fn gather(&self) -> Option<ArrayD<T>> {
        guard(&self.grid, || self.gather_to_root())
    }

    fn gather_to_root(&self) -> Option<ArrayD<T>> {
        let comm = self.grid.comm();
        let root = comm.process_at_rank(0);
        let mine: Vec<T> = self.local().view().iter().copied().collect();
        if self.grid.rank() != 0 {
            root.gather_varcount_into(&mine[..]);
            return None;
        }
        let boxes: Vec<(Vec<usize>, Vec<usize>)> = (0..self.grid.size())
            .map(|r| self.blocks.block(&self.grid.coords_of(r)))
            .collect();
        let counts: Vec<i32> = boxes
            .iter()
            .map(|(lo, hi)| lo.iter().zip(hi).map(|(a, b)| b - a).product::<usize>() as i32)
            .collect();
        let displs: Vec<i32> = counts
            .iter()
            .scan(0, |acc, &c| {
                let d = *acc;
                *acc += c;
                Some(d)
            })
            .collect();
        let total = counts.iter().map(|&c| c as usize).sum();
        let mut all = vec![T::default(); total];
        root.gather_varcount_into_root(
            &mine[..],
            &mut PartitionMut::new(&mut all[..], &counts[..], &displs[..]),
        );
        let mut out = ArrayD::from_elem(IxDyn(&self.blocks.shape), T::default());
        for ((lo, hi), &d) in boxes.iter().zip(&displs) {
            let mut it = all[d as usize..].iter();
            for x in out.slice_mut(boxed(lo, hi).as_slice()).iter_mut() {
                *x = *it.next().expect("counted");
            }
        }
        Some(out)
    }

    /// The global shape.
    pub fn shape(&self) -> &[usize] {
        &self.blocks.shape
    }

    /// The grid the array is split over.
    pub fn grid(&self) -> &ProcessGrid {
        &self.grid
    }

    /// This rank's block as global index ranges: `[lo[k], hi[k])` along each axis `k`.
    pub fn owned(&self) -> (&[usize], &[usize]) {
        (&self.lo, &self.hi)
    }

    /// The halo widths below and above the block along each axis.
    pub fn halo(&self) -> (Vec<usize>, Vec<usize>) {
        let l = self.local.borrow();
        (l.halo_lo.clone(), l.halo_hi.clone())
    }

    /// This rank's block (owned cells only), borrowed.
    pub fn local(&self) -> LocalView<'_, T> {
        LocalView {
            local: self.local.borrow(),
            lo: &self.lo,
            hi: &self.hi,
        }
    }

    /// This rank's block (owned cells only), writable.
    pub fn local_mut(&mut self) -> ArrayViewMutD<'_, T> {
        let local = self.local.get_mut();
        let b = owned_box(local, &self.lo, &self.hi);
        local.data.slice_mut(b.as_slice())
    }

    /// The local array: the block with its halo cells around it.
    pub fn local_with_halo(&self) -> Ref<'_, ArrayD<T>> {
        Ref::map(self.local.borrow(), |l| &l.data)
    }

    fn owned_len(&self) -> usize {
        self.lo.iter().zip(&self.hi).map(|(a, b)| b - a).product()
    }
}

/// A borrowed block of a [`DistArray`] ([`DistArray::local`]).
pub struct LocalView<'a, T> {
    local: Ref<'a, Local<T>>,
    lo: &'a [usize],
    hi: &'a [usize],
}

impl<T: DistElement> LocalView<'_, T> {
    /// The owned cells.
    pub fn view(&self) -> ArrayViewD<'_, T> {
        let b = owned_box(&self.local, self.lo, self.hi);
        self.local.data.slice(b.as_slice())
    }
}

/// The slice of `[lo, hi)` per axis.
fn boxed(lo: &[usize], hi: &[usize]) -> Vec<SliceInfoElem> {
    lo.iter()
        .zip(hi)
        .map(|(&a, &b)| SliceInfoElem::Slice {
            start: a as isize,
            end: Some(b as isize),
            step: 1,
        })
        .collect()
}

/// The owned cells of a local array, as a slice of it.
fn owned_box<T>(l: &Local<T>, lo: &[usize], hi: &[usize]) -> Vec<SliceInfoElem> {
    let a: Vec<usize> = l.halo_lo.clone();
    let b: Vec<usize> = (0..lo.len())
        .map(|k| l.halo_lo[k] + hi[k] - lo[k])
        .collect();
    boxed(&a, &b)
}

/// What a script's run needs of a distributed array, whatever its element type.
pub(super) trait Distributed {
    fn dtype(&self) -> DType;
    fn shape(&self) -> &[usize];
    fn grid(&self) -> &ProcessGrid;
    fn blocks(&self) -> &Blocks;
    fn owned(&self) -> (&[usize], &[usize]);
    /// Widens the halo to at least `lo`/`hi` (the owned cells are kept; halo cells are stale).
    fn halo(&self) -> (Vec<usize>, Vec<usize>);
    fn grow_halo(&self, lo: &[usize], hi: &[usize]);
    /// The local array, held for a run.
    fn lock(&self) -> Box<dyn Block + '_>;
    /// The address, to tell two bindings of one array apart from two arrays.
    fn id(&self) -> usize;
}

/// A local array held for a run: views for the engine, and halo packing by local index box.
pub(super) trait Block {
    fn arg(&self) -> Arg<'_>;
    fn out(&mut self) -> Out<'_>;
    /// Appends the cells of the local box `[lo, hi)` to `buf`, row-major, as bytes.
    fn pack(&self, lo: &[usize], hi: &[usize], buf: &mut Vec<u8>);
    /// Writes the cells of the local box `[lo, hi)` from `buf`, row-major.
    fn unpack(&mut self, lo: &[usize], hi: &[usize], buf: &[u8]);
}

impl<T: DistElement> Distributed for DistArray<T> {
    fn dtype(&self) -> DType {
        T::DTYPE
    }
    fn shape(&self) -> &[usize] {
        &self.blocks.shape
    }
    fn grid(&self) -> &ProcessGrid {
        &self.grid
    }
    fn blocks(&self) -> &Blocks {
        &self.blocks
    }
    fn owned(&self) -> (&[usize], &[usize]) {
        (&self.lo, &self.hi)
    }
    fn halo(&self) -> (Vec<usize>, Vec<usize>) {
        DistArray::halo(self)
    }
    fn grow_halo(&self, lo: &[usize], hi: &[usize]) {
        let mut l = self.local.borrow_mut();
        let nl: Vec<usize> = l.halo_lo.iter().zip(lo).map(|(a, b)| *a.max(b)).collect();
        let nh: Vec<usize> = l.halo_hi.iter().zip(hi).map(|(a, b)| *a.max(b)).collect();
        if nl == l.halo_lo && nh == l.halo_hi {
            return;
        }
        let ext: Vec<usize> = (0..nl.len())
            .map(|k| nl[k] + self.hi[k] - self.lo[k] + nh[k])
            .collect();
        let mut data = ArrayD::from_elem(IxDyn(&ext), T::default());
        let old = owned_box(&l, &self.lo, &self.hi);
        let fresh = Local {
            data: ArrayD::from_elem(IxDyn(&[]), T::default()),
            halo_lo: nl,
            halo_hi: nh,
        };
        data.slice_mut(owned_box(&fresh, &self.lo, &self.hi).as_slice())
            .assign(&l.data.slice(old.as_slice()));
        *l = Local { data, ..fresh };
    }
    fn lock(&self) -> Box<dyn Block + '_> {
        Box::new(self.local.borrow_mut())
    }
    fn id(&self) -> usize {
        self as *const Self as usize
    }
}

impl<T: DistElement> Block for RefMut<'_, Local<T>> {
    fn arg(&self) -> Arg<'_> {
        Arg::from(&self.data)
    }
    fn out(&mut self) -> Out<'_> {
        Out::from(&mut self.data)
    }
    fn pack(&self, lo: &[usize], hi: &[usize], buf: &mut Vec<u8>) {
        let w = T::DTYPE.size();
        for x in self.data.slice(boxed(lo, hi).as_slice()).iter() {
            buf.extend_from_slice(&x.to_bytes()[..w]);
        }
    }
    fn unpack(&mut self, lo: &[usize], hi: &[usize], buf: &[u8]) {
        let w = T::DTYPE.size();
        let mut chunks = buf.chunks_exact(w);
        for x in self.data.slice_mut(boxed(lo, hi).as_slice()).iter_mut() {
            *x = T::from_bytes(chunks.next().expect("message of the box's size"));
        }
    }
}
