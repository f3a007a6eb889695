"""Mesh solids read through meshio: every format paints the same cells, a mesh box paints exactly
the cells of the equivalent Box, broken meshes raise GeometryError with a useful message.

The sample files are made by ``meshes/make_meshes.py``. Ray parity is exact on tensor grids, so
the box comparisons demand identical ids (no tolerance), also on grids whose cell centres lie
exactly on the diagonals of the box's triangles (the tie-breaking case).
"""

from pathlib import Path

import meshio
import numpy as np
import pytest

from solver.geometry import (
    Box,
    Cylinder,
    GeometryError,
    MeshSolid,
    body_mask,
    collect_breakpoints,
    paint,
    read_surface,
)
from solver.grid import Grid, generate_grid

MESHES = Path(__file__).resolve().parents[2] / "meshes"
MM = 1e-3
BOX = Box((0.002, 0.003, 0.001), (0.012, 0.009, 0.005), material="copper", name="box")
BOX_FILES = ["box.stl", "box.obj", "box.msh", "box.vtu", "box_tetra.vtu", "box_tetra.msh"]
PORT_FILES = ["port.stl", "port.obj", "port.msh", "port.vtu"]


def box_grids():
    """A snapped graded grid, and a uniform grid whose centres hit the triangle diagonals."""
    snapped = generate_grid([(0, 14 * MM), (0, 12 * MM), (0, 6 * MM)],
                            collect_breakpoints([BOX]), 0.4 * MM)
    # the top and bottom faces are split along the line (2, 3) -> (12, 9) mm; centres at
    # x = 7 + 0.4 k mm, y = 6 + 0.24 k mm lie on it for every k, and no centre is on a box face
    diagonal = Grid(7 * MM + 0.4 * MM * (np.arange(-18, 18) - 0.5),
                    6 * MM + 0.24 * MM * (np.arange(-25, 25) - 0.5),
                    np.arange(0, 21) * 0.3 * MM)
    return [snapped, diagonal]


@pytest.mark.parametrize("filename", BOX_FILES)
def test_mesh_box_paints_exactly_the_box_cells(filename):
    solid = MeshSolid(MESHES / filename, "copper")
    assert solid.volume() == pytest.approx(BOX.volume(), rel=1e-6)  # STL stores float32
    for grid in box_grids():
        expected = body_mask(grid, BOX)
        assert expected.any()
        assert np.array_equal(body_mask(grid, solid), expected), filename


def test_box_centres_lie_on_triangle_edges_in_the_diagonal_grid():
    """The second grid really exercises the on-edge tie rule: some column passes through a
    shared edge of two top-face triangles."""
    surface = read_surface(MESHES / "box.vtu")
    top = surface.corners[np.all(surface.corners[:, :, 2] == BOX.max[2], axis=1)]
    a, b = top[0, :, :2], top[1, :, :2]
    shared = [p for p in a if any(np.array_equal(p, q) for q in b)]
    assert len(shared) == 2
    (x0, y0), (x1, y1) = shared
    grid = box_grids()[1]
    x, y = np.meshgrid(grid.centers[0], grid.centers[1], indexing="ij")
    inside = (x > BOX.min[0]) & (x < BOX.max[0]) & (y > BOX.min[1]) & (y < BOX.max[1])
    # the same expression as the solver's edge function (endpoints in lexicographic order)
    on_edge = ((x1 - x0) * (y - y0) - (y1 - y0) * (x - x0) == 0.0) & inside
    assert on_edge.sum() > 0


def test_column_through_a_shared_vertex():
    """The port's end caps are fans of 48 triangles around the axis: a column exactly on the
    axis passes through their common vertex and must still count one crossing per cap."""
    solid = MeshSolid(MESHES / "port.vtu", "copper", scale=1e-3)
    faces = np.arange(-10.5, 11.0, 1.0) * MM  # symmetric: the middle centre is exactly 0
    grid = Grid(faces, faces, np.arange(-2, 27) * 0.5 * MM)
    assert grid.centers[0][10] == 0.0 and grid.centers[1][10] == 0.0
    column = body_mask(grid, solid)[10, 10]
    z = grid.centers[2]
    assert np.array_equal(column, (z > 0) & (z < 12 * MM))


