"""Coolant temperatures in time: heat capacity, transport delay and mixing (backward Euler).

Every branch holds coolant (and optionally a wall) with heat capacity. The branch is cut into
``n`` equal cells along the flow; each cell is well mixed. For flows fixed over the step
(quasi-steady hydraulics), the energy balance of cell ``i`` of branch ``b`` is, implicit in time
(backward Euler) and first-order upwind in space (by the actual flow direction),

    C_i (T_i - T_i_old) / dt = |m_b| cp_b (T_up - T_i) + Q_b / n_b            [W]

with ``C_i = (rho_b cp_b V_b + C_wall_b) / n_b`` [J/K], ``T_up`` the upstream cell or the upstream
node and ``Q_b`` [W] the heat the branch adds (cold plate power, heat load, or the heat-exchanger
duty). Nodes hold no coolant: each perfectly mixes what flows into it (plus fluid entering from a
boundary at its boundary temperature); a node with no inflow takes the mean of the cells that
touch it. The heat exchanger is quasi-steady with capacitive sides: its duty
``q = eps Cmin (T_hot,in - T_cold,in)`` (effectiveness-NTU on the current flows, implicit in the
two inlet-node temperatures) is taken evenly from the hot side's cells and given evenly to the
cold side's. The step is one sparse linear system in all cell and node temperatures.

Transport delay. Pipes get ``N = ceil(1 / spread^2)`` cells (``spread`` =
:attr:`ThermalCapacity.transport_spread`). A temperature step at the inlet of a pipe with
residence time ``tau = L / u`` then arrives with mean delay ``tau + dt/2`` and a spread (standard
deviation) ``sigma_t = sqrt(tau^2 / N + tau dt)``: the first part is the upwind numerical diffusion
``u dx / 2`` of the cells, the second the backward-Euler diffusion ``u^2 dt / 2`` (together
LeVeque's ``D_num = u dx (1 + CFL) / 2`` for implicit upwind, ``sigma_t^2 = 2 D_num tau / u^2``).
So ``sigma_t / tau <= sqrt(spread^2 + dt / tau)``.

Volumes: a pipe holds ``length * pi d^2 / 4``; a fitting, tee leg, quick disconnect or valve
``EQUIVALENT_LENGTH`` diameters of its bore; cold plates, heat-exchanger sides, pumps and heat
loads :data:`DEFAULT_VOLUMES`; any branch can be given its own volume and wall heat capacity.
Only pipes carry a transport delay; every other branch is one well-mixed cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from solver.network.components import counterflow_effectiveness
from solver.network.errors import NetworkError
from solver.network.thermal import MIN_FLOW

# [m3] coolant held by components that do not know their own volume
DEFAULT_VOLUMES = {"cold_plate": 5e-5, "heat_exchanger_side": 2e-3, "pump": 1e-3,
                   "heat_load": 1e-3}
EQUIVALENT_LENGTH = 5.0  # [diameters] coolant length of a fitting, tee leg, QD or valve


@dataclass(frozen=True)
class ThermalCapacity:
    """Where the network stores heat, and how finely pipes resolve transport.

    Parameters
    ----------
    volumes : dict
        Branch name -> coolant volume [m3], overriding the geometric or default volume.
    wall_heat_capacities : dict
        Branch name -> heat capacity of the wall in contact with the coolant [J/K] (a cold
        plate's copper, a pipe's steel), lumped with the coolant of that branch.
    transport_spread : float
        [-] the spatial part of the arrival spread of a temperature front, relative to the
        pipe residence time; pipes get ``ceil(1 / transport_spread^2)`` cells.
    """

    volumes: dict = field(default_factory=dict)
    wall_heat_capacities: dict = field(default_factory=dict)
    transport_spread: float = 0.2

    def __post_init__(self):
        if not 0.0 < self.transport_spread <= 1.0:
            raise NetworkError(f"transport_spread must be in (0, 1], got "
                               f"{self.transport_spread}")

    def pipe_cells(self) -> int:
        """Cells per pipe [-]."""
        return int(np.ceil(1.0 / self.transport_spread**2 - 1e-9))

    def volume(self, branch) -> float:
        """Coolant volume of ``branch`` [m3]."""
        if branch.name in self.volumes:
            value = float(self.volumes[branch.name])
        elif branch.kind == "pipe":
            value = branch.length * branch.flow_area
        elif branch.kind in DEFAULT_VOLUMES:
            value = DEFAULT_VOLUMES[branch.kind]
        else:
            value = EQUIVALENT_LENGTH * branch.hydraulic_diameter * branch.flow_area
        if not np.isfinite(value) or value <= 0.0:
            raise NetworkError(f"component '{branch.name}': volume must be positive, got {value}")
        return value


@dataclass
class CellLayout:
    """The cells of every branch, contiguous per branch and ordered from inlet to outlet.

    Attributes
    ----------
    first_cell, cell_count : ndarray (nb,)
        Index of each branch's first cell and its number of cells.
    branch_of_cell : ndarray (nc,)
    capacity : ndarray (nc,)
        [J/K] heat capacity of each cell (coolant plus wall).
    """

    first_cell: np.ndarray
    cell_count: np.ndarray
    branch_of_cell: np.ndarray
    capacity: np.ndarray

    @classmethod
    def build(cls, network, settings, density, specific_heat):
        """Cells of ``network`` for branch densities [kg/m3] and specific heats [J/(kg K)]."""
        unknown = set(settings.volumes) | set(settings.wall_heat_capacities)
        unknown -= {b.name for b in network.branches}
        if unknown:
            raise NetworkError(f"thermal capacity given for unknown components: "
                               f"{', '.join(sorted(unknown))}")
        counts = np.array([settings.pipe_cells() if b.kind == "pipe" else 1
                           for b in network.branches], dtype=np.int64)
        first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        total = np.array([density[i] * specific_heat[i] * settings.volume(b)
                          + float(settings.wall_heat_capacities.get(b.name, 0.0))
                          for i, b in enumerate(network.branches)])
        branch_of_cell = np.repeat(np.arange(counts.size), counts)
        return cls(first, counts, branch_of_cell, (total / counts)[branch_of_cell])

    @property
    def last_cell(self):
        """Index of each branch's last cell (at its outlet node) (nb,)."""
        return self.first_cell + self.cell_count - 1

    def steady_cells(self, mass_flow, upstream_temperature, downstream_temperature):
        """Cell temperatures [K] of a steady state, linear along the flow in every branch.

        ``upstream_temperature`` / ``downstream_temperature`` (nb,) [K] are the branch ends by
        actual flow direction. This is the exact discrete steady state of the cells when the
        branch heat is spread evenly: the ``k``-th of ``n`` cells counted along the flow sits at
        ``T_up + k / n (T_down - T_up)``.
        """
        b = self.branch_of_cell
        j = np.arange(b.size) - self.first_cell[b]
        n = self.cell_count[b]
        along = np.where(np.asarray(mass_flow)[b] >= 0.0, j + 1.0, n - j)
        return upstream_temperature[b] + along / n * (downstream_temperature[b]
                                                      - upstream_temperature[b])


