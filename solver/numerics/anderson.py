"""Anderson acceleration of a fixed-point iteration ``x = G(x)`` (Anderson 1965; the form of
Walker, H. F. & Ni, P. (2011) SIAM J. Numer. Anal. 49:1715-1735): the next iterate combines
the last ``depth`` iterates and their images so that the linearised residual ``G(x) - x`` is
least in the 2-norm. On a linear map it is GMRES in disguise; on the TVD deferred correction
of the energy equation it replaces a slowly contracting relaxation by a Krylov-like one."""

from __future__ import annotations

import numpy as np

from solver.backend import array_namespace, to_host


class AndersonMixing:
    """Mixing state of one fixed-point iteration (arrays of the iterate's shape and backend).

    Parameters
    ----------
    depth : int
        Number of past differences kept (``m``); 0 is plain relaxation.
    relaxation : float
        Damping ``beta`` of the new residual, in (0, 1].
    """

    def __init__(self, depth: int = 5, relaxation: float = 1.0):
        self.depth = int(depth)
        self.relaxation = float(relaxation)
        self.reset()

    def reset(self) -> None:
        """Forget the history (after the map changed character, e.g. a limiter thawed)."""
        self._x = self._f = self._pending = None
        self._dx: list = []
        self._df: list = []

    def update(self, x, image, weight=None):
        """The next iterate from ``x`` and ``image = G(x)`` (new array; neither is modified).

        ``weight`` (optional bool, x's shape): True where the residual counts in the
        least-squares norm; elsewhere (cells without an equation) the next iterate is the
        image itself. One host transfer (:meth:`products` then :meth:`next_iterate`)."""
        products = self.products(x, image, weight)
        xp = array_namespace(x)
        return self.next_iterate(to_host(xp.stack(products)) if products else [])

    def products(self, x, image, weight=None) -> list:
        """Record ``x`` and ``image = G(x)`` (as :meth:`update`) and return the device scalars
        :meth:`next_iterate` needs: the upper triangle of the normal equations' Gram matrix and
        their right side (empty without history), for the caller to copy to the host in one
        transfer with its own scalars."""
        xp = array_namespace(x)
        f = image - x
        if weight is not None:
            f = f * weight
        if self._x is not None and self.depth > 0:
            self._dx.append(x - self._x)
            self._df.append(f - self._f)
            if len(self._dx) > self.depth:
                self._dx.pop(0)
                self._df.pop(0)
        self._x, self._f = x.copy(), f
        self._pending = (x + self.relaxation * f, image, weight)
        rows, columns = np.triu_indices(len(self._df))
        return ([xp.vdot(self._df[i], self._df[j]) for i, j in zip(rows, columns, strict=True)]
                + [xp.vdot(df, f) for df in self._df])

    def next_iterate(self, values):
        """The next iterate from the host values of :meth:`products` (in its order)."""
        xp = array_namespace(self._f)
        new, image, weight = self._pending
        self._pending = None
        m = len(self._df)
        if m:
            values = np.asarray(values, dtype=np.float64)
            rows, columns = np.triu_indices(m)
            gram = np.zeros((m, m))
            gram[rows, columns] = gram[columns, rows] = values[:rows.size]
            right = values[rows.size:]
            # least squares on the small system, singular directions dropped
            gamma = np.linalg.lstsq(gram, right, rcond=1e-12)[0]
            for g, dx, df in zip(gamma, self._dx, self._df, strict=True):
                new -= float(g) * (dx + self.relaxation * df)
        return new if weight is None else xp.where(weight, new, image)
