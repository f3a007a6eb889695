"""Temperatures along the flow for given branch flows: one sparse linear system per pass.

Each node is perfectly mixed: the heat-capacity flow entering it (branches whose *actual* flow
direction ends there, plus fluid entering from a boundary) leaves at the node temperature
(upwind by actual flow direction). With ``C_b = |m_b| cp_b`` [W/K]:

    sum_in C_b T_n - sum_in (C_b T_up(b) + Q_b) - C_ext T_ext = 0

where ``Q_b`` [W] is the heat a branch adds (cold plates, heat loads). A counterflow heat
exchanger moves ``q = eps Cmin (T_hot,in - T_cold,in)`` from its hot to its cold stream
(effectiveness-NTU), which is linear in the two inlet temperatures, so the whole network stays one
linear system. Nodes with no through-flow take the mean of their neighbours.

Pump heat. A pump's shaft power ``P = Q dp / eta`` [W] all ends up in the coolant: the part
``Q dp (1/eta - 1)`` lost inside the pump (hydraulic, leakage and disc-friction losses) heats the
liquid passing through it, and the hydraulic power ``Q dp`` is dissipated by friction in the
loop the pump drives. The network has no per-branch viscous heating, so the whole shaft power is
added at the pump (:func:`pump_heat`); the motor's own losses are not (a dry, air-cooled motor,
as on CDU pumps; a wet-rotor pump would add them too). The choice moves where the hydraulic part
appears along the loop, not how much heat the loop rejects.

The heat capacity ``cp`` is taken per loop (one value per fluid, evaluated at the loop's mean
temperature by the caller), which makes the energy balance exact: heat in = heat out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from solver.network.components import counterflow_effectiveness
from solver.network.errors import NetworkError

MIN_FLOW = 1e-12  # [kg/s] below this a branch carries no heat capacity


@dataclass
class ExchangerState:
    """Operating state of one heat exchanger [SI]."""

    name: str
    heat: float  # [W] from hot to cold stream
    effectiveness: float
    ntu: float
    capacity_ratio: float
    conductance: float  # UA [W/K]
    hot_in: float  # [K]
    hot_out: float
    cold_in: float
    cold_out: float
    hot_flow: float  # [kg/s]
    cold_flow: float

    @property
    def approach(self) -> float:
        """Hot outlet minus cold inlet [K] (the CDU approach temperature)."""
        return self.hot_out - self.cold_in


@dataclass
class ThermalResult:
    """Node and branch temperatures and exchanger states."""

    node_temperature: np.ndarray  # (nn,) [K]
    inlet_temperature: np.ndarray  # (nb,) [K] at the upstream end by actual flow
    outlet_temperature: np.ndarray  # (nb,) [K] at the downstream end
    heat: np.ndarray  # (nb,) [W] heat added to the fluid in each branch
    exchangers: list
    boundary_heat: float  # [W] net enthalpy carried out through boundaries
    energy_balance_error: float  # relative: |loads - boundary heat| / loads
    pump_heat: float = 0.0  # [W] of the loads, the heat added by the pumps (flow_heat)


def _floating_loops(network, c, has_bc_temp):
    """One node per thermally isolated loop without a boundary temperature, and the branches
    of those loops (bool mask (nb,))."""
    labels = c.loop_of_node.copy()
    # loops joined through a heat exchanger share their temperature level
    for hx in network.heat_exchangers:
        a = labels[c.inlet[network.branch_index(hx.hot.name)]]
        b = labels[c.inlet[network.branch_index(hx.cold.name)]]
        labels[labels == b] = a
    pinned = []
    isolated = np.zeros(len(c.branch_names), dtype=bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if np.any(has_bc_temp[members]):
            continue
        in_loop = np.isin(c.inlet, members)
        if np.any(c.heat_input[in_loop] > 0.0):
            names = [c.branch_names[i] for i in np.flatnonzero(in_loop & (c.heat_input > 0))]
            shown = ", ".join(f"'{n}'" for n in names[:4]) + (" ..." if len(names) > 4 else "")
            raise NetworkError(f"heat loads {shown} sit in a closed loop with no heat exchanger "
                               "or boundary to reject the heat")
        pinned.append(int(members[0]))
        isolated |= in_loop
    return pinned, isolated


def check_heat_sinks(network) -> None:
    """Raise :class:`NetworkError` when heat loads sit in a closed loop with no heat exchanger
    or boundary to reject their heat: what :func:`solve_temperatures` finds, before any solve."""
    c = network.compile()
    _floating_loops(network, c, np.isfinite(c.boundary_temperature))


def pump_heat(network, mass_flow, pressure_drop, density):
    """Heat every pump adds to the coolant [W]: its shaft power ``Q dp / eta`` (module notes).

    Parameters
    ----------
    network : Network
    mass_flow : ndarray (nb,)
        [kg/s] branch flows.
    pressure_drop : ndarray (nb,)
        [Pa] branch pressure drops (negative across a pump that raises the pressure).
    density : ndarray (nb,)
        [kg/m3] coolant density in every branch.

    Returns
    -------
    ndarray (nb,)
        [W] shaft power of each pump branch, 0 for every other branch.
    """
    heat = np.zeros(len(network.branches))
    for i, branch in enumerate(network.branches):
        if branch.kind == "pump":
            heat[i] = branch.shaft_power(mass_flow[i] / density[i], -pressure_drop[i])
    return heat


def solve_temperatures(network, mass_flow, cp, reference_temperature=300.0, flow_heat=None):
    """Solve the node temperatures for fixed flows.

    Parameters
    ----------
    network : Network
    mass_flow : ndarray (nb,)
        [kg/s] branch flows.
    cp : ndarray (nb,)
        [J/(kg K)] specific heat in every branch.
    reference_temperature : float
        [K] level of loops that have no boundary temperature and no heat load.
    flow_heat : ndarray (nb,) | None
        [W] heat that depends on the operating point (pump heat, :func:`pump_heat`), added to
        the branches' own heat inputs.

    Raises
    ------
    NetworkError
        When heat is added to a loop that has no heat exchanger or boundary to reject it.

    Returns
    -------
    ThermalResult
    """
    c = network.compile()
    nn = len(c.node_names)
    m = np.asarray(mass_flow, dtype=float)
    forward = m >= 0.0
    up = np.where(forward, c.inlet, c.outlet)
    down = np.where(forward, c.outlet, c.inlet)
    cap = np.abs(m) * cp
    cap = np.where(np.abs(m) < MIN_FLOW, 0.0, cap)
    has_bc_temp = np.isfinite(c.boundary_temperature)
    # loops with no boundary temperature (closed, adiabatic, not coupled to one through an
    # exchanger) have an undetermined level: one node is pinned to the reference temperature;
    # they reject no heat, so no pump heat is added there (it has no steady state)
    pinned, isolated = _floating_loops(network, c, has_bc_temp)
    heat = c.heat_input.copy()
    if flow_heat is not None:
        flow_heat = np.where(isolated, 0.0, flow_heat)
        heat += flow_heat
    rows, cols, vals = [down, down], [down, up], [cap, -cap]
    rhs = np.zeros(nn)
    np.add.at(rhs, down, heat)
    # heat exchangers: q = k (T_hot,up - T_cold,up) leaves the hot and enters the cold stream
    hx_terms = []
    for hx in network.heat_exchangers:
        h, k_ = network.branch_index(hx.hot.name), network.branch_index(hx.cold.name)
        c_h, c_c = cap[h], cap[k_]
        if c_h <= 0.0 or c_c <= 0.0:
            hx_terms.append((hx, h, k_, 0.0, 0.0, 0.0, 0.0, 0.0))
            continue
        ua = hx.conductance(m[h], m[k_])
        c_min, c_max = min(c_h, c_c), max(c_h, c_c)
        ntu = ua / c_min
        eps = counterflow_effectiveness(ntu, c_min / c_max)
        k = eps * c_min
        rows += [np.array([down[h], down[h], down[k_], down[k_]])]
        cols += [np.array([up[h], up[k_], up[h], up[k_]])]
        vals += [np.array([k, -k, -k, k])]
        hx_terms.append((hx, h, k_, k, eps, ntu, c_min / c_max, ua))
    # boundaries: fluid entering from outside at its boundary temperature
    net_in = -(c.incidence @ m)  # external inflow needed at each node [kg/s]
    net_in = np.where(c.fixed | (c.injection != 0.0), net_in, 0.0)
    entering = (net_in > MIN_FLOW) & has_bc_temp
    cp_node = np.zeros(nn)
    np.maximum.at(cp_node, c.inlet, cp)
    np.maximum.at(cp_node, c.outlet, cp)
    c_ext = np.where(entering, net_in * cp_node, 0.0)
    rows.append(np.flatnonzero(entering))
    cols.append(np.flatnonzero(entering))
    vals.append(c_ext[entering])
    rhs[entering] += c_ext[entering] * c.boundary_temperature[entering]
    # stagnant nodes (no inflow): mean of the neighbours
    inflow = np.zeros(nn)
    np.add.at(inflow, down, cap)
    inflow += c_ext
    stagnant = inflow <= 1e-14 * max(float(cap.max(initial=0.0)), 1e-300)
    if np.any(stagnant):
        keep = [~stagnant[r] for r in rows]
        rows = [r[k] for r, k in zip(rows, keep, strict=True)]
        cols = [cc[k] for cc, k in zip(cols, keep, strict=True)]
        vals = [v[k] for v, k in zip(vals, keep, strict=True)]
        rhs[stagnant] = 0.0
        both_r = np.concatenate([c.inlet, c.outlet])
        both_c = np.concatenate([c.outlet, c.inlet])
        sel = stagnant[both_r]
        degree = np.bincount(both_r[sel], minlength=nn).astype(float)
        rows += [both_r[sel], np.flatnonzero(stagnant)]
        cols += [both_c[sel], np.flatnonzero(stagnant)]
        vals += [-np.ones(sel.sum()), degree[stagnant]]
        isolated = stagnant & (degree == 0)
        rows.append(np.flatnonzero(isolated))
        cols.append(np.flatnonzero(isolated))
        vals.append(np.ones(isolated.sum()))
    for node in pinned:
        keep = [r != node for r in rows]
        rows = [r[k] for r, k in zip(rows, keep, strict=True)] + [np.array([node])]
        cols = [cc[k] for cc, k in zip(cols, keep, strict=True)] + [np.array([node])]
        vals = [v[k] for v, k in zip(vals, keep, strict=True)] + [np.array([1.0])]
        rhs[node] = reference_temperature
    matrix = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(nn, nn))
    t_node = spsolve(matrix.tocsc(), rhs)
    t_in = t_node[up]
    with np.errstate(divide="ignore", invalid="ignore"):
        t_out = np.where(cap > 0.0, t_in + heat / np.where(cap > 0, cap, 1.0), t_in)
    exchangers = []
    for hx, h, k_, k, eps, ntu, cr, ua in hx_terms:
        q = k * (t_node[up[h]] - t_node[up[k_]])
        if cap[h] > 0:
            t_out[h] = t_in[h] - q / cap[h]
            t_out[k_] = t_in[k_] + q / cap[k_]
        heat[h] -= q
        heat[k_] += q
        exchangers.append(ExchangerState(hx.name, float(q), float(eps), float(ntu), float(cr),
                                         float(ua), float(t_in[h]), float(t_out[h]),
                                         float(t_in[k_]), float(t_out[k_]), float(m[h]),
                                         float(m[k_])))
    # energy balance: loads = enthalpy carried out through the boundaries
    leaving = (net_in < -MIN_FLOW) & (c.fixed | (c.injection != 0.0))
    boundary_heat = float(np.sum(-net_in[leaving] * cp_node[leaving] * t_node[leaving])
                          - np.sum(c_ext * np.where(entering, c.boundary_temperature, 0.0)))
    loads = float(np.sum(c.heat_input) + (0.0 if flow_heat is None else np.sum(flow_heat)))
    if network.pressure_boundaries or network.flow_boundaries:
        error = abs(loads - boundary_heat) / max(loads, 1e-300) if loads > 0 else 0.0
    else:
        rejected = sum(x.heat for x in exchangers)
        error = abs(loads - rejected) / loads if loads > 0 else 0.0
    added = 0.0 if flow_heat is None else float(np.sum(flow_heat))
    return ThermalResult(t_node, t_in, t_out, heat, exchangers, boundary_heat, error, added)
