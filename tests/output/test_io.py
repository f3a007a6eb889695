"""Result writers: VTK round trips with the (nx, ny, nz) index order, atomic writes, checkpoints.

The index-order tests use a non-cubic, non-uniform 3 x 4 x 5 grid with a distinct value in every
cell and compare exactly (tolerance 0: the files store float64 and int32 verbatim).
"""

import json
import os

import meshio
import numpy as np
import pytest
import pyvista as pv

from solver.backend import to_host
from solver.case import hash_case
from solver.grid import Grid
from solver.output import (
    CHECKPOINT_VERSION,
    CheckpointError,
    NonFiniteFieldError,
    ResultDirectory,
    atomic_open,
    atomic_write_bytes,
    atomic_write_text,
    interface_surface,
    load_checkpoint,
    read_rectilinear,
    read_units,
    save_checkpoint,
    write_csv,
    write_json,
    write_multiblock,
    write_polydata,
    write_rectilinear,
)

SHAPE = (3, 4, 5)


@pytest.fixture
def grid(backend):
    """Non-uniform 3 x 4 x 5 grid [m] on the test backend."""
    x = np.array([0.0, 0.001, 0.003, 0.0035])
    y = np.array([0.0, 0.002, 0.0025, 0.004, 0.007])
    z = np.cumsum([0.0, 0.0005, 0.001, 0.0002, 0.003, 0.0001])
    return Grid(x, y, z, backend=backend)


def _fields(grid):
    i, j, k = np.meshgrid(*(np.arange(n) for n in SHAPE), indexing="ij")
    temperature = 300.0 + 100 * i + 10 * j + k  # distinct per cell, encodes its index
    body_id = (i + 3 * j + 12 * k).astype(np.int32)
    velocity = np.stack([i, j, k], axis=-1).astype(np.float64) * [1.0, 2.0, 3.0]
    xp = grid.backend
    return {
        "temperature": xp.asarray(temperature),
        "body_id": xp.asarray(body_id),
        "velocity": xp.asarray(velocity),
    }


def _host(fields):
    return {name: to_host(a) for name, a in fields.items()}


def test_vtr_roundtrip_pyvista_index_order(tmp_path, grid):
    fields = _fields(grid)
    path = write_rectilinear(tmp_path / "fields.vtr", grid, fields,
                                field_data={"materials": [{"id": 0, "name": "copper"}]})
    back = read_rectilinear(path)
    assert back.shape == SHAPE
    for name, array in _host(fields).items():
        np.testing.assert_array_equal(back[name], array)
    assert back["body_id"].dtype == np.int32
    assert back.units["temperature"] == "K" and back.units["velocity"] == "m/s"
    assert back.metadata["materials"] == [{"id": 0, "name": "copper"}]

    # Independently of our reader: the VTK cell containing each grid cell centre holds its value.
    mesh = pv.read(path)
    assert isinstance(mesh, pv.RectilinearGrid)
    assert tuple(mesh.dimensions) == tuple(n + 1 for n in SHAPE)
    xc, yc, zc = grid.centers
    host = _host(fields)
    for i, j, k in [(0, 0, 0), (2, 0, 0), (0, 3, 0), (0, 0, 4), (1, 2, 3), (2, 3, 4)]:
        cell = mesh.find_containing_cell([xc[i], yc[j], zc[k]])
        assert mesh.cell_data["temperature"][cell] == host["temperature"][i, j, k]
        np.testing.assert_array_equal(mesh.cell_data["velocity"][cell], host["velocity"][i, j, k])


