"""Write the sample meshes in this folder (run: ``python meshes/make_meshes.py``).

Every file is written with meshio from triangles built here, so the script needs nothing beyond
numpy and meshio and its output is reproducible byte for byte.

Files
-----
``port.stl`` (binary), ``port.obj``, ``port.msh`` (Gmsh 4.1), ``port.vtu``
    A manifold inlet port as one closed surface of revolution about z, coordinates in
    **millimetres** (read with ``scale=1e-3``): flange radius 8 mm from z = 0 to 2 mm, neck radius
    4 mm up to 12 mm, with a barb ring of radius 5 mm from z = 9 to 10 mm; 48 segments around.
``box.stl``, ``box.obj``, ``box.msh`` (Gmsh 2.2), ``box.vtu``
    The box 10 x 6 x 4 mm with its lower corner at (2, 3, 1) mm, in **metres**; 12 triangles.
    Equivalent to ``Box((0.002, 0.003, 0.001), (0.012, 0.009, 0.005))``.
``box_tetra.vtu``, ``box_tetra.msh`` (Gmsh 4.1)
    The same box as a volume mesh of 2 x 2 x 2 hexahedra split into 6 tetrahedra each; the
    boundary surface is extracted when read.
``open_box.stl``
    The box with one triangle removed: not watertight (3 open edges), for the error test.
``degenerate_box.stl``
    The box plus one zero-area triangle, for the error test.
``flipped_box.stl``
    The box with one triangle wound the wrong way (inconsistent orientation).
"""

from __future__ import annotations

from pathlib import Path

import meshio
import numpy as np

HERE = Path(__file__).resolve().parent

# (radius, z) [mm] of the port profile, from the bottom of the axis to the top
PORT_PROFILE = [(0.0, 0.0), (8.0, 0.0), (8.0, 2.0), (4.0, 2.0), (4.0, 9.0), (5.0, 9.0),
                (5.0, 10.0), (4.0, 10.0), (4.0, 12.0), (0.0, 12.0)]
PORT_SEGMENTS = 48
BOX_MIN = (0.002, 0.003, 0.001)
BOX_MAX = (0.012, 0.009, 0.005)


def signed_volume(points: np.ndarray, triangles: np.ndarray) -> float:
    """Volume enclosed by a closed triangulated surface (> 0 for outward normals)."""
    p = points[triangles]
    return float(np.einsum("ij,ij->i", p[:, 0], np.cross(p[:, 1], p[:, 2])).sum() / 6.0)


