"""Grid generation: lines snap exactly to breakpoints, spacing caps and refinement boxes are
respected, neighbouring cells grow by at most the growth ratio, and the report's memory estimate
follows its documented per-cell array counts.

Snapping is tested with exact equality (the breakpoint coordinates are copied into the grid);
spacing and growth limits with a relative slack of 1e-9 (floating-point rounding only).
"""

import warnings

import numpy as np
import pytest

from solver.backend import Backend
from solver.geometry import Box, FinArray, collect_breakpoints, paint, painted_volumes
from solver.grid import (
    CONDUCTION_ARRAYS,
    CONJUGATE_FLOW_ARRAYS,
    Grid,
    GridWarning,
    MeshingError,
    generate_grid,
    grid_report,
)

MM = 1e-3
SLACK = 1 + 1e-9


def stack():
    """A GPU cold-plate stack: copper base with fins, lid, 50 um TIM, 28 x 28 mm die."""
    return [
        Box((0, 0, 0), (60 * MM, 60 * MM, 3 * MM), material="copper", name="base"),
        FinArray((5 * MM, 5 * MM, 3 * MM), (55 * MM, 55 * MM, 6 * MM), 41, 0.2 * MM, "x",
                 material="copper", name="fins"),
        Box((10 * MM, 10 * MM, -2 * MM), (50 * MM, 50 * MM, 0), material="copper", name="lid"),
        Box((16 * MM, 16 * MM, -2.05 * MM), (44 * MM, 44 * MM, -2 * MM), material="tim_paste",
            name="tim"),
        Box((16 * MM, 16 * MM, -2.75 * MM), (44 * MM, 44 * MM, -2.05 * MM), material="silicon",
            name="die"),
    ]


BOUNDS = [(0, 60 * MM), (0, 60 * MM), (-2.75 * MM, 6 * MM)]


def exact_line(grid, axis, coordinate):
    return np.any(grid.faces[axis] == coordinate)


def test_lines_snap_exactly_to_every_breakpoint():
    bodies = stack()
    points = collect_breakpoints(bodies)
    grid = generate_grid(BOUNDS, points, 1 * MM, growth_ratio=1.2)
    for axis in range(3):
        for p in points[axis]:
            assert exact_line(grid, axis, p), (axis, p)
    # so the painted volume of every box is exact (relative 1e-12, summation rounding)
    index = {"copper": 0, "tim_paste": 1, "silicon": 2}
    volumes = painted_volumes(grid, paint(grid, bodies, index), index)
    assert volumes["tim_paste"] == pytest.approx(bodies[3].volume(), rel=1e-12)
    assert volumes["silicon"] == pytest.approx(bodies[4].volume(), rel=1e-12)


@pytest.mark.parametrize("growth_ratio", [1.05, 1.2, 1.3, 1.5])
def test_growth_ratio_and_spacing_caps(growth_ratio):
    grid = generate_grid(BOUNDS, collect_breakpoints(stack()), 1 * MM, growth_ratio=growth_ratio)
    assert grid.max_growth_ratio() <= growth_ratio * SLACK
    for widths in grid.widths:
        assert widths.max() <= 1 * MM * SLACK
    # the thin TIM (50 um) is one cell and its neighbours grade away from it
    z = grid.z_faces
    k = int(np.flatnonzero(z == -2.05 * MM)[0])
    assert z[k + 1] == -2 * MM
    assert grid.widths[2][k - 1] <= 50e-6 * growth_ratio * SLACK


def test_random_breakpoints_respect_all_limits():
    """200 random axes with clustered breakpoints, thin layers and a refinement box."""
    rng = np.random.default_rng(11)
    for _ in range(200):
        ratio = rng.uniform(1.05, 1.5)
        spacing = 10 ** rng.uniform(-3, -2)
        fine = 10 ** rng.uniform(-4, -3)
        points = [np.sort(rng.uniform(0, 0.1, rng.integers(0, 25))) for _ in range(3)]
        points[2] = np.concatenate([points[2], [0.05, 0.05 + 10 ** rng.uniform(-5.5, -3)]])
        box = ((0.02, 0.03, 0.04), (0.04, 0.05, 0.06))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no GridWarning, no floating-point overflow
            grid = generate_grid([(0, 0.1)] * 3, points, spacing, [(*box, fine)],
                                 growth_ratio=ratio)
        assert grid.max_growth_ratio() <= ratio * SLACK
        for axis in range(3):
            faces, widths = grid.faces[axis], grid.widths[axis]
            assert np.all(np.isin(points[axis], faces))
            assert widths.max() <= spacing * SLACK
            centres = grid.centers[axis]
            inside = (centres > box[0][axis]) & (centres < box[1][axis])
            assert widths[inside].max() <= fine * SLACK