@pytest.mark.parametrize("filename", PORT_FILES)
def test_port_formats_paint_identical_cells(filename):
    grid = Grid.uniform((20 * MM, 20 * MM, 14 * MM), (40, 40, 28), origin=(-10 * MM, -10 * MM,
                                                                           -1 * MM))
    reference = body_mask(grid, MeshSolid(MESHES / "port.vtu", "copper", scale=1e-3))
    solid = MeshSolid(MESHES / filename, "copper", scale=1e-3)
    lower, upper = solid.bounding_box()
    assert lower == pytest.approx((-8 * MM, -8 * MM, 0))
    assert upper == pytest.approx((8 * MM, 8 * MM, 12 * MM))
    assert np.array_equal(body_mask(grid, solid), reference)


def test_tensor_fast_path_equals_general_path():
    """body_mask uses the per-column fast path (z varies along the last axis only); full 3D
    coordinate arrays go through the general sort-based path. Both must agree cell by cell."""
    solid = MeshSolid(MESHES / "port.msh", "copper", scale=1e-3)
    grid = Grid.uniform((18 * MM, 18 * MM, 14 * MM), (37, 35, 29), origin=(-9 * MM, -9 * MM,
                                                                           -1 * MM))
    x, y, z = np.meshgrid(*grid.centers, indexing="ij")
    general = solid.contains(x, y, z)
    assert np.array_equal(general, body_mask(grid, solid))
    assert general.sum() > 1000


def test_port_matches_its_cylinders():
    """The 48-sided port against the equivalent stacked cylinders (flange, neck, barb):
    the polygon area is (N / 2 pi) sin(2 pi / N) = 0.99715 of the circle; the painted volumes
    agree within 1.5% at 0.25 mm cells and differ only in cells cut by the round walls."""
    port = MeshSolid(MESHES / "port.stl", "copper", scale=1e-3)
    cylinders = [Cylinder((0, 0, 0), "z", 8 * MM, 2 * MM, material="copper"),
                 Cylinder((0, 0, 2 * MM), "z", 4 * MM, 10 * MM, material="copper"),
                 Cylinder((0, 0, 9 * MM), "z", 5 * MM, 1 * MM, material="copper")]
    polygon = 48 / (2 * np.pi) * np.sin(2 * np.pi / 48)
    analytic = np.pi * (64 * 2 + 16 * 9 + 25) * MM ** 3
    assert port.volume() == pytest.approx(polygon * analytic, rel=1e-6)
    grid = generate_grid([(-9 * MM, 9 * MM), (-9 * MM, 9 * MM), (-1 * MM, 13 * MM)],
                         collect_breakpoints([port] + cylinders), 0.25 * MM)
    mesh_ids = paint(grid, [port], {"copper": 1})
    primitive_ids = paint(grid, cylinders, {"copper": 1})
    volumes = np.broadcast_to(np.asarray(grid.cell_volumes()), grid.shape)
    v_mesh = volumes[mesh_ids == 1].sum()
    v_primitive = volumes[primitive_ids == 1].sum()
    assert v_mesh == pytest.approx(v_primitive, rel=0.015)
    # every differing cell is within one cell of a round wall (r = 4, 5 or 8 mm)
    x, y, _ = np.meshgrid(*grid.centers, indexing="ij")
    r = np.hypot(x, y)
    differs = mesh_ids != primitive_ids
    near_wall = np.min([np.abs(r - R * MM) for R in (4, 5, 8)], axis=0) < 0.36 * MM
    assert np.all(near_wall[differs])


def test_scale_and_translate():
    solid = MeshSolid(MESHES / "port.obj", "copper", scale=1e-3, translate=(0.05, 0.0, -0.01))
    (x0, y0, z0), (x1, y1, z1) = solid.bounding_box()
    assert (x0, x1) == pytest.approx((0.042, 0.058))
    assert (z0, z1) == pytest.approx((-0.01, 0.002))
    assert solid.name == "port"
    # flat faces normal to z (flange bottom/top, barb, neck top) are breakpoints
    assert np.allclose(solid.breakpoints("z"), np.array([0, 2, 9, 10, 12]) * MM - 0.01)


