"""Case hashing: a canonical-JSON SHA-256 of the parts of a case that fix its solution
(checkpoints) or its cold-plate curves (characterization)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from solver.case.bodies import MeshBody
from solver.case.schema import Case
from solver.jsonable import to_jsonable

_HASH_SCOPES = {
    # what fixes the flow field and the grid: used for characterization curves
    "geometry": ("grid", "materials", "coolant", "bodies", "solver"),
    # everything that changes the solution: used for checkpoints
    "full": ("grid", "materials", "coolant", "bodies", "solver", "chips", "boundaries",
             "network"),
}


def case_hash(case: Case, scope: Literal["full", "geometry"] = "full") -> str:
    """SHA-256 of the parts of a case that determine its solution.

    Parameters
    ----------
    case : Case
    scope : {"full", "geometry"}
        ``"geometry"``: grid, materials, coolant, bodies (with the content of mesh files),
        solver settings, and the layout that fixes a cold plate's curves: chip bodies,
        footprints, case faces and power-map contents, and the types, sides and regions of the
        boundary patches (not their values: flow, inlet temperature and chip power are what
        characterization varies or scales); for characterization curves. ``"full"`` adds chips,
        boundaries and the network (all values), for checkpoints.
        The backend choice, the output settings, the grid-study note (``[grid] study``) and the
        name/description never enter the hash.

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    if scope not in _HASH_SCOPES:
        raise ValueError(f"scope must be one of {tuple(_HASH_SCOPES)}, got {scope!r}")
    data = case.model_dump(mode="json", include=set(_HASH_SCOPES[scope]))
    data["solver"].pop("backend", None)
    data["grid"].pop("study", None)  # a note on the grid study, not part of the grid
    files = {}
    for body in case.bodies:
        if isinstance(body, MeshBody):
            files[body.file] = _file_digest(case.resolve(body.file))
    if scope == "geometry":
        # what fixes the curves beyond the flow field: chip footprints and power-map shapes
        # (powers scale), and where the patches are (their values are what gets varied)
        data["layout"] = {
            "chips": [{"name": c.name, "body": c.body, "case_body": c.case_body,
                       "case_side": c.case_side,
                       "footprint": None if c.footprint is None
                       else c.footprint.model_dump(mode="json")} for c in case.chips],
            "patches": [{"type": b.type, "side": b.side,
                         "region": None if b.region is None else b.region.model_dump(mode="json")}
                        for b in case.boundaries]}
    for chip in case.chips:
        if chip.power_map:
            files[chip.power_map] = _file_digest(case.resolve(chip.power_map))
    data["files"] = files
    return hash_case(data)


def _file_digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


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
