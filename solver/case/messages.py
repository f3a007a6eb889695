"""Messages for invalid case files: a pydantic validation error becomes one line naming the file,
the key path, what was found and what is allowed."""

from __future__ import annotations

import re
import typing
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from solver.case.errors import NOTHING, CaseError, close_match, format_path, lookup
from solver.case.introspection import (
    child_annotation,
    describe,
    is_union,
    models_in,
    range_text,
    type_text,
    union_member,
    unit_of,
    unwrap,
)
from solver.case.schema import Case


def _walk_location(loc: tuple, data, root=None) -> tuple[list, Any]:
    """Turn a pydantic error location into the user's key path and the value found there.

    Discriminated unions insert their tag (``'box'``, ``'inlet'``, ``'number'``) into the
    location; walking the schema alongside the data tells those apart from real keys (a tag can
    have the same spelling as a key, e.g. ``type = "temperature"`` and ``temperature = ...``).
    """
    path: list = []
    node = data
    found = True
    annotation: Any = root or Case
    for element in loc:
        unwrapped = unwrap(annotation)
        if is_union(unwrapped):
            # a union tag: not part of the user's path
            annotation = union_member(unwrapped, element)
            continue
        path.append(element)
        annotation = child_annotation(unwrapped, element)
        if found and isinstance(node, dict) and element in node:
            node = node[element]
        elif found and isinstance(node, list) and isinstance(element, int) \
                and 0 <= element < len(node):
            node = node[element]
        else:
            found = False
    return path, (node if found else NOTHING)


def _annotation_at(loc: tuple, root=None):
    """The type annotation addressed by the raw pydantic error location ``loc`` (or None)."""
    current: Any = root or Case
    for element in loc:
        current = unwrap(current)
        if is_union(current):
            current = union_member(current, element)
        else:
            current = child_annotation(current, element)
        if current is None:
            return None
    return current


def _model_at(loc: tuple, root=None):
    """The pydantic model class addressed by the raw error location ``loc`` (or None)."""
    current = unwrap(_annotation_at(loc, root))
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


_UNIT_MESSAGE = re.compile(r"^cannot read (.*) as an? (.*?); write a number in SI or "
                           r"'<number> <unit>' with unit one of: (.*)$")


_BOUND_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def _field_at(loc: tuple, root=None):
    """The last pydantic field on the way to ``loc`` (union tags and array indexes skipped)."""
    annotation: Any = root or Case
    found = None
    for element in loc:
        unwrapped = unwrap(annotation)
        if is_union(unwrapped):
            annotation = union_member(unwrapped, element)
            continue
        if isinstance(unwrapped, type) and issubclass(unwrapped, BaseModel):
            found = unwrapped.model_fields.get(element) if isinstance(element, str) else None
        annotation = child_annotation(unwrapped, element)
        if annotation is None:
            break
    return found


def case_error_from_validation(error: ValidationError, data, path, root=None) -> CaseError:
    """Map the first pydantic error to a :class:`CaseError` with the user's key path.

    ``root`` is the model ``data`` was validated against (default :class:`Case`).
    """
    first = error.errors(include_url=False)[0]
    kind, loc, ctx = first["type"], tuple(first["loc"]), first.get("ctx") or {}
    key_path, value = _walk_location(loc, data, root)
    field = _field_at(loc, root)
    unit = unit_of(field.description or "") if field is not None else ""
    unit_suffix = f" {unit}" if unit and unit != "-" else ""
    if value is NOTHING and kind not in ("missing", "union_tag_not_found", "extra_forbidden"):
        value = first.get("input", NOTHING)
    message, allowed = first["msg"], None

    if kind == "extra_forbidden":
        model = _model_at(loc[:-1], root)
        message = "unknown key"
        if model is not None:
            allowed = ", ".join(model.model_fields)
            close = close_match(str(loc[-1]), list(model.model_fields))
            if close:
                message = f"unknown key (did you mean '{close}'?)"
    elif kind == "missing" and key_path and isinstance(key_path[-1], int):
        # a fixed-length array with too few items
        array = _annotation_at(loc[:-1], root)
        count = len(typing.get_args(unwrap(array))) if array is not None else None
        key_path, value = key_path[:-1], lookup(data, key_path[:-1])
        message = "too few values"
        allowed = f"exactly {count} values" if count else None
    elif kind == "missing":
        is_table = models_in(field.annotation) if field is not None else []
        message = "missing required table" if is_table else "missing required key"
        allowed = type_text(field) if field is not None and not is_table else None
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = ctx.get("discriminator", "").strip("'")
        key_path = [*key_path, tag]
        value = lookup(data, key_path)
        allowed = _expected_tags(loc, tag, root) or ctx.get("expected_tags")
        message = f"missing required key '{tag}'" if kind == "union_tag_not_found" \
            else f"unknown {tag}"
    elif kind == "literal_error":
        message, allowed = "not an allowed value", ctx.get("expected")
    elif kind in _BOUND_ERRORS:
        message = "out of range"
        bound = next(iter(ctx.values()), "")
        allowed = (range_text(field) if field is not None else f"{bound}") + unit_suffix
    elif kind in ("too_short", "too_long"):
        message = "wrong number of values"
        array = unwrap(field.annotation) if field is not None else None
        if typing.get_origin(array) is tuple:
            allowed = f"exactly {len(typing.get_args(array))} values"
        else:
            allowed = range_text(field) if field is not None else None
    elif kind == "value_error":
        text = str(ctx.get("error", message))
        match = _UNIT_MESSAGE.match(text)
        if match:
            message = f"cannot read as a {match.group(2)}"
            allowed = f"a number (SI) or '<number> <unit>' with unit one of {match.group(3)}"
        elif text.startswith("expected a") and field is not None:
            message, allowed = "wrong type", type_text(field)
        else:
            message = text
    elif kind == "case_value":
        if ctx.get("key"):
            key_path = [*key_path, *ctx["key"].split(".")]
            value = lookup(data, key_path)
        message = ctx.get("message", message)
        allowed = ctx.get("allowed") or None
        if "value" in ctx and value is NOTHING:
            value = ctx["value"]
    elif kind == "string_pattern_mismatch":
        message = "not a valid name"
        allowed = "letters, digits, '_', '-', '.' (not starting with '-' or '.')"
    elif kind.endswith(("_type", "_parsing")) or kind == "int_from_float":
        message = "wrong type"
        allowed = type_text(field) if field is not None else _TYPE_WORDS.get(
            kind.split("_")[0], kind.split("_")[0])
        if field is not None and typing.get_origin(unwrap(field.annotation)) in (tuple, list) \
                and isinstance(loc[-1], int):
            allowed = describe(typing.get_args(unwrap(field.annotation))[0])
    return CaseError(path, format_path(key_path) or None, message, value, allowed)


_TYPE_WORDS = {"float": "a number", "int": "an integer", "bool": "true or false",
               "string": "a string", "dict": "a table", "list": "an array", "tuple": "an array",
               "model": "a table"}


def _expected_tags(loc: tuple, tag: str, root=None) -> str | None:
    """The allowed values of the discriminator ``tag`` of the union at ``loc``."""
    annotation = unwrap(_annotation_at(loc, root))
    if not is_union(annotation):
        return None
    values = []
    for member in typing.get_args(annotation):
        model = unwrap(member)
        member_field = getattr(model, "model_fields", {}).get(tag)
        if member_field is not None and typing.get_origin(member_field.annotation) is Literal:
            values.extend(typing.get_args(member_field.annotation))
    return ", ".join(f'"{v}"' for v in values) or None
