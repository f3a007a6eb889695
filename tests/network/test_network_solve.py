"""Network solves against closed forms and published theory.

References
----------
- Series/parallel quadratic resistances and a pump against a system curve: exact algebra.
- Hardy Cross, H. (1936). Analysis of flow in networks of conduits or conductors. Univ. Illinois
  Eng. Exp. Station Bulletin 286: the loop-balancing method, implemented independently below and
  applied to the two-loop, five-pipe example of the R package `hydraulics` (E. Maurer,
  `hardycross()` documentation: K = 200, 2500, 500, 800, 300 with hf = K Q^2, 0.5 m3/s in at C and
  out at B).
- Bajura, R. A. & Jones, E. H. (1976). Flow distribution manifolds. J. Fluids Eng. 98, 654-665;
  Wang, J. (2011). Theory of flow distribution in manifolds. Chem. Eng. J. 168, 1331-1345: the
  pressure-flow equation set for reverse (U) and parallel (Z) flow manifolds. In the limit of
  negligible momentum (inertia) terms and linear (laminar) header friction the flow-distribution
  equation is linear, S'' = lambda^2 S (U) or (S - Q/2)'' = lambda^2 (S - Q/2) (Z), with
  lambda^2 = 2 r'/R' (header resistance per length over lateral resistance times length), solved
  in hyperbolic functions; its discrete counterpart (the ladder network solved here) has the exact
  solution S_k = A cosh(k theta) + B sinh(k theta), cosh(theta) = 1 + r/R.
- Incropera & DeWitt, Table 11.3: counterflow effectiveness-NTU.
"""

import numpy as np
import pytest
from jacobians import central_difference_error

from solver.materials import Coolant, get_coolant
from solver.network import (
    CoupledSolve,
    ExpansionTank,
    FlowBoundary,
    Network,
    Node,
    PressureBoundary,
    solve_network,
)
from solver.network.components import (
    ColdPlate,
    HeatExchanger,
    HeatExchangerSide,
    HeatLoad,
    Pipe,
    Pump,
)
from solver.network.controls import PumpSpeedControl, solve_with_controls
from solver.network.hydraulics import HydraulicSolve, solve_hydraulics

RHO = 1000.0
FLUID = Coolant.constant("test", rho=RHO, cp=4180.0, mu=1e-3, k=0.6)
FLUIDS = {"coolant": FLUID, "facility": FLUID}


def nodes(*names, fluid="coolant"):
    return [Node(n, fluid=fluid) for n in names]


def quadratic(name, a, b, c):
    """HeatLoad used as a pure quadratic resistance dp = c Q|Q| [Pa, m3/s]."""
    return HeatLoad(name, a, b, power=0.0, rated_flow=1.0, rated_pressure_drop=c)


def flows(sol):
    return sol.volumetric_flow


def test_series_and_parallel_are_exact():
    dp, c0, c1, c2 = 5e4, 2e9, 3e9, 7e9
    net = Network(nodes("in", "mid", "out"),
                  [quadratic("r0", "in", "mid", c0), quadratic("r1", "mid", "out", c1),
                   quadratic("r2", "mid", "out", c2)],
                  pressure_boundaries=[PressureBoundary("pin", "in", dp),
                                       PressureBoundary("pout", "out", 0.0)])
    sol = solve_network(net, FLUIDS)
    c_parallel = 1.0 / (1.0 / np.sqrt(c1) + 1.0 / np.sqrt(c2)) ** 2
    q = np.sqrt(dp / (c0 + c_parallel))
    q1 = np.sqrt(c_parallel / c1) * q
    q2 = np.sqrt(c_parallel / c2) * q
    assert flows(sol) == pytest.approx([q, q1, q2], rel=1e-10)
    assert sol.mass_imbalance() < 1e-12


