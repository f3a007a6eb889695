"""Reverse flow through pressure outlets (solver.models.flow).

Fluid drawn into the domain through a pressure outlet enters from rest at the outlet pressure:
the outlet pressure is a total pressure for backflow, so the static pressure just inside is
``p_out - rho u^2 / 2`` (the usual pressure-outlet treatment of reverse flow: Fluent's default,
OpenFOAM's ``totalPressure``; Bernoulli along the entering streamline). Outflow is unchanged.

* **Bernoulli.** A frictionless duct (symmetry on its four sides) between two pressure outlets,
  0 and ``-P``: the flow enters through the first outlet and leaves through the second at the
  uniform speed ``U = sqrt(2 P / rho)``, exactly on any grid (uniform flow has no viscous or
  convective imbalance, and the pressure is uniform inside). Checked to 1e-8 relative along
  +x, -x, +y and -z, and with both outlets as ports on the faces of solid blocks inside the
  domain. Without the total-pressure treatment the backflow face keeps only its viscous link:
  the duct accelerates without bound (20x the Bernoulli speed after 2,000 iterations).
"""

import numpy as np
import pytest

from solver.boundaries import Outlet, Patch, Symmetry
from solver.grid import Grid
from solver.models.flow import FlowSettings, FlowSolver

RHO, MU = 1000.0, 1e-3
SUCTION = 2.0  # [Pa] the second outlet's pressure below the first
LENGTH, SIDE = 8e-3, 1e-3
SETTINGS = FlowSettings(tolerance=1e-10, max_iterations=2000, method="single_grid")


def _duct_through_outlets(axis: int, reverse: bool, ports: bool):
    """Flow drawn in through one outlet and out through the other, along ``axis``; with
    ``ports`` both outlets sit on the faces of one-cell solid blocks at the duct's ends."""
    shape, faces = [4, 4, 4], []
    for a in range(3):
        if a == axis:
            line = np.linspace(0.0, LENGTH, 17)
            if ports:
                line = np.concatenate([[-SIDE], line, [LENGTH + SIDE]])
        else:
            line = np.linspace(0.0, SIDE, shape[a] + 1)
        faces.append(line)
    grid = Grid(*faces)
    fluid = np.ones(grid.shape, bool)
    if ports:
        ends = [slice(None)] * 3
        ends[axis] = [0, -1]
        fluid[tuple(ends)] = False
    name = "xyz"[axis]
    entry, exit_ = (f"{name}_max", f"{name}_min") if reverse else (f"{name}_min", f"{name}_max")
    plane = {f"{name}_min": 0.0, f"{name}_max": LENGTH}

    def patch(side):
        return Patch(side, position=plane[side]) if ports else Patch(side)

    boundaries = [Outlet(patch(entry), pressure=0.0), Outlet(patch(exit_), pressure=-SUCTION)]
    boundaries += [Symmetry(Patch(f"{other}_{end}")) for other in "xyz" if other != name
                   for end in ("min", "max")]
    solution = FlowSolver(grid, fluid, boundaries, RHO, MU, SETTINGS).solve()
    return solution, fluid


@pytest.mark.parametrize("axis, reverse, ports", [(0, False, False), (0, True, False),
                                                  (1, False, False), (2, True, False),
                                                  (0, False, True), (1, True, True)],
                         ids=["+x", "-x", "+y", "-z", "+x_ports", "-y_ports"])
def test_backflow_through_an_outlet_enters_at_its_total_pressure(axis, reverse, ports):
    """U = sqrt(2 P / rho) through a frictionless duct between outlets 0 and -P (1e-8)."""
    solution, fluid = _duct_through_outlets(axis, reverse, ports)
    assert solution.converged
    bernoulli = np.sqrt(2.0 * SUCTION / RHO) * (-1.0 if reverse else 1.0)
    velocity = solution.velocity[axis]
    inner = [slice(None)] * 3
    if ports:  # the faces of the fluid cells (the blocks' outer faces carry no flow)
        inner[axis] = slice(1, -1)
    assert np.allclose(velocity[tuple(inner)], bernoulli, rtol=1e-8, atol=0.0)
    # the static pressure inside is the entry's total pressure less the dynamic head
    assert np.allclose(solution.pressure[fluid], -0.5 * RHO * bernoulli**2, rtol=1e-8)
