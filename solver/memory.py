"""Memory a solve needs against memory the machine has: ``coolsim check`` (and every command
before it solves) refuses a grid whose estimate (:func:`solver.grid.generation.grid_report`)
exceeds the memory available on the device that would hold it, with the estimate, the limit and
the largest grid that would fit, instead of dying in the allocator.

Host memory available is ``MemAvailable`` of ``/proc/meminfo`` (Linux: free memory plus the page
cache that can be dropped), else free pages from ``os.sysconf``; GPU memory available is the free
memory CUDA reports (``cupy.cuda.runtime.memGetInfo``), asked only when the GPU backend is chosen
(CuPy is never imported otherwise).

The memory a process has used (:func:`resident_memory`, :func:`restart_peak_memory`): what a
sweep records per point.
"""

from __future__ import annotations

import gc
import importlib
import os
from pathlib import Path

from solver.backend import gpu_available
from solver.case.errors import case_error

MEMINFO = Path("/proc/meminfo")
PROC_STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def host_memory_available() -> int:
    """[bytes] memory a new allocation can get on the host without swapping."""
    if MEMINFO.is_file():
        for line in MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def resident_memory() -> tuple[int, int]:
    """[bytes] this process's resident memory now and its peak since it started or since the
    last :func:`restart_peak_memory`: ``VmRSS`` and ``VmHWM`` of ``/proc/self/status`` (Linux,
    proc(5)); elsewhere the peak of ``getrusage`` for both."""
    if PROC_STATUS.is_file():
        fields = dict(line.split(":", 1) for line in PROC_STATUS.read_text().splitlines()
                      if line.startswith(("VmRSS:", "VmHWM:")))
        if len(fields) == 2:
            return (int(fields["VmRSS"].split()[0]) * 1024,
                    int(fields["VmHWM"].split()[0]) * 1024)
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux, bytes on macOS
    peak = peak if sys.platform == "darwin" else peak * 1024
    return peak, peak


def restart_peak_memory() -> bool:
    """Start the peak of :func:`resident_memory` afresh from the memory resident now (Linux
    4.0 or later: ``5`` written to ``/proc/self/clear_refs``, proc(5)); False where that is not
    possible (the peak then runs from the process's start). Unreachable objects are collected
    first: garbage of earlier work freed by a collection during the next would otherwise hide
    that work's memory below the restarted peak."""
    gc.collect()
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def gpu_memory_available() -> int:
    """[bytes] free memory of the current CUDA device (imports CuPy)."""
    cupy = importlib.import_module("cupy")
    free, _total = cupy.cuda.runtime.memGetInfo()
    return int(free)


def check_grid_memory(case, report: dict, backend: str = "auto") -> None:
    """Raise a :class:`~solver.case.CaseError` on ``grid.max_spacing`` when the grid's memory
    estimate exceeds what is available.

    Parameters
    ----------
    case : Case
    report : dict
        :func:`solver.setup.grid_report` of the case's grid built on the host (its
        ``host_memory_mb`` is then every array of the solve).
    backend : {"auto", "cpu", "gpu"}
        Where the solve would run: the GPU's free memory is compared for ``"gpu"`` and
        ``"auto"`` when a GPU answers, the host's otherwise (``"gpu"`` on a machine without
        one is the run's :class:`~solver.backend.BackendError`, not a memory question).
    """
    need = report["host_memory_mb"] * 1e6
    on_gpu = backend != "cpu" and gpu_available()
    where, available = (("GPU", gpu_memory_available()) if on_gpu
                        else ("host", host_memory_available()))
    if need <= available:
        return
    cells = report["cells"]
    fit = int(available // (need / cells))
    coarser = (cells / max(fit, 1)) ** (1.0 / 3.0)
    raise case_error(
        case, "grid.max_spacing",
        f"the grid of {cells:,} cells needs about {need / 1e6:,.0f} MB of {where} memory "
        f"({report['arrays_per_cell']} arrays of {report['dtype']} per cell) but "
        f"{available / 1e6:,.0f} MB is available: the largest grid that fits has about "
        f"{fit:,} cells (spacing about {coarser:.3g} times coarser)", case.grid.max_spacing,
        f"a grid within {available / 1e6:,.0f} MB")