def test_vtr_names_its_bodies_and_the_unit_of_every_array(tmp_path, grid):
    """ParaView conventions (docs/results.md): the field-data unit table names each array's SI
    unit; ``body_id`` comes with the field-data table ``body_names``; no point or cell array
    holds strings (VTK 9.7's probe and stream tracer crash on them, pyvista issues 9210/9227),
    so probing the file works."""
    ids = np.where(np.arange(np.prod(SHAPE)).reshape(SHAPE) % 4 == 3, -1,
                   np.arange(np.prod(SHAPE)).reshape(SHAPE) % 3).astype(np.int32)
    path = write_rectilinear(tmp_path / "fields.vtr", grid, {
        "temperature": grid.backend.asarray(np.full(SHAPE, 300.0)), "body_id": ids},
        body_names=["base", "channels", "die"])
    mesh = pv.read(path)
    assert list(mesh.field_data["body_names"]) == ["base", "channels", "die"]
    np.testing.assert_array_equal(mesh.cell_data["body_id"], np.ravel(ids, order="F"))
    assert all(np.asarray(mesh.cell_data[n]).dtype.kind in "biuf" for n in mesh.cell_data)
    assert mesh.sample(mesh).n_points == mesh.n_points  # VTK's probe: no string array to crash
    units = dict(zip(mesh.field_data["array_names"], mesh.field_data["array_units"],
                     strict=True))
    assert units == {"temperature": "K", "body_id": "1"}
    assert read_units(mesh) == units
    with pytest.raises(ValueError, match="no unit given for the array"):
        write_rectilinear(tmp_path / "bad.vtr", grid, {"mystery": np.zeros(SHAPE)})
    with pytest.raises(ValueError, match="body_id 2 has no name in 'body_names'"):
        write_rectilinear(tmp_path / "bad.vtr", grid, {"body_id": ids}, body_names=["a", "b"])


def test_legacy_vtk_read_by_meshio_in_index_order(tmp_path, grid):
    fields = _fields(grid)
    path = write_rectilinear(tmp_path / "fields.vtk", grid, fields)
    mesh = meshio.read(path)
    hexes = mesh.cells[0].data
    assert hexes.shape == (np.prod(SHAPE), 8)
    centres = mesh.points[hexes].mean(axis=1)
    host = _host(fields)
    temperature = np.ravel(mesh.cell_data["temperature"][0])
    velocity = mesh.cell_data["velocity"][0]
    xc, yc, zc = grid.centers
    for c in range(hexes.shape[0]):
        i = int(np.argmin(abs(xc - centres[c, 0])))
        j = int(np.argmin(abs(yc - centres[c, 1])))
        k = int(np.argmin(abs(zc - centres[c, 2])))
        np.testing.assert_allclose(centres[c], [xc[i], yc[j], zc[k]], rtol=0, atol=1e-15)
        assert temperature[c] == host["temperature"][i, j, k]
        np.testing.assert_array_equal(velocity[c], host["velocity"][i, j, k])
    # and our own reader agrees
    back = read_rectilinear(path)
    for name, array in host.items():
        np.testing.assert_array_equal(back[name], array)


def test_vtr_converted_for_meshio_keeps_order(tmp_path, grid):
    """The .vtr read by PyVista and handed to meshio (``pyvista.to_meshio``) keeps cell order."""
    fields = _fields(grid)
    path = write_rectilinear(tmp_path / "fields.vtr", grid, fields)
    mesh = pv.to_meshio(pv.read(path))
    temperature = np.ravel(mesh.cell_data["temperature"][0])
    np.testing.assert_array_equal(temperature, np.ravel(_host(fields)["temperature"], order="F"))


def test_result_directory_writes_both_field_files(tmp_path, grid):
    result = ResultDirectory(tmp_path / "results", "plate").create()
    assert result.path.is_dir() and not result.images.exists()  # made by the first picture
    paths = result.write_fields(grid, _fields(grid))
    assert paths == [result.fields, result.fields_legacy]
    assert result.summary == tmp_path / "results" / "plate" / "summary.json"
    assert result.image("slice_z") == result.images / "slice_z.png"
    assert ResultDirectory.at(result.path).path == result.path
    with pytest.raises(ValueError, match="folder name"):
        ResultDirectory(tmp_path, "../escape")


def test_nan_field_refused_and_nothing_written(tmp_path, grid):
    fields = _host(_fields(grid))
    fields["temperature"][1, 2, 3] = np.nan
    for name in ("fields.vtr", "fields.vtk"):
        with pytest.raises(NonFiniteFieldError, match=r"'temperature'.*\(1, 2, 3\)"):
            write_rectilinear(tmp_path / name, grid, fields)
    assert list(tmp_path.iterdir()) == []


