"""Slope limiters of the bounded second-order (TVD) convection schemes, shared by the flow and
energy equations.

Each takes the array namespace ``xp`` and two one-sided slopes (or differences) of the same
shape and returns the limited slope, zero where the two disagree in sign (a local extremum).
"""

from __future__ import annotations

LIMITERS = ("van_leer", "minmod")


def van_leer(xp, upwind, central):
    """Van Leer limiter: the harmonic mean ``2 a b / (a + b)`` of the two slopes where they agree
    in sign, else zero."""
    product = upwind * central
    same = product > 0.0
    return xp.where(same, 2.0 * product / xp.where(same, upwind + central, 1.0), 0.0)


def minmod(xp, upwind, central):
    """Minmod limiter: the slope of smaller magnitude where the two agree in sign, else zero."""
    same = upwind * central > 0.0
    return xp.where(same, xp.sign(central) * xp.minimum(xp.abs(upwind), xp.abs(central)), 0.0)
