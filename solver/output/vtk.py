"""VTK fields: rectilinear cell data (``.vtr`` plus legacy ``.vtk``), polydata, multiblock
scenes, all written atomically and refused when not finite."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np

from solver.backend import CPU, Backend, to_host
from solver.grid.grid import Grid
from solver.jsonable import dumps_json
from solver.output.atomic import (
    atomic_path,
    atomic_write_bytes,
    atomic_write_text,
    fsync_directory,
)

#: Units of the arrays coolsim writes into its VTK files (SI; ``"1"`` means dimensionless, an
#: id or a name). Every file records the units of its arrays in its field data
#: (:func:`set_units`, ``docs/results.md``).
FIELD_UNITS: dict[str, str] = {
    "temperature": "K",
    "body_id": "1",
    "conductivity": "W/(m K)",
    "heat_source": "W/m3",
    "velocity": "m/s",
    "pressure": "Pa",
    "wall_heat_flux": "W/m2",
}

#: Field-data names of the unit table: two string arrays of equal length, entry ``i`` of
#: ``array_units`` is the unit of the point, cell or field array named ``array_names[i]``.
UNIT_NAMES, UNIT_VALUES = "array_names", "array_units"


_FIELD_DATA_KEY = "coolsim"


class NonFiniteFieldError(ValueError):
    """A field holds NaN or infinite values and is refused as a result."""


# -- VTK fields ---------------------------------------------------------------------------------
def check_finite(name: str, array: np.ndarray) -> None:
    if not np.issubdtype(array.dtype, np.inexact):
        return
    finite = np.isfinite(array)
    if finite.all():
        return
    bad = np.argwhere(~finite)
    raise NonFiniteFieldError(
        f"field {name!r} has {bad.shape[0]} non-finite value(s) (NaN or inf), first at index "
        f"{tuple(int(i) for i in bad[0])}; refusing to write it as a result "
        "(the solve probably diverged: keep the last good state)"
    )


def host_cell_arrays(grid, cell_arrays: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Copy cell arrays to the host, check their shapes and values."""
    backend = getattr(grid, "backend", None)
    shape = tuple(f.size - 1 for f in grid.faces) if hasattr(grid, "faces") else grid.shape
    arrays = {}
    for name, array in cell_arrays.items():
        host = np.asarray(to_host(array, backend))
        if host.shape != shape and host.shape != (*shape, 3):
            raise ValueError(f"cell array {name!r} has shape {host.shape}; expected {shape} "
                             f"(scalar) or {(*shape, 3)} (vector)")
        if host.dtype == np.bool_:
            host = host.astype(np.uint8)
        check_finite(name, host)
        arrays[name] = host
    return arrays


def _to_vtk_order(array: np.ndarray) -> np.ndarray:
    """(nx, ny, nz[, 3]) -> (n[, 3]) with x varying fastest, as VTK stores cells."""
    if array.ndim == 3:
        return np.ravel(array, order="F")
    return np.stack([np.ravel(array[..., c], order="F") for c in range(array.shape[-1])], axis=1)


