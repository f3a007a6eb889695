"""Exports of a characterized cold plate for other tools, written beside its curves by
``coolsim characterize`` (:func:`solver.coupling.characterize`):

* ``curves-<flows hash>-fits.csv``: the fitted laws of the curves, one row per coefficient, at
  full precision (:func:`fit_rows`);
* ``curves-<flows hash>.mo``: the curves as a Modelica record of the Modelica Buildings library's
  liquid-cooled rack data (:func:`modelica_record`);
* ``impedance-<hash16>-foster.csv``: the Foster terms of each chip's thermal impedance
  (:func:`write_foster_csv`), beside the stored impedance.

The curve points themselves are ``curves-<flows hash>.csv`` (:meth:`PlateCurves.write_csv
<solver.coupling.curves.PlateCurves.write_csv>`). Every number is written with Python's
``repr`` (the shortest text that reads back to the same double), so the files reproduce the
curves exactly. The functions take a :class:`~solver.coupling.curves.PlateCurves` by its
attributes (``flows``, ``pressure_drops``, ``resistances``, fits), not by import: this package
sits below the coupling.

**The Modelica record.** The Buildings library (Wetter et al.) models a liquid-cooled rack as
``Buildings.Fluid.DataCenterEquipment.Racks.LiquidCooledSinglePhase.ColdPlateR_P``, whose data
record ``...LiquidCooledSinglePhase.Data.Generic`` holds

* ``PIT_nominal`` [W] and ``m_flow_nominal`` [kg/s] (from ``Racks.BaseClasses.Data.Generic``);
* ``dp_nominal`` [Pa], the flow exponent ``n`` and ``deltaM`` of
  ``Buildings.Fluid.FixedResistances.PressureDrop``: ``dp = dp_nominal (m_flow /
  m_flow_nominal)^n``, regularised below ``deltaM m_flow_nominal``;
* ``theRes`` (``Data.BaseClasses.Generic_R_m_flow``): ``V_flow[:]`` [m3/s] and ``R[:]`` [K/W], the
  case-to-inlet resistance ``(T_case - T_inlet) / Q_plate`` per cold plate, and ``n``, the order
  of the polynomial the model fits to ``R V_flow`` against ``V_flow``.

Source: https://github.com/lbl-srg/modelica-buildings, branch
``issue4443_dataCenterLiquidCooling``, commit 1c1094d6ac0628599a9a8d32ab1f0dbc374978f9
(2026-07-23), files ``Buildings/Fluid/DataCenterEquipment/Racks/LiquidCooledSinglePhase/
Data/Generic.mo``, ``.../Data/BaseClasses/Generic_R_m_flow.mo``, ``.../ColdPlateR_P.mo``,
``.../BaseClasses/CaseTemperature.mo`` and ``Racks/BaseClasses/Data/Generic.mo``. The package is
not in a released Buildings version yet (its path moved twice on that branch, from
``Buildings.Applications.DataCenters.LiquidCooled.Racks``), so a later release may rename it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from solver.output.atomic import atomic_write_text, write_csv

#: The Buildings record the Modelica export extends (see the module docstring for its source).
BUILDINGS_RECORD = "Buildings.Fluid.DataCenterEquipment.Racks.LiquidCooledSinglePhase.Data.Generic"
#: The Buildings record of one resistance curve, ``V_flow[:]``, ``R[:]`` and ``n``.
BUILDINGS_RESISTANCE_RECORD = ("Buildings.Fluid.DataCenterEquipment.Racks.LiquidCooledSinglePhase"
                               ".Data.BaseClasses.Generic_R_m_flow")
BUILDINGS_SOURCE = ("https://github.com/lbl-srg/modelica-buildings, branch "
                    "issue4443_dataCenterLiquidCooling, commit "
                    "1c1094d6ac0628599a9a8d32ab1f0dbc374978f9 (2026-07-23)")
#: [-] bounds Buildings puts on the flow exponent ``n`` of ``dp ~ m_flow^n``.
BUILDINGS_EXPONENT_RANGE = (1.0, 2.0)
#: [-] largest relative error at the points accepted from the polynomial Buildings fits to
#: ``R V_flow``: the lowest order meeting it is written (else the order with the smallest error).
RESISTANCE_POLYNOMIAL_TOLERANCE = 0.01
#: highest polynomial order offered for ``R V_flow`` (higher ones oscillate between points).
MAX_RESISTANCE_ORDER = 3


def curve_export_paths(curves_json) -> dict[str, Path]:
    """The export files beside a stored curves file ``curves-<hash>.json``: ``csv`` (points),
    ``fits`` (``-fits.csv``) and ``modelica`` (``.mo``)."""
    path = Path(curves_json)
    return {"csv": path.with_suffix(".csv"), "fits": path.with_name(f"{path.stem}-fits.csv"),
            "modelica": path.with_suffix(".mo")}


def write_curve_exports(curves, curves_json, density: float) -> dict[str, Path]:
    """Write the curve points CSV, the fits CSV and, with two flows or more, the Modelica record
    beside ``curves_json``; returns the paths written (keys of :func:`curve_export_paths`).

    ``density`` [kg/m3] converts the volumetric flows into the record's mass flow.
    """
    paths = curve_export_paths(curves_json)
    written = {"csv": curves.write_csv(paths["csv"]),
               "fits": write_csv(paths["fits"], fit_rows(curves))}
    if curves.flows.size >= 2:
        written["modelica"] = atomic_write_text(paths["modelica"],
                                                modelica_record(curves, density))
    return written


# -- fits ----------------------------------------------------------------------------------------
def fit_rows(curves) -> list[dict]:
    """One row per fitted coefficient: ``curve``, ``law``, ``coefficient``, ``value``, ``unit``
    and ``max_relative_error [-]`` of the law over the points (the unit of each value is in
    its row: the coefficients of one law differ in unit).

    Curves: ``pressure_drop`` in both forms (``dP = a Q + b Q|Q|`` and ``dP = a Q^n``),
    ``R_<chip>`` and, when known, ``R_peak_<chip>`` (``R = c + d Q^-m``); Q in m3/s.
    """
    rows = []

    def add(curve, law, error, coefficients):
        rows.extend({"curve": curve, "law": law, "coefficient": name, "value": value,
                     "unit": unit, "max_relative_error [-]": error}
                    for name, value, unit in coefficients)

    quadratic = curves.pressure_drop_fit("quadratic")
    add("pressure_drop", "dP = a Q + b Q|Q|", quadratic.max_relative_error,
        [("a", quadratic.a, "Pa s/m3"), ("b", quadratic.b, "Pa s2/m6")])
    power = curves.pressure_drop_fit("power")
    add("pressure_drop", "dP = a Q^n", power.max_relative_error,
        [("a", power.a, "Pa (s/m3)^n"), ("n", power.exponent, "-")])
    fits = [(f"R_{chip}", curves.resistance_fit(chip)) for chip in curves.chips]
    fits += [(f"R_peak_{chip}", curves.peak_resistance_fit(chip))
             for chip in curves.peak_resistances]
    for curve, fit in fits:
        add(curve, "R = c + d Q^-m", fit.max_relative_error,
            [("c", fit.c, "K/W"), ("d", fit.d, "K/W (m3/s)^m"), ("m", fit.m, "-")])
    return rows


# -- Modelica --------------------------------------------------------------------------------------
#: Reserved words of Modelica 3.6 (Modelica Language Specification 3.6, section 2.3.3).
MODELICA_KEYWORDS = frozenset(
    "algorithm and annotation block break class connect connector constant constrainedby der "
    "discrete each else elseif elsewhen encapsulated end enumeration equation expandable extends "
    "external false final flow for function if import impure in initial inner input loop model "
    "not operator or outer output package parameter partial protected public pure record "
    "redeclare replaceable return stream then true type when while within".split())


def modelica_name(text: str) -> str:
    """``text`` as a Modelica identifier: letters, digits and ``_``, not starting with a digit
    and not a reserved word (those get the prefix ``Plate_``)."""
    name = re.sub(r"\W", "_", text, flags=re.ASCII) or "plate"
    return f"Plate_{name}" if name[0].isdigit() or name in MODELICA_KEYWORDS else name


def modelica_number(value: float) -> str:
    """A finite float as a Modelica real literal that reads back to the same double."""
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"a Modelica record cannot hold the non-finite number {value!r}")
    return repr(value)


def modelica_array(values) -> str:
    """``{v1,v2,...}`` of finite floats at full precision."""
    return "{" + ",".join(modelica_number(v) for v in np.ravel(values)) + "}"


def modelica_string(text: str) -> str:
    """``text`` as a Modelica string literal (quotes and backslashes escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def plate_resistance(curves) -> np.ndarray:
    """[K/W] the case-to-inlet resistance of the plate per watt of its total power at each flow:
    ``max_i(R_i P_i) / sum_i P_i``, so ``T_in + R P_plate`` is the hottest case temperature (the
    one chip's ``R`` for a single chip); as the rack network uses it
    (:meth:`~solver.coupling.curves.PlateCurves.network_plate`)."""
    if len(curves.chips) == 1:
        return np.asarray(curves.resistances[curves.chips[0]], dtype=float)
    return np.asarray(curves.network_plate()["resistances"], dtype=float)


def resistance_polynomial_order(flows, resistances) -> tuple[int, float]:
    """Order ``n`` for Buildings' least-squares polynomial of ``R V_flow`` against ``V_flow``
    (``CaseTemperature``: ``Modelica.Math.Polynomials.fitting``, the least squares of
    :func:`numpy.polyfit`) and the largest relative error in ``R`` it leaves at the points.

    The lowest order from 1 (Buildings' default) to ``min(points - 1, MAX_RESISTANCE_ORDER)``
    whose error is within :data:`RESISTANCE_POLYNOMIAL_TOLERANCE`, else the one with the
    smallest error.
    """
    v = np.asarray(flows, dtype=float)
    r = np.asarray(resistances, dtype=float)
    errors = {}
    for order in range(1, min(v.size - 1, MAX_RESISTANCE_ORDER) + 1):
        fitted = np.polyval(np.polyfit(v, r * v, order), v) / v
        errors[order] = float(np.max(np.abs(fitted - r) / r))
        if errors[order] <= RESISTANCE_POLYNOMIAL_TOLERANCE:
            return order, errors[order]
    order = min(errors, key=errors.get)
    return order, errors[order]


def nominal_point(curves, density: float) -> dict:
    """The record's nominal point: ``V_flow`` [m3/s] the mean characterized flow (the design flow
    per cold plate ``ColdPlateR_P`` takes by default, so that its number of cold plates is 1),
    ``m_flow`` [kg/s] = ``density V_flow``, ``dp`` [Pa] and ``n`` [-] of the power-law fit
    ``dP = a Q^n`` (so ``dp_nominal (Q / V_flow)^n`` is that fit at every flow), and ``deltaM``
    [-] placing Buildings' laminar regularisation at half the smallest characterized flow."""
    flows = np.asarray(curves.flows, dtype=float)
    power = curves.pressure_drop_fit("power")
    v_nominal = float(np.mean(flows))
    return {"V_flow": v_nominal, "m_flow": float(density) * v_nominal,
            "dp": power.pressure_drop(v_nominal), "n": power.exponent,
            "deltaM": 0.5 * float(flows.min()) / v_nominal, "fit": power}


def modelica_record(curves, density: float, name: str | None = None) -> str:
    """The curves as a Modelica ``record`` extending :data:`BUILDINGS_RECORD`.

    Parameters
    ----------
    curves : solver.coupling.curves.PlateCurves
        With two flows or more (Buildings fits a polynomial through the resistance points).
    density : float
        [kg/m3] coolant density for ``m_flow_nominal`` (at the curves' mean temperature).
    name : str, optional
        Record name (default: the plate's name as a Modelica identifier).

    Returns
    -------
    str
        The record: ``PIT_nominal`` [W] the characterization's total chip power,
        ``m_flow_nominal``, ``dp_nominal``, ``n``, ``deltaM`` from :func:`nominal_point`,
        ``theRes`` the characterized flows and :func:`plate_resistance` with the polynomial order
        of :func:`resistance_polynomial_order`; added parameters ``dp_points`` [Pa], the computed
        pressure drops at ``theRes.V_flow``, and with several chips one ``theRes_<chip>`` per chip
        (``R_i = (T_case,i - T_inlet) / P_i``).
    """
    flows = np.asarray(curves.flows, dtype=float)
    if flows.size < 2:
        raise ValueError("the Buildings record needs two characterized flows or more (it fits "
                         "a polynomial through the resistance points)")
    name = modelica_name(name or curves.name)
    point = nominal_point(curves, density)
    resistance = plate_resistance(curves)
    order, order_error = resistance_polynomial_order(flows, resistance)
    low, high = BUILDINGS_EXPONENT_RANGE
    exponent_note = ("" if low <= point["n"] <= high else
                     f" The fitted exponent n lies outside the range [{low:g}, {high:g}] "
                     "Buildings allows: a Modelica tool will reject it; fit the plate at flows "
                     "where its pressure drop grows between linearly and quadratically.")
    title = (f"Cold plate {curves.name} characterized by coolsim"
             + (f" with {curves.coolant}" if curves.coolant else ""))
    chips = ", ".join(f"{chip} {power:g} W" for chip, power in curves.chip_powers.items())
    info = (f"<p>Generated by coolsim from {flows.size} conjugate 3D solves of the cold plate "
            f"{curves.name} (geometry hash {curves.case_hash[:16] or 'n/a'}), inlet "
            f"{curves.inlet_temperature:.6g} K, chip powers {chips}.</p>"
            f"<p>Pressure drop: the power-law fit dP = a Q^n of the computed points "
            f"(largest relative error {point['fit'].max_relative_error:.3g}), nominal point at "
            f"the mean characterized flow; deltaM puts the laminar regularisation below half the "
            f"smallest characterized flow. dp_points holds the computed pressure drops at "
            f"theRes.V_flow.{exponent_note}</p>"
            f"<p>Thermal resistance: case-to-inlet, per watt of the plate's total power "
            + ("" if len(curves.chips) == 1 else
               "(the hottest chip: max_i(R_i P_i) / sum_i P_i; theRes_&lt;chip&gt; per chip) ")
            + f"at the characterized flows; the order-{order} polynomial Buildings fits to "
            f"R V_flow leaves a largest relative error of {order_error:.3g} at these points.</p>"
            f"<p>Extends {BUILDINGS_RECORD} from {BUILDINGS_SOURCE}.</p>")
    lines = [
        f"record {name} {modelica_string(title)}",
        f"  extends {BUILDINGS_RECORD}(",
        f"    PIT_nominal={modelica_number(curves.total_power)},",
        f"    m_flow_nominal={modelica_number(point['m_flow'])},",
        f"    dp_nominal={modelica_number(point['dp'])},",
        f"    n={modelica_number(point['n'])},",
        f"    deltaM={modelica_number(point['deltaM'])},",
        "    theRes(",
        f"      V_flow={modelica_array(flows)},",
        f"      R={modelica_array(resistance)},",
        f"      n={order}));",
        "  parameter Modelica.Units.SI.PressureDifference dp_points[size(theRes.V_flow, 1)]="
        f"{modelica_array(curves.pressure_drops)}",
        '    "Computed pressure drop at theRes.V_flow (coolsim, 3D solves)";',
    ]
    if len(curves.chips) > 1:
        for chip in curves.chips:
            comment = f"Case-to-inlet resistance of chip {chip} per watt of its own power"
            lines += [f"  parameter {BUILDINGS_RESISTANCE_RECORD} theRes_{modelica_name(chip)}(",
                      f"    V_flow={modelica_array(flows)},",
                      f"    R={modelica_array(curves.resistances[chip])})",
                      f"    {modelica_string(comment)};"]
    lines += ['  annotation (defaultComponentName="dat", defaultComponentPrefixes="parameter",',
              f"    Documentation(info={modelica_string('<html>' + info + '</html>')}));",
              f"end {name};", ""]
    return "\n".join(lines)


# -- thermal impedance -----------------------------------------------------------------------------
def foster_rows(chips: dict) -> list[dict]:
    """One row per Foster term of each chip: ``chip``, ``term`` (1, 2, ...), ``resistance``
    [K/W] and ``time_constant`` [s] (``Z_th(t) = sum_i R_i (1 - exp(-t / tau_i))``).

    ``chips`` maps a chip name to its stored entry (``{"foster": {"resistances_K_per_W": [...],
    "time_constants_s": [...]}}``, :func:`solver.coupling.impedance.characterize_impedance`).
    """
    return [{"chip": chip, "term": index, "resistance": float(r), "time_constant": float(tau)}
            for chip, entry in chips.items()
            for index, (r, tau) in enumerate(zip(entry["foster"]["resistances_K_per_W"],
                                                 entry["foster"]["time_constants_s"],
                                                 strict=True), start=1)]


def write_foster_csv(chips: dict, path) -> Path:
    """Write :func:`foster_rows` as CSV with units in the header (atomic)."""
    return write_csv(path, foster_rows(chips), units={"resistance": "K/W", "time_constant": "s"})
