"""The run pipeline: the one place that reads a case, calls the set-up and the models, and
writes the results.

``run(case)`` is what ``coolsim run CASE`` does, and what scripts and notebooks call:

1. choose the backend (``auto | cpu | gpu``) and report it;
2. dispatch on what the case holds: a solid in conduction (:func:`run`), a conjugate cold plate
   (:func:`run_conjugate`), a rack network (:func:`run_network`) or a rack whose plates are 3D
   cases (:func:`run_rack`);
3. build the solver objects through :mod:`solver.setup` and solve with :mod:`solver.models`,
   :mod:`solver.network` and :mod:`solver.coupling`;
4. write ``results/<case>/`` through :mod:`solver.output` (fields, summary, report, images) as
   one set: into a staging folder switched into place at the end
   (:mod:`solver.output.result_set`), and print a readable summary.
"""

from __future__ import annotations

import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

from solver import plausibility
from solver.adequacy import (
    case_warnings,
    characterized_power_warnings,
    coolant_range_warnings,
    grid_study_status,
    plate_warnings,
    solved_plate_warnings,
    unconverged_flow_warning,
)
from solver.backend import CPU, Backend, get_backend
from solver.case.hashing import case_hash
from solver.case.loading import load_case
from solver.case.schema import Case
from solver.case.transient_scenarios import is_transient
from solver.case.validate import plate_case_files
from solver.coupling.coupled_rack import (
    CouplingTolerances,
    couple_rack,
    coupling_stages,
    plate_group,
)
from solver.coupling.rack import NETWORK_SOLVE, solve_settings
from solver.grid import generation as meshing
from solver.materials.registry import get_coolant
from solver.models.energy.solve import ConductionSolve, solve_conduction
from solver.models.flow.solution import DivergenceError
from solver.models.temperature_stats import body_temperature_stats
from solver.network.controls import solve_with_controls
from solver.network.rack import build_network
from solver.numerics.linear.settings import LinearSolve
from solver.output.atomic import write_json
from solver.output.checkpoint import (
    STOP,
    CheckpointClock,
    CheckpointError,
    Interrupted,
    load_checkpoint,
    save_checkpoint,
    stopped_message,
)
from solver.output.convergence import plot_convergence
from solver.output.html_report import verdict_status, without_pictures, write_report_pages
from solver.output.network import (
    coolant_entries,
    format_network_summary,
    summarize,
    write_outputs,
)
from solver.output.plate_report import write_plate_report
from solver.output.report import (
    DesignLimits,
    format_console,
    load_network_result,
    rack_report,
)
from solver.output.report import headline as rack_headline
from solver.output.report import write_report as write_rack_report
from solver.output.result_set import staged_results
from solver.output.results import ResultDirectory
from solver.output.summary import (
    build_summary,
    energy_balance_from_solver,
    format_summary,
    solver_entry,
    summary_verdict,
    write_summary,
)
from solver.output.surfaces import interface_surface
from solver.output.transient import (
    format_transient_table,
    write_transient_scenarios,
)
from solver.output.vtk import write_polydata
from solver.progress import Progress, RunProgress, Stage, format_duration
from solver.scenarios import format_comparison, run_scenarios, scenario_from_dict, write_scenarios
from solver.setup import (
    build_solid_model,
    fluid_cells,
    from_case,
    grid_report,
)
from solver.transient_run import replay_and_correct, run_plate_transient
from solver.transient_scenarios import (
    plate_fosters,
    run_transient_scenario,
    run_transient_scenarios,
)


def _described(coolant) -> str:
    """`` (<description>)`` of a coolant that has one (a glycol's basis and both fractions)."""
    description = getattr(coolant, "description", "")
    return f" ({description})" if description else ""


def _say(quiet: bool, text: str) -> None:
    """Progress and set-up lines: standard error, unless ``quiet``."""
    if not quiet:
        print(text, file=sys.stderr, flush=True)


def _tell(text: str) -> None:
    """Results (summaries, reports, the results folder): standard output, also when quiet."""
    print(text, flush=True)


