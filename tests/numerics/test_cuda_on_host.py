"""The compiled kernels against the NumPy twins that the CuPy stand-in runs
(``tests/gpu_twins.py``) and the host code of the solver, on random inputs with odd sizes, to
1e-12 relative, for both engines: the CUDA sources themselves, run on the CPU (compiled as C++
by g++, threads one after another: ``tests/cuda_on_host.py``), and the Numba loops of
:mod:`solver.numerics.host_kernels` that the CPU backend runs, serial and threaded. Every raw
kernel and every elementwise pass; contraction into fused multiply-adds is off here, so a GPU
may differ by a few ulps."""

import shutil

import numpy as np
import pytest
from gpu_twins import TWINS

from solver.numerics.host_kernels import host_kernels
from solver.numerics.linear import THREADS, cuda_source, launch_blocks
from solver.numerics.pointwise import KERNELS, Pointwise
from solver.numerics.stencil import NEIGHBOURS, OFFSETS, Stencil7, along_axis

SHAPE = (7, 6, 5)

NO_GXX = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")


@pytest.fixture(scope="module", params=[pytest.param("cuda source", marks=NO_GXX), "numba",
                                        "numba threaded"])
def cuda(request, tmp_path_factory):
    """The raw kernels by name, called as CuPy calls them: the CUDA source compiled by g++,
    or the host kernels, serial or threaded (on every size)."""
    if request.param == "numba":
        return host_kernels(parallel_cells=np.iinfo(np.int64).max)
    if request.param == "numba threaded":
        return host_kernels(parallel_cells=1)
    from cuda_on_host import HostKernels

    return HostKernels(cuda_source("float64"), tmp_path_factory.mktemp("cuda"))


def _operator(shape, seed):
    """diag and the six couplings (zero where they would reach outside the grid), C-ordered."""
    rng = np.random.default_rng(seed)
    couplings = []
    for name in NEIGHBOURS:
        axis, offset = OFFSETS[name]
        c = rng.uniform(0.1, 2.0, shape)
        c[along_axis(axis, 0 if offset < 0 else -1)] = 0.0
        couplings.append(c)
    diag = sum(couplings) + rng.uniform(0.1, 1.0, shape)
    return [np.ascontiguousarray(a) for a in (diag, *couplings)]


def _padded(shape, seed):
    x = np.zeros(tuple(n + 2 for n in shape))
    x[1:-1, 1:-1, 1:-1] = np.random.default_rng(seed).standard_normal(shape)
    return x


def _both(cuda, name, count, args):
    """Run kernel ``name`` through its twin and its CUDA source on copies of ``args``."""
    grid, block = launch_blocks(count), (THREADS,)
    flat = [a.ravel().copy() if isinstance(a, np.ndarray) else a for a in args]
    source = [a.ravel().copy() if isinstance(a, np.ndarray) else a for a in args]
    TWINS[name](grid, block, flat)
    cuda[name](grid, block, source)
    for expected, got in zip(flat, source, strict=True):
        if isinstance(expected, np.ndarray):
            np.testing.assert_allclose(got, expected, rtol=1e-12,
                                       atol=1e-12 * max(np.abs(expected).max(), 1.0))
    return flat


def _sizes(shape):
    return tuple(np.int32(n) for n in shape)


