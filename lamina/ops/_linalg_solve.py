"""Inverses, determinants and linear solves: inv/inv_ex, det/slogdet/logdet, solve/solve_ex,
solve_triangular/triangular_solve, and the tensor forms tensorinv/tensorsolve.

NumPy's LAPACK wrappers do the work (batched over leading dims); each gradient is the usual
one from the differential of A X = B (g_B = A⁻ᵀ g, g_A = −g_B Xᵀ)."""
import numpy as np

from ..tensor import Tensor
from ._core import as_tensor, broadcast_error, make, unbroadcast, wrap
from ._linalg_common import LinAlgError, _batch_note, _eye_like, _first_zero_pivot, _matrix, _mT, _multi
from .arithmetic import type_name
from .reduction import return_type


# ---- inverse, determinants ---------------------------------------------------------------------

def _singular_error(name, x):
    flat = x.reshape((-1,) + x.shape[-2:])
    for i, m in enumerate(flat):
        k = _first_zero_pivot(m)
        if k:
            return LinAlgError(f"{name}: {_batch_note(x.shape, i)}The diagonal element {k} is zero, the inversion "
                               "could not be completed because the input matrix is singular.")
    return LinAlgError(f"{name}: The inversion could not be completed because the input matrix is singular.")


def _inv(name, x):
    try:
        return np.linalg.inv(x)
    except np.linalg.LinAlgError:
        raise _singular_error(name, x) from None


def linalg_inv(A):
    """A⁻¹ of a square matrix (or a batch). Gradient: −A⁻ᵀ g A⁻ᵀ."""
    x = A._data
    _matrix("linalg.inv", x)
    out = _inv("linalg.inv", x)

    def backward(g):
        ot = _mT(out)
        return (-(ot @ g @ ot),)
    return make(out, (A,), backward, "LinalgInvExBackward0", saved=(A,), save_output=True)


def inverse(input):
    """torch.inverse: the same as torch.linalg.inv."""
    return linalg_inv(input)


_inv_ex_type = return_type("linalg_inv_ex", ("inverse", "info"))


def inv_ex(A, *, check_errors=False):
    """(inverse, info): info is 0, or the 1-based index of the zero pivot of a singular matrix
    (whose inverse is then not meaningful)."""
    x = A._data
    _matrix("linalg.inv", x)
    try:
        return _inv_ex_type(linalg_inv(A), wrap(np.zeros(x.shape[:-2], np.int32)))
    except LinAlgError:
        if check_errors:
            raise
    flat = x.reshape((-1,) + x.shape[-2:])
    info = np.array([_first_zero_pivot(m) for m in flat], np.int32).reshape(x.shape[:-2])
    safe = np.where((info > 0)[..., None, None], _eye_like(x), x)
    out = np.linalg.inv(safe)

    def backward(g):
        ot = _mT(out)
        return (-(ot @ g @ ot),)
    return _inv_ex_type(make(out, (A,), backward, "LinalgInvExBackward0", saved=(A,), save_output=True), wrap(info))


def det(input):
    """det(A) of a square matrix (or a batch). Gradient: g · det(A) · A⁻ᵀ; zero for a matrix whose
    determinant is exactly zero, as in PyTorch."""
    x = input._data
    _matrix("linalg.det", x)
    out = np.linalg.det(x)

    def backward(g):
        d = out[..., None, None]
        singular = d == 0
        safe = np.where(singular, _eye_like(x), x) if singular.any() else x
        return (np.asarray(g)[..., None, None] * d * _mT(np.linalg.inv(safe)),)
    return make(out, (input,), backward, "LinalgDetBackward0", saved=(input,), save_output=True)


_slogdet_type = return_type("slogdet", ("sign", "logabsdet"))
_linalg_slogdet_type = return_type("linalg_slogdet", ("sign", "logabsdet"))


def linalg_slogdet(A, _type=_linalg_slogdet_type):
    """(sign, log|det A|). Gradient of log|det A|: g · A⁻ᵀ; sign has none."""
    x = A._data
    _matrix("linalg.slogdet", x)
    sign, logabs = np.linalg.slogdet(x)

    def backward(gs, gl):
        if gl is None:
            return (np.zeros_like(x),)
        return (np.asarray(gl)[..., None, None] * _mT(np.linalg.inv(x)),)
    s, l = _multi([np.asarray(sign), np.asarray(logabs)], (A,), backward, "LinalgSlogdetBackward0", (A,))
    return _type(s, l)


