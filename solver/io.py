"""Result files: atomic writes, JSON and CSV tables, VTK fields, checkpoints, the results folder.

Every writer here is atomic: data go to a temporary file in the destination folder, which is
flushed, ``fsync``-ed and then renamed over the destination with :func:`os.replace`. A reader
therefore sees either the previous complete file or the new complete file, never a partial one,
and a failure while writing (an exception during serialisation, a full disk) leaves the previous
file untouched and no temporary file behind.

Cell fields use the grid's index order ``[i, j, k] = [x, y, z]`` and shape ``(nx, ny, nz)``
(vectors ``(nx, ny, nz, 3)``). VTK stores cells with ``x`` varying fastest, which is NumPy's
Fortran order; the conversion happens only in this module (:func:`write_rectilinear`,
:func:`read_rectilinear`). Arrays that live on a GPU are copied to the host with the grid's
``backend.to_host``. Fields containing NaN or infinity are refused (:class:`NonFiniteFieldError`):
a diverged solve keeps its last good state instead of writing garbage as a result.

The layout of ``results/<case>/`` and the ``summary.json`` schema are documented in
``docs/results.md``.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import math
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import quoteattr

import numpy as np

from solver.backend import CPU, Backend

#: Units of the cell arrays coolsim writes (SI; ``"1"`` means dimensionless or an id).
FIELD_UNITS: dict[str, str] = {
    "temperature": "K",
    "material": "1",
    "conductivity": "W/(m K)",
    "heat_source": "W/m^3",
    "velocity": "m/s",
    "pressure": "Pa",
    "wall_heat_flux": "W/m^2",
}

#: Version of the checkpoint layout written by :func:`save_checkpoint`.
CHECKPOINT_FORMAT = "coolsim-checkpoint"
CHECKPOINT_VERSION = 1

_METADATA_KEY = "__coolsim_metadata__"
_FIELD_DATA_KEY = "coolsim"


class NonFiniteFieldError(ValueError):
    """A field holds NaN or infinite values and is refused as a result."""


class CheckpointError(RuntimeError):
    """A checkpoint cannot be used: unknown format or version, or written for another case."""


# -- host transfer ------------------------------------------------------------------------------
def to_host(array: Any, backend: Backend | None = None) -> np.ndarray:
    """Return ``array`` as a host NumPy array.

    Parameters
    ----------
    array : array_like
        NumPy or CuPy array, or anything :func:`numpy.asarray` accepts.
    backend : Backend, optional
        The backend the array lives on; its ``to_host`` is used when given. Without it a CuPy
        array is recognised by its module and copied with ``.get()``.
    """
    if backend is not None and backend.is_gpu:
        return backend.to_host(array)
    if type(array).__module__.startswith("cupy"):
        return array.get()
    return (backend or CPU).to_host(array)


# -- atomic writes ------------------------------------------------------------------------------
def _read_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


# Read once at import: os.umask can only be read by setting it, which is not thread safe.
_UMASK = _read_umask()


def _fsync_directory(folder: Path) -> None:
    """Make a rename durable by syncing its folder (POSIX only; skipped where unsupported)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        # Some file systems (FUSE, network mounts) reject fsync on folders; the rename itself
        # has already happened, so durability is best effort there.
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _temporary_name(path: Path, suffix: str | None = None) -> Path:
    """A unique hidden name beside ``path`` that keeps the suffix VTK writers dispatch on."""
    suffix = path.suffix if suffix is None else suffix
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp{suffix}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Context manager yielding a temporary path that replaces ``path`` on success.

    For writers that need a file name (VTK, NumPy). The temporary file sits in the destination
    folder and ends with the same suffix as ``path`` (or ``suffix``). When the block raises, the
    temporary file is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : path-like
        Final destination; its parent folder is created when missing.
    suffix : str, optional
        Suffix of the temporary name (defaults to the suffix of ``path``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_name(path, suffix)
    try:
        yield temporary
        if not temporary.exists():
            raise FileNotFoundError(f"writer produced no file for {path}")
        # Flush the writer's data to disk before the rename makes it visible.
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        _fsync_directory(path.parent)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", encoding: str | None = None,
                newline: str | None = None) -> Iterator[IO]:
    """Open a temporary file that atomically replaces ``path`` when the block completes.

    Parameters
    ----------
    path : path-like
        Final destination; its parent folder is created when missing.
    mode : {"wb", "w"}
        Binary or text mode.
    encoding, newline : str, optional
        As for :func:`open` in text mode (``encoding`` defaults to UTF-8).
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open mode must be 'wb' or 'w', got {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode == "w" and encoding is None:
        encoding = "utf-8"
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates the file 0600; give results the usual permissions.
        os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, path)
        _fsync_directory(path.parent)
    finally:
        temporary.unlink(missing_ok=True)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_open(path, "wb") as handle:
        handle.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8 by default); returns the path."""
    with atomic_open(path, "w", encoding=encoding, newline="") as handle:
        handle.write(text)
    return Path(path)


