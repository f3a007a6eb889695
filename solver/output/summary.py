"""The run summary: ``summary.json`` (machine-readable) and the printed text block.

The schema is documented in ``docs/results.md``; :data:`SCHEMA_VERSION` changes when a key is
renamed or removed (adding keys keeps the version). Temperatures are stored in kelvin with a
Celsius twin (``*_K`` and ``*_C`` keys); every other number is SI with the unit in the key name
(``total_heat_W``, ``pressure_drop_Pa``, ``thermal_resistance_K_per_W``, ``timings_s``).
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from solver.jsonable import to_jsonable
from solver.models.temperature_stats import (
    kelvin_to_celsius,
)
from solver.output.atomic import atomic_write_text as _atomic_write_text
from solver.output.atomic import read_json, write_json
from solver.output.results import ResultDirectory
from solver.units import ZERO_CELSIUS
from solver.version import __version__

SCHEMA = "coolsim-summary"


SCHEMA_VERSION = 1


def energy_balance(heat_generated: float, heat_out: Mapping[str, float]) -> dict[str, Any]:
    """Global energy balance entry of ``summary.json``.

    Parameters
    ----------
    heat_generated : float
        Heat released inside the domain [W] (chip powers, volumetric sources).
    heat_out : mapping of str to float
        Heat leaving through each boundary patch [W], positive outwards (a patch that brings
        heat in, e.g. a heat-flux patch or a hot inlet, has a negative value).

    Returns
    -------
    dict
        ``heat_generated_W``; ``heat_in_W`` (generated plus the patches bringing heat in);
        ``heat_out_W`` (per patch, positive outwards); ``heat_out_total_W`` (sum over patches);
        ``imbalance_W`` = generated - total out; ``relative_error`` = ``|imbalance|`` divided
        by the larger of total heat in and total heat out (``None`` when both are 0).
    """
    flows = {name: float(v) for name, v in heat_out.items()}
    generated = float(heat_generated)
    out_total = float(sum(flows.values()))
    heat_in = max(generated, 0.0) + sum(-v for v in flows.values() if v < 0)
    heat_leaving = max(-generated, 0.0) + sum(v for v in flows.values() if v > 0)
    reference = max(heat_in, heat_leaving)
    imbalance = generated - out_total
    return {
        "heat_generated_W": generated,
        "heat_in_W": heat_in,
        "heat_out_W": flows,
        "heat_out_total_W": out_total,
        "imbalance_W": imbalance,
        "relative_error": abs(imbalance) / reference if reference > 0 else None,
    }


def energy_balance_from_solver(balance: Mapping[str, Any]) -> dict[str, Any]:
    """Convert the balance of :mod:`solver.models.energy` (patch flows positive *into* the domain:
    ``heat_generated``, ``patch_heat_flows``) into the :func:`energy_balance` entry."""
    flows = balance.get("patch_heat_flows", {})
    return energy_balance(balance.get("heat_generated", 0.0),
                          {name: -float(v) for name, v in flows.items()})


def solver_entry(linear_history: Sequence[Mapping[str, Any]],
                 outer_history: Sequence[float] | None = None, converged: bool | None = None,
                 settings: Any = None, max_linear_residuals: int = 1000) -> dict[str, Any]:
    """The ``solver`` entry of ``summary.json`` from a solve's histories.

    Parameters
    ----------
    linear_history : sequence of dict
        One dict per linear solve (``method``, ``iterations``, ``converged``,
        ``relative_residual``, ``residuals``, ``seconds``), as recorded by
        :mod:`solver.models.energy`.
    outer_history : sequence of float, optional
        Outer (non-linear) iteration monitor, e.g. the largest temperature change [K].
    converged : bool, optional
        Overall convergence; defaults to the last linear solve's flag.
    settings : optional
        Solver settings echoed into the summary (dataclass, pydantic model or dict).
    max_linear_residuals : int
        Longest residual history kept per linear solve (the rest is thinned evenly).
    """
    solves = []
    for entry in linear_history:
        entry = dict(entry)
        residuals = list(entry.get("residuals") or [])
        if len(residuals) > max_linear_residuals:
            keep = np.unique(np.linspace(0, len(residuals) - 1, max_linear_residuals).astype(int))
            residuals = [residuals[i] for i in keep]
        entry["residuals"] = residuals
        solves.append(entry)
    last = solves[-1] if solves else {}
    if converged is None:
        converged = last.get("converged")
    out: dict[str, Any] = {
        "method": last.get("method"),
        "converged": converged,
        "iterations": int(sum(int(e.get("iterations", 0)) for e in solves)),
        "outer_iterations": len(outer_history) if outer_history is not None else len(solves),
        "final_residual": last.get("relative_residual"),
        "residual_history": last.get("residuals", []),
        "outer_history": list(outer_history or []),
        "linear_solves": solves,
    }
    if settings is not None:
        if hasattr(settings, "model_dump"):
            settings = settings.model_dump(mode="json")
        elif hasattr(settings, "__dataclass_fields__"):
            import dataclasses

            settings = dataclasses.asdict(settings)
        out["settings"] = settings
    return out


def build_summary(*, case_name: str, backend=None, grid=None, bodies=None, chips=None,
                  total_heat: float | None = None, energy: Mapping[str, Any] | None = None,
                  solver: Mapping[str, Any] | None = None,
                  timings: Mapping[str, float] | None = None,
                  flow: Mapping[str, Any] | None = None,
                  materials: Sequence[Mapping[str, Any]] | None = None,
                  case_file: str | os.PathLike | None = None, case_hash: str | None = None,
                  **extra: Any) -> dict[str, Any]:
    """Assemble the summary dictionary (schema in ``docs/results.md``).

    Parameters
    ----------
    case_name : str
        Name of the case (also the results folder name).
    backend : Backend, optional
        Recorded through ``backend.describe()``.
    grid : Grid, optional
        Recorded through ``grid.describe()``.
    bodies, chips : dict, optional
        From :func:`body_temperature_stats` and :func:`chip_temperature_stats`.
    total_heat : float, optional
        Total heat released [W]; defaults to ``energy["heat_generated_W"]``.
    energy : dict, optional
        From :func:`energy_balance`.
    solver : dict, optional
        Solver history: ``method``, ``converged``, ``iterations``, ``final_residual``,
        ``residual_history`` (list of floats) and any settings echoed by the solver.
    timings : mapping of str to float, optional
        Wall times [s] per phase (``setup``, ``solve``, ``write``, ``total``...).
    flow : dict, optional
        Flow-case metrics: ``pressure_drop_Pa``, ``thermal_resistance_K_per_W``,
        ``inlet_temperature_K``, ``outlet_temperature_K``, ``mass_flow_kg_per_s``,
        ``mass_balance_relative_error`` ... (Celsius twins are added for ``*_temperature_K``).
    materials : sequence of dict, optional
        Material table ``[{"id": 0, "name": "copper", "kind": "solid"}, ...]``; the renderer
        uses ``kind`` to find solid cells.
    case_file, case_hash : optional
        Where the case came from and its hash (:func:`solver.case.case_hash`).
    **extra
        Further top-level entries (kept as given).
    """
    summary: dict[str, Any] = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "case": {"name": case_name,
                 "file": os.fspath(case_file) if case_file is not None else None,
                 "hash": case_hash},
        "coolsim_version": __version__,
        "created_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "backend": backend.describe() if backend is not None else None,
        "grid": grid.describe() if grid is not None else None,
        "materials": list(materials or []),
        "bodies": dict(bodies or {}),
        "chips": dict(chips or {}),
    }
    if total_heat is None and energy is not None:
        total_heat = energy.get("heat_generated_W", energy.get("heat_in_W"))
    summary["total_heat_W"] = None if total_heat is None else float(total_heat)
    summary["energy_balance"] = dict(energy) if energy is not None else None
    summary["solver"] = dict(solver or {})
    summary["timings_s"] = {name: float(t) for name, t in (timings or {}).items()}
    if flow is not None:
        flow = dict(flow)
        for key in list(flow):
            if key.endswith("temperature_K") and flow[key] is not None:
                flow[key[:-1] + "C"] = kelvin_to_celsius(flow[key])
        summary["flow"] = flow
    summary.update(extra)
    return to_jsonable(summary)


# -- text ---------------------------------------------------------------------------------------
def solver_state(solver: Mapping) -> str:
    """``"<method>: converged after N iterations, final residual R"`` from a summary's
    ``solver`` entry (what is unknown is left out)."""
    state = {True: "converged", False: "NOT converged"}.get(solver.get("converged"), "")
    text = f"{solver.get('method', '?')}: {state}"
    if solver.get("iterations") is not None:
        text += f" after {solver['iterations']} iterations"
    if solver.get("final_residual") is not None:
        text += f", final residual {_num(solver['final_residual'], '.2e')}"
    return text.rstrip(": ")


def _num(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return format(value, fmt)


def _scaled(value: float | None, scale: float) -> float | None:
    return None if value is None else value * scale


def _celsius(entry: Mapping[str, Any], key: str) -> str:
    kelvin = entry.get(f"{key}_temperature_K")
    return "-" if kelvin is None else f"{kelvin_to_celsius(kelvin):.2f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned first column, right-aligned numbers."""
    widths = [max(len(str(row[c])) for row in [headers, *rows]) for c in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        cells = [str(row[0]).ljust(widths[0])]
        cells += [str(cell).rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  " + "  ".join(cells).rstrip())
    return lines


def summary_verdict(summary: Mapping[str, Any]) -> dict:
    """The design verdict of a plate run: ``status`` ``"FAIL"`` when a chip is over its limit
    at the steady state or reaches it in time (``[transient]``), ``"PASS"`` when every chip with a
    limit stays under it, ``"n/a"`` when no chip has a limit; ``reasons``: one line each."""
    chips = summary.get("chips") or {}
    limited = {name: c for name, c in chips.items() if c.get("limit_temperature_K") is not None}
    reasons = [f"chip {name} is {-c['margin_K']:.2f} K over its limit at the steady state"
               for name, c in limited.items() if c.get("margin_K") is not None
               and c["margin_K"] < 0.0]
    timed = (summary.get("transient") or {}).get("chips") or {}
    reasons += [f"chip {name} reaches its limit at t = {c['time_to_limit_s']:.3g} s in time"
                for name, c in timed.items() if c.get("time_to_limit_s") is not None]
    if reasons:
        return {"status": "FAIL", "reasons": reasons}
    if not limited:
        return {"status": "n/a", "reasons": ["no chip has a limit (max_temperature)"]}
    margin = min((c["margin_K"], name) for name, c in limited.items()
                 if c.get("margin_K") is not None)
    return {"status": "PASS", "reasons": [f"every chip within its limit; the smallest margin "
                                          f"is {margin[0]:.2f} K ({margin[1]})"]}


def format_summary(summary: Mapping[str, Any]) -> str:
    """Readable text block of a summary: temperatures in C, heat in W, times in s.

    Parameters
    ----------
    summary : dict
        As built by :func:`build_summary` (or read from ``summary.json``).

    Returns
    -------
    str
        Aligned multi-line text (no trailing newline).
    """
    lines: list[str] = []
    case = summary.get("case") or {}
    backend = summary.get("backend") or {}
    title = f"coolsim {summary.get('coolsim_version', '?')} | case {case.get('name', '?')}"
    if backend:
        title += f" | backend {backend.get('name')} ({backend.get('device')})"
    lines += [title, "=" * len(title)]
    verdict = summary_verdict(summary)
    if verdict["status"] != "n/a":
        lines.append(f"{verdict['status']}: " + "; ".join(verdict["reasons"]))
    lines += [f"warning: {note}" for note in summary.get("warnings") or ()]
    grid = summary.get("grid")
    if grid:
        shape = " x ".join(str(n) for n in grid.get("shape", []))
        lines.append(f"grid      {shape} = {grid.get('cells', 0):,} cells, {grid.get('dtype', '')}")
    if summary.get("grid_study"):
        lines.append(summary["grid_study"])

    bodies = summary.get("bodies") or {}
    if bodies:
        lines += ["", "Bodies"]
        rows = [(name, _celsius(b, "max"), _celsius(b, "mean"), _celsius(b, "min"),
                 _num(_scaled(b.get("volume_m3"), 1e6), ".3f"))
                for name, b in bodies.items()]
        lines += _table(("body", "T max [C]", "T mean [C]", "T min [C]", "volume [cm3]"), rows)

    chips = summary.get("chips") or {}
    if chips:
        lines += ["", "Chips"]
        headers = ("chip", "power [W]", "T max [C]", "T mean [C]")
        rows = [(name, _num(c.get("power_W"), ".1f"), _celsius(c, "max"), _celsius(c, "mean"))
                for name, c in chips.items()]
        if any(c.get("limit_temperature_K") is not None for c in chips.values()):
            headers += ("limit [C]", "margin [K]")
            rows = [(*row, _celsius(c, "limit"), _num(c.get("margin_K"), ".2f"))
                    for row, c in zip(rows, chips.values(), strict=True)]
        lines += _table(headers, rows)

    energy = summary.get("energy_balance")
    if energy or summary.get("total_heat_W") is not None:
        lines += ["", "Energy balance"]
        rows = [("total heat [W]", _num(summary.get("total_heat_W"), ".3f"))]
        if energy:
            rows.append(("heat generated [W]", _num(energy.get("heat_generated_W"), ".3f")))
            flow = summary.get("flow") or {}
            if "heat_to_coolant_W" in flow:
                # the patches' flows are enthalpy flows from 0 K with coolant: only their sum,
                # and the coolant's share, read as heat (summary.json keeps each patch's)
                rows.append(("heat to coolant [W]", _num(flow["heat_to_coolant_W"], ".3f")))
                rows.append(("heat out, all patches [W]",
                             _num(energy.get("heat_out_total_W"), ".3f")))
            else:
                rows.append(("heat in [W]", _num(energy.get("heat_in_W"), ".3f")))
                rows += [(f"out: {patch} [W]", _num(value, ".3f"))
                         for patch, value in (energy.get("heat_out_W") or {}).items()]
            rows.append(("imbalance [W]", _num(energy.get("imbalance_W"), ".3e")))
            rows.append(("relative error", _num(energy.get("relative_error"), ".2e")))
        lines += _table(("", ""), rows)[1:]

    flow = summary.get("flow")
    if flow:
        lines += ["", "Flow"]
        if flow.get("coolant_description"):
            lines.append(f"  coolant {flow['coolant']}: {flow['coolant_description']}")
        labels = [
            ("pressure_drop_Pa", "pressure drop [kPa]", 1e-3, ".3f"),
            ("thermal_resistance_K_per_W", "thermal resistance [K/W]", 1.0, ".4f"),
            ("volumetric_flow_L_per_min", "flow [L/min]", 1.0, ".3f"),
            ("mass_flow_kg_per_s", "mass flow [kg/s]", 1.0, ".4g"),
            ("reynolds_number", "Reynolds number (inlet)", 1.0, ".0f"),
            ("inlet_temperature_C", "inlet temperature [C]", 1.0, ".2f"),
            ("outlet_temperature_C", "outlet temperature [C]", 1.0, ".2f"),
            ("mass_balance_relative_error", "mass balance error", 1.0, ".2e"),
        ]
        rows = [(label, _num(_scaled(flow[key], scale), fmt))
                for key, label, scale, fmt in labels if flow.get(key) is not None]
        lines += _table(("", ""), rows)[1:]
        for name, split in (flow.get("flow_split") or {}).items():
            channels = split.get("channel_mass_flow_kg_per_s") or []
            if channels:
                spread = split.get("maldistribution")
                lines.append(f"  flow split ({name}): {len(channels)} channels, smallest/largest "
                             f"{min(channels) / max(channels):.3f}, (max - min)/mean "
                             f"{_num(spread, '.2g')}")
        average = flow.get("time_average")
        if average:
            dp = (average.get("statistics") or {}).get("dp_Pa") or {}
            state = "" if average.get("converged") else ", NOT statistically converged"
            spans = average["averaged_time_s"] / average["flow_through_time_s"]
            lines.append(
                f"  time-averaged over {_num(spans, '.3g')} flow-through times "
                f"({average['steps']} steps{state}): pressure drop "
                f"{_num(_scaled(dp.get('mean'), 1e-3), '.4f')} +- "
                f"{_num(_scaled(dp.get('half_width'), 1e-3), '.2g')} kPa (95 %), rms "
                f"fluctuation {_num(_scaled(dp.get('rms'), 1e-3), '.2g')} kPa")

    solver = summary.get("solver") or {}
    if solver:
        lines += ["", f"solver    {solver_state(solver)}"]
        method = solver.get("flow_method")
        if method:
            outer = (f"nonlinear multigrid, {method.get('cycles')} cycles "
                     f"({solver.get('flow_iterations')} SIMPLEC iterations)"
                     if method.get("outer") == "multigrid"
                     else f"{solver.get('flow_iterations')} SIMPLEC iterations"
                     + (f" (single grid: {method['single_grid_reason']})"
                        if method.get("single_grid_reason") else ""))
            lines.append(f"flow      {method.get('mode', 'steady')}: {outer}; flow-energy "
                         f"passes: {method.get('passes')}")

    timings = summary.get("timings_s") or {}
    if timings:
        lines.append("timings   " + "  ".join(f"{name} {t:.2f} s" for name, t in timings.items()))
    if summary.get("transient"):
        lines += ["", format_transient(summary["transient"])]
    return "\n".join(lines)


def format_transient(entry: Mapping[str, Any]) -> str:
    """Readable lines of the ``transient`` entry of a summary (a plate in time)."""
    lines = [f"In time ({entry['start']} start): {entry['steps']} steps to {entry['end_s']:g} s "
             f"in {entry['seconds']:.1f} s; energy audit "
             f"{_num(entry['energy_audit_relative_error'], '.1e')}"]
    if entry.get("flow") == "time-accurate":
        lines.append(f"Flow stepped in time with the inlet flow: {entry['flow_steps']} flow "
                     f"steps")
    rows = []
    for name, chip in entry["chips"].items():
        limit = chip["time_to_limit_s"]
        rows.append([name, _num(chip["peak_temperature_K"] - ZERO_CELSIUS, ".2f"),
                     _num(chip["peak_time_s"], ".3g"),
                     _num(chip["final_temperature_K"] - ZERO_CELSIUS, ".2f"),
                     "-" if chip["limit_temperature_K"] is None
                     else _num(chip["limit_temperature_K"] - ZERO_CELSIUS, ".2f"),
                     "never" if limit is None else _num(limit, ".3g")])
    lines += _table(["chip", "peak [C]", "at [s]", "final [C]", "limit [C]",
                     "reaches limit at [s]"], rows)
    return "\n".join(lines)


def write_summary(result_dir: ResultDirectory | str | os.PathLike,
                  summary: Mapping[str, Any]) -> tuple[Path, Path]:
    """Write ``summary.json`` and ``summary.txt`` (the :func:`format_summary` text) atomically.

    Parameters
    ----------
    result_dir : ResultDirectory or path-like
        The case's results folder.
    summary : dict
        As built by :func:`build_summary`.

    Returns
    -------
    tuple of Path
        ``(summary.json, summary.txt)``.
    """
    if not isinstance(result_dir, ResultDirectory):
        result_dir = ResultDirectory.at(result_dir)
    json_path = write_json(result_dir.summary, summary)
    text_path = _atomic_write_text(result_dir.summary_text, format_summary(summary) + "\n")
    return json_path, text_path


def read_summary(result_dir: ResultDirectory | str | os.PathLike) -> dict[str, Any]:
    """Read ``summary.json`` from a results folder."""
    if not isinstance(result_dir, ResultDirectory):
        result_dir = ResultDirectory.at(result_dir)
    return read_json(result_dir.summary)
