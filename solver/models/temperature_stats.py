"""Temperature statistics of a solved field: maximum, volume-weighted mean and minimum per
region, body and chip [K and C]."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from solver.backend import array_namespace
from solver.units import ZERO_CELSIUS


def kelvin_to_celsius(temperature: float) -> float:
    """Convert a temperature [K] to degrees Celsius."""
    return float(temperature) - ZERO_CELSIUS


def _temperature_entry(t_max: float, t_mean: float, t_min: float) -> dict[str, float]:
    return {
        "max_temperature_K": t_max,
        "mean_temperature_K": t_mean,
        "min_temperature_K": t_min,
        "max_temperature_C": kelvin_to_celsius(t_max),
        "mean_temperature_C": kelvin_to_celsius(t_mean),
        "min_temperature_C": kelvin_to_celsius(t_min),
    }


def region_temperature_stats(temperature, mask, volumes) -> dict[str, float] | None:
    """Max, volume-weighted mean and min temperature over the cells where ``mask`` is true.

    Parameters
    ----------
    temperature : array, shape (nx, ny, nz)
        Cell temperatures [K] (NumPy or CuPy).
    mask : bool array, shape (nx, ny, nz)
        Cells of the region (same array library).
    volumes : array broadcastable to (nx, ny, nz)
        Cell volumes [m^3].

    Returns
    -------
    dict or None
        ``max/mean/min_temperature_K`` and ``_C`` and ``volume_m3``; ``None`` for an empty region.
        Reductions run where the arrays live; only scalars come to the host.
    """
    xp = array_namespace(temperature)
    mask = xp.asarray(mask, dtype=bool)
    volume = xp.broadcast_to(xp.asarray(volumes), temperature.shape)
    if not bool(mask.any()):
        return None
    weights = xp.where(mask, volume, 0.0)
    total_volume = float(weights.sum())
    selected = temperature[mask]
    entry = _temperature_entry(float(selected.max()),
                               float((temperature * weights).sum()) / total_volume,
                               float(selected.min()))
    entry["volume_m3"] = total_volume
    return entry


def body_temperature_stats(temperature, material_ids, names: Mapping[int, str] | Sequence[str],
                           volumes) -> dict[str, dict[str, float]]:
    """Temperature statistics per body (cells sharing an id in ``material_ids``).

    Parameters
    ----------
    temperature : array, shape (nx, ny, nz)
        Cell temperatures [K].
    material_ids : int array, shape (nx, ny, nz)
        Body or material id per cell (``-1`` = empty, skipped).
    names : mapping of id to name, or sequence indexed by id
        Name of each id, used as the key of the result.
    volumes : array broadcastable to (nx, ny, nz)
        Cell volumes [m^3] (``grid.cell_volumes()``).

    Returns
    -------
    dict of str to dict
        Per name: ``max/mean/min_temperature_K``, the same in C, ``volume_m3``, ``id``. Ids without
        cells are left out.
    """
    items = names.items() if isinstance(names, Mapping) else enumerate(names)
    stats = {}
    for body_id, name in items:
        entry = region_temperature_stats(temperature, material_ids == int(body_id), volumes)
        if entry is not None:
            stats[str(name)] = {"id": int(body_id), **entry}
    return stats


def chip_temperature_stats(temperature, chip_masks: Mapping[str, Any], volumes,
                           powers: Mapping[str, float] | None = None) -> dict[str, dict]:
    """Temperature statistics per chip (heat-source region).

    Parameters
    ----------
    temperature : array, shape (nx, ny, nz)
        Cell temperatures [K].
    chip_masks : mapping of str to bool array (nx, ny, nz)
        Cells of each chip's heat source.
    volumes : array broadcastable to (nx, ny, nz)
        Cell volumes [m^3].
    powers : mapping of str to float, optional
        Chip power [W], recorded as ``power_W``.
    """
    stats = {}
    for name, mask in chip_masks.items():
        entry = region_temperature_stats(temperature, mask, volumes)
        if entry is None:
            continue
        if powers and name in powers:
            entry = {"power_W": float(powers[name]), **entry}
        stats[name] = entry
    return stats
