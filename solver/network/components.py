"""Branch components of the 1D hydraulic-thermal network, one small class per kind.

Every branch joins an ``inlet`` node to an ``outlet`` node and carries a signed mass flow ``m``
[kg/s], positive from inlet to outlet. Its hydraulic law is the pressure drop

    dp(m) = p_inlet - p_outlet  [Pa]

which is odd-like in ``m`` (reverse flow is handled by the same smooth law) and has a derivative
defined at ``m = 0``. A pump has a negative ``dp`` (it raises the pressure).

For speed the laws are evaluated per *law family* on stacked parameter arrays (one numpy call for
all pipes, one for all quadratic-loss components, ...): each class only says which family it
belongs to and which numbers it contributes (:meth:`Branch.law_parameters`).

Units: SI throughout (m, kg, s, Pa, W, K). Volumetric flow ``Q = m / rho`` [m3/s].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from solver.network.errors import NetworkError
from solver.network.friction import FRICTION_LAWS
from solver.network.laws import CLOSED_RESISTANCE, evaluate_single, property_factor
from solver.network.pipe_sizes import nominal_size

KV_BAR = 1e5  # Kv is defined with a 1 bar pressure drop ...
KV_DENSITY = 1000.0  # ... and specific gravity relative to 1000 kg/m3
CV_TO_KV = 0.865  # Kv [m3/h] = 0.865 Cv [US gpm]


def kv_coefficient(kv):
    """Quadratic coefficient ``b`` of ``dp = (b / rho) m|m|`` for a flow coefficient Kv [m3/h].

    From ``Q [m3/h] = Kv sqrt(dp [bar] / SG)`` with ``SG = rho / 1000`` and ``Q = m / rho``.
    """
    return KV_BAR / KV_DENSITY * 3600.0**2 / np.asarray(kv, dtype=float) ** 2


def _positive(name, **values):
    for key, value in values.items():
        if value is None:
            continue
        if not np.isfinite(value) or value <= 0.0:
            raise NetworkError(f"component '{name}': {key} must be positive, got {value}")


def _non_negative(name, **values):
    for key, value in values.items():
        if value is None:
            continue
        if not np.isfinite(value) or value < 0.0:
            raise NetworkError(f"component '{name}': {key} must be >= 0, got {value}")


def fit_power_law(name, x, y, default_exponent=None, rising=False):
    """Least-squares fit ``y = c x^n`` in log-log through datasheet points.

    With a single point, ``n = default_exponent``. Returns ``(c, n)``. With ``rising`` (a
    pressure drop against flow) a fit with ``n <= 0`` is a :class:`NetworkError`: the pressure
    drop of a passive component rises with its flow.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size == 0 or x.size != y.size:
        raise NetworkError(f"component '{name}': curve needs matching, non-empty point lists")
    if np.any(x <= 0) or np.any(y <= 0):
        raise NetworkError(f"component '{name}': curve points must be positive")
    if x.size == 1:
        if default_exponent is None:
            raise NetworkError(f"component '{name}': a one-point curve needs an exponent")
        return float(y[0] / x[0] ** default_exponent), float(default_exponent)
    n, log_c = np.polyfit(np.log(x), np.log(y), 1)
    if rising and n <= 0.0:
        raise NetworkError(f"component '{name}': pressure drop must rise with flow (its points "
                           f"fit dP ~ Q^{n:.3g})")
    return float(np.exp(log_c)), float(n)


@dataclass(frozen=True)
class Branch:
    """Base of every branch component.

    Attributes
    ----------
    name : str
        Unique component name (used in diagnostics and outputs).
    inlet, outlet : str
        Node names; positive flow goes from inlet to outlet.
    """

    name: str
    inlet: str
    outlet: str
    kind: ClassVar[str] = "branch"
    family: ClassVar[str] = "quadratic"

    def law_parameters(self) -> dict[str, float]:
        """Numbers this branch contributes to its law family (see :mod:`solver.network.laws`)."""
        raise NotImplementedError

    @property
    def heat_input(self) -> float:
        """Heat added to the fluid [W] (0 for purely hydraulic components)."""
        return 0.0

    @property
    def flow_area(self) -> float | None:
        """Cross-section for velocity and Reynolds outputs [m2], or None."""
        return None

    @property
    def hydraulic_diameter(self) -> float | None:
        """Diameter for Reynolds outputs [m], or None."""
        return None

    @property
    def is_open(self) -> bool:
        """False for a closed valve or a pump with no running unit (no flow path)."""
        return True

    @property
    def is_one_way(self) -> bool:
        """True for components that only pass flow from inlet to outlet (check valve, pump)."""
        return False

    def pressure_drop(self, m, rho, mu):
        """Pressure drop [Pa] and its derivative [Pa s/kg] for mass flow ``m`` [kg/s].

        Scalar convenience wrapper around the vectorised family law.
        """

        return evaluate_single(self, m, rho, mu)


