"""Grid study of example (a), cases/coldplate_channels.toml: R and pressure drop on three grids.

Physics: the 1 kW straight-channel copper plate with water at 1.5 L/min (see the case header).
R = (T_die_top - T_inlet) / Q and the static pressure drop dp are computed on three systematically
refined grids (:data:`GRIDS`); Richardson extrapolation and the observed order follow
Celik et al. (2008), "Procedure for estimation and reporting of uncertainty due to
discretization in CFD applications", J. Fluids Eng. 130(7), 078001: the observed order ``p``
solves ``p = |ln|e32/e21| + q(p)| / ln r21`` with ``q(p) = ln((r21^p - s)/(r32^p - s))``,
the extrapolated value is ``(r21^p phi1 - phi2)/(r21^p - 1)`` and the fine-grid convergence
index ``GCI = 1.25 |(phi1 - phi2)/phi1| / (r21^p - 1)``.

Grids. Grid lines snap to every body face, and the 84 channel and fin faces pin the y lines, so
scaling one spacing does not refine a channel (the old study's grids differed by 1.09x and 1.16x).
The three grids are chosen by cell counts in the channel bank instead (coarse = the case's own
grid):

=========  =================  ======  ===============  ============  =============  ========
grid       max_spacing x,y,z  growth  cells across     cells per     cells along    cells in
           [mm]                       channel / fin    0.7 mm pitch  32 mm channel  3 mm high
=========  =================  ======  ===============  ============  =============  ========
coarse     2, 0.1, 0.5        1.3     4 / 3            7             16             6
medium     1.4, 0.075, 0.36   1.2     6 / 4            10            24             9
fine       1, 0.05, 0.25      1.14    8 / 6            14            32             12
=========  =================  ======  ===============  ============  =============  ========

The y spacings are picked so a channel and its neighbouring fin have cells within the growth ratio
of each other (otherwise the grader adds cells); the growth ratio is lowered with ``ln g``
divided by about 1.4 per level, so the graded layers at the 0.05 mm TIM refine as well.

Refinement ratio. The controlling direction is across the 0.4 mm channels: the wall heat flux
into the fins and the wall shear are set by the gradients across the gap (the channels are 7.5x
taller than wide). The representative spacing used for the extrapolation is therefore the
across-channel one, ``h = pitch / cells per pitch`` (r21 = 14/10 = 1.40, r32 = 10/7 = 1.43); along
the channel the counts scale by the same ratios (32/24/16 includes the 2 mm strips next to the
die; 28/20/14 under it) and up the channel by 1.33 and 1.5. The JSON also gives the result with
Celik's 3D definition ``h = (V / N)^(1/3)`` over the whole domain, whose ratios are diluted by
regions the snapping fixes (the one-cell TIM, the plenums), as a check on that choice.

Run: ``.venv/bin/python benchmarks/coldplate_grid_study.py`` (``--dry-run`` prints the grids
only). Prints one JSON line per grid and one with the extrapolation.
Measured: not yet run with these grids (see git log).
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from solver.backend import CPU
from solver.case import load_case
from solver.simulation import build_grid, geometry_body, run

CASE = Path(__file__).resolve().parents[1] / "cases" / "coldplate_channels.toml"
MAX_ORDER = 20.0  # an observed order above this is reported as "no asymptotic range"
#: Channel bank of the case [m]: 42 channels 0.4 mm wide on a 0.7 mm pitch, x 4..36 mm,
#: y 2..31.1 mm, z 2.55..5.55 mm; cells across are counted in channel 21 (away from the die edges).
BANK = ((4e-3, 36e-3), (2e-3, 31.1e-3), (2.55e-3, 5.55e-3))
PITCH, CHANNEL_WIDTH = 0.7e-3, 0.4e-3
PROBE_CHANNEL = 21


@dataclass(frozen=True)
class GridLevel:
    """One grid of the study: per-axis ``max_spacing`` [m] and ``growth_ratio``."""

    name: str
    max_spacing: tuple[float, float, float]
    growth_ratio: float


GRIDS = (
    GridLevel("coarse", (2.0e-3, 0.1e-3, 0.5e-3), 1.3),
    GridLevel("medium", (1.4e-3, 0.075e-3, 0.36e-3), 1.2),
    GridLevel("fine", (1.0e-3, 0.05e-3, 0.25e-3), 1.14),
)


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
    return {"order": p, "extrapolated": extrapolated, "gci_fine": gci, "monotonic": s > 0,
            "ratios": [r21, r32]}


def _cells_between(faces: np.ndarray, lower: float, upper: float) -> int:
    """Number of cells of an axis between two grid lines [m]."""
    tol = 1e-9 * (faces[-1] - faces[0])
    return int(np.sum((faces > lower + tol) & (faces < upper - tol))) + 1


def level_case(level: GridLevel, flow_settings: dict | None = None):
    """The case with ``level``'s grid settings and no field or image output.

    ``flow_settings`` overrides ``[solver.flow]`` keys on every grid, e.g.
    ``{"pressure_rtol": 1e-4, "relaxation.velocity": 0.6}`` (they change the iteration path,
    not the converged steady solution).
    """
    case = load_case(CASE)
    flow = case.solver.flow
    for key, value in (flow_settings or {}).items():
        if key.startswith("relaxation."):
            relaxation = flow.relaxation.model_copy(update={key.split(".", 1)[1]: value})
            flow = flow.model_copy(update={"relaxation": relaxation})
        else:
            flow = flow.model_copy(update={key: value})
    case = case.model_copy(update={"solver": case.solver.model_copy(update={"flow": flow})})
    grid = case.grid.model_copy(update={
        "max_spacing": level.max_spacing, "growth_ratio": level.growth_ratio,
        "min_spacing": min(case.grid.min_spacing, *level.max_spacing)})
    out = case.output.model_copy(update={"write_images": False, "write_fields": False,
                                         "checkpoint": False})
    return case.model_copy(update={"grid": grid, "output": out,
                                   "name": f"coldplate_channels_{level.name}"})


def describe_grid(case) -> dict:
    """Cells, shape and the spacings of the grid ``case`` builds (no solve).

    ``h_pitch_m`` is the channel pitch over the cells per pitch; ``h_global_m`` is Celik's
    ``(V / N)^(1/3)`` over the domain [m].
    """
    bodies = [geometry_body(body, case.case_dir) for body in case.bodies]
    grid = build_grid(case, bodies, CPU)
    x, y, z = grid.faces
    y0 = BANK[1][0] + PROBE_CHANNEL * PITCH
    across_channel = _cells_between(y, y0, y0 + CHANNEL_WIDTH)
    across_fin = _cells_between(y, y0 + CHANNEL_WIDTH, y0 + PITCH)
    bank = [_cells_between(f, lo, hi) for f, (lo, hi) in zip(grid.faces, BANK, strict=True)]
    volume = math.prod(f[-1] - f[0] for f in grid.faces)
    return {"cells": grid.n_cells, "shape": list(grid.shape),
            "cells_across_channel": across_channel, "cells_across_fin": across_fin,
            "cells_per_pitch": across_channel + across_fin,
            "bank_cells_xyz": bank,
            "h_pitch_m": PITCH / (across_channel + across_fin),
            "h_global_m": (volume / grid.n_cells) ** (1.0 / 3.0),
            "min_spacing_m": float(min(np.diff(f).min() for f in (x, y, z)))}


def solve(level: GridLevel, output: Path, quiet: bool = True,
          flow_settings: dict | None = None) -> dict:
    """Run the case on ``level``'s grid; returns the grid description, R, dp, balances, seconds."""
    case = level_case(level, flow_settings)
    entry = {"grid": level.name, "max_spacing_m": list(level.max_spacing),
             "growth_ratio": level.growth_ratio,
             "flow_settings": flow_settings or {}, **describe_grid(case)}
    start = time.perf_counter()
    summary = run(case, backend="cpu", output=output, quiet=quiet)
    seconds = time.perf_counter() - start
    if summary["grid"]["cells"] != entry["cells"]:
        raise RuntimeError(f"run built {summary['grid']['cells']} cells, expected {entry['cells']}")
    flow = summary["flow"]
    return {**entry,
            "thermal_resistance_K_per_W": flow["thermal_resistance_K_per_W"],
            "pressure_drop_Pa": flow["pressure_drop_Pa"],
            "peak_temperature_C": flow["peak_temperature_C"],
            "outlet_temperature_rise_K": flow["outlet_temperature_rise_K"],
            "energy_balance": flow["energy_balance_relative_error"],
            "mass_balance": flow["mass_balance_relative_error"],
            "continuity_residual": flow.get("continuity_residual"),
            "converged": summary.get("solver", {}).get("converged"),
            "flow_iterations": flow["flow_iterations"], "passes": flow["passes"],
            "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true",
                        help="print the three grids (cells, spacings) without solving")
    parser.add_argument("--progress", action="store_true",
                        help="print the solver's progress to stderr")
    parser.add_argument("--flow", nargs="*", default=[], metavar="KEY=VALUE",
                        help="[solver.flow] overrides on every grid, e.g. pressure_rtol=1e-4 "
                             "relaxation.velocity=0.6")
    parser.add_argument("--grids", nargs="+", choices=[g.name for g in GRIDS],
                        default=[g.name for g in GRIDS],
                        help="solve only these grids (the extrapolation needs all three)")
    args = parser.parse_args()
    if args.dry_run:
        for level in GRIDS:
            print(json.dumps({"benchmark": "coldplate_grid_study", "grid": level.name,
                              **describe_grid(level_case(level))}), flush=True)
        return
    flow_settings = {}
    for item in args.flow:
        key, _, value = item.partition("=")
        try:
            flow_settings[key] = json.loads(value)
        except json.JSONDecodeError:
            flow_settings[key] = value
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for level in (g for g in GRIDS if g.name in args.grids):
            entry = solve(level, Path(folder), quiet=not args.progress,
                          flow_settings=flow_settings)
            results.append(entry)
            print(json.dumps({"benchmark": "coldplate_grid_study", **entry}), flush=True)
    if len(results) < 3:
        return
    fine_first = results[::-1]
    h_pitch = [r["h_pitch_m"] for r in fine_first]
    h_global = [r["h_global_m"] for r in fine_first]
    study = {"benchmark": "coldplate_grid_study", "case": CASE.name,
             "refinement_spacing": "h_pitch_m (across the channels)",
             "h_pitch_m": h_pitch, "h_global_m": h_global,
             "cells": [r["cells"] for r in fine_first]}
    for key in ("thermal_resistance_K_per_W", "pressure_drop_Pa"):
        values = [r[key] for r in fine_first]
        study[key] = {"values_fine_to_coarse": values, **observed_order(values, h_pitch),
                      "with_h_global": observed_order(values, h_global)}
    print(json.dumps(study), flush=True)


if __name__ == "__main__":
    main()
