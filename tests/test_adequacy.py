"""Adequacy warnings of a cold plate (solver.adequacy): each fires on a case built to trigger it
and stays silent on the examples that are adequate.

The bar of four cells across a passage: a laminar channel profile (parabolic, Shah & London,
Laminar Flow Forced Convection in Ducts, 1978) resolved by one or two cells degenerates to plug
flow, so wall shear, pressure drop and the wall heat-transfer coefficient come out wrong (the
issue measured a third of the laminar pressure drop on the demo plate's one-cell channels).
The bars on cell shape (10 across a passage, 1.3 between neighbours), the coolant's property
range, the characterized power and the grid-study line are those of solver.adequacy's module
docstring (ANSYS Fluent mesh-quality guidance; Ferziger & Peric sec. 3.3.4).
"""

import copy
import tomllib
from pathlib import Path

import numpy as np
import pytest

from solver.adequacy import (
    case_warnings,
    cells_across,
    characterized_power_warnings,
    coolant_growth,
    coolant_range_warnings,
    cross_aspect_ratios,
    grid_study_status,
    run_lengths,
    symmetry_sides,
)
from solver.backend import CPU
from solver.case import case_from_dict, load_case
from solver.grid import Grid
from solver.materials import get_coolant
from solver.setup import boundary_conditions, build_solid_model
from solver.units import ZERO_CELSIUS

ROOT = Path(__file__).resolve().parents[1]
PLATE = ROOT / "tests" / "models" / "data" / "small_chip_plate.toml"


def _warnings(case):
    model = build_solid_model(case, CPU)
    return case_warnings(case, model.grid, model.body_ids)


def test_run_lengths_by_hand():
    """Runs of coolant along a row, counted by hand; a run that reaches a symmetry plane
    continues in its mirror image (twice as long)."""
    row = np.array([True, True, False, True, True, True, False, True])
    assert run_lengths(row, 0).tolist() == [2, 2, 0, 3, 3, 3, 0, 1]
    assert run_lengths(row, 0, (True, False)).tolist() == [4, 4, 0, 3, 3, 3, 0, 1]
    assert run_lengths(row, 0, (False, True)).tolist() == [2, 2, 0, 3, 3, 3, 0, 2]
    # a 3 x 5 block of coolant in a 5 x 7 plane: 3 cells across it, whatever the direction
    plane = np.zeros((5, 7, 1), dtype=bool)
    plane[1:4, 1:6, 0] = True
    assert set(cells_across(plane)[plane].tolist()) == {3}


def test_under_resolved_channels_and_an_inlet_on_channel_ends_are_flagged():
    """The test plate (1 mm channels on a 1 mm grid, the inlet spread over the four channel
    ends): both warnings, with the numbers; refined to 0.25 mm (4 cells across the 1 mm width)
    the resolution warning goes and the inlet one stays."""
    coarse = _warnings(load_case(PLATE))
    assert len(coarse) == 2
    assert "100 % of the coolant cells have fewer than 4 cells across" in coarse[0]
    assert "(median 1)" in coarse[0] and "max_spacing" in coarse[0]
    assert "inlet 'inlet' opens directly onto 4 separate passages" in coarse[1]
    raw = copy.deepcopy(tomllib.loads(PLATE.read_text()))
    raw["grid"]["max_spacing"] = "0.25 mm"
    fine = _warnings(case_from_dict(raw, PLATE))
    assert len(fine) == 1 and "4 separate passages" in fine[0]


def test_adequate_examples_are_silent():
    """The peer unit cell (2 cells across its half channel, on a symmetry plane: 4 across the
    channel), the channel plate and the rack demo plate (plenums feed their channels; 4 cells
    across each channel; cells within 10:1 across the flow and 1.3 between neighbours) give no
    warning."""
    unit_cell = load_case(ROOT / "cases" / "coldplate_unit_cell.toml")
    assert symmetry_sides(None, boundary_conditions(unit_cell))[1] == (True, True)
    assert _warnings(unit_cell) == []
    assert _warnings(load_case(ROOT / "cases" / "coldplate_channels.toml")) == []
    assert _warnings(load_case(ROOT / "cases" / "rack_gpu_plate.toml")) == []


