"""numjit.halo_widths: the halo a script reads around each rank's block, from its slice
offsets, checked against halos written out by hand for known stencils; numjit's errors with
their caret for what a block decomposition cannot run."""

import numpy as np
import pytest

import numjit
from numjit import halo_widths

STEP = (
    "nxt[1:-1, 1:-1] = dens[1:-1, 1:-1] + (D/dx**2)*dt*(dens[2:, 1:-1] + dens[:-2, 1:-1]"
    " + dens[1:-1, 2:] + dens[1:-1, :-2] - 4*dens[1:-1, 1:-1])"
)


def test_the_diffusion_step_reads_one_cell_around_dens():
    scalars = {"D": 1.0, "dx": 0.1, "dt": 0.0025}
    h = halo_widths(STEP, (12, 12), ["nxt", "dens"], scalars=scalars)
    assert h == {"nxt": ((0, 0), (0, 0)), "dens": ((1, 1), (1, 1))}
    # Split along axis 0 only: nothing comes from a neighbour along axis 1.
    h = halo_widths(STEP, (12, 12), ["nxt", "dens"], grid=(3, 1), scalars=scalars)
    assert h["dens"] == ((1, 1), (0, 0))


def test_offsets_give_each_side_its_width():
    # b's cells read a 2 rows below and 1 column above; then a's read b 1 row below.
    h = halo_widths(
        "b[k:, :-1] = a[:-k, 1:] + a[k:, :-1]; a[1:, :] = b[:-1, :]",
        [9, 7],
        ["a", "b"],
        scalars={"k": np.int64(2)},
    )
    assert h == {"a": ((2, 0), (0, 1)), "b": ((1, 0), (0, 0))}
    # 1-D, in a reduction (anchored on its first operand, x[3:]).
    assert halo_widths("sum(x[3:] * x[:-3])", (20,), ["x"]) == {"x": ((3, 0),)}


def test_what_a_decomposition_cannot_run_is_numjits_error():
    with pytest.raises(numjit.errors.ShapeError) as e:
        halo_widths("nxt[:-3, :] = dens[3:, :]", (8, 8), ["nxt", "dens"], grid=(4, 1))
    assert str(e.value).endswith(
        "  nxt[:-3, :] = dens[3:, :]\n                ^^^^^^^^^^^"
    ), str(e.value)
    assert "reads 3 elements past a rank's block along axis 0" in str(e.value)
    with pytest.raises(ValueError, match="slices of step 1"):
        halo_widths("nxt[:, :] = dens[::2, :]", (8, 8), ["nxt", "dens"])
    with pytest.raises(ValueError, match="`w` is a local array"):
        halo_widths("nxt[:] = dens * w", (8,), ["nxt", "dens"], scalars={"w": np.ones(8)})
    with pytest.raises(ValueError, match="does not split"):
        halo_widths("nxt[:] = dens", (2,), ["nxt", "dens"], grid=(3,))
    with pytest.raises(SyntaxError):
        halo_widths("nxt[:] = dens +", (4,), ["nxt", "dens"])