def slogdet(input):
    return linalg_slogdet(input, _slogdet_type)


def logdet(input):
    """log det A: nan for a negative determinant, −inf for a singular matrix."""
    x = input._data
    _matrix("logdet", x)
    sign, logabs = np.linalg.slogdet(x)
    out = np.where(sign < 0, np.asarray(np.nan, x.dtype), logabs).astype(x.dtype, copy=False)

    def backward(g):
        return (np.asarray(g)[..., None, None] * _mT(np.linalg.inv(x)),)
    return make(out, (input,), backward, "LogdetBackward0", saved=(input,))


# ---- solve ------------------------------------------------------------------------------------

def solve(A, B, *, left=True):
    """X with A X = B (or X A = B when left=False). B is a batch of vectors when it is 1-D or
    its shape is A's batch shape plus n. Gradients: g_B = A⁻ᵀ g, g_A = −g_B Xᵀ."""
    if not isinstance(B, Tensor):
        B = as_tensor(B)
    a, b = A._data, B._data
    _matrix("linalg.solve", a)
    if b.dtype != a.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{type_name(a.dtype)} and B of type {type_name(b.dtype)} instead")
    n = a.shape[-1]
    vector = left and (b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1]))
    b2 = b[..., None] if vector else b
    if b2.ndim < 2 or (b2.shape[-2] if left else b2.shape[-1]) != n:
        shown = f"{b2.shape[-2]}x{b2.shape[-1]}" if b2.ndim >= 2 else f"{b2.shape[0]}x1"
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {shown})")
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b2.shape[:-2])
    except ValueError:
        raise broadcast_error(a.shape[:-2], b2.shape[:-2]) from None
    am = a if left else _mT(a)
    bm = b2 if left else _mT(b2)
    try:
        x = np.linalg.solve(np.broadcast_to(am, batch + am.shape[-2:]), np.broadcast_to(bm, batch + bm.shape[-2:]))
    except np.linalg.LinAlgError:
        raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.") from None
    out = x if left else _mT(x)
    if vector:
        out = out[..., 0]

    def backward(g):
        gm = g[..., None] if vector else g
        if not left:
            gm = _mT(gm)
        gb = np.linalg.solve(np.broadcast_to(_mT(am), batch + am.shape[-2:]), gm)
        ga = -(gb @ _mT(x)) if A._requires_grad else None
        if ga is not None:
            ga = unbroadcast(ga if left else _mT(ga), a.shape)
        if B._requires_grad:
            gb = gb if left else _mT(gb)
            gb = unbroadcast(gb[..., 0] if vector else gb, b.shape)
        else:
            gb = None
        return ga, gb
    return make(out, (A, B), backward, "LinalgSolveExBackward0", saved=(A, B), save_output=True)


# ---- triangular solves, solve_ex ---------------------------------------------------------------

