"""A cold plate in time: chip powers, inlet temperature and flow as schedules, the temperature of
solids and coolant integrated with :mod:`solver.models.energy.transient`.

Model
-----
* **Flow**, one of two (``flow``):

  - ``"frozen"`` (default): the face mass fluxes are those of the plate's steady flow, scaled by
    ``inlet flow(t) / steady inlet flow`` when the flow changes in time. Scaling keeps the
    velocity field's shape, which is exact for creeping (Stokes) flow and a fair approximation
    for the laminar flows of cold plates, whose flow patterns change slowly with the flow rate.
  - ``"time-accurate"``: the plate's flow is stepped in time with its inlet flow
    (:class:`solver.models.coldplate.flow_in_time.PlateFlowInTime`, BDF2), held while it is
    settled; at a new flow rate it reaches that rate's own flow pattern (recirculation and
    wakes change with the Reynolds number), which the scaled flow does not. Coolant properties
    stay those of the steady solve.
* **Heat capacity.** ``rho cp`` of every solid from its material at the starting temperature;
  the coolant's ``rho cp`` at the inlet temperature (the density and specific heat the flow and
  the advected heat ``F cp T`` use, so a uniform field stays uniform).
* **Chips.** Each chip's heat source is its steady source scaled by ``power(t) / steady power``:
  the power map and footprint stay, the power follows the schedule.
* **Monitors** per step: each chip's peak temperature [K] (the junction temperature of JESD51-14
  taken as the hottest cell of the die), the outlet mixing-cup temperature [K] and the heat taken
  up by the coolant [W].

Thermal impedance
-----------------
:func:`thermal_impedance` steps every chip from zero to its power at once, from a plate at the
inlet temperature, and records ``Z_th(t) = (T_chip(t) - T_inlet) / P_chip`` [K/W] (JEDEC
JESD51-14's quantity) on geometrically growing steps, then fits each with a Foster network
(:func:`solver.numerics.foster.fit_foster`). Run long enough, ``Z_th`` reaches the steady
junction-to-coolant resistance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from solver.models.coldplate.flow_in_time import PlateFlowInTime
from solver.models.coldplate.probes import PlateProbes
from solver.models.energy.transient import (
    EnergyAudit,
    TransientEnergy,
    TransientHistory,
    TransientSolve,
    run_transient,
    with_inlet_temperature,
)
from solver.numerics.foster import fit_foster
from solver.numerics.time_steps import TimeSteps
from solver.schedules import as_schedule, breakpoints

FLOW_MODES = ("frozen", "time-accurate")


@dataclass(frozen=True)
class PlateInputs:
    """Inputs of a cold plate in time (SI); ``None`` holds the steady value.

    Parameters
    ----------
    chip_power : mapping of chip name to Schedule or float
        [W] power of each chip; chips not named keep their steady power.
    inlet_temperature : Schedule, float or None
        [K] coolant inlet temperature.
    inlet_flow : Schedule, float or None
        [kg/s] coolant mass flow through the plate.
    """

    chip_power: Mapping = field(default_factory=dict)
    inlet_temperature: object = None
    inlet_flow: object = None

    def schedules(self) -> list:
        """Every schedule of the inputs (for the breakpoints)."""
        return [as_schedule(v) for v in (*self.chip_power.values(), self.inlet_temperature,
                                         self.inlet_flow) if v is not None]


@dataclass
class PlateTransientResult:
    """A plate's run in time.

    Attributes
    ----------
    times : ndarray
        [s] time of each record (the start, then every step).
    chip_temperature : dict of str to ndarray
        [K] peak temperature of each chip at each record.
    case_temperature : dict of str to ndarray
        [K] case temperature of each chip (area mean over its case face) at each record.
    outlet_temperature : ndarray
        [K] outlet mixing-cup temperature.
    coolant_heat : ndarray
        [W] heat taken up by the coolant, ``m cp (T_out - T_in)``.
    audit : EnergyAudit
        [J] stored energy change against the time-integrated heat in and out.
    history : TransientHistory
        Steps and linear iterations.
    """

    times: np.ndarray
    chip_temperature: dict
    case_temperature: dict
    outlet_temperature: np.ndarray
    coolant_heat: np.ndarray
    audit: EnergyAudit
    history: TransientHistory

    def rows(self) -> list[dict]:
        """One dict per record, for a CSV table (units in the keys)."""
        out = []
        for i, t in enumerate(self.times):
            row = {"time_s": float(t)}
            row.update({f"{name}_K": float(v[i]) for name, v in self.chip_temperature.items()})
            row.update({f"{name}_case_K": float(v[i])
                        for name, v in self.case_temperature.items()})
            row["outlet_temperature_K"] = float(self.outlet_temperature[i])
            row["coolant_heat_W"] = float(self.coolant_heat[i])
            out.append(row)
        return out


class PlateTransient:
    """A solved cold plate (steady flow) advanced in time.

    Parameters
    ----------
    plate : solver.models.coldplate.ColdPlate
        The plate, its flow solved (its steady temperature is the default starting field).
    inputs : PlateInputs
        Chip powers, inlet temperature and flow in time.
    temperature : array or float, optional
        [K] starting field; the plate's current temperature by default.
    settings : TransientSolve, optional
        Stage-solve settings.
    flow : {"frozen", "time-accurate"}
        How the flow follows the inlet flow (see the module docstring).
    flow_settings : solver.models.flow.time_stepping.TimeSettings, optional
        Courant target and inner iterations of the time-accurate flow.
    """

    def __init__(self, plate, inputs: PlateInputs = PlateInputs(), temperature=None,
                 settings: TransientSolve | None = None, flow: str = "frozen",
                 flow_settings=None):
        if flow not in FLOW_MODES:
            raise ValueError(f"flow must be one of {FLOW_MODES}, got {flow!r}")
        self.plate = plate
        self.inputs = inputs
        model, xp = plate.model, plate.xp
        unknown = set(inputs.chip_power) - set(model.chip_powers)
        if unknown:
            raise ValueError(f"chip power schedules name unknown chips {sorted(unknown)}; "
                             f"chips: {sorted(model.chip_powers)}")
        self.masks = {name: plate.backend.asarray(mask) for name, mask in model.chip_masks.items()}
        self.probes = PlateProbes(plate, self.masks)
        overlap = sum(mask.astype(int) for mask in model.chip_masks.values())
        if np.any(overlap > 1):
            raise ValueError("chips share heated cells: their powers cannot follow separate "
                             "schedules")
        # each chip's source per watt, and its power in time
        self.unit_sources = {name: xp.where(self.masks[name], model.heat_source, 0.0) / power
                             for name, power in model.chip_powers.items() if power > 0}
        self.powers = {name: as_schedule(inputs.chip_power.get(name, power))
                       for name, power in model.chip_powers.items()}
        self.steady_flow = coolant_mass_flow(plate)  # [kg/s]
        start = plate.temperature if temperature is None else temperature
        start = plate.grid.full(float(start)) if np.ndim(start) == 0 else start
        capacity = heat_capacity(plate, start)
        self.flow_in_time = None
        if inputs.inlet_flow is None:
            mass_flux = plate.face_mass_flux()
        elif flow == "time-accurate":
            self.flow_in_time = PlateFlowInTime(plate, as_schedule(inputs.inlet_flow),
                                                self.steady_flow, flow_settings)
            mass_flux = self.flow_in_time
        else:
            mass_flux = self._scaled_flux(plate.face_mass_flux())
        boundaries = (plate.boundaries if inputs.inlet_temperature is None
                      else self._boundaries_at)
        self.energy = TransientEnergy(
            plate.grid, plate.conductivity, capacity, boundaries, self._source_at, mass_flux,
            plate.specific_heat, plate.settings.energy_scheme, start, settings)

    # -- inputs in time --------------------------------------------------------------------
    def _source_at(self, time: float):
        xp = self.plate.xp
        total = xp.zeros_like(self.plate.temperature)
        for name, unit in self.unit_sources.items():
            total = total + float(self.powers[name](time)) * unit
        return total

    def _boundaries_at(self, time: float):
        return with_inlet_temperature(self.plate.boundaries, self.inlet_temperature(time))

    def _scaled_flux(self, flux):
        def mass_flux(time):
            ratio = self.inlet_mass_flow(time) / self.steady_flow
            return tuple(f * ratio for f in flux)

        return mass_flux

    def inlet_temperature(self, time: float) -> float:
        """[K] inlet temperature at ``time`` [s]."""
        value = self.inputs.inlet_temperature
        return self.plate.inlet_temperature if value is None else float(
            as_schedule(value)(time))

    def inlet_mass_flow(self, time: float) -> float:
        """[kg/s] coolant mass flow at ``time`` [s]."""
        value = self.inputs.inlet_flow
        return self.steady_flow if value is None else float(as_schedule(value)(time))

    # -- monitors and run --------------------------------------------------------------------
    def monitor(self, temperature, time: float) -> dict:
        """Chip peak temperatures (``<chip>_K``) and case temperatures (``<chip>_case_K``: the
        T_case of the thermal resistance), outlet temperature [K] and coolant heat [W] of a
        field, reduced on the device and brought to the host in one transfer
        (:class:`~solver.models.coldplate.probes.PlateProbes`)."""
        self.plate.temperature = temperature
        # the plate's own flow is the frozen one (its outflow weights kept), or the
        # time-accurate flow at ``time`` (weights from its fluxes now)
        flux = None if self.flow_in_time is None else self.plate.face_mass_flux()
        peaks, cases, outlet, capacity = self.probes(temperature, flux)
        ratio = (1.0 if self.flow_in_time is not None
                 else self.inlet_mass_flow(time) / self.steady_flow)
        heat = ratio * capacity * (outlet - self.inlet_temperature(time))
        return {**{f"{name}_K": p for name, p in peaks.items()},
                **{f"{name}_case_K": t for name, t in cases.items()},
                "outlet_temperature_K": outlet, "coolant_heat_W": heat}

    def run(self, steps: TimeSteps, progress=None, checkpoint=None, checkpoint_every: int = 0,
            history: TransientHistory | None = None) -> PlateTransientResult:
        """Advance to ``steps.end`` [s] (continuing ``history`` of a resumed run); see
        :func:`solver.models.energy.transient.run_transient`."""
        history = run_transient(self.energy, steps, self.monitor,
                                breakpoints(self.inputs.schedules(), steps.end), progress,
                                checkpoint, checkpoint_every, history)
        if self.flow_in_time is not None:
            self.flow_in_time.finish()
        chips = {name: np.array(history.series(f"{name}_K")) for name in self.masks}
        cases = {chip["name"]: np.array(history.series(f"{chip['name']}_case_K"))
                 for chip in self.plate.chips}
        return PlateTransientResult(np.array(history.times), chips, cases,
                                    np.array(history.series("outlet_temperature_K")),
                                    np.array(history.series("coolant_heat_W")),
                                    self.energy.audit, history)


def coolant_mass_flow(plate) -> float:
    """[kg/s] the coolant mass flow through a solved plate (its net outflow's ``sum F cp``
    over the specific heat at the inlet temperature)."""
    return plate.capacity_rate() / float(plate.coolant.specific_heat(plate.inlet_temperature))


def heat_capacity(plate, temperature):
    """[J/m3/K] ``rho cp`` of every cell of a plate: solids from their materials at
    ``temperature`` [K], the coolant at the inlet temperature (the density and specific heat
    the flow and the advected heat use, so a uniform field stays uniform)."""
    rho_cp = plate.density * float(plate.coolant.specific_heat(plate.inlet_temperature))
    return plate.xp.where(plate.fluid, rho_cp, plate.model.heat_capacity(temperature))


def settling_time(plate) -> float:
    """[s] the plate's mean thermal delay: energy stored at its steady state above the inlet
    temperature over the power, ``sum C V (T - T_in) / P``. For a step in power it equals the
    integral of the not-yet-removed fraction of the heat, ``int (1 - Q_out/P) dt``."""
    xp = plate.xp
    model = plate.model
    capacity = heat_capacity(plate, plate.temperature)
    stored = float(xp.sum(xp.where(plate.conductivity > 0, capacity * plate.grid.cell_volumes()
                                   * (plate.temperature - plate.inlet_temperature), 0.0)))
    power = sum(model.chip_powers.values())
    return stored / power


def thermal_impedance(plate, end: float | None = None, initial_step: float = 1e-4,
                      growth: float = 1.15, terms: int | None = None,
                      settings: TransientSolve | None = None, progress=None) -> dict:
    """Step response ``Z_th(t)`` [K/W] of every chip of a solved plate and its Foster fit.

    Parameters
    ----------
    plate : ColdPlate
        Solved at the flow of interest (the steady field sets the run's length).
    end : float, optional
        [s] length of the response; by default 12 settling times (:func:`settling_time`).
    initial_step, growth : float
        [s] first step and the factor between steps.
    terms : int, optional
        Foster terms (by default the fewest of 4-6 that fit within 1 %).

    Returns
    -------
    dict
        Per chip: ``times`` [s], ``impedance`` [K/W], ``foster`` (FosterNetwork) and ``fit``
        (the fit report); plus ``"_run"``: the audit and step count of the transient.
    """
    end = 12.0 * settling_time(plate) if end is None else end
    steps = TimeSteps(end, initial_step, end / 20.0, growth)
    powers = {name: p for name, p in plate.model.chip_powers.items() if p > 0}
    transient = PlateTransient(plate, PlateInputs(chip_power=powers),
                               temperature=plate.inlet_temperature, settings=settings)
    result = transient.run(steps, progress)
    out = {}
    t_in = plate.inlet_temperature
    for name, power in powers.items():
        times = result.times[1:]
        impedance = (result.chip_temperature[name][1:] - t_in) / power
        network, report = fit_foster(times, impedance, terms=terms)
        out[name] = {"times": times, "impedance": impedance, "foster": network, "fit": report}
    out["_run"] = {"steps": result.history.steps, "end_s": end,
                   "energy_audit_relative_error": result.audit.relative_error}
    return out