@pytest.mark.parametrize("running,speed", [(1, 1.0), (2, 0.8), (3, 1.1)])
def test_pump_against_system_curve_is_exact(running, speed):
    # pump datasheet on the parabola dp0 = 1e5 - 2e10 Q^2; system dp = 3e10 Q^2
    pump = Pump("pump", "a", "b", flows=(0.0, 1e-3, 2e-3), pressures=(1e5, 8e4, 2e4), count=3,
                running=running, speed=speed)
    net = Network(nodes("a", "b"), [pump, quadratic("system", "b", "a", 3e10)],
                  tanks=[ExpansionTank("tank", "a", 1e5)])
    sol = solve_network(net, FLUIDS)
    n = running
    q = np.sqrt(speed**2 * 1e5 / (3e10 + 2e10 * speed**2 / (n * speed) ** 2))
    assert flows(sol)[0] == pytest.approx(q, rel=1e-10)
    assert -sol.pressure_drop[0] == pytest.approx(3e10 * q * q, rel=1e-10)


def test_reverse_flow_through_a_pipe_drawn_backwards():
    d, length = 0.004, 1.0
    net = Network(nodes("a", "b"), [Pipe("back", "b", "a", length=length, diameter=d)],
                  pressure_boundaries=[PressureBoundary("pa", "a", 200.0),
                                       PressureBoundary("pb", "b", 0.0)])
    sol = solve_network(net, FLUIDS)
    exact = 200.0 * np.pi * d**4 / (128.0 * 1e-3 * length)  # Hagen-Poiseuille, b -> a negative
    assert flows(sol)[0] == pytest.approx(-exact, rel=1e-6)


def hardy_cross_reference():
    """Textbook loop-balancing (Hardy Cross 1936) for the R `hydraulics` documentation network."""
    k = {1: 200.0, 2: 2500.0, 3: 500.0, 4: 800.0, 5: 300.0}
    # orientation used here: 1 C->A, 2 A->D, 3 C->D, 4 A->B, 5 D->B; flows satisfy continuity
    q = {1: 0.3, 2: 0.1, 3: 0.2, 4: 0.2, 5: 0.3}
    loops = [[(2, +1), (3, -1), (1, +1)],  # A->D->C->A
             [(4, +1), (5, -1), (2, -1)]]  # A->B->D->A
    for _ in range(200):
        biggest = 0.0
        for loop in loops:
            num = sum(s * k[j] * q[j] * abs(q[j]) for j, s in loop)
            den = sum(2.0 * k[j] * abs(q[j]) for j, _ in loop)
            dq = -num / den
            for j, s in loop:
                q[j] += s * dq
            biggest = max(biggest, abs(dq))
        if biggest < 1e-15:
            break
    return q, k


def test_looped_network_matches_hardy_cross():
    q_ref, k = hardy_cross_reference()
    g = 9.80665
    ends = {1: ("C", "A"), 2: ("A", "D"), 3: ("C", "D"), 4: ("A", "B"), 5: ("D", "B")}
    branches = [quadratic(f"pipe{j}", *ends[j], RHO * g * k[j]) for j in range(1, 6)]
    net = Network(nodes("A", "B", "C", "D"), branches,
                  pressure_boundaries=[PressureBoundary("outlet", "B", 0.0)],
                  flow_boundaries=[FlowBoundary("inlet", "C", 0.5 * RHO)])
    sol = solve_network(net, FLUIDS)
    q = flows(sol)
    for j in range(1, 6):
        assert q[j - 1] == pytest.approx(q_ref[j], rel=5e-3)  # issue tolerance 0.5%
        assert q[j - 1] == pytest.approx(q_ref[j], rel=1e-9)  # actually agrees to round-off
    # head balance around loop A-C-D is closed
    hf = {j: k[j] * q[j - 1] * abs(q[j - 1]) for j in range(1, 6)}
    assert hf[2] - hf[3] + hf[1] == pytest.approx(0.0, abs=1e-9 * max(hf.values()))


