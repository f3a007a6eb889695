"""The run pipeline: a validated case in, results on disk and a summary out.

``run(case)`` is what ``coolsim run CASE`` does, and what scripts and notebooks call:

1. choose the backend (``auto | cpu | gpu``) and report it;
2. turn the case bodies into geometry, snap a non-uniform grid to them, report cells and memory;
3. paint body ids, assign materials, spread chip powers over their dies;
4. solve (steady conduction here; conjugate flow and the rack network hook in by physics);
5. write ``results/<case>/`` atomically (fields, summary, images) and print a readable summary.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from solver import geometry, meshing
from solver.backend import Backend, get_backend
from solver.case import (
    Case,
    boundary_conditions,
    case_error,
    case_hash,
    domain_bounds,
    geometry_body,
    load_case,
    plate_case_files,
    spacing_per_axis,
)
from solver.energy import ConductionSolve, chip_heat_source, solve_conduction
from solver.grid import Grid
from solver.io import ResultDirectory
from solver.linear import LinearSolve
from solver.progress import Progress
from solver.summary import (
    body_temperature_stats,
    build_summary,
    chip_temperature_stats,
    energy_balance_from_solver,
    format_summary,
    solver_entry,
    write_summary,
)


@dataclass
class SolidModel:
    """A case set up on a grid: geometry painted, materials and heat sources assigned.

    Attributes
    ----------
    grid : Grid
        The snapped non-uniform grid.
    body_ids : int32 array (nx, ny, nz)
        Index of the body owning each cell (last painted wins), -1 where empty (host).
    body_names : list of str
        Body name per body id.
    body_materials : list
        Material object per body id (:mod:`solver.materials`).
    heat_source : array (nx, ny, nz)
        [W/m^3] volumetric heat generation on the backend.
    chip_masks : dict of str to bool array
        Cells heated by each chip (host).
    boundaries : list of solver.boundaries.Boundary
        Boundary patches.
    """

    grid: Grid
    body_ids: np.ndarray
    body_names: list
    body_materials: list
    heat_source: object
    chip_masks: dict
    boundaries: list = field(default_factory=list)

    def conductivity(self, temperature):
        """Cell conductivity [W/m/K] at ``temperature`` [K] (0 in empty cells)."""
        ids = self.grid.backend.asarray(self.body_ids)
        k = self.grid.backend.xp.zeros_like(temperature)
        # evaluate each material on its own cells only (empty cells carry no temperature)
        for body_id, material in enumerate(self.body_materials):
            cells = ids == body_id
            k[cells] = material.conductivity(temperature[cells])
        return k

    @property
    def temperature_dependent(self) -> bool:
        """True when any painted material has temperature-dependent conductivity."""
        return any(getattr(m, "is_temperature_dependent", False) for m in self.body_materials)

    def cell_fields(self, temperature, conductivity) -> dict:
        """Host cell arrays written to ``fields.vtr``: temperature [K], material [body id],
        conductivity [W/m/K], heat_source [W/m3]."""
        backend = self.grid.backend
        return {"temperature": backend.to_host(temperature), "material": self.body_ids,
                "conductivity": backend.to_host(conductivity),
                "heat_source": backend.to_host(self.heat_source)}

    def chip_stats(self, case: Case, temperature) -> dict:
        """Per chip: power [W], max/mean temperature [K, C], its limit and the margin [K]."""
        volumes = self.grid.backend.to_host(self.grid.cell_volumes())
        chips = chip_temperature_stats(self.grid.backend.to_host(temperature), self.chip_masks,
                                       volumes, {chip.name: chip.power for chip in case.chips})
        for chip in case.chips:
            if chip.name in chips:
                entry = chips[chip.name]
                entry["limit_temperature_K"] = chip.max_temperature
                entry["margin_K"] = chip.max_temperature - entry["max_temperature_K"]
        return chips

    def material_table(self) -> list[dict]:
        """Per body id: name, material, kind (``solid`` or ``coolant``), for results metadata."""
        return [{"id": i, "name": name, "material": getattr(m, "name", str(m)),
                 "kind": "coolant" if hasattr(m, "viscosity") else "solid"}
                for i, (name, m) in enumerate(zip(self.body_names, self.body_materials,
                                                  strict=True))]


def build_grid(case: Case, bodies: list, backend: Backend) -> Grid:
    """Non-uniform grid snapped to every body face, with the case's spacing and grading.

    ``max_spacing`` (of the grid and of each refinement box) is one length or one per axis.
    """
    lo, hi = domain_bounds(case)
    refinements = [(tuple(r.min), tuple(r.max), spacing_per_axis(r.max_spacing))
                   for r in case.grid.refine]
    breakpoints = geometry.collect_breakpoints(bodies)
    # chip footprint edges become grid lines too, so the heated area is resolved exactly
    for chip in case.chips:
        if chip.footprint is not None:
            for axis in (0, 1):
                extra = [chip.footprint.min[axis], chip.footprint.max[axis]]
                breakpoints[axis] = np.union1d(breakpoints[axis], extra)
    # so do the planes of ports on faces of the geometry
    for boundary in case.boundaries:
        if boundary.port_plane is not None:
            axis = "xyz".index(boundary.side[0])
            breakpoints[axis] = np.union1d(breakpoints[axis], [boundary.port_plane])
    return meshing.generate_grid(
        tuple(zip(lo, hi, strict=True)), breakpoints,
        max_spacing=spacing_per_axis(case.grid.max_spacing), refinements=refinements,
        growth_ratio=case.grid.growth_ratio, min_spacing=case.grid.min_spacing,
        backend=backend, dtype=np.dtype(case.solver.dtype))


def grid_report(case: Case, grid: Grid) -> dict:
    """The grid report (cells, spacing, memory) with the per-cell array count of the case's
    physics (conduction or conjugate flow); see :func:`solver.meshing.grid_report`."""
    arrays = (meshing.CONJUGATE_FLOW_ARRAYS if case.solver.physics == "conjugate"
              else meshing.CONDUCTION_ARRAYS)
    return meshing.grid_report(grid, arrays_per_cell=arrays)


def paint_bodies(grid, bodies) -> np.ndarray:
    """Index of the body owning each cell (later bodies win), -1 where none (host int32)."""
    # each body gets its own id (geometry.paint keys ids by material)
    body_ids = np.full(grid.shape, -1, dtype=np.int32)
    for i, body in enumerate(bodies):
        body_ids[geometry.body_mask(grid, body)] = i
    return body_ids


def check_ports(case: Case, grid, body_ids: np.ndarray) -> None:
    """Each port on a face of the geometry (``at``) must cover faces with coolant on its inner
    side and solid or nothing beyond; otherwise a :class:`~solver.case.CaseError` naming it."""
    from solver.boundaries import port_faces

    fluid = np.isin(body_ids, [i for i, b in enumerate(case.bodies) if b.is_fluid])
    for i, (boundary, patch) in enumerate(zip(case.boundaries, boundary_conditions(case),
                                              strict=True)):
        if boundary.port_plane is None:
            continue
        if not port_faces(grid, patch.patch, fluid)[3].any():
            axis = boundary.side[0]
            raise case_error(
                case, f"boundaries[{i}].at",
                f"no face of the plane {axis} = {boundary.at:.6g} m inside `region` has coolant "
                f"on the port's inner side (opposite to side = {boundary.side}) and solid or "
                "nothing beyond", boundary.at,
                f"the plane of a coolant face, e.g. a plenum ceiling with side = \"{axis}_max\"")


def build_solid_model(case: Case, backend: Backend) -> SolidModel:
    """Geometry, grid, body ids, materials and chip heat sources for ``case``."""
    bodies = [geometry_body(body, case.case_dir) for body in case.bodies]
    grid = build_grid(case, bodies, backend)
    body_ids = paint_bodies(grid, bodies)
    check_ports(case, grid, body_ids)
    names = [b.name for b in case.bodies]
    materials = [case.material(b.material) for b in case.bodies]

    heat_source = grid.zeros()
    chip_masks = {}
    for chip in case.chips:
        body_id = names.index(chip.body)
        footprint = None
        if chip.footprint is not None:
            footprint = ((chip.footprint.min[0], chip.footprint.max[0]),
                         (chip.footprint.min[1], chip.footprint.max[1]))
        power_map = case.resolve(chip.power_map) if chip.power_map else None
        source = chip_heat_source(grid, body_ids, body_id, chip.power, footprint, power_map)
        heat_source += source
        chip_masks[chip.name] = backend.to_host(source) > 0
    return SolidModel(grid, body_ids, names, materials, heat_source, chip_masks,
                      boundary_conditions(case))


def _say(quiet: bool, text: str) -> None:
    if not quiet:
        print(text, file=sys.stderr, flush=True)


def run(case: Case, backend: str | Backend | None = None, output: str | Path | None = None,
        quiet: bool = False, resume: bool = False) -> dict:
    """Solve ``case`` and write its results.

    Parameters
    ----------
    case : Case
        A validated case (:func:`solver.case.load_case`).
    backend : {"auto", "cpu", "gpu"} or Backend, optional
        Overrides ``[solver] backend``.
    output : path, optional
        Results root (default ``[output] directory``); results go to ``<output>/<case name>/``.
    quiet : bool
        Print nothing but errors.
    resume : bool
        Continue from the checkpoint in the results folder (conjugate runs).

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    start = time.perf_counter()
    backend = get_backend(backend or case.solver.backend)
    _say(quiet, f"coolsim: case '{case.name}' on backend {backend.name} ({backend.device})")
    result_dir = ResultDirectory(output or case.output.directory, case.name).create()

    if not case.bodies:
        if plate_case_files(case):
            return run_rack(case, backend, result_dir, quiet)
        return run_network(case, result_dir, quiet)
    if case.network is not None:
        raise NotImplementedError("cases with both cold-plate bodies and a [network] (the coupled "
                                  "rack) are not available in this build yet")
    if case.solver.physics == "conjugate":
        from solver.coldplate import run_conjugate

        return run_conjugate(case, backend, result_dir, quiet=quiet, resume=resume, start=start)
    if case.solver.physics != "conduction":
        raise NotImplementedError(f"physics {case.solver.physics!r} is not available yet")
    del resume  # conduction is a single linear solve: nothing to resume

    model = build_solid_model(case, backend)
    report = grid_report(case, model.grid)
    _say(quiet, meshing.format_grid_report(report))
    setup_seconds = time.perf_counter() - start

    linear = LinearSolve(method=case.solver.linear.method, rtol=case.solver.linear.rtol,
                         max_iterations=case.solver.linear.max_iterations)
    settings = ConductionSolve(linear=linear, tolerance=case.solver.nonlinear.tolerance,
                               max_iterations=case.solver.nonlinear.max_iterations)
    progress = Progress(case.solver.nonlinear.tolerance, quiet=quiet)
    conductivity = (model.conductivity if model.temperature_dependent
                    else model.conductivity(model.grid.full(300.0)))
    result = solve_conduction(model.grid, conductivity, model.boundaries, model.heat_source,
                              settings=settings, progress=progress)
    progress.done("conduction solved")
    solve_seconds = time.perf_counter() - start - setup_seconds

    temperature = backend.to_host(result.temperature)
    volumes = backend.to_host(model.grid.cell_volumes())
    if case.output.write_fields:
        result_dir.write_fields(model.grid, model.cell_fields(result.temperature,
                                                              result.conductivity),
                                field_data={"materials": model.material_table()})
    summary = build_summary(
        case_name=case.name, backend=backend, grid=model.grid,
        bodies=body_temperature_stats(temperature, model.body_ids, model.body_names, volumes),
        chips=model.chip_stats(case, result.temperature),
        energy=energy_balance_from_solver(result.energy_balance),
        solver=solver_entry(result.linear_history, result.outer_history, result.converged,
                            settings=linear),
        timings={"setup": setup_seconds, "solve": solve_seconds,
                 "total": time.perf_counter() - start},
        materials=model.material_table(),
        case_file=case.source_path, case_hash=case_hash(case),
        physics="conduction", grid_report=report,
    )
    write_summary(result_dir, summary)
    if case.output.write_images:
        from solver.render import render_result

        render_result(result_dir.path)
    _say(quiet, format_summary(summary))
    _say(quiet, f"results: {result_dir.path}")
    return summary


