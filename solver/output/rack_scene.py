"""The rack scene: network polylines and every 3D-solved plate's fields in one VTK multiblock."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from solver.output.network import layout_positions, network_polydata
from solver.output.vtk import write_multiblock

if TYPE_CHECKING:  # annotations only: the module above imports this one
    from solver.coupling.coupled_rack import CoupledRack



def rack_scene(path, coupled: CoupledRack, plate_spacing: float = 0.05) -> Path:
    """Write the whole rack as one multiblock ``.vtm``: the network and the plate fields.

    Blocks: ``network`` (the network polylines with flows, pressures and temperatures, as
    ``network.vtp``) and one rectilinear grid per plate solved in 3D (``plate_<name>``, cell
    fields ``temperature`` [K] and ``material``), translated to the plate's place in the rack:
    the position of its inlet node, plates sharing a node side by side along y every
    ``plate_spacing`` [m]. Open it in ParaView or with ``pyvista.read``.

    Parameters
    ----------
    path : path-like
        Destination ``.vtm`` (written with :func:`solver.output.write_multiblock`).
    coupled : CoupledRack
        Its operating points must carry ``fields`` (the default runner keeps them).
    plate_spacing : float
        [m] offset between plates fed from the same node.

    Returns
    -------
    Path
    """
    import pyvista as pv

    solution = coupled.result.solution
    net = solution.network
    positions = dict(zip((n.name for n in net.nodes), layout_positions(net), strict=True))
    blocks = {"network": network_polydata(solution)}
    slots: dict = {}
    for name, point in coupled.operating_points.items():
        if not point.fields:
            continue
        branch = net.branch(name)
        origin = np.array(positions[branch.inlet], dtype=float)
        slot = slots.get(branch.inlet, 0)
        slots[branch.inlet] = slot + 1
        x, y, z = (np.asarray(f, dtype=float) for f in point.fields["faces"])
        grid = pv.RectilinearGrid(x - x[0] + origin[0], y - y[0] + origin[1] + slot
                                  * plate_spacing, z - z[0] + origin[2])
        for key in ("temperature", "material"):
            if key in point.fields:
                grid.cell_data[key] = np.asarray(point.fields[key]).ravel(order="F")
        blocks["plate_" + "".join(ch if ch.isalnum() or ch in "_.-" else "_"
                                  for ch in name)] = grid
    return write_multiblock(path, blocks)
