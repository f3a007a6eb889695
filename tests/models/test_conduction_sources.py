"""Chip heat sources, power maps and boundary patches (placement, override, exact totals).

The checks are exact by construction: the chip power is distributed so that sum(q V) equals the
requested power to round-off (tolerance 1e-12 relative), and a power map's share on any
sub-rectangle aligned with grid lines equals its integral over that rectangle.
"""

import numpy as np
import pytest

from solver.boundaries import (
    Adiabatic,
    Convection,
    FixedTemperature,
    HeatFlux,
    Inlet,
    Outlet,
    Patch,
    Symmetry,
    Wall,
    boundary_names,
    face_owners,
)
from solver.case import load_power_map
from solver.grid import Grid
from solver.models.energy import (
    chip_heat_source,
    material_conductivity,
    patch_heat_flows,
    solve_conduction,
)


def _die_grid(backend):
    """40 x 40 mm plate, die 28 x 28 mm at the centre on top (non-uniform cells)."""
    x = np.unique(np.concatenate([np.linspace(0, 0.006, 4), np.linspace(0.006, 0.034, 15),
                                  np.linspace(0.034, 0.04, 4)]))
    z = np.array([0.0, 0.001, 0.002, 0.003, 0.0035, 0.0040, 0.0045])
    grid = Grid(x, x, z, backend=backend)
    ids = np.zeros(grid.shape, dtype=np.int32)
    die = (slice(3, 17), slice(3, 17), slice(4, None))
    ids[die] = 2
    return grid, ids


def test_chip_power_exact_total(backend):
    grid, ids = _die_grid(backend)
    q = chip_heat_source(grid, ids, 2, 1000.0)
    volumes = backend.to_host(grid.cell_volumes())
    q_host = backend.to_host(q)
    assert np.sum(q_host * volumes) == pytest.approx(1000.0, rel=1e-12)
    assert np.all(q_host[ids != 2] == 0.0)
    # uniform volumetric density inside the die
    assert np.ptp(q_host[ids == 2]) <= 1e-9 * q_host.max()


def test_chip_footprint_partial_cells(backend):
    """A footprint that cuts cells: power follows the overlapped area, total still exact."""
    grid, ids = _die_grid(backend)
    footprint = ((0.010, 0.0213), (0.012, 0.030))
    q = backend.to_host(chip_heat_source(grid, ids, 2, 250.0, footprint))
    volumes = backend.to_host(grid.cell_volumes())
    assert np.sum(q * volumes) == pytest.approx(250.0, rel=1e-12)
    x, y = np.meshgrid(*grid.centers[:2], indexing="ij")
    outside = (grid.x_faces[1:, None] <= 0.010) | (grid.x_faces[:-1, None] >= 0.0213) \
        | (grid.y_faces[None, 1:] <= 0.012) | (grid.y_faces[None, :-1] >= 0.030)
    assert np.all(q[outside] == 0.0)
    with pytest.raises(ValueError, match="no cell of body"):
        chip_heat_source(grid, ids, 7, 10.0)


def test_power_map_from_csv(tmp_path, backend):
    """A 2 x 4 map (rows = y strips from y0 upward, columns = x strips): each quadrant of the
    footprint receives exactly its share of the map's total."""
    path = tmp_path / "map.csv"
    path.write_text("# hot spot in the upper right\n1,1,1,1\n1,1,3,5\n")
    weights = load_power_map(path)
    assert weights.shape == (2, 4)
    grid = Grid(np.linspace(0, 0.04, 41), np.linspace(0, 0.04, 41), [0, 0.001, 0.002],
                backend=backend)
    ids = np.zeros(grid.shape, dtype=np.int32)
    footprint = ((0.006, 0.034), (0.006, 0.034))
    weights = load_power_map(path)
    q = backend.to_host(chip_heat_source(grid, ids, 0, 140.0, footprint, power_map=weights))
    power = q * backend.to_host(grid.cell_volumes())
    assert power.sum() == pytest.approx(140.0, rel=1e-12)
    # upper-right map cell: x in [0.027, 0.034], y in [0.020, 0.034] (x strips 7 mm wide)
    xs = slice(27, 34)
    ys = slice(20, 34)
    assert power[xs, ys].sum() == pytest.approx(140.0 * 5 / 14, rel=1e-12)
    for bad in ("1,-1\n", "a,b\n", "0,0\n"):
        path.write_text(bad)
        with pytest.raises(ValueError):
            load_power_map(path)
    with pytest.raises(FileNotFoundError):
        load_power_map(tmp_path / "missing.csv")


