"""Reading a case file: TOML -> typed :class:`~solver.case.schema.Case`, with one-line errors and
the semantic checks of :mod:`solver.case.validate`."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import (
    ValidationError,
)

from solver.case.errors import CaseError, error_factory, format_path
from solver.case.messages import case_error_from_validation
from solver.case.schema import Case
from solver.case.validate import validate_case

MAX_DEPTH = 16  # [-] nesting of tables and arrays a case file may use (cases/rack_1mw.toml: 7)
_TOML_POSITION = re.compile(r"^(.*?)\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")


def load_case(path: str | Path, check: bool = True, allow_outside: bool = False) -> Case:
    """Read, validate and return the case in ``path``.

    Parameters
    ----------
    path : str or Path
        The TOML case file.
    check : bool
        Run the semantic pass :func:`validate_case` (default True).
    allow_outside : bool
        Let the files the case names (meshes, power maps, plate cases, ``[output] directory``)
        lie outside the case file's folder tree (default False: such a path is an error, see
        :mod:`solver.case.locations`). Plate cases of a rack are loaded the same way.

    Returns
    -------
    Case

    Raises
    ------
    CaseError
        For unreadable files, TOML syntax errors (with line and column), schema errors (with the
        key path, the value and what is allowed) and semantic errors.
    """
    path = Path(path)
    if not path.is_file():
        raise CaseError(path, None, "case file not found" if not path.exists()
                        else "not a regular file")
    text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise CaseError(path, None, "invalid TOML: arrays or inline tables nested too deeply",
                        allowed=f"at most {MAX_DEPTH} levels") from None
    except tomllib.TOMLDecodeError as error:
        match = _TOML_POSITION.match(str(error))
        if match:
            if match.group(2):
                where = f"line {match.group(2)}, column {match.group(3)}"
            else:
                lines = text.splitlines() or [""]
                where = f"line {len(lines)}, column {len(lines[-1]) + 1} (end of file)"
            raise CaseError(path, where, f"invalid TOML: {match.group(1)}") from None
        raise CaseError(path, None, f"invalid TOML: {error}") from None
    _check_depth(data, path)
    case = case_from_dict(data, path, allow_outside)
    if check:
        check_whole_case(case)
    return case


def check_whole_case(case: Case) -> None:
    """The semantic checks :func:`load_case` runs after the schema: :func:`validate_case`, then
    the rack's plate case files (they exist and are conjugate plates with the loop's coolant).

    Raises
    ------
    CaseError
        For the first problem found.
    """
    validate_case(case)
    _check_rack_plates(case, error_factory(case.display_path or case.source_path, case.raw))


def _check_depth(data: dict, path) -> None:
    """Refuse tables and arrays nested deeper than :data:`MAX_DEPTH` (no case key is deeper
    than a few levels; deeper data would only exhaust the validators' recursion)."""
    stack = [(data, [], 0)]
    while stack:
        node, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CaseError(path, format_path(where[:MAX_DEPTH]), "arrays or tables nested too "
                            "deeply", allowed=f"at most {MAX_DEPTH} levels")
        items = node.items() if isinstance(node, dict) else enumerate(node) \
            if isinstance(node, list) else ()
        stack.extend((value, [*where, key], depth + 1) for key, value in items)


def case_from_dict(data: dict, path: str | Path | None = None,
                   allow_outside: bool = False) -> Case:
    """Validate a parsed TOML mapping against the schema (no semantic pass).

    Parameters
    ----------
    data : dict
        The TOML document as read by :func:`tomllib.loads`.
    path : str or Path, optional
        The file it came from, for error messages and relative paths.
    allow_outside : bool
        Let named files lie outside the case file's folder tree (see :func:`load_case`).

    Raises
    ------
    CaseError
        For the first schema violation.
    """
    try:
        case = Case.model_validate(data)
    except ValidationError as error:
        raise case_error_from_validation(error, data, path) from None
    case.attach_source(path, data, allow_outside)
    return case


def _check_rack_plates(case: Case, err) -> None:
    """Scenarios need a network; plate-group case files exist and are conjugate cold plates."""
    if case.scenarios and case.network is None:
        raise err("scenarios", "scenarios vary a rack network, but the case has no [network]",
                  allowed="a [network] section, or no [[scenarios]]")
    if case.network is None or case.network.rack is None:
        return
    for i, group in enumerate(case.network.rack.plates):
        if not group.case:
            continue
        key = f"network.rack.plates[{i}].case"
        path = case.resolve(group.case)
        if not path.is_file():
            raise err(key, f"cold-plate case file not found ({path})", group.case,
                      "a TOML case file, relative to this case")
        if case.source_path is not None and path.resolve() == Path(case.source_path).resolve():
            raise err(key, "the plate case is this rack case itself", group.case,
                      "a cold-plate case file")
        try:
            plate = load_case(path, check=False, allow_outside=case.allow_outside)
        except CaseError:
            # not a case file at all: say so without quoting what the file holds
            raise err(key, f"{path} is not a readable case file (run coolsim check on it for "
                      "the details)", group.case, "a cold-plate case file") from None
        if plate.network is not None:
            raise err(key, "the plate case holds a [network] of its own (a rack, not a cold "
                      "plate)", group.case, "a cold-plate case without [network]")
        plate = load_case(path, allow_outside=case.allow_outside)
        if plate.solver.physics != "conjugate":
            raise err(key, f"plate case {plate.name!r} has physics "
                           f"{plate.solver.physics!r}", group.case,
                      'a conjugate cold-plate case ([solver] physics = "conjugate")')
        if plate.coolant.name.lower() != case.coolant.name.lower():
            raise err(key, f"plate case {plate.name!r} uses coolant {plate.coolant.name!r} but "
                           f"the rack loop runs {case.coolant.name!r}", group.case,
                      "the same [coolant] name in both cases")
