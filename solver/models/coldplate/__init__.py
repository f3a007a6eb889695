"""The conjugate cold plate: flow on the coolant cells, one temperature field over coolant and
solids, the outer flow-energy loop and its monitors and metrics."""

from solver.models.coldplate.inlet_faces import FluidFacePatch, energy_boundaries
from solver.models.coldplate.model import ColdPlate, ColdPlateResult
from solver.models.coldplate.monitors import (
    CORRECTION_RTOL,
    PROPERTY_TOLERANCE,
    ColdPlateSettings,
    Monitor,
    MonitorSettings,
)

__all__ = [
    "FluidFacePatch", "energy_boundaries", "ColdPlateResult", "ColdPlate", "PROPERTY_TOLERANCE",
    "CORRECTION_RTOL", "MonitorSettings", "ColdPlateSettings", "Monitor"
]
