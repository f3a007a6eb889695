"""The results directory of a run: paths of fields, summary, images and checkpoints."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from solver.output.vtk import HostFaces, host_cell_arrays, write_rectilinear


# -- the results folder -------------------------------------------------------------------------
class ResultDirectory:
    """Paths inside ``<root>/<case_name>/``, the results of one case (see ``docs/results.md``).

    A run writes into a staging folder first (:class:`solver.output.result_set.StagedResults`,
    whose ``path`` is that folder) and switches it into place at the end; the checkpoints live
    beside the folder, not in it, so the switch never touches them.

    Parameters
    ----------
    root : path-like
        Parent folder of all results (``results`` by default in the CLI).
    case_name : str
        Case name: a plain folder name (no path separators).
    """

    #: Id of the run writing this folder (a staged run's; None for a folder read or written
    #: in place).
    run_id: str | None = None

    def __init__(self, root: str | os.PathLike, case_name: str):
        if not case_name or case_name in (".", "..") or re.search(r"[/\\\x00]", case_name):
            raise ValueError(f"case name {case_name!r} cannot be used as a folder name")
        self.root = Path(root)
        self.case_name = case_name
        self.path = self.root / case_name

    @classmethod
    def at(cls, path: str | os.PathLike) -> ResultDirectory:
        """The result directory located at ``path`` (e.g. given to ``coolsim show``)."""
        path = Path(path)
        return cls(path.parent, path.name)

    def __repr__(self) -> str:
        return f"ResultDirectory({str(self.path)!r})"

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def create(self) -> ResultDirectory:
        """Create the folder; returns ``self``. ``images/`` comes with the first picture (a run
        without pictures leaves no empty folder)."""
        self.path.mkdir(parents=True, exist_ok=True)
        return self

    def exists(self) -> bool:
        """True when the folder exists."""
        return self.path.is_dir()

    @property
    def fields(self) -> Path:
        """``fields.vtr``: cell fields on the rectilinear grid (XML VTK)."""
        return self.path / "fields.vtr"

    @property
    def fields_legacy(self) -> Path:
        """``fields.vtk``: the same fields as legacy VTK, readable by meshio."""
        return self.path / "fields.vtk"

    @property
    def multiblock(self) -> Path:
        """``fields.vtm``: multiblock of several plates and the network (later issues)."""
        return self.path / "fields.vtm"

    @property
    def interface(self) -> Path:
        """``wall_heat_flux.vtp``: fluid-solid interface with the wall heat flux [W/m^2]."""
        return self.path / "wall_heat_flux.vtp"

    @property
    def summary(self) -> Path:
        """``summary.json``: machine-readable summary (schema in ``docs/results.md``)."""
        return self.path / "summary.json"

    @property
    def summary_text(self) -> Path:
        """``summary.txt``: the printed summary."""
        return self.path / "summary.txt"

    @property
    def history(self) -> Path:
        """``history.csv``: residuals and monitors per iteration."""
        return self.path / "history.csv"

    @property
    def network(self) -> Path:
        """``network.csv``: per-branch results of the 1D network."""
        return self.path / "network.csv"

    @property
    def destination(self) -> Path:
        """The folder that holds the results once the run is done (``path`` here; the final
        folder for a staged run)."""
        return self.root / self.case_name

    @property
    def checkpoint(self) -> Path:
        """``<root>/<case>.checkpoint.npz``: solver state for ``--resume``, beside the results
        folder (not part of the result set: it outlives the switch of a new set into place)."""
        return self.root / f"{self.case_name}.checkpoint.npz"

    @property
    def transient_checkpoint(self) -> Path:
        """``<root>/<case>.transient_checkpoint.npz``: the plate in time for ``--resume``,
        beside the results folder like :attr:`checkpoint`."""
        return self.root / f"{self.case_name}.transient_checkpoint.npz"

    @property
    def images(self) -> Path:
        """``images/``: PNG renders."""
        return self.path / "images"

    def image(self, name: str) -> Path:
        """Path of ``images/<name>.png``."""
        return self.images / f"{name}.png"

    def write_fields(self, grid, cell_arrays: Mapping[str, Any],
                     field_data: Mapping[str, Any] | None = None,
                     units: Mapping[str, str] | None = None, legacy: bool = True,
                     body_names: Sequence[str] | None = None) -> list[Path]:
        """Write ``fields.vtr`` and, when ``legacy``, ``fields.vtk`` (:func:`write_rectilinear`;
        ``body_names`` name the ids of the ``body_id`` array in ``fields.vtr``).

        Both files are checked for non-finite values before either is written.
        """
        arrays = host_cell_arrays(grid, cell_arrays)
        host_grid = HostFaces(tuple(grid.faces))
        paths = [write_rectilinear(self.fields, host_grid, arrays, field_data, units,
                                   body_names)]
        if legacy:
            paths.append(write_rectilinear(self.fields_legacy, host_grid, arrays))
        return paths
