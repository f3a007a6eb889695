"""The record of a transient network run: flows, temperatures, speeds and heat flows per step."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solver.numerics.statistics import first_crossing


@dataclass
class TransientResult:
    """Time histories of a transient run (SI; row ``k`` is the state at ``time[k]``).

    Heat flows in row ``k >= 1`` are those of the step that ends at ``time[k]`` (row 0: the
    initial state), so ``stored_energy[k] - stored_energy[0]`` equals the integral
    ``sum_j (time[j] - time[j-1]) (heat_load[j] - heat_removed[j])`` (see
    :meth:`energy_balance_error`).

    Attributes
    ----------
    network : Network
        The simulated copy (actuators left at their final values).
    time : ndarray (nt,)
        [s].
    mass_flow : ndarray (nt, nb)
        [kg/s] branch flows.
    node_temperature : ndarray (nt, nn)
        [K].
    inlet_temperature, outlet_temperature : ndarray (nt, nb)
        [K] at each branch's upstream node and downstream end, by actual flow direction.
    plates : list of str
        Cold plate names (columns of ``chip_temperature``).
    chip_temperature : ndarray (nt, n_plates)
        [K].
    pump_speed : dict
        Pump name -> (nt,) relative speed [-].
    actuators : dict
        Controller name -> (nt,) actuator value (speed [-], opening [-] or flow [kg/s]).
    heat_load : ndarray (nt,)
        [W] heat added by plates, loads and pumps (their shaft power).
    heat_removed : ndarray (nt,)
        [W] net enthalpy carried out through the boundaries (facility water).
    exchanger_heat : ndarray (nt, n_exchangers)
        [W] hot-to-cold duty of each heat exchanger.
    stored_energy : ndarray (nt,)
        [J] heat stored in coolant and walls, relative to the initial state.
    pump_heat : ndarray (nt,)
        [W] of ``heat_load``, the pumps' shaft power (empty when not recorded).
    """

    network: object
    time: np.ndarray
    mass_flow: np.ndarray
    node_temperature: np.ndarray
    inlet_temperature: np.ndarray
    outlet_temperature: np.ndarray
    plates: list
    chip_temperature: np.ndarray
    heat_load: np.ndarray
    heat_removed: np.ndarray
    exchanger_heat: np.ndarray
    stored_energy: np.ndarray
    pump_speed: dict = field(default_factory=dict)
    actuators: dict = field(default_factory=dict)
    pump_heat: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def flow(self, name):
        """Mass flow history [kg/s] of branch ``name``."""
        return self.mass_flow[:, self.network.branch_index(name)]

    def temperature(self, name):
        """Temperature history [K] of node ``name``."""
        return self.node_temperature[:, self.network.node_index(name)]

    def chip(self, name):
        """Chip temperature history [K] of plate ``name``."""
        return self.chip_temperature[:, self.plates.index(name)]

    def peak_chip_temperatures(self) -> dict:
        """Plate name -> highest chip temperature over the run [K]."""
        return {name: float(self.chip_temperature[:, i].max())
                for i, name in enumerate(self.plates)}

    def ride_through_time(self, limit):
        """First time [s] any chip reaches its limit, or None if none does.

        Parameters
        ----------
        limit : float or dict
            [K] one limit for every chip, or plate name -> limit (plates not named have none).

        The crossing is interpolated linearly between the two recorded steps around it.
        """
        limits = [limit.get(p, np.inf) if isinstance(limit, dict) else float(limit)
                  for p in self.plates]
        crossings = [first_crossing(self.time, self.chip_temperature[:, i], level)
                     for i, level in enumerate(limits)]
        crossings = [t for t in crossings if t is not None]
        return min(crossings) if crossings else None

    def energy_change(self):
        """Integral of (heat load - heat removed) over time [J], per recorded step (nt,)."""
        dt = np.diff(self.time)
        net = (self.heat_load - self.heat_removed)[1:] * dt
        return np.concatenate([[0.0], np.cumsum(net)])

    def energy_balance_error(self) -> float:
        """Largest ``|stored energy change - integral of net heat|`` [-], relative to the larger
        of the largest stored-energy change and the integral of the heat load."""
        scale = max(float(np.max(np.abs(self.stored_energy))),
                    float(np.sum(self.heat_load[1:] * np.diff(self.time))), 1e-300)
        return float(np.max(np.abs(self.stored_energy - self.energy_change())) / scale)


__all__ = ["TransientResult"]
