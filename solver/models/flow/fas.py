"""Nonlinear multigrid for steady flow: the full approximation scheme (FAS) with SIMPLEC
iterations as the smoother on every level.

Each level is a :class:`~solver.models.flow.FlowSolver` on a grid coarsened 2:1 along every axis
that holds an even number of cells (at least 8) and whose neighbouring cell pairs are of one kind
(coolant or solid), so that every coarse level keeps the fins, pins and walls of the finest
exactly (semi-coarsening where they are thin). One V-cycle on level k:

1. ``pre`` SIMPLEC iterations;
2. restrict the state (face velocities flux-weighted, so the coarse mass fluxes are the sums of
   the fine ones; pressure volume-weighted) and the residuals (momentum residuals [N] summed over
   the fine momentum volumes inside each coarse one, mass residuals [kg/s] summed over the
   children) to level k+1;
3. give level k+1 the FAS sources ``s = R r_k - r_{k+1}(R w_k)``, so that its residual at the
   restricted state equals the restricted fine residual, and cycle there (``coarsest``
   iterations on the last level);
4. add the prolonged change of the coarse state (linear along each face's normal, constant
   across it; constant per cell for the pressure) to the unknown faces and cells of level k;
5. ``post`` SIMPLEC iterations.

The outer iteration count then barely grows with the grid where SIMPLEC alone grows about
linearly with the cells per side (Brandt, A. (1977) Math. Comp. 31:333-390 for FAS; Ferziger,
J. H. & Peric, M. (2002) *Computational Methods for Fluid Dynamics*, 3rd ed., section 12.4 for
multigrid SIMPLE on the lid-driven cavity). Measured: ``benchmarks/cavity.py --method fas``.

Scope: flows without ports on faces of the geometry, buoyancy or time stepping, on grids with at
least one axis that coarsens as above; :func:`fas_applies` says whether a solver qualifies.
Units are SI (m/s, Pa, N, kg/s).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from solver.grid.grid import Grid
from solver.models.flow.staggered import along_axis

MIN_CELLS = 8  # an axis is coarsened only while it holds at least this many (even) cells
MIN_REDUCTION = 8  # multigrid only where the coarsest level has at most 1/8 of the cells
MAX_LEVELS = 8
MIN_COARSEST = 64  # no level below this many cells (the smallest only add launch overhead)
PRE = POST = 2  # SIMPLEC iterations before and after the coarse-grid correction


def fas_applies(flow) -> tuple[bool, str]:
    """Whether nonlinear multigrid can run on ``flow`` (a FlowSolver), and why not."""
    if flow.has_outlet_ports or flow.has_inlet_ports:
        return False, "the flow has ports on faces of the geometry"
    if flow.gravity is not None and flow.thermal_expansion:
        return False, "the flow is buoyant"
    masks = coarse_masks(flow.grid.backend.to_host(flow.fluid))
    if masks[-1].size * MIN_REDUCTION > masks[0].size:
        return False, (f"coarsening 2:1 without merging coolant and solid cells reduces the "
                       f"grid only {masks[0].size / masks[-1].size:.3g}-fold (a coarsest level "
                       f"of {masks[-1].shape}; multigrid pays from {MIN_REDUCTION}-fold)")
    return True, ""


def coarse_masks(fluid: np.ndarray, max_levels: int = MAX_LEVELS) -> list[np.ndarray]:
    """The fluid mask of every level, finest first (see :func:`coarse_ratios`)."""
    masks = [fluid]
    while len(masks) < max_levels:
        ratios = coarse_ratios(masks[-1])
        if ratios is None or masks[-1].size // int(np.prod(ratios)) < MIN_COARSEST:
            break
        masks.append(masks[-1][tuple(slice(None, None, r) for r in ratios)])
    return masks


def coarse_ratios(fluid: np.ndarray) -> tuple[int, int, int] | None:
    """Per axis 2 where it holds an even number of at least MIN_CELLS cells and every pair of
    neighbouring cells along it is of one kind (both coolant or both solid: the coarse cells
    keep the fins, pins and walls exactly), else 1; None when no axis qualifies."""
    ratios = []
    for a, n in enumerate(fluid.shape):
        pairs = n % 2 == 0 and n >= MIN_CELLS and np.array_equal(
            fluid[along_axis(a, slice(0, None, 2))], fluid[along_axis(a, slice(1, None, 2))])
        ratios.append(2 if pairs else 1)
    return None if ratios == [1, 1, 1] else tuple(ratios)


def _block_sum(xp, values, ratios):
    """Sum of each block of ``ratios`` neighbouring entries (shape divisible by ratios)."""
    shape = []
    for n, r in zip(values.shape, ratios, strict=True):
        shape += [n // r, r]
    return xp.sum(values.reshape(shape), axis=(1, 3, 5))


class Transfer:
    """Restriction and prolongation between a level's grid and the 2:1 coarser one.

    Parameters
    ----------
    fine : FlowSolver
        The finer level (its grid, face areas and cell volumes).
    ratios : (int, int, int)
        Coarsening ratio per axis (2 or 1).
    """

    def __init__(self, fine, ratios):
        self.xp = xp = fine.xp
        self.ratios = ratios
        grid = fine.grid
        self.coarse_grid = Grid(*(f[::r] for f, r in zip(grid.faces, ratios, strict=True)),
                                backend=grid.backend, dtype=grid.dtype)
        self.volumes = grid.cell_volumes()
        self.coarse_volumes = _block_sum(xp, self.volumes, ratios)
        self.areas = [xp.broadcast_to(c.area, c.shape) for c in fine.components]
        self.fine_active = [c.active_f for c in fine.components]
        # position of each odd fine face between its two coarse faces (linear prolongation)
        self.weights = []
        for a in range(3):
            faces = grid.faces[a]
            if ratios[a] == 2:
                t = (faces[1:-1:2] - faces[:-2:2]) / (faces[2::2] - faces[:-2:2])
                shape = [1, 1, 1]
                shape[a] = t.size
                self.weights.append(xp.asarray(t.reshape(shape), dtype=grid.dtype))
            else:
                self.weights.append(None)

    def _tangential(self, a):
        ratios = list(self.ratios)
        ratios[a] = 1
        return tuple(ratios)

    def restrict_mean(self, values):
        """Volume-weighted mean of the children (pressure [Pa], viscosity [Pa s])."""
        return _block_sum(self.xp, values * self.volumes, self.ratios) / self.coarse_volumes

    def restrict_cells(self, values):
        """Sum over the children (mass residuals [kg/s])."""
        return _block_sum(self.xp, values, self.ratios)

    def restrict_velocity(self, velocity, a):
        """Flux-weighted mean of the fine faces on each coarse face [m/s]."""
        xp, r = self.xp, self.ratios[a]
        flux = (velocity * self.areas[a])[along_axis(a, slice(None, None, r))]
        area = self.areas[a][along_axis(a, slice(None, None, r))]
        tangential = self._tangential(a)
        return _block_sum(xp, flux, tangential) / _block_sum(xp, area, tangential)

    def restrict_momentum(self, residual, a):
        """Momentum residuals [N] summed over the fine momentum volumes inside each coarse one
        (the odd fine faces' volumes are split between their two coarse faces)."""
        xp = self.xp
        if self.ratios[a] == 2:
            even = residual[along_axis(a, slice(None, None, 2))].copy()
            odd = 0.5 * residual[along_axis(a, slice(1, None, 2))]
            even[along_axis(a, slice(None, -1))] += odd
            even[along_axis(a, slice(1, None))] += odd
            residual = even
        return _block_sum(xp, residual, self._tangential(a))

    def prolong_cells(self, change):
        """Constant per coarse cell."""
        xp = self.xp
        for a, r in enumerate(self.ratios):
            if r == 2:
                change = xp.repeat(change, 2, axis=a)
        return change

    def prolong_velocity(self, change, a):
        """Linear along the face normal, constant across it; zero on fixed fine faces."""
        xp = self.xp
        for d, r in enumerate(self.ratios):
            if r == 2 and d != a:
                change = xp.repeat(change, 2, axis=d)
        if self.ratios[a] == 2:
            shape = list(change.shape)
            shape[a] = 2 * shape[a] - 1
            fine = xp.empty(shape, dtype=change.dtype)
            fine[along_axis(a, slice(None, None, 2))] = change
            t = self.weights[a]
            fine[along_axis(a, slice(1, None, 2))] = (
                (1.0 - t) * change[along_axis(a, slice(None, -1))]
                + t * change[along_axis(a, slice(1, None))])
            change = fine
        return change * self.fine_active[a]


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
    """

    def __init__(self, fine, pre: int = PRE, post: int = POST, coarsest: int = 10,
                 max_levels: int = MAX_LEVELS):
        applies, reason = fas_applies(fine)
        if not applies:
            raise ValueError(f"nonlinear multigrid does not apply: {reason}")
        self.pre, self.post, self.coarsest = pre, post, coarsest
        self.levels = [fine]
        self.transfers: list[Transfer] = []
        # the coarse levels iterate on their own grid only
        settings = replace(fine.settings, method="single_grid", potential_initialisation=False)
        masks = coarse_masks(fine.grid.backend.to_host(fine.fluid), max_levels)
        for fluid, coarse_fluid in zip(masks[:-1], masks[1:], strict=True):
            level = self.levels[-1]
            ratios = tuple(n // m for n, m in zip(fluid.shape, coarse_fluid.shape, strict=True))
            transfer = Transfer(level, ratios)
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
