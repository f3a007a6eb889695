"""Result sets: a run writes its files into a staging folder beside its results folder and
switches it into place at the end, so the folder always holds one complete set of one run.

The folders of case ``<case>`` under the results root (``docs/results.md``, "Result sets"):

* ``<case>/``: the complete set of the last finished run, with ``result_set.json`` (run id,
  case file and hash, every file with its size and SHA-256);
* ``.<case>.staging-<run>/``: a run writing; ``result_set.json`` is its last file, so a staging
  folder that holds one is finished and only waits for the switch;
* ``.<case>.replaced-<run>/``: the previous set, renamed aside during the switch;
* ``.<case>.interrupted-<run>/``: the staging folder of a run stopped by Ctrl-C after its
  checkpoint, which ``--resume`` continues.

The switch renames ``<case>`` aside, renames the staging folder to ``<case>`` and deletes the
set put aside. :func:`repair` (at the start of every run and of ``coolsim show``) finishes or
undoes a switch cut by a kill, from any of the states between those renames.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from solver.output.atomic import (
    fsync_directory,
    fsync_tree,
    process_alive,
    read_json,
    temporary_owner,
    write_json,
)
from solver.output.results import ResultDirectory

try:  # POSIX: one switch or repair at a time per results root
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

#: The manifest of a set, written last into the staging folder.
MANIFEST = "result_set.json"
FORMAT = "coolsim-result-set"
VERSION = 1

# .<case>.<state>-<run id>, the run id <UTC time>-<pid>-<random>
_RUN_ID = r"\d{8}T\d{6}Z-(?P<pid>\d+)-[0-9a-f]{6}"
_LEFTOVER = re.compile(rf"^\.(?P<case>.+)\.(?P<state>staging|replaced|interrupted)-"
                       rf"(?P<run>{_RUN_ID})$")
# errors of a full or read-only disk, whatever file they name: "could not write the results"
# (a permission error counts when it names a file under the results root)
_DISK_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


class ResultFolderError(Exception):
    """The results folder cannot take this run: it holds another case's results (without
    ``--overwrite``) or it is not a folder. The input's fault (exit 2)."""


class ResultWriteError(OSError):
    """The results could not be written (read-only folder, full disk); the previous set is
    kept. A run failure (exit 1)."""


def new_run_id() -> str:
    """A run id: UTC time, process id and six random hex digits, e.g.
    ``20261206T194500Z-4242-a1b2c3`` (sorts by time)."""
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """Hold an exclusive lock on the results root (``flock`` on the folder itself: no lock file
    to leave behind; released by the kernel when a process dies)."""
    if fcntl is None:
        yield
        return
    fd = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _leftovers(root: Path, case_name: str) -> list[tuple[str, str, Path]]:
    """(state, run id, path) of the staging, replaced and interrupted folders of a case whose
    run is over (its process gone; an interrupted one always), oldest first."""
    found = []
    for entry in root.iterdir() if root.is_dir() else ():
        match = _LEFTOVER.match(entry.name)
        if not match or match["case"] != case_name or not entry.is_dir():
            continue
        if match["state"] != "interrupted" and process_alive(int(match["pid"])):
            continue
        found.append((match["state"], match["run"], entry))
    return sorted(found, key=lambda item: item[1])


def _set_run_id(folder: Path) -> str | None:
    """The run id in ``folder/result_set.json``, or None."""
    try:
        return read_json(folder / MANIFEST).get("run_id")
    except (OSError, ValueError, AttributeError):
        return None


def _remove(path: Path) -> None:
    """Delete a folder of a run that is over (what cannot be deleted stays for a later try)."""
    shutil.rmtree(path, ignore_errors=True)


