"""One-line case errors: :class:`CaseError` and the translation of pydantic validation errors
into ``file: key.path: message (got ...; allowed: ...)``."""

from __future__ import annotations

import json
import re

from pydantic_core import PydanticCustomError

NOTHING = object()


class CaseError(ValueError):
    """A problem in a case file, reported as one line naming the file and the key path.

    Parameters
    ----------
    path : str or Path or None
        The case file.
    key_path : str or None
        Dotted key path inside the file (``bodies[2].max``, ``solver.linear.rtol``), or a
        ``line L, column C`` position for TOML syntax errors.
    message : str
        What is wrong.
    value : object, optional
        The offending value as written in the file.
    allowed : str, optional
        What would be accepted.
    """

    def __init__(self, path, key_path, message, value=NOTHING, allowed=None):
        self.path = None if path is None else str(path)
        self.key_path = key_path
        self.message = message
        self.value = value
        self.allowed = allowed
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [self.path or "<case>"]
        if self.key_path:
            parts.append(self.key_path)
        text = ": ".join(parts) + ": " + self.message
        extra = []
        if self.value is not NOTHING:
            extra.append(f"got {show(self.value)}")
        if self.allowed:
            extra.append(f"allowed: {self.allowed}")
        if extra:
            text += " (" + "; ".join(extra) + ")"
        return " ".join(text.split())


def show(value, limit: int = 80) -> str:
    """Render a case-file value compactly, the way it would be written in TOML."""
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = repr(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def fail(key: str | None, message: str, value=NOTHING, allowed: str | None = None):
    """Build an error for a model validator; ``key`` is appended to the error's key path."""
    ctx = {"key": key or "", "message": message, "allowed": allowed or ""}
    if value is not NOTHING:
        ctx["value"] = show(value)
    return PydanticCustomError("case_value", message, ctx)


def format_path(path: list) -> str:
    text = ""
    for element in path:
        if isinstance(element, int):
            text += f"[{element}]"
        else:
            text += ("." if text else "") + str(element)
    return text


def close_match(word: str, candidates: list[str]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.7)
    return matches[0] if matches else None


def case_error(case, key: str, message: str, value=NOTHING, allowed=None) -> CaseError:
    """A :class:`CaseError` for a problem found after validation (e.g. against the grid), with
    the value shown as written in the case file."""
    return error_factory(case.display_path or case.source_path, case.raw)(
        key, message, value, allowed)


def error_factory(path, raw=None):
    """``err(key, message, value, allowed)`` building CaseErrors for one case.

    When the key names a value in the file (not a whole array item), the value is shown as the
    user wrote it (``"150 C"``), not in SI.
    """
    def err(key, message, value=NOTHING, allowed=None):
        if raw is not None and value is not NOTHING and key and not key.endswith("]"):
            written = lookup(raw, _parse_key_path(key))
            if written is not NOTHING:
                value = written
        return CaseError(path, key, message, value, allowed)
    return err


def _parse_key_path(key: str) -> list:
    """``"bodies[2].max"`` -> ``["bodies", 2, "max"]``."""
    parts: list = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", key):
        parts.append(int(index) if index else name)
    return parts


def name_list(names) -> str:
    names = sorted(set(names))
    return ", ".join(names) if names else "(none)"


def lookup(data, key_path: list):
    node = data
    for element in key_path:
        if isinstance(element, int) and isinstance(node, list) and 0 <= element < len(node):
            node = node[element]
        elif isinstance(node, dict) and element in node:
            node = node[element]
        else:
            return NOTHING
    return node
