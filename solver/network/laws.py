"""Vectorised evaluation of the branch laws, one numpy call per law family.

Families (``dp = p_inlet - p_outlet`` [Pa] as a function of the mass flow ``m`` [kg/s]):

- ``pipe``: Darcy-Weisbach with Churchill or Colebrook friction, minor losses, elevation.
- ``quadratic``: ``dp = (a_mu mu / rho + a) m + b / rho^k m|m| + rho g dz`` with ``b`` chosen by the
  flow direction (``b_forward`` for m > 0, ``b_reverse`` otherwise), ``k = 1 + b_over_rho2``.
- ``power``: ``dp = c phi sign(Q)|Q|^n`` with ``Q = m / rho``, regularised below ``q0``;
  ``phi = (rho / rho_0)^(n-1) (mu / mu_0)^(2-n)`` when reference properties are given (a cold
  plate characterized at another temperature), else 1.
- ``pump``: ``dp = -s^2 (c0 + c1 x + c2 x^2)``, ``x = Q / (n s)``; a stopped group is closed.
"""

from __future__ import annotations

import numpy as np

from solver.network.friction import churchill, colebrook

GRAVITY = 9.80665
CLOSED_RESISTANCE = 1e12  # [Pa s/kg] linear law of a closed valve or a stopped pump


def signed_power(q, n, q0):
    """Smooth signed power ``sign(q)|q|^n`` and its derivative, regularised below ``q0``.

    For ``|q| < q0`` an odd cubic ``a q + b q^3`` matches value and slope at ``q0``, so the law
    is C1 and has a finite, non-zero slope at ``q = 0`` (needed by Newton for ``1 < n < 3``).
    """
    q = np.asarray(q, dtype=float)
    aq = np.abs(q)
    big = aq >= q0
    safe = np.where(big, aq, 1.0)
    value = np.where(big, np.sign(q) * safe**n, 0.0)
    slope = np.where(big, n * safe ** (n - 1.0), 0.0)
    a = q0 ** (n - 1.0) * (3.0 - n) / 2.0
    b = (n - 1.0) * q0 ** (n - 3.0) / 2.0
    value = np.where(big, value, a * q + b * q**3)
    slope = np.where(big, slope, a + 3.0 * b * q**2)
    return value, slope


FAMILY_KEYS = {
    "pipe": ("length", "diameter", "relative_roughness", "minor_loss", "elevation_change",
             "colebrook"),
    "quadratic": ("a_mu", "a", "b_forward", "b_reverse", "elevation_change", "b_over_rho2"),
    "power": ("coefficient", "exponent", "q0", "reference_density", "reference_viscosity"),
    "pump": ("c0", "c1", "c2", "n_speed", "speed", "closed"),
}


def stack_parameters(family, branches):
    """Stack the law parameters of ``branches`` (all of ``family``) into arrays."""
    rows = [b.law_parameters() for b in branches]
    return {key: np.array([row.get(key, 0.0) for row in rows], dtype=float)
            for key in FAMILY_KEYS[family]}


def pipe_law(p, m, rho, mu):
    """Pipe pressure drop [Pa] and derivative [Pa s/kg]."""
    d = p["diameter"]
    area = np.pi * d * d / 4.0
    re = np.abs(m) * d / (area * mu)
    f, dfdre = churchill(re, p["relative_roughness"])
    cole = p["colebrook"] > 0.5
    if np.any(cole):
        f_c, df_c = colebrook(re[cole], p["relative_roughness"][cole])
        f = f.copy()
        dfdre = dfdre.copy()
        f[cole] = f_c
        dfdre[cole] = df_c
    re_safe = np.maximum(re, 1e-6)
    phi = re_safe * f
    dphi = f + re_safe * dfdre
    c = mu * p["length"] / (2.0 * rho * area * d * d)
    k = p["minor_loss"] / (2.0 * rho * area * area)
    dp = c * m * phi + k * m * np.abs(m) + rho * GRAVITY * p["elevation_change"]
    ddp = c * (phi + re_safe * dphi) + 2.0 * k * np.abs(m)
    return dp, ddp


def quadratic_law(p, m, rho, mu):
    """Linear-plus-quadratic loss [Pa] and derivative [Pa s/kg]."""
    b = np.where(m > 0.0, p["b_forward"], p["b_reverse"]) / rho ** (1.0 + p["b_over_rho2"])
    a = p["a_mu"] * mu / rho + p["a"]
    dp = a * m + b * m * np.abs(m) + rho * GRAVITY * p["elevation_change"]
    ddp = a + 2.0 * b * np.abs(m)
    return dp, ddp


def property_factor(exponent, rho, mu, rho_0, mu_0):
    """``(rho / rho_0)^(n-1) (mu / mu_0)^(2-n)`` [-]: a power-law curve ``dp = c Q^n`` taken
    with a coolant of density ``rho_0`` [kg/m3] and viscosity ``mu_0`` [Pa s], used with one of
    ``rho``, ``mu`` (friction factor ~ Re^(n-2)); 1 where ``rho_0`` is 0 (no reference)."""
    corrected = np.asarray(rho_0) > 0.0
    rho_0 = np.where(corrected, rho_0, rho)
    mu_0 = np.where(corrected, mu_0, mu)
    return (rho / rho_0) ** (exponent - 1.0) * (mu / mu_0) ** (2.0 - exponent)


def power_law(p, m, rho, mu):
    """Signed power law in volumetric flow [Pa] and derivative [Pa s/kg]."""
    value, slope = signed_power(m / rho, p["exponent"], p["q0"])
    coefficient = p["coefficient"] * property_factor(p["exponent"], rho, mu,
                                                     p["reference_density"],
                                                     p["reference_viscosity"])
    return coefficient * value, coefficient * slope / rho


def pump_law(p, m, rho, mu):
    """Pump group pressure drop (negative rise) [Pa] and derivative [Pa s/kg]."""
    s = p["speed"]
    x = m / (rho * p["n_speed"])
    rise = s * s * (p["c0"] + p["c1"] * x + p["c2"] * x * x)
    drise = s * s * (p["c1"] + 2.0 * p["c2"] * x) / (rho * p["n_speed"])
    closed = p["closed"] > 0.5
    dp = np.where(closed, CLOSED_RESISTANCE * m, -rise)
    ddp = np.where(closed, CLOSED_RESISTANCE, -drise)
    return dp, ddp


LAWS = {"pipe": pipe_law, "quadratic": quadratic_law, "power": power_law, "pump": pump_law}


def evaluate_single(branch, m, rho, mu):
    """Pressure drop [Pa] and derivative [Pa s/kg] of one branch (scalar in, floats out)."""
    params = stack_parameters(branch.family, [branch])
    dp, ddp = LAWS[branch.family](params, np.atleast_1d(np.asarray(m, dtype=float)),
                                  np.atleast_1d(np.asarray(rho, dtype=float)),
                                  np.atleast_1d(np.asarray(mu, dtype=float)))
    return float(dp[0]), float(ddp[0])
