"""Numerics shared by the models: 7-point stencils, limiters, the linear solvers, and the
statistics of time series (batch means)."""

from solver.numerics.limiters import LIMITERS, minmod, van_leer
from solver.numerics.statistics import MeanEstimate, batch_means
from solver.numerics.stencil import NEIGHBOURS, OFFSETS, Stencil7, along_axis

__all__ = [
    "LIMITERS", "van_leer", "minmod", "NEIGHBOURS", "OFFSETS", "along_axis", "Stencil7",
    "MeanEstimate", "batch_means"
]
