"""The chips of a rack report in one picture, and how report chips are grouped.

A report chip (:func:`solver.output.report.rack_report`) is named after its plate
(``tray.3.gpu.0``, or ``tray.3.gpu.0/gpu`` for a chip of a 3D-characterized plate). Its kind is
the chip name on a 3D plate or the plate group (``gpu``, ``cpu``); its tray is the first two
parts of the plate name (``tray.3``). :func:`chip_order` sorts chips by tray, then by name with
numbers compared as numbers, never by temperature, so that every scenario of a rack draws its
chips in the same places.

:func:`plot_chip_temperatures` writes ``images/chip_temperatures.png``: one panel per chip kind,
bars from the coolant supply temperature up to each chip's temperature (peak where a 3D solve
gives it, else case), grouped by tray, each chip's limit drawn over its bar, the legend outside
the panels.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from solver.output.figures import pyplot, save_figure
from solver.units import ZERO_CELSIUS

# bar colours by kind (GPU, CPU first; other kinds cycle through the rest)
KIND_COLOURS = {"gpu": "tab:blue", "cpu": "tab:orange"}
OTHER_COLOURS = ("tab:green", "tab:purple", "tab:brown", "tab:olive", "tab:cyan")
OVER_LIMIT_COLOUR = "tab:red"


def chip_kind(chip: Mapping) -> str:
    """The kind of a report chip: its name on a 3D plate (``gpu``), else the plate group the
    plate name carries (``tray.3.cpu.0`` -> ``cpu``)."""
    parts = chip["name"].split(".")
    return chip["chip"] if chip["source"] == "curves" else (
        parts[-2] if len(parts) >= 3 else chip["name"])


def chip_tray(chip: Mapping) -> str:
    """The tray of a report chip (``tray.3``) from its plate name, ``"-"`` when it names none."""
    parts = chip["plate"].split(".")
    return ".".join(parts[:2]) if len(parts) >= 3 else "-"


def _natural_key(name: str) -> tuple:
    """``tray.10.gpu.2`` sorts after ``tray.9.gpu.2``: digit runs compare as numbers."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", name) if part)


def chip_order(chips: Sequence[Mapping]) -> list[Mapping]:
    """The chips sorted by tray, then by name (numbers as numbers); never by temperature."""
    return sorted(chips, key=lambda c: (_natural_key(chip_tray(c)), _natural_key(c["name"])))


def bar_base(report: Mapping) -> float:
    """[C] Where the bars start: the TCS supply temperature, else the coldest plate inlet,
    else 0 C."""
    supply = (report.get("tcs") or {}).get("supply_temperature")
    if supply is None:
        inlets = [p["inlet_temperature"] for p in report.get("plates") or ()
                  if p.get("inlet_temperature") is not None]
        supply = min(inlets) if inlets else None
    return 0.0 if supply is None else float(supply) - ZERO_CELSIUS


def _kind_colour(kind: str, index: int) -> str:
    return KIND_COLOURS.get(kind.lower(), OTHER_COLOURS[index % len(OTHER_COLOURS)])


def plot_chip_temperatures(report: Mapping, path) -> Path:
    """Write the chip bar chart of a rack report as PNG (atomically).

    Parameters
    ----------
    report : mapping
        :func:`solver.output.report.rack_report` output: ``chips`` (``temperature``, ``limit``
        [K], ``margin`` [K], ``name``, ``plate``, ``chip``, ``source``), ``name``, and ``tcs``
        or ``plates`` for the coolant supply temperature.
    path : path-like
        Destination PNG.

    Returns
    -------
    Path

    Notes
    -----
    One panel per chip kind (GPUs and CPUs apart), chips in :func:`chip_order`, grouped by tray
    (thin separators, tray numbers under each group). Bars start at :func:`bar_base` [C]; a
    chip over its limit is red; a chip without coolant is drawn hatched up to its limit. Each
    chip's limit is a black tick over its bar.
    """
    plt = pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    chips = chip_order(report["chips"])
    kinds: dict[str, list] = {}
    for chip in chips:
        kinds.setdefault(chip_kind(chip), []).append(chip)
    # GPUs, then CPUs, then other kinds by name: the same panels in every scenario
    known = list(KIND_COLOURS)
    kinds = {k: kinds[k] for k in sorted(kinds, key=lambda k: (
        known.index(k.lower()) if k.lower() in known else len(known), k))}
    base = bar_base(report)
    top = max([c["limit"] for c in chips]
              + [c["temperature"] for c in chips if c["temperature"] is not None]) - ZERO_CELSIUS
    widest = max(len(group) for group in kinds.values())
    fig, axes = plt.subplots(len(kinds), 1, squeeze=False,
                             figsize=(min(max(7.0, 0.12 * widest + 3.0), 16.0),
                                      1.0 + 2.6 * len(kinds)))
    legend = []
    for index, (ax, (kind, group)) in enumerate(zip(axes[:, 0], kinds.items(), strict=True)):
        colour = _kind_colour(kind, index)
        legend.append(Patch(color=colour, label=kind))
        x = list(range(len(group)))
        values = [(c["temperature"] if c["temperature"] is not None else c["limit"])
                  - ZERO_CELSIUS for c in group]
        over = [c["margin"] is not None and c["margin"] < 0 for c in group]
        bars = ax.bar(x, [v - base for v in values], bottom=base, width=0.8,
                      color=[OVER_LIMIT_COLOUR if o else colour for o in over])
        for bar, chip in zip(bars, group, strict=True):
            if chip["temperature"] is None:
                bar.set_hatch("//")
                bar.set_facecolor("white")
                bar.set_edgecolor("grey")
        ax.hlines([c["limit"] - ZERO_CELSIUS for c in group], [i - 0.45 for i in x],
                  [i + 0.45 for i in x], colors="k", linewidth=1.5)
        trays = [chip_tray(c) for c in group]
        starts = [i for i in x if i == 0 or trays[i] != trays[i - 1]]
        for start in starts[1:]:
            ax.axvline(start - 0.5, color="grey", linewidth=0.6, alpha=0.6)
        ends = starts[1:] + [len(group)]
        centres = [0.5 * (s + e - 1) for s, e in zip(starts, ends, strict=True)]
        if trays[0] != "-":
            ax.set_xticks(centres, [trays[s].split(".")[-1] for s in starts],
                          fontsize=7 if len(starts) > 12 else 9)
            ax.set_xlabel(f"tray ({len(group)} {kind} chips, by tray then name)")
        else:
            ax.set_xticks(x, [c["name"] for c in group], rotation=90, fontsize=7)
        ax.tick_params(axis="x", length=0)
        ax.set_xlim(-0.7, len(group) - 0.3)
        ax.set_ylim(base, top + 0.08 * max(top - base, 1.0))
        ax.set_ylabel(f"{kind} temperature [C]")
        ax.grid(True, axis="y", alpha=0.3)
    if any(c["margin"] is not None and c["margin"] < 0 for c in chips):
        legend.append(Patch(color=OVER_LIMIT_COLOUR, label="over its limit"))
    if any(c["temperature"] is None for c in chips):
        legend.append(Patch(facecolor="white", edgecolor="grey", hatch="//",
                            label="no coolant (drawn to its limit)"))
    legend.append(Line2D([], [], color="k", linewidth=1.5, label="limit of each chip"))
    axes[0, 0].legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.suptitle(f"{report['name']}: chip temperatures (peak where solved in 3D, else case), "
                 f"bars from the coolant supply {base:.1f} C", fontsize=10)
    return save_figure(fig, path)


__all__ = ["bar_base", "chip_kind", "chip_order", "chip_tray", "plot_chip_temperatures"]