def test_sphere_from_pyvista_contains_and_volume(tmp_path):
    """A tessellated sphere (pyvista, 60 x 60): ray parity agrees with |x - c| <= R for every
    point farther than 1% of R from the sphere; the enclosed volume is within 0.5% of 4/3 pi R^3.
    Checked on a tensor grid (lattice path) and on scattered points (per-point columns)."""
    pyvista = pytest.importorskip("pyvista")
    sphere = pyvista.Sphere(radius=0.3, center=(0.5, 0.5, 0.5), theta_resolution=60,
                            phi_resolution=60).triangulate()
    path = tmp_path / "sphere.stl"
    triangles = sphere.faces.reshape(-1, 4)[:, 1:]
    meshio.write(path, meshio.Mesh(sphere.points, [("triangle", triangles)]), binary=True)
    solid = MeshSolid(path, "copper")
    assert solid.volume() == pytest.approx(4 / 3 * np.pi * 0.3 ** 3, rel=0.005)
    grid = Grid.uniform((1, 1, 1), (50, 50, 50))
    x, y, z = np.meshgrid(*grid.centers, indexing="ij")
    r = np.sqrt((x - 0.5) ** 2 + (y - 0.5) ** 2 + (z - 0.5) ** 2)
    clear = np.abs(r - 0.3) > 0.003
    assert np.array_equal(body_mask(grid, solid)[clear], (r <= 0.3)[clear])
    points = np.random.default_rng(7).uniform(0, 1, (5000, 3))
    inside = solid.contains(points[:, 0], points[:, 1], points[:, 2])
    r = np.linalg.norm(points - 0.5, axis=1)
    clear = np.abs(r - 0.3) > 0.003
    assert np.array_equal(inside[clear], (r <= 0.3)[clear])


# -- broken meshes ----------------------------------------------------------------------------

def test_open_mesh_is_rejected_with_counts():
    with pytest.raises(GeometryError) as info:
        MeshSolid(MESHES / "open_box.stl", "copper")
    message = str(info.value)
    assert "open_box.stl" in message and "not watertight" in message
    assert "3 edges belong to only one triangle" in message
    assert "11 triangles" in message and "does not fill holes" in message


def test_degenerate_triangle_is_rejected():
    with pytest.raises(GeometryError, match=r"degenerate_box\.stl.*1 degenerate \(zero-area\) "
                                            r"triangles, e\.g\. triangles \[12\]"):
        MeshSolid(MESHES / "degenerate_box.stl", "copper")


def test_inconsistent_orientation_is_rejected():
    with pytest.raises(GeometryError, match=r"flipped_box\.stl.*inconsistent triangle "
                                            r"orientation at 3 edges"):
        MeshSolid(MESHES / "flipped_box.stl", "copper")


def test_missing_file_is_rejected(tmp_path):
    with pytest.raises(GeometryError, match=r"MeshSolid 'plate'.*'.*nowhere\.stl' does not "
                                            r"exist"):
        MeshSolid(tmp_path / "nowhere.stl", "copper", name="plate")


def test_unreadable_and_unsupported_files(tmp_path):
    garbage = tmp_path / "garbage.msh"
    garbage.write_text("this is not a mesh\n")
    with pytest.raises(GeometryError, match=r"mesh file '.*garbage\.msh' is not a readable "
                                            r"gmsh file"):
        MeshSolid(garbage, "copper")
    text = tmp_path / "notes.txt"
    text.write_text("x")
    with pytest.raises(GeometryError, match=r"unsupported extension '\.txt'"):
        MeshSolid(text, "copper")


def test_flat_closed_surface_has_no_volume(tmp_path):
    """A tetrahedron squashed flat (four coplanar corners, no three collinear): closed,
    consistently wound, every triangle has area, but it encloses nothing."""
    points = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], dtype=float)
    faces = np.array([[0, 2, 1], [0, 1, 3], [1, 2, 3], [2, 0, 3]])
    path = tmp_path / "flat.vtu"
    meshio.write(path, meshio.Mesh(points, [("triangle", faces)]))
    with pytest.raises(GeometryError, match=r"flat\.vtu.*encloses no volume"):
        MeshSolid(path, "copper")


# -- documented repairs -----------------------------------------------------------------------

def perturbed_box_stl(tmp_path, shift):
    """The sample box written as 12 separate triangles with every corner moved by up to
    ``shift`` [m], as a sloppy exporter would."""
    surface = read_surface(MESHES / "box.vtu")
    corners = surface.corners.reshape(-1, 3)
    corners = corners + np.random.default_rng(3).uniform(-shift, shift, corners.shape)
    path = tmp_path / "sloppy.vtu"
    meshio.write(path, meshio.Mesh(corners, [("triangle", np.arange(36).reshape(12, 3))]))
    return path


def test_vertex_merging_repairs_near_duplicate_corners(tmp_path):
    path = perturbed_box_stl(tmp_path, 1e-12)
    # default tolerance 1e-9 x diagonal (~1.2e-11 m) merges the copies of each corner
    solid = MeshSolid(path, "copper")
    assert len(solid.surface.points) == 8
    assert solid.volume() == pytest.approx(BOX.volume(), rel=1e-6)
    # without merging the 36 separate corners do not form a closed surface
    with pytest.raises(GeometryError, match="36 edges belong to only one triangle"):
        MeshSolid(path, "copper", merge_tolerance=0.0)


