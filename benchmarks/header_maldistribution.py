"""Tray-flow maldistribution and Newton iterations of the example racks (one JSON line per case).

Usage::

    PYTHONPATH=$PWD python benchmarks/header_maldistribution.py cases/rack_network.toml \
        [cases/rack_1mw.toml] [--summary results/rack_coupled/network_summary.json]

For a network-only case the rack is built and solved with its controls (as ``coolsim run``
does); ``--summary`` reads a finished run's ``network_summary.json`` instead (the coupled rack,
whose plate curves come from 3D solves). Printed per case: tray flow first/last (tray 0 is the
header inlet end), min/mean, max/mean, lowest tray, the Newton iteration counts of the
hydraulic solves and the wall time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from pathlib import Path

from solver.case import NetworkSection
from solver.materials import get_coolant
from solver.network.controls import solve_with_controls
from solver.network.hydraulics import HydraulicSolve
from solver.network.rack import build_network
from solver.network.solve import CoupledSolve
from solver.output.network import summarize


def maldistribution(summary):
    """First/last, min/mean and max/mean of the tray flows in a network summary."""
    flows = summary["trays"]["flows_lpm"]
    return {"first_over_last": flows[0] / flows[-1],
            "min_over_mean": summary["trays"]["min_over_mean"],
            "max_over_mean": summary["trays"]["max_over_mean"],
            "lowest": summary["trays"]["lowest"],
            "newton_iterations": summary["newton_iterations"],
            "newton_solves": len(summary["newton_iterations"])}


def solve_case(path):
    """Build and solve the rack of a network-only case file; returns the summary dict."""
    data = tomllib.loads(Path(path).read_text())
    section = NetworkSection(**data["network"])
    coolant = get_coolant(data["coolant"]["name"])
    t0 = section.initial_temperature
    built = build_network(section, float(coolant.density(t0)))
    fluids = {"coolant": coolant, "facility": get_coolant(section.facility_fluid)}
    settings = CoupledSolve(initial_temperature=t0,
                            hydraulics=HydraulicSolve(rtol=section.rtol))
    solution, reports = solve_with_controls(built.network, fluids, built.controls, settings)
    return summarize(built, solution, reports)


def main(argv=None):
    """Print one JSON line per case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help="network-only rack case files")
    parser.add_argument("--summary", action="append", default=[],
                        help="network_summary.json of a finished run")
    args = parser.parse_args(argv)
    for path in args.cases:
        start = time.perf_counter()
        summary = solve_case(path)
        print(json.dumps({"case": path, **maldistribution(summary),
                          "wall_s": round(time.perf_counter() - start, 2)}))
    for path in args.summary:
        summary = json.loads(Path(path).read_text())
        print(json.dumps({"summary": path, **maldistribution(summary)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
