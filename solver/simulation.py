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

from . import geometry, meshing
from .backend import Backend, get_backend
from .case import Case, boundary_conditions, case_hash, domain_bounds, geometry_body
from .energy import ConductionSolve, chip_heat_source, solve_conduction
from .grid import Grid
from .io import ResultDirectory
from .linear import LinearSolve
from .progress import Progress
from .summary import (
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

    def material_table(self) -> list[dict]:
        """Per body id: name, material, kind (``solid`` or ``coolant``), for results metadata."""
        return [{"id": i, "name": name, "material": getattr(m, "name", str(m)),
                 "kind": "coolant" if hasattr(m, "viscosity") else "solid"}
                for i, (name, m) in enumerate(zip(self.body_names, self.body_materials,
                                                  strict=True))]


def build_grid(case: Case, bodies: list, backend: Backend) -> Grid:
    """Non-uniform grid snapped to every body face, with the case's spacing and grading."""
    lo, hi = domain_bounds(case)
    refinements = [(tuple(r.min), tuple(r.max), r.max_spacing) for r in case.grid.refine]
    breakpoints = geometry.collect_breakpoints(bodies)
    # chip footprint edges become grid lines too, so the heated area is resolved exactly
    for chip in case.chips:
        if chip.footprint is not None:
            for axis in (0, 1):
                extra = [chip.footprint.min[axis], chip.footprint.max[axis]]
                breakpoints[axis] = np.union1d(breakpoints[axis], extra)
    return meshing.generate_grid(
        tuple(zip(lo, hi, strict=True)), breakpoints,
        max_spacing=case.grid.max_spacing, refinements=refinements,
        growth_ratio=case.grid.growth_ratio, min_spacing=case.grid.min_spacing,
        backend=backend, dtype=np.dtype(case.solver.dtype))


def build_solid_model(case: Case, backend: Backend) -> SolidModel:
    """Geometry, grid, body ids, materials and chip heat sources for ``case``."""
    bodies = [geometry_body(body, case.case_dir) for body in case.bodies]
    grid = build_grid(case, bodies, backend)
    # each body gets its own id (geometry.paint keys ids by material); later bodies win
    body_ids = np.full(grid.shape, -1, dtype=np.int32)
    for i, body in enumerate(bodies):
        body_ids[geometry.body_mask(grid, body)] = i
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
        return run_network(case, result_dir, quiet)
    if case.network is not None:
        raise NotImplementedError("cases with both cold-plate bodies and a [network] (the coupled "
                                  "rack) are not available in this build yet")
    if case.solver.physics == "conjugate":
        from .coldplate import run_conjugate

        return run_conjugate(case, backend, result_dir, quiet=quiet, resume=resume, start=start)
    if case.solver.physics != "conduction":
        raise NotImplementedError(f"physics {case.solver.physics!r} is not available yet")
    del resume  # conduction is a single linear solve: nothing to resume

    model = build_solid_model(case, backend)
    report = meshing.grid_report(model.grid)
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
        result_dir.write_fields(model.grid, {
            "temperature": temperature,
            "material": model.body_ids,
            "conductivity": backend.to_host(result.conductivity),
            "heat_source": backend.to_host(model.heat_source),
        }, field_data={"materials": model.material_table()})
    limits = {chip.name: chip.max_temperature for chip in case.chips}
    chips = chip_temperature_stats(temperature, model.chip_masks, volumes,
                                   {chip.name: chip.power for chip in case.chips})
    for name, entry in chips.items():
        entry["limit_temperature_K"] = limits[name]
        entry["margin_K"] = limits[name] - entry["max_temperature_K"]
    summary = build_summary(
        case_name=case.name, backend=backend, grid=model.grid,
        bodies=body_temperature_stats(temperature, model.body_ids, model.body_names, volumes),
        chips=chips,
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
        from .render import render_result

        render_result(result_dir.path)
    _say(quiet, format_summary(summary))
    _say(quiet, f"results: {result_dir.path}")
    return summary


def run_network(case: Case, result_dir: ResultDirectory, quiet: bool = False) -> dict:
    """Solve a network-only case (``[network]`` without bodies) into ``result_dir``.

    Writes ``network.csv``, ``network_summary.json``, ``network.vtp`` and plots (see
    ``docs/network.md``) and returns the network summary.
    """
    from .network.outputs import format_network_summary
    from .network.run import run_network_case

    summary = run_network_case(case.network, case.coolant_material(), result_dir.path, quiet=True)
    _say(quiet, format_network_summary(summary))
    _say(quiet, f"results: {result_dir.path}")
    return summary