def _circle_area(d):
    return np.pi * d * d / 4.0


class _RoundBore(Branch):
    """Branch with a round bore of ``diameter`` [m] (a field of the subclass).

    Gives :attr:`flow_area` ``pi d^2 / 4`` [m2] and :attr:`hydraulic_diameter` ``d`` [m].
    """

    @property
    def flow_area(self):
        """Bore cross-section ``pi d^2 / 4`` [m2]."""
        return _circle_area(self.diameter)

    @property
    def hydraulic_diameter(self):
        """Bore diameter [m]."""
        return self.diameter


@dataclass(frozen=True)
class Pipe(_RoundBore):
    """Straight pipe or hose: Darcy-Weisbach friction, minor losses, elevation change.

    ``dp = f(Re, eps/D) L/D rho v|v|/2 + K rho v|v|/2 + rho g dz`` with the Darcy friction factor
    from Churchill (1977) (all regimes, smooth; the default) or laminar 64/Re + Colebrook (1939)
    (the ``friction`` field, reported per pipe in the network table).

    Parameters
    ----------
    length : float
        [m] pipe length.
    diameter : float
        [m] inner diameter.
    roughness : float
        [m] absolute wall roughness (drawn tubing 1.5e-6, EPDM hose about 1e-5).
    elevation_change : float
        [m] outlet height minus inlet height.
    minor_loss : float
        [-] sum of loss coefficients K on the pipe velocity head.
    friction : str
        "churchill" or "colebrook".
    momentum_coefficient : float
        [-] header momentum term ``kappa`` (Bajura & Jones 1976; Wang 2011): the pressure drop
        gains ``kappa * (rho v|v| - rho_p v_p|v_p|)`` with ``v_p`` the velocity in
        ``momentum_partner`` (0 when empty). A dividing-header segment uses ``kappa = -beta_d``
        with its downstream neighbour (static pressure recovers as the header slows); a
        combining-header segment ``kappa = +beta_c`` with its upstream neighbour (pressure is
        spent accelerating the merged flow). ``beta = 1`` is the momentum-theory value,
        ``beta = 1/2`` the Bernoulli one.
    momentum_partner : str
        Name of the neighbouring pipe of the momentum term.
    """

    length: float = 1.0
    diameter: float = 0.01
    roughness: float = 1.5e-6
    elevation_change: float = 0.0
    minor_loss: float = 0.0
    friction: str = "churchill"
    momentum_coefficient: float = 0.0
    momentum_partner: str = ""
    kind: ClassVar[str] = "pipe"
    family: ClassVar[str] = "pipe"

    def __post_init__(self):
        _positive(self.name, length=self.length, diameter=self.diameter)
        _non_negative(self.name, roughness=self.roughness, minor_loss=self.minor_loss)
        if self.friction not in FRICTION_LAWS:
            raise NetworkError(f"component '{self.name}': unknown friction law "
                               f"'{self.friction}' (use one of {', '.join(FRICTION_LAWS)})")

    def law_parameters(self):
        return {"length": self.length, "diameter": self.diameter,
                "relative_roughness": self.roughness / self.diameter,
                "minor_loss": self.minor_loss, "elevation_change": self.elevation_change,
                "colebrook": float(self.friction == "colebrook")}


