"""The Cartesian non-uniform grid and its generation (snapping to every face, grading,
refinement boxes, cell and memory report)."""

from solver.grid.generation import (
    CONDUCTION_ARRAYS,
    CONJUGATE_FLOW_ARRAYS,
    HOST_ARRAYS_WITH_GPU,
    GridWarning,
    MeshingError,
    format_grid_report,
    generate_grid,
    grid_report,
)
from solver.grid.grid import AXES, Grid

__all__ = [
    "CONDUCTION_ARRAYS", "CONJUGATE_FLOW_ARRAYS", "HOST_ARRAYS_WITH_GPU", "MeshingError",
    "GridWarning", "generate_grid", "grid_report", "format_grid_report", "AXES", "Grid"
]
