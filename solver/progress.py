"""Progress of long runs: one line per solve update (iteration, residuals) and one time left for
the whole run.

:class:`Progress` follows one iterative solve. One line at most every ``every_seconds``. In a
terminal the line is rewritten in place (carriage return); in logs and CI (stream not a TTY) each
update is a plain line. The time left of the solve is estimated by fitting
``log10(residual / tolerance)`` of the slowest-converging residual against the iteration number
over the recent history and extrapolating to zero; it shows ``?`` until at least a few iterations
show a decreasing trend.

:class:`RunProgress` follows the whole run as nested units of work (the flow-energy passes of a
plate, the characterization flows, the coupling passes of a rack, the scenarios) and prefixes
every line with where the run stands, innermost level first, e.g.
``[pass 2/~4 | flow 3/4 | coupling pass 1] iter 120  continuity 3.0e-05 | elapsed 1m16s |
left ~3m05s``. Counts the run is still learning carry ``~`` (a convergence-driven loop: from the
trend of its convergence distance, else from the counts of earlier loops of the same name); the
time left adds the current solve's own estimate, the remaining units of each level at their
measured cost (units of the same ``kind`` pool their costs), and the planned stages still ahead.
Where part of that is unknown the line says ``left >3m05s`` (a lower bound), or ``left ?``.

Residuals must be host floats: on the GPU, report on a schedule (every few cycles) so the device
is not synchronised every iteration. Everything is printed to standard error by default and
nothing at all with ``quiet``.
"""

from __future__ import annotations

import math
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple, TextIO

import numpy as np

from solver.output.atomic import write_csv


