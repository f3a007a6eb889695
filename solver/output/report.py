"""The rack report: chip, plate, branch, pump, CDU and facility figures with design checks.

:func:`rack_report` takes the result of a rack network solve (the summary of
:func:`solver.output.network.summarize` and the component rows of
:func:`solver.output.network.branch_table`, or the same read back from ``network_summary.json``
and ``network.csv`` by :func:`load_network_result`), optionally the characterization curves of
the plates (:class:`solver.coupling.PlateCurves`, for per-chip case and peak temperatures), and
returns one JSON-ready dictionary; :func:`write_report` writes it as ``report.json`` and
``report.md`` (atomically, through :mod:`solver.output`).

Design checks (each with pass/fail and the numbers behind it; thresholds are the frozen
:class:`DesignLimits`, echoed in the report):

=======================  ===============================================================
chip_limits              hottest chip (peak, else case) temperature <= its limit
flow_per_kw              TCS flow per kW of heat within 1.25-2.0 L/min/kW (OCP guidance)
tcs_temperature_rise     TCS return - supply within the 8-12 K band (typical design)
cdu_approach             TCS supply - facility supply <= 5 K (3-5 K typical; below 3 K
                         passes with a note: a large exchanger, not a fault)
plate_pressure_drop      largest cold-plate pressure drop <= 20 kPa (vendor target for 1 kW
                         GPU plates)
rack_pressure_drop       rack header-to-header pressure difference <= budget (when set)
channel_velocity         largest coolant velocity in the loop (pipes, hoses, QDs, plate
                         channels when known) <= 2.5 m/s
facility_water_class     facility supply <= the ASHRAE W-class maximum (W17..W45)
dew_point_margin         TCS supply >= room dew point + 2 K (when a dew point is given)
heat_balance             |chip power + pump heat - heat to facility water| / (chip power +
                         pump heat) <= 0.5 % (pump heat: the shaft power, which the network
                         adds to the coolant)
controls                 every control setpoint met
=======================  ===============================================================

The 2.5 m/s velocity limit is the erosion-corrosion limit for copper of BS 6700 at 70 C
(3.0 m/s up to 50 C, 2.0 m/s at 90 C); the Copper Development Association's Copper Tube
Handbook is stricter for long-lived hot-water loops (2.4 m/s cold, 1.5 m/s hot water up to
60 C). Set ``channel_velocity_max`` accordingly.

Units: SI inside (K, Pa, m3/s, W); the Markdown shows C, kPa and L/min.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from solver.case.bodies import DEFAULT_CHIP_LIMIT
from solver.case.network import WATER_CLASSES
from solver.output.atomic import read_json, write_json
from solver.output.chip_pictures import chip_kind, chip_tray, plot_chip_temperatures
from solver.output.html_report import markdown_table, verdict_status, write_report_pages
from solver.units import LPM, ZERO_CELSIUS
from solver.version import __version__


@dataclass(frozen=True)
class DesignLimits:
    """Thresholds of the design checks (defaults from the OCP/ASHRAE numbers in DESIGN.md).

    Parameters
    ----------
    chip_temperature_max : float
        [K] limit of every chip without its own entry in ``chip_limits`` (95 C).
    chip_limits : mapping of str -> float
        [K] per-chip limits by chip name (from the case's ``max_temperature``).
    flow_per_kw_min, flow_per_kw_max : float
        [L/min/kW] OCP flow-per-heat guidance, 1.25-2.0.
    tcs_rise_min, tcs_rise_max : float
        [K] TCS temperature-rise band, 8-12 K.
    cdu_approach_min, cdu_approach_max : float
        [K] CDU approach band, 3-5 K (only the maximum fails).
    plate_pressure_drop_max : float
        [Pa] largest cold-plate pressure drop, 20 kPa.
    rack_pressure_drop_max : float or None
        [Pa] budget of the rack (supply header to return header); None: not checked.
    channel_velocity_max : float
        [m/s] coolant velocity limit, 2.5 m/s (copper erosion-corrosion, BS 6700 at 70 C).
    water_class : str or None
        ASHRAE facility water class ("W17", "W27", "W32", "W40", "W45", "W+"); None: not
        checked.
    room_dew_point : float or None
        [K] room dew point; None: the dew-point check is skipped.
    dew_point_margin_min : float
        [K] smallest TCS supply margin above the dew point (guidance 2-3 K).
    heat_balance_tolerance : float
        [-] relative mismatch allowed between chip power and heat to facility water (0.5 %).
    """

    chip_temperature_max: float = DEFAULT_CHIP_LIMIT
    chip_limits: Mapping[str, float] = field(default_factory=dict)
    flow_per_kw_min: float = 1.25
    flow_per_kw_max: float = 2.0
    tcs_rise_min: float = 8.0
    tcs_rise_max: float = 12.0
    cdu_approach_min: float = 3.0
    cdu_approach_max: float = 5.0
    plate_pressure_drop_max: float = 20e3
    rack_pressure_drop_max: float | None = None
    channel_velocity_max: float = 2.5
    water_class: str | None = None
    room_dew_point: float | None = None
    dew_point_margin_min: float = 2.0
    heat_balance_tolerance: float = 0.005

    def __post_init__(self):
        if self.water_class is not None and self.water_class not in (*WATER_CLASSES, "W+"):
            raise ValueError(f"unknown water class {self.water_class!r} (known: "
                             f"{', '.join(WATER_CLASSES)}, W+)")
        for low, high in ((self.flow_per_kw_min, self.flow_per_kw_max),
                          (self.tcs_rise_min, self.tcs_rise_max),
                          (self.cdu_approach_min, self.cdu_approach_max)):
            if not 0 <= low <= high:
                raise ValueError(f"band limits must satisfy 0 <= low <= high, got {low}, {high}")

    def chip_limit(self, chip: str) -> float:
        """[K] limit of ``chip``."""
        return float(self.chip_limits.get(chip, self.chip_temperature_max))




@dataclass(frozen=True)
class Check:
    """One design check: verdict and the numbers behind it.

    Attributes
    ----------
    name : str
        Check identifier (``chip_limits``, ``flow_per_kw``...).
    passed : bool or None
        True / False; None when the check could not be evaluated (missing data).
    value : float or None
        The measured quantity, in ``unit``.
    limit : str
        The criterion as text (``"<= 95 C"``, ``"1.25 - 2"``).
    unit : str
        Unit of ``value``.
    detail : str
        Where the value comes from (hottest chip, component name...), or why skipped.
    """

    name: str
    passed: bool | None
    value: float | None
    limit: str
    unit: str
    detail: str = ""


# ---------------------------------------------------------------------------------------------
# reading a network result
# ---------------------------------------------------------------------------------------------
def _number(text: str):
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


def read_network_csv(path) -> list[dict]:
    """Rows of ``network.csv`` with the unit suffixes stripped from the column names."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(line for line in handle if not line.startswith("#"))
        header = next(reader)
        names = [h.split(" [")[0].strip() for h in header]
        return [{n: _number(v) for n, v in zip(names, row, strict=False)} for row in reader]


def load_network_result(directory) -> tuple[dict, list[dict]]:
    """``(summary, component rows)`` of a network run folder (network_summary.json, .csv)."""

    directory = Path(directory)
    return (read_json(directory / "network_summary.json"),
            read_network_csv(directory / "network.csv"))


# ---------------------------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------------------------
def _finite(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def curves_for(plate: str, plate_curves: Mapping | None):
    """The curves of a plate: by exact name, else by a dot-separated part (rack group name)."""
    if not plate_curves:
        return None
    if plate in plate_curves:
        return plate_curves[plate]
    parts = plate.split(".")
    for key, curves in plate_curves.items():
        if key in parts:
            return curves
    return None


def _plate_entries(rows, plate_curves, unserved):
    """Per-plate and per-chip entries from the cold-plate rows (and plates with no coolant)."""
    plates, chips = [], []
    for row in rows:
        if row.get("type", "component") != "component" or row.get("kind") != "cold_plate":
            continue
        name = row["name"]
        q = float(row["flow"])
        t_in = float(row["inlet_temperature"])
        power = float(row["heat"])
        curves = curves_for(name, plate_curves)
        velocity = None
        if curves is not None:
            scale = power / curves.total_power if curves.total_power > 0 else 0.0
            powers = {c: p * scale for c, p in curves.chip_powers.items()}
            temps = curves.chip_temperatures(q, t_in, powers)
            velocity = curves.channel_velocity(q)
            for chip, t in temps.items():
                chips.append({"name": f"{name}/{chip}", "chip": chip, "plate": name,
                              "power": t["power"], "case_temperature": t["case_temperature"],
                              "peak_temperature": t["peak_temperature"],
                              "resistance": t["resistance"], "source": "curves"})
            hottest = max(t["case_temperature"] for t in temps.values())
        else:
            hottest = _finite(row.get("case_temperature"))
            chips.append({"name": name, "chip": name, "plate": name, "power": power,
                          "case_temperature": hottest, "peak_temperature": None,
                          "resistance": ((hottest - t_in) / power
                                         if hottest is not None and power > 0 else None),
                          "source": "network"})
        plates.append({"name": name, "flow": q, "flow_lpm": q * LPM,
                       "pressure_drop": float(row["pressure_drop"]), "power": power,
                       "inlet_temperature": t_in,
                       "outlet_temperature": float(row["outlet_temperature"]),
                       "case_temperature": hottest,
                       "resistance": ((hottest - t_in) / power
                                      if hottest is not None and power > 0 else None),
                       "channel_velocity": velocity, "coolant": True})
    for entry in unserved or ():
        name, power = entry["name"], float(entry.get("power", 0.0))
        plates.append({"name": name, "flow": 0.0, "flow_lpm": 0.0, "pressure_drop": None,
                       "power": power, "inlet_temperature": None, "outlet_temperature": None,
                       "case_temperature": None, "resistance": None, "channel_velocity": None,
                       "coolant": False})
        chips.append({"name": name, "chip": name, "plate": name, "power": power,
                      "case_temperature": None, "peak_temperature": None, "resistance": None,
                      "source": "no coolant"})
    return plates, chips


# Limits are compared with a round-off allowance (relative 1e-9), so a value set exactly at a limit
# (a W32 facility supply of 32 C) is not failed by the last bit of a unit conversion.
_ROUND_OFF = 1e-9
# rows of the hottest-chip list in report.md (the kind and tray tables summarise the rest)
HOTTEST_CHIPS = 12


def _not_above(value, high) -> bool:
    return value <= high + _ROUND_OFF * max(1.0, abs(high))


def _not_below(value, low) -> bool:
    return value >= low - _ROUND_OFF * max(1.0, abs(low))


def _band(name, value, low, high, unit, detail, fail_low=True) -> Check:
    if value is None:
        return Check(name, None, None, f"{low:g} - {high:g}", unit, "not available")
    passed = _not_above(value, high) and (_not_below(value, low) or not fail_low)
    note = detail
    if not fail_low and value < low:
        note += f"; below the typical {low:g} {unit} (passes)"
    return Check(name, passed, value, f"{low:g} - {high:g}", unit, note)


def _at_most(name, value, high, unit, detail) -> Check:
    if value is None:
        return Check(name, None, None, f"<= {high:g}", unit, "not available")
    return Check(name, _not_above(value, high), value, f"<= {high:g}", unit, detail)


def design_checks(report: Mapping, limits: DesignLimits) -> list[Check]:
    """Evaluate every design check on a report dictionary (see the module docstring)."""
    checks = []
    # chip limits: worst margin (peak when known, else case); a plate without coolant fails
    margins = [(c["margin"], c["name"]) for c in report["chips"] if c["margin"] is not None]
    starved = [c["name"] for c in report["chips"] if c["margin"] is None]
    if starved:
        checks.append(Check("chip_limits", False, None, "<= chip limit", "K",
                            f"no coolant flow to {', '.join(starved)}"))
    elif margins:
        worst, where = min(margins)
        chip = next(c for c in report["chips"] if c["name"] == where)
        checks.append(Check("chip_limits", worst >= 0.0, chip["temperature"] - ZERO_CELSIUS,
                            f"<= {chip['limit'] - ZERO_CELSIUS:g} C", "C",
                            f"hottest {where}: margin {worst:.2f} K ({chip['basis']})"))
    else:
        checks.append(Check("chip_limits", None, None, "<= chip limit", "C", "no chips"))
    tcs = report.get("tcs") or {}
    checks.append(_band("flow_per_kw", _finite(tcs.get("lpm_per_kw")), limits.flow_per_kw_min,
                        limits.flow_per_kw_max, "L/min/kW",
                        f"TCS flow {_fmt(tcs.get('flow_lpm'), '.1f')} L/min for "
                        f"{_fmt(_scale(report.get('total_power'), 1e-3), '.1f')} kW"))
    checks.append(_band("tcs_temperature_rise", _finite(tcs.get("delta_t")), limits.tcs_rise_min,
                        limits.tcs_rise_max, "K",
                        f"supply {_celsius(tcs.get('supply_temperature'))} C, return "
                        f"{_celsius(tcs.get('return_temperature'))} C"))
    cdu = report.get("cdu") or {}
    checks.append(_band("cdu_approach", _finite(cdu.get("approach")), limits.cdu_approach_min,
                        limits.cdu_approach_max, "K", "TCS supply - facility supply",
                        fail_low=False))
    plates = [p for p in report["plates"] if p["pressure_drop"] is not None]
    if plates:
        worst = max(plates, key=lambda p: p["pressure_drop"])
        checks.append(_at_most("plate_pressure_drop", worst["pressure_drop"],
                               limits.plate_pressure_drop_max, "Pa",
                               f"{worst['name']} at {worst['flow_lpm']:.3g} L/min"))
    else:
        checks.append(Check("plate_pressure_drop", None, None,
                            f"<= {limits.plate_pressure_drop_max:g}", "Pa", "no cold plates"))
    rack_dp = _finite(report.get("rack_differential_pressure"))
    if limits.rack_pressure_drop_max is None:
        checks.append(Check("rack_pressure_drop", None, rack_dp, "no budget set", "Pa",
                            "set [report] rack_pressure_drop_max"))
    else:
        checks.append(_at_most("rack_pressure_drop", rack_dp, limits.rack_pressure_drop_max,
                               "Pa", "supply header inlet to return header outlet"))
    velocities = [(v, n) for n, v in report.get("velocities", {}).items() if v is not None]
    if velocities:
        v, where = max(velocities)
        checks.append(_at_most("channel_velocity", v, limits.channel_velocity_max, "m/s",
                               f"fastest: {where}"))
    else:
        checks.append(Check("channel_velocity", None, None,
                            f"<= {limits.channel_velocity_max:g}", "m/s", "no velocities"))
    facility = report.get("facility") or {}
    supply = _finite(facility.get("supply_temperature"))
    if limits.water_class is None:
        checks.append(Check("facility_water_class", None, _celsius_value(supply),
                            "no class set", "C",
                            "set [report] water_class or [network.rack.facility] water_class"))
    elif limits.water_class == "W+":
        checks.append(Check("facility_water_class", supply is not None, _celsius_value(supply),
                            "W+: no upper bound", "C", "facility supply"))
    else:
        high = WATER_CLASSES[limits.water_class]
        checks.append(_at_most("facility_water_class", _celsius_value(supply), high, "C",
                               f"facility supply against {limits.water_class}"))
    if limits.room_dew_point is None:
        checks.append(Check("dew_point_margin", None, None,
                            f">= {limits.dew_point_margin_min:g}", "K",
                            "no room dew point: set [report] room_dew_point"))
    else:
        t_supply = _finite(tcs.get("supply_temperature"))
        margin = None if t_supply is None else t_supply - limits.room_dew_point
        checks.append(Check("dew_point_margin",
                            None if margin is None else margin >= limits.dew_point_margin_min,
                            margin, f">= {limits.dew_point_margin_min:g}", "K",
                            f"TCS supply {_celsius(t_supply)} C, dew point "
                            f"{_celsius(limits.room_dew_point)} C"))
    power = _finite(report.get("total_power"))
    rejected = _finite(cdu.get("heat_rejected"))
    if power and rejected is not None:
        pump_heat = _finite(report.get("pump_heat")) or 0.0
        error = abs(power + pump_heat - rejected) / (power + pump_heat)
        checks.append(_at_most("heat_balance", error, limits.heat_balance_tolerance, "-",
                               f"chip power {power / 1e3:.3f} kW + pump heat "
                               f"{pump_heat / 1e3:.3f} kW, to facility water "
                               f"{rejected / 1e3:.3f} kW"))
    else:
        checks.append(Check("heat_balance", None, None,
                            f"<= {limits.heat_balance_tolerance:g}", "-", "no CDU or no power"))
    controls = report.get("controls") or []
    if controls:
        missed = [c["name"] for c in controls if not c.get("met", True)]
        checks.append(Check("controls", not missed, float(len(missed)), "all setpoints met",
                            "missed", ", ".join(missed) if missed else
                            ", ".join(c["name"] for c in controls)))
    return checks


def rack_report(summary: Mapping, components: Sequence[Mapping], limits: DesignLimits | None =
                None, plate_curves: Mapping | None = None, unserved: Sequence[Mapping] = (),
                name: str = "rack") -> dict:
    """Build the rack report dictionary (JSON-ready, SI units).

    Parameters
    ----------
    summary : mapping
        Network summary (``network_summary.json``): ``pump``, ``cdu``, ``facility``, ``tcs``,
        ``trays``, ``rack_differential_pressure``, ``controls``...
    components : sequence of mapping
        Component rows (``network.csv``): name, kind, flow [m3/s], pressure_drop [Pa],
        velocity [m/s], inlet/outlet_temperature [K], heat [W], case_temperature [K].
    limits : DesignLimits, optional
    plate_curves : mapping name -> PlateCurves, optional
        Curves by plate name or by plate-group name (``"gpu"`` matches ``tray.3.gpu.0``);
        chip powers are scaled to the plate's power in the network.
    unserved : sequence of mapping
        Plates cut off from the coolant (``{"name", "power"}``), e.g. a missing QD.
    name : str
        Report title.

    Returns
    -------
    dict
        ``name, limits, chips, plates, branches, trays, pump, cdu, facility, tcs, velocities,
        total_power, checks, passed``.
    """
    limits = limits or DesignLimits()
    rows = [r for r in components if r.get("type", "component") == "component"]
    plates, chips = _plate_entries(rows, plate_curves, unserved)
    for chip in chips:
        limit = limits.chip_limit(chip["chip"]) if chip["chip"] in limits.chip_limits else \
            limits.chip_limit(chip["name"])
        basis = "peak" if chip["peak_temperature"] is not None else "case"
        temperature = chip["peak_temperature"] if basis == "peak" else chip["case_temperature"]
        chip.update(limit=limit, basis=basis, temperature=temperature,
                    margin=None if temperature is None else limit - temperature)
    velocities = {}
    for r in rows:
        v = _finite(r.get("velocity"))
        if v is not None and not str(r["name"]).startswith("facility"):
            velocities[r["name"]] = abs(v)
    for p in plates:
        if p["channel_velocity"] is not None:
            velocities[f"{p['name']} channels"] = abs(p["channel_velocity"])
    branches = [{"name": r["name"], "kind": r.get("kind"), "flow": _finite(r.get("flow")),
                 "pressure_drop": _finite(r.get("pressure_drop")),
                 "velocity": _finite(r.get("velocity")),
                 "inlet_temperature": _finite(r.get("inlet_temperature")),
                 "outlet_temperature": _finite(r.get("outlet_temperature")),
                 "heat": _finite(r.get("heat"))} for r in rows if r.get("kind") != "cold_plate"]
    total_power = sum(p["power"] for p in plates)
    report = {"name": name, "limits": asdict(limits), "chips": chips, "plates": plates,
              "branches": branches, "trays": summary.get("trays"), "pump": summary.get("pump"),
              "cdu": summary.get("cdu"), "facility": summary.get("facility"),
              "tcs": summary.get("tcs"),
              "rack_differential_pressure": summary.get("rack_differential_pressure"),
              "controls": summary.get("controls", []), "velocities": velocities,
              "total_power": total_power, "pump_heat": summary.get("pump_heat", 0.0),
              "coolant": summary.get("coolant"),
              "coolant_description": summary.get("coolant_description"),
              "plate_pressure_drop_correction": (summary.get("plates") or {}).get(
                  "pressure_drop_correction"),
              "warnings": list(summary.get("warnings") or ()),
              "case_file": summary.get("case_file"), "case_hash": summary.get("case_hash"),
              "coolsim_version": __version__,
              "made": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"}
    checks = design_checks(report, limits)
    report["checks"] = [asdict(c) for c in checks]
    report["passed"] = all(c.passed is not False for c in checks)
    return report


# ---------------------------------------------------------------------------------------------
# Markdown and files
# ---------------------------------------------------------------------------------------------
def _scale(value, factor):
    value = _finite(value)
    return None if value is None else value * factor


def format_number(value, spec: str = ".4g") -> str:
    """``value`` formatted with ``spec``; ``-`` when missing or not a finite number."""
    value = _finite(value)
    return "-" if value is None else format(value, spec)


def _celsius_value(value):
    value = _finite(value)
    return None if value is None else value - ZERO_CELSIUS


def format_celsius(value, spec: str = ".2f") -> str:
    """A temperature [K] in C formatted with ``spec``; ``-`` when missing or not finite."""
    return format_number(_celsius_value(value), spec)


_table = markdown_table
_fmt = format_number
_celsius = format_celsius


def _first(items, max_rows: int) -> str:
    return f", first {max_rows} of {len(items)}" if len(items) > max_rows else ""


def _shown(check: Mapping) -> tuple[str, str, str]:
    """``(value, criterion, unit)`` of a check as people read them: pressures in kPa (the
    report's JSON keeps Pa), other values to four figures."""
    value, limit, unit = check["value"], check["limit"], check["unit"]
    if unit != "Pa":
        return _fmt(value), limit, unit
    words = limit.split(" ")
    if len(words) == 2 and words[0] in ("<=", ">="):
        try:
            limit = f"{words[0]} {float(words[1]) / 1e3:g}"
        except ValueError:
            pass
    return _fmt(_scale(value, 1e-3), ".3g"), limit, "kPa"


def _provenance(report: Mapping) -> list[str]:
    """Markdown: what produced the report and from what (version, date, case, inputs), and which
    figures are 3D and which curve-based, with the coupling's convergence."""
    sources: dict = {}
    for chip in report["chips"]:
        sources.setdefault(chip["source"], set()).add(chip_kind(chip))
    lines = ["## How these figures were made", "",
             f"- coolsim {report.get('coolsim_version', '?')}, {report.get('made', '?')}"
             + (f"; case `{report['case_file']}` (hash {report['case_hash'][:16]})"
                if report.get("case_file") else "")]
    trays = report.get("trays") or {}
    lines.append(f"- {len(report['plates'])} cold plates, {len(report['chips'])} chips, "
                 f"{report['total_power'] / 1e3:.2f} kW"
                 + (f", {len(trays.get('flows_lpm') or ())} trays" if trays else ""))
    if "curves" in sources:
        lines.append(f"- 3D-characterized plates ({', '.join(sorted(sources['curves']))}): "
                     "their dP and R curves come from 3D conjugate solves; the hottest "
                     "plates' chip peaks from a 3D solve at their operating point")
    if "network" in sources:
        lines.append(f"- curve-based plates ({', '.join(sorted(sources['network']))}): case "
                     "temperature T_in + R(Q) P from the plate's R(Q) curve (no 3D model)")
    coupling = report.get("coupling")
    if coupling:
        last = coupling["history"][-1] if coupling["history"] else {}
        state = "converged" if coupling["converged"] else "NOT converged"
        lines.append(f"- network and 3D plates coupled: {state} in {coupling['passes']} "
                     f"passes (last flow change {_fmt(last.get('flow_change'), '.2g')}, "
                     f"heat mismatch {_fmt(last.get('heat_mismatch'), '.2g')}); plates "
                     f"solved in 3D: {', '.join(coupling['plates_solved_3d']) or 'none'}")
    return lines + [""]


def _chip_groups(chips) -> list[str]:
    """Markdown: the chips by kind (count, ranges, smallest margin, hottest) and by tray (the
    hottest of each kind), so that a rack of near-identical chips reads in a few rows."""
    kinds: dict = {}
    for chip in chips:
        kinds.setdefault(chip_kind(chip), []).append(chip)

    def hottest(group):
        # a chip's ``temperature``: its peak where known, else its case (None without coolant)
        known = [c["temperature"] for c in group if c["temperature"] is not None]
        return max(known, default=None)

    def span(values):
        values = [v for v in values if v is not None]
        return (f"{_celsius(min(values))}..{_celsius(max(values))}" if values else "-")

    rows = []
    for kind, group in kinds.items():
        margins = [c["margin"] for c in group if c["margin"] is not None]
        top = hottest(group)
        rows.append([kind, len(group), _fmt(sum(c["power"] for c in group) / len(group), ".1f"),
                     span(c["case_temperature"] for c in group),
                     span(c["peak_temperature"] for c in group),
                     _fmt(min(margins), ".2f") if margins else "-",
                     len(group) - len(margins),
                     next((c["plate"] for c in group if c["temperature"] == top), "-")])
    lines = ["## Chips by kind", ""]
    lines += _table(["kind", "count", "power [W] (mean)", "case [C]", "peak [C]",
                     "smallest margin [K]", "without coolant", "hottest"], rows)
    trays = sorted({chip_tray(c) for c in chips if chip_tray(c) != "-"},
                   key=lambda t: int(t.split(".")[1]) if t.split(".")[1].isdigit() else 0)
    if trays:
        header = ["tray"] + [f"{kind} hottest [C]" for kind in kinds]
        table = []
        for tray in trays:
            table.append([tray] + [_celsius(hottest([c for c in group if chip_tray(c) == tray]))
                                   for group in kinds.values()])
        lines += ["## Chips by tray (the hottest of each kind: peak where solved in 3D, else "
                  "case)", ""] + _table(header, table)
    return lines


def _verdict(passed) -> str:
    return {True: "PASS", False: "**FAIL**", None: "n/a"}[passed]


def headline(report: Mapping) -> str:
    """The report's first line: PASS/FAIL of the design point (naming the failed checks), the
    chip power, and the steady scenarios that fail (``report["scenarios"]``, design point
    first)."""
    failed = [c["name"] for c in report["checks"] if c["passed"] is False]
    verdict = ("**PASS**: all design checks pass" if report["passed"]
               else f"**FAIL**: design checks failed: {', '.join(failed)}")
    text = f"{verdict} ({report['total_power'] / 1e3:.2f} kW of chip power)"
    failing = [row["scenario"] for row in (report.get("scenarios") or [])[1:]
               if row.get("passed") is False or row.get("error")]
    if failing:
        text += f"; scenarios that fail: {', '.join(failing)} (see Scenarios)"
    return text


def format_report(report: Mapping, max_rows: int = 40) -> str:
    """The report as Markdown: checks first, then chips, plates, trays, pump, CDU, facility."""
    lines = [f"# Rack report: {report['name']}", "", headline(report), ""]
    if report.get("coolant"):
        described = (f" ({report['coolant_description']})"
                     if report.get("coolant_description") else "")
        lines += [f"Coolant: {report['coolant']}{described}", ""]
    lines += _provenance(report)
    if report.get("warnings"):
        lines += ["## Warnings", ""] + [f"- {note}" for note in report["warnings"]] + [""]
    lines += ["## Design checks", ""]
    lines += _table(["check", "result", "value", "criterion", "unit", "detail"],
                    [[c["name"], _verdict(c["passed"]), *_shown(c), c["detail"]]
                     for c in report["checks"]])
    lines += _chip_groups(report["chips"])
    chips = sorted(report["chips"], key=lambda c: (c["margin"] is not None,
                                                   c["margin"] if c["margin"] is not None else 0))
    shown = min(max_rows, HOTTEST_CHIPS)
    lines += [f"## Hottest chips (hottest first{_first(chips, shown)}; every chip in "
              "report.json)", ""]
    lines += _table(["chip", "power [W]", "case [C]", "peak [C]", "limit [C]", "margin [K]",
                     "R [K/W]"],
                    [[c["name"], _fmt(c["power"], ".1f"), _celsius(c["case_temperature"]),
                      _celsius(c["peak_temperature"]), _celsius(c["limit"], ".1f"),
                      _fmt(c["margin"], ".2f") if c["margin"] is not None else "no coolant",
                      _fmt(c["resistance"], ".4g")] for c in chips[:shown]])
    plates = sorted(report["plates"], key=lambda p: p["flow"])
    lines += [f"## Cold plates (lowest flow first{_first(plates, max_rows)})", ""]
    lines += _table(["plate", "flow [L/min]", "dP [kPa]", "T_in [C]", "T_out [C]",
                     "R [K/W]", "velocity [m/s]"],
                    [[p["name"], _fmt(p["flow_lpm"], ".3f"), _fmt(_scale(p["pressure_drop"],
                                                                           1e-3), ".2f"),
                      _celsius(p["inlet_temperature"]), _celsius(p["outlet_temperature"]),
                      _fmt(p["resistance"], ".4g"), _fmt(p["channel_velocity"], ".3g")]
                     for p in plates[:max_rows]])
    correction = report.get("plate_pressure_drop_correction")
    if correction:
        lines += ["", f"Plate dP curves corrected from the coolant state of their points to the "
                  f"operating one: x {correction['min']:.4f} to {correction['max']:.4f} "
                  f"({correction['law']}; 1 for curves given without a temperature).", ""]
    trays = report.get("trays")
    if trays:
        lines += ["## Branches (trays)", "",
                  f"min/mean {trays['min_over_mean']:.4f} ({trays['lowest']}), max/mean "
                  f"{trays['max_over_mean']:.4f} ({trays['highest']})", ""]
        lines += _table(["tray", "flow [L/min]"],
                        [[f"tray.{i}", f"{q:.3f}"] for i, q in enumerate(trays["flows_lpm"])])
    pump, cdu, facility, tcs = (report.get(k) or {} for k in ("pump", "cdu", "facility", "tcs"))
    if pump:
        lines += ["## Pump", "", *_table(
            ["flow [L/min]", "rise [kPa]", "speed [-]", "running", "shaft power [W]",
             "heat to coolant [W]"],
            [[_fmt(pump.get("flow_lpm"), ".1f"), _fmt(_scale(pump.get("pressure_rise"), 1e-3),
                                                      ".1f"),
              _fmt(pump.get("speed"), ".3f"), f"{pump.get('running')}/{pump.get('count')}",
              _fmt(pump.get("shaft_power"), ".0f"),
              _fmt(pump.get("heat_to_coolant"), ".0f")]])]
    if cdu or tcs:
        lines += ["## CDU and facility water", "", *_table(
            ["heat rejected [kW]", "approach [K]", "TCS supply [C]", "TCS return [C]",
             "TCS dT [K]", "TCS flow [L/min]", "L/min/kW", "facility supply [C]",
             "facility return [C]"],
            [[_fmt(_scale(cdu.get("heat_rejected"), 1e-3), ".2f"), _fmt(cdu.get("approach"),
                                                                        ".2f"),
              _celsius(tcs.get("supply_temperature")), _celsius(tcs.get("return_temperature")),
              _fmt(tcs.get("delta_t"), ".2f"), _fmt(tcs.get("flow_lpm"), ".1f"),
              _fmt(tcs.get("lpm_per_kw"), ".3f"), _celsius(facility.get("supply_temperature")),
              _celsius(facility.get("return_temperature"))]])]
    lines += ["## Thresholds used", "", *_table(["threshold", "value", "case key"],
                                                _threshold_rows(report["limits"])), ""]
    return "\n".join(lines)


# how each DesignLimits field reads in the report: label, unit shown, scale from SI or "C"
_THRESHOLDS = {
    "chip_temperature_max": ("chip limit (chips without max_temperature)", "C", "C"),
    "flow_per_kw_min": ("flow per heat, low", "L/min/kW", 1.0),
    "flow_per_kw_max": ("flow per heat, high", "L/min/kW", 1.0),
    "tcs_rise_min": ("TCS rise, low", "K", 1.0),
    "tcs_rise_max": ("TCS rise, high", "K", 1.0),
    "cdu_approach_min": ("CDU approach, low (note only)", "K", 1.0),
    "cdu_approach_max": ("CDU approach, high", "K", 1.0),
    "plate_pressure_drop_max": ("cold-plate pressure drop, largest", "kPa", 1e-3),
    "rack_pressure_drop_max": ("rack pressure-drop budget", "kPa", 1e-3),
    "channel_velocity_max": ("coolant velocity, largest", "m/s", 1.0),
    "water_class": ("ASHRAE facility water class", "", None),
    "room_dew_point": ("room dew point", "C", "C"),
    "dew_point_margin_min": ("TCS supply margin above the dew point", "K", 1.0),
    "heat_balance_tolerance": ("chip power vs heat to facility water", "%", 100.0),
}


def _threshold_rows(limits: Mapping) -> list[list[str]]:
    """The design-check thresholds as rows (what, value with unit, the ``[report]`` key);
    ``chip_limits`` (from each chip's ``max_temperature``) is one row counting them."""
    rows = []
    for key, (label, unit, scale) in _THRESHOLDS.items():
        value = limits.get(key)
        if value is None:
            shown = "not checked"
        elif scale == "C":
            shown = f"{value - ZERO_CELSIUS:.1f} C"
        elif scale is None:
            shown = str(value)
        else:
            shown = f"{value * scale:g} {unit}"
        rows.append([label, shown, f"[report] {key}"])
    per_chip = limits.get("chip_limits") or {}
    if per_chip:
        shown = sorted({f"{v - ZERO_CELSIUS:.1f} C" for v in per_chip.values()})
        rows.append([f"per-chip limits ({len(per_chip)} chips)", ", ".join(shown),
                     "chips[].max_temperature"])
    return rows


def format_console(report: Mapping) -> str:
    """A short plain-text summary of a rack report for the terminal.

    Per chip kind (``gpu``, ``hbm``, a network-only plate group...) its hottest instance with
    peak (or case) temperature, limit and margin; pump and CDU operating point; TCS and facility
    temperatures; every design check as PASS / FAIL / n/a.
    """
    lines = [f"rack report: {report['name']} ({report['total_power'] / 1e3:.2f} kW of chips)"]
    lines += [f"  warning  {note}" for note in report.get("warnings") or ()]
    if report.get("coolant_description"):
        lines.append(f"  coolant  {report['coolant']}: {report['coolant_description']}")
    worst: dict = {}
    for chip in report["chips"]:
        kind = chip_kind(chip)
        if chip["margin"] is None:
            worst[kind] = chip
        elif kind not in worst or (worst[kind]["margin"] is not None
                                   and chip["margin"] < worst[kind]["margin"]):
            worst[kind] = chip
    for kind, chip in worst.items():
        if chip["margin"] is None:
            lines.append(f"  chip {kind:<8} {chip['plate']}: no coolant")
            continue
        lines.append(f"  chip {kind:<8} hottest {chip['plate']}: {chip['basis']} "
                     f"{_celsius(chip['temperature'])} C, limit {_celsius(chip['limit'], '.1f')}"
                     f" C, margin {chip['margin']:.2f} K")
    pump, cdu, tcs, facility = (report.get(k) or {} for k in ("pump", "cdu", "tcs", "facility"))
    if pump:
        lines.append(f"  pump     {_fmt(pump.get('flow_lpm'), '.1f')} L/min at "
                     f"{_fmt(_scale(pump.get('pressure_rise'), 1e-3), '.1f')} kPa, speed "
                     f"{_fmt(pump.get('speed'), '.3f')}, {pump.get('running')}/"
                     f"{pump.get('count')} running, "
                     f"{_fmt(pump.get('heat_to_coolant'), '.0f')} W into the coolant")
    if cdu:
        lines.append(f"  CDU      {_fmt(_scale(cdu.get('heat_rejected'), 1e-3), '.2f')} kW to "
                     f"facility water, approach {_fmt(cdu.get('approach'), '.2f')} K")
    if tcs:
        lines.append(f"  TCS      supply {_celsius(tcs.get('supply_temperature'))} C, return "
                     f"{_celsius(tcs.get('return_temperature'))} C, "
                     f"{_fmt(tcs.get('lpm_per_kw'), '.2f')} L/min/kW")
    if facility:
        lines.append(f"  facility supply {_celsius(facility.get('supply_temperature'))} C, "
                     f"return {_celsius(facility.get('return_temperature'))} C")
    for check in report["checks"]:
        value, limit, unit = _shown(check)
        lines.append(f"  check {_verdict(check['passed']).strip('*'):<4} {check['name']}: "
                     f"{value} {unit} ({limit}) {check['detail']}")
    lines.append("  " + ("all design checks pass" if report["passed"]
                         else "some design checks FAIL"))
    return "\n".join(lines)


def write_report(directory, report: Mapping, images: bool = True) -> dict[str, Path]:
    """Write ``report.json``, ``images/chip_temperatures.png``, then ``report.md`` and
    ``report.html`` with every picture then in ``images/`` (atomic; write the other pictures
    first).

    Returns the paths by kind (``json``, ``markdown``, ``html``, ``chip_temperatures_png``).
    """

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"json": write_json(directory / "report.json", report)}
    if images and report["chips"]:
        (directory / "images").mkdir(exist_ok=True)
        paths["chip_temperatures_png"] = plot_chip_temperatures(
            report, directory / "images" / "chip_temperatures.png")
    paths.update(write_report_pages(directory, format_report(report),
                                    verdict_status(report["passed"])))
    return paths


__all__ = ["Check", "DesignLimits", "WATER_CLASSES", "design_checks", "format_report",
           "load_network_result", "plot_chip_temperatures", "rack_report", "read_network_csv",
           "write_report"]
