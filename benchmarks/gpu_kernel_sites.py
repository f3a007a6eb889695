"""Where the GPU path's kernels come from, counted with the CuPy stand-in: every kernel of one
whole run of an example plate (host launches, and the kernels inside captured CUDA graphs at
each replay), attributed to the source lines that issue them and to the part of the run.

The parts: ``flow_iterations`` (inside ``FlowSolver.iterate``, which also gathers the
pressure-drop monitor's layers), ``pressure_drop_monitor`` (``FlowSolver.pressure_drop`` and
``monitored_pressure_drop``: the monitor after every iteration, the current state's pressure
drop at pass boundaries and for the results) and ``other`` (the energy solves, the
hierarchies' set-ups, properties and output). A kernel captured into a graph is counted at
every launch of that graph, under the line that issued it during the capture, so the figures
say which loops to fuse next; ``benchmarks/gpu_launches.py`` gives the per-iteration host
operations, synchronisations and the modelled times of the same run.

Also the line smoothers' dependent steps (``line_solve_dependent_steps``: per colour sweep the
critical path of its line solves, 2 n - 1 for the Thomas recurrence on lines of n cells, about
log2 n for cyclic reduction, and n per Thomas factorisation), the latency that the stand-in's
model (2 us + bytes / bandwidth per kernel) does not see; ``line_solve_latency_s`` prices it
at 0.1 us per step (a round trip to the GPU's L2 cache, about 200 cycles: an estimate only a
GPU can check).

Run: ``.venv/bin/python benchmarks/gpu_kernel_sites.py [--case channels|unit_cell|pin_fin]
[--top 25] [--fakecupy ../shared/tools/fakecupy]``; it re-runs itself on the stand-in and
prints one JSON record (about 1-2 minutes for the channel plate on 2 cores).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.gpu_launches import CASES  # noqa: E402


def count(case_file: str, top: int) -> dict:
    """Run ``case_file`` on the GPU backend (the stand-in must be ``cupy``) and attribute
    its kernels; returns the record."""
    import cupy
    from cupy import _kernels, _trace, cuda

    from solver import simulation
    from solver.case import load_case
    from solver.models.flow import simplec
    from solver.numerics.linear import smoothers

    tally = collections.Counter()  # (part, host or graph, site) -> kernels
    steps = collections.Counter()  # part -> dependent steps of line solves
    part = ["other"]
    pending = [0]  # dependent steps of the line-solve kernel about to be launched
    launch = _trace.launch

    def counted_launch(kind, nbytes, replay=None, kernels=1):
        if kind != "graph" and not _trace.FUSING[0]:
            where = _trace.site(2)
            if _trace.CAPTURES:  # remembered by the graph, counted at each of its launches
                graph = _trace.CAPTURES[-1]
                if not hasattr(graph, "sites"):
                    graph.sites, graph.steps = collections.Counter(), 0
                graph.sites[where] += kernels
                graph.steps += pending[0]
            else:
                tally[(part[-1], "host", where)] += kernels
                steps[part[-1]] += pending[0]
            pending[0] = 0
        return launch(kind, nbytes, replay, kernels)

    graph_launch = cuda.Graph.launch

    def counted_graph_launch(graph, stream=None):
        for where, n in getattr(graph, "sites", {}).items():
            tally[(part[-1], "graph", where)] += n
        steps[part[-1]] += getattr(graph, "steps", 0)
        return graph_launch(graph, stream)

    sweep, refresh = smoothers.LineSmoother.sweep, smoothers.LineSmoother.refresh

    def counted_sweep(smoother, colour):
        pending[0] = smoother.dependent_steps
        sweep(smoother, colour)

    def counted_refresh(smoother, level):
        pending[0] = smoother.length if smoother.factor is not None else 0
        refresh(smoother, level)

    def within(name, method):
        def run(*args, **kwargs):
            part.append(name)
            try:
                return method(*args, **kwargs)
            finally:
                part.pop()
        return run

    _trace.launch = cupy._launch = _kernels.launch = counted_launch
    cuda.Graph.launch = counted_graph_launch
    smoothers.LineSmoother.sweep = counted_sweep
    smoothers.LineSmoother.refresh = counted_refresh
    simplec.FlowSolver.iterate = within("flow_iterations", simplec.FlowSolver.iterate)
    for name in ("pressure_drop", "monitored_pressure_drop"):
        setattr(simplec.FlowSolver, name, within("pressure_drop_monitor",
                                                 getattr(simplec.FlowSolver, name)))
    case = load_case(ROOT / case_file)
    case = case.model_copy(update={"output": case.output.model_copy(
        update={"write_images": False})})
    with tempfile.TemporaryDirectory() as scratch:
        simulation.run(case, "gpu", scratch, quiet=True)

    parts = collections.Counter()
    sites = collections.Counter()
    for (name, _, where), n in tally.items():
        parts[name] += n
        sites[(name, where)] += n
    return {"benchmark": "gpu_kernel_sites", "case": case_file,
            "kernels": sum(parts.values()),
            "host_launches": sum(n for (_, how, _), n in tally.items() if how == "host"),
            "kernels_in_graphs": sum(n for (_, how, _), n in tally.items() if how == "graph"),
            "by_part": dict(parts.most_common()),
            "line_solve_dependent_steps": dict(steps.most_common()),
            "line_solve_latency_s": sum(steps.values()) * 0.1e-6,
            "top_sites": [{"part": name, "site": where, "kernels": n}
                          for (name, where), n in sites.most_common(top)],
            "load_1min": os.getloadavg()[0]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES), default="channels")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--fakecupy", type=Path, default=ROOT.parent / "shared" / "tools"
                        / "fakecupy")
    parser.add_argument("--on-stand-in", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.on_stand_in:
        print(json.dumps(count(CASES[args.case], args.top)))
        return 0
    if not (args.fakecupy / "cupy").is_dir():
        print(json.dumps({"benchmark": "gpu_kernel_sites",
                          "error": f"no CuPy stand-in at {args.fakecupy} (--fakecupy PATH)"}))
        return 1
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "FAKECUPY_MIXED": "raise",
                   "FAKECUPY_TWINS": str(ROOT / "tests" / "gpu_twins.py"),
                   "PYTHONPATH": os.pathsep.join([str(args.fakecupy), str(ROOT)])}
    done = subprocess.run([sys.executable, __file__, "--case", args.case, "--top",
                           str(args.top), "--on-stand-in"], env=environment, cwd=ROOT,
                          capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        print(json.dumps({"benchmark": "gpu_kernel_sites", "error": done.stderr[-2000:]}))
        return 1
    print(lines[-1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
