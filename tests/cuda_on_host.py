"""Run the project's CUDA kernels on the CPU: the kernel source is compiled as C++ by ``g++``
with a prelude that turns ``__global__``/``__device__`` into plain functions, and a launch runs
its threads one after another (block by block). For kernels without races (every thread
writes only its own outputs and reads nothing another thread of the same launch writes, as
all of coolsim's are) this gives the results of the GPU up to floating-point contraction, so
the CUDA source itself, not only its NumPy twin, is checked on a machine without a GPU.
"""

from __future__ import annotations

import ctypes
import re
import subprocess
from pathlib import Path

import numpy as np

PRELUDE = """#include <cmath>
struct Dim3 { unsigned int x, y, z; };
static Dim3 blockIdx, blockDim, threadIdx;
#define __global__
#define __device__
#define __forceinline__ inline
using std::fabs;
"""

_C_TYPES = {"int": (ctypes.c_int, np.int32), "long long": (ctypes.c_longlong, np.int64),
            "double": (ctypes.c_double, np.float64), "float": (ctypes.c_float, np.float32),
            "bool": (ctypes.c_bool, np.bool_)}


def _parameters(source: str, name: str, typedefs: dict) -> list[tuple[bool, str]]:
    """``[(is_pointer, C type)]`` of kernel ``name``'s parameters."""
    found = re.search(r"__global__\s+void\s+" + re.escape(name) + r"\s*\(([^)]*)\)", source)
    parameters = []
    for text in found.group(1).split(","):
        words = [w for w in text.replace("*", " * ").split()
                 if w not in ("const", "__restrict__")]
        pointer = "*" in words
        words = [w for w in words if w != "*"][:-1]  # drop the parameter name
        kind = " ".join(words)
        parameters.append((pointer, typedefs.get(kind, kind)))
    return parameters


class HostKernels:
    """The kernels of one CUDA source, compiled for the host into ``folder``; ``kernels[name]``
    is called as a CuPy raw kernel, ``(grid, block, args)``, with NumPy arrays for device
    arrays and NumPy scalars for values."""

    def __init__(self, source: str, folder: Path):
        typedefs = {alias: target.strip() for target, alias in re.findall(
            r"typedef\s+([\w\s]+?)\s+(\w+)\s*;", source)}
        names = re.findall(r'extern "C"\s+__global__\s+void\s+(\w+)\s*\(', source)
        wrappers = []
        self.signatures = {}
        for name in names:
            parameters = _parameters(source, name, typedefs)
            self.signatures[name] = parameters
            declared = ", ".join(f"{kind}{'*' if pointer else ''} a{i}"
                                 for i, (pointer, kind) in enumerate(parameters))
            passed = ", ".join(f"a{i}" for i in range(len(parameters)))
            wrappers.append(
                f'extern "C" void launch_{name}(long long blocks, unsigned int threads, '
                f"{declared}) {{\n  blockDim.x = threads;\n"
                "  for (long long b = 0; b < blocks; ++b) {\n    blockIdx.x = (unsigned int)b;\n"
                "    for (unsigned int t = 0; t < threads; ++t) {\n      threadIdx.x = t;\n"
                f"      {name}({passed});\n    }}\n  }}\n}}\n")
        path = folder / "kernels.cpp"
        path.write_text(PRELUDE + source + "\n" + "\n".join(wrappers))
        library = folder / "kernels.so"
        result = subprocess.run(["g++", "-O1", "-ffp-contract=off", "-shared", "-fPIC", "-x",
                                 "c++", str(path), "-o", str(library)],
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        self._library = ctypes.CDLL(str(library))

    def __getitem__(self, name: str):
        function = getattr(self._library, f"launch_{name}")
        parameters = self.signatures[name]

        def launch(grid, block, args):
            assert len(args) == len(parameters), f"{name}: {len(parameters)} arguments"
            converted = []
            for value, (pointer, kind) in zip(args, parameters, strict=True):
                ctype, dtype = _C_TYPES[kind]
                if pointer:
                    assert isinstance(value, np.ndarray) and value.dtype == dtype, name
                    assert value.flags.c_contiguous, f"{name}: contiguous arrays only"
                    converted.append(value.ctypes.data_as(ctypes.POINTER(ctype)))
                else:
                    assert np.asarray(value).dtype == dtype, f"{name}: {kind} expected"
                    converted.append(ctype(value.item() if hasattr(value, "item") else value))
            function(ctypes.c_longlong(int(np.prod(grid))), ctypes.c_uint(int(np.prod(block))),
                     *converted)

        return launch
