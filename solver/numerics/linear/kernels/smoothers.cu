// Gauss-Seidel smoother kernels of solver/numerics/linear/smoothers.py (CuPy RawModule, loaded
// by solver/numerics/cuda.py).
//
// The including code prepends a typedef that makes `real` double (or float), so the precision
// follows the grid's dtype. Each kernel has a NumPy twin in tests/gpu_twins.py that runs the
// same arithmetic with array operations (the Thomas recurrence and cyclic reduction
// vectorised over the lines) and a Numba loop in solver/numerics/host_kernels.py
// (zebra_lines_pcr excepted: the host runs zebra_lines).
//
// Layout: cell arrays are C-ordered (nx, ny, nz); the unknown x carries one halo cell on every
// side, shape (nx + 2, ny + 2, nz + 2), and its halo holds zeros.

// Indices (i, j, k) of cell c in the C-ordered layout (nx, ny, nz).
struct Cell {
    int i, j, k;
};

__device__ __forceinline__ Cell cell_of(const long long c, const int ny, const int nz)
{
    Cell cell;
    cell.k = (int)(c % nz);
    cell.j = (int)((c / nz) % ny);
    cell.i = (int)(c / ((long long)ny * nz));
    return cell;
}

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
    const Cell cell = cell_of(c, ny, nz);
    const int i = cell.i, j = cell.j, k = cell.k;
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

// Zebra line Gauss-Seidel along one axis, on the cell layout (nx, ny, nz): a line runs along
// `axis` through the cells with fixed indices on the other two axes (a, b) in C order, and its
// colour is (a + b) % 2, as the sub-blocks of LineSmoother on the host. One thread per line.
// The tridiagonal system of a line is  diag x_k - minus x_(k-1) - plus x_(k+1) = rhs + the
// off-line neighbour terms; its Thomas factors (inverse pivots, 0 where a pivot vanishes
// against the diagonal: a decoupled row, and the plus couplings scaled by them) come from
// line_factor once per operator.
struct Line {
    long long cell;    // first cell of the line in the cell layout
    long long padded;  // the same cell in the halo-padded layout
    long long step;    // stride along the line, cell layout
    long long padded_step;
    int n;             // cells on the line
    int colour;
};

__device__ Line line_of(long long line, int nx, int ny, int nz, int axis)
{
    const long long sy = nz, sx = (long long)ny * nz;
    const long long py = nz + 2, px = (long long)(ny + 2) * (nz + 2);
    int i = 0, j = 0, k = 0;
    Line l;
    if (axis == 0) {
        j = (int)(line / nz); k = (int)(line % nz);
        l.step = sx; l.padded_step = px; l.n = nx; l.colour = (j + k) & 1;
    } else if (axis == 1) {
        i = (int)(line / nz); k = (int)(line % nz);
        l.step = sy; l.padded_step = py; l.n = ny; l.colour = (i + k) & 1;
    } else {
        i = (int)(line / ny); j = (int)(line % ny);
        l.step = 1; l.padded_step = 1; l.n = nz; l.colour = (i + j) & 1;
    }
    l.cell = i * sx + j * sy + k;
    l.padded = (i + 1) * px + (j + 1) * py + (k + 1);
    return l;
}

extern "C" __global__ void line_factor(
    const real* __restrict__ minus, const real* __restrict__ diag,
    const real* __restrict__ plus, real* __restrict__ inverse_pivot,
    real* __restrict__ plus_scaled, const long long lines,
    const int nx, const int ny, const int nz, const int axis)
{
    const long long line = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (line >= lines) {
        return;
    }
    const Line l = line_of(line, nx, ny, nz, axis);
    real previous = 0;
    for (int m = 0; m < l.n; ++m) {
        const long long c = l.cell + m * l.step;
        const real pivot = diag[c] - minus[c] * previous;
        const real inverse = fabs(pivot) > (real)1e-12 * fabs(diag[c]) ? (real)1 / pivot
                                                                       : (real)0;
        inverse_pivot[c] = inverse;
        previous = plus[c] * inverse;
        plus_scaled[c] = previous;
    }
}

