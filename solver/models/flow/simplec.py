"""The flow solver: SIMPLEC/SIMPLE pressure-velocity coupling on the staggered grid, its
pressure-correction system, residuals and monitors (pressure drop), and :func:`solve_flow`."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from solver.boundaries.flow import INLET, OUTLET
from solver.boundaries.flow_conditions import FlowConditions
from solver.boundaries.patches import SIDES, side_axis
from solver.grid.grid import Grid
from solver.models.flow import passes
from solver.models.flow.changes import FlowChanges
from solver.models.flow.fas import POST, PRE, NonlinearMultigrid, auto_takes_multigrid, fas_applies
from solver.models.flow.momentum import Component, relax_components
from solver.models.flow.patch_pressures import PatchLayers, patch_pressures
from solver.models.flow.pressure_correction import assemble_pressure_correction
from solver.models.flow.restart import FlowRestart
from solver.models.flow.settings import FlowSettings
from solver.models.flow.solution import (
    DivergenceError,
    FlowResiduals,
    FlowSolution,
    divergence_message,
)
from solver.models.flow.staggered import (
    INTERIOR,
    LOWER,
    UPPER,
    along_axis,
    half_widths,
)
from solver.numerics import pointwise
from solver.numerics.graphs import GraphedStages
from solver.numerics.host_kernels import compiled_kernels
from solver.numerics.linear.reuse import ReusedMultigrid
from solver.numerics.linear.settings import CarriedValues, LinearSolve
from solver.numerics.stencil import Stencil7

DRIFT_SLOTS = 10  # where the d drifts and the squared continuity residual start in the monitors
LAYER_SLOTS = DRIFT_SLOTS + 7  # where the pressure-drop monitor's layers start in the monitors


def _drifted(drift) -> bool:
    """The drift test on the host: a d coefficient moved by more than 10 % of the largest
    frozen one (``drift``: per component the largest change and the largest frozen d)."""
    return bool(np.any(drift[0:6:2] > 0.1 * drift[1:6:2]))


class FlowSolver(FlowChanges, FlowRestart):
    """SIMPLE-family solver of steady incompressible laminar flow on a staggered grid.

    Parameters
    ----------
    grid : Grid
        Non-uniform Cartesian grid (carries the backend and dtype).
    fluid : array of bool, shape (nx, ny, nz)
        True in coolant cells, False in solid cells.
    boundaries : sequence of Boundary
        Flow patches from :mod:`solver.boundaries` (Inlet, Outlet, Wall, Symmetry; also
        :class:`~solver.boundaries.MovingWall`). Uncovered faces are no-slip walls.
    density : float
        [kg/m^3] coolant density (constant: incompressible flow).
    viscosity : float or array (nx, ny, nz)
        [Pa s] dynamic viscosity (cell values; only fluid cells matter).
    settings : FlowSettings
    gravity : (float, float, float), optional
        [m/s^2] gravity vector for the Boussinesq buoyancy term.
    thermal_expansion : float
        [1/K] volumetric expansion coefficient beta of the coolant (0: no buoyancy).
    reference_temperature : float
        [K] temperature at which the buoyancy force vanishes.
    crop : bool
        Solve on the bounding box of the fluid cells only (default; the cells beyond are solid,
        so its inner sides are walls). Results are returned on the full grid either way.
    domain_sides : sequence of str, optional
        Solve on the whole ``grid`` and take the boundaries only on these sides (the others are
        walls): a coarse level of :mod:`solver.models.flow.fas` repeats its fine level's sides.
    """

    def __init__(self, grid, fluid, boundaries: Sequence = (), density: float = 1000.0,
                 viscosity=1e-3, settings: FlowSettings | None = None, gravity=None,
                 thermal_expansion: float = 0.0, reference_temperature: float = 293.15,
                 crop: bool = True, domain_sides: Sequence[str] | None = None):
        self.full_grid = grid
        self.xp = xp = grid.backend.xp
        self.dtype = grid.dtype
        # the compiled kernels (Numba loops on the host, CUDA on a GPU)
        self.kernels = compiled_kernels(xp, np.dtype(self.dtype).name)
        self.settings = settings or FlowSettings()
        full_fluid = xp.asarray(fluid).astype(bool)
        if full_fluid.shape != grid.shape:
            raise ValueError(f"fluid mask shape {full_fluid.shape} != grid shape {grid.shape}")
        if not bool(xp.any(full_fluid)):
            raise ValueError("the fluid mask has no fluid cell")
        # the flow lives on the bounding box of the fluid cells (solid beyond is a wall)
        cells = np.argwhere(grid.backend.to_host(full_fluid))
        lower, upper = cells.min(axis=0), cells.max(axis=0) + 1
        # ports on faces of the geometry keep the cell layer beyond their plane in the region
        for b in boundaries:
            if b.patch.on_geometry:
                axis = side_axis(b.patch.side)[0]
                face = b.patch.plane_index(grid)
                lower[axis] = min(lower[axis], face - 1)
                upper[axis] = max(upper[axis], face + 1)
        if not crop or domain_sides is not None:
            lower, upper = np.zeros(3, dtype=int), np.asarray(grid.shape)
        self.region = tuple(slice(int(lo), int(hi)) for lo, hi in zip(lower, upper, strict=True))
        self.grid = Grid(*(f[lo:hi + 1] for f, lo, hi in zip(grid.faces, lower, upper,
                                                              strict=True)),
                         backend=grid.backend, dtype=grid.dtype)
        self.fluid = full_fluid[self.region]
        if domain_sides is None:
            domain_sides = [side for side in SIDES
                            if (upper if side.endswith("max") else lower)[side_axis(side)[0]]
                            == (grid.shape[side_axis(side)[0]] if side.endswith("max") else 0)]
        self.domain_sides = tuple(domain_sides)
        self.boundaries = tuple(boundaries)
        self.density = float(density)
        self.conditions = FlowConditions(self.grid, self.fluid, boundaries, self.density,
                                         domain_sides)
        self._set_up_ports()
        self.gravity = None if gravity is None else tuple(float(g) for g in gravity)
        self.thermal_expansion = float(thermal_expansion)
        self.reference_temperature = float(reference_temperature)
        self.components = [Component(self, a) for a in range(3)]
        self._density_area = [self.density * comp.area for comp in self.components]
        # device scalars written in place: face speeds, and the monitors sent to the host (the
        # pressure solve's two norms, continuity, per component momentum norm and scale, the speed
        # scale), the d drifts with the squared continuity residual, and the layers next to the
        # openings that the pressure-drop monitor reads (gathered as an iteration starts)
        self._patch_layers = PatchLayers(self)
        self._speeds = xp.zeros(3, self.dtype)
        self._monitors = xp.zeros(LAYER_SLOTS + self._patch_layers.size, self.dtype)
        self._velocity_scale = self._monitors[9, ...]
        self._drift = self._monitors[DRIFT_SLOTS:LAYER_SLOTS]
        self._patch_layers.bind(self._monitors[LAYER_SLOTS:])
        self._entering_layers = None  # host copy of the layers the last iteration started from
        self._p_corr_padded = xp.zeros(tuple(n + 2 for n in self.grid.shape), self.dtype)
        self._imbalance = xp.zeros(self.grid.shape, self.dtype)  # continuity residual [kg/s]
        self._p_corr_solved = xp.zeros(self.grid.shape, self.dtype)  # an iteration's p' [Pa]
        # the pressure operator's face coefficients rho d A and the assembly's scratch
        self._pressure_coefficients = [xp.zeros(comp.shape, self.dtype)
                                       for comp in self.components]
        self._pressure_scratch = (xp.zeros(self.grid.shape, self.dtype),
                                  xp.zeros((), self.dtype))
        self._graphed_hierarchy = None  # the hierarchy the operator update was captured for
        # the stages of an iteration as CUDA graphs on a GPU (FlowSettings.cuda_graph)
        self._stages = GraphedStages(xp, self.settings.cuda_graph)
        self.velocity = [comp.fixed.copy() for comp in self.components]
        self.mass_flux = [xp.zeros(comp.shape, dtype=self.dtype) for comp in self.components]
        self.pressure = xp.zeros(self.grid.shape, dtype=self.dtype)
        self._apply_ghost_pressure()
        self.temperature = None
        self._buoyancy = {}  # per component the Boussinesq force [N] on its faces
        self.unsteady = None
        self.momentum_source = self.mass_source = None
        self._sources = {}  # the coarse-level sources' arrays, kept between cycles
        self.history: list[FlowResiduals] = []
        self.iteration = 0
        self._pressure_stencil = Stencil7(*(xp.zeros(self.grid.shape, dtype=self.dtype)
                                            for _ in range(7)))
        self._good = None
        self._pressure = None  # the pressure-correction hierarchy, kept between iterations
        self._setup_d = None  # the d coefficients its structure was chosen for (restarts)
        self._pin = None  # the cell whose pressure is pinned in a closed box
        self._state_given = False
        self._fas = None
        self._design_inflow = None  # inlet values of the boundary conditions (scale_inflow)
        self.set_viscosity(viscosity)
        self.update_mass_flux()
        self._reference_flow = self.inflow_rate()
        # multigrid: whether solve() runs nonlinear multigrid, decided once (it depends only on
        # the geometry and the settings; FlowSettings.method)
        method = self.settings.method
        # 'auto' takes plain 2:1 hierarchies only (agglomeration on odd runs, 3:1 cells, did not
        # pay on the channel plate: docs/flow_methods.md) and small through-flow grids on the
        # single grid; 'multigrid' takes either hierarchy wherever one applies
        self._agglomerate = method == "multigrid"
        if method == "multigrid":
            applies, reason = fas_applies(self, agglomerate=True)
            if not applies:
                raise ValueError(f"flow method 'multigrid' does not apply here: {reason}; use "
                                 "method 'auto' or 'single_grid'")
        elif method == "auto":
            applies, reason = auto_takes_multigrid(self)
        else:
            applies, reason = False, "method 'single_grid'"
        self.multigrid = applies
        self.single_grid_reason = reason  # why the outer iteration is a single grid ('' if not)

    # -- set-up ------------------------------------------------------------------------------
    def _set_up_ports(self) -> None:
        """Masks of the ports on faces of the geometry (see
        :mod:`solver.boundaries.flow_conditions`).

        An outlet port's face velocity is an unknown driven by the pressure of the fluid cell
        and the outlet pressure, held in the solid (ghost) cell beyond the port; an inlet port's
        face velocity is fixed. Links of the momentum and pressure equations through ghost
        cells are cut, so the port acts exactly as a domain-side opening.
        """
        xp = self.xp
        ports = self.conditions.ports
        self.has_outlet_ports = any(bool(np.any(p.kind == OUTLET)) for p in ports)
        self.has_inlet_ports = any(bool(np.any(p.kind == INLET)) for p in ports)
        self.fluid_f = self.fluid.astype(self.dtype)
        self.ghost_pressure = self.outlet_ghosts = None
        if not self.has_outlet_ports:
            return
        ghost_pressure = np.zeros(self.grid.shape)
        outlet_ghosts = [np.zeros(self.grid.shape, dtype=bool) for _ in range(3)]
        for port in ports:
            a = port.axis
            outer = port.face if port.is_max else port.face - 1
            index = along_axis(a, slice(outer, outer + 1))
            outlet = np.expand_dims(port.kind == OUTLET, a)
            ghost_pressure[index] = np.where(outlet, np.expand_dims(port.pressure, a),
                                             ghost_pressure[index])
            outlet_ghosts[a][index] |= outlet
        self.ghost_pressure = xp.asarray(ghost_pressure, dtype=self.dtype)
        self.outlet_ghosts = [xp.asarray(g) for g in outlet_ghosts]

    def _apply_ghost_pressure(self) -> None:
        """Outlet pressure [Pa] in the ghost cells beyond outlet ports (0 in other solid)."""
        if self.has_outlet_ports:
            self.xp.copyto(self.pressure, self.ghost_pressure, where=~self.fluid)

    def broadcast_line(self, values: np.ndarray, axis: int):
        """A 1-D host array as a backend array broadcast along ``axis``."""
        shape = [1, 1, 1]
        shape[axis] = values.size
        return self.xp.asarray(np.asarray(values).reshape(shape), dtype=self.dtype)

    def _crop(self, values):
        """A scalar or full-grid cell array restricted to the flow region (cell array)."""
        xp = self.xp
        values = xp.asarray(values, dtype=self.dtype)
        if values.ndim == 3 and values.shape == self.full_grid.shape:
            values = values[self.region]
        return xp.broadcast_to(values, self.grid.shape)

    def embed(self, values, axis: int | None = None):
        """A flow-region array placed in a zero full-grid array (cells, or faces of ``axis``)."""
        shape = list(self.full_grid.shape)
        region = list(self.region)
        if axis is not None:
            shape[axis] += 1
            region[axis] = slice(region[axis].start, region[axis].stop + 1)
        full = self.xp.zeros(shape, dtype=self.dtype)
        full[tuple(region)] = values
        return full

    def residual_fields(self) -> tuple[list, object]:
        """Residuals of the current state, sources included: per component the momentum
        residual ``b - A u`` [N] on each face (zero on fixed faces), and the mass residual
        ``inflow - outflow (+ source)`` [kg/s] per fluid cell."""
        self._velocity_scale = self._speed_scale()
        momentum = []
        for comp in self.components:
            self._assemble_momentum(comp)  # (its residual b - A u into comp.residual)
            momentum.append(comp.residual * comp.active_f)
        return momentum, self._mass_residual()

    def _mass_residual(self, out=None):
        """The continuity residual [kg/s] per cell, into ``out`` (a new array when omitted)."""
        fx, fy, fz = self.mass_flux
        faces = (fx[:-1], fx[1:], fy[:, :-1], fy[:, 1:], fz[:, :, :-1], fz[:, :, 1:])
        out = self.xp.empty(self.grid.shape, dtype=self.dtype) if out is None else out
        if self.mass_source is None:
            passes.NET_INFLOW(self.xp, *faces, self.fluid_f, out)
        else:
            passes.NET_INFLOW_SOURCE(self.xp, *faces, self.mass_source, self.fluid_f, out)
        return out

    # -- fluxes and balances ---------------------------------------------------------------------
    def update_mass_flux(self) -> None:
        """Face mass fluxes [kg/s] from the face velocities (after the velocity changed)."""
        for u, flux, density_area in zip(self.velocity, self.mass_flux, self._density_area,
                                         strict=True):
            self.xp.multiply(u, density_area, out=flux)

    def _boundary_flows(self) -> tuple[float, float]:
        """Total inflow and outflow mass rates [kg/s] over the domain boundary."""
        inflow = outflow = 0.0
        for opening in self.conditions.openings():
            axis = opening.axis
            flux = self.mass_flux[axis][along_axis(axis, slice(opening.face, opening.face + 1))]
            into = -flux if opening.is_max else flux
            # only inlet and outlet faces (a port's plane also holds interior fluid faces)
            into = into * self.xp.asarray(np.expand_dims((opening.kind == INLET)
                                                         | (opening.kind == OUTLET), axis))
            inflow += float(self.xp.sum(self.xp.maximum(into, 0.0)))
            outflow += float(self.xp.sum(self.xp.maximum(-into, 0.0)))
        return inflow, outflow

    def inflow_rate(self) -> float:
        """[kg/s] total mass inflow over the domain boundary."""
        inflow, _ = self._boundary_flows()
        return inflow

    def mass_imbalance(self):
        """Net mass inflow per cell [kg/s] (inflow minus outflow), shape (nx, ny, nz)."""
        fx, fy, fz = self.mass_flux
        return (fx[:-1] - fx[1:]) + (fy[:, :-1] - fy[:, 1:]) + (fz[:, :, :-1] - fz[:, :, 1:])

    def mass_balance_error(self) -> float:
        """``|inflow - outflow| / inflow`` over the domain boundary (max cell error if closed)."""
        inflow, outflow = self._boundary_flows()
        if inflow > 0.0:
            return abs(inflow - outflow) / inflow
        worst = float(self.xp.max(self.xp.abs(self.mass_imbalance())))
        return worst / max(self._reference(), 1e-300)

    def _reference(self) -> float:
        """Reference mass flow [kg/s] that scales the continuity residual."""
        if self._reference_flow > 0.0:
            return self._reference_flow
        xp = self.xp
        cross = [float(xp.sum(xp.abs(f))) / max(f.shape[a] - 1, 1)
                 for a, f in enumerate(self.mass_flux)]
        return max(cross) or 1.0

    # -- momentum ----------------------------------------------------------------------------
    def _assemble_momentum(self, comp: Component) -> None:
        """Assemble the momentum equation of one component; its residual norm and scale sum go
        to the monitors (device scalars)."""
        xp, a = self.xp, comp.axis
        st, rhs = comp.stencil, comp.rhs
        diag = st.diag
        comp.clear()
        phi = self.velocity[a]
        for info in comp.directions:
            d = info["axis"]
            face_flux = comp.links(info, self.mass_flux,
                                   self.fluid_f if d == a and self.has_outlet_ports else 1.0,
                                   self.has_inlet_ports)
            if (scheme := self.settings.convection) != "upwind":
                if d == a and self.has_outlet_ports:
                    if "face_flux_fluid" not in info:
                        info["face_flux_fluid"] = xp.empty_like(face_flux)
                    face_flux = xp.multiply(face_flux, self.fluid_f, out=info["face_flux_fluid"])
                comp.deferred_correction(phi, info, face_flux, scheme, self.kernels)
        comp.add_backflow_resistance(phi)

        # pressure force on the control volume (outlet pressure beyond boundary faces)
        p = comp.pressure_padded
        xp.copyto(p[along_axis(a, slice(1, -1))], self.pressure)
        passes.PRESSURE_FORCE(xp, comp.area, p[along_axis(a, LOWER)], p[along_axis(a, UPPER)],
                              rhs)
        if a in self._buoyancy:  # Boussinesq buoyancy (set_temperature)
            rhs -= self._buoyancy[a]
        if self.unsteady is not None:
            inertia, source = self.unsteady[a]
            diag += inertia
            rhs += source
        if self.momentum_source is not None:
            rhs += self.momentum_source[a]
        # couplings to fixed faces (inlets, walls) move to the right-hand side, fixed faces
        # become identity rows
        comp.move_fixed_faces()
        # the residual of the unrelaxed system at the current velocity and its scale sum
        # |a_P| (times U_ref on the host) into the monitors
        residual = st.residual(phi, rhs, out=comp.residual)
        pointwise.weighted_abs_sum(xp, residual, comp.active_f, out=self._monitors[3 + 2 * a, ...])
        pointwise.weighted_abs_sum(xp, diag, comp.active_f, out=self._monitors[4 + 2 * a, ...])

    # -- pressure ----------------------------------------------------------------------------
    def _assemble_pressure(self, coefficients):
        """Seven-point pressure-correction operator from face coefficients rho d A [kg/(s Pa)]."""
        st = assemble_pressure_correction(self.xp, self._pressure_stencil, coefficients,
                                          self.fluid_f, self.has_outlet_ports,
                                          *self._pressure_scratch)
        if not self.conditions.has_outlet:
            # closed box: pin the pressure level at the first fluid cell
            if self._pin is None:
                first = int(np.argmax(self.grid.backend.to_host(self.fluid).ravel()))
                self._pin = np.unravel_index(first, self.grid.shape)
            st.diag[self._pin] *= 2.0
        return st

    @property
    def pressure_settings(self) -> LinearSolve:
        """Settings of the pressure-correction solve (multigrid-preconditioned CG)."""
        # V-cycles of 3 + 3 sweeps with the automatic smoother: zebra lines across thin
        # channels (the strongly coupled axis), semi-coarsening along them. On the example
        # plates' operators (benchmarks/pressure_multigrid.py) they converge at 0.07-0.14 per
        # iteration, as the K-cycles of 2 + 2 sweeps did (0.10-0.14), at a third of their CPU
        # time on the channel plate and about a fifth of their kernels on a GPU (the K-cycle
        # visits each coarse level of a semi-coarsened hierarchy up to 32 times); point sweeps
        # (coarsening across the fins, merging channels) stall at 0.87. The residual checks are
        # the GPU's on both backends: the same iterations, so CPU and GPU runs agree
        return LinearSolve(method="pcg", rtol=self.settings.pressure_rtol,
                           max_iterations=self.settings.pressure_max_iterations,
                           smoother="auto", cycle="v", pre_sweeps=3, post_sweeps=3,
                           gpu_check_schedule=True, cuda_graph=self.settings.cuda_graph)

    def _solve_correction(self, d_coefficients, rebuild, carry, imbalance):
        """p' from the mass ``imbalance`` [kg/s]. The pressure operator is assembled again and
        its hierarchy updated (set up again when the kept structure converges clearly slower:
        :class:`ReusedMultigrid`); with ``rebuild=False`` both are reused as they are (the
        caller then passes the same ``d_coefficients`` as the last time)."""
        if self._pressure is None:
            self._pressure = ReusedMultigrid(self.pressure_settings)
        if rebuild or self._pressure.multigrid is None:
            if self._pressure.multigrid is None or self._pressure.setup_due:
                # a new structure: keep what it is chosen for, a restart rebuilds it the same
                self._setup_d = [d.copy() for d in d_coefficients]
            self._prepare_pressure(d_coefficients)
        return self._pressure.solve(imbalance, carry=carry, out=self._p_corr_solved)

    def _apply_correction(self, p_corr_solved, d_coefficients, correction_scale,
                          update_pressure) -> None:
        """Correct velocities and mass fluxes with ``p_corr_solved`` [Pa] and the
        ``d_coefficients``, and the pressure by ``correction_scale`` times p'."""
        xp = self.xp
        # p' with a zero halo: the corrections of the faces on the domain's sides come out zero
        padded = self._p_corr_padded
        p_corr = padded[1:-1, 1:-1, 1:-1]
        passes.MASKED(xp, p_corr_solved, self.fluid, p_corr)
        for a, d in enumerate(d_coefficients):
            lower, upper = ([LOWER if b == a else INTERIOR for b in range(3)],
                            [UPPER if b == a else INTERIOR for b in range(3)])
            passes.VELOCITY_CORRECTION(xp, d, padded[tuple(lower)], padded[tuple(upper)],
                                       self._density_area[a], self.velocity[a],
                                       self.mass_flux[a])
        if update_pressure:
            passes.ADD_SCALED(xp, p_corr, correction_scale, self.pressure)

    def _correct(self) -> None:
        """The correction stage of an outer iteration: velocities, mass fluxes and the
        (relaxed) pressure from the solved p' and the frozen d coefficients (one graph launch
        on a GPU)."""
        self._apply_correction(self._p_corr_solved, [c.d_frozen for c in self.components],
                               self.settings.relax_pressure, True)

    def _prepare_pressure(self, d_coefficients) -> None:
        """Assemble the pressure-correction operator from ``d_coefficients`` and prepare its
        hierarchy (a new one or the kept one updated, :class:`ReusedMultigrid`). The update of
        the kept hierarchy for the frozen coefficients is a stage: one graph launch on a GPU,
        then the coarsest level's inverse."""
        def assemble():
            for coefficient, density_area, d in zip(self._pressure_coefficients,
                                                    self._density_area, d_coefficients,
                                                    strict=True):
                self.xp.multiply(density_area, d, out=coefficient)
            self._assemble_pressure(self._pressure_coefficients)

        stencil, kept = self._pressure_stencil, self._pressure.multigrid
        frozen = all(d is c.d_frozen for d, c in zip(d_coefficients, self.components,
                                                       strict=True))
        if not (frozen and self._pressure.reuses(stencil)):
            assemble()
            self._pressure.prepare(stencil)
            return
        if kept is not self._graphed_hierarchy:
            self._stages.discard("pressure_operator")
            self._graphed_hierarchy = kept
        self._stages.run("pressure_operator", lambda: (assemble(), kept.update_levels()))
        kept.refresh_coarsest()

    @property
    def pressure_operator(self) -> Stencil7 | None:
        """The pressure-correction operator of the last outer iteration [kg/(s Pa)] on the flow
        region (None before the first iteration)."""
        return None if self._pressure is None or self._pressure.multigrid is None else (
            self._pressure.multigrid.stencil)

    def initialise_potential_flow(self) -> None:
        """Replace the velocity by the potential flow that carries the inlet flow (continuity)."""
        distances = []
        for comp, u in zip(self.components, self.velocity, strict=True):
            xp = self.xp
            xp.copyto(u, comp.fixed)
            half = half_widths(self.grid.widths[comp.axis])
            distances.append(comp.area * comp.active_f / self.broadcast_line(half, comp.axis))
        self.update_mass_flux()
        p_corr, _ = self._solve_correction(distances, True, None, self._mass_residual())
        self._apply_correction(p_corr, distances, 1.0, update_pressure=False)
        self._pressure.reset()

    def start(self) -> None:
        """Before the first iteration: the potential-flow initial state, when the settings ask
        for it, the domain has an inflow and no state was given (no-op otherwise)."""
        if (self.settings.potential_initialisation and self.iteration == 0
                and not self._state_given and self._reference_flow > 0):
            self.initialise_potential_flow()

    @property
    def iterations_per_step(self) -> int:
        """SIMPLE(C) iterations on this grid per outer step of :meth:`solve`."""
        return PRE + POST if self.multigrid else 1

    def _outer_step(self):
        """One outer step of :meth:`solve`: a SIMPLE(C) iteration or a multigrid cycle."""
        if not self.multigrid:
            return self.iterate
        if self._fas is None:
            self._fas = NonlinearMultigrid(self, agglomerate=self._agglomerate)
        return self._fas.cycle

    @property
    def cycles(self) -> int:
        """Nonlinear multigrid cycles run (0 on a single grid)."""
        return 0 if self._fas is None else self._fas.cycles

    def residence_time(self) -> float | None:
        """Mean residence (flow-through) time [s]: the coolant volume over the volumetric
        inflow; None for a closed domain."""
        if self._reference_flow <= 0.0:
            return None
        volume = float(self.xp.sum(self.grid.cell_volumes() * self.fluid_f))
        return volume * self.density / self._reference_flow

    # -- iteration ---------------------------------------------------------------------------
    def _save_good_state(self) -> None:
        if self._good is None:
            self._good = [x.copy() for x in (*self.velocity, self.pressure)]
            return
        for saved, current in zip(self._good, (*self.velocity, self.pressure), strict=True):
            self.xp.copyto(saved, current)

    def restore_good_state(self) -> None:
        """Return to the state before the last outer iteration (after a divergence or an
        interrupt in the middle of one)."""
        if self._good is None:
            return
        for saved, current in zip(self._good, (*self.velocity, self.pressure), strict=True):
            self.xp.copyto(current, saved)
        self.update_mass_flux()

    def _speed_scale(self):
        """Largest face speed [m/s] as a device scalar (1 when the fluid is at rest)."""
        for k, u in enumerate(self.velocity):
            pointwise.largest_abs(self.xp, u, out=self._speeds[k, ...])
        passes.SPEED_SCALE(self.xp, *(self._speeds[k, ...] for k in range(3)),
                           self._velocity_scale)
        return self._velocity_scale

    def _freeze_d(self, d_coefficients) -> None:
        """Keep ``d_coefficients`` for the velocity corrections, and their largest values for
        the drift test."""
        for k, (comp, d) in enumerate(zip(self.components, d_coefficients, strict=True)):
            self.xp.copyto(comp.d_frozen, d)
            pointwise.largest(self.xp, comp.d_frozen, out=self._drift[2 * k + 1, ...])

    def _momentum_stage(self) -> None:
        """The momentum half of an outer iteration: assemble, relax and sweep the momentum
        equations, the new mass fluxes, the d drifts and the continuity residual (into
        ``_imbalance``) with its square sum. Nothing in it allocates or waits for the device:
        on a GPU it runs as one CUDA graph (:class:`GraphedStages`). It starts by gathering the
        pressure-drop monitor's layers of the state it starts from."""
        xp = self.xp
        self._patch_layers.gather()
        self._speed_scale()
        for comp in self.components:
            self._assemble_momentum(comp)
        relax_components(self.components, self.velocity, self.settings.relax_velocity,
                         self.settings.momentum_sweeps, self.settings.algorithm == "simplec",
                         self.kernels)
        self.update_mass_flux()
        for k, c in enumerate(self.components):
            pointwise.largest_abs_difference(xp, c.d_coefficient, c.d_frozen,
                                             out=self._drift[2 * k, ...])
        self._mass_residual(out=self._imbalance)
        pointwise.dot_product(xp, self._imbalance, self._imbalance, out=self._drift[6, ...])
        # the continuity residual's monitor (travels with the pressure solve's final norm)
        pointwise.weighted_abs_sum(xp, self._imbalance, self.fluid_f, out=self._monitors[2, ...])

    def iterate(self) -> FlowResiduals:
        """One SIMPLE(C) outer iteration; returns the residuals. Host synchronisations: the
        pressure solve's checks (the last brings the monitors and the drift test), and on the
        CPU the drift test's transfer before the solve. On a GPU the momentum and correction
        stages are a graph launch each (the momentum stage a graph per variant: sources,
        unsteady terms, buoyancy), the pressure solve's CG iterations between two checks one.
        """
        start = time.perf_counter()
        self._stages.run(("momentum", self.momentum_source is not None,
                          self.mass_source is not None, self.unsteady is not None,
                          tuple(self._buoyancy)), self._momentum_stage)
        # the pressure operator (and its multigrid hierarchy) is refreshed every few
        # iterations, or as soon as a d coefficient drifted by more than 10% of the largest
        # (frozen d smaller than the consistent one over-corrects the pressure); in between
        # the velocity corrections use the same frozen d coefficients
        rebuild = self.iteration % self.settings.pressure_operator_interval == 0
        pressure, carry = self._pressure_correction(rebuild)
        self._stages.run("correction", self._correct)
        values = carry.host
        self._entering_layers = self._patch_layers.unpack(np.array(values[LAYER_SLOTS:]))
        continuity = float(values[2]) / self._reference()
        # each momentum norm over sum |a_P| U_ref (one velocity scale for all components)
        scales = [float(scale) * float(values[9]) for scale in values[4:9:2]]
        momentum = tuple(float(norm) / scale if scale > 0.0 else float(norm)
                         for norm, scale in zip(values[3:9:2], scales, strict=True))
        self.iteration += 1
        residuals = FlowResiduals(self.iteration, continuity, momentum, pressure.iterations,
                                  time.perf_counter() - start, pressure.convergence_factor)
        self.history.append(residuals)
        return residuals

    def _pressure_correction(self, rebuild: bool):
        """p' of an outer iteration (into ``_p_corr_solved``) from the continuity residual
        ``_imbalance`` of the momentum stage, with the drift test; returns the solve's info
        and the :class:`CarriedValues` whose host copy holds every monitor.

        On the CPU the drifts come to the host before the solve. On a GPU they travel with the
        solve's last check instead (with the continuity residual, the solve's initial norm):
        the solve runs with the kept operator, and in the rare iteration whose d coefficients
        drifted it is discarded (the set-up policy's counters restored) and solved again with
        the refreshed operator, which is what the CPU solves. One transfer fewer per
        iteration, the same iterates."""
        current = [c.d_coefficient for c in self.components]
        frozen = [c.d_frozen for c in self.components]  # refreshed in place by _freeze_d
        if self.xp is np:
            drift = self.grid.backend.to_host(self._drift)
            rebuild = rebuild or _drifted(drift)
            carry = CarriedValues(self._monitors, initial_squared=float(drift[6]))
        else:
            carry = CarriedValues(self._monitors, initial_slot=DRIFT_SLOTS + 6)
        speculative = carry.initial_slot is not None and not rebuild and (
            self._pressure is not None and self._pressure.multigrid is not None)
        if rebuild:
            self._stages.run("freeze", lambda: self._freeze_d(current))
        counters = self._pressure.counters() if speculative else None
        _, info = self._solve_correction(frozen, rebuild, carry, self._imbalance)
        if speculative and _drifted(carry.host[DRIFT_SLOTS:]):
            self._pressure.restore_counters(counters)
            self._stages.run("freeze", lambda: self._freeze_d(current))
            carry = CarriedValues(self._monitors,
                                  initial_squared=float(carry.host[DRIFT_SLOTS + 6]))
            _, info = self._solve_correction(frozen, True, carry, self._imbalance)
        return info, carry

    def _diverged(self, residuals: FlowResiduals, minimum: float) -> bool:
        values = (residuals.continuity, *residuals.momentum)
        if not all(np.isfinite(values)):
            return True
        # growth over the smallest residual seen (floored: round-off noise is no divergence)
        growth = self.settings.divergence_factor * max(minimum, 1e-10)
        return residuals.iteration > 5 and residuals.largest > growth

    def solve(self, max_iterations: int | None = None,
              callback: Callable[[FlowResiduals, FlowSolver], bool | None] | None = None,
              progress=None) -> FlowSolution:
        """Iterate to convergence.

        Parameters
        ----------
        max_iterations : int, optional
            Overrides ``settings.max_iterations`` (SIMPLE(C) iterations on this grid; a
            multigrid cycle counts its finest level's).
        callback : callable, optional
            ``callback(residuals, solver)`` after each iteration (progress, monitors); returning
            True stops the iteration as converged (e.g. when an engineering monitor settled).
        progress : solver.progress.Progress, optional
            Throttled progress line fed with the residuals of every iteration.

        Returns
        -------
        FlowSolution

        Raises
        ------
        DivergenceError
            On NaN or residual growth by ``divergence_factor``; the solver keeps the last good
            state and the exception carries it.
        """
        start = time.perf_counter()
        s = self.settings
        limit = max_iterations or s.max_iterations
        self.start()
        converged = False
        minimum = np.inf
        step = self._outer_step()
        first = self.iteration
        while self.iteration - first < limit:
            self._save_good_state()
            residuals = step()
            if self._diverged(residuals, minimum):
                self.restore_good_state()
                raise DivergenceError(divergence_message(self.settings, residuals,
                                                         self._reference_flow),
                                      residuals.iteration,
                                      self.solution(False, time.perf_counter() - start))
            minimum = min(minimum, residuals.largest)
            if progress is not None:
                drop = self.monitored_pressure_drop()
                monitors = {"dp_Pa": drop["static"]} if drop else None
                progress.update(residuals.iteration, residuals.as_dict(), monitors)
            stop = callback(residuals, self) if callback is not None else False
            if residuals.largest < s.tolerance or stop:
                converged = True
                break
        return self.solution(converged, time.perf_counter() - start)

    def set_state(self, velocity, pressure) -> None:
        """Restore face velocities (u, v, w) [m/s] and pressure [Pa], e.g. from a checkpoint.

        Arrays may be the flow-region arrays of :attr:`velocity` and :attr:`pressure` or the
        full-grid arrays of a :class:`FlowSolution`; the mass fluxes are recomputed.
        """
        xp = self.xp
        for comp, current, given in zip(self.components, self.velocity, velocity, strict=True):
            given = xp.asarray(given, dtype=self.dtype)
            if given.shape != current.shape:
                region = list(self.region)
                a = comp.axis
                region[a] = slice(region[a].start, region[a].stop + 1)
                given = given[tuple(region)]
            xp.copyto(current, given)
        pressure = xp.asarray(pressure, dtype=self.dtype)
        xp.copyto(self.pressure, self._crop(pressure))
        self._apply_ghost_pressure()
        self.update_mass_flux()
        self._state_given = True

    # -- results -----------------------------------------------------------------------------
    def mass_flux_on_grid(self) -> tuple:
        """Face mass fluxes [kg/s] on the full grid (the energy equation's ``mass_flux``)."""
        return tuple(self.embed(f, a) for a, f in enumerate(self.mass_flux))

    def velocity_on_grid(self) -> tuple:
        """Face velocities [m/s] on the full grid (zero outside the flow region)."""
        return tuple(self.embed(u, a) for a, u in enumerate(self.velocity))

    def pressure_on_grid(self):
        """Cell pressure [Pa] on the full grid (zero in solid cells)."""
        return self.embed(self.pressure * self.fluid)

    def solution(self, converged: bool, seconds: float) -> FlowSolution:
        """The current state as a :class:`FlowSolution`."""
        return FlowSolution(self.velocity_on_grid(), self.pressure_on_grid(),
                            self.mass_flux_on_grid(),
                            self.iteration, converged, list(self.history), self.pressure_drop(),
                            self.mass_balance_error(), seconds, self.settings, self.cycles)

    def pressure_drop(self) -> dict:
        """Inlet-to-outlet pressure drop [Pa] of the current state: static (area-weighted) and
        total (flow-weighted); one transfer of the layers next to the openings.

        ``"static"`` extrapolates the inlet pressure linearly from the first two cells to the
        face; ``"static_inlet_cells"`` takes the first cells' pressure instead (the value of
        codes that impose zero pressure gradient at inlets, e.g. OpenFOAM's ``zeroGradient``).
        ``"total"`` adds the dynamic pressure, flow-weighted. ``"mass_flow"`` [kg/s] is the
        inflow. Returns an empty dict when the domain has no inlet or no outlet.
        """
        self._stages.run("patch_layers", self._patch_layers.gather)
        return self._pressure_drop_from(self._patch_layers.to_host())

    def monitored_pressure_drop(self) -> dict:
        """:meth:`pressure_drop` of the state the last iteration started from, which its
        residuals describe too, from the layers that reached the host with them (no transfer
        of its own: the monitor of every iteration); of the current state before the first
        iteration."""
        if self._entering_layers is None:
            return self.pressure_drop()
        return self._pressure_drop_from(self._entering_layers)

    def _pressure_drop_from(self, layers: dict) -> dict:
        inlet = patch_pressures(self, INLET, layers)
        outlet = patch_pressures(self, OUTLET, layers)
        if inlet is None or outlet is None:
            return {}
        return {"static": float(inlet[0] - outlet[0]), "total": float(inlet[1] - outlet[1]),
                "static_inlet_cells": float(inlet[3] - outlet[0]),
                "inlet_static": float(inlet[0]), "outlet_static": float(outlet[0]),
                "mass_flow": float(inlet[2])}


def solve_flow(grid, fluid, boundaries: Sequence, density: float, viscosity,
               settings: FlowSettings | None = None, callback=None, **options) -> FlowSolution:
    """Solve steady laminar flow; see :class:`FlowSolver` for the parameters.

    Returns
    -------
    FlowSolution
    """
    solver = FlowSolver(grid, fluid, boundaries, density, viscosity, settings, **options)
    return solver.solve(callback=callback)
