"""Checks before solving: what ``coolsim run`` would reject, found without solving.

``coolsim check`` prints what :func:`check_case` finds; ``run``, ``characterize`` and
``scenarios`` call it before they write or solve anything, so a bad case gives every command the
same one line (a :class:`~solver.case.CaseError` naming the file and the key, or the component)
and exit code 2:

* a network: built from ``[network]`` (each component's own checks: sizes, curves, powers, node
  names) and diagnosed without solving (:meth:`~solver.network.Network.diagnose`: disconnected
  sub-networks, loops without a pressure reference, dead-headed pumps, fixed flows with nowhere
  to go; :func:`~solver.network.thermal.check_heat_sinks`: heat loads in a loop that cannot
  reject heat); the error names the ``[[network.components]]`` (or nodes, controls, rack) entry
  of the component the network layer names; each steady ``[[scenarios]]`` entry is applied to
  it (a plate, pump or quick disconnect it names must exist, a pump trip must leave units);
* a plate: the grid built, its memory estimate within the memory of the device that would hold
  it (:func:`solver.memory.check_grid_memory`), the bodies painted as a run does, every inlet
  and outlet on faces of its own in front of coolant (:func:`~solver.setup.check_ports`), every
  chip on cells of its body (:func:`~solver.setup.check_chips`);
* a rack's 3D plate cases, each checked as a plate;
* magnitudes (:func:`solver.plausibility.check_magnitudes`): impossible ones refused, unusual
  ones warned about.

It also collects the warnings a run would print: grid warnings, unusual magnitudes and a plate's
adequacy warnings (:func:`solver.adequacy.case_warnings`).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

from solver.adequacy import case_warnings
from solver.backend import CPU, gpu_available
from solver.case.errors import case_error
from solver.case.loading import load_case
from solver.case.transient_scenarios import is_transient
from solver.case.validate import plate_case_files
from solver.memory import check_grid_memory
from solver.network.errors import NetworkError
from solver.network.rack import build_network
from solver.network.thermal import check_heat_sinks
from solver.plausibility import check_magnitudes
from solver.scenarios import scenario_from_dict
from solver.setup import (
    build_grid,
    check_chips,
    check_ports,
    fluid_cells,
    geometry_body,
    grid_report,
    network_section,
    paint_bodies,
)

_QUOTED = re.compile(r"'([^']+)'")


@dataclass
class CaseCheck:
    """What :func:`check_case` found in a case that passed.

    Attributes
    ----------
    grid : dict or None
        :func:`solver.grid.generation.grid_report` of the grid a run would build (None without
        bodies).
    warnings : list of str
        One line each: grid warnings and a plate's adequacy warnings.
    network : str
        One line on the network built and diagnosed ("" without a network).
    """

    grid: dict | None = None
    warnings: list[str] = field(default_factory=list)
    network: str = ""


def check_case(case, backend: str | None = None) -> CaseCheck:
    """Everything a run of ``case`` would reject before solving, without solving.

    ``backend`` ("auto", "cpu", "gpu"; default ``[solver] backend``) is where the solve would
    run, whose memory the grid must fit (:func:`solver.memory.check_grid_memory`).

    Raises
    ------
    CaseError
        The first problem, naming the case file (the plate case file for a rack's 3D plate) and
        the key path of the entry at fault.
    """
    found = CaseCheck()
    backend = backend or case.solver.backend
    if backend == "gpu" and not gpu_available():
        found.warnings.append("backend \"gpu\" is chosen but this machine has no usable GPU "
                              "(CuPy or a CUDA device missing): a run here would stop")
    if case.network is not None:
        found.network = check_network(case)
        for group, path in plate_case_files(case).items():
            plate = check_plate(load_case(path, allow_outside=case.allow_outside), backend)
            found.warnings += [f"3D plate of group '{group}': {note}" for note in plate.warnings]
    if case.bodies:
        plate = check_plate(case, backend)
        found.grid, found.warnings = plate.grid, found.warnings + plate.warnings
    return found


def check_network(case) -> str:
    """Build the case's network and diagnose it without solving.

    Returns
    -------
    str
        One line: how many components and nodes were built.

    Raises
    ------
    CaseError
        For every :class:`~solver.network.NetworkError` of the build and the diagnosis, keyed to
        the case entry of the component it names (:func:`network_key`), and for a steady
        scenario that cannot be applied (``scenarios[i]``).
    """
    section = _with_stand_in_curves(network_section(case))
    coolant = case.coolant_material()
    try:
        built = build_network(section, float(coolant.density(section.initial_temperature)),
                              coolant)
        built.network.diagnose()
        check_heat_sinks(built.network)
    except NetworkError as error:
        raise case_error(case, network_key(section, str(error)), str(error)) from None
    for i, spec in enumerate(case.scenarios):
        if is_transient(spec):
            continue
        try:
            scenario_from_dict(spec.model_dump()).apply(built)
        except ValueError as error:
            raise case_error(case, f"scenarios[{i}]", " ".join(str(error).split())) from None
    network = built.network
    return (f"{len(network.branches)} components, {len(network.nodes)} nodes, built and "
            "diagnosed")


def _with_stand_in_curves(section):
    """``section`` with a one-point dP curve (1 L/min at 10 kPa) for each rack plate group whose
    curves come from its 3D case (characterized when the rack runs): the build and the
    diagnosis look at the network's topology and sizes, which the curves do not change."""
    rack = section.rack
    if rack is None or not any(g.case and not g.flows for g in rack.plates):
        return section
    groups = [g.model_copy(update={"flows": [1e-3 / 60.0], "pressure_drops": [1e4]})
              if g.case and not g.flows else g for g in rack.plates]
    return section.model_copy(update={"rack": rack.model_copy(update={"plates": groups})})


def network_key(section, message: str) -> str:
    """The case key path of the first component, node or control a network message names.

    Explicit entries map to ``network.components[i]``, ``network.nodes[i]`` or
    ``network.controls[i]`` (a heat exchanger's sides and a tee's legs and hub to their
    component; with repeated names, the last entry); names the rack builder made map to their
    ``network.rack`` table (``plates[i]`` for a plate group's plates, ``cdu``, ``facility``,
    ``quick_disconnect``, ``controls``), anything else to ``network.rack`` or ``network``.
    """
    keys = {}
    for kind in ("nodes", "components", "controls"):
        for i, entry in enumerate(getattr(section, kind)):
            keys[entry.name] = f"network.{kind}[{i}]"
    rack = section.rack
    for name in _QUOTED.findall(message):
        for candidate in (name, name.rsplit(".", 1)[0]):
            if candidate in keys:
                return keys[candidate]
        if rack is None:
            continue
        parts = name.split(".")
        groups = [g.name for g in rack.plates]
        if len(parts) > 2 and parts[0] == "tray" and parts[2] in groups:
            return f"network.rack.plates[{groups.index(parts[2])}]"
        if parts[0] in ("cdu", "facility", "quick_disconnect"):
            return f"network.rack.{parts[0]}"
    if rack is not None:
        return "network.rack.controls" if message.startswith("rack controls") else "network.rack"
    return "network"


def check_plate(case, backend: str = "auto") -> CaseCheck:
    """Build the grid a run of the plate ``case`` would build (on the CPU), check that it fits in
    the memory of ``backend``, paint its bodies and check its ports, chips and magnitudes against
    it; collect the grid and adequacy warnings."""
    bodies = [geometry_body(body, case.case_dir) for body in case.bodies]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        grid = build_grid(case, bodies, CPU)
    notes = [" ".join(str(w.message).split()) for w in caught]
    report = grid_report(case, grid)
    check_grid_memory(case, report, backend)
    body_ids = paint_bodies(grid, bodies)
    check_ports(case, grid, body_ids)
    check_chips(case, grid, bodies, body_ids)
    notes += check_magnitudes(case, grid, fluid_cells(case, body_ids))
    if case.solver.physics == "conjugate":
        notes += case_warnings(case, grid, body_ids)
    return CaseCheck(grid=report, warnings=notes)
