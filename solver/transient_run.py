"""The ``[transient]`` run of a cold plate: set up from the case after the steady solve, run with
progress and checkpoints, and write its results (see ``docs/transient.md``).

Results in the case's folder:

* ``transient.csv``: per step the time [s], each chip's peak temperature and power, the outlet
  temperature [K] and the heat taken up by the coolant [W];
* ``images/transient.png``: chip temperatures against time with their limits, and the powers;
* ``transient.pvd`` with ``transient/fields_<step>.vtr`` every ``fields_every`` steps (and the
  last), for ParaView's time controls;
* the ``transient`` entry of ``summary.json``: per chip the peak temperature, its time, the
  time it first reaches its limit (or None) and the final temperature; steps, energy audit.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from solver.case.hashing import case_hash, hash_case
from solver.case.schedules import schedule_from_table
from solver.models.coldplate.transient import PlateInputs, PlateTransient
from solver.models.energy.transient import TransientHistory
from solver.models.flow.time_stepping import TimeSettings
from solver.numerics.statistics import first_crossing
from solver.numerics.time_steps import TimeSteps
from solver.output.atomic import write_csv
from solver.output.checkpoint import (
    STOP,
    CheckpointClock,
    CheckpointError,
    Interrupted,
    load_checkpoint,
    save_checkpoint,
    stopped_message,
)
from solver.output.impedance import plot_chip_temperatures
from solver.output.transient import scenario_folder
from solver.output.vtk import write_rectilinear, write_time_series
from solver.progress import Progress
from solver.schedules import Sampled, as_schedule
from solver.setup import build_solid_model, case_at, from_case, with_inlet_flow
from solver.transient_scenarios import group_of
from solver.units import (
    LPM,
    POWER_UNITS,
    TEMPERATURE_UNITS,
    VOLUMETRIC_FLOW_UNITS,
    ZERO_CELSIUS,
)

# [K] largest change of a replayed plate's inlet temperature history at which the network
# corrected by the 3D plates is accepted
CORRECTION_TOLERANCE = 0.01


def plate_inputs(case, plate) -> PlateInputs:
    """The ``[transient]`` schedules of ``case`` in SI; the inlet flow as mass flow [kg/s] at the
    coolant's inlet density."""
    section = case.transient
    powers = {name: schedule_from_table(value, POWER_UNITS, f"transient.chip_power.{name}",
                                        "power [W]")
              for name, value in section.chip_power.items()}
    inlet_temperature = inlet_flow = None
    if section.inlet_temperature is not None:
        inlet_temperature = schedule_from_table(section.inlet_temperature, TEMPERATURE_UNITS,
                                                "transient.inlet_temperature",
                                                "temperature [K]")
    if section.inlet_flow is not None:
        inlet_flow = plate.density * schedule_from_table(
            section.inlet_flow, VOLUMETRIC_FLOW_UNITS, "transient.inlet_flow",
            "volumetric flow [m3/s]")
    return PlateInputs(powers, inlet_temperature, inlet_flow)


def time_steps(section) -> TimeSteps:
    """The step sequence of a ``[transient]`` section."""
    largest = section.max_step if section.max_step is not None else section.end / 50.0
    return TimeSteps(section.end, section.initial_step, max(largest, section.initial_step),
                     section.growth, section.tolerance)


def _write_series(result, transient, folder: Path, limits: dict, title: str,
                  images: bool) -> dict:
    """``transient.csv`` (per record: time, chip peak temperatures and powers, outlet and inlet
    temperature, coolant heat, inlet mass flow) and ``images/transient.png`` of a plate run into
    ``folder``; the per-chip entry of the summary (peak, its time, final, limit, first time at
    the limit)."""
    powers = {name: np.asarray(transient.powers[name](result.times)) for name in
              result.chip_temperature}
    rows = result.rows()
    for index, row in enumerate(rows):
        t = float(result.times[index])
        row.update({f"{name}_power_W": float(p[index]) for name, p in powers.items()})
        row["inlet_temperature_K"] = transient.inlet_temperature(t)
        row["inlet_mass_flow_kg_per_s"] = transient.inlet_mass_flow(t)
    write_csv(folder / "transient.csv", rows)
    if images:
        image = folder / "images" / "transient.png"
        image.parent.mkdir(parents=True, exist_ok=True)
        inlet = np.array([row["inlet_temperature_K"] for row in rows]) - ZERO_CELSIUS
        flow = np.array([row["inlet_mass_flow_kg_per_s"] for row in rows])
        # the inputs that change, each in its own panel (flow in L/min at the inlet density)
        varying = {}
        if np.ptp(inlet) > 0.0:
            varying["inlet temperature [C]"] = inlet
        if np.ptp(flow) > 0.0:
            varying["inlet flow [L/min]"] = flow / transient.plate.density * LPM
        # the powers when one changes, or when nothing else does
        changing = {n: p for n, p in powers.items() if np.ptp(p) > 0.0}
        plot_chip_temperatures(result.times, result.chip_temperature, limits, image, title,
                               power=changing or (None if varying else powers),
                               inputs=varying)
    chips = {}
    for name, values in result.chip_temperature.items():
        peak = int(np.argmax(values))
        limit = limits.get(name)
        case = result.case_temperature.get(name)
        chips[name] = {"peak_temperature_K": float(values[peak]),
                       "peak_time_s": float(result.times[peak]),
                       "peak_case_temperature_K": None if case is None else float(case.max()),
                       "final_temperature_K": float(values[-1]),
                       "limit_temperature_K": limit,
                       "time_to_limit_s": None if limit is None else first_crossing(
                           result.times, values, limit)}
    return chips