def _from_vtk_order(array: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """Inverse of :func:`_to_vtk_order`."""
    array = np.asarray(array)
    if array.ndim == 1 or (array.ndim == 2 and array.shape[1] == 1):
        return np.reshape(np.ravel(array), shape, order="F")
    return np.stack([np.reshape(array[:, c], shape, order="F") for c in range(array.shape[1])],
                    axis=-1)


def _encode_field_data(field_data: Mapping[str, Any] | None) -> dict[str, np.ndarray]:
    """Numeric arrays stay arrays; everything else is stored as one JSON string entry."""
    out: dict[str, np.ndarray] = {}
    structured: dict[str, Any] = {}
    for name, value in (field_data or {}).items():
        if name in (_FIELD_DATA_KEY, UNIT_NAMES, UNIT_VALUES, "body_names"):
            raise ValueError(f"field data name {name!r} is reserved")
        numeric = hasattr(value, "shape") or isinstance(value, int | float | np.number)
        array = np.asarray(to_host(value)) if numeric else None
        if array is not None and array.dtype.kind in "biuf" and array.size > 0:
            out[name] = np.atleast_1d(array)
        else:
            structured[name] = value
    out[_FIELD_DATA_KEY] = np.array([dumps_json({"metadata": structured})])
    return out


def decode_field_data(mesh) -> tuple[dict[str, str], dict[str, Any]]:
    """Units (:func:`read_units`) and metadata (the JSON entry decoded, other field arrays as
    arrays) of a data set written by coolsim."""
    metadata: dict[str, Any] = {}
    for name in mesh.field_data.keys():
        value = mesh.field_data[name]
        if name == _FIELD_DATA_KEY:
            metadata.update(json.loads(str(np.atleast_1d(value)[0])).get("metadata", {}))
        elif name not in (UNIT_NAMES, UNIT_VALUES):
            metadata[name] = np.asarray(value)
    return read_units(mesh), metadata


def set_units(dataset, units: Mapping[str, str]) -> None:
    """Record the unit of each array of ``dataset`` (a PyVista data set) in its field data.

    ``units`` maps array names to SI units (``"K"``, ``"m3/s"``; ``"1"`` for dimensionless
    numbers, ids and names); they are stored as the two string arrays ``array_names`` and
    ``array_units`` (:data:`UNIT_NAMES`, :data:`UNIT_VALUES`), which ParaView's spreadsheet view
    shows side by side under "Field Data". Every array of the data set must have a unit.
    """
    present = set(dataset.point_data.keys()) | set(dataset.cell_data.keys())
    missing = sorted(present - set(units))
    if missing:
        raise ValueError(f"no unit given for the array(s) {', '.join(missing)}")
    names = sorted(units)
    dataset.field_data[UNIT_NAMES] = np.array(names, dtype=str)
    dataset.field_data[UNIT_VALUES] = np.array([units[n] for n in names], dtype=str)


def read_units(dataset) -> dict[str, str]:
    """The units recorded by :func:`set_units`: array name -> unit (empty when none)."""
    if UNIT_NAMES not in dataset.field_data.keys():
        return {}
    return dict(zip((str(n) for n in dataset.field_data[UNIT_NAMES]),
                    (str(u) for u in dataset.field_data[UNIT_VALUES]), strict=True))


def set_name_table(dataset, ids: str, table: str, names: Sequence[str]) -> None:
    """Name the integer ids of the point or cell array ``ids`` of ``dataset``: the field-data
    string array ``table`` holds the name of id ``i`` at entry ``i`` (-1: nothing).

    Names stay in the field data, never as point or cell string arrays: VTK 9.7 filters that
    interpolate (probe, resample, stream tracer, point-to-cell conversion) crash on those
    (pyvista issues 9210 and 9227).
    """
    data = dataset.cell_data if ids in dataset.cell_data.keys() else dataset.point_data
    values = np.asarray(data[ids])
    names = np.array(list(names), dtype=str)
    if values.size and values.max() >= names.size:
        raise ValueError(f"{ids} {int(values.max())} has no name in {table!r} "
                         f"({names.size} names given)")
    dataset.field_data[table] = names


def _legacy_rectilinear_bytes(faces, arrays: Mapping[str, np.ndarray]) -> bytes:
    """Legacy VTK (4.2, binary big-endian) RECTILINEAR_GRID: readable by meshio and PyVista."""
    n_cells = int(np.prod([f.size - 1 for f in faces]))
    out = io.BytesIO()
    out.write(b"# vtk DataFile Version 4.2\ncoolsim fields\nBINARY\nDATASET RECTILINEAR_GRID\n")
    out.write("DIMENSIONS {} {} {}\n".format(*(f.size for f in faces)).encode())
    for axis, coordinates in zip("XYZ", faces, strict=True):
        out.write(f"{axis}_COORDINATES {coordinates.size} double\n".encode())
        out.write(np.asarray(coordinates, dtype=">f8").tobytes() + b"\n")
    out.write(f"CELL_DATA {n_cells}\n".encode())
    for name, array in arrays.items():
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
            raise ValueError(f"legacy VTK array names must be [A-Za-z0-9_], got {name!r}")
        if np.issubdtype(array.dtype, np.integer):
            kind, dtype = "int", ">i4"
        else:
            kind, dtype = "double", ">f8"
        data = np.ascontiguousarray(_to_vtk_order(array), dtype=dtype).tobytes()
        if array.ndim == 3:
            out.write(f"SCALARS {name} {kind} 1\nLOOKUP_TABLE default\n".encode())
        else:
            out.write(f"VECTORS {name} {kind}\n".encode())
        out.write(data + b"\n")
    return out.getvalue()


def write_rectilinear(path: str | os.PathLike, grid, cell_arrays: Mapping[str, Any],
                      field_data: Mapping[str, Any] | None = None,
                      units: Mapping[str, str] | None = None,
                      body_names: Sequence[str] | None = None) -> Path:
    """Write cell fields on a rectilinear grid to a VTK file, atomically.

    Parameters
    ----------
    path : path-like
        ``.vtr`` (VTK XML RectilinearGrid, compressed; read by PyVista/ParaView) or ``.vtk``
        (legacy binary RECTILINEAR_GRID; read by meshio, PyVista and ParaView; no field data).
    grid : solver.grid.Grid
        Provides ``faces`` (x, y, z face coordinates [m], the VTK points) and ``backend``.
    cell_arrays : mapping of str to array
        Scalars of shape ``(nx, ny, nz)`` or vectors ``(nx, ny, nz, 3)``, index ``[i, j, k]`` =
        ``[x, y, z]``, NumPy or CuPy. Booleans are stored as 0/1 bytes.
    field_data : mapping, optional
        Extra metadata: numeric arrays are stored as VTK field arrays, anything else (e.g. the
        material table) as JSON text; :func:`read_rectilinear` returns both.
    units : mapping of str to str, optional
        Units of the cell arrays not in :data:`FIELD_UNITS` (or overriding it); every array
        needs one. Stored as the field-data unit table (:func:`set_units`).
    body_names : sequence of str, optional
        Names of the body ids in the cell array ``body_id``, stored as the field-data string
        array ``body_names`` (:func:`set_name_table`). Not stored in ``.vtk``.

    Returns
    -------
    Path

    Raises
    ------
    NonFiniteFieldError
        When a floating-point array holds NaN or infinity (nothing is written).
    """
    import pyvista as pv

    path = Path(path)
    faces = tuple(np.asarray(f, dtype=np.float64) for f in grid.faces)
    arrays = host_cell_arrays(grid, cell_arrays)
    if path.suffix == ".vtk":
        return atomic_write_bytes(path, _legacy_rectilinear_bytes(faces, arrays))
    if path.suffix != ".vtr":
        raise ValueError(f"rectilinear fields go to a .vtr or .vtk file, got {path.name!r}")
    mesh = pv.RectilinearGrid(*faces)
    for name, array in arrays.items():
        mesh.cell_data[name] = _to_vtk_order(array)
    if body_names is not None and "body_id" in arrays:
        set_name_table(mesh, "body_id", "body_names", body_names)
    for name, value in _encode_field_data(field_data).items():
        mesh.field_data[name] = value
    set_units(mesh, {**{name: FIELD_UNITS[name] for name in mesh.cell_data.keys()
                        if name in FIELD_UNITS}, **(units or {})})
    with atomic_path(path) as temporary:
        mesh.save(temporary)
    return path


@dataclass
class RectilinearFields:
    """Cell fields read back from a rectilinear VTK file.

    Attributes
    ----------
    faces : tuple of three arrays
        Face coordinates along x, y, z [m].
    cell_arrays : dict of str to ndarray
        Scalars ``(nx, ny, nz)`` and vectors ``(nx, ny, nz, 3)``, index ``[i, j, k]``.
    units : dict of str to str
        Units of the cell arrays (empty for legacy ``.vtk`` files).
    metadata : dict
        Field data written with the file (JSON values decoded, numeric arrays as arrays).
    """

    faces: tuple[np.ndarray, np.ndarray, np.ndarray]
    cell_arrays: dict[str, np.ndarray] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int, int]:
        """Number of cells per axis."""
        return tuple(f.size - 1 for f in self.faces)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cell_arrays[name]

    def grid(self, backend: Backend = CPU):
        """The :class:`~solver.grid.Grid` these fields live on."""

        return Grid(*self.faces, backend=backend)


