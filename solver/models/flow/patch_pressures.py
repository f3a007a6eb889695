"""Pressures on the inlets and outlets of a flow: the area-weighted static pressure (the inlet
face value extrapolated from the first two cells), the flow-weighted total pressure and the
first cells' pressure. The pressure-drop monitor reads them every outer iteration: the cell
and face layers they need are gathered on the device into a kept buffer (the tail of the
solver's monitors, so that they reach the host with the iteration's residuals, in the same
transfer) or, for the current state, gathered and brought to the host on their own."""

from __future__ import annotations

import numpy as np

from solver.boundaries.flow import INLET, OUTLET


class PatchLayers:
    """The layers next to a flow's openings that :func:`patch_pressures` reads: the fluid mask
    and pressure of the first two cells, the face mass flux and the cell layer's face
    velocities across the opening, copied by :meth:`gather` into one device buffer
    (:meth:`bind`, ``size`` values; one gathering pass per field read, whatever the number of
    openings and layers) and brought to the host by :meth:`to_host` (one transfer) or
    unpacked from a host copy by :meth:`unpack`."""

    def __init__(self, solver):
        self.solver = solver
        requests = []
        for opening in solver.conditions.openings():
            if not np.any((opening.kind == INLET) | (opening.kind == OUTLET)):
                continue
            axis, face = opening.axis, opening.face
            inner, step = (face - 1, -1) if opening.is_max else (face, 1)
            cells = [inner] + ([inner + step]
                               if 0 <= inner + step < solver.grid.shape[axis] else [])
            requests += [(name, None, index, axis) for index in cells
                         for name in ("fluid", "pressure")]
            requests.append(("flux", axis, face, axis))
            requests += [("velocity", d, inner, axis) for d in range(3) if d != axis]
        # the layers of each field next to each other in the buffer
        self.requests = sorted(dict.fromkeys(requests), key=self._field)
        shapes = [self._shape(request) for request in self.requests]
        offsets = np.concatenate([[0], np.cumsum([int(np.prod(s)) for s in shapes])]).astype(int)
        self.size = int(offsets[-1])
        self._slices = [(int(offsets[k]), int(offsets[k + 1]), shape)
                        for k, shape in enumerate(shapes)]
        # per field: its part of the buffer and the flat positions of its layers' values
        fields = {}
        for request, (start, stop, _) in zip(self.requests, self._slices, strict=True):
            part = fields.setdefault(self._field(request), [start, stop, []])
            part[1] = stop
            part[2].append(self._positions(request))
        xp = solver.xp
        self._fields = [(field, start, stop, xp.asarray(np.concatenate(positions)))
                        for field, (start, stop, positions) in fields.items()]
        self.buffer = None

    @staticmethod
    def _field(request) -> tuple:
        """The field a request reads: ``(name, component)``."""
        name, d, _, _ = request
        return (name, -1 if d is None else d)

    def _field_shape(self, request) -> tuple:
        """The shape of the field ``request`` reads: the grid's, one more along the axis of a
        face field."""
        name, d, _, _ = request
        return tuple(n + (name in ("flux", "velocity") and a == d)
                     for a, n in enumerate(self.solver.grid.shape))

    def _positions(self, request) -> np.ndarray:
        """Flat (C-order) positions of ``request``'s layer in its field."""
        _, _, index, axis = request
        shape = self._field_shape(request)
        ranges = [np.arange(n) for n in shape]
        ranges[axis] = np.array([index])
        return np.ravel_multi_index(np.meshgrid(*ranges, indexing="ij"), shape).ravel()

    def _shape(self, request) -> tuple:
        """The shape of ``request``'s layer: its field's without the opening's axis."""
        axis = request[3]
        return tuple(n for a, n in enumerate(self._field_shape(request)) if a != axis)

    def bind(self, buffer) -> None:
        """Gather into ``buffer`` (a 1-D device array of ``size`` values)."""
        self.buffer = buffer

    def _source(self, field):
        """The solver's (contiguous) array of ``field``."""
        name, d = field
        solver = self.solver
        return {"fluid": solver.fluid_f, "pressure": solver.pressure,
                "flux": solver.mass_flux[d] if d >= 0 else None,
                "velocity": solver.velocity[d] if d >= 0 else None}[name]

    def gather(self) -> None:
        """Copy every layer into the buffer, one ``take`` per field (launches only: part of a
        captured stage on a GPU)."""
        for field, start, stop, positions in self._fields:
            self.solver.xp.take(self._source(field), positions, out=self.buffer[start:stop])

    def to_host(self) -> dict:
        """The gathered layers on the host, by request (one transfer)."""
        return self.unpack(self.solver.grid.backend.to_host(self.buffer))

    def unpack(self, host) -> dict:
        """The layers in ``host`` (a host copy of the buffer), by request."""
        return {request: host[start:stop].reshape(shape)
                for request, (start, stop, shape) in zip(self.requests, self._slices,
                                                         strict=True)}