def test_inward_normals_are_flipped(tmp_path):
    surface = read_surface(MESHES / "box.vtu")
    path = tmp_path / "inward.vtu"
    meshio.write(path, meshio.Mesh(surface.points, [("triangle", surface.triangles[:, ::-1])]))
    solid = MeshSolid(path, "copper")
    assert solid.volume() == pytest.approx(BOX.volume(), rel=1e-12)
    grid = box_grids()[0]
    assert np.array_equal(body_mask(grid, solid), body_mask(grid, BOX))


# -- volume meshes of every linear cell type --------------------------------------------------

def structured_box_cells(kind):
    """The sample box as a 2 x 2 x 2 structured volume mesh of ``kind`` cells (VTK order)."""
    axes = [np.linspace(lo, hi, 3) for lo, hi in zip(BOX.min, BOX.max, strict=True)]
    X, Y, Z = np.meshgrid(*axes, indexing="ij")
    points = np.column_stack([X.ravel(), Y.ravel(), Z.ravel()])
    cells = []
    for i in range(2):
        for j in range(2):
            for k in range(2):
                c = [((i + di) * 3 + (j + dj)) * 3 + (k + dk)
                     for dk in (0, 1) for di, dj in ((0, 0), (1, 0), (1, 1), (0, 1))]
                cells.append(c)  # VTK hexahedron: bottom quad, then top quad
    hexes = np.array(cells)
    if kind == "hexahedron":
        return points, hexes
    if kind == "wedge":
        # two prisms per hexahedron; the second one in the opposite (Gmsh-like) winding
        return points, np.concatenate([hexes[:, [0, 1, 2, 4, 5, 6]], hexes[:, [0, 3, 2, 4, 7, 6]]])
    if kind == "pyramid":
        # six pyramids per hexahedron with the apex at its centre (an extra node)
        centres = points[hexes].mean(axis=1)
        apex = len(points) + np.arange(len(hexes))
        quads = [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)]
        pyramids = np.concatenate([np.column_stack([hexes[:, q], apex]) for q in quads])
        return np.vstack([points, centres]), pyramids
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["hexahedron", "wedge", "pyramid"])
def test_volume_meshes_of_each_cell_type(tmp_path, kind):
    points, cells = structured_box_cells(kind)
    path = tmp_path / f"box_{kind}.vtu"
    meshio.write(path, meshio.Mesh(points, [(kind, cells)]))
    solid = MeshSolid(path, "copper")
    assert solid.volume() == pytest.approx(BOX.volume(), rel=1e-12)
    for grid in box_grids():
        assert np.array_equal(body_mask(grid, solid), body_mask(grid, BOX))


def test_inverted_tetrahedra_are_wound_by_geometry(tmp_path):
    """Half of the tetrahedra have negative orientation (two vertices swapped): the boundary is
    still wound consistently because faces are oriented away from each cell's centroid."""
    mesh = meshio.read(MESHES / "box_tetra.vtu")
    tets = mesh.cells_dict["tetra"].copy()
    tets[::2] = tets[::2][:, [1, 0, 2, 3]]
    path = tmp_path / "inverted.vtu"
    meshio.write(path, meshio.Mesh(mesh.points, [("tetra", tets)]))
    solid = MeshSolid(path, "copper")
    assert solid.volume() == pytest.approx(BOX.volume(), rel=1e-12)


def test_contains_accepts_scalars_and_any_broadcast_shape():
    port = MeshSolid(MESHES / "port.stl", "copper", scale=1e-3)
    assert port.contains(0.0, 0.0, 5 * MM) and not port.contains(0.0, 0.0, 20 * MM)
    # radius 7.9 mm is inside the flange (8 mm), 8.1 mm outside
    assert port.contains(np.array([0.0, 7.9 * MM, 8.1 * MM]), 0.0, 1 * MM).tolist() == [
        True, True, False]
    # z varying along the first axis goes through the general path
    inside = port.contains(np.zeros((2, 1)), np.zeros((1, 3)), np.array([[5 * MM], [20 * MM]]))
    assert inside.tolist() == [[True] * 3, [False] * 3]


