"""The Python interface: ``solver.run(case)`` returning a :class:`Result`.

::

    import solver
    from solver.case import load_case

    case = load_case("cases/coldplate_unit_cell.toml")
    result = solver.run(case.with_changes({"boundaries[inlet].volumetric_flow": "0.1 L/min"}))
    result.metrics["pressure_drop"], result.units["pressure_drop"]   # (..., "Pa")
    result.table("history")                                          # a pandas DataFrame

A :class:`Result` holds the headline metrics of the run with their units (what the sweep
tabulates: peak temperatures, pressure drop, thermal resistance, flows, the design checks and
the verdict), the paths of the files the run wrote, the summary the pipeline returned, and the
CSV tables of the results folder as pandas DataFrames. :func:`headline_metrics` reads the same
metrics back from a results folder, so a finished run need not be run again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from solver.units import ZERO_CELSIUS

if TYPE_CHECKING:
    import pandas

    from solver.case.schema import Case

# the file holding the headline figures of a run, by kind, most complete first
_HEADLINE_FILES = ("summary.json", "rack_summary.json", "report.json", "network_summary.json")


@dataclass(frozen=True)
class Result:
    """The outcome of one run.

    Attributes
    ----------
    case : Case
        The case that was run.
    folder : Path
        Its results folder.
    metrics : dict
        Headline metric name -> value (numbers in the unit of :attr:`units`; ``verdict`` is
        ``"PASS"``, ``"FAIL"`` or ``"n/a"``; ``check.<name>`` the same for each design check).
    units : dict
        Metric name -> unit (``"C"``, ``"K"``, ``"Pa"``, ``"K/W"``, ``"L/min"``, ...; ``""`` for
        words).
    summary : dict
        What :func:`solver.pipeline.run` returned (the summary written to ``summary.json``, or a
        rack's report).
    """

    case: Case
    folder: Path
    metrics: dict[str, Any]
    units: dict[str, str]
    summary: dict = field(repr=False)

    @property
    def files(self) -> dict[str, Path]:
        """Every file of the results folder by its path relative to the folder
        (``summary.json``, ``images/convergence.png``, ...)."""
        return {str(p.relative_to(self.folder)): p for p in sorted(self.folder.rglob("*"))
                if p.is_file()}

    @property
    def passed(self) -> bool | None:
        """True when the verdict is PASS, False when FAIL, None when nothing was checked."""
        return {"PASS": True, "FAIL": False}.get(self.metrics.get("verdict"))

    def table(self, name: str) -> pandas.DataFrame:
        """The table ``<name>.csv`` of the results folder (``history``, ``network``,
        ``transient``) as a DataFrame; its headers keep their units (``"flow [m3/s]"``).

        Raises
        ------
        FileNotFoundError
            When the run wrote no such table (see :attr:`tables`).
        """
        import pandas

        path = self.folder / f"{name}.csv"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such table (this run wrote: "
                                    f"{', '.join(self.tables) or 'none'})")
        return pandas.read_csv(path)

    @property
    def tables(self) -> list[str]:
        """Names of the CSV tables in the results folder (for :meth:`table`)."""
        return sorted(p.stem for p in self.folder.glob("*.csv"))

    @property
    def chips(self) -> pandas.DataFrame:
        """One row per chip: power [W], temperature [C], limit [C] and margin [K]."""
        import pandas

        found = _headline_file(self.folder)
        return pandas.DataFrame(chip_rows(found[1] if found else self.summary))

    def metric_table(self) -> pandas.DataFrame:
        """The headline metrics as a DataFrame with columns ``metric``, ``value``, ``unit``."""
        import pandas

        return pandas.DataFrame({"metric": list(self.metrics),
                                 "value": list(self.metrics.values()),
                                 "unit": [self.units[k] for k in self.metrics]})


def run(case: Case, output: str | Path | None = None, backend: str | None = None,
        quiet: bool = True) -> Result:
    """Solve ``case`` through the normal pipeline (what ``coolsim run`` does) and return its
    :class:`Result`.

    Parameters
    ----------
    case : Case
        A validated case (:func:`solver.case.load_case`, ``case.with_changes``).
    output : path, optional
        Results root (default ``[output] directory``); results go to ``<output>/<case name>/``.
    backend : {"auto", "cpu", "gpu"}, optional
        Overrides ``[solver] backend``.
    quiet : bool
        No progress lines on standard error (default True; the summary still prints).
    """
    from solver.output.results import ResultDirectory
    from solver.pipeline import run as run_pipeline
    from solver.preflight import check_case

    check_case(case, backend)
    summary = run_pipeline(case, backend=backend or case.solver.backend, output=output,
                           quiet=quiet)
    folder = ResultDirectory(output or case.output.directory, case.name).path
    metrics, units = headline_metrics(folder)
    return Result(case=case, folder=folder, metrics=metrics, units=units, summary=summary)


def _headline_file(folder: Path) -> tuple[str, dict] | None:
    for name in _HEADLINE_FILES:
        path = folder / name
        if path.is_file():
            return name, json.loads(path.read_text())
    return None


def finished_case_hash(folder: str | Path) -> str | None:
    """The case hash recorded by the finished run in ``folder`` (``summary.json``; a rack's
    ``report.json``), or None when the folder holds no finished run."""
    folder = Path(folder)
    for name in ("summary.json", "report.json"):
        path = folder / name
        if path.is_file():
            try:
                data = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError):
                return None
            return (data.get("case") or {}).get("hash") or data.get("case_hash")
    return None


def headline_metrics(folder: str | Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The headline metrics of the run in ``folder`` and their units.

    A plate (``summary.json``): ``peak_temperature`` [C], per chip ``chip.<name>.max_temperature``
    [C] and ``chip.<name>.margin`` [K], and for a cold plate ``pressure_drop`` [Pa],
    ``thermal_resistance`` [K/W], ``volumetric_flow`` [L/min], ``mass_flow`` [kg/s],
    ``inlet_temperature``, ``outlet_temperature``, ``case_temperature`` [C],
    ``heat_to_coolant`` [W]; ``energy_balance_error`` [-], ``converged`` and ``verdict``.

    A rack (``report.json``): ``peak_temperature`` [C] (the hottest chip), ``pressure_drop``
    [Pa] (across the rack), ``tcs_flow`` [L/min], ``pump_shaft_power`` [W], every design check's
    value in its unit and ``check.<name>`` (PASS, FAIL or n/a), and ``verdict``.

    Returns
    -------
    (dict, dict)
        Metric name -> value, metric name -> unit.

    Raises
    ------
    FileNotFoundError
        When ``folder`` holds no summary of a run.
    """
    folder = Path(folder)
    found = _headline_file(folder)
    if found is None:
        raise FileNotFoundError(f"{folder}: no summary.json or report.json of a finished run")
    name, data = found
    table = _plate_metrics(data) if name == "summary.json" else \
        _network_metrics(data) if name == "network_summary.json" else _rack_metrics(data)
    return {k: v for k, (v, _) in table.items()}, {k: u for k, (_, u) in table.items()}


def _plate_metrics(summary: dict) -> dict[str, tuple[Any, str]]:
    flow = summary.get("flow") or {}
    bodies = summary.get("bodies") or {}
    peak = flow.get("peak_temperature_C")
    if peak is None and bodies:
        peak = max(b["max_temperature_C"] for b in bodies.values())
    table: dict[str, tuple[Any, str]] = {"peak_temperature": (peak, "C")}
    for chip, entry in (summary.get("chips") or {}).items():
        table[f"chip.{chip}.max_temperature"] = (entry.get("max_temperature_C"), "C")
        if "margin_K" in entry:
            table[f"chip.{chip}.margin"] = (entry["margin_K"], "K")
    for metric, key, unit in (("pressure_drop", "pressure_drop_Pa", "Pa"),
                              ("thermal_resistance", "thermal_resistance_K_per_W", "K/W"),
                              ("volumetric_flow", "volumetric_flow_L_per_min", "L/min"),
                              ("mass_flow", "mass_flow_kg_per_s", "kg/s"),
                              ("inlet_temperature", "inlet_temperature_C", "C"),
                              ("outlet_temperature", "outlet_temperature_C", "C"),
                              ("case_temperature", "case_temperature_C", "C"),
                              ("heat_to_coolant", "heat_to_coolant_W", "W")):
        if key in flow:
            table[metric] = (flow[key], unit)
    energy = summary.get("energy_balance") or {}
    table["energy_balance_error"] = (flow.get("energy_balance_relative_error",
                                              energy.get("relative_error")), "-")
    table["converged"] = ((summary.get("solver") or {}).get("converged"), "")
    table["verdict"] = ((summary.get("verdict") or {}).get("status", "n/a"), "")
    return table


def _rack_metrics(report: dict) -> dict[str, tuple[Any, str]]:
    checks = {c["name"]: c for c in report.get("checks", [])}
    peak = checks.get("chip_limits", {}).get("value")
    table: dict[str, tuple[Any, str]] = {
        "peak_temperature": (peak, "C"),
        "pressure_drop": (report.get("rack_differential_pressure"), "Pa"),
        "tcs_flow": ((report.get("tcs") or {}).get("flow_lpm"), "L/min"),
        "pump_shaft_power": ((report.get("pump") or {}).get("shaft_power"), "W")}
    for name, check in checks.items():
        if name not in ("chip_limits", "rack_pressure_drop") and check.get("value") is not None:
            table[name] = (check["value"], check.get("unit", ""))
    for name, check in checks.items():
        table[f"check.{name}"] = ({True: "PASS", False: "FAIL"}.get(check.get("passed"), "n/a"),
                                  "")
    table["verdict"] = ("PASS" if report.get("passed") else "FAIL", "")
    return table


def _network_metrics(summary: dict) -> dict[str, tuple[Any, str]]:
    pump = summary.get("pump") or {}
    return {"pump_flow": (pump.get("flow_lpm"), "L/min"),
            "pump_pressure_rise": (pump.get("pressure_rise"), "Pa"),
            "total_heat": (summary.get("total_heat"), "W"),
            "energy_balance_error": (summary.get("energy_balance_error"), "-"),
            "converged": (summary.get("converged"), "")}


def chip_rows(summary: dict) -> list[dict[str, Any]]:
    """Rows ``chip``, ``power [W]``, ``temperature [C]``, ``limit [C]``, ``margin [K]`` of a plate
    summary (its chips' peak temperatures) or a rack report (each chip's temperature on its
    basis, case or peak)."""
    rows = []
    if isinstance(summary.get("chips"), dict):
        for name, entry in summary["chips"].items():
            limit = entry.get("limit_temperature_K")
            rows.append({"chip": name, "power [W]": entry.get("power_W"),
                         "temperature [C]": entry.get("max_temperature_C"),
                         "limit [C]": None if limit is None else limit - ZERO_CELSIUS,
                         "margin [K]": entry.get("margin_K")})
        return rows
    for entry in summary.get("chips") or []:
        rows.append({"chip": entry["name"], "power [W]": entry.get("power"),
                     "temperature [C]": entry["temperature"] - ZERO_CELSIUS,
                     "limit [C]": entry["limit"] - ZERO_CELSIUS,
                     "margin [K]": entry.get("margin")})
    return rows
