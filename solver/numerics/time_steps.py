"""Time-step sequences of transient runs: fixed, or growing geometrically from a small first
step, restarted at every breakpoint (a power step, a pump trip) and landing exactly on each.

A step response spans decades: the die heats within milliseconds, the plate and the coolant
within seconds to minutes. Steps that grow by a constant factor put the same number of steps in
every decade, which is what a thermal impedance curve ``Z_th(t)`` on a log time axis needs.
"""

from __future__ import annotations

from dataclasses import dataclass

SLIVER = 0.25  # a step that would leave less than this fraction of itself before a breakpoint
#                stretches to the breakpoint instead


@dataclass(frozen=True)
class TimeSteps:
    """Time steps from 0 to ``end``.

    Parameters
    ----------
    end : float
        [s] end of the run.
    initial : float
        [s] first step, and the step after each breakpoint.
    maximum : float or None
        [s] largest step; ``None`` keeps ``initial`` (fixed steps).
    growth : float
        Factor from one step to the next (>= 1; 1 gives fixed steps); with a ``tolerance``, the
        largest such factor.
    tolerance : float or None
        [K] local error allowed per step: the step size then follows the error estimate (steps
        above it are taken again, shorter), between ``initial`` after a breakpoint and
        ``maximum``.
    """

    end: float
    initial: float
    maximum: float | None = None
    growth: float = 1.0
    tolerance: float | None = None

    def __post_init__(self):
        if not self.end > 0.0 or not self.initial > 0.0:
            raise ValueError(f"time steps need end > 0 s and initial > 0 s, got end {self.end}, "
                             f"initial {self.initial}")
        if self.growth < 1.0:
            raise ValueError(f"time-step growth must be >= 1, got {self.growth}")
        if self.tolerance is not None and not self.tolerance > 0.0:
            raise ValueError(f"the step error tolerance must be > 0 K, got {self.tolerance}")
        if self.maximum is not None and self.maximum < self.initial:
            raise ValueError(f"the largest time step ({self.maximum} s) is below the first "
                             f"({self.initial} s)")

    @property
    def largest(self) -> float:
        """[s] the largest step."""
        return self.initial if self.maximum is None else self.maximum

    def next_step(self, time: float, previous: float | None, breakpoints=(),
                  proposed: float | None = None) -> float:
        """[s] the step from ``time`` [s]: ``proposed`` (by an error controller) or ``previous``
        grown, capped at the largest step; ``initial`` when ``time`` is a breakpoint (or the
        start: a jump needs small steps again); shortened to land on the next breakpoint or the
        end."""
        at_break = previous is None or any(abs(time - b) <= 1e-12 * max(1.0, b)
                                           for b in breakpoints)
        if at_break:
            # (an error controller may have asked for less: a step taken again)
            step = self.initial if proposed is None else min(self.initial, proposed)
        else:
            step = min(previous * self.growth if proposed is None else proposed, self.largest)
        targets = [b for b in breakpoints if b > time * (1 + 1e-12) + 1e-300] + [self.end]
        gap = min(targets) - time
        return gap if gap - step < SLIVER * step else step

    def count(self, breakpoints=(), start: float = 0.0) -> int:
        """Number of steps the run will take from ``start`` [s]."""
        time, step, n = start, None, 0
        while time < self.end * (1 - 1e-12):
            step = self.next_step(time, step, breakpoints)
            time += step
            n += 1
        return n