def test_wrong_shape_refused(tmp_path, grid):
    with pytest.raises(ValueError, match="shape"):
        write_rectilinear(tmp_path / "f.vtr", grid, {"temperature": np.zeros((4, 3, 5))})


def test_atomic_write_keeps_old_file_when_writer_fails(tmp_path):
    path = tmp_path / "summary.json"
    write_json(path, {"ok": 1})
    before = path.read_bytes()

    class Unserialisable:
        pass

    with pytest.raises(TypeError):
        write_json(path, {"ok": 2, "bad": Unserialisable()})
    # failure midway through writing the file itself
    with pytest.raises(RuntimeError, match="disk full"):
        with atomic_open(path, "wb") as handle:
            handle.write(b'{"ok": 3, "partial')
            raise RuntimeError("disk full")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def test_atomic_vtk_write_keeps_old_file_when_saving_fails(tmp_path, grid, monkeypatch):
    path = write_rectilinear(tmp_path / "fields.vtr", grid, _fields(grid))
    before = path.read_bytes()

    def failing_save(self, filename, *args, **kwargs):
        with open(filename, "wb") as handle:
            handle.write(b"<VTKFile partial")
        raise OSError("simulated failure while serialising")

    monkeypatch.setattr(pv.RectilinearGrid, "save", failing_save)
    with pytest.raises(OSError, match="simulated"):
        write_rectilinear(path, grid, _fields(grid))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fields.vtr"]


def test_atomic_text_and_parent_creation(tmp_path):
    path = atomic_write_text(tmp_path / "a" / "b" / "note.txt", "héllo\n")
    assert path.read_text(encoding="utf-8") == "héllo\n"
    atomic_write_bytes(path, b"x")
    assert path.read_bytes() == b"x"
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_json_converts_numpy_and_nonfinite(tmp_path):
    path = write_json(tmp_path / "s.json", {
        "n": np.int64(3), "x": np.float32(1.5), "a": np.arange(3), "nan": float("nan"),
        "flag": np.bool_(True), "nested": {1: (np.float64(2.0),)},
    })
    assert json.loads(path.read_text()) == {
        "n": 3, "x": 1.5, "a": [0, 1, 2], "nan": None, "flag": True, "nested": {"1": [2.0]},
    }


def test_csv_header_has_units(tmp_path):
    columns = {"iteration": [1, 2], "residual": np.array([0.1, 0.01])}
    path = write_csv(tmp_path / "t.csv", columns, units={"residual": "1"})
    assert path.read_text().splitlines() == ["iteration,residual [1]", "1,0.1", "2,0.01"]
    rows = [{"branch": "plate1", "flow": 1.5e-5}, {"branch": "plate2", "flow": 1.6e-5}]
    path = write_csv(tmp_path / "n.csv", rows, units={"flow": "m^3/s"})
    assert path.read_text().splitlines()[0] == "branch,flow [m^3/s]"
    with pytest.raises(ValueError, match="lengths"):
        write_csv(tmp_path / "bad.csv", {"a": [1], "b": [1, 2]})


