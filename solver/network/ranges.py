"""Where a network solution reads its component curves beyond their data: cold plates whose flow
lies outside the flows of their dP and R(Q) points, pumps past the last datasheet flow.

A fitted curve is exact only between its points; beyond them the power laws and the quadratic
pump curve are extrapolations that nothing in the data supports. The warnings name how many
components do so, the worst one, its flow and the data range.

Units: m3/s in, L/min in the text.
"""

from __future__ import annotations

import numpy as np

from solver.units import LPM

# [-] relative margin beyond the data before a flow counts as outside (round-off of a flow held
# at a curve point by a control)
MARGIN = 1e-3


def _outside(q: float, low: float, high: float) -> float:
    """How far ``q`` lies outside ``[low, high]``, relative to the nearer end (0 inside)."""
    if q > high * (1.0 + MARGIN):
        return q / high - 1.0
    if q < low * (1.0 - MARGIN):
        return 1.0 - q / low
    return 0.0


def curve_extrapolations(network, volumetric_flow) -> list[str]:
    """Warnings for the cold plates and pumps of ``network`` run beyond their data at the
    branch flows ``volumetric_flow`` [m3/s] (see the module docstring)."""
    flows = np.abs(np.asarray(volumetric_flow, dtype=float))
    plates, pumps = [], []
    for branch, q in zip(network.branches, flows, strict=True):
        if branch.kind == "cold_plate":
            points = [p for p in (*branch.flows, *branch.resistance_flows) if p > 0]
            if len(set(points)) < 2:  # a one-point curve is an extrapolation by declaration
                continue
            low, high = min(points), max(points)
            excess = _outside(q, low, high)
            if excess:
                plates.append((excess, branch.name, q, low, high))
        elif branch.kind == "pump" and branch.running > 0:
            # the affinity laws map the group's flow to one pump at datasheet speed
            q_one = q / (branch.running * branch.speed)
            high = max(branch.flows)
            if q_one > high * (1.0 + MARGIN):
                pumps.append((q_one / high - 1.0, branch.name, q_one, high))
    notes = []
    if plates:
        excess, name, q, low, high = max(plates)
        count = sum(b.kind == "cold_plate" for b in network.branches)
        notes.append(
            f"{len(plates)} of {count} cold plates run outside the flows of their curves' data, "
            f"so their dP and R are extrapolated; farthest {name}: {q * LPM:.3g} L/min against "
            f"data at {low * LPM:.3g}..{high * LPM:.3g} L/min (characterize or measure the "
            "plate over the flows it sees)")
    for excess, name, q_one, high in sorted(pumps, reverse=True):
        notes.append(
            f"pump {name} runs past its datasheet: {q_one * LPM:.4g} L/min per pump at datasheet "
            f"speed against data up to {high * LPM:.4g} L/min ({100 * excess:.0f} % beyond; "
            "the head and efficiency there are extrapolated)")
    return notes


__all__ = ["curve_extrapolations"]
