"""The network as a graph: nodes, branch components, pressure references and boundaries.

:class:`Network` holds the description; :meth:`Network.compile` turns it into incidence arrays
(``A[n, b] = +1`` if branch ``b`` enters node ``n``, ``-1`` if it leaves it) and stacked law
parameters, and :meth:`Network.diagnose` finds the malformed cases before any solve, raising a
:class:`~solver.network.errors.NetworkError` that names the components involved:

- a component that references an unknown node, duplicate names;
- a disconnected sub-network (a piece with no pump, no boundary and no pressure reference);
- a loop with no pressure reference (no expansion tank or pressure boundary);
- a dead-headed pump (no open path from its outlet back to its inlet or to a boundary);
- a closed path with no flow possible (a fixed flow with no open path to a pressure boundary).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from solver.network.components import Branch, HeatExchanger
from solver.network.errors import NetworkError
from solver.network.junctions import compile_junctions
from solver.network.laws import stack_parameters


@dataclass(frozen=True)
class Node:
    """A junction of the network.

    Parameters
    ----------
    name : str
        Unique node name.
    position : tuple of float
        [m] (x, y, z) used for the VTK picture (z is up); not used by the hydraulics, whose
        elevation changes are carried by the components.
    fluid : str
        Key of the fluid filling this node's loop ("coolant" for the technology cooling loop,
        "facility" for facility water).
    """

    name: str
    position: tuple = (0.0, 0.0, 0.0)
    fluid: str = "coolant"


@dataclass(frozen=True)
class ExpansionTank:
    """Pressure reference of a closed loop (expansion tank / pressurizer) at ``node``.

    Parameters
    ----------
    pressure : float
        [Pa] gauge pressure held at the node.
    """

    name: str
    node: str
    pressure: float = 1.5e5


@dataclass(frozen=True)
class PressureBoundary:
    """Fixed pressure at ``node``; fluid entering the network there has ``temperature`` [K].

    Parameters
    ----------
    pressure : float
        [Pa] gauge pressure.
    temperature : float
        [K] temperature of fluid that enters through this boundary.
    """

    name: str
    node: str
    pressure: float
    temperature: float = 300.0


@dataclass(frozen=True)
class FlowBoundary:
    """Fixed mass flow into the network at ``node`` (negative: drawn out).

    Parameters
    ----------
    mass_flow : float
        [kg/s] flow entering the network.
    temperature : float
        [K] temperature of the entering fluid.
    """

    name: str
    node: str
    mass_flow: float
    temperature: float = 300.0


@dataclass
class CompiledNetwork:
    """Arrays derived from a :class:`Network` for the solvers (indices into node/branch lists)."""

    node_names: list
    branch_names: list
    inlet: np.ndarray  # (nb,) node index
    outlet: np.ndarray  # (nb,) node index
    incidence: sp.csr_matrix  # (nn, nb)
    fixed: np.ndarray  # (nn,) bool: pressure prescribed
    fixed_pressure: np.ndarray  # (nn,) [Pa] (0 where free)
    injection: np.ndarray  # (nn,) [kg/s] fixed flow into the network
    families: dict  # family -> (branch indices, stacked parameters)
    heat_input: np.ndarray  # (nb,) [W]
    branch_fluid: list  # (nb,) fluid key
    loop_of_node: np.ndarray  # (nn,) connected-component label
    boundary_temperature: np.ndarray  # (nn,) [K] (nan where not a boundary)
    momentum: tuple = ()  # (branch, partner or -1, kappa, area, partner area) arrays
    junctions: object = None  # CompiledJunctions of the split-dependent junctions, or None


@dataclass
class Network:
    """A hydraulic-thermal network description.

    Parameters
    ----------
    nodes : list of Node
    branches : list of Branch
    heat_exchangers : list of HeatExchanger
        Their ``hot`` and ``cold`` sides must also be in ``branches``.
    tanks, pressure_boundaries, flow_boundaries : lists
        Pressure references and boundary conditions.
    """

    nodes: list = field(default_factory=list)
    branches: list = field(default_factory=list)
    heat_exchangers: list = field(default_factory=list)
    tanks: list = field(default_factory=list)
    pressure_boundaries: list = field(default_factory=list)
    flow_boundaries: list = field(default_factory=list)
    junctions: list = field(default_factory=list)
    _compiled: CompiledNetwork | None = field(default=None, init=False, repr=False)

    # ------------------------------------------------------------------ editing
    def branch(self, name: str) -> Branch:
        """The branch called ``name``."""
        for b in self.branches:
            if b.name == name:
                return b
        raise NetworkError(f"no component named '{name}' in the network")

    def branch_index(self, name: str) -> int:
        """Index of branch ``name`` in :attr:`branches`."""
        for i, b in enumerate(self.branches):
            if b.name == name:
                return i
        raise NetworkError(f"no component named '{name}' in the network")

    def node_index(self, name: str) -> int:
        """Index of node ``name`` in :attr:`nodes`."""
        for i, n in enumerate(self.nodes):
            if n.name == name:
                return i
        raise NetworkError(f"no node named '{name}' in the network")

    def replace_branch(self, name: str, **changes) -> None:
        """Replace a branch by a copy with ``changes`` (e.g. a pump speed, a valve opening)."""
        i = self.branch_index(name)
        self.branches[i] = replace(self.branches[i], **changes)
        self._compiled = None

    def replace_flow_boundary(self, name: str, mass_flow: float) -> None:
        """Change the mass flow [kg/s] of flow boundary ``name``."""
        for i, fb in enumerate(self.flow_boundaries):
            if fb.name == name:
                self.flow_boundaries[i] = replace(fb, mass_flow=mass_flow)
                self._compiled = None
                return
        raise NetworkError(f"no flow boundary named '{name}' in the network")

    def replace_boundary_temperature(self, name: str, temperature: float) -> None:
        """Change the temperature [K] of fluid entering through pressure or flow boundary
        ``name``."""
        for group in (self.pressure_boundaries, self.flow_boundaries):
            for i, boundary in enumerate(group):
                if boundary.name == name:
                    group[i] = replace(boundary, temperature=float(temperature))
                    self._compiled = None
                    return
        raise NetworkError(f"no pressure or flow boundary named '{name}' in the network")

    # ---------------------------------------------------------------- compiling
    def compile(self) -> CompiledNetwork:
        """Check names and build the incidence arrays (cached until the network changes)."""
        if self._compiled is not None:
            return self._compiled
        node_names = [n.name for n in self.nodes]
        index = {name: i for i, name in enumerate(node_names)}
        if len(index) != len(node_names):
            dup = sorted({n for n in node_names if node_names.count(n) > 1})
            raise NetworkError(f"duplicate node names: {', '.join(map(repr, dup))}")
        names = [b.name for b in self.branches]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise NetworkError(f"duplicate component names: {', '.join(map(repr, dup))}")
        if not self.branches:
            raise NetworkError("the network has no components")
        for b in self.branches:
            for end in (b.inlet, b.outlet):
                if end not in index:
                    raise NetworkError(f"component '{b.name}' refers to unknown node '{end}'")
            if b.inlet == b.outlet:
                raise NetworkError(f"component '{b.name}' joins node '{b.inlet}' to itself")
        nn, nb = len(node_names), len(self.branches)
        inlet = np.array([index[b.inlet] for b in self.branches], dtype=np.int64)
        outlet = np.array([index[b.outlet] for b in self.branches], dtype=np.int64)
        cols = np.arange(nb)
        incidence = sp.csr_matrix(
            (np.concatenate([np.ones(nb), -np.ones(nb)]),
             (np.concatenate([outlet, inlet]), np.concatenate([cols, cols]))), shape=(nn, nb))
        fixed = np.zeros(nn, dtype=bool)
        fixed_pressure = np.zeros(nn)
        boundary_temperature = np.full(nn, np.nan)
        injection = np.zeros(nn)
        seen = {}
        for ref in list(self.tanks) + list(self.pressure_boundaries):
            if ref.node not in index:
                raise NetworkError(f"'{ref.name}' refers to unknown node '{ref.node}'")
            i = index[ref.node]
            if fixed[i]:
                raise NetworkError(f"'{ref.name}' and '{seen[i]}' both fix the pressure of "
                                   f"node '{ref.node}'")
            fixed[i] = True
            seen[i] = ref.name
            fixed_pressure[i] = ref.pressure
            if isinstance(ref, PressureBoundary):
                boundary_temperature[i] = ref.temperature
        for fb in self.flow_boundaries:
            if fb.node not in index:
                raise NetworkError(f"'{fb.name}' refers to unknown node '{fb.node}'")
            i = index[fb.node]
            if fixed[i]:
                raise NetworkError(f"flow boundary '{fb.name}' sits on node '{fb.node}' whose "
                                   "pressure is already fixed")
            injection[i] += fb.mass_flow
            boundary_temperature[i] = fb.temperature
        families = {}
        for fam in ("pipe", "quadratic", "power", "pump"):
            idx = np.array([i for i, b in enumerate(self.branches) if b.family == fam],
                           dtype=np.int64)
            if idx.size:
                families[fam] = (idx, stack_parameters(fam, [self.branches[i] for i in idx]))
        fluid_of = {n.name: n.fluid for n in self.nodes}
        branch_fluid = []
        for b in self.branches:
            if fluid_of[b.inlet] != fluid_of[b.outlet]:
                raise NetworkError(f"component '{b.name}' joins a '{fluid_of[b.inlet]}' node to "
                                   f"a '{fluid_of[b.outlet]}' node; loops with different fluids "
                                   "meet only in a heat exchanger")
            branch_fluid.append(fluid_of[b.inlet])
        adjacency = sp.coo_matrix((np.ones(nb), (inlet, outlet)), shape=(nn, nn))
        _, labels = connected_components(adjacency, directed=False)
        heat = np.array([b.heat_input for b in self.branches], dtype=float)
        momentum = self._momentum_terms(names)
        junctions = (compile_junctions(self.junctions, names,
                                       [b.inlet for b in self.branches],
                                       [b.outlet for b in self.branches])
                     if self.junctions else None)
        self._compiled = CompiledNetwork(node_names, names, inlet, outlet, incidence, fixed,
                                         fixed_pressure, injection, families, heat, branch_fluid,
                                         labels, boundary_temperature, momentum, junctions)
        return self._compiled

    def _momentum_terms(self, names):
        """Arrays of the header momentum terms (see :class:`~solver.network.components.Pipe`)."""
        position = {name: i for i, name in enumerate(names)}
        rows = []
        for i, b in enumerate(self.branches):
            kappa = getattr(b, "momentum_coefficient", 0.0)
            if not kappa:
                continue
            partner = b.momentum_partner
            if partner and partner not in position:
                raise NetworkError(f"component '{b.name}': momentum partner '{partner}' is not "
                                   "a component of the network")
            j = position[partner] if partner else -1
            area_j = self.branches[j].flow_area if j >= 0 else 1.0
            if area_j is None:
                raise NetworkError(f"component '{b.name}': momentum partner '{partner}' has no "
                                   "flow area")
            rows.append((i, j, kappa, b.flow_area, area_j))
        if not rows:
            return ()
        b_i, p_i, kappa, area, area_p = (np.array(col) for col in zip(*rows, strict=True))
        return (b_i.astype(np.int64), p_i.astype(np.int64), kappa.astype(float),
                area.astype(float), area_p.astype(float))

    # -------------------------------------------------------------- diagnosing
    def diagnose(self) -> None:
        """Raise :class:`NetworkError` for a network that cannot be solved (see module doc)."""
        c = self.compile()
        nn = len(c.node_names)
        names = c.branch_names
        labels = c.loop_of_node
        n_loops = labels.max() + 1
        pumps_in = {k: [] for k in range(n_loops)}
        for b_i, b in enumerate(self.branches):
            if b.kind == "pump":
                pumps_in[labels[c.inlet[b_i]]].append(b.name)
        for k in range(n_loops):
            members = [names[b] for b in range(len(names)) if labels[c.inlet[b]] == k]
            nodes_k = [i for i in range(nn) if labels[i] == k]
            if not members:
                continue
            has_ref = bool(np.any(c.fixed[nodes_k]))
            if has_ref:
                continue
            listed = _short_list(members)
            if n_loops > 1 and not pumps_in[k] and not np.any(c.injection[nodes_k]):
                raise NetworkError(f"disconnected sub-network: components {listed} are not "
                                   "connected to the rest of the network (no pump, boundary or "
                                   "pressure reference)")
            raise NetworkError(f"loop with no pressure reference: components {listed} form a "
                               "circuit without an expansion tank or pressure boundary")
        boundary_nodes = {self.node_index(pb.node) for pb in self.pressure_boundaries}
        for b_i, b in enumerate(self.branches):
            if b.kind != "pump" or not b.is_open:
                continue
            reach, blockers = self._reachable(c, c.outlet[b_i], skip=b_i)
            if c.inlet[b_i] in reach or reach & boundary_nodes:
                continue
            why = f" (blocked by {_short_list(sorted(blockers))})" if blockers else ""
            raise NetworkError(f"dead-headed pump '{b.name}': no open path from its outlet back "
                               f"to its inlet{why}")
        for fb in self.flow_boundaries:
            if fb.mass_flow == 0.0:
                continue
            start = self.node_index(fb.node)
            reach, blockers = self._reachable(c, start, skip=-1, reverse=fb.mass_flow < 0)
            sinks = boundary_nodes | {self.node_index(o.node) for o in self.flow_boundaries
                                      if o is not fb and np.sign(o.mass_flow)
                                      == -np.sign(fb.mass_flow)}
            if reach & sinks:
                continue
            why = f" (blocked by {_short_list(sorted(blockers))})" if blockers else ""
            raise NetworkError(f"closed path with no flow possible: the fixed flow of "
                               f"'{fb.name}' at node '{fb.node}' has no open path to a pressure "
                               f"boundary{why}")

    def _reachable(self, c, start, skip, reverse=False):
        """Nodes reachable from ``start`` through open branches, honouring one-way components.

        Returns the reachable node set and the names of closed or one-way components met on
        the way (the likely culprits when something is not reachable).
        """
        nn = len(c.node_names)
        forward = [[] for _ in range(nn)]
        for b_i in range(len(self.branches)):
            if b_i == skip:
                continue
            i, o = int(c.inlet[b_i]), int(c.outlet[b_i])
            if reverse:
                i, o = o, i
            forward[i].append((o, b_i, True))
            forward[o].append((i, b_i, False))
        seen = {int(start)}
        blockers = set()
        queue = deque([int(start)])
        while queue:
            n = queue.popleft()
            for nxt, b_i, along in forward[n]:
                b = self.branches[b_i]
                if not b.is_open or (b.is_one_way and not along):
                    blockers.add(b.name)
                    continue
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen, blockers


def _short_list(items, limit=6):
    items = [f"'{i}'" for i in items]
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


__all__ = ["Node", "ExpansionTank", "PressureBoundary", "FlowBoundary", "Network",
           "CompiledNetwork", "HeatExchanger"]
