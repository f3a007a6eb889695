"""The coupled rack: the network with plate curves, the 3D solve of each plate (group) at its
operating point, curve corrections, repeated until flows, inlet temperatures and heat agree."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from solver.coupling.characterize import (
    PLATE_SOLVE,
    Runner,
    characterize,
    coldplate_runner,
    coolant_name,
    run_one,
    solve_point,
)
from solver.coupling.curves import PlateCurves
from solver.coupling.rack import (
    NETWORK_SOLVE,
    build_rack,
    rebuilt,
    solve_rack,
    with_plate_curves,
)
from solver.output.convergence import plot_coupling_convergence
from solver.output.rack_pictures import plot_plate_temperature
from solver.output.rack_scene import rack_scene
from solver.output.report import (
    DesignLimits,
    rack_report,
    write_report,
)
from solver.progress import Stage, format_duration
from solver.setup import case_at
from solver.units import LPM


@dataclass(frozen=True)
class CouplingTolerances:
    """When the network and the 3D plate solves agree.

    Parameters
    ----------
    flow_rtol : float
        [-] largest change of a plate flow between passes, relative to that flow.
    temperature_tol : float
        [K] largest change of a plate inlet temperature between passes.
    heat_rtol : float
        [-] largest ``|m cp (T_out - T_in) - P| / P`` of the 3D solves (heat removed by the
        coolant against the plate power carried by the network).
    max_passes : int
        Largest number of network + 3D passes.
    """

    flow_rtol: float = 1e-3
    temperature_tol: float = 0.05
    heat_rtol: float = 5e-3
    max_passes: int = 10


@dataclass
class CoupledRack:
    """Outcome of :func:`couple_rack`.

    Attributes
    ----------
    result : solver.coupling.RackResult
        The last network solve (with the corrected plate curves).
    plate_curves : dict
        Corrected curves by plate name (every plate solved in 3D) or group name.
    operating_points : dict
        Plate name -> the last :class:`OperatingPoint` solved in 3D there.
    pressure_drop_factors : dict
        Plate name -> factor applied to its characterization dP curve.
    history : list of dict
        Per pass: largest flow change [-], inlet temperature change [K], heat mismatch [-].
    converged : bool
    chip_limits : dict
        [K] chip name -> limit from the plate cases' ``max_temperature``.
    tolerances : CouplingTolerances
        The tolerances the passes were held to.
    """

    result: object
    plate_curves: dict
    operating_points: dict
    pressure_drop_factors: dict
    history: list
    converged: bool
    chip_limits: dict = field(default_factory=dict)
    tolerances: CouplingTolerances = field(default_factory=CouplingTolerances)

    def report(self, limits=None, name: str = "rack") -> dict:
        """The rack report (:func:`solver.output.report.rack_report`) with the corrected curves.

        Chip limits of the plate cases (``[[chips]] max_temperature``) are added to
        ``limits.chip_limits`` unless that already names the chip.
        """

        limits = self.with_chip_limits(limits or DesignLimits())
        report = rack_report(self.result.summary, self.result.components, limits,
                             self.plate_curves, self.result.unserved, name=name)
        report["coupling"] = {"passes": len(self.history), "converged": self.converged,
                              "history": self.history,
                              "pressure_drop_factors": self.pressure_drop_factors,
                              "plates_solved_3d": sorted(self.operating_points)}
        return report

    def with_chip_limits(self, limits: DesignLimits) -> DesignLimits:
        """``limits`` with the plate cases' chip limits added (a chip ``limits`` names
        keeps its own)."""
        return replace(limits, chip_limits={**self.chip_limits, **dict(limits.chip_limits)})

    def scenario_curves(self) -> dict:
        """Plate curves by group for variations of the rack (scenarios, limit searches): the
        coupled (3D-corrected) R curves of each group with its dP curve scaled by the
        coupling's pressure-drop factor (mean over the group)."""
        groups: dict = {}
        for plate, factor in self.pressure_drop_factors.items():
            group = plate_group(plate, self.plate_curves) or plate
            groups.setdefault(group, []).append(factor)
        out = {}
        for name, curves in self.plate_curves.items():
            factors = groups.get(name)
            out[name] = (curves.scaled_pressure_drop(float(np.mean(factors))) if factors
                         else curves)
        return out

    def write(self, directory, limits=None, name: str = "rack") -> dict:
        """Write the coupling passes (``images/coupling_convergence.png``), the hottest 3D
        plate's temperature map (``images/hottest_plate.png``), the scene ``rack.vtm``, then the
        report (``report.md``/``.html``/``.json``, chip chart) with every picture then in
        ``images/``. The rack schematics (``rack_flow.png``, ``rack_temperature.png``) come with
        the network's files (:func:`solver.output.network.write_outputs`): write those first."""

        directory = Path(directory)
        paths = {}
        images = directory / "images"
        images.mkdir(parents=True, exist_ok=True)
        tolerances = {"flow_change": self.tolerances.flow_rtol,
                      "inlet_temperature_change": self.tolerances.temperature_tol,
                      "heat_mismatch": self.tolerances.heat_rtol}
        paths["coupling_convergence_png"] = plot_coupling_convergence(
            self.history, images / "coupling_convergence.png", name, tolerances)
        with_fields = {n: p for n, p in self.operating_points.items() if p.fields}
        if with_fields:
            hottest = max(with_fields, key=lambda n: max(with_fields[n].case_temperatures.values(),
                                                         default=0.0))
            paths["hottest_plate_png"] = plot_plate_temperature(
                with_fields[hottest].fields, images / "hottest_plate.png", hottest)
            paths["scene"] = rack_scene(directory / "rack.vtm", self)
        # the report last: it embeds every picture of images/
        paths.update(write_report(directory, self.report(limits, name)))
        return paths


