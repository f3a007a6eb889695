"""Checkpoints a kill cannot beat (issue 15, item 6): what a resume continues from is the whole
state of the solve, so a run stopped anywhere and resumed gives the uninterrupted run's figures
bit for bit; SIGINT and SIGTERM write a last checkpoint and say how to resume; checkpoints come
at each pass boundary and on the wall clock too; every unusable checkpoint is one line, exit 2.

Why bit for bit can be asked: the iteration is deterministic (NumPy on one thread) and the
checkpoint holds every quantity the next iteration reads (velocities, pressure, temperature,
the frozen velocity-correction coefficients of the pressure operator and the coefficients its
multigrid structure was set up for, the reuse counters, the coarse levels of nonlinear multigrid,
the monitor windows, the pass under way, the coupling state, the temperature the properties
were taken at; for transients the step controller's last and proposed step and the starting
field of the heat capacities). A missing one shows: without the pressure operator's
coefficients the resumed figures drift by round-off, and these tests fail.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from solver.case.loading import load_case
from solver.cli import main
from solver.models.coldplate.model import ColdPlate
from solver.models.flow.simplec import FlowSolver
from solver.output.checkpoint import (
    STOP,
    CheckpointClock,
    Interrupted,
    load_checkpoint,
    save_checkpoint,
)
from solver.output.results import ResultDirectory
from solver.pipeline import run

ROOT = Path(__file__).resolve().parents[1]
PLATE = ROOT / "tests" / "models" / "data" / "small_chip_plate.toml"  # 5 coupled passes
UNIT_CELL = ROOT / "cases" / "coldplate_unit_cell.toml"  # run on nonlinear multigrid below


def figures(summary: dict) -> tuple:
    """The figures a resume must repeat: dp [Pa], R [K/W], peak temperature [K], and the flow
    iterations and passes it took."""
    flow = summary["flow"]
    peak = max(chip["max_temperature_K"] for chip in summary["chips"].values()) \
        if summary["chips"] else max(b["max_temperature_K"] for b in summary["bodies"].values())
    return (flow["pressure_drop_Pa"], flow["thermal_resistance_K_per_W"], peak,
            summary["solver"]["flow_iterations"], summary["solver"]["flow_method"]["passes"])


def _stop_at_iteration(monkeypatch, iteration: int, number=signal.SIGTERM) -> None:
    """A signal's stop request arrives during flow iteration ``iteration`` (as the command
    line's handler makes it)."""
    iterate = FlowSolver.iterate

    def iterate_and_signal(self):
        residuals = iterate(self)
        if self.iteration == iteration and not STOP.pending:
            STOP.request(number)
        return residuals

    monkeypatch.setattr(FlowSolver, "iterate", iterate_and_signal)


def _stopped_and_resumed(case, tmp_path, monkeypatch, stop) -> tuple[dict, dict, str, dict]:
    """The whole run's summary, the resumed one's, the stop message and the metadata of the
    checkpoint the stop left."""
    whole = run(case, backend="cpu", output=tmp_path / "whole", quiet=True)
    with monkeypatch.context() as patch:
        stop(patch)
        with pytest.raises(Interrupted) as stopped:
            run(case, backend="cpu", output=tmp_path / "cut", quiet=True)
    assert not STOP.pending
    _, metadata = load_checkpoint(ResultDirectory(tmp_path / "cut", case.name).checkpoint)
    resumed = run(case, backend="cpu", output=tmp_path / "cut", quiet=True, resume=True)
    return whole, resumed, str(stopped.value), metadata


@pytest.mark.parametrize("iteration", [1, 37, 100, 129])
def test_a_run_stopped_anywhere_resumes_to_the_same_figures(iteration, tmp_path, monkeypatch):
    """The small chip plate (5 coupled flow-energy passes, 130 iterations: 4 loose passes
    ending at iterations 45, 67, 88 and 109, then a full one) stopped by SIGTERM at flow
    iteration 1, 37 (pass 1), 100 (pass 4) and 129 (the last, full pass: the resume must know
    the passes converge fully from there) and resumed: dp, R, peak
    temperature, iterations and passes equal the uninterrupted run's exactly (tolerance 0; see
    the module docstring)."""
    case = load_case(PLATE)
    whole, resumed, message, _ = _stopped_and_resumed(
        case, tmp_path, monkeypatch, lambda patch: _stop_at_iteration(patch, iteration))
    assert message.startswith(f"stopped at flow iteration {iteration}; checkpoint ")
    assert figures(resumed) == figures(whole)


