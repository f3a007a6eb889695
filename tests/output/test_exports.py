"""Exports for other tools (solver/output/exports.py, PlateCurves.write_csv, network.csv).

Curves: a two-chip plate with exactly known curves (an analytic runner, no 3D solve:
``dP = A Q + B Q^2``, ``R_i = C_i + D_i Q^-M``) is characterized into the session's plate cache;
the points CSV, the fits CSV and the Modelica record written beside the curves must give back
every number of the curves to 1e-12 relative (they are written at full precision, so any loss
is a bug), and the fitted quadratic coefficients the analytic ``A``, ``B`` to 1e-9 (the fit's
own accuracy, as in tests/coupling/test_coupling.py).

The Modelica record must extend the Buildings library's
``Buildings.Fluid.DataCenterEquipment.Racks.LiquidCooledSinglePhase.Data.Generic`` (lbl-srg/
modelica-buildings, branch issue4443_dataCenterLiquidCooling, commit 1c1094d6ac06): its
``dp_nominal (V / V_nominal)^n`` (Buildings.Fluid.FixedResistances.PressureDrop) must be the
power-law fit at every characterized flow, and ``theRes`` (``Generic_R_m_flow``) must hold the
flows and the plate's case-to-inlet resistances. Its syntax is checked here structurally
(balanced brackets and quotes, one ``record``/``end`` pair, statements closed); OpenModelica is
not installed here.

Network: ``cases/rack_network.toml`` (0.6-1.3 s, no plots): the node pressures of
``network.csv`` must give every component's pressure drop (1e-9 relative; the Newton solve
stops at a scaled residual of 1e-11) and the component flows with each node's
``boundary_mass_flow`` must balance at every node (1e-12 relative to the flow through it).
"""

import csv
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from solver.case import NetworkSection, load_case
from solver.coupling import OperatingPoint, characterize
from solver.coupling.impedance import characterize_impedance, foster_path, impedance_path
from solver.materials import get_coolant
from solver.output.exports import (
    BUILDINGS_RECORD,
    BUILDINGS_RESISTANCE_RECORD,
    curve_export_paths,
    modelica_name,
    modelica_record,
)
from solver.pipeline import run_network_case
from solver.setup import curves_path
from solver.units import LPM

ROOT = Path(__file__).resolve().parents[2]
PLATE = ROOT / "cases" / "coldplate_unit_cell.toml"
NETWORK = ROOT / "cases" / "rack_network.toml"

A, B = 1.5e6, 4.0e11  # [Pa s/m3], [Pa s2/m6]
M = 0.7  # [-]
CHIPS = {"gpu": (0.006, 3.0e-5, 700.0), "hbm": (0.02, 5.0e-5, 100.0)}  # C [K/W], D, P [W]
T_IN = 303.15  # [K]
FLOWS = [q / LPM for q in (0.4, 0.8, 1.2, 1.6, 2.4)]
REL = 1e-12


def resistance(chip, flow):
    """[K/W] the analytic resistance of ``chip`` at ``flow`` [m3/s]."""
    c, d, _ = CHIPS[chip]
    return c + d * flow ** (-M)


def two_chip_runner(case, flow, backend, run=None):
    """A two-chip plate whose curves are known exactly."""
    return OperatingPoint(
        flow=flow, pressure_drop=A * flow + B * flow**2, inlet_temperature=T_IN,
        outlet_temperature=T_IN + 800.0 / (1000.0 * 4000.0 * flow),
        case_temperatures={n: T_IN + resistance(n, flow) * p for n, (_, _, p) in CHIPS.items()},
        chip_powers={n: p for n, (_, _, p) in CHIPS.items()})


@pytest.fixture(scope="module")
def exported():
    case = load_case(PLATE)
    curves = characterize(case, FLOWS, runner=two_chip_runner, force=True)
    return case, curves, curve_export_paths(curves_path(case, FLOWS))


def read_csv(path) -> list[dict]:
    """Rows of a CSV whose ``#`` lines are comments, numbers as floats where they parse."""
    lines = [ln for ln in Path(path).read_text().splitlines() if not ln.startswith("#")]

    def number(text):
        try:
            return float(text)
        except ValueError:
            return text

    return [{k: number(v) for k, v in row.items()} for row in csv.DictReader(lines)]


def column(rows, name) -> np.ndarray:
    return np.array([row[name] for row in rows], dtype=float)


