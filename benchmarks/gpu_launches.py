"""What the GPU path would cost, measured on a CPU with the CuPy stand-in: kernel launches,
host synchronisations and transfers per SIMPLEC iteration (or per transient step), and the
stand-in's modelled GPU wall time, for the example plates.

Each case runs as ``coolsim`` would run it on the GPU backend (images off), through
``../shared/tools/fakecupy/fakecupy_report.py`` with this project's kernel twins
(``tests/gpu_twins.py``); the per-iteration figures are those of
``FlowSolver.iterate`` (host operations: launches, captured-graph launches counted once) and,
per call, those of the pressure-drop monitor read after every iteration
(``FlowSolver.monitored_pressure_drop``, whose layers reach the host with the iteration's
residuals) and of the current state's pressure drop read at pass boundaries and for the
results (``FlowSolver.pressure_drop``, a transfer of its own); the totals are those of the
whole run (flow and energy). The
modelled times assume 5, 8 and 12 us of host time per operation and an H200-class device
(3 TB/s, 2 us per kernel): read them as a range, not a prediction (the stand-in's README says
what the model leaves out).

The ``plate_transient`` case runs ``benchmarks/plate_transient_steps.py`` (the 1,800-cell test
plate, TVD, 12 steps of 20 ms, the chip from 10 to 50 W at 20 ms) and reports per transient
step the figures of ``TransientEnergy.step`` plus those of the plate's monitor
(``PlateTransient.monitor``, one call per step), counted after the steady solve;
``--transient-inputs inlet`` or ``flow`` also warms the inlet by 2 K, or halves the inlet
flow, at 40 ms. ``host_to_device_largest_step`` is the step with the most host-to-device
copies (the first: uploads at set-up), ``host_to_device_other_steps`` the copies of all the
other steps together.

Run: ``.venv/bin/python benchmarks/gpu_launches.py [--cases unit_cell channels
plate_transient] [--max-iterations N] [--transient-inputs power|inlet|flow]
[--fakecupy ../shared/tools/fakecupy]``. Prints one JSON
line per case. Expected runtime (2 CPU cores): about 30 s for the unit cell, 3-5 minutes for
the channel plate (its whole run; ``--max-iterations 10`` for a quick look), 10 s for the
transient steps.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = {"unit_cell": "cases/coldplate_unit_cell.toml",
         "channels": "cases/coldplate_channels.toml",
         "pin_fin": "cases/coldplate_pinfin.toml"}
ITERATE = "solver.models.flow.simplec.FlowSolver.iterate"
PRESSURE_DROP = "solver.models.flow.simplec.FlowSolver.pressure_drop"
MONITORED = "solver.models.flow.simplec.FlowSolver.monitored_pressure_drop"
STEP = "solver.models.energy.transient.TransientEnergy.step"
MONITOR = "solver.models.coldplate.transient.PlateTransient.monitor"


def measure(case: str, fakecupy: Path, max_iterations: int | None) -> dict:
    """Run ``case`` on the stand-in; return the figures of one JSON line."""
    if not (fakecupy / "fakecupy_report.py").exists():
        return {"case": case, "error": f"no CuPy stand-in at {fakecupy} (--fakecupy PATH)"}
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [sys.executable, str(fakecupy / "fakecupy_report.py"), "--twins",
                   str(ROOT / "tests" / "gpu_twins.py"), "--per-iteration", ITERATE,
                   "--per-iteration", PRESSURE_DROP, "--per-iteration", MONITORED, "--json",
                   str(report), "--top", "0", "--", str(fakecupy / "run_case.py"),
                   str(ROOT / CASES[case])]
        if max_iterations:
            command += ["--max-iterations", str(max_iterations)]
        environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1",
                       "PYTHONPATH": os.pathsep.join([str(fakecupy), str(ROOT)])}
        done = subprocess.run(command, capture_output=True, text=True, env=environment,
                              cwd=ROOT)
        if done.returncode != 0 or not report.exists():
            return {"case": case, "error": done.stderr[-2000:]}
        data = json.loads(report.read_text())
    outcome = json.loads([line for line in done.stdout.splitlines()
                          if line.startswith("{")][-1])
    per_call = data["per_iteration"][ITERATE]["per_call"]
    cells, iterations = outcome["cells"], data["per_iteration"][ITERATE]["calls"]
    launches = data["launches"]
    model = data["model"]["by_host_us"]
    return {
        "case": case, "cells": cells, "flow_iterations": outcome["flow_iterations"],
        "simplec_iterations_measured": iterations,
        "pressure_drop_Pa": outcome["pressure_drop_Pa"],
        "thermal_resistance_K_per_W": outcome["thermal_resistance_K_per_W"],
        "per_iteration": {
            "host_launches": per_call["launches"]["mean"],
            # the median iteration: the mean also carries the first iterations of a pressure
            # hierarchy (stages run once directly, then captured)
            "host_launches_median": per_call["launches"]["median"],
            "graph_launches": per_call["graph"]["mean"],
            "syncs": per_call["sync"]["mean"],
            "host_to_device": per_call["h2d"]["mean"],
            "allocations": per_call["alloc"]["mean"],
            "modelled_ms": {us: per_call[f"modelled_ms_at_{us}us"]["mean"]
                            for us in (5, 8, 12)}},
        # the pressure-drop monitor, read after every iteration (outside FlowSolver.iterate),
        # and the current state's pressure drop (pass boundaries, results)
        **{key: {"calls": data["per_iteration"][name]["calls"],
                 **{figure: _per_call(data, name, count) for figure, count in (
                     ("host_launches", "launches"), ("graph_launches", "graph"),
                     ("syncs", "sync"))}}
           for key, name in (("pressure_drop_monitor", MONITORED),
                             ("pressure_drop_reads", PRESSURE_DROP))},
        "run": {
            "host_launches": launches["total"], "graph_launches": launches["graph_launches"],
            "kernels_in_graphs": launches["kernels_in_graph_launches"],
            "syncs": data["syncs"]["total"], "kernel_bytes": launches["kernel_bytes"],
            "kernel_bytes_per_cell_and_flow_iteration":
                launches["kernel_bytes"] / cells / max(outcome["flow_iterations"] or 1, 1),
            "bandwidth_time_s": launches["kernel_bytes"] / 3.0e12,
            "modelled_gpu_busy_over_bandwidth_time":
                model["5"]["gpu_busy_s"] / (launches["kernel_bytes"] / 3.0e12),
            "modelled_wall_s": {us: model[us]["wall_s"] for us in model},
            "modelled_gpu_busy_s": model["5"]["gpu_busy_s"]},
    }


def _per_call(data: dict, qualname: str, key: str) -> float:
    return data["per_iteration"][qualname]["per_call"][key]["mean"]


def measure_transient(fakecupy: Path, inputs: str = "power") -> dict:
    """Run the test plate's transient steps on the stand-in (``inputs``: see
    ``plate_transient_steps.py``); the figures per step."""
    if not (fakecupy / "fakecupy_report.py").exists():
        return {"case": "plate_transient",
                "error": f"no CuPy stand-in at {fakecupy} (--fakecupy PATH)"}
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [sys.executable, str(fakecupy / "fakecupy_report.py"), "--twins",
                   str(ROOT / "tests" / "gpu_twins.py"), "--per-iteration", STEP,
                   "--per-iteration", MONITOR, "--json", str(report), "--top", "0", "--",
                   str(ROOT / "benchmarks" / "plate_transient_steps.py"), "--backend", "gpu",
                   "--inputs", inputs]
        environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "FAKECUPY_MIXED": "raise",
                       "PYTHONPATH": os.pathsep.join([str(fakecupy), str(ROOT)])}
        done = subprocess.run(command, capture_output=True, text=True, env=environment,
                              cwd=ROOT)
        if done.returncode != 0 or not report.exists():
            return {"case": "plate_transient", "error": done.stderr[-2000:]}
        data = json.loads(report.read_text())
    outcome = json.loads([line for line in done.stdout.splitlines()
                          if line.startswith("{")][-1])
    step = data["per_iteration"][STEP]

    def both(key):
        return round(_per_call(data, STEP, key) + _per_call(data, MONITOR, key), 2)

    return {
        "case": "plate_transient", "inputs": inputs, "cells": outcome["cells"],
        "steps": outcome["steps"],
        "stage_solves": outcome["stage_solves"],
        "linear_iterations": outcome["linear_iterations"],
        "per_step": {
            "host_launches": both("launches"), "graph_launches": both("graph"),
            "syncs": both("sync"), "host_to_device": both("h2d"),
            "host_to_device_largest_step": step["per_call"]["h2d"]["max"],
            "host_to_device_other_steps": step["per_call"]["h2d"]["total"]
            - step["per_call"]["h2d"]["max"],
            "allocations": both("alloc"),
            "modelled_ms": {us: both(f"modelled_ms_at_{us}us") for us in (5, 8, 12)},
            "of_which_monitor": {"host_launches": _per_call(data, MONITOR, "launches"),
                                 "syncs": _per_call(data, MONITOR, "sync"),
                                 "host_to_device": _per_call(data, MONITOR, "h2d")}},
        "last_record": outcome["last"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=sorted([*CASES, "plate_transient"]),
                        default=["unit_cell", "channels"])
    parser.add_argument("--max-iterations", type=int)
    parser.add_argument("--transient-inputs", default="power", choices=("power", "inlet", "flow"),
                        help="inputs in time of the plate_transient case")
    parser.add_argument("--fakecupy", type=Path,
                        default=ROOT.parent / "shared" / "tools" / "fakecupy")
    opts = parser.parse_args()
    for case in opts.cases:
        figures = (measure_transient(opts.fakecupy.resolve(), opts.transient_inputs)
                   if case == "plate_transient"
                   else measure(case, opts.fakecupy.resolve(), opts.max_iterations))
        print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