// The right-hand side of cell c (padded position p) on its line along `axis`: rhs plus the
// couplings to the off-line neighbours (the other colour, not written by the sweep).
__device__ __forceinline__ real line_right_side(
    const real* __restrict__ x_minus, const real* __restrict__ x_plus,
    const real* __restrict__ y_minus, const real* __restrict__ y_plus,
    const real* __restrict__ z_minus, const real* __restrict__ z_plus,
    const real* __restrict__ rhs, const real* __restrict__ x, const long long c,
    const long long p, const int ny, const int nz, const int axis)
{
    const long long py = nz + 2, px = (long long)(ny + 2) * (nz + 2);
    real acc = rhs[c];
    if (axis != 0) {
        acc += x_minus[c] * x[p - px] + x_plus[c] * x[p + px];
    }
    if (axis != 1) {
        acc += y_minus[c] * x[p - py] + y_plus[c] * x[p + py];
    }
    if (axis != 2) {
        acc += z_minus[c] * x[p - 1] + z_plus[c] * x[p + 1];
    }
    return acc;
}

extern "C" __global__ void zebra_lines(
    const real* __restrict__ inverse_pivot, const real* __restrict__ plus_scaled,
    const real* __restrict__ x_minus, const real* __restrict__ x_plus,
    const real* __restrict__ y_minus, const real* __restrict__ y_plus,
    const real* __restrict__ z_minus, const real* __restrict__ z_plus,
    const real* __restrict__ rhs, real* __restrict__ x, const long long lines,
    const int nx, const int ny, const int nz, const int axis, const int colour)
{
    const long long line = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (line >= lines) {
        return;
    }
    const Line l = line_of(line, nx, ny, nz, axis);
    if (l.colour != colour) {
        return;
    }
    const real* minus = axis == 0 ? x_minus : (axis == 1 ? y_minus : z_minus);
    // forward elimination with the off-line neighbours, the line's own solution kept in x as
    // it is produced
    real previous = 0;
    for (int m = 0; m < l.n; ++m) {
        const long long c = l.cell + m * l.step;
        const long long p = l.padded + m * l.padded_step;
        const real acc = line_right_side(x_minus, x_plus, y_minus, y_plus, z_minus, z_plus,
                                         rhs, x, c, p, ny, nz, axis);
        previous = (acc + minus[c] * previous) * inverse_pivot[c];
        x[p] = previous;
    }
    // back substitution
    for (int m = l.n - 2; m >= 0; --m) {
        const long long c = l.cell + m * l.step;
        const long long p = l.padded + m * l.padded_step;
        x[p] += plus_scaled[c] * x[p + l.padded_step];
    }
}