def manifold(kind, n, r_header, r_branch, q_total):
    """Laminar ladder manifold with header segment resistance r and lateral resistance R."""
    mu, d = 1e-3, 0.01
    # choose pipe lengths so that 128 mu L / (pi d^4) equals the wanted linear resistance
    length = lambda r: r * np.pi * d**4 / (128.0 * mu)  # noqa: E731
    names = [f"s{k}" for k in range(1, n + 1)] + [f"r{k}" for k in range(1, n + 1)]
    branches = []
    for k in range(1, n):
        branches.append(Pipe(f"sh{k}", f"s{k}", f"s{k + 1}", length(r_header), d,
                             friction="colebrook"))
        if kind == "U":
            branches.append(Pipe(f"rh{k}", f"r{k + 1}", f"r{k}", length(r_header), d,
                                 friction="colebrook"))
        else:
            branches.append(Pipe(f"rh{k}", f"r{k}", f"r{k + 1}", length(r_header), d,
                                 friction="colebrook"))
    for k in range(1, n + 1):
        branches.append(Pipe(f"lat{k}", f"s{k}", f"r{k}", length(r_branch), d,
                             friction="colebrook"))
    outlet = "r1" if kind == "U" else f"r{n}"
    net = Network(nodes(*names), branches,
                  pressure_boundaries=[PressureBoundary("out", outlet, 0.0)],
                  flow_boundaries=[FlowBoundary("in", "s1", q_total * RHO)])
    sol = solve_network(net, FLUIDS)
    lateral = np.array([sol.volumetric_flow[net.branch_index(f"lat{k}")]
                        for k in range(1, n + 1)])
    return lateral, sol


def ladder_exact(kind, n, ratio, q_total):
    """Exact discrete solution: header flows S_k, k = 0..n, laterals q_k = S_{k-1} - S_k."""
    theta = np.arccosh(1.0 + ratio)
    k = np.arange(n + 1)
    if kind == "U":
        s = q_total * np.sinh((n - k) * theta) / np.sinh(n * theta)
    else:
        b = -(q_total / 2) * (1 + np.cosh(n * theta)) / np.sinh(n * theta)
        s = q_total / 2 + (q_total / 2) * np.cosh(k * theta) + b * np.sinh(k * theta)
    return s[:-1] - s[1:]


def continuous_theory(kind, n, ratio, q_total):
    """Bajura & Jones (1976) / Wang (2011) linear-friction, no-momentum limit, integrated per
    lateral: S(x) = Q sinh(lam (L - x)) / sinh(lam L) (U), Q/2 + Q/2 [cosh lam x -
    (1 + cosh lam L)/sinh lam L sinh lam x] (Z), with lam dx = sqrt(2 r / R)."""
    lam_l = n * np.sqrt(2.0 * ratio)
    x = np.arange(n + 1) / n
    if kind == "U":
        s = q_total * np.sinh(lam_l * (1 - x)) / np.sinh(lam_l)
    else:
        s = q_total / 2 * (1 + np.cosh(lam_l * x)
                           - (1 + np.cosh(lam_l)) / np.sinh(lam_l) * np.sinh(lam_l * x))
    return s[:-1] - s[1:]


@pytest.mark.parametrize("kind", ["U", "Z"])
def test_manifold_distribution_matches_analytic_theory(kind):
    n, r_header, r_branch, q_total = 60, 2e5, 2e8, 6e-6  # laminar everywhere (Re < 2300)
    lateral, sol = manifold(kind, n, r_header, r_branch, q_total)
    ratio = r_header / r_branch
    assert lateral == pytest.approx(ladder_exact(kind, n, ratio, q_total), rel=1e-9)
    theory = continuous_theory(kind, n, ratio, q_total)
    assert np.max(np.abs(lateral / theory - 1.0)) < 2e-3
    if kind == "U":  # reverse-flow manifold: the lateral nearest the inlet gets the most
        assert lateral[0] == lateral.max() and lateral[-1] == lateral.min()
        # end-to-end ratio of the point values q(L)/q(0) = 1/cosh(lam L); the laterals are
        # averages over their header cell, hence the looser tolerance
        assert lateral[-1] / lateral[0] == pytest.approx(1 / np.cosh(n * np.sqrt(2 * ratio)),
                                                         rel=0.03)
    else:  # parallel-flow manifold with friction only: symmetric, ends favoured
        assert lateral == pytest.approx(lateral[::-1], rel=1e-9)
    assert sol.mass_imbalance() < 1e-10


