"""The explicit ``[network]`` lists: every component kind and control through the case schema."""

import tomllib

import numpy as np
import pytest

from solver.case import NetworkSection
from solver.materials import get_coolant
from solver.network import NetworkError
from solver.network.rack import build_network
from solver.pipeline import run_network_case

EXPLICIT = """
[[network.nodes]]
name = "suction"
position = [0.0, 0.0, 0.0]
[[network.nodes]]
name = "discharge"
position = [0.2, 0.0, 0.0]
[[network.nodes]]
name = "cooled"
position = [0.4, 0.0, 0.0]
[[network.nodes]]
name = "tee_in"
position = [0.6, 0.0, 0.0]
[[network.nodes]]
name = "run_a"
position = [0.8, 0.0, 0.3]
[[network.nodes]]
name = "run_b"
position = [0.8, 0.0, -0.3]
[[network.nodes]]
name = "hot"
position = [1.0, 0.0, 0.0]
[[network.nodes]]
name = "fw_in"
position = [0.2, 0.0, -1.0]
fluid = "facility"
[[network.nodes]]
name = "fw_mid"
position = [0.3, 0.0, -1.0]
fluid = "facility"
[[network.nodes]]
name = "fw_out"
position = [0.4, 0.0, -1.0]
fluid = "facility"

[[network.components]]
kind = "pump"
name = "pump"
inlet = "suction"
outlet = "discharge"
flows = ["0 L/min", "20 L/min", "40 L/min"]
pressures = ["150 kPa", "130 kPa", "80 kPa"]
efficiencies = [0.1, 0.5, 0.45]
count = 2
running = 1

[[network.components]]
kind = "check_valve"
name = "non_return"
inlet = "discharge"
outlet = "cooled"
kv = 8.0

[[network.components]]
kind = "heat_exchanger"
name = "hx"
hot_inlet = "cooled"
hot_outlet = "tee_in"
cold_inlet = "fw_mid"
cold_outlet = "fw_out"
ua = 2000.0
rated_hot_flow = "20 L/min"
rated_cold_flow = "20 L/min"

[[network.components]]
kind = "tee"
name = "split"
run_in = "tee_in"
run_out = "run_a"
branch = "run_b"
diameter = "20 mm"
branch_diameter = "15 mm"

[[network.components]]
kind = "cold_plate"
name = "plate_a"
inlet = "run_a"
outlet = "hot"
flows = ["1 L/min", "2 L/min"]
pressure_drops = ["8 kPa", "28 kPa"]
power = "2 kW"
resistance_flows = ["1 L/min", "4 L/min"]
resistances = [0.03, 0.015]

[[network.components]]
kind = "heat_load"
name = "rear_door"
inlet = "run_b"
outlet = "hot"
power = "3 kW"
rated_flow = "10 L/min"
rated_pressure_drop = "20 kPa"

[[network.components]]
kind = "quick_disconnect"
name = "qd"
inlet = "hot"
outlet = "suction"
cv = 3.0

[[network.components]]
kind = "fitting"
name = "strainer"
inlet = "fw_in"
outlet = "fw_mid"
diameter = "25 mm"
k1 = 500.0
k_inf = 0.4
method = "2K"

[[network.components]]
kind = "valve"
name = "fw_valve"
inlet = "fw_out"
outlet = "fw_ret"
kv_max = 10.0
characteristic = "equal_percentage"

[[network.components]]
kind = "expansion_tank"
name = "tank"
node = "suction"
pressure = "150 kPa"

[[network.components]]
kind = "pressure_boundary"
name = "fw_supply"
node = "fw_in"
pressure = "250 kPa"
temperature = "25 C"

[[network.components]]
kind = "pressure_boundary"
name = "fw_return"
node = "fw_ret"
pressure = "150 kPa"
temperature = "25 C"

[[network.controls]]
kind = "pump_speed"
name = "dp_control"
pump = "pump"
target = "differential_pressure"
pressure_setpoint = "60 kPa"
high_node = "discharge"
low_node = "suction"

[[network.controls]]
kind = "supply_temperature"
name = "t_control"
node = "tee_in"
temperature_setpoint = "30 C"
valve = "fw_valve"
"""


