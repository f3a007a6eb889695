"""Checkpoints: arrays and metadata saved atomically (``.npz``) and loaded with a check of the
case hash, so a long run can resume; when to write them (:class:`CheckpointClock`) and the
stop requests of SIGINT and SIGTERM that a run answers with a last checkpoint
(:data:`STOP`, see ``docs/results.md``)."""

from __future__ import annotations

import json
import os
import signal
import time
import zipfile
from collections.abc import Mapping
from contextlib import contextmanager
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
    """A run stopped by a signal (Ctrl-C: SIGINT, or SIGTERM) after writing a checkpoint; the
    message says where it stopped, where the checkpoint is and how to resume.

    Parameters
    ----------
    message : str
    signal_number : int
        The signal that stopped the run (SIGINT by default); the command line exits with
        ``128 + signal_number`` (130 for SIGINT, 143 for SIGTERM), the shells' convention.
    """

    def __init__(self, message: str, signal_number: int = signal.SIGINT):
        super().__init__(message)
        self.signal_number = int(signal_number)

    @property
    def exit_code(self) -> int:
        """``128 + signal number``: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signal_number


class StopRequests:
    """Stop requests from signal handlers, answered by a run at its next safe point.

    A handler installed by the command line (:func:`solver.cli.main`) calls :meth:`request`;
    a run that polls (between two flow iterations, two time steps) writes a checkpoint there
    and stops with :class:`Interrupted`. Code that does not poll (outside :meth:`polled`) is
    stopped at once, as Python stops it on Ctrl-C, and so is a run on a second signal.
    """

    def __init__(self):
        self.signal_number: int | None = None
        self._polls = 0

    @property
    def pending(self) -> bool:
        """A stop was requested and not answered yet."""
        return self.signal_number is not None

    @contextmanager
    def polled(self):
        """Within this block the running code answers stop requests at its safe points."""
        self._polls += 1
        try:
            yield self
        finally:
            self._polls -= 1

    def request(self, signal_number: int) -> None:
        """A signal arrived: remember it where a run polls, else stop now (raise
        :class:`Interrupted`; also on a second signal before the first was answered)."""
        if self._polls and self.signal_number is None:
            self.signal_number = int(signal_number)
            return
        self.signal_number = None
        raise Interrupted(f"stopped by {signal.Signals(signal_number).name} (no checkpoint: "
                          "stopped outside the iterations or on a second signal)",
                          signal_number)

    def answered(self) -> int:
        """Take the pending request (its signal number) once the run has saved its state."""
        number, self.signal_number = self.signal_number, None
        return int(number)


#: The stop requests of this process (one set of signal handlers per process).
STOP = StopRequests()


class CheckpointClock:
    """Wall-clock time since the last checkpoint, so a long stretch of a run without an
    iteration-based checkpoint still writes one every ``seconds``.

    Parameters
    ----------
    seconds : float
        [s] wall-clock time between checkpoints (``[output] checkpoint_seconds``).
    clock : callable, optional
        Monotonic clock [s] (``time.monotonic``).
    """

    def __init__(self, seconds: float, clock=time.monotonic):
        self.seconds = float(seconds)
        self.clock = clock
        self.last = clock()

    @property
    def due(self) -> bool:
        """``seconds`` or more passed since the last checkpoint (or the start)."""
        return self.clock() - self.last >= self.seconds

    def restart(self) -> None:
        """A checkpoint was just written."""
        self.last = self.clock()


def stopped_message(what: str, path, case, result_dir) -> str:
    """One line for a run stopped by a signal: where it stopped (``what``), the checkpoint and
    the command that continues it."""
    return (f"{what}; checkpoint {path}; continue with: {resume_command(case, result_dir)}")


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


def load_checkpoint(path: str | os.PathLike, case_hash: str | None = None,
                    case_name: str | None = None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Load a checkpoint written by :func:`save_checkpoint`.

    Parameters
    ----------
    path : path-like
        The ``.npz`` file.
    case_hash : str, optional
        Hash of the case about to be resumed; when given and different from the hash stored in
        the checkpoint, the resume is refused.
    case_name : str, optional
        Name of that case: a checkpoint of another case (``[case] name``) is refused as such.

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
                              "checkpoint = true, and when stopped by Ctrl-C or SIGTERM); run "
                              "without --resume to start from scratch")
    try:
        with np.load(path, allow_pickle=False) as data:
            if _METADATA_KEY not in data.files:
                raise CheckpointError(f"{path} is not a coolsim checkpoint (no metadata)")
            metadata = json.loads(str(data[_METADATA_KEY]))
            arrays = {name: data[name] for name in data.files if name != _METADATA_KEY}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as error:
        # a truncated or foreign file: NumPy, zipfile and json say so in their own words
        raise CheckpointError(f"--resume: {path} is not a readable checkpoint (truncated or "
                              f"not written by coolsim: {type(error).__name__}); run without "
                              "--resume to start from scratch") from None
    if not isinstance(metadata, dict) or metadata.get("format") != CHECKPOINT_FORMAT:
        format_ = metadata.get("format") if isinstance(metadata, dict) else None
        raise CheckpointError(f"--resume: {path} is not a coolsim checkpoint (format "
                              f"{format_!r}); run without --resume to start from scratch")
    if metadata.get("version") != CHECKPOINT_VERSION:
        raise CheckpointError(f"--resume: {path} has checkpoint version "
                              f"{metadata.get('version')!r}, this coolsim reads version "
                              f"{CHECKPOINT_VERSION}; run without --resume to start from "
                              "scratch (or resume with the coolsim that wrote it)")
    stored_name = metadata.get("case")
    if case_name is not None and stored_name is not None and stored_name != case_name:
        raise CheckpointError(f"--resume: {path} is a checkpoint of case {stored_name!r}, not "
                              f"of {case_name!r}; resume {stored_name!r} with its own case "
                              "file, or run without --resume to start from scratch")
    if case_hash is not None and metadata.get("case_hash") != case_hash:
        raise CheckpointError(
            f"--resume: {path} was written for a different case (case hash "
            f"{str(metadata.get('case_hash'))[:12]}..., this case {case_hash[:12]}...): the case "
            "file changed since the checkpoint; refusing to resume. Run without resume to start "
            "from scratch, or restore the original case file."
        )
    return arrays, metadata
