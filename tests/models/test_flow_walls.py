"""The velocity gradient at no-slip walls (solver.models.flow.momentum.wall_geometry).

A wall lies half a cell from the nearest velocity node. ``wall_gradient = "linear"`` takes the
wall's gradient from that node alone (``u1 / delta1``, first order at the wall); ``"quadratic"``
from the parabola through the wall and the two nearest nodes (second order at the wall).

* **Plane Poiseuille flow** (Shah & London 1978: Darcy f Re = 96). The quadratic wall and the
  central interior fluxes are exact for a parabola on a uniform grid, so the discrete profile is
  the exact parabola at the nodes; only the flow rate, the midpoint sum of the nodal velocities
  (``sum u_i h``), differs from its integral, by ``h^2 / 12`` of the parabola's
  ``eta (1 - eta)`` against ``1 / 6``: f Re = 96 / (1 + h^2 / 2) with ``h = 1 / N`` of the gap,
  to round-off (1e-6 with the iteration's tolerance). The linear wall gives 85.3 on 4 cells
  (-11 %).
* **Rectangular duct** (White 1991, eq. 3-48, the series of ``test_flow``): the square duct's
  f Re error falls at second order or faster over 8 and 16 cells, and is 6x smaller than the
  linear wall's on 16 cells.
* **Walls as solid cells** give the walled duct's result to round-off (the parabola is taken
  the same way at a side of the domain and beside a solid cell), and a passage one cell across,
  where there is no second node, keeps the linear gradient.
"""

import numpy as np
import pytest

# the fluid, the mean speed, the solve, the developed f Re and the duct series of the flow tests
from test_flow import MU, RHO, U_IN, developed_fre, exact_duct_fre, solve  # (tests/models)

from solver.boundaries import Inlet, Outlet, Patch, Symmetry
from solver.grid import Grid
from solver.models.flow import FlowSettings, FlowSolver
from solver.numerics.stencil import NEIGHBOURS


def plates(cells: int, wall_gradient: str, solid_walls: bool = False):
    """f Re and the solution of flow between plates 1 mm apart (along y), 6 mm long, one
    symmetric cell along z; with ``solid_walls`` the plates are one layer of solid cells inside
    the domain."""
    gap, h = 1e-3, 1e-3 / cells
    y = np.linspace(-h, gap + h, cells + 3) if solid_walls else np.linspace(0.0, gap, cells + 1)
    grid = Grid(np.linspace(0.0, 6e-3, 25), y, np.array([0.0, h]))
    fluid = np.ones(grid.shape, bool)
    if solid_walls:
        fluid[:, [0, -1], :] = False
    boundaries = [Inlet(Patch("x_min"), volumetric_flow=U_IN * gap * h, temperature=300.0),
                  Outlet(Patch("x_max"), pressure=0.0),
                  Symmetry(Patch("z_min")), Symmetry(Patch("z_max"))]
    solution = solve(grid, fluid, boundaries, tolerance=1e-9, wall_gradient=wall_gradient)
    return developed_fre(solution, grid, fluid, 2 * gap, U_IN), solution


def square_duct(cells: int, wall_gradient: str) -> float:
    """f Re of developed flow in a 1 mm square duct, ``cells`` a side."""
    side = 1e-3
    grid = Grid(np.linspace(0.0, 6 * side, 13), np.linspace(0.0, side, cells + 1),
                np.linspace(0.0, side, cells + 1))
    fluid = np.ones(grid.shape, bool)
    boundaries = [Inlet(Patch("x_min"), velocity=U_IN, temperature=300.0),
                  Outlet(Patch("x_max"), pressure=0.0)]
    solution = solve(grid, fluid, boundaries, tolerance=1e-9, wall_gradient=wall_gradient)
    return developed_fre(solution, grid, fluid, side, U_IN)


@pytest.mark.parametrize("cells", [4, 8])
def test_quadratic_wall_gives_the_discrete_poiseuille_solution(cells):
    """f Re = 96 / (1 + h^2 / 2): the exact parabola at the nodes, carrying the midpoint flow."""
    fre, solution = plates(cells, "quadratic")
    assert fre == pytest.approx(96.0 / (1.0 + 0.5 / cells**2), rel=1e-6)
    # the nodal profile is the parabola of that flow rate
    u = 0.5 * (solution.velocity[0][19, :, 0] + solution.velocity[0][20, :, 0])
    eta = (np.arange(cells) + 0.5) / cells
    exact = 6 * U_IN / (1.0 + 0.5 / cells**2) * eta * (1 - eta)
    assert np.max(np.abs(u - exact)) < 1e-6 * U_IN


def test_linear_wall_is_first_order_at_the_wall():
    """The linear wall misses 96 by 11 % on 4 cells (the quadratic by 3 %, the midpoint sum)."""
    fre, _ = plates(4, "linear")
    assert fre / 96.0 - 1.0 == pytest.approx(-0.111, abs=0.002)


def test_square_duct_quadratic_wall_order():
    """Square duct: error order >= 1.8 from 8 to 16 cells, and 6x below the linear wall's."""
    exact = exact_duct_fre(1.0)
    coarse, fine = (abs(square_duct(n, "quadratic") / exact - 1.0) for n in (8, 16))
    linear = abs(square_duct(16, "linear") / exact - 1.0)
    assert np.log2(coarse / fine) > 1.8
    assert fine < 0.003
    assert linear > 5.0 * fine


@pytest.mark.parametrize("wall_gradient", ["quadratic", "linear"])
def test_solid_walls_equal_domain_walls(wall_gradient):
    """Plates as solid cells inside the domain give the walled channel's f Re (1e-9)."""
    walled, _ = plates(4, wall_gradient)
    immersed, _ = plates(4, wall_gradient, solid_walls=True)
    assert immersed == pytest.approx(walled, rel=1e-9)


def test_one_cell_passage_keeps_the_linear_wall():
    """One cell across has no second node: the quadratic setting gives the linear result."""
    quadratic, _ = plates(1, "quadratic")
    linear, _ = plates(1, "linear")
    assert quadratic == pytest.approx(linear, rel=1e-12)
    # u1 = U, each wall's gradient 2 U / h: dp/dx = 4 mu U / h^2, f Re = 32 (a third of 96)
    assert quadratic == pytest.approx(32.0, rel=1e-6)


def test_wall_rows_stay_diagonally_dominant():
    """On a stretched grid (growth 1.3 from the walls) every assembled momentum row keeps
    non-negative links and a diagonal at least their sum."""
    n = 8
    spacing = 1.3 ** ((n - 1) / 2 - np.abs(np.arange(n) - (n - 1) / 2))
    y = np.concatenate([[0.0], np.cumsum(spacing)]) * 1e-3 / spacing.sum()
    grid = Grid(np.linspace(0.0, 6e-3, 13), y, np.linspace(0.0, 0.5e-3, 5))
    fluid = np.ones(grid.shape, bool)
    boundaries = [Inlet(Patch("x_min"), velocity=U_IN, temperature=300.0),
                  Outlet(Patch("x_max"), pressure=0.0)]
    solver = FlowSolver(grid, fluid, boundaries, RHO, MU,
                        FlowSettings(max_iterations=3, wall_gradient="quadratic"))
    solver.solve()
    for comp in solver.components:
        st = comp.stencil
        links = [st.neighbour(name) for name in NEIGHBOURS]
        assert all(np.all(link >= 0.0) for link in links)
        rows = comp.active
        assert np.all(st.diag[rows] >= sum(links)[rows] * (1 - 1e-12))

