"""A grid that needs more memory than the machine has is refused by ``coolsim check`` (and by
``run`` before it allocates) with the estimate, the limit and the largest grid that fits.

The estimate is :func:`solver.grid.generation.grid_report`'s: 12 float64 arrays and one int32 id
per cell for conduction, 12 x 8 + 4 = 100 bytes a cell; the largest grid that fits is the memory
available over that (counted by hand below)."""

import pytest
from box_case import box_case  # noqa: E402 (tests/ on the path)

from solver import memory
from solver.case import CaseError, load_case
from solver.cli import main
from solver.preflight import check_case

# a 1 m copper cube, its grid spacing to be chosen, on the CPU backend (checked against the
# host's memory also where a GPU, or the CuPy stand-in, would answer for "auto")
CUBE = box_case(("1 m", "1 m", "1 m"),
                extra='[grid]\nmax_spacing = "{spacing}"\n[solver]\nbackend = "cpu"\n')


@pytest.fixture
def cube(tmp_path):
    def write(spacing):
        path = tmp_path / "cube.toml"
        path.write_text(CUBE.format(spacing=spacing))
        return path
    return write


def test_a_grid_beyond_this_machine_is_refused_by_check_and_run(cube, tmp_path, capsys):
    """10^12 cells (0.1 mm in a 1 m cube) need 10^14 bytes: more than any host this runs on."""
    path = cube("0.1 mm")
    assert main(["check", str(path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{path}: grid.max_spacing: the grid of 1,000,000,000,000 cells "
                           "needs about 100,000,000 MB of host memory (12 arrays of float64 per "
                           "cell) but ")
    assert "MB is available: the largest grid that fits has about" in line
    output = tmp_path / "results"
    assert main(["run", str(path), "--output", str(output)]) == 2
    assert "100,000,000 MB of host memory" in capsys.readouterr().err
    assert not output.exists()


def test_the_limit_and_the_largest_grid_that_fits(cube, monkeypatch):
    """With 1 GB available a 100-byte cell fits 10^7 times; 8 mm spacing (125^3 = 1,953,125
    cells, 195 MB) passes, 4 mm (250^3 = 15,625,000 cells, 1,562.5 MB) does not."""
    monkeypatch.setattr(memory, "host_memory_available", lambda: 10**9)
    assert check_case(load_case(cube("8 mm")), "cpu").grid["cells"] == 125**3
    with pytest.raises(CaseError) as error:
        check_case(load_case(cube("4 mm")), "cpu")
    text = str(error.value)
    assert "the grid of 15,625,000 cells needs about 1,562 MB of host memory" in text
    assert ("but 1,000 MB is available: the largest grid that fits has about 10,000,000 cells"
            in text)
    assert f"spacing about {(15_625_000 / 10**7) ** (1 / 3):.3g} times coarser" in text


def test_the_gpu_backend_is_checked_against_gpu_memory(cube, monkeypatch):
    """With the GPU backend chosen and a GPU present the GPU's free memory is the limit (asked
    through CuPy only then; here stand-ins answer)."""
    monkeypatch.setattr(memory, "gpu_available", lambda: True)
    monkeypatch.setattr(memory, "gpu_memory_available", lambda: 10**8)
    monkeypatch.setattr(memory, "host_memory_available", lambda: 10**12)
    with pytest.raises(CaseError, match="of GPU memory .* but 100 MB is available"):
        check_case(load_case(cube("8 mm")), "gpu")
    assert check_case(load_case(cube("8 mm")), "cpu").grid is not None


def test_the_gpu_backend_without_a_gpu_is_a_warning_of_check(cube, monkeypatch):
    """``--backend gpu`` checked on a machine without a GPU (a case prepared for a cluster):
    check warns that a run here would stop, and checks the host's memory."""
    monkeypatch.setattr(memory, "gpu_available", lambda: False)
    monkeypatch.setattr("solver.preflight.gpu_available", lambda: False)
    found = check_case(load_case(cube("8 mm")), "gpu")
    assert found.warnings[0].startswith('backend "gpu" is chosen but this machine has no usable')


def test_the_restarted_peak_is_not_hidden_by_earlier_garbage():
    """Garbage of earlier work (a reference cycle holding 200 MB) collected during the next
    point would lower the resident memory under the restarted peak and hide the point's own
    200 MB; the restart collects it first, so the peak still rises by 200 MB (within 10 %).
    Seen once in the whole suite under the CuPy stand-in (a rise of 0.14 MB)."""
    import gc

    import numpy as np

    if not memory.restart_peak_memory():
        pytest.skip("no /proc/self/clear_refs: the peak runs from the process's start")
    gc.disable()  # only the collections below
    try:
        garbage = [np.ones(25_000_000)]
        garbage.append(garbage)
        del garbage
        assert memory.restart_peak_memory()
        before = memory.resident_memory()[0]
        gc.collect()  # a collection during the point's work
        block = np.ones(25_000_000)
        del block
        peak = memory.resident_memory()[1]
    finally:
        gc.enable()
    assert peak - before == pytest.approx(200e6, rel=0.10)


def test_the_peak_resident_memory_of_a_point_counts_what_it_touched():
    """A sweep point's ``peak_memory``/``memory_rise``: 200 MB of float64 ones written and
    freed raise the peak (``VmHWM``, proc(5)) by 200 MB, within 10 % (pages of the interpreter
    and the allocator's rounding); after a restart the peak is the memory resident now, within
    10 MB."""
    import numpy as np

    if not memory.restart_peak_memory():
        pytest.skip("no /proc/self/clear_refs: the peak runs from the process's start")
    before = memory.resident_memory()[0]
    block = np.ones(25_000_000)  # 8 bytes each: 200 MB, every page written
    del block
    now, peak = memory.resident_memory()
    assert peak - before == pytest.approx(200e6, rel=0.10)
    assert now < peak - 150e6  # freed: back to the OS
    assert memory.restart_peak_memory()
    now, peak = memory.resident_memory()
    assert abs(peak - now) < 10e6
