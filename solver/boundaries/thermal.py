"""Thermal boundary conditions (fixed temperature, heat flux, convection, adiabatic) and the
per-face owner of each side for the energy equation.

Units: K, W/m2, W/m2/K."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from solver.boundaries.flow import Inlet, Outlet
from solver.boundaries.patches import Boundary, FaceValue, side_shape


@dataclass(frozen=True)
class FixedTemperature(Boundary):
    """Dirichlet temperature on the patch.

    Parameters
    ----------
    temperature : float or callable
        [K] constant, or ``f(a, b)`` of the in-plane face-centre coordinates [m].
    """

    temperature: FaceValue


@dataclass(frozen=True)
class HeatFlux(Boundary):
    """Prescribed heat flux, positive into the domain.

    Parameters
    ----------
    heat_flux : float or callable
        [W/m^2] constant, or ``f(a, b)`` of the in-plane face-centre coordinates [m].
    """

    heat_flux: FaceValue


@dataclass(frozen=True)
class Convection(Boundary):
    """Convective exchange ``q = h (T_ambient - T_surface)`` into the domain.

    Parameters
    ----------
    h : float
        [W/m^2/K] heat-transfer coefficient, >= 0.
    ambient_temperature : float
        [K] temperature of the surrounding fluid.
    """

    h: float
    ambient_temperature: float

    def __post_init__(self):
        super().__post_init__()
        if self.h < 0:
            raise ValueError(f"heat-transfer coefficient must be >= 0, got {self.h}")


@dataclass(frozen=True)
class Adiabatic(Boundary):
    """No heat crosses the patch (the default for uncovered faces)."""


THERMAL_KINDS = (FixedTemperature, HeatFlux, Convection, Adiabatic, Inlet, Outlet)


def boundary_names(boundaries: Sequence[Boundary]) -> list[str]:
    """Report names: the given ``name``, else ``"<kind>_<side>"`` made unique with ``_2, _3``."""
    names: list[str] = []
    for b in boundaries:
        base = b.name or f"{type(b).__name__.lower()}_{b.patch.side}"
        name, n = base, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


def face_owners(grid, boundaries: Sequence[Boundary], side: str, kinds=THERMAL_KINDS) -> np.ndarray:
    """Index into ``boundaries`` of the patch that owns each face of ``side`` (-1: none).

    Only boundaries that are instances of ``kinds`` take part; later ones override earlier ones.
    Patches on faces of the geometry (``position`` given) own no domain-side face.
    Returns an int host array of the side's face shape.
    """
    owners = np.full(side_shape(grid, side), -1, dtype=np.int64)
    for index, b in enumerate(boundaries):
        if isinstance(b, kinds) and b.patch.side == side and not b.patch.on_geometry:
            owners[b.patch.face_mask(grid)] = index
    return owners
