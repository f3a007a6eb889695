"""Linear solvers: cell-centred aggregation multigrid (coarsening, smoothers with CUDA
kernels and NumPy twins) preconditioning Krylov methods (PCG, BiCGStab, FGMRES)."""

from solver.numerics.linear.coarsening import AXIS_PAIRS, choose_factors, coarsen_stencil
from solver.numerics.linear.cuda import (
    KERNEL_FILE,
    THREADS,
    cuda_kernels,
    cuda_source,
    launch_blocks,
)
from solver.numerics.linear.krylov import run_krylov
from solver.numerics.linear.multigrid import DotProduct, Level, Multigrid, solve
from solver.numerics.linear.settings import (
    CYCLES,
    GMRES_RESTART,
    LINE_FRACTION,
    LINE_RATIO,
    MAX_COARSEST,
    METHODS,
    SMOOTHERS,
    LevelInfo,
    LinearSolve,
    SolveInfo,
)
from solver.numerics.linear.smoothers import (
    SHIFTS,
    LineSmoother,
    PointSmoother,
    TridiagonalLines,
    shifted,
    strong_line_axes,
)

__all__ = [
    "AXIS_PAIRS", "coarsen_stencil", "choose_factors", "KERNEL_FILE", "THREADS", "cuda_source",
    "cuda_kernels", "launch_blocks", "run_krylov", "Level", "DotProduct", "Multigrid", "solve",
    "METHODS", "GMRES_RESTART", "SMOOTHERS", "CYCLES", "MAX_COARSEST", "LINE_RATIO",
    "LINE_FRACTION", "LinearSolve", "SolveInfo", "LevelInfo", "SHIFTS", "shifted",
    "PointSmoother", "TridiagonalLines", "LineSmoother", "strong_line_axes"
]
