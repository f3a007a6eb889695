"""``[transient]``: a cold plate in time after its steady solve (see ``docs/transient.md``).

::

    [transient]
    end = "30 s"
    initial_step = "1 ms"          # first step, and the step after every jump of an input
    max_step = "0.5 s"
    growth = 1.2                   # factor from one step to the next
    tolerance = "0.01 K"           # optional: error-controlled steps (growth is then the cap)
    start = "steady"               # the steady state at the inputs' values at t = 0, or "inlet"
    fields_every = 10              # a VTK field every 10 steps (transient.pvd), 0: none
    checkpoint_every = 50          # steps between checkpoints (with [output] checkpoint)
    inlet_temperature = { kind = "step", before = "35 C", after = "40 C", time = "5 s" }
    inlet_flow = { kind = "ramp", start_value = "1.5 L/min", end_value = "0.5 L/min",
                   start = "10 s", duration = "2 s" }
    flow = "time-accurate"         # the flow stepped in time with inlet_flow (default "frozen")
    flow_courant = 1.0             # Courant number of the time-accurate flow's steps

    [transient.chip_power]
    gpu = { kind = "square_wave", low = "300 W", high = "1 kW", period = "10 s", duty = 0.8 }

Inputs take the schedule syntax of :mod:`solver.case.schedules`; an input left out holds its
steady value (the chip's ``power``, the inlet's temperature and flow).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from solver.case.errors import fail
from solver.case.schedules import schedule_field
from solver.case.sections import Name
from solver.units import (
    POWER_UNITS,
    TEMPERATURE_UNITS,
    VOLUMETRIC_FLOW_UNITS,
    Duration,
    Section,
    TemperatureDifference,
)


class PlateTransientSection(Section):
    """``[transient]``: the plate in time after its steady solve."""

    end: Duration = Field(gt=0, description="[s] time simulated")
    initial_step: Duration = Field(1e-3, gt=0, description="[s] first time step, and the step "
                                                          "after every jump of an input")
    max_step: Duration | None = Field(None, gt=0, description="[s] largest time step (default: "
                                                              "end / 50)")
    growth: float = Field(1.2, ge=1, le=2, description="[-] factor from one time step to the "
                                                       "next (with a tolerance: the largest)")
    tolerance: TemperatureDifference | None = Field(
        None, gt=0, description="[K] local error allowed per time step: the step then follows "
                                "TR-BDF2's error estimate (steps over it are taken again)")
    start: Literal["steady", "inlet"] = Field(
        "steady", description="[-] starting field: the steady state at the inputs' values at "
                              "t = 0, or the whole plate at the inlet temperature")
    fields_every: int = Field(0, ge=0, description="[-] steps between VTK fields of the "
                                                   "series transient.pvd (0: none)")
    checkpoint_every: int = Field(50, ge=1, description="[-] steps between checkpoints (with "
                                                        "[output] checkpoint)")
    chip_power: dict[Name, schedule_field(POWER_UNITS, "power [W]")] = Field(
        default_factory=dict, description="[W] power of each named chip in time (schedule)")
    inlet_temperature: schedule_field(TEMPERATURE_UNITS, "temperature [K]") | None = Field(
        None, description="[K] coolant inlet temperature in time (schedule)")
    inlet_flow: schedule_field(VOLUMETRIC_FLOW_UNITS, "volumetric flow [m3/s]") | None = Field(
        None, description="[m3/s] coolant inlet flow in time (schedule)")
    flow: Literal["frozen", "time-accurate"] = Field(
        "frozen", description="[-] how the flow follows inlet_flow: the steady flow scaled "
                              "(frozen), or the flow stepped in time to each flow rate's own "
                              "pattern (time-accurate, BDF2; held while settled)")
    flow_courant: float = Field(1.0, gt=0, le=20, description="[-] Courant number of the "
                                                              "time-accurate flow's steps")

    @model_validator(mode="after")
    def _steps_fit(self):
        if self.initial_step > self.end:
            raise fail("initial_step", "the first time step is longer than the run",
                       self.initial_step, f"<= end = {self.end} s")
        if self.flow == "time-accurate" and self.inlet_flow is None:
            raise fail("flow", "a time-accurate flow needs an inlet_flow schedule to follow",
                       self.flow, "'frozen', or give transient.inlet_flow")
        if self.max_step is not None and self.max_step < self.initial_step:
            raise fail("max_step", "the largest time step is below the first", self.max_step,
                       f">= initial_step = {self.initial_step} s")
        return self