def run_network(case: Case, result_dir: ResultDirectory, quiet: bool = False) -> dict:
    """Solve a network-only case (``[network]`` without bodies) into ``result_dir``.

    Writes ``network.csv``, ``network_summary.json``, ``network.vtp`` and plots (see
    ``docs/network.md``), and for a rack the design report (``report.md``/``report.json``,
    checks from :class:`solver.report.DesignLimits` with the case's ``[report]``) and the
    ``[[scenarios]]`` side by side (``scenarios/``); returns the network summary with
    ``"report"`` (passed, checks) added for racks.
    """
    from solver.network.outputs import format_network_summary
    from solver.network.run import run_network_case
    from solver.report import design_limits, format_console, load_network_result, rack_report
    from solver.report import write_report as write_rack_report

    coolant = case.coolant_material()
    summary = run_network_case(case.network, coolant, result_dir.path, quiet=True)
    _say(quiet, format_network_summary(summary))
    if case.network.rack is not None:
        limits = design_limits(case)
        stored, components = load_network_result(result_dir.path)
        report = rack_report(stored, components, limits, name=case.name)
        write_rack_report(result_dir.path, report)
        _say(quiet, format_console(report))
        summary["report"] = {"passed": report["passed"], "checks": report["checks"]}
        if case.scenarios:
            study = _run_case_scenarios(case, coolant, limits, None, result_dir.path, quiet)
            _add_scenarios_to_report(result_dir.path, report, study)
    _say(quiet, f"results: {result_dir.path}")
    return summary


