"""Geometry primitives and painting: exact volumes where faces snap to grid lines, staircase
convergence for curved bodies, degenerate inputs rejected with the body's name.

Reference values are the analytic volumes of the primitives (pi r^2 L, count x fin volume, ...).
A cell belongs to a body when its centre is inside, so flat faces that lie on grid lines are
exact (tolerance 1e-12 relative, floating-point summation only) and curved faces converge at
first order in the cell size (tolerances stated per test).
"""

import numpy as np
import pytest

from solver.geometry import (
    Box,
    ChannelArray,
    Cylinder,
    FinArray,
    GeometryError,
    PinFinArray,
    body_mask,
    collect_breakpoints,
    material_index_for,
    paint,
    painted_volumes,
)
from solver.grid import Grid, generate_grid

MM = 1e-3


def painted_volume(grid, body):
    """Volume [m^3] of the cells whose centre lies in ``body``."""
    volumes = np.broadcast_to(np.asarray(grid.cell_volumes()), grid.shape)
    return float(volumes[body_mask(grid, body)].sum())


def snapped_grid(bodies, spacing, bounds=None):
    """Grid whose lines snap to every body face."""
    if bounds is None:
        lows = np.min([b.bounding_box()[0] for b in bodies], axis=0)
        highs = np.max([b.bounding_box()[1] for b in bodies], axis=0)
        bounds = list(zip(lows, highs, strict=True))
    return generate_grid(bounds, collect_breakpoints(bodies), spacing)


# -- exact volumes on snapped grids -----------------------------------------------------------

def test_box_volume_exact_on_snapped_grid():
    box = Box((1.3 * MM, 0.7 * MM, 0.2 * MM), (29.3 * MM, 28.7 * MM, 1.0 * MM), material="silicon",
              name="die")
    grid = snapped_grid([box], 1 * MM, bounds=[(0, 31 * MM), (0, 30 * MM), (0, 2 * MM)])
    assert painted_volume(grid, box) == pytest.approx(box.volume(), rel=1e-12)


@pytest.mark.parametrize("stack_axis", ["x", "y"])
def test_fin_array_volume_and_flush_fins(stack_axis):
    fins = FinArray((0, 0, 0), (20 * MM, 20 * MM, 3 * MM), count=11, thickness=0.3 * MM,
                    stack_axis=stack_axis, material="copper", name="fins")
    grid = snapped_grid([fins], 0.5 * MM)
    assert painted_volume(grid, fins) == pytest.approx(fins.volume(), rel=1e-12)
    a = "xyz".index(stack_axis)
    cuts = fins.breakpoints(stack_axis)
    # first fin starts on the envelope face, last one ends on it; 11 fins -> 22 faces
    assert cuts[0] == 0.0 and cuts[-1] == 20 * MM and cuts.size == 22
    assert fins.gap == pytest.approx((20 - 11 * 0.3) / 10 * MM, rel=1e-12)
    # a column across the fins alternates fin / gap 11 times
    mask = body_mask(grid, fins)
    line = np.moveaxis(mask, a, 0)[:, 0, 0]
    assert np.count_nonzero(np.diff(line.astype(int)) == 1) + int(line[0]) == 11


def test_single_fin_is_centred():
    fin = FinArray((0, 0, 0), (10 * MM, 1 * MM, 1 * MM), count=1, thickness=2 * MM,
                   material="copper")
    assert np.allclose(fin.breakpoints("x"), [0, 4 * MM, 6 * MM, 10 * MM])


@pytest.mark.parametrize("direction", ["x", "y"])
def test_channel_array_paints_channels_and_keeps_walls(direction):
    base = Box((0, 0, 0), (30 * MM, 30 * MM, 4 * MM), material="copper", name="base")
    channels = ChannelArray((1 * MM, 1 * MM, 1 * MM), (29 * MM, 29 * MM, 3 * MM), count=20,
                            width=0.8 * MM, direction=direction, material="water",
                            name="channels")
    grid = snapped_grid([base, channels], 0.5 * MM)
    index = {"copper": 0, "water": 1}
    ids = paint(grid, [base, channels], index)
    volumes = painted_volumes(grid, ids, index)
    assert volumes["water"] == pytest.approx(20 * 0.8 * 28 * 2 * MM ** 3, rel=1e-12)
    assert volumes["copper"] == pytest.approx(base.volume() - channels.volume(), rel=1e-12)
    assert channels.wall_thickness == pytest.approx((28 - 20 * 0.8) / 19 * MM, rel=1e-12)
    assert np.all(ids >= 0)