def format_duration(seconds: float | None) -> str:
    """``"?"`` for unknown, else ``"42s"``, ``"3m05s"`` or ``"2h07m"``."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s" if seconds >= 10 else f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class _Printer:
    """Lines on one stream: throttled updates (rewritten in place on a terminal), messages on
    their own lines; nothing with ``quiet``."""

    def __init__(self, stream: TextIO | None, quiet: bool, every_seconds: float):
        self.stream = sys.stderr if stream is None else stream
        self.quiet = quiet
        self.every_seconds = float(every_seconds)
        self.last_print: float | None = None
        self.last_line = ""
        self.pending = False
        self.width = 0
        isatty = getattr(self.stream, "isatty", None)
        self.interactive = bool(isatty and isatty())

    def emit(self, line: str, final: bool = False) -> None:
        if self.interactive:
            padding = " " * max(0, self.width - len(line))
            self.stream.write("\r" + line + padding + ("\n" if final else ""))
            self.width = 0 if final else len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def update(self, line: str, now: float) -> None:
        """Show ``line`` if ``every_seconds`` have passed since the last one, else keep it."""
        if self.quiet:
            return
        self.last_line = line
        if self.last_print is None or now - self.last_print >= self.every_seconds:
            self.emit(line)
            self.last_print = now
            self.pending = False
        else:
            self.pending = True

    def message(self, text: str) -> None:
        """``text`` on its own line; an update held back is dropped (the message is newer)."""
        if self.quiet:
            return
        self.pending = False
        if self.interactive and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.width = 0
        self.stream.write(text + "\n")
        self.stream.flush()

    def finish(self) -> None:
        """Show the latest update if it was held back, and end the line in place."""
        if self.quiet:
            return
        if self.pending or (self.interactive and self.width):
            self.emit(self.last_line, final=True)
        self.pending = False


class Progress:
    """Throttled progress line for an iterative solve.

    Parameters
    ----------
    total_tolerance : float or mapping of str to float
        Residual level at which the solve stops (one value for all residuals, or per residual
        name). Used only for the time-left estimate.
    quiet : bool
        Print nothing at all.
    stream : text stream
        Where to print (standard error by default).
    every_seconds : float
        Minimum wall time [s] between two printed lines.
    window : int
        Number of recent updates used for the convergence-rate fit.
    clock : callable, optional
        Monotonic clock returning seconds (for tests); :func:`time.monotonic` by default.
    counter : str
        Name of the counter at the start of each line (``"iter"``, ``"step"``).
    run : RunProgress, optional
        The whole run this solve belongs to (see :meth:`RunProgress.progress`): its lines then
        start with the run's position and end with the whole run's elapsed time and time left,
        and ``quiet``, ``stream``, ``every_seconds`` and ``clock`` are the run's.

    Examples
    --------
    >>> progress = Progress(1e-8, quiet=True)
    >>> for iteration in range(1, 4):
    ...     progress.update(iteration, {"energy": 10.0 ** -iteration})
    >>> progress.done("converged")
    """

    def __init__(self, total_tolerance: float | Mapping[str, float], quiet: bool = False,
                 stream: TextIO | None = None, every_seconds: float = 0.5, window: int = 50,
                 clock: Callable[[], float] | None = None, counter: str = "iter",
                 run: RunProgress | None = None):
        self.tolerance = total_tolerance
        self.counter = counter
        self.run = run
        self._printer = run.printer if run is not None else _Printer(stream, quiet,
                                                                    every_seconds)
        self._clock = run.clock if run is not None else (clock or time.monotonic)
        self._start = self._solve_start = self._clock()
        self._history: deque[tuple[int, float, float]] = deque(maxlen=max(3, window))
        self._fraction: tuple[float, float] | None = None
        self.records: list[dict[str, float]] = []

    @property
    def quiet(self) -> bool:
        """Whether nothing is printed."""
        return self._printer.quiet

    # -- estimates ------------------------------------------------------------------------------
    def _tolerance_for(self, name: str) -> float:
        if isinstance(self.tolerance, Mapping):
            return float(self.tolerance.get(name, min(self.tolerance.values())))
        return float(self.tolerance)

    def _distance(self, residuals: Mapping[str, float]) -> float:
        """Decades still to go for the slowest residual (<= 0 means converged)."""
        worst = -math.inf
        for name, value in residuals.items():
            value = float(value)
            if not math.isfinite(value):
                return math.inf
            worst = max(worst, math.log10(max(value, 1e-300) / self._tolerance_for(name)))
        return worst

    def seconds_left(self) -> float | None:
        """Estimated wall time [s] until the tolerance is met (or, for a run that reports the
        fraction done, until it is complete), or ``None`` when not estimable."""
        if self._fraction is not None:
            fraction, elapsed = self._fraction
            return elapsed * (1.0 - fraction) / fraction if fraction > 0.0 else None
        points = [(it, d, t) for it, d, t in self._history if math.isfinite(d)]
        if len(points) < 3:
            return None
        # Fit the recent half of the history: early transients say little about the rate.
        points = points[len(points) // 2:] if len(points) >= 6 else points
        iterations = np.array([p[0] for p in points], dtype=float)
        distance = np.array([p[1] for p in points])
        times = np.array([p[2] for p in points])
        if np.ptp(iterations) == 0:
            return None
        if distance[-1] <= 0:
            return 0.0
        from scipy.stats import linregress  # (scipy.stats takes 0.4 s to import: when needed)

        fit = linregress(iterations, distance)  # slope: decades per iteration
        slope = fit.slope
        # a stalled or wandering residual has no trend: its fitted slope flips sign or hovers
        # near zero from one update to the next (an estimate of seconds, then of hours); give
        # one only when the fall is clear, twice the slope's standard error
        if slope + 2.0 * fit.stderr >= 0:
            return None
        iterations_left = distance[-1] / -slope
        seconds_per_iteration = (times[-1] - times[0]) / (iterations[-1] - iterations[0])
        return float(iterations_left * seconds_per_iteration)

    # -- output ---------------------------------------------------------------------------------
    @staticmethod
    def _format_value(value) -> str:
        value = float(value)
        return f"{value:.3e}" if value != 0 and (abs(value) < 1e-2 or abs(value) >= 1e4) \
            else f"{value:.4g}"

    def _line(self, iteration: int, residuals: Mapping[str, float],
              monitors: Mapping[str, float] | None, elapsed: float) -> str:
        parts = [f"{self.counter} {iteration:>6d}"]
        parts += [f"{name} {float(value):.2e}" for name, value in residuals.items()]
        parts += [f"{name} {self._format_value(value)}" for name, value in (monitors or {}).items()]
        if self.run is not None:
            return self.run.line("  ".join(parts))
        parts.append(f"elapsed {format_duration(elapsed)}")
        parts.append(f"left {format_duration(self.seconds_left())}")
        return "  ".join(parts)

    def update(self, iteration: int, residuals: float | Mapping[str, float],
               monitors: Mapping[str, float] | None = None,
               fraction: float | None = None) -> None:
        """Record one iteration and print a line when ``every_seconds`` have passed.

        Parameters
        ----------
        iteration : int
            Iteration (or cycle) number.
        residuals : float or mapping of str to float
            Current residual(s) (host floats, same normalisation as the tolerance).
        monitors : mapping of str to float, optional
            Engineering monitors printed after the residuals (e.g. ``{"T_max_C": 81.2}``).
        fraction : float, optional
            Fraction of the whole run done (a time-accurate run), in (0, 1]: the time left is
            then extrapolated from it instead of from the residuals' rate.
        """
        if not isinstance(residuals, Mapping):
            residuals = {"residual": residuals}
        now = self._clock()
        if fraction is not None:
            self._fraction = (min(max(float(fraction), 0.0), 1.0), now - self._solve_start)
        self._history.append((int(iteration), self._distance(residuals), now))
        self.records.append({"iteration": int(iteration), "elapsed": now - self._start,
                             **{name: float(v) for name, v in residuals.items()},
                             **{name: float(v) for name, v in (monitors or {}).items()}})
        if self.run is not None:
            self.run.current = self
        if self.quiet:
            return
        self._printer.update(self._line(iteration, residuals, monitors, now - self._start), now)

    def restart(self) -> None:
        """Forget the residual trend (not the records): a new solve of the same equations
        starts, e.g. the flow of the next flow-energy pass (a ``fraction`` then counts from
        here)."""
        self._history.clear()
        self._fraction = None
        self._solve_start = self._clock()

    def begin(self, name: str, index: int, **plan) -> None:
        """Start unit ``index`` of the run level ``name`` (:meth:`RunProgress.begin`, with the
        same keywords) and forget the residual trend; nothing without a run."""
        self.restart()
        if self.run is not None:
            self.run.begin(name, index, **plan)

    def end(self, name: str, **outcome) -> float:
        """End the current unit of the run level ``name`` (:meth:`RunProgress.end`); returns its
        wall time [s] (0 without a run)."""
        return self.run.end(name, **outcome) if self.run is not None else 0.0

    def sibling(self, total_tolerance: float | Mapping[str, float],
                counter: str = "iter") -> Progress:
        """A progress for another solve of the same run (e.g. the energy solve of a pass): same
        stream, quietness, clock and run, its own tolerance, trend and records."""
        if self.run is not None:
            return self.run.progress(total_tolerance, counter)
        printer = self._printer
        return Progress(total_tolerance, printer.quiet, printer.stream, printer.every_seconds,
                        clock=self._clock, counter=counter)

    def message(self, text: str) -> None:
        """Print a message on its own line without disturbing the progress line."""
        self._printer.message(text)

    def done(self, message: str = "") -> None:
        """Print the latest state (if not yet shown), finish the line, then ``message``.

        Parameters
        ----------
        message : str
            Closing message, e.g. ``"converged in 42 iterations"``; the elapsed time is appended.
        """
        self._printer.finish()
        if message:
            self._printer.message(f"{message} ({format_duration(self._clock() - self._start)})")

    def write_history(self, path, units=None):
        """Write every update (iteration, elapsed [s], residuals, monitors) as CSV, atomically.

        Parameters
        ----------
        path : path-like
            Destination, usually ``ResultDirectory.history``.
        units : mapping of str to str, optional
            Units of residual and monitor columns for the header (``elapsed`` is in s).
        """

        return write_csv(path, self.records, units={"elapsed": "s", **dict(units or {})})

    @property
    def elapsed(self) -> float:
        """Wall time [s] since construction."""
        return self._clock() - self._start


@dataclass(frozen=True)
class Stage:
    """A level of work in a run: ``count`` units called ``name``, each holding ``inner``.

    Parameters
    ----------
    name : str
        As shown in the progress line (``"flow"``, ``"coupling pass"``).
    count : int, optional
        Units planned; ``None`` while unknown (the run learns it from earlier loops of the same
        name, or from the trend of the loop's convergence).
    estimated : bool
        ``count`` is a guess the run refines (shown as ``~4``).
    limit : int, optional
        Most units the loop may run (``max_passes``); caps an estimated count.
    kind : str, optional
        Units of stages of one kind cost alike (a characterization flow and a coupled plate are
        both one 3D plate solve); default ``name``.
    inner : Stage, optional
        The level inside each unit: before a unit is measured, its cost is that of its inner
        units.
    shown : bool
        Whether the progress line shows the level (the flow and energy solves of a pass are
        units of a level that is counted, not shown).
    """

    name: str
    count: int | None = None
    estimated: bool = False
    limit: int | None = None
    kind: str | None = None
    inner: Stage | None = None
    shown: bool = True

    @property
    def cost_key(self) -> str:
        """The key under which units of this stage pool their measured costs."""
        return self.kind or self.name


class _Level:
    """A stage being worked through: the current unit, its start, the loop's convergence."""

    def __init__(self, stage: Stage):
        self.stage = stage
        self.index = 0
        self.started: float | None = None  # clock at the start of the running unit
        self.last = False  # the loop said that its latest unit was its last
        self.decades: list[tuple[int, float]] = []  # (unit, convergence distance after it)


class _Cost(NamedTuple):
    """Wall time [s] of one finished unit: its level, number and the unit around it."""

    name: str
    index: int
    parent: tuple[str, int] | None
    seconds: float


class RunProgress:
    """Position, elapsed time and time left of a whole run made of nested units of work.

    Code that runs a loop calls :meth:`begin` at the start of each unit and :meth:`end` after
    it; solves inside report through :meth:`progress` objects, whose lines this run prefixes
    with its position and ends with its own elapsed time and time left.

    Parameters
    ----------
    plan : sequence of Stage
        The top-level stages in the order they run (those not begun yet count in the time
        left); a level begun without a plan is added where it starts.
    quiet : bool
        Print nothing at all.
    stream : text stream
        Where to print (standard error by default).
    every_seconds : float
        Minimum wall time [s] between two update lines (messages always print).
    clock : callable, optional
        Monotonic clock returning seconds (for tests); :func:`time.monotonic` by default.

    Examples
    --------
    >>> run = RunProgress(quiet=True)
    >>> for flow in (1, 2):
    ...     run.begin("flow", flow, count=2)
    ...     seconds = run.end("flow")
    >>> run.status()
    'elapsed 0.0s | left ~0.0s'
    """

    def __init__(self, plan: Sequence[Stage] = (), quiet: bool = False,
                 stream: TextIO | None = None, every_seconds: float = 0.5,
                 clock: Callable[[], float] | None = None):
        self.plan = list(plan)
        self.printer = _Printer(stream, quiet, every_seconds)
        self.clock = clock or time.monotonic
        self._start = self.clock()
        self._stack: list[_Level] = []
        self._top = -1  # position in the plan of the stage at the bottom of the stack
        self._costs: dict[str, list[_Cost]] = {}  # measured units by Stage.cost_key
        self._counts: dict[str, list[int]] = {}  # units run by each finished loop of a name
        self.current: Progress | None = None  # the solve that reported last, in the open unit

    def progress(self, total_tolerance: float | Mapping[str, float],
                 counter: str = "iter") -> Progress:
        """A :class:`Progress` for one solve of this run (see its ``run`` parameter)."""
        return Progress(total_tolerance, counter=counter, run=self)

    # -- the position ---------------------------------------------------------------------------
    def begin(self, name: str, index: int, count: int | None = None, estimated: bool = False,
              limit: int | None = None, kind: str | None = None,
              shown: bool | None = None) -> None:
        """Start unit ``index`` (1-based) of the level ``name`` (a unit of it still running
        ends here).

        The level is found on the stack of open levels (its inner levels close), else as the
        planned inner stage of an open level, else in the plan (the stages before it close),
        else it opens inside the deepest running unit (or as a new top-level stage). Keywords
        given override the planned stage (see :class:`Stage`).
        """
        level = self._open(name)
        self._finish_unit(level)
        changes = {key: value for key, value in (("limit", limit), ("kind", kind),
                                                 ("shown", shown)) if value is not None}
        if count is not None:
            changes.update(count=int(count), estimated=estimated)
        if changes:
            level.stage = replace(level.stage, **changes)
        if index <= level.index:  # the same loop again, from its start
            self._record_count(level)
            level.decades = []
        level.index, level.started, level.last = int(index), self.clock(), False
        self.current = None

    def end(self, name: str, decades: float | None = None, last: bool = False) -> float:
        """End the running unit of the level ``name``; returns its wall time [s].

        Parameters
        ----------
        name : str
            The level.
        decades : float, optional
            How far the loop is from converging after this unit, as ``log10(change /
            tolerance)`` of its slowest quantity (<= 0: converged); its trend estimates how
            many units are left.
        last : bool
            The loop ends with this unit.
        """
        depth = next((d for d, level in enumerate(self._stack) if level.stage.name == name), None)
        if depth is None or self._stack[depth].started is None:
            return 0.0
        level = self._stack[depth]
        self._close(depth + 1)
        seconds = self._finish_unit(level)
        level.last = bool(last)
        if decades is not None and math.isfinite(decades):
            level.decades.append((level.index, float(decades)))
        self.current = None
        return seconds

    def _open(self, name: str) -> _Level:
        for depth, level in enumerate(self._stack):
            if level.stage.name == name:
                self._close(depth + 1)
                return level
        for depth in range(len(self._stack) - 1, -1, -1):
            inner = self._stack[depth].stage.inner
            if inner is not None and inner.name == name:
                self._close(depth + 1)
                return self._push(inner)
        for position, stage in enumerate(self.plan):
            if stage.name == name and position > self._top:
                self._close(0)
                self._top = position
                return self._push(stage)
        running = [d for d, level in enumerate(self._stack) if level.started is not None]
        if running:
            self._close(running[-1] + 1)
        else:
            self._close(0)
            self._top += 1
            self.plan.insert(self._top, Stage(name))
        return self._push(Stage(name))

    def _finish_unit(self, level: _Level) -> float:
        """End the running unit of ``level`` (if any): its wall time [s] joins the costs."""
        if level.started is None:
            return 0.0
        seconds = self.clock() - level.started
        self._costs.setdefault(level.stage.cost_key, []).append(
            _Cost(level.stage.name, level.index, self._parent(level), seconds))
        level.started = None
        return seconds

    def _parent(self, level: _Level) -> tuple[str, int] | None:
        """(name, unit) of the open level around ``level``; None at the top."""
        depth = next((d for d, open_level in enumerate(self._stack) if open_level is level), 0)
        outer = self._stack[depth - 1] if depth > 0 else None
        return None if outer is None else (outer.stage.name, outer.index)

    def _push(self, stage: Stage) -> _Level:
        level = _Level(stage)
        self._stack.append(level)
        return level

    def _close(self, depth: int) -> None:
        """Close the open levels from ``depth`` inwards (a running unit ends), remembering how
        many units each ran."""
        for level in reversed(self._stack[depth:]):
            self._finish_unit(level)
            self._record_count(level)
        del self._stack[depth:]

    def _record_count(self, level: _Level) -> None:
        if level.index > 0:
            self._counts.setdefault(level.stage.name, []).append(level.index)

    # -- the estimates --------------------------------------------------------------------------
    def _learned_count(self, name: str) -> int | None:
        counts = self._counts.get(name)
        return int(math.ceil(np.mean(counts) - 1e-9)) if counts else None

    def _trend_count(self, level: _Level) -> int | None:
        """Units the loop needs from the trend of its convergence distance (>= 2 points)."""
        points = level.decades[-4:]
        if len(points) < 2:
            return None
        slope = np.polyfit([p[0] for p in points], [p[1] for p in points], 1)[0]
        index, distance = points[-1]
        if distance <= 0:
            return index
        return None if slope >= 0 else index + int(math.ceil(distance / -slope - 1e-9))

    def count(self, name: str) -> tuple[int | None, bool]:
        """(units the open level ``name`` will run, whether that is an estimate); the count is
        ``None`` where unknown (or the level is not open)."""
        level = next((level for level in self._stack if level.stage.name == name), None)
        return (None, True) if level is None else self._count(level)

    def _count(self, level: _Level) -> tuple[int | None, bool]:
        stage = level.stage
        if level.last:
            return level.index, False
        if stage.count is not None and not stage.estimated:
            return stage.count, False
        guess = self._trend_count(level)
        if guess is None:
            guess = stage.count if stage.count is not None else self._learned_count(stage.name)
        if guess is None:
            return None, True
        guess = max(guess, level.index + (1 if level.started is None else 0))
        return (min(guess, stage.limit) if stage.limit else guess), True

    def _unit_cost(self, stage: Stage, index: int,
                   parent: tuple[str, int] | None = None) -> float | None:
        """Wall time [s] of unit ``index`` of ``stage`` inside unit ``parent`` (name, unit) of
        the level around it: measured at that unit of earlier loops of the same name in the
        same kind of parent unit (the flow solve of pass 1), else at that unit of any earlier
        loop of the same name, else (a later unit) at the later units of such loops, else at
        any unit of its kind, else the cost of its planned inner units; ``None`` if unknown."""
        measured = self._costs.get(stage.cost_key, [])
        named = [c for c in measured if c.name == stage.name]
        candidates = (
            [c.seconds for c in named if c.index == index and c.parent == parent],
            [c.seconds for c in named if c.index == index],
            [c.seconds for c in named if c.index >= 2] if index >= 2 else [],
            [c.seconds for c in measured])
        for seconds in candidates:
            if seconds:
                return float(np.mean(seconds))
        return self._stage_total(stage.inner) if stage.inner is not None else None

    def _stage_total(self, stage: Stage) -> float | None:
        """Wall time [s] of a whole stage not begun yet; ``None`` if unknown."""
        count = stage.count if stage.count is not None else self._learned_count(stage.name)
        if count is None:
            return None
        costs = [self._unit_cost(stage, index) for index in range(1, count + 1)]
        return None if any(c is None for c in costs) else float(sum(costs))

    def seconds_left(self) -> tuple[float, bool]:
        """(wall time [s] known to be left, whether that is all of it): the running solve's
        own estimate, the remaining units of every open level and the stages still ahead.
        When the second item is False the first is a lower bound."""
        now = self.clock()
        left, complete = 0.0, True

        def add(seconds):
            nonlocal left, complete
            if seconds is None:
                complete = False
            else:
                left += seconds

        for depth in range(len(self._stack) - 1, -1, -1):
            level = self._stack[depth]
            running = level.started is not None
            inner = level.stage.inner
            below = self._stack[depth + 1].stage.name if depth + 1 < len(self._stack) else None
            pending_inner = running and inner is not None and inner.name != below
            if running and below is None and not pending_inner:
                add(self._left_in_unit(level, now))
            if pending_inner:
                add(self._stage_total(inner))
            count, _ = self._count(level)
            if count is None:
                complete = False
                continue
            own = now - level.started + left if running and complete else None
            parent = self._parent(level)
            for index in range(level.index + 1, count + 1):
                cost = self._unit_cost(level.stage, index, parent)
                add(own if cost is None else cost)
        for stage in self.plan[self._top + 1:]:
            add(self._stage_total(stage))
        return left, complete

    def _left_in_unit(self, level: _Level, now: float) -> float | None:
        """Time left [s] in the innermost running unit: the solve's estimate, else the unit's
        measured cost less the time spent."""
        if self.current is not None:
            seconds = self.current.seconds_left()
            if seconds is not None:
                return seconds
        cost = self._unit_cost(level.stage, level.index, self._parent(level))
        spent = now - level.started
        # a unit past its measured cost has no estimate left (not a time left of zero)
        return None if cost is None or spent > cost else cost - spent

    # -- the output -----------------------------------------------------------------------------
    def position(self) -> str:
        """Where the run stands, innermost level first (``"pass 2/~4 | flow 3/4"``); levels of
        one unit are left out."""
        parts = []
        for level in reversed(self._stack):
            if level.index == 0 or not level.stage.shown:
                continue
            count, estimated = self._count(level)
            if count == 1 and not estimated:
                continue
            shown = "" if count is None else f"/{'~' if estimated else ''}{count}"
            parts.append(f"{level.stage.name} {level.index}{shown}")
        return " | ".join(parts)

    def status(self) -> str:
        """``"elapsed 1m16s | left ~3m05s"``: ``~`` an estimate, ``>`` a lower bound (part of
        the work ahead has no estimate yet), ``?`` nothing known."""
        left, complete = self.seconds_left()
        if complete:
            shown = f"~{format_duration(left)}"
        else:
            shown = f">{format_duration(left)}" if left > 0 else "?"
        return f"elapsed {format_duration(self.elapsed)} | left {shown}"

    def line(self, text: str) -> str:
        """``text`` between the run's position and its status."""
        where = self.position()
        return (f"[{where}] " if where else "") + f"{text} | {self.status()}"

    def message(self, text: str) -> None:
        """Print ``text`` on its own line (not throttled; nothing when quiet)."""
        self.printer.message(text)

    @property
    def elapsed(self) -> float:
        """Wall time [s] since the run started."""
        return self.clock() - self._start
