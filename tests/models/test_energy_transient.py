"""The energy equation in time (solver.models.energy.transient, TR-BDF2).

References
----------
- Plane wall, uniform flux q at x = 0, fixed temperature at x = L, initially uniform: the
  Fourier series T - T0 = (q L / k) [(1 - x/L) - sum_n 8/((2n-1)^2 pi^2) cos(lambda_n x)
  exp(-lambda_n^2 alpha t)], lambda_n = (2n-1) pi / (2L) (Carslaw & Jaeger, Conduction of Heat in
  Solids, 2nd ed., sec. 3.3; Incropera & DeWitt, 6th ed., sec. 5.5 for the method).
- Semi-infinite solid under a constant surface flux: T(0, t) - Ti = (2 q / k) sqrt(alpha t / pi)
  (Incropera & DeWitt, 6th ed., eq. 5.59, case 2).
- A well-mixed volume heated by P and cooled by a stream m cp: T - T_in = (P / m cp)
  (1 - exp(-t / tau)), tau = rho cp V / (m cp) (the lumped-capacitance response, Incropera &
  DeWitt sec. 5.1-5.2, with the stream as the sink).
- TR-BDF2 (Bank et al., IEEE Trans. Electron Devices 32 (1985) 1992; Hosea & Shampine, Appl.
  Numer. Math. 20 (1996) 21): second order, L-stable; its step is a quadrature of the cells' net
  heat flows, so the stored energy changes by the time-integrated heat in and out exactly.
"""

import numpy as np
import pytest

from solver.boundaries import FixedTemperature, HeatFlux, Inlet, Outlet, Patch
from solver.grid import Grid
from solver.models.energy import ConductionSolve, solve_energy
from solver.models.energy.assembly import KeptAssembly, assemble
from solver.models.energy.transient import (
    TransientEnergy,
    run_transient,
    with_inlet_temperature,
)
from solver.numerics.stencil import NEIGHBOURS
from solver.numerics.time_steps import TimeSteps
from solver.schedules import Step

# a copper-like wall: alpha = k / (rho cp) = 1.16e-4 m2/s
L, K, CAPACITY, FLUX, T0 = 1e-2, 400.0, 3.45e6, 1e5, 300.0
ALPHA = K / CAPACITY


def _wall_exact(x, t, terms=400):
    n = np.arange(1, terms + 1)
    lam = (2 * n - 1) * np.pi / (2 * L)
    series = (8.0 / ((2 * n - 1) ** 2 * np.pi**2))[:, None] * np.cos(np.outer(lam, x)) \
        * np.exp(-(lam**2 * ALPHA * t))[:, None]
    return T0 + FLUX * L / K * ((1 - x / L) - series.sum(axis=0))


def _wall(backend, nx, steps):
    grid = Grid(np.linspace(0.0, L, nx + 1), [0.0, 1e-3], [0.0, 1e-3], backend=backend)
    bcs = [HeatFlux(Patch("x_min"), FLUX), FixedTemperature(Patch("x_max"), T0)]
    energy = TransientEnergy(grid, K, CAPACITY, bcs, temperature=T0)
    history = run_transient(energy, steps)
    return grid, energy, history


def test_plane_wall_step_flux_matches_fourier_series(backend):
    """100 cells, steps of 1 ms to 0.2 s (0.23 L^2/alpha): every cell within 1e-5 of the rise
    q L / k = 2.5 K (measured 9.7e-7); the energy audit closes to 1e-9 (measured 5e-11)."""
    grid, energy, _ = _wall(backend, 100, TimeSteps(0.2, 1e-3))
    computed = backend.to_host(energy.temperature)[:, 0, 0]
    error = np.max(np.abs(computed - _wall_exact(grid.centers[0], 0.2))) / (FLUX * L / K)
    assert error < 1e-5
    assert energy.audit.relative_error < 1e-9
    # the heat in is the flux over the face for 0.2 s, less what left through the cold face
    assert energy.audit.generated == 0.0
    assert 0.0 < energy.audit.heat_in < FLUX * 1e-6 * 0.2


