"""Compile CUDA source with nvcc for sm_90 on a machine without a GPU (a typo never waits for a
GPU to be found)."""

import subprocess
from pathlib import Path


def compile_ptx(source: str, folder: Path) -> str:
    """PTX of ``source``; fails the calling test with nvcc's messages when it does not
    compile."""
    path = folder / "kernels.cu"
    path.write_text(source)
    result = subprocess.run(["nvcc", "-arch=sm_90", "--ptx", str(path), "-o",
                             str(folder / "kernels.ptx")], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    return (folder / "kernels.ptx").read_text()