@dataclass(frozen=True)
class Fitting(_RoundBore):
    """Fitting (elbow, reducer, strainer) with a loss coefficient K on the velocity head.

    ``K = K + K1/Re + Kinf (1 + 1/D_in)`` (Hooper 1981, "2-K", ``D_in`` the inner diameter in
    inches) or ``K = K + K1/Re + Kinf (1 + Kd / D_n^0.3)`` (Darby 2001, "3-K", ``D_n`` the
    nominal pipe size in inches, as Darby's method defines it: ``nominal_size``, or the NPS whose
    schedule-40 bore is nearest to ``diameter``, :func:`~solver.network.pipe_sizes.nominal_size`).
    ``dp = K rho v|v| / 2``.

    Parameters
    ----------
    diameter : float
        [m] reference diameter for the velocity head.
    k : float
        [-] constant loss coefficient.
    k1, k_inf, k_d : float
        [-] 2-K / 3-K constants (0 by default).
    method : str
        "constant", "2K" or "3K".
    nominal_size : float | None
        [in] nominal pipe size of the 3-K method (None: from the schedule-40 table).
    """

    diameter: float = 0.01
    k: float = 0.0
    k1: float = 0.0
    k_inf: float = 0.0
    k_d: float = 0.0
    method: str = "constant"
    elevation_change: float = 0.0
    nominal_size: float | None = None
    kind: ClassVar[str] = "fitting"

    def __post_init__(self):
        _positive(self.name, diameter=self.diameter, nominal_size=self.nominal_size)
        _non_negative(self.name, k=self.k, k1=self.k1, k_inf=self.k_inf, k_d=self.k_d)
        if self.method not in ("constant", "2K", "3K"):
            raise NetworkError(f"component '{self.name}': unknown K method '{self.method}'")

    def turbulent_k(self) -> float:
        """High-Reynolds loss coefficient [-]."""
        d_in = self.diameter / 0.0254
        if self.method == "2K":
            return self.k + self.k_inf * (1.0 + 1.0 / d_in)
        if self.method == "3K":
            d_n = self.nominal_size or nominal_size(self.diameter, f"component '{self.name}'")
            return self.k + self.k_inf * (1.0 + self.k_d / d_n**0.3)
        return self.k

    def law_parameters(self):
        area = self.flow_area
        b = self.turbulent_k() / (2.0 * area**2)
        return {"a_mu": self.k1 / (2.0 * area * self.diameter), "a": 0.0, "b_forward": b,
                "b_reverse": b, "elevation_change": self.elevation_change}


@dataclass(frozen=True)
class TeeLeg(_RoundBore):
    """One leg of a tee or header junction, from a port node to the junction hub.

    Positive flow enters the hub (combining flow through this leg), negative flow leaves it
    (dividing flow). ``dp = K rho v|v| / 2`` with ``K = k_combining`` or ``k_dividing`` by
    direction; the law stays C1 at zero flow because the quadratic term and its slope vanish there.

    Parameters
    ----------
    diameter : float
        [m] leg diameter.
    k_dividing, k_combining : float
        [-] loss coefficients for flow leaving / entering the hub through this leg.
    """

    diameter: float = 0.01
    k_dividing: float = 0.0
    k_combining: float = 0.0
    kind: ClassVar[str] = "tee_leg"

    def __post_init__(self):
        _positive(self.name, diameter=self.diameter)
        _non_negative(self.name, k_dividing=self.k_dividing, k_combining=self.k_combining)

    def law_parameters(self):
        two_a2 = 2.0 * self.flow_area**2
        return {"a_mu": 0.0, "a": 0.0, "b_forward": self.k_combining / two_a2,
                "b_reverse": self.k_dividing / two_a2, "elevation_change": 0.0}


