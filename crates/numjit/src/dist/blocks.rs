//! Owns the block decomposition of a global shape over a process grid's dimensions
//! (`Blocks`): which global indices each grid position owns. Pure arithmetic, built without
//! the `mpi` feature, so that the halo inference (`halo`) runs without MPI.
//! Must not touch MPI, arrays or scripts.

use numjit_syntax::{Error, ErrorKind, Result};

pub(super) fn shape_error(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Shape, msg, None)
}

/// `(a, b)` or `(a,)`, as NumPy prints a shape.
pub(super) fn dims_str(d: &[usize]) -> String {
    crate::types::shape_str(d)
}

/// The blocks of a global shape over a grid: along axis `k`, part `i` of `p = dims[k]` gets
/// `n / p` indices, one more for the first `n % p` parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocks {
    /// The global shape.
    pub shape: Vec<usize>,
    /// Ranks along each axis.
    pub dims: Vec<usize>,
}

impl Blocks {
    /// The decomposition of `shape` over `dims`, or the error that it does not split (an axis
    /// shorter than its number of ranks).
    pub fn new(shape: &[usize], dims: &[usize]) -> Result<Blocks> {
        if shape.len() != dims.len() {
            return Err(shape_error(format!(
                "an array of shape {} has {} axes but the process grid {} has {}",
                dims_str(shape),
                shape.len(),
                dims_str(dims),
                dims.len()
            )));
        }
        if let Some(k) = (0..shape.len()).find(|&k| shape[k] < dims[k]) {
            return Err(shape_error(format!(
                "an array of shape {} does not split over the process grid {}: axis {k} has {} \
                 element{} for {} ranks (every rank needs at least one)",
                dims_str(shape),
                dims_str(dims),
                shape[k],
                if shape[k] == 1 { "" } else { "s" },
                dims[k]
            )));
        }
        Ok(Blocks {
            shape: shape.to_vec(),
            dims: dims.to_vec(),
        })
    }

    /// The global index range `[start, end)` of part `i` along axis `k`.
    pub fn range(&self, k: usize, i: usize) -> (usize, usize) {
        let (n, p) = (self.shape[k], self.dims[k]);
        let (q, r) = (n / p, n % p);
        let start = i * q + i.min(r);
        (start, start + q + usize::from(i < r))
    }

    /// The box `[lo, hi)` per axis of the block at `coords`.
    pub fn block(&self, coords: &[usize]) -> (Vec<usize>, Vec<usize>) {
        (0..self.shape.len())
            .map(|k| self.range(k, coords[k]))
            .unzip()
    }

    /// The smallest block extent along axis `k`.
    pub fn min_extent(&self, k: usize) -> usize {
        self.shape[k] / self.dims[k]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_split_unevenly_with_the_larger_parts_first() {
        let b = Blocks::new(&[7, 4], &[3, 2]).unwrap();
        assert_eq!(
            (0..3).map(|i| b.range(0, i)).collect::<Vec<_>>(),
            vec![(0, 3), (3, 5), (5, 7)]
        );
        assert_eq!(b.block(&[2, 1]), (vec![5, 2], vec![7, 4]));
        assert_eq!(b.min_extent(0), 2);
        let e = Blocks::new(&[2, 5], &[3, 1]).unwrap_err();
        assert_eq!(
            e.message(),
            "an array of shape (2, 5) does not split over the process grid (3, 1): axis 0 has 2 \
             elements for 3 ranks (every rank needs at least one)"
        );
    }
}
