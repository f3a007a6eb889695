"""Cold-plate curves seen from the rack network: pressure drop ``dP(Q)`` [Pa] and thermal
resistance ``R(Q)`` [K/W] per chip, their fits, operating points and curve files (JSON/CSV)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from solver.output.atomic import atomic_write_text, read_json, write_json
from solver.units import LPM

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


def _fit_points(flows, values, name: str, words: str) -> tuple[np.ndarray, np.ndarray]:
    """``flows`` and ``values`` as float arrays of one non-zero length, all positive."""
    q = np.asarray(flows, dtype=float)
    v = np.asarray(values, dtype=float)
    if q.shape != v.shape or q.size == 0:
        raise ValueError(f"flows and {name} need the same, non-zero length")
    if np.any(q <= 0) or np.any(v <= 0):
        raise ValueError(f"flows and {words} must be positive to fit a curve")
    return q, v


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
    q, dp = _fit_points(flows, pressure_drops, "pressure_drops", "pressure drops")
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

    q, r = _fit_points(flows, resistances, "resistances", "resistances")
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
        face coordinates [m]), arrays of shape (nx, ny, nz) such as ``temperature`` [K],
        ``material`` (body id, -1 empty) and ``pressure`` [Pa], ``velocity`` [m/s]
        (nx, ny, nz, 3), and ``body_names`` (the name of each body id).
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

    @property
    def mean_temperatures(self) -> np.ndarray:
        """[K] mean coolant temperature of each solve, ``(T_inlet + T_outlet) / 2``: where the
        coolant's viscosity and density are taken for the dP curve's temperature correction."""
        return 0.5 * (self.inlet_temperature + self.outlet_temperatures)

    def network_plate(self) -> dict:
        """Curve keys of a rack plate group (``solver.case.network.PlateGroupSection``).

        ``curve_temperatures`` are the :attr:`mean_temperatures` of the solves, so that the
        network's dP curve follows the coolant's viscosity and density at the operating
        temperature (:class:`solver.network.components.ColdPlate`).
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
                  "curve_temperatures": tuple(float(t) for t in self.mean_temperatures),
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
        """Write :meth:`to_dict` atomically (``solver.output.write_json``)."""

        return write_json(path, self.to_dict())

    @classmethod
    def read_json(cls, path) -> PlateCurves:
        """Read curves written by :meth:`write_json`."""

        return cls.from_dict(read_json(path))

    def csv_rows(self) -> list[dict]:
        """Rows for the CSV export; column names carry units. ``pressure_drop_fit`` and
        ``R_<chip>_fit`` are the fitted laws (quadratic ``dP``) at each flow."""
        rows = []
        dp_fit = self.pressure_drop_fit().pressure_drop(self.flows)
        r_fits = {chip: self.resistance_fit(chip).resistance(self.flows) for chip in self.chips}
        for i, q in enumerate(self.flows):
            row = {"flow_rate [L/min]": q * LPM, "flow_rate [m3/s]": q,
                   "pressure_drop [Pa]": self.pressure_drops[i],
                   "pressure_drop_fit [Pa]": dp_fit[i]}
            for chip in self.chips:
                row[f"R_{chip} [K/W]"] = self.resistances[chip][i]
                row[f"R_{chip}_fit [K/W]"] = r_fits[chip][i]
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

        Columns: ``flow_rate [L/min]``, ``flow_rate [m3/s]``, ``pressure_drop [Pa]``,
        ``pressure_drop_fit [Pa]``, per chip ``R_<chip> [K/W]`` and ``R_<chip>_fit [K/W]`` (and
        ``R_peak_<chip> [K/W]`` when known), ``outlet_temperature [K]``,
        ``inlet_temperature [K]``. Numbers at full precision (``repr``: they read back to the
        same doubles); the fitted coefficients are in ``-fits.csv``
        (:func:`solver.output.exports.fit_rows`).
        """
        import csv
        import io

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
            writer.writerow({k: repr(float(v)) for k, v in row.items()})
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