def test_square_pins_exact_and_counts():
    pins = PinFinArray((0, 0, 1 * MM), (10 * MM, 8 * MM, 4 * MM), diameter=1 * MM,
                       pitch=(2 * MM, 2 * MM), shape="square", material="copper")
    # 10 mm holds 5 pins at 2 mm pitch, 8 mm holds 4 (centred: margins 0.5 mm and 0.5 mm)
    assert pins.pin_count == 20
    centers = pins.pin_centers()
    assert np.allclose(np.unique(centers[:, 0]), [1, 3, 5, 7, 9] * np.array(MM))
    assert np.allclose(np.unique(centers[:, 1]), [1, 3, 5, 7] * np.array(MM))
    grid = snapped_grid([pins], 0.25 * MM)
    assert painted_volume(grid, pins) == pytest.approx(pins.volume(), rel=1e-12)


def test_staggered_pins_layout():
    pins = PinFinArray((0, 0, 0), (10 * MM, 8 * MM, 2 * MM), diameter=1 * MM,
                       pitch=(2 * MM, 2 * MM), staggered=True, shape="square",
                       material="copper")
    # rows of 5, 4, 5, 4 pins; odd rows sit midway between the pins of even rows
    assert pins.pin_count == 18
    centers = pins.pin_centers()
    odd_row = centers[np.isclose(centers[:, 1], 3 * MM)]
    assert np.allclose(odd_row[:, 0], [2, 4, 6, 8] * np.array(MM))
    grid = snapped_grid([pins], 0.25 * MM)
    assert painted_volume(grid, pins) == pytest.approx(pins.volume(), rel=1e-12)


@pytest.mark.parametrize("axis", ["x", "y", "z"])
def test_pins_along_each_axis(axis):
    lower, upper = np.zeros(3), np.full(3, 6 * MM)
    a = "xyz".index(axis)
    upper[a] = 2 * MM
    pins = PinFinArray(lower, upper, 1 * MM, (2 * MM, 2 * MM), axis=axis, shape="square",
                       material="copper")
    assert pins.pin_count == 9
    grid = snapped_grid([pins], 0.25 * MM)
    assert painted_volume(grid, pins) == pytest.approx(pins.volume(), rel=1e-12)


# -- staircase convergence of curved bodies ---------------------------------------------------

def test_cylinder_volume_converges():
    """Staircased cylinder volume -> pi r^2 L: within 2% at r/h = 10, 0.2% at r/h = 80."""
    cylinder = Cylinder((5 * MM, 5 * MM, 0), "z", radius=4 * MM, length=2 * MM,
                        material="copper")
    errors = []
    for cells_per_radius in (10, 20, 40, 80):
        grid = snapped_grid([cylinder], 4 * MM / cells_per_radius,
                            bounds=[(0, 10 * MM), (0, 10 * MM), (0, 2 * MM)])
        errors.append(abs(painted_volume(grid, cylinder) / cylinder.volume() - 1))
    assert errors[0] < 0.02
    assert errors[-1] < 0.002
    assert errors[-1] < errors[0] / 4


@pytest.mark.parametrize("axis", ["x", "y"])
def test_cylinder_along_other_axes(axis):
    """A cylinder along x or y paints the same cells as the z one, permuted (exact)."""
    along_z = Cylinder((3 * MM, 3 * MM, 0), "z", 2 * MM, 5 * MM, material="copper")
    centre = [3 * MM, 3 * MM, 3 * MM]
    centre["xyz".index(axis)] = 0.0
    rotated = Cylinder(centre, axis, 2 * MM, 5 * MM, material="copper")
    grid_z = Grid.uniform((6 * MM, 6 * MM, 5 * MM), (24, 24, 20))
    lengths, shape = [6 * MM] * 3, [24] * 3
    lengths["xyz".index(axis)], shape["xyz".index(axis)] = 5 * MM, 20
    grid_r = Grid.uniform(lengths, shape)
    assert body_mask(grid_r, rotated).sum() == body_mask(grid_z, along_z).sum()


