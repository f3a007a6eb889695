"""Progress of long iterative solves: iteration, residuals, elapsed time and time left.

One line at most every ``every_seconds``. In a terminal the line is rewritten in place (carriage
return); in logs and CI (stream not a TTY) each update is a plain line. The time left is
estimated by fitting ``log10(residual / tolerance)`` of the slowest-converging residual against the
iteration number over the recent history and extrapolating to zero; it shows ``?`` until at least
a few iterations show a decreasing trend.

Residuals must be host floats: on the GPU, report on a schedule (every few cycles) so the device
is not synchronised every iteration.
"""

from __future__ import annotations

import math
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import TextIO

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

    Examples
    --------
    >>> progress = Progress(1e-8, quiet=True)
    >>> for iteration in range(1, 4):
    ...     progress.update(iteration, {"energy": 10.0 ** -iteration})
    >>> progress.done("converged")
    """

    def __init__(self, total_tolerance: float | Mapping[str, float], quiet: bool = False,
                 stream: TextIO | None = None, every_seconds: float = 0.5, window: int = 50,
                 clock: Callable[[], float] | None = None, counter: str = "iter"):
        self.tolerance = total_tolerance
        self.counter = counter
        self.quiet = quiet
        self.stream = sys.stderr if stream is None else stream
        self.every_seconds = float(every_seconds)
        self._clock = clock or time.monotonic
        self._start = self._clock()
        self._last_print: float | None = None
        self._history: deque[tuple[int, float, float]] = deque(maxlen=max(3, window))
        self._fraction: tuple[float, float] | None = None
        self.records: list[dict[str, float]] = []
        self._last_line = ""
        self._width = 0
        self._pending = False
        isatty = getattr(self.stream, "isatty", None)
        self.interactive = bool(isatty and isatty())

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
        slope = np.polyfit(iterations, distance, 1)[0]  # decades per iteration
        if distance[-1] <= 0:
            return 0.0
        if slope >= 0:
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
        parts.append(f"elapsed {format_duration(elapsed)}")
        parts.append(f"left {format_duration(self.seconds_left())}")
        return "  ".join(parts)

    def _emit(self, line: str, final: bool = False) -> None:
        if self.interactive:
            padding = " " * max(0, self._width - len(line))
            self.stream.write("\r" + line + padding + ("\n" if final else ""))
            self._width = 0 if final else len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

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
            self._fraction = (min(max(float(fraction), 0.0), 1.0), now - self._start)
        self._history.append((int(iteration), self._distance(residuals), now))
        self.records.append({"iteration": int(iteration), "elapsed": now - self._start,
                             **{name: float(v) for name, v in residuals.items()},
                             **{name: float(v) for name, v in (monitors or {}).items()}})
        if self.quiet:
            return
        self._last_line = self._line(iteration, residuals, monitors, now - self._start)
        if self._last_print is None or now - self._last_print >= self.every_seconds:
            self._emit(self._last_line)
            self._last_print = now
            self._pending = False
        else:
            self._pending = True

    def message(self, text: str) -> None:
        """Print a message on its own line without disturbing the progress line."""
        if self.quiet:
            return
        if self.interactive and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0
        self.stream.write(text + "\n")
        self.stream.flush()

    def done(self, message: str = "") -> None:
        """Print the latest state (if not yet shown), finish the line, then ``message``.

        Parameters
        ----------
        message : str
            Closing message, e.g. ``"converged in 42 iterations"``; the elapsed time is appended.
        """
        if self.quiet:
            return
        if self._pending or (self.interactive and self._width):
            self._emit(self._last_line, final=True)
        self._pending = False
        if message:
            elapsed = format_duration(self._clock() - self._start)
            self.stream.write(f"{message} ({elapsed})\n")
            self.stream.flush()

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