def _finish(case: Case, result_dir: ResultDirectory, summary: dict, quiet: bool) -> dict:
    """Write ``summary.json``/``summary.txt`` (with the design verdict), the pictures and then
    ``report.md``/``report.html`` (with the pictures), print the summary, return it."""
    summary["verdict"] = summary_verdict(summary)
    if result_dir.run_id is not None:
        summary["run_id"] = result_dir.run_id  # the set's run (result_set.json)
    write_summary(result_dir, summary)
    if case.output.write_images and case.output.write_fields:
        # the 3D pictures are rendered from fields.vtr (the other pictures need no fields)
        from solver.output.render import render_result

        render_result(result_dir)
    write_plate_report(result_dir.path, summary)
    _tell(format_summary(summary))
    return summary


def design_limits(case) -> DesignLimits:
    """The :class:`DesignLimits` of a case: its ``[report]`` section over the defaults.

    The water class defaults to the rack's ``[network.rack.facility] water_class``; chip limits
    are not set here (they come from each plate case's ``max_temperature``).

    Parameters
    ----------
    case : solver.case.Case

    Returns
    -------
    DesignLimits
    """
    settings = case.report
    water_class = settings.water_class
    rack = case.network.rack if case.network is not None else None
    if water_class is None and rack is not None:
        water_class = rack.facility.water_class
    names = ("chip_temperature_max", "flow_per_kw_min", "flow_per_kw_max", "tcs_rise_min",
             "tcs_rise_max", "cdu_approach_min", "cdu_approach_max", "plate_pressure_drop_max",
             "rack_pressure_drop_max", "channel_velocity_max", "room_dew_point",
             "dew_point_margin_min", "heat_balance_tolerance")
    return DesignLimits(water_class=water_class,
                        **{name: getattr(settings, name) for name in names})


