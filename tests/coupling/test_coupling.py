"""Characterization curves: fits, storage keyed by the geometry hash, CSV export, CLI.

The runner here is analytic (no 3D solve): ``dP = a Q + b Q^2`` and ``R = c + d Q^-m`` with
known coefficients, so the fits must recover them to round-off and the caching logic is tested
in milliseconds.
"""

import csv
import math

import numpy as np
import pytest
from channel_plate import channel_plate_case  # tests/ on the path

from solver.case import case_hash, load_case
from solver.coupling import (
    OperatingPoint,
    PlateCurves,
    characterize,
    fit_pressure_drop,
    fit_resistance,
    parse_flows,
)
from solver.setup import cache_root, curves_path
from solver.units import LPM

A, B = 2.0e6, 3.0e11  # [Pa s/m3], [Pa s2/m6]: 1.96 kPa at 0.5 L/min ... about 25 kPa at 2 L/min
C, D, M = 0.008, 2.0e-5, 0.8  # [K/W], [K/W (m3/s)^m], [-]
T_IN = 308.15
POWER = 1000.0


def analytic_runner(case, flow, backend):
    """A plate with exactly known curves; counts its calls on the function object."""
    analytic_runner.calls += 1
    r = C + D * flow ** (-M)
    dp = A * flow + B * flow**2
    return OperatingPoint(flow=flow, pressure_drop=dp, inlet_temperature=T_IN,
                          outlet_temperature=T_IN + POWER / (1000.0 * 4000.0 * flow),
                          case_temperatures={"gpu": T_IN + r * POWER},
                          chip_powers={"gpu": POWER},
                          peak_temperatures={"gpu": T_IN + 1.2 * r * POWER})


analytic_runner.calls = 0




def write_case(tmp_path, length="40 mm", power="1 kW", inlet="35 C", spacing="1 mm"):
    path = tmp_path / "plate.toml"
    path.write_text(channel_plate_case(length, power, inlet, spacing))
    return load_case(path)


FLOWS = [q / LPM for q in (0.5, 1.0, 1.5, 2.0, 3.0)]


def test_quadratic_pressure_fit_recovers_coefficients():
    q = np.array(FLOWS)
    fit = fit_pressure_drop(q, A * q + B * q**2)
    assert fit.a == pytest.approx(A, rel=1e-9) and fit.b == pytest.approx(B, rel=1e-9)
    assert fit.max_relative_error < 1e-12
    assert fit.pressure_drop(1.5 / LPM) == pytest.approx(A * 2.5e-5 + B * 2.5e-5**2, rel=1e-12)


def test_power_pressure_fit_and_its_error():
    q = np.array(FLOWS)
    exact = fit_pressure_drop(q, 3e9 * q**1.85, form="power")
    assert exact.exponent == pytest.approx(1.85, rel=1e-10)
    assert exact.a == pytest.approx(3e9, rel=1e-8)
    # a quadratic-with-linear curve is not a pure power law: the error is reported, not hidden
    approx = fit_pressure_drop(q, A * q + B * q**2, form="power")
    assert 1e-4 < approx.max_relative_error < 0.1
    assert 1.0 < approx.exponent < 2.0


def test_resistance_fit_recovers_floor_and_exponent():
    q = np.array(FLOWS)
    fit = fit_resistance(q, C + D * q ** (-M))
    assert fit.m == pytest.approx(M, rel=1e-5)
    assert fit.c == pytest.approx(C, rel=1e-4) and fit.d == pytest.approx(D, rel=1e-4)
    assert fit.max_relative_error < 1e-7


def test_resistance_fit_of_design_numbers():
    """DESIGN.md's OAM-class plate (PG25): 0.039 K/W at 0.4 L/min, 0.020 K/W at 2.4 L/min."""
    q = np.array([0.4, 1.0, 2.4]) / LPM
    r = np.array([0.039, 0.0277, 0.020])
    fit = fit_resistance(q, r)
    assert fit.max_relative_error < 1e-6  # three points, three coefficients: exact
    assert fit.resistance(1.5 / LPM) == pytest.approx(0.0236, abs=1e-3)


def test_curves_from_points_round_trip(tmp_path):
    points = [analytic_runner(None, q, "cpu") for q in reversed(FLOWS)]
    curves = PlateCurves.from_points(points, name="p", coolant="PG25")
    assert np.all(np.diff(curves.flows) > 0)  # sorted by flow
    np.testing.assert_allclose(curves.resistances["gpu"], C + D * curves.flows ** (-M))
    np.testing.assert_allclose(curves.peak_resistances["gpu"], 1.2 * curves.resistances["gpu"])
    curves.write_json(tmp_path / "c.json")
    back = PlateCurves.read_json(tmp_path / "c.json")
    np.testing.assert_array_equal(back.flows, curves.flows)
    np.testing.assert_array_equal(back.resistances["gpu"], curves.resistances["gpu"])
    temps = back.chip_temperatures(1.5 / LPM, T_IN, {"gpu": 1400.0})
    r15 = C + D * (1.5 / LPM) ** (-M)
    assert temps["gpu"]["case_temperature"] == pytest.approx(T_IN + r15 * 1400.0, rel=1e-6)
    assert temps["gpu"]["peak_temperature"] == pytest.approx(T_IN + 1.2 * r15 * 1400.0,
                                                             rel=1e-6)