@dataclass
class ThermalStep:
    """Temperatures at the end of a step and the heat flows during it [SI]."""

    cell_temperature: np.ndarray  # (nc,) [K]
    node_temperature: np.ndarray  # (nn,) [K]
    inlet_temperature: np.ndarray  # (nb,) [K] upstream node by actual flow
    outlet_temperature: np.ndarray  # (nb,) [K] downstream end cell by actual flow
    exchanger_heat: np.ndarray  # (nhx,) [W] from hot to cold stream
    boundary_heat_in: float  # [W] net enthalpy entering through boundaries (0 K reference)


def thermal_step(network, layout, mass_flow, specific_heat, heat, boundary_temperature,
                 cells_old, nodes_old, dt):
    """Advance the coolant temperatures over one backward-Euler step of ``dt`` [s].

    Parameters
    ----------
    network : Network
    layout : CellLayout
    mass_flow : ndarray (nb,)
        [kg/s] branch flows during the step.
    specific_heat : ndarray (nb,)
        [J/(kg K)] one value per loop (as :func:`~solver.network.solve.solve_network` gives).
    heat : ndarray (nb,)
        [W] heat added by each branch during the step (plate powers, heat loads).
    boundary_temperature : ndarray (nn,)
        [K] temperature of fluid entering at each boundary node (nan elsewhere).
    cells_old, nodes_old : ndarray
        [K] cell and node temperatures at the start of the step.
    dt : float
        [s] step.

    Returns
    -------
    ThermalStep
        The new temperatures with the heat flows evaluated at them (as the implicit step uses).
    """
    c = network.compile()
    nn, nc = len(c.node_names), layout.branch_of_cell.size
    f = _Flows(network, layout, mass_flow, specific_heat, boundary_temperature)
    cap = f.cap
    # cell rows: storage + upwind inflow from the previous cell or the upstream node
    b = layout.branch_of_cell
    cells = np.arange(nc)
    forward = f.forward[b]
    at_entry = np.where(forward, cells == layout.first_cell[b], cells == layout.last_cell[b])
    upstream = np.where(at_entry, nc + f.up_node[b], cells + np.where(forward, -1, 1))
    storage = layout.capacity / dt
    rows = [cells, cells]
    cols = [cells, upstream]
    vals = [storage + cap[b], -cap[b]]
    rhs = np.concatenate([storage * cells_old + (heat / layout.cell_count)[b], np.zeros(nn)])
    # heat exchangers: q = k (T_hot,up - T_cold,up) spread over the hot and cold cells
    for h, k_, k in f.exchangers:
        for side, sign in ((h, 1.0), (k_, -1.0)):
            side_cells = np.arange(layout.first_cell[side], layout.last_cell[side] + 1)
            share = np.full(side_cells.size, sign * k / layout.cell_count[side])
            rows += [side_cells, side_cells]
            cols += [np.full(side_cells.size, nc + f.up_node[h]),
                     np.full(side_cells.size, nc + f.up_node[k_])]
            vals += [share, -share]
    # node rows: perfect mixing of the inflows (and of fluid entering from a boundary)
    nodes = np.arange(nn)
    feeding = f.mixed[f.down_node]
    rows += [nc + nodes[f.mixed], nc + f.down_node[feeding]]
    cols += [nc + nodes[f.mixed], f.down_cell[feeding]]
    vals += [(f.inflow + f.c_ext)[f.mixed], -cap[feeding]]
    rhs[nc + nodes[f.entering]] = (f.c_ext * boundary_temperature)[f.entering]
    # nodes with no inflow: mean of the cells that touch them (none: keep the old value)
    stagnant = ~f.mixed
    if np.any(stagnant):
        ends = np.concatenate([c.inlet, c.outlet])
        end_cells = np.concatenate([layout.first_cell, layout.last_cell])
        touch = stagnant[ends]
        degree = np.bincount(ends[touch], minlength=nn).astype(float)
        rows += [nc + ends[touch], nc + nodes[stagnant]]
        cols += [end_cells[touch], nc + nodes[stagnant]]
        vals += [-np.ones(int(touch.sum())), np.where(degree > 0, degree, 1.0)[stagnant]]
        isolated = stagnant & (degree == 0)
        rhs[nc + nodes[isolated]] = nodes_old[isolated]
    size = nc + nn
    matrix = sp.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(size, size))
    solution = spsolve(matrix, rhs)
    return f.state(solution[:nc], solution[nc:])


