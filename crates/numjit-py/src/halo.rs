//! Owns `halo_widths`: numjit's halo inference (`numjit::dist::halo_widths`) for Python
//! programs that split arrays in blocks over MPI ranks themselves (mpi4py) and exchange the
//! halos numjit says each script reads.
//! Must not touch MPI or run a script: it only reads the script's slice offsets.

use crate::convert::{input, Input};
use crate::errors;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Each distributed array's halo for `script`: a dict from each name of `arrays` to one
/// `(below, above)` pair per axis, the cells beyond a rank's block that the script reads.
/// `shape` is the arrays' global shape (one for all), `grid` the ranks per axis (`None`:
/// every axis counts as split), `scalars` the script's other names (integer scalars give
/// subscript bounds). numjit's errors (a caret under the culprit) as `numjit.errors`.
#[pyfunction]
#[pyo3(signature = (script, shape, arrays, grid = None, scalars = None))]
pub(crate) fn halo_widths<'py>(
    py: Python<'py>,
    script: &str,
    shape: Vec<usize>,
    arrays: Vec<String>,
    grid: Option<Vec<usize>>,
    scalars: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyDict>> {
    let mut held: Vec<(String, Input<'py>)> = Vec::new();
    if let Some(d) = scalars {
        for (k, v) in d.iter() {
            held.push((k.extract()?, input(py, &v)?));
        }
    }
    let bound: Vec<(&str, numjit::Arg<'_>)> = held
        .iter()
        .filter_map(|(n, i)| i.arg().map(|a| (n.as_str(), a)))
        .collect();
    let names: Vec<&str> = arrays.iter().map(String::as_str).collect();
    let widths = numjit::dist::halo_widths(script, &shape, grid.as_deref(), &names, &bound)
        .map_err(|e| errors::to_py(py, e))?;
    let out = PyDict::new(py);
    for (name, w) in names.iter().zip(widths) {
        let axes: Vec<(usize, usize)> = w.below.into_iter().zip(w.above).collect();
        out.set_item(*name, pyo3::types::PyTuple::new(py, axes)?)?;
    }
    Ok(out)
}