def plate_group(plate: str, groups) -> str | None:
    """The group (key of ``groups``) a rack plate belongs to: exact name or a dotted part."""
    if plate in groups:
        return plate
    parts = plate.split(".")
    return next((g for g in groups if g in parts), None)


def _scaled_curves(curves: PlateCurves, resistance_factors: Mapping[str, float]) -> PlateCurves:
    return replace(curves, resistances={c: r * resistance_factors.get(c, 1.0)
                                        for c, r in curves.resistances.items()},
                   peak_resistances={c: r * resistance_factors.get(c, 1.0)
                                     for c, r in curves.peak_resistances.items()})


def coupling_stages(groups: int, flows: int, max_passes: int,
                    plates_per_pass: int | None) -> list[Stage]:
    """The work of :func:`couple_rack` as stages of a :class:`solver.progress.RunProgress`.

    The characterization of each of ``groups`` plate groups (``flows`` 3D solves each; a
    group whose stored curves are reused costs nothing), then the coupling passes: at least 2
    (the first has no earlier pass to compare with), refined from the convergence trend and
    capped at ``max_passes``, each with ``plates_per_pass`` 3D plate solves (``None`` where
    unknown, with ``every_plate``).
    """
    return [Stage("plate group", groups,
                  inner=Stage("flow", flows, kind=PLATE_SOLVE, inner=Stage("pass"))),
            Stage("coupling pass", 2, estimated=True, limit=max_passes,
                  inner=Stage("plate", plates_per_pass, kind=PLATE_SOLVE, inner=Stage("pass")))]


def _solve_plates(items, names, mapper, progress, index: int) -> list:
    """The 3D solves of coupling pass ``index`` (``items`` for :func:`run_one`, plates
    ``names``): by ``mapper`` at once, else one by one, each a unit ``"plate"`` of
    ``progress`` with a line when done."""
    if mapper is not None:
        return list(mapper(run_one, items))
    solved = []
    for number, (name, item) in enumerate(zip(names, items, strict=True), start=1):
        if progress:
            progress.begin("plate", number, count=len(items), kind=PLATE_SOLVE)
        solved.append(solve_point(item, progress))
        if progress:
            seconds = progress.end("plate")
            point = solved[-1]
            progress.message(
                f"coupling pass {index}: plate {name} in 3D at {point.flow * LPM:.4g} L/min, "
                f"inlet {point.inlet_temperature - 273.15:.2f} C: dP "
                f"{point.pressure_drop:.4g} Pa, done in {format_duration(seconds)} | "
                f"{progress.status()}")
    return solved


