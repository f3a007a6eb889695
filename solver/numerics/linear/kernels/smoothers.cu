// Gauss-Seidel smoother kernels of solver/numerics/linear/smoothers.py (CuPy RawModule, loaded
// by solver/numerics/linear/cuda.py).
//
// The including code prepends a typedef that makes `real` double (or float), so the precision
// follows the grid's dtype. Each kernel has a NumPy twin in solver/numerics/linear/smoothers.py
// that runs the same arithmetic (PointSmoother sub-lattice sweeps, TridiagonalLines Thomas
// recurrence).
//
// Layout: cell arrays are C-ordered (nx, ny, nz); the unknown x carries one halo cell on every
// side, shape (nx + 2, ny + 2, nz + 2), and its halo holds zeros.

// One colour of red-black point Gauss-Seidel for the seven-point operator
//   diag x_P - sum_nb a_nb x_nb = rhs:  x_P = (rhs + sum_nb a_nb x_nb) * inverse_diag
// on the cells with (i + j + k) % 2 == colour. One thread per cell of the grid.
extern "C" __global__ void rbgs_colour(
    const real* __restrict__ inverse_diag,
    const real* __restrict__ x_minus, const real* __restrict__ x_plus,
    const real* __restrict__ y_minus, const real* __restrict__ y_plus,
    const real* __restrict__ z_minus, const real* __restrict__ z_plus,
    const real* __restrict__ rhs, real* __restrict__ x,
    const int nx, const int ny, const int nz, const int colour)
{
    const long long cells = (long long)nx * ny * nz;
    const long long c = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cells) {
        return;
    }
    const int k = (int)(c % nz);
    const int j = (int)((c / nz) % ny);
    const int i = (int)(c / ((long long)ny * nz));
    if (((i + j + k) & 1) != colour) {
        return;
    }
    // strides of the halo-padded unknown
    const long long sy = nz + 2;
    const long long sx = (long long)(ny + 2) * (nz + 2);
    const long long p = (i + 1) * sx + (j + 1) * sy + (k + 1);
    real acc = rhs[c];
    acc += x_minus[c] * x[p - sx];
    acc += x_plus[c] * x[p + sx];
    acc += y_minus[c] * x[p - sy];
    acc += y_plus[c] * x[p + sy];
    acc += z_minus[c] * x[p - 1];
    acc += z_plus[c] * x[p + 1];
    x[p] = acc * inverse_diag[c];
}

// Thomas factors of independent tridiagonal systems d x_k - l x_(k-1) - u x_(k+1) = b, one per
// thread, each stored contiguously (line index last): the inverse pivots (0 where a pivot
// vanishes: a decoupled row) and the upper couplings scaled by them. Twin: thomas_factors in
// solver/numerics/linear/smoothers.py.
extern "C" __global__ void thomas_factor(
    const real* __restrict__ lower, const real* __restrict__ diag,
    const real* __restrict__ upper, real* __restrict__ inverse_pivot,
    real* __restrict__ upper_scaled, const long long lines, const int n)
{
    const long long line = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (line >= lines) {
        return;
    }
    const long long b = line * n;
    real previous = 0;
    for (int k = 0; k < n; ++k) {
        const real pivot = diag[b + k] - lower[b + k] * previous;
        const real inverse = fabs(pivot) > (real)1e-12 * fabs(diag[b + k]) ? (real)1 / pivot
                                                                           : (real)0;
        inverse_pivot[b + k] = inverse;
        previous = upper[b + k] * inverse;
        upper_scaled[b + k] = previous;
    }
}

// Independent tridiagonal systems, one per thread, each stored contiguously (line index last):
// forward elimination with precomputed inverse pivots, then back substitution, in place on
// work (the right-hand sides on entry, the solutions on exit).
extern "C" __global__ void thomas_lines(
    const real* __restrict__ lower, const real* __restrict__ inverse_pivot,
    const real* __restrict__ upper_scaled, real* __restrict__ work,
    const long long lines, const int n)
{
    const long long line = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (line >= lines) {
        return;
    }
    const long long b = line * n;
    work[b] *= inverse_pivot[b];
    for (int k = 1; k < n; ++k) {
        work[b + k] = (work[b + k] + lower[b + k] * work[b + k - 1]) * inverse_pivot[b + k];
    }
    for (int k = n - 2; k >= 0; --k) {
        work[b + k] += upper_scaled[b + k] * work[b + k + 1];
    }
}
