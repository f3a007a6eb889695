"""Energy balance: heat flows through every boundary patch with the solver's own
coefficients, and the global balance of heat generated and heat leaving [W]."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from solver.boundaries.patches import Boundary
from solver.boundaries.thermal import (
    THERMAL_KINDS,
    boundary_names,
)
from solver.models.energy.terms import cell_array, check_mass_flux, side_terms


# ---------------------------------------------------------------------------------------------
# heat flows and balance
# ---------------------------------------------------------------------------------------------
def flows_from_terms(grid, temperature, boundaries, terms) -> dict[str, float]:
    xp = grid.backend.xp
    names = boundary_names(boundaries)
    flows: dict[str, float] = {}
    unassigned = 0.0
    for t in terms.values():
        # in float64 whatever the grid's precision: src and coef * T nearly cancel
        q = t.src.astype(xp.float64) - t.coef.astype(xp.float64) * temperature[t.slab].astype(
            xp.float64)
        for index in np.unique(t.owners):
            mask = grid.backend.asarray(t.owners == index)
            value = float(xp.sum(xp.where(mask, q, 0.0)))
            if index < 0:
                unassigned += value
            else:
                flows[names[int(index)]] = flows.get(names[int(index)], 0.0) + value
    for index, b in enumerate(boundaries):
        if isinstance(b, THERMAL_KINDS):
            flows.setdefault(names[index], 0.0)
    if unassigned != 0.0:
        flows["uncovered_faces"] = unassigned
    return flows


def patch_heat_flows(grid, temperature, conductivity, boundaries: Sequence[Boundary],
                     mass_flux=None, specific_heat=None, scheme: str = "upwind") -> dict:
    """Heat flow [W] into the domain through each patch, from the assembly's discrete fluxes.

    Includes the advected heat (``F cp T``) when ``mass_flux`` is given. Patches that own no face
    report 0; an ``"uncovered_faces"`` entry appears only when flow crosses faces no patch covers.

    Returns
    -------
    dict
        ``{name: W}`` with names from :func:`solver.boundaries.boundary_names`.
    """
    k = cell_array(grid, conductivity, "conductivity")
    temperature = cell_array(grid, temperature, "temperature")
    flux = cp = None
    if mass_flux is not None:
        flux = check_mass_flux(grid, mass_flux)
        cp = cell_array(grid, specific_heat, "specific_heat")
    terms = side_terms(grid, k, boundaries, flux, cp, scheme, temperature)
    return flows_from_terms(grid, temperature, boundaries, terms)


def energy_balance(grid, temperature, conductivity, boundaries, heat_source, mass_flux=None,
                   specific_heat=None, scheme="upwind") -> dict:
    """Global balance: heat generated [W], heat through each patch [W], relative imbalance."""
    xp = grid.backend.xp
    k = cell_array(grid, conductivity, "conductivity")
    source = cell_array(grid, heat_source if heat_source is not None else 0.0, "heat_source")
    generated = float(xp.sum(xp.where(k > 0, source * grid.cell_volumes(), 0.0)))
    flows = patch_heat_flows(grid, temperature, k, boundaries, mass_flux, specific_heat, scheme)
    return heat_balance(generated, flows)


def heat_balance(generated: float, flows: Mapping[str, float]) -> dict:
    net = generated + sum(flows.values())
    heat_in = max(generated, 0.0) + sum(v for v in flows.values() if v > 0)
    heat_out = -min(generated, 0.0) - sum(v for v in flows.values() if v < 0)
    reference = max(heat_in, heat_out)
    return {
        "heat_generated": generated,
        "patch_heat_flows": dict(flows),
        "net_heat": net,
        "reference_heat": reference,
        "relative_imbalance": abs(net) / reference if reference > 0 else 0.0,
    }
