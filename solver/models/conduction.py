"""The solid (conduction) model of a case: grid, painted bodies, conductivity, chip heat
sources and boundaries, solved by :func:`solver.models.energy.solve_conduction`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solver.grid.grid import Grid
from solver.models.temperature_stats import chip_temperature_stats


@dataclass
class SolidModel:
    """A case set up on a grid: geometry painted, materials and heat sources assigned.

    Attributes
    ----------
    grid : Grid
        The snapped non-uniform grid.
    body_ids : int32 array (nx, ny, nz)
        Index of the body owning each cell (last painted wins), -1 where empty (host).
    body_names : list of str
        Body name per body id.
    body_materials : list
        Material object per body id (:mod:`solver.materials`).
    heat_source : array (nx, ny, nz)
        [W/m^3] volumetric heat generation on the backend.
    chip_masks : dict of str to bool array
        Cells heated by each chip (host).
    boundaries : list of solver.boundaries.Boundary
        Boundary patches.
    chip_powers : dict of str to float
        [W] power of each chip.
    chip_limits : dict of str to float
        [K] maximum allowed temperature of each chip.
    """

    grid: Grid
    body_ids: np.ndarray
    body_names: list
    body_materials: list
    heat_source: object
    chip_masks: dict
    boundaries: list = field(default_factory=list)
    chip_powers: dict = field(default_factory=dict)
    chip_limits: dict = field(default_factory=dict)

    def conductivity(self, temperature):
        """Cell conductivity [W/m/K] at ``temperature`` [K] (0 in empty cells)."""
        ids = self.grid.backend.asarray(self.body_ids)
        k = self.grid.backend.xp.zeros_like(temperature)
        # evaluate each material on its own cells only (empty cells carry no temperature)
        for body_id, material in enumerate(self.body_materials):
            cells = ids == body_id
            k[cells] = material.conductivity(temperature[cells])
        return k

    def heat_capacity(self, temperature):
        """Volumetric heat capacity ``rho cp`` [J/m3/K] of each cell at ``temperature`` [K]
        (0 in empty cells)."""
        ids = self.grid.backend.asarray(self.body_ids)
        capacity = self.grid.backend.xp.zeros_like(temperature)
        for body_id, material in enumerate(self.body_materials):
            cells = ids == body_id
            t = temperature[cells]
            capacity[cells] = material.density(t) * material.specific_heat(t)
        return capacity

    @property
    def temperature_dependent(self) -> bool:
        """True when any painted material has temperature-dependent conductivity."""
        return any(getattr(m, "is_temperature_dependent", False) for m in self.body_materials)

    def cell_fields(self, temperature, conductivity) -> dict:
        """Host cell arrays written to ``fields.vtr``: temperature [K], body_id (index into
        ``body_names``, -1 empty), conductivity [W/m/K], heat_source [W/m3]."""
        backend = self.grid.backend
        return {"temperature": backend.to_host(temperature), "body_id": self.body_ids,
                "conductivity": backend.to_host(conductivity),
                "heat_source": backend.to_host(self.heat_source)}

    def chip_stats(self, temperature) -> dict:
        """Per chip: power [W], max/mean temperature [K, C], its limit and the margin [K]."""
        volumes = self.grid.backend.to_host(self.grid.cell_volumes())
        chips = chip_temperature_stats(self.grid.backend.to_host(temperature), self.chip_masks,
                                       volumes, self.chip_powers)
        for name, limit in self.chip_limits.items():
            if name in chips:
                entry = chips[name]
                entry["limit_temperature_K"] = limit
                entry["margin_K"] = limit - entry["max_temperature_K"]
        return chips

    def material_table(self) -> list[dict]:
        """Per body id: name, material, kind (``solid`` or ``coolant``), for results metadata."""
        return [{"id": i, "name": name, "material": getattr(m, "name", str(m)),
                 "kind": "coolant" if hasattr(m, "viscosity") else "solid"}
                for i, (name, m) in enumerate(zip(self.body_names, self.body_materials,
                                                  strict=True))]
