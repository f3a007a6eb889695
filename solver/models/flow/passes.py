"""Elementwise passes of the SIMPLE(C) outer iteration (:mod:`solver.models.flow.simplec`):
each one kernel launch on a GPU and a NumPy function computing the same thing on the host
(:mod:`solver.numerics.pointwise`). Those of the momentum equations' coefficients live with
them in :mod:`solver.models.flow.momentum`."""

from __future__ import annotations

import numpy as np

from solver.numerics.pointwise import Pointwise


def _pressure_force(area, p_lower, p_upper, rhs):
    rhs += area * (p_lower - p_upper)


# the pressure force on a face's control volume [N]: area times the pressure difference
PRESSURE_FORCE = Pointwise("pressure_force", "T area, T p_lower, T p_upper", "T rhs",
                           "rhs += area * (p_lower - p_upper)", _pressure_force)


def _speed_scale(u, v, w, out):
    largest = np.maximum(np.maximum(u, v), w)
    out[...] = np.where(largest > 0.0, largest, 1.0)


# the largest of three speeds [m/s], 1 when all are zero (a fluid at rest)
SPEED_SCALE = Pointwise(
    "speed_scale", "T u, T v, T w", "T out",
    "const T uv = (u != u || u > v) ? u : v; const T largest = (uv != uv || uv > w) ? uv : w;"
    " out = largest > 0 ? largest : (T)1", _speed_scale)


def _masked(value, keep, out):
    np.multiply(value, keep, out=out)


# a field kept where ``keep`` holds, zero elsewhere
MASKED = Pointwise("masked", "T value, bool keep", "T out", "out = value * (T)keep", _masked)


def _add_scaled(change, scale, x):
    x += scale * change


# x += scale * change
ADD_SCALED = Pointwise("add_scaled", "T change, T scale", "T x", "x += scale * change",
                       _add_scaled)


def _velocity_correction(d, p_lower, p_upper, density_area, u, flux):
    u += d * (p_lower - p_upper)
    np.multiply(u, density_area, out=flux)


# the face velocity corrected by the pressure-correction difference, and its mass flux
VELOCITY_CORRECTION = Pointwise(
    "velocity_correction", "T d, T p_lower, T p_upper, T density_area", "T u, T flux",
    "u += d * (p_lower - p_upper); flux = u * density_area", _velocity_correction)


def _net_inflow(x_lower, x_upper, y_lower, y_upper, z_lower, z_upper, fluid, out):
    out[...] = ((x_lower - x_upper) + (y_lower - y_upper) + (z_lower - z_upper)) * fluid


def _net_inflow_source(x_lower, x_upper, y_lower, y_upper, z_lower, z_upper, source, fluid,
                       out):
    out[...] = ((x_lower - x_upper) + (y_lower - y_upper) + (z_lower - z_upper)
                + source) * fluid


_FLUXES = "T x_lower, T x_upper, T y_lower, T y_upper, T z_lower, T z_upper"
_NET = "(x_lower - x_upper) + (y_lower - y_upper) + (z_lower - z_upper)"
# the continuity residual [kg/s] of each fluid cell: net inflow through its faces (plus a
# mass source), zero in solid
NET_INFLOW = Pointwise("net_inflow", _FLUXES + ", T fluid", "T out",
                       f"out = ({_NET}) * fluid", _net_inflow)
NET_INFLOW_SOURCE = Pointwise("net_inflow_source", _FLUXES + ", T source, T fluid", "T out",
                              f"out = ({_NET} + source) * fluid", _net_inflow_source)
