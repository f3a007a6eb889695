"""The coupled rack: network with characterized plates, 3D solves at the operating points.

The "3D" plate here is analytic (fast) but, like the real one, depends on its inlet temperature
through the coolant viscosity: dP falls 1 %/K and R falls 0.5 %/K above the 35 C at which it was
characterized. The example rack feeds its plates at 36 C, so the network's first pass (curves at
35 C) is off, and the coupling must correct the curves until the network and the plate solves
agree.
"""

from pathlib import Path

import numpy as np
import pytest

from solver.case import load_case
from solver.coupling import (
    CouplingTolerances,
    OperatingPoint,
    build_rack,
    couple_rack,
    solve_rack,
    with_plate_curves,
)
from solver.materials import Coolant
from solver.output import DesignLimits
from solver.setup import network_section
from solver.units import LPM, ZERO_CELSIUS

RACK = Path(__file__).resolve().parents[2] / "cases" / "rack_network.toml"
T_REF = 35.0 + ZERO_CELSIUS
A, B = 2.0e7, 2.2e11  # [Pa s/m3], [Pa s2/m6]: about 15 kPa at 1.5 L/min


def plate_model(dp_per_kelvin=0.01, r_per_kelvin=0.005, power_law=False):
    """An analytic plate: dP and R with a linear inlet-temperature (viscosity) dependence;
    two chips, the HBM at 0.6 x the die's resistance. ``power_law``: dP = c Q^1.85 exactly."""

    def run(case, flow, backend):
        t_in = next(b.temperature for b in case.boundaries if b.type == "inlet")
        powers = {c.name: c.power for c in case.chips}
        shape = C_POWER * flow**1.85 if power_law else A * flow + B * flow**2
        dp = shape * (1.0 - dp_per_kelvin * (t_in - T_REF))
        r = (0.006 + 2e-5 * flow**-0.8) * (1.0 - r_per_kelvin * (t_in - T_REF))
        total = sum(powers.values())
        return OperatingPoint(flow, dp, t_in, t_in + total / (RHO * CP * flow),
                              {c: t_in + r * (1.0 if c == "die" else 0.6) * p
                               for c, p in powers.items()}, powers)

    return run


C_POWER = 15e3 / (1.5 / LPM) ** 1.85  # [Pa (s/m3)^1.85]: 15 kPa at 1.5 L/min
RHO, CP = 1012.5, 3957.0  # PG25 at 35 C
viscous_plate = plate_model()

PLATE = """
[case]
name = "gpu_plate"
[solver]
physics = "conjugate"
[coolant]
name = "PG25"
[[bodies]]
name = "base"
material = "copper"
shape = "box"
min = ["0 mm", "0 mm", "0 mm"]
max = ["40 mm", "10 mm", "2 mm"]
[[bodies]]
name = "channel"
material = "coolant"
shape = "box"
min = ["0 mm", "0 mm", "2 mm"]
max = ["40 mm", "10 mm", "4 mm"]
[[chips]]
name = "die"
body = "base"
power = "600 W"
max_temperature = "100 C"
[[chips]]
name = "hbm"
body = "base"
power = "400 W"
[[boundaries]]
name = "inlet"
type = "inlet"
side = "x_min"
volumetric_flow = "1 L/min"
temperature = "35 C"
[[boundaries]]
name = "outlet"
type = "outlet"
side = "x_max"
"""


@pytest.fixture()
def rack(tmp_path):
    (tmp_path / "gpu_plate.toml").write_text(PLATE)
    case = load_case(RACK)
    return (network_section(case), case.coolant_material(),
            load_case(tmp_path / "gpu_plate.toml"))


FLOWS = [q / LPM for q in (0.5, 1.0, 1.5, 2.0, 2.5)]