def section(text=EXPLICIT, extra_node=True):
    data = tomllib.loads(text)["network"]
    if extra_node:
        data["nodes"].append({"name": "fw_ret", "fluid": "facility"})
    return NetworkSection(**data)


def test_every_kind_builds():
    built = build_network(section())
    kinds = {b.kind for b in built.network.branches}
    assert kinds == {"pump", "check_valve", "heat_exchanger_side", "tee_leg", "cold_plate",
                     "heat_load", "quick_disconnect", "fitting", "valve"}
    assert len(built.controls) == 2 and built.pump == "pump" and built.exchanger == "hx"


def test_explicit_case_solves_with_controls(tmp_path):
    summary = run_network_case(section(), get_coolant("water"), tmp_path, quiet=True)
    controls = {c["name"]: c for c in summary["controls"]}
    assert controls["dp_control"]["met"] and controls["t_control"]["met"]
    assert controls["dp_control"]["achieved"] == pytest.approx(60e3, rel=1e-5)
    assert controls["t_control"]["achieved"] == pytest.approx(303.15, abs=1e-3)
    assert summary["cdu"]["heat_rejected"] == pytest.approx(5000.0 + summary["pump_heat"],
                                                            rel=1e-6)
    assert summary["tcs"]["supply_temperature"] == pytest.approx(303.15, abs=1e-3)
    assert summary["tcs"]["delta_t"] > 0 and summary["tcs"]["lpm_per_kw"] > 0
    assert summary["energy_balance_error"] < 1e-6
    assert summary["mass_imbalance"] < 1e-10
    assert (tmp_path / "images" / "network_pump_curve.png").exists()


def test_unreachable_supply_temperature_is_reported(tmp_path):
    text = EXPLICIT.replace('temperature_setpoint = "30 C"', 'temperature_setpoint = "20 C"')
    summary = run_network_case(section(text), get_coolant("water"), tmp_path, quiet=True,
                               plots=False)
    report = next(c for c in summary["controls"] if c["name"] == "t_control")
    assert not report["met"] and "cannot be met" in report["message"]
    assert report["actuator"] == pytest.approx(1.0)  # valve wide open is the closest state
    assert report["achieved"] > 298.15  # cannot go below the 25 C facility water


def test_quick_disconnect_curve_and_pump_heads():
    sec = NetworkSection(
        nodes=[{"name": "a"}, {"name": "b"}, {"name": "c"}],
        components=[
            {"kind": "pump", "name": "p", "inlet": "a", "outlet": "b",
             "flows": ["0 L/min", "10 L/min", "20 L/min"], "heads": [10.0, 9.0, 6.0]},
            {"kind": "quick_disconnect", "name": "qd", "inlet": "b", "outlet": "c",
             "flows": ["2 L/min", "4 L/min", "8 L/min"],
             "pressure_drops": ["1 kPa", "3.5 kPa", "12.25 kPa"]},
        ])
    built = build_network(sec, coolant_density=1000.0)
    pump, qd = built.network.branches
    assert pump.pressures[0] == pytest.approx(1000.0 * 9.80665 * 10.0)
    # dp = c Q^n through the points: n = log(3.5)/log(2) for both intervals
    q = 6.0 / 60000.0
    n = np.log(3.5) / np.log(2.0)
    expected = 1e3 * (q / (2.0 / 60000.0)) ** n
    assert qd.pressure_drop(q * 1000.0, 1000.0, 1e-3)[0] == pytest.approx(expected, rel=1e-9)
    with pytest.raises(NetworkError, match="'p'.*exactly one of pressures or heads"):
        build_network(NetworkSection(nodes=[{"name": "a"}, {"name": "b"}], components=[
            {"kind": "pump", "name": "p", "inlet": "a", "outlet": "b",
             "flows": [0.0, 1e-3], "heads": [10.0, 8.0], "pressures": [1e5, 8e4]}]))


