"""Thermal impedance of a cold plate as a Foster network: a chain of parallel RC pairs in series.

The temperature rise [K] of a chip above the coolant after a unit power step is the thermal
impedance ``Z_th(t) = sum_i R_i (1 - exp(-t / tau_i))`` [K/W], with ``R_i`` [K/W] and time
constants ``tau_i = R_i C_i`` [s]. A few terms stand in for a 3D plate solution in a network
(1D) transient: each term is one first-order lag that the network's time integrator advances
exactly with :meth:`FosterNetwork.advance`.

:func:`fit_foster` finds the terms from a computed or measured ``Z_th(t)``: a non-negative least
squares fit of ``R_i`` on a dense log-spaced grid of fixed time constants (a time-constant
spectrum; Székely, V. (1997) Microelectron. J. 28:277-292, "Identification of RC networks by
deconvolution"), merged down to ``N`` terms and refined in ``R_i`` and ``tau_i`` by nonlinear
least squares on their logarithms, with residuals relative to ``Z`` since ``Z`` spans decades.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares, nnls
from scipy.special import exprel

# relative errors of a fit are judged where Z(t) >= FLOOR * max Z (below it: against that floor)
FLOOR = 1e-3
SPECTRUM_PER_DECADE = 10


@dataclass(frozen=True)
class FosterNetwork:
    """Foster network: terms ``R_i`` [K/W] with time constants ``tau_i`` [s], all > 0.

    A state of the network is the array of the temperature rises [K] of its terms (zeros: the
    plate at the coolant temperature); the chip's rise is their sum, :meth:`temperature`.
    """

    resistances: tuple
    time_constants: tuple

    def __post_init__(self):
        resistances = tuple(float(r) for r in np.ravel(self.resistances))
        time_constants = tuple(float(t) for t in np.ravel(self.time_constants))
        if not resistances or len(resistances) != len(time_constants):
            raise ValueError(f"a Foster network needs as many time constants as resistances, at "
                             f"least one (got {len(resistances)} and {len(time_constants)})")
        if not all(np.isfinite(v) and v > 0.0 for v in resistances + time_constants):
            raise ValueError("Foster resistances [K/W] and time constants [s] must be finite "
                             "and > 0")
        object.__setattr__(self, "resistances", resistances)
        object.__setattr__(self, "time_constants", time_constants)

    @property
    def steady_resistance(self) -> float:
        """Steady-state thermal resistance ``sum R_i`` [K/W]."""
        return float(sum(self.resistances))

    @property
    def capacitances(self) -> tuple:
        """Heat capacities of the terms ``C_i = tau_i / R_i`` [J/K]."""
        return tuple(t / r for r, t in zip(self.resistances, self.time_constants, strict=True))

    def impedance(self, t):
        """Thermal impedance ``Z_th(t)`` [K/W] at times ``t`` [s] (scalar or array)."""
        t = np.asarray(t, dtype=float)
        terms = -np.expm1(-t[..., None] / np.array(self.time_constants))
        z = terms @ np.array(self.resistances)
        return float(z) if z.ndim == 0 else z

    def advance(self, state, dt: float, power_start: float, power_end: float) -> np.ndarray:
        """State after ``dt`` [s] with the power linear from ``power_start`` to ``power_end`` [W].

        Exact solution of ``C_i dT_i/dt = P(t) - T_i / R_i`` over the step for each term
        ``T_i`` [K]; ``state`` is the array of the terms' rises [K] at the start of the step
        (``np.zeros(n)`` from rest). A power jump is a step with ``dt = 0`` (or the step landing
        on the jump's time, with ``power_start`` already the new value).
        """
        tau = np.array(self.time_constants)
        x = dt / tau
        decay = np.exp(-x)
        # (1 - exp(-x)) / x without cancellation; weights of the start and end power
        mean_decay = exprel(-x)
        return decay * np.asarray(state, dtype=float) + np.array(self.resistances) * (
            (mean_decay - decay) * power_start + (1.0 - mean_decay) * power_end)

    def steady_state(self, power: float) -> np.ndarray:
        """State [K] after a long time at constant ``power`` [W]: each term at ``R_i P``."""
        return np.array(self.resistances) * float(power)

    @staticmethod
    def temperature(state) -> float:
        """Temperature rise [K] above the coolant of a state: the sum of its terms' rises."""
        return float(np.sum(state))

    def response(self, times, power) -> np.ndarray:
        """Temperature rise [K] above the coolant at ``times`` [s] for a power history, from rest
        at ``times[0]``.

        Parameters
        ----------
        times : array_like, shape (n,)
            [s] non-decreasing output times; a repeated time marks a jump of array ``power``.
        power : callable or array_like, shape (n,)
            [W] a function of time (e.g. a :class:`solver.schedules.Schedule`; its
            ``breakpoints(t_end)`` are added to the steps) or the powers at ``times``, linear in
            between. Within each step a callable is taken linear through its values at the two
            Gauss points, so jumps at breakpoints are exact whichever side their own time falls.

        Returns
        -------
        ndarray, shape (n,)
            [K] temperature rise at each of ``times``.
        """
        times = np.asarray(times, dtype=float)
        if times.ndim != 1 or times.size < 1 or np.any(np.diff(times) < 0.0):
            raise ValueError("response needs a 1-D array of non-decreasing times [s]")
        if callable(power):
            breaks = getattr(power, "breakpoints", lambda t_end: ())(times[-1])
            grid = np.union1d(times, [b for b in breaks if b > times[0]])
            start, dt = grid[:-1], np.diff(grid)
            # the linear power through the Gauss points of each step, at its two ends
            offset = 0.5 / np.sqrt(3.0)
            early = np.asarray(power(start + (0.5 - offset) * dt), dtype=float) * np.ones_like(dt)
            late = np.asarray(power(start + (0.5 + offset) * dt), dtype=float) * np.ones_like(dt)
            slope = (late - early) / (2.0 * offset)
            p_start, p_end = early - (0.5 - offset) * slope, late + (0.5 - offset) * slope
            keep = np.searchsorted(grid, times)
        else:
            values = np.asarray(power, dtype=float)
            if values.shape != times.shape:
                raise ValueError(f"power has shape {values.shape}, times {times.shape}")
            dt, p_start, p_end, keep = np.diff(times), values[:-1], values[1:], None
        state = np.zeros(len(self.resistances))
        rise = np.empty(dt.size + 1)
        rise[0] = 0.0
        for k in range(dt.size):
            state = self.advance(state, dt[k], p_start[k], p_end[k])
            rise[k + 1] = state.sum()
        return rise if keep is None else rise[keep]

    def describe(self) -> dict:
        """Plain-data description (JSON-serialisable) for result metadata."""
        return {"terms": len(self.resistances),
                "resistances_K_per_W": list(self.resistances),
                "time_constants_s": list(self.time_constants),
                "capacitances_J_per_K": list(self.capacitances),
                "steady_resistance_K_per_W": self.steady_resistance}


def fit_foster(times, impedance, terms: int | None = None, min_terms: int = 4,
               max_terms: int = 6, tolerance: float = 0.01,
               noise: float = 1e-3) -> tuple[FosterNetwork, dict]:
    """Foster network whose ``Z_th(t)`` fits a sampled thermal impedance.

    Tries ``min_terms`` to ``max_terms`` terms (or only ``terms``) and keeps the fewest whose
    largest relative error meets ``tolerance``, else the most accurate. Relative errors are
    ``|Z_fit - Z| / Z`` at the points where ``Z >= 1e-3 max Z``; below that the fit weighs the
    error against ``1e-3 max Z`` and the report leaves those points out.

    Parameters
    ----------
    times : array_like, shape (n,)
        [s] sample times, positive and strictly increasing (log-spaced is best).
    impedance : array_like, shape (n,)
        [K/W] thermal impedance at ``times`` (a temperature rise per watt of a power step).
    terms : int, optional
        Number of terms to use, overriding ``min_terms`` and ``max_terms``.
    min_terms, max_terms : int
        Range of the numbers of terms tried.
    tolerance : float
        Largest relative error accepted before more terms are tried (0.01 = 1 %).
    noise : float
        Fraction of ``max Z`` by which the data may dip below zero or decrease in time.

    Returns
    -------
    network : FosterNetwork
    report : dict
        ``terms``, ``max_relative_error``, ``rms_relative_error`` (over the points above the
        floor), ``time_range_s``, ``floor_K_per_W`` (the ``1e-3 max Z`` floor), ``tolerance``,
        ``met_tolerance`` and ``max_relative_error_by_terms``.
    """
    t = np.asarray(times, dtype=float)
    z = np.asarray(impedance, dtype=float)
    counts = [terms] if terms is not None else list(range(min_terms, max_terms + 1))
    _check_data(t, z, counts, noise)
    floor = FLOOR * z.max()
    scale = np.maximum(z, floor)
    judged = z >= floor
    # time-constant spectrum: non-negative R on a log grid a decade beyond the data each side
    decades = np.log10(t[-1] / t[0]) + 2.0
    grid = np.logspace(np.log10(t[0]) - 1.0, np.log10(t[-1]) + 1.0,
                       int(np.ceil(decades * SPECTRUM_PER_DECADE)) + 1)
    basis = -np.expm1(-t[:, None] / grid) / scale[:, None]
    spectrum, _ = nnls(basis, z / scale)
    lines = spectrum > 1e-12 * spectrum.sum()
    log_tau_range = (np.log(grid[0] / 10.0), np.log(grid[-1] * 10.0))
    fits = {}
    for n in counts:
        r, tau = _merge(spectrum[lines], grid[lines], n)
        network = _refine(t, z, scale, r, tau, log_tau_range)
        error = np.abs(network.impedance(t) - z)[judged] / z[judged]
        fits[n] = (network, float(error.max()), float(np.sqrt(np.mean(error ** 2))))
        if fits[n][1] <= tolerance:
            break
    met = [n for n in fits if fits[n][1] <= tolerance]
    best = met[0] if met else min(fits, key=lambda n: fits[n][1])
    network, max_error, rms_error = fits[best]
    return network, {"terms": best, "max_relative_error": max_error,
                     "rms_relative_error": rms_error,
                     "time_range_s": [float(t[0]), float(t[-1])],
                     "floor_K_per_W": float(floor), "tolerance": tolerance,
                     "met_tolerance": bool(met),
                     "max_relative_error_by_terms": {n: fits[n][1] for n in fits}}


def _check_data(t, z, counts, noise) -> None:
    """Refuse data a Foster network cannot fit, naming the problem."""
    if t.ndim != 1 or z.shape != t.shape:
        raise ValueError(f"times and impedance must be 1-D arrays of the same length (got "
                         f"shapes {t.shape} and {z.shape})")
    if min(counts) < 1 or max(counts) < min(counts):
        raise ValueError(f"the numbers of terms must be >= 1 with min <= max (got {counts})")
    needed = 2 * max(counts) + 1
    if t.size < needed:
        raise ValueError(f"too few points: a {max(counts)}-term fit needs at least {needed} "
                         f"impedance points, got {t.size}")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(z))):
        raise ValueError("times and impedance must be finite")
    if t[0] <= 0.0:
        raise ValueError(f"times must be positive (first time {t[0]} s)")
    if np.any(np.diff(t) <= 0.0):
        raise ValueError("times must increase strictly")
    if not z.max() > 0.0:
        raise ValueError("the impedance is nowhere positive")
    slack = noise * z.max()
    if z.min() < -slack:
        raise ValueError(f"negative impedance {z.min()} K/W beyond the noise ({slack} K/W)")
    drop = np.maximum.accumulate(z) - z
    if drop.max() > slack:
        where = t[np.argmax(drop)]
        raise ValueError(f"the impedance is not monotone: it decreases by {drop.max()} K/W "
                         f"(beyond the noise {slack} K/W) at t = {where} s")


