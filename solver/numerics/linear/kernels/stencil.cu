// Seven-point operator kernels of the multigrid cycle (solver/numerics/linear/multigrid.py):
// the operator applied to a halo-padded unknown, and the residual restricted to the next
// coarser level and the coarse correction prolonged back, each in one launch.
//
// The including code prepends a typedef that makes `real` double (or float), and this file
// follows smoothers.cu in one module (it uses its Cell and cell_of). Layout as in
// smoothers.cu: cell arrays C-ordered (nx, ny, nz); the unknown carries one halo cell on every
// side, shape (nx + 2, ny + 2, nz + 2), with zeros in the halo. NumPy twins: Level.apply and
// Transfer.restrict_residual / add_correction on the host, coarsen_stencil.

// (A x)[c] = diag x_P - sum_nb a_nb x_nb for cell (i, j, k) at cell index c
__device__ __forceinline__ real operator_at(
    const real* __restrict__ diag,
    const real* __restrict__ x_minus, const real* __restrict__ x_plus,
    const real* __restrict__ y_minus, const real* __restrict__ y_plus,
    const real* __restrict__ z_minus, const real* __restrict__ z_plus,
    const real* __restrict__ x, const long long c, const int i, const int j, const int k,
    const int ny, const int nz)
{
    const long long sy = nz + 2;
    const long long sx = (long long)(ny + 2) * (nz + 2);
    const long long p = (i + 1) * sx + (j + 1) * sy + (k + 1);
    return diag[c] * x[p] - (x_minus[c] * x[p - sx] + x_plus[c] * x[p + sx]
                             + y_minus[c] * x[p - sy] + y_plus[c] * x[p + sy]
                             + z_minus[c] * x[p - 1] + z_plus[c] * x[p + 1]);
}

// out = A x, one thread per cell; out is cell-shaped, or halo-padded when out_padded is 1
// (its interior is written)
extern "C" __global__ void stencil_apply(
    const real* __restrict__ diag,
    const real* __restrict__ x_minus, const real* __restrict__ x_plus,
    const real* __restrict__ y_minus, const real* __restrict__ y_plus,
    const real* __restrict__ z_minus, const real* __restrict__ z_plus,
    const real* __restrict__ x, real* __restrict__ out,
    const int nx, const int ny, const int nz, const int out_padded)
{
    const long long cells = (long long)nx * ny * nz;
    const long long c = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cells) {
        return;
    }
    const Cell cell = cell_of(c, ny, nz);
    const int i = cell.i, j = cell.j, k = cell.k;
    const long long o = out_padded ? ((long long)(i + 1) * (ny + 2) + (j + 1)) * (nz + 2)
                                         + (k + 1)
                                   : c;
    out[o] = operator_at(diag, x_minus, x_plus, y_minus, y_plus, z_minus, z_plus, x, c, i, j,
                         k, ny, nz);
}

// coarse_rhs = R (rhs - A x): the residual summed over each aggregate of fx x fy x fz fine
// cells (fewer at the upper end of an odd axis). One thread per coarse cell.
extern "C" __global__ void residual_restrict(
    const real* __restrict__ diag,
    const real* __restrict__ x_minus, const real* __restrict__ x_plus,
    const real* __restrict__ y_minus, const real* __restrict__ y_plus,
    const real* __restrict__ z_minus, const real* __restrict__ z_plus,
    const real* __restrict__ rhs, const real* __restrict__ x,
    real* __restrict__ coarse_rhs, const int nx, const int ny, const int nz,
    const int fx, const int fy, const int fz, const int cx, const int cy, const int cz)
{
    const long long coarse_cells = (long long)cx * cy * cz;
    const long long cc = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (cc >= coarse_cells) {
        return;
    }
    const Cell coarse = cell_of(cc, cy, cz);
    const int ci = coarse.i, cj = coarse.j, ck = coarse.k;
    real sum = 0;
    for (int a = 0; a < fx; ++a) {
        const int i = ci * fx + a;
        if (i >= nx) break;
        for (int b = 0; b < fy; ++b) {
            const int j = cj * fy + b;
            if (j >= ny) break;
            for (int d = 0; d < fz; ++d) {
                const int k = ck * fz + d;
                if (k >= nz) break;
                const long long c = ((long long)i * ny + j) * nz + k;
                sum += rhs[c] - operator_at(diag, x_minus, x_plus, y_minus, y_plus, z_minus,
                                            z_plus, x, c, i, j, k, ny, nz);
            }
        }
    }
    coarse_rhs[cc] = sum;
}

