"""Mesh solids: surface meshes read with meshio (STL, OBJ, Gmsh, VTU/VTK, PLY, OFF), checked
(watertight, non-degenerate, outward normals) and painted onto the grid by ray parity."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from solver.geometry.primitives import BaseBody, GeometryError, vector3

# faces of linear volume cells in VTK/meshio vertex order (wound outward later, by geometry)
_VOLUME_CELL_FACES = {
    "tetra": [(0, 2, 1), (0, 1, 3), (1, 2, 3), (2, 0, 3)],
    "hexahedron": [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6),
                   (3, 0, 4, 7)],
    "wedge": [(0, 2, 1), (3, 4, 5), (0, 1, 4, 3), (1, 2, 5, 4), (2, 0, 3, 5)],
    "pyramid": [(0, 3, 2, 1), (0, 1, 4), (1, 2, 4), (2, 3, 4), (3, 0, 4)],
}


_VOLUME_CORNERS = {"tetra": 4, "tetra10": 4, "hexahedron": 8, "hexahedron20": 8,
                   "hexahedron27": 8, "wedge": 6, "wedge15": 6, "pyramid": 5, "pyramid13": 5}


_SURFACE_CORNERS = {"triangle": 3, "triangle6": 3, "triangle7": 3, "quad": 4, "quad8": 4,
                    "quad9": 4}


_IGNORED_CELLS = ("vertex", "line", "line3", "polyline")


# file extension -> meshio format module
_MESH_READERS = {".stl": "stl", ".obj": "obj", ".msh": "gmsh", ".vtu": "vtu", ".vtk": "vtk",
                 ".ply": "ply", ".off": "off"}


# [m] largest coordinate a mesh may reach after scale and translate: a rack is about 2 m tall, so
# a coordinate beyond this is a unit error (a file in mm read without scale = 1e-3 reaches only
# metres; 1e30 or a scale of 1e300 reaches here)
MAX_MESH_COORDINATE = 100.0

# binary STL: an 80-byte header, a uint32 triangle count, then 50 bytes per triangle
_STL_HEADER_BYTES = 84
_STL_TRIANGLE_BYTES = 50


def _fan(polygons: np.ndarray) -> np.ndarray:
    """Split ``(n, k)`` convex polygons into ``(n * (k - 2), 3)`` fan triangles."""
    k = polygons.shape[1]
    tris = [polygons[:, [0, i, i + 1]] for i in range(1, k - 1)]
    return np.stack(tris, axis=1).reshape(-1, 3)


def _cell_faces(kind: str, cells: np.ndarray, points: np.ndarray) -> list[np.ndarray]:
    """Faces of linear volume cells, each wound to point away from its cell's centroid.

    Winding by geometry (not by the vertex-order convention) makes the result independent of
    the convention of the file format (VTK and Gmsh order wedges differently) and of inverted
    cells; it assumes convex cells, as finite-element meshes have.
    """
    centroid = points[cells].mean(axis=1)
    faces = []
    for face in _VOLUME_CELL_FACES[kind.rstrip("0123456789")]:
        vertices = cells[:, face]
        corners = points[vertices]
        # Newell-style normal of the (possibly quadrilateral) face, summed over its fan
        normal = sum(np.cross(corners[:, i] - corners[:, 0], corners[:, i + 1] - corners[:, 0])
                     for i in range(1, len(face) - 1))
        outward = np.einsum("ij,ij->i", normal, corners.mean(axis=1) - centroid) >= 0
        faces.append(np.where(outward[:, None], vertices, vertices[:, ::-1]))
    return faces


@dataclass(frozen=True, eq=False)
class TriangleSurface:
    """A closed triangulated surface: vertices ``(n, 3)`` [m] and triangles ``(m, 3)`` indices.

    Built by :func:`read_surface`, which checks that the surface bounds a solid.
    """

    points: np.ndarray
    triangles: np.ndarray

    @property
    def corners(self) -> np.ndarray:
        """Triangle corner coordinates ``(m, 3, 3)`` [m]."""
        return self.points[self.triangles]

    def signed_volume(self) -> float:
        """Enclosed volume [m^3] by the divergence theorem (> 0 for outward normals)."""
        p = self.corners
        return float(np.einsum("ij,ij->i", p[:, 0], np.cross(p[:, 1], p[:, 2])).sum() / 6.0)

    def contains(self, x, y, z) -> np.ndarray:
        """Inside test by ray parity along +z for broadcastable coordinates [m]."""
        return _ray_parity_inside(self.points, self.triangles, x, y, z)


def _row_keys(rows: np.ndarray) -> np.ndarray:
    """One sortable scalar per row, equal exactly when the rows are equal (fast unique)."""
    rows = np.ascontiguousarray(rows)
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()


def _merge_vertices(points: np.ndarray, triangles: np.ndarray, tolerance: float):
    """Merge vertices closer than ``tolerance`` [m]; return compacted points and triangles.

    Exact duplicates (every STL corner is stored once per triangle) are merged first by sorting;
    the remaining vertices are clustered with a k-d tree (clusters are connected components of
    the "closer than tolerance" graph; each takes the position of its lowest-numbered vertex).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    points = points + 0.0  # -0.0 -> 0.0, so equal coordinates have equal bits
    _, first, exact = np.unique(_row_keys(points), return_index=True, return_inverse=True)
    points = points[first]
    triangles = exact.reshape(-1)[triangles]
    n = len(points)
    if tolerance > 0:
        pairs = cKDTree(points).query_pairs(tolerance, output_type="ndarray")
    else:
        pairs = np.zeros((0, 2), dtype=np.int64)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    representative = np.full(label.max() + 1, n, dtype=np.int64)
    np.minimum.at(representative, label, np.arange(n))
    triangles = representative[label][triangles]
    used, inverse = np.unique(triangles, return_inverse=True)
    return points[used], inverse.reshape(triangles.shape)