@pytest.mark.parametrize("colour", [0, 1])
def test_rbgs_colour(cuda, colour):
    """Point red-black sweep: x_P = (rhs + sum a_nb x_nb) / a_P on one colour."""
    diag, *couplings = _operator(SHAPE, 1)
    rhs = np.random.default_rng(2).standard_normal(SHAPE)
    x = _padded(SHAPE, 3)
    expected = x.copy()
    interior = expected[1:-1, 1:-1, 1:-1]
    acc = rhs.copy()
    for name, c in zip(NEIGHBOURS, couplings, strict=True):
        axis, offset = OFFSETS[name]
        index = [slice(1, -1)] * 3
        index[axis] = slice(1 + offset, SHAPE[axis] + 1 + offset)
        acc += c * x[tuple(index)]
    update = np.indices(SHAPE).sum(axis=0) % 2 == colour
    interior[update] = (acc / diag)[update]
    got = x.ravel().copy()
    cuda["rbgs_colour"](launch_blocks(x.size), (THREADS,),
                        (1.0 / diag, *couplings, rhs, got, *_sizes(SHAPE), np.int32(colour)))
    np.testing.assert_allclose(got.reshape(x.shape), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("colour", [0, 1])
@pytest.mark.parametrize("shapes", [[(8, 6, 5), (7, 7, 5), (7, 6, 6)],  # momentum components
                                    [(7, 6, 5), (0, 0, 0), (3, 1, 4)]])  # an absent field
def test_rbgs_residual_colour(cuda, colour, shapes):
    """One launch sweeps up to three fields of their own shapes, each as on its own."""
    rng = np.random.default_rng(5)
    fields = []
    for f, shape in enumerate(shapes):
        if not np.prod(shape):
            shape = (1, 1, 1)  # placeholders, not read
        fields += [*_operator(shape, 4 + f), rng.standard_normal(shape),
                   (rng.random(shape) < 0.7).astype(float), rng.standard_normal(shape)]
    _both(cuda, "rbgs_residual_colour", sum(int(np.prod(s)) for s in shapes),
          (*fields, *(np.int32(n) for shape in shapes for n in shape), np.int32(colour)))


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_line_factor_and_zebra_lines(cuda, axis):
    """Thomas factors of every line along ``axis``, then both colours of zebra sweeps."""
    diag, *couplings = _operator(SHAPE, 6)
    lines = int(np.prod(SHAPE)) // SHAPE[axis]
    sizes = (np.int64(lines), *_sizes(SHAPE), np.int32(axis))
    inverse, scaled = np.zeros(SHAPE), np.zeros(SHAPE)
    factors = _both(cuda, "line_factor", lines,
                    (couplings[2 * axis], diag, couplings[2 * axis + 1], inverse, scaled,
                     *sizes))
    rhs = np.random.default_rng(7).standard_normal(SHAPE)
    for colour in (0, 1):
        _both(cuda, "zebra_lines", lines,
              (factors[3], factors[4], *couplings, rhs, _padded(SHAPE, 8 + colour), *sizes,
               np.int32(colour)))


@pytest.mark.parametrize("empty_cells", [False, True])
@pytest.mark.parametrize("length", [37, 13])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_zebra_lines_pcr(cuda, axis, length, empty_cells):
    """The GPU's zebra sweep of longer lines, a block per line solving by cyclic reduction,
    against its twin and against the Thomas sweep (``zebra_lines``, what the CPU runs), both
    colours on lines of 37 and 13 cells (blocks of 64 and 16 threads); with empty cells (zero
    rows, as empty aggregates leave), whose unknowns both make 0."""
    shape = [6, 5, 4]
    shape[axis] = length
    block = 1 << (length - 1).bit_length()
    shape = tuple(shape)
    diag, *couplings = _operator(shape, 11)
    if empty_cells:
        empty = np.random.default_rng(12).random(shape) < 0.1
        diag[empty] = 0.0
        for name, c in zip(NEIGHBOURS, couplings, strict=True):
            c[empty] = 0.0
            along, offset = OFFSETS[name]  # the neighbours' couplings towards an empty cell
            c[np.roll(empty, -offset, axis=along)] = 0.0
    lines = int(np.prod(shape)) // shape[axis]
    sizes = (np.int64(lines), *_sizes(shape), np.int32(axis))
    inverse, scaled = np.zeros(shape), np.zeros(shape)
    TWINS["line_factor"](launch_blocks(lines), (THREADS,),
                         [a.ravel() for a in (couplings[2 * axis], diag,
                                              couplings[2 * axis + 1], inverse, scaled)]
                         + list(sizes))
    rhs = np.random.default_rng(13).standard_normal(shape)
    for colour in (0, 1):
        x = _padded(shape, 14 + colour)
        thomas = [a.ravel().copy() if isinstance(a, np.ndarray) else a for a in (
            inverse, scaled, *couplings, rhs, x, *sizes, np.int32(colour))]
        TWINS["zebra_lines"](launch_blocks(lines), (THREADS,), thomas)
        arguments = (diag, *couplings, rhs, x, *sizes, np.int32(colour))
        twin = [a.ravel().copy() if isinstance(a, np.ndarray) else a for a in arguments]
        TWINS["zebra_lines_pcr"]((lines,), (block,), twin)
        scale = np.abs(thomas[9]).max()
        np.testing.assert_allclose(twin[8], thomas[9], rtol=1e-12, atol=1e-12 * scale)
        if "zebra_lines_pcr" in getattr(cuda, "signatures", {}):  # the CUDA source
            got = [a.ravel().copy() if isinstance(a, np.ndarray) else a for a in arguments]
            cuda["zebra_lines_pcr"]((lines,), (block,), got, shared_mem=4 * block * 8)
            np.testing.assert_allclose(got[8], twin[8], rtol=1e-12, atol=1e-12 * scale)
        else:  # the CPU engine's Thomas sweep
            got = [a.ravel().copy() if isinstance(a, np.ndarray) else a for a in (
                inverse, scaled, *couplings, rhs, x, *sizes, np.int32(colour))]
            cuda["zebra_lines"](launch_blocks(lines), (THREADS,), got)
            np.testing.assert_allclose(got[9], twin[8], rtol=1e-12, atol=1e-12 * scale)
        if empty_cells:  # on this colour's lines
            on_colour = (np.indices(shape).sum(axis=0) - np.indices(shape)[axis]) % 2 == colour
            solved = twin[8].reshape(x.shape)[1:-1, 1:-1, 1:-1]
            assert np.all(solved[empty & on_colour] == 0.0) and np.any(empty & on_colour)


@pytest.mark.parametrize("out_padded", [0, 1])
def test_stencil_apply(cuda, out_padded):
    out = np.zeros(tuple(n + 2 for n in SHAPE)) if out_padded else np.zeros(SHAPE)
    _both(cuda, "stencil_apply", int(np.prod(SHAPE)),
          (*_operator(SHAPE, 9), _padded(SHAPE, 10), out, *_sizes(SHAPE),
           np.int32(out_padded)))


@pytest.mark.parametrize("residual", [0, 1])
@pytest.mark.parametrize("shape", [SHAPE, (1, 6, 5), (7, 1, 1)])
def test_cell_operator(cuda, residual, shape):
    """``A x`` and ``rhs - A x`` on an unpadded field equal the host's Stencil7 (thin grids
    included: no neighbour read beyond a side)."""
    rng = np.random.default_rng(19)
    x, rhs = rng.standard_normal(shape), rng.standard_normal(shape)
    (*_, out, _, _, _, _) = _both(cuda, "cell_operator", int(np.prod(shape)),
                                  (*_operator(shape, 20), x, rhs, np.zeros(shape),
                                   *_sizes(shape), np.int32(residual)))
    product = Stencil7(*_operator(shape, 20)).apply_arrays(x, np.empty(shape))
    expected = rhs - product if residual else product
    np.testing.assert_array_equal(out.reshape(shape), expected)


@pytest.mark.parametrize("scheme", [0, 1, 2])
@pytest.mark.parametrize("d, offset, masks, has_usable", [(0, 0, 0, 0), (0, 0, 1, 0),
                                                           (1, 1, 0, 1), (2, 1, 0, 1)])
def test_momentum_tvd_correction(cuda, scheme, d, offset, masks, has_usable):
    """The per-cell deferred convection correction against the host's faces, for each scheme,
    along each axis, with and without port masks and usable-node factors; fluxes of both signs
    and rough fields exercise every limiter branch."""
    rng = np.random.default_rng(21 + scheme + 3 * d)
    n = SHAPE[d]

    def extent(e):
        return tuple(e if axis == d else size for axis, size in enumerate(SHAPE))

    nodes = np.cumsum(rng.uniform(0.5, 1.5, n + 2))  # ghost, nodes, ghost (non-uniform)
    faces = 0.5 * (nodes[1:-2] + nodes[2:-1]) + rng.uniform(-0.1, 0.1, n - 1)
    lines = [np.ascontiguousarray(a) for a in (nodes[1:-2], nodes[2:-1], nodes[:-3],
                                               nodes[3:], faces)]
    _both(cuda, "momentum_tvd_correction", int(np.prod(SHAPE)),
          (rng.standard_normal(SHAPE), rng.standard_normal(extent(n - 1 + 2 * offset)),
           rng.random(extent(n - 1)) < 0.7, rng.random(extent(n - 1)) < 0.7,
           (rng.random(extent(n + 2)) < 0.8).astype(float), *lines,
           rng.standard_normal(SHAPE), *_sizes(SHAPE), np.int32(d), np.int32(offset),
           np.int32(masks), np.int32(has_usable), np.int32(scheme)))


@pytest.mark.parametrize("factors", [(2, 2, 2), (1, 2, 1), (2, 1, 2)])
def test_residual_restrict_and_prolong_add(cuda, factors):
    coarse = tuple(-(-n // f) for n, f in zip(SHAPE, factors, strict=True))
    rhs = np.random.default_rng(11).standard_normal(SHAPE)
    _both(cuda, "residual_restrict", int(np.prod(coarse)),
          (*_operator(SHAPE, 12), rhs, _padded(SHAPE, 13), np.zeros(coarse),
           *_sizes(SHAPE), *(np.int32(f) for f in factors), *_sizes(coarse)))
    _both(cuda, "prolong_add", int(np.prod(SHAPE)),
          (_padded(coarse, 14), _padded(SHAPE, 15), *_sizes(SHAPE),
           *(np.int32(f) for f in factors), *_sizes(coarse[1:])))


@pytest.mark.parametrize("name", sorted(n for n, k in KERNELS.items()
                                        if isinstance(k, Pointwise)))
@NO_GXX
def test_elementwise_operation(tmp_path, name):
    """Each elementwise pass's CUDA operation (declared as CuPy declares it) equals its host
    function."""
    from cuda_on_host import HostKernels

    kernel = KERNELS[name]
    host = HostKernels(kernel.cuda_check_source("double"), tmp_path)
    inputs = [p.split()[0] for p in kernel.inputs.split(",")]
    outputs = [p.split()[-1] for p in kernel.outputs.split(",")]
    rng = np.random.default_rng(16)
    n = 60
    # mixed signs exercise the limiters' and the upwind choice's branches
    values = [rng.random(n) < 0.5 if kind == "bool" else rng.uniform(0.5, 2.0, n)
              * rng.choice([-1.0, 1.0], n) for kind in inputs]
    expected = [rng.standard_normal(n) for _ in outputs]
    got = [e.copy() for e in expected]
    kernel.host(*values, *expected)
    host[name](launch_blocks(n), (THREADS,), (*values, *got, np.int64(n)))
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape, factors", [((7, 6, 5), (2, 2, 2)), ((8, 6, 5), (2, 1, 2)),
                                            ((7, 9, 4), (1, 2, 2)), ((6, 1, 5), (2, 1, 2))])
def test_coarsen_operator(cuda, shape, factors):
    """The coarse operator (scaled diffusive links, boundary sinks in series, isolated
    cells) on random couplings, some one-sided (advective excess), some cells isolated."""
    diag, *couplings = _operator(shape, 17)
    rng = np.random.default_rng(18)
    couplings = [c * rng.uniform(0.2, 5.0, shape) for c in couplings]
    isolated = rng.random(shape) < 0.1
    for c in couplings:
        c[isolated] = 0.0
    diag = sum(couplings) + rng.uniform(0.0, 1.0, shape) * (rng.random(shape) < 0.5)
    diag[isolated] = 1.0
    coarse = tuple(-(-n // f) for n, f in zip(shape, factors, strict=True))
    _both(cuda, "coarsen_operator", int(np.prod(coarse)),
          (diag, *couplings, *(np.zeros(coarse) for _ in range(7)), *_sizes(shape),
           *(np.int32(f) for f in factors), *_sizes(coarse)))