def replay_plate(plate_case, outcome, plate: str, folder: Path, backend,
                 images: bool = True, fields_every: int = 10):
    """Run a rack plate in 3D along its history in a network scenario.

    The plate's case is solved steadily at the scenario's t = 0 flow, inlet temperature and
    power, then in time (:class:`PlateTransient`) with its inlet temperature and flow sampled
    from the network run and its power following the scenario; writes ``transient.csv``,
    ``images/transient.png`` and a ``transient.pvd`` field series into ``folder``.

    Returns
    -------
    entry : dict
        ``plate``, the chips' entries (peak, its time, time to limit), the energy audit, steps
        and seconds.
    run : solver.models.coldplate.transient.PlateTransientResult
        The plate's histories (its coolant heat [W] for :func:`replay_and_correct`).
    """
    start_clock = time.perf_counter()
    result = outcome.result
    index = result.network.branch_index(plate)
    branch = result.network.branches[index]
    times = result.time
    # the network's upwind plate cell: its inlet temperature [K] and mass flow [kg/s]
    inlet = Sampled(tuple(times), tuple(result.inlet_temperature[:, index]))
    mass_flow = Sampled(tuple(times), tuple(result.mass_flow[:, index]))
    power = as_schedule(outcome.powers.get(plate, branch.power))
    power0 = float(power(0.0))
    density = float(plate_case.coolant_material().density(inlet(0.0)))
    variant = with_inlet_flow(case_at(plate_case, inlet(0.0), power0), mass_flow(0.0) / density)
    model = build_solid_model(variant, backend)
    cold_plate = from_case(variant, model)
    cold_plate.solve()
    shares = {name: p / power0 for name, p in model.chip_powers.items()} if power0 > 0 else {}
    inputs = PlateInputs({name: share * power for name, share in shares.items()}, inlet,
                         mass_flow)
    transient = PlateTransient(cold_plate, inputs)
    transient.energy.settle(0.0)
    folder.mkdir(parents=True, exist_ok=True)
    series: list[tuple[float, str]] = []

    def write_field(energy, history, due) -> None:
        if history.steps % fields_every == 0:
            name = f"fields_{history.steps:06d}.vtr"
            (folder / "fields").mkdir(exist_ok=True)
            write_rectilinear(folder / "fields" / name, cold_plate.grid, {
                "temperature": backend.to_host(energy.temperature),
                "body_id": model.body_ids}, body_names=model.body_names)
            series.append((energy.time, f"fields/{name}"))

    dt = float(np.min(np.diff(times))) if times.size > 1 else times[-1]
    steps = TimeSteps(float(times[-1]), min(0.01, dt), dt, 1.3)
    run = transient.run(steps, None, write_field if fields_every else None, 1)
    if fields_every:
        write_time_series(folder / "transient.pvd", series)
    chips = _write_series(run, transient, folder, model.chip_limits,
                          f"{plate} in 3D: {outcome.label}", images)
    return {"plate": plate, "chips": chips, "steps": run.history.steps,
            "energy_audit_relative_error": run.audit.relative_error,
            "seconds": time.perf_counter() - start_clock}, run