def _check_file(path: Path, body: str) -> None:
    """The mesh file must be a non-empty regular file with a known extension."""
    if not path.exists():
        raise GeometryError(f"{body}: mesh file '{path}' does not exist (looked in "
                            f"'{path.resolve().parent}'); check the path, which is relative to "
                            "the working directory or the case file")
    if path.is_dir():
        raise GeometryError(f"{body}: mesh file '{path}' is a folder, not a mesh file")
    if not path.is_file():
        raise GeometryError(f"{body}: mesh file '{path}' is not a regular file (a device, pipe "
                            "or socket); name a mesh file")
    suffix = path.suffix.lower()
    if suffix not in _MESH_READERS:
        raise GeometryError(f"{body}: mesh file '{path}' has an unsupported extension "
                            f"'{suffix}'; use one of {sorted(_MESH_READERS)}")
    if path.stat().st_size == 0:
        raise GeometryError(f"{body}: mesh file '{path}' is empty (0 bytes); export the solid "
                            "again")


def _check_stl_size(path: Path, body: str) -> None:
    """A binary STL's triangle count must match the file size, before any reader allocates.

    A file whose first bytes are not ``solid`` is binary (an ASCII STL starts with ``solid``);
    one that starts with ``solid`` may still be binary (some exporters write it in the header),
    which the size decides, as meshio does.
    """
    size = path.stat().st_size
    try:
        with path.open("rb") as stream:
            head = stream.read(_STL_HEADER_BYTES)
    except OSError as error:
        raise GeometryError(f"{body}: cannot read mesh file '{path}' "
                            f"({error.strerror or type(error).__name__})") from None
    if head[:5].lower() == b"solid":
        return  # ASCII, or a binary whose size matches its count: meshio decides
    if size < _STL_HEADER_BYTES:
        raise GeometryError(f"{body}: mesh file '{path}' is not an STL file: it does not start "
                            f"with 'solid' (ASCII STL) and its {size} bytes are fewer than a "
                            f"binary STL's {_STL_HEADER_BYTES}-byte header (truncated?)")
    count = int.from_bytes(head[80:84], "little")
    expected = _STL_HEADER_BYTES + _STL_TRIANGLE_BYTES * count
    if expected != size:
        raise GeometryError(f"{body}: mesh file '{path}' is read as a binary STL (it does not "
                            f"start with 'solid'), but its header declares {count} triangles "
                            f"({expected} bytes) and the file has {size} bytes; it is "
                            "truncated or not an STL file")


