"""Network components: friction laws, pressure-drop laws, derivatives, heat-exchanger closed forms.

References
----------
- Hagen-Poiseuille: dp = 128 mu L Q / (pi D^4) (e.g. White, Fluid Mechanics, Eq. 6.12).
- Colebrook, C. F. (1939), J. Inst. Civil Eng. 11, 133-156:
  1/sqrt(f) = -2 log10(eps/(3.7 D) + 2.51/(Re sqrt(f))).
- Churchill, S. W. (1977), Chem. Eng. 84(24), 91-92.
- Incropera & DeWitt, Fundamentals of Heat and Mass Transfer, Table 11.3 (counterflow
  effectiveness-NTU), also Shah & Sekulic (2003), Table 3.3.
"""

import numpy as np
import pytest
from scipy.optimize import brentq

from solver.network import NetworkError
from solver.network.components import (
    CheckValve,
    ColdPlate,
    Fitting,
    HeatExchanger,
    HeatExchangerSide,
    HeatLoad,
    Pipe,
    Pump,
    QuickDisconnect,
    TeeLeg,
    Valve,
    counterflow_effectiveness,
)
from solver.network.friction import churchill, colebrook
from solver.network.laws import signed_power

RHO, MU = 998.2, 1.002e-3


def colebrook_reference(re, rr):
    """Colebrook (1939) solved independently by bracketing on x = 1/sqrt(f)."""
    g = lambda x: x + 2.0 * np.log10(rr / 3.7 + 2.51 * x / re)  # noqa: E731
    x = brentq(g, 0.5, 50.0, xtol=1e-15, rtol=1e-15)
    return 1.0 / x**2


@pytest.mark.parametrize("friction", ["churchill", "colebrook"])
def test_laminar_pipe_matches_hagen_poiseuille(friction):
    d, length, q = 0.004, 1.5, 2e-6  # Re about 630
    pipe = Pipe("p", "a", "b", length=length, diameter=d, friction=friction)
    dp, _ = pipe.pressure_drop(q * RHO, RHO, MU)
    exact = 128.0 * MU * length * q / (np.pi * d**4)
    assert abs(dp / exact - 1.0) < 1e-6


@pytest.mark.parametrize("re,rr", [(1e4, 0.0), (5e4, 1e-4), (2e5, 1e-3), (1e6, 5e-5)])
def test_turbulent_pipe_matches_colebrook(re, rr):
    d, length = 0.02, 3.0
    area = np.pi * d * d / 4.0
    m = re * area * MU / d
    pipe = Pipe("p", "a", "b", length=length, diameter=d, roughness=rr * d, friction="colebrook")
    dp, _ = pipe.pressure_drop(m, RHO, MU)
    v = m / (RHO * area)
    exact = colebrook_reference(re, rr) * length / d * RHO * v * v / 2.0
    assert abs(dp / exact - 1.0) < 1e-6
    # Churchill (1977) is an explicit fit: within 3% of Colebrook in the turbulent range
    f_ch, _ = churchill(np.array([re]), np.array([rr]))
    assert abs(f_ch[0] / colebrook_reference(re, rr) - 1.0) < 0.03


@pytest.mark.parametrize("law", [churchill, colebrook])
def test_friction_derivatives_match_finite_differences(law):
    re = np.array([50.0, 1500.0, 2500.0, 3500.0, 8000.0, 1e5])
    rr = np.full_like(re, 1e-4)
    f, df = law(re, rr)
    h = re * 1e-6
    fd = (law(re + h, rr)[0] - law(re - h, rr)[0]) / (2 * h)
    assert np.allclose(df, fd, rtol=1e-5)


def _branches():
    return [
        Pipe("pipe", "a", "b", length=2.0, diameter=0.01, roughness=1e-5, elevation_change=0.3,
             minor_loss=1.5),
        Pipe("pipe_c", "a", "b", length=2.0, diameter=0.01, friction="colebrook"),
        Fitting("fit2k", "a", "b", diameter=0.02, k1=800.0, k_inf=0.25, method="2K"),
        Fitting("fit3k", "a", "b", diameter=0.02, k1=800.0, k_inf=0.091, k_d=4.0, method="3K"),
        TeeLeg("leg", "a", "b", diameter=0.02, k_dividing=1.2, k_combining=0.8),
        QuickDisconnect("qd_kv", "a", "b", kv=2.0),
        QuickDisconnect("qd_cv", "a", "b", cv=2.0),
        QuickDisconnect("qd_pt", "a", "b", rated_flow=1e-4, rated_pressure_drop=5e3,
                        exponent=1.9),
        Valve("valve", "a", "b", kv_max=5.0, opening=0.6, characteristic="equal_percentage"),
        CheckValve("check", "a", "b", kv=3.0),
        Pump("pump", "a", "b", flows=(0.0, 1e-3, 2e-3), pressures=(1e5, 9e4, 6e4), count=3,
             running=2, speed=0.9),
        ColdPlate("plate", "a", "b", flows=(1e-5, 2.5e-5, 4e-5),
                  pressure_drops=(3e3, 1.5e4, 3.6e4), power=1000.0, resistance=0.02),
        HeatLoad("load", "a", "b", power=500.0),
        HeatExchangerSide("hx.hot", "a", "b", rated_flow=2e-3, rated_pressure_drop=3e4),
    ]