def test_second_order_in_time(backend):
    """Errors against a 1/1024-step reference on the same 50-cell grid fall by 4 per halving
    (measured orders 2.07, 2.01, 2.01): the fitted order is within 0.15 of 2."""
    _, reference, _ = _wall(backend, 50, TimeSteps(0.2, 0.2 / 1024))
    ref = backend.to_host(reference.temperature)
    errors = []
    for dt in (0.04, 0.02, 0.01, 0.005):
        _, energy, _ = _wall(backend, 50, TimeSteps(0.2, dt))
        errors.append(np.max(np.abs(backend.to_host(energy.temperature) - ref)))
    order = np.polyfit(np.log([0.04, 0.02, 0.01, 0.005]), np.log(errors), 1)[0]
    assert abs(order - 2.0) < 0.15


def test_semi_infinite_solid_surface_temperature(backend):
    """Flux on a 10 cm copper bar, graded cells from 20 um at the heated face; at 0.5 s the heat
    has penetrated about 4 sqrt(alpha t) = 3 cm. The surface cell (centre 10 um in) follows
    (2 q / k) sqrt(alpha t / pi) within 0.2 % at 0.05, 0.2 and 0.5 s (measured 0.042 %,
    0.039 %, 0.037 %); steps grow by 1.1 from 0.1 ms."""
    widths = 2e-5 * 1.08 ** np.arange(200)
    faces = np.concatenate([[0.0], np.cumsum(widths)])
    faces *= 0.1 / faces[-1]
    grid = Grid(faces, [0.0, 1e-3], [0.0, 1e-3], backend=backend)
    bcs = [HeatFlux(Patch("x_min"), FLUX), FixedTemperature(Patch("x_max"), T0)]
    energy = TransientEnergy(grid, K, CAPACITY, bcs, temperature=T0)
    probe = {"surface_K": lambda t, _: float(t[0, 0, 0])}

    def monitor(temperature, time):
        return {name: f(backend.to_host(temperature), time) for name, f in probe.items()}

    history = run_transient(energy, TimeSteps(0.5, 1e-4, 0.01, 1.1), monitor,
                            breakpoints=(0.05, 0.2))
    for t in (0.05, 0.2, 0.5):
        computed = history.series("surface_K")[history.times.index(pytest.approx(t))] - T0
        exact = 2 * FLUX / K * np.sqrt(ALPHA * t / np.pi)
        assert computed == pytest.approx(exact, rel=2e-3)


def _mixed_volume(backend, power, steps):
    """One coolant cell 1 cm^3 with 1 g/s of water through it and ``power`` [W] in it."""
    grid = Grid([0.0, 1e-2], [0.0, 1e-2], [0.0, 1e-2], backend=backend)
    m, cp, rho = 1e-3, 4180.0, 1000.0
    flux = tuple(backend.asarray(f) for f in (np.full((2, 1, 1), m), np.zeros((1, 2, 1)),
                                              np.zeros((1, 1, 2))))
    bcs = [Inlet(Patch("x_min"), mass_flow=m, temperature=T0), Outlet(Patch("x_max"))]
    volume = 1e-6

    def source(t):
        return float(power(t)) / volume

    energy = TransientEnergy(grid, 0.6, rho * cp, bcs, heat_source=source, mass_flux=flux,
                             specific_heat=cp, temperature=T0)
    history = run_transient(energy, steps, lambda T, t: {"T": float(backend.to_host(T)[0, 0, 0])},
                            breakpoints=power.breakpoints(steps.end))
    return history, rho * cp * volume / (m * cp), m * cp


def test_mixed_volume_exponential_response(backend):
    """A 10 W step at 1 s into a 1 cm^3 water volume through which 1 g/s flows (tau = 1 s):
    T - T_in = (P / m cp)(1 - exp(-(t - 1)/tau)) within 2e-5 of the rise at every step of
    0.02 s (measured 6.0e-6), the error falling by 4 per halving (measured order 2.00)."""
    power = Step(0.0, 10.0, 1.0)
    errors = []
    for dt in (0.04, 0.02, 0.01):
        history, tau, capacity_rate = _mixed_volume(backend, power, TimeSteps(4.0, dt))
        t = np.array(history.times)
        exact = T0 + np.where(t >= 1.0, 10.0 / capacity_rate * -np.expm1(-(t - 1.0) / tau), 0)
        errors.append(np.max(np.abs(np.array(history.series("T")) - exact)))
    rise = 10.0 / capacity_rate
    assert errors[1] < 2e-5 * rise
    order = np.polyfit(np.log([0.04, 0.02, 0.01]), np.log(errors), 1)[0]
    assert abs(order - 2.0) < 0.15