def read_rectilinear(path: str | os.PathLike) -> RectilinearFields:
    """Read a ``.vtr`` or legacy ``.vtk`` rectilinear file written by :func:`write_rectilinear`.

    Returns
    -------
    RectilinearFields
        Arrays reshaped to ``(nx, ny, nz)`` / ``(nx, ny, nz, 3)``.
    """
    import pyvista as pv

    mesh = pv.read(path)
    if not isinstance(mesh, pv.RectilinearGrid):
        raise ValueError(f"{path} holds a {type(mesh).__name__}, not a rectilinear grid")
    faces = (np.asarray(mesh.x, dtype=np.float64), np.asarray(mesh.y, dtype=np.float64),
             np.asarray(mesh.z, dtype=np.float64))
    shape = tuple(f.size - 1 for f in faces)
    arrays = {name: _from_vtk_order(mesh.cell_data[name], shape)
              for name in mesh.cell_data.keys()}
    units, metadata = decode_field_data(mesh)
    return RectilinearFields(faces, arrays, units, metadata)


def _check_dataset_finite(dataset) -> None:
    for where, data in (("point", dataset.point_data), ("cell", dataset.cell_data)):
        for name in data.keys():
            check_finite(f"{name} ({where} data)", np.asarray(data[name]))


def write_polydata(path: str | os.PathLike, polydata) -> Path:
    """Write a :class:`pyvista.PolyData` surface (e.g. wall heat flux) to ``.vtp`` atomically.

    Floating-point point and cell arrays must be finite (:class:`NonFiniteFieldError`).
    """
    path = Path(path)
    if path.suffix != ".vtp":
        raise ValueError(f"poly data go to a .vtp file, got {path.name!r}")
    _check_dataset_finite(polydata)
    with atomic_path(path) as temporary:
        polydata.save(temporary)
    return path


