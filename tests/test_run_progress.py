"""Whole-run progress (solver.progress.RunProgress): position, one time left across passes,
flows and coupling passes, the line format, quiet and standard error only.

Every test runs on a fake clock: the simulated units have known costs, so the true time left is
known at every update (no timing in the tests).
"""

import io

import pytest

from solver.coupling.coupled_rack import coupling_stages
from solver.progress import RunProgress, Stage

SECONDS_PER_ITERATION = 1.0
# flow iterations of the passes of one 3D plate solve: each pass's residual falls one decade per
# 10 iterations from 1 to its tolerance 1e-6 (pass 1, from rest), 1e-3 and 1e-2 (warm starts);
# then its energy solve: 5 outer iterations, the temperature change falling a decade each
PASS_DECADES = (6, 3, 2)
ENERGY_ITERATIONS = 5
PASS_SECONDS = tuple((10 * d + ENERGY_ITERATIONS) * SECONDS_PER_ITERATION
                     for d in PASS_DECADES)  # 65, 35, 25 s
NETWORK_SECONDS = 1.0  # one network solve of a coupling pass (not in the plan)


class FakeClock:
    """Deterministic clock: the simulation advances ``now`` [s]."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def plate_solve(run, clock, samples, total):
    """One simulated 3D plate solve of 3 passes, with the calls of
    :meth:`solver.models.coldplate.ColdPlate.solve`: begin/end of each pass, its flow solve
    and its energy solve, each a Progress fed every iteration; after each update records
    (elapsed, estimate left, whether complete, true left)."""

    def iterate(progress, iterations, residual):
        for iteration in range(1, iterations + 1):
            clock.now += SECONDS_PER_ITERATION
            progress.update(iteration, {"residual": residual(iteration)})
            left, complete = run.seconds_left()
            samples.append((clock.now, left, complete, total - clock.now))

    flow = run.progress(1e-6)
    for number, decades in enumerate(PASS_DECADES, start=1):
        flow.begin("pass", number, limit=10)
        flow.begin("solve", 1, count=2, shown=False)
        flow.tolerance = 10.0 ** -decades
        iterate(flow, 10 * decades, lambda i: 10.0 ** (-i / 10))
        flow.begin("solve", 2)
        iterate(flow.sibling(10.0 ** -ENERGY_ITERATIONS), ENERGY_ITERATIONS,
                lambda i: 10.0 ** -i)
        # the pass monitors fall one decade per pass and settle after pass 3
        flow.end("pass", decades=2.0 - (number - 1), last=number == len(PASS_DECADES))


def simulate_coupled_rack(run, clock):
    """Characterization over 4 flows, then 2 coupling passes (a network solve and one plate in
    3D each), as :func:`solver.coupling.couple_rack` reports them."""
    plate = sum(PASS_SECONDS)
    total = 4 * plate + 2 * (NETWORK_SECONDS + plate)
    samples = []
    run.begin("plate group", 1, count=1)
    for flow in range(1, 5):
        run.begin("flow", flow, count=4, kind="3D plate solve")
        plate_solve(run, clock, samples, total)
        run.end("flow")
    run.end("plate group")
    for number in (1, 2):
        run.begin("coupling pass", number, limit=10)
        run.begin("network", 1, count=1, kind="network solve")
        clock.now += NETWORK_SECONDS
        run.end("network")
        run.begin("plate", 1, count=1, kind="3D plate solve")
        plate_solve(run, clock, samples, total)
        run.end("plate")
        run.end("coupling pass", decades=float("inf") if number == 1 else -0.5,
                last=number == 2)
    return samples, total


def test_time_left_converges_to_the_true_time_left_of_a_coupled_rack():
    """A coupled rack (4 characterization flows of 3 passes, 2 coupling passes) with known
    costs: while the first flow has not shown how many passes a solve takes the time left is a
    lower bound (never above the truth); from the second flow on (true time left 626 s) it is
    within 2 s of the true time left, the two network solves of 1 s that the plan leaves out
    (measured: 2.0 s at most, 0.8 % of the time left; without the plan the error reaches
    252 s), and it ends at 0."""
    clock = FakeClock()
    run = RunProgress(coupling_stages(1, 4, 10, 1), quiet=True, clock=clock)
    samples, total = simulate_coupled_rack(run, clock)
    plate = sum(PASS_SECONDS)
    first = [s for s in samples if s[0] <= plate]
    assert first and all(not complete for _, _, complete, _ in first)
    assert all(left <= true + 1e-9 for _, left, _, true in first)
    later = [s for s in samples if s[0] > plate]
    assert all(complete for _, _, complete, _ in later)
    assert max(abs(left - true) for _, left, _, true in later) <= 2 * NETWORK_SECONDS + 1e-6
    # the last flow iteration of the last plate: nothing left
    assert samples[-1][1] == pytest.approx(0.0, abs=1e-9) and samples[-1][3] == 0.0
    assert clock.now == total


def test_pass_count_is_learned_from_the_convergence_trend():
    """Passes whose monitors fall one decade per pass (2 decades from settling after pass 1, 1
    after pass 2): the count is unknown after one pass and estimated as 3 after two, capped at
    ``limit``; a loop of the same name later starts with the count learned."""
    clock = FakeClock()
    run = RunProgress(quiet=True, clock=clock)
    run.begin("pass", 1, limit=10)
    run.end("pass", decades=2.0)
    assert run.count("pass") == (None, True)
    run.begin("pass", 2)
    run.end("pass", decades=1.0)
    assert run.count("pass") == (3, True)
    run.begin("pass", 3)
    assert run.position() == "pass 3/~3"
    run.end("pass", decades=-0.3, last=True)
    assert run.count("pass") == (3, False)
    capped = RunProgress(quiet=True, clock=clock)
    capped.begin("pass", 1, limit=2)
    capped.end("pass", decades=9.0)
    capped.begin("pass", 2)
    capped.end("pass", decades=8.0)
    assert capped.count("pass") == (2, True)
    # a second plate solve of the run starts from the 3 passes the first one took
    run.begin("flow", 2, count=2)
    run.begin("pass", 1)
    assert run.position() == "pass 1/~3 | flow 2/2"


def test_line_format_innermost_level_first():
    """``[pass 2/~4 | flow 3/4 | coupling pass 1] iter 120 ... | elapsed 1m16s | left ~...``:
    known counts plain, estimated ones with ``~``, unknown ones without a count; levels of one
    unit are left out; a time left with unknown parts is a lower bound ``>``, none at all ``?``."""
    clock = FakeClock()
    stream = io.StringIO()
    run = RunProgress(stream=stream, every_seconds=0.0, clock=clock)
    run.begin("coupling pass", 1)
    run.begin("network", 1, count=1)
    run.end("network")
    clock.now = 70.0
    run.begin("flow", 3, count=4)
    run.begin("pass", 2, count=4, estimated=True)
    flow = run.progress(1e-9)
    clock.now = 76.0
    flow.update(120, {"res": 3e-5})
    assert stream.getvalue() == ("[pass 2/~4 | flow 3/4 | coupling pass 1] iter    120  res "
                                 "3.00e-05 | elapsed 1m16s | left ?\n")
    for iteration in (121, 122, 123):  # one decade per iteration, 1 s each: 1.5 decades to go
        clock.now += 1.0
        flow.update(iteration, {"res": 10.0 ** (-4.5 - iteration + 120)})
    # nothing measured yet: pass 2 takes 9 s so far + 1.5 s left, so passes 3 and 4 are
    # estimated at 10.5 s each, flow 3 at 9 + 1.5 + 21 = 31.5 s and so flow 4; 54 s in all, a
    # lower bound since the number of coupling passes is unknown
    assert stream.getvalue().splitlines()[-1].endswith("| elapsed 1m19s | left >54s")
    assert run.status() == "elapsed 1m19s | left >54s"


def test_time_left_adds_the_planned_stages_ahead():
    """A rack's scenarios (network solves) after its coupling passes: before any is solved, each
    costs what the measured network solves cost."""
    clock = FakeClock()
    run = RunProgress([Stage("coupling pass", 1, inner=Stage("network", 1, kind="network")),
                       Stage("scenario", 5, kind="network")], quiet=True, clock=clock)
    run.begin("coupling pass", 1)
    run.begin("network", 1)
    clock.now += 2.0
    run.end("network")
    assert run.seconds_left() == (pytest.approx(5 * 2.0), True)
    run.end("coupling pass", last=True)
    run.begin("scenario", 1)
    clock.now += 1.0
    run.end("scenario")
    # 4 scenarios left at the 1.5 s mean of the network kind (2 s and 1 s measured)
    assert run.seconds_left() == (pytest.approx(4 * 1.5), True)


def test_quiet_run_prints_nothing_and_output_goes_to_stderr(capsys):
    """A run prints to standard error only (never standard output), and nothing when quiet."""
    for quiet in (False, True):
        run = RunProgress(quiet=quiet, every_seconds=0.0, clock=FakeClock())
        run.begin("flow", 1, count=2)
        run.progress(1e-6).update(1, {"res": 1e-3})
        run.end("flow")
        run.message(f"flow 1/2 done | {run.status()}")
        out, err = capsys.readouterr()
        assert out == ""
        assert (err == "") == quiet
        if not quiet:
            assert err.splitlines() == [
                "[flow 1/2] iter      1  res 1.00e-03 | elapsed 0.0s | left ?",
                "flow 1/2 done | elapsed 0.0s | left ~0.0s"]


def test_a_new_pass_restarts_the_solve_estimate():
    """A time-accurate pass reports the fraction of its own run done: after ``begin`` of the next
    pass the time left counts from that pass's start (10 s into the run, half of a 4 s pass done
    after 2 s: 2 s left, not 12 s), and the residual trend of the earlier pass is forgotten."""
    clock = FakeClock()
    run = RunProgress(quiet=True, clock=clock)
    flow = run.progress(1e-6)
    flow.begin("pass", 1)
    clock.now = 10.0
    flow.update(100, {"continuity": 1e-3}, fraction=0.5)
    assert flow.seconds_left() == pytest.approx(10.0)
    flow.begin("pass", 2)
    assert flow.seconds_left() is None
    clock.now = 12.0
    flow.update(120, {"continuity": 1e-3}, fraction=0.5)
    assert flow.seconds_left() == pytest.approx(2.0)
    assert [r["elapsed"] for r in flow.records] == [10.0, 12.0]  # the history runs on


def test_a_unit_past_its_measured_cost_gives_a_lower_bound():
    """A second network solve that has run longer than the first (2 s) while its solve has no
    estimate of its own: the time left is a lower bound (the third solve's 2 s), not a
    confident '~' built on a zero for the running one."""
    clock = FakeClock()
    run = RunProgress([Stage("network", 3, kind="network")], quiet=True, clock=clock)
    run.begin("network", 1)
    clock.now += 2.0
    run.end("network")
    run.begin("network", 2)
    clock.now += 1.0
    assert run.seconds_left() == (pytest.approx(1.0 + 2.0), True)  # within the measured cost
    clock.now += 3.0
    assert run.seconds_left() == (pytest.approx(2.0), False)
    assert run.status().endswith("left >2.0s")
