"""One cold plate as a conjugate model: coolant flow, one temperature field, engineering metrics.

The model
---------
* **Regions.** The case bodies are painted on the snapped grid
  (:func:`solver.setup.build_solid_model`); cells of bodies whose material is ``"coolant"`` are
  fluid, every other painted cell is solid, unpainted cells are empty (no physics).
* **Flow.** Steady laminar incompressible flow on the fluid mask
  (:class:`solver.models.flow.FlowSolver`, staggered SIMPLEC, immersed solids) with the coolant
  density at the inlet temperature. With time settings (``[solver.flow] mode =
  "time_averaged"``) the flow runs time-accurately (BDF2,
  :mod:`solver.models.flow.time_stepping`) for a start-up and then until the batch-means
  confidence interval of the mean pressure drop is within its tolerance; the time-averaged
  fields are the flow result (``time_average`` entry: times, steps, the mean pressure drop, its
  95 % interval and rms fluctuation).
* **Energy.** One temperature field over fluid and solids
  (:func:`solver.models.energy.solve_energy`) with the face mass fluxes of the flow (the
  time-averaged ones in the time-averaged mode: the heat carried by the flow's fluctuations is
  not modelled), upwind or TVD convection as ``[solver.flow] scheme``.
* **Coolant properties.** First pass: constant properties at the inlet temperature. When the
  viscosity evaluated on the resulting fluid temperatures differs from the inlet value by more
  than ``property_tolerance`` (2 % by default) the run couples flow and energy in an outer loop:
  viscosity ``mu(T)`` and conductivity ``k(T)`` of the coolant are updated from the temperature
  field, flow and energy re-solved (warm starts) until the monitors settle between passes. The
  density stays at its inlet value (incompressible flow: exact mass conservation) and so does
  the specific heat (the advected heat ``F cp T`` conserves enthalpy only with one cp).
* **Buoyancy.** With ``gravity`` in the settings the momentum equations carry the Boussinesq
  force ``-rho beta (T - T_ref) g`` (beta of the coolant at ``T_ref``, the inlet temperature)
  and temperature and flow are coupled within each outer iteration: after every SIMPLEC
  iteration the energy equation is solved with the current mass fluxes (warm start, at most
  three TVD corrections) and its temperature drives the next iteration's buoyancy; the flow
  has converged when the residuals and the largest temperature change per iteration are
  below their tolerances. A closed domain (no inlet, no outlet) holds natural convection, with
  ``T_ref`` the mean fixed wall temperature and the heat through each boundary patch as its
  metric.

Convergence
-----------
The flow iteration stops when the continuity and momentum residuals are below their case
tolerances **and** the inlet-to-outlet pressure drop changed by less than its relative monitor
tolerance over the monitor window. The energy solve is a linear solve (upwind) or a converged
deferred correction (TVD). In a coupled run, passes repeat until the pressure drop, the outlet
temperature rise and the peak temperature rise change by less than their monitor tolerances
from one pass to the next. Until they do, each pass stops its flow at ``early_pass_factor``
(100 by default) times the flow tolerances and its energy solve's TVD correction at the square
root of it (10) times ``temperature_tolerance``: the properties it is solved with are still
changing, so converging it fully buys nothing (an inexact Picard iteration; with the full
factor on the energy too, the pin-fin example's passes took 7 % more flow iterations, with
the square root 1 % more). Once the monitors
settle on such a loose flow, the passes converge fully and the monitors must settle again; a
first pass is loose only where the bulk rise ``Q / (m cp)`` alone varies the viscosity by more
than ``property_tolerance`` (so a run that stays one pass converges that pass fully). A
diverging run (NaN, residual growth) stops with
:class:`solver.models.flow.DivergenceError` naming the likely cause; the last good state is kept in
the checkpoint and no field file is written.

Metrics (``flow`` entry of ``summary.json``)
--------------------------------------------
* ``thermal_resistance_K_per_W``: ``R = (T_case - T_inlet) / Q``. ``T_case`` is the area-mean
  temperature of the chip's case face (``[[chips]] case_body``/``case_side``: by default the top,
  ``z_max``, face of the die body), evaluated on the face itself (series interpolation between
  the two cells beside it); ``Q`` is the chip power. Without chips, ``T_case`` is the area-mean
  face temperature of the heated (positive heat-flux) boundary patches and ``Q`` their heat.
* ``pressure_drop_Pa`` (static, area-weighted, inlet pressure extrapolated to the face) and
  ``total_pressure_drop_Pa`` (flow-weighted); ``pressure_drop_inlet_cells_Pa`` takes the inlet
  cells' pressure instead (zero-gradient inlet pressure, OpenFOAM's ``zeroGradient`` convention).
* ``outlet_temperature_K``: mixing-cup ``sum(F cp T) / sum(F cp)`` over the outflow faces, less
  any backflow into outlets (which enters at its cell's temperature).
* ``energy_balance_relative_error``: ``|Q_in - m cp (T_out - T_in)| / Q_in``.
* ``mass_balance_relative_error``: ``|inflow - outflow| / inflow``.
* ``flow_split``: per channel_array / fin_array body, the mass flow through each channel at the
  mid-plane of the body's envelope.

Units are SI throughout (m, K, W, Pa, kg/s).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from solver.boundaries.flow import Inlet
from solver.boundaries.patches import SIDES, side_axis
from solver.boundaries.ports import port_faces
from solver.boundaries.thermal import FixedTemperature, HeatFlux, boundary_names, face_owners
from solver.models.coldplate.inlet_faces import energy_boundaries
from solver.models.coldplate.monitors import (
    ACCELERATION_DEPTH,
    CORRECTION_RTOL,
    ColdPlateSettings,
    SolveMonitors,
)
from solver.models.coldplate.passages import flow_split, inlet_reynolds_number
from solver.models.coldplate.probes import face_weights
from solver.models.energy.solve import ConductionSolve, KeptEnergySystem, solve_energy
from solver.models.flow.simplec import FlowSolver
from solver.models.flow.solution import DivergenceError
from solver.models.flow.time_stepping import TimeStepper, run_time_averaged
from solver.numerics.linear.settings import LinearSolve


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------
@dataclass
class ColdPlateResult:
    """Converged state of a cold plate and its metrics.

    Attributes
    ----------
    temperature : array (nx, ny, nz)
        [K] cell temperatures (backend array).
    conductivity : array (nx, ny, nz)
        [W/m/K] conductivity of the last energy assembly.
    flow : solver.models.flow.FlowSolution
        Velocities, pressure and mass fluxes on the full grid.
    energy : solver.models.energy.ConductionResult
        The last energy solve (balance and linear histories).
    metrics : dict
        The ``flow`` entry of the summary (see the module docstring).
    passes : int
        Flow-energy passes made (1 with constant coolant properties).
    converged : bool
        Flow tolerances and monitors met, and the last energy solve's temperature tolerance.
    timings : dict
        [s] ``flow``, ``energy`` and ``total`` wall times.
    history : list of dict
        One record per flow iteration and per energy solve.
    """

    temperature: object
    conductivity: object
    flow: object
    energy: object
    metrics: dict
    passes: int
    converged: bool
    timings: dict
    history: list


# ---------------------------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------------------------
class ColdPlate:
    """A cold plate set up on a grid: fluid mask, coolant properties, flow and energy solvers.

    Parameters
    ----------
    model : solver.models.conduction.SolidModel
        Grid, body ids, materials (``Coolant`` objects mark fluid bodies), heat sources, patches.
    settings : ColdPlateSettings
    chips : sequence of dict, optional
        ``{"name", "power" [W], "case_body_id", "case_side"}`` for the thermal resistance.
    channel_groups : sequence of dict, optional
        ``{"name", "axis" (flow direction), "min", "max" [m]}`` envelopes for the flow split.
    """

    def __init__(self, model, settings: ColdPlateSettings | None = None, chips=(),
                 channel_groups=()):
        self.model = model
        self.grid = grid = model.grid
        self.backend = grid.backend
        self.xp = grid.backend.xp
        self.settings = settings or ColdPlateSettings()
        self.chips = list(chips)
        self.channel_groups = list(channel_groups)
        coolant_ids = [i for i, m in enumerate(model.body_materials) if hasattr(m, "viscosity")]
        if not coolant_ids:
            raise ValueError("a conjugate case needs at least one body with material 'coolant'")
        # by name: the case builds a fresh object per body for a user-defined coolant
        coolants = {getattr(model.body_materials[i], "name", id(model.body_materials[i]))
                    for i in coolant_ids}
        if len(coolants) > 1:
            raise ValueError("all fluid bodies must share one coolant")
        self.coolant = model.body_materials[coolant_ids[0]]
        self.fluid_host = np.isin(model.body_ids, coolant_ids)
        self.fluid = self.backend.asarray(self.fluid_host)
        inlets = [b for b in model.boundaries if isinstance(b, Inlet)]
        gravity = self.settings.gravity
        self.buoyant = gravity is not None and any(g != 0.0 for g in gravity)
        # a closed domain (no inlet) carries natural convection only
        self.closed = not inlets
        if self.closed and not self.buoyant:
            raise ValueError("a conjugate case needs an inlet boundary (or gravity, for natural "
                             "convection in a closed domain)")
        fixed = [float(b.temperature) for b in model.boundaries if isinstance(b, FixedTemperature)]
        # reference temperature: the inlet's; in a closed domain the mean fixed wall temperature
        self.inlet_temperature = (float(inlets[0].temperature) if inlets
                                  else sum(fixed) / len(fixed) if fixed else 293.15)
        t_in = self.inlet_temperature
        self.density = float(self.coolant.density(t_in))
        self.viscosity_inlet = float(self.coolant.viscosity(t_in))
        # the flow solver decides nothing by itself: convergence is checked by this driver
        flow_settings = replace(self.settings.flow, tolerance=0.0)
        # Boussinesq buoyancy about the reference temperature, beta of the coolant there
        self.thermal_expansion = self.coolant.thermal_expansion(t_in) if self.buoyant else 0.0
        self.flow = FlowSolver(grid, self.fluid, model.boundaries, self.density,
                               self.viscosity_inlet, flow_settings,
                               gravity=gravity if self.buoyant else None,
                               thermal_expansion=self.thermal_expansion,
                               reference_temperature=t_in)
        self.boundaries = energy_boundaries(model.boundaries, self.fluid_host)
        self.temperature = grid.full(t_in)
        self.start_iteration = 0
        # buoyancy couples flow and energy from the first pass on
        self.coupled = self.buoyant
        self.time_average = None
        self._kept_energy = None  # the energy operator's arrays and hierarchy, between passes
        self.monitors = SolveMonitors(self.settings, self.flow.iterations_per_step)
        self._set_properties(self.temperature)

    # -- properties -----------------------------------------------------------------------------
    def _set_properties(self, temperature) -> None:
        """Coolant cp and k (and mu when coupled) from ``temperature`` [K]; solid k(T)."""
        xp, self.property_temperature = self.xp, temperature
        t_fluid = temperature if self.coupled else self.grid.full(self.inlet_temperature)
        t_cells = xp.where(self.fluid, t_fluid, temperature)
        self.conductivity = self.model.conductivity(t_cells)
        # cp at the inlet temperature: the advected heat F cp T conserves enthalpy only with
        # one cp (water and glycol mixes vary by < 1 % over a cold plate's range)
        cp = float(self.coolant.specific_heat(self.inlet_temperature))
        self.specific_heat = xp.where(self.fluid, cp, 0.0)
        if self.coupled:
            mu = xp.asarray(self.coolant.viscosity(t_fluid), dtype=self.grid.dtype)
            self.flow.set_viscosity(xp.where(self.fluid, mu, self.viscosity_inlet))
        if self.buoyant:
            self.flow.set_temperature(xp.where(self.fluid, t_fluid, self.inlet_temperature))

    def viscosity_variation(self, temperature) -> float:
        """Largest relative deviation of mu(T) over the fluid cells from mu(T_inlet)."""
        xp = self.xp
        t = temperature[self.fluid]
        t_range = xp.asarray([float(xp.min(t)), float(xp.max(t))], dtype=self.grid.dtype)
        mu = self.backend.to_host(xp.asarray(self.coolant.viscosity(t_range)))
        return float(np.max(np.abs(mu / self.viscosity_inlet - 1.0)))

    # -- state for checkpoints --------------------------------------------------------------------
    def state(self) -> dict:
        """Arrays of the state: the flow solver's (:meth:`FlowSolver.restart_state`), the
        temperature [K] and the one the properties were taken at (one pass behind at the end)."""
        return {**self.flow.restart_state(), "temperature": self.temperature,
                "property_temperature": self.property_temperature}

    def state_metadata(self) -> dict:
        """JSON-able rest of the state: iteration, coupling, monitors (:class:`SolveMonitors`)."""
        return {"iteration": self.flow.iteration, "coupled": self.coupled,
                "monitors": self.monitors.state()}

    def load_state(self, arrays: dict, metadata: dict) -> None:
        """Restore a state written by :meth:`state` and :meth:`state_metadata` (resume)."""
        self.flow.load_restart_state(arrays)
        self.flow.iteration = self.start_iteration = int(metadata.get("iteration", 0))
        self.temperature = self.xp.asarray(arrays["temperature"], dtype=self.grid.dtype)
        self.coupled = bool(metadata.get("coupled", False))
        if "monitors" in metadata:
            self.monitors.load_state(metadata["monitors"])
        self._set_properties(self.xp.asarray(arrays.get("property_temperature", self.temperature),
                                             dtype=self.grid.dtype))

    # -- solve ----------------------------------------------------------------------------------
    def _flow_tolerance_factor(self, passes: int) -> float:
        """Factor on this pass's flow tolerances (residuals and pressure-drop monitor):
        ``early_pass_factor`` while the coolant properties still change from pass to pass, 1
        once the pass monitors have settled (the passes from there on converge fully), in the
        last pass allowed, and in a first pass that may stay the only one."""
        s = self.settings
        if (self.monitors.tight or passes >= s.max_passes or s.time is not None
                or self.buoyant or s.early_pass_factor <= 1.0):
            return 1.0
        if self.coupled:
            return s.early_pass_factor
        # a first pass is loose only where the passes will surely be coupled: the bulk
        # temperature rise Q / (m cp) alone changes the viscosity by more than the tolerance
        heat = float(self.xp.sum(self.model.heat_source * self.grid.cell_volumes()))
        capacity = self.flow.inflow_rate() * float(self.coolant.specific_heat(
            self.inlet_temperature))
        if heat <= 0.0 or capacity <= 0.0:
            return 1.0
        mu = float(self.coolant.viscosity(self.inlet_temperature + heat / capacity))
        surely_coupled = abs(mu / self.viscosity_inlet - 1.0) > s.property_tolerance
        return s.early_pass_factor if surely_coupled else 1.0

    def _solve_flow(self, progress, checkpoint, history, factor: float = 1.0) -> bool:
        """Outer SIMPLEC iterations until residuals and the pressure-drop monitor hold, their
        tolerances times ``factor`` (or, with time settings, the time-averaged flow)."""
        s = self.settings
        if s.time is not None:
            return self._average_flow_in_time(progress, checkpoint, history)
        state = {"converged": False, "checkpointed": self.flow.iteration}
        monitor_dp = self.monitors.flow_dp

        def callback(residuals, solver):
            # the state the iteration started from, as its residuals (no transfer of its own)
            dp = solver.monitored_pressure_drop().get("static", 0.0)
            monitor_dp.add(dp)
            record = {"iteration": residuals.iteration, "continuity": residuals.continuity,
                      "momentum": max(residuals.momentum), "pressure_drop_Pa": dp}
            monitors = {"dp_Pa": dp, "dp_change": min(monitor_dp.change, 1.0)}
            settled = monitor_dp.settled_within(factor)
            if self.buoyant:
                # buoyancy: temperature and flow coupled within the outer iteration
                change = self._update_temperature()
                record["temperature_change_K"] = monitors["dT_K"] = change
                settled = change < s.temperature_tolerance and (self.closed or settled)
            history.append(record)
            if progress is not None:
                progress.update(residuals.iteration,
                                {"continuity": residuals.continuity,
                                 "momentum": max(residuals.momentum)}, monitors)
            done = (residuals.continuity < factor * s.continuity_tolerance
                    and max(residuals.momentum) < factor * s.momentum_tolerance and settled)
            state["converged"] = done
            # offered after the convergence test (a resume repeats no decision); a converged
            # flow goes on to the energy solve and the pass boundary's checkpoint after it.
            # (a multigrid cycle advances several iterations: due on crossing a multiple)
            if checkpoint is not None and not done:
                due = bool(s.checkpoint_interval
                           and residuals.iteration // s.checkpoint_interval
                           > state["checkpointed"] // s.checkpoint_interval)
                if checkpoint(self, residuals.iteration, due):
                    state["checkpointed"] = residuals.iteration
            return done

        # max_iterations counts the iterations of this run (a resumed run gets a fresh budget)
        remaining = max(s.flow.max_iterations - (self.flow.iteration - self.start_iteration), 1)
        self.flow.solve(max_iterations=remaining, callback=callback)
        return state["converged"]

    def _average_flow_in_time(self, progress, checkpoint, history) -> bool:
        """Time-accurate flow from the current state (see
        :func:`solver.models.flow.run_time_averaged`): start-up, then averaging until the mean
        pressure drop is known to ``average_tolerance``. The flow solver is left at the averaged
        fields; returns whether the average converged statistically."""
        s = self.settings
        # one clock over the passes (each pass starts from the previous pass's average)
        clock = self.time_average.averaging_window[1] if self.time_average else 0.0
        stepper = TimeStepper(self.flow, s.time, start_time=clock)

        def pressure_drop():
            return self.flow.pressure_drop().get("static", 0.0)

        def callback(record, values):
            history.append({"iteration": self.flow.iteration, **record.as_dict(),
                            "pressure_drop_Pa": values["dp_Pa"]})
            if checkpoint is not None:
                checkpoint(self, self.flow.iteration,
                           bool(s.checkpoint_interval and record.step % s.checkpoint_interval == 0))

        # a later pass starts from the last average: a shorter start-up
        start_up = s.time.later_start_up if self.time_average else s.time.start_up
        average = run_time_averaged(stepper, self.flow.residence_time(),
                                    {"dp_Pa": pressure_drop}, callback, progress, start_up)
        self.flow.set_state(average.velocity, average.pressure)
        self.time_average = average
        if progress is not None:
            dp = average.statistics.get("dp_Pa")
            progress.message(
                f"time average over {average.averaged_time / average.flow_through_time:.3g} "
                f"flow-through times ({average.steps} steps, {average.inner_iterations} "
                f"iterations): dp {dp.mean:.5g} +- {dp.half_width:.2g} Pa (95 %), rms "
                f"{dp.rms:.3g} Pa" + ("" if average.converged else
                                      " - NOT statistically converged"))
        return average.converged

    def _update_temperature(self) -> float:
        """One energy update inside the outer iteration of a buoyant flow: the energy equation
        with the current mass fluxes (warm start, at most three TVD corrections), its
        temperature handed to the flow's buoyancy term; returns the largest change [K]."""
        result = self._solve_energy(corrections=3)
        change = float(self.xp.max(self.xp.abs(result.temperature - self.temperature)))
        self.temperature = result.temperature
        self._set_properties(self.temperature)
        return change

    def _solve_energy(self, progress=None, corrections: int = 200, factor: float = 1.0):
        """Energy over fluid and solids with the current mass fluxes (warm start).

        :func:`solver.models.energy.solve_energy` with multigrid-preconditioned flexible GMRES
        (K-cycles, zebra-line smoothing along the advection-dominated and strongly coupled axes),
        the same path on NumPy and CuPy. FGMRES replaced BiCGStab here: on the pin-fin plate at
        2 cells per pin BiCGStab stagnated (omega breakdown) under the variable K-cycle and then
        overflowed; FGMRES is made for variable preconditioners and its residual never grows.
        The TVD deferred correction (under-relaxed 0.8, Anderson-accelerated over the last
        ``ACCELERATION_DEPTH`` corrections) re-solves with the hierarchy of the
        upwind-plus-diffusion matrix; each correction solve only needs ``CORRECTION_RTOL``, the
        outer loop stops at ``temperature_tolerance``. Upwind is one solve to ``energy_rtol``.
        The operator's arrays and the hierarchy are kept from pass to pass and updated in
        place (:class:`~solver.models.energy.solve.KeptEnergySystem`).
        """
        s = self.settings
        warm = None if self.flow.iteration == 0 and not self.buoyant else self.temperature
        tvd = s.energy_scheme == "tvd"
        rtol = max(s.energy_rtol, CORRECTION_RTOL) if tvd else s.energy_rtol
        linear = LinearSolve(method="fgmres", rtol=rtol, max_iterations=500, smoother="auto",
                             cycle="k")
        settings = ConductionSolve(linear=linear, tolerance=factor * s.temperature_tolerance,
                                   max_iterations=corrections, relaxation=0.8,
                                   acceleration_depth=ACCELERATION_DEPTH,
                                   initial_temperature=self.inlet_temperature)
        if self._kept_energy is None:
            self._kept_energy = KeptEnergySystem(self.grid, s.energy_scheme, linear)
        message = ("energy solve produced {what} temperatures. Likely cause: a flow field far "
                   "from converged (check the continuity residual) or a heat source without a "
                   "path to the coolant; the last good state is kept")
        try:
            result = solve_energy(self.grid, self.conductivity, self.boundaries,
                                  self.model.heat_source, self.face_mass_flux(), self.specific_heat,
                                  scheme=s.energy_scheme, settings=settings, temperature=warm,
                                  progress=progress, kept=self._kept_energy)
        except FloatingPointError:
            raise DivergenceError(message.format(what="non-finite"),
                                  self.flow.iteration) from None
        temperature = result.temperature
        if not bool(self.xp.all(self.xp.isfinite(temperature))):
            raise DivergenceError(message.format(what="non-finite"), self.flow.iteration)
        # a steady state of a cold plate lies within a few thousand kelvin of its inlet
        if float(self.xp.max(self.xp.abs(temperature - self.inlet_temperature))) > 1e4:
            raise DivergenceError(message.format(what="absurd (> 10,000 K from the inlet)"),
                                  self.flow.iteration)
        return result

    def face_mass_flux(self):
        """[kg/s] face mass fluxes of the flow on the full grid (Fx, Fy, Fz)."""
        return tuple(self.flow.embed(f, a) for a, f in enumerate(self.flow.mass_flux))

    def solve(self, progress=None, checkpoint=None) -> ColdPlateResult:
        """Solve flow and energy to convergence and evaluate the metrics.

        Parameters
        ----------
        progress : solver.progress.Progress, optional
            Receives one line per flow iteration (residuals, pressure drop) and per pass.
        checkpoint : callable, optional
            ``checkpoint(cold_plate, iteration, due) -> written`` after each outer flow step
            that does not end a pass's flow (``due``: ``checkpoint_interval`` iterations
            passed) and after the energy solve of each pass but the last (``due`` True).

        Returns
        -------
        ColdPlateResult

        Raises
        ------
        solver.models.flow.DivergenceError
            NaN or residual growth; the state stays at the last good iterate.
        """
        start = time.perf_counter()
        s = self.settings
        history: list[dict] = []
        # fresh, or as a resumed checkpoint left them (pass under way, monitor values)
        m = self.monitors
        pass_dp, pass_out, pass_peak = m.pass_dp, m.pass_outlet, m.pass_peak
        flow_seconds = energy_seconds = 0.0
        converged, energy, passes = False, None, 0
        if self.buoyant and self.flow.iteration == 0:
            # buoyancy from the first iteration on: the temperature of the initial flow
            self._update_temperature()
        # a closed domain has no pressure drop, and its mean temperature is the reference
        watched = (pass_peak,) if self.closed else (pass_dp, pass_out, pass_peak)
        for passes in range(min(m.pass_number, s.max_passes), s.max_passes + 1):
            m.pass_number = passes
            if progress is not None:  # a pass: the flow solve, then the energy solve
                progress.begin("pass", passes, limit=s.max_passes)
                progress.begin("solve", 1, count=2, shown=False)
            factor = self._flow_tolerance_factor(passes)
            t0 = time.perf_counter()
            if m.finished:  # resumed at the end of a converged solve: its flow as it was
                flow_converged, m.finished = True, None
            else:
                flow_converged = self._solve_flow(progress, checkpoint, history, factor)
            t1 = time.perf_counter()
            if progress is not None:
                progress.begin("solve", 2)
            # a loose pass's energy stops at the square root of the flow's factor
            energy_factor = factor ** 0.5
            energy = self._solve_energy(progress and progress.sibling(
                energy_factor * s.temperature_tolerance, counter="energy iter"),
                factor=energy_factor)
            self.temperature = energy.temperature
            energy_seconds += time.perf_counter() - t1
            flow_seconds += t1 - t0
            # pass monitors: pressure drop, outlet and peak temperature rises
            dp = self.flow.pressure_drop().get("static", 0.0)
            # a closed domain has no outlet: its mean coolant temperature stands in
            t_out = self.mean_coolant_temperature() if self.closed else self.outlet_temperature()
            t_peak = float(self.xp.max(self.temperature))
            for monitor, value in ((pass_dp, dp), (pass_out, t_out - self.inlet_temperature),
                                   (pass_peak, t_peak - self.inlet_temperature)):
                monitor.add(value)
            history.append({"iteration": self.flow.iteration, "pass": passes,
                            "pressure_drop_Pa": dp, "outlet_temperature_K": t_out,
                            "peak_temperature_K": t_peak, "flow_tolerance_factor": factor,
                            "energy_imbalance": energy.energy_balance["relative_imbalance"]})
            if progress is not None:
                progress.message(
                    f"pass {passes}: dp {dp:.4g} Pa, outlet {t_out - 273.15:.3f} C, peak "
                    f"{t_peak - 273.15:.3f} C, energy imbalance "
                    f"{energy.energy_balance['relative_imbalance']:.2e}; {energy.describe()}")
            if not self.coupled:
                variation = self.viscosity_variation(self.temperature)
                last = not (variation > s.property_tolerance and s.max_passes > 1)
                if not last and progress is not None:
                    progress.message(f"coolant viscosity varies by {100 * variation:.1f} % "
                                     "over the fluid: coupling flow and energy")
                self.coupled = not last
            else:
                last = all(m.settled for m in watched)
            if last and factor > 1.0:  # settled on a loose flow: once more, fully converged
                last, m.tight = False, True
            if progress is not None:
                progress.end("pass", decades=max(m.decades_to_go for m in watched), last=last)
            if last:
                m.finished, converged = flow_converged, flow_converged and energy.converged
                break
            if self.coupled:
                self._set_properties(self.temperature)
            m.flow_dp.values.clear()
            m.pass_number = passes + 1
            if checkpoint is not None:  # a kill loses no whole pass
                checkpoint(self, self.flow.iteration, True)
        solution = self.flow.solution(converged, flow_seconds)
        metrics = self.metrics(solution, energy)
        metrics["passes"] = passes
        metrics["coupled_properties"] = self.coupled
        timings = {"flow": flow_seconds, "energy": energy_seconds,
                   "total": time.perf_counter() - start}
        return ColdPlateResult(self.temperature, energy.conductivity, solution, energy, metrics,
                               passes, converged, timings, history)

    # -- metrics --------------------------------------------------------------------------------
    def outflow_faces(self) -> dict:
        """The coolant's faces on the domain sides and on ports, as host arrays: ``cells``
        (flat index of the cell inside), ``axis`` and ``faces`` (flat index into the face mass
        flux normal to ``axis``), ``sign`` (+1 where a positive flux leaves the domain, -1
        where it enters) and ``inlet`` (inlet faces), grouped by axis. With the face mass fluxes
        ``F`` the net outflow of a face is ``n = sign F``, clipped at 0 on inlet faces (see
        :meth:`_net_outflow`)."""
        shape, cells = self.grid.shape, np.arange(self.grid.n_cells).reshape(self.grid.shape)
        fluid = self.fluid_host
        entries = []

        def add(axis, face, inner, faces, sign, inlet):
            flux_shape = [*shape]
            flux_shape[axis] += 1
            face_index = np.arange(int(np.prod(flux_shape))).reshape(flux_shape)
            faces = faces & np.take(fluid, inner, axis=axis)
            count = int(faces.sum())
            entries.append((np.take(cells, inner, axis=axis)[faces], np.full(count, axis),
                            np.take(face_index, face, axis=axis)[faces], np.full(count, sign),
                            inlet[faces]))

        for side in SIDES:
            axis, is_max = side_axis(side)
            owners = face_owners(self.grid, self.boundaries, side)
            inlet = np.zeros(owners.shape, dtype=bool)
            for index in np.unique(owners[owners >= 0]):
                if isinstance(self.boundaries[int(index)], Inlet):
                    inlet |= owners == index
            add(axis, shape[axis] if is_max else 0, shape[axis] - 1 if is_max else 0,
                np.ones(owners.shape, dtype=bool), 1.0 if is_max else -1.0, inlet)
        for b, (axis, face, inner, faces) in self._ports():
            add(axis, face, inner, faces, 1.0 if side_axis(b.patch.side)[1] else -1.0,
                faces if isinstance(b, Inlet) else np.zeros_like(faces))
        columns = [np.concatenate(c) for c in zip(*entries, strict=True)]
        order = np.argsort(columns[1], kind="stable")
        return dict(zip(("cells", "axis", "faces", "sign", "inlet"),
                        (c[order] for c in columns), strict=True))

    def _ports(self):
        """``(boundary, (axis, face, inner layer, face mask))`` of each port on a geometry face."""
        for b in self.boundaries:
            if b.patch.on_geometry:  # only inlets and outlets can be (boundaries.Boundary)
                yield b, port_faces(self.grid, b.patch, self.fluid_host)

    def _net_outflow(self) -> tuple[float, float]:
        """``(sum F cp T, sum F cp)`` [W, W/K] of the net outflow.

        Outflow faces count at their (upwind) cell value; backflow into an outlet enters at its
        cell's value (zero gradient, as the energy equation has it) and is subtracted, so that
        ``m cp (T_out - T_in)`` is exactly the heat the coolant takes up.
        """
        to_host = self.backend.to_host
        faces = self.outflow_faces()
        flux = [to_host(f).ravel() for f in self.face_mass_flux()]
        out = faces["sign"] * np.concatenate([flux[a][faces["faces"][faces["axis"] == a]]
                                              for a in range(3)])
        net = np.where(faces["inlet"], np.clip(out, 0.0, None), out)
        weights = net * to_host(self.specific_heat).ravel()[faces["cells"]]
        t = to_host(self.temperature).ravel()[faces["cells"]]
        return float(np.sum(weights * t)), float(np.sum(weights))

    def outlet_temperature(self) -> float:
        """[K] mixing-cup temperature ``sum(F cp T)/sum(F cp)`` of the net outflow (faces
        leaving the domain minus backflow into outlets, see :meth:`_net_outflow`)."""
        heat, capacity = self._net_outflow()
        return heat / capacity if capacity > 0 else float("nan")

    def mean_coolant_temperature(self) -> float:
        """[K] volume-weighted mean temperature of the coolant cells."""
        xp = self.xp
        volume = self.grid.cell_volumes() * self.fluid
        return float(xp.sum(self.temperature * volume) / xp.sum(volume))

    def capacity_rate(self) -> float:
        """[W/K] ``sum(F cp)`` of the net outflow."""
        return self._net_outflow()[1]

    def case_temperatures(self) -> dict:
        """Per chip: the area-mean temperature [K] of its case face and the face's area [m^2]
        (the ``T_case`` of the thermal resistance), at the current temperature field."""
        t = self.backend.to_host(self.temperature).ravel()
        return {name: (float(np.sum(weights * t[cells])), area)
                for name, (cells, weights, area) in self.case_face_weights().items()}

    def case_face_weights(self) -> dict:
        """Per chip: ``(cells, weights, area)`` with its case temperature [K] the weighted sum
        ``sum(weights * T.flat[cells])`` of the cell temperatures (host arrays) and the case
        face's area [m^2], at the current conductivity (:meth:`_face_weights`)."""
        k = self.backend.to_host(self.conductivity)
        return {chip["name"]: face_weights(self.grid, self.model.body_ids == chip["case_body_id"],
                                           k, chip["case_side"])
                for chip in self.chips}

    def _heated_patch_temperature(self) -> tuple[float, float]:
        """Area-mean face temperature [K] and heat [W] of the positive heat-flux patches."""
        t = self.backend.to_host(self.temperature)
        k = self.backend.to_host(self.conductivity)
        weighted = area_sum = heat = 0.0
        boundaries = self.boundaries
        for side in SIDES:
            owners = face_owners(self.grid, boundaries, side)
            axis, is_max = side_axis(side)
            layer = -1 if is_max else 0
            t_p = np.take(t, layer, axis=axis)
            k_p = np.take(k, layer, axis=axis)
            half = 0.5 * self.grid.widths[axis][layer]
            a, b = [c for c in range(3) if c != axis]
            area = np.outer(self.grid.widths[a], self.grid.widths[b])
            for index, boundary in enumerate(boundaries):
                if not isinstance(boundary, HeatFlux):
                    continue
                faces = (owners == index) & (k_p > 0)
                q = np.broadcast_to(np.asarray(boundary.heat_flux, dtype=float), faces.shape)
                faces &= q > 0
                if not faces.any():
                    continue
                # face temperature from the discrete flux: T_f = T_P + q d_P / k_P
                t_face = t_p + q * half / np.where(k_p > 0, k_p, 1.0)
                weighted += float(np.sum((t_face * area)[faces]))
                area_sum += float(np.sum(area[faces]))
                heat += float(np.sum((q * area)[faces]))
        if area_sum == 0.0:
            return float("nan"), 0.0
        return weighted / area_sum, heat

    def metrics(self, solution, energy) -> dict:
        """The ``flow`` summary entry (see the module docstring)."""
        if self.closed:
            return self._closed_metrics(solution, energy)
        t_in = self.inlet_temperature
        t_out = self.outlet_temperature()
        capacity = self.capacity_rate()
        balance = energy.energy_balance
        heat_in = max(balance["heat_generated"], 0.0) + sum(
            q for name, q in balance["patch_heat_flows"].items()
            if q > 0 and not self._is_inlet(name))
        dp = solution.pressure_drop
        mass_flow = dp.get("mass_flow", 0.0) if dp else 0.0
        metrics = {
            "coolant": getattr(self.coolant, "name", "coolant"),
            "coolant_description": getattr(self.coolant, "description", ""),
            "inlet_temperature_K": t_in,
            "outlet_temperature_K": t_out,
            "outlet_temperature_rise_K": t_out - t_in,
            "peak_temperature_K": float(self.xp.max(self.temperature)),
            "peak_temperature_rise_K": float(self.xp.max(self.temperature)) - t_in,
            "mass_flow_kg_per_s": mass_flow,
            "volumetric_flow_L_per_min": mass_flow / self.density * 60000.0,
            "density_kg_per_m3": self.density,
            "pressure_drop_Pa": dp.get("static") if dp else None,
            "pressure_drop_inlet_cells_Pa": dp.get("static_inlet_cells") if dp else None,
            "total_pressure_drop_Pa": dp.get("total") if dp else None,
            "heat_input_W": heat_in,
            "heat_to_coolant_W": capacity * (t_out - t_in),
            "energy_balance_relative_error": (abs(heat_in - capacity * (t_out - t_in)) / heat_in
                                              if heat_in > 0 else None),
            "energy_balance_discrete_relative_error": balance["relative_imbalance"],
            "mass_balance_relative_error": solution.mass_balance_error,
            "flow_iterations": solution.iterations,
            "continuity_residual": solution.history[-1].continuity if solution.history else None,
            "momentum_residual": (max(solution.history[-1].momentum) if solution.history
                                  else None),
            "reynolds_number": inlet_reynolds_number(self.grid, self.boundaries, self.fluid_host,
                                                     mass_flow, self.density,
                                                     self.viscosity_inlet),
        }
        resistances = {}
        for chip, (t_case, area) in zip(self.chips, self.case_temperatures().values(),
                                        strict=True):
            resistances[chip["name"]] = {
                "case_temperature_K": t_case, "case_area_m2": area, "power_W": chip["power"],
                "thermal_resistance_K_per_W": ((t_case - t_in) / chip["power"]
                                               if chip["power"] > 0 else None)}
        if resistances:
            metrics["chips"] = resistances
            first = next(iter(resistances.values()))
            metrics["case_temperature_K"] = first["case_temperature_K"]
            metrics["thermal_resistance_K_per_W"] = first["thermal_resistance_K_per_W"]
            metrics["thermal_resistance_definition"] = (
                "(T_case - T_inlet) / P_chip; T_case = area-mean temperature of the chip's case "
                "face (case_body/case_side, default the die's z_max face)")
        else:
            t_case, heat = self._heated_patch_temperature()
            metrics["case_temperature_K"] = t_case
            metrics["thermal_resistance_K_per_W"] = (t_case - t_in) / heat if heat > 0 else None
            metrics["thermal_resistance_definition"] = (
                "(T_case - T_inlet) / Q; T_case = area-mean face temperature of the heated "
                "(positive heat-flux) boundary patches, Q their heat")
        if self.channel_groups:
            flux = [self.backend.to_host(f) for f in solution.mass_flux]
            metrics["flow_split"] = flow_split(self.grid, self.fluid_host, self.channel_groups,
                                               flux)
        if self.buoyant:
            metrics["buoyancy"] = self._buoyancy_entry()
        if self.time_average is not None:
            metrics["time_average"] = self.time_average.as_dict()
        return metrics

    def _buoyancy_entry(self) -> dict:
        """Gravity [m/s2], thermal-expansion coefficient [1/K] and reference temperature [K]."""
        return {"gravity_m_per_s2": list(self.settings.gravity),
                "thermal_expansion_per_K": self.thermal_expansion,
                "reference_temperature_K": self.inlet_temperature}

    def _closed_metrics(self, solution, energy) -> dict:
        """The ``flow`` entry of natural convection in a closed domain: no inlet, outlet or
        pressure drop; the heat through every boundary patch [W] (positive into the domain) and
        the temperatures relative to the reference (the mean fixed wall temperature)."""
        balance = energy.energy_balance
        peak = float(self.xp.max(self.temperature))
        last = solution.history[-1] if solution.history else None
        return {
            "coolant": getattr(self.coolant, "name", "coolant"),
            "coolant_description": getattr(self.coolant, "description", ""),
            "closed_domain": True,
            "reference_temperature_K": self.inlet_temperature,
            "mean_coolant_temperature_K": self.mean_coolant_temperature(),
            "peak_temperature_K": peak,
            "peak_temperature_rise_K": peak - self.inlet_temperature,
            "density_kg_per_m3": self.density,
            "boundary_heat_flows_W": dict(balance["patch_heat_flows"]),
            "energy_balance_discrete_relative_error": balance["relative_imbalance"],
            "mass_balance_relative_error": solution.mass_balance_error,
            "flow_iterations": solution.iterations,
            "continuity_residual": last.continuity if last else None,
            "momentum_residual": max(last.momentum) if last else None,
            "max_velocity_m_per_s": max(float(self.xp.max(self.xp.abs(v)))
                                        for v in solution.velocity),
            "buoyancy": self._buoyancy_entry(),
        }

    def _is_inlet(self, name: str) -> bool:

        names = boundary_names(self.boundaries)
        return any(isinstance(b, Inlet) and n == name
                   for b, n in zip(self.boundaries, names, strict=True))

    def interface_heat_flow(self):
        """Conductive heat flow [W] through every interior face (+axis), for the wall heat flux."""
        t = self.backend.to_host(self.temperature)
        k = self.backend.to_host(self.conductivity)
        flows = []
        for axis in range(3):
            half = 0.5 * self.grid.widths[axis]
            shape = [1, 1, 1]
            shape[axis] = -1
            half = half.reshape(shape)
            lower = [slice(None)] * 3
            upper = [slice(None)] * 3
            lower[axis], upper[axis] = slice(None, -1), slice(1, None)
            lower, upper = tuple(lower), tuple(upper)
            a, b = [c for c in range(3) if c != axis]
            area = np.outer(self.grid.widths[a], self.grid.widths[b])
            area = np.expand_dims(area, axis)
            # series (harmonic) conductance between neighbouring cells, 0 next to empty cells
            resistance = (half[lower] / np.where(k[lower] > 0, k[lower], np.inf)
                          + half[upper] / np.where(k[upper] > 0, k[upper], np.inf))
            both = (k[lower] > 0) & (k[upper] > 0)
            conductance = np.divide(area, resistance, out=np.zeros(both.shape), where=both)
            flows.append(conductance * (t[lower] - t[upper]))
        # port faces are openings, not walls: no heat crosses them by conduction
        for _, (axis, face, _, faces) in self._ports():
            index = [slice(None)] * 3
            index[axis] = face - 1
            flows[axis][tuple(index)][faces] = 0.0
        return tuple(flows)