def rack_like(n_trays=12, power=1000.0, fluid_key="coolant"):
    """Closed TCS loop with U manifold of cold plates, CDU pump, HX and facility water."""
    nn = [Node("cdu.in"), Node("cdu.out"), Node("cdu.supply"), Node("fw.in", fluid="facility"),
          Node("fw.out", fluid="facility")]
    br = [Pump("pump", "cdu.in", "cdu.out", flows=(0.0, 5e-4, 1e-3), pressures=(2e5, 1.8e5, 1.2e5)),
          Pipe("supply_pipe", "cdu.supply", "s0", 2.0, 0.03, minor_loss=2.0)]
    for k in range(n_trays):
        nn += [Node(f"s{k}"), Node(f"r{k}")]
        br.append(ColdPlate(f"plate{k}", f"s{k}", f"r{k}", flows=(2.5e-5,),
                            pressure_drops=(2e4,), power=power, resistance=0.02))
        if k:
            br.append(Pipe(f"sh{k}", f"s{k - 1}", f"s{k}", 0.09, 0.02, elevation_change=0.09))
            br.append(Pipe(f"rh{k}", f"r{k}", f"r{k - 1}", 0.09, 0.02, elevation_change=-0.09))
    br.append(Pipe("return_pipe", "r0", "cdu.in", 2.0, 0.03, minor_loss=2.0))
    hot = HeatExchangerSide("hx.hot", "cdu.out", "cdu.supply", 5e-4, 2e4)
    cold = HeatExchangerSide("hx.cold", "fw.in", "fw.out", 5e-4, 2e4)
    br += [hot, cold]
    hx = HeatExchanger("hx", hot, cold, ua=3000.0, rated_hot_flow=0.5, rated_cold_flow=0.5)
    return Network(nn, br, [hx], tanks=[ExpansionTank("tank", "cdu.in", 1.5e5)],
                   pressure_boundaries=[PressureBoundary("fw.return", "fw.out", 1e5, 305.15)],
                   flow_boundaries=[FlowBoundary("fw.supply", "fw.in", 0.4, 300.15)])


def test_mass_and_energy_balance_with_temperature_dependent_water():
    net = rack_like()
    water = get_coolant("water")
    sol = solve_network(net, {"coolant": water, "facility": water})
    assert sol.mass_imbalance() < 1e-10
    assert sol.energy_balance_error < 1e-6
    hx = sol.exchangers[0]
    assert hx.heat == pytest.approx(12 * 1000.0 + sol.pump_heat, rel=1e-6)
    # properties were fed back: each branch density matches water at its mean temperature
    t_mean = 0.5 * (sol.inlet_temperature + sol.outlet_temperature)
    assert np.max(np.abs(sol.density / water.density(t_mean) - 1.0)) < 1e-8
    assert len(sol.picard_history) >= 2 and sol.picard_history[-1] < 1e-7


def test_newton_converges_quadratically():
    net = rack_like(n_trays=30)
    rho = np.full(len(net.branches), RHO)
    mu = np.full(len(net.branches), 1e-3)
    history = []
    solve_hydraulics(net, rho, mu, settings=HydraulicSolve(rtol=1e-14, linear_theory_steps=0),
                     residuals=history)
    e = np.array(history)
    assert e[-1] < 1e-13
    # observed order log(e_{k+1}/e_k) / log(e_k/e_{k-1}) near the solution
    orders = [np.log(e[k + 1] / e[k]) / np.log(e[k] / e[k - 1])
              for k in range(1, len(e) - 1) if e[k] < 1e-2 and e[k + 1] > 1e-15]
    assert orders and max(orders) > 1.8
    assert all(e[k + 1] < 10.0 * e[k] ** 2 for k in range(len(e) - 1)
               if e[k] < 1e-3 and e[k + 1] > 1e-14)