@pytest.mark.parametrize("branch", _branches(), ids=lambda b: b.name)
@pytest.mark.parametrize("m", [-0.12, -1e-3, 0.0, 2e-6, 4e-3, 0.3])
def test_law_derivative_matches_finite_difference(branch, m):
    dp, ddp = branch.pressure_drop(m, RHO, MU)
    assert np.isfinite(dp) and np.isfinite(ddp)
    h = max(abs(m), 1e-3) * 1e-5

    def central(step):
        return (branch.pressure_drop(m + step, RHO, MU)[0]
                - branch.pressure_drop(m - step, RHO, MU)[0]) / (2 * step)

    fd = central(h)
    if m == 0.0 and branch.kind == "check_valve":
        return  # forward/reverse coefficients differ: only one-sided slopes exist at zero
    # at m = 0 a pure m|m| law is only C1, so the difference quotient carries an O(h) term
    kink = 2.0 * abs(central(2 * h) - fd) if m == 0.0 else 0.0
    assert ddp == pytest.approx(fd, rel=1e-4, abs=kink + 1e-12 * max(abs(dp), 1.0) / h)


def test_laws_are_odd_for_reverse_flow():
    pipe = Pipe("p", "a", "b", length=1.0, diameter=0.01)
    plate = ColdPlate("c", "a", "b", flows=(2.5e-5,), pressure_drops=(2e4,))
    for b in (pipe, plate):
        for m in (1e-4, 0.02):
            reverse = b.pressure_drop(-m, RHO, MU)[0]
            assert reverse == pytest.approx(-b.pressure_drop(m, RHO, MU)[0], rel=1e-12)


def test_signed_power_is_c1_at_regularisation_point():
    q0 = 1e-3
    v_in, s_in = signed_power(np.array([q0 * (1 - 1e-12)]), 1.85, q0)
    v_out, s_out = signed_power(np.array([q0]), 1.85, q0)
    assert v_in[0] == pytest.approx(v_out[0], rel=1e-9)
    assert s_in[0] == pytest.approx(s_out[0], rel=1e-9)
    assert signed_power(np.array([0.0]), 1.85, q0)[1][0] > 0.0


def test_kv_definition():
    # Kv: 1 m3/h of water (SG 1) at 1 bar; Kv = 2 -> 2 m3/h at 1 bar
    qd = QuickDisconnect("qd", "a", "b", kv=2.0)
    dp, _ = qd.pressure_drop(2.0 / 3600.0 * 1000.0, 1000.0, MU)
    assert dp == pytest.approx(1e5, rel=1e-12)


def test_pump_affinity_and_parallel_units():
    pump = Pump("p", "a", "b", flows=(0.0, 1e-3, 2e-3), pressures=(1e5, 9e4, 6e4))
    group = Pump("g", "a", "b", flows=(0.0, 1e-3, 2e-3), pressures=(1e5, 9e4, 6e4), count=3,
                 running=2, speed=0.8)
    q = 1.2e-3
    # affinity: dp(Q, s) = s^2 dp(Q/s); n pumps share the flow equally
    expected = 0.64 * pump.pressure_rise(q)
    assert group.pressure_rise(2 * 0.8 * q) == pytest.approx(expected, rel=1e-12)
    assert pump.pressure_rise(1e-3) == pytest.approx(9e4, rel=1e-12)  # exact through 3 points


def test_counterflow_effectiveness_closed_forms():
    for ntu in (0.1, 0.5, 1.0, 2.5, 6.0):
        for cr in (0.0, 0.25, 0.5, 0.9):
            e = np.exp(-ntu * (1 - cr))
            assert counterflow_effectiveness(ntu, cr) == pytest.approx((1 - e) / (1 - cr * e),
                                                                       rel=1e-14)
        assert counterflow_effectiveness(ntu, 1.0) == pytest.approx(ntu / (1 + ntu), rel=1e-14)
        # continuity of the Cr -> 1 limit
        assert counterflow_effectiveness(ntu, 1 - 1e-7) == pytest.approx(ntu / (1 + ntu),
                                                                         rel=1e-6)
    assert counterflow_effectiveness(3.0, 0.0) == pytest.approx(1 - np.exp(-3.0), rel=1e-14)


def test_exchanger_conductance_scales_with_flow():
    hot = HeatExchangerSide("x.hot", "a", "b")
    cold = HeatExchangerSide("x.cold", "c", "d")
    hx = HeatExchanger("x", hot, cold, ua=1000.0, rated_hot_flow=1.0, rated_cold_flow=2.0,
                       exponent=0.8)
    assert hx.conductance(1.0, 2.0) == pytest.approx(1000.0, rel=1e-12)
    ha = 2000.0 * 0.5**0.8
    assert hx.conductance(0.5, 2.0) == pytest.approx(1 / (1 / ha + 1 / 2000.0), rel=1e-12)


@pytest.mark.parametrize("make,word", [
    (lambda: Pipe("hose", "a", "b", length=-1.0, diameter=0.01), "length"),
    (lambda: Pipe("hose", "a", "b", length=1.0, diameter=0.0), "diameter"),
    (lambda: QuickDisconnect("qd", "a", "b", kv=-2.0), "kv"),
    (lambda: Valve("v", "a", "b", kv_max=1.0, opening=1.5), "opening"),
    (lambda: ColdPlate("plate", "a", "b", flows=(1e-5,), pressure_drops=(-3.0,)), "positive"),
])
def test_negative_sizes_name_the_component(make, word):
    with pytest.raises(NetworkError) as err:
        make()
    message = str(err.value)
    assert word in message and "'" in message and "\n" not in message


def test_pump_curve_not_monotonic_is_rejected():
    with pytest.raises(NetworkError, match="'cdu.pump'.*not monotonic"):
        Pump("cdu.pump", "a", "b", flows=(0.0, 1e-3, 2e-3), pressures=(1e5, 1.1e5, 6e4))
