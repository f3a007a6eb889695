"""Is a cold-plate model adequate for what it is asked? Warnings that ``coolsim check`` prints and
every plate summary carries, each with the number and what to change.

* **Cells across the coolant passages.** For every coolant cell, the fewest cells across the
  passage it lies in: the shortest of its three runs of contiguous coolant cells along x, y and
  z (a channel's width or depth, the gap between two pins), doubled where a run ends on a
  symmetry plane (half a channel modelled). Laminar pressure drop and heat
  transfer in a passage need about four cells across it (a parabolic profile on one or two cells
  is a plug flow: a 0.5 mm channel on one cell gives a third of the laminar pressure drop); the
  warning fires when more than a quarter of the coolant cells have fewer.
* **An inlet applied directly on the ends of separate passages.** When an inlet's faces open
  onto several coolant passages that do not touch there, the boundary condition imposes the same
  velocity on each: the flow split between them is set by the case, not computed (a plate's
  distribution needs its inlet plenum or manifold in the model).
* **Beyond laminar flow.** After the solve: an inlet Reynolds number above 2300, the end of
  laminar duct flow, where the laminar flow model does not hold.

Units: m (lengths), cells (counts).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from solver.boundaries.flow import Inlet, Symmetry
from solver.boundaries.patches import side_axis
from solver.boundaries.ports import port_faces
from solver.boundaries.thermal import face_owners
from solver.setup import boundary_conditions, fluid_cells

MIN_CELLS_ACROSS = 4  # [-] cells across a passage for laminar dP and heat transfer
UNDER_RESOLVED_SHARE = 0.25  # [-] share of coolant cells below that before a warning
LAMINAR_REYNOLDS = 2300  # [-] end of laminar flow in ducts (e.g. Incropera, sec. 8.1.1)


def run_lengths(mask: np.ndarray, axis: int, mirrored=(False, False)) -> np.ndarray:
    """Length [cells] of the run of contiguous True cells along ``axis`` that each True cell
    belongs to (0 where False). ``mirrored``: whether the first and the last layer along
    ``axis`` lie on a symmetry plane, so that a run reaching it continues in its mirror image
    (its length doubles)."""
    moved = np.moveaxis(np.asarray(mask, dtype=bool), axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    before = np.zeros_like(rows)
    before[:, 1:] = rows[:, :-1]
    # a run starts where a True cell follows a False one or a row's start: ids never span rows
    ids = np.where(rows, np.cumsum(rows & ~before).reshape(rows.shape), 0)
    lengths = np.where(rows, np.bincount(ids.ravel())[ids], 0)
    for end, mirror in zip((0, -1), mirrored, strict=True):
        if mirror:
            touching = rows[:, end:end + 1 if end == 0 else None] & (ids == ids[:, [end]])
            lengths = np.where(touching, 2 * lengths, lengths)
    return np.moveaxis(lengths.reshape(moved.shape), -1, axis)


def cells_across(fluid: np.ndarray, mirrored=None) -> np.ndarray:
    """Per coolant cell, the fewest cells across its passage: the shortest of its runs along
    the axes with more than one cell (0 outside the coolant). ``mirrored[axis]``: the
    ``(min, max)`` sides on symmetry planes (see :func:`run_lengths`)."""
    mirrored = mirrored or [(False, False)] * 3
    axes = [a for a in range(3) if fluid.shape[a] > 1]
    runs = np.stack([run_lengths(fluid, a, mirrored[a]) for a in axes])
    return np.where(fluid, runs.min(axis=0), 0)


def symmetry_sides(grid, boundaries) -> list[tuple[bool, bool]]:
    """Per axis, whether its min and max domain sides carry a symmetry boundary."""
    sides = {b.patch.side for b in boundaries
             if isinstance(b, Symmetry) and not b.patch.on_geometry}
    return [(f"{n}_min" in sides, f"{n}_max" in sides) for n in "xyz"]


def inlet_passages(grid, boundaries, fluid: np.ndarray) -> dict[str, int]:
    """Per inlet, the number of separate coolant passages its faces open onto (connected groups
    of the coolant cells inside its faces, 4-connected in the inlet's plane)."""
    out = {}
    for index, b in enumerate(boundaries):
        if not isinstance(b, Inlet):
            continue
        if b.patch.on_geometry:
            axis, _, inner, faces = port_faces(grid, b.patch, fluid)
            layer = faces & np.take(fluid, inner, axis=axis)
        else:
            axis, is_max = side_axis(b.patch.side)
            owned = face_owners(grid, boundaries, b.patch.side, kinds=(Inlet,)) == index
            layer = owned & np.take(fluid, -1 if is_max else 0, axis=axis)
        _, count = ndimage.label(layer)
        out[b.name] = int(count)
    return out


def case_warnings(case, grid, body_ids: np.ndarray) -> list[str]:
    """:func:`plate_warnings` of a plate case on its grid painted with its bodies
    (``coolsim check``, a coupled rack's 3D plates)."""
    return plate_warnings(grid, boundary_conditions(case), fluid_cells(case, body_ids))


def flow_warnings(metrics: dict) -> list[str]:
    """Warnings from a solved plate's flow metrics (``ColdPlate.metrics``): an inlet Reynolds
    number beyond laminar flow in ducts (about 2300), where the laminar model does not hold."""
    reynolds = metrics.get("reynolds_number")
    if reynolds is None or reynolds <= LAMINAR_REYNOLDS:
        return []
    return [f"inlet Reynolds number {reynolds:,.0f} is beyond laminar duct flow (about "
            f"{LAMINAR_REYNOLDS:,}): coolsim's flow model is laminar, so pressure drop and heat "
            "transfer are not to be trusted; check the inlet flow"]


def plate_warnings(grid, boundaries, fluid: np.ndarray) -> list[str]:
    """The adequacy warnings of a cold plate's grid and inlets (see the module docstring)."""
    notes = []
    if not fluid.any():
        return notes
    across = cells_across(fluid, symmetry_sides(grid, boundaries))[fluid]
    short = float(np.mean(across < MIN_CELLS_ACROSS))
    if short > UNDER_RESOLVED_SHARE:
        notes.append(
            f"coolant passages under-resolved: {100 * short:.0f} % of the coolant cells have "
            f"fewer than {MIN_CELLS_ACROSS} cells across their passage (median "
            f"{int(np.median(across))}); laminar pressure drop and heat transfer need about "
            f"{MIN_CELLS_ACROSS}: refine [grid] max_spacing to about a quarter of the narrowest "
            "channel or gap (expect dP too low and R too high until then)")
    for name, count in inlet_passages(grid, boundaries, fluid).items():
        if count > 1:
            notes.append(
                f"inlet '{name}' opens directly onto {count} separate passages: the boundary "
                "condition gives each the same velocity, so their flow split is imposed, not "
                "computed; model the inlet plenum or manifold to see the distribution")
    return notes


__all__ = ["MIN_CELLS_ACROSS", "LAMINAR_REYNOLDS", "run_lengths", "cells_across",
           "symmetry_sides", "inlet_passages", "plate_warnings", "case_warnings",
           "flow_warnings"]