// x += P coarse_x: every fine cell takes the correction of its aggregate (piecewise constant);
// both unknowns halo-padded, halos untouched. One thread per fine cell.
extern "C" __global__ void prolong_add(
    const real* __restrict__ coarse_x, real* __restrict__ x,
    const int nx, const int ny, const int nz,
    const int fx, const int fy, const int fz, const int cy, const int cz)
{
    const long long cells = (long long)nx * ny * nz;
    const long long c = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cells) {
        return;
    }
    const Cell cell = cell_of(c, ny, nz);
    const int i = cell.i, j = cell.j, k = cell.k;
    const long long p = ((long long)(i + 1) * (ny + 2) + (j + 1)) * (nz + 2) + (k + 1);
    const long long q = ((long long)(i / fx + 1) * (cy + 2) + (j / fy + 1)) * (cz + 2)
                        + (k / fz + 1);
    x[p] += coarse_x[q];
}

// The coarse operator of coarsen_stencil (solver/numerics/linear/coarsening.py, its twin): for
// aggregates of fx x fy x fz cells, couplings crossing an aggregate face summed over the face
// with the diffusive part of each fine link scaled by 1/f along a coarsened axis; the diagonal
// from the aggregate's sinks (diag - sum a_nb; on a boundary slab of a coarsened axis in series
// with half the inward link; isolated cells count only where the whole aggregate is isolated)
// plus the coarse couplings. One thread per coarse cell.
__device__ __forceinline__ real diffusive_link(const real* __restrict__ plus,
                                               const real* __restrict__ minus,
                                               const long long c, const long long step)
{
    // the diffusive part of the link from cell c to cell c + step
    return fmax(fmin(plus[c], minus[c + step]), (real)0);
}

__device__ __forceinline__ real boundary_series(const real sink, const real inward)
{
    return (sink > 0 && inward > 0) ? (real)1 / ((real)1 / sink + (real)0.5 / inward) : sink;
}