def _repair(root: Path, case_name: str) -> list[str]:
    """:func:`repair` under the root's lock."""
    final = root / case_name
    done = []
    leftovers = _leftovers(root, case_name)
    finished = [(run, path) for state, run, path in leftovers
                if state == "staging" and (path / MANIFEST).is_file()]
    if finished and (not final.exists() or finished[-1][0] > (_set_run_id(final) or "")):
        # killed between the last file of a set and the end of its switch: finish the switch
        run, path = finished[-1]
        if final.exists():
            os.rename(final, root / f".{case_name}.replaced-{run}")
        os.rename(path, final)
        fsync_directory(root)
        done.append(f"finished the switch of run {run} into {final}")
    elif not final.exists():
        replaced = [(run, path) for state, run, path in leftovers if state == "replaced"]
        if replaced:
            # killed between the two renames with no finished set: put the previous set back
            os.rename(replaced[-1][1], final)
            fsync_directory(root)
            done.append(f"restored the previous set of {final}")
    for state, _, path in _leftovers(root, case_name):
        if path.exists() and state != "interrupted":
            _remove(path)
            done.append(f"removed {path.name}")
    # temporary files beside the folder (checkpoints) and in it (pictures of `coolsim show`)
    for entry in [*root.iterdir(), *(final.rglob("*") if final.is_dir() else ())]:
        owner = temporary_owner(entry.name)
        if owner is not None and entry.is_file() and not process_alive(owner):
            entry.unlink(missing_ok=True)
            done.append(f"removed {entry}")
    return done


def repair(result_dir: ResultDirectory) -> list[str]:
    """Bring the results folder of a case to a complete set after a killed run: finish a switch
    whose staging folder is complete, else put a set renamed aside back; then remove the
    staging and replaced folders and the temporary files of processes that are gone (never a
    live run's). Returns what was done, one line each (nothing when all was in order)."""
    root = Path(result_dir.root)
    if not root.is_dir():
        return []
    with _locked(root):
        return _repair(root, result_dir.case_name)


def _file_entry(path: Path) -> dict:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"size": path.stat().st_size, "sha256": digest.hexdigest()}


def _inventory(folder: Path) -> dict[str, dict]:
    """Every file under ``folder`` (relative POSIX name) with its size and SHA-256."""
    return {path.relative_to(folder).as_posix(): _file_entry(path)
            for path in sorted(folder.rglob("*")) if path.is_file()
            and path.name != MANIFEST}


def _is_picture(name: str) -> bool:
    """Pictures ``coolsim show`` renders again from the set's own fields: checked for presence
    only."""
    return name.endswith(".png") and "images" in name.split("/")[:-1]