def test_patch_face_mask_and_override():
    grid = Grid(np.linspace(0, 0.01, 11), np.linspace(0, 0.02, 5), np.linspace(0, 0.003, 4))
    whole = Patch("z_max")
    part = Patch("z_max", ((0.002, 0.006), (0.0, 0.01)))
    assert whole.face_mask(grid).shape == (10, 4)
    mask = part.face_mask(grid)
    assert mask.sum() == 4 * 2  # x centres 0.0025..0.0055, y centres 0.0025, 0.0075
    assert part.area(grid) == pytest.approx(0.004 * 0.01)
    assert Patch("x_min").face_mask(grid).shape == (4, 3)
    assert Patch("y_max", ((0.0, 0.01), (0.0, 0.001))).face_mask(grid).shape == (10, 3)

    bcs = [Convection(Patch("z_max"), 100.0, 300.0), HeatFlux(part, 1e4), Wall(Patch("z_max")),
           Symmetry(Patch("z_max"))]
    owners = face_owners(grid, bcs, "z_max")
    assert np.all(owners[mask] == 1) and np.all(owners[~mask] == 0)  # Wall/Symmetry neutral
    assert boundary_names(bcs) == ["convection_z_max", "heatflux_z_max", "wall_z_max",
                                   "symmetry_z_max"]
    # a later adiabatic patch cuts a hole in the convection patch
    bcs = [Convection(Patch("z_max"), 100.0, 300.0), Adiabatic(part, name="hole")]
    owners = face_owners(grid, bcs, "z_max")
    assert np.all(owners[mask] == 1)
    with pytest.raises(ValueError):
        Patch("top")
    with pytest.raises(ValueError):
        Patch("z_min", ((1.0, 0.0), (0.0, 1.0)))
    with pytest.raises(ValueError):
        Inlet(Patch("x_min"), velocity=1.0, mass_flow=0.1, temperature=300.0)
    with pytest.raises(ValueError):
        Convection(Patch("x_min"), -1.0, 300.0)
    assert Outlet(Patch("x_max")).pressure == 0.0


def test_overlapping_patches_balance(backend):
    """Fixed temperature overridden by a heat flux on part of the same side: the flux patch
    carries exactly q A, the balance closes."""
    grid = Grid.uniform((0.01, 0.01, 0.002), (10, 10, 4), backend=backend)
    part = Patch("z_max", ((0.0, 0.005), (0.0, 0.01)))
    bcs = [FixedTemperature(Patch("z_max"), 320.0), HeatFlux(part, 5e4),
           Convection(Patch("z_min"), 2000.0, 300.0)]
    result = solve_conduction(grid, 200.0, bcs, 0.0)
    flows = result.energy_balance["patch_heat_flows"]
    assert flows["heatflux_z_max"] == pytest.approx(5e4 * 0.005 * 0.01, rel=1e-12)
    assert result.energy_balance["relative_imbalance"] < 1e-6
    again = patch_heat_flows(grid, result.temperature, 200.0, bcs)
    assert again == pytest.approx(flows, rel=1e-12)


def test_material_conductivity_and_progress(backend):
    """k(T) per material id (empty id -1 gives k = 0); the progress hook sees every Picard pass."""
    from solver.materials import Solid

    grid = Grid.uniform((0.01, 0.01, 0.004), (4, 4, 4), backend=backend)
    ids = np.zeros(grid.shape, dtype=np.int32)
    ids[:, :, 2:] = 1
    ids[0, 0, :] = -1
    copper = Solid.constant("cu", 390.0, 8900.0, 385.0)
    silicon = Solid.from_table("si", [300.0, 400.0], [150.0, 100.0], 2330.0, 700.0)
    conductivity = material_conductivity(backend.asarray(ids), [copper, silicon])
    k = backend.to_host(conductivity(grid.full(350.0)))
    assert k[ids == 0] == pytest.approx(390.0)
    assert k[ids == 1] == pytest.approx(125.0)
    assert np.all(k[ids == -1] == 0.0)

    calls = []
    result = solve_conduction(grid, conductivity,
                              [Convection(Patch("z_min"), 1e4, 300.0),
                               HeatFlux(Patch("z_max"), 1e6)], 0.0,
                              progress=lambda it, residuals, monitors: calls.append(
                                  (it, residuals["temperature_change_K"])))
    assert result.converged
    assert [c[0] for c in calls] == list(range(1, len(result.outer_history) + 1))
    assert calls[-1][1] < 1e-4
