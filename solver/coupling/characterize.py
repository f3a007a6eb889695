"""Characterization: one 3D cold-plate solve per flow, gathered into :class:`PlateCurves` and
stored next to the case file keyed by the geometry hash (reused while it is unchanged)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from solver.backend import get_backend
from solver.case.hashing import case_hash
from solver.coupling.curves import OperatingPoint, PlateCurves
from solver.output.exports import write_curve_exports
from solver.progress import format_duration
from solver.setup import build_solid_model, curves_path, from_case, with_inlet_flow
from solver.units import LPM, VOLUMETRIC_FLOW_UNITS

Runner = Callable[..., OperatingPoint]

# the kind of unit (solver.progress.Stage) of one 3D plate solve: characterization flows and the
# coupled rack's plates pool their measured costs under it
PLATE_SOLVE = "3D plate solve"


def parse_flows(text: str) -> list[float]:
    """Flows [m3/s] from text such as ``"0.5,1,1.5,2 L/min"`` or ``"1e-5, 2e-5"`` (SI).

    A unit written after the last number applies to every number; a number may also carry its
    own unit (``"0.5 L/min, 1 L/min"``).
    """

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


def coldplate_runner(case, flow: float, backend="cpu", run=None) -> OperatingPoint:
    """Solve the conjugate cold plate of ``case`` at ``flow`` [m3/s] with
    :mod:`solver.models.coldplate`.

    Every inlet boundary of the case is set to the volumetric ``flow``; chip powers and the
    inlet temperature are those of the case. A case without chips reports its heated
    (positive heat-flux) patches as one chip called ``"heater"``. With ``run``
    (:class:`solver.progress.RunProgress`) the solve reports its passes and iterations there.

    Returns
    -------
    OperatingPoint
    """

    backend = get_backend(backend) if isinstance(backend, str) else backend
    variant = with_inlet_flow(case, flow)
    model = build_solid_model(variant, backend)
    plate = from_case(variant, model)
    settings = plate.settings
    result = plate.solve(None if run is None else run.progress(
        {"continuity": settings.continuity_tolerance, "momentum": settings.momentum_tolerance}))
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
              "temperature": temperature, "material": np.asarray(model.body_ids),
              "body_names": list(model.body_names),
              # coolant cells only, as in fields.vtr
              "velocity": backend.to_host(result.flow.cell_velocity())
              * plate.fluid_host[..., None],
              "pressure": backend.to_host(result.flow.pressure)}
    return OperatingPoint(
        flow=float(flow), pressure_drop=float(metrics["pressure_drop_Pa"]),
        inlet_temperature=float(metrics["inlet_temperature_K"]),
        outlet_temperature=float(metrics["outlet_temperature_K"]),
        case_temperatures=cases, chip_powers=powers, peak_temperatures=peaks, fields=fields)


def coolant_name(case) -> str:
    """The name of the coolant a plate case solves with (``"PG25"``; ``"PG25%vol"`` for 25 %
    by volume, whether the name or ``[coolant] basis`` says so); "" without one."""
    if hasattr(case, "coolant_material"):
        return case.coolant_material().name
    return getattr(getattr(case, "coolant", None), "name", "")


def coolant_density(case, curves: PlateCurves) -> float:
    """[kg/m3] density of the coolant of ``case`` at the mean coolant temperature of the
    characterization (what the Modelica record's mass flows are converted with)."""
    temperature = float(np.mean(curves.mean_temperatures))
    return float(case.coolant_material().density(temperature))


def run_one(item):
    """Module-level job for :func:`solver.distributed.map_jobs` (picklable)."""
    runner, case, flow, backend = item
    return runner(case, flow, backend)


def solve_point(item, run=None):
    """One job of :func:`run_one` in this process; with ``run``
    (:class:`solver.progress.RunProgress`) the runner gets it as ``run=`` and reports there."""
    if run is None:
        return run_one(item)
    runner, case, flow, backend = item
    return runner(case, flow, backend, run=run)


def characterize(case, flows: Sequence[float], backend="cpu", runner: Runner | None = None,
                 store: bool = True, force: bool = False, mapper: Callable | None = None,
                 progress=None) -> PlateCurves:
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
        Tests pass a cheap analytic runner. With ``progress`` and no ``mapper`` it is called
        with ``run=progress`` too.
    store : bool
        Read and write the curves in the plate cache, one file per geometry and set of flows
        (:func:`solver.setup.curves_path`; never inside the case folders), with their exports
        beside them, also when reused: ``.csv`` (points), ``-fits.csv`` (fitted coefficients)
        and ``.mo`` (a Modelica Buildings record; :mod:`solver.output.exports`).
    force : bool
        Recompute even when stored curves match.
    mapper : callable, optional
        ``mapper(function, items) -> list`` running the solves, e.g.
        ``functools.partial(solver.distributed.map_jobs, n_workers=2)``; default serial.
    progress : solver.progress.RunProgress, optional
        The run's progress: each flow is a unit of the level ``"flow"`` (kind
        :data:`PLATE_SOLVE`), with one line when it is done (flow, dP, wall time); with a
        ``mapper`` one line for all of them.

    Returns
    -------
    PlateCurves
        With ``case_hash`` = ``case_hash(case, scope="geometry")``.
    """

    runner = runner or coldplate_runner
    flows = [float(q) for q in flows]
    if not flows or any(q <= 0 for q in flows):
        raise ValueError("characterize needs positive flows")
    key = case_hash(case, scope="geometry")
    path = curves_path(case, flows) if store else None
    if path is not None and path.is_file() and not force:
        stored = PlateCurves.read_json(path)
        if (stored.case_hash == key and stored.flows.size == len(flows)
                and np.allclose(stored.flows, sorted(flows), rtol=1e-9, atol=0.0)):
            if progress:
                progress.message(f"characterize: reusing {path}")
            # curves stored before an export format existed get it too
            write_curve_exports(stored, path, coolant_density(case, stored))
            return stored
    items = [(runner, case, q, backend) for q in flows]
    if mapper is None:
        points = []
        for index, item in enumerate(items, start=1):
            if progress:
                progress.begin("flow", index, count=len(items), kind=PLATE_SOLVE)
            points.append(solve_point(item, progress))
            if progress:
                seconds = progress.end("flow")
                progress.message(f"characterize: flow {index}/{len(items)}: "
                                 f"{points[-1].flow * LPM:.4g} L/min, dP "
                                 f"{points[-1].pressure_drop:.4g} Pa, done in "
                                 f"{format_duration(seconds)} | {progress.status()}")
    else:
        points = list(mapper(run_one, items))
        if progress:
            progress.message(f"characterize: {len(items)} flows solved by the workers | "
                             f"{progress.status()}")
    curves = PlateCurves.from_points(points, case_hash=key, name=case.name,
                                     coolant=coolant_name(case))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        curves.write_json(path)
        written = write_curve_exports(curves, path, coolant_density(case, curves))
        if progress:
            progress.message(f"characterize: wrote {path} and "
                             + ", ".join(p.name for p in written.values()))
    return curves