def _conjugate_box(backend):
    """A 2 x 1 x 0.6 cm box: a coolant layer (z < 2 mm) flowing along x under a copper block
    with a heated 'die' patch on top; returns the pieces of a conjugate problem."""
    grid = Grid(np.linspace(0, 2e-2, 21), np.linspace(0, 1e-2, 9),
                np.concatenate([np.linspace(0, 2e-3, 5), np.linspace(2.5e-3, 6e-3, 8)]),
                backend=backend)
    nx, ny, nz = grid.shape
    fluid = np.zeros(grid.shape, bool)
    fluid[:, :, :4] = True
    k = np.where(fluid, 0.6, 390.0)
    capacity = np.where(fluid, 4.18e6, 3.45e6)
    cp = np.where(fluid, 4180.0, 0.0)
    m = 2e-3  # kg/s through the layer
    area = grid.widths[1][:, None] * grid.widths[2][None, :4]
    fx = np.zeros((nx + 1, ny, nz))
    fx[:, :, :4] = m * area / area.sum()
    flux = tuple(backend.asarray(f) for f in (fx, np.zeros((nx, ny + 1, nz)),
                                              np.zeros((nx, ny, nz + 1))))
    bcs = [Inlet(Patch("x_min", ((0, 1e-2), (0, 2e-3))), mass_flow=m, temperature=T0),
           Outlet(Patch("x_max", ((0, 1e-2), (0, 2e-3)))),
           HeatFlux(Patch("z_max", ((0.5e-2, 1.5e-2), (0.25e-2, 0.75e-2))), 2e5)]
    return grid, *(backend.asarray(a) for a in (k, capacity, cp)), flux, bcs


@pytest.mark.parametrize("scheme", ["upwind", "tvd"])
def test_conjugate_energy_conserved_and_steady_limit(backend, scheme):
    """Coolant under a copper block, 10 W on a patch from t = 0: the stored energy changes by
    the time-integrated heat in minus out to 1e-6 (measured 9e-11 upwind, 1e-11 TVD); the
    slowest mode decays with about 6.5 s (measured), and after 200 s (30 of them) the field
    equals the steady solution to 1e-5 K (measured 1.1e-9 K upwind, 8e-7 K TVD, whose deferred
    correction stops at 1e-6 K per stage)."""
    grid, k, capacity, cp, flux, bcs = _conjugate_box(backend)
    energy = TransientEnergy(grid, k, capacity, bcs, mass_flux=flux, specific_heat=cp,
                             scheme=scheme, temperature=T0)
    history = run_transient(energy, TimeSteps(200.0, 1e-3, 4.0, 1.3))
    assert energy.audit.relative_error < 1e-6
    assert energy.audit.heat_in > 1.0  # joules stayed in the copper and coolant
    steady = solve_energy(grid, k, bcs, 0.0, flux, cp, scheme,
                          settings=ConductionSolve(tolerance=1e-10, max_iterations=2000,
                                                   relaxation=0.5))
    difference = np.max(np.abs(backend.to_host(energy.temperature - steady.temperature)))
    assert steady.converged and difference < 1e-5
    # and at the end the heat leaves with the coolant as fast as it comes in
    balance = energy.balance()
    assert balance["relative_imbalance"] < 1e-6
    assert history.steps < 100
    assert energy.audit.generated == 0.0  # the die heat enters as a boundary flux here


def test_error_controlled_steps_follow_the_tolerance(backend):
    """With a local error tolerance (Hosea & Shampine's filtered TR-BDF2 estimate) the mixed
    volume's response stays within 20 tolerances of the exponential at every step (measured
    4.3 and 9.6 tolerances for 1e-4 and 1e-5 K: local errors add up), tightening the tolerance
    tenfold cuts the error at least threefold, and the steps grow from 1 ms to over 50 ms as
    the response settles."""
    power = Step(0.0, 10.0, 1.0)
    errors = []
    for tolerance in (1e-4, 1e-5):
        history, tau, capacity_rate = _mixed_volume(
            backend, power, TimeSteps(4.0, 1e-3, 1.0, 2.0, tolerance=tolerance))
        t = np.array(history.times)
        exact = T0 + np.where(t >= 1.0, 10.0 / capacity_rate * -np.expm1(-(t - 1.0) / tau), 0)
        errors.append(np.max(np.abs(np.array(history.series("T")) - exact)))
        assert errors[-1] < 20 * tolerance
        assert t[-1] - t[-2] > 0.05
    assert errors[0] > 3 * errors[1]


