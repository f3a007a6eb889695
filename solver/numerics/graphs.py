"""CUDA graphs: device work captured once and replayed by one host operation.

On a GPU every kernel launch costs the host 5-20 us of Python, CuPy and driver time, more than
the kernels of a 100k-cell grid take to run. Work whose launches touch only arrays that live as
long as the graph (nothing allocated inside, every coefficient a device scalar or a constant,
no host synchronisation) can be captured once as a CUDA graph and replayed by one host
operation (PyFR and Oceananigans run their time steps the same way).

:class:`CapturedWork` captures one callable; :class:`GraphedStages` runs the named stages of an
iteration: directly on the host (NumPy), and on a GPU directly the first time after set-up or
:meth:`GraphedStages.invalidate` (lazily made work arrays and compiled kernels come then),
captured the second time, replayed after that.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import numpy as np

from solver.backend import array_namespace


def keep_in_place(store: dict, key: Hashable, value) -> None:
    """``store[key] = value``, written into the array already there when it has the same
    shape and dtype: captured graphs keep reading the arrays they were captured with."""
    old = store.get(key)
    if old is not None and old.shape == value.shape and old.dtype == value.dtype:
        array_namespace(old).copyto(old, value)
    else:
        store[key] = value


class CapturedWork:
    """``work`` captured once as a CUDA graph and replayed by :meth:`launch`.

    The graph runs on a blocking stream: CUDA orders it after the work queued before on the
    legacy default stream (where the rest of the solver runs) and that stream's later work
    after it, so no event is needed. Every array the work touches must outlive the graph and
    nothing inside may allocate or synchronise.
    """

    def __init__(self, xp, work: Callable[[], None]):
        self.stream = xp.cuda.Stream()  # blocking (non_blocking=False)
        with self.stream:
            self.stream.begin_capture()
            work()
            self.graph = self.stream.end_capture()

    def launch(self) -> None:
        """Run the captured work."""
        self.graph.launch(self.stream)


class GraphedStages:
    """Named stages of an iteration, each replayed as a CUDA graph on a GPU.

    Parameters
    ----------
    xp : module
        The array namespace (NumPy: every stage runs directly).
    enabled : bool
        False runs every stage directly on a GPU too (one launch per kernel).
    """

    def __init__(self, xp, enabled: bool = True):
        self.xp = xp
        self.enabled = enabled and xp is not np
        self._graphs: dict[Hashable, CapturedWork] = {}
        self._seen: set[Hashable] = set()

    def run(self, key: Hashable, work: Callable[[], None]) -> None:
        """Run ``work``, the stage ``key`` (a key per variant of the work: the Python branches
        taken inside are fixed in its graph)."""
        if not self.enabled:
            work()
            return
        graph = self._graphs.get(key)
        if graph is None:
            if key not in self._seen:  # the first run makes the lazy arrays
                self._seen.add(key)
                work()
                return
            graph = self._graphs[key] = CapturedWork(self.xp, work)
        graph.launch()

    def discard(self, key: Hashable) -> None:
        """Forget the stage ``key`` (its work now touches other arrays)."""
        self._graphs.pop(key, None)
        self._seen.discard(key)

    def invalidate(self) -> None:
        """Forget every captured graph (after arrays the stages use were replaced)."""
        self._graphs.clear()
        self._seen.clear()

    @property
    def captured(self) -> int:
        """Number of stages held as graphs."""
        return len(self._graphs)
