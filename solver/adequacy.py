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
* **Cells stretched across a passage.** For every coolant cell, the ratio of its two edges
  across its passage (the passage runs along the axis of the cell's longest run of coolant
  cells); the warning fires above 10. The velocity profile across a channel is two-dimensional,
  and cells should be near cubes where the flow is multi-dimensional, while cells stretched
  along a straight passage, where the developed flow is nearly one-dimensional, are normal
  practice (ANSYS, *Introduction to ANSYS Fluent*, lecture "Mesh quality": "cell aspect ratio
  should be near one where flow is multi-dimensional; quad/hex cells can be stretched where
  flow is fully developed and essentially one-dimensional"); stretching along the passage is
  therefore not flagged (a grid study is the check there). The bound of 10 is coolsim's:
  one order of magnitude between the two directions of one cross-section.
* **Cell sizes that jump.** The largest ratio of the widths of two neighbouring coolant cells
  along an axis; the warning fires above 1.3. The truncation error of a central difference
  on a grid expanding by ``r`` has a first-order term proportional to ``(r - 1) h``
  (Ferziger & Peric, *Computational Methods for Fluid Dynamics*, 3rd ed., sec. 3.3.4), and
  the Fluent lecture above asks for changes in spacing below 20 % (``r`` < 1.2); 1.3 is the
  usual upper bound and the coarsest ``[grid] growth_ratio`` coolsim's examples use.
* **Beyond laminar flow.** After the solve: an inlet Reynolds number above 2300, the end of
  laminar duct flow, where the laminar flow model does not hold.
* **A steady solve that did not converge.** After the solve: stopped at its iteration limits,
  with what to look at (residuals that wander point at a flow with no single steady state: a
  recirculation reaching an outlet, merging jets; ``mode = "time_averaged"`` runs it in time).
* **Beyond the coolant's property data.** After the solve: the inlet, outlet and hottest
  coolant-cell (wall) temperatures against the range over which the coolant's property
  correlations hold (``Coolant.valid_range``: from the mixture's freezing point to 100 C for
  water and the glycols). A rack's network loops already stop with an error outside that range
  (:func:`solver.network.solve.check_fluid_ranges`); its 3D plates are checked here.
* **Plates run at another power than characterized.** A rack's plate curves R(Q) come from 3D
  solves at the plate case's chip power. R = (T_case - T_inlet)/P depends on the power only
  through the temperature dependence of the coolant's viscosity and conductivity and of the
  solids' conductivity (the conduction is otherwise linear), so a plate group run at a power
  more than 10 % away from it (at the design point, or in a ``power_scale`` scenario) is
  flagged: the curve is then used outside the conditions it was measured at.
* **Grid-study status** (a status line, not a warning): whether the case states a
  grid-convergence study (``[grid] study``) and its result.

Units: m (lengths), K (temperatures), W (powers), cells (counts).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from solver.boundaries.flow import Inlet, Symmetry
from solver.boundaries.patches import side_axis
from solver.boundaries.ports import port_faces
from solver.boundaries.thermal import face_owners
from solver.setup import boundary_conditions, fluid_cells
from solver.units import ZERO_CELSIUS

MIN_CELLS_ACROSS = 4  # [-] cells across a passage for laminar dP and heat transfer
UNDER_RESOLVED_SHARE = 0.25  # [-] share of coolant cells below that before a warning
LAMINAR_REYNOLDS = 2300  # [-] end of laminar flow in ducts (e.g. Incropera, sec. 8.1.1)
MAX_CROSS_ASPECT = 10.0  # [-] ratio of a coolant cell's two edges across its passage
MAX_GROWTH = 1.3  # [-] ratio of the widths of neighbouring coolant cells
POWER_TOLERANCE = 0.10  # [-] relative power difference from the characterization's


def run_lengths(mask: np.ndarray, axis: int, mirrored=(False, False),
                widths=None) -> np.ndarray:
    """Length of the run of contiguous True cells along ``axis`` that each True cell belongs
    to (0 where False): in cells, or in metres given the cell ``widths`` [m] along ``axis``.
    ``mirrored``: whether the first and the last layer along ``axis`` lie on a symmetry plane,
    so that a run reaching it continues in its mirror image (its length doubles)."""
    moved = np.moveaxis(np.asarray(mask, dtype=bool), axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    before = np.zeros_like(rows)
    before[:, 1:] = rows[:, :-1]
    # a run starts where a True cell follows a False one or a row's start: ids never span rows
    ids = np.where(rows, np.cumsum(rows & ~before).reshape(rows.shape), 0)
    weights = None if widths is None else np.broadcast_to(np.asarray(widths), rows.shape)
    lengths = np.where(rows, np.bincount(ids.ravel(), weights=(
        None if weights is None else weights.ravel()))[ids], 0)
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


def passage_axes(grid, fluid: np.ndarray, mirrored=None) -> np.ndarray:
    """Per coolant cell, the axis (0, 1, 2) its passage runs along: that of its longest run of
    contiguous coolant cells, in metres on ``grid`` (-1 outside the coolant). ``mirrored``: see
    :func:`cells_across`."""
    mirrored = mirrored or [(False, False)] * 3
    runs = np.stack([run_lengths(fluid, a, mirrored[a], grid.widths[a]) if fluid.shape[a] > 1
                     else np.zeros(fluid.shape) for a in range(3)])
    return np.where(fluid, np.argmax(runs, axis=0), -1)


def cross_aspect_ratios(grid, fluid: np.ndarray, mirrored=None) -> np.ndarray:
    """Per coolant cell, the ratio [-] of its larger to its smaller edge across its passage
    (the two axes other than :func:`passage_axes`; 1 where only one of them has more than one
    cell, 0 outside the coolant)."""
    widths = np.stack(np.meshgrid(*grid.widths, indexing="ij"))
    along = passage_axes(grid, fluid, mirrored)
    ratio = np.ones(fluid.shape)
    for axis in range(3):
        others = [a for a in range(3) if a != axis and fluid.shape[a] > 1]
        if len(others) == 2:
            a, b = widths[others[0]], widths[others[1]]
            ratio = np.where(along == axis, np.maximum(a, b) / np.minimum(a, b), ratio)
    return np.where(fluid, ratio, 0.0)


def coolant_growth(grid, fluid: np.ndarray) -> tuple[float, int, tuple]:
    """The largest ratio [-] of the widths of two neighbouring coolant cells along an axis, that
    axis and the centre [m] of the smaller cell of the pair ((1.0, -1, ()) without a pair)."""
    worst = (1.0, -1, ())
    for axis, w in enumerate(grid.widths):
        if w.size < 2:
            continue
        ratio = np.maximum(w[1:] / w[:-1], w[:-1] / w[1:])
        lower = np.take(fluid, np.arange(w.size - 1), axis=axis)
        upper = np.take(fluid, np.arange(1, w.size), axis=axis)
        shape = [1, 1, 1]
        shape[axis] = ratio.size
        pairs = np.where(lower & upper, ratio.reshape(shape), 0.0)
        if pairs.max() > worst[0]:
            index = list(np.unravel_index(np.argmax(pairs), pairs.shape))
            index[axis] += int(w[index[axis] + 1] < w[index[axis]])
            where = tuple(float(c[i]) for c, i in zip(grid.centers, index, strict=True))
            worst = (float(pairs.max()), axis, where)
    return worst


def _millimetres(point) -> str:
    """A point [m] as text in mm."""
    return "(" + ", ".join(f"{1e3 * c:.3g}" for c in point) + ") mm"


def mesh_quality_warnings(grid, fluid: np.ndarray, mirrored=None) -> list[str]:
    """Warnings on the shape of the coolant cells: stretched across their passage (above
    :data:`MAX_CROSS_ASPECT`) and sizes that jump between neighbours (above
    :data:`MAX_GROWTH`); see the module docstring."""
    notes = []
    aspect = cross_aspect_ratios(grid, fluid, mirrored)
    if aspect.max() > MAX_CROSS_ASPECT * (1 + 1e-9):
        share = float(np.mean(aspect[fluid] > MAX_CROSS_ASPECT * (1 + 1e-9)))
        worst = np.unravel_index(np.argmax(aspect), aspect.shape)
        where = tuple(float(c[i]) for c, i in zip(grid.centers, worst, strict=True))
        notes.append(
            f"coolant cells stretched across their passage: edge ratio up to "
            f"{aspect.max():.3g} across the flow (limit {MAX_CROSS_ASPECT:g}; "
            f"{100 * share:.0f} % of the coolant cells above it; worst at x, y, z = "
            f"{_millimetres(where)}); the cross-section of the flow is resolved unevenly: set "
            "[grid] max_spacing per axis (x, y, z) so that the cells across each channel or gap "
            f"are within {MAX_CROSS_ASPECT:g}:1")
    ratio, axis, where = coolant_growth(grid, fluid)
    if ratio > MAX_GROWTH * (1 + 1e-9):
        notes.append(
            f"coolant cell sizes jump by {ratio:.3g} between neighbours along "
            f"{'xyz'[axis]} at x, y, z = {_millimetres(where)} (limit {MAX_GROWTH:g}): the "
            "discretization error grows with the jump; lower [grid] growth_ratio (1.2 is usual "
            "for flow) or add a [[grid.refine]] box so that the size changes gradually")
    return notes


def case_warnings(case, grid, body_ids: np.ndarray) -> list[str]:
    """:func:`plate_warnings` of a plate case on its grid painted with its bodies
    (``coolsim check``, a coupled rack's 3D plates)."""
    return plate_warnings(grid, boundary_conditions(case), fluid_cells(case, body_ids))


def coolant_range_warnings(coolant, temperatures: dict) -> list[str]:
    """Warnings for the temperatures [K] (``{what: value}``, e.g. inlet, outlet, hottest
    coolant cell) that lie outside the range of ``coolant``'s property correlations
    (``valid_range``); one warning naming each of them."""
    low, high = getattr(coolant, "valid_range", (0.0, np.inf))
    outside = {what: t for what, t in temperatures.items()
               if t is not None and not low <= t <= high}
    if not outside:
        return []
    name = getattr(coolant, "name", "coolant")
    met = ", ".join(f"{what} {t - ZERO_CELSIUS:.1f} C" for what, t in outside.items())
    return [f"coolant {name} runs outside the range of its property data "
            f"({low - ZERO_CELSIUS:.1f} C to {high - ZERO_CELSIUS:.1f} C): {met}; density, "
            "viscosity and conductivity there are extrapolated (and the coolant may freeze or "
            "boil): raise the flow or lower the inlet temperature, or use a coolant whose data "
            "cover these temperatures"]


def solved_plate_warnings(case, body_ids: np.ndarray, temperature: np.ndarray,
                          metrics: dict) -> list[str]:
    """The warnings of a solved plate: :func:`flow_warnings` and :func:`coolant_range_warnings`
    of its inlet, outlet and hottest coolant-cell temperatures (``temperature`` [K] on the
    host, ``metrics`` of ``ColdPlate.metrics``)."""
    fluid = fluid_cells(case, body_ids)
    hottest = float(np.max(temperature[fluid])) if fluid.any() else None
    return [*flow_warnings(metrics), *coolant_range_warnings(case.coolant_material(), {
        "inlet": metrics.get("inlet_temperature_K"),
        "outlet": metrics.get("outlet_temperature_K"),
        "hottest coolant cell (at a wall)": hottest})]


def characterized_power_warnings(rack_case, plate_cases: dict) -> list[str]:
    """Warnings for a rack's plate groups whose power differs by more than
    :data:`POWER_TOLERANCE` from the chip power their 3D case is characterized at, at the
    design point or in a ``power_scale`` scenario (``plate_cases``: group -> plate case)."""
    notes = []
    scales = {s.name: s.factor for s in rack_case.scenarios if s.kind == "power_scale"}
    for group in rack_case.network.rack.plates:
        plate_case = plate_cases.get(group.name)
        if plate_case is None:
            continue
        characterized = sum(chip.power for chip in plate_case.chips)
        runs = {"the design point": group.power,
                **{f"scenario '{n}'": group.power * f for n, f in scales.items()}}
        far = {where: p for where, p in runs.items()
               if characterized > 0 and abs(p / characterized - 1) > POWER_TOLERANCE}
        if far:
            met = ", ".join(f"{p:,.0f} W at {where}" for where, p in far.items())
            notes.append(
                f"plates of group '{group.name}' run at {met}, but their R(Q) curve was "
                f"characterized at {characterized:,.0f} W ({plate_case.name}): R changes with "
                "power only through temperature-dependent properties, so the curve-based "
                "plates there are an extrapolation; characterize at that power (the chip power "
                "in the plate case) to check")
    return notes


def grid_study_status(case) -> str:
    """One line: the grid-convergence study the case states (``[grid] study``), or that none
    is stated and how to make one."""
    study = getattr(case.grid, "study", None)
    if study:
        return f"grid study: {study}"
    return ("no grid study stated ([grid] study): solve the plate on three grids refined by "
            "about 1.3-1.5x and state the GCI (benchmarks/coldplate_grid_study.py does it for "
            "cases/coldplate_channels.toml)")


def flow_warnings(metrics: dict) -> list[str]:
    """Warnings from a solved plate's flow metrics (``ColdPlate.metrics``): an inlet Reynolds
    number beyond laminar flow in ducts (about 2300), where the laminar model does not hold."""
    reynolds = metrics.get("reynolds_number")
    if reynolds is None or reynolds <= LAMINAR_REYNOLDS:
        return []
    return [f"inlet Reynolds number {reynolds:,.0f} is beyond laminar duct flow (about "
            f"{LAMINAR_REYNOLDS:,}): coolsim's flow model is laminar, so pressure drop and heat "
            "transfer are not to be trusted; check the inlet flow"]


def unconverged_flow_warning(metrics: dict) -> str:
    """The warning of a steady plate solve that stopped at its iteration limits (``metrics`` of
    ``ColdPlate.metrics``): its results carry an unknown iteration error, and a residual that
    wanders rather than falls points at a flow with no single steady state."""
    facts = [f"continuity residual {metrics['continuity_residual']:.1e}"
             if metrics.get("continuity_residual") is not None else None,
             f"{metrics['flow_iterations']} flow iterations"
             if metrics.get("flow_iterations") is not None else None]
    shown = ", ".join(f for f in facts if f)
    return (f"the steady solve stopped at its iteration limits without converging"
            f"{f' ({shown})' if shown else ''}: pressure drop, R and "
            "temperatures carry an unknown iteration error. If the residuals wander rather "
            "than fall (history.csv, images/convergence.png), the flow may be unsteady or have "
            "several nearly steady states (a recirculation reaching an outlet, merging jets): "
            "run it in time with [solver.flow] mode = \"time_averaged\" "
            "(docs/flow_methods.md), or, where passages are only 2 cells across, try "
            "[solver.flow] wall_gradient = \"linear\" (docs/coldplate.md, wall shear); if "
            "they still fall, raise [solver.flow] max_iterations or [solver.nonlinear] "
            "max_iterations")


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
    notes += mesh_quality_warnings(grid, fluid, symmetry_sides(grid, boundaries))
    for name, count in inlet_passages(grid, boundaries, fluid).items():
        if count > 1:
            notes.append(
                f"inlet '{name}' opens directly onto {count} separate passages: the boundary "
                "condition gives each the same velocity, so their flow split is imposed, not "
                "computed; model the inlet plenum or manifold to see the distribution")
    return notes


__all__ = ["MIN_CELLS_ACROSS", "LAMINAR_REYNOLDS", "MAX_CROSS_ASPECT", "MAX_GROWTH",
           "POWER_TOLERANCE", "run_lengths", "cells_across", "symmetry_sides", "inlet_passages",
           "passage_axes", "cross_aspect_ratios", "coolant_growth", "mesh_quality_warnings",
           "plate_warnings", "case_warnings", "flow_warnings", "coolant_range_warnings",
           "solved_plate_warnings", "unconverged_flow_warning", "characterized_power_warnings",
           "grid_study_status"]
