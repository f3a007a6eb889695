"""The elementwise passes of ``solver.numerics.pointwise``: their CUDA operations compile, and
on a GPU (or the CuPy stand-in) they compute what their host functions compute."""

import shutil

import numpy as np
import pytest

import solver.pipeline  # noqa: F401 (imports every module that declares passes)
from solver.numerics.pointwise import KERNELS, Pointwise, dot_product

ELEMENTWISE = sorted(name for name, k in KERNELS.items() if isinstance(k, Pointwise))


def test_passes_are_declared():
    """The K-cycle's passes are registered (the stand-in finds their twins by name)."""
    assert {"kcycle_step", "gcr_orthogonalise", "kcycle_combine_cg", "kcycle_combine_gcr",
            "under_relax", "correction_simplec", "fixed_faces", "energy_tvd_face_correction",
            "add_cross_links", "velocity_correction", "energy_tvd_limiter_fraction",
            "energy_tvd_frozen_correction"} <= set(ELEMENTWISE)


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not installed")
@pytest.mark.parametrize("real", ["double", "float"])
def test_elementwise_operations_compile(tmp_path, real):
    """Each pass's CUDA operation compiles for sm_90 inside a kernel that declares the
    parameters as CuPy's ElementwiseKernel does (a typo never waits for a GPU)."""
    from nvcc import compile_ptx

    ptx = compile_ptx("\n".join(KERNELS[name].cuda_check_source(real) for name in ELEMENTWISE),
                      tmp_path)
    assert all(f".entry {name}(" in ptx for name in ELEMENTWISE)


@pytest.mark.gpu
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_gpu_pass_matches_host(name):
    """On the device each pass equals its host function to 1e-12 relative on random inputs,
    device scalars (0-d arrays) included; in the Krylov coefficient passes (which guard their
    divisions) a zero input, denominators included, gives no NaN or infinity."""
    from solver.backend import get_backend

    gpu = get_backend("gpu")
    kernel = KERNELS[name]
    inputs = [p.split()[0] for p in kernel.inputs.split(",")]
    outputs = [p.split()[-1] for p in kernel.outputs.split(",")]
    rng = np.random.default_rng(3)
    shape = (5, 6, 7)
    guarded = name.startswith(("kcycle", "gcr"))

    def value(kind, i):  # the first input a field, the others device scalars
        v = rng.standard_normal(shape if i == 0 else ())
        return np.asarray(v > 0.0 if kind == "bool" else v)

    for zero in (None, *(range(len(inputs)) if guarded else ())):
        host = [value(kind, i) for i, kind in enumerate(inputs)]
        if zero is not None:
            host[zero] = np.zeros_like(host[zero])
        out_host = [rng.standard_normal(shape) for _ in outputs]
        out_device = [gpu.asarray(a) for a in out_host]
        kernel(gpu.xp, *(gpu.asarray(a) for a in host), *out_device)
        kernel(np, *host, *out_host)
        for expected, got in zip(out_host, out_device, strict=True):
            got = gpu.to_host(got)
            assert np.isfinite(got).all()
            np.testing.assert_allclose(got, expected, rtol=1e-12,
                                       atol=1e-12 * np.abs(expected).max())


@pytest.mark.gpu
def test_gpu_dot_product_into_slot():
    """The dot-product reduction writes into a 0-d slot of a preallocated array."""
    from solver.backend import get_backend

    gpu = get_backend("gpu")
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((9, 8, 7)), rng.standard_normal((9, 8, 7))
    slots = gpu.xp.zeros(2)
    dot_product(gpu.xp, gpu.asarray(a), gpu.asarray(b), out=slots[1:2].reshape(()))
    np.testing.assert_allclose(gpu.to_host(slots), [0.0, np.vdot(a, b)], rtol=1e-12)
