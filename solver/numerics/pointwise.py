"""Elementwise passes and reductions bound once, as PyFR binds its kernels: each is written as a
CUDA operation, run as one CuPy ``ElementwiseKernel`` or ``ReductionKernel`` launch on a GPU,
and as a NumPy function computing the same thing on the host.

A chain of CuPy array expressions costs one launch and one temporary per operator; a pass
declared here costs one launch and writes into arrays the caller allocated once, so it can also
run inside a captured CUDA graph. Scalars that stay on the device (Krylov coefficients) are 0-d
arrays. The host functions are also the kernels' twins for the CuPy stand-in
(``tests/gpu_twins.py`` collects the ``twin`` of every pass in :data:`KERNELS`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

KERNELS: dict[str, Pointwise | Reduction] = {}  # every pass declared, by name


class Pointwise:
    """One elementwise pass: ``inputs`` then ``outputs`` (written in place), in CuPy's
    ``ElementwiseKernel`` parameter syntax, its CUDA ``operation`` and its NumPy ``host``
    function (called with the same arguments)."""

    def __init__(self, name: str, inputs: str, outputs: str, operation: str,
                 host: Callable):
        self.name, self.inputs, self.outputs = name, inputs, outputs
        self.operation, self.host = operation, host
        KERNELS[name] = self

    def twin(self, *arrays) -> None:
        """The stand-in's twin: the host function (inputs, then outputs filled in place)."""
        self.host(*arrays)

    def __call__(self, xp, *arrays) -> None:
        """Run the pass on ``xp``'s arrays (inputs, then outputs)."""
        if xp is np:
            self.host(*arrays)
        else:
            self._kernel(xp)(*arrays)

    @functools.cache  # noqa: B019 (a handful of module-level passes, kept for the run)
    def _kernel(self, xp):
        return xp.ElementwiseKernel(self.inputs, self.outputs, self.operation, self.name)

    def cuda_check_source(self, real: str = "double") -> str:
        """A stand-alone CUDA kernel around :attr:`operation`, declared as CuPy declares an
        elementwise kernel's parameters (inputs by value, outputs by reference), for a
        compile check with ``nvcc`` on a machine without a GPU."""
        inputs = [p.split() for p in self.inputs.split(",")]
        outputs = [p.split() for p in self.outputs.split(",")]
        arguments = ", ".join([f"const {t}* __restrict__ in_{n}" for t, n in inputs]
                              + [f"{t}* __restrict__ out_{n}" for t, n in outputs])
        bindings = " ".join([f"const {t} {n} = in_{n}[i];" for t, n in inputs]
                            + [f"{t}& {n} = out_{n}[i];" for t, n in outputs])
        return (f"typedef {real} T;\n"
                f'extern "C" __global__ void {self.name}({arguments}, const long long n)\n'
                "{\n    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;\n"
                f"    if (i >= n) return;\n    {bindings}\n    {self.operation};\n}}\n")


class Reduction:
    """A reduction over all elements written into a 0-d array ``out``: CuPy ``ReductionKernel``
    ``(inputs, "T out", map_expression, reduce, "out = a", identity)`` on a GPU (a sum unless
    ``reduce`` says otherwise), ``host`` (returning the value) on the host."""

    def __init__(self, name: str, inputs: str, map_expression: str, host: Callable,
                 reduce: str = "a + b", identity: str = "0"):
        self.name, self.inputs, self.map_expression, self.host = (
            name, inputs, map_expression, host)
        self.reduce, self.identity = reduce, identity
        KERNELS[name] = self

    def twin(self, *arrays, axis=None, keepdims=False):
        """The stand-in's twin of a full reduction: the host function's value."""
        return self.host(*arrays)

    def __call__(self, xp, *arrays, out) -> None:
        """Write the reduced value into ``out`` (a 0-d array on ``xp``'s device)."""
        if xp is np:
            out[...] = self.host(*arrays)
        else:
            self._kernel(xp)(*arrays, out=out)

    @functools.cache  # noqa: B019
    def _kernel(self, xp):
        return xp.ReductionKernel(self.inputs, "T out", self.map_expression, self.reduce,
                                  "out = a", self.identity, self.name)


def _dot(a, b):
    return (a * b).sum()


dot_product = Reduction("dot_product", "T a, T b", "a * b", _dot)


def _weighted_abs_sum(a, weight):
    return (np.abs(a) * weight).sum()


# sum |a| w (the scaled residual norms of the momentum equations)
weighted_abs_sum = Reduction("weighted_abs_sum", "T a, T weight", "abs(a) * weight",
                             _weighted_abs_sum)


# the larger of a and b, NaN when either is (as NumPy's max)
MAX_PROPAGATING_NAN = "((a != a || a > b) ? a : b)"


def _largest(a):
    return a.max()


# max a (NaN when any is): a reduction kernel, which a captured CUDA graph can hold (CuPy's
# max may take CUB, whose scratch memory is allocated at the call)
largest = Reduction("largest", "T a", "a", _largest, reduce=MAX_PROPAGATING_NAN,
                    identity="-(T)1e300")


def _largest_abs(a):
    return np.abs(a).max()


# max |a| (a speed scale; at least 0)
largest_abs = Reduction("largest_abs", "T a", "abs(a)", _largest_abs,
                        reduce=MAX_PROPAGATING_NAN)


def _largest_abs_difference(a, b):
    return np.abs(a - b).max()


# max |a - b| (how far coefficients drifted from those a hierarchy was built for)
largest_abs_difference = Reduction("largest_abs_difference", "T a, T b", "abs(a - b)",
                                   _largest_abs_difference, reduce=MAX_PROPAGATING_NAN)


def _safe_ratio(numerator, denominator, out):
    nonzero = denominator != 0
    out[...] = np.where(nonzero, numerator / np.where(nonzero, denominator, 1.0), 0.0)


SAFE_RATIO = Pointwise("safe_ratio", "T numerator, T denominator", "T out",
                       "out = denominator != (T)0 ? numerator / denominator : (T)0",
                       _safe_ratio)


def safe_ratio(xp, numerator, denominator):
    """``numerator / denominator`` on ``xp``'s device, 0 where the denominator is 0 (a Krylov
    solve that converged or broke down between two residual checks then stands still instead of
    turning into NaN); on a GPU one launch into a new device scalar."""
    if xp is np:
        nonzero = denominator != 0
        return xp.where(nonzero, numerator / xp.where(nonzero, denominator, 1.0), 0.0)
    dtype = np.result_type(*(getattr(v, "dtype", np.float64) for v in (numerator, denominator)))
    out = xp.empty(np.broadcast_shapes(np.shape(numerator), np.shape(denominator)), dtype)
    SAFE_RATIO(xp, numerator, denominator, out)
    return out
