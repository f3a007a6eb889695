"""Restart state of the SIMPLE(C) solver (:class:`~solver.models.flow.simplec.FlowSolver`):
the arrays a checkpoint keeps so that a resumed run continues the iteration bit for bit."""

from __future__ import annotations

import numpy as np

from solver.numerics.linear.reuse import ReusedMultigrid


class FlowRestart:
    """The restart state of :class:`~solver.models.flow.simplec.FlowSolver` (a base class of
    it): what a checkpoint keeps so that a resumed run continues the iteration bit for bit."""

    def restart_state(self, prefix: str = "") -> dict:
        """Every array a restart needs to continue the iteration exactly as this solver would:
        velocities ``u``, ``v``, ``w`` [m/s], ``pressure`` [Pa], the frozen velocity-correction
        coefficients ``d_*`` [m^2 s/kg] of the pressure operator, the coefficients its multigrid
        structure was chosen for ``setup_d_*``, the iteration and the structure's reuse counters
        (as 0-d arrays); with nonlinear multigrid the same for each coarse level
        (``level1_...``). :meth:`load_restart_state` takes them back."""
        u, v, w = self.velocity
        state = {"u": u, "v": v, "w": w, "pressure": self.pressure,
                 "iteration": np.array(self.iteration)}
        for comp, axis in zip(self.components, "xyz", strict=True):
            state[f"d_{axis}"] = comp.d_frozen
        if self._pressure is not None and self._setup_d is not None:
            state.update({f"setup_d_{axis}": d for axis, d in zip("xyz", self._setup_d,
                                                                   strict=True)})
            # the set-up policy's counters as floats, NaN for None
            state.update({f"pressure_setup_{k}": np.array(np.nan if v is None else float(v))
                          for k, v in self._pressure.state().items()})
        if self._fas is not None:
            for level, coarse in enumerate(self._fas.levels[1:], start=1):
                state.update(coarse.restart_state(f"level{level}_"))
        return {prefix + name: value for name, value in state.items()}

    def load_restart_state(self, arrays: dict, prefix: str = "") -> None:
        """Continue from :meth:`restart_state` (arrays on the host or the device; a state of
        velocities and pressure alone, as older checkpoints hold, is taken too)."""
        xp = self.xp

        def given(name):
            return xp.asarray(arrays[prefix + name], dtype=self.dtype)

        self.set_state([given(name) for name in "uvw"], given("pressure"))
        if prefix + "iteration" in arrays:
            self.iteration = int(arrays[prefix + "iteration"])
        if prefix + "d_x" not in arrays:
            return
        self._freeze_d([given(f"d_{axis}") for axis in "xyz"])
        if prefix + "setup_d_x" in arrays:
            # the hierarchy as the solver had it: set up for the operator of its set-up, then
            # updated with the current one
            self._pressure = ReusedMultigrid(self.pressure_settings)
            self._setup_d = [given(f"setup_d_{axis}") for axis in "xyz"]
            self._prepare_pressure(self._setup_d)
            self._prepare_pressure([comp.d_frozen for comp in self.components])
            self._pressure.load_state({key: _setup_counter(arrays, f"{prefix}pressure_setup_{key}")
                                       for key in self._pressure.state()})
        if prefix + "level1_u" in arrays and self.multigrid:
            self._outer_step()  # builds the coarse levels
            for level, coarse in enumerate(self._fas.levels[1:], start=1):
                coarse.load_restart_state(arrays, f"{prefix}level{level}_")


def _setup_counter(arrays: dict, name: str):
    """A set-up policy counter of a checkpoint: None where it is missing, NaN or negative (the
    -1 of older checkpoints)."""
    if name not in arrays:
        return None
    value = float(arrays[name])
    return None if np.isnan(value) or value < 0 else value
