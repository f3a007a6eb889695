#!/usr/bin/env bash
# Everything GPU-side in one call, for a lent GPU machine (the device tool's `run`), from the
# repository root:
#
#   bash benchmarks/gpu_check.sh            # results under $OUT (default /tmp/gpu_check)
#
# 1. environment: python, numpy, cupy, the device, its memory (env.json);
# 2. the GPU tests (`pytest -m gpu`: every CUDA kernel against its NumPy twin, the flow,
#    multigrid, time-stepping and energy parity tests) -> gpu_tests.log / gpu_tests.xml;
# 3. the example plates run as `coolsim run`, CPU then GPU on the same machine, and one JSON
#    line per run with the wall times, iterations, R and dp from summary.json -> runs.jsonl;
# 4. the conduction multigrid (64^3, 128^3, GPU), the line smoothers' Thomas and cyclic
#    reduction kernels per sweep (GPU), the cavity (multigrid, 128^2), the peer unit cell (80k
#    cells) and the GPU plate's thermal impedance in time benchmarks on both backends
#    -> benchmarks.jsonl.
#
# If the GPU tests fail in a captured CUDA graph, FlowSettings.cuda_graph = False runs the
# SIMPLEC iteration's stages launch by launch and LinearSolve.cuda_graph = False the multigrid
# cycles and CG iterations (tests/numerics/test_graphs.py compares graphs with launches); the
# parity tests say which kernel differs.
#
# The image there has CuPy but may lack this project's other dependencies and cannot download:
# put wheels in `.wheels/` (e.g. `pip download -d .wheels pydantic meshio`, ignored by git),
# name `.wheels` in the run's `carry`, and they are installed first. Exit status: that of the
# GPU tests. Runtime: about 4-6 minutes on an H100 (the plates dominate).
set -u
OUT=${OUT:-/tmp/gpu_check}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" OPENBLAS_NUM_THREADS=1

if [ -d .wheels ]; then
  "$PY" -m pip install --no-index --find-links .wheels --quiet .wheels/*.whl > "$OUT/pip.log" 2>&1
fi

"$PY" - > "$OUT/env.json" <<'EOF'
import json, platform
info = {"python": platform.python_version()}
for name in ("numpy", "scipy", "cupy", "pydantic", "meshio", "pyvista", "matplotlib"):
    try:
        info[name] = __import__(name).__version__
    except Exception as error:  # a missing package is reported, not fatal
        info[name] = f"missing: {error.__class__.__name__}"
try:
    import cupy
    device = cupy.cuda.Device(0)
    info["device"] = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    info["memory_GiB"] = device.mem_info[1] / 2**30
except Exception as error:
    info["device"] = f"none: {error}"
print(json.dumps(info))
EOF
cat "$OUT/env.json"

"$PY" -m pytest -q -p no:cacheprovider -m gpu tests --junitxml="$OUT/gpu_tests.xml" \
  > "$OUT/gpu_tests.log" 2>&1
status=$?
tail -n 15 "$OUT/gpu_tests.log"

: > "$OUT/runs.jsonl"
for case in cases/coldplate_unit_cell.toml cases/coldplate_channels.toml; do
  for backend in cpu gpu; do
    folder="$OUT/run_${backend}"
    "$PY" -m solver.cli run "$case" --backend "$backend" --output "$folder" --quiet \
      > "$OUT/run.log" 2>&1
    "$PY" - "$case" "$backend" "$folder" >> "$OUT/runs.jsonl" <<'EOF'
import json, sys
from pathlib import Path
case, backend, folder = sys.argv[1:4]
found = sorted(Path(folder).glob("*/summary.json"), key=lambda p: p.stat().st_mtime)
if not found:
    print(json.dumps({"case": case, "backend": backend, "error": "no summary.json"}))
    raise SystemExit
summary = json.loads(found[-1].read_text())
flow = summary.get("flow", {})
print(json.dumps({"case": case, "backend": backend,
                  "device": summary.get("backend", {}).get("device"),
                  "cells": summary.get("grid", {}).get("cells"),
                  "flow_iterations": flow.get("flow_iterations"),
                  "timings_s": summary.get("timings_s"),
                  "thermal_resistance_K_per_W": flow.get("thermal_resistance_K_per_W"),
                  "pressure_drop_Pa": flow.get("pressure_drop_Pa")}))
EOF
    rm -rf "$folder"
  done
done
cat "$OUT/runs.jsonl"

# 4. flow and conduction benchmarks on both backends (JSON lines): cavity multigrid, peer unit
#    cell, the multigrid conduction solve (with and without the captured cycle on the GPU)
: > "$OUT/benchmarks.jsonl"
"$PY" benchmarks/conduction.py --sizes 64 128 --backend gpu \
  >> "$OUT/benchmarks.jsonl" 2>> "$OUT/benchmarks.log"
# the line smoothers' two kernels per colour sweep (decides SHORT_LINE in smoothers.py)
"$PY" benchmarks/line_smoothers.py --backend gpu \
  >> "$OUT/benchmarks.jsonl" 2>> "$OUT/benchmarks.log"
for backend in cpu gpu; do
  "$PY" benchmarks/cavity.py --re 1000 --sizes 128 --methods multigrid --backend "$backend" \
    >> "$OUT/benchmarks.jsonl" 2>> "$OUT/benchmarks.log"
  "$PY" benchmarks/flow_unit_cell.py medium --backend "$backend" \
    >> "$OUT/benchmarks.jsonl" 2>> "$OUT/benchmarks.log"
  "$PY" benchmarks/plate_transient.py cases/rack_gpu_plate.toml --backend "$backend" \
    >> "$OUT/benchmarks.jsonl" 2>> "$OUT/benchmarks.log"
done
cat "$OUT/benchmarks.jsonl"
exit $status
