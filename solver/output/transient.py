"""Outputs of a rack's scenarios in time: time series, plots and the ride-through table.

For each scenario (a :class:`solver.transient_scenarios.TransientOutcome`),
``transient/<scenario>/`` receives ``timeseries.csv`` (every chip temperature [C], every plate
and the TCS, facility and pump-unit flows [kg/s], pump speeds [-], TCS supply and return and
facility supply temperatures [C], heat load and heat removed [W]) and ``transient.png``
(chip temperatures: the hottest few and the envelope of all, with the limit; flows relative to
t = 0 with pump speeds; supply temperatures); ``transient/transient.md`` and ``.json`` hold the
table of all scenarios. Every file is written atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from solver.output.atomic import atomic_write_text, write_csv, write_json
from solver.output.figures import pyplot, save_figure
from solver.units import ZERO_CELSIUS

HOTTEST_SHOWN = 5  # chips drawn one by one in the chip panel
CLIP_ABOVE_LIMIT = 30.0  # [K] the chip panel ends this far above the limit


def scenario_folder(label: str) -> str:
    """Folder name of a scenario label (letters and digits, the rest ``_``)."""
    return "".join(ch if ch.isalnum() else "_" for ch in label).strip("_").lower() or "scenario"


def time_series(outcome) -> tuple[dict, dict]:
    """Columns and their units of a scenario's ``timeseries.csv``."""
    result = outcome.result
    columns = {"time": result.time}
    units = {"time": "s"}
    for plate in result.plates:
        columns[f"chip {plate}"] = result.chip(plate) - ZERO_CELSIUS
        units[f"chip {plate}"] = "C"
    flows = [outcome.tcs_branch, outcome.facility_branch, *outcome.pumps, *result.plates]
    for branch in flows:
        columns[f"flow {branch}"] = result.flow(branch)
        units[f"flow {branch}"] = "kg/s"
    for pump, speed in result.pump_speed.items():
        columns[f"speed {pump}"] = speed
        units[f"speed {pump}"] = "-"
    network = result.network
    nodes = {"TCS supply": outcome.supply_node}
    for node in network.nodes:
        if node.name in ("cdu.return", "facility.supply"):
            nodes[{"cdu.return": "TCS return", "facility.supply": "facility supply"}[
                node.name]] = node.name
    for label, node in nodes.items():
        columns[label] = result.temperature(node) - ZERO_CELSIUS
        units[label] = "C"
    columns["heat load"], units["heat load"] = result.heat_load, "W"
    columns["heat removed"], units["heat removed"] = result.heat_removed, "W"
    return columns, units


def plot_transient(outcome, path) -> Path:
    """Three panels against time: chips (hottest few, envelope, limit), flows and pump speeds,
    supply temperatures; the event marked. Written atomically as PNG."""
    plt = pyplot()

    result = outcome.result
    t = result.time
    chips = result.chip_temperature - ZERO_CELSIUS
    order = np.argsort(chips.max(axis=0))[::-1][:HOTTEST_SHOWN]
    fig, axes = plt.subplots(3, 1, figsize=(8.0, 9.0), sharex=True)
    ax = axes[0]
    ax.fill_between(t, chips.min(axis=1), chips.max(axis=1), color="tab:orange", alpha=0.25,
                    label=f"all {chips.shape[1]} chips (envelope)")
    for i in order:
        ax.plot(t, chips[:, i], lw=1.2, label=result.plates[i])
    limits = sorted({round(v - ZERO_CELSIUS, 6) for v in outcome.limits.values()})
    for k, limit in enumerate(limits):
        ax.axhline(limit, color="k", ls="--", lw=1.0, label="chip limit" if k == 0 else None)
    top = max(limits) + CLIP_ABOVE_LIMIT
    if chips.max() > top:
        ax.set_ylim(chips.min() - 5.0, top)
        ax.text(0.01, 0.97, f"axis cut at the limit + {CLIP_ABOVE_LIMIT:g} K (peak "
                f"{chips.max():.0f} C)", transform=ax.transAxes, fontsize=7, va="top")
    ax.set_ylabel("chip temperature [C]")
    ax.legend(fontsize=7, loc="lower right")
    ax = axes[1]
    for branch, label in ((outcome.tcs_branch, "TCS flow"),
                          (outcome.facility_branch, "facility flow")):
        flow = result.flow(branch)
        ax.plot(t, flow / flow[0] if flow[0] else flow, label=label)
    hottest = result.plates[order[0]]
    plate_flow = result.flow(hottest)
    ax.plot(t, plate_flow / plate_flow[0], label=f"flow {hottest}")
    for pump, speed in result.pump_speed.items():
        ax.plot(t, speed, ls=":", label=f"speed {pump}")
    ax.set_ylabel("flow / flow at t = 0, pump speed [-]")
    ax.legend(fontsize=7, loc="best")
    ax = axes[2]
    ax.plot(t, result.temperature(outcome.supply_node) - ZERO_CELSIUS, label="TCS supply")
    names = {n.name for n in result.network.nodes}
    for node, label in (("cdu.return", "TCS return"), ("facility.supply", "facility supply")):
        if node in names:
            ax.plot(t, result.temperature(node) - ZERO_CELSIUS, label=label)
    ax.set_ylabel("temperature [C]")
    ax.set_xlabel("time [s]")
    ax.legend(fontsize=7, loc="best")
    for ax in axes:
        ax.axvline(outcome.event_time, color="grey", lw=0.8)
        ax.grid(True, alpha=0.3)
    ride = outcome.row["ride_through_s"]
    ride_text = "never within the horizon" if ride is None else f"{ride:.1f} s"
    axes[0].set_title(f"{outcome.label}: ride-through {ride_text} (event at "
                      f"{outcome.event_time:g} s, grey line)")
    return save_figure(fig, path, dpi=100)


