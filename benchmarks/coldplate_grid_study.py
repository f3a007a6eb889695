"""Grid study of example (a), cases/coldplate_channels.toml: R and pressure drop on three grids.

Physics: the 1 kW straight-channel copper plate with water at 1.5 L/min (see the case header).
The case's per-axis ``[grid] max_spacing`` (x, y, z) is divided by each of three factors
(default 1, 1.5, 2.25: refinement ratio 1.5; grid lines still snap to every body face, so the
ratio is only roughly constant); the representative spacing of a grid is ``h = (V / N)^(1/3)``.
Richardson extrapolation and the observed order follow
Celik et al. (2008), "Procedure for estimation and reporting of uncertainty due to
discretization in CFD applications", J. Fluids Eng. 130(7), 078001: the observed order ``p``
solves ``p = |ln|e32/e21| + q(p)| / ln r21`` with ``q(p) = ln((r21^p - s)/(r32^p - s))``,
the extrapolated value is ``(r21^p phi1 - phi2)/(r21^p - 1)`` and the fine-grid convergence
index ``GCI = 1.25 |(phi1 - phi2)/phi1| / (r21^p - 1)``.

Run: ``.venv/bin/python benchmarks/coldplate_grid_study.py [--factors 1 1.5 2.25]``.
Prints one JSON line per grid and one with the extrapolation. Expected runtime: tens of minutes
on 2 cores (the finest grid dominates; see the case header for the default grid's time).
Measured (2 cores, load ~2-3, --factors 0.5 0.7071 1): 72,450 / 126,293 / 161,760 cells in
66 s / ~100 s / ~60 s; R 0.03694 / 0.03650 / 0.03601 K/W (monotone, but the fine-grid change is
larger than the coarse one: no asymptotic range, reported as such); dp 813 / 862 / 879 Pa,
observed order 1.82, extrapolated 983 Pa, fine-grid GCI 15%. The y lines are pinned by the 84
channel and fin faces, so h = (V/N)^(1/3) changes only 1.09x and 1.16x between these grids; a
meaningful study needs finer grids across the channels (a GPU-sized run).
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

from solver.case import load_case, spacing_per_axis
from solver.simulation import run

CASE = Path(__file__).resolve().parents[1] / "cases" / "coldplate_channels.toml"
MAX_ORDER = 20.0  # an observed order above this is reported as "no asymptotic range"


def observed_order(phi, h) -> dict:
    """Celik et al. (2008) observed order, extrapolated value and GCI (fine grid first).

    Parameters
    ----------
    phi : (phi1, phi2, phi3)
        The quantity on the fine, medium and coarse grids.
    h : (h1, h2, h3)
        Representative spacings [m], h1 < h2 < h3.
    """
    (phi1, phi2, phi3), (h1, h2, h3) = phi, h
    r21, r32 = h2 / h1, h3 / h2
    e21, e32 = phi2 - phi1, phi3 - phi2
    if e21 == 0 or e32 == 0:
        return {"order": None, "extrapolated": phi1, "gci_fine": 0.0, "monotonic": None}
    s = math.copysign(1.0, e32 / e21)
    p = 2.0
    # fixed-point iteration of the order equation (non-uniform refinement ratio); an order that
    # runs away (the fine-grid change larger than the coarse one) means no asymptotic range
    for _ in range(100):
        q = math.log((r21**p - s) / (r32**p - s))
        p_new = abs(math.log(abs(e32 / e21)) + q) / math.log(r21)
        if p_new > MAX_ORDER:
            return {"order": None, "extrapolated": None, "gci_fine": None, "monotonic": s > 0,
                    "note": "not in the asymptotic range: the observed order diverges"}
        if abs(p_new - p) < 1e-10:
            p = p_new
            break
        p = p_new
    extrapolated = (r21**p * phi1 - phi2) / (r21**p - 1.0)
    gci = 1.25 * abs((phi1 - phi2) / phi1) / (r21**p - 1.0)
    return {"order": p, "extrapolated": extrapolated, "gci_fine": gci, "monotonic": s > 0}


def solve(factor: float, output: Path) -> dict:
    """Run the case with its per-axis ``max_spacing`` divided by ``factor``.

    Returns cells, spacing, R, dp, balances and seconds.
    """
    case = load_case(CASE)
    spacing = tuple(s / factor for s in spacing_per_axis(case.grid.max_spacing))
    refine = [box.model_copy(update={"max_spacing": tuple(
        s / factor for s in spacing_per_axis(box.max_spacing))}) for box in case.grid.refine]
    grid = case.grid.model_copy(update={"max_spacing": spacing, "refine": refine,
                                        "min_spacing": min(case.grid.min_spacing, *spacing)})
    out = case.output.model_copy(update={"write_images": False, "write_fields": False,
                                         "checkpoint": False})
    case = case.model_copy(update={"grid": grid, "output": out,
                                   "name": f"coldplate_channels_f{factor:g}"})
    start = time.perf_counter()
    summary = run(case, backend="cpu", output=output, quiet=True)
    seconds = time.perf_counter() - start
    cells = summary["grid"]["cells"]
    volume = math.prod(hi - lo for lo, hi in summary["grid"]["bounds_m"])
    flow = summary["flow"]
    return {"factor": factor, "max_spacing_m": list(spacing), "cells": cells, "volume_m3": volume,
            "thermal_resistance_K_per_W": flow["thermal_resistance_K_per_W"],
            "pressure_drop_Pa": flow["pressure_drop_Pa"],
            "peak_temperature_C": flow["peak_temperature_C"],
            "outlet_temperature_rise_K": flow["outlet_temperature_rise_K"],
            "energy_balance": flow["energy_balance_relative_error"],
            "mass_balance": flow["mass_balance_relative_error"],
            "flow_iterations": flow["flow_iterations"], "passes": flow["passes"],
            "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", nargs=3, type=float, default=[1.0, 1.5, 2.25],
                        help="three refinement factors of the case's max_spacing, coarse to fine")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for factor in sorted(args.factors):
            entry = solve(factor, Path(folder))
            results.append(entry)
            print(json.dumps({"benchmark": "coldplate_grid_study", **entry}), flush=True)
    volume = results[0]["volume_m3"]
    fine_first = results[::-1]
    h = [(volume / r["cells"]) ** (1.0 / 3.0) for r in fine_first]
    study = {"benchmark": "coldplate_grid_study", "case": CASE.name, "h_m": h,
             "cells": [r["cells"] for r in fine_first]}
    for key in ("thermal_resistance_K_per_W", "pressure_drop_Pa"):
        study[key] = {"values_fine_to_coarse": [r[key] for r in fine_first],
                      **observed_order([r[key] for r in fine_first], h)}
    print(json.dumps(study), flush=True)


if __name__ == "__main__":
    main()