@pytest.mark.parametrize("every_plate", [False, True], ids=["per_group", "every_plate"])
def test_coupled_rack_converges_to_the_plate_model(rack, every_plate):
    section, coolant, plate = rack
    coupled = couple_rack(section, coolant, {"gpu": plate}, FLOWS, runner=viscous_plate,
                          every_plate=every_plate, store=False,
                          tolerances=CouplingTolerances(flow_rtol=1e-6, temperature_tol=1e-4))
    assert coupled.converged and 2 <= len(coupled.history) <= 6
    rows = {r["name"]: r for r in coupled.result.components if r.get("kind") == "cold_plate"}
    # at every 3D operating point the network's plate dP equals the plate model's own
    for name, point in coupled.operating_points.items():
        again = viscous_plate(
            plate.model_copy(update={"boundaries": [
                b.model_copy(update={"temperature": rows[name]["inlet_temperature"]})
                if b.type == "inlet" else b for b in plate.boundaries]}),
            rows[name]["flow"], "cpu")
        assert rows[name]["pressure_drop"] == pytest.approx(again.pressure_drop, rel=1e-4)
        assert point.inlet_temperature == pytest.approx(36.0 + ZERO_CELSIUS, abs=0.01)
    # the correction holds the network's own fit error and the viscosity effect at 36 C; the
    # latter alone is the ratio to an isothermal plate's correction: 1 - 0.01 x 1 K
    isothermal = couple_rack(section, coolant, {"gpu": plate}, FLOWS, store=False,
                             runner=plate_model(0.0, 0.0), every_plate=every_plate,
                             tolerances=CouplingTolerances(flow_rtol=1e-6, temperature_tol=1e-4))
    for name, factor in coupled.pressure_drop_factors.items():
        assert factor / isothermal.pressure_drop_factors[name] == pytest.approx(0.99, abs=2e-4)
    if not every_plate:
        assert len({round(f, 9) for f in coupled.pressure_drop_factors.values()}) == 1
    # energy: chip power = heat to facility water within 0.5 % (issue 5 proof)
    summary = coupled.result.summary
    assert summary["cdu"]["heat_rejected"] == pytest.approx(summary["total_heat"], rel=5e-3)
    report = coupled.report(DesignLimits(water_class="W32"))
    chips = {c["name"]: c for c in report["chips"]}
    hottest = max((c for c in chips.values() if "/die" in c["name"]),
                  key=lambda c: c["case_temperature"])
    plate_row = rows[hottest["plate"]]
    q = plate_row["flow"]
    r_true = (0.006 + 2e-5 * q**-0.8) * (1.0 - 0.005 * (plate_row["inlet_temperature"] - T_REF))
    assert hottest["case_temperature"] == pytest.approx(
        plate_row["inlet_temperature"] + r_true * 600.0, abs=0.05)
    assert report["passed"], [c for c in report["checks"] if c["passed"] is False]
    assert hottest["limit"] == pytest.approx(100.0 + ZERO_CELSIUS)  # from the plate case
    hbm = chips[hottest["name"].replace("/die", "/hbm")]
    assert hbm["limit"] == pytest.approx(95 + ZERO_CELSIUS)


def test_u_rack_matches_network_only_with_the_same_curves(rack):
    """A plate whose dP is an exact power law (the network's own law) and without temperature
    dependence: the coupled result is the network-only result with the characterized curves
    (issue 5: a U-type case matches network-only). The loop's coolant has constant properties
    (PG25's at 35 C), as the plate's dP has no temperature dependence: the network's viscosity
    and density correction of the curve (solver.network.components.ColdPlate) is then 1."""
    section, _, plate = rack
    coolant = Coolant.constant("PG25", RHO, CP, 1.7e-3, 0.48)

    isothermal = plate_model(0.0, 0.0, power_law=True)
    coupled = couple_rack(section, coolant, {"gpu": plate}, FLOWS, runner=isothermal,
                          store=False)
    assert coupled.converged
    from solver.coupling import characterize

    curves = characterize(plate, FLOWS, runner=isothermal, store=False)
    plain_section = with_plate_curves(section, {"gpu": curves})
    plain = solve_rack(build_rack(plain_section, coolant), plain_section, coolant)
    flows_coupled = {r["name"]: r["flow"] for r in coupled.result.components
                     if r.get("kind") == "cold_plate"}
    for row in plain.components:
        if row.get("kind") == "cold_plate":
            assert flows_coupled[row["name"]] == pytest.approx(row["flow"], rel=1e-6)
    assert coupled.result.summary["tcs"]["flow_lpm"] == pytest.approx(
        plain.summary["tcs"]["flow_lpm"], rel=1e-6)