# -- JSON and CSV -------------------------------------------------------------------------------
def to_jsonable(obj: Any) -> Any:
    """Convert ``obj`` into plain JSON types.

    NumPy and CuPy scalars and arrays become numbers and lists, paths and other objects with a
    string form become strings only when they are :class:`os.PathLike`, tuples and sets become
    lists, mapping keys become strings. Non-finite floats (NaN, inf) become ``null`` so the file
    stays standard JSON. Anything else raises :class:`TypeError`.
    """
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Mapping):
        return {str(key): to_jsonable(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(value) for value in obj]
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, np.ndarray) or type(obj).__module__.startswith("cupy"):
        return to_jsonable(to_host(obj).tolist())
    if hasattr(obj, "model_dump"):  # pydantic models (case sections)
        return to_jsonable(obj.model_dump(mode="json"))
    raise TypeError(f"cannot write {type(obj).__name__} to JSON: {obj!r}")


def dumps_json(obj: Any) -> str:
    """Serialise ``obj`` to indented, standard JSON text (see :func:`to_jsonable`)."""
    return json.dumps(to_jsonable(obj), indent=2, allow_nan=False) + "\n"


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically.

    The whole document is serialised before the file is touched, so a serialisation error
    leaves any previous file intact.
    """
    return atomic_write_text(path, dumps_json(obj))


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _columns_from_rows(rows: Sequence[Mapping[str, Any]]) -> dict[str, list]:
    names: list[str] = []
    for row in rows:
        names.extend(name for name in row if name not in names)
    return {name: [row.get(name, "") for row in rows] for name in names}


def write_csv(path: str | os.PathLike,
              data: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
              units: Mapping[str, str] | None = None) -> Path:
    """Write a table as CSV atomically, with the unit of each column in its header.

    Parameters
    ----------
    path : path-like
        Destination ``.csv``.
    data : mapping of column name to sequence, or sequence of row mappings
        Columns of equal length, or rows (dicts) whose keys are column names.
    units : mapping of column name to unit, optional
        Headers read ``name [unit]``; columns without a unit keep the bare name.

    Returns
    -------
    Path
    """
    columns = dict(data) if isinstance(data, Mapping) else _columns_from_rows(list(data))
    columns = {name: to_host(values).tolist() if hasattr(values, "shape") else list(values)
               for name, values in columns.items()}
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"CSV columns have different lengths: "
                         f"{ {name: len(v) for name, v in columns.items()} }")
    units = dict(units or {})
    header = [f"{name} [{units[name]}]" if units.get(name) else name for name in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(zip(*columns.values(), strict=True))
    return atomic_write_text(path, buffer.getvalue())


# -- VTK fields ---------------------------------------------------------------------------------
def _check_finite(name: str, array: np.ndarray) -> None:
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


def _host_cell_arrays(grid, cell_arrays: Mapping[str, Any]) -> dict[str, np.ndarray]:
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
        _check_finite(name, host)
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


def _encode_field_data(field_data: Mapping[str, Any] | None,
                       units: Mapping[str, str]) -> dict[str, np.ndarray]:
    """Numeric arrays stay arrays; everything else is stored as one JSON string entry."""
    out: dict[str, np.ndarray] = {}
    structured: dict[str, Any] = {}
    for name, value in (field_data or {}).items():
        if name == _FIELD_DATA_KEY:
            raise ValueError(f"field data name {_FIELD_DATA_KEY!r} is reserved")
        numeric = hasattr(value, "shape") or isinstance(value, int | float | np.number)
        array = np.asarray(to_host(value)) if numeric else None
        if array is not None and array.dtype.kind in "biuf" and array.size > 0:
            out[name] = np.atleast_1d(array)
        else:
            structured[name] = value
    out[_FIELD_DATA_KEY] = np.array([dumps_json({"units": dict(units), "metadata": structured})])
    return out


def _decode_field_data(mesh) -> tuple[dict[str, str], dict[str, Any]]:
    units: dict[str, str] = {}
    metadata: dict[str, Any] = {}
    for name in mesh.field_data.keys():
        value = mesh.field_data[name]
        if name == _FIELD_DATA_KEY:
            decoded = json.loads(str(np.atleast_1d(value)[0]))
            units.update(decoded.get("units", {}))
            metadata.update(decoded.get("metadata", {}))
        else:
            metadata[name] = np.asarray(value)
    return units, metadata


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
                      units: Mapping[str, str] | None = None) -> Path:
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
        Units of the cell arrays; defaults from :data:`FIELD_UNITS`. Stored as JSON field data.

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
    arrays = _host_cell_arrays(grid, cell_arrays)
    all_units = {name: FIELD_UNITS[name] for name in arrays if name in FIELD_UNITS}
    all_units.update(units or {})
    if path.suffix == ".vtk":
        return atomic_write_bytes(path, _legacy_rectilinear_bytes(faces, arrays))
    if path.suffix != ".vtr":
        raise ValueError(f"rectilinear fields go to a .vtr or .vtk file, got {path.name!r}")
    mesh = pv.RectilinearGrid(*faces)
    for name, array in arrays.items():
        mesh.cell_data[name] = _to_vtk_order(array)
    for name, value in _encode_field_data(field_data, all_units).items():
        mesh.field_data[name] = value
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
        from solver.grid import Grid

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
    units, metadata = _decode_field_data(mesh)
    return RectilinearFields(faces, arrays, units, metadata)


def _check_dataset_finite(dataset) -> None:
    for where, data in (("point", dataset.point_data), ("cell", dataset.cell_data)):
        for name in data.keys():
            _check_finite(f"{name} ({where} data)", np.asarray(data[name]))


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


def interface_surface(grid, solid, face_heat_flow=None):
    """Fluid-solid interface of a cell mask as a :class:`pyvista.PolyData` of quads.

    Parameters
    ----------
    grid : solver.grid.Grid
        The grid (face coordinates [m]).
    solid : bool array, shape (nx, ny, nz)
        True in solid cells, False in fluid cells (empty cells should be marked solid or
        excluded beforehand; only solid/fluid neighbour pairs inside the domain become faces).
    face_heat_flow : tuple of three arrays, optional
        Heat flow [W] through the interior faces along x, y, z, shapes ``(nx-1, ny, nz)``,
        ``(nx, ny-1, nz)``, ``(nx, ny, nz-1)``; entry ``[i, j, k]`` of the x array is the flow
        from cell ``(i, j, k)`` to ``(i+1, j, k)`` (positive along +x), likewise for y and z.

    Returns
    -------
    pyvista.PolyData
        One quad per interface face with cell data ``normal_axis`` (0, 1, 2), ``area`` [m^2]
        and, with ``face_heat_flow``, ``wall_heat_flux`` [W/m^2] positive from solid to fluid.
        Write it with :func:`write_polydata` (``ResultDirectory.interface``).
    """
    import pyvista as pv

    backend = getattr(grid, "backend", None)
    solid = np.asarray(to_host(solid, backend), dtype=bool)
    faces = tuple(np.asarray(f, dtype=np.float64) for f in grid.faces)
    points, quads, axes, areas, fluxes = [], [], [], [], []
    offset = 0
    for axis in range(3):
        lower = np.take(solid, np.arange(solid.shape[axis] - 1), axis=axis)
        upper = np.take(solid, np.arange(1, solid.shape[axis]), axis=axis)
        index = np.nonzero(lower != upper)
        n = index[0].size
        if n == 0:
            continue
        a, b = [c for c in range(3) if c != axis]
        position = faces[axis][index[axis] + 1]
        a0, a1 = faces[a][index[a]], faces[a][index[a] + 1]
        b0, b1 = faces[b][index[b]], faces[b][index[b] + 1]
        corners = np.empty((n, 4, 3))
        corners[:, :, axis] = position[:, None]
        corners[:, :, a] = np.stack([a0, a1, a1, a0], axis=1)
        corners[:, :, b] = np.stack([b0, b0, b1, b1], axis=1)
        points.append(corners.reshape(-1, 3))
        quads.append(np.hstack([np.full((n, 1), 4), offset + np.arange(4 * n).reshape(n, 4)]))
        offset += 4 * n
        area = (a1 - a0) * (b1 - b0)
        axes.append(np.full(n, axis, dtype=np.int32))
        areas.append(area)
        if face_heat_flow is not None:
            flow = np.asarray(to_host(face_heat_flow[axis], backend), dtype=np.float64)
            expected = tuple(m - 1 if c == axis else m for c, m in enumerate(solid.shape))
            if flow.shape != expected:
                raise ValueError(f"face_heat_flow[{axis}] has shape {flow.shape}; "
                                 f"expected {expected}")
            # +axis flow leaves the solid when the solid is the lower cell
            sign = np.where(lower[index], 1.0, -1.0)
            fluxes.append(sign * flow[index] / area)
    if not points:
        return pv.PolyData()
    surface = pv.PolyData(np.vstack(points), faces=np.vstack(quads).ravel())
    surface.cell_data["normal_axis"] = np.concatenate(axes)
    surface.cell_data["area"] = np.concatenate(areas)
    if face_heat_flow is not None:
        surface.cell_data["wall_heat_flux"] = np.concatenate(fluxes)
    return surface


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
        _fsync_directory(path.parent)
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


# -- checkpoints --------------------------------------------------------------------------------
def hash_case(case: Any) -> str:
    """Stable SHA-256 hex digest of case data (canonical JSON: key order does not matter).

    :func:`solver.case.case_hash` selects what determines a solution and digests it here; use it
    for checkpoints and characterization caches of parsed cases.

    Parameters
    ----------
    case : bytes, str, mapping or pydantic model
        Raw case-file bytes or text, or the parsed case (hashed through its canonical JSON form,
        so key order does not matter).
    """
    if isinstance(case, bytes):
        data = case
    elif isinstance(case, str):
        data = case.encode()
    else:
        data = json.dumps(to_jsonable(case), sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()


def save_checkpoint(path: str | os.PathLike, arrays: Mapping[str, Any],
                    metadata: Mapping[str, Any], backend: Backend | None = None) -> Path:
    """Save solver state to an ``.npz`` checkpoint atomically.

    Parameters
    ----------
    path : path-like
        Destination ``.npz``.
    arrays : mapping of str to array
        State arrays (NumPy or CuPy; copied to the host). Must be finite.
    metadata : mapping
        JSON-able description; must contain ``"case_hash"`` (``solver.case.case_hash(case)``, or
        :func:`hash_case` for other inputs) so a resume with a changed case is refused. Usually
        also the iteration and residuals.
    backend : Backend, optional
        Backend of the arrays (used for the host copy).

    Returns
    -------
    Path
    """
    if "case_hash" not in metadata:
        raise ValueError("checkpoint metadata needs 'case_hash' (see solver.io.hash_case)")
    host = {}
    for name, array in arrays.items():
        if name == _METADATA_KEY:
            raise ValueError(f"array name {_METADATA_KEY!r} is reserved")
        host[name] = np.asarray(to_host(array, backend))
        _check_finite(name, host[name])
    document = {**metadata, "format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION}
    host[_METADATA_KEY] = np.array(dumps_json(document))
    with atomic_open(path, "wb") as handle:
        np.savez(handle, **host)
    return Path(path)


def load_checkpoint(path: str | os.PathLike,
                    case_hash: str | None = None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Load a checkpoint written by :func:`save_checkpoint`.

    Parameters
    ----------
    path : path-like
        The ``.npz`` file.
    case_hash : str, optional
        Hash of the case about to be resumed; when given and different from the hash stored in
        the checkpoint, the resume is refused.

    Returns
    -------
    arrays : dict of str to ndarray
        Host arrays.
    metadata : dict
        The stored metadata (including ``format``, ``version`` and ``case_hash``).

    Raises
    ------
    CheckpointError
        Unknown format or version, or a case hash mismatch.
    """
    path = Path(path)
    with np.load(path, allow_pickle=False) as data:
        if _METADATA_KEY not in data.files:
            raise CheckpointError(f"{path} is not a coolsim checkpoint (no metadata)")
        metadata = json.loads(str(data[_METADATA_KEY]))
        arrays = {name: data[name] for name in data.files if name != _METADATA_KEY}
    if metadata.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not a coolsim checkpoint (format "
                              f"{metadata.get('format')!r})")
    if metadata.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"{path} has checkpoint version {metadata.get('version')!r}; this "
                              f"coolsim reads version {CHECKPOINT_VERSION}; start without resume")
    if case_hash is not None and metadata.get("case_hash") != case_hash:
        raise CheckpointError(
            f"{path} was written for a different case (case hash "
            f"{str(metadata.get('case_hash'))[:12]}..., this case {case_hash[:12]}...): the case "
            "file changed since the checkpoint; refusing to resume. Run without resume to start "
            "from scratch, or restore the original case file."
        )
    return arrays, metadata


