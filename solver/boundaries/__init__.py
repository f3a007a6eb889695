"""Boundary conditions on patches: sides of the domain or faces of the geometry (ports);
thermal kinds (fixed temperature, heat flux, convection, adiabatic) and flow kinds (inlet,
outlet, wall, symmetry, moving wall)."""

from solver.boundaries.flow import FLOW_KINDS, KIND_NAMES, Inlet, MovingWall, Outlet, Symmetry, Wall
from solver.boundaries.flow_conditions import FlowConditions, SideConditions
from solver.boundaries.patches import (
    AXIS_OF_SIDE,
    SIDES,
    Boundary,
    FaceValue,
    Patch,
    evaluate_face_value,
    face_centers,
    in_plane_axes,
    side_axis,
    side_shape,
)
from solver.boundaries.ports import port_faces
from solver.boundaries.thermal import (
    THERMAL_KINDS,
    Adiabatic,
    Convection,
    FixedTemperature,
    HeatFlux,
    boundary_names,
    face_owners,
)

__all__ = [
    "Inlet", "Outlet", "Wall", "Symmetry", "FLOW_KINDS", "KIND_NAMES", "MovingWall",
    "SideConditions", "FlowConditions", "SIDES", "AXIS_OF_SIDE", "FaceValue", "side_axis",
    "in_plane_axes", "side_shape", "face_centers", "Patch", "evaluate_face_value", "Boundary",
    "port_faces", "FixedTemperature", "HeatFlux", "Convection", "Adiabatic", "THERMAL_KINDS",
    "boundary_names", "face_owners"
]
