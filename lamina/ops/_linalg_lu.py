"""The LU factorisation, written out in NumPy (batched Gaussian elimination with partial
pivoting) with its backward formula, and what uses it: linalg.lu, lu_factor(_ex), lu_unpack,
lu_solve and torch.lu."""
import numpy as np

from ..autograd.grad_mode import _mode
from ._core import make, wrap
from ._linalg_common import LinAlgError, _batch_note, _mT, _multi
from ._linalg_solve import solve_triangular
from .arithmetic import type_name
from .linalg import matmul
from .reduction import return_type


# ---- LU ---------------------------------------------------------------------------------------
# NumPy has no LU; it is written here as Gaussian elimination with partial pivoting (LAPACK
# getrf's choices: the first largest |entry| of the column), one column at a time for the whole
# batch, so the loop runs min(m, n) times whatever the batch size.

def _lu_arrays(x):
    """(packed LU, 1-based int32 pivots, int32 info) of a batch of m×n matrices."""
    batch, (m, n) = x.shape[:-2], x.shape[-2:]
    k = min(m, n)
    a = x.reshape((-1, m, n)).copy()
    nb = a.shape[0]
    rows = np.arange(nb)
    piv = np.empty((nb, k), np.int32)
    info = np.zeros(nb, np.int32)
    for j in range(k):
        p = j + np.argmax(np.abs(a[:, j:, j]), axis=1) if nb else np.zeros(0, np.int64)
        piv[:, j] = p + 1
        swap = p != j
        if swap.any():
            r, q = rows[swap], p[swap]
            top = a[r, j].copy()
            a[r, j] = a[r, q]
            a[r, q] = top
        pivot = a[:, j, j]
        zero = pivot == 0
        info[(info == 0) & zero] = j + 1
        col = np.divide(a[:, j + 1:, j], pivot[:, None], out=np.zeros_like(a[:, j + 1:, j]),
                        where=~zero[:, None])
        a[:, j + 1:, j] = col
        a[:, j + 1:, j + 1:] -= col[:, :, None] * a[:, j, None, j + 1:]
    return a.reshape(x.shape), piv.reshape(batch + (k,)), info.reshape(batch)


def _permutation(piv, m, dtype):
    """P (m×m) with A = P L U from getrf's sequential row swaps."""
    batch, k = piv.shape[:-1], piv.shape[-1]
    perm = np.broadcast_to(np.arange(m), batch + (m,)).reshape(-1, m).copy()
    flat = piv.reshape(-1, k).astype(np.int64) - 1
    rows = np.arange(perm.shape[0])
    for j in range(k):
        q = flat[:, j]
        top = perm[:, j].copy()
        perm[:, j] = perm[rows, q]
        perm[rows, q] = top
    # row i of P^T A is row perm[i] of A, so P^T = I[perm] and P[perm[i], i] = 1
    eye = np.eye(m, dtype=dtype)
    return np.swapaxes(eye[perm], -1, -2).reshape(batch + (m, m))


def _unpack(lu, k):
    m, n = lu.shape[-2:]
    low = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype)
    up = np.triu(lu[..., :k, :])
    return low, up


def _lu_grad(p, low, up, gl, gu):
    """g_A of A = P L U (L m×k unit lower, U k×n upper, k = min(m, n)).

    Square: with X = L⁻¹ dA' U⁻¹ (A' = PᵀA), dL = L tril(X, −1) and dU = triu(X) U, so
    g_X = tril(Lᵀ g_L, −1) + triu(g_U Uᵀ) and g_A' = L⁻ᵀ g_X U⁻ᵀ. Wide (A' = L [U1 | U2]):
    U2 = L⁻¹ A'2 adds −g_U2 U2ᵀ to Lᵀ g_L and g_A'2 = L⁻ᵀ g_U2. Tall (A' = [L1; L2] U):
    L2 = A'2 U⁻¹ adds −L2ᵀ g_L2 to g_U Uᵀ and g_A'2 = g_L2 U⁻ᵀ."""
    m, n = low.shape[-2], up.shape[-1]
    k = min(m, n)
    gl = np.zeros_like(low) if gl is None else gl
    gu = np.zeros_like(up) if gu is None else gu
    l1, u1 = low[..., :k, :], up[..., :, :k]
    x_low = _mT(l1) @ gl[..., :k, :]
    x_up = gu[..., :, :k] @ _mT(u1)
    if m < n:
        x_low = x_low - gu[..., :, k:] @ _mT(up[..., :, k:])
    if m > n:
        x_up = x_up - _mT(low[..., k:, :]) @ gl[..., k:, :]
    gx = np.tril(x_low, -1) + np.triu(x_up)
    l1_it = _mT(np.linalg.inv(l1))
    u1_it = _mT(np.linalg.inv(u1))
    ga = l1_it @ gx @ u1_it
    if m < n:
        ga = np.concatenate([ga, l1_it @ gu[..., :, k:]], -1)
    if m > n:
        ga = np.concatenate([ga, gl[..., k:, :] @ u1_it], -2)
    return p @ ga


def _lu_input(name, A, pivot):
    x = A._data
    if x.ndim < 2:
        raise RuntimeError(f"torch.lu_factor: Expected tensor with 2 or more dimensions. Got size: {list(x.shape)} "
                           "instead")
    if x.dtype.kind != "f" or x.dtype == np.float16:
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{type_name(x.dtype)}'")
    if not pivot:
        raise RuntimeError(f"{name}: LU without pivoting is not implemented on the CPU")
    return x


