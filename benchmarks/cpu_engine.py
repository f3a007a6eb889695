"""The CPU engine against earlier revisions, side by side in one run: a cold-plate example (the
channel plate ``cases/coldplate_channels.toml`` unless ``--case`` names another) timed by
``benchmarks/coldplate_examples.py`` of each revision, the revisions taking turns (this
machine's speed drifts by tens of percent from run to run, so alternating rounds compare like
with like).

Each earlier revision is checked out into a temporary ``git worktree`` and runs its own code
and its own copy of the case file, in its own process, with the same Python environment; the
working tree runs as it is. Per run it records flow, energy and total seconds, SIMPLEC
iterations and flow-energy passes, the flow cost per cell and iteration [ns] and the pressure
drop and thermal resistance (to show the revisions solve the same problem); per revision the
best round and the median. Each revision runs once before the first round (a warm-up run,
not recorded), so no round pays Numba's one-off compilation.

Prints one JSON record and writes it (atomically) to ``benchmarks/results/cpu_engine.json``
for the channel plate, ``cpu_engine_<case file stem>.json`` for another case.

Usage: ``python benchmarks/cpu_engine.py [--rounds N] [--case cases/X.toml] REVISION
[REVISION ...]`` (e.g. the revision an issue was filed at and the last one before a change).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.example_runtimes import machine  # noqa: E402
from solver.output.atomic import atomic_write_text  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CASE = Path("cases") / "coldplate_channels.toml"


def _run(tree: Path, case: Path) -> dict:
    """One run of ``case`` (relative to the tree) by ``tree``'s own benchmark script and code."""
    environment = {**os.environ, "PYTHONPATH": str(tree), "OPENBLAS_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, str(tree / "benchmarks" / "coldplate_examples.py"),
                             str(tree / case)], cwd=tree, env=environment, capture_output=True,
                            text=True, check=True)
    record = json.loads(result.stdout.strip().splitlines()[-1])
    cells, iterations = record["cells"], record["flow_iterations"]
    return {"flow_s": record["flow_seconds"], "energy_s": record["energy_seconds"],
            "total_s": record["total_seconds"], "flow_iterations": iterations,
            "flow_energy_passes": record.get("flow_energy_passes"),
            "flow_ns_per_cell_iteration": 1e9 * record["flow_seconds"] / (cells * iterations),
            "pressure_drop_Pa": record["pressure_drop_Pa"],
            "thermal_resistance_K_per_W": record["thermal_resistance_K_per_W"],
            "load_1min": round(os.getloadavg()[0], 2)}


def _summary(runs: list[dict]) -> dict:
    keys = ("flow_s", "energy_s", "total_s", "flow_ns_per_cell_iteration")
    return {"best": {k: round(min(r[k] for r in runs), 3) for k in keys},
            "median": {k: round(statistics.median(r[k] for r in runs), 3) for k in keys}}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description="Time a cold-plate example with this tree and earlier revisions, in turns.")
    parser.add_argument("revisions", nargs="+", help="earlier revisions to time beside the tree")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--case", type=Path, default=CASE, help="case file, relative to the tree")
    args = parser.parse_args(argv)
    rounds, case = args.rounds, args.case
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                          capture_output=True, check=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                cwd=ROOT, text=True, capture_output=True, check=True).stdout)
    label = f"{head} (working tree{', modified' if dirty else ''})"
    with tempfile.TemporaryDirectory() as folder:
        trees = {label: ROOT}
        for revision in args.revisions:
            tree = Path(folder) / revision
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), revision],
                           cwd=ROOT, capture_output=True, check=True)
            trees[revision] = tree
        try:
            for tree in trees.values():  # compiles each revision's kernels once
                _run(tree, case)
            runs = {name: [] for name in trees}
            for _ in range(rounds):
                for name, tree in trees.items():
                    runs[name].append(_run(tree, case))
                    print(json.dumps({"revision": name, **runs[name][-1]}), file=sys.stderr,
                          flush=True)
        finally:
            for tree in trees.values():
                if tree != ROOT:
                    subprocess.run(["git", "worktree", "remove", "--force", str(tree)],
                                   cwd=ROOT, capture_output=True, check=False)
    record = {"benchmark": "cpu_engine", "case": str(case),
              "machine": machine(),
              "rounds": rounds,
              "revisions": {name: {**_summary(r), "runs": r} for name, r in runs.items()}}
    text = json.dumps(record, indent=1)
    print(text)
    name = "cpu_engine" if case == CASE else f"cpu_engine_{case.stem}"
    RESULTS.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS / f"{name}.json", text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
