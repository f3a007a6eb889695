"""The architecture object: which array library (NumPy or CuPy) runs the numerics.

A :class:`Backend` is chosen once, from ``"auto" | "cpu" | "gpu"``, and passed down (the grid
carries it). Numerical kernels are written against ``backend.xp`` so the CPU run executes the same
algorithm as the GPU run. CuPy is imported only when the GPU backend is asked for or probed by
``"auto"``; nothing on the CPU path imports it.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

BACKEND_CHOICES = ("auto", "cpu", "gpu")


class BackendError(RuntimeError):
    """The requested backend cannot be provided on this machine."""


@dataclass(frozen=True)
class Backend:
    """Array namespace and device on which fields live.

    Attributes
    ----------
    name : str
        ``"cpu"`` (NumPy) or ``"gpu"`` (CuPy).
    xp : module
        The array namespace, ``numpy`` or ``cupy``.
    device : str
        Human-readable device description, recorded in results.
    """

    name: str
    xp: ModuleType = field(repr=False)
    device: str = "host"

    @property
    def is_gpu(self) -> bool:
        """True when arrays live on a CUDA device."""
        return self.name == "gpu"

    def asarray(self, array: Any, dtype: Any = None):
        """Copy or view ``array`` onto this backend's device."""
        return self.xp.asarray(array, dtype=dtype)

    def to_host(self, array: Any) -> np.ndarray:
        """Return ``array`` as a NumPy array on the host (a no-op on the CPU backend)."""
        if self.is_gpu and hasattr(array, "get"):
            return array.get()
        return np.asarray(array)

    def synchronize(self) -> None:
        """Wait for queued device work to finish (for honest timings); no-op on the CPU."""
        if self.is_gpu:
            self.xp.cuda.Device().synchronize()

    def describe(self) -> dict:
        """Metadata recorded in ``summary.json``."""
        return {"name": self.name, "device": self.device, "array_module": self.xp.__name__}


CPU = Backend("cpu", np, "host (NumPy)")


def gpu_available() -> bool:
    """True when CuPy is installed and reports at least one usable CUDA device.

    Uses ``importlib.util.find_spec`` and ``cupy.cuda.is_available()``, which answer with a
    boolean; no exception is used as control flow.
    """
    if importlib.util.find_spec("cupy") is None:
        return False
    cupy = importlib.import_module("cupy")
    return bool(cupy.cuda.is_available())


def _gpu_backend() -> Backend:
    cupy = importlib.import_module("cupy")
    device = cupy.cuda.Device()
    props = cupy.cuda.runtime.getDeviceProperties(device.id)
    name = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
    return Backend("gpu", cupy, f"cuda:{device.id} ({name})")


def get_backend(choice: str | Backend = "auto") -> Backend:
    """Resolve a backend choice.

    Parameters
    ----------
    choice : {"auto", "cpu", "gpu"} or Backend
        ``"auto"`` takes the GPU only when CuPy imports and a device answers, else the CPU.
        ``"gpu"`` raises :class:`BackendError` when no GPU is usable.

    Returns
    -------
    Backend
    """
    if isinstance(choice, Backend):
        return choice
    if choice not in BACKEND_CHOICES:
        raise BackendError(f"backend must be one of {BACKEND_CHOICES}, got {choice!r}")
    if choice == "cpu":
        return CPU
    if gpu_available():
        return _gpu_backend()
    if choice == "gpu":
        raise BackendError("backend 'gpu' requested but CuPy or a CUDA device is not available")
    return CPU


def array_namespace(array):
    """The array module (``numpy`` or ``cupy``) that ``array`` belongs to."""
    module = type(array).__module__
    if module.startswith("cupy"):
        import cupy  # only reached when the array already is a CuPy array

        return cupy
    return np


# -- host transfer ------------------------------------------------------------------------------
def to_host(array: Any, backend: Backend | None = None) -> np.ndarray:
    """Return ``array`` as a host NumPy array.

    Parameters
    ----------
    array : array_like
        NumPy or CuPy array, or anything :func:`numpy.asarray` accepts.
    backend : Backend, optional
        The backend the array lives on; its ``to_host`` is used when given. Without it a CuPy
        array is recognised by its module and copied with ``.get()``.
    """
    if backend is not None and backend.is_gpu:
        return backend.to_host(array)
    if type(array).__module__.startswith("cupy"):
        return array.get()
    return (backend or CPU).to_host(array)