@dataclass(frozen=True)
class QuickDisconnect(_RoundBore):
    """Quick disconnect coupling pair: a flow coefficient (Kv or Cv) or a rated dp-flow point.

    ``dp = 1 bar * SG * (Q / Kv)^2`` (Q in m3/h) or ``dp = dp_rated (Q / Q_rated)^n``.

    Parameters
    ----------
    kv : float | None
        [m3/h at 1 bar] flow coefficient.
    cv : float | None
        [US gpm at 1 psi] flow coefficient (Kv = 0.865 Cv).
    rated_flow : float | None
        [m3/s] flow of the rated point.
    rated_pressure_drop : float | None
        [Pa] pressure drop at the rated flow.
    exponent : float
        [-] exponent n of the rated-point law.
    diameter : float
        [m] bore, for velocity outputs only.
    """

    kv: float | None = None
    cv: float | None = None
    rated_flow: float | None = None
    rated_pressure_drop: float | None = None
    exponent: float = 2.0
    diameter: float = 0.0064
    kind: ClassVar[str] = "quick_disconnect"

    def __post_init__(self):
        _positive(self.name, kv=self.kv, cv=self.cv, rated_flow=self.rated_flow,
                  rated_pressure_drop=self.rated_pressure_drop, exponent=self.exponent,
                  diameter=self.diameter)
        given = [self.kv is not None, self.cv is not None, self.rated_flow is not None]
        if sum(given) != 1 or ((self.rated_flow is None) != (self.rated_pressure_drop is None)):
            raise NetworkError(f"component '{self.name}': give exactly one of kv, cv, or "
                               "rated_flow with rated_pressure_drop")

    @property
    def family(self):  # noqa: D401 - property overriding the class default
        return "quadratic" if self.rated_flow is None or self.exponent == 2.0 else "power"

    def law_parameters(self):
        if self.rated_flow is None:
            kv = self.kv if self.kv is not None else CV_TO_KV * self.cv
            b = kv_coefficient(kv)
            return {"a_mu": 0.0, "a": 0.0, "b_forward": b, "b_reverse": b,
                    "elevation_change": 0.0}
        c = self.rated_pressure_drop / self.rated_flow**self.exponent
        if self.exponent == 2.0:
            return {"a_mu": 0.0, "a": 0.0, "b_forward": c, "b_reverse": c,
                    "elevation_change": 0.0, "b_over_rho2": 1.0}
        return {"coefficient": c, "exponent": self.exponent, "q0": 1e-3 * self.rated_flow}


@dataclass(frozen=True)
class Valve(_RoundBore):
    """Control or balancing valve: ``Kv(opening)`` with a linear, equal-percentage or
    quick-opening characteristic; ``dp = 1 bar * SG * (Q / Kv)^2`` (Q in m3/h).

    Parameters
    ----------
    kv_max : float
        [m3/h at 1 bar] flow coefficient when fully open.
    opening : float
        [-] stroke 0..1; 0 closes the valve (no flow path).
    characteristic : str
        "linear" (Kv = opening Kv_max), "equal_percentage" (Kv = Kv_max R^(opening-1)) or
        "quick_opening" (Kv = sqrt(opening) Kv_max).
    rangeability : float
        [-] R of the equal-percentage characteristic.
    """

    kv_max: float = 1.0
    opening: float = 1.0
    characteristic: str = "linear"
    rangeability: float = 50.0
    diameter: float = 0.02
    kind: ClassVar[str] = "valve"

    def __post_init__(self):
        _positive(self.name, kv_max=self.kv_max, rangeability=self.rangeability,
                  diameter=self.diameter)
        if not 0.0 <= self.opening <= 1.0:
            raise NetworkError(f"component '{self.name}': opening must be in [0, 1], "
                               f"got {self.opening}")
        if self.characteristic not in ("linear", "equal_percentage", "quick_opening"):
            raise NetworkError(f"component '{self.name}': unknown valve characteristic "
                               f"'{self.characteristic}'")

    @property
    def is_open(self):
        return self.opening > 0.0

    def flow_coefficient(self) -> float:
        """Kv at the current opening [m3/h at 1 bar]."""
        x = self.opening
        if self.characteristic == "equal_percentage":
            return self.kv_max * self.rangeability ** (x - 1.0)
        if self.characteristic == "quick_opening":
            return self.kv_max * np.sqrt(x)
        return self.kv_max * x

    def law_parameters(self):
        if not self.is_open:
            return {"a_mu": 0.0, "a": CLOSED_RESISTANCE, "b_forward": 0.0, "b_reverse": 0.0,
                    "elevation_change": 0.0}
        b = kv_coefficient(self.flow_coefficient())
        return {"a_mu": 0.0, "a": 0.0, "b_forward": b, "b_reverse": b, "elevation_change": 0.0}


