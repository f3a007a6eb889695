"""``[[scenarios]]`` that happen in time: what fails or changes, and when.

A transient scenario starts from the rack's steady design point and is integrated over
``[network.transient] duration``; its outcome is the ride-through time (from the event to the
first chip at its limit) and the peaks. Kinds (the steady kinds are in
:mod:`solver.case.sections`)::

    [[scenarios]]
    kind = "pump_trip"           # one running CDU pump unit trips; the standby starts
    time = "10 s"                # after [network.transient] start_delay

    [[scenarios]]
    kind = "pumps_lost"          # every CDU pump unit trips at once

    [[scenarios]]
    kind = "facility_loss"       # facility water flow to zero at `time` (default), or
    flow = { kind = "ramp", start_value = "1500 L/min", end_value = "0 L/min", start = "10 s",
             duration = "30 s" }
    supply_temperature = { kind = "ramp", start_value = "32 C", end_value = "40 C",
                           start = "10 s", duration = "2 min" }

    [[scenarios]]
    kind = "power_step"          # chip powers as a fraction of their design power
    power = { kind = "square_wave", low = 0.3, high = 1.0, period = "60 s", duty = 0.8 }
    groups = ["gpu"]             # plate groups (default: all)

    [[scenarios]]
    kind = "plate_blocking"      # a plate's flow area closes by `fraction` at `time`
    plate = "tray.5.gpu.2"
    fraction = 0.8
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from solver.case.network_transient import load_foster_file
from solver.case.schedules import schedule_field
from solver.case.sections import (
    FacilityOffsetScenario,
    PlateBlockedScenario,
    PowerScaleScenario,
    PumpFailedScenario,
    QdMissingScenario,
)
from solver.units import TEMPERATURE_UNITS, VOLUMETRIC_FLOW_UNITS, Duration, Section

FlowInTime = schedule_field(VOLUMETRIC_FLOW_UNITS, "volumetric flow [m3/s]")
TemperatureInTime = schedule_field(TEMPERATURE_UNITS, "temperature [K]")
FractionInTime = schedule_field(None, "fraction of the design power [-]")

TRANSIENT_KINDS = ("pump_trip", "pumps_lost", "facility_loss", "power_step", "plate_blocking")


class _TransientScenario(Section):
    name: str = Field("", description="[-] label in the comparison (default: the kind)")
    time: Duration = Field(10.0, ge=0, description="[s] when the event happens")
    duration: Duration | None = Field(None, gt=0, description="[s] simulated time (default: "
                                      "[network.transient] duration)")


class PumpTripScenario(_TransientScenario):
    """One running CDU pump unit trips (coasts down); a standby unit starts after the delay."""

    kind: Literal["pump_trip"] = Field(description="[-] scenario kind")
    standby_start: bool = Field(True, description="[-] start a standby unit (if the group has "
                                                  "one) after [network.transient] start_delay")


class PumpsLostScenario(_TransientScenario):
    """Every CDU pump unit trips at once (power lost to the CDU); nothing restarts."""

    kind: Literal["pumps_lost"] = Field(description="[-] scenario kind")


class FacilityLossScenario(_TransientScenario):
    """Facility water lost or warming: its flow and/or supply temperature in time."""

    kind: Literal["facility_loss"] = Field(description="[-] scenario kind")
    flow: FlowInTime | None = Field(None, description="[m3/s] facility flow in time (default, "
                                    "when supply_temperature is absent too: a step to 0 at "
                                    "time); the supply temperature control is then off")
    supply_temperature: TemperatureInTime | None = Field(None, description="[K] facility "
                                                         "supply temperature in time")


class PowerStepScenario(_TransientScenario):
    """Chip powers in time, as a fraction of each plate's design power (a training job's
    compute / checkpoint pattern as a square wave, or idle to full as a step)."""

    kind: Literal["power_step"] = Field(description="[-] scenario kind")
    power: FractionInTime = Field(description="[-] fraction of the design power in time, e.g. "
                                  "{ kind = \"step\", before = 0.3, after = 1.0, time = \"10 s\" }")
    groups: list[str] = Field([], description="[-] plate groups whose power changes (default: "
                                              "all)")


class PlateBlockingScenario(_TransientScenario):
    """A cold plate's flow area closes by ``fraction`` at ``time``: dP(Q) x 1/(1-fraction)^2."""

    kind: Literal["plate_blocking"] = Field(description="[-] scenario kind")
    plate: str = Field("", description="[-] plate component, e.g. 'tray.5.gpu.2' (default: "
                                       "the first)")
    fraction: float = Field(0.8, ge=0, lt=1, description="[-] blocked fraction of the flow area")