def _check_indices(kind: str, data: np.ndarray, n_points: int, path: Path, body: str,
                   one_based: bool) -> None:
    """Every vertex index of a cell block must name one of the file's ``n_points`` vertices.

    ``one_based``: the file counts vertices from 1 (OBJ; meshio subtracts 1, so a 0 or a
    negative, relative index arrives negative here).
    """
    if data.size == 0:
        return
    low, high = int(data.min()), int(data.max())
    first = 1 if one_based else 0
    if low < 0:
        hint = (" (OBJ counts vertices from 1; 0 and negative, relative indices are not "
                "supported)" if one_based else "")
        raise GeometryError(f"{body}: mesh file '{path}' has {kind} cells with a vertex index "
                            f"of {low + first} or less, outside {first}..{n_points - 1 + first}"
                            f"{hint}")
    if high >= n_points:
        raise GeometryError(f"{body}: mesh file '{path}' has {kind} cells naming vertex "
                            f"{high + first}, but the file has only {n_points} vertices "
                            f"(numbered {first}..{n_points - 1 + first})")


def _read_cells(path: Path, body: str):
    """Points and triangles of the surface (or volume boundary) stored in a mesh file."""
    import meshio

    suffix = path.suffix.lower()
    if suffix == ".stl":
        _check_stl_size(path, body)
    # the per-format readers raise instead of printing and exiting like meshio.read does
    reader = getattr(meshio, _MESH_READERS[suffix]).read
    try:
        with np.errstate(all="ignore"):  # meshio's binary-STL size probe overflows on ASCII files
            mesh = reader(str(path))
    except OSError as error:
        raise GeometryError(f"{body}: cannot read mesh file '{path}' "
                            f"({error.strerror or type(error).__name__})") from None
    except Exception as error:  # meshio raises many kinds for unreadable files
        # never the reader's message: it may quote the file's contents
        raise GeometryError(
            f"{body}: mesh file '{path}' is not a readable {_MESH_READERS[suffix]} file "
            f"(meshio's reader stopped with {type(error).__name__}); is the file complete and "
            "in that format?"
        ) from None
    points = np.asarray(mesh.points, dtype=np.float64)
    if points.size == 0:
        raise GeometryError(f"{body}: mesh file '{path}' contains no vertices; export the solid "
                            "as a closed surface (e.g. binary STL)")
    if points.ndim != 2 or points.shape[1] < 3:
        points = np.column_stack([points, np.zeros((len(points), 3 - points.shape[1]))])
    volume_faces, surface_tris, unsupported = [], [], []
    for block in mesh.cells:
        kind, data = block.type, np.asarray(block.data)
        if kind not in _IGNORED_CELLS:
            _check_indices(kind, data, len(points), path, body, one_based=suffix == ".obj")
        if kind in _VOLUME_CORNERS:
            volume_faces.extend(_cell_faces(kind, data[:, :_VOLUME_CORNERS[kind]], points))
        elif kind in _SURFACE_CORNERS:
            surface_tris.append(_fan(data[:, :_SURFACE_CORNERS[kind]]))
        elif kind.startswith("polygon"):
            surface_tris.append(_fan(data))
        elif kind not in _IGNORED_CELLS:
            unsupported.append(kind)
    if unsupported:
        raise GeometryError(f"{body}: mesh file '{path}' holds unsupported cell types "
                            f"{sorted(set(unsupported))}; use triangles, quads, polygons or "
                            "linear tetra/hexahedron/wedge/pyramid cells")
    if volume_faces:
        # volume mesh: keep the faces that belong to exactly one cell (the boundary)
        by_size: dict[int, list[np.ndarray]] = {}
        for faces in volume_faces:
            by_size.setdefault(faces.shape[1], []).append(faces)
        triangles = []
        for faces in by_size.values():
            faces = np.concatenate(faces)
            key = np.sort(faces, axis=1)
            _, inverse, counts = np.unique(_row_keys(key), return_inverse=True,
                                           return_counts=True)
            triangles.append(_fan(faces[counts[inverse.ravel()] == 1]))
        return points[:, :3], np.concatenate(triangles), "volume boundary"
    if not surface_tris:
        raise GeometryError(f"{body}: mesh file '{path}' contains no triangles, polygons or volume "
                            "cells; export the solid as a closed surface (e.g. binary STL)")
    return points[:, :3], np.concatenate(surface_tris), "surface"