def test_network_plate_arguments():
    curves = PlateCurves.from_points([analytic_runner(None, q, "cpu") for q in FLOWS])
    kwargs = curves.network_plate()
    assert kwargs["power"] == POWER
    # the dP points carry their mean coolant temperature (inlet and outlet averaged)
    assert kwargs.pop("curve_temperatures") == pytest.approx(
        0.5 * (T_IN + curves.outlet_temperatures))
    from solver.network.components import ColdPlate

    plate = ColdPlate("p", "a", "b", **kwargs)
    q = 1.5 / LPM
    # the network's own power-law fit through our points stays close to the plate's R
    assert plate.thermal_resistance(q) == pytest.approx(C + D * q ** (-M), rel=0.02)


def test_parse_flows():
    assert parse_flows("0.5,1,1.5,2 L/min") == pytest.approx([q / LPM for q in (0.5, 1, 1.5, 2)])
    assert parse_flows("1e-5, 2e-5") == pytest.approx([1e-5, 2e-5])
    assert parse_flows("0.5 L/min, 1 L/s") == pytest.approx([0.5 / LPM, 1e-3])
    with pytest.raises(ValueError, match="unknown flow unit"):
        parse_flows("1, 2 gallons")
    with pytest.raises(ValueError):
        parse_flows("0, 1 L/min")


def test_characterize_stores_reuses_and_recomputes(tmp_path):
    case = write_case(tmp_path)
    analytic_runner.calls = 0
    curves = characterize(case, FLOWS, runner=analytic_runner)
    assert analytic_runner.calls == len(FLOWS)
    path = curves_path(case, FLOWS)
    assert path.is_file() and path.with_suffix(".csv").is_file()
    # in the plate cache, keyed by geometry and flows, never beside the case
    assert path.parent == cache_root() / "plates" / f"plate-{curves.case_hash[:16]}"
    assert not any(p.suffix in (".json", ".csv") for p in tmp_path.rglob("*")
                   if cache_root() not in p.parents)
    assert curves.case_hash == case_hash(case, scope="geometry")
    fit = curves.pressure_drop_fit()
    assert fit.a == pytest.approx(A, rel=1e-8) and fit.max_relative_error < 1e-10

    # unchanged geometry, new chip power and inlet temperature: the stored curves are reused
    again = write_case(tmp_path, power="1.4 kW", inlet="40 C")
    reused = characterize(again, list(reversed(FLOWS)), runner=analytic_runner)
    assert analytic_runner.calls == len(FLOWS)
    np.testing.assert_array_equal(reused.pressure_drops, curves.pressure_drops)

    # other flows, a geometry change, a solver-setting change, or force: recomputed; curves at
    # other flows are stored beside the first, which stay and are reused
    characterize(again, FLOWS[:3], runner=analytic_runner)
    assert analytic_runner.calls == len(FLOWS) + 3
    assert curves_path(again, FLOWS[:3]) != path and path.is_file()
    characterize(again, FLOWS, runner=analytic_runner)
    assert analytic_runner.calls == len(FLOWS) + 3
    longer = write_case(tmp_path, length="50 mm")
    assert case_hash(longer, scope="geometry") != curves.case_hash
    characterize(longer, FLOWS, runner=analytic_runner)
    assert analytic_runner.calls == 2 * len(FLOWS) + 3
    finer = write_case(tmp_path, spacing="0.5 mm")
    characterize(finer, FLOWS, runner=analytic_runner)
    assert analytic_runner.calls == 3 * len(FLOWS) + 3
    characterize(finer, FLOWS, runner=analytic_runner, force=True)
    assert analytic_runner.calls == 4 * len(FLOWS) + 3


def test_csv_has_units_and_values(tmp_path):
    case = write_case(tmp_path)
    curves = characterize(case, FLOWS, runner=analytic_runner, store=False)
    path = curves.write_csv(tmp_path / "curves.csv")
    lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("#")]
    rows = list(csv.DictReader(lines))
    assert list(rows[0])[:3] == ["flow_rate [L/min]", "flow_rate [m3/s]", "pressure_drop [Pa]"]
    assert "R_gpu [K/W]" in rows[0] and "outlet_temperature [K]" in rows[0]
    assert float(rows[0]["flow_rate [L/min]"]) == pytest.approx(0.5)
    assert float(rows[1]["R_gpu [K/W]"]) == pytest.approx(C + D * (1 / LPM) ** (-M), rel=1e-8)
    comments = [ln for ln in path.read_text().splitlines() if ln.startswith("#")]
    assert any("max relative error" in ln for ln in comments)


def test_characterize_with_a_mapper(tmp_path):
    case = write_case(tmp_path)
    used = []

    def mapper(function, items):
        used.append(len(items))
        return [function(item) for item in items]

    curves = characterize(case, FLOWS, runner=analytic_runner, store=False, mapper=mapper)
    assert used == [len(FLOWS)] and curves.flows.size == len(FLOWS)


def test_cli_characterize(tmp_path, capsys, monkeypatch):
    from solver import cli, coupling

    case = write_case(tmp_path)
    monkeypatch.setattr(coupling, "coldplate_runner", analytic_runner)
    code = cli.main(["characterize", str(case.source_path), "--flows", "0.5,1,2 L/min",
                     "--no-impedance"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "pressure_drop" in out.out or "dP" in out.out
    assert curves_path(case, parse_flows("0.5, 1, 2 L/min")).with_suffix(".csv").is_file()
    assert cli.main(["characterize", str(case.source_path), "--flows", "1, 2 gallons"]) == 2


def test_operating_point_without_power_is_refused():
    with pytest.raises(ValueError):
        fit_resistance([1e-5, 2e-5], [0.0, 0.01])
    assert math.isfinite(fit_resistance([1e-5], [0.02]).resistance(3e-5))
