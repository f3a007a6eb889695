"""Shared fixtures: every backend test runs on the CPU and, when a GPU answers, on the GPU too.

BLAS runs single-threaded in the tests (set before NumPy loads, unless the caller chose): Dask
workers do so by default, and a multi-threaded BLAS sums dot products in another order, so a
point solved in a worker or a subprocess would differ from the same solve here in the last bits,
and the exact-agreement tests (sweeps, resumes) could not ask for equality. The test problems are
small, so it is also faster on 2 cores.
"""

import importlib.util
import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import pytest  # noqa: E402

from solver.backend import CPU, get_backend, gpu_available  # noqa: E402

if importlib.util.find_spec("cupy") is not None:
    # the CuPy stand-in refuses host arrays in device operations as CuPy does (its default only
    # records them; FAKECUPY_MIXED=record restores that); real CuPy ignores the variable
    os.environ.setdefault("FAKECUPY_MIXED", "raise")
    import cupy

    # the CuPy stand-in (../shared/tools/fakecupy) runs kernels through twins: register ours,
    # here and (through the environment) in the subprocesses and Dask workers tests start
    if hasattr(cupy, "register_twin"):
        from gpu_twins import TWINS

        for name, twin in TWINS.items():
            cupy.register_twin(name, twin)
        os.environ.setdefault("FAKECUPY_TWINS", os.path.join(os.path.dirname(__file__),
                                                             "gpu_twins.py"))

_BACKENDS = ["cpu", "gpu"]


@pytest.fixture(params=_BACKENDS)
def backend(request):
    """The CPU backend, and the GPU backend when CuPy and a device are present (else skipped)."""
    if request.param == "cpu":
        return CPU
    if not gpu_available():
        pytest.skip("no CuPy or CUDA device on this machine")
    return get_backend("gpu")


@pytest.fixture(autouse=True, scope="session")
def _session_cache(tmp_path_factory):
    """Plate curves and impedances of this test session go to a cache of its own (never the
    user's ``~/.cache/coolsim``); module fixtures that characterize share it."""
    previous = os.environ.get("COOLSIM_CACHE")
    os.environ["COOLSIM_CACHE"] = str(tmp_path_factory.mktemp("coolsim_cache"))
    yield
    if previous is None:
        os.environ.pop("COOLSIM_CACHE", None)
    else:
        os.environ["COOLSIM_CACHE"] = previous


@pytest.fixture(autouse=True)
def _test_cache(_session_cache, tmp_path, monkeypatch):
    """Each test its own cache, as each test's case folder used to hold its curves."""
    monkeypatch.setenv("COOLSIM_CACHE", str(tmp_path / "coolsim_cache"))


def pytest_collection_modifyitems(config, items):
    """Skip tests marked ``gpu`` cleanly when no GPU is present."""
    if gpu_available():
        return
    skip = pytest.mark.skip(reason="no CuPy or CUDA device on this machine")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)
