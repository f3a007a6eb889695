"""Progress of characterization and of the coupled rack (solver.progress.RunProgress): one line
per characterization flow, per 3D plate and per coupling pass, on standard error only, and
nothing with quiet. The plates are the analytic ones of test_coupling_rack (milliseconds)."""

import re

from test_coupling_rack import FLOWS, plate_model, rack  # noqa: F401 (rack: a fixture)

from solver.coupling import characterize, couple_rack
from solver.progress import RunProgress

viscous_plate = plate_model()


def reporting_plate(calls):
    """The analytic plate as a runner that takes the run's progress (as coldplate_runner)."""

    def run(case, flow, backend, run=None):
        calls.append(run)
        return viscous_plate(case, flow, backend)

    return run


def test_characterize_prints_one_line_per_flow_on_stderr(rack, capsys):  # noqa: F811
    """``characterize: flow i/5: <Q> L/min, dP ... Pa, done in ... | elapsed ... | left ...``
    for each of the 5 flows, in order, on standard error; standard output stays empty; the runner
    gets the run's progress."""
    _, _, plate = rack
    calls = []
    progress = RunProgress()
    characterize(plate, FLOWS, runner=reporting_plate(calls), store=False, progress=progress)
    out, err = capsys.readouterr()
    assert out == ""
    lines = [line for line in err.splitlines() if line.startswith("characterize: flow")]
    assert len(lines) == len(FLOWS) == len(err.splitlines())
    for index, (line, flow) in enumerate(zip(lines, (0.5, 1.0, 1.5, 2.0, 2.5), strict=True),
                                            start=1):
        assert re.fullmatch(rf"characterize: flow {index}/5: {flow:.4g} L/min, dP [0-9.e+]+ Pa, "
                            r"done in [0-9.]+s \| elapsed [0-9.]+s \| left ~[0-9.]+s", line)
    assert calls == [progress] * len(FLOWS)


def test_quiet_characterize_and_coupled_rack_print_nothing(rack, capsys):  # noqa: F811
    section, coolant, plate = rack
    characterize(plate, FLOWS, runner=reporting_plate([]), store=False,
                 progress=RunProgress(quiet=True))
    couple_rack(section, coolant, {"gpu": plate}, FLOWS, runner=reporting_plate([]),
                store=False, progress=RunProgress(quiet=True))
    assert capsys.readouterr() == ("", "")


def test_coupled_rack_reports_flows_plates_and_passes(rack, capsys):  # noqa: F811
    """The coupled rack's lines: the 5 characterization flows, then for each coupling pass its
    3D plate (the hottest GPU plate: flow, inlet temperature, dP) and the pass (changes, network
    time, plates in 3D); the pass count ends where the coupling converged."""
    section, coolant, plate = rack
    coupled = couple_rack(section, coolant, {"gpu": plate}, FLOWS, runner=reporting_plate([]),
                          store=False, progress=RunProgress())
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert [line.split(":")[1].strip() for line in lines[:5]] == [
        f"flow {i}/5" for i in range(1, 6)]
    passes = len(coupled.history)
    assert coupled.converged and passes >= 2
    plates = [line for line in lines if re.match(r"coupling pass \d+: plate ", line)]
    summaries = [line for line in lines if re.match(r"coupling pass \d+: flow change", line)]
    assert len(plates) == len(summaries) == passes and len(lines) == 5 + 2 * passes
    name = next(iter(coupled.operating_points))
    assert all(f"plate {name} in 3D at" in line and "inlet 36." in line for line in plates)
    assert all("(network " in line and "1 plate(s) in 3D), done in" in line
               for line in summaries)
    # the last pass knows it was the last: nothing left
    assert summaries[-1].endswith("| left ~0.0s")
    assert summaries[0].startswith("coupling pass 1: flow change inf")


def test_coupled_rack_without_progress_is_silent(rack, capsys):  # noqa: F811
    """Without a progress object nothing prints (the library default)."""
    section, coolant, plate = rack
    couple_rack(section, coolant, {"gpu": plate}, FLOWS, runner=viscous_plate, store=False)
    assert capsys.readouterr() == ("", "")