def _plate(**grid):
    """The test plate with its [grid] section updated by ``grid``."""
    raw = copy.deepcopy(tomllib.loads(PLATE.read_text()))
    raw["grid"].update(grid)
    return case_from_dict(raw, PLATE)


def test_cross_aspect_ratio_by_hand():
    """A duct along x, 0.1 mm cells across y and 1.2 mm up z: every coolant cell's edges across
    the flow are 12:1, whatever its length along the flow (2 mm)."""
    grid = Grid(np.arange(0, 11) * 2e-3, np.arange(0, 6) * 1e-4, np.arange(0, 5) * 1.2e-3)
    fluid = np.ones(grid.shape, bool)
    assert np.allclose(cross_aspect_ratios(grid, fluid)[fluid], 12.0)


def test_cells_stretched_across_the_channels_are_flagged():
    """The test plate's 1 mm wide, 2 mm tall channels on 0.04 mm across y and 0.5 mm up z
    (25 and 4 cells across): the cross-section cells are 12.5:1, flagged with the number and
    the key to change; on 0.25 mm cubes (4 and 8 across) the warning goes."""
    notes = _warnings(_plate(max_spacing=["1 mm", "0.04 mm", "0.5 mm"]))
    (stretched,) = [n for n in notes if "stretched across" in n]
    assert "edge ratio up to 12.5 across the flow (limit 10" in stretched
    assert "100 % of the coolant cells above it" in stretched and "max_spacing" in stretched
    assert not any("stretched across" in n for n in _warnings(_plate(max_spacing="0.25 mm")))


def test_growth_by_hand():
    """Cell widths 1, 1, 2, 1 mm along x in a coolant row: the largest neighbour ratio is 2,
    along x, at the 1 mm cell beside the 2 mm one; a solid cell between them hides the jump."""
    grid = Grid([0.0, 1e-3, 2e-3, 4e-3, 5e-3], [0.0, 1e-3], [0.0, 1e-3])
    fluid = np.ones(grid.shape, bool)
    ratio, axis, where = coolant_growth(grid, fluid)
    assert (ratio, axis) == (pytest.approx(2.0), 0)
    assert where[0] == pytest.approx(1.5e-3) or where[0] == pytest.approx(4.5e-3)
    fluid[2] = False
    assert coolant_growth(grid, fluid)[0] == pytest.approx(1.0)


def test_sizes_that_jump_are_flagged():
    """A refinement box (0.05 mm along x over 9..11 mm) graded at growth ratio 3 into 0.25 mm
    cells: coolant cells jump by more than 1.3, flagged along x with the keys to change;
    graded at 1.2 the warning goes."""
    refine = [{"min": ["9 mm", "0 mm", "0 mm"], "max": ["11 mm", "10 mm", "4.5 mm"],
               "max_spacing": ["0.05 mm", "0.25 mm", "0.25 mm"]}]
    notes = _warnings(_plate(max_spacing="0.25 mm", growth_ratio=3.0, refine=refine))
    (jump,) = [n for n in notes if "sizes jump" in n]
    assert "between neighbours along x" in jump and "growth_ratio" in jump
    assert float(jump.split("jump by ")[1].split()[0]) > 1.3
    smooth = _warnings(_plate(max_spacing="0.25 mm", growth_ratio=1.2, refine=refine))
    assert not any("sizes jump" in n for n in smooth)


def test_coolant_outside_its_property_range_is_flagged():
    """PG25's Melinder (2010) correlations hold from its freezing point (-9.8 C) to 100 C: a
    hottest coolant cell at 107 C and an inlet at -15 C are named with their temperatures;
    35 C in, 45 C out, 80 C at the wall is silent."""
    pg25 = get_coolant("PG25")
    t = {"inlet": ZERO_CELSIUS - 15.0, "outlet": ZERO_CELSIUS + 45.0,
         "hottest coolant cell (at a wall)": ZERO_CELSIUS + 107.0}
    (note,) = coolant_range_warnings(pg25, t)
    assert "(-9.8 C to 100.0 C)" in note
    assert "inlet -15.0 C" in note and "hottest coolant cell (at a wall) 107.0 C" in note
    assert "outlet" not in note.split(":")[1]
    inside = {"inlet": ZERO_CELSIUS + 35, "outlet": ZERO_CELSIUS + 45,
              "hottest": ZERO_CELSIUS + 80}
    assert coolant_range_warnings(pg25, inside) == []


