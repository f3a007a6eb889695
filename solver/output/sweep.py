"""The files of a sweep folder: ``sweep.csv``, ``sweep.json``, the plots and the report.

* ``sweep.csv``: one row per point: ``point``, each swept key with its SI unit in the header
  (``boundaries[inlet].velocity [m/s]``), every headline metric with its unit
  (``pressure_drop [Pa]``, :func:`solver.api.headline_metrics`), ``status`` (done, cached:
  read back from an earlier run, failed), ``error`` (one line), ``seconds [s]`` (wall time of
  the point's run), ``peak_memory [MB]`` (peak resident memory of the process that ran it,
  while it ran), ``memory_rise [MB]`` (that peak less the memory resident when it began),
  ``worker_losses`` (times a Dask worker died under the point and it ran again), ``case_hash``
  and ``folder`` (the point's results, relative to the sweep folder); a cached point has no
  time or memory (0 s, empty);
* ``sweep.json``: the case, the design, the swept keys and every point's record;
* ``images/<metric>.png``: each numeric metric that varies against each numeric swept key (one
  panel per key; the points sharing the other keys' values joined by a line), and
  ``images/pareto_pressure_drop_peak_temperature.png`` when both vary: every point, the
  non-dominated ones (no other point both cooler and with less pressure drop) joined;
* ``report.md`` and ``report.html``: what was swept, the points, the failures, the pictures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from solver.jsonable import to_jsonable
from solver.output.atomic import write_csv, write_json
from solver.output.figures import pyplot, save_figure
from solver.output.html_report import markdown_table, write_report_pages
from solver.output.report import format_number
from solver.version import __version__

if TYPE_CHECKING:
    from solver.sweep import Sweep

_REPORT_METRICS = ("peak_temperature", "pressure_drop", "thermal_resistance", "verdict")
# solver diagnostics, not design figures: in sweep.csv, not plotted
_NOT_PLOTTED = ("energy_balance_error", "heat_balance", "converged")


def _metric_columns(sweep: Sweep) -> tuple[list[str], dict[str, str]]:
    """Metric names in first-seen order and their units, over every point."""
    names: list[str] = []
    units: dict[str, str] = {}
    for record in sweep.records:
        for name in record["metrics"]:
            if name not in units:
                names.append(name)
                units[name] = record["units"].get(name, "")
    return names, units


def _input_units(sweep: Sweep) -> dict[str, str]:
    units: dict[str, str] = {}
    for point in sweep.points:
        for key, (_, unit) in point.inputs.items():
            units.setdefault(key, "" if unit == "-" else unit)
    return units


def sweep_rows(sweep: Sweep) -> list[dict[str, Any]]:
    """The rows of ``sweep.csv`` (column name with its unit -> value)."""
    inputs = _input_units(sweep)
    metrics, units = _metric_columns(sweep)

    def header(name, unit):
        return f"{name} [{unit}]" if unit else name

    rows = []
    for point, record in zip(sweep.points, sweep.records, strict=True):
        row: dict[str, Any] = {"point": point.index + 1}
        for key, unit in inputs.items():
            row[header(key, unit)] = point.inputs[key][0]
        for name in metrics:
            row[header(name, units[name])] = record["metrics"].get(name)
        row["status"] = record["status"]
        row["error"] = record.get("error", "")
        row["seconds [s]"] = record["seconds"]
        row["peak_memory [MB]"] = record.get("peak_memory")
        row["memory_rise [MB]"] = record.get("memory_rise")
        row["worker_losses"] = record.get("worker_losses", 0)
        row["case_hash"] = record["case_hash"]
        row["folder"] = str(point.folder(sweep.folder).relative_to(sweep.folder))
        rows.append(row)
    return rows


def _numeric(values: Sequence) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
               for v in values)


def _varies(values: Sequence) -> bool:
    """More than one value; numbers more than 1e-6 apart relative to the largest (the heat to
    the coolant of a plate moves by round-off from point to point)."""
    if _numeric(values) and values:
        return max(values) - min(values) > 1e-6 * max(abs(v) for v in values)
    return len({repr(v) for v in values}) > 1


def write_sweep(sweep: Sweep) -> dict[str, Path]:
    """Write ``sweep.csv``, ``sweep.json``, ``images/*.png`` and ``report.md``/``report.html``
    into the sweep folder; returns the paths by name."""
    folder = sweep.folder
    folder.mkdir(parents=True, exist_ok=True)
    rows = sweep_rows(sweep)
    files = {"csv": write_csv(folder / "sweep.csv", rows)}
    metrics, units = _metric_columns(sweep)
    inputs = _input_units(sweep)
    files["json"] = write_json(folder / "sweep.json", to_jsonable({
        "schema": "coolsim-sweep", "schema_version": 1, "coolsim_version": __version__,
        "case": {"name": sweep.case.name, "file": str(sweep.case.source_path or "")},
        "design": sweep.design,
        "inputs": [{"key": k, "unit": u} for k, u in inputs.items()],
        "metric_units": units,
        "record_units": {"seconds": "s", "peak_memory": "MB", "memory_rise": "MB"},
        "points": [{"point": p.index + 1, "changes": p.changes,
                    "inputs": {k: v for k, (v, _) in p.inputs.items()},
                    "folder": str(p.folder(folder).relative_to(folder)), **record}
                   for p, record in zip(sweep.points, sweep.records, strict=True)]}))
    pictures = _plots(sweep, metrics, units, inputs)
    files.update(pictures)
    files.update(write_report_pages(folder, _report(sweep, metrics, units, inputs, pictures),
                                    "FAIL" if sweep.failed else "n/a"))
    return files


def _series(sweep: Sweep, metric: str, key: str) -> list[tuple[float, float, tuple]]:
    """(input, metric, the values of the other swept keys that vary) of every point that has
    the metric."""
    others = [k for k in _input_units(sweep)
              if k != key and _varies([p.inputs[k][0] for p in sweep.points])]
    found = []
    for point, record in zip(sweep.points, sweep.records, strict=True):
        value = record["metrics"].get(metric)
        if value is None:
            continue
        found.append((point.inputs[key][0], value,
                      tuple((k, _cell(point.inputs[k][0])) for k in others)))
    return found


def _label(name: str, unit: str) -> str:
    return f"{name} [{unit}]" if unit and unit != "-" else name


def _plots(sweep: Sweep, metrics: list[str], units: dict[str, str],
           inputs: dict[str, str]) -> dict[str, Path]:
    """One picture per numeric metric that varies, a panel per numeric swept key; the Pareto
    picture of pressure drop against peak temperature when both vary."""
    keys = [k for k in inputs
            if _numeric([p.inputs[k][0] for p in sweep.points]) and
            _varies([p.inputs[k][0] for p in sweep.points])]
    done = [r for r in sweep.records if r["status"] != "failed"]
    plt = pyplot() if keys and done else None
    pictures: dict[str, Path] = {}
    for metric in metrics:
        values = [r["metrics"].get(metric) for r in done if r["metrics"].get(metric) is not None]
        if metric in _NOT_PLOTTED or not keys or not _numeric(values) or not _varies(values):
            continue
        fig, axes = plt.subplots(1, len(keys), figsize=(5.2 * len(keys), 3.8), squeeze=False)
        for ax, key in zip(axes[0], keys, strict=True):
            groups: dict[tuple, list] = {}
            for x, y, others in _series(sweep, metric, key):
                groups.setdefault(others, []).append((x, y))
            if all(len(pairs) == 1 for pairs in groups.values()):
                # no two points share the other keys' values (a Latin hypercube): one scatter
                pairs = sorted(p for group in groups.values() for p in group)
                ax.plot([p[0] for p in pairs], [p[1] for p in pairs], "o", ms=5)
                groups = {}
            for others, pairs in groups.items():
                pairs.sort()
                name = ", ".join(f"{k.rsplit('.', 1)[-1]} {v} {inputs[k]}".rstrip()
                                 for k, v in others)
                ax.plot([p[0] for p in pairs], [p[1] for p in pairs], "o-", ms=4,
                        label=name or None)
            if 1 < len(groups) <= 6:
                ax.legend(fontsize=7)
            ax.set_xlabel(_label(key, inputs[key]))
            ax.set_ylabel(_label(metric, units[metric]))
            ax.grid(alpha=0.3)
        fig.suptitle(f"{sweep.case.name}: {metric}", fontsize=10)
        pictures[metric] = save_figure(fig, folder_image(sweep.folder, metric))
    pareto = _pareto(sweep, plt or pyplot())
    if pareto is not None:
        pictures["pareto"] = pareto
    return pictures


def folder_image(folder: Path, name: str) -> Path:
    """``<folder>/images/<name>.png`` (a metric name's dots become underscores)."""
    path = folder / "images" / f"{name.replace('.', '_')}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def pareto_front(pairs: Sequence[tuple[float, float]]) -> list[int]:
    """Indexes of the non-dominated pairs (no other pair is lower or equal in both and lower
    in one), sorted by the first value."""
    front = [i for i, (a, b) in enumerate(pairs)
             if not any((c <= a and d <= b) and (c < a or d < b) for c, d in pairs)]
    return sorted(front, key=lambda i: pairs[i])


def _pareto(sweep: Sweep, plt) -> Path | None:
    points = [(r["metrics"].get("pressure_drop"), r["metrics"].get("peak_temperature"))
              for r in sweep.records if r["status"] != "failed"]
    points = [p for p in points if _numeric(p)]
    if not points or not _varies([p[0] for p in points]) or not _varies([p[1] for p in points]):
        return None
    front = pareto_front(points)
    units = _metric_columns(sweep)[1]
    fig, ax = plt.subplots(figsize=(5.6, 4.2))
    ax.plot([p[0] for p in points], [p[1] for p in points], "o", color="0.6", ms=5,
            label="point")
    ax.plot([points[i][0] for i in front], [points[i][1] for i in front], "o-", color="C3",
            ms=6, label="non-dominated")
    ax.set_xlabel(_label("pressure_drop", units.get("pressure_drop", "")))
    ax.set_ylabel(_label("peak_temperature", units.get("peak_temperature", "")))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f"{sweep.case.name}: peak temperature against pressure drop", fontsize=10)
    return save_figure(fig, folder_image(sweep.folder, "pareto_pressure_drop_peak_temperature"))


def _cell(value) -> str:
    if isinstance(value, float):
        return format_number(value, ".5g")
    return "-" if value is None else str(value)


def _report(sweep: Sweep, metrics: list[str], units: dict[str, str], inputs: dict[str, str],
            pictures: dict[str, Path]) -> str:
    cached = sum(r["status"] == "cached" for r in sweep.records)
    lines = [f"# Sweep of {sweep.case.name}", "",
             f"{len(sweep.records)} points: {sweep.ran - len(sweep.failed)} solved, {cached} "
             f"read back from an earlier run, {len(sweep.failed)} failed. Case file: "
             f"`{sweep.case.source_path or 'in memory'}`; design: "
             + ", ".join([str(sweep.design.get("kind", "given points")),
                          *(f"{k} {v}" for k, v in sweep.design.items()
                            if k not in ("kind", "keys"))]) + ".", "",
             "## Swept keys", ""]
    lines += markdown_table(["key", "unit", "values"], [
        [k, inputs[k] or "-", ", ".join(sorted({_cell(p.inputs[k][0]) for p in sweep.points},
                                               key=_sort_key))] for k in inputs])
    shown = [m for m in _REPORT_METRICS if m in units] or metrics[:4]
    lines += ["## Points", ""]
    lines += markdown_table(
        ["point", *[_label(k, inputs[k]) for k in inputs],
         *[_label(m, units[m]) for m in shown], "status"],
        [[p.index + 1, *[_cell(p.inputs[k][0]) for k in inputs],
          *[_cell(r["metrics"].get(m)) for m in shown], r["status"]]
         for p, r in zip(sweep.points, sweep.records, strict=True)])
    if sweep.failed:
        lines += ["## Failed points", ""]
        lines += [f"- point {r['index'] + 1}: {r['error']}" for r in sweep.failed] + [""]
    rerun = [r for r in sweep.records if r.get("worker_losses")]
    if rerun:
        lines += ["## Points run again after losing their worker", ""]
        lines += [f"- point {r['index'] + 1}: its worker died {r['worker_losses']} "
                  f"time(s); {r['status']}" for r in rerun] + [""]
    lines += ["Every metric of every point, with units: `sweep.csv` (and `sweep.json`); each "
              "point's own results and report: the `folder` column.", ""]
    if not pictures:
        lines += ["No pictures: no numeric metric varies against a numeric swept key.", ""]
    return "\n".join(lines)


def _sort_key(text: str):
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)