def read_surface(path: str | Path, scale: float = 1.0, translate=(0.0, 0.0, 0.0),
                 merge_tolerance: float | None = None, body: str = "MeshSolid") -> TriangleSurface:
    """Read a closed surface from a mesh file and check that it bounds a solid.

    Parameters
    ----------
    path : str or Path
        STL, OBJ, Gmsh ``.msh``, VTU/VTK, or any format meshio reads. Surface cells (triangles,
        quads, polygons; split into fan triangles) are used directly; if the file holds volume
        cells (tetra, hexahedron, wedge, pyramid) the boundary surface of the volume mesh is
        extracted instead (faces that belong to exactly one cell) and surface cells are ignored.
    scale : float
        Factor applied to the file's coordinates first (e.g. 1e-3 for a file in millimetres).
    translate : (3,) float
        Offset [m] added after scaling.
    merge_tolerance : float, optional
        Vertices closer than this [m] are merged (the one documented repair: STL stores each
        triangle's corners separately, and exporters round). Default ``1e-9`` times the bounding
        box diagonal. Holes are never filled.
    body : str
        Body label used in messages.

    Returns
    -------
    TriangleSurface

    Raises
    ------
    GeometryError
        Missing or unreadable file; surface not watertight (an edge not shared by exactly two
        triangles); degenerate (zero-area) triangles; inconsistent orientation; zero volume.
        A surface whose normals all point inwards (negative volume) is accepted and flipped.
    """
    path = Path(path)
    _check_file(path, body)
    points, triangles, origin = _read_cells(path, body)
    used, triangles = np.unique(triangles, return_inverse=True)  # drop unused vertices
    triangles = triangles.reshape(-1, 3)
    points = _placed_points(points[used], float(scale), translate, path, body)
    if len(triangles) < 4:
        raise GeometryError(f"{body}: mesh file '{path}' has only {len(triangles)} triangles; a "
                            "closed solid needs at least 4")
    diagonal = float(np.linalg.norm(np.ptp(points[np.unique(triangles)], axis=0)))
    tolerance = 1e-9 * diagonal if merge_tolerance is None else float(merge_tolerance)
    points, triangles = _merge_vertices(points, triangles, tolerance)
    where = f"{body}: mesh file '{path}' ({origin}, {len(triangles)} triangles)"

    # degenerate triangles: repeated corners after merging, or zero area
    corners = points[triangles]
    area = 0.5 * np.linalg.norm(np.cross(corners[:, 1] - corners[:, 0],
                                         corners[:, 2] - corners[:, 0]), axis=1)
    degenerate = ((triangles[:, 0] == triangles[:, 1]) | (triangles[:, 1] == triangles[:, 2])
                  | (triangles[:, 2] == triangles[:, 0]) | (area <= 1e-12 * diagonal ** 2))
    if np.any(degenerate):
        first = np.flatnonzero(degenerate)[:5].tolist()
        raise GeometryError(
            f"{where}: {int(degenerate.sum())} degenerate (zero-area) triangles, e.g. triangles "
            f"{first} (after merging vertices closer than {tolerance:.3g} m); remove them in the "
            "mesh tool (e.g. 'remove degenerate faces') and re-export")

    # watertight: every undirected edge shared by exactly two triangles
    directed = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]])
    undirected = np.sort(directed, axis=1)
    n_points = np.int64(len(points))
    _, edge_counts = np.unique(undirected[:, 0] * n_points + undirected[:, 1], return_counts=True)
    open_edges = int(np.sum(edge_counts == 1))
    shared_edges = int(np.sum(edge_counts > 2))
    if open_edges or shared_edges:
        raise GeometryError(
            f"{where} is not watertight: {open_edges} edges belong to only one triangle (holes "
            f"or open boundaries) and {shared_edges} edges to three or more (non-manifold), out "
            f"of {len(edge_counts)} edges; a solid needs every edge shared by exactly two "
            f"triangles. Close the surface in the CAD or mesh tool and export it as a solid; "
            f"coolsim only merges vertices closer than {tolerance:.3g} m (merge_tolerance) and "
            "does not fill holes")

    # consistent orientation: each directed edge appears once (its twin runs the other way)
    _, directed_counts = np.unique(directed[:, 0] * n_points + directed[:, 1],
                                   return_counts=True)
    flipped = int(np.sum(directed_counts > 1))
    if flipped:
        raise GeometryError(
            f"{where}: inconsistent triangle orientation at {flipped} edges (neighbouring "
            "triangles wound in the same direction); re-export with consistent outward normals "
            "(e.g. 'recalculate normals outside')")

    surface = TriangleSurface(points, triangles)
    volume = surface.signed_volume()
    if abs(volume) <= 1e-9 * diagonal ** 3:
        raise GeometryError(f"{where}: encloses no volume ({volume:.3g} m^3); is it a flat "
                            "sheet or are coordinates in the wrong unit (see scale)?")
    if volume < 0:
        # all normals inward: the same solid, wound the other way
        surface = TriangleSurface(points, triangles[:, ::-1].copy())
    return surface


