"""Geometry: primitives, strip and pin arrays, mesh solids, and painting bodies onto the grid."""

from solver.geometry.mesh import MeshSolid, TriangleSurface, read_surface
from solver.geometry.painting import (
    Body,
    body_mask,
    collect_breakpoints,
    material_index_for,
    paint,
    painted_volumes,
)
from solver.geometry.pins import PinFinArray
from solver.geometry.primitives import (
    AXIS_NAMES,
    BaseBody,
    Box,
    Cylinder,
    GeometryError,
    axis_index,
    check_envelope,
    inside_envelope,
    inside_range,
    vector3,
)
from solver.geometry.strips import ChannelArray, FinArray

__all__ = [
    "TriangleSurface", "read_surface", "MeshSolid", "Body", "body_mask", "material_index_for",
    "paint", "collect_breakpoints", "painted_volumes", "PinFinArray", "AXIS_NAMES",
    "GeometryError", "axis_index", "vector3", "check_envelope", "inside_range",
    "inside_envelope", "BaseBody", "Box", "Cylinder", "FinArray", "ChannelArray"
]