def test_a_step_too_long_for_the_tolerance_is_taken_again(backend):
    """First steps of 0.5 s after the power step, against a 1e-4 K tolerance: the controller
    rejects them and retries shorter (rejections counted), and the response still meets the
    bar of the test above."""
    history, tau, capacity_rate = _mixed_volume(
        backend, Step(0.0, 10.0, 1.0), TimeSteps(4.0, 0.5, 1.0, 2.0, tolerance=1e-4))
    t = np.array(history.times)
    exact = T0 + np.where(t >= 1.0, 10.0 / capacity_rate * -np.expm1(-(t - 1.0) / tau), 0)
    assert history.rejected > 0
    assert np.max(np.abs(np.array(history.series("T")) - exact)) < 20 * 1e-4


def _ported_channel(backend):
    """A channel along x between two copper blocks, fed and drained through ports on the
    blocks' faces (inlet at x = 0, outlet at x = 2 cm), heated from below."""
    grid = Grid(np.concatenate([[-2e-3], np.linspace(0, 2e-2, 11), [2.2e-2]]),
                np.linspace(0, 4e-3, 5), [0.0, 1e-3], backend=backend)
    nx, ny, nz = grid.shape
    fluid = np.ones(grid.shape, bool)
    fluid[[0, -1]] = False
    k = np.where(fluid, 0.6, 390.0)
    cp = np.where(fluid, 4180.0, 0.0)
    m = 1e-3  # kg/s
    fx = np.zeros((nx + 1, ny, nz))
    fx[1:-1] = m / ny  # through the port faces too (the ports' own terms carry it)
    flux = tuple(backend.asarray(f) for f in (fx, np.zeros((nx, ny + 1, nz)),
                                              np.zeros((nx, ny, nz + 1))))
    bcs = [Inlet(Patch("x_min", position=0.0), mass_flow=m, temperature=T0),
           Outlet(Patch("x_max", position=2e-2)), HeatFlux(Patch("y_min"), 2e4)]
    return grid, *(backend.asarray(a) for a in (k, cp)), flux, bcs


@pytest.mark.parametrize("geometry", ["sides", "ports"])
def test_kept_assembly_matches_a_new_assembly(backend, geometry):
    """The operator and right side kept between solves (KeptAssembly) equal those of a new
    assembly (solver.models.energy.assemble), to the last bit on the CPU and to 1e-12 relative
    on a GPU, with inlet and outlet on domain sides or as ports on faces of the geometry: with
    the TVD correction at two temperature fields, after the inlet temperature changed (new
    boundary terms, the operator kept) and after the mass fluxes were halved (a new operator).
    The operator is assembled once per conductivity and mass-flux arrays."""
    if geometry == "sides":
        grid, k, _, cp, flux, bcs = _conjugate_box(backend)
    else:
        grid, k, cp, flux, bcs = _ported_channel(backend)
    kept = KeptAssembly(grid, cp, "tvd")
    rng = np.random.default_rng(5)
    source = backend.asarray(np.where(backend.to_host(k) > 1.0, 1e6, 0.0)
                             * rng.random(grid.shape))
    warmer = with_inlet_temperature(bcs, T0 + 3.0)
    halved = tuple(0.5 * f for f in flux)
    tolerance = 0.0 if backend.xp is np else 1e-12
    for boundaries, fluxes, operators in ((bcs, flux, 1), (bcs, flux, 1), (warmer, flux, 1),
                                          (warmer, halved, 2)):
        stencil = kept.prepare(k, boundaries, fluxes)
        assert kept.version == operators
        for _ in range(2):
            temperature = backend.asarray(T0 + 5.0 * rng.random(grid.shape))
            expected, rhs, *_ = assemble(grid, k, boundaries, source, fluxes, cp, "tvd",
                                         temperature)
            pairs = [(kept.right_side(source, temperature), rhs)] + [
                (getattr(stencil, name), getattr(expected, name))
                for name in ("diag", *NEIGHBOURS)]
            for got, want in pairs:
                got, want = backend.to_host(got), backend.to_host(want)
                np.testing.assert_allclose(got, want, rtol=tolerance,
                                           atol=tolerance * np.abs(want).max())
