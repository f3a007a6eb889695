"""Benchmark: a 1,000-branch rack network solved on one core; prints one JSON line.

Two problems:

1. *speed*: a U-manifold of 200 cold-plate rungs (hose + quick disconnect + plate each), CDU
   pump, heat exchanger and facility water: 1,003 branches. Timed: the hydraulic Newton solve
   from a cold start with constant properties, and the full coupled hydraulic-thermal solve
   with temperature-dependent PG25 (properties fed back until both agree). Reported with the
   Newton iteration counts, mass imbalance and energy-balance error.
2. *accuracy*: a laminar ladder manifold of 1,000 branches against its exact closed-form
   distribution (cosh/sinh solution of the discrete Bajura-Jones equations).

Run: ``.venv/bin/python benchmarks/network.py`` (the target is under 1 s per solve).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from solver.materials import Coolant, get_coolant  # noqa: E402
from solver.network import (
    ExpansionTank,
    FlowBoundary,
    Network,
    Node,
    PressureBoundary,
    solve_network,  # noqa: E402
)
from solver.network.components import (  # noqa: E402
    ColdPlate,
    HeatExchanger,
    HeatExchangerSide,
    Pipe,
    Pump,
    QuickDisconnect,
)
from solver.network.hydraulics import solve_hydraulics  # noqa: E402


def rack_network(rungs=200):
    """U-manifold rack with ``rungs`` cold-plate branches: 5 * rungs + 3 branches."""
    nodes = [Node("cdu.in"), Node("cdu.out"), Node("cdu.supply"),
             Node("fw.in", fluid="facility"), Node("fw.out", fluid="facility")]
    flow = rungs * 1.5 / 60000.0  # 1.5 L/min per plate
    br = [Pump("pump", "cdu.in", "cdu.out", flows=(0.0, 0.5 * flow, flow),
               pressures=(3e5, 2.7e5, 1.8e5)),
          Pipe("supply_pipe", "cdu.supply", "s0", 3.0, 0.1, minor_loss=3.0),
          Pipe("return_pipe", "r0", "cdu.in", 3.0, 0.1, minor_loss=3.0)]
    for k in range(rungs):
        nodes += [Node(f"s{k}"), Node(f"r{k}"), Node(f"h{k}"), Node(f"p{k}")]
        br += [Pipe(f"hose{k}", f"s{k}", f"h{k}", 0.6, 0.0095, 1e-5, 0.0, 1.0),
               QuickDisconnect(f"qd{k}", f"h{k}", f"p{k}", kv=2.0),
               ColdPlate(f"plate{k}", f"p{k}", f"r{k}", flows=(1.5 / 60000.0,),
                         pressure_drops=(1.5e4,), power=1000.0, resistance=0.02)]
        if k:
            br += [Pipe(f"sh{k}", f"s{k - 1}", f"s{k}", 0.09, 0.1, elevation_change=0.09),
                   Pipe(f"rh{k}", f"r{k}", f"r{k - 1}", 0.09, 0.1, elevation_change=-0.09)]
    hot = HeatExchangerSide("hx.hot", "cdu.out", "cdu.supply", flow, 3e4)
    cold = HeatExchangerSide("hx.cold", "fw.in", "fw.out", flow, 3e4)
    br += [hot, cold]
    hx = HeatExchanger("hx", hot, cold, ua=rungs * 400.0, rated_hot_flow=flow * 1000.0,
                       rated_cold_flow=flow * 1000.0)
    return Network(nodes, br, [hx], tanks=[ExpansionTank("tank", "cdu.in", 1.5e5)],
                   pressure_boundaries=[PressureBoundary("fw.return", "fw.out", 1e5, 305.15)],
                   flow_boundaries=[FlowBoundary("fw.supply", "fw.in", flow * 1000.0, 305.15)])


def ladder_error(n=334):
    """Max relative error of a laminar U ladder (3n - 2 branches) against the exact solution."""
    mu, d, r_h, r_b, q = 1e-3, 0.01, 2e4, 2e8, 1e-5
    length = lambda r: r * np.pi * d**4 / (128.0 * mu)  # noqa: E731
    nodes = [Node(f"s{k}") for k in range(n)] + [Node(f"r{k}") for k in range(n)]
    br = [Pipe(f"lat{k}", f"s{k}", f"r{k}", length(r_b), d, friction="colebrook")
          for k in range(n)]
    for k in range(1, n):
        br += [Pipe(f"sh{k}", f"s{k - 1}", f"s{k}", length(r_h), d, friction="colebrook"),
               Pipe(f"rh{k}", f"r{k}", f"r{k - 1}", length(r_h), d, friction="colebrook")]
    net = Network(nodes, br, pressure_boundaries=[PressureBoundary("out", "r0", 0.0)],
                  flow_boundaries=[FlowBoundary("in", "s0", q * 1000.0)])
    rho = np.full(len(br), 1000.0)
    res = solve_hydraulics(net, rho, np.full(len(br), mu))
    theta = np.arccosh(1.0 + r_h / r_b)
    s = q * np.sinh((n - np.arange(n + 1)) * theta) / np.sinh(n * theta)
    exact = s[:-1] - s[1:]
    lateral = res.mass_flow[:n] / 1000.0
    return len(br), float(np.max(np.abs(lateral / exact - 1.0)))


def best_of(fn, repeats=3):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main():
    net = rack_network()
    n_branches = len(net.branches)
    rho = np.full(n_branches, 1012.5)
    mu = np.full(n_branches, 1.54e-3)
    net.diagnose()
    t_hyd, hyd = best_of(lambda: solve_hydraulics(net, rho, mu))
    pg25, water = get_coolant("PG25"), get_coolant("water")
    t_coupled, sol = best_of(lambda: solve_network(rack_network(), {"coolant": pg25,
                                                                     "facility": water}))
    constant = Coolant.constant("pg25_35C", 1012.5, 3957.0, 1.54e-3, 0.481)
    t_const, _ = best_of(lambda: solve_network(rack_network(), {"coolant": constant,
                                                                 "facility": water}))
    ladder_branches, ladder_err = ladder_error()
    plates = np.array([sol.volumetric_flow[sol.network.branch_index(f"plate{k}")]
                       for k in range(200)])
    record = {
        "benchmark": "network",
        "branches": n_branches,
        "nodes": len(net.nodes),
        "hydraulic_solve_s": round(t_hyd, 4),
        "hydraulic_newton_iterations": hyd.iterations,
        "hydraulic_final_residual": hyd.residuals[-1],
        "coupled_solve_s": round(t_coupled, 4),
        "coupled_picard_passes": sol.iterations,
        "coupled_newton_iterations": [len(h) - 1 for h in sol.newton_histories],
        "coupled_constant_properties_s": round(t_const, 4),
        "mass_imbalance": sol.mass_imbalance(),
        "energy_balance_error": sol.energy_balance_error,
        "plate_flow_min_over_mean": float(plates.min() / plates.mean()),
        "ladder_branches": ladder_branches,
        "ladder_max_rel_error_vs_exact": ladder_err,
        "under_1s": bool(max(t_hyd, t_coupled) < 1.0),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(json.dumps(record))


if __name__ == "__main__":
    main()