TransientScenarioSpec = (PumpTripScenario | PumpsLostScenario | FacilityLossScenario
                         | PowerStepScenario | PlateBlockingScenario)

AnyScenario = Annotated[
    PumpFailedScenario | PlateBlockedScenario | FacilityOffsetScenario | PowerScaleScenario
    | QdMissingScenario | PumpTripScenario | PumpsLostScenario | FacilityLossScenario
    | PowerStepScenario | PlateBlockingScenario, Field(discriminator="kind")]
"""A ``[[scenarios]]`` entry: steady (:data:`solver.case.sections.ScenarioSpec`) or in time."""


def facility_loss_default(spec: FacilityLossScenario) -> bool:
    """True when a facility loss gives neither flow nor supply temperature (flow to 0)."""
    return spec.flow is None and spec.supply_temperature is None


def is_transient(spec) -> bool:
    """True for a scenario that is integrated in time."""
    return spec.kind in TRANSIENT_KINDS


def rack_plate_names(rack) -> list[str]:
    """Cold plate names the rack builder gives (``tray.<k>.<group>.<i>``)."""
    return [f"tray.{k}.{g.name}.{i}" for k in range(rack.trays) for g in rack.plates
            if not g.trays or k in g.trays for i in range(g.count)]


def check_transient_scenarios(case, err) -> None:
    """Raise a CaseError (``err``) when a transient scenario or a plate group's Foster data does
    not fit the case's rack (before any solving)."""
    rack = case.network.rack if case.network is not None else None
    for i, spec in enumerate(case.scenarios):
        if not is_transient(spec):
            continue
        key = f"scenarios[{i}]"
        if rack is None:
            raise err(f"{key}.kind", "a scenario in time needs a rack ([network.rack])",
                      spec.kind, "a steady kind, or a [network.rack] section")
        if spec.kind == "power_step":
            names = [g.name for g in rack.plates]
            for j, group in enumerate(spec.groups):
                if group not in names:
                    raise err(f"{key}.groups[{j}]", "unknown plate group", group,
                              ", ".join(names))
        if spec.kind == "facility_loss" and rack.facility.flow is None and (
                spec.flow is not None or facility_loss_default(spec)):
            raise err(f"{key}.flow", "a facility flow in time needs a fixed facility flow "
                      "([network.rack.facility] flow, not pressure_difference)",
                      allowed="supply_temperature only, or [network.rack.facility] flow")
        if spec.kind == "plate_blocking" and spec.plate:
            plates = rack_plate_names(rack)
            if spec.plate not in plates:
                raise err(f"{key}.plate", "no such cold plate", spec.plate,
                          f"tray.<k>.<group>.<i>, e.g. {plates[0]} ... {plates[-1]}")
    for j, group in enumerate(rack.plates if rack is not None else ()):
        if group.thermal_impedance is not None:
            try:
                load_foster_file(case.resolve(group.thermal_impedance))
            except (OSError, ValueError) as error:
                raise err(f"network.rack.plates[{j}].thermal_impedance", str(error),
                          group.thermal_impedance, "a readable JSON file with "
                          "resistances_K_per_W and time_constants_s (equal lengths, > 0)"
                          ) from None

__all__ = ["TRANSIENT_KINDS", "PumpTripScenario", "PumpsLostScenario", "FacilityLossScenario",
           "PowerStepScenario", "PlateBlockingScenario", "TransientScenarioSpec", "AnyScenario",
           "facility_loss_default", "is_transient", "rack_plate_names",
           "check_transient_scenarios"]