def test_plates_run_beyond_their_characterized_power_are_flagged():
    """The coupled rack's GPU plates are characterized at the plate case's 1 kW and run at 1 kW
    at the design point (silent) but at 1.4 kW in its 'power x1.4' scenario (flagged, +40 %
    beyond the 10 % bound); without that scenario nothing is flagged."""
    rack = load_case(ROOT / "cases" / "rack_coupled.toml")
    plates = {"gpu": load_case(ROOT / "cases" / "rack_gpu_plate.toml")}
    (note,) = characterized_power_warnings(rack, plates)
    assert note.startswith("plates of group 'gpu' run at 1,400 W at scenario 'power x1.4'")
    assert "characterized at 1,000 W" in note and "design point" not in note
    plain = rack.model_copy(update={"scenarios": [s for s in rack.scenarios
                                                  if s.kind != "power_scale"]})
    assert characterized_power_warnings(plain, plates) == []


def test_grid_study_status():
    """The channel plate states its grid study ([grid] study, from
    benchmarks/coldplate_grid_study.py); the demo plate states none and is told how."""
    channels = grid_study_status(load_case(ROOT / "cases" / "coldplate_channels.toml"))
    assert channels.startswith("grid study: benchmarks/coldplate_grid_study.py")
    assert "GCI" in channels
    demo = grid_study_status(load_case(ROOT / "cases" / "rack_gpu_plate.toml"))
    assert demo.startswith("no grid study stated ([grid] study)")


def test_a_flow_beyond_laminar_is_flagged():
    """Duct flow stops being laminar near Re = 2300 (Incropera & DeWitt, Fundamentals of Heat
    and Mass Transfer, sec. 8.1.1): above it the laminar model is flagged; the test plate's
    0.2 L/min (Re about 700) and a closed box (no Reynolds number) are not."""
    from solver.adequacy import flow_warnings

    (note,) = flow_warnings({"reynolds_number": 5200.0})
    assert note.startswith("inlet Reynolds number 5,200 is beyond laminar duct flow")
    assert flow_warnings({"reynolds_number": 694.0}) == []
    assert flow_warnings({"reynolds_number": None}) == []


def test_check_prints_the_warnings_and_the_grid_study_line():
    """`coolsim check` (solver.cli.describe_case): the rack demo plate prints no warning and
    its grid-study line; the test plate on stretched cells prints the stretch warning."""
    from solver.cli import describe_case

    demo = describe_case(load_case(ROOT / "cases" / "rack_gpu_plate.toml")).splitlines()
    assert not any("warning:" in line for line in demo)
    assert demo[-1].strip().startswith("no grid study stated")
    stretched = describe_case(_plate(max_spacing=["1 mm", "0.04 mm", "0.5 mm"]))
    assert "warning: coolant cells stretched across their passage" in stretched


def test_an_unconverged_steady_solve_is_flagged():
    """A steady solve stopped at its limits names its last continuity residual and iterations
    and points at the time-averaged mode and, for 2-cell passages, the linear wall gradient;
    unknown figures are left out."""
    from solver.adequacy import unconverged_flow_warning

    note = unconverged_flow_warning({"continuity_residual": 0.153, "flow_iterations": 1500})
    assert note.startswith("the steady solve stopped at its iteration limits without "
                           "converging (continuity residual 1.5e-01, 1500 flow iterations)")
    assert 'mode = "time_averaged"' in note and "max_iterations" in note
    assert 'wall_gradient = "linear"' in note
    assert unconverged_flow_warning({}).startswith(
        "the steady solve stopped at its iteration limits without converging: pressure drop")