def test_round_pins_converge():
    """25 round pins of 1 mm: within 2% at d/h = 10 and 0.6% at d/h >= 20."""
    pins = PinFinArray((0, 0, 0), (10 * MM, 10 * MM, 2 * MM), 1 * MM, (2 * MM, 2 * MM),
                       material="copper")
    assert pins.pin_count == 25
    errors = []
    for cells_per_diameter in (10, 20, 40):
        grid = snapped_grid([pins], 1 * MM / cells_per_diameter)
        errors.append(abs(painted_volume(grid, pins) / pins.volume() - 1))
    assert errors[0] < 0.02
    assert max(errors[1:]) < 0.006


# -- painting ---------------------------------------------------------------------------------

def test_paint_order_and_empty_cells():
    grid = Grid.uniform((10 * MM, 10 * MM, 10 * MM), (10, 10, 10))
    base = Box((0, 0, 0), (10 * MM, 10 * MM, 5 * MM), material="copper", name="base")
    insert = Box((2 * MM, 2 * MM, 0), (4 * MM, 4 * MM, 5 * MM), material="water", name="insert")
    ids = paint(grid, [base, insert], {"water": 7, "copper": 3})
    assert ids.dtype == np.int32 and ids.shape == (10, 10, 10)
    assert np.all(ids[:, :, 5:] == -1)
    assert np.all(ids[2:4, 2:4, :5] == 7)
    assert np.count_nonzero(ids == 3) == 100 * 5 - 4 * 5
    # reversed order: the base covers the insert
    assert np.all(paint(grid, [insert, base], {"water": 7, "copper": 3})[:, :, :5] == 3)


def test_default_material_index_and_unknown_material():
    bodies = [Box((0, 0, 0), (1, 1, 1), material="copper"),
              Box((0, 0, 0), (1, 1, 0.5), material="water"),
              Box((0, 0, 0), (0.5, 1, 1), material="copper")]
    assert material_index_for(bodies) == {"copper": 0, "water": 1}
    grid = Grid.uniform((1, 1, 1), (4, 4, 4))
    assert set(np.unique(paint(grid, bodies)).tolist()) == {0, 1}
    with pytest.raises(GeometryError, match="Box 'box'.*'water' has no id"):
        paint(grid, bodies, {"copper": 0})


def test_body_mask_matches_contains_everywhere():
    """The bounding-box shortcut in body_mask gives the same cells as testing every centre."""
    grid = Grid.uniform((12 * MM, 10 * MM, 4 * MM), (37, 29, 11))
    bodies = [
        Cylinder((6 * MM, 5 * MM, 1 * MM), "z", 3.3 * MM, 2 * MM, material="a"),
        FinArray((1 * MM, 1 * MM, 0), (11 * MM, 9 * MM, 3 * MM), 7, 0.4 * MM, "y", material="a"),
        PinFinArray((0, 0, 0), (12 * MM, 10 * MM, 4 * MM), 1.1 * MM, (2 * MM, 1.5 * MM),
                    staggered=True, material="a"),
        ChannelArray((2 * MM, 0, 1 * MM), (10 * MM, 10 * MM, 2 * MM), 5, 0.7 * MM, "y",
                     material="a"),
    ]
    x, y, z = grid.centers
    for body in bodies:
        full = body.contains(x[:, None, None], y[None, :, None], z[None, None, :])
        assert np.array_equal(body_mask(grid, body), np.broadcast_to(full, grid.shape))


def test_body_outside_grid_paints_nothing():
    grid = Grid.uniform((1, 1, 1), (4, 4, 4))
    far = Box((2, 2, 2), (3, 3, 3), material="copper")
    assert not body_mask(grid, far).any()


def test_breakpoints_accept_axis_names_and_numbers():
    cylinder = Cylinder((1, 2, 3), "y", radius=0.5, length=2, material="copper")
    assert np.array_equal(cylinder.breakpoints("y"), cylinder.breakpoints(1))
    assert np.array_equal(cylinder.breakpoints("y"), [2, 4])
    assert np.array_equal(cylinder.breakpoints("x"), [0.5, 1, 1.5])
    assert cylinder.bounding_box() == ((0.5, 2, 2.5), (1.5, 4, 3.5))
    with pytest.raises(GeometryError, match="axis"):
        cylinder.breakpoints("w")


