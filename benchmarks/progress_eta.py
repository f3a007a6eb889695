"""How well the whole-run time left of ``coolsim run`` foretells the end of the run.

Runs ``coolsim run CASE`` in a subprocess (its progress to a pipe: one plain line per update,
at most every 0.5 s, as in a log file) with an empty plate cache (``COOLSIM_CACHE``: a coupled
rack characterizes its plates again), stamps every progress line on arrival, and takes as the
end of the run the arrival of the last progress line (what follows is writing results). At 25,
50 and 75 % of that time it prints the time left the nearest line showed (``~`` an estimate,
``>`` a lower bound, ``?`` unknown) against the time actually left, and their ratio. One JSON
line per case, with the machine load before and after.

Usage: ``python benchmarks/progress_eta.py [case.toml ...]`` (default
``cases/coldplate_channels.toml``, about 1 min on 2 cores; ``cases/rack_coupled.toml`` takes 2-3
min on a first run). ``--log DIR`` keeps each run's progress lines in ``DIR/<case>.log``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRACTIONS = (0.25, 0.5, 0.75)
LEFT = re.compile(r"\| left ([~>]?)([0-9hms.]+|\?)$")
UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0}


def parse_duration(text: str) -> float | None:
    """Seconds from :func:`solver.progress.format_duration` text (``"3m05s"``); None for ``?``."""
    if text == "?":
        return None
    return sum(float(value) * UNITS[unit] for value, unit in re.findall(r"([0-9.]+)([hms])", text))


def measure(path: Path, log: Path | None = None) -> dict:
    """Run one case and compare its shown time left with the time actually left."""
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "COOLSIM_CACHE": str(Path(folder) / "cache"),
               "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
        start = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "solver.cli", "run", str(path), "--output",
             str(Path(folder) / "results")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, env=env)
        lines = [(time.monotonic() - start, line.rstrip("\n")) for line in process.stderr]
        code = process.wait()
    if log is not None:
        log.mkdir(parents=True, exist_ok=True)
        (log / f"{path.stem}.log").write_text(
            "".join(f"{t:8.2f} {line}\n" for t, line in lines))
    shown = [(t, match.group(1), parse_duration(match.group(2)))
             for t, line in lines if (match := LEFT.search(line))]
    if code != 0 or not shown:
        return {"benchmark": "progress_eta", "case": path.stem, "exit_code": code,
                "error": lines[-1][1] if lines else "no output"}
    first, end = shown[0][0], lines[-1][0]
    points = []
    for fraction in FRACTIONS:
        at = first + fraction * (end - first)
        t, kind, left = min(shown, key=lambda s: abs(s[0] - at))
        actual = end - t
        points.append({"fraction": fraction, "at_s": round(t - first, 1),
                       "shown_left": f"{kind}{'?' if left is None else left}",
                       "actual_left_s": round(actual, 1),
                       "shown_over_actual": (round(left / actual, 2)
                                             if left is not None and actual > 0 else None)})
    return {"benchmark": "progress_eta", "case": path.stem,
            "progress_seconds": round(end - first, 1), "wall_seconds": round(lines[-1][0], 1),
            "progress_lines": len(lines), "points": points,
            "load_average_1min_before": load_before,
            "load_average_1min_after": os.getloadavg()[0]}


def main(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    log = None
    if "--log" in argv:
        at = argv.index("--log")
        log = Path(argv[at + 1])
        argv = argv[:at] + argv[at + 2:]
    paths = [Path(a) for a in argv] or [ROOT / "cases" / "coldplate_channels.toml"]
    for path in paths:
        print(json.dumps(measure(path, log)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
