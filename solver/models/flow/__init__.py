"""Steady incompressible laminar flow on the staggered grid: settings, solution, momentum,
pressure correction and the SIMPLEC/SIMPLE loop."""

from solver.models.flow.momentum import Component
from solver.models.flow.settings import ALGORITHMS, CONVECTION_SCHEMES, FlowSettings
from solver.models.flow.simplec import FlowSolver, solve_flow
from solver.models.flow.solution import DivergenceError, FlowResiduals, FlowSolution, cell_velocity
from solver.models.flow.staggered import INTERIOR, half_widths, pad_edge, pad_zero

__all__ = [
    "Component", "CONVECTION_SCHEMES", "ALGORITHMS", "FlowSettings", "FlowSolver", "solve_flow",
    "DivergenceError", "FlowResiduals", "FlowSolution", "cell_velocity", "INTERIOR",
    "half_widths", "pad_edge", "pad_zero"
]
