"""The convergence pictures of a run.

:func:`plot_convergence`: residuals, the pressure-drop monitor (or, in a closed domain, the
temperature change) and the pressure multigrid's convergence factor against the outer iteration
(or, for a time-averaged run, against time with the averaging window shaded and the mean
pressure drop drawn), with the flow-energy passes marked.

:func:`plot_coupling_convergence`: a coupled rack's plate flow, inlet temperature and heat
changes per coupling pass against the coupling tolerances.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from solver.output.figures import pyplot, save_figure


def plot_convergence(records: Sequence[Mapping], path, title: str,
                     pressure_factors: Sequence[tuple[float, float]] = (),
                     pass_ends: Sequence[float] = (), x_key: str = "iteration",
                     x_label: str = "outer (SIMPLEC) iteration",
                     averaging: tuple[float, float, float] | None = None) -> Path:
    """Write ``images/convergence.png``: three stacked panels sharing the iteration axis.

    Parameters
    ----------
    records : sequence of mapping
        One per outer iteration (the rows of ``history.csv``): ``iteration`` and any of the
        scaled residuals ``continuity``, ``momentum`` [-] and the monitors ``dp_Pa`` [Pa] and
        ``dT_K`` [K] (the temperature change of a buoyant flow's coupled energy update; shown
        when there is no pressure drop).
    path : path-like
        Destination PNG, written atomically.
    title : str
        Figure title (the case name).
    pressure_factors : sequence of (float, float)
        ``(x, factor)`` of the pressure-correction solve, averaged per PCG iteration.
    pass_ends : sequence of float
        ``x`` at which a flow-energy pass ended (dashed vertical lines).
    x_key, x_label : str
        The record key of the horizontal axis and its label (e.g. ``"t_flow_through"``).
    averaging : (float, float, float), optional
        A time-averaged run's window start and end (``x`` units) and mean pressure drop [Pa]:
        shaded, and the mean drawn.

    Returns
    -------
    Path
    """
    plt = pyplot()

    def series(key):
        points = [(r[x_key], r[key]) for r in records
                  if key in r and r[key] is not None and math.isfinite(r[key])]
        return [p[0] for p in points], [p[1] for p in points]

    fig, axes = plt.subplots(3, 1, figsize=(7.0, 7.5), sharex=True)
    residual_axis, monitor_axis, factor_axis = axes
    for key, label in (("continuity", "continuity"), ("momentum", "momentum (largest)")):
        x, y = series(key)
        if x:
            residual_axis.semilogy(x, [max(v, 1e-300) for v in y], label=label)
    residual_axis.set_ylabel("scaled residual [-]" if x_key == "iteration"
                             else "scaled residual at the\nend of each time step [-]")
    residual_axis.legend(loc="upper right")
    x, y = series("dp_Pa")
    if x and any(y):
        monitor_axis.plot(x, y, color="tab:green", linewidth=1.0)
        monitor_axis.set_ylabel("pressure drop [Pa]")
        if averaging is not None:
            start, end, mean = averaging
            for ax in axes:
                ax.axvspan(start, end, color="tab:orange", alpha=0.12)
            monitor_axis.axhline(mean, color="tab:orange", linewidth=1.2,
                                 label=f"time average {mean:.4g} Pa (shaded window)")
            monitor_axis.legend(loc="upper right")
    else:
        # a closed domain has no pressure drop: the temperature change per iteration instead
        x, y = series("dT_K")
        monitor_axis.semilogy(x, [max(v, 1e-300) for v in y], color="tab:red")
        monitor_axis.set_ylabel("largest temperature\nchange per iteration [K]")
    if pressure_factors:
        factor_axis.plot([p[0] for p in pressure_factors], [p[1] for p in pressure_factors],
                         ".", color="tab:purple", markersize=3)
    factor_axis.axhline(0.2, color="k", linestyle=":", linewidth=1.0, label="design bar 0.2")
    factor_axis.set_ylim(0.0, 1.0)
    factor_axis.set_ylabel("pressure multigrid\nfactor per iteration [-]")
    factor_axis.set_xlabel(x_label)
    factor_axis.legend(loc="upper right")
    for ax in axes:
        ax.grid(True, which="major", alpha=0.3)
        for end in pass_ends:
            ax.axvline(end, color="grey", linestyle="--", linewidth=0.8)
    residual_axis.set_title(f"{title}: convergence"
                            + (f" ({len(pass_ends)} flow-energy passes, dashed)"
                               if len(pass_ends) > 1 else ""))
    return save_figure(fig, path)


# the coupled rack's per-pass changes: record key, axis label, what it is
COUPLING_SERIES = (
    ("flow_change", "flow change [-]",
     "largest change of a plate flow from the previous pass, relative to that flow"),
    ("inlet_temperature_change", "inlet T change [K]",
     "largest change of a plate inlet temperature from the previous pass"),
    ("heat_mismatch", "heat mismatch [-]",
     "largest |m cp (T_out - T_in) - P| / P of the 3D plate solves"))


def plot_coupling_convergence(history: Sequence[Mapping], path, title: str,
                              tolerances: Mapping[str, float] | None = None) -> Path:
    """Write ``images/coupling_convergence.png``: the coupled rack's changes per coupling pass.

    Parameters
    ----------
    history : sequence of mapping
        One per pass (:attr:`solver.coupling.CoupledRack.history`): ``pass`` and the changes
        named in :data:`COUPLING_SERIES` (relative [-], [K], relative [-]); a change that is
        None or infinite (the first pass has nothing to compare with) is left out.
    path : path-like
        Destination PNG, written atomically.
    title : str
        Figure title (the case name).
    tolerances : mapping, optional
        ``flow_change``, ``inlet_temperature_change``, ``heat_mismatch`` -> the tolerance that
        ends the coupling (dashed line).

    Returns
    -------
    Path
    """
    plt = pyplot()

    fig, axes = plt.subplots(len(COUPLING_SERIES), 1, figsize=(7.0, 7.0), sharex=True)
    passes = [int(h["pass"]) for h in history]
    for ax, (key, label, meaning) in zip(axes, COUPLING_SERIES, strict=True):
        points = [(h["pass"], h[key]) for h in history
                  if h.get(key) is not None and math.isfinite(h[key])]
        if points:
            ax.semilogy([p[0] for p in points], [max(p[1], 1e-300) for p in points], "o-")
        if tolerances and key in tolerances:
            ax.axhline(tolerances[key], color="k", linestyle="--", linewidth=1.0)
            # labelled on the line at the left edge: a legend box hid the points under it
            ax.text(0.005, tolerances[key], f" tolerance {tolerances[key]:.3g}", fontsize=8,
                    va="top", ha="left", transform=ax.get_yaxis_transform())
        ax.set_ylabel(label)
        ax.set_title(meaning, fontsize=8, loc="left")
        ax.grid(True, which="major", alpha=0.3)
    axes[-1].set_xlabel("coupling pass (network solve + 3D plate solves)")
    if passes:
        axes[-1].set_xticks(passes)
        axes[-1].set_xlim(min(passes) - 0.3, max(passes) + 0.3)
    fig.suptitle(f"{title}: coupling convergence, {len(passes)} passes (the first has no "
                 "previous pass to compare)", fontsize=10)
    return save_figure(fig, path)
