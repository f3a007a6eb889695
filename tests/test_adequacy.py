"""Adequacy warnings of a cold plate (solver.adequacy): each fires on a case built to trigger it
and stays silent on the examples that are adequate.

The bar of four cells across a passage: a laminar channel profile (parabolic, Shah & London,
Laminar Flow Forced Convection in Ducts, 1978) resolved by one or two cells degenerates to plug
flow, so wall shear, pressure drop and the wall heat-transfer coefficient come out wrong (the
issue measured a third of the laminar pressure drop on the demo plate's one-cell channels).
"""

import copy
import tomllib
from pathlib import Path

import numpy as np

from solver.adequacy import case_warnings, cells_across, run_lengths, symmetry_sides
from solver.backend import CPU
from solver.case import case_from_dict, load_case
from solver.setup import boundary_conditions, build_solid_model

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
    channel) and the channel plate (a plenum feeds its channels) give no warning."""
    unit_cell = load_case(ROOT / "cases" / "coldplate_unit_cell.toml")
    assert symmetry_sides(None, boundary_conditions(unit_cell))[1] == (True, True)
    assert _warnings(unit_cell) == []
    assert _warnings(load_case(ROOT / "cases" / "coldplate_channels.toml")) == []


def test_a_flow_beyond_laminar_is_flagged():
    """Duct flow stops being laminar near Re = 2300 (Incropera & DeWitt, Fundamentals of Heat
    and Mass Transfer, sec. 8.1.1): above it the laminar model is flagged; the test plate's
    0.2 L/min (Re about 700) and a closed box (no Reynolds number) are not."""
    from solver.adequacy import flow_warnings

    (note,) = flow_warnings({"reynolds_number": 5200.0})
    assert note.startswith("inlet Reynolds number 5,200 is beyond laminar duct flow")
    assert flow_warnings({"reynolds_number": 694.0}) == []
    assert flow_warnings({"reynolds_number": None}) == []
