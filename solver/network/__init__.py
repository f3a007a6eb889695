"""1D hydraulic-thermal network of a liquid-cooled rack: manifolds, CDU, facility water.

Modules
-------
components  one small class per branch kind (pipe, fitting, tee leg, quick disconnect, valve,
            check valve, pump group, cold plate, heat load, heat-exchanger side) and the
            effectiveness-NTU heat exchanger
friction    Churchill (1977) and Colebrook (1939) friction factors with derivatives
laws        vectorised pressure-drop laws per family
graph       nodes, pressure references, boundaries, the :class:`Network` and its diagnostics
hydraulics  Newton on flows and pressures with the analytic sparse Jacobian
thermal     temperatures along the flow, junction mixing, heat exchangers
solve       the coupled hydraulic-thermal (Picard) solve
controls    pump speed / facility flow to setpoints
rack        builder of the common rack topologies
thermal_transient  coolant heat capacity, pipe transport delay and mixing in time (backward Euler)
pump_drive  pumps in time: coast-down on inertia, drive ramp and motor lag, N+1 units
pi_control  PI controllers acting on the steady controls' actuators in time
events      boundary schedules (powers, supply temperatures, flows) and pump trip / start events
transient   the time integrator (:func:`simulate_transient`)
transient_result  the time histories, ride-through time and peak chip temperatures
schema      the ``[network]`` case-file section
outputs     network.csv, summary JSON, network.vtp and plots
run         :func:`run_network_case` used by the CLI
"""

from solver.network.errors import NetworkConvergenceError, NetworkError
from solver.network.graph import (
    ExpansionTank,
    FlowBoundary,
    Network,
    Node,
    PressureBoundary,
)
from solver.network.solve import CoupledSolve, NetworkSolution, solve_network
from solver.network.transient import TransientSettings, simulate_transient
from solver.network.transient_result import TransientResult

__all__ = ["NetworkError", "NetworkConvergenceError", "Network", "Node", "ExpansionTank",
           "PressureBoundary", "FlowBoundary", "CoupledSolve", "NetworkSolution",
           "solve_network", "TransientSettings", "TransientResult", "simulate_transient"]
