"""Solid and fluid regions of a cold plate, and how they become material ids on the grid.

Every body is a frozen value object in SI metres with a ``name`` (used in messages and to find a
body's cells later), a ``material`` (a material *name*, resolved by :mod:`solver.materials`) and
four methods:

``bounding_box()``
    ``((x0, y0, z0), (x1, y1, z1))`` [m].
``breakpoints(axis)``
    Coordinates [m] along ``axis`` (``0|1|2`` or ``"x"|"y"|"z"``) that grid lines must snap to:
    box faces, fin and pin faces, channel walls. Pass them to
    :func:`solver.grid.generation.generate_grid` so every flat face lies exactly on a grid line.
``contains(x, y, z)``
    Vectorised host-NumPy inside test on broadcastable coordinate arrays (cell centres), returning
    a boolean array of the broadcast shape. For the primitives, points exactly on a face count
    as inside; for mesh solids a point on the surface falls on one side, decided consistently.
``volume()``
    Analytic volume [m^3] (for meshes: the enclosed volume of the surface).

Primitives: :class:`Box`, :class:`Cylinder`, :class:`FinArray`, :class:`PinFinArray`,
:class:`ChannelArray`; surfaces from files: :class:`MeshSolid` (STL, OBJ, Gmsh ``.msh``, VTU/VTK,
read with meshio, checked for watertightness). :func:`paint` turns an ordered list of bodies into an
``int32`` material-id array (later bodies overwrite earlier ones, ``-1`` where nothing is painted);
:func:`body_mask` gives the cells of one body (e.g. "the die's cells" for a chip power).

Staircase representation: a cell belongs to a body when its *centre* is inside. Faces that are
grid lines (after snapping to the breakpoints) are therefore represented exactly; curved faces
(cylinders, round pins, meshes) are staircased and their painted volume converges to the analytic
one at first order in the cell size.
"""

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
