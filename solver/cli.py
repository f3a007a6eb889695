"""The ``coolsim`` command line.

::

    coolsim run CASE [--backend auto|cpu|gpu] [--output DIR] [--quiet] [--resume] [--every-plate]
                     [--overwrite] [--allow-outside]
    coolsim check CASE [--allow-outside]
    coolsim show RESULT [--no-window]
    coolsim sweep CASE --set KEY=VALUES ... [--from-csv FILE] [--design factorial|lhs]
                       [--samples N] [--seed S] [--output DIR] [--workers N | --scheduler ADDRESS]
                       [--retries N]
    coolsim characterize CASE [--flows "0.5,1,1.5,2 L/min"] [--fit quadratic|power] [--force]
                              [--workers N | --scheduler ADDRESS] [--no-impedance]
                              [--allow-outside]
    coolsim scenarios CASE [--scenarios FILE] [--output DIR] [--water-class W32]
                           [--dew-point "18 C"] [--rack-dp-budget "50 kPa"] [--overwrite]
                           [--allow-outside]
    coolsim limits CASE [--questions minimum_flow,...] [--margin K] [--group NAME]
                        [--output DIR] [--backend auto|cpu|gpu] [--quiet] [--allow-outside]
    coolsim --version

Exit codes and the error path (one line on stderr for everything but a bug):

* 0: done;
* 1: the run failed (diverged, did not converge, out of memory, a file could not be written, a
  feature not in this build): one line;
* 2: the input is at fault (case file, command line, network, mesh, checkpoint, a results folder
  that holds another case's results without ``--overwrite``): one line naming the file and the
  key or component (or the folder). ``check``, ``run``, ``characterize`` and ``scenarios`` run
  the same checks before solving (:func:`solver.preflight.check_case`), so ``check`` rejects
  what ``run`` would and ``run`` stops before it writes anything;
* 70 (``EX_SOFTWARE`` of BSD ``sysexits.h``): a bug, any other exception: its traceback, then a
  line asking to report it;
* 130 (128 + SIGINT, Ctrl-C) and 143 (128 + SIGTERM, ``kill``, a batch scheduler's stop): the
  shells' convention for a process ended by a signal. A conjugate or transient run answers the
  signal at its next iteration or time step with a checkpoint and one line naming it and the
  command that resumes; anything else stops at once with one line. A second signal stops at
  once. The handlers are installed by :func:`main` only, for the command's duration.

The heavy modules (simulation, rendering) are imported only by the command that needs them, so
``coolsim check`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import traceback
from pathlib import Path

from solver import __version__
from solver.backend import BackendError
from solver.case.errors import NOTHING, CaseError
from solver.case.loading import load_case
from solver.case.locations import file_in_the_way
from solver.geometry.primitives import GeometryError
from solver.materials.properties import MaterialRangeError, UnknownMaterialError
from solver.models.flow.solution import DivergenceError
from solver.network.errors import NetworkConvergenceError, NetworkError
from solver.output.checkpoint import STOP, CheckpointError, Interrupted
from solver.output.result_set import ResultFolderError
from solver.preflight import check_case
from solver.setup import curves_path, domain_bounds

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_BUG = 70  # EX_SOFTWARE (sysexits.h): an internal error, reported with its traceback
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT); SIGTERM: 143 (Interrupted.exit_code)
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

# exceptions that mean "the user's input is wrong": one line, exit code 2
INPUT_ERRORS = (CaseError, MaterialRangeError, UnknownMaterialError, GeometryError, BackendError,
                CheckpointError, NetworkError, ResultFolderError)

# run failures that are not bugs: one line, exit code 1
RUN_FAILURES = (NotImplementedError, DivergenceError, NetworkConvergenceError, MemoryError,
                OSError)

REPORT_LINE = ("coolsim: internal error, please report it with the case file and the traceback "
               "above")


def _one_line(error: BaseException, prefix: str = "") -> str:
    """The error as one line, prefixed with the case file unless it names the file already."""
    # KeyError subclasses (UnknownMaterialError) quote their message in str()
    message = error.args[0] if isinstance(error, KeyError) and error.args else error
    text = " ".join(str(message).split()) or type(error).__name__
    if not isinstance(error, CaseError) and prefix:
        text = f"{prefix}: {text}"
    return text


OVERWRITE_HELP = ("replace a results folder that holds another case's results (the same case "
                  "file's results are always replaced)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coolsim",
        description="Direct-to-chip liquid cooling: 3D conjugate heat transfer in cold plates and "
                    "1D rack networks.")
    parser.add_argument("--version", action="version", version=f"coolsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="solve a case and write results")
    run.add_argument("case", metavar="CASE", help="TOML case file")
    run.add_argument("--backend", choices=("auto", "cpu", "gpu"), default=None,
                     help="array backend (default: [solver] backend of the case, else auto)")
    run.add_argument("--output", metavar="DIR", default=None,
                     help="results directory (default: [output] directory of the case)")
    run.add_argument("--quiet", action="store_true",
                     help="no progress on stderr (the summary and results folder still print)")
    run.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    run.add_argument("--every-plate", action="store_true",
                     help="coupled rack: a 3D solve at every plate's operating point (default: "
                          "[coupling] every_plate, else the hottest plate of each group)")
    run.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)

    check = sub.add_parser("check", help="validate a case without solving it")
    check.add_argument("case", metavar="CASE", help="TOML case file")

    characterize = sub.add_parser(
        "characterize", help="cold-plate curves dP(Q), R(Q) over a flow range (stored, reused)")
    characterize.add_argument("case", metavar="CASE", help="TOML case file of one cold plate")
    characterize.add_argument("--flows", default="0.5,1,1.5,2 L/min",
                              help='flows, e.g. "0.5,1,1.5,2 L/min" (default) or SI m3/s')
    characterize.add_argument("--backend", choices=("auto", "cpu", "gpu"), default=None,
                              help="array backend (default: [solver] backend of the case)")
    characterize.add_argument("--fit", choices=("quadratic", "power"), default="quadratic",
                              help="pressure-drop law: a Q + b Q^2 (default) or a Q^n")
    characterize.add_argument("--force", action="store_true",
                              help="recompute even when stored curves match the case")
    characterize.add_argument("--workers", type=int, default=0, metavar="N",
                              help="run the solves on a local Dask cluster of N workers")
    characterize.add_argument("--scheduler", default=None, metavar="ADDRESS",
                              help="run the solves on the Dask scheduler at ADDRESS "
                                   "(tcp://host:8786)")
    characterize.add_argument("--quiet", action="store_true",
                              help="no progress on stderr (the curves and their files still "
                                   "print)")
    characterize.add_argument("--no-impedance", action="store_true",
                              help="skip the transient step response Z_th(t) of the chips "
                                   "(and its Foster fit) at the case's flow")

    scenarios = sub.add_parser(
        "scenarios", help="rack design point and what-if scenarios with design checks")
    scenarios.add_argument("case", metavar="CASE", help="TOML case file with a [network]")
    scenarios.add_argument("--scenarios", metavar="FILE", default=None,
                           help="TOML file of [[scenarios]] tables (default: the case's "
                                "[[scenarios]], else pump failed, plate 50%% blocked, "
                                "facility +5 K, "
                                "power x1.4, a QD missing)")
    scenarios.add_argument("--output", metavar="DIR", default=None,
                           help="results directory (default: results/<case>/scenarios)")
    scenarios.add_argument("--water-class", default=None,
                           choices=("W17", "W27", "W32", "W40", "W45", "W+"),
                           help="facility water class to check (default: the case's, if any)")
    scenarios.add_argument("--dew-point", default=None, metavar="T",
                           help='room dew point for the dew-point margin check, e.g. "18 C"')
    scenarios.add_argument("--rack-dp-budget", default=None, metavar="DP",
                           help='rack pressure-drop budget, e.g. "50 kPa"')
    scenarios.add_argument("--overwrite", action="store_true", help=OVERWRITE_HELP)

    limits = sub.add_parser("limits", help="operating limits of a rack or a cold plate: "
                            "minimum flow, warmest water, maximum chip power (root-finding)")
    limits.add_argument("case", metavar="CASE",
                        help="TOML case file: a rack or network, or a conjugate cold plate")
    limits.add_argument("--questions", default=None,
                        help="comma-separated subset of: minimum_flow, warmest_facility_supply, "
                             "maximum_power (a rack); minimum_flow, warmest_inlet, "
                             "maximum_power (a cold plate); default all")
    limits.add_argument("--margin", default="0 K", metavar="K",
                        help="margin every chip keeps below its limit (default 0 K)")
    limits.add_argument("--group", default=None, metavar="NAME",
                        help="plate group of maximum_power (default: the most powerful)")
    limits.add_argument("--output", metavar="DIR", default=None,
                        help="folder of limits.md/limits.json and a plate's trials "
                             "(default results/<case name>_limits)")
    limits.add_argument("--backend", choices=("auto", "cpu", "gpu"), default=None,
                        help="backend of a coupled rack's 3D plate solves")
    limits.add_argument("--quiet", action="store_true", help="no progress lines")

    sweep = sub.add_parser("sweep", help="run a case over changed keys (sweep.csv, plots, "
                                         "report; finished points are not run again)")
    sweep.add_argument("case", metavar="CASE", help="TOML case file")
    sweep.add_argument("--set", action="append", default=[], metavar="KEY=VALUES",
                       help='a key path and its values: "0.5, 1, 1.5 L/min" or a range '
                            '"0.5:2.0:7 L/min" (repeat for more keys)')
    sweep.add_argument("--from-csv", default=None, metavar="FILE",
                       help="points from a CSV file whose columns are key paths")
    sweep.add_argument("--design", choices=("factorial", "lhs"), default="factorial",
                       help="every combination (default) or a Latin hypercube")
    sweep.add_argument("--samples", type=int, default=None, metavar="N",
                       help="points of the Latin hypercube")
    sweep.add_argument("--seed", type=int, default=None, help="seed of the Latin hypercube")
    sweep.add_argument("--output", metavar="DIR", default=None,
                       help="sweep folder (default: results/<case>_sweep)")
    sweep.add_argument("--workers", type=int, default=None, metavar="N",
                       help="local Dask worker processes (default: the CPU count; 1: run the "
                            "points one after another in this process)")
    sweep.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run the points on the Dask scheduler at ADDRESS")
    sweep.add_argument("--retries", type=int, default=2, metavar="N",
                       help="times a point whose Dask worker died under it runs again before "
                            "it is recorded as failed (default 2)")
    sweep.add_argument("--backend", choices=("auto", "cpu", "gpu"), default=None,
                       help="array backend of every point")
    sweep.add_argument("--quiet", action="store_true", help="no progress on stderr")

    for command in (run, check, characterize, scenarios, limits, sweep):
        command.add_argument("--allow-outside", action="store_true",
                             help="let the files the case names (meshes, power maps, plate "
                                  "cases, [output] directory) lie outside the case file's "
                                  "folder tree")

    show = sub.add_parser("show", help="render a result (PNG files, and a window when possible)")
    show.add_argument("result", metavar="RESULT", help="results directory of a run")
    show.add_argument("--no-window", action="store_true",
                      help="only write PNG images off-screen, never open a window")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``coolsim`` command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code: 0 success, 1 the command failed, 2 bad input (case file, command line),
        70 a bug (traceback and a line asking to report it), 130 interrupted (SIGINT), 143
        terminated (SIGTERM).
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    command = {"run": _run, "check": _check, "show": _show,
               "characterize": _characterize, "scenarios": _scenarios,
               "limits": _limits, "sweep": _sweep}[args.command]
    previous = _install_stop_handlers()
    try:
        return _dispatch(command, args)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        STOP.signal_number = None


def _on_signal(number, frame) -> None:
    """SIGINT and SIGTERM: a stop request, answered by a run at its next safe point
    (:class:`solver.output.checkpoint.StopRequests`); raises where nothing polls."""
    STOP.request(number)


def _install_stop_handlers() -> dict:
    """Route SIGINT and SIGTERM to :func:`_on_signal`; returns the handlers they replace (none
    outside the main thread, where Python allows no handler)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {number: signal.signal(number, _on_signal) for number in STOP_SIGNALS}