def _ride_through(row) -> str:
    value = row["ride_through_s"]
    return "never within the horizon" if value is None else f"{value:.1f} s"


def format_transient_table(rows) -> str:
    """Markdown table of the scenarios in time (one row each)."""
    lines = ["| scenario | event [s] | ride-through | hottest chip | peak [C] | at [s] | "
             "chips over limit | min TCS flow [-] | min plate flow [-] | energy error | "
             "steps | runtime [s] |", "|" + "---|" * 12]
    for r in rows:
        lines.append(
            f"| {r['scenario']} | {r['event_time_s']:g} | {_ride_through(r)} "
            f"| {r['hottest_chip']} | {r['peak_chip_temperature'] - ZERO_CELSIUS:.2f} | "
            f"{r['peak_time_s']:g} | {r['chips_over_limit']} | "
            f"{r['min_tcs_flow_fraction']:.3f} | {r['min_plate_flow_fraction']:.3f} | "
            f"{r['energy_balance_error']:.1e} | {r['steps']} | {r['runtime_s']:.2f} |")
    replays = [(r["scenario"], e) for r in rows for e in r.get("plates_3d", ())]
    if replays:
        lines += ["", "Plates run again in 3D along their network histories "
                  "(`transient/<scenario>/<plate>/`: transient.csv, transient.pvd). The 3D peak "
                  "is the hottest die cell; the case temperature (the area mean over the case "
                  "face) is what the network's chip temperature T_in + R(Q) P stands for:", "",
                  "| scenario | plate | chip | 3D peak [C] | at [s] | 3D case peak [C] | "
                  "network chip peak [C] | 3D reaches limit at [s] | steps | runtime [s] |",
                  "|" + "---|" * 10]
        for scenario, e in replays:
            for chip, c in e["chips"].items():
                reach = c["time_to_limit_s"]
                lines.append(
                    f"| {scenario} | {e['plate']} | {chip} | "
                    f"{c['peak_temperature_K'] - ZERO_CELSIUS:.2f} | {c['peak_time_s']:g} | "
                    f"{c['peak_case_temperature_K'] - ZERO_CELSIUS:.2f} | "
                    f"{e['network_peak_temperature_K'] - ZERO_CELSIUS:.2f} | "
                    f"{'never' if reach is None else f'{reach:.1f}'} | {e['steps']} | "
                    f"{e['seconds']:.1f} |")
    corrected = [(r["scenario"], r["network_corrected_by_3d"]) for r in rows
                 if r.get("network_corrected_by_3d")]
    if corrected:
        lines += ["", "The network was run again with the coolant heat of its plates run in 3D "
                  "(their solids store part of a power change on the way to the coolant):"]
        lines += [f"- {scenario}: {c['passes']} pass(es), the replayed plates' inlet "
                  f"temperatures then moved by at most {c['largest_inlet_change_K']:.2g} K"
                  + ("" if c["converged"] else " (not within 0.01 K: the 3D replays may not "
                     "match the network above)") for scenario, c in corrected]
    return "\n".join(lines) + "\n"


def write_transient_scenarios(directory, outcomes, images: bool = True) -> dict[str, Path]:
    """Write ``transient.md``/``.json`` and, per scenario, ``timeseries.csv`` and
    ``transient.png`` under ``directory``; returns the paths by name."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rows = [o.row for o in outcomes]
    paths = {"markdown": atomic_write_text(directory / "transient.md",
                                           "# Scenarios in time\n\n"
                                           + format_transient_table(rows)),
             "json": write_json(directory / "transient.json", rows)}
    for outcome in outcomes:
        folder = directory / scenario_folder(outcome.label)
        folder.mkdir(parents=True, exist_ok=True)
        columns, units = time_series(outcome)
        paths[f"{outcome.label} csv"] = write_csv(folder / "timeseries.csv", columns, units)
        if images:
            paths[f"{outcome.label} png"] = plot_transient(outcome, folder / "transient.png")
    return paths


__all__ = ["scenario_folder", "time_series", "plot_transient", "format_transient_table",
           "write_transient_scenarios"]
