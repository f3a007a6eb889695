"""Magnitudes a cooling engineer would not expect (solver.plausibility): the inlet velocity the
check compares is the one the flow solver imposes, Q over the inlet's coolant faces (computed by
hand here); each warning fires just above its threshold and not just below; impossible values
are refused with the key. Thresholds and their sources are in the module docstring (Mach 0.3 of
water's 1480 m/s; copper erosion-corrosion 1.5 to 2.4 m/s, Copper Tube Handbook; tungsten's
3695 K; JEDEC JESD22-A104; Incropera Table 1.1; Tuckerman and Pease 1981)."""

import copy
import tomllib
from pathlib import Path

import pytest
from box_case import box_case  # noqa: E402 (tests/ on the path)

from solver.backend import CPU
from solver.case import CaseError, case_from_dict
from solver.plausibility import (
    EROSION_VELOCITY,
    MAX_CONVECTION_H,
    MAX_HEAT_FLUX,
    MAX_INLET_VELOCITY,
    check_magnitudes,
)
from solver.setup import build_solid_model, fluid_cells

ROOT = Path(__file__).resolve().parents[1]
PLATE = ROOT / "tests" / "models" / "data" / "small_chip_plate.toml"
RAW = tomllib.loads(PLATE.read_text())
# the inlet's coolant faces: four 1 mm wide channels, 2 mm high (z 1.5 .. 3.5 mm), on x_min
INLET_AREA = 4 * 1e-3 * 2e-3  # [m2]
DIE_AREA = 8e-3 * 6e-3  # [m2] the die's plan (the chip's default footprint)


def _notes(raw):
    case = case_from_dict(raw, PLATE)
    model = build_solid_model(case, CPU)
    return check_magnitudes(case, model.grid, fluid_cells(case, model.body_ids))


def _with(change):
    raw = copy.deepcopy(RAW)
    change(raw)
    return raw


def _flow(q):
    def change(raw):
        raw["boundaries"][0]["volumetric_flow"] = q
    return change


def test_inlet_velocity_is_the_flow_over_the_coolant_faces():
    """Just above the erosion threshold the warning names the key and the velocity Q / A to
    three figures (A by hand: 8 mm2); just below, nothing."""
    above = 1.01 * EROSION_VELOCITY * INLET_AREA
    (note,) = _notes(_with(_flow(above)))
    assert note.startswith("boundaries[0].volumetric_flow: inlet velocity "
                           f"{above / INLET_AREA:.3g} m/s")
    assert _notes(_with(_flow(0.99 * EROSION_VELOCITY * INLET_AREA))) == []


def test_inlet_velocity_beyond_incompressible_flow_is_refused():
    raw = _with(_flow(1.01 * MAX_INLET_VELOCITY * INLET_AREA))
    with pytest.raises(CaseError) as error:
        _notes(raw)
    assert error.value.key_path == "boundaries[0].volumetric_flow"
    assert f"at most {MAX_INLET_VELOCITY:.0f} m/s" in str(error.value)
    assert len(_notes(_with(_flow(0.99 * MAX_INLET_VELOCITY * INLET_AREA)))) == 1  # a warning


def test_chip_heat_flux_over_1_kw_per_cm2_warns():
    def power(watts):
        def change(raw):
            raw["chips"][0]["power"] = watts
        return change

    (note,) = _notes(_with(power(1.01 * MAX_HEAT_FLUX * DIE_AREA)))
    assert note.startswith("chips[0].power: a heat flux of 1010 W/cm2")
    assert _notes(_with(power(0.99 * MAX_HEAT_FLUX * DIE_AREA))) == []


def _convection(h, ambient):
    def change(raw):
        raw["boundaries"].append({"name": "lid", "side": "z_max", "type": "convection",
                                  "h": h, "ambient_temperature": ambient})
    return change


def test_convection_and_temperatures_warn_outside_their_ranges():
    assert _notes(_with(_convection(0.99 * MAX_CONVECTION_H, "149 C"))) == []
    notes = _notes(_with(_convection(1.01 * MAX_CONVECTION_H, "151 C")))
    assert [n.split(":")[0] for n in notes] == ["boundaries[2].h",
                                                "boundaries[2].ambient_temperature"]
    assert _notes(_with(_convection(10.0, "-64 C"))) == []
    assert len(_notes(_with(_convection(10.0, "-66 C")))) == 1


def test_a_temperature_no_solid_survives_is_refused():
    with pytest.raises(CaseError) as error:
        _notes(_with(_convection(10.0, "3700 K")))
    assert error.value.key_path == "boundaries[2].ambient_temperature"
    assert len(_notes(_with(_convection(10.0, "3690 K")))) == 1  # a warning only


def test_a_run_summary_carries_the_warnings(tmp_path, capsys):
    """``coolsim run`` prints the same warning as ``check`` and keeps it in summary.json."""
    import json

    from solver.cli import main

    case = tmp_path / "box.toml"
    case.write_text(box_case(("10 mm", "10 mm", "2 mm"), "10 W", "200 C",
                             "[output]\nwrite_images = false\n"))
    assert main(["check", str(case)]) == 0
    (warning,) = [line.strip() for line in capsys.readouterr().out.splitlines()
                  if "warning" in line]
    assert main(["run", str(case), "--output", str(tmp_path), "--quiet"]) == 0
    assert warning in capsys.readouterr().out
    summary = json.loads((tmp_path / "box" / "summary.json").read_text())
    assert summary["warnings"] == [warning.removeprefix("warning: ")]
