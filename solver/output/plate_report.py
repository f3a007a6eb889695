"""The report of a single-plate run (a cold plate, a die): ``report.md`` and ``report.html``.

Built from the run's summary (the ``summary.json`` dictionary of :mod:`solver.output.summary`,
one source for ``summary.txt``, ``report.md`` and ``report.html``): the verdict headline (FAIL
when a chip is over its limit at the steady state or reaches it in time, PASS when every chip
with a limit stays under it, :func:`solver.output.summary.summary_verdict`), the adequacy
warnings, the chips against their limits, the heat to the coolant, the flow, the pressure drop
and the flow split, the bodies, how the figures were made (coolsim version, date, case file and
hash, backend, grid, solver convergence) and the pictures of ``images/``
(:mod:`solver.output.html_report`).

Units as people read them: C, kPa, L/min, W; the summary keeps SI.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from solver.output.html_report import markdown_table, write_report_pages
from solver.output.report import format_celsius, format_number
from solver.output.summary import format_transient, solver_state, summary_verdict


def _chips(chips: Mapping) -> list[str]:
    """Markdown: every chip's power, maximum and mean temperature, limit, margin and result."""
    rows = []
    for name, chip in chips.items():
        margin = chip.get("margin_K")
        result = "-" if margin is None else ("PASS" if margin >= 0.0 else "**FAIL**")
        rows.append([name, format_number(chip.get("power_W"), ".1f"),
                     format_celsius(chip.get("max_temperature_K")),
                     format_celsius(chip.get("mean_temperature_K")),
                     format_celsius(chip.get("limit_temperature_K"), ".1f"),
                     format_number(margin, ".2f"), result])
    return ["## Chips", "", *markdown_table(
        ["chip", "power [W]", "max [C]", "mean [C]", "limit [C]", "margin [K]", "result"], rows)]


def _heat_and_flow(summary: Mapping) -> list[str]:
    """Markdown: heat released and where it went, and the coolant flow figures."""
    energy = summary.get("energy_balance") or {}
    flow = summary.get("flow") or {}
    rows = [["heat released in the bodies (chips, sources) [W]",
             format_number(summary.get("total_heat_W"), ".1f")]]
    if flow:
        rows.append(["heat to coolant [W]", format_number(flow.get("heat_to_coolant_W"), ".1f")])
    else:
        rows += [[f"heat out through {patch} [W]", format_number(value, ".1f")]
                 for patch, value in (energy.get("heat_out_W") or {}).items()]
    rows.append(["energy balance error [-]", format_number(energy.get("relative_error"), ".2e")])
    flow_rows = [
        ("volumetric_flow_L_per_min", "flow [L/min]", 1.0, ".3f"),
        ("pressure_drop_Pa", "pressure drop [kPa]", 1e-3, ".3f"),
        ("inlet_temperature_K", "inlet temperature [C]", None, ".2f"),
        ("outlet_temperature_K", "outlet temperature [C]", None, ".2f"),
        ("thermal_resistance_K_per_W", "thermal resistance [K/W]", 1.0, ".4f"),
        ("reynolds_number", "Reynolds number (inlet)", 1.0, ".0f"),
        ("mass_balance_relative_error", "mass balance error [-]", 1.0, ".2e")]
    for key, label, scale, spec in flow_rows:
        if flow.get(key) is None:
            continue
        rows.append([label, format_celsius(flow[key], spec) if scale is None
                     else format_number(flow[key] * scale, spec)])
    lines = ["## Heat and flow", ""]
    if flow.get("coolant"):
        described = (f" ({flow['coolant_description']})"
                     if flow.get("coolant_description") else "")
        lines += [f"Coolant: {flow['coolant']}{described}", ""]
    lines += markdown_table(["quantity", "value"], rows)
    splits = [[name, str(len(split["channel_mass_flow_kg_per_s"])),
               format_number(min(split["channel_mass_flow_kg_per_s"])
                       / max(split["channel_mass_flow_kg_per_s"]), ".3f"),
               format_number(split.get("maldistribution"), ".2g")]
              for name, split in (flow.get("flow_split") or {}).items()
              if split.get("channel_mass_flow_kg_per_s")]
    if splits:
        lines += ["## Flow split", "", *markdown_table(
            ["passage", "channels", "smallest / largest flow [-]",
             "(max - min) / mean [-]"], splits)]
    return lines


def _bodies(bodies: Mapping) -> list[str]:
    """Markdown: each body's maximum, mean and minimum temperature."""
    if not bodies:
        return []
    rows = [[name, *(format_celsius(b.get(f"{which}_temperature_K"))
                     for which in ("max", "mean", "min"))] for name, b in bodies.items()]
    return ["## Bodies", "", *markdown_table(["body", "max [C]", "mean [C]", "min [C]"], rows)]


def _provenance(summary: Mapping) -> list[str]:
    """Markdown: what produced the figures and from what."""
    case = summary.get("case") or {}
    backend = summary.get("backend") or {}
    grid = summary.get("grid") or {}
    solver = summary.get("solver") or {}
    lines = ["## How these figures were made", "",
             f"- coolsim {summary.get('coolsim_version', '?')}, "
             f"{summary.get('created_utc', '?')}"
             + (f"; case `{case['file']}`" if case.get("file") else "")
             + (f" (hash {case['hash'][:16]})" if case.get("hash") else "")]
    physics = "conjugate heat transfer with coolant flow" if summary.get("flow") else \
        "heat conduction"
    lines.append(f"- 3D {physics} on backend "
                 f"{backend.get('name', '?')} ({backend.get('device', '?')})")
    if grid:
        lines.append(f"- grid {' x '.join(str(n) for n in grid.get('shape', []))} = "
                     f"{grid.get('cells', 0):,} cells, largest growth ratio "
                     f"{format_number(grid.get('max_growth_ratio'), '.2f')}, largest aspect ratio "
                     f"{format_number(grid.get('max_aspect_ratio'), '.1f')}")
    if solver:
        lines.append(f"- solver {solver_state(solver)}")
    total = (summary.get("timings_s") or {}).get("total")
    if total is not None:
        lines.append(f"- run time {total:.1f} s")
    return lines + [""]


def format_plate_report(summary: Mapping) -> str:
    """The plate report as Markdown: title, verdict headline, warnings, chips, heat and flow,
    bodies, provenance (the pictures are added by :func:`write_plate_report`)."""
    name = (summary.get("case") or {}).get("name", "?")
    verdict = summary.get("verdict") or summary_verdict(summary)
    lines = [f"# Plate report: {name}", "",
             f"**{verdict['status']}**: " + "; ".join(verdict["reasons"]), ""]
    if summary.get("warnings"):
        lines += ["## Warnings", "", *[f"- {note}" for note in summary["warnings"]], ""]
    chips = summary.get("chips") or {}
    if chips:
        lines += _chips(chips)
    lines += _heat_and_flow(summary)
    if summary.get("transient"):
        lines += ["## In time", "", "```", format_transient(summary["transient"]), "```", ""]
    lines += _bodies(summary.get("bodies") or {})
    lines += _provenance(summary)
    return "\n".join(lines)


def write_plate_report(directory, summary: Mapping) -> dict[str, Path]:
    """Write ``report.md`` and ``report.html`` of a plate run into ``directory`` (atomic), with
    the pictures then in ``directory/images``; returns the paths (``markdown``, ``html``)."""
    verdict = summary.get("verdict") or summary_verdict(summary)
    return write_report_pages(directory, format_plate_report(summary), verdict["status"])


__all__ = ["format_plate_report", "write_plate_report"]
