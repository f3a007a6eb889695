"""Grid study of example (a), cases/coldplate_channels.toml: R and pressure drop on three grids.

Physics: the 1 kW straight-channel copper plate with water at 1.5 L/min (see the case header).
R = (T_die_top - T_inlet) / Q and the static pressure drop dp are computed on three systematically
refined grids (:data:`GRID_SETS`); Richardson extrapolation and the observed order follow
Celik et al. (2008), "Procedure for estimation and reporting of uncertainty due to
discretization in CFD applications", J. Fluids Eng. 130(7), 078001: the observed order ``p``
solves ``p = |ln|e32/e21| + q(p)| / ln r21`` with ``q(p) = ln((r21^p - s)/(r32^p - s))``,
the extrapolated value is ``(r21^p phi1 - phi2)/(r21^p - 1)`` and the fine-grid convergence
index ``GCI = 1.25 |(phi1 - phi2)/phi1| / (r21^p - 1)``. The same with the scheme's formal order
p = 2 is given too (``with_formal_order``), the usual choice when the observed order exceeds it.

Grids. Grid lines snap to every body face, and the 84 channel and fin faces pin the y lines, so
scaling one spacing barely refines a channel (an earlier study's grids differed by 1.09x and
1.16x). The grids are therefore chosen by cell counts (x counted under the die, 6..34 mm; z over
the 3 mm channel height; growth ratio lowered with ``ln g`` scaled like the spacing, so graded
layers refine too; y spacing chosen so channel and fin cells stay within the growth ratio):

=======  =====  ==================  ======  ===========  =====  ========  ====  =========
set      grid   max_spacing x,y,z   growth  across       per    x under   z in  cells
                [mm]                        channel/fin  pitch  the die   3 mm
=======  =====  ==================  ======  ===========  =====  ========  ====  =========
coarse   3      4.67, 0.3, 1.0      1.85    2 / 1        3      7         3     27,495
coarse   2      2.9, 0.15, 0.7      1.44    3 / 2        5      10        5     79,296
coarse   1      2, 0.1, 0.5 (case)  1.3     4 / 3        7      14        6     161,760
refined  3      2, 0.1, 0.5 (case)  1.3     4 / 3        7      14        6     161,760
refined  2      1.4, 0.075, 0.36    1.2     6 / 4        10     21        9     480,810
refined  1      1, 0.05, 0.25       1.14    8 / 6        14     28        12    1,032,720
ends     3      as refined 3        1.3     4 / 3        7      14        6     396,312
ends     2      as refined 2        1.2     6 / 4        10     21        9     917,910
ends     1      as refined 1        1.14    8 / 6        14     28        12    2,117,076
=======  =====  ==================  ======  ===========  =====  ========  ====  =========

The "ends" set is the refined set with x cells of at most 0.4 / 0.28 / 0.2 mm within 1 mm of
each end of the channels (``[[grid.refine]]`` boxes x 3-5 and 35-37 mm), where the contraction
into the channels, the expansion out of them and the jets into the outlet plenum are decided
(49 / 63 / 82 x cells against 20 / 33 / 40).

Refinement ratio. The controlling direction is across the 0.4 mm channels: the heat flux into the
fins and the wall shear are set by the gradients across the gap (the channels are 7.5x taller
than wide), so the spacing used for the extrapolation is ``h_pitch = 0.7 mm / cells per pitch``
(coarse set r21 = 7/5 = 1.40, r32 = 5/3 = 1.67; along x 1.40, 1.43; up the channel 1.2, 1.67).
The JSON also gives the results with ``h_bank = (V/N)^(1/3)`` over the channel bank (x 4..36,
y 2..31.1, z 2.55..5.55 mm; all three directions where the flow is) and Celik's
``h = (V/N)^(1/3)`` over the whole domain, whose ratios are diluted by regions the snapping
fixes (the one-cell TIM, the 2 mm strips beside the die). Snapping makes every ratio approximate.

Measured (2 cores shared with other runs, NumPy; ``--set coarse``, the default): grids 3/2/1 in
32 / 30 / 52 s, all converged (4 flow-energy passes, 114 / 131 / 161 flow iterations, energy
balance <= 2e-6, mass 2e-10):

- R = 0.04185 / 0.03702 / 0.03601 K/W: monotone, observed order 2.61 (h_bank 3.05, global h
  3.82), extrapolated 0.03529 K/W (0.03524, 0.03533), fine-grid GCI 2.5 % (2.7 %, 2.4 %);
  with p = 2: 0.03496 K/W, GCI 3.6 %.
- dp = 674 / 817 / 879 Pa: monotone, observed order 0.98 (1.09, 1.48), extrapolated 1036 Pa
  (1054, 1025), fine-grid GCI 22 % (25 %, 21 %); with p = 2: 943 Pa, GCI 9 % (not
  conservative at the observed first order).

Both orders are in 0.5..4 and the extrapolations agree across the three spacing definitions,
but this is not a demonstration of the asymptotic range: the coarsest grid has 2 cells across a
channel, 1 across a fin and 3 up the channel, R's order is above the scheme's formal 2 (error
cancellation, or pre-asymptotic), and dp converges at first order, so its GCI is large. What
the study supports: R on the case grid (0.0360 K/W) is about 2-3 % above the grid-independent
value (0.0350-0.0353 K/W), and dp (879 Pa) is 7-17 % below it (0.94-1.05 kPa; still far under
the 20 kPa limit).

The meaningful set, ``--set refined`` (4 / 6 / 8 cells per channel), in the time-averaged mode:
``--set refined --flow mode=time_averaged time.cfl=4 time.start_up=1 time.later_start_up=0.5
time.min_average=2 time.max_flow_through_times=6`` (2026-12-07, 2 cores, load 1-2 with short
runs beside it; 85 s, 7 min and 18 min; every grid 3 flow-energy passes, converged, energy
balance 2e-8, mass 1e-9 or less):

- R = 0.036014 / 0.035719 / 0.035595 K/W: monotone, observed order 2.32 (h_bank 1.59, global h
  1.63), extrapolated 0.03549 K/W (0.03538, 0.03535), fine-grid GCI 0.37 % (0.74 %, 0.84 %); with
  p = 2: 0.03547 K/W, GCI 0.45 %. In the asymptotic range: the order is near the scheme's 2 and
  the three spacing definitions agree. R on the case grid is 1.5 % above the extrapolated value.
- dp = 878.7 / 917.1 / 946.2 Pa: monotone, observed order 0.63 (h_bank 0.14, global h 0.38),
  extrapolated 1068 Pa, fine-grid GCI 16 % (92 %, 38 %); with p = 2: 976 Pa, GCI 4.0 % (not
  conservative at the observed order). Not in the asymptotic range: dp still grows by about 30
  Pa per refinement. The refinement is across the channels; along x the channel ends keep cells
  of 2 / 1.4 / 1 mm (the x lines snap to the fin ends at 4 and 36 mm and grow from there), 2.5-5
  channel widths, where the losses of the contraction into the channels, the expansion out of
  them and the developing entrance flow are decided. A probe of that: the case grid with x cells
  of 0.25 mm from 3 to 5 mm and from 35 to 37 mm (``[[grid.refine]]`` boxes; 436,752 cells,
  steady, ``benchmarks/coldplate_examples.py``, 10 min: 8 flow-energy passes, the case's cap,
  so not certified converged) gives dp 901.7 Pa against 878.7 Pa and R 0.035843 against
  0.036014 K/W: the channel ends alone seemed to move dp by 23 Pa. The "ends" set refutes
  that (below): the steady iteration does not settle on that grid (rerun after outlet backflow
  was treated: pass 1 wanders at continuity 0.09-0.2, dp 1003-1010 Pa over iterations 228-373,
  where the time average of the ends set's coarse grid gives 1005 Pa), so the probe's 901.7 Pa
  was where the wandering iteration stopped (``docs/flow_methods.md``: the outlet plenum's
  states).

The "ends" set, the channel ends refined with the rest (``--set ends --flow
mode=time_averaged time.cfl=10 time.start_up=1 time.later_start_up=0.5 time.min_average=0.5
time.max_flow_through_times=3``, 2026-12-07, load 2-4 with other runs; coarse 3.2 min, medium
34 min; 3 flow-energy passes each, energy balance 5e-8 / 2e-8, mass 6e-11 / 7e-11):
dp = 868.0 / 916.0 Pa, R = 0.035932 / 0.035695 K/W on 396,312 / 917,910 cells. Against the
refined set's grids of the same cross-channel spacing the channel ends move dp by -10.7 Pa
(-1.2 %) and -1.1 Pa (-0.12 %), R by -0.23 % and -0.07 %: the x cells at the channel ends are
not what keeps dp from the asymptotic range (the step from 4 to 6 cells per channel grows to
48 Pa); dp still changes with the spacing across and up the channels (the sharp fin ends'
corners, where the contraction and expansion losses form, are the likeliest low-order source).
The fine grid (2,117,076 cells) was not finished in that session.

With the quadratic wall gradient (``--set refined --flow mode=time_averaged time.cfl=4
time.start_up=1 time.later_start_up=0.5 time.min_average=2 time.max_flow_through_times=6
wall_gradient=quadratic``, 2026-12-07, load 3-4 beside other runs; 2.6 min, 28 min, 46 min;
every grid 3 passes, converged, energy balance <= 4e-8, mass <= 6e-10): the friction error of
the first-order wall is most of what kept dp from converging (``docs/coldplate.md``, wall
shear).

- dp = 963.8 / 972.8 / 985.3 Pa: monotone, observed order 1.22 (h_bank 2.85, global h 3.64),
  extrapolated 1010 Pa, fine-grid GCI 3.1 % (1.2 %, 1.0 %); with p = 2: 998 Pa, GCI 1.7 %.
- R = 0.036308 / 0.036002 / 0.035823 K/W: monotone, observed order 1.37 (h_bank 0.65, global
  h 0.58), extrapolated 0.035519 K/W, fine-grid GCI 1.06 % (3.0 %, 3.9 %); with p = 2:
  0.035637 K/W, GCI 0.65 %.

Both aims of issue 10 (GCI under 3 % on R and 5 % on dp) are met on the spacing across the
channels; R extrapolates to the linear wall's value (0.035519 against 0.03549 K/W), dp to
1.00-1.01 kPa, between the linear wall's extrapolations (0.98-1.07 kPa). The orders are below
2 and dp's steps grow (8.9 then 12.6 Pa) although the ratio falls: near, not clearly in, the
asymptotic range. At the inlet's viscosity throughout (``--passes 1``, steady) the quadratic
wall's dp is 1106.8 / 1144.1 / 1173.8 Pa (order 0.48, GCI 18 %; linear wall 1012.8 / 1083.9 /
1130.8 Pa): part of the heated case's convergence is cancellation with the viscosity's
dependence on the near-wall temperature; ``benchmarks/channel_pressure_budget.py`` finds the
developed friction converging as a duct of the channels' cross-section does (the 3 mm height
on 6 / 9 / 12 cells as coarse as the 4 / 6 / 8 across) and the inlet side not yet asymptotic.
The case's own grid gives R 2.2 % above and dp 4.6 % below these values with the quadratic
wall (the default since 2026-12-07), R 1.4 % above and dp 13 % below with the linear one.

The steady iteration does not settle on the finer grids (on the 480,810-cell grid: pass 1 at the
inlet viscosity converges, later passes' continuity residual stalls near 7e-3 and grows, with
jets and wakes at the fin ends in the outlet plenum; first-order upwind converges), while the
time-accurate run at Courant number 4 settles to a steady state: the pressure drop's rms
fluctuation is 6.6e-7 / 7.6e-5 / 5.2e-5 Pa over the averaging (95 % half widths 4.8e-7 / 5.7e-5 /
3.9e-5 Pa). A time step of 2.5 ms (Courant 4, 37 steps per flow-through time of 0.092 s) could
step over vortex shedding at the 0.3 mm fin ends, so the 480,810-cell grid was also run hotter
and with smaller steps (a copy of the case with water entering at 50 C, the viscosity of the hot
passes everywhere, one pass, ``benchmarks/time_averaged.py --time-only --passes 1 --start-up 0.5
--min-average 0.5 --max-flow-through-times 1.5``, load 1.8-2.1): Courant 4 / 1 / 0.5 (36 / 141
/ 282 steps, 17 / 7.8 / 5.7 SIMPLEC iterations each) give dp 792.790 / 792.801 / 792.798 Pa
(within 1.4e-5), R 0.0358293 / 0.0358291 / 0.0358291 K/W and an rms fluctuation of 0.25 /
0.22 / 0.22 Pa (3e-4 of dp, a start-up drift: batch lag-1 correlation 0.6) that does not grow
when steps 8x shorter (0.33 ms) resolve a shedding period (about 3 ms for a Strouhal number
of 0.2 at 0.5 m/s past 0.3 mm). So on these grids the flow sheds no vortices; over longer times
the outlet plenum's merging jets can still move between nearly steady states (the multigrid
iteration, once outlet backflow was treated, settles at 804.7 Pa on this 50 C grid, a state a
time-accurate run then keeps; ``docs/flow_methods.md``), which is what the steady iteration
wanders between. On
the case grid the time-averaged run gives the steady run's state (dp +7.8e-5, R +8e-6
relative). The refined fine grid took 18 min (3,220 SIMPLEC iterations over 3 passes of 2.5-3
flow-through times each).

Run: ``.venv/bin/python benchmarks/coldplate_grid_study.py [--set coarse|refined|ends]``
(``--dry-run`` prints the grids only, ``--progress`` shows the solver's progress and the run
summaries on stderr, stdout keeps the JSON lines; ``--grids medium`` solves one
grid; ``--inlet-temperature 50 --passes 1`` runs the flow at one uniform viscosity, as
``docs/flow_methods.md``'s backflow probe does; ``--flow wall_gradient=quadratic`` the quadratic
wall gradient).
Prints one JSON line per grid and one with the extrapolation. About 2 minutes on 2 cores (the
coarse set); the refined set in the time-averaged mode about 26 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from solver.backend import CPU
from solver.case import load_case
from solver.case.sections import RefineRegion
from solver.pipeline import run
from solver.setup import build_grid, geometry_body

CASE = Path(__file__).resolve().parents[1] / "cases" / "coldplate_channels.toml"
MAX_ORDER = 20.0  # an observed order above this is reported as "no asymptotic range"
#: Channel bank of the case [m]: 42 channels 0.4 mm wide on a 0.7 mm pitch, x 4..36 mm,
#: y 2..31.1 mm, z 2.55..5.55 mm; cells across are counted in channel 21 (away from the die edges).
BANK = ((4e-3, 36e-3), (2e-3, 31.1e-3), (2.55e-3, 5.55e-3))
PITCH, CHANNEL_WIDTH = 0.7e-3, 0.4e-3
PROBE_CHANNEL = 21


@dataclass(frozen=True)
class GridLevel:
    """One grid of the study: per-axis ``max_spacing`` [m] and ``growth_ratio``; ``end_spacing``
    [m], when given, is the largest x spacing within 1 mm of each end of the channels."""

    name: str
    max_spacing: tuple[float, float, float]
    growth_ratio: float
    end_spacing: float | None = None

    def refine_boxes(self) -> list[dict]:
        """``[[grid.refine]]`` boxes at the channel ends (x 3-5 mm and 35-37 mm), [m]."""
        if self.end_spacing is None:
            return []
        (x0, x1), _, _ = BANK
        spacing = (self.end_spacing, *self.max_spacing[1:])
        return [{"min": (x - 1e-3, 0.0, 0.0), "max": (x + 1e-3, 33.1e-3, 6.55e-3),
                 "max_spacing": spacing} for x in (x0, x1)]


#: Grid sets, coarse to fine. "refined": 4 / 6 / 8 cells across a channel (7 / 10 / 14 per pitch),
#: the case's grid being the coarsest; "coarse": 2 / 3 / 4 (3 / 5 / 7 per pitch), the case's grid
#: being the finest.
GRID_SETS = {
    "refined": (
        GridLevel("coarse", (2.0e-3, 0.1e-3, 0.5e-3), 1.3),
        GridLevel("medium", (1.4e-3, 0.075e-3, 0.36e-3), 1.2),
        GridLevel("fine", (1.0e-3, 0.05e-3, 0.25e-3), 1.14),
    ),
    "ends": (
        GridLevel("coarse", (2.0e-3, 0.1e-3, 0.5e-3), 1.3, 0.4e-3),
        GridLevel("medium", (1.4e-3, 0.075e-3, 0.36e-3), 1.2, 0.28e-3),
        GridLevel("fine", (1.0e-3, 0.05e-3, 0.25e-3), 1.14, 0.2e-3),
    ),
    "coarse": (
        GridLevel("coarse", (28e-3 / 6, 0.3e-3, 1.0e-3), 1.85),
        GridLevel("medium", (2.9e-3, 0.15e-3, 0.7e-3), 1.44),
        GridLevel("fine", (2.0e-3, 0.1e-3, 0.5e-3), 1.3),
    ),
}


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


def fixed_order(phi, h, order: float = 2.0) -> dict:
    """Richardson extrapolation and fine-grid GCI with a given order (fine grid first)."""
    (phi1, phi2, _), (h1, h2, _) = phi, h
    factor = (h2 / h1) ** order
    return {"order": order, "extrapolated": (factor * phi1 - phi2) / (factor - 1.0),
            "gci_fine": 1.25 * abs((phi1 - phi2) / phi1) / (factor - 1.0)}


def _cells_between(faces: np.ndarray, lower: float, upper: float) -> int:
    """Number of cells of an axis between two grid lines [m]."""
    tol = 1e-9 * (faces[-1] - faces[0])
    return int(np.sum((faces > lower + tol) & (faces < upper - tol))) + 1


def level_case(level: GridLevel, flow_settings: dict | None = None,
               inlet_temperature: float | None = None, passes: int | None = None):
    """The case with ``level``'s grid settings and no field or image output.

    ``flow_settings`` overrides ``[solver.flow]`` keys on every grid, e.g.
    ``{"pressure_rtol": 1e-4, "relaxation.velocity": 0.6}`` (they change the iteration path,
    not the converged steady solution), or ``{"mode": "time_averaged", "time.cfl": 2}`` (the
    time average, for grids whose steady iteration does not converge). ``inlet_temperature``
    [K] replaces the inlet's; ``passes`` caps the flow-energy passes (``[solver.nonlinear]
    max_iterations``; 1: the flow at the inlet temperature's viscosity only).
    """
    case = load_case(CASE)
    if inlet_temperature is not None:
        case = case.model_copy(update={"boundaries": [
            b.model_copy(update={"temperature": inlet_temperature}) if b.type == "inlet" else b
            for b in case.boundaries]})
    if passes is not None:
        nonlinear = case.solver.nonlinear.model_copy(update={"max_iterations": passes})
        case = case.model_copy(update={
            "solver": case.solver.model_copy(update={"nonlinear": nonlinear})})
    flow = case.solver.flow
    for key, value in (flow_settings or {}).items():
        if "." in key:  # a key of a sub-section: relaxation., tolerances., monitors., time.
            section, name = key.split(".", 1)
            part = getattr(flow, section).model_copy(update={name: value})
            flow = flow.model_copy(update={section: part})
        else:
            flow = flow.model_copy(update={key: value})
    case = case.model_copy(update={"solver": case.solver.model_copy(update={"flow": flow})})
    refine = [RefineRegion(**box) for box in level.refine_boxes()]
    grid = case.grid.model_copy(update={
        "max_spacing": level.max_spacing, "growth_ratio": level.growth_ratio,
        "min_spacing": min(case.grid.min_spacing, *level.max_spacing),
        "refine": [*case.grid.refine, *refine]})
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
    bank_volume = math.prod(hi - lo for lo, hi in BANK)
    return {"cells": grid.n_cells, "shape": list(grid.shape),
            "cells_across_channel": across_channel, "cells_across_fin": across_fin,
            "cells_per_pitch": across_channel + across_fin,
            "bank_cells_xyz": bank,
            "h_pitch_m": PITCH / (across_channel + across_fin),
            "h_bank_m": (bank_volume / math.prod(bank)) ** (1.0 / 3.0),
            "h_global_m": (volume / grid.n_cells) ** (1.0 / 3.0),
            "min_spacing_m": float(min(np.diff(f).min() for f in (x, y, z)))}


def solve(level: GridLevel, output: Path, quiet: bool = True,
          flow_settings: dict | None = None, **changes) -> dict:
    """Run the case on ``level``'s grid (``changes``: :func:`level_case`'s inlet temperature
    and passes); returns the grid description, R, dp, balances, seconds."""
    case = level_case(level, flow_settings, **changes)
    entry = {"grid": level.name, "max_spacing_m": list(level.max_spacing),
             "growth_ratio": level.growth_ratio, "end_spacing_m": level.end_spacing,
             "flow_settings": flow_settings or {},
             "inlet_temperature_K": changes.get("inlet_temperature"),
             "pass_cap": changes.get("passes"), **describe_grid(case)}
    start = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):  # stdout holds the JSON lines alone
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
    parser.add_argument("--set", choices=sorted(GRID_SETS), default="coarse",
                        help="grid set (see GRID_SETS)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the three grids (cells, spacings) without solving")
    parser.add_argument("--progress", action="store_true",
                        help="print the solver's progress to stderr")
    parser.add_argument("--flow", nargs="*", default=[], metavar="KEY=VALUE",
                        help="[solver.flow] overrides on every grid, e.g. pressure_rtol=1e-4 "
                             "relaxation.velocity=0.6, or mode=time_averaged time.cfl=2")
    parser.add_argument("--inlet-temperature", type=float, default=None, metavar="C",
                        help="inlet temperature [C] instead of the case's 30 C")
    parser.add_argument("--passes", type=int, default=None,
                        help="cap on the flow-energy passes (1: the inlet viscosity only)")
    parser.add_argument("--grids", nargs="+", choices=["coarse", "medium", "fine"],
                        default=["coarse", "medium", "fine"],
                        help="solve only these grids (the extrapolation needs all three)")
    args = parser.parse_args()
    grids = GRID_SETS[args.set]
    if args.dry_run:
        for level in grids:
            print(json.dumps({"benchmark": "coldplate_grid_study", "set": args.set,
                              "grid": level.name,
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
        for level in (g for g in grids if g.name in args.grids):
            entry = solve(level, Path(folder), quiet=not args.progress,
                          flow_settings=flow_settings, passes=args.passes,
                          inlet_temperature=None if args.inlet_temperature is None
                          else args.inlet_temperature + 273.15)
            results.append(entry)
            print(json.dumps({"benchmark": "coldplate_grid_study", "set": args.set, **entry}),
                  flush=True)
    if len(results) < 3:
        return
    fine_first = results[::-1]
    h_pitch = [r["h_pitch_m"] for r in fine_first]
    h_bank = [r["h_bank_m"] for r in fine_first]
    h_global = [r["h_global_m"] for r in fine_first]
    study = {"benchmark": "coldplate_grid_study", "set": args.set, "case": CASE.name,
             "refinement_spacing": "h_pitch_m (across the channels)",
             "h_pitch_m": h_pitch, "h_bank_m": h_bank, "h_global_m": h_global,
             "cells": [r["cells"] for r in fine_first]}
    for key in ("thermal_resistance_K_per_W", "pressure_drop_Pa"):
        values = [r[key] for r in fine_first]
        study[key] = {"values_fine_to_coarse": values, **observed_order(values, h_pitch),
                      "with_formal_order": fixed_order(values, h_pitch),
                      "with_h_bank": observed_order(values, h_bank),
                      "with_h_global": observed_order(values, h_global)}
    print(json.dumps(study), flush=True)


if __name__ == "__main__":
    main()
