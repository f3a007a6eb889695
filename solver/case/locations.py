"""Where the files and folders a case names may lie: inside the case file's folder tree.

Every path written in a case file (mesh files, power maps, rack plate cases, Foster-network
files, ``[output] directory``) is resolved against the case file's folder, with symbolic links
and ``..`` resolved, and must stay inside that folder or its subfolders. A case copied from
elsewhere then cannot read (and quote) any file of the machine or write results anywhere; a
user who means to share files across folders says so explicitly (``--allow-outside``,
``load_case(..., allow_outside=True)``). Paths given on the command line (``--output``,
``--scenarios``) are the user's own choice and are not confined.
"""

from __future__ import annotations

import os
from pathlib import Path

from solver.case.bodies import MeshBody
from solver.case.errors import NOTHING, lookup
from solver.case.schema import Case

ALLOW_OUTSIDE = "--allow-outside (Python: load_case(..., allow_outside=True))"


def referenced_paths(case: Case) -> list[tuple[str, str]]:
    """``(key path, path as written)`` of every file or folder the case file names."""
    found = [(f"bodies[{i}].file", body.file) for i, body in enumerate(case.bodies)
             if isinstance(body, MeshBody)]
    found += [(f"chips[{i}].power_map", chip.power_map) for i, chip in enumerate(case.chips)
              if chip.power_map]
    rack = case.network.rack if case.network is not None else None
    for j, group in enumerate(rack.plates if rack is not None else ()):
        for key in ("case", "thermal_impedance"):
            written = getattr(group, key)
            if written:
                found.append((f"network.rack.plates[{j}].{key}", written))
    if case.raw is not None and lookup(case.raw, ["output", "directory"]) is not NOTHING:
        found.append(("output.directory", case.output.directory))
    return found


def check_locations(case: Case, err) -> None:
    """Refuse a case whose named files or output folder lie outside its folder tree.

    Runs before any named file is opened. Nothing is checked for a case built in memory (no
    case file, no folder tree) or loaded with ``allow_outside``.

    Raises
    ------
    CaseError
        Naming the key, the resolved path and how to allow it; also for an ``[output]
        directory`` that is an existing file.
    """
    if case.source_path is None:
        return
    tree = case.case_dir
    for key, written in referenced_paths(case):
        resolved = Path(os.path.realpath(case.resolve(written)))
        if not case.allow_outside and not resolved.is_relative_to(tree):
            raise err(key, f"resolves to {resolved}, outside the case file's folder tree {tree}",
                      written, f"a path inside {tree}, or {ALLOW_OUTSIDE}")
        blocking = file_in_the_way(resolved) if key == "output.directory" else None
        if blocking is not None:
            raise err(key, f"{blocking} is a file, not a folder", written,
                      "a folder, or a path that does not exist yet")


def file_in_the_way(folder: str | Path) -> Path | None:
    """The existing file (not a folder) at ``folder`` or at one of its parents that would stop
    the folder being created, or None when it can be."""
    for place in (Path(folder), *Path(folder).parents):
        if place.exists():
            return None if place.is_dir() else place
    return None