def test_junction_mixing_is_flow_weighted():
    hot_in, cold_in = 330.0, 300.0
    net = Network(nodes("h", "c", "mix", "out"),
                  [quadratic("h_leg", "h", "mix", 1e9), quadratic("c_leg", "c", "mix", 1e9),
                   quadratic("exit", "mix", "out", 1e9)],
                  pressure_boundaries=[PressureBoundary("out", "out", 0.0)],
                  flow_boundaries=[FlowBoundary("hot", "h", 0.3, hot_in),
                                   FlowBoundary("cold", "c", 0.1, cold_in)])
    sol = solve_network(net, FLUIDS)
    assert sol.temperature("mix") == pytest.approx((0.3 * hot_in + 0.1 * cold_in) / 0.4,
                                                   rel=1e-14)


@pytest.mark.parametrize("m_hot,m_cold,cp_cold", [(0.2, 0.5, 4180.0), (0.3, 0.3, 4180.0),
                                                  (0.5, 0.2, 3900.0)])
def test_exchanger_in_network_matches_effectiveness_ntu(m_hot, m_cold, cp_cold):
    hot = HeatExchangerSide("x.hot", "hi", "ho", 1e-3, 1e4)
    cold = HeatExchangerSide("x.cold", "ci", "co", 1e-3, 1e4)
    hx = HeatExchanger("x", hot, cold, ua=800.0, rated_hot_flow=1.0, rated_cold_flow=1.0,
                       exponent=0.0)
    net = Network(nodes("hi", "ho") + nodes("ci", "co", fluid="facility"), [hot, cold], [hx],
                  pressure_boundaries=[PressureBoundary("ho", "ho", 0.0),
                                       PressureBoundary("co", "co", 0.0)],
                  flow_boundaries=[FlowBoundary("hi", "hi", m_hot, 340.0),
                                   FlowBoundary("ci", "ci", m_cold, 300.0)])
    cold_fluid = Coolant.constant("c", RHO, cp_cold, 1e-3, 0.6)
    sol = solve_network(net, {"coolant": FLUID, "facility": cold_fluid})
    c_h, c_c = m_hot * 4180.0, m_cold * cp_cold
    c_min, c_max = min(c_h, c_c), max(c_h, c_c)
    ntu, cr = 800.0 / c_min, c_min / c_max
    if cr == 1.0:
        eps = ntu / (1 + ntu)  # Incropera Table 11.3, Cr = 1
    else:
        e = np.exp(-ntu * (1 - cr))
        eps = (1 - e) / (1 - cr * e)
    q = eps * c_min * 40.0
    assert sol.exchangers[0].heat == pytest.approx(q, rel=1e-12)
    assert sol.temperature("ho") == pytest.approx(340.0 - q / c_h, rel=1e-12)
    assert sol.temperature("co") == pytest.approx(300.0 + q / c_c, rel=1e-12)


def test_pump_speed_control_meets_and_reports_unreachable_setpoints():
    net = rack_like(n_trays=6)
    ctl = PumpSpeedControl("dp", "pump", "differential_pressure", 2.5e4, "s0", "r0")
    sol, reports = solve_with_controls(net, FLUIDS, [ctl])
    assert reports[0].met
    assert sol.node_pressure("s0") - sol.node_pressure("r0") == pytest.approx(2.5e4, rel=1e-5)
    # a flow the pumps cannot reach even at max speed: reported with the closest state
    net = rack_like(n_trays=6)
    ctl = PumpSpeedControl("q", "pump", "flow", 5e-3, component="supply_pipe", max_speed=1.2)
    sol, reports = solve_with_controls(net, FLUIDS, [ctl])
    assert not reports[0].met
    assert reports[0].actuator == pytest.approx(1.2)
    assert "cannot be met" in reports[0].message
    assert reports[0].achieved < 5e-3


