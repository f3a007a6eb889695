"""Parameter sweeps: many changed copies of one case, each run through the normal pipeline.

``coolsim sweep CASE --set KEY=VALUES ...`` (and :func:`run_sweep` in Python) varies any case key
by its key path (:mod:`solver.case.changes`):

* values as a list, ``"0.5, 1, 1.5 L/min"`` (a unit written once at the end applies to every
  number), a range, ``"0.5:2.0:7 L/min"`` (7 points from 0.5 to 2.0, ends included), or rows of
  a CSV file whose columns are key paths (``--from-csv``; a header ``key [unit]`` gives the unit);
* the points are every combination of the lists (full factorial) or a Latin hypercube of
  ``samples`` points over the ranges (``scipy.stats.qmc.LatinHypercube``; a list is sampled as
  a choice among its values);
* each point is validated before anything runs (a bad key or value stops the sweep with the
  one-line case error), then solved by :func:`solver.api.run` into its own results folder
  ``points/<key>/<case name>/``, where ``<key>`` digests everything in the point's case but its
  name and output settings; a point whose folder holds a finished run of the same case hash is
  read back, not run again (an interrupted sweep continues where it stopped);
* points run on Dask (:mod:`solver.distributed`: local worker processes, or a scheduler
  address), or in this process with one worker; a point that fails is recorded (one line) and
  the others go on; a point whose worker dies under it (killed, out of memory) runs again on
  another, up to ``retries`` times (counted in its ``worker_losses``), then is recorded as
  failed;
* each point's record holds its wall time and the peak resident memory of the process that
  ran it (:func:`run_point`).

The sweep folder gets ``sweep.csv``, ``sweep.json``, plots and ``report.md``
(:mod:`solver.output.sweep`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from solver.case.changes import value_at
from solver.case.errors import CaseError
from solver.case.hashing import case_hash, hash_case
from solver.case.schema import Case

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S.*?)?\s*$")


@dataclass(frozen=True)
class Axis:
    """One swept key: its values as a case file would hold them.

    ``low``/``high`` (numbers in the written unit ``unit``) when the values came from a range
    (a Latin hypercube samples between them); otherwise None.
    """

    key: str
    values: tuple
    low: float | None = None
    high: float | None = None
    unit: str = ""


def _number(text: str) -> int | float:
    number = float(text)
    if re.fullmatch(r"\s*[-+]?\d+\s*", text):
        return int(text)
    return number


def _written(number: float | int, unit: str):
    """A value as the case file holds it: the number, or ``"<number> <unit>"``."""
    return f"{number!r} {unit}" if unit else number


def parse_values(key: str, text: str) -> Axis:
    """The :class:`Axis` of ``--set KEY=TEXT``: a list ``"0.5, 1, 1.5 L/min"`` or a range
    ``"0.5:2.0:7 L/min"`` (count points, ends included).

    Raises
    ------
    ValueError
        When the text is neither (the message says what is allowed).
    """
    text = text.strip()
    if not text:
        raise ValueError("no values")
    if ":" in text and "," not in text:
        head, _, tail = text.rpartition(":")
        match = _NUMBER.match(tail)
        parts = [*head.split(":"), match.group(1) if match else tail]
        unit = (match.group(2) or "") if match else ""
        if len(parts) != 3 or not all(_NUMBER.fullmatch(p) and not _NUMBER.match(p).group(2)
                                      for p in parts):
            raise ValueError(f"cannot read the range {text!r}: write start:stop:count "
                             "[unit], e.g. \"0.5:2.0:7 L/min\"")
        low, high = float(parts[0]), float(parts[1])
        if not re.fullmatch(r"\s*\d+\s*", parts[2]) or int(parts[2]) < 1:
            raise ValueError(f"the range {text!r} needs a whole number of points >= 1 after "
                             "the second colon")
        count = int(parts[2])
        whole = all(re.fullmatch(r"\s*[-+]?\d+\s*", p) for p in parts[:2])
        import numpy as np

        numbers = [float(v) for v in np.linspace(low, high, count)]
        if whole and all(v.is_integer() for v in numbers):
            numbers = [int(v) for v in numbers]
        return Axis(key, tuple(_written(v, unit) for v in numbers), low, high, unit)
    items = [item.strip() for item in text.split(",")]
    if any(not item for item in items):
        raise ValueError(f"empty value in the list {text!r}")
    last = _NUMBER.match(items[-1])
    shared = (last.group(2) or "") if last else ""
    values = []
    for item in items:
        match = _NUMBER.match(item)
        if match is None or (match.group(2) and not re.fullmatch(r"[A-Za-z/0-9%]+",
                                                                  match.group(2))):
            values.append(item)  # a word: a coolant name, a scheme
        elif match.group(2):
            values.append(item)
        else:
            values.append(_written(_number(match.group(1)), shared))
    return Axis(key, tuple(values), unit=shared)


def parse_set(argument: str) -> Axis:
    """``"KEY=VALUES"`` of ``--set`` -> :class:`Axis` (:func:`parse_values`).

    Raises
    ------
    ValueError
        Without ``=`` or with unreadable values.
    """
    key, equals, text = argument.partition("=")
    if not equals or not key.strip():
        raise ValueError(f"--set {argument!r}: write KEY=VALUES, e.g. "
                         "boundaries[inlet].volumetric_flow=\"0.5, 1, 1.5 L/min\"")
    return parse_values(key.strip(), text)


def read_points_csv(path: str | Path) -> list[dict[str, Any]]:
    """The points of a CSV file: one row each, columns named by key path; a header
    ``key [unit]`` appends the unit to each number of its column.

    Raises
    ------
    ValueError
        For an empty file or a row with a missing value.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise ValueError(f"{path}: needs a header of key paths and at least one row")
    header = []
    for cell in rows[0]:
        match = re.fullmatch(r"\s*(.*?)\s*(?:\[([^\]]*)\])?\s*", cell)
        header.append((match.group(1), (match.group(2) or "").strip()))
    points = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header) or any(not cell.strip() for cell in row):
            raise ValueError(f"{path}: line {number}: needs a value in each of the "
                             f"{len(header)} columns")
        point = {}
        for (key, unit), cell in zip(header, row, strict=True):
            match = _NUMBER.fullmatch(cell)
            point[key] = (_written(_number(match.group(1)), unit) if match and not match.group(2)
                          else cell.strip())
        points.append(point)
    return points