def run(case: Case, backend: str | Backend | None = None, output: str | Path | None = None,
        quiet: bool = False, resume: bool = False, overwrite: bool = False) -> dict:
    """Solve ``case`` and write its results as one set (:mod:`solver.output.result_set`).

    Parameters
    ----------
    case : Case
        A validated case (:func:`solver.case.load_case`).
    backend : {"auto", "cpu", "gpu"} or Backend, optional
        Overrides ``[solver] backend``.
    output : path, optional
        Results root (default ``[output] directory``); results go to ``<output>/<case name>/``.
    quiet : bool
        No progress lines (summaries, reports and the results folder still go to standard
        output).
    resume : bool
        Continue from the checkpoint beside the results folder (conjugate runs).
    overwrite : bool
        Replace a results folder that holds another case's results (else refused with
        :class:`solver.output.result_set.ResultFolderError` before solving).

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    start = time.perf_counter()
    backend = get_backend(backend or case.solver.backend)
    _say(quiet, f"coolsim: case '{case.name}' on backend {backend.name} ({backend.device})")
    final = ResultDirectory(output or case.output_root, case.name)
    source = str(case.source_path) if case.source_path is not None else None
    with staged_results(final, source, case_hash(case), overwrite, resume) as result_dir:
        summary = _solve_into(case, backend, result_dir, quiet, resume, start)
    _tell(f"results: {final.path}")
    return summary


def _solve_into(case: Case, backend: Backend, result_dir: ResultDirectory, quiet: bool,
                resume: bool, start: float) -> dict:
    """Dispatch ``case`` on what it holds and solve it into ``result_dir`` (see :func:`run`)."""
    if not case.bodies:
        if resume:
            raise CheckpointError("--resume: rack and network runs keep no checkpoint (a coupled "
                                  "rack re-uses its cached plate curves; run without --resume)")
        if plate_case_files(case):
            return run_rack(case, backend, result_dir, quiet)
        return run_network(case, result_dir, quiet)
    if case.network is not None:
        raise NotImplementedError("cases with both cold-plate bodies and a [network] (the coupled "
                                  "rack) are not available in this build yet")
    if case.solver.physics == "conjugate":
        return run_conjugate(case, backend, result_dir, quiet=quiet, resume=resume, start=start)
    if case.solver.physics != "conduction":
        raise NotImplementedError(f"physics {case.solver.physics!r} is not available yet")
    if resume:
        raise CheckpointError("--resume: a conduction case is one linear solve, with nothing to "
                              "resume (run it without --resume)")

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
                                field_data={"materials": model.material_table()},
                                body_names=model.body_names)
    summary = build_summary(
        case_name=case.name, backend=backend, grid=model.grid,
        bodies=body_temperature_stats(temperature, model.body_ids, model.body_names, volumes),
        chips=model.chip_stats(result.temperature),
        energy=energy_balance_from_solver(result.energy_balance),
        solver=solver_entry(result.linear_history, result.outer_history, result.converged,
                            settings=linear),
        timings={"setup": setup_seconds, "solve": solve_seconds,
                 "total": time.perf_counter() - start},
        materials=model.material_table(),
        case_file=case.source_path, case_hash=case_hash(case),
        physics="conduction", grid_report=report,
    )
    no_coolant = np.zeros(model.grid.shape, dtype=bool)
    summary["warnings"] = plausibility.check_magnitudes(case, model.grid, no_coolant)
    return _finish(case, result_dir, summary, quiet)


def run_network(case: Case, result_dir: ResultDirectory, quiet: bool = False) -> dict:
    """Solve a network-only case (``[network]`` without bodies) into ``result_dir``.

    Writes ``network.csv``, ``network_summary.json``, ``network.vtp`` and plots (see
    ``docs/network.md``), and for a rack the design report (``report.md``/``report.json``,
    checks from :class:`solver.output.report.DesignLimits` with the case's ``[report]``) and the
    ``[[scenarios]]`` side by side (``scenarios/``; those in time in ``transient/``); returns
    the network summary with
    ``"report"`` (passed, checks) added for racks.
    """
    coolant = case.coolant_material()
    summary = run_network_case(case.network, coolant, result_dir.path, quiet=True)
    _tell(format_network_summary(summary))
    if case.network.rack is not None:
        limits = design_limits(case)
        stored, components = load_network_result(result_dir.path)
        stored.update(case_file=str(case.source_path), case_hash=case_hash(case))
        report = rack_report(stored, components, limits, name=case.name)
        write_rack_report(result_dir.path, report)
        _tell(format_console(report))
        summary["report"] = {"passed": report["passed"], "checks": report["checks"]}
        progress = RunProgress(_scenario_stages(case), quiet=quiet)
        if _steady_scenarios(case):
            study = _run_case_scenarios(case, coolant, limits, None, result_dir.path, progress)
            _add_scenarios_to_report(result_dir.path, report, study)
        _run_case_transient(case, coolant, limits, None, result_dir.path, report, progress)
    return summary


def _scenario_objects(case: Case) -> list:
    """The steady ``[[scenarios]]`` of a case as :mod:`solver.scenarios` objects."""

    return [scenario_from_dict(s.model_dump()) for s in _steady_scenarios(case)]


def _steady_scenarios(case: Case) -> list:
    """The ``[[scenarios]]`` solved as steady variations."""
    return [s for s in case.scenarios if not is_transient(s)]


def _scenario_stages(case: Case) -> list[Stage]:
    """The scenarios as stages of the run's progress: the design point and each steady
    scenario (one network solve each), then those in time (one stage, its cost unknown)."""
    stages = []
    if _steady_scenarios(case):
        stages.append(Stage("scenario", len(_steady_scenarios(case)) + 1, kind=NETWORK_SOLVE))
    if any(is_transient(s) for s in case.scenarios):
        stages.append(Stage("scenarios in time", 1))
    return stages


def _run_case_transient(case: Case, coolant, limits, plate_curves, folder: Path, report: dict,
                        progress: RunProgress, backend=None) -> None:
    """Run the case's scenarios in time into ``folder/transient`` and add their table to
    ``report`` and ``report.md``/``report.json`` (nothing when the case has none). In a coupled
    rack, ``[network.transient] plates_in_3d`` hottest plates of each scenario run again in 3D
    along their network histories, and with ``correct_network`` their coolant heat corrects the
    network (:func:`solver.transient_run.replay_and_correct`)."""
    specs = [s for s in case.scenarios if is_transient(s)]
    if not specs:
        return
    progress.begin("scenarios in time", 1, count=1)
    fosters = plate_fosters(case.network, case.resolve)
    outcomes = run_transient_scenarios(case.network, coolant, specs, limits, plate_curves,
                                       fosters)
    cases = plate_case_files(case)
    settings = case.network.transient
    if settings.plates_in_3d and cases and backend is not None:
        plate_cases = {group: load_case(path, allow_outside=case.allow_outside)
                       for group, path in cases.items()}
        for index, (spec, outcome) in enumerate(zip(specs, outcomes, strict=True)):
            rerun = None if not settings.correct_network else partial(
                run_transient_scenario, case.network, coolant, spec, limits, plate_curves,
                fosters)
            outcome, entries, correction = replay_and_correct(
                outcome, plate_cases, settings.plates_in_3d, Path(folder) / "transient",
                backend, rerun, case.output.write_images)
            outcome.row["plates_3d"] = entries
            if correction is not None:
                outcome.row["network_corrected_by_3d"] = correction
            outcomes[index] = outcome
    seconds = progress.end("scenarios in time")
    progress.message(f"{len(specs)} scenario(s) in time solved in {format_duration(seconds)} | "
                     f"{progress.status()}")
    write_transient_scenarios(Path(folder) / "transient", outcomes,
                              images=case.output.write_images)
    table = format_transient_table([o.row for o in outcomes])
    _tell("# Scenarios in time\n\n" + table)
    report["transient_scenarios"] = [o.row for o in outcomes]
    _append_to_report(folder, report, "## Scenarios in time (ride-through from the event to "
                      "the first chip at its limit; time series and plots in transient/)\n\n"
                      + table)


def _run_case_scenarios(case: Case, coolant, limits, plate_curves, folder: Path,
                        progress: RunProgress):
    """Solve the case's scenarios beside the design point into ``folder/scenarios``."""

    study = run_scenarios(case.network, coolant, _scenario_objects(case), limits,
                          plate_curves=plate_curves, name=case.name, progress=progress)
    write_scenarios(Path(folder) / "scenarios", study)
    _tell(format_comparison(study))
    return study


def _add_scenarios_to_report(folder: Path, report: dict, study) -> None:
    """Put the scenario comparison into ``report`` and beside the design point in
    ``report.md``/``report.json`` (details per scenario stay in ``scenarios/``)."""

    report["scenarios"] = study.comparison
    _append_to_report(folder, report, format_comparison(study).replace(
        "# Scenarios", "## Scenarios (side by side; one report each in scenarios/)", 1),
        headline=rack_headline(report))


def _append_to_report(folder: Path, report: dict, section: str,
                      headline: str | None = None) -> None:
    """Append ``section`` (markdown) to ``report.md`` (its pictures stay last), write
    ``report.html`` again and ``report`` as ``report.json``, all atomically. ``headline``
    replaces the verdict line (the first line that starts with ``**PASS**`` or ``**FAIL**``)."""
    markdown = without_pictures((Path(folder) / "report.md").read_text())
    if headline is not None:
        lines = markdown.split("\n")
        first = next(i for i, line in enumerate(lines) if line.startswith(("**PASS**", "**FAIL**")))
        markdown = "\n".join(lines[:first] + [headline] + lines[first + 1:])
    write_report_pages(folder, markdown.rstrip() + "\n\n" + section,
                       verdict_status(report["passed"]))
    write_json(Path(folder) / "report.json", report)


def _mapper(case: Case):
    """The Dask mapper of ``[coupling]`` (None: serial in this process)."""
    settings = case.coupling
    if not settings.scheduler and settings.workers == 0:
        return None
    from solver.distributed import jobs_mapper

    return jobs_mapper(scheduler=settings.scheduler or None,
                       n_workers=max(settings.workers, 1))


def couple_case(case: Case, backend: Backend, quiet: bool = False, stages=()):
    """Characterize a rack case's 3D plate cases (cached) and couple them with its network
    (:func:`solver.coupling.couple_rack` with the case's ``[coupling]`` settings).

    ``stages`` (:class:`solver.progress.Stage`) follow the coupling on the run's progress.
    Returns ``(CoupledRack, plate cases by group, RunProgress)``.
    """
    settings = case.coupling
    plate_cases = {group: load_case(path, allow_outside=case.allow_outside)
                   for group, path in plate_case_files(case).items()}
    tolerances = CouplingTolerances(flow_rtol=settings.flow_rtol,
                                    temperature_tol=settings.temperature_tol,
                                    heat_rtol=settings.heat_rtol, max_passes=settings.max_passes)
    _say(quiet, f"rack: {len(plate_cases)} 3D plate case(s) "
                f"({', '.join(f'{g}: {c.name}' for g, c in plate_cases.items())}), "
                f"{len(settings.flows)} characterization flows")
    progress = RunProgress([*coupling_stages(len(plate_cases), len(settings.flows),
                                             settings.max_passes,
                                             None if settings.every_plate else len(plate_cases)),
                            *stages], quiet=quiet)
    coupled = couple_rack(case.network, case.coolant_material(), plate_cases, settings.flows,
                          backend, every_plate=settings.every_plate, tolerances=tolerances,
                          mapper=_mapper(case), progress=progress)
    return coupled, plate_cases, progress


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
        The report (:func:`solver.output.report.rack_report`) with ``coupling`` (passes, converged,
        history), ``timings`` [s] and ``files`` added.
    """

    start = time.perf_counter()
    coolant = case.coolant_material()
    coupled, plate_cases, progress = couple_case(case, backend, quiet, _scenario_stages(case))
    solve_seconds = time.perf_counter() - start
    limits = design_limits(case)
    result = coupled.result
    # the 3D plates' own adequacy warnings join the network's, in the summary and the report
    result.summary["warnings"] = [*result.summary.get("warnings", ()),
                                  *_plate_case_warnings(plate_cases),
                                  *_operating_point_warnings(coupled, plate_cases),
                                  *characterized_power_warnings(case, plate_cases)]
    grid_studies = {group: grid_study_status(c) for group, c in plate_cases.items()}
    result.summary.update(case_file=str(case.source_path), case_hash=case_hash(case))
    summary = dict(result.summary)
    files = write_outputs(result.built, result.solution, summary, result_dir.path)
    files.update(coupled.write(result_dir.path, limits, name=case.name))
    report = coupled.report(limits, name=case.name)
    report["grid_studies"] = grid_studies
    # the warnings once, in the rack report's lines
    _tell(format_network_summary({k: v for k, v in summary.items()
                                  if k not in ("checks", "warnings")}))
    _tell(format_console(report))
    for group, status in grid_studies.items():
        _tell(f"3D plate of group '{group}': {status}")
    if case.scenarios:
        curves = coupled.scenario_curves()
        if _steady_scenarios(case):
            study = _run_case_scenarios(case, coolant, coupled.with_chip_limits(limits),
                                        curves, result_dir.path, progress)
            _add_scenarios_to_report(result_dir.path, report, study)
        _run_case_transient(case, coolant, coupled.with_chip_limits(limits), curves,
                            result_dir.path, report, progress, backend)
    report["timings"] = {"coupled_solve": solve_seconds,
                         "total": time.perf_counter() - start}
    # names inside the results folder (the run writes into its staging folder)
    report["files"] = {k: Path(v).relative_to(result_dir.path).as_posix()
                       for k, v in files.items()}
    write_json(result_dir.path / "rack_summary.json", report)
    if not coupled.converged:
        _tell(f"WARNING: coupling not converged after {len(coupled.history)} passes")
    _tell(f"rack solved in {report['timings']['total']:.1f} s "
          f"({len(coupled.history)} coupling passes)")
    return report


def _plate_case_warnings(plate_cases: dict) -> list[str]:
    """The magnitude and adequacy warnings (:func:`solver.plausibility.check_magnitudes`,
    :func:`solver.adequacy.case_warnings`) of each 3D plate case of a rack, prefixed with its
    plate group and case."""
    notes = []
    for group, plate_case in plate_cases.items():
        model = build_solid_model(plate_case, CPU)
        fluid = fluid_cells(plate_case, model.body_ids)
        notes += [f"3D plate of group '{group}' ({plate_case.name}): {note}"
                  for note in [*plausibility.check_magnitudes(plate_case, model.grid, fluid),
                               *case_warnings(plate_case, model.grid, model.body_ids)]]
    return notes


def _operating_point_warnings(coupled, plate_cases: dict) -> list[str]:
    """:func:`solver.adequacy.coolant_range_warnings` of each plate solved in 3D in the loop:
    its inlet, outlet and hottest coolant-cell temperatures at its operating point."""
    notes = []
    for name, point in coupled.operating_points.items():
        plate_case = plate_cases.get(plate_group(name, coupled.plate_curves) or name)
        if plate_case is None or not point.fields:
            continue
        fluid = np.isin(point.fields["material"],
                        [i for i, b in enumerate(plate_case.bodies) if b.is_fluid])
        hottest = float(np.max(point.fields["temperature"][fluid])) if fluid.any() else None
        notes += [f"3D plate {name}: {note}" for note in coolant_range_warnings(
            plate_case.coolant_material(), {"inlet": point.inlet_temperature,
                                            "outlet": point.outlet_temperature,
                                            "hottest coolant cell (at a wall)": hottest})]
    return notes


def run_conjugate(case, backend, result_dir, quiet: bool = False, resume: bool = False,
                  start: float | None = None) -> dict:
    """Solve a ``physics = "conjugate"`` case and write its results (fields, summary, images).

    Parameters
    ----------
    case : solver.case.Case
    backend : solver.backend.Backend
    result_dir : solver.output.ResultDirectory
        Created results folder.
    quiet : bool
        No progress lines (summaries, reports and the results folder still go to standard
        output).
    resume : bool
        Continue from ``ResultDirectory.checkpoint`` (beside the results folder; refused if the
        case changed).
    start : float, optional
        ``time.perf_counter()`` at the start of the run (for the timings).

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """

    start = time.perf_counter() if start is None else start
    model = build_solid_model(case, backend)
    report = grid_report(case, model.grid)
    _say(quiet, meshing.format_grid_report(report))
    plate = from_case(case, model)
    digest = case_hash(case)
    _say(quiet, f"conjugate: {int(plate.fluid_host.sum()):,} fluid cells, coolant "
                f"{getattr(plate.coolant, 'name', 'coolant')}"
                f"{_described(plate.coolant)} (rho {plate.density:.1f} kg/m3, "
                f"mu {plate.viscosity_inlet:.3e} Pa s at the inlet)")
    adequacy = [*plausibility.check_magnitudes(case, model.grid, plate.fluid_host),
                *plate_warnings(model.grid, model.boundaries, plate.fluid_host)]
    for note in adequacy:
        _say(quiet, f"warning: {note}")
    _say(quiet, grid_study_status(case))
    if resume:
        path = Path(result_dir.checkpoint)
        arrays, metadata = load_checkpoint(path, digest, case.name)
        try:
            plate.load_state(arrays, metadata)
        except (KeyError, ValueError, TypeError) as error:
            # a readable checkpoint of the right case that is not a steady plate state
            raise CheckpointError(f"--resume: {path} holds no usable state of this plate "
                                  f"({type(error).__name__}: {error}); run without --resume "
                                  "to start from scratch") from None
        _say(quiet, f"resumed from {path} at flow iteration {plate.flow.iteration}, pass "
                    f"{plate.monitors.pass_number}")

    def save(cold_plate):
        save_checkpoint(result_dir.checkpoint, cold_plate.state(),
                        {**cold_plate.state_metadata(), "case_hash": digest,
                         "case": case.name}, backend)

    clock = CheckpointClock(case.output.checkpoint_seconds)

    def checkpoint(cold_plate, iteration, due) -> bool:
        """Offered at each safe point of the solve: writes when the iteration interval or a
        pass boundary asks (``due``) or the clock says so, and on a stop request (SIGINT,
        SIGTERM) also without ``[output] checkpoint``, then stops the run."""
        if not STOP.pending and not (case.output.checkpoint and (due or clock.due)):
            return False
        save(cold_plate)
        clock.restart()
        if STOP.pending:
            raise Interrupted(stopped_message(f"stopped at flow iteration {iteration}",
                                              result_dir.checkpoint, case, result_dir),
                              STOP.answered())
        return True

    s = plate.settings
    progress = RunProgress(quiet=quiet).progress({"continuity": s.continuity_tolerance,
                                                  "momentum": s.momentum_tolerance})
    setup_seconds = time.perf_counter() - start
    try:
        with STOP.polled():
            result = plate.solve(progress, checkpoint)
    except Interrupted:
        raise
    except KeyboardInterrupt:
        # Ctrl-C in the middle of an iteration (no signal handler of the command line): back
        # to the state before it, kept for --resume
        plate.flow.restore_good_state()
        save(plate)
        raise Interrupted(stopped_message(f"interrupted at flow iteration "
                                          f"{plate.flow.iteration}", result_dir.checkpoint,
                                          case, result_dir)) from None
    except DivergenceError as error:
        # the flow solver restored its last good state: keep it for inspection and resume
        if case.output.checkpoint:
            save(plate)
            raise DivergenceError(f"{error} Checkpoint with the last good state: "
                                  f"{result_dir.checkpoint}", error.iteration,
                                  getattr(error, "state", None)) from error
        raise
    progress.done("conjugate solve " + ("converged" if result.converged
                                        else "stopped at max_iterations (not converged)"))
    if case.output.checkpoint or STOP.pending:
        save(plate)
    if STOP.pending:  # a signal during the last energy solve: the solve is kept, the run stops
        raise Interrupted(stopped_message("stopped after the last pass of the solve",
                                          result_dir.checkpoint, case, result_dir),
                          STOP.answered())
    progress.write_history(result_dir.history)
    solve_seconds = time.perf_counter() - start - setup_seconds

    temperature = backend.to_host(result.temperature)
    volumes = backend.to_host(model.grid.cell_volumes())
    if case.output.write_fields:
        result_dir.write_fields(model.grid, {
            **model.cell_fields(result.temperature, result.conductivity),
            # coolant cells only (a solid cell behind a port would average its face velocity)
            "velocity": backend.to_host(result.flow.cell_velocity())
            * plate.fluid_host[..., None],
            "pressure": backend.to_host(result.flow.pressure),
        }, field_data={"materials": model.material_table()}, body_names=model.body_names)
        solid = ~plate.fluid_host
        surface = interface_surface(model.grid, solid, plate.interface_heat_flow(),
                                    result.temperature, result.conductivity,
                                    result.flow.mass_flux)
        write_polydata(result_dir.interface, surface)
    chips = model.chip_stats(result.temperature)
    for name, entry in chips.items():
        if name in result.metrics.get("chips", {}):
            entry.update(result.metrics["chips"][name])
    solver = solver_entry(result.energy.linear_history, result.energy.outer_history,
                          result.converged, settings=plate.settings)
    solver["flow_iterations"] = result.flow.iterations
    solver["limiter_frozen_at"] = result.energy.limiter_frozen_at
    solver["limiter_thawed_at"] = result.energy.limiter_thawed_at
    pressure = plate.flow.pressure_settings
    solver["flow_method"] = {
        "algorithm": plate.settings.flow.algorithm,
        "convection": plate.settings.flow.convection,
        "passes": result.passes,
        "mode": "steady" if plate.settings.time is None else "time_averaged",
        "outer": "multigrid" if plate.flow.multigrid else "single_grid",
        "single_grid_reason": plate.flow.single_grid_reason or None,
        "cycles": result.flow.cycles,
        "pressure_solver": {"method": pressure.method, "preconditioner": "multigrid",
                            "cycle": pressure.cycle, "smoother": pressure.smoother}}
    solver["flow_history"] = [{"iteration": h.iteration, "continuity": h.continuity,
                               "momentum": max(h.momentum),
                               "pressure_iterations": h.pressure_iterations,
                               "pressure_convergence_factor": h.pressure_convergence_factor}
                              for h in result.flow.history[-200:]]
    if case.output.write_images:
        _plot_convergence(case, result, progress, result_dir, plate.time_average)
    summary = build_summary(
        case_name=case.name, backend=backend, grid=model.grid,
        bodies=body_temperature_stats(temperature, model.body_ids, model.body_names, volumes),
        chips=chips,
        energy=energy_balance_from_solver(result.energy.energy_balance),
        solver=solver,
        timings={"setup": setup_seconds, "solve": solve_seconds, "flow": result.timings["flow"],
                 "energy": result.timings["energy"], "total": time.perf_counter() - start},
        flow=result.metrics,
        materials=model.material_table(),
        case_file=case.source_path, case_hash=digest,
        physics="conjugate", grid_report=report,
    )
    beyond = solved_plate_warnings(case, backend.to_host(model.body_ids), temperature,
                                   result.metrics)
    if not result.converged and solver["flow_method"]["mode"] == "steady":
        beyond.append(unconverged_flow_warning(result.metrics))
    for note in beyond:
        _say(quiet, f"warning: {note}")
    summary["warnings"] = [*adequacy, *beyond]
    summary["grid_study"] = grid_study_status(case)
    if case.transient is not None:
        summary["transient"] = run_plate_transient(case, plate, result_dir, quiet, resume)
    return _finish(case, result_dir, summary, quiet)


def _plot_convergence(case, result, progress, result_dir, time_average) -> None:
    """``images/convergence.png`` against the outer iteration, or, for a time-averaged run,
    against time in flow-through times (the flow iterations mapped to the time of their step)."""
    factors = [(h.iteration, h.pressure_convergence_factor) for h in result.flow.history
               if h.pressure_convergence_factor is not None]
    pass_ends = [h["iteration"] for h in result.history if "pass" in h]
    if time_average is None:
        label = ("SIMPLEC iteration on the finest grid (nonlinear multigrid: one point per "
                 "cycle)" if result.flow.cycles else "outer (SIMPLEC) iteration")
        plot_convergence(progress.records, result_dir.image("convergence"), case.name, factors,
                         pass_ends, x_label=label)
        return
    period = time_average.flow_through_time
    steps = [h for h in result.history if "step" in h]
    ends = np.array([h["iteration"] for h in steps], dtype=float)
    times = np.array([h["time_s"] / period for h in steps])
    start, end = (t / period for t in time_average.averaging_window)
    plot_convergence(progress.records, result_dir.image("convergence"), case.name,
                     [(float(np.interp(i, ends, times)), f) for i, f in factors],
                     [float(np.interp(i, ends, times)) for i in pass_ends],
                     x_key="t_flow_through", x_label="time [flow-through times]",
                     averaging=(start, end, time_average.statistics["dp_Pa"].mean))


def run_network_case(network_section, coolant, output_dir, quiet=False, plots=True):
    """Solve a network case section and write its outputs.

    Parameters
    ----------
    network_section : NetworkSection
        The validated ``[network]`` table.
    coolant : Coolant
        Technology-cooling-loop coolant (``solver.materials.get_coolant(name)``).
    output_dir : path-like
        Result folder; receives network.csv, network_summary.json, network.vtp, images/.
    quiet : bool
        Suppress the one-line progress report.
    plots : bool
        Write the PNG plots.

    Returns
    -------
    dict
        The summary (also written to ``network_summary.json``), with ``"files"`` and
        ``"wall_time"`` [s] added.
    """

    start = time.perf_counter()
    t0 = network_section.initial_temperature
    built = build_network(network_section, float(coolant.density(t0)), coolant)
    fluids = {"coolant": coolant, "facility": get_coolant(network_section.facility_fluid)}
    settings = solve_settings(network_section)
    solution, reports = solve_with_controls(built.network, fluids, built.controls, settings)
    summary = summarize(built, solution, reports)
    summary.update(coolant_entries(coolant))
    summary["settings"] = {"newton_rtol": settings.hydraulics.rtol,
                           "newton_max_iterations": settings.hydraulics.max_iterations,
                           "picard_temperature_tol": settings.temperature_tol,
                           "picard_flow_rtol": settings.flow_rtol,
                           "initial_temperature": settings.initial_temperature}
    summary["wall_time"] = time.perf_counter() - start
    files = write_outputs(built, solution, summary, output_dir, plots=plots)
    summary["files"] = {key: str(path) for key, path in files.items()}
    if not quiet:
        line = [f"network: {len(built.network.branches)} components solved"]
        if "pump" in summary:
            p = summary["pump"]
            line.append(f"pump {p['flow_lpm']:.1f} L/min at {p['pressure_rise'] / 1e3:.1f} kPa")
        if "cdu" in summary:
            line.append(f"CDU {summary['cdu']['heat_rejected'] / 1e3:.1f} kW, approach "
                        f"{summary['cdu']['approach']:.2f} K")
        if "trays" in summary:
            line.append(f"tray flow min/mean {summary['trays']['min_over_mean']:.3f}")
        print(", ".join(line))
    return summary
