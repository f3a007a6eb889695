"""Controls that move an actuator until a measured quantity meets its setpoint.

- :class:`PumpSpeedControl`: pump group speed to hold a differential pressure between two nodes
  or a flow through a component.
- :class:`SupplyTemperatureControl`: facility-side valve opening or facility flow to hold the
  technology-cooling-loop supply temperature at a node.

Each control is a scalar root search (Brent's method, ``scipy.optimize.brentq``) around the full
coupled solve, swept in Gauss-Seidel fashion until every control is satisfied. A setpoint that
cannot be met inside the actuator range is reported (``met = False``) together with the closest
achievable state, which is left as the network's operating point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from solver.network.errors import NetworkError
from solver.network.solve import CoupledSolve, check_fluid_ranges, solve_network


@dataclass(frozen=True)
class PumpSpeedControl:
    """Pump speed to hold a differential pressure [Pa] or a flow [m3/s].

    Parameters
    ----------
    name : str
    pump : str
        Pump component name (its ``speed`` is the actuator).
    target : str
        "differential_pressure" (``p(high_node) - p(low_node)``) or "flow" (volumetric flow of
        ``component``).
    setpoint : float
        [Pa] or [m3/s].
    high_node, low_node, component : str
        Where the target is measured.
    min_speed, max_speed : float
        [-] actuator range relative to the datasheet speed.
    """

    name: str
    pump: str
    target: str
    setpoint: float
    high_node: str = ""
    low_node: str = ""
    component: str = ""
    min_speed: float = 0.2
    max_speed: float = 1.2

    def apply(self, network, value):
        """Set the pump group speed [-]."""
        network.replace_branch(self.pump, speed=float(value))

    def current(self, network):
        """Current pump speed [-]."""
        return network.branch(self.pump).speed

    def bounds(self):
        """Actuator range (min, max) [-]."""
        return self.min_speed, self.max_speed

    def measure(self, solution):
        """Measured differential pressure [Pa] or volumetric flow [m3/s]."""
        if self.target == "differential_pressure":
            return solution.node_pressure(self.high_node) - solution.node_pressure(self.low_node)
        i = solution.network.branch_index(self.component)
        return float(solution.volumetric_flow[i])

    def validate(self, network):
        """Raise NetworkError when the pump, nodes or component do not exist."""
        network.branch(self.pump)
        if self.target == "differential_pressure":
            network.node_index(self.high_node)
            network.node_index(self.low_node)
        elif self.target == "flow":
            network.branch(self.component)
        else:
            raise NetworkError(f"control '{self.name}': unknown target '{self.target}'")


@dataclass(frozen=True)
class SupplyTemperatureControl:
    """Facility valve opening or facility flow to hold a supply temperature [K] at ``node``.

    Parameters
    ----------
    name : str
    node : str
        Sensor node (the TCS supply).
    setpoint : float
        [K] supply temperature.
    valve : str
        Facility-side valve whose opening (``min_value``..``max_value``) is the actuator, or
    flow_boundary : str
        Facility flow boundary whose mass flow [kg/s] (``min_value``..``max_value``) is the
        actuator.
    """

    name: str
    node: str
    setpoint: float
    valve: str = ""
    flow_boundary: str = ""
    min_value: float = 0.05
    max_value: float = 1.0

    def apply(self, network, value):
        """Set the valve opening [-] or the facility mass flow [kg/s]."""
        if self.valve:
            network.replace_branch(self.valve, opening=float(value))
        else:
            network.replace_flow_boundary(self.flow_boundary, float(value))

    def current(self, network):
        """Current valve opening [-] or facility mass flow [kg/s]."""
        if self.valve:
            return network.branch(self.valve).opening
        return next(fb.mass_flow for fb in network.flow_boundaries
                    if fb.name == self.flow_boundary)

    def bounds(self):
        """Actuator range (min, max)."""
        return self.min_value, self.max_value

    def measure(self, solution):
        """Supply temperature at the sensor node [K]."""
        return solution.temperature(self.node)

    def validate(self, network):
        """Raise NetworkError when the node or actuator does not exist."""
        network.node_index(self.node)
        if bool(self.valve) == bool(self.flow_boundary):
            raise NetworkError(f"control '{self.name}': give exactly one of valve or "
                               "flow_boundary as the actuator")
        if self.valve:
            network.branch(self.valve)
        elif not any(fb.name == self.flow_boundary for fb in network.flow_boundaries):
            raise NetworkError(f"control '{self.name}': no flow boundary "
                               f"'{self.flow_boundary}'")


@dataclass
class ControlReport:
    """Outcome of one control [SI]."""

    name: str
    setpoint: float
    achieved: float
    actuator: float
    met: bool
    message: str


def solve_with_controls(network, fluids, controls, settings=None, rtol=1e-6,
                        sweeps=6):
    """Solve the network while every control drives its actuator to the setpoint.

    Parameters
    ----------
    network : Network
        Modified in place: actuators are left at their final values.
    fluids : dict
    controls : list
        :class:`PumpSpeedControl` / :class:`SupplyTemperatureControl` objects.
    settings : CoupledSolve | None
    rtol : float
        Relative tolerance on each setpoint (absolute 1e-4 K for temperatures).
    sweeps : int
        Gauss-Seidel sweeps over the controls.

    Returns
    -------
    solution : NetworkSolution
    reports : list of ControlReport
    """
    settings = settings if settings is not None else CoupledSolve()
    for ctl in controls:
        ctl.validate(network)
    state = {"x0": None}

    def solve():
        sol = solve_network(network, fluids, settings, x0=state["x0"],
                            check_range=not controls)
        fixed = network.compile().fixed
        state["x0"] = np.concatenate([sol.mass_flow, sol.pressure[~fixed]])
        return sol

    def tolerance(ctl):
        if isinstance(ctl, SupplyTemperatureControl):
            return 1e-4
        return rtol * abs(ctl.setpoint)

    solution = solve()
    if not controls:
        return solution, []
    unmet = {}
    for _ in range(sweeps):
        all_ok = True
        for ctl in controls:
            error = ctl.measure(solution) - ctl.setpoint
            if abs(error) <= tolerance(ctl):
                continue
            all_ok = False
            lo, hi = ctl.bounds()

            def g(u, ctl=ctl):
                ctl.apply(network, u)
                return ctl.measure(solve()) - ctl.setpoint

            # secant steps from the current actuator value (cheap when the response is smooth)
            u0 = float(np.clip(ctl.current(network), lo, hi))
            u1 = float(np.clip(u0 + 0.02 * (hi - lo), lo, hi))
            if u1 == u0:
                u1 = u0 - 0.02 * (hi - lo)
            g0, g1 = error, g(u1)
            for _ in range(12):
                if abs(g1) <= tolerance(ctl) or g1 == g0:
                    break
                u2 = float(np.clip(u1 - g1 * (u1 - u0) / (g1 - g0), lo, hi))
                if u2 == u1:
                    break
                u0, g0, u1, g1 = u1, g1, u2, g(u2)
            if abs(g1) <= tolerance(ctl):
                unmet.pop(ctl.name, None)
                solution = solve()
                continue
            # otherwise bracket over the whole actuator range (Brent)
            g_lo, g_hi = g(lo), g(hi)
            if np.sign(g_lo) == np.sign(g_hi):
                best = lo if abs(g_lo) < abs(g_hi) else hi
                ctl.apply(network, best)
                unmet[ctl.name] = best
            else:
                unmet.pop(ctl.name, None)
                root = brentq(g, lo, hi, xtol=1e-12 * (hi - lo), rtol=1e-10, maxiter=100)
                ctl.apply(network, root)
            solution = solve()
        if all_ok:
            break
    check_fluid_ranges(solution, fluids)
    reports = []
    for ctl in controls:
        achieved = ctl.measure(solution)
        met = abs(achieved - ctl.setpoint) <= 10 * tolerance(ctl)
        if met:
            message = "setpoint met"
        else:
            message = (f"setpoint {ctl.setpoint:.6g} cannot be met within the actuator range "
                       f"{ctl.bounds()}; closest achievable {achieved:.6g} at actuator "
                       f"{ctl.current(network):.6g}")
        reports.append(ControlReport(ctl.name, ctl.setpoint, float(achieved),
                                     float(ctl.current(network)), bool(met), message))
    return solution, reports