def full_factorial(axes: Sequence[Axis]) -> list[dict[str, Any]]:
    """Every combination of the axes' values (the last axis varies fastest)."""
    return [dict(zip([a.key for a in axes], combination, strict=True))
            for combination in itertools.product(*(a.values for a in axes))]


def latin_hypercube(axes: Sequence[Axis], samples: int, seed: int | None = None
                    ) -> list[dict[str, Any]]:
    """``samples`` points of a Latin hypercube over the axes (``scipy.stats.qmc``): uniform
    between a range's ends, a choice among a list's values."""
    from scipy.stats import qmc

    unit_cube = qmc.LatinHypercube(d=len(axes), seed=seed).random(samples)
    points = []
    for row in unit_cube:
        point = {}
        for axis, u in zip(axes, row, strict=True):
            if axis.low is not None:
                point[axis.key] = _written(float(axis.low + u * (axis.high - axis.low)),
                                           axis.unit)
            else:
                point[axis.key] = axis.values[min(int(u * len(axis.values)),
                                                  len(axis.values) - 1)]
        points.append(point)
    return points


@dataclass
class Point:
    """One point of a sweep: its changes, its validated case and where its results go."""

    index: int
    changes: dict[str, Any]
    case: Case
    key: str
    inputs: dict[str, Any] = field(default_factory=dict)

    def folder(self, sweep_folder: Path) -> Path:
        """The results folder of this point inside ``sweep_folder``."""
        return sweep_folder / "points" / self.key / self.case.name


def point_key(case: Case) -> str:
    """12 hex digits fixing everything in ``case`` that a result depends on: its case hash
    and every other section but the name and the output settings (report thresholds, coupling,
    scenarios)."""
    rest = case.model_dump(mode="json", exclude={"case", "output"})
    return hash_case({"case_hash": case_hash(case), "rest": rest})[:12]


def plan(case: Case, points: Sequence[Mapping[str, Any]]) -> list[Point]:
    """Validate every point's changes before anything runs.

    Raises
    ------
    CaseError
        The first bad key path or value, naming the key (as ``with_changes`` does).
    """
    planned = []
    for index, changes in enumerate(points):
        changed = case.with_changes(changes)
        inputs = {key: value_at(changed, key) for key in changes}
        planned.append(Point(index, dict(changes), changed, point_key(changed), inputs))
    return planned


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if isinstance(error, CaseError) else f"{type(error).__name__}: {text}"