@dataclass(frozen=True)
class CheckValve(_RoundBore):
    """Non-return valve: Kv in the forward direction, a near-closed leak in reverse.

    Parameters
    ----------
    kv : float
        [m3/h at 1 bar] forward flow coefficient.
    reverse_leak : float
        [-] reverse Kv as a fraction of the forward Kv.
    """

    kv: float = 1.0
    reverse_leak: float = 1e-4
    diameter: float = 0.02
    kind: ClassVar[str] = "check_valve"

    def __post_init__(self):
        _positive(self.name, kv=self.kv, reverse_leak=self.reverse_leak, diameter=self.diameter)

    @property
    def is_one_way(self):
        return True

    def law_parameters(self):
        b = kv_coefficient(self.kv)
        return {"a_mu": 0.0, "a": 0.0, "b_forward": b, "b_reverse": b / self.reverse_leak**2,
                "elevation_change": 0.0}


@dataclass(frozen=True)
class Pump(Branch):
    """A group of identical centrifugal pumps in parallel (N+1 redundancy) at a common speed.

    The head curve of one pump at rated speed, ``dp0(Q)``, is the least-squares quadratic through
    datasheet points; the group with ``n`` running units at relative speed ``s`` follows the
    affinity laws: ``dp(Q) = s^2 dp0(Q / (n s))``. The branch law is ``-dp`` (a pressure rise).
    Shaft power is ``Q dp / eta`` with ``eta(Q / (n s))`` from efficiency points.

    Parameters
    ----------
    flows : tuple of float
        [m3/s] datasheet flows of one pump (strictly increasing).
    pressures : tuple of float
        [Pa] datasheet pressure rise at those flows (strictly decreasing).
    efficiencies : tuple of float | None
        [-] pump efficiency at those flows (default 0.5 everywhere).
    speed : float
        [-] speed relative to the datasheet speed.
    count : int
        Installed pumps (N+1 means one more than needed).
    running : int
        Running pumps (count minus failed or standby units).
    """

    flows: tuple = (0.0, 1e-3, 2e-3)
    pressures: tuple = (1e5, 8e4, 4e4)
    efficiencies: tuple | None = None
    speed: float = 1.0
    count: int = 1
    running: int = 1
    kind: ClassVar[str] = "pump"
    family: ClassVar[str] = "pump"
    coefficients: tuple = field(init=False, repr=False, compare=False, default=())

    def __post_init__(self):
        q = np.asarray(self.flows, dtype=float)
        p = np.asarray(self.pressures, dtype=float)
        if q.size < 2 or q.size != p.size:
            raise NetworkError(f"component '{self.name}': pump curve needs at least two "
                               "(flow, pressure) points of equal count")
        if np.any(np.diff(q) <= 0) or np.any(q < 0):
            raise NetworkError(f"component '{self.name}': pump curve flows must be >= 0 and "
                               "strictly increasing")
        if np.any(np.diff(p) >= 0) or np.any(p <= 0):
            raise NetworkError(f"component '{self.name}': pump curve not monotonic: the "
                               "pressure rise must fall strictly with flow and stay positive")
        _positive(self.name, speed=self.speed)
        if self.count < 1 or not 0 <= self.running <= self.count:
            raise NetworkError(f"component '{self.name}': need count >= 1 and "
                               f"0 <= running <= count (got {self.count}, {self.running})")
        degree = min(2, q.size - 1)
        coeffs = np.polyfit(q, p, degree)[::-1]  # c0 + c1 q + c2 q^2
        coeffs = np.pad(coeffs, (0, 3 - coeffs.size))
        q_hi = q[-1] * 1.5
        slope = coeffs[1] + 2.0 * coeffs[2] * np.array([0.0, q_hi])
        if np.any(slope > 1e-9 * coeffs[0] / q[-1]):
            raise NetworkError(f"component '{self.name}': pump curve not monotonic: its "
                               "quadratic fit rises with flow between 0 and 1.5x the last point")
        if self.efficiencies is not None:
            eta = np.asarray(self.efficiencies, dtype=float)
            if eta.size != q.size or np.any(eta <= 0) or np.any(eta > 1):
                raise NetworkError(f"component '{self.name}': efficiencies must be in (0, 1], "
                                   "one per curve point")
        object.__setattr__(self, "coefficients", tuple(float(c) for c in coeffs))

    @property
    def is_open(self):
        return self.running > 0

    @property
    def is_one_way(self):
        return True

    def pressure_rise(self, q):
        """Pressure rise [Pa] of the running group at volumetric flow ``q`` [m3/s]."""
        n, s = max(self.running, 1), self.speed
        c0, c1, c2 = self.coefficients
        x = np.asarray(q, dtype=float) / (n * s)
        return s * s * (c0 + c1 * x + c2 * x * x)

    def shutoff_pressure(self) -> float:
        """Pressure rise at zero flow [Pa]."""
        return float(self.pressure_rise(0.0))

    def runout_flow(self) -> float:
        """Flow at which the fitted curve reaches zero pressure rise [m3/s]."""
        c0, c1, c2 = self.coefficients
        roots = np.roots([c2, c1, c0]) if c2 != 0 else np.array([-c0 / c1])
        roots = roots[np.isreal(roots)].real
        x = float(roots[roots > 0].min()) if np.any(roots > 0) else float(self.flows[-1])
        return x * max(self.running, 1) * self.speed

    def efficiency(self, q) -> float:
        """Pump efficiency [-] at group flow ``q`` [m3/s] (affinity-similar point)."""
        if self.efficiencies is None:
            return 0.5
        x = float(q) / (max(self.running, 1) * self.speed)
        return float(np.clip(np.interp(x, self.flows, self.efficiencies), 0.05, 1.0))

    def shaft_power(self, q, pressure_rise) -> float:
        """Shaft power [W] of the running group: hydraulic power over the pump efficiency,
        ``q * pressure_rise / efficiency(q)``, with ``q`` [m3/s] the group flow and
        ``pressure_rise`` [Pa]; 0 when no unit runs or the group does not raise the pressure."""
        hydraulic = float(q) * float(pressure_rise)
        if not self.is_open or hydraulic <= 0.0:
            return 0.0
        return hydraulic / self.efficiency(q)

    def law_parameters(self):
        c0, c1, c2 = self.coefficients
        if not self.is_open:
            return {"c0": 0.0, "c1": 0.0, "c2": 0.0, "n_speed": 1.0, "speed": 1.0,
                    "closed": 1.0}
        return {"c0": c0, "c1": c1, "c2": c2, "n_speed": self.running * self.speed,
                "speed": self.speed, "closed": 0.0}


