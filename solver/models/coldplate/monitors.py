"""Settings of the conjugate cold-plate model and the monitors (pressure drop, outlet and peak
temperature) that decide convergence."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from solver.models.flow.settings import FlowSettings
from solver.models.flow.time_stepping import TimeSettings

PROPERTY_TOLERANCE = 0.02  # relative viscosity variation that switches on flow-energy coupling


# relative residual of each TVD deferred-correction solve: the outer iteration converges the rest
# (peer unit cell, 80k cells: 1e-2 and 1e-6 give the same field to 1e-6 K, 1.8 s vs 4-6 s)
CORRECTION_RTOL = 1e-2

# past TVD corrections Anderson acceleration combines (first energy solve of the pin-fin
# example: 44 corrections and 142 linear iterations without, 20 and 60 with depth 3, 20 and 66
# with 5, 20 and 70 with 10; the channel plate's: 19 and 27 without, 14 and 20 with 3, 5 or 10)
ACCELERATION_DEPTH = 3


@dataclass(frozen=True)
class MonitorSettings:
    """Relative tolerances of the engineering monitors and the window they are measured over.

    Parameters
    ----------
    pressure_drop : float
        Largest relative change of the pressure drop over ``window`` flow iterations.
    outlet_temperature : float
        Largest relative change of the outlet temperature rise (between coupling passes).
    peak_temperature : float
        Largest relative change of the peak temperature rise (between coupling passes).
    window : int
        Number of iterations over which a change is measured.
    """

    pressure_drop: float = 1e-4
    outlet_temperature: float = 1e-4
    peak_temperature: float = 1e-4
    window: int = 20


@dataclass(frozen=True)
class ColdPlateSettings:
    """Settings of a conjugate cold-plate solve (frozen; echoed into the summary).

    Parameters
    ----------
    flow : FlowSettings
        Flow solver settings (its own ``tolerance`` is ignored: the driver decides convergence).
    energy_scheme : {"upwind", "tvd"}
        Convection scheme of the energy equation.
    continuity_tolerance, momentum_tolerance : float
        Scaled flow residuals at convergence (:class:`solver.models.flow.FlowResiduals`).
    energy_rtol : float
        Relative residual of the upwind energy solve; each TVD deferred-correction solve stops
        at ``max(energy_rtol, CORRECTION_RTOL)`` (the outer loop converges the rest).
    temperature_tolerance : float
        [K] largest temperature change that ends the TVD deferred correction.
    monitors : MonitorSettings
    max_passes : int
        Largest number of flow-energy passes when coolant properties vary with temperature.
    property_tolerance : float
        Relative viscosity variation above which the passes are coupled (see module docstring).
    early_pass_factor : float
        Factor on the flow tolerances (residuals, pressure-drop monitor) of the coupled passes
        before the pass monitors settle, its square root on their ``temperature_tolerance``;
        the passes after that converge fully (:mod:`solver.models.coldplate.model`,
        "Convergence").
    checkpoint_interval : int
        Flow iterations between checkpoints (0: none).
    gravity : (float, float, float) or None
        [m/s2] gravity vector of the Boussinesq buoyancy term (None: no buoyancy). With gravity
        the passes are always coupled: the flow sees the temperature of the previous pass.
    time : TimeSettings or None
        None: steady flow. Otherwise the flow of each pass runs time-accurately and its time
        average (fields and pressure drop) is the result; the energy equation is solved on the
        time-averaged mass fluxes (the heat carried by the fluctuations, the correlation of u'
        and T', is not modelled).
    """

    flow: FlowSettings = field(default_factory=FlowSettings)
    energy_scheme: str = "tvd"
    continuity_tolerance: float = 1e-6
    momentum_tolerance: float = 1e-6
    energy_rtol: float = 1e-10
    temperature_tolerance: float = 1e-3
    monitors: MonitorSettings = field(default_factory=MonitorSettings)
    max_passes: int = 20
    property_tolerance: float = PROPERTY_TOLERANCE
    early_pass_factor: float = 100.0
    checkpoint_interval: int = 200
    gravity: tuple[float, float, float] | None = None
    time: TimeSettings | None = None

    def __post_init__(self):
        if self.time is not None and self.gravity is not None and any(self.gravity):
            raise ValueError("time-accurate flow with buoyancy needs the transient energy "
                             "equation, which the time-averaged mode does not solve")
        if self.energy_scheme not in ("upwind", "tvd"):
            raise ValueError(f"energy_scheme must be 'upwind' or 'tvd', got {self.energy_scheme}")


# ---------------------------------------------------------------------------------------------
# monitors
# ---------------------------------------------------------------------------------------------
class Monitor:
    """History of one engineering quantity and its settling test.

    Parameters
    ----------
    tolerance : float
        Largest relative change over the window.
    window : int
        Number of past values the latest one is compared with.
    """

    def __init__(self, tolerance: float, window: int):
        self.tolerance = float(tolerance)
        self.window = int(window)
        self.values: list[float] = []

    def add(self, value: float) -> None:
        """Record the latest value."""
        self.values.append(float(value))

    @property
    def change(self) -> float:
        """Largest relative change of the latest value against the last ``window`` values."""
        if len(self.values) < self.window + 1:
            return np.inf
        recent = np.asarray(self.values[-self.window - 1:])
        scale = abs(recent[-1]) or 1.0
        return float(np.max(np.abs(recent - recent[-1])) / scale)

    @property
    def settled(self) -> bool:
        """True when the latest value is within ``tolerance`` of the last ``window`` values."""
        return self.settled_within(1.0)

    def settled_within(self, factor: float) -> bool:
        """True when the latest value is within ``factor`` times ``tolerance`` of the last
        ``window`` values (a loosened test, e.g. of a flow whose properties still change)."""
        return self.change < factor * self.tolerance

    @property
    def decades_to_go(self) -> float:
        """``log10(change / tolerance)``: how far from settling (<= 0 settled, inf before a
        change is known)."""
        return math.log10(max(self.change, 1e-300) / self.tolerance)



class SolveMonitors:
    """The monitors of one cold-plate solve and where it stands: the pressure drop over the
    flow iterations of the current pass, the pass-to-pass changes of the pressure drop, outlet
    and peak temperature rises, and the number of the pass under way. With the fields, this is
    what a checkpoint needs to continue the solve exactly where it stopped
    (:meth:`state`, :meth:`load_state`).

    Parameters
    ----------
    settings : ColdPlateSettings
    iterations_per_step : int
        SIMPLE(C) iterations per outer step of the flow solver (a multigrid cycle holds
        several; the monitor window counts SIMPLE(C) iterations).
    """

    def __init__(self, settings: ColdPlateSettings, iterations_per_step: int):
        window = -(-settings.monitors.window // iterations_per_step)
        self.flow_dp = Monitor(settings.monitors.pressure_drop, window)
        # time-averaged passes settle within the statistical tolerance of their averages
        floor = 0.0 if settings.time is None else settings.time.average_tolerance
        m = settings.monitors
        self.pass_dp = Monitor(max(m.pressure_drop, floor), 1)
        self.pass_outlet = Monitor(max(m.outlet_temperature, floor), 1)
        self.pass_peak = Monitor(max(m.peak_temperature, floor), 1)
        self.pass_number = 1
        # True once the pass monitors have settled: every pass from then on converges fully
        self.tight = False
        # None while the solve runs; at its end whether its flow converged (a resume of a
        # converged solve does not iterate its flow again; one that was not goes on)
        self.finished: bool | None = None

    def _named(self) -> dict[str, Monitor]:
        return {"flow_dp": self.flow_dp, "pass_dp": self.pass_dp,
                "pass_outlet": self.pass_outlet, "pass_peak": self.pass_peak}

    def state(self) -> dict:
        """JSON-able state: the pass under way and the values each monitor still compares
        (its last ``window + 1``)."""
        return {"pass": self.pass_number, "finished": self.finished, "tight": self.tight,
                **{name: m.values[-m.window - 1:] for name, m in self._named().items()}}

    def load_state(self, state: dict) -> None:
        """Continue from a :meth:`state`."""
        self.pass_number = int(state["pass"])
        self.tight = bool(state.get("tight", False))
        finished = state.get("finished")
        self.finished = None if finished is None else bool(finished)
        for name, monitor in self._named().items():
            monitor.values = [float(v) for v in state[name]]