def run_point(job: tuple) -> dict[str, Any]:
    """Run one point (``(point, sweep_folder, backend)``) through :func:`solver.api.run`; its
    record: ``status`` ``done`` or ``failed`` (``error``: one line), ``metrics``, ``units``,
    ``case_hash``, ``seconds`` [s] (wall time of the run), ``peak_memory`` [MB] (the peak
    resident memory of the process that ran the point, while it ran: interpreter and libraries
    included) and ``memory_rise`` [MB] (that peak less the memory resident when the point
    began: what the point itself added). Output of the run is kept from the terminal (progress
    off, the printed summary dropped: it is in the results folder)."""
    from solver.api import run
    from solver.memory import resident_memory, restart_peak_memory

    point, sweep_folder, backend = job
    restart_peak_memory()
    resident_before = resident_memory()[0]
    start = time.perf_counter()
    record: dict[str, Any] = {"index": point.index, "case_hash": case_hash(point.case)}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            result = run(point.case, output=point.folder(sweep_folder).parent, backend=backend,
                         quiet=True)
        record.update(status="done", metrics=result.metrics, units=result.units)
    except Exception as error:  # noqa: BLE001 - one point's failure is recorded, the sweep goes on
        record.update(status="failed", error=_one_line(error), metrics={}, units={})
    record["seconds"] = time.perf_counter() - start
    peak = resident_memory()[1]
    record["peak_memory"] = peak / 1e6
    record["memory_rise"] = max(peak - resident_before, 0) / 1e6
    return record


def _lost_record(point: Point, lost: BaseException) -> dict[str, Any]:
    """The record of a point given up after its workers died under it every time it ran."""
    return {"index": point.index, "case_hash": case_hash(point.case), "status": "failed",
            "error": _one_line(lost), "metrics": {}, "units": {}, "seconds": None,
            "peak_memory": None, "memory_rise": None}


def _cached(point: Point, sweep_folder: Path) -> dict[str, Any] | None:
    """The record of a point whose folder holds a finished run of the same case hash."""
    from solver.api import finished_case_hash, headline_metrics

    folder = point.folder(sweep_folder)
    digest = case_hash(point.case)
    if finished_case_hash(folder) != digest:
        return None
    metrics, units = headline_metrics(folder)
    return {"index": point.index, "case_hash": digest, "status": "cached", "metrics": metrics,
            "units": units, "seconds": 0.0, "peak_memory": None, "memory_rise": None,
            "worker_losses": 0}


def evaluate(case: Case, changes: Mapping[str, Any], folder: str | Path,
             backend: str | None = None) -> dict[str, Any]:
    """Run ``case`` with ``changes`` as one sweep point in ``folder`` and return its record
    (``status``, ``metrics``, ``units``, ``case_hash``, ``seconds``, ``error`` when it failed);
    a point already finished there is read back, not run again. What a search over one key
    (the smallest flow keeping every chip within its limit) calls at each trial value.

    Raises
    ------
    CaseError
        A bad key or value.
    """
    folder = Path(folder)
    point = plan(case, [changes])[0]
    return _cached(point, folder) or run_point((point, folder, backend))


@dataclass
class Sweep:
    """A finished sweep: its points, their records (input order) and the sweep folder."""

    case: Case
    points: list[Point]
    records: list[dict[str, Any]]
    folder: Path
    design: dict[str, Any]

    @property
    def failed(self) -> list[dict[str, Any]]:
        """Records of the points that failed."""
        return [r for r in self.records if r["status"] == "failed"]

    @property
    def ran(self) -> int:
        """Points solved by this call (not read back from an earlier one)."""
        return sum(r["status"] != "cached" for r in self.records)

    def frame(self):
        """The sweep as a pandas DataFrame (the columns of ``sweep.csv``)."""
        import pandas

        from solver.output.sweep import sweep_rows

        return pandas.DataFrame(sweep_rows(self))


def _jobs(function: Callable, items: list, workers: int, scheduler, retries: int
          ) -> Iterable[tuple[int, Any, int]]:
    """``(position, function(item), worker losses)`` as jobs finish: in this process with one
    worker and no scheduler, else on Dask (:func:`solver.distributed.completed_jobs`: a job
    lost with its worker runs again up to ``retries`` times, then comes back as a
    :class:`solver.distributed.JobLost`)."""
    if scheduler is None and workers <= 1:
        for position, item in enumerate(items):
            yield position, function(item), 0
        return
    from solver.distributed import completed_jobs

    yield from completed_jobs(function, items, scheduler=scheduler, n_workers=workers,
                              retries=retries, keep_going=True)