def _dispatch(command, args) -> int:
    """Run ``command`` and turn what it raises into one line and an exit code."""
    where = getattr(args, "case", "")
    try:
        return command(args)
    except INPUT_ERRORS as error:
        print(_one_line(error, where), file=sys.stderr)
        return EXIT_BAD_INPUT
    except RUN_FAILURES as error:
        print(_one_line(error, f"{where}: run failed" if where else "run failed"),
              file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        # the reader of standard output went away (``coolsim run CASE | head``): the run is
        # done and written; silence the rest (the Python documentation's recipe, signal module)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Interrupted as interrupt:
        print(f"coolsim: {interrupt}", file=sys.stderr)
        return interrupt.exit_code
    except KeyboardInterrupt:
        print("coolsim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception:  # a bug: the one place a traceback is printed
        traceback.print_exc()
        print(REPORT_LINE, file=sys.stderr)
        return EXIT_BUG


def _checked_case(args, backend: str | None = None):
    """The case named on the command line, loaded and checked as ``coolsim check`` does, before
    any work."""
    case = load_case(args.case, allow_outside=args.allow_outside)
    check_case(case, backend)
    return case


def _check_output_folder(args, folder: Path) -> None:
    """The results folder must be creatable: no existing file at it or at one of its parents
    (``--output`` naming a file is the input's fault, exit 2)."""
    blocking = file_in_the_way(folder)
    if blocking is not None:
        raise CaseError(args.case, "--output" if args.output else "output.directory",
                        f"the results folder {folder} cannot be made: {blocking} is a file",
                        args.output or NOTHING, "a folder, or a path that does not exist yet")


def _run(args) -> int:
    case = _checked_case(args, args.backend)
    _check_output_folder(args, Path(args.output or case.output_root) / case.name)
    if getattr(args, "every_plate", False):
        coupling = case.coupling.model_copy(update={"every_plate": True})
        case = case.model_copy(update={"coupling": coupling})
    from solver import pipeline

    result = pipeline.run(case, backend=args.backend or case.solver.backend,
                          output=args.output, quiet=args.quiet, resume=args.resume,
                          overwrite=args.overwrite)
    return result if isinstance(result, int) and not isinstance(result, bool) else EXIT_OK


def _check(args) -> int:
    case = load_case(args.case, allow_outside=args.allow_outside)
    print(describe_case(case))
    return EXIT_OK


def _characterize(args) -> int:
    from solver import coupling

    case = _checked_case(args, args.backend)
    try:
        flows = coupling.parse_flows(args.flows)
    except ValueError as error:
        print(f"{args.case}: --flows: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    mapper = None
    if args.workers or args.scheduler:
        from solver.distributed import jobs_mapper

        mapper = jobs_mapper(scheduler=args.scheduler, n_workers=max(args.workers, 1))
    from solver.progress import RunProgress

    curves = coupling.characterize(
        case, flows, backend=args.backend or case.solver.backend, force=args.force,
        mapper=mapper, progress=RunProgress(quiet=args.quiet))
    print(coupling.format_curves(curves, args.fit))
    print(f"curves: {curves_path(case, flows)} (+ .csv, -fits.csv"
          + (", .mo Modelica Buildings record)" if len(flows) >= 2 else ")"))
    if case.chips and not args.no_impedance:
        from solver.coupling.impedance import (
            characterize_impedance,
            format_impedance,
            impedance_path,
        )

        data = characterize_impedance(
            case, backend=args.backend or case.solver.backend, force=args.force,
            progress=None if args.quiet else lambda line: print(line, file=sys.stderr,
                                                                flush=True))
        print(format_impedance(data))
        print(f"thermal impedance: {impedance_path(case)} (+ .csv, -foster.csv, .png)")
    return EXIT_OK


def _scenarios(args) -> int:
    from dataclasses import replace

    from solver import units
    from solver.case.hashing import case_hash
    from solver.case.transient_scenarios import is_transient
    from solver.output.result_set import staged_results
    from solver.output.results import ResultDirectory
    from solver.pipeline import design_limits
    from solver.scenarios import (
        format_comparison,
        load_scenarios,
        run_scenarios,
        scenario_from_dict,
        write_scenarios,
    )
    from solver.setup import network_section

    case = _checked_case(args)
    section = network_section(case)
    output = Path(args.output) if args.output else case.output_root / case.name / "scenarios"
    _check_output_folder(args, output)
    try:
        # the case's [report] and [[scenarios]] first, then the command-line options
        overrides = {}
        if args.water_class:
            overrides["water_class"] = args.water_class
        if args.dew_point is not None:
            overrides["room_dew_point"] = units.parse_quantity(
                args.dew_point, units.TEMPERATURE_UNITS, "temperature [K]")
        if args.rack_dp_budget is not None:
            overrides["rack_pressure_drop_max"] = units.parse_quantity(
                args.rack_dp_budget, units.PRESSURE_UNITS, "pressure [Pa]")
        limits = replace(design_limits(case), **overrides)
        if args.scenarios:
            scenarios = load_scenarios(args.scenarios)
        else:
            # the steady ones (scenarios in time run with `coolsim run`)
            scenarios = [scenario_from_dict(s.model_dump()) for s in case.scenarios
                         if not is_transient(s)] or None
    except (ValueError, OSError) as error:
        print(f"{args.case}: {' '.join(str(error).split())}", file=sys.stderr)
        return EXIT_BAD_INPUT
    study = run_scenarios(section, case.coolant_material(), scenarios, limits, name=case.name)
    source = str(case.source_path) if case.source_path is not None else None
    with staged_results(ResultDirectory.at(output), source, case_hash(case),
                        args.overwrite) as staged:
        write_scenarios(staged.path, study)
    print(format_comparison(study))
    print(f"reports: {output}")
    return EXIT_OK if study.design.report is not None else EXIT_FAILED


def _limits(args) -> int:
    from solver import units
    from solver.limits import case_limits, format_limits, write_limits

    case = _checked_case(args, args.backend)
    # beside the case's result set, not in it (as a sweep): a plate's trials stay in points/
    output = Path(args.output) if args.output else Path(case.output_root) / f"{case.name}_limits"
    _check_output_folder(args, output)
    questions = [q.strip() for q in args.questions.split(",") if q.strip()] \
        if args.questions else None
    try:
        margin = units.parse_quantity(args.margin, units.TEMPERATURE_DIFFERENCE_UNITS,
                                      "margin [K]")
        answers, model = case_limits(case, output, args.backend, questions, margin, args.group,
                                     args.quiet)
    except ValueError as error:
        print(f"{args.case}: {' '.join(str(error).split())}", file=sys.stderr)
        return EXIT_BAD_INPUT
    write_limits(output, answers, margin, model)
    print(format_limits(answers, margin, model))
    print(f"limits: {output}")
    return EXIT_OK


def _sweep(args) -> int:
    from solver.sweep import design_points, run_sweep

    case = _checked_case(args, args.backend)
    points, design = design_points(args.set, args.from_csv, args.design, args.samples,
                                   args.seed, where=args.case)
    folder = Path(args.output) if args.output else Path(case.output_root) / f"{case.name}_sweep"
    _check_output_folder(args, folder)
    sweep = run_sweep(case, points, folder, workers=args.workers, scheduler=args.scheduler,
                      backend=args.backend, quiet=args.quiet, design=design,
                      retries=max(args.retries, 0))
    for record in sweep.failed:
        print(f"{args.case}: point {record['index'] + 1} failed: {record['error']}",
              file=sys.stderr)
    print(f"sweep: {len(sweep.records)} points ({sweep.ran} run, {len(sweep.failed)} failed); "
          f"results: {folder}")
    return EXIT_FAILED if sweep.failed else EXIT_OK


def _show(args) -> int:
    from solver.output import result_set
    from solver.output.results import ResultDirectory

    result = Path(args.result)
    if result.resolve().parent.is_dir() and result.resolve().name:
        # a run killed during its switch: finish or undo it first
        for line in result_set.repair(ResultDirectory.at(result.resolve())):
            print(f"coolsim: {line}", file=sys.stderr)
    if not result.exists():
        print(f"{args.result}: no such results directory", file=sys.stderr)
        return EXIT_BAD_INPUT
    checked = (result / result_set.MANIFEST).is_file()
    problems = result_set.verify(result) if checked else []
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        print(f"{args.result}: not one complete result set: {problems[0]}{more}",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    from solver.output import render

    try:
        outcome = render.show(result, window=not args.no_window)
    except FileNotFoundError as error:
        print(str(error), file=sys.stderr)
        return EXIT_BAD_INPUT
    if not checked:
        print(f"coolsim: {args.result}: no {result_set.MANIFEST} (an older coolsim's results?): "
              "its files were not checked as one set", file=sys.stderr)
    return outcome if isinstance(outcome, int) and not isinstance(outcome, bool) else EXIT_OK


def _mm(value: float) -> str:
    return f"{value * 1e3:.4g}"


def _box_text(box) -> str:
    if box is None:
        return "(bounds from the mesh)"
    lo, hi = box
    return ("[" + ", ".join(_mm(v) for v in lo) + "] .. [" + ", ".join(_mm(v) for v in hi)
            + "] mm")


def describe_case(case) -> str:
    """A short, human-readable description of a validated case (what ``coolsim check`` prints),
    after :func:`solver.preflight.check_case` (which raises on what a run would reject)."""
    from solver.case.validate import body_bounds

    found = check_case(case)
    lines = [f"{case.name}: OK ({case.source_path or 'in memory'})"]
    if case.case.description:
        lines.append(f"  {case.case.description}")
    solver = case.solver
    if case.bodies:
        lines.append(f"  physics {solver.physics}, backend {solver.backend}, {solver.dtype}, "
                     f"linear solver {solver.linear.method}")
    if solver.physics == "conjugate" or case.network is not None:
        coolant = case.coolant_material()
        described = f" ({coolant.description})" if coolant.description else ""
        lines.append(f"  coolant {coolant.name}{described}")
    if case.network is not None:
        lines.append(f"  network: {_network_text(case.network)}")
        lines.append(f"    {found.network}")
    if not case.bodies:
        lines.extend(f"  warning: {note}" for note in found.warnings)
        return "\n".join(lines)
    lines.append(f"  bodies ({len(case.bodies)}):")
    for body in case.bodies:
        lines.append(f"    {body.name:<16} {body.shape:<14} {body.material:<16} "
                     f"{_box_text(body_bounds(body, case.case_dir))}")
    if case.chips:
        lines.append(f"  chips ({len(case.chips)}), total power {case.total_power:.6g} W:")
        for chip in case.chips:
            limit = chip.max_temperature - 273.15
            lines.append(f"    {chip.name:<16} {chip.power:.6g} W in {chip.body}, "
                         f"limit {limit:.4g} C")
    else:
        lines.append("  no chips")
    lines.append(f"  boundaries ({len(case.boundaries)}; other sides adiabatic):")
    for boundary in case.boundaries:
        lines.append(f"    {boundary.name:<16} {boundary.side:<6} {boundary.type}"
                     f"{_boundary_values(boundary)}")
    bounds = domain_bounds(case)
    if bounds is not None:
        lines.append(f"  domain {_box_text(bounds)}")
    if case.transient is not None:
        t = case.transient
        largest = t.max_step if t.max_step is not None else t.end / 50.0
        control = ("" if t.tolerance is None
                   else f", error-controlled to {t.tolerance:g} K per step")
        lines.append(f"  in time: {t.end:g} s from the {t.start} state, steps {t.initial_step:g} s "
                     f"growing by {t.growth:g} to {max(largest, t.initial_step):g} s{control}")
        inputs = {**{f"power of {name}": value for name, value in t.chip_power.items()},
                  "inlet temperature": t.inlet_temperature, "inlet flow": t.inlet_flow}
        for what, value in inputs.items():
            if value is not None:
                shown = (f"{value.get('kind')} "
                         + ", ".join(f"{k} {v}" for k, v in value.items() if k != "kind")
                         if isinstance(value, dict) else str(value))
                lines.append(f"    {what}: {shown}")
        if t.inlet_flow is not None:
            lines.append("    flow: " + ("the steady flow scaled with the inlet flow (frozen)"
                                        if t.flow == "frozen" else
                                        f"stepped in time, Courant number {t.flow_courant:g}"))
    report, notes = found.grid, found.warnings
    if report is not None:
        lines.append(f"  grid: {report['line'].removeprefix('grid ')}")
    lines.extend(f"  warning: {note}" for note in notes)
    if case.solver.physics == "conjugate":
        from solver.adequacy import grid_study_status

        lines.append(f"  {grid_study_status(case)}")
    return "\n".join(lines)


def _network_text(network) -> str:
    """One line naming the network's sections (and the rack size when there is a rack)."""
    data = network.model_dump() if hasattr(network, "model_dump") else dict(network)
    parts = []
    for key, value in data.items():
        if value in (None, [], {}):
            continue
        if isinstance(value, list):
            parts.append(f"{len(value)} {key}")
        elif key == "rack" and isinstance(value, dict) and "trays" in value:
            groups = [f"{g['name']} x{g['count']}" + (f" (3D: {g['case']})" if g.get("case")
                                                      else "")
                      for g in value.get("plates", [])]
            parts.append(f"rack with {value['trays']} trays, plates {', '.join(groups)}")
        else:
            parts.append(key)
    return ", ".join(parts) or "(empty)"


def _boundary_values(boundary) -> str:
    kind = boundary.type
    if kind == "temperature":
        return f", {boundary.temperature - 273.15:.4g} C"
    if kind == "heat_flux":
        return f", {boundary.heat_flux:.6g} W/m2"
    if kind == "convection":
        return f", h {boundary.h:.6g} W/m2/K, {boundary.ambient_temperature - 273.15:.4g} C"
    if kind == "inlet":
        spec, value = boundary.flow_spec()
        shown = {"velocity": f"{value:.4g} m/s", "volumetric_flow": f"{value * 6e4:.4g} L/min",
                 "mass_flow": f"{value:.4g} kg/s"}[spec]
        return f", {shown}, {boundary.temperature - 273.15:.4g} C"
    if kind == "outlet":
        return f", {boundary.pressure:.6g} Pa"
    return ""


if __name__ == "__main__":
    raise SystemExit(main())
