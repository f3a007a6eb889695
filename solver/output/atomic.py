"""Atomic writes (temporary file, fsync, rename) of bytes, text, JSON and CSV: a result file is
either complete or absent."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from solver.backend import to_host
from solver.jsonable import dumps_json


# -- atomic writes ------------------------------------------------------------------------------
def _read_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


# Read once at import: os.umask can only be read by setting it, which is not thread safe.
_UMASK = _read_umask()


def fsync_directory(folder: Path) -> None:
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
    """A unique hidden name beside ``path`` that keeps the suffix VTK writers dispatch on and
    carries the writer's process id (:func:`temporary_owner`)."""
    suffix = path.suffix if suffix is None else suffix
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp{suffix}")


# ``.<name>.<pid>.<random>.tmp[<suffix>]``: the names of both temporary-file makers below
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]+\.tmp(\.[A-Za-z0-9]+)?$")


def temporary_owner(name: str) -> int | None:
    """The process id in the name of a temporary file of this module, or None for any other
    name (a temporary file of an older version carries none)."""
    match = _TEMPORARY.match(name)
    return int(match.group(1)) if match else None


def process_alive(pid: int) -> bool:
    """True while process ``pid`` runs (or exists under another user); False once it is gone."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fsync_tree(folder: str | os.PathLike) -> None:
    """``fsync`` every file and folder under ``folder`` (and ``folder`` itself), so a rename
    that publishes the folder publishes data already on disk."""
    folder = Path(folder)
    for parent, _, names in os.walk(folder, topdown=False):
        for name in names:
            with open(Path(parent) / name, "rb") as handle:
                os.fsync(handle.fileno())
        fsync_directory(Path(parent))


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
        fsync_directory(path.parent)
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
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                                dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates the file 0600; give results the usual permissions.
        os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, path)
        fsync_directory(path.parent)
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