def _merge(r, tau, n) -> tuple[np.ndarray, np.ndarray]:
    """``n`` terms from spectrum lines: merge the closest neighbours in log(tau) (sum of R, the
    R-weighted mean of log tau) or split the largest line in two a factor 4 apart."""
    r, log_tau = list(r), list(np.log(tau))
    while len(r) > n:
        k = int(np.argmin(np.diff(log_tau)))
        total = r[k] + r[k + 1]
        log_tau[k] = (r[k] * log_tau[k] + r[k + 1] * log_tau[k + 1]) / total
        r[k] = total
        del r[k + 1], log_tau[k + 1]
    while len(r) < n:
        k = int(np.argmax(r))
        r[k:k + 1] = [0.5 * r[k]] * 2
        log_tau[k:k + 1] = [log_tau[k] - np.log(2.0), log_tau[k] + np.log(2.0)]
    return np.array(r), np.exp(log_tau)


def _refine(t, z, scale, r, tau, log_tau_range) -> FosterNetwork:
    """Least-squares refinement of ``R_i`` and ``tau_i`` (on their logarithms) with residuals
    relative to ``scale``; the time constants stay within ``log_tau_range`` [log s]."""
    n = r.size

    def residual(x):
        return (np.exp(x[:n]) @ -np.expm1(-t[None, :] / np.exp(x[n:, None])) - z) / scale

    def jacobian(x):
        r_i, tau_i = np.exp(x[:n]), np.exp(x[n:])
        ratio = t[:, None] / tau_i
        decay = np.exp(-ratio)
        return np.hstack([-np.expm1(-ratio) * r_i, -ratio * decay * r_i]) / scale[:, None]

    lower = np.r_[np.full(n, -np.inf), np.full(n, log_tau_range[0])]
    upper = np.r_[np.full(n, np.inf), np.full(n, log_tau_range[1])]
    start = np.clip(np.r_[np.log(r), np.log(tau)], lower + 1e-9, upper - 1e-9)
    fit = least_squares(residual, start, jac=jacobian, bounds=(lower, upper), xtol=1e-14,
                        ftol=1e-14, gtol=1e-14, max_nfev=200 * n)
    order = np.argsort(fit.x[n:])
    return FosterNetwork(tuple(np.exp(fit.x[:n])[order]), tuple(np.exp(fit.x[n:])[order]))
