//! Owns the process grid: a Cartesian communicator over the ranks, its dimensions (chosen or
//! automatic), each rank's coordinates and neighbours (the block decomposition of a global
//! shape over it is `blocks::Blocks`).
//! Must not touch arrays, scripts or the engine: it only says which rank owns which indices.

use super::blocks::{dims_str, shape_error};
use mpi::topology::{CartesianCommunicator, Communicator};
use numjit_syntax::{Error, ErrorKind, Result};
use std::rc::Rc;

/// The ranks of a communicator laid out on an n-dimensional Cartesian grid (non-periodic),
/// on which [`super::DistArray`]s are split into blocks.
///
/// Cheap to clone (the communicator is shared, within this rank's thread); arrays on the same grid compare equal by
/// identity, so a script may combine only arrays created on one grid (or its clones).
#[derive(Clone)]
pub struct ProcessGrid {
    inner: Rc<GridInner>,
}

struct GridInner {
    comm: CartesianCommunicator,
    dims: Vec<usize>,
    coords: Vec<usize>,
}

impl std::fmt::Debug for ProcessGrid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessGrid")
            .field("dims", &self.inner.dims)
            .field("coords", &self.inner.coords)
            .finish()
    }
}

impl ProcessGrid {
    /// A grid of `dims` over the ranks of `comm` (a collective call: every rank of `comm` must
    /// make it, with the same `dims`). An entry 0 is chosen automatically: the free entries
    /// split the remaining factor as evenly as possible, larger first (as `MPI_Dims_create`).
    /// The product must equal the number of ranks.
    pub fn new(comm: &impl Communicator, dims: &[usize]) -> Result<ProcessGrid> {
        let size = comm.size() as usize;
        let dims = fill_dims(size, dims)?;
        Self::create(comm, dims)
    }

    /// A grid for arrays of `shape` over the ranks of `comm` (collective): of all the ways to
    /// write the number of ranks as a product of `shape.len()` factors, each at most its
    /// axis's length, the one with the least halo volume of a rank inside the grid (over the
    /// axes, the block's cross-section times its number of neighbours along the axis, at most
    /// 2; ties go to more ranks along earlier axes).
    pub fn for_shape(comm: &impl Communicator, shape: &[usize]) -> Result<ProcessGrid> {
        let size = comm.size() as usize;
        let dims = best_dims(size, shape)?;
        Self::create(comm, dims)
    }

    fn create(comm: &impl Communicator, dims: Vec<usize>) -> Result<ProcessGrid> {
        let counts: Vec<i32> = dims.iter().map(|&d| d as i32).collect();
        let periods = vec![false; dims.len()];
        let cart = comm
            .create_cartesian_communicator(&counts, &periods, false)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Internal,
                    "MPI_Cart_create gave no communicator for this rank",
                    None,
                )
            })?;
        let coords = cart
            .rank_to_coordinates(cart.rank())
            .into_iter()
            .map(|c| c as usize)
            .collect();
        Ok(ProcessGrid {
            inner: Rc::new(GridInner {
                comm: cart,
                dims,
                coords,
            }),
        })
    }

    /// The number of ranks along each axis.
    pub fn dims(&self) -> &[usize] {
        &self.inner.dims
    }

    /// This rank's coordinates on the grid.
    pub fn coords(&self) -> &[usize] {
        &self.inner.coords
    }

    /// This rank in the grid's communicator (row-major over the coordinates).
    pub fn rank(&self) -> usize {
        self.inner.comm.rank() as usize
    }

    /// The number of ranks.
    pub fn size(&self) -> usize {
        self.inner.comm.size() as usize
    }

    /// The grid's Cartesian communicator.
    pub fn comm(&self) -> &CartesianCommunicator {
        &self.inner.comm
    }

    /// The coordinates of `rank`.
    pub fn coords_of(&self, rank: usize) -> Vec<usize> {
        self.inner
            .comm
            .rank_to_coordinates(rank as i32)
            .into_iter()
            .map(|c| c as usize)
            .collect()
    }

    /// The rank at `coords + step` (per axis), if it is on the grid (the grid is not periodic).
    pub(super) fn neighbour(&self, step: &[i8]) -> Option<i32> {
        // Ranks are row-major over the coordinates (MPI's Cartesian numbering). Computed
        // here: rsmpi 0.8's `coordinates_to_rank` refuses coordinate 0 on non-periodic axes.
        let mut rank = 0i64;
        for ((&x, &d), &n) in self.inner.coords.iter().zip(step).zip(&self.inner.dims) {
            let y = x as i64 + d as i64;
            if y < 0 || y >= n as i64 {
                return None;
            }
            rank = rank * n as i64 + y;
        }
        Some(rank as i32)
    }

    /// Whether two handles are the same grid.
    pub(super) fn same(&self, other: &ProcessGrid) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

