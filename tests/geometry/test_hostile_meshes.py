"""Broken and hostile mesh files (issue 15, item 3): each is refused by :class:`MeshSolid` with
one GeometryError naming the body and the file, before any reader allocates for it, and no
message quotes the file's contents."""

import re
import struct
from pathlib import Path

import numpy as np
import pytest

from solver.geometry import GeometryError, MeshSolid
from solver.geometry.mesh import MAX_MESH_COORDINATE

SECRET = "root:x:0:0:secret"  # stands for any text of a file that is not a mesh

TETRA = ["v 0 0 0", "v 1 0 0", "v 0 1 0", "v 0 0 1"]
TETRA_FACES = ["f 1 3 2", "f 1 2 4", "f 1 4 3", "f 2 3 4"]


def _obj(vertices=TETRA, faces=TETRA_FACES) -> str:
    return "\n".join([*vertices, *faces]) + "\n"


def _binary_stl(count: int, stored: int) -> bytes:
    """A binary STL whose header declares ``count`` triangles and which holds ``stored``."""
    triangle = struct.pack("<12fH", *([0.0] * 12), 0)
    return b"\0" * 80 + struct.pack("<I", count) + triangle * stored


HOSTILE = {
    # name: (file name, bytes, what the message must say)
    "empty_stl": ("part.stl", b"", r"is empty \(0 bytes\)"),
    "stl_claims_a_million_triangles": (
        "part.stl", _binary_stl(1_000_000, 2),
        r"header declares 1000000 triangles \(50000084 bytes\) and the file has 184 bytes"),
    "stl_claims_4e9_triangles": (
        "part.stl", _binary_stl(2 ** 32 - 1, 0),
        r"header declares 4294967295 triangles .* the file has 84 bytes"),
    "stl_truncated": ("part.stl", _binary_stl(12, 12)[:-30],
                      r"declares 12 triangles \(684 bytes\) and the file has 654 bytes"),
    "stl_shorter_than_its_header": ("part.stl", b"\0" * 40, r"fewer than a binary STL's 84-byte"),
    "stl_ascii_garbage": ("part.stl", f"solid x\n facet normal {SECRET}\nendsolid\n".encode(),
                          r"is not a readable stl file"),
    "stl_binary_garbage": ("part.stl", bytes(range(256)) * 12, r"truncated or not an STL"),
    "text_named_stl": ("part.stl", f"{SECRET} line\n".encode(), r"is not an STL file"),
    "obj_index_beyond_vertices": ("part.obj", _obj(faces=[*TETRA_FACES[:3], "f 2 3 9"]).encode(),
                                  r"naming vertex 9, but the file has only 4 vertices"),
    "obj_index_zero": ("part.obj", _obj(faces=["f 0 3 2", *TETRA_FACES[1:]]).encode(),
                       r"vertex index of 0 or less, outside 1\.\.4 \(OBJ counts vertices from 1"),
    "obj_index_negative": ("part.obj", _obj(faces=[*TETRA_FACES[:3], "f -1 -2 -3"]).encode(),
                           r"vertex index of -3 or less"),
    "obj_nan_vertex": ("part.obj", _obj(vertices=[*TETRA[:3], "v 0 nan 1"]).encode(),
                       r"1 vertex\(es\) with a NaN or infinite coordinate"),
    "obj_inf_vertex": ("part.obj", _obj(vertices=["v -inf 0 0", *TETRA[1:]]).encode(),
                       r"NaN or infinite coordinate"),
    "obj_coordinates_1e30": ("part.obj", _obj(vertices=[*TETRA[:3], "v 0 0 1e30"]).encode(),
                             r"reaches coordinates of 1e\+30 m after scale 1 and translate, "
                             r"beyond 100 m"),
    "obj_no_faces": ("part.obj", _obj(faces=[]).encode(), r"contains no triangles"),
    "obj_text": ("part.obj", f"{SECRET}\n".encode(), r"contains no vertices"),
    "unknown_extension": ("part.xyz", _obj().encode(), r"unsupported extension '\.xyz'"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_mesh_is_refused_naming_body_and_file(name, tmp_path):
    filename, content, expected = HOSTILE[name]
    path = tmp_path / filename
    path.write_bytes(content)
    with pytest.raises(GeometryError, match=expected) as info:
        MeshSolid(path, "copper", name="manifold")
    text = str(info.value)
    assert text.startswith("MeshSolid 'manifold': mesh file '") and str(path) in text
    assert "\n" not in text and SECRET not in text and "secret" not in text


def test_the_stl_size_is_checked_before_meshio_reads(tmp_path, monkeypatch):
    """A header claiming a million triangles never reaches meshio's reader (which would
    allocate for the count, or parse the bytes as text)."""
    import meshio

    path = tmp_path / "part.stl"
    path.write_bytes(_binary_stl(1_000_000, 2))

    def reader(_):
        raise AssertionError("meshio was called")

    monkeypatch.setattr(meshio.stl, "read", reader)
    with pytest.raises(GeometryError, match="header declares 1000000 triangles"):
        MeshSolid(path, "copper")


def test_a_complete_binary_stl_still_reads(tmp_path):
    """The size check lets a well-formed binary STL through: a unit tetrahedron, volume 1/6."""
    corners = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    faces = [(0, 2, 1), (0, 1, 3), (0, 3, 2), (1, 2, 3)]
    body = b"".join(struct.pack("<3f", 0, 0, 0) + corners[list(f)].tobytes() + b"\0\0"
                    for f in faces)
    path = tmp_path / "tetra.stl"
    path.write_bytes(b"\0" * 80 + struct.pack("<I", 4) + body)
    assert MeshSolid(path, "copper").volume() == pytest.approx(1 / 6, rel=1e-12)


@pytest.mark.parametrize(("top", "scale", "translate", "shown"), [
    (1.0, 1e300, (0, 0, 0), "1e+300 m after scale 1e+300"),
    (1.0, 1e10, (0, 0, 0), "1e+10 m after scale 1e+10"),
    (1e30, 1e300, (0, 0, 0), "beyond the floating-point range after scale 1e+300"),
    (1.0, 1e-3, (0, 0, 150.0), "150 m after scale 0.001"),
])
def test_absurd_scale_or_translate_is_refused(top, scale, translate, shown, tmp_path, recwarn):
    """Coordinates scaled and translated beyond MAX_MESH_COORDINATE (100 m, a rack is ~2 m) or
    beyond float range are a unit error, said as such (and no overflow warning is printed)."""
    path = tmp_path / "tetra.obj"
    path.write_text(_obj(vertices=[*TETRA[:3], f"v 0 0 {top}"]))
    with pytest.raises(GeometryError,
                       match=re.escape(shown) + f".*beyond {MAX_MESH_COORDINATE:g} m"):
        MeshSolid(path, "copper", scale=scale, translate=translate, name="manifold")
    assert [str(w.message) for w in recwarn] == []


def test_a_mesh_within_the_bound_reads(tmp_path):
    """A 1 m tetrahedron 50 m from the origin is inside the bound: accepted, volume 1/6 m^3."""
    path = tmp_path / "tetra.obj"
    path.write_text(_obj())
    solid = MeshSolid(path, "copper", translate=(50.0, 0, 0))
    assert solid.volume() == pytest.approx(1 / 6, rel=1e-12)


def test_unused_non_finite_vertices_are_ignored(tmp_path):
    """A NaN vertex no face uses changes nothing (the cells are what is painted)."""
    path = tmp_path / "tetra.obj"
    path.write_text(_obj(vertices=[*TETRA, "v nan nan nan"]))
    assert MeshSolid(path, "copper").volume() == pytest.approx(1 / 6, rel=1e-12)


def test_a_folder_or_a_device_is_not_a_mesh(tmp_path):
    folder = tmp_path / "part.stl"
    folder.mkdir()
    with pytest.raises(GeometryError, match=r"MeshSolid 'plate': mesh file '.*part\.stl' is a "
                                            r"folder, not a mesh file"):
        MeshSolid(folder, "copper", name="plate")
    with pytest.raises(GeometryError, match=r"'/dev/zero' is not a regular file"):
        MeshSolid("/dev/zero", "copper", name="plate")


@pytest.mark.parametrize("suffix", [".obj", ".stl"])
def test_an_unreadable_file_is_one_error_without_its_contents(suffix, tmp_path, monkeypatch):
    """Permission denied (simulated: the tests may run as root, who reads everything), met by
    the STL size check or by meshio's reader."""
    import meshio

    path = tmp_path / f"part{suffix}"
    path.write_text(_obj())

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(meshio.obj, "read", denied)
    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(GeometryError, match=r"MeshSolid 'plate': cannot read mesh file "
                                            r"'.*part\.(obj|stl)' \(Permission denied\)$"):
        MeshSolid(path, "copper", name="plate")
