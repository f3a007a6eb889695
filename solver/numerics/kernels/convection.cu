// Deferred correction of bounded (TVD) convection on a staggered momentum component, gathered
// per cell in one launch per direction: each cell computes the correction
// F (phi_face_TVD - phi_face_upwind) of its face below and of its face above along axis d
// and adds (below - above) to its right-hand side, so no face array, no padded copy of phi
// and no second pass are needed. NumPy twin: the host path of
// Component.deferred_correction (solver/models/flow/momentum.py), called by
// tests/gpu_twins.py.
//
// Layout: phi and rhs C-ordered (nx, ny, nz); along d the faces between nodes f and f + 1,
// f = 0 .. n - 2, in arrays of the same shape with extent n - 1 along d (before, after:
// whether node f - 1, node f + 2 is usable upwind, read when masks is 1), the face mass
// fluxes with extent n - 1 + 2 flux_offset (face f at f + flux_offset), the usable-node
// factor of the nodes across the flow edge-padded along d (extent n + 2, node f - 1 at f,
// node f + 2 at f + 3; read when has_usable is 1); node and face coordinates along d as
// one-dimensional arrays over the faces. Beyond the ends the node values repeat the edge.
// scheme: 0 van Leer, 1 minmod, 2 linear upwind (the slopes of solver/numerics/limiters.py).

__device__ __forceinline__ real limited_slope(const real upwind, const real central,
                                              const int scheme)
{
    if (scheme == 2) {
        return upwind;
    }
    const real product = upwind * central;
    if (!(product > (real)0)) {
        return (real)0;
    }
    if (scheme == 0) {
        return (real)2 * product / (upwind + central);
    }
    return copysign(fmin(fabs(upwind), fabs(central)), central);
}

// C-order index of cell (i, j, k) with its index along d replaced by m, in an array of
// extents (., ny, nz) whose extent along d is `extent`
__device__ __forceinline__ long long index_along(const int i, const int j, const int k,
                                                 const int d, const int m, const int ny,
                                                 const int nz, const int extent)
{
    if (d == 0) {
        return ((long long)m * ny + j) * nz + k;
    }
    if (d == 1) {
        return ((long long)i * extent + m) * nz + k;
    }
    return ((long long)i * ny + j) * extent + m;
}

extern "C" __global__ void momentum_tvd_correction(
    const real* __restrict__ phi, const real* __restrict__ flux,
    const bool* __restrict__ before, const bool* __restrict__ after,
    const real* __restrict__ usable,
    const real* __restrict__ x_lower, const real* __restrict__ x_upper,
    const real* __restrict__ x_lower2, const real* __restrict__ x_upper2,
    const real* __restrict__ x_face, real* __restrict__ rhs,
    const int nx, const int ny, const int nz, const int d, const int flux_offset,
    const int masks, const int has_usable, const int scheme)
{
    const long long cells = (long long)nx * ny * nz;
    const long long c = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cells) {
        return;
    }
    const Cell cell = cell_of(c, ny, nz);
    const int i = cell.i, j = cell.j, k = cell.k;
    const int n = d == 0 ? nx : (d == 1 ? ny : nz);
    const int m = d == 0 ? i : (d == 1 ? j : k);
    real faces[2] = {(real)0, (real)0};  // below (face m - 1) and above (face m)
    for (int side = 0; side < 2; ++side) {
        const int f = m - 1 + side;
        if (f < 0 || f > n - 2) {
            continue;
        }
        const long long face = index_along(i, j, k, d, f, ny, nz, n - 1);
        const real lower = phi[index_along(i, j, k, d, f, ny, nz, n)];
        const real upper = phi[index_along(i, j, k, d, f + 1, ny, nz, n)];
        const bool use_lower2 = masks ? before[face] : true;
        const bool use_upper2 = masks ? after[face] : true;
        const real lower2 = use_lower2
            ? phi[index_along(i, j, k, d, f > 0 ? f - 1 : 0, ny, nz, n)] : lower;
        const real upper2 = use_upper2
            ? phi[index_along(i, j, k, d, f + 2 < n ? f + 2 : n - 1, ny, nz, n)] : upper;
        const real usable_lower2 = has_usable
            ? usable[index_along(i, j, k, d, f, ny, nz, n + 2)] : (real)1;
        const real usable_upper2 = has_usable
            ? usable[index_along(i, j, k, d, f + 3, ny, nz, n + 2)] : (real)1;
        const real central = (upper - lower) / (x_upper[f] - x_lower[f]);
        const real from_lower = limited_slope((lower - lower2) / (x_lower[f] - x_lower2[f]),
                                              central, scheme)
                                * (x_face[f] - x_lower[f]) * usable_lower2;
        const real from_upper = limited_slope((upper2 - upper) / (x_upper2[f] - x_upper[f]),
                                              central, scheme)
                                * (x_face[f] - x_upper[f]) * usable_upper2;
        const real F = flux[index_along(i, j, k, d, f + flux_offset, ny, nz,
                                        n - 1 + 2 * flux_offset)];
        faces[side] = F * (F > (real)0 ? from_lower : from_upper);
    }
    rhs[c] = (rhs[c] - faces[1]) + faces[0];
}
