"""Friction law selection and reporting, Darby's 3-K fittings on the nominal pipe size, and the
case keys of the split-dependent junctions.

References
----------
- Darby, R. (2001). Take the mystery out of non-Newtonian fluids / Correlate pressure drops
  through fittings. Chem. Eng. 108(4), 66-73: ``K = K1/Re + Ki (1 + Kd / Dn^0.3)`` with ``Dn``
  the nominal pipe size in inches; standard threaded 90-degree elbow K1 = 800, Ki = 0.14,
  Kd = 4.0 (his table; also Darby, Chemical Engineering Fluid Mechanics, Table 7-3).
- ASME B36.10M schedule 40: NPS 2 has OD 60.3 mm and wall 3.91 mm (bore 52.48 mm); NPS 4 has
  a 102.26 mm bore, the 102.3 mm Crane uses for a DN100 schedule-40 tee (TP-410 Example 7-35).
"""

import tomllib

import numpy as np
import pytest
from pydantic import ValidationError

from solver.case import NetworkSection
from solver.materials import Coolant
from solver.network import NetworkError, solve_network
from solver.network.components import Fitting
from solver.network.pipe_sizes import SCHEDULE_40_BORE, nominal_size
from solver.network.rack import build_network
from solver.output.network import branch_table, format_network_summary, summarize

CASES = __import__("pathlib").Path(__file__).resolve().parents[2] / "cases"


def rack_section(**changes):
    data = tomllib.loads((CASES / "rack_network.toml").read_text())["network"]
    data["rack"].update(changes)
    data["rack"]["trays"] = 4
    data["rack"]["controls"] = {}
    return data


def test_3k_fitting_uses_the_nominal_size():
    # NPS 2 schedule 40, standard threaded elbow: K_inf(1 + Kd / 2^0.3), exactly
    expected = 0.14 * (1.0 + 4.0 / 2.0**0.3)
    given = Fitting("e", "a", "b", diameter=0.05248, k1=800.0, k_inf=0.14, k_d=4.0, method="3K",
                    nominal_size=2.0)
    derived = Fitting("e", "a", "b", diameter=0.05248, k1=800.0, k_inf=0.14, k_d=4.0,
                      method="3K")
    assert given.turbulent_k() == pytest.approx(expected, rel=1e-14)
    assert derived.turbulent_k() == pytest.approx(expected, rel=1e-14)
    # the bore in inches (2.066) would have lowered K by 0.75 % (issue 16)
    bore_inches = 0.14 * (1.0 + 4.0 / (0.05248 / 0.0254) ** 0.3)
    assert 1.0 - bore_inches / expected == pytest.approx(0.0075, abs=5e-4)


def test_schedule_40_table_and_nominal_size_lookup():
    assert SCHEDULE_40_BORE[list(np.round(SCHEDULE_40_BORE, 4)).index(0.1023)] == \
        pytest.approx(0.1023, abs=5e-5)
    assert nominal_size(0.0525) == 2.0
    assert nominal_size(0.0158) == 0.5
    assert nominal_size(0.1023) == 4.0
    with pytest.raises(NetworkError, match="give nominal_size"):
        nominal_size(0.002)
    with pytest.raises(NetworkError, match="nominal_size must be positive"):
        Fitting("e", "a", "b", diameter=0.05, method="3K", nominal_size=0.0)


def test_friction_default_and_overrides_reach_every_pipe_and_the_summary():
    fluid = Coolant.constant("c", 1000.0, 4180.0, 1e-3, 0.6)
    fluids = {"coolant": fluid, "facility": fluid}
    for network_law, rack_law, expected in [(None, None, "churchill"),
                                            ("colebrook", None, "colebrook"),
                                            ("churchill", "colebrook", "colebrook")]:
        data = rack_section(**({"friction": rack_law} if rack_law else {}))
        if network_law:
            data["friction"] = network_law
        data["nodes"] = [{"name": "x"}]
        data["components"] = [{"kind": "pipe", "name": "extra", "inlet": "cdu.supply",
                               "outlet": "x", "length": 1.0, "diameter": 0.02},
                              {"kind": "pipe", "name": "own", "inlet": "x",
                               "outlet": "cdu.supply", "length": 1.0, "diameter": 0.02,
                               "friction": "churchill"}]
        built = build_network(NetworkSection(**data))
        pipes = {b.name: b.friction for b in built.network.branches if b.kind == "pipe"}
        assert pipes["own"] == "churchill"  # a pipe's own key wins
        assert pipes["extra"] == (network_law or "churchill")  # explicit pipes: [network]
        rack_pipes = {law for name, law in pipes.items() if name not in ("own", "extra")}
        assert rack_pipes == {expected}
        solution = solve_network(built.network, fluids)
        summary = summarize(built, solution, [])
        table = {row["name"]: row["friction_law"] for row in branch_table(solution)}
        assert {table[name] for name in pipes} == set(pipes.values())
        assert sorted(sum(summary["friction_laws"].values(), [])) == sorted(pipes)
        text = format_network_summary({**summary, "coolant": "c"})
        assert ("Colebrook (1939) for" in text) == ("colebrook" in pipes.values())


def test_constant_junction_keys_are_refused_with_crane_junctions():
    # the key itself is named by the case loader (tests/case/bad_cases/rack_junction_key.toml)
    with pytest.raises(ValidationError, match="constant-K header setting"):
        NetworkSection(**rack_section(header_momentum_dividing=1.0))
    with pytest.raises(ValidationError, match="constant-K header setting"):
        NetworkSection(**rack_section(header_junctions="crane", tee_branch_loss=1.0))
    constant = NetworkSection(**rack_section(header_junctions="constant",
                                             header_momentum_dividing=1.0))
    assert not build_network(constant).network.junctions
    crane = build_network(NetworkSection(**rack_section()))
    assert len(crane.network.junctions) == 8  # 4 trays x (supply, return)
    tee = {"kind": "tee", "name": "t", "run_in": "a", "run_out": "b", "branch": "c",
           "diameter": 0.02, "model": "crane", "k_run": 0.3}
    with pytest.raises(ValidationError, match="constant-K setting; model 'crane'"):
        NetworkSection(nodes=[{"name": n} for n in "abc"], components=[tee])


@pytest.mark.parametrize("aspect, tabulated", [(1.0, 56.91), (0.5, 62.19), (0.25, 72.93),
                                               (1e-6, 96.0)])
def test_rectangular_duct_friction_matches_shah_london_table(aspect, tabulated):
    """Shah & London's (1978) polynomial for laminar f Re in rectangular ducts reproduces their
    tabulated exact values (Darcy 56.91, 62.19, 72.93 and 96 between parallel plates; the same
    table tests/models/test_flow.py checks its exact series against) within 0.1 %."""
    from solver.network.friction import rectangular_duct_friction_reynolds

    assert rectangular_duct_friction_reynolds(aspect) == pytest.approx(tabulated, rel=1e-3)
    with pytest.raises(ValueError):
        rectangular_duct_friction_reynolds(2.0)
