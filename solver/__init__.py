"""coolsim: coupled 3D conjugate heat transfer and 1D network solver for liquid-cooled AI racks.

The import package is ``solver``; the command line is ``coolsim`` (see :mod:`solver.cli`).
In Python (``docs/python.md``)::

    import solver
    from solver.case import load_case

    result = solver.run(load_case("case.toml").with_changes({"chips[0].power": "1.2 kW"}))
    result.metrics, result.units, result.folder, result.table("history")
"""

from solver.version import __version__


def run(case, output=None, backend=None, quiet=True):
    """Solve ``case`` (a validated :class:`solver.case.Case`) as ``coolsim run`` does and return
    a :class:`solver.api.Result`: headline metrics with units, the results folder and its files,
    tables as pandas DataFrames. Parameters as :func:`solver.api.run` (``output`` the results
    root, ``backend`` auto | cpu | gpu, ``quiet`` no progress lines)."""
    from solver.api import run as run_case

    return run_case(case, output=output, backend=backend, quiet=quiet)


__all__ = ["__version__", "run"]
