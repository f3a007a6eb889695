"""Cold plates in the rack loop: characterization curves and superposition of chip powers.

Characterization
----------------
A cold plate seen from the rack network is two curves of the coolant flow ``Q`` [m3/s]:

* the pressure drop ``dP(Q)`` [Pa], fitted as ``dP = a Q + b Q^2`` (laminar + inertial losses,
  least squares on relative residuals) or ``dP = a Q^n`` (log-log least squares);
* the thermal resistance of every chip, OCP definition ``R = (T_case - T_inlet) / P_chip``
  [K/W], fitted as ``R = c + d Q^-m`` (``c`` the conduction/spreading floor, ``d Q^-m`` the
  convective part that falls with flow).

:func:`characterize` runs one cold-plate solve per flow through a *runner* callable (the default
:func:`coldplate_runner` drives :mod:`solver.coldplate`), gathers the points in
:class:`PlateCurves`, and stores them next to the case file under
``<case stem>.curves/<geometry hash>.json`` (plus a CSV with units). The key is
:func:`solver.case.case_hash` with ``scope="geometry"`` (grid, materials, coolant, bodies, solver
settings, chip footprints and the positions of the flow patches, which fix the result too);
stored curves are reused when the key and the flows match and recomputed otherwise.

Superposition
-------------
At a fixed flow field and constant properties the upwind-discretised energy equation is linear
in the chip powers ``P_i``, the inlet temperature ``T_in`` and the other boundary data, so

``T = T_base + T_in G_in + sum_i P_i G_i``

with ``G_i`` [K/W] the field for 1 W in chip ``i`` (every boundary temperature and flux zero),
``G_in`` [-] the field for a 1 K inlet (equal to 1 when the inlet is the only thermal boundary)
and ``T_base`` [K] the field of the remaining boundary data (convection ambients, fixed
temperatures, heat fluxes). :func:`unit_responses` computes them once per plate and flow with
:func:`solver.energy.solve_energy`; :meth:`UnitResponses.temperature` is then a few array
multiply-adds for any power map.

Units are SI (m3/s, Pa, K, W) unless a name says otherwise (``_L_per_min``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

LPM = 60000.0
"""[L/min per m3/s] volumetric flow conversion."""

CURVES_FORMAT = 1


# ---------------------------------------------------------------------------------------------
# fits
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PressureDropFit:
    """Fitted pressure-drop curve of a cold plate.

    Attributes
    ----------
    form : {"quadratic", "power"}
        ``dP = a Q + b Q^2`` or ``dP = a Q^n``.
    a : float
        [Pa s/m3] linear coefficient (quadratic form) or [Pa (s/m3)^n] prefactor (power form).
    b : float
        [Pa s2/m6] quadratic coefficient (0 for the power form).
    exponent : float
        [-] ``n`` of the power form (2 reported for the quadratic form).
    max_relative_error : float
        [-] largest ``|dP_fit - dP| / dP`` over the fitted points.
    """

    form: str
    a: float
    b: float
    exponent: float
    max_relative_error: float

    def pressure_drop(self, flow):
        """Pressure drop [Pa] at volumetric flow ``flow`` [m3/s] (float or array)."""
        q = np.asarray(flow, dtype=float)
        if self.form == "quadratic":
            value = self.a * q + self.b * q * np.abs(q)
        else:
            value = self.a * np.sign(q) * np.abs(q) ** self.exponent
        return float(value) if np.ndim(value) == 0 else value

    def describe(self) -> str:
        """The fitted law as text with SI units."""
        if self.form == "quadratic":
            return f"dP = {self.a:.6g} Q + {self.b:.6g} Q^2 [Pa, Q in m3/s]"
        return f"dP = {self.a:.6g} Q^{self.exponent:.4f} [Pa, Q in m3/s]"


@dataclass(frozen=True)
class ResistanceFit:
    """Fitted thermal-resistance curve ``R = c + d Q^-m`` of one chip.

    Attributes
    ----------
    c : float
        [K/W] flow-independent part (conduction and spreading).
    d : float
        [K/W (m3/s)^m] convective part.
    m : float
        [-] flow exponent of the convective part.
    max_relative_error : float
        [-] largest ``|R_fit - R| / R`` over the fitted points.
    """

    c: float
    d: float
    m: float
    max_relative_error: float

    def resistance(self, flow):
        """Thermal resistance [K/W] at volumetric flow ``flow`` [m3/s] (float or array)."""
        q = np.maximum(np.abs(np.asarray(flow, dtype=float)), 1e-300)
        value = self.c + self.d * q ** (-self.m)
        return float(value) if np.ndim(value) == 0 else value

    def describe(self) -> str:
        """The fitted law as text with SI units."""
        return f"R = {self.c:.6g} + {self.d:.6g} Q^-{self.m:.4f} [K/W, Q in m3/s]"


def _relative_error(fitted, data) -> float:
    data = np.asarray(data, dtype=float)
    return float(np.max(np.abs(np.asarray(fitted) - data) / np.abs(data)))


def fit_pressure_drop(flows, pressure_drops, form: str = "quadratic") -> PressureDropFit:
    """Least-squares fit of a pressure-drop curve.

    Parameters
    ----------
    flows : sequence of float
        [m3/s] positive flows.
    pressure_drops : sequence of float
        [Pa] positive pressure drops at those flows.
    form : {"quadratic", "power"}
        ``dP = a Q + b Q^2`` (least squares on relative residuals, so every point weighs the
        same) or ``dP = a Q^n`` (least squares in log-log; one point takes n = 2).

    Returns
    -------
    PressureDropFit
    """
    q = np.asarray(flows, dtype=float)
    dp = np.asarray(pressure_drops, dtype=float)
    if q.shape != dp.shape or q.size == 0:
        raise ValueError("flows and pressure_drops need the same, non-zero length")
    if np.any(q <= 0) or np.any(dp <= 0):
        raise ValueError("flows and pressure drops must be positive to fit a curve")
    if form == "quadratic":
        if q.size == 1:
            a, b = 0.0, float(dp[0] / q[0] ** 2)
        else:
            # rows scaled by 1/dP: minimises the relative residuals
            matrix = np.column_stack([q, q * q]) / dp[:, None]
            (a, b), *_ = np.linalg.lstsq(matrix, np.ones_like(q), rcond=None)
        fit = PressureDropFit("quadratic", float(a), float(b), 2.0, 0.0)
    elif form == "power":
        if q.size == 1:
            n, log_a = 2.0, math.log(dp[0]) - 2.0 * math.log(q[0])
        else:
            n, log_a = np.polyfit(np.log(q), np.log(dp), 1)
        fit = PressureDropFit("power", float(math.exp(log_a)), 0.0, float(n), 0.0)
    else:
        raise ValueError(f"form must be 'quadratic' or 'power', got {form!r}")
    return replace(fit, max_relative_error=_relative_error(fit.pressure_drop(q), dp))


def fit_resistance(flows, resistances, exponent_range=(0.05, 3.0)) -> ResistanceFit:
    """Fit ``R = c + d Q^-m`` to thermal resistances, least squares on relative residuals.

    For a trial exponent ``m`` the coefficients ``c, d`` follow from a linear least-squares
    problem; ``m`` is chosen by a bounded scalar search (Brent) over ``exponent_range``. With two
    points ``c = 0`` (a power law through both), with one point ``R`` is constant.

    Parameters
    ----------
    flows : sequence of float
        [m3/s] positive flows.
    resistances : sequence of float
        [K/W] positive resistances at those flows.
    exponent_range : (float, float)
        [-] search interval of ``m``.

    Returns
    -------
    ResistanceFit
    """
    from scipy.optimize import minimize_scalar

    q = np.asarray(flows, dtype=float)
    r = np.asarray(resistances, dtype=float)
    if q.shape != r.shape or q.size == 0:
        raise ValueError("flows and resistances need the same, non-zero length")
    if np.any(q <= 0) or np.any(r <= 0):
        raise ValueError("flows and resistances must be positive to fit a curve")
    if q.size == 1:
        return ResistanceFit(float(r[0]), 0.0, 0.0, 0.0)
    if q.size == 2:
        slope, log_d = np.polyfit(np.log(q), np.log(r), 1)
        fit = ResistanceFit(0.0, float(math.exp(log_d)), float(-slope), 0.0)
        return replace(fit, max_relative_error=_relative_error(fit.resistance(q), r))

    def coefficients(m):
        matrix = np.column_stack([np.ones_like(q), q ** (-m)]) / r[:, None]
        (c, d), *_ = np.linalg.lstsq(matrix, np.ones_like(q), rcond=None)
        return float(c), float(d)

    def misfit(m):
        c, d = coefficients(m)
        return float(np.sum(((c + d * q ** (-m)) / r - 1.0) ** 2))

    best = minimize_scalar(misfit, bounds=exponent_range, method="bounded",
                           options={"xatol": 1e-8})
    m = float(best.x)
    c, d = coefficients(m)
    fit = ResistanceFit(c, d, m, 0.0)
    return replace(fit, max_relative_error=_relative_error(fit.resistance(q), r))


# ---------------------------------------------------------------------------------------------
# one solve at one flow, and the curves
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OperatingPoint:
    """Result of one cold-plate solve at one flow (what a characterization runner returns).

    Attributes
    ----------
    flow : float
        [m3/s] coolant volumetric flow through the plate.
    pressure_drop : float
        [Pa] inlet-to-outlet static pressure drop.
    inlet_temperature : float
        [K] coolant inlet temperature.
    outlet_temperature : float
        [K] mixing-cup outlet temperature.
    case_temperatures : dict
        [K] per chip name, area-mean case temperature (OCP definition).
    chip_powers : dict
        [W] per chip name, the power used in the solve.
    peak_temperatures : dict
        [K] per chip name, the hottest cell of the chip (optional, may be empty).
    channel_velocity : float or None
        [m/s] largest mean coolant velocity in the plate's channels, when known.
    fields : dict or None
        Host cell fields of the solve for pictures and the rack scene: ``faces`` (x, y, z
        face coordinates [m]) and arrays of shape (nx, ny, nz) such as ``temperature`` [K] and
        ``material`` (body id, -1 empty).
    """

    flow: float
    pressure_drop: float
    inlet_temperature: float
    outlet_temperature: float
    case_temperatures: dict
    chip_powers: dict
    peak_temperatures: dict = field(default_factory=dict)
    channel_velocity: float | None = None
    fields: dict | None = None


@dataclass
class PlateCurves:
    """Characterization curves of one cold plate at a set of flows.

    Attributes
    ----------
    flows : numpy.ndarray
        [m3/s] flows, increasing.
    pressure_drops : numpy.ndarray
        [Pa] inlet-to-outlet pressure drop at each flow.
    resistances : dict of str -> numpy.ndarray
        [K/W] per chip, ``R = (T_case - T_inlet) / P_chip`` at each flow.
    outlet_temperatures : numpy.ndarray
        [K] outlet temperature at each flow, for ``inlet_temperature`` and ``chip_powers``.
    inlet_temperature : float
        [K] inlet temperature of the solves.
    chip_powers : dict of str -> float
        [W] chip powers of the solves.
    peak_resistances : dict of str -> numpy.ndarray
        [K/W] per chip, ``(T_peak - T_inlet) / P_chip`` (empty when the runner gave no peaks).
    channel_velocities : numpy.ndarray or None
        [m/s] largest mean channel velocity at each flow, when known.
    case_hash : str
        ``solver.case.case_hash(case, scope="geometry")`` of the characterized case ("" if none):
        geometry, materials, solver settings, chip footprints and patch positions.
    name : str
        Plate (case) name.
    coolant : str
        Coolant name.
    """

    flows: np.ndarray
    pressure_drops: np.ndarray
    resistances: dict
    outlet_temperatures: np.ndarray
    inlet_temperature: float
    chip_powers: dict
    peak_resistances: dict = field(default_factory=dict)
    channel_velocities: np.ndarray | None = None
    case_hash: str = ""
    name: str = "plate"
    coolant: str = ""

    def __post_init__(self):
        order = np.argsort(np.asarray(self.flows, dtype=float))
        self.flows = np.asarray(self.flows, dtype=float)[order]
        self.pressure_drops = np.asarray(self.pressure_drops, dtype=float)[order]
        self.outlet_temperatures = np.asarray(self.outlet_temperatures, dtype=float)[order]
        self.resistances = {k: np.asarray(v, dtype=float)[order]
                            for k, v in self.resistances.items()}
        self.peak_resistances = {k: np.asarray(v, dtype=float)[order]
                                 for k, v in self.peak_resistances.items()}
        if self.channel_velocities is not None:
            self.channel_velocities = np.asarray(self.channel_velocities, dtype=float)[order]
        self.chip_powers = {k: float(v) for k, v in self.chip_powers.items()}
        n = self.flows.size
        arrays = [self.pressure_drops, self.outlet_temperatures, *self.resistances.values(),
                  *self.peak_resistances.values()]
        if any(a.shape != (n,) for a in arrays):
            raise ValueError("every curve needs one value per flow")

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_points(cls, points: Sequence[OperatingPoint], **metadata) -> PlateCurves:
        """Curves from runner results (one :class:`OperatingPoint` per flow)."""
        if not points:
            raise ValueError("no operating points to build curves from")
        chips = list(points[0].chip_powers)
        t_in = points[0].inlet_temperature
        resistances = {c: [(p.case_temperatures[c] - p.inlet_temperature) / p.chip_powers[c]
                           for p in points] for c in chips}
        peaks = {}
        if all(set(chips) <= set(p.peak_temperatures) for p in points):
            peaks = {c: [(p.peak_temperatures[c] - p.inlet_temperature) / p.chip_powers[c]
                         for p in points] for c in chips}
        velocities = None
        if all(p.channel_velocity is not None for p in points):
            velocities = [p.channel_velocity for p in points]
        return cls([p.flow for p in points], [p.pressure_drop for p in points], resistances,
                   [p.outlet_temperature for p in points], t_in, dict(points[0].chip_powers),
                   peaks, velocities, **metadata)

    # -- fits and evaluation --------------------------------------------------------------------
    @property
    def chips(self) -> list[str]:
        """Chip names."""
        return list(self.resistances)

    @property
    def total_power(self) -> float:
        """[W] sum of the chip powers of the solves."""
        return float(sum(self.chip_powers.values()))

    def pressure_drop_fit(self, form: str = "quadratic") -> PressureDropFit:
        """Fit of ``dP(Q)`` (see :func:`fit_pressure_drop`)."""
        return fit_pressure_drop(self.flows, self.pressure_drops, form)

    def resistance_fit(self, chip: str) -> ResistanceFit:
        """Fit of ``R(Q)`` of one chip (see :func:`fit_resistance`)."""
        return fit_resistance(self.flows, self.resistances[chip])

    def peak_resistance_fit(self, chip: str) -> ResistanceFit | None:
        """Fit of ``(T_peak - T_in)/P`` of one chip, or None without peak data."""
        if chip not in self.peak_resistances:
            return None
        return fit_resistance(self.flows, self.peak_resistances[chip])

    def channel_velocity(self, flow: float) -> float | None:
        """[m/s] channel velocity at ``flow`` [m3/s] (linear in the flow), or None."""
        if self.channel_velocities is None:
            return None
        ratio = self.channel_velocities / self.flows
        return float(np.mean(ratio) * flow)

    def chip_temperatures(self, flow: float, inlet_temperature: float,
                          powers: Mapping[str, float] | None = None) -> dict:
        """Case and peak temperature [K] of every chip at an operating point.

        Parameters
        ----------
        flow : float
            [m3/s] coolant flow through the plate.
        inlet_temperature : float
            [K] coolant inlet temperature.
        powers : mapping chip -> W, optional
            Chip powers (default: the powers of the characterization).

        Returns
        -------
        dict
            ``{chip: {"power": W, "resistance": K/W, "case_temperature": K,
            "peak_temperature": K or None}}``.
        """
        powers = dict(self.chip_powers if powers is None else powers)
        out = {}
        for chip in self.chips:
            p = float(powers.get(chip, 0.0))
            r = self.resistance_fit(chip).resistance(flow)
            peak_fit = self.peak_resistance_fit(chip)
            out[chip] = {"power": p, "resistance": r,
                         "case_temperature": inlet_temperature + r * p,
                         "peak_temperature": (inlet_temperature + peak_fit.resistance(flow) * p
                                              if peak_fit is not None else None)}
        return out

    def network_plate(self) -> dict:
        """Keyword arguments for :class:`solver.network.components.ColdPlate` (without names).

        The network fits its own ``dP = c Q^n`` and ``R = a Q^-b`` through these points; a
        plate with several chips gets the resistance of its hottest chip per watt of the
        plate's total power: ``R_plate = max_i(R_i P_i) / sum_i P_i``, so the network's
        ``T_in + R_plate P_plate`` is the hottest case temperature.
        """
        total = self.total_power
        if total > 0 and self.chips:
            rises = np.max([self.resistances[c] * self.chip_powers[c] for c in self.chips],
                           axis=0)
            plate_r = rises / total
        else:
            plate_r = None
        kwargs = {"flows": tuple(float(q) for q in self.flows),
                  "pressure_drops": tuple(float(p) for p in self.pressure_drops),
                  "power": total}
        if plate_r is not None:
            kwargs["resistance_flows"] = kwargs["flows"]
            kwargs["resistances"] = tuple(float(r) for r in plate_r)
        return kwargs

    def scaled_pressure_drop(self, factor: float) -> PlateCurves:
        """A copy whose pressure drops are multiplied by ``factor`` (e.g. a partial blockage)."""
        return replace(self, pressure_drops=self.pressure_drops * float(factor))

    # -- output ---------------------------------------------------------------------------------
    def fit_summary(self, form: str = "quadratic") -> dict:
        """Fitted coefficients and their largest relative errors, JSON-ready."""
        dp = self.pressure_drop_fit(form)
        out = {"pressure_drop": {"form": dp.form, "a": dp.a, "b": dp.b, "exponent": dp.exponent,
                                 "max_relative_error": dp.max_relative_error,
                                 "law": dp.describe()},
               "resistances": {}}
        for chip in self.chips:
            r = self.resistance_fit(chip)
            out["resistances"][chip] = {"c": r.c, "d": r.d, "m": r.m,
                                        "max_relative_error": r.max_relative_error,
                                        "law": r.describe()}
        return out

    def to_dict(self) -> dict:
        """JSON-ready dictionary (SI units) including the fits."""
        return {
            "format": CURVES_FORMAT, "name": self.name, "coolant": self.coolant,
            "case_hash": self.case_hash,
            "units": {"flows": "m3/s", "pressure_drops": "Pa", "resistances": "K/W",
                      "outlet_temperatures": "K", "inlet_temperature": "K",
                      "chip_powers": "W", "channel_velocities": "m/s"},
            "flows": self.flows.tolist(), "pressure_drops": self.pressure_drops.tolist(),
            "resistances": {k: v.tolist() for k, v in self.resistances.items()},
            "peak_resistances": {k: v.tolist() for k, v in self.peak_resistances.items()},
            "outlet_temperatures": self.outlet_temperatures.tolist(),
            "inlet_temperature": self.inlet_temperature, "chip_powers": self.chip_powers,
            "channel_velocities": (None if self.channel_velocities is None
                                   else self.channel_velocities.tolist()),
            "fits": {"quadratic": self.fit_summary("quadratic"),
                     "power": self.fit_summary("power")["pressure_drop"]},
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> PlateCurves:
        """Inverse of :meth:`to_dict` (the fits are recomputed)."""
        if data.get("format") != CURVES_FORMAT:
            raise ValueError(f"unknown curves format {data.get('format')!r}")
        return cls(data["flows"], data["pressure_drops"], data["resistances"],
                   data["outlet_temperatures"], data["inlet_temperature"], data["chip_powers"],
                   data.get("peak_resistances") or {}, data.get("channel_velocities"),
                   data.get("case_hash", ""),
                   data.get("name", "plate"), data.get("coolant", ""))

    def write_json(self, path) -> Path:
        """Write :meth:`to_dict` atomically (``solver.io.write_json``)."""
        from solver.io import write_json

        return write_json(path, self.to_dict())

    @classmethod
    def read_json(cls, path) -> PlateCurves:
        """Read curves written by :meth:`write_json`."""
        from solver.io import read_json

        return cls.from_dict(read_json(path))

    def csv_rows(self) -> list[dict]:
        """Rows for the CSV export; column names carry units."""
        rows = []
        for i, q in enumerate(self.flows):
            row = {"flow_rate [L/min]": q * LPM, "flow_rate [m3/s]": q,
                   "pressure_drop [Pa]": self.pressure_drops[i]}
            for chip in self.chips:
                row[f"R_{chip} [K/W]"] = self.resistances[chip][i]
            for chip in self.peak_resistances:
                row[f"R_peak_{chip} [K/W]"] = self.peak_resistances[chip][i]
            row["outlet_temperature [K]"] = self.outlet_temperatures[i]
            row["inlet_temperature [K]"] = self.inlet_temperature
            if self.channel_velocities is not None:
                row["channel_velocity [m/s]"] = self.channel_velocities[i]
            rows.append(row)
        return rows

    def write_csv(self, path) -> Path:
        """Write the curve points as CSV with units in the headers (atomic).

        Columns: ``flow_rate [L/min]``, ``flow_rate [m3/s]``, ``pressure_drop [Pa]``, one
        ``R_<chip> [K/W]`` per chip (and ``R_peak_<chip> [K/W]`` when known),
        ``outlet_temperature [K]``, ``inlet_temperature [K]``.
        """
        import csv
        import io

        from solver.io import atomic_write_text

        rows = self.csv_rows()
        buffer = io.StringIO()
        fits = self.fit_summary()
        buffer.write(f"# cold plate {self.name}; coolant {self.coolant}; chip powers [W] "
                     + ", ".join(f"{k}={v:g}" for k, v in self.chip_powers.items()) + "\n")
        dp = fits["pressure_drop"]
        buffer.write(f"# fit: {dp['law']} (max relative error {dp['max_relative_error']:.2e})\n")
        for chip, r in fits["resistances"].items():
            buffer.write(f"# fit {chip}: {r['law']} (max relative error "
                         f"{r['max_relative_error']:.2e})\n")
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: f"{v:.10g}" for k, v in row.items()})
        return atomic_write_text(path, buffer.getvalue())


def format_curves(curves: PlateCurves, form: str = "quadratic") -> str:
    """The curve points and fits as a plain-text table (L/min, kPa, K/W)."""
    chips = curves.chips
    head = f"{'flow [L/min]':>13} {'dP [kPa]':>10} " + " ".join(
        f"{'R_' + c + ' [K/W]':>14}" for c in chips) + f" {'T_out [C]':>10}"
    lines = [f"cold plate {curves.name} ({curves.coolant}), inlet "
             f"{curves.inlet_temperature - 273.15:.2f} C, powers "
             + ", ".join(f"{c} {p:g} W" for c, p in curves.chip_powers.items()), head]
    for i, q in enumerate(curves.flows):
        lines.append(f"{q * LPM:13.4g} {curves.pressure_drops[i] / 1e3:10.4g} " + " ".join(
            f"{curves.resistances[c][i]:14.5g}" for c in chips)
            + f" {curves.outlet_temperatures[i] - 273.15:10.3f}")
    fits = curves.fit_summary(form)
    dp = fits["pressure_drop"]
    lines.append(f"fit: {dp['law']}, max relative error {dp['max_relative_error']:.2e}")
    for chip, r in fits["resistances"].items():
        lines.append(f"fit {chip}: {r['law']}, max relative error "
                     f"{r['max_relative_error']:.2e}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# characterization
# ---------------------------------------------------------------------------------------------
Runner = Callable[..., OperatingPoint]


def curves_path(case) -> Path:
    """Where the curves of ``case`` are stored: ``<case dir>/<stem>.curves/<hash16>.json``."""
    from solver.case import case_hash

    stem = case.source_path.stem if case.source_path is not None else case.name
    return case.case_dir / f"{stem}.curves" / f"{case_hash(case, scope='geometry')[:16]}.json"


def parse_flows(text: str) -> list[float]:
    """Flows [m3/s] from text such as ``"0.5,1,1.5,2 L/min"`` or ``"1e-5, 2e-5"`` (SI).

    A unit written after the last number applies to every number; a number may also carry its
    own unit (``"0.5 L/min, 1 L/min"``).
    """
    from solver.units import VOLUMETRIC_FLOW_UNITS

    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise ValueError("no flows given")
    last = parts[-1].split()
    unit = " ".join(last[1:]) if len(last) > 1 else None
    flows = []
    for part in parts:
        words = part.split()
        this_unit = " ".join(words[1:]) if len(words) > 1 else unit
        value = float(words[0])
        if this_unit is None:
            flows.append(value)
            continue
        if this_unit not in VOLUMETRIC_FLOW_UNITS:
            raise ValueError(f"unknown flow unit {this_unit!r} (known: "
                             f"{', '.join(VOLUMETRIC_FLOW_UNITS)})")
        flows.append(_convert(value, VOLUMETRIC_FLOW_UNITS[this_unit]))
    if any(q <= 0 for q in flows):
        raise ValueError("flows must be positive")
    return flows


def _convert(value: float, unit) -> float:
    """Apply a unit entry of :mod:`solver.units` (a factor or a callable) to ``value``."""
    if callable(unit):
        return float(unit(value))
    if isinstance(unit, tuple):
        scale, offset = unit
        return value * scale + offset
    return value * float(unit)


def _with_inlet_flow(case, flow: float):
    """A copy of ``case`` whose (every) inlet boundary prescribes the volumetric ``flow``."""
    boundaries = []
    found = False
    for b in case.boundaries:
        if b.type == "inlet":
            b = b.model_copy(update={"velocity": None, "mass_flow": None,
                                     "volumetric_flow": float(flow)})
            found = True
        boundaries.append(b)
    if not found:
        raise ValueError(f"case {case.name!r} has no inlet boundary to set the flow on")
    return case.model_copy(update={"boundaries": boundaries})


def coldplate_runner(case, flow: float, backend="cpu") -> OperatingPoint:
    """Solve the conjugate cold plate of ``case`` at ``flow`` [m3/s] with :mod:`solver.coldplate`.

    Every inlet boundary of the case is set to the volumetric ``flow``; chip powers and the
    inlet temperature are those of the case. A case without chips reports its heated
    (positive heat-flux) patches as one chip called ``"heater"``.

    Returns
    -------
    OperatingPoint
    """
    from solver import coldplate
    from solver.backend import get_backend
    from solver.simulation import build_solid_model

    backend = get_backend(backend) if isinstance(backend, str) else backend
    variant = _with_inlet_flow(case, flow)
    model = build_solid_model(variant, backend)
    plate = coldplate.from_case(variant, model)
    result = plate.solve()
    metrics = result.metrics
    chips = metrics.get("chips", {})
    temperature = backend.to_host(result.temperature)
    if chips:
        cases = {n: float(c["case_temperature_K"]) for n, c in chips.items()}
        powers = {n: float(c["power_W"]) for n, c in chips.items()}
        peaks = {name: float(np.max(temperature[mask]))
                 for name, mask in model.chip_masks.items() if np.any(mask)}
    else:
        # no chips: the heated (positive heat-flux) patches act as one chip called "heater"
        cases = {"heater": float(metrics["case_temperature_K"])}
        powers = {"heater": float(metrics["heat_input_W"])}
        peaks = {"heater": float(metrics["peak_temperature_K"])}
    fields = {"faces": tuple(np.asarray(f) for f in model.grid.faces),
              "temperature": temperature, "material": np.asarray(model.body_ids)}
    return OperatingPoint(
        flow=float(flow), pressure_drop=float(metrics["pressure_drop_Pa"]),
        inlet_temperature=float(metrics["inlet_temperature_K"]),
        outlet_temperature=float(metrics["outlet_temperature_K"]),
        case_temperatures=cases, chip_powers=powers, peak_temperatures=peaks, fields=fields)


def _run_one(item):
    """Module-level job for :func:`solver.distributed.map_jobs` (picklable)."""
    runner, case, flow, backend = item
    return runner(case, flow, backend)


def characterize(case, flows: Sequence[float], backend="cpu", runner: Runner | None = None,
                 store: bool = True, force: bool = False, mapper: Callable | None = None,
                 progress: Callable[[str], None] | None = None) -> PlateCurves:
    """Characterize the cold plate of ``case``: one solve per flow, curves stored and reused.

    Parameters
    ----------
    case : solver.case.Case
        A conjugate cold-plate case (bodies, chips, an inlet and an outlet).
    flows : sequence of float
        [m3/s] flows to solve at (see :func:`parse_flows` for text input).
    backend : str or Backend
        Passed to the runner.
    runner : callable, optional
        ``runner(case, flow, backend) -> OperatingPoint``; default :func:`coldplate_runner`.
        Tests pass a cheap analytic runner.
    store : bool
        Read and write the curves next to the case (:func:`curves_path`, plus ``.csv``).
    force : bool
        Recompute even when stored curves match.
    mapper : callable, optional
        ``mapper(function, items) -> list`` running the solves, e.g.
        ``functools.partial(solver.distributed.map_jobs, n_workers=2)``; default serial.
    progress : callable, optional
        Receives one line of text per solve.

    Returns
    -------
    PlateCurves
        With ``case_hash`` = ``case_hash(case, scope="geometry")``.
    """
    from solver.case import case_hash

    runner = runner or coldplate_runner
    flows = [float(q) for q in flows]
    if not flows or any(q <= 0 for q in flows):
        raise ValueError("characterize needs positive flows")
    key = case_hash(case, scope="geometry")
    path = curves_path(case) if store else None
    if path is not None and path.is_file() and not force:
        stored = PlateCurves.read_json(path)
        if (stored.case_hash == key and stored.flows.size == len(flows)
                and np.allclose(stored.flows, sorted(flows), rtol=1e-9, atol=0.0)):
            if progress:
                progress(f"characterize: reusing {path}")
            return stored
    items = [(runner, case, q, backend) for q in flows]
    if mapper is None:
        points = []
        for item in items:
            points.append(_run_one(item))
            if progress:
                p = points[-1]
                progress(f"characterize: {p.flow * LPM:.4g} L/min, dP {p.pressure_drop:.4g} Pa")
    else:
        points = list(mapper(_run_one, items))
    coolant = getattr(getattr(case, "coolant", None), "name", "")
    curves = PlateCurves.from_points(points, case_hash=key, name=case.name,
                                     coolant=coolant)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        curves.write_json(path)
        curves.write_csv(path.with_suffix(".csv"))
        if progress:
            progress(f"characterize: wrote {path} and {path.with_suffix('.csv').name}")
    return curves


# ---------------------------------------------------------------------------------------------
# superposition
# ---------------------------------------------------------------------------------------------
def _zeroed(boundary, inlet_value: float):
    """``boundary`` with its thermal data set to zero (inlets to ``inlet_value`` [K])."""
    from solver.boundaries import Convection, FixedTemperature, HeatFlux, Inlet

    if isinstance(boundary, Inlet):
        return replace(boundary, temperature=float(inlet_value))
    if isinstance(boundary, FixedTemperature):
        return replace(boundary, temperature=0.0)
    if isinstance(boundary, Convection):
        return replace(boundary, ambient_temperature=0.0)
    if isinstance(boundary, HeatFlux):
        return replace(boundary, heat_flux=0.0)
    return boundary


def _has_other_data(boundaries) -> bool:
    """True when a boundary other than the inlets carries a non-zero temperature or flux."""
    from solver.boundaries import Convection, FixedTemperature, HeatFlux

    for b in boundaries:
        value = None
        if isinstance(b, FixedTemperature):
            value = b.temperature
        elif isinstance(b, Convection):
            value = b.ambient_temperature if b.h > 0 else 0.0
        elif isinstance(b, HeatFlux):
            value = b.heat_flux
        if value is not None and (callable(value) or float(value) != 0.0):
            return True
    return False


@dataclass
class UnitResponses:
    """Temperature responses of one plate at one flow field, for superposition.

    ``T = base + inlet_temperature * inlet + sum_i P_i chips[i]`` (module docstring).

    Attributes
    ----------
    chips : dict of str -> array (nx, ny, nz)
        [K/W] field for 1 W in each chip, zero inlet and boundary data.
    inlet : array (nx, ny, nz)
        [-] field for a 1 K inlet temperature, no power.
    base : array (nx, ny, nz) or None
        [K] field of the remaining boundary data (None when all are zero).
    conducting : array (nx, ny, nz) of bool
        Cells with physics (conductivity > 0); the others are filled with the lowest value.
    energy_imbalance : float
        [-] largest relative energy imbalance of the unit solves.
    """

    chips: dict
    inlet: object
    base: object
    conducting: object
    energy_imbalance: float = 0.0

    def temperature(self, powers: Mapping[str, float], inlet_temperature: float):
        """Temperature field [K] for chip ``powers`` [W] and ``inlet_temperature`` [K].

        Chips missing from ``powers`` dissipate nothing; unknown names raise KeyError.
        """
        unknown = set(powers) - set(self.chips)
        if unknown:
            raise KeyError(f"no unit response for chip(s) {sorted(unknown)}; have "
                           f"{sorted(self.chips)}")
        xp = _namespace(self.inlet)
        field_ = self.inlet * float(inlet_temperature)
        if self.base is not None:
            field_ = field_ + self.base
        for name, power in powers.items():
            field_ = field_ + float(power) * self.chips[name]
        low = xp.min(xp.where(self.conducting, field_, xp.inf))
        return xp.where(self.conducting, field_, low)


def _namespace(array):
    from solver.operators import array_namespace

    return array_namespace(array)


def unit_responses(grid, conductivity, boundaries, chip_sources: Mapping[str, object],
                   mass_flux, specific_heat, linear=None) -> UnitResponses:
    """Unit temperature responses of every chip, of the inlet and of the other boundary data.

    Parameters
    ----------
    grid : solver.grid.Grid
    conductivity : array (nx, ny, nz) or float
        [W/m/K] constant (temperature-independent) conductivities; 0 marks empty cells.
    boundaries : sequence of solver.boundaries.Boundary
        The plate's patches; every ``Inlet`` takes the same inlet temperature.
    chip_sources : mapping chip name -> array (nx, ny, nz)
        [W/m3 per W] heat source of each chip for 1 W (``chip_heat_source(..., power=1.0)``).
    mass_flux : tuple (Fx, Fy, Fz)
        [kg/s] face mass fluxes of the converged flow (see :func:`solver.energy.assemble_energy`).
    specific_heat : array (nx, ny, nz) or float
        [J/kg/K] constant specific heat of the fluid cells.
    linear : solver.linear.LinearSolve, optional
        Linear-solver settings (default flexible GMRES, rtol 1e-12).

    Returns
    -------
    UnitResponses

    Notes
    -----
    Uses the first-order upwind scheme, which is exactly linear; the TVD scheme's limiter is
    not, so its superposition would only be approximate.
    """
    from solver.energy import ConductionSolve, solve_energy
    from solver.linear import LinearSolve

    if callable(conductivity):
        raise ValueError("superposition needs constant conductivities (got a callable k(T))")
    settings = ConductionSolve(linear=linear or LinearSolve(method="fgmres", rtol=1e-12,
                                                            max_iterations=2000),
                               relaxation=1.0)
    zero_sources = grid.zeros()
    imbalance = 0.0

    def solve(bcs, source):
        nonlocal imbalance
        result = solve_energy(grid, conductivity, bcs, source, mass_flux, specific_heat,
                              scheme="upwind", settings=settings)
        imbalance = max(imbalance, float(result.energy_balance["relative_imbalance"]))
        return result.temperature

    zero_bcs = [_zeroed(b, 0.0) for b in boundaries]
    chips = {name: solve(zero_bcs, grid.backend.asarray(source))
             for name, source in chip_sources.items()}
    inlet = solve([_zeroed(b, 1.0) for b in boundaries], zero_sources)
    base = None
    if _has_other_data(boundaries):
        from solver.boundaries import Inlet

        base = solve([replace(b, temperature=0.0) if isinstance(b, Inlet) else b
                      for b in boundaries], zero_sources)
    xp = grid.backend.xp
    k = conductivity if not np.isscalar(conductivity) else grid.full(float(conductivity))
    conducting = xp.asarray(k) > 0
    return UnitResponses(chips, inlet, base, conducting, imbalance)


def unit_responses_from_cold_plate(plate, result) -> UnitResponses:
    """Unit responses of a solved :class:`solver.coldplate.ColdPlate` at its flow field.

    Uses the converged mass fluxes, the last conductivity and specific heat of ``result`` and
    the chip heat sources of the plate's model scaled to 1 W.
    """
    model = plate.model
    xp = plate.xp
    sources = {}
    for chip in plate.chips:
        mask = plate.backend.asarray(model.chip_masks[chip["name"]])
        if chip["power"] <= 0:
            raise ValueError(f"chip {chip['name']!r} has no power: its 1 W source shape is "
                             "unknown")
        sources[chip["name"]] = xp.where(mask, model.heat_source, 0.0) / chip["power"]
    # the plate's energy boundaries (inlets restricted to fluid faces) when it has its own
    boundaries = getattr(plate, "boundaries", None) or model.boundaries
    return unit_responses(plate.grid, result.conductivity, boundaries, sources,
                          tuple(result.flow.mass_flux), plate.specific_heat)


__all__ = [
    "LPM", "OperatingPoint", "PlateCurves", "PressureDropFit", "ResistanceFit", "UnitResponses",
    "characterize", "coldplate_runner", "curves_path", "fit_pressure_drop", "fit_resistance",
    "format_curves", "parse_flows", "unit_responses",
    "unit_responses_from_cold_plate",
]


# ---------------------------------------------------------------------------------------------
# the coupled rack: network with plate curves, 3D solves at the operating points, iterated
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CouplingTolerances:
    """When the network and the 3D plate solves agree.

    Parameters
    ----------
    flow_rtol : float
        [-] largest change of a plate flow between passes, relative to that flow.
    temperature_tol : float
        [K] largest change of a plate inlet temperature between passes.
    heat_rtol : float
        [-] largest ``|m cp (T_out - T_in) - P| / P`` of the 3D solves (heat removed by the
        coolant against the plate power carried by the network).
    max_passes : int
        Largest number of network + 3D passes.
    """

    flow_rtol: float = 1e-3
    temperature_tol: float = 0.05
    heat_rtol: float = 5e-3
    max_passes: int = 10


@dataclass
class CoupledRack:
    """Outcome of :func:`couple_rack`.

    Attributes
    ----------
    result : solver.scenarios.RackResult
        The last network solve (with the corrected plate curves).
    plate_curves : dict
        Corrected curves by plate name (every plate solved in 3D) or group name.
    operating_points : dict
        Plate name -> the last :class:`OperatingPoint` solved in 3D there.
    pressure_drop_factors : dict
        Plate name -> factor applied to its characterization dP curve.
    history : list of dict
        Per pass: largest flow change [-], inlet temperature change [K], heat mismatch [-].
    converged : bool
    chip_limits : dict
        [K] chip name -> limit from the plate cases' ``max_temperature``.
    """

    result: object
    plate_curves: dict
    operating_points: dict
    pressure_drop_factors: dict
    history: list
    converged: bool
    chip_limits: dict = field(default_factory=dict)

    def report(self, limits=None, name: str = "rack") -> dict:
        """The rack report (:func:`solver.report.rack_report`) with the corrected curves.

        Chip limits of the plate cases (``[[chips]] max_temperature``) are added to
        ``limits.chip_limits`` unless that already names the chip.
        """
        from solver.report import DesignLimits, rack_report

        limits = limits or DesignLimits()
        limits = replace(limits, chip_limits={**self.chip_limits, **dict(limits.chip_limits)})
        return rack_report(self.result.summary, self.result.components, limits,
                           self.plate_curves, self.result.unserved, name=name)

    def write(self, directory, limits=None, name: str = "rack") -> dict:
        """Write the report (``report.md``/``.json``, chip chart), the network pictures
        (``images/rack_temperature.png``, ``images/rack_flow.png``), the hottest 3D plate's
        temperature map (``images/hottest_plate.png``) and the scene ``rack.vtm``."""
        from solver.report import plot_plate_temperature, plot_rack_network, write_report

        directory = Path(directory)
        paths = write_report(directory, self.report(limits, name))
        images = directory / "images"
        images.mkdir(parents=True, exist_ok=True)
        solution = self.result.solution
        paths["rack_temperature_png"] = plot_rack_network(
            solution, images / "rack_temperature.png", "temperature")
        paths["rack_flow_png"] = plot_rack_network(solution, images / "rack_flow.png", "flow")
        with_fields = {n: p for n, p in self.operating_points.items() if p.fields}
        if with_fields:
            hottest = max(with_fields, key=lambda n: max(with_fields[n].case_temperatures.values(),
                                                         default=0.0))
            paths["hottest_plate_png"] = plot_plate_temperature(
                with_fields[hottest].fields, images / "hottest_plate.png", hottest)
            paths["scene"] = rack_scene(directory / "rack.vtm", self)
        return paths


def _plate_group(plate: str, groups) -> str | None:
    """The group (key of ``groups``) a rack plate belongs to: exact name or a dotted part."""
    if plate in groups:
        return plate
    parts = plate.split(".")
    return next((g for g in groups if g in parts), None)


def _case_at(case, inlet_temperature: float, power: float):
    """``case`` with its inlets at ``inlet_temperature`` [K], chip powers scaled to ``power``."""
    total = sum(c.power for c in case.chips)
    scale = power / total if total > 0 else 0.0
    chips = [c.model_copy(update={"power": c.power * scale}) for c in case.chips]
    boundaries = [b.model_copy(update={"temperature": float(inlet_temperature)})
                  if b.type == "inlet" else b for b in case.boundaries]
    return case.model_copy(update={"chips": chips, "boundaries": boundaries})


def _scaled_curves(curves: PlateCurves, resistance_factors: Mapping[str, float]) -> PlateCurves:
    return replace(curves, resistances={c: r * resistance_factors.get(c, 1.0)
                                        for c, r in curves.resistances.items()},
                   peak_resistances={c: r * resistance_factors.get(c, 1.0)
                                     for c, r in curves.peak_resistances.items()})


def couple_rack(section, coolant, plate_cases: Mapping, flows: Sequence[float], backend="cpu",
                runner: Runner | None = None, every_plate: bool = False,
                tolerances: CouplingTolerances = CouplingTolerances(),
                mapper: Callable | None = None, store: bool = True,
                progress: Callable[[str], None] | None = None) -> CoupledRack:
    """Solve the rack with its cold plates consistent between the network and the 3D model.

    1. Characterize each plate case over ``flows`` (:func:`characterize`; stored and reused).
    2. Solve the network with those curves (``solver.scenarios.with_plate_curves``).
    3. Solve the plate in 3D at the operating point (flow, inlet temperature, power) of the
       hottest plate of each group, or of every plate with ``every_plate``; the 3D model sees
       the real inlet temperature, so temperature-dependent coolant properties enter here.
    4. Correct the network's dP curve of those plates so that it passes through the 3D
       pressure drop at the operating point (multiplicative factor), and the chip resistance
       curves so that they pass through the 3D resistances; repeat from 2 until plate flows and
       inlet temperatures change by less than the tolerances and every 3D solve removes the
       plate's power (``heat_rtol``).

    Parameters
    ----------
    section : solver.network.schema.NetworkSection
        A rack (``[network.rack]``) whose plate groups are named like the keys of
        ``plate_cases``.
    coolant : solver.materials.Coolant
        TCS coolant.
    plate_cases : mapping group name -> solver.case.Case
        The 3D cold-plate case of each plate group (e.g. ``{"gpu": case}``); groups without a
        case keep their network curves.
    flows : sequence of float
        [m3/s] characterization flows.
    backend : str or Backend
        For the runner.
    runner : callable, optional
        ``runner(case, flow, backend) -> OperatingPoint`` (default :func:`coldplate_runner`).
    every_plate : bool
        3D solve at every plate's operating point instead of one per group.
    tolerances : CouplingTolerances
    mapper : callable, optional
        ``mapper(function, items)`` for the 3D solves of a pass (e.g. Dask).
    store : bool
        Store and reuse characterization curves next to the plate cases.
    progress : callable, optional
        Receives one line per pass.

    Returns
    -------
    CoupledRack
    """
    from solver.scenarios import _rebuilt, build_rack, solve_rack, with_plate_curves

    runner = runner or coldplate_runner
    rack_coolant = getattr(coolant, "name", None)
    for group, case in plate_cases.items():
        plate_coolant = getattr(getattr(case, "coolant", None), "name", None)
        if rack_coolant and plate_coolant and plate_coolant.lower() != rack_coolant.lower():
            raise ValueError(f"plate group '{group}': its case {case.name!r} uses coolant "
                             f"{plate_coolant!r} but the rack loop runs {rack_coolant!r}; "
                             "characterize the plate with the loop's coolant")
    base = {g: characterize(c, flows, backend, runner, store=store, mapper=mapper,
                            progress=progress)
            for g, c in plate_cases.items()}
    built = build_rack(with_plate_curves(section, base), coolant)
    plates = [b for b in built.network.branches if b.kind == "cold_plate"]
    groups = {b.name: _plate_group(b.name, plate_cases) for b in plates}
    dp_factor = {b.name: 1.0 for b in plates if groups[b.name] is not None}
    curves_out: dict = dict(base)
    points: dict = {}
    history, previous = [], None
    converged = False
    result = None
    for index in range(1, tolerances.max_passes + 1):
        branches = [replace(b, pressure_drops=tuple(p * dp_factor[b.name]
                                                    for p in b.pressure_drops))
                    if b.name in dp_factor else b for b in built.network.branches]
        result = solve_rack(_rebuilt(built, branches), section, coolant)
        rows = {r["name"]: r for r in result.components if r.get("kind") == "cold_plate"}
        state = {n: (float(rows[n]["flow"]), float(rows[n]["inlet_temperature"]))
                 for n in dp_factor}
        # the plates solved in 3D: the hottest of each group, or all of them
        if every_plate:
            chosen = list(dp_factor)
        else:
            chosen = []
            for group in plate_cases:
                members = [n for n in dp_factor if groups[n] == group]
                if members:
                    chosen.append(max(members, key=lambda n: float(rows[n]["case_temperature"])))
        items = []
        for name in chosen:
            q, t_in = state[name]
            case = _case_at(plate_cases[groups[name]], t_in, float(rows[name]["heat"]))
            items.append((runner, case, q, backend))
        solved = list(mapper(_run_one, items)) if mapper else [_run_one(i) for i in items]
        heat_mismatch = 0.0
        for name, point in zip(chosen, solved, strict=True):
            points[name] = point
            group = groups[name]
            ratio = point.pressure_drop / float(rows[name]["pressure_drop"])
            members = [name] if every_plate else [n for n in dp_factor if groups[n] == group]
            for member in members:
                dp_factor[member] *= ratio
            chars = base[group]
            factors = {c: ((point.case_temperatures[c] - point.inlet_temperature)
                           / point.chip_powers[c]) / chars.resistance_fit(c).resistance(
                               point.flow)
                       for c in chars.chips if point.chip_powers.get(c, 0.0) > 0}
            curves_out[name if every_plate else group] = _scaled_curves(chars, factors)
            # the plate model's own coolant (the same fluid as the loop's, checked above)
            fluid = plate_cases[group].coolant_material() if hasattr(
                plate_cases[group], "coolant_material") else coolant
            rho = float(fluid.density(point.inlet_temperature))
            cp = float(fluid.specific_heat(point.inlet_temperature))
            power = sum(point.chip_powers.values())
            if power > 0:
                removed = rho * point.flow * cp * (point.outlet_temperature
                                                   - point.inlet_temperature)
                heat_mismatch = max(heat_mismatch, abs(removed - power) / power)
        flow_change = temperature_change = float("inf")
        if previous is not None:
            flow_change = max(abs(state[n][0] - previous[n][0]) / max(abs(state[n][0]), 1e-30)
                              for n in state)
            temperature_change = max(abs(state[n][1] - previous[n][1]) for n in state)
        history.append({"pass": index, "flow_change": flow_change,
                        "inlet_temperature_change": temperature_change,
                        "heat_mismatch": heat_mismatch, "plates_solved_3d": len(chosen)})
        if progress:
            progress(f"coupling pass {index}: flow change {flow_change:.2e}, inlet T change "
                     f"{temperature_change:.3g} K, heat mismatch {heat_mismatch:.2e}")
        previous = state
        if (flow_change < tolerances.flow_rtol
                and temperature_change < tolerances.temperature_tol
                and heat_mismatch < tolerances.heat_rtol):
            converged = True
            break
    chip_limits = {chip.name: float(chip.max_temperature)
                   for case in plate_cases.values() for chip in getattr(case, "chips", [])}
    return CoupledRack(result, curves_out, points, dp_factor, history, converged, chip_limits)


def rack_scene(path, coupled: CoupledRack, plate_spacing: float = 0.05) -> Path:
    """Write the whole rack as one multiblock ``.vtm``: the network and the plate fields.

    Blocks: ``network`` (the network polylines with flows, pressures and temperatures, as
    ``network.vtp``) and one rectilinear grid per plate solved in 3D (``plate_<name>``, cell
    fields ``temperature`` [K] and ``material``), translated to the plate's place in the rack:
    the position of its inlet node, plates sharing a node side by side along y every
    ``plate_spacing`` [m]. Open it in ParaView or with ``pyvista.read``.

    Parameters
    ----------
    path : path-like
        Destination ``.vtm`` (written with :func:`solver.io.write_multiblock`).
    coupled : CoupledRack
        Its operating points must carry ``fields`` (the default runner keeps them).
    plate_spacing : float
        [m] offset between plates fed from the same node.

    Returns
    -------
    Path
    """
    import pyvista as pv

    from solver.io import write_multiblock
    from solver.network.outputs import layout_positions, network_polydata

    solution = coupled.result.solution
    net = solution.network
    positions = dict(zip((n.name for n in net.nodes), layout_positions(net), strict=True))
    blocks = {"network": network_polydata(solution)}
    slots: dict = {}
    for name, point in coupled.operating_points.items():
        if not point.fields:
            continue
        branch = net.branch(name)
        origin = np.array(positions[branch.inlet], dtype=float)
        slot = slots.get(branch.inlet, 0)
        slots[branch.inlet] = slot + 1
        x, y, z = (np.asarray(f, dtype=float) for f in point.fields["faces"])
        grid = pv.RectilinearGrid(x - x[0] + origin[0], y - y[0] + origin[1] + slot
                                  * plate_spacing, z - z[0] + origin[2])
        for key in ("temperature", "material"):
            if key in point.fields:
                grid.cell_data[key] = np.asarray(point.fields[key]).ravel(order="F")
        blocks["plate_" + "".join(ch if ch.isalnum() or ch in "_.-" else "_"
                                  for ch in name)] = grid
    return write_multiblock(path, blocks)


__all__ += ["CoupledRack", "CouplingTolerances", "couple_rack", "rack_scene"]