# -- curves ---------------------------------------------------------------------------------------
def test_curve_csv_reproduces_the_points_and_the_fits(exported):
    _, curves, paths = exported
    assert all(paths[k].is_file() for k in ("csv", "fits", "modelica"))
    rows = read_csv(paths["csv"])
    header = list(rows[0])
    # every numeric column names its unit
    assert all(re.fullmatch(r".+ \[(L/min|m3/s|Pa|K/W|K)\]", name) for name in header), header
    np.testing.assert_allclose(column(rows, "flow_rate [m3/s]"), FLOWS, rtol=REL, atol=0)
    np.testing.assert_allclose(column(rows, "flow_rate [L/min]"), np.array(FLOWS) * LPM,
                               rtol=REL, atol=0)
    np.testing.assert_allclose(column(rows, "pressure_drop [Pa]"), curves.pressure_drops,
                               rtol=REL, atol=0)
    np.testing.assert_allclose(column(rows, "pressure_drop_fit [Pa]"),
                               curves.pressure_drop_fit().pressure_drop(curves.flows),
                               rtol=REL, atol=0)
    for chip in CHIPS:
        np.testing.assert_allclose(column(rows, f"R_{chip} [K/W]"), curves.resistances[chip],
                                   rtol=REL, atol=0)
        np.testing.assert_allclose(column(rows, f"R_{chip} [K/W]"),
                                   [resistance(chip, q) for q in FLOWS], rtol=REL, atol=0)
        np.testing.assert_allclose(column(rows, f"R_{chip}_fit [K/W]"),
                                   curves.resistance_fit(chip).resistance(curves.flows),
                                   rtol=REL, atol=0)


def test_fits_csv_gives_back_every_coefficient(exported):
    _, curves, paths = exported
    rows = read_csv(paths["fits"])
    assert list(rows[0]) == ["curve", "law", "coefficient", "value", "unit",
                             "max_relative_error [-]"]
    table = {(r["curve"], r["law"], r["coefficient"]): r for r in rows}
    quadratic = curves.pressure_drop_fit("quadratic")
    power = curves.pressure_drop_fit("power")
    expected = {("pressure_drop", "dP = a Q + b Q|Q|", "a"): (quadratic.a, "Pa s/m3"),
                ("pressure_drop", "dP = a Q + b Q|Q|", "b"): (quadratic.b, "Pa s2/m6"),
                ("pressure_drop", "dP = a Q^n", "a"): (power.a, "Pa (s/m3)^n"),
                ("pressure_drop", "dP = a Q^n", "n"): (power.exponent, "-")}
    for chip in CHIPS:
        fit = curves.resistance_fit(chip)
        expected |= {(f"R_{chip}", "R = c + d Q^-m", "c"): (fit.c, "K/W"),
                     (f"R_{chip}", "R = c + d Q^-m", "d"): (fit.d, "K/W (m3/s)^m"),
                     (f"R_{chip}", "R = c + d Q^-m", "m"): (fit.m, "-")}
    assert set(table) == set(expected)
    for key, (value, unit) in expected.items():
        assert table[key]["value"] == pytest.approx(value, rel=REL, abs=0), key
        assert table[key]["unit"] == unit
    # the analytic plate: the quadratic fit recovers A and B (the fit's accuracy, 1e-9)
    assert table["pressure_drop", "dP = a Q + b Q|Q|", "a"]["value"] == pytest.approx(A, rel=1e-9)
    assert table["pressure_drop", "dP = a Q + b Q|Q|", "b"]["value"] == pytest.approx(B, rel=1e-9)
    # the laws rebuilt from the file evaluate as the curves do
    q = curves.flows
    a, n = (table["pressure_drop", "dP = a Q^n", k]["value"] for k in ("a", "n"))
    np.testing.assert_allclose(a * q**n, power.pressure_drop(q), rtol=REL, atol=0)
    for chip in CHIPS:
        c, d, m = (table[f"R_{chip}", "R = c + d Q^-m", k]["value"] for k in "cdm")
        np.testing.assert_allclose(c + d * q ** (-m), curves.resistance_fit(chip).resistance(q),
                                   rtol=REL, atol=0)


# -- the Modelica record ---------------------------------------------------------------------------
def check_modelica_structure(text: str, name: str) -> None:
    """What a Modelica parser would reject first: unbalanced brackets or quotes, a missing or
    mismatched ``record``/``end``, a declaration not closed by ``;``."""
    outside_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    assert outside_strings.count('"') % 2 == 0
    for opening, closing in ("()", "{}", "[]"):
        depth = 0
        for char in outside_strings:
            depth += (char == opening) - (char == closing)
            assert depth >= 0, f"unbalanced {opening}{closing}"
        assert depth == 0, f"unbalanced {opening}{closing}"
    assert re.match(rf"record {name} \"", text)
    assert text.rstrip().endswith(f"end {name};")
    assert outside_strings.count("record ") == 1 and outside_strings.count("end ") == 1
    body = outside_strings.split("\n", 1)[1].rsplit(f"end {name};", 1)[0]
    # every top-level statement (extends, parameter, annotation) ends with ";"
    statements = [s.strip() for s in body.split(";") if s.strip()]
    assert all(re.match(r"(extends|parameter|annotation) ", s) for s in statements), statements


