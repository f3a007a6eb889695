"""Malformed networks: each diagnosis names the component(s) in a one-line NetworkError.

The command line reports a NetworkError as one line with exit code 2; these tests pin the
messages (and that they are one line) at the library level.
"""

import pytest
from pydantic import ValidationError

from solver.case import NetworkSection
from solver.materials import Coolant
from solver.network import (
    ExpansionTank,
    FlowBoundary,
    Network,
    NetworkError,
    Node,
    PressureBoundary,
    solve_network,
)
from solver.network.components import HeatLoad, Pipe, Pump, Valve
from solver.network.rack import build_network

FLUID = Coolant.constant("test", rho=1000.0, cp=4180.0, mu=1e-3, k=0.6)
FLUIDS = {"coolant": FLUID, "facility": FLUID}
CURVE = {"flows": (0.0, 1e-3, 2e-3), "pressures": (1e5, 8e4, 4e4)}


def loop(tank=True, extra_nodes=(), extra=()):
    nodes = [Node(n) for n in ("a", "b", "c", *extra_nodes)]
    branches = [Pump("pump", "a", "b", **CURVE), Pipe("pipe", "b", "c", 1.0, 0.02),
                HeatLoad("load", "c", "a", power=0.0, rated_flow=1e-3, rated_pressure_drop=2e4),
                *extra]
    return Network(nodes, branches, tanks=[ExpansionTank("tank", "a", 1e5)] if tank else [])


def one_line_error(net, *words):
    with pytest.raises(NetworkError) as err:
        solve_network(net, FLUIDS)
    message = str(err.value)
    assert "\n" not in message
    for word in words:
        assert word in message
    return message


def test_good_loop_solves():
    sol = solve_network(loop(), FLUIDS)
    assert sol.flow("pump") > 0


def test_disconnected_sub_network_is_named():
    net = loop(extra_nodes=("x", "y"), extra=(Pipe("orphan_hose", "x", "y", 1.0, 0.01),))
    one_line_error(net, "disconnected sub-network", "'orphan_hose'")


def test_loop_without_pressure_reference_is_named():
    one_line_error(loop(tank=False), "no pressure reference", "'pump'", "'pipe'", "'load'")


def test_dead_headed_pump_is_named_with_the_closed_valve():
    nodes = [Node(n) for n in ("a", "b", "c")]
    net = Network(nodes, [Pump("cdu.pump", "a", "b", **CURVE),
                          Valve("isolation", "b", "c", kv_max=5.0, opening=0.0),
                          Pipe("pipe", "c", "a", 1.0, 0.02)],
                  tanks=[ExpansionTank("tank", "a", 1e5)])
    one_line_error(net, "dead-headed pump 'cdu.pump'", "'isolation'")


def test_pump_against_a_second_pump_in_reverse_is_dead_headed():
    nodes = [Node(n) for n in ("a", "b")]
    net = Network(nodes, [Pump("p1", "a", "b", **CURVE), Pump("p2", "a", "b", **CURVE)],
                  tanks=[ExpansionTank("tank", "a", 1e5)])
    one_line_error(net, "dead-headed pump", "'p2'")


def test_closed_path_with_fixed_flow_is_named():
    nodes = [Node(n, fluid="facility") for n in ("in", "mid", "out")]
    net = Network(nodes, [Valve("facility.valve", "in", "mid", kv_max=10.0, opening=0.0),
                          Pipe("facility.pipe", "mid", "out", 1.0, 0.05)],
                  pressure_boundaries=[PressureBoundary("return", "out", 0.0)],
                  flow_boundaries=[FlowBoundary("facility.supply", "in", 1.0)])
    one_line_error(net, "closed path with no flow possible", "'facility.supply'",
                   "'facility.valve'")


def test_unknown_node_is_named():
    net = loop(extra=(Pipe("stray", "c", "nowhere", 1.0, 0.01),))
    one_line_error(net, "'stray'", "'nowhere'")


def test_heat_without_a_sink_is_named():
    net = loop()
    net.branches[2] = HeatLoad("gpu_load", "c", "a", power=1000.0, rated_flow=1e-3,
                               rated_pressure_drop=2e4)
    one_line_error(net, "'gpu_load'", "no heat exchanger")


def section(components):
    return NetworkSection(nodes=[{"name": "a"}, {"name": "b"}], components=components)


def test_negative_size_in_case_names_the_component():
    sec = section([{"kind": "pipe", "name": "supply_hose", "inlet": "a", "outlet": "b",
                    "length": "-2 m", "diameter": "10 mm"}])
    with pytest.raises(NetworkError, match="'supply_hose'.*length"):
        build_network(sec)


def test_unknown_component_kind_is_rejected_by_the_schema():
    with pytest.raises(ValidationError) as err:
        section([{"kind": "flux_capacitor", "name": "x", "inlet": "a", "outlet": "b"}])
    assert "flux_capacitor" in str(err.value)


def test_non_monotonic_pump_curve_in_case_names_the_pump():
    sec = section([{"kind": "pump", "name": "cdu.pump_a", "inlet": "a", "outlet": "b",
                    "flows": ["0 L/min", "50 L/min", "100 L/min"],
                    "pressures": ["100 kPa", "120 kPa", "60 kPa"]}])
    with pytest.raises(NetworkError, match="'cdu.pump_a'.*not monotonic"):
        build_network(sec)


def test_quantities_accept_units():
    sec = section([{"kind": "pipe", "name": "p", "inlet": "a", "outlet": "b",
                    "length": "150 cm", "diameter": "12 mm"}])
    pipe = build_network(sec).network.branches[0]
    assert pipe.length == pytest.approx(1.5) and pipe.diameter == pytest.approx(0.012)


def test_a_pressure_drop_that_falls_with_flow_is_named():
    """A passive component's pressure drop rises with its flow; points that fit dP ~ Q^n with
    n <= 0 (here n = log(8/28)/log(2) = -1.81) are refused, naming the plate and the exponent."""
    from solver.network.components import ColdPlate

    with pytest.raises(NetworkError, match=r"'plate': pressure drop must rise .*Q\^-1.81"):
        ColdPlate("plate", "a", "b", flows=(1e-3 / 60, 2e-3 / 60), pressure_drops=(2.8e4, 8e3))


def test_heat_without_a_sink_is_found_before_solving():
    """check_heat_sinks finds what the thermal solve would, on the unsolved network."""
    from solver.network.thermal import check_heat_sinks

    check_heat_sinks(loop())
    net = loop()
    net.branches[2] = HeatLoad("gpu_load", "c", "a", power=1000.0, rated_flow=1e-3,
                               rated_pressure_drop=2e4)
    with pytest.raises(NetworkError, match="'gpu_load' sit in a closed loop"):
        check_heat_sinks(net)
