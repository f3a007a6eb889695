"""Conversion of solver data (NumPy and CuPy arrays and scalars, dataclasses, paths) into
JSON-ready Python values, and canonical JSON text."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from solver.backend import to_host


# -- JSON and CSV -------------------------------------------------------------------------------
def to_jsonable(obj: Any) -> Any:
    """Convert ``obj`` into plain JSON types.

    NumPy and CuPy scalars and arrays become numbers and lists, paths and other objects with a
    string form become strings only when they are :class:`os.PathLike`, tuples and sets become
    lists, mapping keys become strings. Non-finite floats (NaN, inf) become ``null`` so the file
    stays standard JSON. Anything else raises :class:`TypeError`.
    """
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        value = float(obj)
        return value if math.isfinite(value) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Mapping):
        return {str(key): to_jsonable(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(value) for value in obj]
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, np.ndarray) or type(obj).__module__.startswith("cupy"):
        return to_jsonable(to_host(obj).tolist())
    if hasattr(obj, "model_dump"):  # pydantic models (case sections)
        return to_jsonable(obj.model_dump(mode="json"))
    raise TypeError(f"cannot write {type(obj).__name__} to JSON: {obj!r}")


def dumps_json(obj: Any) -> str:
    """Serialise ``obj`` to indented, standard JSON text (see :func:`to_jsonable`)."""
    return json.dumps(to_jsonable(obj), indent=2, allow_nan=False) + "\n"
