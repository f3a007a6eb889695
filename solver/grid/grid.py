"""Tensor-product non-uniform Cartesian grid of hexahedral cells.

Invariant: along each axis the face coordinates are strictly increasing; cell ``i`` spans
``faces[i] .. faces[i+1]`` and its centre is the midpoint. All lengths are in metres. Cell-centred
fields have shape ``(nx, ny, nz)`` and index order ``[i, j, k]`` = ``[x, y, z]``.

The grid carries the :class:`~solver.backend.Backend` and the floating-point ``dtype``; every
array-producing method returns arrays on that backend. Coordinates themselves are kept on the host
(they are small) and mirrored to the device on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from solver.backend import CPU, Backend

AXES = ("x", "y", "z")


@dataclass(frozen=True, eq=False)
class Grid:
    """Non-uniform Cartesian grid.

    Parameters
    ----------
    x_faces, y_faces, z_faces : array_like
        Face coordinates along each axis [m], strictly increasing, at least two each.
    backend : Backend
        Where fields on this grid live.
    dtype : numpy dtype
        Floating-point precision of fields (float64 by default).
    """

    x_faces: np.ndarray
    y_faces: np.ndarray
    z_faces: np.ndarray
    backend: Backend = field(default=CPU)
    dtype: np.dtype = field(default=np.dtype(np.float64))

    def __post_init__(self):
        for name in ("x_faces", "y_faces", "z_faces"):
            faces = np.asarray(getattr(self, name), dtype=np.float64)
            if faces.ndim != 1 or faces.size < 2:
                raise ValueError(f"{name} needs at least two coordinates")
            if not np.all(np.diff(faces) > 0):
                raise ValueError(f"{name} must be strictly increasing")
            object.__setattr__(self, name, faces)
        object.__setattr__(self, "dtype", np.dtype(self.dtype))

    @classmethod
    def uniform(cls, lengths, shape, origin=(0.0, 0.0, 0.0), backend: Backend = CPU,
                dtype=np.float64) -> Grid:
        """Uniform grid of ``shape`` cells over a box of ``lengths`` [m] starting at ``origin``."""
        faces = [o + np.linspace(0.0, L, n + 1)
                 for o, L, n in zip(origin, lengths, shape, strict=True)]
        return cls(*faces, backend=backend, dtype=dtype)

    # -- host-side geometry -------------------------------------------------------------------
    @property
    def faces(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Face coordinates per axis [m] (host arrays)."""
        return (self.x_faces, self.y_faces, self.z_faces)

    @cached_property
    def centers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cell-centre coordinates per axis [m] (host arrays)."""
        return tuple(0.5 * (f[1:] + f[:-1]) for f in self.faces)

    @cached_property
    def widths(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Cell widths per axis [m] (host arrays)."""
        return tuple(np.diff(f) for f in self.faces)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Number of cells per axis."""
        return tuple(f.size - 1 for f in self.faces)

    @property
    def n_cells(self) -> int:
        """Total number of cells."""
        nx, ny, nz = self.shape
        return nx * ny * nz

    @property
    def bounds(self) -> tuple[tuple[float, float], ...]:
        """Domain extent per axis ``((x0, x1), (y0, y1), (z0, z1))`` [m]."""
        return tuple((float(f[0]), float(f[-1])) for f in self.faces)

    def center_distances(self, axis: int) -> np.ndarray:
        """Distances between adjacent cell centres along ``axis`` [m], shape ``(n-1,)``."""
        return np.diff(self.centers[axis])

    def max_growth_ratio(self) -> float:
        """Largest ratio of adjacent cell widths along any axis."""
        ratios = [np.max(np.maximum(w[1:] / w[:-1], w[:-1] / w[1:]))
                  for w in self.widths if w.size > 1]
        return float(max(ratios)) if ratios else 1.0

    def max_aspect_ratio(self) -> float:
        """Largest cell aspect ratio (longest over shortest side of one cell).

        On a tensor grid the worst cell pairs the widest cell along one axis with the narrowest
        along another: ``max over a != b of max(w_a) / min(w_b)``.
        """
        w = self.widths
        return float(max(w[a].max() / w[b].min() for a in range(3) for b in range(3) if a != b))

    def locate(self, axis: int, coordinate: float) -> int:
        """Index of the cell along ``axis`` containing ``coordinate`` [m] (clipped to the grid)."""
        i = int(np.searchsorted(self.faces[axis], coordinate, side="right")) - 1
        return min(max(i, 0), self.shape[axis] - 1)

    # -- device-side arrays (uploaded once, kept: callers must not modify them) -------------
    def _broadcast(self, values: np.ndarray, axis: int):
        shape = [1, 1, 1]
        shape[axis] = values.size
        return self.backend.asarray(values.reshape(shape), dtype=self.dtype)

    @cached_property
    def _device_widths(self) -> tuple:
        return tuple(self._broadcast(w, axis) for axis, w in enumerate(self.widths))

    @cached_property
    def _device_node_spacings(self) -> tuple:
        return tuple(self._broadcast(np.diff(np.concatenate([f[:1], c, f[-1:]])), axis)
                     for axis, (f, c) in enumerate(zip(self.faces, self.centers, strict=True)))

    def width_array(self, axis: int):
        """Cell widths along ``axis`` as a broadcastable backend array [m] (kept on the
        device: do not modify)."""
        return self._device_widths[axis]

    def node_spacing_array(self, axis: int):
        """Distances [m] between adjacent nodes along ``axis``, the nodes being the first face,
        every cell centre and the last face (``n + 1`` values), as a broadcastable backend
        array (kept on the device: do not modify)."""
        return self._device_node_spacings[axis]

    def cell_volumes(self):
        """Cell volumes [m^3], shape ``(nx, ny, nz)``, on the backend."""
        return self.width_array(0) * self.width_array(1) * self.width_array(2)

    def face_areas(self, axis: int):
        """Areas [m^2] of the faces normal to ``axis``, broadcastable against cell arrays.

        The result has extent 1 along ``axis`` (every face in a column has the same area).
        """
        others = [a for a in range(3) if a != axis]
        return self.width_array(others[0]) * self.width_array(others[1])

    def zeros(self, shape=None):
        """Backend array of zeros with the grid's dtype (cell shape by default)."""
        return self.backend.xp.zeros(self.shape if shape is None else shape, dtype=self.dtype)

    def full(self, value: float, shape=None):
        """Backend array filled with ``value`` (cell shape by default)."""
        return self.backend.xp.full(self.shape if shape is None else shape, value, dtype=self.dtype)

    def with_backend(self, backend: Backend) -> Grid:
        """The same grid with fields on another backend."""
        return Grid(*self.faces, backend=backend, dtype=self.dtype)

    # -- reporting ----------------------------------------------------------------------------
    def memory_estimate(self, arrays_per_cell: int) -> int:
        """Bytes needed by ``arrays_per_cell`` cell-sized arrays of the grid's dtype."""
        return int(arrays_per_cell * self.n_cells * self.dtype.itemsize)

    def describe(self) -> dict:
        """Metadata recorded in ``summary.json``: shape, cells, extent and spacing statistics."""
        return {
            "shape": list(self.shape),
            "cells": self.n_cells,
            "bounds_m": [list(b) for b in self.bounds],
            "min_spacing_m": [float(w.min()) for w in self.widths],
            "max_spacing_m": [float(w.max()) for w in self.widths],
            "max_growth_ratio": self.max_growth_ratio(),
            "max_aspect_ratio": self.max_aspect_ratio(),
            "dtype": str(self.dtype),
        }
