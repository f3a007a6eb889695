"""Checkpoints: arrays and metadata saved atomically (``.npz``) and loaded with a check of the
case hash, so a long run can resume."""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from solver.backend import Backend, to_host
from solver.jsonable import dumps_json
from solver.output.atomic import atomic_open
from solver.output.vtk import check_finite

#: Version of the checkpoint layout written by :func:`save_checkpoint`.
CHECKPOINT_FORMAT = "coolsim-checkpoint"


CHECKPOINT_VERSION = 1


_METADATA_KEY = "__coolsim_metadata__"


class CheckpointError(RuntimeError):
    """A checkpoint cannot be used: missing, unknown format or version, or written for another
    case."""


class Interrupted(KeyboardInterrupt):
    """A run stopped by the user (Ctrl-C) after writing a checkpoint; the message says where it
    stopped, where the checkpoint is and how to resume."""


def resume_command(case, result_dir) -> str:
    """The command line that continues ``case`` from its checkpoint in ``result_dir``."""
    return f"coolsim run {case.source_path} --output {result_dir.root} --resume"


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
        raise ValueError("checkpoint metadata needs 'case_hash' (see solver.case.hash_case)")
    host = {}
    for name, array in arrays.items():
        if name == _METADATA_KEY:
            raise ValueError(f"array name {_METADATA_KEY!r} is reserved")
        host[name] = np.asarray(to_host(array, backend))
        check_finite(name, host[name])
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
        No file, unknown format or version, or a case hash mismatch.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"--resume: no checkpoint at {path} (runs write one with [output] "
                              "checkpoint = true, and when interrupted with Ctrl-C)")
    try:
        with np.load(path, allow_pickle=False) as data:
            if _METADATA_KEY not in data.files:
                raise CheckpointError(f"{path} is not a coolsim checkpoint (no metadata)")
            metadata = json.loads(str(data[_METADATA_KEY]))
            arrays = {name: data[name] for name in data.files if name != _METADATA_KEY}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        # a truncated or foreign file: NumPy, zipfile and json say so in their own words
        raise CheckpointError(f"--resume: {path} is not a readable checkpoint (truncated or "
                              f"not written by coolsim: {type(error).__name__}); run without "
                              "--resume to start from scratch") from None
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
