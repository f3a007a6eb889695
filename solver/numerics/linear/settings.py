"""Settings and reports of a linear solve: method, tolerances, cycle and smoother choice;
per-solve and per-level information."""

from __future__ import annotations

from dataclasses import dataclass

METHODS = ("pcg", "bicgstab", "fgmres", "multigrid")


GMRES_RESTART = 20  # Krylov vectors per FGMRES cycle (2 x 21 arrays of the grid's size)


SMOOTHERS = ("auto", "point")


CYCLES = ("k", "v")


MAX_COARSEST = 2048  # cells; the coarsest level is solved with a dense inverse


# an axis gets line smoothing where at least LINE_FRACTION of the cells couple LINE_RATIO times
# more strongly along it than along the other axes
LINE_RATIO = 4.0


LINE_FRACTION = 0.05


@dataclass(frozen=True)
class LinearSolve:
    """Settings of one linear solve (a frozen value object, echoed into result metadata).

    Parameters
    ----------
    method : {"pcg", "bicgstab", "fgmres", "multigrid"}
        Multigrid-preconditioned flexible CG (symmetric systems), multigrid-preconditioned
        BiCGStab or flexible GMRES (non-symmetric systems; FGMRES never breaks down and its
        residual never grows, at the price of 2 x 21 stored vectors) or stationary multigrid
        cycles (each correction scaled to minimise the residual).
    rtol : float
        Stop when ``||r|| <= max(rtol * ||r0||, atol)`` (Euclidean norms of ``rhs - A x``).
    atol : float
        Absolute residual tolerance, in the units of the assembled equation (e.g. W).
    max_iterations : int
        Maximum Krylov iterations (or cycles for ``"multigrid"``).
    pre_sweeps, post_sweeps : int
        Gauss-Seidel sweeps (point or line) before and after the coarse-grid correction.
    coarsest_size : int
        Stop coarsening when a level has at most this many cells (at most 2048); it is solved
        directly (banded LU on the CPU, dense inverse on a GPU).
    anisotropy_threshold : float
        An axis is coarsened only where its mean coupling is at least this fraction of the
        strongest axis' coupling (semi-coarsening for thin layers and stretched cells).
    smoother : {"auto", "point"}
        ``"auto"``: red-black point Gauss-Seidel, replaced on a level by zebra line
        Gauss-Seidel along each axis where cells couple much more strongly (thin layers,
        stretched cells); ``"point"``: always point smoothing.
    cycle : {"k", "v"}
        ``"k"``: K-cycle, the coarse-grid problem of every intermediate level is solved by two
        Krylov steps preconditioned by that level's cycle (level-independent convergence with
        coefficient jumps); ``"v"``: plain V-cycle (one recursive call per level).
    check_every : int or None
        Bring the residual norm to the host (a device synchronisation on the GPU) only every
        this many iterations; the history then holds one entry per check. ``None``: every
        iteration on the CPU; on a GPU at most 4 apart, sooner when the measured convergence
        rate predicts the tolerance is met before then.
    gpu_check_schedule : bool
        Check the residual on the CPU as on a GPU (with ``check_every=None``: at most 4
        iterations apart, the first check planned from the last solve's convergence factor, the
        caller's :class:`CarriedValues` brought with the last check), so that both backends
        make the same iterations and agree to round-off: the flow's pressure correction sets it.
    cuda_graph : bool
        On a GPU, capture the preconditioning cycle of a hierarchy as a CUDA graph the first
        time it runs and replay it afterwards: one host operation per cycle instead of one per
        kernel launch. No effect on the CPU.
    """

    method: str = "pcg"
    rtol: float = 1e-8
    atol: float = 0.0
    max_iterations: int = 200
    pre_sweeps: int = 2
    post_sweeps: int = 2
    coarsest_size: int = 1024
    anisotropy_threshold: float = 0.25
    check_every: int | None = None
    gpu_check_schedule: bool = False
    smoother: str = "auto"
    cycle: str = "k"
    cuda_graph: bool = True

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.smoother not in SMOOTHERS:
            raise ValueError(f"smoother must be one of {SMOOTHERS}, got {self.smoother!r}")
        if self.cycle not in CYCLES:
            raise ValueError(f"cycle must be one of {CYCLES}, got {self.cycle!r}")
        if self.rtol < 0 or self.atol < 0:
            raise ValueError("rtol and atol must be non-negative")
        if self.max_iterations < 1 or (self.check_every is not None and self.check_every < 1):
            raise ValueError("max_iterations and check_every must be at least 1")
        if self.pre_sweeps < 0 or self.post_sweeps < 0 or self.pre_sweeps + self.post_sweeps < 1:
            raise ValueError("smoothing sweeps must be non-negative and not both zero")
        if not 1 <= self.coarsest_size <= MAX_COARSEST:
            raise ValueError(f"coarsest_size must be between 1 and {MAX_COARSEST}")


class CarriedValues:
    """What a caller shares with a solve on a GPU to save host synchronisations.

    ``device``: a 1-D array of the caller's values that travels to the host with the solve's
    final residual norm, in one transfer: the solve fills slot 0 with the squared final norm
    (and slot 1 with its own use); after the solve ``host`` holds the copy of the whole array.
    ``initial_squared``: the squared norm of the right-hand side when the caller already
    brought it to the host (the initial residual of a solve from zero), so the first residual
    check can be planned from ``expected_factor``, the convergence factor per iteration the
    last solve of the same operator reached. ``initial_slot``: instead, the slot of ``device``
    where the caller left the squared norm of the right-hand side on the device; it travels
    with the first residual check, which is planned from ``expected_factor`` and the relative
    tolerance alone (so no transfer precedes the solve).
    """

    def __init__(self, device, initial_squared: float | None = None,
                 initial_slot: int | None = None):
        self.device = device
        self.host = None
        self.initial_squared = initial_squared
        self.initial_slot = initial_slot
        self.expected_factor = None


@dataclass(frozen=True)
class SolveInfo:
    """Outcome of a linear solve.

    Attributes
    ----------
    method : str
        The method that ran.
    iterations : int
        Krylov iterations (or multigrid cycles) performed.
    converged : bool
        True when the tolerance was met.
    initial_residual, final_residual : float
        Euclidean norm of ``rhs - A x`` at the start and at the end (equation units).
    relative_residual : float
        ``final_residual / initial_residual`` (0 when the initial residual is 0).
    convergence_factor : float
        Averaged residual reduction per iteration ``relative_residual ** (1 / iterations)``.
    seconds : float
        Wall-clock time of the solve, including the multigrid set-up when it was built here.
    """

    method: str
    iterations: int
    converged: bool
    initial_residual: float
    final_residual: float
    relative_residual: float
    convergence_factor: float
    seconds: float


@dataclass(frozen=True)
class LevelInfo:
    """Description of one multigrid level (for reports and tests).

    Attributes
    ----------
    shape : tuple of int
        Cells per axis.
    coarsening : tuple of int
        Aggregation factor per axis towards the next level ((1, 1, 1) on the coarsest).
    cells : int
        Number of cells.
    line_axes : tuple of int
        Axes smoothed by line Gauss-Seidel on this level (empty: point smoothing).
    """

    shape: tuple[int, int, int]
    coarsening: tuple[int, int, int]
    cells: int
    line_axes: tuple[int, ...] = ()
