"""Thermal impedance of a cold plate: the transient step response ``Z_th(t)`` of every chip at
the case's flow, its Foster fit, stored in the plate cache (outside the case folders) and reused
while the case is unchanged.

Written by ``coolsim characterize`` beside the steady curves:

* ``<plate cache>/impedance-<hash16>.json`` (:func:`solver.setup.plate_cache`, outside the case
  folders): per chip the Foster network (resistances [K/W],
  time constants [s]), the fit report and the steady resistance; the flow [m3/s], inlet
  temperature [K] and chip powers [W] of the run; the case hash the data belong to;
* ``impedance-<hash16>.csv``: ``time_s`` and ``Z_th`` [K/W] of each chip;
* ``impedance-<hash16>-foster.csv``: the Foster terms of each chip, ``chip``, ``term``,
  ``resistance [K/W]``, ``time_constant [s]`` (:func:`solver.output.exports.write_foster_csv`;
  also written when a stored result is reused);
* ``impedance-<hash16>.png``: ``Z_th(t)`` on a log time axis with the Foster fit.

The network reads the Foster networks with :func:`read_foster_networks` to use a plate as a
reduced-order transient element.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from solver.backend import get_backend
from solver.case.hashing import case_hash
from solver.models.coldplate.transient import coolant_mass_flow, thermal_impedance
from solver.numerics.foster import FosterNetwork
from solver.output.atomic import read_json, write_csv, write_json
from solver.output.exports import write_foster_csv
from solver.output.impedance import plot_impedance
from solver.setup import build_solid_model, from_case, plate_cache


def impedance_path(case) -> Path:
    """Where the thermal impedance of ``case`` is stored: beside its curves, keyed by the whole
    case (its flow and powers set the step response), ``<plate cache>/impedance-<hash16>.json``."""
    return plate_cache(case) / f"impedance-{case_hash(case)[:16]}.json"


def foster_path(path) -> Path:
    """The Foster-terms CSV beside a stored impedance ``impedance-<hash16>.json``."""
    path = Path(path)
    return path.with_name(f"{path.stem}-foster.csv")


def characterize_impedance(case, backend="cpu", store: bool = True, force: bool = False,
                           progress: Callable[[str], None] | None = None) -> dict:
    """Step response of every chip of ``case`` at its own flow and its Foster fit.

    Parameters
    ----------
    case : solver.case.Case
        A conjugate cold-plate case with chips.
    backend : str or Backend
    store : bool
        Read and write the result beside the case's curves (:func:`impedance_path`).
    force : bool
        Recompute even when a stored result matches the case.
    progress : callable, optional
        Receives one line of text per stage.

    Returns
    -------
    dict
        The stored JSON: ``chips`` {name: {"foster", "fit", "steady_resistance_K_per_W"}},
        ``flow_m3_per_s``, ``inlet_temperature_K``, ``chip_powers_W``, ``run``, ``case_hash``.
    """
    key = case_hash(case)
    path = impedance_path(case) if store else None
    if path is not None and path.is_file() and not force:
        stored = read_json(path)
        if stored.get("case_hash") == key:
            if progress:
                progress(f"thermal impedance: reusing {path}")
            write_foster_csv(stored["chips"], foster_path(path))
            return stored
    if not case.chips:
        raise ValueError(f"{case.source_path or case.name}: the thermal impedance needs "
                         "[[chips]] (a step in chip power)")
    backend = get_backend(backend) if isinstance(backend, str) else backend
    model = build_solid_model(case, backend)
    plate = from_case(case, model)
    if progress:
        progress("thermal impedance: steady flow and temperature")
    plate.solve()
    if progress:
        progress("thermal impedance: step response of every chip")
    z = thermal_impedance(plate)
    data = {
        "case": case.name, "case_hash": key,
        "flow_m3_per_s": coolant_mass_flow(plate) / plate.density,
        "inlet_temperature_K": plate.inlet_temperature,
        "chip_powers_W": {n: float(p) for n, p in model.chip_powers.items()},
        "run": z.pop("_run"),
        "chips": {name: {"foster": entry["foster"].describe(), "fit": _plain(entry["fit"]),
                         "steady_resistance_K_per_W": float(entry["impedance"][-1])}
                  for name, entry in z.items()},
    }
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, data)
        names = list(z)
        times = z[names[0]]["times"]
        rows = [{"time_s": float(t), **{f"{n}_Z_th_K_per_W": float(z[n]["impedance"][i])
                                        for n in names}} for i, t in enumerate(times)]
        write_csv(path.with_suffix(".csv"), rows)
        write_foster_csv(data["chips"], foster_path(path))
        plot_impedance({n: (z[n]["times"], z[n]["impedance"], z[n]["foster"]) for n in names},
                       path.with_suffix(".png"), title=f"{case.name}: thermal impedance")
        if progress:
            progress(f"thermal impedance: wrote {path} (+ .csv, -foster.csv, .png)")
    return data


def _plain(report: dict) -> dict:
    """A fit report with JSON-friendly keys."""
    return {k: ({str(n): e for n, e in v.items()} if isinstance(v, dict) else v)
            for k, v in report.items()}


def read_foster_networks(path) -> dict[str, FosterNetwork]:
    """The Foster network of each chip from a stored thermal impedance (JSON)."""
    data = read_json(path)
    return {name: FosterNetwork(tuple(entry["foster"]["resistances_K_per_W"]),
                                tuple(entry["foster"]["time_constants_s"]))
            for name, entry in data["chips"].items()}


def format_impedance(data: dict) -> str:
    """Readable summary of a stored thermal impedance."""
    lines = [f"thermal impedance of {data['case']} at {data['flow_m3_per_s'] * 6e4:.4g} L/min, "
             f"inlet {data['inlet_temperature_K'] - 273.15:.2f} C"]
    for name, entry in data["chips"].items():
        foster, fit = entry["foster"], entry["fit"]
        terms = ", ".join(f"{r:.4g} K/W @ {t:.3g} s" for r, t in
                          zip(foster["resistances_K_per_W"], foster["time_constants_s"],
                              strict=True))
        lines.append(f"  {name}: Z_th(steady) {entry['steady_resistance_K_per_W']:.4g} K/W; "
                     f"Foster {fit['terms']} terms ({terms}); fit error max "
                     f"{100 * fit['max_relative_error']:.2f} %")
    return "\n".join(lines)

