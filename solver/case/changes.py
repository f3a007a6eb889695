"""Changed copies of a case: ``case.with_changes({"chips[0].power": "1.2 kW"})``.

A change names a key by its path as error messages write it (``chips[0].power``,
``network.rack.trays``, ``coolant.name``, ``materials.water.conductivity``), with an array item
addressed by its index or by its ``name`` in brackets (``boundaries[inlet].velocity``,
``network.rack.plates[gpu].count``). The value is what the case file would hold: a number (SI), a
string with a unit (``"1.5 L/min"``), a table or an array.

The changes are applied to the case's TOML mapping as written, which then goes through the same
validation as a case file (schema, then the semantic checks of ``load_case``), so a bad change
gives the one-line error a bad file gives, naming the key path as the change wrote it. Relative
file paths in the changed case (meshes, power maps, plate cases) keep resolving against the
original case file.

An inlet takes exactly one of ``velocity``, ``volumetric_flow`` and ``mass_flow``: setting one of
them replaces whichever the inlet had.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from solver.case.bodies import FLOW_SPECS
from solver.case.errors import CaseError, format_path, name_list
from solver.case.introspection import unit_of
from solver.case.loading import check_whole_case
from solver.case.messages import case_error_from_validation
from solver.case.schema import Case

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[([^\[\]]+)\]")


def parse_key_path(key: str) -> list[str | int]:
    """``"boundaries[inlet].velocity"`` -> ``["boundaries", "[inlet]", "velocity"]``.

    Names are returned as strings, indexes as int, bracketed names as ``"[name]"``.

    Raises
    ------
    ValueError
        When ``key`` is not a key path (``a.b[0].c`` form).
    """
    parts: list[str | int] = []
    position = 0
    text = key.strip()
    while position < len(text):
        if parts and text[position] == ".":
            position += 1
        match = _SEGMENT.match(text, position)
        if match is None or (match.group(1) and parts and text[position - 1] != "."):
            raise ValueError(f"not a key path: {key!r} (write it as error messages do: "
                             "chips[0].power, boundaries[inlet].velocity, network.rack.trays)")
        name, inside = match.groups()
        if name:
            parts.append(name)
        elif inside.strip().isdigit():
            parts.append(int(inside))
        else:
            parts.append(f"[{inside.strip()}]")
        position = match.end()
    if not parts or not isinstance(parts[0], str) or parts[0].startswith("["):
        raise ValueError(f"not a key path: {key!r} (it starts with a section name, e.g. chips[0]"
                         ".power)")
    return parts


def _item_index(items: list, selector: str | int, where: list, path, key: str) -> int:
    """The index of the item ``selector`` (an index, or ``"[name]"``) in the array ``items``."""
    names = [item.get("name") for item in items if isinstance(item, dict)]
    if isinstance(selector, int):
        if 0 <= selector < len(items):
            return selector
        raise CaseError(path, key, f"{format_path(where)} has {len(items)} item(s), no index "
                        f"{selector}", allowed=f"0..{len(items) - 1} or a name: "
                        f"{name_list(n for n in names if n)}" if items else "(none)")
    name = selector[1:-1]
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == name:
            return index
    raise CaseError(path, key, f"no item named {name!r} in {format_path(where)}",
                    allowed=name_list(n for n in names if n))


def _set(raw: dict, parts: list, value, path, key: str) -> list:
    """Set ``value`` at ``parts`` in ``raw`` (in place); returns the path with indexes only."""
    node: Any = raw
    where: list = []
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(part, str) and not part.startswith("["):
            if not isinstance(node, dict):
                raise CaseError(path, key, f"{format_path(where) or 'the case'} is not a table",
                                allowed="a key path through tables and arrays")
            where.append(part)
            if last:
                if node.get("type") == "inlet" and part in FLOW_SPECS:
                    for other in FLOW_SPECS:
                        node.pop(other, None)
                node[part] = copy.deepcopy(value)
            else:
                node = node.setdefault(part, {} if not isinstance(parts[depth + 1], int)
                                       and not str(parts[depth + 1]).startswith("[") else [])
            continue
        if not isinstance(node, list):
            raise CaseError(path, key, f"{format_path(where)} is not an array",
                            allowed="brackets only after an array ([[chips]], [[boundaries]])")
        index = _item_index(node, part, where, path, key)
        where.append(index)
        if last:
            node[index] = copy.deepcopy(value)
        else:
            node = node[index]
    return where


def _user_key(error: CaseError, written: dict[str, str]) -> CaseError:
    """``error`` with a key path of indexes (``boundaries[4].velocity``) written back the way the
    change named it (``boundaries[inlet].velocity``)."""
    if not error.key_path:
        return error
    for indexed, user in written.items():
        if error.key_path == indexed or error.key_path.startswith((indexed + ".",
                                                                    indexed + "[")):
            return CaseError(error.path, user + error.key_path[len(indexed):], error.message,
                             error.value, error.allowed)
    return error


def with_changes(case: Case, changes: Mapping[str, Any]) -> Case:
    """A new validated case: ``case`` with the keys of ``changes`` set to their values.

    Parameters
    ----------
    case : Case
        A case loaded from a file or built by :func:`solver.case.case_from_dict`.
    changes : mapping of str to value
        Key path (``chips[0].power``, ``boundaries[inlet].volumetric_flow``,
        ``network.rack.trays``, ``coolant.name``) to the value a case file would hold there
        (SI number, ``"<number> <unit>"`` string, table or array).

    Returns
    -------
    Case
        Validated as :func:`solver.case.load_case` validates a file; relative paths resolve
        against the original case file.

    Raises
    ------
    CaseError
        One line naming the case file and the key path: a key that does not exist (with the
        keys allowed there), an item name or index not in its array, or a value the schema or
        the semantic checks refuse.
    """
    if case.raw is None:
        raise CaseError(case.display_path, None, "this case has no TOML mapping to change",
                        allowed="a case from load_case or case_from_dict")
    path = case.display_path or case.source_path
    raw = copy.deepcopy(case.raw)
    written = {}
    for key, value in changes.items():
        try:
            parts = parse_key_path(key)
        except ValueError as error:
            raise CaseError(path, key, str(error).split(" (")[0],
                            allowed="a key path such as chips[0].power, "
                                    "boundaries[inlet].velocity, network.rack.trays") from None
        written[format_path(_set(raw, parts, value, path, key))] = key
    try:
        changed = Case.model_validate(raw)
    except ValidationError as error:
        raise _user_key(case_error_from_validation(error, raw, path), written) from None
    changed.attach_source(case.source_path, raw, case.allow_outside, display=case.display_path)
    try:
        check_whole_case(changed)
    except CaseError as error:
        raise _user_key(error, written) from None
    return changed


def value_at(case: Case, key: str) -> tuple[Any, str]:
    """The validated value at ``key`` (SI; temperatures in K) and its unit (``""`` when it has
    none, ``"-"`` when dimensionless).

    Raises
    ------
    KeyError
        When ``key`` does not lead to a value of ``case``.
    """
    node: Any = case
    unit = ""
    for part in parse_key_path(key):
        if isinstance(part, str) and part.startswith("["):
            matches = [item for item in node if getattr(item, "name", None) == part[1:-1]]
            if not matches:
                raise KeyError(key)
            node = matches[0]
        elif isinstance(part, int):
            node = node[part]
        elif isinstance(node, BaseModel):
            field = type(node).model_fields.get(part)
            if field is None:
                raise KeyError(key)
            unit = unit_of(field.description or "")
            node = getattr(node, part)
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(key)
    return node, unit
