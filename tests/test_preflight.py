"""solver.preflight: the case key of the component a network message names, for explicit
entries and for the names the rack builder makes."""

from solver.case import NetworkSection
from solver.preflight import network_key

EXPLICIT = NetworkSection(
    nodes=[{"name": "a"}, {"name": "b"}],
    components=[{"kind": "pipe", "name": "hose", "inlet": "a", "outlet": "b", "length": 1.0,
                 "diameter": 0.01},
                {"kind": "heat_exchanger", "name": "hx", "hot_inlet": "a", "hot_outlet": "b",
                 "cold_inlet": "c", "cold_outlet": "d", "ua": 1000.0,
                 "rated_hot_flow": 1e-4, "rated_cold_flow": 1e-4},
                {"kind": "pipe", "name": "hose", "inlet": "b", "outlet": "a", "length": 1.0,
                 "diameter": 0.01}])


def test_explicit_entries():
    assert network_key(EXPLICIT, "component 'hx.hot' refers to unknown node 'c'") == \
        "network.components[1]"
    # repeated names: the later entry, the one that repeats
    assert network_key(EXPLICIT, "duplicate component names: 'hose'") == "network.components[2]"
    assert network_key(EXPLICIT, "duplicate node names: 'b'") == "network.nodes[1]"
    assert network_key(EXPLICIT, "the network has no components") == "network"


def test_rack_names():
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    rack = NetworkSection.model_validate(
        tomllib.loads((root / "cases" / "rack_network.toml").read_text())["network"])
    assert network_key(rack, "heat loads 'tray.3.cpu.1' sit in a closed loop") == \
        "network.rack.plates[1]"
    assert network_key(rack, "dead-headed pump 'cdu.pumps': no open path") == "network.rack.cdu"
    assert network_key(rack, "rack controls: pump_target 'flow' needs flow_setpoint") == \
        "network.rack.controls"
    assert network_key(rack, "rack: tray 3 carries no plate group") == "network.rack"