@dataclass(frozen=True)
class ColdPlate(Branch):
    """Cold plate as a network branch: a dP(Q) curve and a thermal resistance R(Q) or fixed R.

    ``dp = c Q^n`` fitted in log-log through ``(flows, pressure_drops)``; ``R = a Q^-b`` fitted
    through ``(resistance_flows, resistances)`` or a constant ``resistance``. The plate adds
    ``power`` to the coolant; its case temperature is ``T_case = T_inlet + R(Q) * power``
    (OCP metric, R = (T_case - T_inlet) / Q).

    Viscosity and density. With the coolant properties at each curve point
    (``reference_densities``, ``reference_viscosities``) the power law is read as a friction
    factor that follows a power of the Reynolds number, ``f ~ Re^(n-2)``, so that

        dp = c (rho / rho_0)^(n-1) (mu / mu_0)^(2-n) Q^n

    with ``rho_0, mu_0`` the geometric means of the points' properties: ``n = 1`` is wholly
    viscous (Hagen-Poiseuille, dp ~ mu Q), ``n = 2`` wholly inertial (dp ~ rho V^2 ~ rho Q^2),
    and an exponent between weighs the two. ``c, n`` are fitted in these similarity variables
    (``Q rho / mu`` against ``dp rho / mu^2``, log-log), and the branch law evaluates the
    factor with the density and viscosity of its coolant at its operating temperature. Without
    them the curve holds at every temperature (no correction). The thermal resistance is not
    corrected: ``R = a Q^-b`` has no flow-independent (conduction) part to keep apart from the
    convective one, and the R(Q) points are case-to-inlet values that carry the coolant's own
    caloric rise.

    Parameters
    ----------
    flows, pressure_drops : tuple of float
        [m3/s], [Pa] dP curve points (one point uses ``exponent``).
    exponent : float
        [-] dP exponent used with a one-point curve (about 1.85 for cold plates).
    power : float
        [W] heat load of the chip(s) on the plate.
    resistance : float | None
        [K/W] fixed case-to-inlet thermal resistance.
    resistance_flows, resistances : tuple of float
        [m3/s], [K/W] R(Q) curve points.
    reference_densities, reference_viscosities : tuple of float
        [kg/m3], [Pa s] coolant density and viscosity at each dP point (at its mean coolant
        temperature); empty: no viscosity and density correction.
    """

    flows: tuple = (1.0 / 60000.0,)
    pressure_drops: tuple = (2e4,)
    exponent: float = 1.85
    power: float = 0.0
    resistance: float | None = None
    resistance_flows: tuple = ()
    resistances: tuple = ()
    reference_densities: tuple = ()
    reference_viscosities: tuple = ()
    kind: ClassVar[str] = "cold_plate"
    family: ClassVar[str] = "power"
    fit: tuple = field(init=False, repr=False, compare=False, default=())
    reference: tuple = field(init=False, repr=False, compare=False, default=(0.0, 0.0))

    def __post_init__(self):
        _non_negative(self.name, power=self.power)
        _positive(self.name, resistance=self.resistance)
        flows, drops = self.flows, self.pressure_drops
        if len(self.reference_densities) or len(self.reference_viscosities):
            rho = np.asarray(self.reference_densities, dtype=float)
            mu = np.asarray(self.reference_viscosities, dtype=float)
            if rho.size != len(flows) or mu.size != len(flows) or np.any(rho <= 0) \
                    or np.any(mu <= 0):
                raise NetworkError(f"component '{self.name}': reference densities and "
                                   "viscosities need one positive value per dP point")
            rho_0, mu_0 = float(np.exp(np.mean(np.log(rho)))), float(np.exp(np.mean(np.log(mu))))
            ratio = (rho / rho_0) / (mu / mu_0)
            # similarity variables: dp r / v^2 = c (Q r / v)^n with r = rho/rho_0, v = mu/mu_0
            flows = np.asarray(flows, dtype=float) * ratio
            drops = np.asarray(drops, dtype=float) * ratio / (mu / mu_0)
            object.__setattr__(self, "reference", (rho_0, mu_0))
        c, n = fit_power_law(self.name, flows, drops, self.exponent, rising=True)
        if len(self.resistance_flows):
            a, b = fit_power_law(self.name, self.resistance_flows, self.resistances, 0.0)
        elif self.resistance is not None:
            a, b = self.resistance, 0.0
        else:
            a, b = 0.0, 0.0
        object.__setattr__(self, "fit", (c, n, a, b))

    @property
    def heat_input(self):
        return self.power

    def thermal_resistance(self, q) -> float:
        """Case-to-inlet thermal resistance [K/W] at volumetric flow ``q`` [m3/s]."""
        _, _, a, b = self.fit
        q = max(abs(float(q)), 1e-12)
        return a * q**b

    def property_factor(self, density, viscosity) -> float:
        """[-] ``(rho / rho_0)^(n-1) (mu / mu_0)^(2-n)``: the dP curve's change from the
        characterization's coolant properties to ``density`` [kg/m3] and ``viscosity``
        [Pa s] (1 without reference properties)."""
        return float(property_factor(self.fit[1], density, viscosity, *self.reference))

    def law_parameters(self):
        c, n, _, _ = self.fit
        rho_0, mu_0 = self.reference
        return {"coefficient": c, "exponent": n, "q0": 1e-3 * float(np.max(self.flows)),
                "reference_density": rho_0, "reference_viscosity": mu_0}


