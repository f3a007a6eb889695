"""Physical models on the grid, with no file I/O and no knowledge of case files: conduction,
flow (staggered SIMPLEC), energy (conjugate heat transfer) and the cold plate that couples them.
The 1D network model lives in :mod:`solver.network`."""


__all__ = [
    "coldplate", "conduction", "energy", "flow", "temperature_stats"
]
