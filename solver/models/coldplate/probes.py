"""A plate's monitors of a temperature field reduced on the device and brought to the host in
one transfer: each chip's peak and case temperature and the outlet temperature."""

from __future__ import annotations

import numpy as np

from solver.boundaries.patches import side_axis


def face_weights(grid, mask: np.ndarray, conductivity: np.ndarray, side: str):
    """``(cells, weights, area)``: the area-mean temperature [K] of the ``side`` faces of the
    cell set ``mask`` is ``sum(weights * T.flat[cells])``; ``area`` [m^2] is theirs (host
    arrays; ``conductivity`` [W/m/K] on the host).

    The face temperature between the body cell P and its neighbour N across the face is the
    series value ``(g_P T_P + g_N T_N)/(g_P + g_N)`` with ``g = k / (half width)``; on the
    domain boundary, or next to an empty cell, it is the cell value. Only the columns whose
    outermost body cell lies on the body's extreme face count.
    """
    axis, is_max = side_axis(side)
    cells = np.arange(conductivity.size).reshape(conductivity.shape)
    # bring the side's axis last and make "outward" the +index direction
    moved = [np.moveaxis(a, axis, -1) for a in (mask, cells, conductivity)]
    half = 0.5 * grid.widths[axis]
    if not is_max:
        moved = [a[..., ::-1] for a in moved]
        half = half[::-1]
    m, cells, k = moved
    n = m.shape[-1]
    present = m.any(axis=-1)
    # outermost body cell of each column (largest index holding the body)
    last = n - 1 - np.argmax(m[..., ::-1], axis=-1)
    nxt = np.minimum(last + 1, n - 1)
    c_p, c_n = (np.take_along_axis(cells, i[..., None], -1)[..., 0] for i in (last, nxt))
    k_p, k_n = (np.take_along_axis(k, i[..., None], -1)[..., 0] for i in (last, nxt))
    g_p = k_p / half[last]
    g_n = np.where((last + 1 < n) & (k_n > 0), k_n / half[nxt], 0.0)
    top = last.max(where=present, initial=-1)
    on_face = present & (last == top)
    a, b = [c for c in range(3) if c != axis]
    area = np.where(on_face, np.outer(grid.widths[a], grid.widths[b]), 0.0)
    total = area.sum()
    share = (area / total / np.maximum(g_p + g_n, 1e-300))[on_face]
    return (np.concatenate([c_p[on_face], c_n[on_face]]),
            np.concatenate([share * g_p[on_face], share * g_n[on_face]]), float(total))


class PlateProbes:
    """Chip peak temperatures, chip case temperatures and the outlet mixing-cup temperature
    [K] of a plate's temperature fields.

    The case and outlet temperatures are weighted sums of cell temperatures
    (:meth:`ColdPlate.case_face_weights`, :meth:`ColdPlate.outflow_faces` with the plate's
    face mass fluxes at set-up): their cells and weights are uploaded once, so a field costs
    one gather, one small matrix product, a maximum per chip and one transfer to the host.
    The outlet temperature does not change when the mass fluxes are scaled; for a flow whose
    shape changes, pass its mass fluxes (the outflow weights are then made on the device).

    Parameters
    ----------
    plate : ColdPlate
        The plate (its conductivity and mass fluxes set the weights).
    masks : mapping of chip name to device bool array
        The heated cells of each chip (the peak is their hottest cell).
    """

    def __init__(self, plate, masks):
        self.xp = xp = plate.xp
        self.backend = plate.backend
        self.masks = dict(masks)
        cases = plate.case_face_weights()
        self.case_names = list(cases)
        faces = plate.outflow_faces()
        # the outflow's faces on the device, for mass fluxes that change shape
        self.faces = {name: self.backend.asarray(array) for name, array in faces.items()
                      if name != "axis"}
        self.faces["cp"] = plate.specific_heat.reshape(-1)[self.faces["cells"]]
        self.axis_counts = [int(np.sum(faces["axis"] == a)) for a in range(3)]
        weights = self._outflow_weights(plate.face_mass_flux())
        self.capacity_rate = float(self.backend.to_host(xp.sum(weights)))  # [W/K] sum F cp
        outlet = self.backend.to_host(weights) / self.capacity_rate
        groups = [(c, w) for c, w, _ in cases.values()] + [(faces["cells"], outlet)]
        sizes = [c.size for c, _ in groups]
        matrix = np.zeros((len(groups), sum(sizes)))
        for row, ((_, weights), begin) in enumerate(zip(groups, np.cumsum([0, *sizes[:-1]]),
                                                        strict=True)):
            matrix[row, begin:begin + weights.size] = weights
        self.cells = self.backend.asarray(np.concatenate([c for c, _ in groups]))
        self.matrix = self.backend.asarray(matrix, dtype=plate.grid.dtype)

    def _outflow_weights(self, mass_flux):
        """[W/K] ``F cp`` of the net outflow through each outflow face (device)."""
        xp, faces = self.xp, self.faces
        begin = np.cumsum([0, *self.axis_counts])
        out = faces["sign"] * xp.concatenate([
            flux.reshape(-1)[faces["faces"][begin[a]:begin[a + 1]]]
            for a, flux in enumerate(mass_flux)])
        return xp.where(faces["inlet"], xp.maximum(out, 0.0), out) * faces["cp"]

    def __call__(self, temperature, mass_flux=None) -> tuple[dict, dict, float, float]:
        """``(peaks, case temperatures, outlet temperature, capacity rate)`` of
        ``temperature``: [K] by chip name, the outlet [K] and ``sum F cp`` [W/K] of the net
        outflow, in one host transfer; ``mass_flux`` [kg/s]: the flow's face mass fluxes now,
        when they changed shape since set-up (else the capacity rate is the set-up one)."""
        xp = self.xp
        peaks = [xp.max(xp.where(mask, temperature, -xp.inf)) for mask in self.masks.values()]
        weighted = self.matrix @ temperature.reshape(-1)[self.cells]
        extra = []
        if mass_flux is not None:
            weights = self._outflow_weights(mass_flux)
            capacity = xp.sum(weights)
            t_cells = temperature.reshape(-1)[self.faces["cells"]]
            extra = [xp.stack([xp.sum(weights * t_cells) / capacity, capacity])]
        values = self.backend.to_host(xp.concatenate([xp.stack(peaks), weighted, *extra]))
        chips, cases = len(self.masks), len(self.case_names)
        outlet, capacity = ((values[-2], values[-1]) if mass_flux is not None
                            else (values[chips + cases], self.capacity_rate))
        return (dict(zip(self.masks, (float(v) for v in values[:chips]), strict=True)),
                dict(zip(self.case_names, (float(v) for v in values[chips:chips + cases]),
                         strict=True)),
                float(outlet), float(capacity))