@dataclass(frozen=True)
class HeatLoad(Branch):
    """A heat load on the coolant (a plate, a rear-door coil, an aggregate of servers).

    Hydraulically it is a rated dp-flow point with exponent 2 (or nearly lossless by default).

    Parameters
    ----------
    power : float
        [W] heat added to the coolant.
    rated_flow, rated_pressure_drop : float
        [m3/s], [Pa] one point of the quadratic dp law.
    """

    power: float = 0.0
    rated_flow: float = 1e-3
    rated_pressure_drop: float = 1.0
    kind: ClassVar[str] = "heat_load"

    def __post_init__(self):
        _non_negative(self.name, power=self.power)
        _positive(self.name, rated_flow=self.rated_flow,
                  rated_pressure_drop=self.rated_pressure_drop)

    @property
    def heat_input(self):
        return self.power

    def law_parameters(self):
        b = self.rated_pressure_drop / self.rated_flow**2
        return {"a_mu": 0.0, "a": 0.0, "b_forward": b, "b_reverse": b, "elevation_change": 0.0,
                "b_over_rho2": 1.0}


@dataclass(frozen=True)
class HeatExchangerSide(Branch):
    """One stream of a counterflow plate heat exchanger (hydraulics only).

    ``dp = dp_rated (Q / Q_rated)^n``; the heat transfer is done by :class:`HeatExchanger`.
    """

    rated_flow: float = 1e-3
    rated_pressure_drop: float = 3e4
    exponent: float = 1.8
    side: str = "hot"
    exchanger: str = ""
    kind: ClassVar[str] = "heat_exchanger_side"
    family: ClassVar[str] = "power"

    def __post_init__(self):
        _positive(self.name, rated_flow=self.rated_flow,
                  rated_pressure_drop=self.rated_pressure_drop, exponent=self.exponent)

    def law_parameters(self):
        c = self.rated_pressure_drop / self.rated_flow**self.exponent
        return {"coefficient": c, "exponent": self.exponent, "q0": 1e-3 * self.rated_flow}


