"""Nonlinear multigrid for steady flow: the full approximation scheme (FAS) with SIMPLEC
iterations as the smoother on every level.

Each level is a :class:`~solver.models.flow.FlowSolver` on a grid that agglomerates the finer
one along every axis of at least 8 cells: the cells of each run of one kind (coolant or solid,
in every line along the axis) are merged 2:1, with one 3:1 cell in a run of odd length, so that
every coarse level keeps the fins, pins and walls of the finest exactly (semi-coarsening where
they are thin) and its faces are a subset of the fine faces (:func:`coarse_starts`). One
V-cycle on level k:

1. ``pre`` SIMPLEC iterations;
2. restrict the state (face velocities flux-weighted, so the coarse mass fluxes are the sums of
   the fine ones; pressure volume-weighted) and the residuals (momentum residuals [N] summed over
   the fine momentum volumes inside each coarse one, mass residuals [kg/s] summed over the
   children) to level k+1;
3. give level k+1 the FAS sources ``s = R r_k - r_{k+1}(R w_k)``, so that its residual at the
   restricted state equals the restricted fine residual, and cycle there (``coarsest``
   iterations on the last level);
4. add the prolonged change of the coarse state (linear along each face's normal in the
   position of the fine face between its two coarse faces, constant across it; constant per
   cell for the pressure) to the unknown faces and cells of level k;
5. ``post`` SIMPLEC iterations.

The outer iteration count then barely grows with the grid where SIMPLEC alone grows about
linearly with the cells per side (Brandt, A. (1977) Math. Comp. 31:333-390 for FAS; Ferziger,
J. H. & Peric, M. (2002) *Computational Methods for Fluid Dynamics*, 3rd ed., section 12.4 for
multigrid SIMPLE on the lid-driven cavity). Measured: ``benchmarks/cavity.py --method fas``.

Scope: flows without ports on faces of the geometry, buoyancy or time stepping, on grids with at
least one axis that coarsens as above; :func:`fas_applies` says whether a solver qualifies
(``agglomerate=False``: plain 2:1 pairs only, the hierarchies ``method = "auto"`` takes).
Units are SI (m/s, Pa, N, kg/s).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from solver.grid.grid import Grid

MIN_CELLS = 8  # an axis is coarsened only while it holds at least this many cells
MAX_COARSE_FRACTION = 0.75  # ... and only where its coarse cells are at most this fraction
MIN_REDUCTION = 8  # multigrid only where the coarsest level has at most 1/8 of the cells
MAX_LEVELS = 8
MIN_COARSEST = 64  # no level below this many cells (the smallest only add launch overhead)
PRE = POST = 2  # SIMPLEC iterations before and after the coarse-grid correction
#: ``method = "auto"`` takes multigrid on a domain with an outlet (through-flow) only where
#: the flow grid (the coolant's bounding box) has this many cells: below, the single grid
#: reaches the converged state as fast or faster (the peer unit cell, whose flow grid is 3/8
#: of its cells: even at 30,000 flow cells, single grid 2.2x faster at 3,000, multigrid 1.2x
#: faster at 40,000 and 1.7x at 240,000; docs/flow_methods.md). A closed domain (recirculating:
#: the cavity) takes it at any size, as its single-grid count grows 3x per halving of the cells.
AUTO_MIN_CELLS = 40_000


def fas_applies(flow, agglomerate: bool = True) -> tuple[bool, str]:
    """Whether nonlinear multigrid can run on ``flow`` (a FlowSolver), and why not
    (``agglomerate``: as :func:`coarse_starts`)."""
    if flow.has_outlet_ports or flow.has_inlet_ports:
        return False, "the flow has ports on faces of the geometry"
    if flow.gravity is not None and flow.thermal_expansion:
        return False, "the flow is buoyant"
    masks = coarse_masks(flow.grid.backend.to_host(flow.fluid), agglomerate=agglomerate)
    if masks[-1].size * MIN_REDUCTION > masks[0].size:
        return False, (f"coarsening without merging coolant and solid cells reduces the "
                       f"grid only {masks[0].size / masks[-1].size:.3g}-fold (a coarsest level "
                       f"of {masks[-1].shape}; multigrid pays from {MIN_REDUCTION}-fold)")
    return True, ""


def auto_takes_multigrid(flow) -> tuple[bool, str]:
    """Whether ``method = "auto"`` runs nonlinear multigrid on ``flow`` (plain 2:1 hierarchies,
    closed domains at any size, through-flow from :data:`AUTO_MIN_CELLS` cells of the flow
    grid), and why not."""
    applies, reason = fas_applies(flow, agglomerate=False)
    if not applies:
        return False, reason
    cells = flow.grid.n_cells
    if flow.conditions.has_outlet and cells < AUTO_MIN_CELLS:
        return False, (f"a through-flow grid of {cells:,} cells: below {AUTO_MIN_CELLS:,} the "
                       "single grid is faster")
    return True, ""


def coarse_masks(fluid: np.ndarray, max_levels: int = MAX_LEVELS,
                 agglomerate: bool = True) -> list[np.ndarray]:
    """The fluid mask of every level, finest first (see :func:`coarse_starts`)."""
    return [mask for mask, _ in coarse_levels(fluid, max_levels, agglomerate)]


def coarse_levels(fluid: np.ndarray, max_levels: int = MAX_LEVELS,
                  agglomerate: bool = True) -> list:
    """(fluid mask, per-axis first fine cell of each coarse cell or None) of every level,
    finest first; the finest level's starts are None, each coarser level's say how it
    agglomerates the level above."""
    levels = [(fluid, None)]
    while len(levels) < max_levels:
        mask = levels[-1][0]
        starts = coarse_starts(mask, agglomerate)
        if starts is None:
            break
        coarse = mask[np.ix_(*(np.arange(n) if s is None else s
                              for n, s in zip(mask.shape, starts, strict=True)))]
        if coarse.size < MIN_COARSEST:
            break
        levels.append((coarse, starts))
    return levels


def coarse_starts(fluid: np.ndarray, agglomerate: bool = True) -> tuple | None:
    """Per axis the first fine cell of each coarse cell, or None where the axis is kept.

    Along an axis the cells are cut into runs in which every line of cells is of one kind
    (coolant or solid) from cell to cell; each run is agglomerated 2:1, with one 3:1 cell in a
    run of odd length (a run of one cell stays), so that the coarse cells keep the fins, pins
    and walls exactly and the coarse faces are a subset of the fine faces. An axis is coarsened
    where it holds at least MIN_CELLS cells and its coarse cells number at most
    MAX_COARSE_FRACTION of its cells. With ``agglomerate`` False an axis is coarsened only
    where all its runs have an even length (plain 2:1 pairs). None when no axis qualifies.
    """
    result = []
    for a, n in enumerate(fluid.shape):
        starts = None
        if n >= MIN_CELLS:
            other = tuple(d for d in range(3) if d != a)
            changes = np.any(np.diff(fluid, axis=a), axis=other)  # kind changes after cell i
            cuts = np.r_[0, np.flatnonzero(changes) + 1, n]
            if not agglomerate and np.any(np.diff(cuts) % 2):
                result.append(None)
                continue
            starts = np.concatenate([_run_starts(lo, hi - lo)
                                     for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)])
            if starts.size > MAX_COARSE_FRACTION * n:
                starts = None
        result.append(starts)
    return None if all(s is None for s in result) else tuple(result)


def _run_starts(first: int, length: int) -> np.ndarray:
    """First cells of a run of ``length`` cells cut 2:1 (one 3:1 cell in its middle where the
    length is odd; a run of one cell stays one cell)."""
    sizes = np.full(max(length // 2, 1), 2)
    if length % 2:
        sizes[(sizes.size - 1) // 2] += 1 if length > 1 else -1
    return first + np.r_[0, np.cumsum(sizes)[:-1]]


class _AxisGather:
    """A linear map along one axis: output entry k is the sum over j of
    ``weights[k, j] * values[index[k, j]]`` (host index and weights, padded with weight 0)."""

    def __init__(self, xp, dtype, axis, index, weights):
        self.axis = axis
        shape = [1, 1, 1]
        shape[axis] = index.shape[0]
        self.terms = [(xp.asarray(index[:, j]),
                       None if np.all(weights[:, j] == 1.0)
                       else xp.asarray(weights[:, j].reshape(shape), dtype=dtype))
                      for j in range(index.shape[1])]
        self.xp = xp

    def __call__(self, values):
        total = None
        for index, weight in self.terms:
            term = self.xp.take(values, index, axis=self.axis)
            if weight is not None:
                term = term * weight
            total = term if total is None else total + term
        return total


def _padded(rows) -> tuple[np.ndarray, np.ndarray]:
    """Rows of (index, weight) pairs as index and weight arrays padded with weight 0."""
    width = max(len(row) for row in rows)
    index = np.zeros((len(rows), width), dtype=np.intp)
    weights = np.zeros((len(rows), width))
    for k, row in enumerate(rows):
        for j, (i, w) in enumerate(row):
            index[k, j], weights[k, j] = i, w
    return index, weights


class Transfer:
    """Restriction and prolongation between a level's grid and the coarser one that
    agglomerates it (2:1, one 3:1 cell per odd run; see :func:`coarse_starts`).

    Parameters
    ----------
    fine : FlowSolver
        The finer level (its grid, face areas and cell volumes).
    starts : tuple
        Per axis the first fine cell of each coarse cell, or None where the axis is kept.
    """

    def __init__(self, fine, starts):
        self.xp = xp = fine.xp
        dtype = fine.grid.dtype
        grid = fine.grid
        self.starts = starts
        self.sum_cells, self.faces_on_coarse, self.spread_cells = {}, {}, {}
        self.spread_faces, self.sum_faces = {}, {}
        coarse_faces = []
        for a, s in enumerate(starts):
            if s is None:
                coarse_faces.append(grid.faces[a])
                continue
            n, m = grid.shape[a], s.size
            ends = np.r_[s[1:], n]
            on_coarse = np.r_[s, n]  # fine face index of each coarse face
            x = grid.faces[a]  # host array [m]
            big_x = x[on_coarse]
            coarse_faces.append(grid.faces[a][on_coarse])
            parent = np.repeat(np.arange(m), ends - s)  # coarse cell of each fine cell
            self.sum_cells[a] = _AxisGather(xp, dtype, a, *_padded(
                [[(i, 1.0) for i in range(lo, hi)] for lo, hi in zip(s, ends, strict=True)]))
            self.faces_on_coarse[a] = xp.asarray(on_coarse)
            self.spread_cells[a] = _AxisGather(xp, dtype, a, *_padded(
                [[(j, 1.0)] for j in parent]))
            # linear along the normal: fine face i between coarse faces lower[i] and lower[i]+1
            lower = np.r_[parent, m - 1]
            t = (x - big_x[lower]) / (big_x[lower + 1] - big_x[lower])
            self.spread_faces[a] = _AxisGather(xp, dtype, a, *_padded(
                [[(j, 1.0 - ti), (j + 1, ti)] for j, ti in zip(lower, t, strict=True)]))
            # momentum volumes: each fine face's volume (between the neighbouring fine cell
            # centres) split at the coarse cell centre between the coarse faces around it
            centres = np.r_[x[0], 0.5 * (x[:-1] + x[1:]), x[-1]]
            rows = [[] for _ in range(m + 1)]
            for i in range(n + 1):
                j = lower[i]
                if t[i] in (0.0, 1.0):
                    rows[j + int(t[i])].append((i, 1.0))
                    continue
                middle = 0.5 * (big_x[j] + big_x[j + 1])
                upper = np.clip((centres[i + 1] - middle) / (centres[i + 1] - centres[i]),
                                0.0, 1.0)
                rows[j].append((i, 1.0 - upper))
                rows[j + 1].append((i, upper))
            self.sum_faces[a] = _AxisGather(xp, dtype, a, *_padded(rows))
        self.coarse_grid = Grid(*coarse_faces, backend=grid.backend, dtype=dtype)
        self.volumes = grid.cell_volumes()
        self.coarse_volumes = self._cells(self.sum_cells, self.volumes)
        self.areas = [xp.broadcast_to(c.area, c.shape) for c in fine.components]
        self.fine_active = [c.active_f for c in fine.components]

    @staticmethod
    def _cells(maps, values, skip: int | None = None):
        """Apply the per-axis maps of ``maps`` to ``values`` (all axes but ``skip``)."""
        for a, op in maps.items():
            if a != skip:
                values = op(values)
        return values

    def restrict_mean(self, values):
        """Volume-weighted mean of the children (pressure [Pa], viscosity [Pa s])."""
        return self._cells(self.sum_cells, values * self.volumes) / self.coarse_volumes

    def restrict_cells(self, values):
        """Sum over the children (mass residuals [kg/s])."""
        return self._cells(self.sum_cells, values)

    def restrict_velocity(self, velocity, a):
        """Flux-weighted mean of the fine faces on each coarse face [m/s]."""
        flux, area = velocity * self.areas[a], self.areas[a]
        if a in self.faces_on_coarse:
            flux = self.xp.take(flux, self.faces_on_coarse[a], axis=a)
            area = self.xp.take(area, self.faces_on_coarse[a], axis=a)
        return self._cells(self.sum_cells, flux, a) / self._cells(self.sum_cells, area, a)

    def restrict_momentum(self, residual, a):
        """Momentum residuals [N] summed over the fine momentum volumes inside each coarse one
        (a fine face's volume that a coarse cell centre cuts is split there)."""
        if a in self.sum_faces:
            residual = self.sum_faces[a](residual)
        return self._cells(self.sum_cells, residual, a)

    def prolong_cells(self, change):
        """Constant per coarse cell."""
        return self._cells(self.spread_cells, change)

    def prolong_velocity(self, change, a):
        """Linear along the face normal, constant across it; zero on fixed fine faces."""
        if a in self.spread_faces:
            change = self.spread_faces[a](change)
        return self._cells(self.spread_cells, change, a) * self.fine_active[a]


class NonlinearMultigrid:
    """FAS V-cycles over SIMPLEC (see the module docstring).

    Parameters
    ----------
    fine : FlowSolver
        The finest level; it must qualify (:func:`fas_applies`).
    pre, post : int
        SIMPLEC iterations before and after the coarse-grid correction on each level.
    coarsest : int
        SIMPLEC iterations on the coarsest level.
    max_levels : int
        Most levels, the finest included.
    agglomerate : bool
        Coarsen runs of odd length too (3:1 cells; :func:`coarse_starts`).
    """

    def __init__(self, fine, pre: int = PRE, post: int = POST, coarsest: int = 10,
                 max_levels: int = MAX_LEVELS, agglomerate: bool = True):
        applies, reason = fas_applies(fine, agglomerate)
        if not applies:
            raise ValueError(f"nonlinear multigrid does not apply: {reason}")
        self.pre, self.post, self.coarsest = pre, post, coarsest
        self.levels = [fine]
        self.transfers: list[Transfer] = []
        # the coarse levels iterate on their own grid only
        settings = replace(fine.settings, method="single_grid", potential_initialisation=False)
        levels = coarse_levels(fine.grid.backend.to_host(fine.fluid), max_levels, agglomerate)
        for coarse_fluid, starts in levels[1:]:
            level = self.levels[-1]
            transfer = Transfer(level, starts)
            coarse = type(fine)(transfer.coarse_grid, coarse_fluid, fine.boundaries,
                                fine.density, transfer.restrict_mean(level.viscosity_cells),
                                settings, domain_sides=fine.domain_sides)
            self.transfers.append(transfer)
            self.levels.append(coarse)
        self.cycles = 0

    def set_viscosity(self) -> None:
        """Pass the finest level's viscosity [Pa s] down to the coarse levels."""
        for transfer, coarse, fine in zip(self.transfers, self.levels[1:], self.levels[:-1],
                                          strict=True):
            coarse.set_viscosity(transfer.restrict_mean(fine.viscosity_cells))

    def cycle(self):
        """One V-cycle; returns the FlowResiduals of the finest level's last iteration."""
        residuals = self._cycle(0)
        self.cycles += 1
        return residuals

    def _cycle(self, k: int):
        level = self.levels[k]
        if k == len(self.levels) - 1:
            for _ in range(self.coarsest):
                residuals = level.iterate()
            return residuals
        for _ in range(self.pre):
            level.iterate()
        transfer, coarse = self.transfers[k], self.levels[k + 1]
        momentum, mass = level.residual_fields()
        velocity = [transfer.restrict_velocity(u, a) for a, u in enumerate(level.velocity)]
        pressure = transfer.restrict_mean(level.pressure)
        coarse.set_sources(None, None)
        coarse.set_state(velocity, pressure)
        # fixed coarse faces keep their own boundary values
        for comp, u in zip(coarse.components, coarse.velocity, strict=True):
            coarse.xp.copyto(u, comp.fixed, where=~comp.active)
        coarse.update_mass_flux()
        start_velocity = [u.copy() for u in coarse.velocity]
        start_pressure = coarse.pressure.copy()
        coarse_momentum, coarse_mass = coarse.residual_fields()
        coarse.set_sources(
            [transfer.restrict_momentum(r, a) - rc
             for a, (r, rc) in enumerate(zip(momentum, coarse_momentum, strict=True))],
            transfer.restrict_cells(mass) - coarse_mass)
        self._cycle(k + 1)
        for a, (u, u_new, u_old) in enumerate(zip(level.velocity, coarse.velocity,
                                                  start_velocity, strict=True)):
            u += transfer.prolong_velocity(u_new - u_old, a)
        level.pressure += transfer.prolong_cells(coarse.pressure - start_pressure)
        level.update_mass_flux()
        for _ in range(self.post):
            residuals = level.iterate()
        return residuals
