"""Reading the case schema's annotations: the type, unit, range and default of a key, and the
members of tagged unions (used by the error messages and the key reference)."""

from __future__ import annotations

import re
import types
import typing
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Tag
from pydantic_core import PydanticUndefined

from solver import units
from solver.case.errors import show


def child_annotation(annotation, element):
    """Annotation of ``element`` (a key or index) inside ``annotation`` (None if unknown)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(element) if isinstance(element, str) else None
        return None if field is None else field.annotation
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    if origin is tuple and args and isinstance(element, int):
        return args[min(element, len(args) - 1)]
    return None


def unwrap(annotation):
    """Strip Annotated and Optional wrappers."""
    while True:
        if typing.get_origin(annotation) is Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if is_union(annotation):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def is_union(annotation) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def union_member(annotation, tag):
    """The member of a tagged union whose discriminator literal or Tag equals ``tag``."""
    for member in typing.get_args(annotation):
        if typing.get_origin(member) is Annotated:
            if any(isinstance(m, Tag) and m.tag == tag for m in member.__metadata__):
                return member
        model = unwrap(member)
        if isinstance(model, type) and issubclass(model, BaseModel):
            for field in model.model_fields.values():
                if typing.get_origin(field.annotation) is Literal and \
                        tag in typing.get_args(field.annotation):
                    return model
    return None


_UNIT_TYPES = {
    "length": units.Length, "temperature": units.Temperature,
    "temperature difference": units.TemperatureDifference,
    "volumetric flow": units.VolumetricFlow, "mass flow": units.MassFlow,
    "pressure": units.Pressure, "power": units.Power, "velocity": units.Velocity,
    "heat flux": units.HeatFluxDensity,
}


UNIT_TABLES = {
    "length": units.LENGTH_UNITS, "temperature": units.TEMPERATURE_UNITS,
    "temperature difference": units.TEMPERATURE_DIFFERENCE_UNITS,
    "volumetric flow": units.VOLUMETRIC_FLOW_UNITS, "mass flow": units.MASS_FLOW_UNITS,
    "pressure": units.PRESSURE_UNITS, "power": units.POWER_UNITS,
    "velocity": units.VELOCITY_UNITS, "heat flux": units.HEAT_FLUX_UNITS,
}


def _validator_ids() -> dict[int, str]:
    ids = {}
    for word, annotated in _UNIT_TYPES.items():
        for meta in typing.get_args(annotated)[1:]:
            ids[id(meta)] = word
    return ids


def unit_of(description: str) -> str:
    match = re.match(r"^\[([^\]]*)\]", description)
    return match.group(1) if match else ""


def describe(annotation, metadata=()) -> str:
    """Human words for a field type ("length", "one of 'a', 'b'", "array of 3 lengths")."""
    ids = _validator_ids()
    for meta in metadata:
        if id(meta) in ids:
            return ids[id(meta)]
    if typing.get_origin(annotation) is Annotated:
        args = typing.get_args(annotation)
        return describe(args[0], args[1:])
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return ("" if len(args) == 1 else "one of ") + ", ".join(f'"{a}"' for a in args)
    if is_union(annotation):
        members = [a for a in args if a is not type(None)]
        words = [describe(m) for m in members]
        return " or ".join(words)
    if origin is tuple:
        inner = {describe(a) for a in args}
        word = inner.pop() if len(inner) == 1 else "value"
        return f"array of {len(args)} {_plural(word)}"
    if origin is list:
        return f"array of {_plural(describe(args[0]))}"
    if origin is dict:
        return f"tables of {describe(args[1])}"
    if annotation is float:
        return "number"
    if annotation is int:
        return "integer"
    if annotation is bool:
        return "boolean"
    if annotation is str:
        return "string"
    if annotation is Any or annotation is dict:
        return "table"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    return str(annotation)


def _plural(word: str) -> str:
    if word.endswith("table") or word.startswith("one of"):
        return word + ("s" if word.endswith("table") else "")
    return word + "s" if not word.endswith("s") else word


def type_text(field) -> str:
    word = describe(field.annotation, field.metadata)
    if word in UNIT_TABLES:
        unit = unit_of(field.description or "")
        return (f"{word}: a number in {unit} or '<number> <unit>' with unit one of "
                f"{', '.join(UNIT_TABLES[word])}")
    return word


def range_text(field) -> str:
    parts = []
    for meta in field.metadata:
        for attr, symbol in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="),
                             ("min_length", "length >="), ("max_length", "length <=")):
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"{symbol} {value:g}" if isinstance(value, float)
                             else f"{symbol} {value}")
    return ", ".join(parts)


def default_text(field) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "(table)"
        return show(value)
    value = field.default
    if value is None:
        return "none"
    if value is PydanticUndefined:
        return ""
    if isinstance(value, float) and "[K]" in (field.description or "") and value > 200:
        return f"{value:g} ({value - 273.15:g} C)"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list) and value and all(isinstance(v, float) for v in value):
        return _float_list_text(value, field.description or "")
    return show(value)


def _float_list_text(values: list[float], description: str) -> str:
    """A default list of SI numbers, with volumetric flows also in L/min (``[m3/s]`` keys)."""
    text = "[" + ", ".join(f"{v:.4g}" for v in values) + "]"
    if description.startswith("[m3/s]"):
        text += " (" + ", ".join(f"{v * units.LPM:g}" for v in values) + " L/min)"
    return text


def models_in(annotation):
    """Model classes reachable from an annotation, with the tag they carry (if a union member)."""
    found = []
    if typing.get_origin(annotation) is Annotated:
        return models_in(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    for arg in typing.get_args(annotation):
        found.extend(models_in(arg))
    return found