def verify(folder: str | os.PathLike, hashes: bool = True) -> list[str]:
    """What keeps ``folder`` from being one complete result set: files of its manifest missing
    or changed (size, SHA-256 unless ``hashes`` is False), files not in it, a ``summary.json``
    of another run. A sub-folder with a manifest of its own (``coolsim scenarios``) is a set of
    its own and checked as such. Empty when the set is complete; pictures under ``images/``
    are checked for presence only (``coolsim show`` renders them again)."""
    folder = Path(folder)
    try:
        manifest = read_json(folder / MANIFEST)
        files = dict(manifest["files"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        return [f"{folder / MANIFEST}: missing or unreadable ({error.__class__.__name__})"]
    nested = sorted(p.parent.relative_to(folder).as_posix() for p in folder.rglob(MANIFEST)
                    if p.parent != folder)
    problems = []
    for sub in nested:
        problems += verify(folder / sub, hashes)

    def inside_nested(name: str) -> bool:
        return any(name.startswith(sub + "/") for sub in nested)

    for name, entry in files.items():
        path = folder / name
        if inside_nested(name):
            continue
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif _is_picture(name):
            continue
        elif path.stat().st_size != entry["size"]:
            problems.append(f"{path}: {path.stat().st_size} bytes, the set has {entry['size']}")
        elif hashes and _file_entry(path)["sha256"] != entry["sha256"]:
            problems.append(f"{path}: changed since run {manifest.get('run_id')}")
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        in_progress = any(_LEFTOVER.match(part) for part in name.split("/")[:-1])
        if (path.is_file() and name != MANIFEST and name not in files and not inside_nested(name)
                and not _is_picture(name) and temporary_owner(path.name) is None
                and not in_progress):
            problems.append(f"{path}: not part of run {manifest.get('run_id')}")
    summary = folder / "summary.json"
    if summary.is_file() and "summary.json" in files:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            run = read_json(summary).get("run_id")
            if run is not None and run != manifest.get("run_id"):
                problems.append(f"{summary}: written by run {run}, the set is run "
                                f"{manifest.get('run_id')}")
    return problems


def _owners(folder: Path) -> list[dict]:
    """Case file and hash (``case_file``, ``case_hash``) of the results in ``folder``: its
    manifest, else the ``case`` entry of a ``summary.json`` (older coolsim), else the manifest
    of the set it is part of (its parent's), else the manifests of the sets one level down.
    Empty when nothing says."""
    own = _read_or_none(folder / MANIFEST)
    if own is not None and "case_hash" in own:
        return [own]
    summary = _read_or_none(folder / "summary.json")
    if summary is not None and isinstance(summary.get("case"), dict):
        return [{"case_file": summary["case"].get("file"),
                 "case_hash": summary["case"].get("hash")}]
    parent = _read_or_none(folder.parent / MANIFEST)
    if parent is not None and "case_hash" in parent:
        return [parent]
    return [data for marker in sorted(folder.glob(f"*/{MANIFEST}"))
            for data in [_read_or_none(marker)] if data is not None]


def _read_or_none(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        data = read_json(path)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _same_case(owner: dict, case_file: str | None, case_hash: str) -> bool:
    """The same case: the same case file (edited or not), the same case hash, or two cases
    built in memory (no file: a script or notebook changing its case between runs)."""
    if owner.get("case_hash") == case_hash:
        return True
    theirs = owner.get("case_file")
    if theirs is None and case_file is None:
        return True
    return bool(theirs and case_file) and Path(theirs).resolve() == Path(case_file).resolve()


def _refuse_other_case(final: Path, case_file: str | None, case_hash: str) -> None:
    if not final.exists():
        return
    if not final.is_dir():
        raise ResultFolderError(f"{final}: is not a folder; choose another --output")
    if not any(final.iterdir()):
        return
    owners = _owners(final)
    if not owners:
        raise ResultFolderError(f"{final}: holds files that are not coolsim results of this "
                                "case; choose another --output or pass --overwrite to "
                                "replace them")
    for owner in owners:
        if not _same_case(owner, case_file, case_hash):
            raise ResultFolderError(
                f"{final}: holds the results of another case with the same name "
                f"({owner.get('case_file') or 'a case in memory'}); choose another --output "
                "or pass --overwrite to replace them")


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns


class StagedResults(ResultDirectory):
    """The staging folder of one run (``path``), switched into place by :meth:`commit`.

    Made by :func:`staged_results`; the checkpoints and :attr:`destination` are those of the
    final folder.
    """

    def __init__(self, final: ResultDirectory, run_id: str, case_file: str | None,
                 case_hash: str):
        super().__init__(final.root, final.case_name)
        self.run_id = run_id
        self.case_file = case_file
        self.case_hash = case_hash
        self.path = self.root / f".{self.case_name}.staging-{run_id}"
        # checkpoints as the run found them: those still the same at the end are not this run's
        self._checkpoints_before = {path: _identity(path) for path in
                                    (self.checkpoint, self.transient_checkpoint)}

    def manifest(self) -> dict:
        """The ``result_set.json`` document of the staging folder as it is now."""
        return {"format": FORMAT, "version": VERSION, "run_id": self.run_id,
                "case_name": self.case_name, "case_file": self.case_file,
                "case_hash": self.case_hash,
                "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "files": _inventory(self.path)}

    def commit(self) -> Path:
        """Write the manifest (after every file is on disk) and switch the set into place;
        remove the checkpoints this run did not write. Returns the final folder."""
        fsync_tree(self.path)
        write_json(self.path / MANIFEST, self.manifest())
        final = self.destination
        aside = self.root / f".{self.case_name}.replaced-{self.run_id}"
        with _locked(self.root):
            if final.exists():
                os.rename(final, aside)
            os.rename(self.path, final)
            fsync_directory(self.root)
            _remove(aside)
            for path, before in self._checkpoints_before.items():
                if before is not None and _identity(path) == before:
                    # an earlier run's state: resuming from it would go back in time
                    path.unlink(missing_ok=True)
        return final

    def abandon(self, keep_for_resume: bool = False) -> None:
        """Remove the staging folder (a failed run); with ``keep_for_resume`` rename it
        ``.<case>.interrupted-<run>`` for ``--resume`` to continue."""
        if keep_for_resume and self.path.is_dir():
            with contextlib.suppress(OSError):
                os.rename(self.path, self.root / f".{self.case_name}.interrupted-{self.run_id}")
                return
        _remove(self.path)


def _disk_error(error: OSError, staged: StagedResults) -> bool:
    """An error of the disk the results go to (full, read-only, denied), or of a file under the
    results root."""
    name = getattr(error, "filename", None)
    if error.errno in _DISK_ERRORS:
        return True
    try:
        return name is not None and Path(os.fsdecode(name)).resolve().is_relative_to(
            Path(staged.root).resolve())
    except (TypeError, ValueError, OSError):
        return False


def _begin(final: ResultDirectory, case_file: str | None, case_hash: str, overwrite: bool,
           resume: bool) -> StagedResults:
    root = Path(final.root)
    if root.exists() and not root.is_dir():
        raise ResultFolderError(f"{root}: is not a folder; choose another --output")
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root):
        staged = StagedResults(final, new_run_id(), case_file, case_hash)
        interrupted = [path for _, _, path in _leftovers(root, final.case_name)
                       if _LEFTOVER.match(path.name)["state"] in ("interrupted", "staging")
                       and not (path / MANIFEST).is_file()]
        if resume and interrupted:
            # continue in the folder of the run that --resume continues (its field series)
            os.rename(interrupted[-1], staged.path)
        _repair(root, final.case_name)
        for state, _, path in _leftovers(root, final.case_name):
            if state == "interrupted":  # not continued by this run: nothing will resume it
                _remove(path)
        if not overwrite:
            _refuse_other_case(final.path, case_file, case_hash)
        staged.path.mkdir(exist_ok=True)
    return staged


@contextlib.contextmanager
def staged_results(final: ResultDirectory, case_file: str | None, case_hash: str,
                   overwrite: bool = False, resume: bool = False) -> Iterator[StagedResults]:
    """Write a run's results as one set: repair the folder, refuse another case's results
    (:class:`ResultFolderError`, unless ``overwrite``), yield the staging folder, and switch it
    into place when the block ends; when it raises, remove the staging folder (keep it for
    ``--resume`` after Ctrl-C) and leave the previous set as it was. A full or read-only disk
    becomes a one-line :class:`ResultWriteError`.

    Parameters
    ----------
    final : ResultDirectory
        The results folder of the case.
    case_file : str or None
        Path of the case file (None for a case in memory).
    case_hash : str
        :func:`solver.case.case_hash` of the case.
    overwrite : bool
        Replace another case's results (``--overwrite``).
    resume : bool
        Continue in the staging folder of the interrupted run (``--resume``).
    """
    where = final.destination
    new_root = not Path(final.root).exists()
    try:
        staged = _begin(final, case_file, case_hash, overwrite, resume)
    except OSError as error:
        raise ResultWriteError(f"cannot write results into {final.root}: "
                               f"{error.strerror or error}; the previous results in {where} "
                               "are kept") from error
    try:
        yield staged
        staged.commit()
    except KeyboardInterrupt:
        staged.abandon(keep_for_resume=True)
        raise
    except OSError as error:
        staged.abandon()
        _remove_if_empty(Path(final.root), new_root)
        if _disk_error(error, staged):
            raise ResultWriteError(f"could not write the results into {where}: "
                                   f"{error.strerror or error}; the previous results there are "
                                   "kept") from error
        raise
    except BaseException:
        staged.abandon()
        _remove_if_empty(Path(final.root), new_root)
        raise


def _remove_if_empty(root: Path, made_by_this_run: bool) -> None:
    """Remove the results root a failed run made, when nothing is in it."""
    if made_by_this_run:
        with contextlib.suppress(OSError):
            root.rmdir()