def _placed_points(points: np.ndarray, scale: float, translate, path: Path,
                   body: str) -> np.ndarray:
    """``points`` scaled then translated [m], after checking that they are finite in the file
    and stay finite and within :data:`MAX_MESH_COORDINATE` of the origin."""
    bad = ~np.all(np.isfinite(points), axis=1)
    if np.any(bad):
        raise GeometryError(f"{body}: mesh file '{path}' has {int(bad.sum())} vertex(es) with "
                            "a NaN or infinite coordinate; repair or re-export the mesh")
    with np.errstate(over="ignore", invalid="ignore"):
        placed = points * scale + np.asarray(translate, dtype=np.float64)
        reach = float(np.max(np.abs(placed))) if placed.size else 0.0
    if not np.isfinite(reach) or reach > MAX_MESH_COORDINATE:
        shown = "beyond the floating-point range" if not np.isfinite(reach) \
            else f"{reach:.3g} m"
        raise GeometryError(f"{body}: mesh file '{path}' reaches coordinates of {shown} after "
                            f"scale {scale:g} and translate, beyond {MAX_MESH_COORDINATE:g} m "
                            "(far larger than any cold plate or rack); check scale (1e-3 for a "
                            "file in mm) and the file's coordinates")
    return placed


def _edge_function(p, q, x, y):
    """Twice the signed area of (p, q, point): > 0 when the point is left of p -> q.

    ``p, q`` are ``(n, 2)`` endpoints; the value is computed with the endpoints in a canonical
    (lexicographic) order and its sign flipped afterwards, so two triangles sharing an edge get
    bit-identical values and an exactly-on-edge point is decided consistently.
    """
    swap = (p[:, 0] > q[:, 0]) | ((p[:, 0] == q[:, 0]) & (p[:, 1] > q[:, 1]))
    lo = np.where(swap[:, None], q, p)
    hi = np.where(swap[:, None], p, q)
    value = (hi[:, 0] - lo[:, 0]) * (y - lo[:, 1]) - (hi[:, 1] - lo[:, 1]) * (x - lo[:, 0])
    return np.where(swap, -value, value)


def _owns_edge(p, q):
    """Tie rule for points exactly on an edge of a counter-clockwise triangle.

    Equivalent to nudging the point by (-eps, +eps^2): the edge owns it when it runs upward in y,
    or along +x when horizontal. Two triangles on either side of an edge traverse it in opposite
    directions, so exactly one of them owns it. This is the rasterisers' "top-left" fill rule
    (Pineda, "A parallel algorithm for polygon rasterization", SIGGRAPH 1988), a special case of
    simulation of simplicity (Edelsbrunner and Muecke, ACM Trans. Graphics 9, 1990).
    """
    dx, dy = q[:, 0] - p[:, 0], q[:, 1] - p[:, 1]
    return (dy > 0) | ((dy == 0) & (dx > 0))