def test_coupled_solve_settings_are_respected():
    net = rack_like(n_trays=4)
    sol = solve_network(net, FLUIDS, CoupledSolve(temperature_tol=1e-9))
    assert sol.picard_history[-1] < 1e-9


def test_full_jacobian_matches_finite_differences_with_momentum_terms():
    from solver.network.hydraulics import System

    net = rack_like(n_trays=5)
    # dividing supply header and combining return header with momentum terms
    for k in range(1, 5):
        net.replace_branch(f"sh{k}", momentum_coefficient=-0.8,
                           momentum_partner=f"sh{k + 1}" if k < 4 else "")
        net.replace_branch(f"rh{k}", momentum_coefficient=1.1,
                           momentum_partner=f"rh{k + 1}" if k < 4 else "")
    c = net.compile()
    nb = len(net.branches)
    system = System(c, np.full(nb, RHO), np.full(nb, 1e-3))
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-0.05, 0.3, nb), rng.uniform(1e5, 3e5, (~c.fixed).sum())])
    assert central_difference_error(system, x, 1e-6) < 1e-5


def test_dividing_header_momentum_recovery_is_exact():
    # frictionless (very short) header segments, laterals drawn as fixed sinks: the static
    # pressure rises from the inlet to the dead end by beta rho v0^2 (momentum balance,
    # Bajura & Jones 1976 / Wang 2011 with f = 0)
    n, q, d, beta = 8, 4e-3, 0.03, 0.7
    names = [f"s{k}" for k in range(n)]
    pipes = [Pipe(f"h{k}", f"s{k}", f"s{k + 1}", 1e-9, d, momentum_coefficient=-beta,
                  momentum_partner=f"h{k + 1}" if k < n - 2 else "") for k in range(n - 1)]
    sinks = [FlowBoundary(f"lat{k}", f"s{k}", -q * RHO / n) for k in range(n - 1)]
    net = Network(nodes(*names), pipes,
                  pressure_boundaries=[PressureBoundary("end", f"s{n - 1}", 0.0)],
                  flow_boundaries=[FlowBoundary("inlet", "s0", q * RHO), *sinks])
    sol = solve_network(net, FLUIDS)
    v0 = (q - q / n) / (np.pi * d * d / 4)
    assert sol.node_pressure(f"s{n - 1}") - sol.node_pressure("s0") == pytest.approx(
        beta * RHO * v0**2, rel=1e-6)