def test_a_stop_during_an_energy_solve_is_answered_at_the_pass_boundary(tmp_path, monkeypatch):
    """A signal during the energy solve of pass 1 is answered after it (no whole pass lost):
    the checkpoint holds pass 2 under way, and the resume repeats the figures exactly."""
    case = load_case(PLATE)
    solve_energy = ColdPlate._solve_energy

    def signalled(self, *args, **kwargs):
        result = solve_energy(self, *args, **kwargs)
        if self.monitors.pass_number == 1 and not STOP.pending:
            STOP.request(signal.SIGINT)
        return result

    def stop(patch):
        patch.setattr(ColdPlate, "_solve_energy", signalled)

    whole, resumed, message, metadata = _stopped_and_resumed(case, tmp_path, monkeypatch, stop)
    assert metadata["monitors"]["pass"] == 2 and metadata["monitors"]["flow_dp"] == []
    assert message.startswith(f"stopped at flow iteration {metadata['iteration']}; ")
    assert figures(resumed) == figures(whole)


def _variant(tmp_path: Path, output: str, flow: str = "") -> Path:
    """The small chip plate with its ``[output]`` (and ``[solver.flow]`` additions) replaced,
    written into ``tmp_path``."""
    text = PLATE.read_text().replace("max_iterations = 400", "max_iterations = 400\n" + flow)
    text = text.split("[output]")[0] + "[output]\n" + output
    path = tmp_path / "plate.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("seconds, interval, expected", [
    ("1e9", 0, "passes"), ("1 us", 0, "every iteration"), ("1e9", 50, "interval")])
def test_checkpoints_on_the_clock_the_interval_and_each_pass(seconds, interval, expected,
                                                            tmp_path, monkeypatch):
    """Whichever comes first: with neither clock nor interval due, one checkpoint per pass
    boundary (4 for 5 passes) and the final one; with a 1 us clock one after every flow
    iteration that does not end a pass's flow; with ``checkpoint_interval = 50`` those at
    iterations 50 and 100 besides (130 iterations)."""
    saved = []
    monkeypatch.setattr("solver.pipeline.save_checkpoint",
                        lambda path, arrays, metadata, backend: saved.append(metadata))
    case = load_case(_variant(tmp_path, f"write_images = false\nwrite_fields = false\n"
                                        f"checkpoint_seconds = \"{seconds}\"\n"
                              if " " in seconds else
                              f"write_images = false\nwrite_fields = false\n"
                              f"checkpoint_seconds = {seconds}\n",
                              f"checkpoint_interval = {interval}"))
    summary = run(case, backend="cpu", output=tmp_path, quiet=True)
    iterations = summary["solver"]["flow_iterations"]
    passes = summary["solver"]["flow_method"]["passes"]
    boundaries = [m["iteration"] for m in saved if m["monitors"]["flow_dp"] == []]
    assert len(boundaries) == passes - 1 and saved[-1]["iteration"] == iterations
    if expected == "passes":
        assert len(saved) == passes
    elif expected == "every iteration":
        # every iteration but the last of each pass's flow, plus boundaries and the final one
        assert len(saved) == (iterations - passes) + (passes - 1) + 1
    else:
        middle = sorted({m["iteration"] for m in saved} - set(boundaries) - {iterations})
        assert middle == [50, 100]


def test_checkpoint_clock_and_stop_requests():
    """The clock is due after its seconds; a stop request where nothing polls stops at once
    (SIGTERM: exit 143), where a run polls it waits for the run (SIGINT: 130); a second signal
    before the first is answered stops at once."""
    now = [0.0]
    clock = CheckpointClock(60.0, clock=lambda: now[0])
    now[0] = 59.9
    assert not clock.due
    now[0] = 60.0
    assert clock.due
    clock.restart()
    assert not clock.due
    with pytest.raises(Interrupted) as stopped:
        STOP.request(signal.SIGTERM)
    assert stopped.value.exit_code == 143 and not STOP.pending
    with STOP.polled():
        STOP.request(signal.SIGINT)
        assert STOP.pending
        with pytest.raises(Interrupted):
            STOP.request(signal.SIGINT)
        STOP.request(signal.SIGINT)
        assert STOP.answered() == signal.SIGINT == 130 - 128
    assert not STOP.pending


