"""Steady against time-averaged flow on a cold-plate case, in the same run.

Runs the case as ``coolsim run`` does (no images), once steady and once with ``[solver.flow]
mode = "time_averaged"`` (BDF2, Courant target ``--cfl``), and prints one JSON line per run:
cells, flow-energy passes, pressure drop [Pa], thermal resistance [K/W], peak temperature [K],
wall times [s]; for the time-averaged run also the flow-through time [s], the time run and
averaged (in flow-through times), steps, inner iterations per step, the batch-means 95 %
interval and rms fluctuation of the pressure drop, and whether the average converged. A last
line compares the two (relative differences). The machine load is stated in every line.

Usage: ``python benchmarks/time_averaged.py [case.toml] [--cfl C] [--start-up N]
[--min-average N] [--max-flow-through-times N] [--time-only] [--progress] [--passes N]
[--backend cpu|gpu]`` (default case ``cases/coldplate_unit_cell.toml``, under a minute). The
pin-fin figures of ``docs/flow_methods.md`` come from ``cases/coldplate_pinfin.toml --cfl 4
--start-up 1 --min-average 1 --max-flow-through-times 2 --passes 1`` (about 10 min).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # BLAS threads only add wake-up latency here

from solver.case import load_case  # noqa: E402
from solver.pipeline import run

CASES = Path(__file__).resolve().parents[1] / "cases"


def measure(case, label: str, quiet: bool = True, backend: str = "cpu") -> dict:
    """Run ``case`` on ``backend`` and return its benchmark record (progress on standard error
    unless ``quiet``)."""
    with tempfile.TemporaryDirectory() as folder:
        summary = run(case, backend=backend, output=folder, quiet=quiet)
    flow, timings = summary["flow"], summary["timings_s"]
    record = {
        "benchmark": "time_averaged", "case": case.name, "run": label,
        "cells": summary["grid"]["cells"], "passes": flow.get("passes"),
        "flow_iterations": flow.get("flow_iterations"),
        "pressure_drop_Pa": flow.get("pressure_drop_Pa"),
        "thermal_resistance_K_per_W": flow.get("thermal_resistance_K_per_W"),
        "peak_temperature_K": flow.get("peak_temperature_K"),
        "energy_balance_relative_error": flow.get("energy_balance_relative_error"),
        "flow_seconds": timings.get("flow"), "total_seconds": timings.get("total"),
        "load_average_1min": os.getloadavg()[0], "cpus": os.cpu_count(),
    }
    average = flow.get("time_average")
    if average:
        dp = average["statistics"]["dp_Pa"]
        record.update({
            "flow_through_time_s": average["flow_through_time_s"],
            "flow_through_times_run": average["flow_through_times"],
            "flow_through_times_averaged": (average["averaged_time_s"]
                                            / average["flow_through_time_s"]),
            "steps": average["steps"],
            "inner_iterations_per_step": average["inner_iterations"] / average["steps"],
            "steps_at_inner_cap": average["steps_at_inner_cap"],
            "dp_half_width_95_Pa": dp["half_width"], "dp_rms_Pa": dp["rms"],
            "dp_batch_lag1_correlation": dp["lag1_correlation"],
            "average_converged": average["converged"],
            "seconds_per_step": timings["flow"] / average["steps"],
        })
    return record


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", nargs="?", default=str(CASES / "coldplate_unit_cell.toml"))
    parser.add_argument("--cfl", type=float, default=1.0)
    parser.add_argument("--start-up", type=float, default=2.0)
    parser.add_argument("--min-average", type=float, default=3.0)
    parser.add_argument("--max-flow-through-times", type=float, default=30.0)
    parser.add_argument("--time-only", action="store_true", help="skip the steady run")
    parser.add_argument("--progress", action="store_true", help="progress on standard error")
    parser.add_argument("--backend", choices=["cpu", "gpu"], default="cpu")
    parser.add_argument("--passes", type=int, default=None,
                        help="most flow-energy passes (the case's [solver.nonlinear] "
                             "max_iterations by default)")
    args = parser.parse_args(argv)
    case = load_case(Path(args.case))
    case = case.model_copy(update={"output": case.output.model_copy(
        update={"write_images": False, "checkpoint": False})})
    if args.passes is not None:
        nonlinear = case.solver.nonlinear.model_copy(update={"max_iterations": args.passes})
        case = case.model_copy(update={"solver": case.solver.model_copy(
            update={"nonlinear": nonlinear})})
    records = []
    if not args.time_only:
        records.append(measure(case, "steady", not args.progress, args.backend))
        print(json.dumps(records[-1]), flush=True)
    time = case.solver.flow.time.model_copy(update={
        "cfl": args.cfl, "start_up": args.start_up, "min_average": args.min_average,
        "max_flow_through_times": args.max_flow_through_times})
    flow = case.solver.flow.model_copy(update={"mode": "time_averaged", "time": time})
    timed = case.model_copy(update={"solver": case.solver.model_copy(update={"flow": flow})})
    records.append(measure(timed, "time_averaged", not args.progress, args.backend))
    print(json.dumps(records[-1]), flush=True)
    if len(records) == 2:
        steady, averaged = records
        print(json.dumps({
            "benchmark": "time_averaged", "case": case.name, "run": "comparison",
            **{f"{key}_relative_difference": (averaged[key] - steady[key]) / steady[key]
               for key in ("pressure_drop_Pa", "thermal_resistance_K_per_W")},
            "time_over_steady_wall_time": averaged["total_seconds"] / steady["total_seconds"],
        }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
