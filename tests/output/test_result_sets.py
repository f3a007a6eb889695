"""Result sets are atomic (issue 15, item 5; solver/output/result_set.py, docs/results.md):
a run's files go to a staging folder switched into place at the end, ``result_set.json`` ties
every file to one run, a kill at any point leaves the old complete set or the new one (after
the repair the next run or ``show`` makes), a full or read-only disk keeps the previous set and
says so in one line, and another case's results are not replaced without ``--overwrite``.

The kill tests run the real command line in a subprocess (``python -m solver.cli run``) on the
copper box of tests/box_case.py (a conduction solve of 3,600 cells: about a second) and kill it
with SIGKILL: at random times, at random times after its first result file appears (the write
phase), and at each step of the switch (through a hook that SIGKILLs the process at the n-th
rename of the switch, so every state between the renames is reached, not only the likely ones).
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from box_case import box_case  # noqa: E402 (tests/ on the path)

from solver.cli import main
from solver.output.result_set import MANIFEST, repair, verify
from solver.output.results import ResultDirectory

ROOT = Path(__file__).resolve().parents[2]
NO_PICTURES = '[output]\nwrite_images = false\n'


def _write_case(folder: Path, power: str = "1 kW", name: str = "box.toml") -> Path:
    """The box case in ``folder/name`` (case name: the file's stem), chip power ``power``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(box_case(power=power, extra=NO_PICTURES))
    return path


def _run_id(folder: Path) -> str:
    return json.loads((folder / MANIFEST).read_text())["run_id"]


def _leftovers(root: Path) -> list[str]:
    """Hidden staging/replaced/interrupted folders and temporary files under ``root``."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.name.startswith(".") and (".staging-" in p.name or ".replaced-" in p.name
                                                 or ".interrupted-" in p.name
                                                 or ".tmp" in p.name))


def _names_no_staging_folder(folder: Path) -> bool:
    """No file of the set names a staging folder (paths written while the run wrote there)."""
    return not any(b".staging-" in p.read_bytes() for p in folder.rglob("*") if p.is_file())


def _cli(*args: str, hook: str = "") -> subprocess.Popen:
    """``python -m solver.cli ARGS`` (after ``hook``, Python run first) in a subprocess."""
    code = f"{hook}\nimport sys\nfrom solver.cli import main\nsys.exit(main({list(args)!r}))"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _run_to_end(case: Path, output: Path, *extra: str) -> tuple[int, str]:
    process = _cli("run", str(case), "--output", str(output), "--quiet", *extra)
    _, err = process.communicate(timeout=120)
    return process.returncode, err.decode()


# -- one run, one set ---------------------------------------------------------------------------
def test_a_run_writes_one_complete_set_tied_to_its_run(tmp_path, capsys):
    """The set holds ``result_set.json`` with the run id, case file and hash, and every file's
    size and SHA-256; ``summary.json`` carries the same run id; no file names the staging
    folder; nothing else is left under the root; ``show`` checks the set."""
    case = _write_case(tmp_path)
    assert main(["run", str(case), "--output", str(tmp_path / "out"), "--quiet"]) == 0
    folder = tmp_path / "out" / "box"
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["case_file"] == str(case) and len(manifest["case_hash"]) == 64
    assert set(manifest["files"]) == {"fields.vtr", "fields.vtk", "summary.json",
                                      "summary.txt", "report.md", "report.html"}
    assert json.loads((folder / "summary.json").read_text())["run_id"] == manifest["run_id"]
    assert verify(folder) == []
    assert _names_no_staging_folder(folder)
    assert os.listdir(tmp_path / "out") == ["box"]
    capsys.readouterr()
    assert main(["show", str(folder), "--no-window"]) == 0
    # a file changed after the run, one missing, one added: show names the set as not complete
    (folder / "summary.txt").write_text("edited\n")
    assert verify(folder) == [f"{folder / 'summary.txt'}: 7 bytes, the set has "
                              f"{manifest['files']['summary.txt']['size']}"]
    (folder / "report.md").unlink()
    (folder / "stray.csv").write_text("x\n")
    problems = verify(folder)
    assert f"{folder / 'report.md'}: missing" in problems
    assert f"{folder / 'stray.csv'}: not part of run {manifest['run_id']}" in problems
    capsys.readouterr()
    assert main(["show", str(folder), "--no-window"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{folder}: not one complete result set: ")


def test_a_failed_write_keeps_the_previous_set_and_leaves_nothing(tmp_path, capsys,
                                                                    monkeypatch):
    """A write that raises half-way through the set (after the fields, at the summary: a full
    disk simulated with ENOSPC): one line, exit 1, the previous set as it was, no staging
    folder or temporary file; the next run writes its set."""
    case = _write_case(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(case), "--output", str(out), "--quiet"]) == 0
    before = _run_id(out / "box")
    from solver import pipeline

    def full_disk(folder, summary):
        (Path(folder.path) / "summary.json").write_text("{\"partial")
        raise OSError(errno.ENOSPC, "No space left on device", str(folder.summary))

    monkeypatch.setattr(pipeline, "write_summary", full_disk)
    _write_case(tmp_path, power="2 kW")
    capsys.readouterr()
    assert main(["run", str(case), "--output", str(out), "--quiet"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (f"{case}: run failed: could not write the results into {out / 'box'}: No "
                    "space left on device; the previous results there are kept")
    assert _run_id(out / "box") == before and verify(out / "box") == []
    assert _leftovers(out) == []
    monkeypatch.undo()
    assert main(["run", str(case), "--output", str(out), "--quiet"]) == 0
    assert _run_id(out / "box") != before and verify(out / "box") == []


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path, capsys, monkeypatch):
    """A results root where no folder can be made (EACCES, as a read-only folder gives; root
    ignores permissions, so the error is raised for it): one line, exit 1, previous set kept."""
    case = _write_case(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(case), "--output", str(out), "--quiet"]) == 0
    before = _run_id(out / "box")
    real_mkdir = os.mkdir

    def denied(path, *args, **kwargs):
        if str(path).startswith(str(out)):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", denied)
    capsys.readouterr()
    assert main(["run", str(case), "--output", str(out), "--quiet"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (f"{case}: run failed: cannot write results into {out}: Permission denied; "
                    f"the previous results in {out / 'box'} are kept")
    assert _run_id(out / "box") == before and verify(out / "box") == [] and \
        _leftovers(out) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root ignores folder permissions (the EACCES test above covers it)")
def test_a_read_only_folder_keeps_the_previous_set(tmp_path, capsys):
    """chmod a-w on the results root and the set: one line, exit 1, the set intact."""
    case = _write_case(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(case), "--output", str(out), "--quiet"]) == 0
    before = _run_id(out / "box")
    for path in (out / "box", out):
        path.chmod(0o555)
    try:
        capsys.readouterr()
        assert main(["run", str(case), "--output", str(out), "--quiet"]) == 1
        (line,) = capsys.readouterr().err.splitlines()
        assert "Permission denied" in line and "previous results" in line
    finally:
        for path in (out, out / "box"):
            path.chmod(0o755)
    assert _run_id(out / "box") == before and verify(out / "box") == []


def _mount_tmpfs(folder: Path, size: str) -> bool:
    if os.name != "posix" or os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True)
    return done.returncode == 0


def test_a_full_disk_keeps_the_previous_set(tmp_path):
    """A 256 kB tmpfs holds one set of the box (about 130 kB in 4 kB pages) but not a second
    beside it: the second run fails with one line naming the full disk, exit 1; the first set
    is intact and nothing partial is left. Skipped where no tmpfs can be mounted."""
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "256k"):
        pytest.skip("mounting a tmpfs needs root and mount(8) with CAP_SYS_ADMIN here")
    try:
        case = _write_case(tmp_path)
        code, err = _run_to_end(case, disk)
        assert code == 0, err
        before = _run_id(disk / "box")
        _write_case(tmp_path, power="2 kW")
        code, err = _run_to_end(case, disk)
        assert code == 1
        (line,) = err.splitlines()
        assert line.startswith(f"{case}: run failed: could not write the results into "
                               f"{disk / 'box'}: No space left on device")
        assert _run_id(disk / "box") == before and verify(disk / "box") == []
        assert _leftovers(disk) == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)


# -- another case, same name ----------------------------------------------------------------
def test_another_case_with_the_same_name_is_refused_unless_overwrite(tmp_path, capsys):
    """Two case files named box.toml in different folders with different contents: the second
    is refused before solving (one line naming the folder and --overwrite, exit 2, the first
    set intact); the first file edited replaces its own results without the flag; the same
    contents from another path are the same case; --overwrite replaces."""
    first = _write_case(tmp_path / "a")
    second = _write_case(tmp_path / "b", power="2 kW")
    out = tmp_path / "out"
    assert main(["run", str(first), "--output", str(out), "--quiet"]) == 0
    before = _run_id(out / "box")
    capsys.readouterr()
    assert main(["run", str(second), "--output", str(out), "--quiet"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (f"{second}: {out / 'box'}: holds the results of another case with the same "
                    f"name ({first}); choose another --output or pass --overwrite to replace "
                    "them")
    assert _run_id(out / "box") == before and _leftovers(out) == []
    _write_case(tmp_path / "a", power="3 kW")  # the same file edited: its results replaced
    assert main(["run", str(first), "--output", str(out), "--quiet"]) == 0
    edited = _run_id(out / "box")
    shutil.copy(first, second)  # another path, the same case: replaced
    assert main(["run", str(second), "--output", str(out), "--quiet"]) == 0
    _write_case(tmp_path / "b", power="2 kW")
    assert main(["run", str(second), "--output", str(out), "--quiet", "--overwrite"]) == 0
    manifest = json.loads((out / "box" / MANIFEST).read_text())
    assert manifest["case_file"] == str(second) and manifest["run_id"] != edited
    assert verify(out / "box") == []


def test_cases_in_memory_replace_each_other_but_not_a_case_files(tmp_path):
    """Two cases built in memory (no file) with the same name are the same case (a script
    changing its case between runs); a case file with that name is another case."""
    import tomllib

    from solver.case import case_from_dict, load_case
    from solver.output.result_set import ResultFolderError
    from solver.pipeline import run

    def in_memory(power):
        return case_from_dict(tomllib.loads(box_case(power=power, extra=NO_PICTURES)))

    out = tmp_path / "out"
    run(in_memory("1 kW"), output=out, quiet=True)
    run(in_memory("2 kW"), output=out, quiet=True)
    assert _power(out / "case") == pytest.approx(2000.0) and verify(out / "case") == []
    with pytest.raises(ResultFolderError, match="--overwrite"):
        run(load_case(_write_case(tmp_path, power="3 kW", name="case.toml")), output=out,
            quiet=True)


def test_a_folder_of_other_files_is_refused(tmp_path, capsys):
    """A results folder that holds files that are no coolsim results: refused, exit 2."""
    case = _write_case(tmp_path)
    (tmp_path / "out" / "box").mkdir(parents=True)
    (tmp_path / "out" / "box" / "thesis.tex").write_text("x")
    assert main(["run", str(case), "--output", str(tmp_path / "out"), "--quiet"]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (tmp_path / "out" / "box" / "thesis.tex").read_text() == "x"


# -- stale files and checkpoints --------------------------------------------------------------
def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_staging_and_temporary_files_are_cleaned_but_not_a_live_runs(tmp_path):
    """At the start of a run: a staging folder and a temporary file of a process that is gone
    are removed; those of a live process (here: this test's) stay."""
    case = _write_case(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    dead, live = _dead_pid(), os.getpid()
    stale = out / f".box.staging-20260101T000000Z-{dead}-abcdef"
    running = out / f".box.staging-20260101T000000Z-{live}-abcdef"
    for folder in (stale, running):
        folder.mkdir()
        (folder / "fields.vtr").write_text("half")
    stale_tmp = out / f".box.checkpoint.npz.{dead}.k2j4h5g6.tmp"
    live_tmp = out / f".box.checkpoint.npz.{live}.k2j4h5g6.tmp"
    stale_tmp.write_text("x")
    live_tmp.write_text("x")
    assert main(["run", str(case), "--output", str(out), "--quiet"]) == 0
    assert not stale.exists() and not stale_tmp.exists()
    assert running.is_dir() and live_tmp.is_file()


def test_a_finished_run_removes_a_checkpoint_it_did_not_write(tmp_path):
    """A checkpoint beside the folder from an earlier run is stale once a run finishes without
    writing one (here a conduction case, which keeps none): removed at the switch. A run that
    fails keeps it (tests/test_cli.py resumes one after Ctrl-C)."""
    case = _write_case(tmp_path)
    out = tmp_path / "out"
    checkpoint = ResultDirectory(out, "box").checkpoint
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(b"earlier state")
    assert checkpoint.parent == out and checkpoint.name == "box.checkpoint.npz"
    assert main(["run", str(case), "--output", str(out), "--quiet"]) == 0
    assert not checkpoint.exists()


def test_ctrl_c_keeps_the_previous_set_and_the_next_run_cleans_up(tmp_path, capsys,
                                                                  monkeypatch):
    """Ctrl-C in the solve: exit 130, the previous set intact, the staging folder kept as
    ``.box.interrupted-<run>`` (for ``--resume``), removed by the next run without --resume."""
    case = _write_case(tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(case), "--output", str(out), "--quiet"]) == 0
    before = _run_id(out / "box")
    from solver import pipeline

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "solve_conduction", interrupted)
    assert main(["run", str(case), "--output", str(out), "--quiet"]) == 130
    assert _run_id(out / "box") == before and verify(out / "box") == []
    assert [p.name.split("-")[0] for p in out.glob(".box.*")] == [".box.interrupted"]
    monkeypatch.undo()
    assert main(["run", str(case), "--output", str(out), "--quiet"]) == 0
    assert _leftovers(out) == [] and _run_id(out / "box") != before


# -- kills --------------------------------------------------------------------------------------
# SIGKILL this process at the n-th step of the switch: rename the old set aside (0), rename the
# staging folder into place (1), delete the set put aside (2)
SWITCH_HOOK = """
import os, signal
from solver.output import result_set
STEP = {step}
count = [0]
def _kill_at_step():
    if count[0] == STEP:
        os.kill(os.getpid(), signal.SIGKILL)
    count[0] += 1
real_rename, real_remove = os.rename, result_set._remove
def rename(a, b):
    if ".staging-" in str(a) or ".staging-" in str(b) or str(a).endswith("/box"):
        _kill_at_step()
    real_rename(a, b)
def remove(path):
    if ".replaced-" in str(path):
        _kill_at_step()
    real_remove(path)
os.rename = rename
result_set._remove = remove
"""


def _power(folder: Path) -> float:
    return json.loads((folder / "summary.json").read_text())["chips"]["gpu"]["power_W"]


def _check_after_kill(out: Path, old: str | None, new_power: float) -> str | None:
    """The folder after a kill: the set there (if any) is complete; after the repair that the
    next run or ``show`` makes it is the old set (run ``old``) or the killed run's (a later run
    id, chip power ``new_power`` [W]), complete by its manifest. Returns its run id."""
    folder = out / "box"
    if folder.exists():
        assert verify(folder) == []
    repair(ResultDirectory(out, "box"))
    if old is None and not folder.exists():
        return None
    assert verify(folder) == [], verify(folder)
    run = _run_id(folder)
    assert run == old or (run > (old or "") and _power(folder) == pytest.approx(new_power))
    return run


@pytest.mark.parametrize("step", [0, 1, 2], ids=["before_aside", "between_renames",
                                                 "before_delete"])
def test_a_kill_at_each_step_of_the_switch_leaves_a_complete_set(tmp_path, step):
    """SIGKILL before the old set is renamed aside, between the two renames (no folder
    ``box/`` at all: the old set aside, the new one finished in staging) and before the old one
    is deleted: the next run's repair finishes the switch (the new set, whose manifest is
    written) and the run after leaves no staging or replaced folder behind."""
    case = _write_case(tmp_path)
    out = tmp_path / "out"
    assert _run_to_end(case, out)[0] == 0
    old = _run_id(out / "box")
    _write_case(tmp_path, power="2 kW")
    process = _cli("run", str(case), "--output", str(out), "--quiet",
                   hook=SWITCH_HOOK.format(step=step))
    _, err = process.communicate(timeout=120)
    assert process.returncode == -signal.SIGKILL, err.decode()
    assert (out / "box").exists() == (step != 1)
    run = _check_after_kill(out, old, 2000.0)
    assert run != old  # the new set was finished: the repair completes its switch
    assert _leftovers(out) == []


def _kill_randomly(tmp_path: Path, kills: int, seed: int) -> dict:
    """``kills`` runs of the box into one folder, the chip power changed each time, each
    SIGKILLed at a random time: half anywhere in the run, half in its write phase (a random
    delay after its staging folder's first file appears). Checks the folder after each kill;
    returns counts of where the kills fell."""
    rng = random.Random(seed)
    case = _write_case(tmp_path)
    out = tmp_path / "out"
    old = None
    # "in the write phase": files in the staging folder, or the set switched in but the process
    # killed before it exited
    counts = {"before the write phase": 0, "in the write phase": 0, "after the switch": 0}
    for attempt in range(kills):
        _write_case(tmp_path, power=f"{1 + attempt % 5} kW")
        earlier = set(out.glob(".box.staging-*")) if out.is_dir() else set()
        process = _cli("run", str(case), "--output", str(out), "--quiet")
        start = time.monotonic()
        in_write_phase = attempt % 2 == 1
        # the write phase of the box lasts 0.2-0.4 s here (first file to exit)
        delay = rng.uniform(0.0, 0.15) if in_write_phase else rng.uniform(0.1, 2.0)
        while in_write_phase and process.poll() is None and time.monotonic() - start < 60:
            staging = set(out.glob(".box.staging-*")) - earlier if out.is_dir() else set()
            if any(any(folder.iterdir()) for folder in staging if folder.is_dir()):
                break
            time.sleep(0.002)
        time.sleep(delay)
        process.kill()
        process.communicate()
        finished = process.returncode == 0
        staging = set(out.glob(".box.staging-*")) - earlier if out.is_dir() else set()
        switched = (out / "box" / MANIFEST).is_file() and _run_id(out / "box") != old
        counts["after the switch" if finished else "in the write phase"
               if any(any(s.iterdir()) for s in staging) or switched
               else "before the write phase"] += 1
        old = _check_after_kill(out, old, 1000.0 * (1 + attempt % 5))
    assert _run_to_end(case, out)[0] == 0
    assert _leftovers(out) == [] and verify(out / "box") == []
    print(f"{kills} kills (seed {seed}): {counts}")
    return counts


def test_kill_9_at_random_times_never_leaves_a_mix(tmp_path):
    """4 runs killed at random times (seeded), 2 of them in the write phase: after each, the
    old complete set or the new one, never a mix; no stale staging or temporary file after the
    next run."""
    counts = _kill_randomly(tmp_path, kills=4, seed=15)
    assert counts["in the write phase"] >= 1, counts


@pytest.mark.slow
def test_kill_9_many_times_never_leaves_a_mix(tmp_path):
    """The same with 60 kills (80 s to 3 min on the 2-core VM, depending on its load)."""
    counts = _kill_randomly(tmp_path, kills=60, seed=1515)
    assert counts["in the write phase"] >= 10, counts


# -- network runs and scenarios -------------------------------------------------------------
def test_network_runs_and_scenarios_write_sets(tmp_path):
    """A rack network run writes one set (the manifest lists its files); ``coolsim
    scenarios`` writes its folder as a set of its own, which may sit inside the run's folder:
    both verify; a scenarios folder of another case is refused."""
    import tomllib

    from solver.case import case_from_dict
    from solver.pipeline import run

    path = ROOT / "cases" / "rack_network.toml"
    raw = tomllib.loads(path.read_text())
    raw["output"] = {"write_images": False}
    out = tmp_path / "out"
    run(case_from_dict(raw, path), output=out, quiet=True)
    folder = out / "rack_network"
    files = json.loads((folder / MANIFEST).read_text())["files"]
    assert {"network.csv", "network_summary.json", "network.vtp", "report.md"} <= set(files)
    assert verify(folder) == [] and _names_no_staging_folder(folder)
    scenarios = tmp_path / "one.toml"
    scenarios.write_text('[[scenarios]]\nkind = "pump_failed"\nname = "one pump failed"\n')
    assert main(["scenarios", str(path), "--scenarios", str(scenarios),
                 "--output", str(folder / "scenarios")]) == 0
    assert (folder / "scenarios" / MANIFEST).is_file()
    assert verify(folder / "scenarios") == [] and verify(folder) == []
    assert _leftovers(out) == []
    # a scenarios folder of another case is refused
    other = tmp_path / "other" / "rack_network.toml"
    other.parent.mkdir()
    other.write_text(path.read_text().replace("124.2", "120.0"))
    assert main(["scenarios", str(other), "--scenarios", str(scenarios),
                 "--output", str(folder / "scenarios")]) == 2



def test_resume_continues_in_the_interrupted_runs_folder(tmp_path, monkeypatch):
    """A plate in time writing a field every 5 steps, stopped by Ctrl-C after step 12 and
    resumed: the resumed set holds the fields written before the stop (the staging folder of
    the interrupted run is continued), every file ``transient.pvd`` names exists, and the set
    verifies with nothing left over."""
    import copy
    import re
    import tomllib

    from solver.case import case_from_dict
    from solver.pipeline import run
    from solver.transient_run import PlateTransient

    plate = ROOT / "tests" / "models" / "data" / "small_chip_plate.toml"
    raw = copy.deepcopy(tomllib.loads(plate.read_text()))
    raw["transient"] = {"end": "3 s", "checkpoint_every": 4, "fields_every": 5,
                        "chip_power": {"die": "30 W"}}
    raw["output"] = {"write_images": False, "write_fields": True, "checkpoint": True}
    original = PlateTransient.run

    def stopped(self, steps, progress=None, checkpoint=None, every=0, history=None):
        def stop(energy, history_now, due):
            checkpoint(energy, history_now, due)
            if history_now.steps == 12:
                raise KeyboardInterrupt
        return original(self, steps, progress, stop, every, history)

    monkeypatch.setattr(PlateTransient, "run", stopped)
    with pytest.raises(KeyboardInterrupt):
        run(case_from_dict(raw, plate), backend="cpu", output=tmp_path, quiet=True)
    (kept,) = tmp_path.glob(".small_chip_plate.interrupted-*")
    assert sorted(p.name for p in (kept / "transient").iterdir()) == [
        "fields_000005.vtr", "fields_000010.vtr"]
    monkeypatch.setattr(PlateTransient, "run", original)
    run(case_from_dict(raw, plate), backend="cpu", output=tmp_path, quiet=True, resume=True)
    folder = tmp_path / "small_chip_plate"
    named = re.findall(r'file="([^"]+)"', (folder / "transient.pvd").read_text())
    assert "transient/fields_000005.vtr" in named
    assert all((folder / name).is_file() for name in named)
    assert verify(folder) == [] and _leftovers(tmp_path) == []
    assert _names_no_staging_folder(folder)
