"""OpenFOAM peer unit cell: laminar water in half a skived-fin channel, flow then heat.

Physics: copper plate 40 mm long (flow along x); 2 mm base; a 1 mm x 3 mm water channel beside a
1 mm fin, modelled as half channel (y 0..0.5 mm, fluid) + half fin (y 0.5..1 mm, copper) between
symmetry planes; lid (no-slip wall) on top at z = 5 mm. Water rho 997 kg/m^3, mu 8.9e-4 Pa s,
mean velocity 0.2778 m/s (Re_Dh about 465). Only the coolant cells carry flow; the copper cells
are immersed solids. Properties are constant, so the flow does not depend on temperature: the
flow is solved first, then the conjugate energy equation once on the converged mass fluxes
(copper k 401 W/m/K, water k 0.607 W/m/K, cp 4181 J/kg/K; 62.5 kW/m^2 into the bottom; water in
at 25 C; van Leer TVD advection). Grids as in ../shared/peers/openfoam-coldplate: coarse
40 x (5+5) x (5+15) and medium 100 x (10+10) x (10+30) cells.

Run: ``.venv/bin/python benchmarks/flow_unit_cell.py [coarse|medium|fine] [--tolerance 1e-6]``
``--method`` picks the outer iteration (``auto``: nonlinear multigrid, since the flow region is
all coolant; ``single_grid``: SIMPLEC alone).
Prints one JSON line: grid, cells, method, SIMPLEC iterations (of the finest level), multigrid
cycles, outer steps (cycles, or iterations on a single grid), seconds (solve only), seconds per
iteration, the outer step and time after which the pressure drop stays within 0.1% of its final
value, pressure drop (static face-extrapolated, static from the inlet cells, total) [Pa], mass
balance error, residuals. The OpenFOAM peer reports 182.2 Pa (coarse) and 191.1 Pa (medium): its
inlet pressure is zero-gradient, i.e. comparable with ``pressure_drop_static_inlet_cells_Pa``.
With ``--energy`` (default) it adds the energy solve: seconds, peak solid temperature, outlet
bulk temperature rise and energy balance (OpenFOAM medium: 32.67 C, 1.4392 K, 0.014%).
Expected runtime (one CPU core, NumPy, quiet machine): about 1.5 s (coarse), 3 s flow + 4.5 s
energy (medium; OpenFOAM needs 27.8 s on 2 ranks), about 75 s flow + 45 s energy (fine,
640,000 cells, which OpenFOAM did not converge in 20 minutes here).
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small BLAS calls: threads only add spin-waits

import numpy as np  # noqa: E402

from solver.backend import get_backend  # noqa: E402
from solver.boundaries import HeatFlux, Inlet, Outlet, Patch, Symmetry, Wall  # noqa: E402
from solver.grid import Grid
from solver.models.energy import ConductionSolve, solve_energy
from solver.models.flow import FlowSettings, FlowSolver
from solver.numerics.linear import LinearSolve

LENGTH, BASE, CHANNEL_HEIGHT, HALF_CHANNEL, HALF_FIN = 40e-3, 2e-3, 3e-3, 0.5e-3, 0.5e-3
RHO, MU, U_MEAN = 997.0, 8.9e-4, 1.0 / 60000.0 / 20 / (1e-3 * 3e-3)
CP_WATER, K_WATER, K_COPPER, HEAT_FLUX, T_INLET = 4181.0, 0.607, 401.0, 62.5e3, 298.15
LEVELS = {"coarse": (40, 5, 5, 15), "medium": (100, 10, 10, 30), "fine": (200, 20, 20, 60)}


def unit_cell(level: str, backend: str = "cpu"):
    """Grid, fluid mask and flow boundaries of the unit cell at ``level``."""
    nx, ny, nzb, nzc = LEVELS[level]
    x = np.linspace(0.0, LENGTH, nx + 1)
    y = np.concatenate([np.linspace(0.0, HALF_CHANNEL, ny + 1),
                        np.linspace(HALF_CHANNEL, HALF_CHANNEL + HALF_FIN, ny + 1)[1:]])
    z = np.concatenate([np.linspace(0.0, BASE, nzb + 1),
                        np.linspace(BASE, BASE + CHANNEL_HEIGHT, nzc + 1)[1:]])
    grid = Grid(x, y, z, backend=get_backend(backend))
    yc, zc = grid.centers[1], grid.centers[2]
    fluid = np.broadcast_to((yc < HALF_CHANNEL)[None, :, None] & (zc > BASE)[None, None, :],
                            grid.shape).copy()
    channel = ((0.0, HALF_CHANNEL), (BASE, BASE + CHANNEL_HEIGHT))
    boundaries = [
        Symmetry(Patch("y_min")), Symmetry(Patch("y_max")), Wall(Patch("z_max")),
        Inlet(Patch("x_min", region=channel), velocity=U_MEAN, temperature=298.15),
        Outlet(Patch("x_max", region=channel), pressure=0.0),
    ]
    return grid, fluid, boundaries


def energy_report(grid, fluid, boundaries, solution) -> dict:
    """Solve the conjugate energy equation on the converged flow; temperatures and balance."""
    conductivity = np.where(fluid, K_WATER, K_COPPER)
    thermal = boundaries + [HeatFlux(Patch("z_min"), heat_flux=HEAT_FLUX)]
    start = time.perf_counter()
    # outer TVD iterations to 1e-3 K (far inside the 0.1% peak-temperature criterion); each
    # advection-diffusion solve by BiCGStab with point-smoothed multigrid V-cycles, which is
    # about 4x faster here than the default zebra-line K-cycles
    linear = LinearSolve(method="bicgstab", rtol=1e-6, max_iterations=200, smoother="point",
                         cycle="v")
    result = solve_energy(grid, conductivity, thermal, None, solution.mass_flux, CP_WATER,
                          scheme="tvd", settings=ConductionSolve(tolerance=1e-3, relaxation=0.7,
                                                                 linear=linear))
    seconds = time.perf_counter() - start
    temperature = grid.backend.to_host(result.temperature)
    outflow = grid.backend.to_host(solution.mass_flux[0])[-1]
    bulk_out = float((outflow * temperature[-1]).sum() / outflow.sum())
    return {"energy_seconds": round(seconds, 3),
            "energy_outer_iterations": len(result.outer_history),
            "peak_solid_temperature_C": round(float(temperature[~fluid].max()) - 273.15, 4),
            "outlet_temperature_rise_K": round(bulk_out - T_INLET, 5),
            "energy_balance": result.energy_balance["relative_imbalance"],
            "openfoam_medium": {"peak_solid_temperature_C": 32.67,
                                "outlet_temperature_rise_K": 1.4392}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("level", nargs="?", default="medium", choices=sorted(LEVELS))
    parser.add_argument("--tolerance", type=float, default=1e-6)
    parser.add_argument("--convection", default="linear_upwind")
    parser.add_argument("--no-energy", dest="energy", action="store_false")
    parser.add_argument("--method", default="auto", choices=["auto", "multigrid", "single_grid"])
    parser.add_argument("--backend", choices=["cpu", "gpu"], default="cpu")
    args = parser.parse_args()
    grid, fluid, boundaries = unit_cell(args.level, args.backend)
    settings = FlowSettings(tolerance=args.tolerance, convection=args.convection,
                            max_iterations=4000, method=args.method)
    setup = time.perf_counter()
    solver = FlowSolver(grid, fluid, boundaries, RHO, MU, settings)
    setup = time.perf_counter() - setup
    # monitor: pressure drop and wall time after every iteration
    monitor = []
    start = time.perf_counter()

    def record(residuals, flow):
        monitor.append((flow.pressure_drop()["static"], time.perf_counter() - start))

    solution = solver.solve(callback=record)
    last = solution.history[-1]
    # first iteration from which the pressure drop stays within 0.1% of its final value
    final = monitor[-1][0]
    off = [abs(dp / final - 1.0) > 1e-3 for dp, _ in monitor]
    settled = len(off) - next((i for i, bad in enumerate(reversed(off)) if bad), len(off))
    report = {}
    if args.energy:
        report = energy_report(grid, fluid, boundaries, solution)
        report["flow_and_energy_seconds"] = round(solution.seconds + report["energy_seconds"], 3)
        if args.level == "medium":
            # OpenFOAM v1912 chtMultiRegionSimpleFoam, best time (2 MPI ranks) on this machine
            report["openfoam_seconds_2_ranks"] = 27.8
            report["speedup_vs_openfoam"] = round(27.8 / report["flow_and_energy_seconds"], 2)
    print(json.dumps(report | {
        "benchmark": "flow_unit_cell", "level": args.level, "cells": grid.n_cells,
        "fluid_cells": int(fluid.sum()), "backend": grid.backend.name,
        "convection": args.convection, "tolerance": args.tolerance,
        "method": "multigrid" if solver.multigrid else "single_grid",
        "iterations": solution.iterations, "multigrid_cycles": solution.cycles,
        "outer_steps": solution.cycles or solution.iterations,
        "converged": solution.converged,
        "setup_seconds": round(setup, 3), "seconds": round(solution.seconds, 3),
        "seconds_per_iteration": round(solution.seconds / max(solution.iterations, 1), 5),
        "pressure_drop_settled_iteration": settled + 1,
        "pressure_drop_settled_seconds": round(monitor[min(settled, len(monitor) - 1)][1], 3),
        "pressure_drop_static_Pa": round(solution.pressure_drop["static"], 3),
        "pressure_drop_total_Pa": round(solution.pressure_drop["total"], 3),
        "pressure_drop_static_inlet_cells_Pa": round(
            solution.pressure_drop["static_inlet_cells"], 3),
        "mass_balance_error": solution.mass_balance_error,
        "continuity_residual": last.continuity, "momentum_residual": max(last.momentum),
        "openfoam_pressure_drop_Pa": {"coarse": 182.2, "medium": 191.1}.get(args.level),
    }))


if __name__ == "__main__":
    main()
