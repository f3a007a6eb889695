"""``[network.transient]``: how a rack's transient scenarios are integrated in time, and the
Foster network of a plate group (``foster = {...}`` in ``[[network.rack.plates]]``).

::

    [network.transient]
    duration = "10 min"          # simulated time of every transient scenario
    time_step = "0.5 s"
    rotor_inertia = 0.06         # [kg m2] per CDU pump unit (motor rotor, shaft, impeller)
    start_delay = "5 s"          # standby pump started this long after a trip
    ramp_rate = 0.5              # [1/s] VFD ramp of relative speed
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from solver.case.errors import fail
from solver.units import Duration, Section

PositiveFloat = Annotated[float, Field(gt=0)]


class FosterSpec(Section):
    """A plate's thermal impedance as a Foster network: ``Z(t) = sum R_i (1 - exp(-t/tau_i))``."""

    resistances: list[PositiveFloat] = Field(min_length=1, description="[K/W] term "
                                             "resistances R_i (chip rise above the plate inlet)")
    time_constants: list[PositiveFloat] = Field(min_length=1, description="[s] term time "
                                                "constants tau_i")

    @model_validator(mode="after")
    def _same_length(self):
        if len(self.resistances) != len(self.time_constants):
            raise fail("time_constants", "needs one time constant per resistance",
                       self.time_constants, f"{len(self.resistances)} values")
        return self


class NetworkTransientSection(Section):
    """``[network.transient]``: time integration of the ``[[scenarios]]`` that happen in time."""

    duration: Duration = Field(600.0, gt=0, description="[s] simulated time of every transient "
                                                        "scenario (the ride-through horizon)")
    time_step: Duration = Field(0.5, gt=0, description="[s] time step (steps also land on "
                                                       "events and schedule breakpoints)")
    rotor_inertia: PositiveFloat = Field(0.002, description="[kg m2] rotating inertia of one "
                                         "CDU pump unit (motor rotor, shaft, impeller, water)")
    start_delay: Duration = Field(5.0, ge=0, description="[s] delay from a pump trip to the "
                                                         "standby unit's start")
    ramp_rate: PositiveFloat = Field(0.5, description="[1/s] VFD ramp: largest change of "
                                     "relative pump speed per second")
    motor_time_constant: Duration = Field(0.0, ge=0, description="[s] first-order lag of the "
                                                                 "rotor behind the ramp")
    pump_gain: PositiveFloat = Field(0.5, description="[-] PI gain of the pump speed control: "
                                     "relative speed per relative error (error / setpoint)")
    pump_integral_time: Duration = Field(2.0, gt=0, description="[s] PI integral time of the "
                                                                "pump speed control")
    supply_gain: PositiveFloat = Field(0.08, description="[1/K] PI gain of the supply "
                                       "temperature control: fraction of the facility "
                                       "actuator's range per kelvin of error")
    supply_integral_time: Duration = Field(30.0, gt=0, description="[s] PI integral time of "
                                                                   "the supply temperature "
                                                                   "control")
    plate_volume: PositiveFloat = Field(5e-5, description="[m3] coolant held by each cold "
                                        "plate")
    plate_heat_capacity: float = Field(0.0, ge=0, description="[J/K] heat capacity of each "
                                       "cold plate's wall (copper), lumped with its coolant")
    plates_in_3d: int = Field(0, ge=0, description="[-] coupled racks: the hottest plates of "
                                                   "each scenario (with a 3D case) run again "
                                                   "in 3D along their network histories")
    correct_network: bool = Field(True, description="[-] with plates_in_3d: run the scenario's "
                                  "network again with the coolant heat of the plates run in 3D "
                                  "(their solids' heat storage in time), until their inlet "
                                  "temperatures change by less than 0.01 K (at most 3 passes)")

    @model_validator(mode="after")
    def _step_within(self):
        if self.time_step > self.duration:
            raise fail("time_step", "time step longer than the duration", self.time_step,
                       f"<= duration = {self.duration:g} s")
        return self


def load_foster_file(path: str | Path) -> FosterSpec:
    """The Foster network in a JSON file ``{"resistances_K_per_W": [...], "time_constants_s":
    [...]}`` (what ``FosterNetwork.describe()`` writes; other keys ignored).

    Raises
    ------
    OSError
        When the file cannot be read.
    ValueError
        When it is not JSON or lacks valid terms (resistances [K/W], time constants [s]).
    """
    try:
        data = json.loads(Path(path).read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(data, dict) or not {"resistances_K_per_W", "time_constants_s"} <= set(data):
        raise ValueError("no resistances_K_per_W and time_constants_s in the file")
    try:
        return FosterSpec(resistances=data["resistances_K_per_W"],
                          time_constants=data["time_constants_s"])
    except ValueError:
        raise ValueError("resistances_K_per_W and time_constants_s must be arrays of equal "
                         "length of numbers > 0") from None


__all__ = ["FosterSpec", "NetworkTransientSection", "load_foster_file"]
