"""Run the ``[network]`` section of a case: build, solve with controls, write results.

:func:`run_network_case` is what :mod:`solver.cli` / :mod:`solver.simulation` call. A malformed
network raises :class:`~solver.network.errors.NetworkError` with a one-line message naming the
component (the CLI prints it and exits with code 2).
"""

from __future__ import annotations

import time

from solver.network.controls import solve_with_controls
from solver.network.hydraulics import HydraulicSolve
from solver.network.outputs import summarize, write_outputs
from solver.network.rack import build_network
from solver.network.solve import CoupledSolve


def run_network_case(network_section, coolant, output_dir, quiet=False, plots=True):
    """Solve a network case section and write its outputs.

    Parameters
    ----------
    network_section : NetworkSection
        The validated ``[network]`` table.
    coolant : Coolant
        Technology-cooling-loop coolant (``solver.materials.get_coolant(name)``).
    output_dir : path-like
        Result folder; receives network.csv, network_summary.json, network.vtp, images/.
    quiet : bool
        Suppress the one-line progress report.
    plots : bool
        Write the PNG plots.

    Returns
    -------
    dict
        The summary (also written to ``network_summary.json``), with ``"files"`` and
        ``"wall_time"`` [s] added.
    """
    from solver.materials import get_coolant

    start = time.perf_counter()
    t0 = network_section.initial_temperature
    built = build_network(network_section, float(coolant.density(t0)))
    fluids = {"coolant": coolant, "facility": get_coolant(network_section.facility_fluid)}
    settings = CoupledSolve(initial_temperature=t0,
                            hydraulics=HydraulicSolve(rtol=network_section.rtol))
    solution, reports = solve_with_controls(built.network, fluids, built.controls, settings)
    summary = summarize(built, solution, reports)
    summary["coolant"] = getattr(coolant, "name", str(coolant))
    summary["settings"] = {"newton_rtol": settings.hydraulics.rtol,
                           "newton_max_iterations": settings.hydraulics.max_iterations,
                           "picard_temperature_tol": settings.temperature_tol,
                           "picard_flow_rtol": settings.flow_rtol,
                           "initial_temperature": settings.initial_temperature}
    summary["wall_time"] = time.perf_counter() - start
    files = write_outputs(built, solution, summary, output_dir, plots=plots)
    summary["files"] = {key: str(path) for key, path in files.items()}
    if not quiet:
        line = [f"network: {len(built.network.branches)} components solved"]
        if "pump" in summary:
            p = summary["pump"]
            line.append(f"pump {p['flow_lpm']:.1f} L/min at {p['pressure_rise'] / 1e3:.1f} kPa")
        if "cdu" in summary:
            line.append(f"CDU {summary['cdu']['heat_rejected'] / 1e3:.1f} kW, approach "
                        f"{summary['cdu']['approach']:.2f} K")
        if "trays" in summary:
            line.append(f"tray flow min/mean {summary['trays']['min_over_mean']:.3f}")
        print(", ".join(line))
    return summary
