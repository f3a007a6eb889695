"""The Newton Jacobian of the network's hydraulic system against central differences (shared
by the network tests)."""

import numpy as np


def central_difference_error(system, x, relative_step: float) -> float:
    """Largest row-scaled difference between ``system``'s analytic Jacobian at ``x`` (branch
    mass flows, then free node pressures) and its central-difference estimate with steps
    ``relative_step * max(|x_j|, 1e-2)``."""
    _, ddp = system.residual(x)
    jac = system.jacobian(ddp, x[:system.nb]).toarray()
    fd = np.empty_like(jac)
    for j in range(x.size):
        h = relative_step * max(abs(x[j]), 1e-2)
        xp, xm = x.copy(), x.copy()
        xp[j] += h
        xm[j] -= h
        fd[:, j] = (system.residual(xp)[0] - system.residual(xm)[0]) / (2 * h)
    scale = np.abs(jac).max(axis=1, keepdims=True) + 1e-30
    return float(np.max(np.abs(jac - fd) / scale))
