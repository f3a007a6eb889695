"""A plate's monitors of a temperature field reduced on the device and brought to the host in
one transfer: each chip's peak and case temperature and the outlet temperature."""

from __future__ import annotations

import numpy as np


class PlateProbes:
    """Chip peak temperatures, chip case temperatures and the outlet mixing-cup temperature
    [K] of a plate's temperature fields.

    The case and outlet temperatures are weighted sums of cell temperatures
    (:meth:`ColdPlate.case_face_weights`, :meth:`ColdPlate.outflow_weights`): their cells
    and weights are uploaded once, so a field costs one gather, one small matrix product, a
    maximum per chip and one transfer to the host.

    Parameters
    ----------
    plate : ColdPlate
        The plate (its conductivity and steady mass fluxes set the weights).
    masks : mapping of chip name to device bool array
        The heated cells of each chip (the peak is their hottest cell).
    """

    def __init__(self, plate, masks):
        self.xp = plate.xp
        self.backend = plate.backend
        self.masks = dict(masks)
        cases = plate.case_face_weights()
        self.case_names = list(cases)
        outlet_cells, outlet_weights = plate.outflow_weights()
        self.capacity_rate = float(np.sum(outlet_weights))  # [W/K] sum F cp of the outflow
        groups = [(c, w) for c, w, _ in cases.values()]
        groups.append((outlet_cells, outlet_weights / self.capacity_rate))
        sizes = [c.size for c, _ in groups]
        matrix = np.zeros((len(groups), sum(sizes)))
        for row, ((_, weights), begin) in enumerate(zip(groups, np.cumsum([0, *sizes[:-1]]),
                                                        strict=True)):
            matrix[row, begin:begin + weights.size] = weights
        self.cells = self.backend.asarray(np.concatenate([c for c, _ in groups]))
        self.matrix = self.backend.asarray(matrix, dtype=plate.grid.dtype)

    def __call__(self, temperature) -> tuple[dict, dict, float]:
        """``(peaks, case temperatures, outlet temperature)`` [K] of ``temperature``: dicts
        by chip name and a float, in one host transfer."""
        xp = self.xp
        peaks = [xp.max(xp.where(mask, temperature, -xp.inf)) for mask in self.masks.values()]
        weighted = self.matrix @ temperature.reshape(-1)[self.cells]
        values = self.backend.to_host(xp.concatenate([xp.stack(peaks), weighted]))
        chips = len(self.masks)
        return (dict(zip(self.masks, (float(v) for v in values[:chips]), strict=True)),
                dict(zip(self.case_names, (float(v) for v in values[chips:-1]), strict=True)),
                float(values[-1]))
