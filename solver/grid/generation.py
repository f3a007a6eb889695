"""Grid generation: non-uniform tensor-product grids whose lines snap to geometry faces.

:func:`generate_grid` builds each axis independently:

1. **Snap.** The domain ends, every breakpoint inside the domain (body faces from
   :func:`solver.geometry.collect_breakpoints`) and the faces of every refinement box become grid
   lines *exactly* (the coordinates are copied, not recomputed). Breakpoints outside the domain are
   ignored.
2. **Merge.** Breakpoints closer than the merge distance are merged into one line, so no sliver
   cells appear from faces that nearly coincide (rounding in a CAD export, a fin flush with a box
   face up to 1e-15 m). The merge distance is ``min_spacing`` when given, else ``1e-6`` times the
   axis length (0.1 um on a 10 cm plate). The lower coordinate of a cluster is kept (the domain
   ends always are); merges larger than ``1e-6`` x length emit a :class:`GridWarning`.
3. **Cap.** Each interval between consecutive lines has a maximum spacing ``H``: the global
   ``max_spacing``, or the smallest ``max_spacing`` of the refinement boxes overlapping the
   interval along this axis.
4. **Grade.** A spacing field ``h(x) = min(H, e_k + g |x - p_k|)`` over all breakpoints ``p_k``
   with ``g = ln(growth_ratio)`` and ``e_k`` the smaller of the two neighbouring intervals' cap and
   length. In each interval ``n = ceil(integral dx / h)`` cells are placed by equidistributing
   ``integral dx / h`` (the equidistribution principle of adaptive grids, e.g. Thompson, Warsi
   and Mastin, *Numerical Grid Generation*, 1985; here in closed form, ``h`` being piecewise
   linear), so every cell is at most the local cap and neighbours inside an interval differ by
   at most ``growth_ratio`` (geometric cells of ratio ``exp(g c)``, ``c <= 1``). Where a
   breakpoint still sees a larger jump (rounding ``n`` up shrinks one side more than the other),
   its ``e_k`` is lowered to the smaller neighbour cell and the axis rebuilt (each pass is
   vectorised; a row of 500 fins of nearly equal pitch settles in about 0.2 s).

The result is a :class:`~solver.grid.Grid`. :func:`grid_report` summarises cells, spacing,
growth and aspect ratios and an estimate of host and device memory.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from solver.backend import CPU, Backend
from solver.geometry.primitives import AXIS_NAMES, GeometryError
from solver.grid.grid import Grid

#: Cell-sized arrays held by a steady conduction solve (temperature, conductivity, source,
#: 7 stencil coefficients, right-hand side, residual / work), float64 by default.
CONDUCTION_ARRAYS = 12
#: Cell-sized arrays held by a conjugate flow + energy solve (velocities and face fluxes,
#: pressure and correction, momentum coefficients, energy stencil, multigrid hierarchies and
#: Krylov vectors): the peak working set measured by benchmarks/memory.py on
#: cases/coldplate_channels.toml, 1,666 B per cell = 209 float64 values (docs/scaling.md).
CONJUGATE_FLOW_ARRAYS = 209
#: Cell-sized float arrays kept on the host when the fields live on a GPU (output copies).
HOST_ARRAYS_WITH_GPU = 2

_MAX_GRADING_PASSES = 40


class MeshingError(GeometryError):
    """Grid generation inputs are inconsistent (bad bounds, spacing or growth ratio)."""


class GridWarning(UserWarning):
    """Grid generation had to compromise (merged breakpoints, growth ratio not fully met)."""


def _per_axis(value, what: str) -> tuple[float, float, float]:
    array = np.broadcast_to(np.asarray(value, dtype=np.float64), (3,))
    if not np.all(np.isfinite(array)) or np.any(array <= 0):
        raise MeshingError(f"{what} must be > 0 m (one number or one per axis), got {value!r}")
    return tuple(float(v) for v in array)


def _merge(points: np.ndarray, lower: float, upper: float, distance: float, axis: str):
    """Sorted points with neighbours closer than ``distance`` merged (ends kept)."""
    kept = [lower]
    merged = []
    for p in points[1:-1]:
        if p - kept[-1] >= distance:
            kept.append(float(p))
        elif p != kept[-1]:
            merged.append((kept[-1], float(p)))
    if upper - kept[-1] < distance and len(kept) > 1:
        merged.append((upper, kept.pop()))
    kept.append(upper)
    tiny = 1e-6 * (upper - lower)
    real = [(a, b) for a, b in merged if abs(b - a) > tiny]
    if real:
        listed = ", ".join(f"{a:.6g} m (dropped {b:.6g} m)" for a, b in real[:5])
        warnings.warn(f"{axis}: {len(real)} breakpoints closer than the merge distance "
                      f"{distance:.3g} m to a kept line were dropped; kept {listed}; thin layers "
                      "between them are not resolved", GridWarning, stacklevel=3)
    return np.array(kept)


def _interval_faces(points: np.ndarray, caps: np.ndarray, alpha: np.ndarray, beta: np.ndarray,
                    slope: float) -> np.ndarray:
    """All faces of an axis, equidistributing ``integral ds / h(s)`` in every interval.

    In interval ``k`` (local coordinate ``s`` from 0 to ``L_k``) the spacing field is
    ``h(s) = min(H_k, alpha_k + g s, beta_k + g (L_k - s))``: rising, constant and falling pieces,
    integrated and inverted in closed form. Vectorised over intervals and faces.
    """
    g = slope
    L, H = np.diff(points), caps
    s_cross = np.clip((beta + g * L - alpha) / (2 * g), 0.0, L)
    s1 = np.clip(np.minimum((H - alpha) / g, s_cross), 0.0, L)
    s2 = np.clip(np.maximum(L - (H - beta) / g, s_cross), 0.0, L)
    # integral of 1/h up to the end of the rising piece, of the constant piece, and in total
    f1 = np.log1p(g * s1 / alpha) / g
    f2 = f1 + np.maximum(s2 - s1, 0.0) / H
    top = beta + g * (L - s2)
    total = f2 + np.log(top / beta) / g
    n = np.maximum(1, np.ceil(total * (1 - 1e-12))).astype(np.int64)
    # inner faces i = 1 .. n-1 of every interval, at integral value t = i * total / n
    k = np.repeat(np.arange(L.size), n - 1)
    i = np.arange(k.size) - np.repeat(np.cumsum(n - 1) - (n - 1), n - 1) + 1
    t = i * (total / n)[k]
    a, b, Lk, Hk = alpha[k], beta[k], L[k], H[k]
    # each piece evaluated only over its own range of t (no overflow in the unused branches)
    rising = a * np.expm1(g * np.minimum(t, f1[k])) / g
    constant = s1[k] + (np.clip(t, f1[k], f2[k]) - f1[k]) * Hk
    falling = Lk - (top[k] * np.exp(-g * np.maximum(t - f2[k], 0.0)) - b) / g
    s = np.where(t <= f1[k], rising, np.where(t <= f2[k], constant, falling))
    inner = points[k] + np.clip(s, 0.0, Lk)
    # interleave: each interval's start point followed by its inner faces, then the last point
    faces = np.empty(points.size + k.size)
    starts = np.cumsum(np.concatenate([[0], n[:-1]]))
    faces[starts] = points[:-1]
    faces[np.setdiff1d(np.arange(faces.size - 1), starts)] = inner
    faces[-1] = points[-1]
    return faces


def _axis_faces(points: np.ndarray, caps: np.ndarray, growth_ratio: float, min_spacing: float,
                axis: str) -> np.ndarray:
    """Graded faces through the snapped ``points`` with per-interval maximum spacing ``caps``."""
    lengths = np.diff(points)
    g = math.log(growth_ratio)
    limits = np.minimum(caps, lengths)
    end_size = np.empty(points.size)
    end_size[0], end_size[-1] = limits[0], limits[-1]
    end_size[1:-1] = np.minimum(limits[:-1], limits[1:])
    for _ in range(_MAX_GRADING_PASSES + 4 * points.size):
        # lowest cone e_j + g |x - p_j| at each interval's start (from the left, j <= k) and at
        # its end (from the right, j >= k + 1), capped by the interval's maximum spacing
        from_left = g * points + np.minimum.accumulate(end_size - g * points)
        from_right = np.minimum.accumulate((end_size + g * points)[::-1])[::-1] - g * points
        alpha = np.minimum(from_left[:-1], caps)
        beta = np.minimum(from_right[1:], caps)
        faces = _interval_faces(points, caps, alpha, beta, g)
        widths = np.diff(faces)
        # the cells on either side of every interior breakpoint
        at = np.searchsorted(faces, points[1:-1])
        left, right = widths[at - 1], widths[at]
        jump = np.maximum(left / right, right / left)
        bad = jump > growth_ratio * (1 + 1e-9)
        if not np.any(bad):
            return faces
        lowered = np.maximum(np.minimum(left, right)[bad], min_spacing)
        if np.all(lowered >= end_size[1:-1][bad]):
            break
        end_size[1:-1][bad] = np.minimum(end_size[1:-1][bad], lowered)
    worst = int(np.argmax(jump))
    warnings.warn(f"{axis}: growth ratio {growth_ratio} not met at breakpoint "
                  f"{points[1 + worst]:.6g} m (adjacent cells differ by {jump[worst]:.3g}x); "
                  "the breakpoints there are too close for the ratio", GridWarning, stacklevel=3)
    return faces


def generate_grid(bounds, breakpoints: Sequence[Sequence[float]] = ((), (), ()),
                  max_spacing=1e-3, refinements: Sequence = (), growth_ratio: float = 1.3,
                  min_spacing: float | None = None, backend: Backend = CPU,
                  dtype=np.float64) -> Grid:
    """Non-uniform Cartesian grid snapped to breakpoints, with spacing limits and grading.

    Parameters
    ----------
    bounds : ((x0, x1), (y0, y1), (z0, z1))
        Domain extent [m].
    breakpoints : three sequences of float
        Coordinates [m] per axis that must be grid lines (e.g. from
        :func:`solver.geometry.collect_breakpoints`); points outside the domain are ignored.
    max_spacing : float or (3,) float
        Largest cell size [m] away from refinement boxes (one value or one per axis).
    refinements : sequence of (box_min, box_max, max_spacing)
        Boxes [m] inside which cells are at most ``max_spacing`` [m] (float or per-axis). Their
        faces become grid lines; along each axis the smallest spacing of the boxes overlapping an
        interval applies to that interval (so the refinement extends along grid lines through the
        whole domain, as in any tensor-product grid).
    growth_ratio : float
        Largest ratio of neighbouring cell sizes, > 1 (1.3 by default; 1.1-1.2 for flow).
    min_spacing : float, optional
        Breakpoints closer than this [m] are merged, so no cell is thinner (default: merge only
        below 1e-6 x axis length).
    backend : Backend
        Where fields on the grid will live.
    dtype : numpy dtype
        Field precision.

    Returns
    -------
    Grid

    Raises
    ------
    MeshingError
        Empty domain, non-positive spacing, or ``growth_ratio <= 1``.

    Warns
    -----
    GridWarning
        Breakpoints merged, or the growth ratio could not be met next to very close breakpoints.
    """
    bounds = np.asarray(bounds, dtype=np.float64)
    if (bounds.shape != (3, 2) or not np.all(np.isfinite(bounds))
            or np.any(bounds[:, 1] <= bounds[:, 0])):
        raise MeshingError(f"bounds must be ((x0, x1), (y0, y1), (z0, z1)) with x1 > x0 etc. [m], "
                           f"got {bounds.tolist()}")
    if not growth_ratio > 1.0:
        raise MeshingError(f"growth_ratio must be > 1, got {growth_ratio!r}")
    spacing = _per_axis(max_spacing, "max_spacing")
    if min_spacing is not None and not min_spacing > 0:
        raise MeshingError(f"min_spacing must be > 0 m, got {min_spacing!r}")
    if min_spacing is not None and min_spacing > min(spacing):
        raise MeshingError(f"min_spacing {min_spacing:.6g} m exceeds max_spacing "
                           f"{min(spacing):.6g} m")
    boxes = []
    for entry in refinements:
        box_min, box_max, box_spacing = entry
        box_min, box_max = np.asarray(box_min, float), np.asarray(box_max, float)
        if box_min.shape != (3,) or box_max.shape != (3,) or np.any(box_max <= box_min):
            raise MeshingError(f"refinement box needs min < max along every axis [m], got "
                               f"{box_min.tolist()} .. {box_max.tolist()}")
        boxes.append((box_min, box_max, _per_axis(box_spacing, "refinement max_spacing")))
    if len(breakpoints) != 3:
        raise MeshingError("breakpoints must hold one sequence per axis (x, y, z)")

    faces = []
    for a in range(3):
        lower, upper = bounds[a]
        length = upper - lower
        candidates = [np.asarray(breakpoints[a], dtype=np.float64).ravel(), [lower, upper]]
        candidates += [[b[0][a], b[1][a]] for b in boxes]
        points = np.unique(np.concatenate(candidates))
        points = points[(points >= lower) & (points <= upper)]
        distance = min_spacing if min_spacing is not None else 1e-6 * length
        points = _merge(points, lower, upper, distance, AXIS_NAMES[a])
        # per-interval cap: global spacing or the finest overlapping refinement box
        caps = np.full(points.size - 1, spacing[a])
        for box_min, box_max, box_spacing in boxes:
            overlap = (box_min[a] < points[1:]) & (box_max[a] > points[:-1])
            caps[overlap] = np.minimum(caps[overlap], box_spacing[a])
        faces.append(_axis_faces(points, caps, growth_ratio, distance, AXIS_NAMES[a]))
    return Grid(*faces, backend=backend, dtype=dtype)


def grid_report(grid: Grid, arrays_per_cell: int = CONDUCTION_ARRAYS) -> dict:
    """Size, quality and memory estimate of a grid, printed before solving.

    Parameters
    ----------
    grid : Grid
    arrays_per_cell : int
        Number of cell-sized floating-point arrays the solve holds: :data:`CONDUCTION_ARRAYS`
        (12, steady conduction) or :data:`CONJUGATE_FLOW_ARRAYS` (209, conjugate flow). Each costs
        ``grid.dtype.itemsize`` bytes per cell (8 for float64); one int32 material id per cell is
        added.

    Returns
    -------
    dict
        ``cells``, ``shape``, ``min_spacing_m``, ``max_spacing_m``, ``max_growth_ratio``,
        ``max_aspect_ratio``, ``arrays_per_cell``, ``host_memory_mb``, ``device_memory_mb``
        (MB = 1e6 bytes), ``backend``, ``dtype`` and ``line`` (one readable line). With a GPU
        backend the fields are on the device and the host keeps the ids and
        :data:`HOST_ARRAYS_WITH_GPU` output copies; on the CPU everything is host memory.
    """
    n = grid.n_cells
    field_bytes = arrays_per_cell * n * grid.dtype.itemsize + 4 * n
    if grid.backend.is_gpu:
        device = field_bytes
        host = HOST_ARRAYS_WITH_GPU * n * grid.dtype.itemsize + 4 * n
    else:
        device, host = 0, field_bytes
    widths = np.concatenate(grid.widths)
    report = {
        "cells": n,
        "shape": list(grid.shape),
        "min_spacing_m": float(widths.min()),
        "max_spacing_m": float(widths.max()),
        "max_growth_ratio": grid.max_growth_ratio(),
        "max_aspect_ratio": grid.max_aspect_ratio(),
        "arrays_per_cell": int(arrays_per_cell),
        "host_memory_mb": host / 1e6,
        "device_memory_mb": device / 1e6,
        "backend": grid.backend.name,
        "dtype": str(grid.dtype),
    }
    report["line"] = format_grid_report(report)
    return report


def format_grid_report(report: dict) -> str:
    """One readable line from :func:`grid_report`'s dictionary."""
    nx, ny, nz = report["shape"]
    return (f"grid {nx} x {ny} x {nz} = {report['cells']:,} cells; spacing "
            f"{report['min_spacing_m'] * 1e3:.4g}..{report['max_spacing_m'] * 1e3:.4g} mm; "
            f"max growth {report['max_growth_ratio']:.3g}, max aspect "
            f"{report['max_aspect_ratio']:.3g}; memory ~{report['host_memory_mb']:.1f} MB host, "
            f"{report['device_memory_mb']:.1f} MB device ({report['arrays_per_cell']} arrays of "
            f"{report['dtype']} per cell, {report['backend']})")
