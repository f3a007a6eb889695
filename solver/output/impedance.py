"""Pictures of a plate in time: the thermal impedance ``Z_th(t)`` of each chip with its Foster
fit, and chip temperatures against time with their limits."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from solver.output.figures import pyplot, save_figure
from solver.units import ZERO_CELSIUS


def _pyplot():
    plt = pyplot()

    return plt


def plot_impedance(chips: Mapping, path, title: str) -> Path:
    """Write a PNG of ``Z_th(t)`` [K/W] on a log time axis, computed (dots) and Foster fit
    (line), one colour per chip; ``chips`` maps a name to ``(times [s], Z_th [K/W],
    FosterNetwork)``."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 4.5))
    for index, (name, (times, impedance, foster)) in enumerate(chips.items()):
        colour = f"C{index}"
        ax.semilogx(times, impedance, "o", markersize=3, color=colour, label=f"{name}: 3D")
        dense = np.geomspace(times[0], times[-1], 400)
        ax.semilogx(dense, foster.impedance(dense), "-", color=colour, linewidth=1.2,
                    label=f"{name}: Foster, {len(foster.resistances)} terms")
    ax.set_xlabel("time after the power step [s]")
    ax.set_ylabel("thermal impedance Z_th = (T_chip - T_inlet) / P [K/W]")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper left")
    return save_figure(fig, path)


def plot_chip_temperatures(times, temperatures: Mapping, limits: Mapping, path, title: str,
                           power: Mapping | None = None, inputs: Mapping | None = None) -> Path:
    """Write a PNG of each chip's peak temperature [C] against time [s] with its limit drawn
    (dashed, same colour), below it the chip powers [W] when given, and one panel per other
    input in ``inputs`` (axis label -> values at ``times``, e.g. the inlet flow in L/min)."""
    plt = pyplot()
    inputs = dict(inputs or {})
    rows = 1 + bool(power) + len(inputs)
    fig, axes = plt.subplots(rows, 1, figsize=(8.5, 3.2 + 2.3 * (rows - 1)), sharex=True,
                             squeeze=False)
    ax = axes[0, 0]
    for index, (name, values) in enumerate(temperatures.items()):
        colour = f"C{index}"
        ax.plot(times, np.asarray(values) - ZERO_CELSIUS, color=colour, label=name)
        if name in limits and limits[name] is not None:
            ax.axhline(limits[name] - ZERO_CELSIUS, color=colour, linestyle="--",
                       linewidth=1.0, label=f"{name} limit")
    ax.set_ylabel("chip peak temperature [C]")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    if power:
        pax = axes[1, 0]
        for index, (name, values) in enumerate(power.items()):
            pax.plot(times, values, color=f"C{index}", label=name, drawstyle="steps-post")
        pax.set_ylabel("chip power [W]")
        pax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
        pax.grid(True, alpha=0.3)
    for iax, (label, values) in zip(axes[1 + bool(power):, 0], inputs.items(), strict=True):
        iax.plot(times, values, color="k")
        iax.set_ylabel(label)
        iax.grid(True, alpha=0.3)
    axes[-1, 0].set_xlabel("time [s]")
    return save_figure(fig, path)