def test_polydata_and_multiblock(tmp_path, grid):
    surface = pv.Sphere()
    surface.cell_data["wall_heat_flux"] = np.ones(surface.n_cells)
    write_polydata(tmp_path / "wall.vtp", surface)
    assert pv.read(tmp_path / "wall.vtp").n_cells == surface.n_cells
    surface.cell_data["wall_heat_flux"][0] = np.inf
    with pytest.raises(NonFiniteFieldError):
        write_polydata(tmp_path / "wall.vtp", surface)

    plate = pv.read(write_rectilinear(tmp_path / "f.vtr", grid, _fields(grid)))
    vtm = tmp_path / "fields.vtm"
    write_multiblock(vtm, {"plate": plate, "surface": pv.Sphere()})
    write_multiblock(vtm, {"plate": plate, "network": pv.Line()})
    blocks = pv.read(vtm)
    assert blocks.keys() == ["plate", "network"]
    np.testing.assert_array_equal(blocks["plate"].cell_data["temperature"],
                                  plate.cell_data["temperature"])
    # exactly one data folder (the referenced one) and no staging leftovers
    folders = [p.name for p in tmp_path.iterdir() if p.is_dir()]
    assert len(folders) == 1 and folders[0].startswith("fields_")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_checkpoint_roundtrip_and_case_hash(tmp_path, backend):
    case_hash = hash_case({"coldplate": {"base": {"thickness": 0.002}}, "name": "x"})
    assert case_hash == hash_case({"name": "x", "coldplate": {"base": {"thickness": 0.002}}})
    state = {"temperature": backend.asarray(np.linspace(300, 350, 60).reshape(3, 4, 5))}
    path = save_checkpoint(tmp_path / "checkpoint.npz", state,
                              {"case_hash": case_hash, "iteration": 42}, backend=backend)
    arrays, metadata = load_checkpoint(path, case_hash=case_hash)
    np.testing.assert_array_equal(arrays["temperature"], to_host(state["temperature"]))
    assert metadata["iteration"] == 42 and metadata["version"] == CHECKPOINT_VERSION

    changed = hash_case({"coldplate": {"base": {"thickness": 0.003}}, "name": "x"})
    with pytest.raises(CheckpointError, match="different case.*refusing to resume"):
        load_checkpoint(path, case_hash=changed)
    with pytest.raises(ValueError, match="case_hash"):
        save_checkpoint(tmp_path / "c2.npz", state, {"iteration": 1})
    bad = {"temperature": np.full((2, 2), np.nan)}
    with pytest.raises(NonFiniteFieldError):
        save_checkpoint(path, bad, {"case_hash": case_hash})
    assert load_checkpoint(path)[1]["iteration"] == 42  # old checkpoint intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.npz"]


def test_interface_surface_heat_flux_sign_and_area(tmp_path, grid):
    """Solid in the lower x-layer i = 0, fluid above: 4 x 5 interface quads normal to x."""
    solid = np.zeros(SHAPE, dtype=bool)
    solid[0] = True
    flows = [np.zeros((2, 4, 5)), np.zeros((3, 3, 5)), np.zeros((3, 4, 4))]
    areas = np.outer(grid.widths[1], grid.widths[2])
    flows[0][0] = 2.0 * areas  # 2 W/m^2 from cell i=0 (solid) to i=1 (fluid)
    surface = interface_surface(grid, grid.backend.asarray(solid), flows)
    assert surface.n_cells == 20
    np.testing.assert_array_equal(surface.cell_data["normal_axis"], 0)
    np.testing.assert_allclose(surface.cell_data["wall_heat_flux"], 2.0, rtol=1e-12)
    assert surface.cell_data["area"].sum() == pytest.approx(areas.sum(), rel=1e-12)
    np.testing.assert_allclose(surface.points[:, 0], grid.faces[0][1])
    # the same interface seen from the other side: solid above, flow towards the solid
    surface = interface_surface(grid, ~solid, [-f for f in flows])
    np.testing.assert_allclose(surface.cell_data["wall_heat_flux"], 2.0, rtol=1e-12)
    path = write_polydata(tmp_path / "wall_heat_flux.vtp", surface)
    assert pv.read(path).n_cells == 20


def test_multiblock_failure_keeps_previous_file_and_folder(tmp_path, monkeypatch):
    vtm = tmp_path / "fields.vtm"
    write_multiblock(vtm, {"surface": pv.Sphere()})
    before = vtm.read_text()

    def failing_save(self, filename, *args, **kwargs):
        raise OSError("simulated failure while writing a block")

    monkeypatch.setattr(pv.PolyData, "save", failing_save)
    with pytest.raises(OSError, match="simulated"):
        write_multiblock(vtm, {"surface": pv.Sphere()})
    assert vtm.read_text() == before
    assert pv.read(vtm)["surface"].n_cells == pv.Sphere().n_cells
    assert sorted(p.name for p in tmp_path.iterdir() if not p.is_dir()) == ["fields.vtm"]
    assert len([p for p in tmp_path.iterdir() if p.is_dir()]) == 1