_XML_SUFFIX = {
    "RectilinearGrid": ".vtr",
    "PolyData": ".vtp",
    "UnstructuredGrid": ".vtu",
    "StructuredGrid": ".vts",
    "ImageData": ".vti",
    "UniformGrid": ".vti",
}


def _xml_suffix(dataset) -> str:
    for cls in type(dataset).__mro__:
        if cls.__name__ in _XML_SUFFIX:
            return _XML_SUFFIX[cls.__name__]
    raise TypeError(f"cannot store a {type(dataset).__name__} in a multiblock file")


def write_time_series(path: str | os.PathLike, entries) -> Path:
    """Write a ParaView collection (``.pvd``) of ``(time [s], relative file path)`` entries,
    atomically: ParaView opens it as one data set with its time steps."""
    lines = ['<?xml version="1.0"?>',
             '<VTKFile type="Collection" version="0.1" byte_order="LittleEndian">',
             "  <Collection>"]
    lines += [f'    <DataSet timestep="{float(t)!r}" group="" part="0" file="{name}"/>'
              for t, name in entries]
    lines += ["  </Collection>", "</VTKFile>", ""]
    return atomic_write_text(path, "\n".join(lines))


def write_multiblock(path: str | os.PathLike, blocks: Mapping[str, Any]) -> Path:
    """Write named VTK datasets as a ``.vtm`` multiblock file, safely.

    A ``.vtm`` only references sibling files. The blocks are written into a fresh folder
    ``<stem>_<token>/`` next to ``path``; the ``.vtm`` that names them replaces the old one
    atomically as the last step, and only then are folders from earlier writes removed. A reader
    therefore always finds a ``.vtm`` whose referenced files are complete.

    Parameters
    ----------
    path : path-like
        Destination ``.vtm``.
    blocks : mapping of str to pyvista.DataSet
        Block name (letters, digits, ``_``, ``-``, ``.``) to dataset (rectilinear grid, poly data,
        unstructured, structured or image data).

    Returns
    -------
    Path
    """
    path = Path(path)
    if path.suffix != ".vtm":
        raise ValueError(f"multiblock data go to a .vtm file, got {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    for name, dataset in blocks.items():
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name) or name.startswith("."):
            raise ValueError(f"block name {name!r} must be a plain file name "
                             "(letters, digits, '_', '-', '.')")
        _check_dataset_finite(dataset)
    folder_name = f"{path.stem}_{uuid.uuid4().hex[:8]}"
    staging = path.parent / f".{folder_name}.tmp"
    staging.mkdir()
    entries = []
    try:
        for index, (name, dataset) in enumerate(blocks.items()):
            file_name = name + _xml_suffix(dataset)
            dataset.save(staging / file_name)
            with open(staging / file_name, "rb+") as handle:
                os.fsync(handle.fileno())
            entries.append(f'    <DataSet index="{index}" name={quoteattr(name)} '
                           f'file={quoteattr(folder_name + "/" + file_name)}/>')
        os.replace(staging, path.parent / folder_name)
        fsync_directory(path.parent)
        document = ('<?xml version="1.0"?>\n'
                    '<VTKFile type="vtkMultiBlockDataSet" version="1.0" '
                    'byte_order="LittleEndian" header_type="UInt64">\n'
                    '  <vtkMultiBlockDataSet>\n' + "\n".join(entries) + "\n"
                    '  </vtkMultiBlockDataSet>\n</VTKFile>\n')
        atomic_write_text(path, document)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(path.parent / folder_name, ignore_errors=True)
        raise
    # Earlier data folders are unreferenced now.
    for old in path.parent.glob(f"{path.stem}_*"):
        if old.is_dir() and old.name != folder_name and re.fullmatch(
                re.escape(path.stem) + r"_[0-9a-f]{8}", old.name):
            shutil.rmtree(old, ignore_errors=True)
    return path


@dataclass(frozen=True)
class HostFaces:
    """Minimal grid stand-in for arrays already on the host."""

    faces: tuple[np.ndarray, np.ndarray, np.ndarray]
    backend: Backend = CPU
