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

__all__ = ["NetworkError", "NetworkConvergenceError", "Network", "Node", "ExpansionTank",
           "PressureBoundary", "FlowBoundary", "CoupledSolve", "NetworkSolution",
           "solve_network"]
