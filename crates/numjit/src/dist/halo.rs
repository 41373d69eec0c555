//! Owns the public halo inference: for a script over arrays split in blocks, how many cells
//! beyond its block each rank needs of each array, per axis and side, read from the slice
//! offsets by the same analysis `DistScript` plans with (`plan::analyse`).
//! Must not touch MPI or run anything: programs that exchange halos themselves (mpi4py, a
//! hand-written MPI code) size their halos with it; numjit-py exposes it to Python.

use super::blocks::Blocks;
use super::plan;
use crate::types::{raw, Arg, DType};
use numjit_syntax::{Error, ErrorKind, Result, Span};

/// One array's halo: the cells beyond a rank's block it reads, per axis, below (towards
/// index 0) and above.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HaloWidths {
    /// Cells below the block, per axis.
    pub below: Vec<usize>,
    /// Cells above the block, per axis.
    pub above: Vec<usize>,
    /// Whether some read is diagonal (offset along two or more split axes at once), so the
    /// halo's corners are read too: an exchange must fill them (exchanging axis by axis,
    /// each axis's messages including the halo cells of the axes before it, does).
    pub corners: bool,
}

/// The halo widths `source` needs, for each of `arrays` in order: the distributed arrays, all
/// of global shape `shape` and split in blocks over a process grid of `grid` ranks per axis
/// (`None`: every axis counts as split, and offsets are not checked against block extents).
/// `scalars` binds the script's other names (integer scalars give subscript bounds).
///
/// The rules are `DistScript`'s: a statement `x[s] = f(y[s + δ])` computes each cell of `x`
/// on the rank that owns it, so that rank reads `y` up to `δ` past its block; along an axis
/// with one rank nothing is read from a neighbour (width 0). The errors are `DistScript`'s
/// too (steps, dropped axes, broadcasting between distributed arrays, offsets past the
/// neighbouring rank's block), with a caret under the culprit.
pub fn halo_widths(
    source: &str,
    shape: &[usize],
    grid: Option<&[usize]>,
    arrays: &[&str],
    scalars: &[(&str, Arg<'_>)],
) -> Result<Vec<HaloWidths>> {
    let stmts = numjit_syntax::parse_script(source).map_err(|e| e.with_source(source))?;
    let blocks = match grid {
        Some(dims) => Blocks::new(shape, dims),
        None => Blocks::new(shape, &vec![1; shape.len()]),
    }
    .map_err(|e| e.with_source(source))?;
    for (i, a) in arrays.iter().enumerate() {
        if arrays[..i].contains(a) {
            return Err(Error::new(
                ErrorKind::Output,
                format!("`{a}` is named twice among the distributed arrays"),
                None,
            )
            .with_source(source));
        }
    }
    let dist: Vec<(String, DType, bool)> = arrays
        .iter()
        .map(|n| (n.to_string(), DType::Float64, true))
        .collect();
    let find = |n: &str| scalars.iter().rev().find(|(m, _)| *m == n).map(|(_, a)| a);
    let dtype = |n: &str| {
        if arrays.contains(&n) {
            Some(DType::Float64)
        } else {
            find(n).map(|a| a.dtype())
        }
    };
    let is_array = |n: &str| !arrays.contains(&n) && find(n).is_some_and(|a| !a.shape().is_empty());
    let int = |n: &str, span: Span| -> Result<i64> {
        match find(n) {
            Some(a) if a.shape().is_empty() && a.dtype().is_int() => Ok(raw::read(a, &[]).to_i64()),
            Some(_) => Err(Error::new(
                ErrorKind::DType,
                format!("subscript bounds must be integer scalars; `{n}` is not"),
                Some(span),
            )),
            None => Err(Error::new(
                ErrorKind::UnknownName,
                format!("unknown name `{n}`"),
                Some(span),
            )),
        }
    };
    let names: Vec<&str> = arrays
        .iter()
        .copied()
        .chain(scalars.iter().map(|(n, _)| *n))
        .collect();
    let env = plan::Env {
        dist: &dist,
        blocks: &blocks,
        every_axis_split: grid.is_none(),
        dtype: &dtype,
        is_array: &is_array,
        int: &int,
        names: &names,
    };
    let g = plan::analyse(source, &stmts, &env)?;
    Ok((0..arrays.len())
        .map(|slot| HaloWidths {
            below: g.halo_lo[slot].clone(),
            above: g.halo_hi[slot].clone(),
            corners: g.dirs[slot]
                .iter()
                .any(|d| d.iter().filter(|&&x| x != 0).count() > 1),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::IntoArg;

    const STEP: &str = "next[1:-1, 1:-1] = dens[1:-1, 1:-1] + c*(dens[2:, 1:-1] + dens[:-2, 1:-1] + dens[1:-1, 2:] + dens[1:-1, :-2] - 4*dens[1:-1, 1:-1])";

    fn widths(h: &HaloWidths) -> (Vec<usize>, Vec<usize>, bool) {
        (h.below.clone(), h.above.clone(), h.corners)
    }

    #[test]
    fn the_diffusion_step_reads_one_cell_around_dens() {
        let c = [("c", 0.25f64.into_arg())];
        let h = halo_widths(STEP, &[12, 12], None, &["next", "dens"], &c).unwrap();
        assert_eq!(widths(&h[0]), (vec![0, 0], vec![0, 0], false));
        assert_eq!(widths(&h[1]), (vec![1, 1], vec![1, 1], false));
        // On a grid split along axis 0 only, axis 1 reads nothing from a neighbour.
        let h = halo_widths(STEP, &[12, 12], Some(&[3, 1]), &["next", "dens"], &c).unwrap();
        assert_eq!(widths(&h[1]), (vec![1, 0], vec![1, 0], false));
    }

    #[test]
    fn offsets_give_the_widths_per_side_and_corners() {
        let k = [("k", 2i64.into_arg())];
        let h = halo_widths(
            "b[k:, :-1] = a[:-k, 1:] + a[k:, :-1]; a[1:, :] = b[:-1, :]",
            &[9, 7],
            None,
            &["a", "b"],
            &k,
        )
        .unwrap();
        assert_eq!(widths(&h[0]), (vec![2, 0], vec![0, 1], true));
        assert_eq!(widths(&h[1]), (vec![1, 0], vec![0, 0], false));
        // 1-D, reductions included: anchored on their first operand (`x[3:]`), whose cells
        // read `x` 3 below.
        let h = halo_widths("sum(x[3:] * x[:-3])", &[20], None, &["x"], &[]).unwrap();
        assert_eq!(widths(&h[0]), (vec![3], vec![0], false));
    }

    #[test]
    fn refusals_are_dist_script_s() {
        let e = |src: &str, grid: Option<&[usize]>| {
            halo_widths(
                src,
                &[8, 8],
                grid,
                &["next", "dens"],
                &[("w", (&[1.0, 2.0][..]).into_arg())],
            )
            .unwrap_err()
            .to_string()
        };
        assert_eq!(
            e("next[:-3, :] = dens[3:, :]", Some(&[4, 1])),
            "error: `dens[3:, :]` reads 3 elements past a rank's block along axis 0, but the \
             smallest block along that axis has 2: halos come from the neighbouring ranks only \
             (use fewer ranks along axis 0)\n  next[:-3, :] = dens[3:, :]\n                 ^^^^^^^^^^^"
        );
        // Without a grid the same offset is only a width.
        assert!(halo_widths(
            "next[:-3, :] = dens[3:, :]",
            &[8, 8],
            None,
            &["next", "dens"],
            &[]
        )
        .is_ok());
        assert!(e("next[:, :] = dens[::2, :]", None).contains("slices of step 1"));
        assert!(e("next[:] = dens * w", None).contains("`w` is a local array"));
        assert!(e("next[1:, :] = dens[m:, :]", None).contains("unknown name `m`"));
        assert!(e("next[1:, :] = dens +", None).starts_with("error: "));
        assert!(e("next[:, :] = dens", Some(&[9, 1])).contains("does not split"));
        let e = halo_widths("a[:] = a", &[4], None, &["a", "a"], &[]).unwrap_err();
        assert!(e.to_string().contains("named twice"), "{e}");
    }
}
