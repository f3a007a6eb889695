"""Coupled hydraulic-thermal solve: Newton hydraulics and linear thermal pass in a Picard loop.

The pumps' shaft power enters the coolant at the pumps (``CoupledSolve.pump_heat``,
:func:`solver.network.thermal.pump_heat`). Fluid properties are evaluated at the computed
temperatures and fed back into the hydraulics:
density and viscosity per branch at the branch mean temperature, specific heat per loop at the
loop's flow-weighted mean temperature (so the energy balance is exact). The loop stops when
temperatures change by less than ``temperature_tol`` and flows by less than ``flow_rtol``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solver.network.errors import NetworkConvergenceError, NetworkError
from solver.network.hydraulics import HydraulicSolve, solve_hydraulics, state_vector
from solver.network.thermal import pump_heat, solve_temperatures


@dataclass(frozen=True)
class CoupledSolve:
    """Settings of the outer (Picard) iteration.

    Attributes
    ----------
    temperature_tol : float
        [K] largest node temperature change at convergence.
    flow_rtol : float
        [-] largest branch flow change relative to the largest flow.
    max_iterations : int
    initial_temperature : float
        [K] temperature used for the first property evaluation.
    hydraulics : HydraulicSolve
    pump_heat : bool
        Add each pump's shaft power to the coolant
        (:func:`solver.network.thermal.pump_heat`).
    """

    temperature_tol: float = 1e-7
    flow_rtol: float = 1e-10
    max_iterations: int = 40
    initial_temperature: float = 308.15
    hydraulics: HydraulicSolve = field(default_factory=HydraulicSolve)
    pump_heat: bool = True


@dataclass
class NetworkSolution:
    """Converged state of the network (SI units; arrays ordered like the network lists)."""

    network: object
    mass_flow: np.ndarray  # (nb,) [kg/s]
    pressure: np.ndarray  # (nn,) [Pa]
    pressure_drop: np.ndarray  # (nb,) [Pa]
    node_temperature: np.ndarray  # (nn,) [K]
    inlet_temperature: np.ndarray  # (nb,) [K]
    outlet_temperature: np.ndarray  # (nb,) [K]
    heat: np.ndarray  # (nb,) [W]
    density: np.ndarray  # (nb,) [kg/m3]
    viscosity: np.ndarray  # (nb,) [Pa s]
    specific_heat: np.ndarray  # (nb,) [J/(kg K)]
    exchangers: list
    energy_balance_error: float
    newton_histories: list  # one residual history per hydraulic solve
    picard_history: list  # max temperature change per outer iteration
    iterations: int
    pump_heat: float = 0.0  # [W] shaft power of the pumps added to the coolant

    @property
    def volumetric_flow(self):
        """Branch volumetric flows [m3/s]."""
        return self.mass_flow / self.density

    def mass_imbalance(self) -> float:
        """Largest node mass imbalance relative to the largest branch flow [-] (free nodes)."""
        c = self.network.compile()
        residual = c.incidence @ self.mass_flow + c.injection
        scale = max(float(np.max(np.abs(self.mass_flow))), 1e-300)
        return float(np.max(np.abs(residual[~c.fixed]), initial=0.0) / scale)

    def flow(self, name):
        """Mass flow [kg/s] of branch ``name``."""
        return float(self.mass_flow[self.network.branch_index(name)])

    def node_pressure(self, name):
        """Pressure [Pa] of node ``name``."""
        return float(self.pressure[self.network.node_index(name)])

    def temperature(self, name):
        """Temperature [K] of node ``name``."""
        return float(self.node_temperature[self.network.node_index(name)])


def _fluid_for(fluids, key, where):
    if key not in fluids:
        raise NetworkError(f"{where} uses fluid '{key}' but no such fluid was given "
                           f"(have: {', '.join(sorted(fluids))})")
    return fluids[key]


def _properties(network, fluids, t_branch, t_loop_mean):
    c = network.compile()
    nb = len(c.branch_names)
    rho, mu, cp = np.empty(nb), np.empty(nb), np.empty(nb)
    keys = np.array(c.branch_fluid)
    for key in set(c.branch_fluid):
        sel = keys == key
        fluid = _fluid_for(fluids, key, f"component '{c.branch_names[np.argmax(sel)]}'")
        # evaluate inside the fluid's valid range while iterating; the converged state is
        # checked against the range afterwards (check_fluid_ranges)
        low, high = getattr(fluid, "valid_range", (0.0, np.inf))
        t_sel = np.clip(t_branch[sel], low, high)
        t_mean = float(np.clip(t_loop_mean[key], low, high))
        rho[sel] = fluid.density(t_sel)
        mu[sel] = fluid.viscosity(t_sel)
        cp[sel] = fluid.specific_heat(np.full(sel.sum(), t_mean))
    return rho, mu, cp


def solve_network(network, fluids, settings=CoupledSolve(), x0=None, check_range=True):
    """Solve flows, pressures and temperatures of ``network`` consistently.

    Parameters
    ----------
    network : Network
    fluids : dict
        Fluid key (the nodes' ``fluid``) -> coolant with ``density(T)``, ``viscosity(T)``,
        ``specific_heat(T)`` (T in K, SI results).
    settings : CoupledSolve
    x0 : ndarray | None
        Hydraulic warm start (:func:`~solver.network.hydraulics.state_vector`).
    check_range : bool
        Check the loop temperatures against the fluids' valid ranges (``MaterialRangeError``);
        the controls switch it off while they search and check the final state.

    Returns
    -------
    NetworkSolution
    """
    network.diagnose()
    c = network.compile()
    nb = len(c.branch_names)
    t_branch = np.full(nb, settings.initial_temperature)
    t_loop = {key: settings.initial_temperature for key in set(c.branch_fluid)}
    newton_histories, picard = [], []
    t_node_old = None
    m_old = None
    hyd = thermal = None
    keys = np.array(c.branch_fluid)
    relax = 1.0
    for _ in range(settings.max_iterations):
        rho, mu, cp = _properties(network, fluids, t_branch, t_loop)
        history = []
        hyd = solve_hydraulics(network, rho, mu, x0=x0, settings=settings.hydraulics,
                               residuals=history)
        newton_histories.append(history)
        x0 = state_vector(network, hyd)
        added = (pump_heat(network, hyd.mass_flow, hyd.pressure_drop, rho)
                 if settings.pump_heat else None)
        thermal = solve_temperatures(network, hyd.mass_flow, cp, settings.initial_temperature,
                                     added)
        t_new = 0.5 * (thermal.inlet_temperature + thermal.outlet_temperature)
        # under-relax the property temperatures when the passes start to diverge
        if len(picard) >= 2 and picard[-1] > picard[-2]:
            relax = max(0.5 * relax, 0.05)
        t_branch = relax * t_new + (1.0 - relax) * t_branch
        weights = np.abs(hyd.mass_flow) + 1e-30
        for key in t_loop:
            sel = keys == key
            t_loop[key] = float(np.sum(weights[sel] * t_branch[sel]) / np.sum(weights[sel]))
        d_t = (np.inf if t_node_old is None
               else float(np.max(np.abs(thermal.node_temperature - t_node_old))))
        d_m = (np.inf if m_old is None else float(np.max(np.abs(hyd.mass_flow - m_old))
                                                  / max(np.max(np.abs(hyd.mass_flow)), 1e-300)))
        picard.append(d_t)
        t_node_old = thermal.node_temperature
        m_old = hyd.mass_flow
        if d_t < settings.temperature_tol and d_m < settings.flow_rtol:
            break
    else:
        raise NetworkConvergenceError(
            f"hydraulic-thermal iteration did not converge in {settings.max_iterations} "
            f"passes (last dT {picard[-1]:.3e} K)")
    solution = NetworkSolution(network, hyd.mass_flow, hyd.pressure, hyd.pressure_drop,
                               thermal.node_temperature, thermal.inlet_temperature,
                               thermal.outlet_temperature, thermal.heat, rho, mu, cp,
                               thermal.exchangers, thermal.energy_balance_error, newton_histories,
                               picard, len(picard), thermal.pump_heat)
    if check_range:
        check_fluid_ranges(solution, fluids)
    return solution


def check_fluid_ranges(solution, fluids):
    """Raise the fluid's ``MaterialRangeError`` when a loop leaves its valid temperature range."""
    network = solution.network
    for key in {n.fluid for n in network.nodes}:
        fluid = fluids.get(key)
        if fluid is None or not hasattr(fluid, "check_range"):
            continue
        inside = np.array([n.fluid == key for n in network.nodes])
        fluid.check_range(solution.node_temperature[inside], where=f"network loop '{key}'")
