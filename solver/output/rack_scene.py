"""The rack scene: network polylines and every 3D-solved plate's fields in one VTK multiblock."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from solver.output.network import (
    PARALLEL_SPACING,
    layout_positions,
    network_polydata,
    parallel_offsets,
)
from solver.output.vtk import FIELD_UNITS, set_name_table, set_units, write_multiblock

if TYPE_CHECKING:  # annotations only: the module above imports this one
    from solver.coupling.coupled_rack import CoupledRack

#: [-] gap between side-by-side plates, as a fraction of the widest plate's horizontal size.
PLATE_GAP = 0.25

#: Cell arrays of a plate block, as in ``fields.vtr``.
PLATE_ARRAYS = ("temperature", "velocity", "pressure")


def _block_name(name: str) -> str:
    return "plate_" + "".join(ch if ch.isalnum() or ch in "_.-" else "_" for ch in name)


def plate_spacing(coupled: CoupledRack) -> float:
    """[m] distance between the lines of parallel plates in the scene: at least
    :data:`~solver.output.network.PARALLEL_SPACING`, and wide enough that the widest 3D plate
    (largest x or y size) keeps a gap of :data:`PLATE_GAP` of its size to its neighbour."""
    widest = 0.0
    for point in coupled.operating_points.values():
        if point.fields:
            x, y, _ = (np.asarray(f, dtype=float) for f in point.fields["faces"])
            widest = max(widest, x[-1] - x[0], y[-1] - y[0])
    return max(PARALLEL_SPACING, (1.0 + PLATE_GAP) * widest)


def rack_scene(path, coupled: CoupledRack) -> Path:
    """Write the whole rack as one multiblock ``.vtm``: the network and the plate fields.

    Blocks: ``network`` (as ``network.vtp``: :func:`~solver.output.network.network_polydata`)
    and one rectilinear grid per plate solved in 3D (``plate_<name>``) with the cell arrays of
    ``fields.vtr`` (``temperature`` [K], ``velocity`` [m/s], ``pressure`` [Pa], ``body_id``)
    and field data ``body_names``, ``component_name`` and the unit table. The
    network's node temperatures and the plates' cell temperatures share the array name
    ``temperature``, so ParaView colours the scene with one colour bar.

    Each plate keeps its own axes and is translated so that the centre of its bounding box sits
    at the middle of its network line: trays stack at their heights and parallel plates stand
    side by side, their lines drawn :func:`plate_spacing` apart (their sizes plus a gap).

    Parameters
    ----------
    path : path-like
        Destination ``.vtm`` (written with :func:`solver.output.write_multiblock`).
    coupled : CoupledRack
        Its operating points carry ``fields`` (the default runner keeps them); every plate with
        fields becomes a block, at the operating point it was last solved at.

    Returns
    -------
    Path
    """
    import pyvista as pv

    solution = coupled.result.solution
    net = solution.network
    spacing = plate_spacing(coupled)
    nodes = layout_positions(net)
    offsets = parallel_offsets(net, nodes, spacing)
    blocks = {"network": network_polydata(solution, spacing)}
    index = {n.name: i for i, n in enumerate(net.nodes)}
    for name, point in sorted(coupled.operating_points.items()):
        if not point.fields:
            continue
        i = net.branch_index(name)
        branch = net.branches[i]
        middle = 0.5 * (nodes[index[branch.inlet]] + nodes[index[branch.outlet]]) + offsets[i]
        faces = [np.asarray(f, dtype=float) for f in point.fields["faces"]]
        grid = pv.RectilinearGrid(*(f - 0.5 * (f[0] + f[-1]) + c
                                    for f, c in zip(faces, middle, strict=True)))
        fields = point.fields
        for key in PLATE_ARRAYS:
            if key in fields:
                array = np.asarray(fields[key])
                # VTK order: x fastest (NumPy's Fortran order), vectors per component
                grid.cell_data[key] = (array.ravel(order="F") if array.ndim == 3 else
                                       array.reshape(-1, 3, order="F"))
        if "material" in fields:
            grid.cell_data["body_id"] = np.asarray(fields["material"]).ravel(order="F")
            if "body_names" in fields:
                set_name_table(grid, "body_id", "body_names", fields["body_names"])
        grid.field_data["component_name"] = np.array([name])
        set_units(grid, {key: FIELD_UNITS[key] for key in grid.cell_data.keys()})
        blocks[_block_name(name)] = grid
    return write_multiblock(path, blocks)


__all__ = ["rack_scene", "plate_spacing", "PLATE_GAP", "PLATE_ARRAYS"]