def test_many_nearly_equal_intervals_settle():
    """500 fins of 0.2 mm with 0.2004 mm gaps: rounding cell counts up makes neighbouring
    intervals disagree by up to 2x at first; the grading passes must still meet the ratio."""
    fins = FinArray((0, 0, 0), (200 * MM, 100 * MM, 10 * MM), 500, 0.2 * MM, "x",
                    material="copper")
    with warnings.catch_warnings():
        warnings.simplefilter("error", GridWarning)
        grid = generate_grid([(0, 0.2), (0, 0.1), (0, 0.01)], collect_breakpoints([fins]),
                             1 * MM, growth_ratio=1.2)
    assert grid.max_growth_ratio() <= 1.2 * SLACK
    assert np.all(np.isin(fins.breakpoints("x"), grid.x_faces))


def test_ten_thousand_cells_per_axis_without_overflow():
    """Long uniform stretches next to a 1 um layer: the closed-form inverse must not overflow
    in the pieces it does not use (any warning fails the test)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grid = generate_grid([(0, 1), (0, 1), (0, 1)], [[0.5, 0.5 + 1e-6], [], []], 1e-4)
    assert grid.shape[1] == 10000 and grid.max_growth_ratio() <= 1.3 * SLACK
    assert grid.widths[0].min() == pytest.approx(1e-6)


def test_refinement_box_faces_are_lines_and_cells_inside_are_fine():
    grid = generate_grid([(0, 0.1), (0, 0.05), (0, 0.02)], [[], [], []], 5 * MM,
                         refinements=[((0.03, 0.01, 0.005), (0.05, 0.02, 0.01), 0.5 * MM)])
    for axis, (low, high) in enumerate([(0.03, 0.05), (0.01, 0.02), (0.005, 0.01)]):
        assert exact_line(grid, axis, low) and exact_line(grid, axis, high)
        centres, widths = grid.centers[axis], grid.widths[axis]
        inside = (centres > low) & (centres < high)
        assert widths[inside].max() <= 0.5 * MM * SLACK
        assert widths.max() > 2 * MM  # coarse away from the box
    assert grid.max_growth_ratio() <= 1.3 * SLACK


def test_overlapping_refinements_take_the_finest():
    grid = generate_grid([(0, 1), (0, 1), (0, 1)], [[], [], []], 0.1,
                         refinements=[((0.2, 0, 0), (0.6, 1, 1), 0.02),
                                      ((0.4, 0, 0), (0.5, 1, 1), 0.005)])
    centres, widths = grid.centers[0], grid.widths[0]
    assert widths[(centres > 0.4) & (centres < 0.5)].max() <= 0.005 * SLACK
    assert widths[(centres > 0.2) & (centres < 0.6)].max() <= 0.02 * SLACK


def test_per_axis_max_spacing_gives_a_uniform_grid():
    grid = generate_grid([(0, 0.1), (0, 0.06), (0, 0.01)], [[], [], []], (0.01, 0.005, 0.001))
    assert grid.shape == (10, 12, 10)
    for widths, h in zip(grid.widths, (0.01, 0.005, 0.001), strict=True):
        assert np.allclose(widths, h, rtol=1e-12)


def test_breakpoints_outside_the_domain_are_ignored():
    grid = generate_grid([(0, 1), (0, 1), (0, 1)], [[-0.5, 0.25, 1.5], [], []], 0.1)
    assert grid.x_faces[0] == 0 and grid.x_faces[-1] == 1
    assert exact_line(grid, 0, 0.25)


def test_nearly_coincident_breakpoints_are_merged():
    """Faces 1e-9 apart (CAD rounding) give one line: below 1e-6 x axis length, silently."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", GridWarning)
        grid = generate_grid([(0, 1), (0, 1), (0, 1)], [[0.3, 0.3 + 1e-9], [], []], 0.1)
    assert exact_line(grid, 0, 0.3) and grid.widths[0].min() > 1e-3


