"""Small networks shared by the transient tests (SI units)."""

from solver.materials import Coolant
from solver.network import ExpansionTank, FlowBoundary, Network, Node, PressureBoundary
from solver.network.components import (
    CheckValve,
    ColdPlate,
    HeatExchanger,
    HeatExchangerSide,
    Pipe,
    Pump,
)

WATER = Coolant.constant("water_35C", rho=994.1, cp=4179.0, mu=0.719e-3, k=0.622)
FLUIDS = {"coolant": WATER, "facility": WATER}
PLATE_FLOW = 1.5 / 60000.0  # [m3/s] 1.5 L/min


def plate(name, inlet, outlet, power=1000.0):
    """OCP-class 1 kW plate: 15 kPa at 1.5 L/min, R from 0.039 K/W (0.4 L/min) to 0.020 K/W."""
    return ColdPlate(name, inlet, outlet, flows=(PLATE_FLOW,), pressure_drops=(1.5e4,),
                     power=power, resistance_flows=(0.4 / 60000, 1.0 / 60000, 2.4 / 60000),
                     resistances=(0.039, 0.0277, 0.020))


def cooling_loop(plates=2, pump_units=1, running=None, facility_flow=0.1):
    """A closed coolant loop with ``plates`` parallel cold plates, a CDU heat exchanger and
    facility water; ``pump_units`` parallel pumps, each followed by a check valve (the first
    ``running`` of them on, the others standby)."""
    running = pump_units if running is None else running
    flow = plates * PLATE_FLOW
    nodes = [Node(n) for n in ("ret", "pump_out", "supply", "plates_in", "plates_out")]
    nodes += [Node("fw.in", fluid="facility"), Node("fw.out", fluid="facility")]
    branches = []
    for k in range(pump_units):
        nodes.append(Node(f"pump.{k}.out"))
        branches += [Pump(f"pump.{k}", "ret", f"pump.{k}.out", flows=(0.0, flow, 2.0 * flow),
                          pressures=(6e4, 4.5e4, 1.5e4), running=int(k < running)),
                     CheckValve(f"check.{k}", f"pump.{k}.out", "pump_out", kv=5.0)]
    hot = HeatExchangerSide("hx.hot", "pump_out", "supply", flow, 2e4)
    cold = HeatExchangerSide("hx.cold", "fw.in", "fw.out", facility_flow / 1000.0, 2e4)
    branches += [hot, cold,
                 Pipe("supply_pipe", "supply", "plates_in", length=5.0, diameter=0.02),
                 Pipe("return_pipe", "plates_out", "ret", length=5.0, diameter=0.02)]
    branches += [plate(f"plate.{k}", "plates_in", "plates_out") for k in range(plates)]
    hx = HeatExchanger("hx", hot, cold, ua=400.0 * plates, rated_hot_flow=flow * 994.1,
                       rated_cold_flow=facility_flow)
    return Network(nodes, branches, [hx], tanks=[ExpansionTank("tank", "ret", 1.5e5)],
                   pressure_boundaries=[PressureBoundary("fw.return", "fw.out", 1e5, 305.15)],
                   flow_boundaries=[FlowBoundary("fw.supply", "fw.in", facility_flow, 305.15)])


def pipe_between_boundaries(length=10.0, diameter=0.02, pressure=5000.0, temperature=300.0):
    """One pipe fed from a pressure boundary (fluid enters at ``temperature`` [K])."""
    return Network([Node("in"), Node("out")],
                   [Pipe("pipe", "in", "out", length=length, diameter=diameter)],
                   pressure_boundaries=[PressureBoundary("in", "in", pressure, temperature),
                                        PressureBoundary("out", "out", 0.0, temperature)])