def outward(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Triangles wound so the normals point out of the solid."""
    return triangles if signed_volume(points, triangles) > 0 else triangles[:, ::-1].copy()


def revolve(profile, segments: int):
    """Closed surface of revolution about z of a profile that starts and ends on the axis."""
    angles = 2 * np.pi * np.arange(segments) / segments
    points, rings = [], []
    for r, z in profile:
        start = len(points)
        if r == 0.0:
            points.append((0.0, 0.0, z))
            rings.append([start] * segments)
        else:
            points.extend((r * np.cos(a), r * np.sin(a), z) for a in angles)
            rings.append(list(range(start, start + segments)))
    triangles = []
    for lower, upper in zip(rings[:-1], rings[1:], strict=True):
        for s in range(segments):
            t = (s + 1) % segments
            if lower[s] != lower[t]:
                triangles.append((lower[s], lower[t], upper[t]))
            if upper[s] != upper[t]:
                triangles.append((lower[s], upper[t], upper[s]))
    points = np.array(points)
    # tidy rounding so cos(90 deg) is exactly 0
    points[np.abs(points) < 1e-12] = 0.0
    return points, outward(points, np.array(triangles))


def box_surface(lower, upper):
    """The 8 corners and 12 outward triangles of an axis-aligned box."""
    points = np.array([[x, y, z] for x in (lower[0], upper[0]) for y in (lower[1], upper[1])
                       for z in (lower[2], upper[2])])
    # corner index = 4 i + 2 j + k for (x, y, z) bits (i, j, k)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    triangles = []
    for a, b, c, d in quads:
        triangles += [(a, b, c), (a, c, d)]
    return points, outward(points, np.array(triangles))


def box_tetrahedra(lower, upper, cells_per_side: int = 2):
    """A structured hexahedral box mesh with each hexahedron split into 6 tetrahedra."""
    n = cells_per_side
    axes = [np.linspace(lo, hi, n + 1) for lo, hi in zip(lower, upper, strict=True)]
    X, Y, Z = np.meshgrid(*axes, indexing="ij")
    points = np.column_stack([X.ravel(), Y.ravel(), Z.ravel()])

    def node(i, j, k):
        return (i * (n + 1) + j) * (n + 1) + k

    # Kuhn split of the unit cube along the 0-7 diagonal (positive orientation fixed below)
    kuhn = [(0, 1, 3, 7), (0, 3, 2, 7), (0, 2, 6, 7), (0, 6, 4, 7), (0, 4, 5, 7), (0, 5, 1, 7)]
    tets = []
    for i in range(n):
        for j in range(n):
            for k in range(n):
                corner = [node(i + (c >> 2 & 1), j + (c >> 1 & 1), k + (c & 1)) for c in range(8)]
                tets += [[corner[c] for c in t] for t in kuhn]
    tets = np.array(tets)
    p = points[tets]
    orientation = np.einsum("ij,ij->i", p[:, 1] - p[:, 0],
                            np.cross(p[:, 2] - p[:, 0], p[:, 3] - p[:, 0]))
    tets[orientation < 0] = tets[orientation < 0][:, [0, 2, 1, 3]]
    return points, tets


def write_surface(name: str, points, triangles, **kwargs):
    tags = {}
    if name.endswith(".msh"):
        ones = np.ones(len(triangles), dtype=int)
        tags = {"gmsh:physical": [ones], "gmsh:geometrical": [ones]}
    with np.errstate(invalid="ignore"):  # meshio's STL normals of a zero-area triangle
        meshio.write(HERE / name, meshio.Mesh(points, [("triangle", triangles)], cell_data=tags),
                     **kwargs)
    if name.endswith(".obj"):
        # drop meshio's timestamp comment so the output is reproducible
        path = HERE / name
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(line for line in lines if not line.startswith("# Created by")))


def main():
    port_points, port_triangles = revolve(PORT_PROFILE, PORT_SEGMENTS)
    write_surface("port.stl", port_points, port_triangles, binary=True)
    write_surface("port.obj", port_points, port_triangles)
    write_surface("port.msh", port_points, port_triangles, file_format="gmsh", binary=False)
    write_surface("port.vtu", port_points, port_triangles)

    box_points, box_triangles = box_surface(BOX_MIN, BOX_MAX)
    write_surface("box.stl", box_points, box_triangles, binary=True)
    write_surface("box.obj", box_points, box_triangles)
    write_surface("box.msh", box_points, box_triangles, file_format="gmsh22", binary=False)
    write_surface("box.vtu", box_points, box_triangles)

    tet_points, tets = box_tetrahedra(BOX_MIN, BOX_MAX)
    meshio.write(HERE / "box_tetra.vtu", meshio.Mesh(tet_points, [("tetra", tets)]))
    ones = np.ones(len(tets), dtype=int)
    meshio.write(HERE / "box_tetra.msh", meshio.Mesh(tet_points, [("tetra", tets)], cell_data={
        "gmsh:physical": [ones], "gmsh:geometrical": [ones]}), file_format="gmsh", binary=False)

    write_surface("open_box.stl", box_points, box_triangles[:-1], binary=True)
    middle = 0.5 * (box_points[0] + box_points[1])
    degenerate_points = np.vstack([box_points, middle])
    degenerate = np.vstack([box_triangles, [[0, 1, 8]]])
    write_surface("degenerate_box.stl", degenerate_points, degenerate, binary=True)
    flipped = box_triangles.copy()
    flipped[0] = flipped[0, ::-1]
    write_surface("flipped_box.stl", box_points, flipped, binary=True)

    for path in sorted(HERE.iterdir()):
        if path.suffix != ".py":
            print(f"{path.name:22s} {path.stat().st_size / 1024:7.1f} KB")


if __name__ == "__main__":
    main()