def _scenario_objects(case: Case) -> list:
    """The ``[[scenarios]]`` of a case as :mod:`solver.scenarios` objects."""
    from solver.scenarios import scenario_from_dict

    return [scenario_from_dict(s.model_dump()) for s in case.scenarios]


def _run_case_scenarios(case: Case, coolant, limits, plate_curves, folder: Path,
                        quiet: bool):
    """Solve the case's scenarios beside the design point into ``folder/scenarios``."""
    from solver.scenarios import format_comparison, run_scenarios, write_scenarios

    study = run_scenarios(case.network, coolant, _scenario_objects(case), limits,
                          plate_curves=plate_curves, name=case.name)
    write_scenarios(Path(folder) / "scenarios", study)
    _say(quiet, format_comparison(study))
    return study


def _add_scenarios_to_report(folder: Path, report: dict, study) -> None:
    """Put the scenario comparison into ``report`` and beside the design point in
    ``report.md``/``report.json`` (details per scenario stay in ``scenarios/``)."""
    from solver.io import atomic_write_text, write_json
    from solver.scenarios import format_comparison

    report["scenarios"] = study.comparison
    folder = Path(folder)
    table = format_comparison(study).replace(
        "# Scenarios", "## Scenarios (side by side; one report each in scenarios/)", 1)
    markdown = folder / "report.md"
    atomic_write_text(markdown, markdown.read_text().rstrip() + "\n\n" + table)
    write_json(folder / "report.json", report)