/// `dims` with its 0 entries filled so that the product is `size`.
pub(super) fn fill_dims(size: usize, dims: &[usize]) -> Result<Vec<usize>> {
    if dims.is_empty() {
        return Err(shape_error("a process grid needs at least one axis"));
    }
    let fixed: usize = dims.iter().filter(|&&d| d != 0).product();
    let free = dims.iter().filter(|&&d| d == 0).count();
    if fixed == 0 || !size.is_multiple_of(fixed) || (free == 0 && fixed != size) {
        return Err(shape_error(format!(
            "a process grid of {} does not fit {size} rank{}",
            dims_str(dims),
            if size == 1 { "" } else { "s" }
        )));
    }
    // The remaining factor, split as evenly as possible over the free axes: its prime
    // factors, largest first, each to the axis with the smallest product so far.
    let mut rest = size / fixed;
    let mut primes = Vec::new();
    let mut p = 2;
    while rest > 1 {
        while rest.is_multiple_of(p) {
            primes.push(p);
            rest /= p;
        }
        p += 1;
    }
    let mut parts = vec![1usize; free];
    for &p in primes.iter().rev() {
        if let Some(k) = (0..free).min_by_key(|&k| parts[k]) {
            parts[k] *= p;
        }
    }
    parts.sort_unstable_by(|a, b| b.cmp(a));
    let mut it = parts.into_iter();
    Ok(dims
        .iter()
        .map(|&d| if d == 0 { it.next().unwrap_or(1) } else { d })
        .collect())
}

/// The grid of `size` ranks for arrays of `shape` with the least halo volume per rank.
pub(super) fn best_dims(size: usize, shape: &[usize]) -> Result<Vec<usize>> {
    fn search(
        size: usize,
        shape: &[usize],
        cur: &mut Vec<usize>,
        best: &mut Option<(f64, Vec<usize>)>,
    ) {
        let k = cur.len();
        if k + 1 == shape.len() {
            if size > shape[k] {
                return;
            }
            cur.push(size);
            let block: Vec<f64> = shape
                .iter()
                .zip(cur.iter())
                .map(|(&n, &p)| n as f64 / p as f64)
                .collect();
            // A rank inside the grid has min(2, p - 1) neighbours along an axis of p parts.
            let volume: f64 = (0..shape.len())
                .map(|a| {
                    let faces = (cur[a] - 1).min(2) as f64;
                    faces
                        * (0..shape.len())
                            .filter(|&b| b != a)
                            .map(|b| block[b])
                            .product::<f64>()
                })
                .sum();
            if best.as_ref().is_none_or(|(v, _)| volume < *v) {
                *best = Some((volume, cur.clone()));
            }
            cur.pop();
            return;
        }
        // Larger factors first, so that ties keep more ranks along earlier axes.
        for p in (1..=size.min(shape[k])).rev() {
            if size.is_multiple_of(p) {
                cur.push(p);
                search(size / p, shape, cur, best);
                cur.pop();
            }
        }
    }
    if shape.is_empty() {
        return Err(shape_error("a distributed array needs at least one axis"));
    }
    let mut best = None;
    search(size, shape, &mut Vec::new(), &mut best);
    best.map(|(_, d)| d).ok_or_else(|| {
        shape_error(format!(
            "an array of shape {} does not split over {size} ranks: every rank needs at least \
             one element along each axis",
            dims_str(shape)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_dims_are_balanced() {
        assert_eq!(fill_dims(4, &[0, 0]).unwrap(), vec![2, 2]);
        assert_eq!(fill_dims(6, &[0, 0]).unwrap(), vec![3, 2]);
        assert_eq!(fill_dims(12, &[0, 0, 0]).unwrap(), vec![3, 2, 2]);
        assert_eq!(fill_dims(4, &[1, 0]).unwrap(), vec![1, 4]);
        assert_eq!(fill_dims(1, &[0, 0]).unwrap(), vec![1, 1]);
        assert_eq!(fill_dims(4, &[2, 2]).unwrap(), vec![2, 2]);
        let e = fill_dims(4, &[3, 0]).unwrap_err();
        assert_eq!(e.message(), "a process grid of (3, 0) does not fit 4 ranks");
        assert!(fill_dims(4, &[2, 3]).is_err());
    }

    #[test]
    fn automatic_grids_minimise_the_halo() {
        assert_eq!(best_dims(4, &[100, 100]).unwrap(), vec![2, 2]);
        assert_eq!(best_dims(4, &[1000, 10]).unwrap(), vec![4, 1]);
        assert_eq!(best_dims(4, &[10, 1000]).unwrap(), vec![1, 4]);
        assert_eq!(best_dims(2, &[50, 50]).unwrap(), vec![2, 1]);
        assert_eq!(best_dims(3, &[2, 9]).unwrap(), vec![1, 3]);
        assert_eq!(best_dims(1, &[5]).unwrap(), vec![1]);
        let e = best_dims(4, &[1, 3]).unwrap_err();
        assert!(e.message().contains("does not split over 4 ranks"), "{e}");
    }
}