@dataclass(frozen=True)
class HeatExchanger:
    """Counterflow plate heat exchanger coupling a hot and a cold stream (effectiveness-NTU).

    ``UA`` scales with the two flows through the film coefficients,
    ``1/UA = 1/(hA_h) + 1/(hA_c)`` with ``hA_x = 2 UA_rated (m_x / m_x,rated)^exponent`` (the
    rated UA split evenly between the sides). Effectiveness (Incropera & DeWitt, Table 11.3;
    Shah & Sekulic 2003, Table 3.3), counterflow:
    ``eps = (1 - exp(-NTU (1 - Cr))) / (1 - Cr exp(-NTU (1 - Cr)))`` for ``Cr < 1``,
    ``eps = NTU / (1 + NTU)`` for ``Cr = 1``.

    Parameters
    ----------
    name : str
        Exchanger name; its sides are ``<name>.hot`` and ``<name>.cold``.
    hot, cold : HeatExchangerSide
        The two streams (hot = technology cooling loop, cold = facility water).
    ua : float
        [W/K] overall conductance at the rated flows.
    rated_hot_flow, rated_cold_flow : float
        [kg/s] mass flows at which ``ua`` holds.
    exponent : float
        [-] film-coefficient flow exponent (0 keeps UA constant).
    """

    name: str
    hot: HeatExchangerSide
    cold: HeatExchangerSide
    ua: float
    rated_hot_flow: float
    rated_cold_flow: float
    exponent: float = 0.7

    def __post_init__(self):
        _positive(self.name, ua=self.ua, rated_hot_flow=self.rated_hot_flow,
                  rated_cold_flow=self.rated_cold_flow)
        _non_negative(self.name, exponent=self.exponent)

    def conductance(self, m_hot, m_cold) -> float:
        """UA [W/K] at hot and cold mass flows [kg/s]."""
        if self.exponent == 0.0:
            return self.ua
        ha_h = 2.0 * self.ua * (max(abs(m_hot), 1e-12) / self.rated_hot_flow) ** self.exponent
        ha_c = 2.0 * self.ua * (max(abs(m_cold), 1e-12) / self.rated_cold_flow) ** self.exponent
        return 1.0 / (1.0 / ha_h + 1.0 / ha_c)


def counterflow_effectiveness(ntu, capacity_ratio):
    """Counterflow heat-exchanger effectiveness [-] from NTU [-] and Cr = Cmin/Cmax [-].

    Closed forms from Incropera & DeWitt, Fundamentals of Heat and Mass Transfer, Table 11.3
    (also Shah & Sekulic 2003, Table 3.3); the Cr = 1 limit is used within 1e-9 of Cr = 1.
    """
    ntu = float(ntu)
    cr = float(capacity_ratio)
    if ntu <= 0.0:
        return 0.0
    if abs(1.0 - cr) < 1e-9:
        return ntu / (1.0 + ntu)
    e = np.exp(-ntu * (1.0 - cr))
    return float((1.0 - e) / (1.0 - cr * e))


BRANCH_KINDS = {cls.kind: cls for cls in (Pipe, Fitting, TeeLeg, QuickDisconnect, Valve, CheckValve,
                                           Pump, ColdPlate, HeatLoad, HeatExchangerSide)}