def _column_pairs_lattice(tri_lo, tri_hi, xs, ys):
    """(triangle, column) candidate pairs for columns on the lattice ``xs x ys``."""
    i0 = np.searchsorted(xs, tri_lo[:, 0], side="left")
    i1 = np.searchsorted(xs, tri_hi[:, 0], side="right")
    j0 = np.searchsorted(ys, tri_lo[:, 1], side="left")
    j1 = np.searchsorted(ys, tri_hi[:, 1], side="right")
    ni, nj = np.maximum(i1 - i0, 0), np.maximum(j1 - j0, 0)
    counts = ni * nj
    total = int(counts.sum())
    tri = np.repeat(np.arange(len(tri_lo)), counts)
    local = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    nj_t = nj[tri]
    ii = i0[tri] + local // np.maximum(nj_t, 1)
    jj = j0[tri] + local % np.maximum(nj_t, 1)
    return tri, ii * len(ys) + jj


def _ray_parity_inside(points, triangles, x, y, z) -> np.ndarray:
    """Inside test for a closed surface by counting crossings of a +z ray from each point.

    Work is organised by (x, y) columns: each triangle is tested only against the columns inside
    its (x, y) bounding box, so the cost is O(points log points + crossings). On a tensor grid of
    cell centres the columns form a lattice and the test is exact (ties decided consistently).
    """
    x, y, z = (np.asarray(v, dtype=np.float64) for v in (x, y, z))
    shape = np.broadcast_shapes(x.shape, y.shape, z.shape)
    xy_shape = np.broadcast_shapes(x.shape, y.shape)
    cx = np.broadcast_to(x, xy_shape).ravel()
    cy = np.broadcast_to(y, xy_shape).ravel()
    xs, ix = np.unique(cx, return_inverse=True)
    ys, iy = np.unique(cy, return_inverse=True)

    corners = points[triangles]
    tri_lo, tri_hi = corners[:, :, :2].min(axis=1), corners[:, :, :2].max(axis=1)
    if len(xs) * len(ys) <= 8 * cx.size + 1024:
        tri, lattice_column = _column_pairs_lattice(tri_lo, tri_hi, xs, ys)
        column_of_query = ix.ravel() * len(ys) + iy.ravel()
        n_columns = len(xs) * len(ys)
        px, py = xs[lattice_column // len(ys)], ys[lattice_column % len(ys)]
        column = lattice_column
    else:
        # scattered points: every point is its own column, culled by x only
        order = np.argsort(cx)
        sx = cx[order]
        i0 = np.searchsorted(sx, tri_lo[:, 0], side="left")
        i1 = np.searchsorted(sx, tri_hi[:, 0], side="right")
        counts = np.maximum(i1 - i0, 0)
        tri = np.repeat(np.arange(len(triangles)), counts)
        local = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        column = order[i0[tri] + local]
        px, py = cx[column], cy[column]
        keep = (py >= tri_lo[tri, 1]) & (py <= tri_hi[tri, 1])
        tri, column, px, py = tri[keep], column[keep], px[keep], py[keep]
        column_of_query = np.arange(cx.size)
        n_columns = cx.size

    # 2D point-in-triangle with consistent tie-breaking, then the z of the crossing
    a, b, c = corners[tri, 0], corners[tri, 1], corners[tri, 2]
    w_c = _edge_function(a[:, :2], b[:, :2], px, py)  # opposite corner c
    w_a = _edge_function(b[:, :2], c[:, :2], px, py)
    w_b = _edge_function(c[:, :2], a[:, :2], px, py)
    orientation = _edge_function(a[:, :2], b[:, :2], c[:, 0], c[:, 1])
    ccw = orientation > 0
    sign = np.where(ccw, 1.0, -1.0)
    w_a, w_b, w_c = sign * w_a, sign * w_b, sign * w_c

    def owned(p, q):
        return np.where(ccw, _owns_edge(p[:, :2], q[:, :2]), _owns_edge(q[:, :2], p[:, :2]))

    hit = ((orientation != 0)
           & ((w_c > 0) | ((w_c == 0) & owned(a, b)))
           & ((w_a > 0) | ((w_a == 0) & owned(b, c)))
           & ((w_b > 0) | ((w_b == 0) & owned(c, a))))
    total = w_a + w_b + w_c
    z_cross = (w_a * a[:, 2] + w_b * b[:, 2] + w_c * c[:, 2])[hit] / total[hit]
    cross_column = column[hit]

    # tensor-grid fast path: z varies along the last axis only, the same sorted z in every column
    z_row = z.reshape(-1)
    if (z.ndim == len(shape) == len(xy_shape) > 0 and xy_shape[-1] == 1
            and all(n == 1 for n in z.shape[:-1]) and np.all(np.diff(z_row) > 0)):
        nz = z_row.size
        # a crossing flips the parity of every point at or above it in its column
        level = np.searchsorted(z_row, z_cross, side="left")
        keep = level < nz
        toggles = np.zeros(n_columns * nz, dtype=np.uint8)
        np.bitwise_xor.at(toggles, cross_column[keep] * nz + level[keep], 1)
        parity = np.bitwise_xor.accumulate(toggles.reshape(n_columns, nz), axis=1)
        return parity[column_of_query].reshape(shape).astype(bool)

    # general case: sort crossings and points by (column, z) and count crossings below each point
    query_column = np.broadcast_to(column_of_query.reshape(xy_shape), shape).ravel()
    query_z = np.broadcast_to(z, shape).ravel()
    n_cross = cross_column.size
    all_column = np.concatenate([cross_column, query_column])
    all_z = np.concatenate([z_cross, query_z])
    is_crossing = np.concatenate([np.ones(n_cross, dtype=np.int64),
                                  np.zeros(query_z.size, dtype=np.int64)])
    order = np.lexsort((1 - is_crossing, all_z, all_column))
    below_or_at = np.cumsum(is_crossing[order])
    per_column = np.bincount(cross_column, minlength=n_columns)
    before_column = np.cumsum(per_column) - per_column
    count = np.empty(all_z.size, dtype=np.int64)
    count[order] = below_or_at
    query_count = count[n_cross:] - before_column[query_column]
    return (query_count % 2 == 1).reshape(shape)


@dataclass(frozen=True)
class MeshSolid(BaseBody):
    """A solid bounded by a closed surface read from a mesh file (via meshio).

    The file is read and checked when the body is created (see :func:`read_surface` for the
    formats, the checks and the vertex-merging repair), so a bad file fails at ``coolsim check``.
    Cell centres are classified by ray parity along z columns, exact on tensor grids.

    Parameters
    ----------
    path : str or Path
        Mesh file (STL, OBJ, Gmsh ``.msh``, VTU/VTK surface or volume).
    material : str
        Material name.
    scale : float
        Factor applied to the file's coordinates (1e-3 for a file in mm).
    translate : (3,) float
        Offset [m] added after scaling.
    merge_tolerance : float, optional
        Vertex merge distance [m]; default 1e-9 x bounding-box diagonal.
    name : str, optional
        Body name (keyword; defaults to the file stem).
    """

    path: Path
    material: str
    scale: float = 1.0
    translate: tuple[float, float, float] = (0.0, 0.0, 0.0)
    merge_tolerance: float | None = None
    name: str = field(default="", kw_only=True)
    surface: TriangleSurface = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "path", Path(self.path))
        if not self.name:
            object.__setattr__(self, "name", self.path.stem)
        self._init_common()
        object.__setattr__(self, "translate", vector3(self.translate, "translate", self.label))
        if not np.isfinite(self.scale) or self.scale <= 0:
            raise GeometryError(f"{self.label}: scale must be > 0, got {self.scale!r}")
        surface = read_surface(self.path, self.scale, self.translate, self.merge_tolerance,
                               body=self.label)
        object.__setattr__(self, "surface", surface)

    @property
    def min(self) -> tuple[float, float, float]:
        """Lower corner of the bounding box [m]."""
        return tuple(float(v) for v in self.surface.points.min(axis=0))

    @property
    def max(self) -> tuple[float, float, float]:
        """Upper corner of the bounding box [m]."""
        return tuple(float(v) for v in self.surface.points.max(axis=0))

    def _breakpoints(self, axis: int):
        # bounding box plus every flat face normal to the axis (all three corners on one plane)
        corners = self.surface.corners[:, :, axis]
        flat = corners[(corners[:, 0] == corners[:, 1]) & (corners[:, 1] == corners[:, 2]), 0]
        return np.concatenate([[self.min[axis], self.max[axis]], flat])

    def contains(self, x, y, z):
        """True where ``(x, y, z)`` [m] lies inside the closed surface."""
        return self.surface.contains(x, y, z)

    def volume(self) -> float:
        """Enclosed volume [m^3]."""
        return self.surface.signed_volume()