# -- the results folder -------------------------------------------------------------------------
class ResultDirectory:
    """Paths inside ``<root>/<case_name>/``, the results of one case (see ``docs/results.md``).

    Parameters
    ----------
    root : path-like
        Parent folder of all results (``results`` by default in the CLI).
    case_name : str
        Case name: a plain folder name (no path separators).
    """

    def __init__(self, root: str | os.PathLike, case_name: str):
        if not case_name or case_name in (".", "..") or re.search(r"[/\\\x00]", case_name):
            raise ValueError(f"case name {case_name!r} cannot be used as a folder name")
        self.root = Path(root)
        self.case_name = case_name
        self.path = self.root / case_name

    @classmethod
    def at(cls, path: str | os.PathLike) -> ResultDirectory:
        """The result directory located at ``path`` (e.g. given to ``coolsim show``)."""
        path = Path(path)
        return cls(path.parent, path.name)

    def __repr__(self) -> str:
        return f"ResultDirectory({str(self.path)!r})"

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def create(self) -> ResultDirectory:
        """Create the folder and ``images/``; returns ``self``."""
        self.images.mkdir(parents=True, exist_ok=True)
        return self

    def exists(self) -> bool:
        """True when the folder exists."""
        return self.path.is_dir()

    @property
    def fields(self) -> Path:
        """``fields.vtr``: cell fields on the rectilinear grid (XML VTK)."""
        return self.path / "fields.vtr"

    @property
    def fields_legacy(self) -> Path:
        """``fields.vtk``: the same fields as legacy VTK, readable by meshio."""
        return self.path / "fields.vtk"

    @property
    def multiblock(self) -> Path:
        """``fields.vtm``: multiblock of several plates and the network (later issues)."""
        return self.path / "fields.vtm"

    @property
    def interface(self) -> Path:
        """``wall_heat_flux.vtp``: fluid-solid interface with the wall heat flux [W/m^2]."""
        return self.path / "wall_heat_flux.vtp"

    @property
    def summary(self) -> Path:
        """``summary.json``: machine-readable summary (schema in ``docs/results.md``)."""
        return self.path / "summary.json"

    @property
    def summary_text(self) -> Path:
        """``summary.txt``: the printed summary."""
        return self.path / "summary.txt"

    @property
    def history(self) -> Path:
        """``history.csv``: residuals and monitors per iteration."""
        return self.path / "history.csv"

    @property
    def network(self) -> Path:
        """``network.csv``: per-branch results of the 1D network."""
        return self.path / "network.csv"

    @property
    def checkpoint(self) -> Path:
        """``checkpoint.npz``: solver state for resume."""
        return self.path / "checkpoint.npz"

    @property
    def images(self) -> Path:
        """``images/``: PNG renders."""
        return self.path / "images"

    def image(self, name: str) -> Path:
        """Path of ``images/<name>.png``."""
        return self.images / f"{name}.png"

    def write_fields(self, grid, cell_arrays: Mapping[str, Any],
                     field_data: Mapping[str, Any] | None = None,
                     units: Mapping[str, str] | None = None, legacy: bool = True) -> list[Path]:
        """Write ``fields.vtr`` and, when ``legacy``, ``fields.vtk`` (:func:`write_rectilinear`).

        Both files are checked for non-finite values before either is written.
        """
        arrays = _host_cell_arrays(grid, cell_arrays)
        host_grid = _HostFaces(tuple(grid.faces))
        paths = [write_rectilinear(self.fields, host_grid, arrays, field_data, units)]
        if legacy:
            paths.append(write_rectilinear(self.fields_legacy, host_grid, arrays))
        return paths


@dataclass(frozen=True)
class _HostFaces:
    """Minimal grid stand-in for arrays already on the host."""

    faces: tuple[np.ndarray, np.ndarray, np.ndarray]
    backend: Backend = CPU
