"""Quantities in time written in a case file: a number, a quantity string, or a schedule table.

One syntax for every input that may change in time (a scenario's power profile, a facility
supply temperature, a plate's inputs)::

    power = 0.8                                               # constant (SI or unit-free)
    supply = "32 C"                                           # constant with its unit
    power = { kind = "step", before = 0.3, after = 1.0, time = "10 s" }
    supply = { kind = "ramp", start_value = "32 C", end_value = "45 C", start = "60 s",
               duration = "5 min" }
    flow = { kind = "table", times = ["0 s", "30 s"], values = ["100 L/min", "0 L/min"] }
    power = { kind = "square_wave", low = 0.3, high = 1.0, period = "60 s", duty = 0.8,
              start = "10 s" }

Values take the quantity's units (numbers are SI), times the time units (``"s"``, ``"min"``,
...); ``duty`` is a fraction. :func:`schedule_from_table` returns the
:mod:`solver.schedules` object with SI values; :func:`schedule_field` is the pydantic field
type that checks a table when the case is read and keeps it as written.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from solver.case.errors import NOTHING, fail, show
from solver.schedules import Constant, Ramp, Schedule, SquareWave, Step, Table
from solver.units import TIME_UNITS, parse_quantity

# kind -> (keys holding values, keys holding times, keys holding fractions, required keys)
SCHEDULE_KEYS = {
    "constant": (("value",), (), (), ("value",)),
    "step": (("before", "after"), ("time",), (), ("before", "after", "time")),
    "ramp": (("start_value", "end_value"), ("start", "duration"), (),
             ("start_value", "end_value", "duration")),
    "table": ((), (), (), ("times", "values")),
    "square_wave": (("low", "high"), ("period", "start"), ("duty",),
                    ("low", "high", "period")),
}
_BUILD = {"constant": Constant, "step": Step, "ramp": Ramp, "table": Table,
          "square_wave": SquareWave}


class ScheduleError(ValueError):
    """A schedule table that cannot be read: ``key`` inside it, ``message``, the value found
    and what is allowed; ``str()`` is one line led by ``where``."""

    def __init__(self, where: str, key: str, message: str, value=NOTHING, allowed: str = ""):
        self.key, self.message, self.value, self.allowed = key, message, value, allowed
        path = ".".join(part for part in (where, key) if part)
        got = "" if value is NOTHING else f"got {show(value)}; "
        super().__init__(f"{path}: {message} ({got}allowed: {allowed})")


def _number(value, units, what, where, key) -> float:
    """One value [SI] of a schedule table (units None: a plain number)."""
    try:
        if units is None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError("not a number")
            return float(value)
        return parse_quantity(value, units, what)
    except ValueError:
        allowed = "a number" if units is None else (
            f"a number (SI) or '<number> <unit>' with unit one of {', '.join(units)}")
        raise ScheduleError(where, key, f"cannot read as a {what}", value, allowed) from None


def schedule_from_table(value, units: dict | None, where: str = "",
                        what: str = "value") -> Schedule:
    """The :class:`solver.schedules.Schedule` [SI] written as ``value`` in a case file.

    Parameters
    ----------
    value : float | str | dict
        A number (SI), a ``"<number> <unit>"`` string, or a table with ``kind`` one of
        ``constant``, ``step``, ``ramp``, ``table``, ``square_wave`` (keys in the module doc).
    units : dict | None
        Units of the values (a table of :mod:`solver.units`, e.g. ``TEMPERATURE_UNITS``), None
        for unit-free values (fractions).
    where : str
        Key path of ``value`` in the case file, leading the error message.
    what : str
        Name of the quantity in messages, e.g. ``"temperature [K]"``.

    Raises
    ------
    ScheduleError
        Naming the key inside the table, the value found and what is allowed.
    """
    if not isinstance(value, dict):
        return Constant(_number(value, units, what, where, ""))
    kind = value.get("kind", NOTHING)
    if kind not in SCHEDULE_KEYS:
        raise ScheduleError(where, "kind", "unknown schedule kind" if kind is not NOTHING
                            else "missing required key 'kind'", kind,
                            ", ".join(f'"{k}"' for k in SCHEDULE_KEYS))
    value_keys, time_keys, fraction_keys, required = SCHEDULE_KEYS[kind]
    known = (*value_keys, *time_keys, *fraction_keys) + (("times", "values")
                                                         if kind == "table" else ())
    for key in value:
        if key != "kind" and key not in known:
            raise ScheduleError(where, key, f"unknown key of a {kind} schedule", value[key],
                                ", ".join(("kind", *known)))
    for key in required:
        if key not in value:
            raise ScheduleError(where, key, f"missing required key of a {kind} schedule",
                                allowed=", ".join(("kind", *known)))
    arguments = {}
    for key in value_keys:
        if key in value:
            arguments[key] = _number(value[key], units, what, where, key)
    for key in time_keys:
        if key in value:
            arguments[key] = _number(value[key], TIME_UNITS, "time [s]", where, key)
    for key in fraction_keys:
        if key in value:
            arguments[key] = _number(value[key], None, "fraction [-]", where, key)
    if kind == "table":
        for key, key_units, key_what in (("times", TIME_UNITS, "time [s]"),
                                         ("values", units, what)):
            if not isinstance(value[key], list) or not value[key]:
                raise ScheduleError(where, key, "not an array", value[key],
                                    "an array of at least one entry")
            arguments[key] = tuple(_number(v, key_units, key_what, where, f"{key}[{i}]")
                                   for i, v in enumerate(value[key]))
    try:
        return _BUILD[kind](**arguments)
    except ValueError as error:
        raise ScheduleError(where, "", str(error), value,
                            f"a valid {kind} schedule") from None


def schedule_field(units: dict | None, what: str):
    """Pydantic type of a case key holding a quantity in time (kept as written, checked with
    :func:`schedule_from_table`; read it with that function)."""

    def check(value):
        try:
            schedule_from_table(value, units, "", what)
        except ScheduleError as error:
            raise fail(error.key or None, error.message, error.value,
                       error.allowed) from None
        return value

    return Annotated[float | str | dict, AfterValidator(check)]


__all__ = ["SCHEDULE_KEYS", "ScheduleError", "schedule_from_table", "schedule_field"]
