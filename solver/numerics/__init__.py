"""Numerics shared by the models: 7-point stencils, limiters, the linear solvers, the statistics
of time series (batch means, first crossing of a level) and Foster networks of a plate's thermal
impedance."""

from solver.numerics.foster import FosterNetwork, fit_foster
from solver.numerics.limiters import LIMITERS, minmod, van_leer
from solver.numerics.statistics import MeanEstimate, batch_means, first_crossing
from solver.numerics.stencil import NEIGHBOURS, OFFSETS, Stencil7, along_axis

__all__ = [
    "LIMITERS", "van_leer", "minmod", "NEIGHBOURS", "OFFSETS", "along_axis", "Stencil7",
    "MeanEstimate", "batch_means", "first_crossing", "FosterNetwork", "fit_foster"
]