def test_min_spacing_merges_thin_layers_with_a_warning():
    with pytest.warns(GridWarning, match="merge distance"):
        grid = generate_grid([(0, 1), (0, 1), (0, 1)], [[0.3, 0.3 + 1e-4], [], []], 0.1,
                             min_spacing=1e-3)
    assert exact_line(grid, 0, 0.3) and not exact_line(grid, 0, 0.3 + 1e-4)
    assert grid.widths[0].min() >= 1e-3


def test_backend_and_dtype_are_passed_to_the_grid(backend):
    grid = generate_grid([(0, 1), (0, 1), (0, 1)], [[], [], []], 0.25, backend=backend,
                         dtype=np.float32)
    assert grid.backend is backend and grid.dtype == np.float32
    assert grid.shape == (4, 4, 4)


@pytest.mark.parametrize("kwargs, message", [
    ({"bounds": [(0, 1), (1, 1), (0, 1)]}, "bounds"),
    ({"max_spacing": 0.0}, "max_spacing must be > 0"),
    ({"max_spacing": (0.1, -1, 0.1)}, "max_spacing must be > 0"),
    ({"growth_ratio": 1.0}, "growth_ratio must be > 1"),
    ({"min_spacing": -1e-6}, "min_spacing"),
    ({"min_spacing": 0.2}, "min_spacing 0.2 m exceeds max_spacing 0.1 m"),
    ({"refinements": [((0, 0, 0), (0, 1, 1), 0.01)]}, "refinement box"),
    ({"breakpoints": [[], []]}, "one sequence per axis"),
])
def test_bad_inputs_raise(kwargs, message):
    arguments = {"bounds": [(0, 1)] * 3, "breakpoints": [[], [], []], "max_spacing": 0.1}
    arguments.update(kwargs)
    with pytest.raises(MeshingError, match=message):
        generate_grid(**arguments)


# -- report -----------------------------------------------------------------------------------

def test_grid_report_numbers():
    grid = Grid(np.array([0, 1, 3, 6]) * MM, np.array([0, 2, 4]) * MM, np.array([0, 0.5]) * MM)
    report = grid_report(grid)
    assert report["cells"] == 6 and report["shape"] == [3, 2, 1]
    assert report["min_spacing_m"] == pytest.approx(0.5 * MM)
    assert report["max_spacing_m"] == pytest.approx(3 * MM)
    assert report["max_growth_ratio"] == pytest.approx(2.0)
    # worst cell: 3 mm wide along x and 0.5 mm along z
    assert report["max_aspect_ratio"] == pytest.approx(6.0) == grid.max_aspect_ratio()
    # CPU: 12 float64 arrays + one int32 id per cell, all on the host
    assert report["host_memory_mb"] == pytest.approx(6 * (CONDUCTION_ARRAYS * 8 + 4) / 1e6)
    assert report["device_memory_mb"] == 0.0
    assert "3 x 2 x 1 = 6 cells" in report["line"] and "MB host" in report["line"]


def test_grid_report_on_a_gpu_backend_counts_device_memory():
    """A stand-in GPU backend (NumPy arrays named "gpu") exercises the device accounting."""
    fake_gpu = Backend("gpu", np, "stand-in")
    grid = Grid.uniform((1, 1, 1), (100, 100, 100), backend=fake_gpu, dtype=np.float32)
    report = grid_report(grid, CONJUGATE_FLOW_ARRAYS)
    assert report["device_memory_mb"] == pytest.approx(1e6 * (CONJUGATE_FLOW_ARRAYS * 4 + 4) / 1e6)
    assert report["host_memory_mb"] == pytest.approx(1e6 * (2 * 4 + 4) / 1e6)
    assert "float32" in report["line"] and "gpu" in report["line"]
