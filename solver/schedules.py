"""Quantities that change in time: chip power, inlet or facility temperature, flow, pump speed.

A schedule maps a time ``t`` [s] to a value in SI units (W, K, kg/s, ...). Each one also lists its
*breakpoints*, the times where the value jumps or its slope changes, so that a time integrator can
land a step exactly on them (a power step taken in the middle of a time step would be smeared
over it). Schedules are immutable and compare by value.

Kinds
-----
* :class:`Constant` ``value``
* :class:`Step` ``before`` until ``time``, ``after`` from then on
* :class:`Ramp` ``start_value`` until ``start``, linear to ``end_value`` over ``duration``
* :class:`Table` piecewise linear through ``(times, values)``, held constant outside;
  :class:`Sampled` the same for a signal sampled by another simulation (no breakpoints)
* :class:`SquareWave` ``low`` and ``high`` alternating with ``period``: high for ``duty *
  period`` at the start of each period from ``start`` on (a training job's compute /
  checkpoint pattern), ``low`` before ``start``

Every schedule is scaled by a plain number (``2 * schedule``), which the case layer uses to turn a
unit-free profile into watts, and evaluates on arrays of times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class Schedule:
    """Base of the time functions: ``schedule(t)`` [SI], ``breakpoints(t_end)`` [s]."""

    def __call__(self, t):
        """Value at time ``t`` [s] (a float for a float, an array for an array)."""
        return self.evaluate(np.asarray(t, dtype=float))[()] if np.ndim(t) else float(
            self.evaluate(np.asarray(float(t))))

    def evaluate(self, t: np.ndarray) -> np.ndarray:
        """Values at the times ``t`` [s] (array in, array out)."""
        raise NotImplementedError

    def breakpoints(self, t_end: float) -> tuple[float, ...]:
        """Times in ``(0, t_end]`` [s] where the value jumps or its slope changes."""
        return ()

    def is_constant(self) -> bool:
        """True when the value never changes."""
        return False

    def extremes(self, t_end: float) -> tuple[float, float]:
        """Lowest and highest value over ``[0, t_end]`` [s]: at the ends and on both sides of
        every breakpoint (between breakpoints every schedule is constant or linear)."""
        near = [max(b - 1e-9 * t_end, 0.0) for b in self.breakpoints(t_end)]
        values = self.evaluate(np.array([0.0, t_end, *self.breakpoints(t_end), *near]))
        return float(values.min()), float(values.max())

    def __mul__(self, factor: float) -> Schedule:
        return Scaled(self, float(factor))

    __rmul__ = __mul__

    def describe(self) -> dict:
        """The schedule as plain data (for summaries)."""
        return {"kind": type(self).__name__.lower(), **self.__dict__}


def _within(times, t_end: float) -> tuple[float, ...]:
    return tuple(sorted({float(t) for t in times if 0.0 < t <= t_end}))


@dataclass(frozen=True)
class Constant(Schedule):
    """A value that never changes."""

    value: float

    def evaluate(self, t):
        return np.full_like(t, self.value, dtype=float)

    def is_constant(self):
        return True


@dataclass(frozen=True)
class Step(Schedule):
    """``before`` for ``t < time``, ``after`` from ``time`` [s] on."""

    before: float
    after: float
    time: float = 0.0

    def evaluate(self, t):
        return np.where(t < self.time, self.before, self.after).astype(float)

    def breakpoints(self, t_end):
        return _within([self.time], t_end)


@dataclass(frozen=True)
class Ramp(Schedule):
    """``start_value`` until ``start`` [s], linear to ``end_value`` over ``duration`` [s]."""

    start_value: float
    end_value: float
    start: float = 0.0
    duration: float = 1.0

    def __post_init__(self):
        if not self.duration > 0.0:
            raise ValueError(f"a ramp needs a duration > 0 s, got {self.duration}")

    def evaluate(self, t):
        fraction = np.clip((t - self.start) / self.duration, 0.0, 1.0)
        return self.start_value + fraction * (self.end_value - self.start_value)

    def breakpoints(self, t_end):
        return _within([self.start, self.start + self.duration], t_end)


@dataclass(frozen=True)
class Table(Schedule):
    """Piecewise linear through ``times`` [s] (strictly increasing) and ``values``; the first and
    last values hold before and after the table."""

    times: tuple
    values: tuple

    def __post_init__(self):
        times = tuple(float(t) for t in self.times)
        values = tuple(float(v) for v in self.values)
        if len(times) != len(values) or not times:
            raise ValueError("a table needs as many times as values, at least one")
        if any(b <= a for a, b in zip(times, times[1:], strict=False)):
            raise ValueError("table times must increase strictly")
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "values", values)

    def evaluate(self, t):
        return np.interp(t, self.times, self.values)

    def breakpoints(self, t_end):
        return _within(self.times, t_end)

    def is_constant(self):
        return len(set(self.values)) == 1


class Sampled(Table):
    """A signal sampled by another simulation (a plate's inlet temperature in the network run),
    piecewise linear through its samples: the samples are no breakpoints (steps need not land on
    them, nor restart there)."""

    def breakpoints(self, t_end):
        return ()


@dataclass(frozen=True)
class SquareWave(Schedule):
    """``high`` for the first ``duty * period`` of each ``period`` [s] from ``start`` [s] on,
    ``low`` for the rest and before ``start``."""

    low: float
    high: float
    period: float
    duty: float = 0.5
    start: float = 0.0

    def __post_init__(self):
        if not self.period > 0.0 or not 0.0 < self.duty < 1.0:
            raise ValueError(f"a square wave needs period > 0 s and 0 < duty < 1, got "
                             f"period {self.period}, duty {self.duty}")

    def evaluate(self, t):
        phase = np.mod(t - self.start, self.period)
        high = (t >= self.start) & (phase < self.duty * self.period)
        return np.where(high, self.high, self.low).astype(float)

    def breakpoints(self, t_end):
        if t_end < self.start:
            return ()
        cycles = int(np.floor((t_end - self.start) / self.period)) + 1
        starts = self.start + self.period * np.arange(cycles)
        return _within(np.concatenate([starts, starts + self.duty * self.period]), t_end)


@dataclass(frozen=True)
class Scaled(Schedule):
    """``factor`` times another schedule."""

    schedule: Schedule
    factor: float

    def evaluate(self, t):
        return self.factor * self.schedule.evaluate(t)

    def breakpoints(self, t_end):
        return self.schedule.breakpoints(t_end)

    def is_constant(self):
        return self.schedule.is_constant()

    def describe(self):
        return {**self.schedule.describe(), "factor": self.factor}


def as_schedule(value) -> Schedule:
    """A schedule as is; a number as :class:`Constant`."""
    return value if isinstance(value, Schedule) else Constant(float(value))


def breakpoints(schedules, t_end: float) -> tuple[float, ...]:
    """Sorted union of the breakpoints [s] of ``schedules`` in ``(0, t_end]``."""
    return _within([t for s in schedules for t in as_schedule(s).breakpoints(t_end)], t_end)