def run_sweep(case: Case, points: Sequence[Mapping[str, Any]], folder: str | Path,
              workers: int | None = None, scheduler=None, backend: str | None = None,
              quiet: bool = False, design: Mapping[str, Any] | None = None,
              retries: int = 2) -> Sweep:
    """Run every point of a sweep of ``case`` and write the sweep folder.

    Parameters
    ----------
    case : Case
    points : sequence of mappings
        Each point's changes (key path -> value), e.g. from :func:`full_factorial`.
    folder : path
        The sweep folder (``points/`` holds each point's results).
    workers : int, optional
        Local Dask worker processes (default: the CPU count, at most the points to run);
        1 runs the points one after another in this process.
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (``tcp://host:8786``) or client, instead of local workers.
    backend : {"auto", "cpu", "gpu"}, optional
        Overrides ``[solver] backend`` of every point.
    quiet : bool
        No progress lines on standard error.
    design : mapping, optional
        How the points were chosen (recorded in ``sweep.json``).
    retries : int
        Times a point whose Dask worker died under it (killed, out of memory) runs again; a
        point lost once more is recorded as failed (one line) and the others go on.

    Returns
    -------
    Sweep

    Raises
    ------
    CaseError
        A bad key or value in any point, before anything runs.
    """
    from solver.output.sweep import write_sweep
    from solver.progress import RunProgress, Stage

    folder = Path(folder)
    planned = plan(case, points)
    records: list[dict[str, Any] | None] = [_cached(p, folder) for p in planned]
    todo = [p for p, r in zip(planned, records, strict=True) if r is None]
    progress = RunProgress([Stage("sweep point", len(todo))], quiet=quiet)
    progress.message(f"sweep: {len(planned)} points, {len(planned) - len(todo)} finished "
                     f"before, {len(todo)} to run")
    if workers is None:
        workers = min(os.cpu_count() or 1, max(len(todo), 1))
    if todo:
        progress.begin("sweep point", 1, count=len(todo))
    jobs = [(p, folder, backend) for p in todo]
    for done, (position, record, lost) in enumerate(
            _jobs(run_point, jobs, workers, scheduler, retries), start=1):
        point = todo[position]
        if isinstance(record, BaseException):
            record = _lost_record(point, record)
        record["worker_losses"] = lost
        records[point.index] = record
        progress.end("sweep point")
        outcome = record.get("error") or _short(record["metrics"], record["units"])
        if lost and record["status"] != "failed":
            outcome += f" (its worker died {lost} time(s); run again)"
        progress.message(f"[sweep point {done}/{len(todo)}] point {point.index + 1} "
                         f"({_inputs_text(point)}): {record['status']}, {outcome} | "
                         f"{progress.status()}")
        if done < len(todo):
            progress.begin("sweep point", done + 1, count=len(todo))
    sweep = Sweep(case, planned, [r for r in records if r is not None], folder,
                  dict(design or {"kind": "given points"}))
    write_sweep(sweep)
    return sweep


def _inputs_text(point: Point) -> str:
    return ", ".join(f"{k} = {v}" for k, v in point.changes.items())


def _short(metrics: Mapping[str, Any], units: Mapping[str, str]) -> str:
    """The peak temperature, pressure drop and verdict of a point, for its progress line."""
    shown = []
    for name in ("peak_temperature", "pressure_drop", "verdict"):
        value = metrics.get(name)
        if isinstance(value, float) and math.isfinite(value):
            shown.append(f"{name} {value:.5g} {units.get(name, '')}".rstrip())
        elif value is not None:
            shown.append(f"{name} {value}")
    return ", ".join(shown)


def design_points(sets: Sequence[str] = (), from_csv: str | Path | None = None,
                  design: str = "factorial", samples: int | None = None,
                  seed: int | None = None, where: str | None = None
                  ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The points of ``coolsim sweep``: the ``--set KEY=VALUES`` axes crossed (``factorial``)
    or sampled (``lhs``: ``samples`` points, ``seed``), or the rows of ``from_csv`` (each
    crossed with the ``--set`` axes, if any); and the design as recorded in ``sweep.json``.

    Raises
    ------
    CaseError
        One line naming ``where`` (the case file) and the key or option at fault.
    """
    axes = []
    for argument in sets:
        try:
            axes.append(parse_set(argument))
        except ValueError as error:
            key = argument.partition("=")[0].strip() or "--set"
            raise CaseError(where, key, str(error)) from None
    rows = [{}]
    if from_csv is not None:
        try:
            rows = read_points_csv(from_csv)
        except (OSError, ValueError) as error:
            raise CaseError(where, "--from-csv", " ".join(str(error).split())) from None
    if not axes and from_csv is None:
        raise CaseError(where, "--set", "nothing to sweep",
                        allowed="--set KEY=VALUES (one or more) or --from-csv FILE")
    if design == "lhs":
        if not axes or samples is None or samples < 1:
            raise CaseError(where, "--samples", "a Latin hypercube needs --set axes and "
                            "--samples N", allowed="N >= 1")
        crossed = latin_hypercube(axes, samples, seed)
        recorded = {"kind": "latin hypercube", "samples": samples, "seed": seed}
    else:
        crossed = full_factorial(axes)
        recorded = {"kind": "full factorial"}
    if from_csv is not None:
        recorded["csv"] = str(from_csv)
    recorded["keys"] = [a.key for a in axes] + sorted({k for row in rows for k in row})
    return [{**row, **point} for row in rows for point in crossed], recorded
