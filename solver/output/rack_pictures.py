"""Pictures of a solved rack: the network in elevation coloured by temperature or flow, and a
cold plate's peak temperature in plan view (PNG, written atomically)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from solver.output.figures import pyplot, save_figure
from solver.output.network import layout_positions
from solver.units import LPM, ZERO_CELSIUS


def plot_rack_network(solution, path, quantity: str = "temperature") -> Path:
    """The rack network in elevation (x-z), branches coloured by temperature or flow.

    Parameters
    ----------
    solution : solver.network.NetworkSolution
    path : path-like
        PNG file (written atomically).
    quantity : {"temperature", "flow"}
        Branch mean temperature [C] or volumetric flow [L/min].
    """
    plt = pyplot()
    import numpy as np
    from matplotlib.collections import LineCollection

    net = solution.network
    positions = dict(zip((n.name for n in net.nodes), layout_positions(net), strict=True))
    segments = [(positions[b.inlet][[0, 2]], positions[b.outlet][[0, 2]]) for b in net.branches]
    if quantity == "temperature":
        values = 0.5 * (solution.inlet_temperature + solution.outlet_temperature) - ZERO_CELSIUS
        label, cmap = "branch mean temperature [C]", "inferno"
    elif quantity == "flow":
        values = np.abs(solution.volumetric_flow) * LPM
        label, cmap = "flow [L/min]", "viridis"
    else:
        raise ValueError(f"quantity must be 'temperature' or 'flow', got {quantity!r}")
    fig, ax = plt.subplots(figsize=(6.0, 7.0))
    lines = LineCollection(segments, array=np.asarray(values), cmap=cmap, linewidths=2.0)
    ax.add_collection(lines)
    ax.autoscale()
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("x [m]")
    ax.set_ylabel("z [m]")
    ax.set_title(f"rack network: {quantity}")
    fig.colorbar(lines, ax=ax, label=label)
    return save_figure(fig, path)


def plot_plate_temperature(fields: Mapping, path, title: str = "cold plate") -> Path:
    """Plan view (x-y) of a plate's peak temperature over z [C] from its cell fields.

    ``fields`` as :attr:`solver.coupling.OperatingPoint.fields` (``faces`` and ``temperature``,
    optionally ``material`` with -1 for empty cells, which are left blank).
    """
    plt = pyplot()
    import numpy as np

    x, y, _ = (np.asarray(f, dtype=float) for f in fields["faces"])
    temperature = np.asarray(fields["temperature"], dtype=float) - ZERO_CELSIUS
    if "material" in fields:
        temperature = np.where(np.asarray(fields["material"]) >= 0, temperature, -np.inf)
    peak = temperature.max(axis=2)
    peak = np.ma.masked_invalid(np.where(np.isfinite(peak), peak, np.nan))
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    mesh = ax.pcolormesh(x * 1e3, y * 1e3, peak.T, cmap="inferno", shading="flat")
    ax.set_aspect("equal")
    ax.set_xlabel("x [mm]")
    ax.set_ylabel("y [mm]")
    ax.set_title(f"{title}: peak temperature over z")
    fig.colorbar(mesh, ax=ax, label="temperature [C]")
    return save_figure(fig, path)


__all__ = ["plot_rack_network", "plot_plate_temperature"]
