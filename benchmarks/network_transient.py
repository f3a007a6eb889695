"""Benchmark: the documented rack network in time over 600 s with a pump trip; one JSON line.

``cases/rack_network.toml`` (18 trays x 4 GPU + 2 CPU cold plates, 82.8 kW, U manifold, CDU
with PG25, facility water W32) with one of its two CDU pumps running and the other on standby
(split into units with check valves), TCS flow and supply temperature held by PI controllers.
The running pump trips at 60 s (rotor 0.002 kg m2), the standby starts 5 s later (VFD ramp
50 %/s). Fixed step 0.5 s over 600 s of simulated time, on one core.

Reported: steps, cells, total runtime and time per step (with the initial steady solve timed
apart), the energy-balance error of the run (accuracy beside speed), peak chip temperature and
ride-through time to 70 C.

Run: ``.venv/bin/python benchmarks/network_transient.py``.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import tomllib  # noqa: E402
from dataclasses import replace  # noqa: E402

from solver.case import NetworkSection  # noqa: E402
from solver.materials import get_coolant  # noqa: E402
from solver.network.events import PumpStart, PumpTrip  # noqa: E402
from solver.network.pi_control import PIControl  # noqa: E402
from solver.network.pump_drive import PumpDrive, split_pump_group  # noqa: E402
from solver.network.rack import build_network  # noqa: E402
from solver.network.transient import TransientSettings, simulate_transient  # noqa: E402

CASE = os.path.join(os.path.dirname(__file__), "..", "cases", "rack_network.toml")


def scenario():
    """The rack, its pump units, PI controls and fluids."""
    with open(CASE, "rb") as handle:
        data = tomllib.load(handle)
    data["network"]["rack"]["cdu"]["pumps"]["running"] = 1
    built = build_network(NetworkSection(**data["network"]))
    units = split_pump_group(built.network, built.pump)
    flow, supply = built.controls
    controls = [PIControl(replace(flow, pump=units[0]), gain=0.5 / flow.setpoint,
                          integral_time=2.0, drives=tuple(units)),
                PIControl(supply, gain=-0.5, integral_time=30.0)]
    fluids = {"coolant": get_coolant(data["coolant"]["name"]), "facility": get_coolant("water")}
    return built, units, controls, fluids


def main():
    built, units, controls, fluids = scenario()
    settings = TransientSettings(dt=0.5)
    drives = [PumpDrive(u, 0.002) for u in units]
    events = [PumpTrip(units[0], 60.0), PumpStart(units[1], 65.0)]
    # the initial steady solve at the setpoints alone (a 0-step run is not allowed: 1 step)
    start = time.perf_counter()
    simulate_transient(built.network, fluids, settings.dt, settings, events=events,
                       drives=drives, controls=controls)
    setup = time.perf_counter() - start
    start = time.perf_counter()
    run = simulate_transient(built.network, fluids, 600.0, settings, events=events,
                             drives=drives, controls=controls)
    total = time.perf_counter() - start
    steps = len(run.time) - 1
    cells = sum(settings.capacity.pipe_cells() if b.kind == "pipe" else 1
                for b in run.network.branches)
    record = {
        "benchmark": "network_transient",
        "case": "cases/rack_network.toml",
        "trays": 18, "plates": len(run.plates), "branches": len(run.network.branches),
        "nodes": len(run.network.nodes), "cells": int(cells),
        "simulated_s": float(run.time[-1]), "dt_s": settings.dt, "steps": steps,
        "total_runtime_s": round(total, 3),
        "initial_steady_and_one_step_s": round(setup, 3),
        "time_per_step_ms": round(1e3 * (total - setup) / (steps - 1), 3),
        "energy_balance_error": run.energy_balance_error(),
        "peak_chip_C": round(float(run.chip_temperature.max()) - 273.15, 3),
        "initial_hottest_chip_C": round(float(run.chip_temperature[0].max()) - 273.15, 3),
        "ride_through_to_70C_s": run.ride_through_time(273.15 + 70.0),
        "python": platform.python_version(), "machine": platform.machine(),
    }
    print(json.dumps(record))


if __name__ == "__main__":
    main()