def replay_hottest_plates(outcome, plate_cases: dict, count: int, folder: Path, backend,
                          images: bool = True) -> list[tuple[dict, object]]:
    """Run the ``count`` hottest plates of a rack scenario that have a 3D case (plate group ->
    Case in ``plate_cases``) again in 3D along their histories (:func:`replay_plate`), each
    into ``folder/<scenario>/<plate>/``; returns each one's entry, with the network's chip peak
    [K] beside the 3D ones, and its histories."""
    result = outcome.result
    peaks = result.chip_temperature.max(axis=0)
    # hottest first; identical parallel plates tie exactly, the first listed goes first (as
    # the scenario row's hottest chip)
    hottest = [i for i in np.argsort(-peaks, kind="stable")
               if group_of(result.plates[i]) in plate_cases][:count]
    replays = []
    for i in hottest:
        plate = result.plates[i]
        entry, run = replay_plate(plate_cases[group_of(plate)], outcome, plate,
                                  folder / scenario_folder(outcome.label) / plate, backend,
                                  images)
        entry["network_peak_temperature_K"] = float(peaks[i])
        replays.append((entry, run))
    return replays


def replay_and_correct(outcome, plate_cases: dict, count: int, folder: Path, backend,
                       rerun=None, images: bool = True,
                       tolerance: float = CORRECTION_TOLERANCE, max_passes: int = 3):
    """Replay a scenario's hottest plates in 3D and correct the network with them.

    Each pass replays the ``count`` hottest plates (:func:`replay_hottest_plates`) and, with
    ``rerun``, runs the network scenario again with those plates' coolant heat in time taken
    from their 3D solves (``rerun(coolant_heat)``, plate name -> Schedule [W]; the 3D plate
    stores part of a power step in its solids and hands it to the coolant later, where the
    network's plate is a lumped cell). Passes stop when no replayed plate's inlet temperature
    history moved by more than ``tolerance`` [K] at any time (the replays then stand for the
    corrected network), or after ``max_passes``.

    Returns
    -------
    outcome : TransientOutcome
        The corrected network run (``outcome`` itself without ``rerun``).
    entries : list of dict
        The replays' entries (:func:`replay_plate`).
    correction : dict or None
        ``passes``, ``largest_inlet_change_K`` of the last pass and ``converged``; None without
        ``rerun``.
    """
    passes = 0
    while True:
        replays = replay_hottest_plates(outcome, plate_cases, count, folder, backend, images)
        passes += 1
        if rerun is None or not replays:
            return outcome, [entry for entry, _ in replays], None
        heat = {entry["plate"]: Sampled(tuple(run.times), tuple(run.coolant_heat))
                for entry, run in replays}
        corrected = rerun(heat)
        network = outcome.result.network
        columns = [network.branch_index(plate) for plate in heat]
        change = float(np.max(np.abs(corrected.result.inlet_temperature[:, columns]
                                     - outcome.result.inlet_temperature[:, columns])))
        outcome = corrected
        if change < tolerance or passes >= max_passes:
            return outcome, [entry for entry, _ in replays], {
                "passes": passes, "largest_inlet_change_K": change,
                "converged": change < tolerance}