def patch_pressures(solver, kind: int, layers: dict):
    """Area-weighted static, flow-weighted total pressure [Pa], flow [kg/s] and area-weighted
    first-cell pressure [Pa] over the openings of ``kind`` (INLET or OUTLET) of ``solver`` (a
    FlowSolver), from its gathered ``layers`` (:meth:`PatchLayers.to_host`); None when it has
    none."""
    area_sum = static_sum = cell_sum = total_sum = flow_sum = 0.0
    for opening in solver.conditions.openings():
        faces = opening.kind == kind
        if not np.any(faces):
            continue
        axis, face = opening.axis, opening.face
        # the fluid cell at the opening and the next one inward
        inner, step = (face - 1, -1) if opening.is_max else (face, 1)
        fluid = layers[("fluid", None, inner, axis)] > 0.5
        faces = faces & fluid
        areas = np.outer(*(solver.grid.widths[d] for d in range(3) if d != axis))
        p_cell = layers[("pressure", None, inner, axis)]
        second = inner + step
        if kind == OUTLET:
            p_face = opening.pressure
        elif 0 <= second < solver.grid.shape[axis]:
            # linear extrapolation of the two cells next to the opening
            p_next = layers[("pressure", None, second, axis)]
            w0, w1 = solver.grid.widths[axis][inner], solver.grid.widths[axis][second]
            p_face = p_cell + (p_cell - p_next) * (0.5 * w0) / (0.5 * (w0 + w1))
            p_face = np.where(fluid & (layers[("fluid", None, second, axis)] > 0.5), p_face,
                              p_cell)
        else:
            p_face = p_cell
        flux = layers[("flux", axis, face, axis)].reshape(p_cell.shape)
        normal = flux / (solver.density * areas)
        speed2 = normal**2 + _tangential_speed2(layers, inner, axis)
        total = p_face + 0.5 * solver.density * speed2
        flow = np.abs(flux[faces])
        area_sum += areas[faces].sum()
        static_sum += (p_face * np.ones_like(p_cell))[faces] @ areas[faces]
        cell_sum += p_cell[faces] @ areas[faces]
        total_sum += total[faces] @ flow
        flow_sum += flow.sum()
    if area_sum == 0.0:
        return None
    total = total_sum / flow_sum if flow_sum > 0 else np.nan
    return static_sum / area_sum, total, flow_sum, cell_sum / area_sum


def _tangential_speed2(layers: dict, index: int, axis: int):
    """Squared cell-centred velocity along the two other axes [m2/s2] on cell layer ``index``
    normal to ``axis`` (host), from the face velocities of that layer."""
    total = 0.0
    for d in range(3):
        if d == axis:
            continue
        faces = layers[("velocity", d, index, axis)]  # the layer's faces normal to d
        position = d if d < axis else d - 1
        n = faces.shape[position] - 1
        centre = 0.5 * (np.take(faces, np.arange(n), axis=position)
                        + np.take(faces, np.arange(1, n + 1), axis=position))
        total = total + centre**2
    return total
