"""Benchmark: painting bodies on million-cell grids, and generating the grid.

Grids over a 50 mm cube with 0.5 mm and 0.25 mm maximum spacing (``--quick``: the first only);
lines snapped to the pin faces bring them to about 3.5e6 and 1.5e7 cells.

Prints one JSON line per (grid, body): cells, seconds, cells per second and, as the accuracy beside
the speed, the relative error of the painted volume against the body's analytic (or enclosed
surface) volume. Run: ``python benchmarks/geometry.py [--quick]``.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import meshio
import numpy as np

from solver.geometry import (
    Box,
    Cylinder,
    MeshSolid,
    PinFinArray,
    body_mask,
    collect_breakpoints,
)
from solver.grid import generate_grid

MM = 1e-3
MESHES = Path(__file__).resolve().parents[1] / "meshes"


def sphere_stl(directory: Path) -> Path:
    """A 120 x 120 tessellated sphere of radius 20 mm centred in the 50 mm cube (pyvista)."""
    import pyvista

    sphere = pyvista.Sphere(radius=20 * MM, center=(25 * MM, 25 * MM, 25 * MM),
                            theta_resolution=120, phi_resolution=120).triangulate()
    path = directory / "sphere.stl"
    triangles = sphere.faces.reshape(-1, 4)[:, 1:]
    meshio.write(path, meshio.Mesh(sphere.points, [("triangle", triangles)]), binary=True)
    return path


def bodies(directory: Path):
    return [
        Box((5 * MM, 5 * MM, 5 * MM), (45 * MM, 45 * MM, 20 * MM), material="copper", name="box"),
        Cylinder((25 * MM, 25 * MM, 0), "z", 20 * MM, 50 * MM, material="copper",
                 name="cylinder"),
        PinFinArray((0, 0, 10 * MM), (50 * MM, 50 * MM, 40 * MM), 3 * MM, (6 * MM, 5.2 * MM),
                    staggered=True, material="copper", name="pin_fins"),
        MeshSolid(sphere_stl(directory), "copper", name="sphere_mesh"),
        MeshSolid(MESHES / "port.stl", "copper", scale=2e-3, translate=(25 * MM, 25 * MM, 1 * MM),
                  name="port_mesh"),
    ]


def main(quick: bool = False):
    sizes = (100,) if quick else (100, 200)
    with tempfile.TemporaryDirectory() as tmp:
        shapes = bodies(Path(tmp))
        for n in sizes:
            start = time.perf_counter()
            grid = generate_grid([(0, 50 * MM)] * 3, collect_breakpoints(shapes), 50 * MM / n)
            grid_seconds = time.perf_counter() - start
            volumes = np.broadcast_to(np.asarray(grid.cell_volumes()), grid.shape)
            for body in shapes:
                start = time.perf_counter()
                mask = body_mask(grid, body)
                seconds = time.perf_counter() - start
                error = float(volumes[mask].sum() / body.volume() - 1)
                print(json.dumps({
                    "benchmark": "paint", "body": body.name, "cells": grid.n_cells,
                    "shape": list(grid.shape), "seconds": round(seconds, 4),
                    "cells_per_second": round(grid.n_cells / seconds),
                    "volume_relative_error": round(error, 6),
                    "grid_generation_seconds": round(grid_seconds, 4),
                }))


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