def run_plate_transient(case, plate, result_dir, quiet: bool = False,
                        resume: bool = False) -> dict:
    """Run the plate of ``case`` (its steady flow solved) through ``[transient]``; write the
    results into ``result_dir`` and return the summary entry."""
    section = case.transient
    start_clock = time.perf_counter()
    inputs = plate_inputs(case, plate)
    # the [transient] table is outside the case hash of the steady solve: an edited schedule
    # makes the transient checkpoint stale too
    digest = hash_case({"case": case_hash(case), "transient": section.model_dump(mode="json")})
    checkpoint_path = result_dir.transient_checkpoint
    resuming = resume and checkpoint_path.is_file()
    if resuming:
        arrays, metadata = load_checkpoint(checkpoint_path, digest, case.name)
    # the starting field fixes the heat capacities of the run: a resume takes the saved one
    start = (plate.inlet_temperature if section.start == "inlet"
             else arrays.get("start_temperature", plate.temperature) if resuming
             else plate.temperature.copy())
    transient = PlateTransient(plate, inputs, temperature=plate.xp.asarray(start),
                               flow=section.flow,
                               flow_settings=TimeSettings(cfl=section.flow_courant))
    energy = transient.energy
    flow = transient.flow_in_time
    history = None
    if resuming:
        try:
            energy.load_state({"temperature": arrays["temperature"], "time": metadata["time"],
                               "audit": metadata["audit"]})
            if flow is not None:
                flow.load_state({**arrays, **metadata["flow"]})
            history = TransientHistory(metadata["times"], metadata["records"],
                                       metadata["steps"], rejected=metadata.get("rejected", 0),
                                       step=metadata.get("step"),
                                       proposed_step=metadata.get("proposed_step"))
        except (KeyError, ValueError, TypeError) as error:
            raise CheckpointError(f"--resume: {checkpoint_path} holds no usable state of this "
                                  f"transient ({type(error).__name__}: {error}); run without "
                                  "--resume to start from scratch") from None
    elif section.start == "steady":
        energy.settle(0.0)
    steps = time_steps(section)
    backend = plate.backend
    folder = Path(result_dir.path) / "transient"
    series: list[tuple[float, str]] = [] if history is None else [
        tuple(entry) for entry in metadata.get("series", [])]

    def write_field(step: int) -> None:
        folder.mkdir(exist_ok=True)
        name = f"fields_{step:06d}.vtr"
        write_rectilinear(folder / name, plate.grid, {
            "temperature": backend.to_host(energy.temperature),
            "body_id": plate.model.body_ids}, body_names=plate.model.body_names)
        series.append((energy.time, f"transient/{name}"))

    last = {}  # the state and records of the last step done (for an interrupt)

    def save(state: dict, flow_state, history_now) -> None:
        arrays, flow_scalars = {"temperature": state["temperature"]}, None
        if np.ndim(start):
            arrays["start_temperature"] = start
        if flow_state is not None:
            arrays.update({k: flow_state[k] for k in ("u", "v", "w", "pressure")})
            flow_scalars = {k: flow_state[k] for k in ("time", "settled", "factor")}
        save_checkpoint(checkpoint_path, arrays,
                        {"case_hash": digest, "case": case.name, "time": state["time"],
                         "audit": state["audit"], "steps": history_now.steps,
                         "times": history_now.times, "records": history_now.records,
                         "rejected": history_now.rejected, "step": history_now.step,
                         "proposed_step": history_now.proposed_step, "series": series,
                         "flow": flow_scalars}, backend)

    clock = CheckpointClock(case.output.checkpoint_seconds)

    def checkpoint(energy_now, history_now, due) -> None:
        """After each step: fields every ``fields_every`` steps; a checkpoint every
        ``checkpoint_every`` steps, on a breakpoint of the inputs (``due``) or when the clock
        says so; on a stop request (SIGINT, SIGTERM) a checkpoint and the stop."""
        step = history_now.steps
        last.update(state=energy_now.state(), history=history_now)
        if section.fields_every and step % section.fields_every == 0:
            write_field(step)
        if STOP.pending or (case.output.checkpoint and (due or clock.due)):
            save(last["state"], None if flow is None else flow.state(), history_now)
            clock.restart()
        if STOP.pending:
            raise Interrupted(stopped_message(f"stopped at t = {energy_now.time:.6g} s of the "
                                              "transient", checkpoint_path, case, result_dir),
                              STOP.answered())

    progress = Progress(1.0, quiet=quiet, counter="step")
    progress.message(f"transient: to {section.end:g} s from {energy.time:g} s, steps "
                     f"{steps.initial:g} s growing by {steps.growth:g} to {steps.largest:g} s")
    try:
        with STOP.polled():
            result = transient.run(steps, progress, checkpoint, section.checkpoint_every,
                                   history)
    except Interrupted:
        raise
    except KeyboardInterrupt:
        if not last:
            raise
        # Ctrl-C without the command line's handler: the last step done (the interrupted one
        # is dropped), its flow too
        state = last["state"]
        save(state, None if flow is None else flow.state_at(state["time"]), last["history"])
        raise Interrupted(stopped_message(f"interrupted at t = {state['time']:.6g} s of the "
                                          "transient", checkpoint_path, case, result_dir)
                          ) from None
    progress.done(f"transient: {result.history.steps} steps to {result.times[-1]:g} s")
    if section.fields_every:
        if not series or series[-1][0] != energy.time:
            write_field(result.history.steps)
        write_time_series(Path(result_dir.path) / "transient.pvd", series)
    chips = _write_series(result, transient, Path(result_dir.path), plate.model.chip_limits,
                          f"{case.name}: chips in time", case.output.write_images)
    return {"end_s": float(result.times[-1]), "steps": result.history.steps,
            "start": section.start, "flow": section.flow if flow is not None else "frozen",
            "flow_steps": 0 if flow is None else flow.flow_steps, "chips": chips,
            "energy_audit_relative_error": result.audit.relative_error,
            "stored_energy_change_J": result.audit.stored_change,
            "heat_in_J": result.audit.heat_in,
            "seconds": time.perf_counter() - start_clock}