def test_bodies_are_hashable_values():
    a = Box((0, 0, 0), (1, 1, 1), material="copper", name="lid")
    b = Box([0, 0, 0], np.ones(3), material="copper", name="lid")
    assert a == b and hash(a) == hash(b)


# -- degenerate primitives --------------------------------------------------------------------

@pytest.mark.parametrize("make, message", [
    (lambda: Box((0, 0, 0), (1, 0, 1), material="copper", name="lid"),
     r"Box 'lid'.*max must exceed min.*y: 0\.\.0"),
    (lambda: Box((0, 0), (1, 1), material="copper", name="lid"), r"Box 'lid'.*three"),
    (lambda: Box((0, 0, 0), (1, 1, 1), material="", name="lid"), r"Box 'lid'.*material"),
    (lambda: Cylinder((0, 0, 0), "z", 0.0, 1.0, material="copper", name="post"),
     r"Cylinder 'post'.*radius must be > 0"),
    (lambda: Cylinder((0, 0, 0), "z", 1.0, -1.0, material="copper", name="post"),
     r"Cylinder 'post'.*length must be > 0"),
    (lambda: Cylinder((0, 0, 0), "r", 1.0, 1.0, material="copper", name="post"),
     r"Cylinder 'post'.*axis"),
    (lambda: FinArray((0, 0, 0), (10, 1, 1), 11, 1.0, material="copper", name="fins"),
     r"FinArray 'fins'.*11 fins of 1 m do not fit in the 10 m envelope"),
    (lambda: FinArray((0, 0, 0), (10, 1, 1), 0, 0.1, material="copper", name="fins"),
     r"FinArray 'fins'.*count"),
    (lambda: FinArray((0, 0, 0), (10, 1, 1), 3, 0.1, "z", material="copper", name="fins"),
     r"FinArray 'fins'.*stack_axis"),
    (lambda: ChannelArray((0, 0, 0), (1, 10, 1), 6, 2.0, "x", material="water", name="ch"),
     r"ChannelArray 'ch'.*6 channels of 2 m do not fit"),
    (lambda: ChannelArray((0, 0, 0), (1, 10, 1), 6, 0.0, "x", material="water", name="ch"),
     r"ChannelArray 'ch'.*width must be > 0"),
    (lambda: PinFinArray((0, 0, 0), (1, 1, 1), 0.3, (0.2, 0.4), material="copper", name="pins"),
     r"PinFinArray 'pins'.*exceeds the pitch"),
    (lambda: PinFinArray((0, 0, 0), (1, 0.1, 1), 0.2, (0.3, 0.3), material="copper", name="pins"),
     r"PinFinArray 'pins'.*no pin.*fits"),
    (lambda: PinFinArray((0, 0, 0), (1, 1, 1), 0.1, (0.2, 0.2), shape="hex", material="copper",
                         name="pins"), r"PinFinArray 'pins'.*shape"),
])
def test_degenerate_primitives_raise_with_body_name(make, message):
    with pytest.raises(GeometryError, match=message):
        make()


def test_fins_that_exactly_fill_the_envelope_are_allowed():
    fins = FinArray((0, 0, 0), (1.0, 1, 1), 4, 0.25, material="copper")
    assert fins.gap == pytest.approx(0.0, abs=1e-15)
    grid = Grid.uniform((1, 1, 1), (8, 2, 2))
    assert body_mask(grid, fins).all()


def test_docs_geometry_example_runs():
    """The example in docs/geometry.md, with one number pinned so the example cannot rot."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "geometry.md").read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code.replace("print(", "str("), "docs/geometry.md", "exec"), namespace)
    fins, grid = namespace["fins"], namespace["grid"]
    volumes = np.broadcast_to(np.asarray(grid.cell_volumes()), grid.shape)
    assert volumes[fins].sum() == pytest.approx(41 * 2e-4 * 0.05 * 0.003, rel=1e-12)
    assert set(np.unique(namespace["ids"]).tolist()) == {0, 1}