def test_ascii_stl_and_quad_obj(tmp_path):
    """ASCII STL (meshio's default) and an OBJ made of six quads (fan-split on reading) paint
    the box's cells exactly."""
    surface = read_surface(MESHES / "box.vtu")
    ascii_stl = tmp_path / "ascii.stl"
    meshio.write(ascii_stl, meshio.Mesh(surface.points, [("triangle", surface.triangles)]),
                 binary=False)
    assert ascii_stl.read_text().startswith("solid")
    (x0, y0, z0), (x1, y1, z1) = BOX.bounding_box()
    corners = np.array([[x, y, z] for x in (x0, x1) for y in (y0, y1) for z in (z0, z1)])
    quads = np.array([(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4),
                      (1, 5, 7, 3)])
    quad_obj = tmp_path / "quads.obj"
    meshio.write(quad_obj, meshio.Mesh(corners, [("quad", quads)]))
    grid = box_grids()[1]
    for path in (ascii_stl, quad_obj):
        solid = MeshSolid(path, "copper")
        assert np.array_equal(body_mask(grid, solid), body_mask(grid, BOX)), path.name


def test_non_manifold_edge_is_reported(tmp_path):
    """Two boxes touching along one edge: that edge belongs to four triangles."""
    first = read_surface(MESHES / "box.vtu")
    size = np.subtract(BOX.max, BOX.min)
    shifted = first.points + size * np.array([1, 1, 0])
    points = np.vstack([first.points, shifted])
    triangles = np.vstack([first.triangles, first.triangles + len(first.points)])
    path = tmp_path / "two_boxes.vtu"
    meshio.write(path, meshio.Mesh(points, [("triangle", triangles)]))
    with pytest.raises(GeometryError, match=r"0 edges belong to only one triangle .* and 1 "
                                            r"edges to three or more \(non-manifold\)"):
        MeshSolid(path, "copper")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rotated_cube_matches_the_analytic_inside_test(tmp_path, seed):
    """A cube under a random rotation has sloped triangles everywhere; its faces are planar, so
    ray parity must agree with the exact test |R^T (x - c)|_inf <= a/2 at every cell centre
    (no tessellation error; centres within 1e-12 m of a face are skipped)."""
    from scipy.spatial.transform import Rotation

    rotation = Rotation.random(random_state=seed).as_matrix()
    surface = read_surface(MESHES / "box.vtu")
    unit = (surface.points - surface.points.mean(axis=0)) / np.ptp(surface.points, axis=0)
    centre, side = np.array([0.5, 0.5, 0.5]), 0.5
    points = centre + side * unit @ rotation.T
    path = tmp_path / "cube.vtu"
    meshio.write(path, meshio.Mesh(points, [("triangle", surface.triangles)]))
    solid = MeshSolid(path, "copper")
    assert solid.volume() == pytest.approx(side ** 3, rel=1e-12)
    grid = Grid.uniform((1, 1, 1), (47, 53, 41))
    x, y, z = np.meshgrid(*grid.centers, indexing="ij")
    local = np.stack([x, y, z], axis=-1) - centre
    distance = np.abs(local @ rotation).max(axis=-1) - side / 2
    clear = np.abs(distance) > 1e-12
    assert np.array_equal(body_mask(grid, solid)[clear], (distance <= 0)[clear])


def test_port_agrees_with_vtk_enclosed_points():
    """Independent reference: VTK's enclosed-point selection (pyvista) on 20 000 random points
    around the port agrees with ray parity point for point (points within 1 um of the surface,
    where VTK applies a tolerance, are not compared)."""
    pyvista = pytest.importorskip("pyvista")
    port = MeshSolid(MESHES / "port.stl", "copper", scale=1e-3)
    triangles = port.surface.triangles
    surface = pyvista.PolyData(port.surface.points,
                               np.column_stack([np.full(len(triangles), 3), triangles]).ravel())
    points = np.random.default_rng(5).uniform((-9 * MM, -9 * MM, -1 * MM), (9 * MM, 9 * MM,
                                                                          13 * MM), (20000, 3))
    cloud = pyvista.PolyData(points)
    if hasattr(cloud, "select_interior_points"):
        reference = cloud.select_interior_points(surface)["selected_points"]
    else:
        reference = cloud.select_enclosed_points(surface)["SelectedPoints"]
    reference = np.asarray(reference).astype(bool)
    distance = np.abs(cloud.compute_implicit_distance(surface)["implicit_distance"])
    clear = distance > 1e-6
    inside = port.contains(points[:, 0], points[:, 1], points[:, 2])
    assert reference.sum() > 3000
    assert np.array_equal(inside[clear], reference[clear])