def _decades(flow_change: float, temperature_change: float, heat_mismatch: float,
             tolerances: CouplingTolerances) -> float:
    """How far a coupling pass is from converging: the largest ``log10(change / tolerance)``."""
    return max(math.log10(max(value, 1e-300) / tolerance) for value, tolerance in (
        (flow_change, tolerances.flow_rtol), (temperature_change, tolerances.temperature_tol),
        (heat_mismatch, tolerances.heat_rtol)))


def couple_rack(section, coolant, plate_cases: Mapping, flows: Sequence[float], backend="cpu",
                runner: Runner | None = None, every_plate: bool = False,
                tolerances: CouplingTolerances = CouplingTolerances(),
                mapper: Callable | None = None, store: bool = True,
                progress=None) -> CoupledRack:
    """Solve the rack with its cold plates consistent between the network and the 3D model.

    1. Characterize each plate case over ``flows`` (:func:`characterize`; stored and reused).
    2. Solve the network with those curves (``solver.coupling.with_plate_curves``).
    3. Solve the plate in 3D at the operating point (flow, inlet temperature, power) of the
       hottest plate of each group, or of every plate with ``every_plate``; the 3D model sees
       the real inlet temperature, so temperature-dependent coolant properties enter here.
    4. Correct the network's dP curve of those plates so that it passes through the 3D
       pressure drop at the operating point (multiplicative factor), and the chip resistance
       curves so that they pass through the 3D resistances; repeat from 2 until plate flows and
       inlet temperatures change by less than the tolerances and every 3D solve removes the
       plate's power (``heat_rtol``).

    Parameters
    ----------
    section : solver.case.network.NetworkSection
        A rack (``[network.rack]``) whose plate groups are named like the keys of
        ``plate_cases``.
    coolant : solver.materials.Coolant
        TCS coolant.
    plate_cases : mapping group name -> solver.case.Case
        The 3D cold-plate case of each plate group (e.g. ``{"gpu": case}``); groups without a
        case keep their network curves.
    flows : sequence of float
        [m3/s] characterization flows.
    backend : str or Backend
        For the runner.
    runner : callable, optional
        ``runner(case, flow, backend) -> OperatingPoint`` (default :func:`coldplate_runner`).
    every_plate : bool
        3D solve at every plate's operating point instead of one per group.
    tolerances : CouplingTolerances
    mapper : callable, optional
        ``mapper(function, items)`` for the 3D solves of a pass (e.g. Dask).
    store : bool
        Store and reuse characterization curves next to the plate cases.
    progress : solver.progress.RunProgress, optional
        The run's progress (the stages of :func:`coupling_stages`): the characterization flows,
        each coupling pass (its network solve and its 3D plates) with a line when done.

    Returns
    -------
    CoupledRack
    """

    runner = runner or coldplate_runner
    rack_coolant = getattr(coolant, "name", None)
    for group, case in plate_cases.items():
        plate_coolant = coolant_name(case)
        if rack_coolant and plate_coolant and plate_coolant.lower() != rack_coolant.lower():
            raise ValueError(f"plate group '{group}': its case {case.name!r} uses coolant "
                             f"{plate_coolant!r} but the rack loop runs {rack_coolant!r}; "
                             "characterize the plate with the loop's coolant")
    base = {}
    for number, (group, case) in enumerate(plate_cases.items(), start=1):
        if progress:
            progress.begin("plate group", number, count=len(plate_cases))
        base[group] = characterize(case, flows, backend, runner, store=store, mapper=mapper,
                                   progress=progress)
        if progress:
            progress.end("plate group")
    built = build_rack(with_plate_curves(section, base), coolant)
    plates = [b for b in built.network.branches if b.kind == "cold_plate"]
    groups = {b.name: plate_group(b.name, plate_cases) for b in plates}
    dp_factor = {b.name: 1.0 for b in plates if groups[b.name] is not None}
    curves_out: dict = dict(base)
    points: dict = {}
    history, previous = [], None
    converged = False
    result = None
    for index in range(1, tolerances.max_passes + 1):
        branches = [replace(b, pressure_drops=tuple(p * dp_factor[b.name]
                                                    for p in b.pressure_drops))
                    if b.name in dp_factor else b for b in built.network.branches]
        if progress:
            # at least 2 passes: the first has no earlier one to compare with
            progress.begin("coupling pass", index, count=2, estimated=True,
                           limit=tolerances.max_passes)
            progress.begin("network", 1, count=1, kind=NETWORK_SOLVE)
        result = solve_rack(rebuilt(built, branches), section, coolant)
        network_seconds = progress.end("network") if progress else 0.0
        rows = {r["name"]: r for r in result.components if r.get("kind") == "cold_plate"}
        state = {n: (float(rows[n]["flow"]), float(rows[n]["inlet_temperature"]))
                 for n in dp_factor}
        # the plates solved in 3D: the hottest of each group, or all of them
        if every_plate:
            chosen = list(dp_factor)
        else:
            chosen = []
            for group in plate_cases:
                members = [n for n in dp_factor if groups[n] == group]
                if members:
                    chosen.append(max(members, key=lambda n: float(rows[n]["case_temperature"])))
        items = []
        for name in chosen:
            q, t_in = state[name]
            case = case_at(plate_cases[groups[name]], t_in, float(rows[name]["heat"]))
            items.append((runner, case, q, backend))
        solved = _solve_plates(items, chosen, mapper, progress, index)
        heat_mismatch = 0.0
        for name, point in zip(chosen, solved, strict=True):
            points[name] = point
            group = groups[name]
            ratio = point.pressure_drop / float(rows[name]["pressure_drop"])
            members = [name] if every_plate else [n for n in dp_factor if groups[n] == group]
            for member in members:
                dp_factor[member] *= ratio
            chars = base[group]
            factors = {c: ((point.case_temperatures[c] - point.inlet_temperature)
                           / point.chip_powers[c]) / chars.resistance_fit(c).resistance(
                               point.flow)
                       for c in chars.chips if point.chip_powers.get(c, 0.0) > 0}
            curves_out[name if every_plate else group] = _scaled_curves(chars, factors)
            # the plate model's own coolant (the same fluid as the loop's, checked above)
            fluid = plate_cases[group].coolant_material() if hasattr(
                plate_cases[group], "coolant_material") else coolant
            rho = float(fluid.density(point.inlet_temperature))
            cp = float(fluid.specific_heat(point.inlet_temperature))
            power = sum(point.chip_powers.values())
            if power > 0:
                removed = rho * point.flow * cp * (point.outlet_temperature
                                                   - point.inlet_temperature)
                heat_mismatch = max(heat_mismatch, abs(removed - power) / power)
        flow_change = temperature_change = float("inf")
        if previous is not None:
            flow_change = max(abs(state[n][0] - previous[n][0]) / max(abs(state[n][0]), 1e-30)
                              for n in state)
            temperature_change = max(abs(state[n][1] - previous[n][1]) for n in state)
        history.append({"pass": index, "flow_change": flow_change,
                        "inlet_temperature_change": temperature_change,
                        "heat_mismatch": heat_mismatch, "plates_solved_3d": len(chosen)})
        previous = state
        converged = (flow_change < tolerances.flow_rtol
                     and temperature_change < tolerances.temperature_tol
                     and heat_mismatch < tolerances.heat_rtol)
        if progress:
            seconds = progress.end("coupling pass", last=converged, decades=_decades(
                flow_change, temperature_change, heat_mismatch, tolerances))
            progress.message(
                f"coupling pass {index}: flow change {flow_change:.2e}, inlet T change "
                f"{temperature_change:.3g} K, heat mismatch {heat_mismatch:.2e} (network "
                f"{format_duration(network_seconds)}, {len(chosen)} plate(s) in 3D), done in "
                f"{format_duration(seconds)} | {progress.status()}")
        if converged:
            break
    chip_limits = {chip.name: float(chip.max_temperature)
                   for case in plate_cases.values() for chip in getattr(case, "chips", [])}
    return CoupledRack(result, curves_out, points, dp_factor, history, converged, chip_limits,
                       tolerances)


