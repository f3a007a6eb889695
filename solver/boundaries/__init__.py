"""Boundary patches on the sides of the Cartesian domain, one small frozen value per kind.

A :class:`Patch` says *where*: a domain side (``"x_min"``, ``"x_max"``, ``"y_min"``, ``"y_max"``,
``"z_min"``, ``"z_max"``), optionally restricted to a rectangle in the two in-plane coordinates.
A flow port (:class:`Inlet`, :class:`Outlet`) may instead sit on a face of the geometry inside the
domain (a manifold port entering a plenum through its ceiling): ``Patch(side, region, position)``
puts it on the grid plane at ``position`` [m] normal to the side's axis; ``side`` is then the side
of the *coolant* the port is on (its outward normal: ``"z_max"`` is a port in a ceiling, flow
enters downward), and the port covers the plane's faces with coolant on the inner side and solid
or empty cells on the outer side (:func:`port_faces`).
A boundary kind says *what* happens there:

thermal kinds (used by :mod:`solver.models.energy`)
    :class:`FixedTemperature`, :class:`HeatFlux`, :class:`Convection`, :class:`Adiabatic`.
flow kinds (data only; the flow solver gives them their momentum meaning)
    :class:`Inlet`, :class:`Outlet`, :class:`Wall`, :class:`Symmetry`.

Rules, shared by every solver that reads a boundary list:

* **Later patches override earlier ones** on faces they both cover. A list such as
  ``[Convection(Patch("z_min"), ...), HeatFlux(Patch("z_max", region=...), ...)]`` therefore
  works like a painter's algorithm: broad patches first, specific ones after.
* Overriding is resolved **per equation**. For the energy equation the thermal kinds and
  :class:`Inlet` (a fixed-temperature advective inflow) and :class:`Outlet` (zero-gradient
  outflow) take part; :class:`Wall` and :class:`Symmetry` are thermally neutral (they never
  replace a thermal condition). Faces that no energy patch covers are adiabatic.
* A face belongs to a patch when its centre lies inside the region (edges included).

Temperatures are in kelvin, heat fluxes in W/m^2 (positive *into* the domain), heat-transfer
coefficients in W/m^2/K, pressures in Pa, velocities in m/s, flows in m^3/s or kg/s.
"""

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
