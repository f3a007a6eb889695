"""A multigrid hierarchy kept across a sequence of operators that share one sparsity pattern
and change their coefficients in place, such as the pressure correction of successive outer
iterations: set up once, then updated (:meth:`Multigrid.update`), and set up again only when
the kept structure converges clearly slower than it did after its set-up."""

from __future__ import annotations

from solver.numerics.linear.multigrid import Multigrid
from solver.numerics.linear.settings import LinearSolve
from solver.numerics.stencil import Stencil7

SETUP_SLOWDOWN = 1.5  # a new set-up when a solve needs this many times the first's iterations


class ReusedMultigrid:
    """Set-up policy of a hierarchy for operators that change in place.

    The aggregation and smoothing axes chosen at set-up follow the couplings' character
    (thin layers, advection), which changes slowly between outer iterations; the coefficients
    are refreshed every time. A new set-up is made when a solve needs more than
    ``SETUP_SLOWDOWN`` times (and at least one more than) the iterations of the first solve
    after the last set-up.
    """

    def __init__(self, settings: LinearSolve):
        self.settings = settings
        self.multigrid: Multigrid | None = None
        self._first_iterations = None  # of the first solve after the last set-up
        self._last_factor = None  # convergence factor of the last solve
        self._setup_due = False

    def prepare(self, stencil: Stencil7) -> Multigrid:
        """The hierarchy for ``stencil`` (new, or the kept one updated when ``stencil`` is the
        operator it was built for, changed in place)."""
        if not self.reuses(stencil):
            self.multigrid = Multigrid(stencil, self.settings)
            self._first_iterations = None
        else:
            self.multigrid.update()
        return self.multigrid

    def reuses(self, stencil: Stencil7) -> bool:
        """True when :meth:`prepare` would update the kept hierarchy for ``stencil`` (then
        ``multigrid.update()`` may be called instead)."""
        return not (self.multigrid is None or self._setup_due
                    or self.multigrid.stencil is not stencil)

    @property
    def setup_due(self) -> bool:
        """True when the next :meth:`prepare` makes a new hierarchy (the last solve converged
        too slowly for the kept one)."""
        return self._setup_due

    @property
    def stencil(self) -> Stencil7:
        """The operator of the prepared hierarchy."""
        return self.multigrid.stencil

    def solve(self, rhs, x0=None, settings: LinearSolve | None = None, residuals=None,
              carry=None, out=None):
        """Solve with the prepared hierarchy (from ``x0``, zero by default; ``settings`` override
        the hierarchy's; ``carry``: values brought to the host with the final norm; ``out``:
        where to write the solution, a new array when omitted); returns ``(x, SolveInfo)``."""
        if carry is not None:
            carry.expected_factor = self._last_factor
        x, info = self.multigrid.solve(rhs, x0, settings, residuals, carry, out)
        self._last_factor = info.convergence_factor
        if self._first_iterations is None:
            self._first_iterations = info.iterations
        self._setup_due = info.iterations > max(SETUP_SLOWDOWN * self._first_iterations,
                                                self._first_iterations + 1)
        return x, info

    def state(self) -> dict:
        """The set-up policy's counters: ``first_iterations`` (None before a solve),
        ``setup_due`` and ``last_factor``, the last solve's convergence factor, from which a
        solve checking as on a GPU plans its first residual check (None before a solve; for
        a restart, :meth:`load_state`)."""
        return {"first_iterations": self._first_iterations, "setup_due": self._setup_due,
                "last_factor": self._last_factor}

    def load_state(self, state: dict) -> None:
        """Take back the counters of :meth:`state` (after :meth:`prepare` built the hierarchy
        a restart continues with; a missing ``last_factor``, as older checkpoints have, is
        None)."""
        first = state["first_iterations"]
        self._first_iterations = None if first is None else int(first)
        self._setup_due = bool(state["setup_due"])
        factor = state.get("last_factor")
        self._last_factor = None if factor is None else float(factor)

    def counters(self) -> tuple:
        """What a solve changes in the set-up policy (first iterations, set-up due, the last
        convergence factor), for :meth:`restore_counters` after a solve that is discarded."""
        return self._first_iterations, self._setup_due, self._last_factor

    def restore_counters(self, counters: tuple) -> None:
        """Take back the :meth:`counters` of before a discarded solve."""
        self._first_iterations, self._setup_due, self._last_factor = counters

    def reset(self) -> None:
        """Forget the hierarchy: the next :meth:`prepare` sets up a new one."""
        self.multigrid = None
