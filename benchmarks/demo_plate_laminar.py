"""The rack demo plate's pressure drop against a laminar duct estimate (issue 13).

Plate: ``cases/rack_gpu_plate.toml``, 47 straight channels 0.5 mm wide, 4 mm tall and 26 mm long
(0.25 mm copper fins) between a 4 mm inlet plenum and a 4 mm outlet plenum 35 mm wide and 4 mm
tall; 1.5 L/min of PG25 entering the inlet plenum's face at 35 C.

Estimate, with PG25's properties at the inlet temperature held constant:

- channels, fully developed: ``dp = (f Re) mu u L / (2 D_h^2)``, Darcy ``f Re`` of a rectangular
  duct of aspect 0.5/4 = 0.125 from Shah & London (1978), eq. (341)
  (:func:`solver.network.friction.rectangular_duct_friction_reynolds`);
- developing flow at the channel entrance: ``K(inf) rho u^2 / 2`` with Shah & London's
  incremental pressure drop ``K(inf)`` between 0.69 (parallel plates) and 1.43 (square duct),
  the range that brackets aspect 0.125;
- sudden contraction into and expansion out of the channel bank (open-area ratio ``sigma`` of the
  channels to the plenum cross-section): ``K_c = (1/C_c - 1)^2`` with Weisbach's contraction
  coefficient ``C_c = 0.62 + 0.38 sigma^3``, and ``K_e = (1 - sigma)^2`` (Borda-Carnot), both on
  the channel velocity head (turbulent-flow coefficients; at Re of about 150 they are indicative
  only, and their sum is a small share of the total).

Model runs (2 CPU cores, NumPy):

- the plate with a constant-property coolant (PG25 at 35 C; one flow pass), static dp;
- a straight 0.5 x 4 mm duct on the plate's cross-section cells (4 x 4, 0.125 x 1 mm), whose
  developed ``f Re`` against Shah & London's gives the discretization deficit of 4 cells across
  (and the estimate redone with it: what the plate should give if plenums, entrance and split
  are modelled as the estimate assumes);
- with ``--full``, the case as it is (properties following the temperature; 4 flow-energy passes).

Run: ``.venv/bin/python benchmarks/demo_plate_laminar.py [--full]``. Prints one JSON line.
About 15 s (45 s with ``--full``) on a quiet 2-core machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
import tomllib
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small BLAS calls: threads only add spin-waits

import numpy as np  # noqa: E402

from solver.boundaries import Inlet, Outlet, Patch  # noqa: E402
from solver.case import case_from_dict  # noqa: E402
from solver.grid import Grid  # noqa: E402
from solver.materials import get_coolant  # noqa: E402
from solver.models.flow import FlowSettings, FlowSolver  # noqa: E402
from solver.network.friction import rectangular_duct_friction_reynolds  # noqa: E402
from solver.pipeline import run  # noqa: E402
from solver.units import LPM, ZERO_CELSIUS  # noqa: E402

CASE = Path(__file__).resolve().parents[1] / "cases" / "rack_gpu_plate.toml"
FLOW = 1.5 / LPM  # [m3/s]
INLET = ZERO_CELSIUS + 35.0  # [K]
CHANNELS, WIDTH, HEIGHT, LENGTH = 47, 0.5e-3, 4e-3, 26e-3  # [-], [m], [m], [m]
PLENUM_WIDTH = 35e-3  # [m] across the channel bank (y 2.5..37.5 mm), as tall as the channels
ENTRANCE_EXCESS = (0.69, 1.43)  # [-] K(inf): parallel plates .. square duct (Shah & London)


def laminar_estimate(density: float, viscosity: float, friction: float | None = None) -> dict:
    """The plate's static pressure drop [Pa] from the laminar duct estimate of the module
    docstring, with its parts, at ``density`` [kg/m3] and ``viscosity`` [Pa s]; ``friction``:
    the channels' Darcy f Re (default Shah & London's)."""
    area = CHANNELS * WIDTH * HEIGHT
    velocity = FLOW / area
    diameter = 2 * WIDTH * HEIGHT / (WIDTH + HEIGHT)
    if friction is None:
        friction = float(rectangular_duct_friction_reynolds(WIDTH / HEIGHT))
    developed = friction * viscosity * velocity * LENGTH / (2 * diameter**2)
    head = 0.5 * density * velocity**2
    sigma = area / (PLENUM_WIDTH * HEIGHT)
    contraction = (1 / (0.62 + 0.38 * sigma**3) - 1) ** 2
    expansion = (1 - sigma) ** 2
    low, high = ((developed + (k + contraction + expansion) * head) for k in ENTRANCE_EXCESS)
    return {"channel_velocity_m_per_s": velocity, "hydraulic_diameter_m": diameter,
            "reynolds_number": density * velocity * diameter / viscosity,
            "friction_reynolds_darcy": friction, "developed_Pa": developed,
            "velocity_head_Pa": head, "open_area_ratio": sigma,
            "contraction_K": contraction, "expansion_K": expansion,
            "entrance_excess_K": list(ENTRANCE_EXCESS), "estimate_Pa": [low, high]}


def duct_friction_on_plate_cells(density: float, viscosity: float) -> float:
    """Darcy f Re [-] the flow solver gives for a straight 0.5 x 4 mm duct on 4 x 4 cells (the
    plate's cross-section cells), from the developed pressure gradient (60-90 % of 30 D_h)."""
    diameter = 2 * WIDTH * HEIGHT / (WIDTH + HEIGHT)
    grid = Grid(np.linspace(0.0, 30 * diameter, 31), np.linspace(0.0, WIDTH, 5),
                np.linspace(0.0, HEIGHT, 5))
    fluid = np.ones(grid.shape, bool)
    velocity = FLOW / (CHANNELS * WIDTH * HEIGHT)
    boundaries = [Inlet(Patch("x_min"), velocity=velocity, temperature=INLET),
                  Outlet(Patch("x_max"), pressure=0.0)]
    solution = FlowSolver(grid, fluid, boundaries, density, viscosity,
                          FlowSettings(tolerance=1e-8, max_iterations=3000)).solve()
    pressure = solution.pressure.mean(axis=(1, 2))
    i0, i1 = int(0.6 * grid.shape[0]), int(0.9 * grid.shape[0])
    gradient = -(pressure[i1] - pressure[i0]) / (grid.centers[0][i1] - grid.centers[0][i0])
    return float(gradient * 2 * diameter**2 / (viscosity * velocity))


def constant_property_case(raw: dict, density: float, viscosity: float, coolant) -> dict:
    """The plate's TOML tables with PG25 at the inlet temperature as a constant coolant."""
    raw = json.loads(json.dumps(raw))
    raw.setdefault("materials", {})["pg25_35C"] = {
        "kind": "coolant", "density": density, "viscosity": viscosity,
        "specific_heat": float(coolant.specific_heat(INLET)),
        "conductivity": float(coolant.conductivity(INLET))}
    raw["coolant"] = {"name": "pg25_35C"}
    raw["output"] = {"write_images": False, "write_fields": False, "checkpoint": False}
    return raw


def solve(raw: dict, folder: Path) -> tuple[dict, float]:
    """Run the plate case ``raw`` quietly (its printed summary to standard error); its
    summary's flow entry and the seconds taken."""
    start = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        summary = run(case_from_dict(raw, CASE), backend="cpu", output=folder, quiet=True)
    return summary["flow"], time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true",
                        help="also run the case as it is (temperature-dependent properties)")
    args = parser.parse_args()
    coolant = get_coolant("PG25")
    density, viscosity = float(coolant.density(INLET)), float(coolant.viscosity(INLET))
    raw = tomllib.loads(CASE.read_text())
    out = {"benchmark": "demo_plate_laminar", "case": CASE.name, "flow_L_per_min": FLOW * LPM,
           "density_kg_per_m3": density, "viscosity_Pa_s": viscosity,
           **laminar_estimate(density, viscosity)}
    start = time.perf_counter()
    on_cells = duct_friction_on_plate_cells(density, viscosity)
    out["duct_on_plate_cells"] = {
        "friction_reynolds_darcy": on_cells,
        "ratio_to_shah_london": on_cells / out["friction_reynolds_darcy"],
        "seconds": time.perf_counter() - start}
    on_cells_estimate = laminar_estimate(density, viscosity, on_cells)["estimate_Pa"]
    out["duct_on_plate_cells"]["estimate_Pa"] = on_cells_estimate
    with tempfile.TemporaryDirectory() as folder:
        flow, seconds = solve(constant_property_case(raw, density, viscosity, coolant),
                              Path(folder))
        out["model_constant_properties"] = {
            "pressure_drop_Pa": flow["pressure_drop_Pa"],
            "ratio_to_estimate": [flow["pressure_drop_Pa"] / e for e in out["estimate_Pa"]],
            "ratio_to_estimate_with_duct_on_plate_cells": [
                flow["pressure_drop_Pa"] / e for e in on_cells_estimate],
            "maldistribution": flow["flow_split"]["channels"]["maldistribution"],
            "flow_iterations": flow["flow_iterations"], "seconds": seconds}
        if args.full:
            flow, seconds = solve(raw, Path(folder))
            out["model_case"] = {"pressure_drop_Pa": flow["pressure_drop_Pa"],
                                 "outlet_temperature_C": flow["outlet_temperature_C"],
                                 "thermal_resistance_K_per_W":
                                     flow["thermal_resistance_K_per_W"],
                                 "peak_temperature_C": flow["peak_temperature_C"],
                                 "passes": flow["passes"], "seconds": seconds}
    out["load_average"] = os.getloadavg()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