def test_z_manifold_with_momentum_favours_the_far_end():
    # Bajura & Jones (1976): in a parallel-flow (Z) manifold dominated by header momentum the
    # lateral flow grows toward the closed end of the dividing header
    def laterals(beta):
        n = 10
        br, nn = [], []
        for k in range(n):
            nn += [Node(f"s{k}"), Node(f"r{k}")]
            br.append(quadratic(f"lat{k}", f"s{k}", f"r{k}", 2e12))
            if k < n - 1:
                br.append(Pipe(f"sh{k}", f"s{k}", f"s{k + 1}", 0.01, 0.02,
                               momentum_coefficient=-beta,
                               momentum_partner=f"sh{k + 1}" if k < n - 2 else ""))
                br.append(Pipe(f"rh{k}", f"r{k}", f"r{k + 1}", 0.01, 0.02,
                               momentum_coefficient=beta,
                               momentum_partner=f"rh{k - 1}" if k > 0 else ""))
        net = Network(nn, br, pressure_boundaries=[PressureBoundary("out", f"r{n - 1}", 0.0)],
                      flow_boundaries=[FlowBoundary("in", "s0", 2e-3 * RHO)])
        sol = solve_network(net, FLUIDS)
        return np.array([sol.flow(f"lat{k}") for k in range(n)])

    plain, momentum = laterals(0.0), laterals(1.0)
    assert momentum[-1] > momentum[0]
    assert momentum[-1] / momentum[0] > plain[-1] / plain[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cold_start_on_random_looped_grids(seed):
    # a 12 x 12 grid of random pipes (many loops, mixed laminar/turbulent, some reverse flows)
    # between a pressure inlet and outlet, plus a pump loop: Newton from the linear-theory start
    rng = np.random.default_rng(seed)
    n = 12
    name = lambda i, j: f"n{i}_{j}"  # noqa: E731
    nn = [Node(name(i, j)) for i in range(n) for j in range(n)]
    br = []
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < n and j + dj < n:
                    a, b = name(i, j), name(i + di, j + dj)
                    if rng.random() < 0.5:
                        a, b = b, a  # random orientation: many branches flow backwards
                    br.append(Pipe(f"p{len(br)}", a, b, rng.uniform(0.5, 5.0),
                                   rng.uniform(0.005, 0.03), 1e-5, rng.uniform(-1, 1),
                                   rng.uniform(0, 3)))
    br.append(Pump("booster", name(0, n - 1), name(n - 1, 0), flows=(0.0, 5e-4, 1e-3),
                   pressures=(6e4, 5e4, 3e4)))
    net = Network(nn, br, pressure_boundaries=[PressureBoundary("in", name(0, 0), 3e5),
                                               PressureBoundary("out", name(n - 1, n - 1), 1e5)])
    rho = np.full(len(br), RHO)
    mu = np.full(len(br), 1e-3)
    history = []
    res = solve_hydraulics(net, rho, mu, residuals=history)
    assert res.converged and history[-1] < 1e-11 and res.iterations < 30
    assert np.any(res.mass_flow < 0)  # reverse flow relative to the drawn orientation
    c = net.compile()
    imbalance = (c.incidence @ res.mass_flow)[~c.fixed]
    assert np.max(np.abs(imbalance)) < 1e-10 * np.max(np.abs(res.mass_flow))


def test_pump_heat_is_the_shaft_power_and_the_loop_balance_closes():
    """Pump heat (solver.network.thermal.pump_heat): the group's shaft power Q dp / eta enters
    the coolant at the pump. Checked against the arithmetic done here by hand: eta interpolated
    linearly between the datasheet points (0.6 at 0.5 L/s, 0.5 at 1 L/s), Q and dp of the
    solve; tolerance 1e-12 (same arithmetic). The loop's energy balance: the exchanger rejects
    the plate power plus the pump heat, to 1e-9 relative (the thermal pass is one exact linear
    solve with one cp per loop), and the coolant warms across the pump by P / (m cp)."""
    net = rack_like()
    net.replace_branch("pump", efficiencies=(0.3, 0.6, 0.5))
    water = get_coolant("water")
    fluids = {"coolant": water, "facility": water}
    sol = solve_network(net, fluids, CoupledSolve(temperature_tol=1e-10))
    i = net.branch_index("pump")
    q = float(sol.volumetric_flow[i])
    rise = -float(sol.pressure_drop[i])
    assert 5e-4 < q < 1e-3
    eta = 0.6 + (0.5 - 0.6) * (q - 5e-4) / (1e-3 - 5e-4)
    shaft = q * rise / eta
    assert sol.pump_heat == pytest.approx(shaft, rel=1e-12)
    assert sol.heat[i] == pytest.approx(shaft, rel=1e-12)
    plates = 12 * 1000.0
    assert sol.exchangers[0].heat == pytest.approx(plates + shaft, rel=1e-9)
    assert sol.energy_balance_error < 1e-9
    warming = sol.outlet_temperature[i] - sol.inlet_temperature[i]
    assert warming == pytest.approx(shaft / (sol.mass_flow[i] * sol.specific_heat[i]), rel=1e-9)
    # switched off, the exchanger rejects the plate power alone and the pump adds nothing
    off = solve_network(net, fluids, CoupledSolve(temperature_tol=1e-10, pump_heat=False))
    assert off.pump_heat == 0.0
    assert off.exchangers[0].heat == pytest.approx(plates, rel=1e-9)
    assert off.outlet_temperature[i] == pytest.approx(off.inlet_temperature[i], abs=1e-12)
