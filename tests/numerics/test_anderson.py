"""Anderson acceleration of fixed-point iterations (:mod:`solver.numerics.anderson`).

Reference: Walker, H. F. & Ni, P. (2011) Anderson acceleration for fixed-point iterations,
SIAM J. Numer. Anal. 49:1715-1735. On a linear map ``G(x) = M x + b`` Anderson acceleration
without truncation is essentially GMRES on ``(I - M) x = b`` (their Theorem 2.2), so on an
n-dimensional problem it reaches the fixed point in at most n + 1 steps (exact arithmetic).
"""

from __future__ import annotations

import numpy as np

from solver.numerics.anderson import AndersonMixing


def _linear_map(n: int, radius: float, seed: int = 3):
    """``G(x) = M x + b`` with M non-symmetric of spectral radius ``radius``, and its fixed
    point."""
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((n, n))
    m *= radius / np.max(np.abs(np.linalg.eigvals(m)))
    b = rng.standard_normal(n)
    return (lambda x: m @ x + b), np.linalg.solve(np.eye(n) - m, b)


def _iterations_to(mixing, image, start, exact, tolerance=1e-10, limit=2000):
    x = start.copy()
    for k in range(1, limit + 1):
        x = mixing.update(x, image(x))
        if np.linalg.norm(x - exact) <= tolerance * np.linalg.norm(exact):
            return k
    return limit


def test_full_depth_on_a_linear_map_terminates_like_gmres():
    """n = 8, depth 8: the fixed point to 1e-10 within n + 2 steps (GMRES terminates in n; one
    step more starts the history, one for round-off), where the plain iteration of the same
    contraction (spectral radius 0.95) needs hundreds."""
    image, exact = _linear_map(8, 0.95)
    start = np.zeros(8)
    accelerated = _iterations_to(AndersonMixing(depth=8), image, start, exact)
    plain = _iterations_to(AndersonMixing(depth=0), image, start, exact)
    assert accelerated <= 10
    assert plain > 300


def test_depth_zero_is_the_under_relaxed_update():
    """Without history the update is ``x + beta (G(x) - x)``, bit for bit."""
    image, _ = _linear_map(5, 0.5)
    mixing = AndersonMixing(depth=0, relaxation=0.8)
    x = np.arange(5.0)
    for _ in range(4):
        expected = x + 0.8 * (image(x) - x)
        x = mixing.update(x, image(x))
        assert np.array_equal(x, expected)


def _deferred_correction(cells: int = 200, peclet: float = 200.0):
    """The deferred correction of 1D steady advection-diffusion with a uniform source (inflow
    at 0 K on the left, outflow on the right): second-order upwind faces ``1.5 T_U - 0.5 T_UU``
    corrected against the upwind operator, ``G(T) = A_up^-1 (b + (A_up - A_2) T)``; its fixed
    point solves ``A_2 T = b`` (the TVD energy correction with a frozen limiter, in 1D)."""
    flux, diffusion = 1.0, 1.0 / peclet
    a_up, a_2 = np.zeros((cells, cells)), np.zeros((cells, cells))
    for i in range(cells):
        for j in (i - 1, i + 1):
            if 0 <= j < cells:
                a_up[i, i] += diffusion
                a_up[i, j] -= diffusion
    a_up[0, 0] += 2.0 * diffusion  # the inflow wall at 0 K, half a cell away
    a_2[:] = a_up
    for i in range(cells):
        a_up[i, i] += flux
        a_2[i, i] += 1.5 * flux
        if i > 0:
            a_up[i, i - 1] -= flux
            a_2[i, i - 1] -= 2.0 * flux
        if i > 1:
            a_2[i, i - 2] += 0.5 * flux
    b = np.full(cells, 1.0 / cells)
    inverse, correction = np.linalg.inv(a_up), a_up - a_2
    return (lambda t: inverse @ (b + correction @ t)), np.linalg.solve(a_2, b)


def test_truncated_depth_accelerates_a_deferred_correction():
    """Depth 3, relaxation 0.8 (the cold plate's energy settings) on the 1D deferred
    correction at a Peclet number of 200: the second-order solution to 1e-10 in at most 70 %
    of the steps of the under-relaxed correction alone (15 against 24 when written)."""
    image, exact = _deferred_correction()
    start = np.zeros_like(exact)
    accelerated = _iterations_to(AndersonMixing(3, 0.8), image, start, exact)
    plain = _iterations_to(AndersonMixing(0, 0.8), image, start, exact)
    assert plain < 2000 and accelerated <= 0.7 * plain


def test_weighted_out_cells_take_the_image_and_reset_forgets():
    """Weighted-out entries take their image ``G(x)`` (cells without an equation); after
    ``reset`` the next update is the plain relaxed one again."""
    image, _ = _linear_map(6, 0.7)
    weight = np.array([1, 1, 0, 1, 1, 0], dtype=bool)
    mixing = AndersonMixing(depth=3, relaxation=1.0)
    x = np.ones(6)
    for _ in range(3):
        x_new = mixing.update(x, image(x), weight=weight)
        assert np.array_equal(x_new[~weight], image(x)[~weight])
        x = x_new
    mixing.reset()
    assert np.array_equal(mixing.update(x, image(x)), image(x))
