// Seven-point operator kernels of the multigrid cycle (solver/numerics/linear/multigrid.py):
// the operator applied to a halo-padded unknown, and the residual restricted to the next
// coarser level and the coarse correction prolonged back, each in one launch.
//
// The including code prepends a typedef that makes `real` double (or float). Layout as in
// smoothers.cu: cell arrays C-ordered (nx, ny, nz); the unknown carries one halo cell on every
// side, shape (nx + 2, ny + 2, nz + 2), with zeros in the halo. NumPy twins: Level.apply,
// Level.restrict_residual and Level.add_correction on the host.

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
    const int k = (int)(c % nz);
    const int j = (int)((c / nz) % ny);
    const int i = (int)(c / ((long long)ny * nz));
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
    const int ck = (int)(cc % cz);
    const int cj = (int)((cc / cz) % cy);
    const int ci = (int)(cc / ((long long)cy * cz));
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
    const int k = (int)(c % nz);
    const int j = (int)((c / nz) % ny);
    const int i = (int)(c / ((long long)ny * nz));
    const long long p = ((long long)(i + 1) * (ny + 2) + (j + 1)) * (nz + 2) + (k + 1);
    const long long q = ((long long)(i / fx + 1) * (cy + 2) + (j / fy + 1)) * (cz + 2)
                        + (k / fz + 1);
    x[p] += coarse_x[q];
}