def thermal_state(network, layout, mass_flow, specific_heat, boundary_temperature, cells,
                  nodes):
    """Branch end temperatures and heat flows [SI] of given cell and node temperatures [K]."""
    f = _Flows(network, layout, mass_flow, specific_heat, boundary_temperature)
    return f.state(np.asarray(cells, dtype=float), np.asarray(nodes, dtype=float))


class _Flows:
    """Heat-capacity flows, upwind directions, exchanger and boundary terms of one state."""

    def __init__(self, network, layout, mass_flow, specific_heat, boundary_temperature):
        c = network.compile()
        nn = len(c.node_names)
        m = np.asarray(mass_flow, dtype=float)
        self.cap = np.where(np.abs(m) < MIN_FLOW, 0.0, np.abs(m) * specific_heat)
        self.forward = m >= 0.0
        self.up_node = np.where(self.forward, c.inlet, c.outlet)
        self.down_node = np.where(self.forward, c.outlet, c.inlet)
        self.down_cell = np.where(self.forward, layout.last_cell, layout.first_cell)
        self.boundary_temperature = boundary_temperature
        # exchanger coefficients k = eps Cmin on the current flows
        self.exchangers = []
        for hx in network.heat_exchangers:
            h, k_ = network.branch_index(hx.hot.name), network.branch_index(hx.cold.name)
            k = 0.0
            if self.cap[h] > 0.0 and self.cap[k_] > 0.0:
                c_min, c_max = min(self.cap[h], self.cap[k_]), max(self.cap[h], self.cap[k_])
                k = counterflow_effectiveness(hx.conductance(m[h], m[k_]) / c_min,
                                              c_min / c_max) * c_min
            self.exchangers.append((h, k_, k))
        # boundary nodes: fluid enters at the boundary temperature where more leaves than
        # arrives through the branches, and leaves at the node temperature otherwise
        self.inflow = np.bincount(self.down_node, weights=self.cap, minlength=nn)
        self.net_out = np.bincount(self.up_node, weights=self.cap, minlength=nn) - self.inflow
        boundary = (c.fixed | (c.injection != 0.0)) & np.isfinite(boundary_temperature)
        tiny = 1e-14 * max(float(self.cap.max(initial=0.0)), 1e-300)
        self.entering = boundary & (self.net_out > tiny)
        self.leaving = boundary & (self.net_out < -tiny)
        self.c_ext = np.where(self.entering, self.net_out, 0.0)
        self.mixed = self.inflow + self.c_ext > tiny

    def state(self, cells, nodes):
        """The :class:`ThermalStep` of these temperatures."""
        boundary_in = float(
            np.sum(self.c_ext * np.where(self.entering, self.boundary_temperature, 0.0))
            + np.sum(self.net_out[self.leaving] * nodes[self.leaving]))
        exchanger_heat = np.array([k * (nodes[self.up_node[h]] - nodes[self.up_node[k_]])
                                   for h, k_, k in self.exchangers])
        return ThermalStep(cells, nodes, nodes[self.up_node], cells[self.down_cell],
                           exchanger_heat, boundary_in)


__all__ = ["ThermalCapacity", "CellLayout", "ThermalStep", "thermal_step", "thermal_state",
           "DEFAULT_VOLUMES", "EQUIVALENT_LENGTH"]