_lu_type = return_type("linalg_lu", ("P", "L", "U"))
_lu_factor_type = return_type("linalg_lu_factor", ("LU", "pivots"))
_lu_factor_ex_type = return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
_lu_unpack_type = return_type("lu_unpack", ("P", "L", "U"))


def linalg_lu(A, *, pivot=True):
    """A = P L U with P a permutation, L unit lower triangular (m×k), U upper triangular (k×n)."""
    x = _lu_input("linalg.lu", A, pivot)
    packed, piv, _ = _lu_arrays(x)
    k = min(x.shape[-2:])
    low, up = _unpack(packed, k)
    perm = _permutation(piv, x.shape[-2], x.dtype)

    def backward(gp, gl, gu):
        return (_lu_grad(perm, low, up, gl, gu),)
    po, lo, uo = _multi([perm, low, up], (A,), backward, "LinalgLuBackward0", (A,))
    return _lu_type(po, lo, uo)


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """(LU, pivots, info): L and U packed in one matrix (L's unit diagonal implied), getrf's 1-based
    row swaps, and the 1-based index of the first zero on U's diagonal (0 if none)."""
    x = _lu_input("linalg.lu_factor_ex", A, pivot)
    packed, piv, info = _lu_arrays(x)
    if check_errors and info.any():
        raise LinAlgError(f"torch.linalg.lu_factor_ex: U[{info.max()},{info.max()}] is zero and using it on lu_solve "
                          "would result in a division by zero.")
    k = min(x.shape[-2:])
    low, up = _unpack(packed, k)
    perm = _permutation(piv, x.shape[-2], x.dtype) if (_mode.grad and A._requires_grad) else None

    def backward(g):
        return (_lu_grad(perm, low, up, np.tril(g[..., :, :k], -1), np.triu(g[..., :k, :])),)
    out = make(packed, (A,), backward, "LinalgLuFactorExBackward0", saved=(A,))
    return _lu_factor_ex_type(out, wrap(piv), wrap(info))


def lu_factor(A, *, pivot=True):
    """(LU, pivots) of linalg.lu_factor_ex; a zero on U's diagonal is an error."""
    _lu_input("linalg.lu_factor", A, pivot)
    out, piv, info = lu_factor_ex(A)
    bad = np.flatnonzero(info._data.reshape(-1))
    if bad.size:
        i = int(bad[0])
        k = int(info._data.reshape(-1)[i])
        raise LinAlgError(f"torch.linalg.lu_factor: {_batch_note(out._data.shape, i)}U[{k},{k}] is zero and using it "
                          "on lu_solve would result in a division by zero. If you still want to perform the "
                          "factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")
    return _lu_factor_type(out, piv)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) from lu_factor's packed output; L and U are differentiable in LU_data."""
    from .shape import tril, triu
    x = LU_data._data
    m, n = x.shape[-2:]
    k = min(m, n)
    empty = wrap(np.zeros((0,), x.dtype))
    perm = wrap(_permutation(np.asarray(LU_pivots._data), m, x.dtype)) if unpack_pivots else empty
    if not unpack_data:
        return _lu_unpack_type(perm, empty, empty)
    low = tril(LU_data[..., :, :k], -1) + wrap(np.eye(m, k, dtype=x.dtype))
    up = triu(LU_data[..., :k, :])
    return _lu_unpack_type(perm, low, up)


def linalg_lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """X with A X = B (X A = B when left=False; Aᵀ when adjoint) from A's LU factorisation:
    two triangular solves and a row permutation, all differentiable."""
    x = LU._data
    n = x.shape[-1]
    b = B._data
    if (b.shape[-2] if left else b.shape[-1]) != n:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {b.shape[-2]}x{b.shape[-1]})")
    p, low, up = lu_unpack(LU, pivots)
    pt = p.mT
    if left and not adjoint:   # P L U X = B
        y = solve_triangular(low, matmul(pt, B), upper=False, unitriangular=True)
        return solve_triangular(up, y, upper=True)
    if left:                   # Uᵀ Lᵀ Pᵀ X = B
        y = solve_triangular(up.mT, B, upper=False)
        return matmul(p, solve_triangular(low.mT, y, upper=True, unitriangular=True))
    if not adjoint:            # X P L U = B
        y = solve_triangular(up, B, upper=True, left=False)
        return matmul(solve_triangular(low, y, upper=False, left=False, unitriangular=True), pt)
    # X Uᵀ Lᵀ Pᵀ = B
    y = solve_triangular(low.mT, matmul(B, p), upper=True, left=False, unitriangular=True)
    return solve_triangular(up.mT, y, upper=False, left=False)


def lu_solve(b, LU_data, LU_pivots):
    """torch.lu_solve(b, LU_data, LU_pivots): linalg.lu_solve with the right-hand side first."""
    return linalg_lu_solve(LU_data, LU_pivots, b)


def lu(A, pivot=True, get_infos=False):
    """torch.lu: (LU, pivots) or (LU, pivots, infos) as a plain tuple."""
    out, piv, info = lu_factor_ex(A, pivot=pivot)
    return (out, piv, info) if get_infos else (out, piv)