extern "C" __global__ void coarsen_operator(
    const real* __restrict__ diag,
    const real* __restrict__ x_minus, const real* __restrict__ x_plus,
    const real* __restrict__ y_minus, const real* __restrict__ y_plus,
    const real* __restrict__ z_minus, const real* __restrict__ z_plus,
    real* __restrict__ coarse_diag,
    real* __restrict__ coarse_x_minus, real* __restrict__ coarse_x_plus,
    real* __restrict__ coarse_y_minus, real* __restrict__ coarse_y_plus,
    real* __restrict__ coarse_z_minus, real* __restrict__ coarse_z_plus,
    const int nx, const int ny, const int nz, const int fx, const int fy, const int fz,
    const int cx, const int cy, const int cz)
{
    const long long coarse_cells = (long long)cx * cy * cz;
    const long long cc = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (cc >= coarse_cells) {
        return;
    }
    const Cell coarse = cell_of(cc, cy, cz);
    const int ci = coarse.i, cj = coarse.j, ck = coarse.k;
    const int n[3] = {nx, ny, nz};
    const int f[3] = {fx, fy, fz};
    const int first[3] = {ci * fx, cj * fy, ck * fz};
    const long long step[3] = {(long long)ny * nz, nz, 1};
    const real* minus[3] = {x_minus, y_minus, z_minus};
    const real* plus[3] = {x_plus, y_plus, z_plus};
    real coarse_minus[3] = {0, 0, 0}, coarse_plus[3] = {0, 0, 0};
    real coupled_sink = 0, coupled_cells = 0, isolated_sink = 0;
    for (int a = 0; a < fx; ++a) {
        for (int b = 0; b < fy; ++b) {
            for (int d = 0; d < fz; ++d) {
                const int index[3] = {first[0] + a, first[1] + b, first[2] + d};
                if (index[0] >= nx || index[1] >= ny || index[2] >= nz) {
                    continue;
                }
                const long long c = index[0] * step[0] + index[1] * step[1] + index[2];
                const real sink = diag[c] - (x_minus[c] + x_plus[c] + y_minus[c] + y_plus[c]
                                             + z_minus[c] + z_plus[c]);
                const bool isolated = fabs(x_minus[c]) + fabs(x_plus[c]) + fabs(y_minus[c])
                                      + fabs(y_plus[c]) + fabs(z_minus[c]) + fabs(z_plus[c])
                                      == (real)0;
                real boundary = sink;
                for (int axis = 0; axis < 3; ++axis) {
                    const int i = index[axis], size = n[axis];
                    const real shrink = (real)1 - (real)1 / (real)f[axis];
                    if (f[axis] == 2 && size > 1) {
                        if (i == 0) {
                            boundary = fmin(boundary, boundary_series(
                                sink, diffusive_link(plus[axis], minus[axis], c, step[axis])));
                        }
                        if (size % 2 == 0 && i == size - 1) {
                            boundary = fmin(boundary, boundary_series(
                                sink, diffusive_link(plus[axis], minus[axis], c - step[axis],
                                                     step[axis])));
                        }
                    }
                    // couplings across the aggregate's faces, diffusive parts scaled
                    if (i == first[axis] + f[axis] - 1) {
                        coarse_plus[axis] += plus[axis][c] - (i < size - 1
                            ? shrink * diffusive_link(plus[axis], minus[axis], c, step[axis])
                            : (real)0);
                    }
                    if (i == first[axis]) {
                        coarse_minus[axis] += minus[axis][c] - (i > 0
                            ? shrink * diffusive_link(plus[axis], minus[axis], c - step[axis],
                                                      step[axis])
                            : (real)0);
                    }
                }
                if (isolated) {
                    isolated_sink += sink;
                } else {
                    coupled_sink += boundary;
                    coupled_cells += 1;
                }
            }
        }
    }
    coarse_x_minus[cc] = coarse_minus[0];
    coarse_x_plus[cc] = coarse_plus[0];
    coarse_y_minus[cc] = coarse_minus[1];
    coarse_y_plus[cc] = coarse_plus[1];
    coarse_z_minus[cc] = coarse_minus[2];
    coarse_z_plus[cc] = coarse_plus[2];
    coarse_diag[cc] = (coupled_cells > 0 ? coupled_sink : isolated_sink) + coarse_minus[0]
                      + coarse_plus[0] + coarse_minus[1] + coarse_plus[1] + coarse_minus[2]
                      + coarse_plus[2];
}

// On an unpadded cell field x: out = A x (residual 0) or out = rhs - A x (residual 1)
// (unpadded_operator_at of smoothers.cu). One thread per cell.
extern "C" __global__ void cell_operator(
    const real* __restrict__ diag,
    const real* __restrict__ x_minus, const real* __restrict__ x_plus,
    const real* __restrict__ y_minus, const real* __restrict__ y_plus,
    const real* __restrict__ z_minus, const real* __restrict__ z_plus,
    const real* __restrict__ x, const real* __restrict__ rhs, real* __restrict__ out,
    const int nx, const int ny, const int nz, const int residual)
{
    const long long cells = (long long)nx * ny * nz;
    const long long c = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cells) {
        return;
    }
    const real ax = unpadded_operator_at(diag, x_minus, x_plus, y_minus, y_plus, z_minus,
                                         z_plus, x, c, cell_of(c, ny, nz), nx, ny, nz);
    out[c] = residual ? rhs[c] - ax : ax;
}
