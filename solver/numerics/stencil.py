"""Seven-point finite-volume stencils on the Cartesian grid.

A :class:`Stencil7` is the linear system of a cell-centred finite-volume discretisation written in
the conventional form

    diag[P] * phi[P] - sum_nb  a_nb[P] * phi[nb] = rhs[P]

with one coefficient array per neighbour direction (``x_minus`` couples cell ``i`` to ``i-1``,
``x_plus`` to ``i+1``, and likewise in y and z). Every array has the cell shape ``(nx, ny, nz)``;
coefficients that would reach outside the grid are zero (boundary conditions are folded into
``diag`` and ``rhs`` by the assembling model). Coefficients need not be symmetric: advection makes
``x_plus[i]`` differ from ``x_minus[i+1]``.

All methods run on the stencil's array namespace (NumPy or CuPy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from solver.backend import array_namespace, to_host
from solver.numerics.cuda import THREADS, launch_blocks
from solver.numerics.host_kernels import compiled_kernels

NEIGHBOURS = ("x_minus", "x_plus", "y_minus", "y_plus", "z_minus", "z_plus")


# (axis, offset) of each neighbour direction
OFFSETS = {"x_minus": (0, -1), "x_plus": (0, 1), "y_minus": (1, -1), "y_plus": (1, 1),
           "z_minus": (2, -1), "z_plus": (2, 1)}


def along_axis(axis: int, item) -> tuple:
    """Index tuple selecting ``item`` (an index or a slice) along ``axis`` of a 3-D array and
    everything along the other two axes."""
    index = [slice(None)] * 3
    index[axis] = item
    return tuple(index)


def _slices(axis: int, offset: int):
    """(destination, source) slices that pair each cell with its neighbour at ``offset``."""
    if offset < 0:
        return along_axis(axis, slice(1, None)), along_axis(axis, slice(None, -1))
    return along_axis(axis, slice(None, -1)), along_axis(axis, slice(1, None))


@dataclass
class Stencil7:
    """Seven-point operator ``A`` with ``(A phi)[P] = diag*phi[P] - sum a_nb*phi[nb]``.

    Attributes
    ----------
    diag, x_minus, x_plus, y_minus, y_plus, z_minus, z_plus : array, shape (nx, ny, nz)
        Coefficients (units of the assembled equation, e.g. W/K for heat conduction).
    """

    diag: object
    x_minus: object
    x_plus: object
    y_minus: object
    y_plus: object
    z_minus: object
    z_plus: object

    @classmethod
    def zeros_like(cls, array) -> Stencil7:
        """A stencil of zeros with the shape, dtype and array namespace of ``array``."""
        xp = array_namespace(array)
        return cls(*(xp.zeros_like(array) for _ in range(7)))

    @property
    def shape(self) -> tuple[int, int, int]:
        """Cell shape ``(nx, ny, nz)``."""
        return tuple(self.diag.shape)

    def neighbour(self, name: str):
        """Coefficient array of neighbour direction ``name`` (one of :data:`NEIGHBOURS`)."""
        return getattr(self, name)

    def apply(self, phi, out=None):
        """Return ``A @ phi`` for a cell field ``phi`` (shape ``(nx, ny, nz)``): one
        ``cell_operator`` kernel call (:meth:`_launch`), or :meth:`apply_arrays`."""
        xp = array_namespace(phi)
        if out is None:
            out = xp.empty_like(phi)
        if self._launch(xp, phi, phi, out, residual=0):
            return out
        return self.apply_arrays(phi, out)

    def apply_arrays(self, phi, out):
        """``A @ phi`` into ``out`` by array expressions, for fields of any layout and
        precision (the kernel's NumPy twin: the same operations in the same order)."""
        xp = array_namespace(phi)
        xp.multiply(self.diag, phi, out=out)
        for name in NEIGHBOURS:
            axis, offset = OFFSETS[name]
            dst, src = _slices(axis, offset)
            out[dst] -= self.neighbour(name)[dst] * phi[src]
        return out

    def residual(self, phi, rhs, out=None):
        """Return ``rhs - A @ phi``: one kernel call, or array expressions."""
        xp = array_namespace(phi)
        if out is None:
            out = xp.empty_like(phi)
        if self._launch(xp, phi, rhs, out, residual=1):
            return out
        out = self.apply_arrays(phi, out)
        xp.subtract(rhs, out, out=out)
        return out

    def _launch(self, xp, phi, rhs, out, residual: int) -> bool:
        """Run ``cell_operator`` (kernels/stencil.cu, or its Numba loop on the host) when every
        array has the operator's floating type and is C-contiguous (False otherwise: the
        caller runs the array expressions)."""
        arrays = (self.diag, *(self.neighbour(name) for name in NEIGHBOURS), phi, rhs, out)
        dtype = self.diag.dtype
        if dtype.name not in ("float64", "float32") or not all(
                a.dtype == dtype and a.flags.c_contiguous and a.shape == self.diag.shape
                for a in arrays):
            return False
        nx, ny, nz = self.shape
        compiled_kernels(xp, dtype.name)["cell_operator"](
            launch_blocks(nx * ny * nz), (THREADS,),
            (*arrays, np.int32(nx), np.int32(ny), np.int32(nz), np.int32(residual)))
        return True

    def entry_positions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Where each matrix entry of the operator comes from (host arrays, C-order cell
        numbering): ``rows``, ``cols``, ``source`` (flat index into the coefficients stacked
        as ``diag`` then :data:`NEIGHBOURS`, shape ``(7, nx, ny, nz)``) and ``sign`` (+1 for
        the diagonal, -1 for a neighbour). Couplings beyond the grid are left out."""
        shape = self.shape
        n = int(np.prod(shape))
        index = np.arange(n).reshape(shape)
        rows, cols, source = [index.ravel()], [index.ravel()], [index.ravel()]
        for k, name in enumerate(NEIGHBOURS, start=1):
            axis, offset = OFFSETS[name]
            dst, src = _slices(axis, offset)
            rows.append(index[dst].ravel())
            cols.append(index[src].ravel())
            source.append(k * n + index[dst].ravel())
        sign = np.full(sum(r.size for r in rows), -1.0)
        sign[:n] = 1.0
        return np.concatenate(rows), np.concatenate(cols), np.concatenate(source), sign

    def to_scipy(self) -> sp.csr_matrix:
        """Assemble the operator as a SciPy CSR matrix (host) in C-order cell numbering."""
        n = int(np.prod(self.shape))
        rows, cols, source, sign = self.entry_positions()
        stacked = np.stack([to_host(self.diag), *(to_host(self.neighbour(name))
                                                  for name in NEIGHBOURS)])
        return sp.csr_matrix((stacked.ravel()[source] * sign, (rows, cols)), shape=(n, n))

    def is_symmetric(self, rtol: float = 1e-12) -> bool:
        """True when every coupling equals its transpose (``x_plus[i] == x_minus[i+1]`` etc.)."""
        xp = array_namespace(self.diag)
        scale = float(xp.max(xp.abs(self.diag))) or 1.0
        for minus, plus, axis in (("x_minus", "x_plus", 0), ("y_minus", "y_plus", 1),
                                  ("z_minus", "z_plus", 2)):
            dst, src = _slices(axis, 1)
            diff = self.neighbour(plus)[dst] - self.neighbour(minus)[src]
            if diff.size and float(xp.max(xp.abs(diff))) > rtol * scale:
                return False
        return True