def test_handlers_are_the_command_lines_and_restored_after(tmp_path, capsys):
    """Importing coolsim installs no handler; ``main`` installs its own for SIGINT and SIGTERM
    only while a command runs and puts the previous ones back."""
    before = {n: signal.getsignal(n) for n in (signal.SIGINT, signal.SIGTERM)}
    import solver.cli  # noqa: F401 (already imported: its import changed nothing)

    seen = {}

    def spy(case, **kwargs):
        seen.update({n: signal.getsignal(n) for n in before})
        return {}

    from unittest import mock

    with mock.patch("solver.pipeline.run", spy):
        assert main(["run", str(PLATE), "--output", str(tmp_path), "--quiet"]) == 0
    assert all(handler not in (before[n], signal.SIG_DFL) for n, handler in seen.items())
    assert {n: signal.getsignal(n) for n in before} == before


# -- through the command line --------------------------------------------------------------

def _one_line_exit_2(case: Path, tmp_path: Path, capsys) -> str:
    code = main(["run", str(case), "--output", str(tmp_path), "--quiet", "--resume"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    (line,) = err.splitlines()
    return line


def _metadata_npz(path: Path, metadata: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        np.savez(handle, u=np.ones(3), __coolsim_metadata__=np.array(json.dumps(metadata)))


@pytest.mark.parametrize("kind", ["none", "truncated", "foreign", "version", "other case",
                                  "no plate state"])
def test_an_unusable_checkpoint_is_one_line_naming_it(kind, tmp_path, capsys):
    """No checkpoint, one cut short, a file that is no checkpoint, one of another checkpoint
    version, one of another case, one of this case without a plate state: each one line
    naming the file and what to do, exit 2, no traceback."""
    from solver.case.hashing import case_hash

    path = ResultDirectory(tmp_path, "small_chip_plate").checkpoint
    digest = case_hash(load_case(PLATE))
    if kind == "truncated":
        save_checkpoint(path, {"u": np.ones(1000)}, {"case_hash": digest})
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif kind == "foreign":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"PK\x03\x04 not a zip at all")
    elif kind == "version":
        _metadata_npz(path, {"format": "coolsim-checkpoint", "version": 99,
                             "case_hash": digest})
    elif kind == "other case":
        _metadata_npz(path, {"format": "coolsim-checkpoint", "version": 1,
                             "case_hash": "0" * 64, "case": "pin_fin_plate"})
    elif kind == "no plate state":
        save_checkpoint(path, {"u": np.ones(3)}, {"case_hash": digest,
                                                  "case": "small_chip_plate"})
    line = _one_line_exit_2(PLATE, tmp_path, capsys)
    assert line.startswith(f"{PLATE}: --resume: ")
    expected = {"none": f"no checkpoint at {path}",
                "truncated": f"{path} is not a readable checkpoint",
                "foreign": f"{path} is not a readable checkpoint",
                "version": f"{path} has checkpoint version 99, this coolsim reads version 1",
                "other case": f"{path} is a checkpoint of case 'pin_fin_plate', not of "
                              "'small_chip_plate'",
                "no plate state": f"{path} holds no usable state of this plate"}[kind]
    assert expected in line
    assert "without --resume" in line


def test_a_case_edited_since_its_checkpoint_is_refused(tmp_path, capsys):
    """The case file changed since the checkpoint (the chip power): one line saying so, exit 2."""
    case = _variant(tmp_path, "write_images = false\nwrite_fields = false\n")
    assert main(["run", str(case), "--output", str(tmp_path / "out"), "--quiet"]) == 0
    capsys.readouterr()
    case.write_text(case.read_text().replace('power = "50 W"', 'power = "60 W"'))
    line = _one_line_exit_2(case, tmp_path / "out", capsys)
    assert "the case file changed since the checkpoint; refusing to resume" in line
    assert str(ResultDirectory(tmp_path / "out", "small_chip_plate").checkpoint) in line


@pytest.mark.parametrize("damage", ["truncated", "schedule edited"])
def test_a_damaged_or_stale_transient_checkpoint_is_one_line(damage, tmp_path, capsys):
    """The transient's own checkpoint cut short, or the ``[transient]`` table edited since it
    was written (outside the steady solve's case hash, so only the transient checkpoint goes
    stale): one line naming it, exit 2."""
    case = _variant(tmp_path, "write_images = false\nwrite_fields = false\n")
    case.write_text(case.read_text() + '\n[transient]\nend = "0.2 s"\n')
    assert main(["run", str(case), "--output", str(tmp_path / "out"), "--quiet"]) == 0
    capsys.readouterr()
    path = ResultDirectory(tmp_path / "out", "small_chip_plate").transient_checkpoint
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    else:
        case.write_text(case.read_text().replace('end = "0.2 s"', 'end = "0.3 s"'))
    line = _one_line_exit_2(case, tmp_path / "out", capsys)
    assert f"--resume: {path} " + ("is not a readable checkpoint" if damage == "truncated"
                                   else "was written for a different case") in line


# -- real signals to a real process -------------------------------------------------------------

# the command line with every flow iteration slowed by ``COOLSIM_TEST_DELAY`` seconds, so that a
# signal lands in the middle of the iterations (the figures do not depend on the pace)
SLOWED = """
import os, sys, time
from solver.models.flow.simplec import FlowSolver
iterate, delay = FlowSolver.iterate, float(os.environ["COOLSIM_TEST_DELAY"])
def slowed(self):
    time.sleep(delay)
    return iterate(self)
FlowSolver.iterate = slowed
from solver.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _start(case: Path, output: Path, delay: float, *extra) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1",
           "COOLSIM_TEST_DELAY": str(delay)}
    return subprocess.Popen([sys.executable, "-c", SLOWED, "run", str(case), "--output",
                             str(output), "--quiet", *extra], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _stamp(path: Path) -> int | None:
    """When ``path`` was last written [ns] (None: not there)."""
    return path.stat().st_mtime_ns if path.is_file() else None


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 60.0,
              old: int | None = None) -> None:
    """Until ``process`` wrote ``path`` (anew, when it was there at ``old``)."""
    end = time.monotonic() + timeout
    while _stamp(path) in (None, old):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < end, "no checkpoint"
        time.sleep(0.02)


def _summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text())


@pytest.mark.parametrize("number, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_to_a_running_process_checkpoints_and_resume_finishes_it(number, code,
                                                                          tmp_path):
    """SIGTERM (``kill``) or SIGINT (Ctrl-C) to ``coolsim run`` once its first checkpoint
    exists: exit 143 or 130 with one line naming the checkpoint and the exact command that
    resumes; that command then ends with the uninterrupted run's figures exactly."""
    case = _variant(tmp_path, "write_images = false\nwrite_fields = false\n")
    whole = figures(run(load_case(case), backend="cpu", output=tmp_path / "whole", quiet=True))
    output = tmp_path / "out"
    checkpoint = ResultDirectory(output, "small_chip_plate").checkpoint
    process = _start(case, output, 0.02)
    _wait_for(checkpoint, process)
    process.send_signal(number)
    out, err = process.communicate(timeout=60)
    assert process.returncode == code, err
    (line,) = err.splitlines()
    command = f"coolsim run {case} --output {output} --resume"
    assert line.startswith("coolsim: stopped at flow iteration ")
    assert line.endswith(f"; checkpoint {checkpoint}; continue with: {command}")
    resumed = subprocess.run([sys.executable, "-m", "solver.cli", *command.split()[1:],
                              "--quiet"], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT),
                                  "OPENBLAS_NUM_THREADS": "1"}, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert figures(_summary(output / "small_chip_plate")) == whole


@pytest.mark.slow
@pytest.mark.parametrize("case_path, delay, kills", [(PLATE, 0.02, 5), (UNIT_CELL, 0.0, 3)],
                         ids=["small_chip_plate", "unit_cell_multigrid"])
def test_kill_9_at_random_points_then_resume_gives_the_same_figures(case_path, delay, kills,
                                                                    tmp_path):
    """kill -9 (no handler, no last checkpoint) at random times after the first checkpoint
    exists, again and again on the same results folder, each time resumed from whatever
    checkpoint survived (written atomically: never half a file); the run finished that way
    ends with the uninterrupted run's dp, R, peak temperature, iterations and passes exactly
    (or, when a kill fell after the solve had finished, in the write phase, as a resume of a
    finished solve does: dp and iterations exactly, the peak within the energy solve's 1e-3 K).
    Checkpoints come every 0.2 s of wall time here."""
    rng = random.Random(15)
    text = case_path.read_text()
    if case_path == UNIT_CELL:  # the cycles' checkpoints ('auto' takes the single grid here)
        text = text.replace("[solver.flow]\n", '[solver.flow]\nmethod = "multigrid"\n', 1)
        assert 'method = "multigrid"' in text
    body = text.split("[output]")[0] if "[output]" in text else text
    case = tmp_path / case_path.name
    case.write_text(body + "\n[output]\nwrite_images = false\nwrite_fields = false\n"
                           "checkpoint_seconds = 0.2\n")
    whole = figures(run(load_case(case), backend="cpu", output=tmp_path / "whole", quiet=True))
    output = tmp_path / "out"
    checkpoint = ResultDirectory(output, load_case(case).name).checkpoint
    resume = ()
    resumed_at = []  # the flow iteration each resume started from
    finished = None  # whether the last resume started from a finished solve
    while True:
        old = _stamp(checkpoint)
        process = _start(case, output, delay, *resume)
        if len(resumed_at) < kills:
            _wait_for(checkpoint, process, old=old)
            time.sleep(rng.uniform(0.0, 1.5))
            if process.poll() is None:
                process.kill()
                process.communicate()
                metadata = load_checkpoint(checkpoint)[1]
                resumed_at.append(metadata["iteration"])
                finished = metadata["monitors"]["finished"]
                resume = ("--resume",)
                continue
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        break
    # each kill came after a new checkpoint: every resume starts further on
    assert resumed_at and resumed_at == sorted(set(resumed_at))
    assert 0 < resumed_at[0] < whole[3]
    got = figures(_summary(output / load_case(case).name))
    if finished:
        assert (got[0], got[3]) == (whole[0], whole[3]) and abs(got[2] - whole[2]) < 1e-3
    else:
        assert got == whole


def test_a_stop_during_the_last_energy_solve_keeps_the_solve(tmp_path, monkeypatch):
    """A signal during the energy solve of the last pass stops the run after it, before its
    results are written; the checkpoint marks the solve finished, and the resume writes them
    without iterating the flow again: dp and the iterations equal the uninterrupted run's
    exactly; the energy equation is solved once more from the converged temperature, so the
    peak temperature agrees within the energy solve's tolerance (``temperature_tolerance``,
    1e-3 K) and R within that over the chip power."""
    case = load_case(PLATE)
    solve_energy = ColdPlate._solve_energy

    def signalled(self, *args, **kwargs):
        result = solve_energy(self, *args, **kwargs)
        if self.monitors.pass_number == 5 and not STOP.pending:
            STOP.request(signal.SIGTERM)
        return result

    whole, resumed, message, metadata = _stopped_and_resumed(
        case, tmp_path, monkeypatch,
        lambda patch: patch.setattr(ColdPlate, "_solve_energy", signalled))
    assert message.startswith("stopped after the last pass of the solve; checkpoint ")
    assert metadata["monitors"]["finished"] is True
    (dp, r, peak, iterations, passes), (dp2, r2, peak2, iterations2, _) = (
        figures(whole), figures(resumed))
    assert (dp2, iterations2) == (dp, iterations) and passes == 5
    tolerance = 1e-3  # [K] temperature_tolerance of the energy solve (ColdPlateSettings)
    assert abs(peak2 - peak) < tolerance and abs(r2 - r) < tolerance / 50.0


def test_a_checkpoint_of_an_older_version_restores_the_pressure_counters():
    """The pressure hierarchy's counters in a checkpoint: since stop 32 floats with NaN for
    None, and the last convergence factor among them (a resumed flow plans its first residual
    check from it); an older checkpoint's -1 for None and missing factor are read as None."""
    from solver.backend import CPU
    from solver.grid import Grid
    from tests.models.test_flow import MU, RHO, channel_boundaries

    def channel():
        x, y, z = np.linspace(0, 4e-3, 13), np.linspace(0, 1e-3, 7), np.linspace(0, 1e-3, 7)
        return FlowSolver(Grid(x, y, z, backend=CPU), np.ones((12, 6, 6), bool),
                          channel_boundaries(False), RHO, MU)

    solver = channel()
    solver.start()
    for _ in range(3):
        solver.iterate()
    state = solver.restart_state()
    counters = solver._pressure.state()
    assert counters["last_factor"] is not None
    resumed = channel()
    resumed.load_restart_state(state)
    assert resumed._pressure.state() == counters
    older = {key: value for key, value in state.items() if key != "pressure_setup_last_factor"}
    older["pressure_setup_first_iterations"] = np.array(-1)
    resumed = channel()
    resumed.load_restart_state(older)
    assert resumed._pressure.state() == {"first_iterations": None,
                                         "setup_due": counters["setup_due"],
                                         "last_factor": None}