// The same zebra colour for longer lines (up to 1,024 cells), one thread block per line (grid:
// every line, the lines of the other colour return at once; block: a power of two of at least
// the line's cells; dynamic shared memory: four values of `real` per thread) solving its
// tridiagonal system by parallel cyclic reduction (Hockney 1965; Zhang, Cohen & Owens 2010):
// ceil(log2 n) steps, each combining every row with the rows `stride` above and below, so that
// after the last one each row holds one unknown. The one-thread-per-line Thomas recurrence
// takes 2 n - 1 dependent steps of global-memory latency; this kernel ceil(log2 n) of
// shared-memory latency, without the Thomas factors. A row with a zero diagonal (an empty
// aggregate) is the identity row x = 0, as its zero inverse pivot makes it in zebra_lines;
// the lines are diagonally dominant (no pivoting).
extern "C" __global__ void zebra_lines_pcr(
    const real* __restrict__ diag,
    const real* __restrict__ x_minus, const real* __restrict__ x_plus,
    const real* __restrict__ y_minus, const real* __restrict__ y_plus,
    const real* __restrict__ z_minus, const real* __restrict__ z_plus,
    const real* __restrict__ rhs, real* __restrict__ x, const long long lines,
    const int nx, const int ny, const int nz, const int axis, const int colour)
{
    // row m: lower[m] x_(m-1) + centre[m] x_m + upper[m] x_(m+1) = value[m]
    extern __shared__ real rows[];
    real* lower = rows;
    real* centre = rows + blockDim.x;
    real* upper = rows + 2 * blockDim.x;
    real* value = rows + 3 * blockDim.x;
    const Line l = line_of((long long)blockIdx.x, nx, ny, nz, axis);
    if ((long long)blockIdx.x >= lines || l.colour != colour) {
        return;  // the whole block: no thread reaches a barrier
    }
    const int m = threadIdx.x;
    const real* minus = axis == 0 ? x_minus : (axis == 1 ? y_minus : z_minus);
    const real* plus = axis == 0 ? x_plus : (axis == 1 ? y_plus : z_plus);
    if (m < l.n) {
        const long long c = l.cell + m * l.step;
        const real acc = line_right_side(x_minus, x_plus, y_minus, y_plus, z_minus, z_plus,
                                         rhs, x, c, l.padded + m * l.padded_step, ny, nz,
                                         axis);
        const bool empty = diag[c] == (real)0;
        lower[m] = m > 0 && !empty ? -minus[c] : (real)0;
        upper[m] = m < l.n - 1 && !empty ? -plus[c] : (real)0;
        centre[m] = empty ? (real)1 : diag[c];
        value[m] = empty ? (real)0 : acc;
    }
    __syncthreads();
    for (int stride = 1; stride < l.n; stride *= 2) {
        real a = 0, b = 1, u = 0, v = 0;
        if (m < l.n) {
            // eliminate x_(m-stride) with row m-stride and x_(m+stride) with row m+stride
            const real below = m >= stride ? -lower[m] / centre[m - stride] : (real)0;
            const real above = m + stride < l.n ? -upper[m] / centre[m + stride] : (real)0;
            a = m >= stride ? below * lower[m - stride] : (real)0;
            u = m + stride < l.n ? above * upper[m + stride] : (real)0;
            b = centre[m];
            v = value[m];
            if (m >= stride) {
                b += below * upper[m - stride];
                v += below * value[m - stride];
            }
            if (m + stride < l.n) {
                b += above * lower[m + stride];
                v += above * value[m + stride];
            }
        }
        __syncthreads();
        if (m < l.n) {
            lower[m] = a;
            centre[m] = b;
            upper[m] = u;
            value[m] = v;
        }
        __syncthreads();
    }
    if (m < l.n) {
        x[l.padded + m * l.padded_step] = value[m] / centre[m];
    }
}

// (A x)[c] = diag x_P - sum_nb a_nb x_nb for cell c = (i, j, k) of an unpadded field, the
// neighbours subtracted in the order of the host's Stencil7.apply (x_minus, x_plus, y_minus,
// ...), each only where it exists (couplings that would reach outside the grid are not read)
__device__ __forceinline__ real unpadded_operator_at(
    const real* __restrict__ diag,
    const real* __restrict__ x_minus, const real* __restrict__ x_plus,
    const real* __restrict__ y_minus, const real* __restrict__ y_plus,
    const real* __restrict__ z_minus, const real* __restrict__ z_plus,
    const real* __restrict__ x, const long long c, const Cell cell, const int nx, const int ny,
    const int nz)
{
    const long long sy = nz, sx = (long long)ny * nz;
    real product = diag[c] * x[c];
    if (cell.i > 0) product -= x_minus[c] * x[c - sx];
    if (cell.i < nx - 1) product -= x_plus[c] * x[c + sx];
    if (cell.j > 0) product -= y_minus[c] * x[c - sy];
    if (cell.j < ny - 1) product -= y_plus[c] * x[c + sy];
    if (cell.k > 0) product -= z_minus[c] * x[c - 1];
    if (cell.k < nz - 1) product -= z_plus[c] * x[c + 1];
    return product;
}