def modelica_values(text: str, key: str, after: str = "") -> np.ndarray:
    """The number or array assigned to ``key`` (first after the text ``after``)."""
    start = text.index(after) if after else 0
    pattern = rf"\b{re.escape(key)}(?:\[[^\]]*\])?=(\{{[^}}]*\}}|[-+0-9.eE]+)"
    match = re.compile(pattern).search(text, start)
    return np.array([float(v) for v in match.group(1).strip("{}").split(",")])


def test_modelica_record_extends_buildings_and_reproduces_the_curves(exported):
    case, curves, paths = exported
    text = paths["modelica"].read_text()
    name = modelica_name(curves.name)
    check_modelica_structure(text, name)
    assert f"  extends {BUILDINGS_RECORD}(" in text
    q = np.asarray(FLOWS)
    flows = modelica_values(text, "V_flow", "theRes(")
    np.testing.assert_allclose(flows, q, rtol=REL, atol=0)
    # the plate's resistance: the hottest chip's rise per watt of the plate's power
    powers = {n: p for n, (_, _, p) in CHIPS.items()}
    hottest = np.max([[resistance(n, f) * p for f in q] for n, p in powers.items()], axis=0)
    np.testing.assert_allclose(modelica_values(text, "R", "theRes("),
                               hottest / sum(powers.values()), rtol=REL, atol=0)
    for chip in CHIPS:
        after = f"{BUILDINGS_RESISTANCE_RECORD} theRes_{chip}("
        np.testing.assert_allclose(modelica_values(text, "V_flow", after), q, rtol=REL, atol=0)
        np.testing.assert_allclose(modelica_values(text, "R", after),
                                   [resistance(chip, f) for f in q], rtol=REL, atol=0)
    # Buildings' pressure drop dp_nominal (m / m_nominal)^n is the power-law fit at every flow
    power = curves.pressure_drop_fit("power")
    dp_nominal, n, m_nominal, delta_m, p_it = (
        modelica_values(text, key)[0]
        for key in ("dp_nominal", "n", "m_flow_nominal", "deltaM", "PIT_nominal"))
    density = float(case.coolant_material().density(np.mean(curves.mean_temperatures)))
    assert m_nominal == pytest.approx(density * q.mean(), rel=REL)
    assert n == pytest.approx(power.exponent, rel=REL)
    np.testing.assert_allclose(dp_nominal * (density * q / m_nominal) ** n,
                               power.pressure_drop(q), rtol=REL, atol=0)
    assert delta_m * m_nominal == pytest.approx(0.5 * density * q.min(), rel=REL)
    assert p_it == pytest.approx(sum(powers.values()), rel=REL)
    assert 1.0 <= n <= 2.0  # Buildings' bounds on n
    np.testing.assert_allclose(modelica_values(text, "dp_points"), curves.pressure_drops,
                               rtol=REL, atol=0)


def test_single_chip_record_holds_the_chip_resistance_and_no_per_chip_records():
    points = [OperatingPoint(flow=q, pressure_drop=A * q + B * q**2, inlet_temperature=T_IN,
                             outlet_temperature=T_IN + 1.0,
                             case_temperatures={"gpu": T_IN + resistance("gpu", q) * 700.0},
                             chip_powers={"gpu": 700.0}) for q in FLOWS]
    from solver.coupling import PlateCurves

    curves = PlateCurves.from_points(points, name="model")  # a Modelica keyword
    text = modelica_record(curves, density=1000.0)
    check_modelica_structure(text, "Plate_model")
    np.testing.assert_allclose(modelica_values(text, "R", "theRes("),
                               [resistance("gpu", q) for q in FLOWS], rtol=REL, atol=0)
    assert "theRes_gpu" not in text
    with pytest.raises(ValueError, match="two characterized flows"):
        modelica_record(PlateCurves.from_points(points[:1]), density=1000.0)


def test_exports_are_written_when_stored_curves_are_reused():
    case = load_case(PLATE)
    characterize(case, FLOWS, runner=two_chip_runner)  # this test's own cache (conftest)
    paths = curve_export_paths(curves_path(case, FLOWS))
    for path in paths.values():
        path.unlink()
    calls = []

    def runner(*args):
        calls.append(args)
        return two_chip_runner(*args)

    reused = characterize(case, FLOWS, runner=runner)
    assert not calls and reused.flows.size == len(FLOWS)
    assert all(path.is_file() for path in paths.values())