def _back_substitute(t, b, upper, unit):
    """X = T⁻¹ B by substitution, one row at a time over the whole batch: only for a triangular T
    with a zero on its diagonal, where PyTorch (like BLAS trsm) returns the infs and nans."""
    n = t.shape[-1]
    x = np.zeros(np.broadcast_shapes(t.shape[:-2], b.shape[:-2]) + b.shape[-2:], np.result_type(t, b))
    rows = range(n - 1, -1, -1) if upper else range(n)
    for i in rows:
        acc = b[..., i, :] - (t[..., i:i + 1, :] @ x)[..., 0, :]
        x[..., i, :] = acc if unit else acc / t[..., i, i][..., None]
    return x


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with A X = B (X A = B when left=False) for a triangular A, which is read from its upper
    or lower triangle only (with ones on the diagonal when unitriangular). Gradients:
    g_B = A⁻ᵀ g, g_A = −g_B Xᵀ kept on A's triangle."""
    a, b = A._data, B._data
    _matrix("linalg.solve_triangular", a)
    if b.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 dimensions.")
    n = a.shape[-1]
    if (b.shape[-2] if left else b.shape[-1]) != n:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {b.shape[-2]}x{b.shape[-1]})")
    if b.dtype != a.dtype:
        raise RuntimeError(f"linalg.solve_triangular: Expected A and B to have the same dtype, but found A of type "
                           f"{type_name(a.dtype)} and B of type {type_name(b.dtype)} instead")
    keep = np.triu if upper else np.tril
    off = (1 if upper else -1) if unitriangular else 0
    t = keep(a, off)
    if unitriangular:
        t = t + _eye_like(a)
    tm = t if left else _mT(t)
    bm = b if left else _mT(b)
    try:
        batch = np.broadcast_shapes(tm.shape[:-2], bm.shape[:-2])
    except ValueError:
        raise broadcast_error(a.shape[:-2], b.shape[:-2]) from None
    try:
        x = np.linalg.solve(np.broadcast_to(tm, batch + tm.shape[-2:]), np.broadcast_to(bm, batch + bm.shape[-2:]))
    except np.linalg.LinAlgError:
        x = _back_substitute(tm, bm, upper == left, unitriangular)
    out = x if left else _mT(x)

    def backward(g):
        gm = g if left else _mT(g)
        gb = np.linalg.solve(np.broadcast_to(_mT(tm), batch + tm.shape[-2:]), gm)
        ga = None
        if A._requires_grad:
            ga = -(gb @ _mT(x))
            ga = keep(unbroadcast(ga if left else _mT(ga), a.shape), off)
        if B._requires_grad:
            gb = unbroadcast(gb if left else _mT(gb), b.shape)
        else:
            gb = None
        return ga, gb
    return make(out, (A, B), backward, "LinalgSolveTriangularBackward0", saved=(A, B), save_output=True)


_solve_ex_type = return_type("linalg_solve_ex", ("result", "info"))


def solve_ex(A, B, *, left=True, check_errors=False):
    """(result, info): linalg.solve that reports a singular matrix in `info` (the 1-based index of
    the zero pivot) instead of raising, unless check_errors."""
    a = A._data
    _matrix("linalg.solve", a)
    try:
        return _solve_ex_type(solve(A, B, left=left), wrap(np.zeros(a.shape[:-2], np.int32)))
    except LinAlgError:
        if check_errors:
            raise
    flat = a.reshape((-1,) + a.shape[-2:])
    info = np.array([_first_zero_pivot(m) for m in flat], np.int32).reshape(a.shape[:-2])
    safe = wrap(np.where((info > 0)[..., None, None], _eye_like(a), a))
    return _solve_ex_type(solve(safe, B, left=left), wrap(info))


_triangular_solve_type = return_type("triangular_solve", ("solution", "cloned_coefficient"))


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """torch.triangular_solve (deprecated in PyTorch): (X with op(A) X = b, a copy of A)."""
    from .conversion import clone
    if transpose:
        x = solve_triangular(A.mT, b, upper=not upper, unitriangular=unitriangular)
    else:
        x = solve_triangular(A, b, upper=upper, unitriangular=unitriangular)
    return _triangular_solve_type(x, clone(A))


# ---- tensor inverse and solve ------------------------------------------------------------------

def tensorinv(A, ind=2):
    """The tensor B with tensordot(B, A, ind) the identity: A reshaped to a square matrix,
    inverted, and reshaped to A.shape[ind:] + A.shape[:ind]."""
    from .shape import reshape
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    shape = tuple(A._data.shape)
    rows = int(np.prod(shape[:ind], dtype=np.int64))
    cols = int(np.prod(shape[ind:], dtype=np.int64))
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    return reshape(linalg_inv(reshape(A, (rows, cols))), shape[ind:] + shape[:ind])


def tensorsolve(A, B, dims=None):
    """X with tensordot(A, X, X.ndim) = B: A folded to a (B.numel(), X.numel()) matrix and solved."""
    from .shape import movedim, reshape
    if dims is not None:
        dims = [dims] if isinstance(dims, int) else list(dims)
        nd = A._data.ndim
        A = movedim(A, [d % nd for d in dims], list(range(nd - len(dims), nd)))
    shape = tuple(A._data.shape)
    rest = shape[B._data.ndim:]
    rows = int(np.prod(B._data.shape, dtype=np.int64))
    x = solve(reshape(A, (rows, -1)), reshape(B, (rows,)))
    return reshape(x, rest)