// One colour of red-black Gauss-Seidel in residual form on one cell c of an unpadded field:
// on the cells with (i + j + k) % 2 == colour and active != 0,
//   x_P += (rhs - (diag x_P - sum_nb a_nb x_nb)) / diag.
__device__ __forceinline__ void rbgs_residual_cell(
    const real* __restrict__ diag,
    const real* __restrict__ x_minus, const real* __restrict__ x_plus,
    const real* __restrict__ y_minus, const real* __restrict__ y_plus,
    const real* __restrict__ z_minus, const real* __restrict__ z_plus,
    const real* __restrict__ rhs, const real* __restrict__ active, real* __restrict__ x,
    const long long c, const int nx, const int ny, const int nz, const int colour)
{
    const Cell cell = cell_of(c, ny, nz);
    if (((cell.i + cell.j + cell.k) & 1) != colour || active[c] == (real)0) {
        return;
    }
    const real product = unpadded_operator_at(diag, x_minus, x_plus, y_minus, y_plus, z_minus,
                                              z_plus, x, c, cell, nx, ny, nz);
    x[c] += (rhs[c] - product) / diag[c];
}

// One colour of the residual-form red-black sweep on up to three unpadded fields a, b, c of
// their own shapes (the three momentum components of the flow solver,
// solver/models/flow/momentum.py) in one launch: one thread per cell of the three; a field of
// shape (0, 0, 0) is absent. The fields are independent, so this equals three launches.
extern "C" __global__ void rbgs_residual_colour(
    const real* __restrict__ diag_a,
    const real* __restrict__ x_minus_a, const real* __restrict__ x_plus_a,
    const real* __restrict__ y_minus_a, const real* __restrict__ y_plus_a,
    const real* __restrict__ z_minus_a, const real* __restrict__ z_plus_a,
    const real* __restrict__ rhs_a, const real* __restrict__ active_a,
    real* __restrict__ x_a,
    const real* __restrict__ diag_b,
    const real* __restrict__ x_minus_b, const real* __restrict__ x_plus_b,
    const real* __restrict__ y_minus_b, const real* __restrict__ y_plus_b,
    const real* __restrict__ z_minus_b, const real* __restrict__ z_plus_b,
    const real* __restrict__ rhs_b, const real* __restrict__ active_b,
    real* __restrict__ x_b,
    const real* __restrict__ diag_c,
    const real* __restrict__ x_minus_c, const real* __restrict__ x_plus_c,
    const real* __restrict__ y_minus_c, const real* __restrict__ y_plus_c,
    const real* __restrict__ z_minus_c, const real* __restrict__ z_plus_c,
    const real* __restrict__ rhs_c, const real* __restrict__ active_c,
    real* __restrict__ x_c,
    const int nx_a, const int ny_a, const int nz_a, const int nx_b, const int ny_b,
    const int nz_b, const int nx_c, const int ny_c, const int nz_c, const int colour)
{
    const long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    const long long cells_a = (long long)nx_a * ny_a * nz_a;
    const long long cells_b = (long long)nx_b * ny_b * nz_b;
    const long long cells_c = (long long)nx_c * ny_c * nz_c;
    if (t < cells_a) {
        rbgs_residual_cell(diag_a, x_minus_a, x_plus_a, y_minus_a, y_plus_a,
                           z_minus_a, z_plus_a, rhs_a, active_a, x_a, t,
                           nx_a, ny_a, nz_a, colour);
    } else if (t < cells_a + cells_b) {
        rbgs_residual_cell(diag_b, x_minus_b, x_plus_b, y_minus_b, y_plus_b,
                           z_minus_b, z_plus_b, rhs_b, active_b, x_b, t - cells_a,
                           nx_b, ny_b, nz_b, colour);
    } else if (t < cells_a + cells_b + cells_c) {
        rbgs_residual_cell(diag_c, x_minus_c, x_plus_c, y_minus_c, y_plus_c,
                           z_minus_c, z_plus_c, rhs_c, active_c, x_c, t - cells_a - cells_b,
                           nx_c, ny_c, nz_c, colour);
    }
}
