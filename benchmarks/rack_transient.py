"""Benchmark: the 1 MW rack's 10-minute pump-trip scenario in time; one JSON line.

``cases/rack_1mw.toml``: 48 trays (36 compute trays of 4 x 6 kW GPU packages + 2 x 500 W CPUs,
12 switch trays of 2 x 4 kW), 240 cold plates, 996 kW; one CDU with three pumps (two running,
one standby, split into units with check valves), PI control of the TCS flow and supply
temperature; GPU plates as Foster networks following R(Q). The case's ``pump_trip`` scenario:
a running unit trips at 30 s (rotor 0.06 kg m2), the standby starts 5 s later (VFD ramp
20 %/s); 600 s at 0.5 s steps, on one core.

Reported: steps, total runtime of the scenario (the issue's aim: under 2 minutes on 2 cores),
time per step with the initial steady solve timed apart, the energy-balance error (accuracy
beside speed), ride-through, peak chip temperature, lowest TCS flow.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/rack_transient.py``.
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

from solver.case import load_case  # noqa: E402
from solver.pipeline import design_limits  # noqa: E402
from solver.transient_scenarios import plate_fosters, run_transient_scenario  # noqa: E402

CASE = os.path.join(os.path.dirname(__file__), "..", "cases", "rack_1mw.toml")


def main():
    case = load_case(CASE)
    spec = next(s for s in case.scenarios if s.kind == "pump_trip")
    limits = design_limits(case)
    fosters = plate_fosters(case.network, case.resolve)
    coolant = case.coolant_material()
    dt = case.network.transient.time_step
    # the build, the initial steady solve at the setpoints and one step, alone
    short = spec.model_copy(update={"duration": dt})
    start = time.perf_counter()
    run_transient_scenario(case.network, coolant, short, limits, fosters=fosters)
    setup = time.perf_counter() - start
    start = time.perf_counter()
    outcome = run_transient_scenario(case.network, coolant, spec, limits, fosters=fosters)
    total = time.perf_counter() - start
    row = outcome.row
    steps = row["steps"]
    record = {
        "benchmark": "rack_transient",
        "case": "cases/rack_1mw.toml", "scenario": row["scenario"],
        "heat_load_kW": round(float(outcome.result.heat_load[0]) / 1e3, 3),
        "plates": len(outcome.result.plates), "foster_plates": sum(
            1 for p in outcome.result.plates if p.split(".")[2] in fosters),
        "branches": len(outcome.result.network.branches),
        "simulated_s": row["horizon_s"], "dt_s": dt, "steps": steps,
        "total_runtime_s": round(total, 3),
        "build_steady_and_one_step_s": round(setup, 3),
        "time_per_step_ms": round(1e3 * (total - setup) / (steps - 1), 3),
        "energy_balance_error": row["energy_balance_error"],
        "ride_through_s": row["ride_through_s"],
        "peak_chip_C": round(row["peak_chip_temperature"] - 273.15, 3),
        "initial_hottest_chip_C": round(row["initial_hottest_chip_temperature"] - 273.15, 3),
        "min_tcs_flow_fraction": round(row["min_tcs_flow_fraction"], 4),
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(record))


if __name__ == "__main__":
    main()