def test_cold_plate_curve_temperatures():
    """An explicit cold plate with curve_temperatures: the network takes the coolant's density
    and viscosity there as the curve's reference (ColdPlate), so at that temperature the curve
    is unchanged and at 45 C it follows (rho/rho_0)^(n-1) (mu/mu_0)^(2-n) (PG25, Melinder
    2010; exact algebra, 1e-12); a wrong count is a one-line error naming the key."""
    plate = {"kind": "cold_plate", "name": "cp", "inlet": "a", "outlet": "b",
             "flows": ["0.5 L/min", "1.5 L/min"], "pressure_drops": ["1 kPa", "3.9 kPa"],
             "curve_temperatures": ["25 C"]}
    sec = NetworkSection(nodes=[{"name": "a"}, {"name": "b"}], components=[plate])
    pg25 = get_coolant("PG25")
    cold_plate, = build_network(sec, 1000.0, pg25).network.branches
    n = np.log(3.9) / np.log(3.0)
    t_ref, t_hot = 298.15, 318.15
    rho_0, mu_0 = float(pg25.density(t_ref)), float(pg25.viscosity(t_ref))
    q = 1.0 / 60000.0
    at_reference = 1e3 * (q / (0.5 / 60000.0)) ** n
    assert cold_plate.pressure_drop(q * rho_0, rho_0, mu_0)[0] == pytest.approx(at_reference,
                                                                               rel=1e-12)
    rho, mu = float(pg25.density(t_hot)), float(pg25.viscosity(t_hot))
    factor = (rho / rho_0) ** (n - 1.0) * (mu / mu_0) ** (2.0 - n)
    assert cold_plate.pressure_drop(q * rho, rho, mu)[0] == pytest.approx(at_reference * factor,
                                                                         rel=1e-12)
    assert factor < 0.7  # PG25's viscosity falls by 40 % from 25 to 45 C
    # without the coolant (or without temperatures) the curve is used as given
    plain, = build_network(sec, 1000.0).network.branches
    assert plain.pressure_drop(q * rho, rho, mu)[0] == pytest.approx(at_reference, rel=1e-12)
    with pytest.raises(ValueError, match="one per dP point"):
        NetworkSection(nodes=[{"name": "a"}, {"name": "b"}], components=[
            {**plate, "curve_temperatures": ["25 C", "30 C", "35 C"]}])


def test_automatic_layout_when_no_positions(tmp_path):
    from solver.output import layout_positions, network_polydata

    sec = NetworkSection(
        nodes=[{"name": n} for n in ("a", "b", "c")],
        components=[
            {"kind": "pump", "name": "p", "inlet": "a", "outlet": "b",
             "flows": [0.0, 1e-3, 2e-3], "pressures": [1e5, 8e4, 4e4]},
            {"kind": "pipe", "name": "l", "inlet": "b", "outlet": "c", "length": 1.0,
             "diameter": 0.02},
            {"kind": "heat_load", "name": "h", "inlet": "c", "outlet": "a", "power": 0.0},
            {"kind": "expansion_tank", "name": "t", "node": "a"}])
    built = build_network(sec)
    pos = layout_positions(built.network)
    assert len({tuple(np.round(p, 9)) for p in pos}) == 3  # distinct points on a circle
    from solver.materials import Coolant
    from solver.network import solve_network

    fluid = Coolant.constant("c", 1000.0, 4180.0, 1e-3, 0.6)
    poly = network_polydata(solve_network(built.network, {"coolant": fluid}))
    assert poly.n_points == 3 and poly.n_cells == 3
