"""Superposition of unit chip responses at a fixed flow field: ``T = T_base + T_in G_in +
sum_i P_i G_i`` (exact for the linear, upwind energy equation with constant properties)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from solver.backend import array_namespace
from solver.boundaries.flow import Inlet
from solver.boundaries.thermal import Convection, FixedTemperature, HeatFlux
from solver.models.energy.solve import ConductionSolve, solve_energy
from solver.numerics.linear.settings import LinearSolve


def _zeroed(boundary, inlet_value: float):
    """``boundary`` with its thermal data set to zero (inlets to ``inlet_value`` [K])."""

    if isinstance(boundary, Inlet):
        return replace(boundary, temperature=float(inlet_value))
    if isinstance(boundary, FixedTemperature):
        return replace(boundary, temperature=0.0)
    if isinstance(boundary, Convection):
        return replace(boundary, ambient_temperature=0.0)
    if isinstance(boundary, HeatFlux):
        return replace(boundary, heat_flux=0.0)
    return boundary


def _has_other_data(boundaries) -> bool:
    """True when a boundary other than the inlets carries a non-zero temperature or flux."""

    for b in boundaries:
        value = None
        if isinstance(b, FixedTemperature):
            value = b.temperature
        elif isinstance(b, Convection):
            value = b.ambient_temperature if b.h > 0 else 0.0
        elif isinstance(b, HeatFlux):
            value = b.heat_flux
        if value is not None and (callable(value) or float(value) != 0.0):
            return True
    return False


@dataclass
class UnitResponses:
    """Temperature responses of one plate at one flow field, for superposition.

    ``T = base + inlet_temperature * inlet + sum_i P_i chips[i]`` (module docstring).

    Attributes
    ----------
    chips : dict of str -> array (nx, ny, nz)
        [K/W] field for 1 W in each chip, zero inlet and boundary data.
    inlet : array (nx, ny, nz)
        [-] field for a 1 K inlet temperature, no power.
    base : array (nx, ny, nz) or None
        [K] field of the remaining boundary data (None when all are zero).
    conducting : array (nx, ny, nz) of bool
        Cells with physics (conductivity > 0); the others are filled with the lowest value.
    energy_imbalance : float
        [-] largest relative energy imbalance of the unit solves.
    """

    chips: dict
    inlet: object
    base: object
    conducting: object
    energy_imbalance: float = 0.0

    def temperature(self, powers: Mapping[str, float], inlet_temperature: float):
        """Temperature field [K] for chip ``powers`` [W] and ``inlet_temperature`` [K].

        Chips missing from ``powers`` dissipate nothing; unknown names raise KeyError.
        """
        unknown = set(powers) - set(self.chips)
        if unknown:
            raise KeyError(f"no unit response for chip(s) {sorted(unknown)}; have "
                           f"{sorted(self.chips)}")
        xp = array_namespace(self.inlet)
        field_ = self.inlet * float(inlet_temperature)
        if self.base is not None:
            field_ = field_ + self.base
        for name, power in powers.items():
            field_ = field_ + float(power) * self.chips[name]
        low = xp.min(xp.where(self.conducting, field_, xp.inf))
        return xp.where(self.conducting, field_, low)


def unit_responses(grid, conductivity, boundaries, chip_sources: Mapping[str, object],
                   mass_flux, specific_heat, linear=None) -> UnitResponses:
    """Unit temperature responses of every chip, of the inlet and of the other boundary data.

    Parameters
    ----------
    grid : solver.grid.Grid
    conductivity : array (nx, ny, nz) or float
        [W/m/K] constant (temperature-independent) conductivities; 0 marks empty cells.
    boundaries : sequence of solver.boundaries.Boundary
        The plate's patches; every ``Inlet`` takes the same inlet temperature.
    chip_sources : mapping chip name -> array (nx, ny, nz)
        [W/m3 per W] heat source of each chip for 1 W (``chip_heat_source(..., power=1.0)``).
    mass_flux : tuple (Fx, Fy, Fz)
        [kg/s] face mass fluxes of the converged flow (see
        :func:`solver.models.energy.assemble_energy`).
    specific_heat : array (nx, ny, nz) or float
        [J/kg/K] constant specific heat of the fluid cells.
    linear : solver.numerics.linear.LinearSolve, optional
        Linear-solver settings (default flexible GMRES, rtol 1e-12).

    Returns
    -------
    UnitResponses

    Notes
    -----
    Uses the first-order upwind scheme, which is exactly linear; the TVD scheme's limiter is
    not, so its superposition would only be approximate.
    """

    if callable(conductivity):
        raise ValueError("superposition needs constant conductivities (got a callable k(T))")
    settings = ConductionSolve(linear=linear or LinearSolve(method="fgmres", rtol=1e-12,
                                                            max_iterations=2000),
                               relaxation=1.0)
    zero_sources = grid.zeros()
    imbalance = 0.0

    def solve(bcs, source):
        nonlocal imbalance
        result = solve_energy(grid, conductivity, bcs, source, mass_flux, specific_heat,
                              scheme="upwind", settings=settings)
        imbalance = max(imbalance, float(result.energy_balance["relative_imbalance"]))
        return result.temperature

    zero_bcs = [_zeroed(b, 0.0) for b in boundaries]
    chips = {name: solve(zero_bcs, grid.backend.asarray(source))
             for name, source in chip_sources.items()}
    inlet = solve([_zeroed(b, 1.0) for b in boundaries], zero_sources)
    base = None
    if _has_other_data(boundaries):

        base = solve([replace(b, temperature=0.0) if isinstance(b, Inlet) else b
                      for b in boundaries], zero_sources)
    xp = grid.backend.xp
    k = conductivity if not np.isscalar(conductivity) else grid.full(float(conductivity))
    conducting = xp.asarray(k) > 0
    return UnitResponses(chips, inlet, base, conducting, imbalance)


def unit_responses_from_cold_plate(plate, result) -> UnitResponses:
    """Unit responses of a solved :class:`solver.models.coldplate.ColdPlate` at its flow field.

    Uses the converged mass fluxes, the last conductivity and specific heat of ``result`` and
    the chip heat sources of the plate's model scaled to 1 W.
    """
    model = plate.model
    xp = plate.xp
    sources = {}
    for chip in plate.chips:
        mask = plate.backend.asarray(model.chip_masks[chip["name"]])
        if chip["power"] <= 0:
            raise ValueError(f"chip {chip['name']!r} has no power: its 1 W source shape is "
                             "unknown")
        sources[chip["name"]] = xp.where(mask, model.heat_source, 0.0) / chip["power"]
    # the plate's energy boundaries (inlets restricted to fluid faces) when it has its own
    boundaries = getattr(plate, "boundaries", None) or model.boundaries
    return unit_responses(plate.grid, result.conductivity, boundaries, sources,
                          tuple(result.flow.mass_flux), plate.specific_heat)