def test_z_manifold_with_small_header_losses_gives_equal_flows(rack):
    """Reverse-return (Z) manifold, headers 80 mm (header dP small beside the plates'): the
    coupled rack's identical GPU plates carry equal flows within 1 % (issue 5 proof)."""
    section, coolant, plate = rack
    z = section.rack.model_copy(update={"manifold": "Z", "header_diameter": 0.08})
    z_section = section.model_copy(update={"rack": z})
    coupled = couple_rack(z_section, coolant, {"gpu": plate}, FLOWS, store=False,
                          runner=plate_model(0.01, 0.005, power_law=True))
    assert coupled.converged
    flows = [r["flow"] for r in coupled.result.components
             if r.get("kind") == "cold_plate" and ".gpu." in r["name"]]
    assert len(flows) == 18 * 4
    spread = (max(flows) - min(flows)) / (sum(flows) / len(flows))
    assert spread < 0.01, f"GPU plate flow spread {spread:.3%}"
    summary = coupled.result.summary
    assert summary["cdu"]["heat_rejected"] == pytest.approx(summary["total_heat"], rel=5e-3)


def test_plate_coolant_must_match_the_loop(rack, tmp_path):
    section, coolant, _ = rack
    (tmp_path / "water_plate.toml").write_text(PLATE.replace('name = "PG25"', 'name = "water"'))
    water_plate = load_case(tmp_path / "water_plate.toml")
    with pytest.raises(ValueError, match="uses coolant 'water' but the rack loop runs 'PG25'"):
        couple_rack(section, coolant, {"gpu": water_plate}, FLOWS, runner=viscous_plate,
                    store=False)


def test_coupled_rack_with_the_conjugate_cold_plate_model(rack, tmp_path):
    """Two trays of two small two-chip plates solved by solver.models.coldplate (flow + energy, PG25
    properties at the inlet temperature the network delivers) inside the rack network: the
    coupling converges, the plate solves remove their power and the facility takes all of it."""
    from test_coupling_superposition import CONJUGATE_CASE

    section, coolant, _ = rack
    text = CONJUGATE_CASE.replace('[[bodies]]', '[coolant]\nname = "PG25"\n\n[[bodies]]', 1)
    (tmp_path / "small_plate.toml").write_text(text)
    plate = load_case(tmp_path / "small_plate.toml")
    gpu = section.rack.plates[0].model_copy(update={"power": 40.0, "count": 2})
    small = section.model_copy(update={"rack": section.rack.model_copy(
        update={"trays": 2, "plates": [gpu]})})
    coupled = couple_rack(small, coolant, {"gpu": plate}, [q / LPM for q in (0.5, 1.0, 2.0)],
                          tolerances=CouplingTolerances(max_passes=4))
    assert coupled.converged
    assert coupled.history[-1]["heat_mismatch"] < 5e-3
    summary = coupled.result.summary
    # the facility takes the plates' heat and the pump's shaft power
    assert summary["cdu"]["heat_rejected"] == pytest.approx(160.0 + summary["pump_heat"],
                                                            rel=5e-3)
    point = next(iter(coupled.operating_points.values()))
    assert point.inlet_temperature == pytest.approx(summary["tcs"]["supply_temperature"],
                                                    abs=0.05)
    assert sum(point.chip_powers.values()) == pytest.approx(40.0)
    # one scene: the network and the plate solved in 3D at its place in the rack
    import pyvista as pv

    from solver.output import rack_scene

    path = rack_scene(tmp_path / "rack.vtm", coupled)
    scene = pv.read(path)
    names = [scene.get_block_name(i) for i in range(scene.n_blocks)]
    assert names[0] == "network" and len(names) == 1 + len(coupled.operating_points)
    (name, point), = coupled.operating_points.items()
    block = scene[names[1]]
    # centred on its own line of the network (two parallel plates: offset sideways)
    ids = scene["network"].get_cell(list(scene["network"].field_data["component_names"])
                                    .index(name)).point_ids
    middle = scene["network"].points[ids[1:3]].mean(axis=0)
    np.testing.assert_allclose(np.asarray(block.bounds).reshape(3, 2).mean(axis=1), middle,
                               atol=1e-12)
    assert {"temperature", "velocity", "pressure", "body_id"} <= set(block.cell_data.keys())
    temperature = np.asarray(block.cell_data["temperature"])
    assert temperature.max() == pytest.approx(point.fields["temperature"].max())
    assert temperature.min() >= point.inlet_temperature - 1e-6
    # report, pictures and scene in one folder
    paths = coupled.write(tmp_path / "out", DesignLimits(water_class="W32"), name="small rack")
    for key in ("json", "markdown", "chip_temperatures_png", "coupling_convergence_png",
                "hottest_plate_png", "scene"):
        assert paths[key].is_file(), key
