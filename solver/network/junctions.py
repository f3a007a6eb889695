"""Tee and header junctions whose leg losses follow the flow split (Crane TP-410, 2009).

A :class:`Junction` joins three branches (two *run* legs on the straight-through axis and one
*side* leg, the branch of the tee) at one node. Its loss coefficients are functions of the
fraction of the flow taken by a leg and of the branch-to-run area ratio, referred to the velocity
head of the *common* leg, the one carrying the combined flow:

    p_t,common - p_t,leg = K(q, beta^2, theta) rho v_common^2 / 2     (dividing flow)
    p_t,leg - p_t,common = K(q, beta^2, theta) rho v_common^2 / 2     (combining flow)

with ``q = Q_branch / Q_common`` and total pressures ``p_t``. The junction node holds the total
pressure of the common stream; the loss of each other leg is added to that leg's branch law at
its junction end, so the network's node pressures at junctions are total pressures (the same as
static pressures along each constant-area pipe, up to its constant velocity head).

The common leg is the one whose flow direction differs from the other two: the side when both
run legs flow the same way (both into the junction or both out of it), otherwise the run leg
with the larger flow (a capped run carries none, so the end take-off of a header is always a
run-common turn). The flow pattern follows from the common leg's direction, so reverse flow
through any leg needs no special case:

- a run leg is common: dividing (it feeds the junction) or combining (it drains it) tee flow,
  Crane's branch and run coefficients with ``q`` the side leg's fraction;
- the side leg is common (flow entering the branch and splitting both ways along the run, or
  both runs feeding the branch): outside Crane's tee data; each run leg is then treated as the
  branch of a tee whose combined flow is the side flow (branch coefficient, ``q`` that run leg's
  fraction, the run-to-side area ratio).

The coefficients and their derivatives in ``q`` are analytic, so the Newton solve keeps an exact
Jacobian: each leg's loss depends on its own flow and on the common leg's flow.

References
----------
Crane Co. (2009). *Flow of Fluids Through Valves, Fittings, and Pipe*, Technical Paper 410
(TP-410), "Flow through tees and wyes" (the Rennels & Hudson formulation), with the 2012 errata:

- converging branch: ``K = C [1 + D (q/beta^2)^2 - E (1 - q)^2 - F/beta^2 q^2]``, ``D = 1``,
  ``E = 2``; ``C = 1`` for ``beta^2 <= 0.35``, else ``0.9 (1 - q)`` for ``q <= 0.4`` and 0.55
  above; ``F`` 1.74, 1.41, 1.0, 0 at 30, 45, 60, 90 degrees;
- converging run: 90-degree tee ``K = 1.55 q - q^2``; wyes the formula above with ``C = 1``,
  ``D = 0``, ``E = 1``;
- diverging branch: ``K = G [1 + H (q/beta^2)^2 - J (q/beta^2) cos(theta)]``, ``H = 0.3``,
  ``J = 0`` for a tee (``theta >= 60``) with ``beta > 2/3``, else ``H = 1``, ``J = 2``; tees
  ``G = 1`` for ``beta^2 <= 2/3`` else ``1 + 0.3 q^2``; wyes ``G = 1.1 - 0.7 q`` (``q <= 0.4``)
  or 0.85 for ``beta^2 <= 0.35``, else ``1 - 0.6 q`` (``q <= 0.6``) or 0.6;
- diverging run: ``K = M q^2``, ``M = 0.4`` for ``beta^2 <= 0.4``, else ``2 (2q - 1)`` for
  ``q <= 0.5`` and ``0.3 (2q - 1)`` above.

``beta`` is the branch-to-run diameter ratio, ``theta`` the branch angle [deg]; the run and the
combined leg have the same diameter. The 90/75-degree split between the tee and wye forms of the
run and diverging-branch coefficients follows Bell's ``fluids`` (the text gives none between 60
and 90 degrees).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from solver.network.errors import NetworkError

JUNCTION_MODELS = ("constant", "crane")
WYE_ANGLE_LIMIT = 75.0  # [deg] at or above: the tee forms of Crane's run and branch coefficients
_F_ANGLES = (30.0, 45.0, 60.0, 90.0)  # [deg] Crane's converging F table
_F_VALUES = (1.74, 1.41, 1.0, 0.0)


@dataclass(frozen=True)
class Junction:
    """A three-leg tee or header junction at ``node`` with split-dependent losses (Crane).

    Parameters
    ----------
    name : str
        Junction name (diagnostics).
    node : str
        The node where the legs meet (it holds the common stream's total pressure).
    run_a, run_b : str
        Branches on the straight-through axis that touch ``node``; ``""`` for a capped run
        (the end take-off of a header, a plain turn into the branch).
    side : str
        The branch leg (the tee's 90-degree outlet, a header take-off hose).
    run_diameter, side_diameter : float
        [m] inner diameters of the run and of the branch; the junction's velocities use these
        areas, not those of the attached pipes.
    angle : float
        [deg] branch angle to the run (90 for a tee, 30-60 for wyes).
    """

    name: str
    node: str
    run_a: str
    run_b: str
    side: str
    run_diameter: float
    side_diameter: float
    angle: float = 90.0

    def __post_init__(self):
        for key in ("run_diameter", "side_diameter"):
            value = getattr(self, key)
            if not np.isfinite(value) or value <= 0.0:
                raise NetworkError(f"junction '{self.name}': {key} must be positive, got {value}")
        if not 0.0 < self.angle <= 90.0:
            raise NetworkError(f"junction '{self.name}': angle must be in (0, 90] degrees, "
                               f"got {self.angle}")
        if not self.side or not (self.run_a or self.run_b):
            raise NetworkError(f"junction '{self.name}': needs a side leg and at least one run "
                               "leg")

    @property
    def legs(self):
        """Branch names ``(run_a, run_b, side)`` (``""`` for a capped run)."""
        return (self.run_a, self.run_b, self.side)


def junctions_on(junctions, branch_names):
    """The junctions that remain when only ``branch_names`` are left of a network.

    A removed run leg becomes a capped run; a junction that lost its side leg (a cut-off
    take-off: Crane's run coefficients vanish at ``q = 0``) or both run legs is dropped.
    """
    names = set(branch_names)
    kept = []
    for junction in junctions:
        run_a = junction.run_a if junction.run_a in names else ""
        run_b = junction.run_b if junction.run_b in names else ""
        if junction.side in names and (run_a or run_b):
            kept.append(replace(junction, run_a=run_a, run_b=run_b))
    return kept


# ------------------------------------------------------------------ Crane TP-410 coefficients
def branch_converging(q, beta2, angle):
    """Crane converging-branch K [-] on the combined velocity head and dK/dq.

    ``q`` the branch fraction of the combined flow [-], ``beta2`` the branch-to-run area ratio
    [-], ``angle`` [deg]; arrays broadcast.
    """
    f = np.interp(angle, _F_ANGLES, _F_VALUES)
    small = beta2 <= 0.35
    c = np.where(small, 1.0, np.where(q <= 0.4, 0.9 * (1.0 - q), 0.55))
    dc = np.where(small | (q > 0.4), 0.0, -0.9)
    p = 1.0 + (q / beta2) ** 2 - 2.0 * (1.0 - q) ** 2 - f / beta2 * q * q
    dp = 2.0 * q / beta2**2 + 4.0 * (1.0 - q) - 2.0 * f * q / beta2
    return c * p, dc * p + c * dp


def run_converging(q, beta2, angle):
    """Crane converging-run K [-] on the combined velocity head and dK/dq (``q`` the branch
    fraction)."""
    f = np.interp(angle, _F_ANGLES, _F_VALUES)
    tee = angle >= WYE_ANGLE_LIMIT
    k = np.where(tee, 1.55 * q - q * q, 1.0 - (1.0 - q) ** 2 - f / beta2 * q * q)
    dk = np.where(tee, 1.55 - 2.0 * q, 2.0 * (1.0 - q) - 2.0 * f * q / beta2)
    return k, dk


def branch_diverging(q, beta2, angle):
    """Crane diverging-branch K [-] on the combined velocity head and dK/dq."""
    beta = np.sqrt(beta2)
    tee_form = (angle >= 60.0) & (beta > 2.0 / 3.0)
    h = np.where(tee_form, 0.3, 1.0)
    j = np.where(tee_form, 0.0, 2.0)
    cos = np.cos(np.radians(angle))
    tee = angle >= WYE_ANGLE_LIMIT
    small = beta2 <= 0.35
    g_wye = np.where(small, np.where(q <= 0.4, 1.1 - 0.7 * q, 0.85),
                     np.where(q <= 0.6, 1.0 - 0.6 * q, 0.6))
    dg_wye = np.where(small, np.where(q <= 0.4, -0.7, 0.0), np.where(q <= 0.6, -0.6, 0.0))
    g_tee = np.where(beta2 <= 2.0 / 3.0, 1.0, 1.0 + 0.3 * q * q)
    dg_tee = np.where(beta2 <= 2.0 / 3.0, 0.0, 0.6 * q)
    g = np.where(tee, g_tee, g_wye)
    dg = np.where(tee, dg_tee, dg_wye)
    r = q / beta2
    p = 1.0 + h * r * r - j * r * cos
    dp = (2.0 * h * r - j * cos) / beta2
    return g * p, dg * p + g * dp


def run_diverging(q, beta2, angle):
    """Crane diverging-run K [-] on the combined velocity head and dK/dq (``q`` the branch
    fraction; no angle dependence)."""
    small = beta2 <= 0.4
    m = np.where(small, 0.4, np.where(q <= 0.5, 2.0 * (2.0 * q - 1.0), 0.3 * (2.0 * q - 1.0)))
    dm = np.where(small, 0.0, np.where(q <= 0.5, 4.0, 0.6))
    return m * q * q, dm * q * q + 2.0 * m * q


# ------------------------------------------------------------------ network terms
@dataclass(frozen=True)
class CompiledJunctions:
    """Junction arrays for the Newton solve (``nj`` junctions).

    Attributes
    ----------
    legs : ndarray (nj, 3) int
        Branch index of run_a, run_b, side (-1 for a capped run).
    sign : ndarray (nj, 3)
        +1 where the leg's outlet is the junction node (positive flow enters), -1 where its
        inlet is, 0 for a capped run.
    run_area, side_area : ndarray (nj,)
        [m2] junction cross-sections.
    angle : ndarray (nj,)
        [deg] branch angle.
    """

    legs: np.ndarray
    sign: np.ndarray
    run_area: np.ndarray
    side_area: np.ndarray
    angle: np.ndarray


def compile_junctions(junctions, branch_names, inlet_names, outlet_names):
    """Arrays of ``junctions`` given the branch names and their inlet/outlet node names."""
    position = {name: i for i, name in enumerate(branch_names)}
    legs = np.full((len(junctions), 3), -1, dtype=np.int64)
    sign = np.zeros((len(junctions), 3))
    for j, junction in enumerate(junctions):
        for k, leg in enumerate(junction.legs):
            if not leg:
                continue
            if leg not in position:
                raise NetworkError(f"junction '{junction.name}': leg '{leg}' is not a component "
                                   "of the network")
            i = position[leg]
            if outlet_names[i] == junction.node:
                sign[j, k] = 1.0
            elif inlet_names[i] == junction.node:
                sign[j, k] = -1.0
            else:
                raise NetworkError(f"junction '{junction.name}': leg '{leg}' does not touch node "
                                   f"'{junction.node}'")
            legs[j, k] = i
    area = np.pi / 4.0
    return CompiledJunctions(
        legs, sign,
        np.array([area * jn.run_diameter**2 for jn in junctions]),
        np.array([area * jn.side_diameter**2 for jn in junctions]),
        np.array([jn.angle for jn in junctions], dtype=float))


def junction_terms(cj, m, rho):
    """Junction pressure-drop terms and their Jacobian entries.

    Parameters
    ----------
    cj : CompiledJunctions
    m : ndarray (nb,)
        [kg/s] branch mass flows.
    rho : ndarray (nb,)
        [kg/m3] branch densities (the side leg's is used for the junction).

    Returns
    -------
    rows : ndarray (2 nj,)
        Branch indices receiving a loss term (the two legs other than the common one).
    dp : ndarray (2 nj,)
        [Pa] the terms added to those branches' ``p_inlet - p_outlet``.
    jac_rows, jac_cols, jac_values : ndarray
        [Pa s/kg] entries ``d dp_row / d m_col`` (duplicates are to be summed).
    """
    nj = cj.legs.shape[0]
    present = cj.legs >= 0
    idx = np.where(present, cj.legs, 0)
    u = np.where(present, cj.sign * m[idx], 0.0)  # [kg/s] flow into the junction along each leg
    rho_j = rho[cj.legs[:, 2]]
    # common leg: the side when both runs flow the same way, else the run with the larger flow
    same_way = u[:, 0] * u[:, 1] > 0.0
    c = np.where(same_way, 2, np.where(np.abs(u[:, 0]) >= np.abs(u[:, 1]), 0, 1))
    rows_j = np.arange(nj)
    u_c = u[rows_j, c]
    side_common = c == 2
    dividing = u_c > 0.0
    area_c = np.where(side_common, cj.side_area, cj.run_area)
    # the two other legs: (the straight run, the side) or (run_a, run_b) when the side is common
    others = np.where(side_common[:, None], [0, 1], np.stack([1 - np.minimum(c, 1),
                                                              np.full(nj, 2)], axis=1))
    beta2 = np.where(side_common, cj.run_area / cj.side_area, cj.side_area / cj.run_area)
    safe_c = np.where(u_c == 0.0, 1.0, u_c)
    all_rows, all_dp = [], []
    jac_r, jac_c, jac_v = [], [], []
    for slot in (0, 1):
        leg = others[:, slot]
        # the leg whose fraction sets K: the side for a run-common tee, the leg itself otherwise
        k_leg = np.where(side_common, leg, 2)
        u_k = u[rows_j, k_leg]
        q = np.where(u_c == 0.0, 0.0, -u_k / safe_c)
        is_side = (leg == 2) | side_common  # the leg takes the branch-turn coefficient
        k_div_b, dk_div_b = branch_diverging(q, beta2, cj.angle)
        k_con_b, dk_con_b = branch_converging(q, beta2, cj.angle)
        k_div_r, dk_div_r = run_diverging(q, beta2, cj.angle)
        k_con_r, dk_con_r = run_converging(q, beta2, cj.angle)
        k = np.where(is_side, np.where(dividing, k_div_b, k_con_b),
                     np.where(dividing, k_div_r, k_con_r))
        dk = np.where(is_side, np.where(dividing, dk_div_b, dk_con_b),
                      np.where(dividing, dk_div_r, dk_con_r))
        # J = p_leg - p_node = -K u_c|u_c| / (2 rho A_c^2) in both directions
        scale = 1.0 / (2.0 * rho_j * area_c**2)
        jump = -k * u_c * np.abs(u_c) * scale
        dj_duc = -(dk * u_k * np.sign(u_c) + 2.0 * k * np.abs(u_c)) * scale
        dj_duk = dk * np.abs(u_c) * scale
        keep = present[rows_j, leg]
        s_leg = cj.sign[rows_j, leg]
        b_leg = cj.legs[rows_j, leg]
        all_rows.append(b_leg[keep])
        all_dp.append((s_leg * jump)[keep])
        # d(s_leg J)/d m_i = s_leg dJ/du_i s_i
        for col_leg, value in ((c, dj_duc), (k_leg, dj_duk)):
            col = cj.legs[rows_j, col_leg]
            valid = keep & (col >= 0)  # a capped common leg only when every flow is zero
            jac_r.append(b_leg[valid])
            jac_c.append(col[valid])
            jac_v.append((s_leg * value * cj.sign[rows_j, col_leg])[valid])
    return (np.concatenate(all_rows), np.concatenate(all_dp), np.concatenate(jac_r),
            np.concatenate(jac_c), np.concatenate(jac_v))
