"""Run the project's CUDA kernels on the CPU: the kernel source is compiled as C++ by ``g++``
with a prelude that turns ``__global__``/``__device__`` into plain functions, and a launch runs
its threads one after another (block by block). For kernels without races (every thread
writes only its own outputs and reads nothing another thread of the same launch writes, as
all of coolsim's point kernels are) this gives the results of the GPU up to floating-point
contraction, so the CUDA source itself, not only its NumPy twin, is checked on a machine
without a GPU. A kernel whose threads meet at ``__syncthreads`` (a block working together in
``__shared__`` memory) runs each block's threads as host threads at a ``std::barrier``, its
shared arrays one copy per launch (the blocks run one after another; ``extern __shared__``
arrays in a buffer of the launch's ``shared_mem`` bytes).
"""

from __future__ import annotations

import ctypes
import re
import subprocess
from pathlib import Path

import numpy as np

PRELUDE = """#include <barrier>
#include <cmath>
#include <thread>
#include <vector>
struct Dim3 { unsigned int x, y, z; };
static Dim3 blockIdx, blockDim;
static thread_local Dim3 threadIdx;
static std::barrier<>* block_barrier = nullptr;
static std::vector<double> dynamic_shared;  // extern __shared__ arrays (8-byte aligned)
inline void __syncthreads() { block_barrier->arrive_and_wait(); }
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
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
        bodies = re.split(r'extern "C"\s+__global__\s+void\s+', source)[1:]
        for name, body in zip(names, bodies, strict=True):
            parameters = _parameters(source, name, typedefs)
            self.signatures[name] = parameters
            declared = ", ".join(f"{kind}{'*' if pointer else ''} a{i}"
                                 for i, (pointer, kind) in enumerate(parameters))
            passed = ", ".join(f"a{i}" for i in range(len(parameters)))
            if "__syncthreads" in body:  # the block's threads side by side, meeting at barriers
                run_block = (
                    "    std::barrier<> barrier((std::ptrdiff_t)threads);\n"
                    "    block_barrier = &barrier;\n    std::vector<std::thread> block;\n"
                    "    for (unsigned int t = 0; t < threads; ++t) {\n"
                    "      block.emplace_back([&, t] {\n        threadIdx.x = t;\n"
                    f"        {name}({passed});\n        barrier.arrive_and_drop();\n"
                    "      });\n    }\n    for (auto& thread : block) thread.join();\n")
            else:
                run_block = ("    for (unsigned int t = 0; t < threads; ++t) {\n"
                             f"      threadIdx.x = t;\n      {name}({passed});\n    }}\n")
            wrappers.append(
                f'extern "C" void launch_{name}(long long blocks, unsigned int threads, '
                f"long long shared_bytes, {declared}) {{\n  blockDim.x = threads;\n"
                "  dynamic_shared.assign((shared_bytes + 7) / 8, 0.0);\n"
                "  for (long long b = 0; b < blocks; ++b) {\n    blockIdx.x = (unsigned int)b;\n"
                f"{run_block}  }}\n}}\n")
        source = re.sub(r"extern\s+__shared__\s+(\w+)\s+(\w+)\[\];",
                        r"\1* \2 = reinterpret_cast<\1*>(dynamic_shared.data());", source)
        path = folder / "kernels.cpp"
        path.write_text(PRELUDE + source + "\n" + "\n".join(wrappers))
        library = folder / "kernels.so"
        result = subprocess.run(["g++", "-std=c++20", "-pthread", "-O1", "-ffp-contract=off",
                                 "-shared", "-fPIC", "-x", "c++", str(path), "-o",
                                 str(library)],
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        self._library = ctypes.CDLL(str(library))

    def __getitem__(self, name: str):
        function = getattr(self._library, f"launch_{name}")
        parameters = self.signatures[name]

        def launch(grid, block, args, shared_mem=0):
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
                     ctypes.c_longlong(shared_mem), *converted)

        return launch