def _mapper(case: Case):
    """The Dask mapper of ``[coupling]`` (None: serial in this process)."""
    settings = case.coupling
    if not settings.scheduler and settings.workers == 0:
        return None
    from solver.distributed import jobs_mapper

    return jobs_mapper(scheduler=settings.scheduler or None,
                       n_workers=max(settings.workers, 1))


def run_rack(case: Case, backend: Backend, result_dir: ResultDirectory,
             quiet: bool = False) -> dict:
    """Solve a coupled rack: the network with 3D cold plates, report, scene and scenarios.

    The plate groups naming a ``case`` are characterized over ``[coupling] flows`` (curves
    stored next to each plate case, keyed by its geometry hash, computed when missing), then
    :func:`solver.coupling.couple_rack` iterates network and 3D plate solves at the operating
    points until flows, inlet temperatures [K] and heat removed [W] agree. Writes into
    ``result_dir``: ``network.csv``, ``network_summary.json``, ``network.vtp``, ``report.md``/
    ``report.json`` with the design checks, ``images/*.png``, ``rack.vtm`` and, when the case
    lists ``[[scenarios]]``, ``scenarios/`` (scenarios solved with the coupled plate curves).

    Returns
    -------
    dict
        The report (:func:`solver.report.rack_report`) with ``coupling`` (passes, converged,
        history), ``timings`` [s] and ``files`` added.
    """
    from solver.coupling import CouplingTolerances, couple_rack
    from solver.io import write_json
    from solver.network.outputs import format_network_summary, write_outputs
    from solver.report import design_limits, format_console

    start = time.perf_counter()
    settings = case.coupling
    coolant = case.coolant_material()
    plate_cases = {group: load_case(path) for group, path in plate_case_files(case).items()}
    tolerances = CouplingTolerances(flow_rtol=settings.flow_rtol,
                                    temperature_tol=settings.temperature_tol,
                                    heat_rtol=settings.heat_rtol, max_passes=settings.max_passes)
    _say(quiet, f"rack: {len(plate_cases)} 3D plate case(s) "
                f"({', '.join(f'{g}: {c.name}' for g, c in plate_cases.items())}), "
                f"{len(settings.flows)} characterization flows")

    def say(text):
        _say(quiet, text)

    coupled = couple_rack(case.network, coolant, plate_cases, settings.flows, backend,
                          every_plate=settings.every_plate, tolerances=tolerances,
                          mapper=_mapper(case), progress=say)
    solve_seconds = time.perf_counter() - start
    limits = design_limits(case)
    result = coupled.result
    summary = dict(result.summary)
    summary["coolant"] = getattr(coolant, "name", str(coolant))
    files = write_outputs(result.built, result.solution, summary, result_dir.path)
    files.update(coupled.write(result_dir.path, limits, name=case.name))
    report = coupled.report(limits, name=case.name)
    _say(quiet, format_network_summary({k: v for k, v in summary.items() if k != "checks"}))
    _say(quiet, format_console(report))
    if case.scenarios:
        curves = _scenario_curves(coupled)
        study = _run_case_scenarios(case, coolant, _with_chip_limits(limits, coupled), curves,
                                    result_dir.path, quiet)
        _add_scenarios_to_report(result_dir.path, report, study)
    report["coupling"] = {"passes": len(coupled.history), "converged": coupled.converged,
                          "history": coupled.history,
                          "pressure_drop_factors": coupled.pressure_drop_factors,
                          "plates_solved_3d": sorted(coupled.operating_points)}
    report["timings"] = {"coupled_solve": solve_seconds,
                         "total": time.perf_counter() - start}
    report["files"] = {k: str(v) for k, v in files.items()}
    write_json(result_dir.path / "rack_summary.json", report)
    if not coupled.converged:
        _say(quiet, f"WARNING: coupling not converged after {len(coupled.history)} passes")
    _say(quiet, f"rack solved in {report['timings']['total']:.1f} s "
                f"({len(coupled.history)} coupling passes)")
    _say(quiet, f"results: {result_dir.path}")
    return report


def _with_chip_limits(limits, coupled):
    """``limits`` with the plate cases' chip limits added (as :meth:`CoupledRack.report`)."""
    from dataclasses import replace

    return replace(limits, chip_limits={**coupled.chip_limits, **dict(limits.chip_limits)})


def _scenario_curves(coupled) -> dict:
    """Plate curves for the scenarios: the coupled (3D-corrected) R curves of each group with
    its dP curve scaled by the coupling's pressure-drop factor (mean over the group)."""
    from solver.coupling import _plate_group

    groups: dict = {}
    for plate, factor in coupled.pressure_drop_factors.items():
        group = _plate_group(plate, coupled.plate_curves) or plate
        groups.setdefault(group, []).append(factor)
    out = {}
    for name, curves in coupled.plate_curves.items():
        factors = groups.get(name)
        out[name] = (curves.scaled_pressure_drop(float(np.mean(factors))) if factors
                     else curves)
    return out