def test_foster_terms_csv_beside_a_reused_impedance(tmp_path):
    from solver.case import case_hash
    from solver.output import write_json

    case = load_case(PLATE)
    foster = {"gpu": {"resistances_K_per_W": [0.01, 0.02], "time_constants_s": [0.5, 8.0]},
              "hbm": {"resistances_K_per_W": [0.03], "time_constants_s": [2.0]}}
    stored = {"case": case.name, "case_hash": case_hash(case), "flow_m3_per_s": 1e-5,
              "inlet_temperature_K": T_IN, "chip_powers_W": {"gpu": 700.0, "hbm": 100.0},
              "run": {}, "chips": {n: {"foster": f, "fit": {"terms": len(f["time_constants_s"])},
                                       "steady_resistance_K_per_W": 0.03}
                                   for n, f in foster.items()}}
    write_json(impedance_path(case), stored)
    assert characterize_impedance(case) == stored  # reused, no solve
    rows = read_csv(foster_path(impedance_path(case)))
    assert list(rows[0]) == ["chip", "term", "resistance [K/W]", "time_constant [s]"]
    for chip, f in foster.items():
        mine = [r for r in rows if r["chip"] == chip]
        assert [r["term"] for r in mine] == list(range(1, len(mine) + 1))
        assert [r["resistance [K/W]"] for r in mine] == f["resistances_K_per_W"]
        assert [r["time_constant [s]"] for r in mine] == f["time_constants_s"]


# -- the network -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def network_csv(tmp_path_factory):
    data = tomllib.loads(NETWORK.read_text())
    out = tmp_path_factory.mktemp("rack_network")
    run_network_case(NetworkSection(**data["network"]), get_coolant(data["coolant"]["name"]),
                     out, quiet=True, plots=False)
    rows = read_csv(out / "network.csv")
    return ([r for r in rows if r["type"] == "component"],
            {r["name"]: r for r in rows if r["type"] == "node"})


def test_network_csv_node_pressures_give_every_pressure_drop(network_csv):
    components, nodes = network_csv
    assert len(components) > 100
    for row in components:
        across = nodes[row["inlet"]]["pressure [Pa]"] - nodes[row["outlet"]]["pressure [Pa]"]
        assert across == pytest.approx(row["pressure_drop [Pa]"], rel=1e-9), row["name"]
        assert row["inlet_pressure [Pa]"] == nodes[row["inlet"]]["pressure [Pa]"]
        assert row["outlet_pressure [Pa]"] == nodes[row["outlet"]]["pressure [Pa]"]
    plates = [r for r in components if r["kind"] == "cold_plate"]
    assert plates and all(r["thermal_resistance [K/W]"] > 0 for r in plates)
    for r in plates:
        assert r["case_temperature [K]"] == pytest.approx(
            r["inlet_temperature [K]"] + r["thermal_resistance [K/W]"] * r["heat [W]"], rel=REL)


def test_network_csv_mass_balance_closes_at_every_node(network_csv):
    components, nodes = network_csv
    balance = {name: node["boundary_mass_flow [kg/s]"] for name, node in nodes.items()}
    through = dict.fromkeys(nodes, 0.0)
    for row in components:
        m = row["mass_flow [kg/s]"]
        balance[row["outlet"]] += m
        balance[row["inlet"]] -= m
        through[row["outlet"]] += abs(m)
        through[row["inlet"]] += abs(m)
    worst = max(abs(balance[n]) / through[n] for n in nodes)
    assert worst < REL
    # the tank, the facility's flow and pressure boundaries are named where they sit
    named = {n: r["boundary"] for n, r in nodes.items() if r["boundary"]}
    assert len(named) >= 2
    assert any(nodes[n]["boundary_mass_flow [kg/s]"] > 0 for n in named)


def test_network_csv_headers_carry_units(network_csv):
    components, nodes = network_csv
    text_columns = {"type", "name", "kind", "inlet", "outlet", "friction_law", "boundary"}
    for name in components[0]:
        assert name in text_columns or re.fullmatch(r".+ \[[^\]]+\]", name), name


def test_cli_characterize_writes_and_names_the_exports(capsys, monkeypatch):
    import sys

    from solver import cli

    # the module (the package's name ``characterize`` is the function)
    monkeypatch.setattr(sys.modules["solver.coupling.characterize"], "coldplate_runner",
                        two_chip_runner)
    code = cli.main(["characterize", str(PLATE), "--flows", "0.4, 0.8, 1.2, 1.6, 2.4 L/min",
                     "--no-impedance", "--quiet"])
    out = capsys.readouterr()
    assert code == 0, out.err
    paths = curve_export_paths(curves_path(load_case(PLATE), FLOWS))
    assert all(path.is_file() for path in paths.values())
    assert "-fits.csv, .mo Modelica Buildings record" in out.out
