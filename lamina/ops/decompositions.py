"""Matrix functions and decompositions behind torch.linalg: inv, det, slogdet, solve, cholesky,
qr, svd, eigh, pinv, lstsq, LU, triangular solves, matrix_power, matrix_exp, rank, condition
number, the vector and matrix norms, cross, tensordot, multi_dot, trace, and the fused products
baddbmm/addbmm/addmv/addr.

NumPy's LAPACK wrappers do the factorisations (they batch over leading dims); every backward is
written out here from the differential of the factorisation (real matrices only). Ops with
several differentiable outputs (svd, eigh, qr, slogdet) hang them off one hidden node so that
backward runs the formula once with all output gradients, as PyTorch's single node does."""
import warnings

import numpy as np

from ..autograd.grad_mode import _mode
from ..tensor import Tensor
from ._core import as_tensor, broadcast_error, dim_arg, make, unbroadcast, wrap
from .arithmetic import type_name
from .linalg import addmm, matmul  # noqa: F401  (addmm: for its in-place twin addmm_, see INPLACE)
from .reduction import return_type

__all__ = ["inverse", "det", "logdet", "slogdet", "pinverse", "matrix_power", "matrix_exp", "cholesky",
           "cholesky_solve", "cholesky_inverse", "qr", "svd", "cross", "tensordot", "baddbmm", "addbmm",
           "addmv", "addr", "chain_matmul", "trace", "lu", "lu_solve", "lu_unpack",
           "triangular_solve", "nuclear_norm", "frobenius_norm", "geqrf", "orgqr", "ormqr",
           "svd_lowrank", "pca_lowrank"]
METHODS = ["inverse", "det", "logdet", "slogdet", "pinverse", "matrix_power", "matrix_exp", "cholesky",
           "cholesky_solve", "cholesky_inverse", "qr", "svd", "cross", "baddbmm", "addbmm", "addmv", "addr", "trace",
           "lu", "lu_solve", "lu_unpack", "triangular_solve", "geqrf", "orgqr", "ormqr"]
INPLACE = ["addmm", "baddbmm", "addbmm", "addmv", "addr"]


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a factorisation failed on its input (singular, not positive-definite)."""


# ---- checks ---------------------------------------------------------------------------------

def _matrix(name, x, square=True, float_only=True, half=False):
    """PyTorch's checks for a (batch of) matrix input, in its order: rank, squareness, dtype."""
    if x.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if square and x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {x.shape[-2]} by "
                           f"{x.shape[-1]} matrices")
    if float_only:
        _floating(name, x, half)


# the LAPACK kernel PyTorch names when it refuses float16 (the others say "Low precision dtypes")
_HALF_KERNEL = {"linalg.det": "lu_cpu", "linalg.solve": "lu_cpu", "linalg.cholesky": "cholesky_cpu",
                "cholesky": "cholesky_cpu", "linalg.qr": "geqrf_cpu", "linalg.svd": "linalg_svd_cpu",
                "linalg.solve_triangular": "triangular_solve_cpu"}


def _floating(name, x, half=False):
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {type_name(x.dtype)}")
    if x.dtype == np.float16 and not half:
        kernel = _HALF_KERNEL.get(name)
        if kernel is None:
            raise RuntimeError(f"{name}: Low precision dtypes not supported. Got Half")
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Half'")


def _double_or_float(x):
    if x.dtype not in (np.float32, np.float64):
        raise RuntimeError("This function doesn't handle types other than float and double")


def _batch_note(shape, flat_index):
    """'(Batch element k): ' for a failure inside a batch, '' for a single matrix."""
    return f"(Batch element {flat_index}): " if len(shape) > 2 else ""


def _first_zero_pivot(a):
    """1-based index of the first exactly-zero pivot of LU with partial pivoting (LAPACK getrf's
    info), which PyTorch names in its singular-matrix error; 0 when there is none."""
    a = np.array(a, copy=True)
    n = a.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(a[k:, k])))
        if a[p, k] == 0:
            return k + 1
        if p != k:
            a[[k, p]] = a[[p, k]]
        a[k + 1:, k] /= a[k, k]
        a[k + 1:, k + 1:] -= np.outer(a[k + 1:, k], a[k, k + 1:])
    return 0


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


def _mT(a):
    return np.swapaxes(a, -1, -2)


def _eye_like(a):
    return np.eye(a.shape[-1], dtype=a.dtype)


def _expand_check(shape, target):
    """PyTorch's error when `shape` cannot be expanded to `target` (input of addmm-like ops)."""
    if len(shape) > len(target):
        raise RuntimeError(f"The expanded size of the tensor ({target[0] if target else 1}) must match the existing "
                           f"size ({shape[0]}) at non-singleton dimension 0.  Target sizes: {list(target)}.  "
                           f"Tensor sizes: {list(shape)}")
    pad = (1,) * (len(target) - len(shape)) + tuple(shape)
    for i in range(len(target) - 1, -1, -1):
        if pad[i] != 1 and pad[i] != target[i]:
            raise RuntimeError(f"The expanded size of the tensor ({target[i]}) must match the existing size "
                               f"({pad[i]}) at non-singleton dimension {i}.  Target sizes: {list(target)}.  "
                               f"Tensor sizes: {list(shape)}")


# ---- several outputs, one node ----------------------------------------------------------------

def _multi(arrays, parents, backward, name, saved):
    """Tensors for the outputs `arrays` of one op. With autograd on, a hidden hub tensor carries
    the op's node; each output is a piece of it whose gradient lands in the hub's flat gradient.
    backward(*grads) gets None for an output that received no gradient."""
    if not (_mode.grad and any(p._requires_grad for p in parents)):
        return [wrap(a) for a in arrays]
    offsets, total = [], 0
    for a in arrays:
        offsets.append(total)
        total += a.size
    used = [False] * len(arrays)

    def hub_backward(g):
        grads = [g[o:o + a.size].reshape(a.shape) if u else None for a, o, u in zip(arrays, offsets, used)]
        used[:] = [False] * len(arrays)
        return backward(*grads)
    hub = make(np.empty(total, arrays[0].dtype), parents, hub_backward, name, saved=saved)
    outs = []
    for i, (a, o) in enumerate(zip(arrays, offsets)):
        def piece_backward(g, i=i, o=o, n=a.size):
            used[i] = True
            full = np.zeros(total, g.dtype)
            full[o:o + n] = g.reshape(-1)
            return (full,)
        outs.append(make(a, (hub,), piece_backward, name))
    # backward reads the outputs' arrays: changing any output in place makes it an error
    hub.grad_fn.saved += tuple((o._version, 0, None) for o in outs)
    return outs


# ---- inverse, determinants ---------------------------------------------------------------------

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


# ---- cholesky ---------------------------------------------------------------------------------

def _not_pd_order(m):
    """The order of the first leading minor of `m` that is not positive-definite (potrf's info):
    the failing order is where a growing leading block first fails, found by bisection."""
    lo, hi = 1, m.shape[-1]
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            np.linalg.cholesky(m[:mid, :mid])
            lo = mid + 1
        except np.linalg.LinAlgError:
            hi = mid
    return lo


def _cholesky(name, input, upper):
    x = input._data
    _matrix(name, x)
    # upper=True reads A's upper triangle, as LAPACK's potrf('U') does: the lower one of Aᵀ
    src = _mT(x) if upper else x
    try:
        low = np.linalg.cholesky(src)
    except np.linalg.LinAlgError:
        flat = src.reshape((-1,) + x.shape[-2:])
        for i, m in enumerate(flat):
            try:
                np.linalg.cholesky(m)
            except np.linalg.LinAlgError:
                raise LinAlgError(f"{name}: {_batch_note(x.shape, i)}The factorization could not be completed "
                                  "because the input is not positive-definite (the leading minor of order "
                                  f"{_not_pd_order(m)} is not positive-definite).") from None
        raise
    out = _mT(low).copy() if upper else low

    def backward(g):
        gl = _mT(g) if upper else g
        # Φ(Lᵀ gL) symmetrised: P = tril(Lᵀ gL); S = (P + tril(P, −1)ᵀ) / 2; g_A = L⁻ᵀ S L⁻¹
        p = np.tril(_mT(low) @ gl)
        s = 0.5 * (p + _mT(np.tril(p, -1)))
        linv = np.linalg.inv(low)
        return (_mT(linv) @ s @ linv,)
    return make(out, (input,), backward, "LinalgCholeskyExBackward0" if name == "linalg.cholesky"
                else "CholeskyBackward0", saved=(input,), save_output=True)


def linalg_cholesky(A, *, upper=False):
    """L with A = L Lᵀ for a symmetric positive-definite A (Lᵀ when upper=True)."""
    return _cholesky("linalg.cholesky", A, upper)


def cholesky(input, upper=False):
    """torch.cholesky (deprecated in PyTorch in favour of torch.linalg.cholesky)."""
    return _cholesky("cholesky", input, upper)


_cholesky_ex_type = return_type("linalg_cholesky_ex", ("L", "info"))


def cholesky_ex(A, *, upper=False, check_errors=False):
    """(L, info): info is 0, or the order of the first leading minor that is not positive-definite."""
    x = A._data
    _matrix("linalg.cholesky", x)
    try:
        return _cholesky_ex_type(linalg_cholesky(A, upper=upper), wrap(np.zeros(x.shape[:-2], np.int32)))
    except LinAlgError:
        if check_errors:
            raise
    src = _mT(x) if upper else x
    flat = src.reshape((-1,) + x.shape[-2:])
    info, outs = [], []
    for m in flat:
        try:
            outs.append(np.linalg.cholesky(m))
            info.append(0)
        except np.linalg.LinAlgError:
            info.append(_not_pd_order(m))
            outs.append(np.zeros_like(m))
    out = np.stack(outs).reshape(x.shape) if outs else np.zeros_like(x)
    return _cholesky_ex_type(wrap(_mT(out).copy() if upper else out),
                             wrap(np.array(info, np.int32).reshape(x.shape[:-2])))


def cholesky_solve(input, input2, upper=False):
    """X with A X = B given A's Cholesky factor `input2` (L, or U when upper=True) and B = input."""
    low = input2.mT if upper else input2
    return solve(matmul(low, low.mT), input)


def cholesky_inverse(input, upper=False):
    """A⁻¹ given A's Cholesky factor (L, or U when upper=True)."""
    low = input.mT if upper else input
    return linalg_inv(matmul(low, low.mT))


# ---- qr ---------------------------------------------------------------------------------------

_qr_type = return_type("qr", ("Q", "R"))
_linalg_qr_type = return_type("linalg_qr", ("Q", "R"))


def _qr_grad(q, r, gq, gr):
    """g_A of A = QR for m ≥ n (Q m×n, R n×n): (g_Q + Q copyltu(M)) R⁻ᵀ with M = R g_Rᵀ − g_Qᵀ Q,
    copyltu(M) = tril(M) + tril(M, −1)ᵀ."""
    m = np.zeros(r.shape[:-2] + (r.shape[-1],) * 2, r.dtype)
    if gr is not None:
        m = m + r @ _mT(gr)
    if gq is not None:
        m = m - _mT(gq) @ q
    c = np.tril(m) + _mT(np.tril(m, -1))
    b = q @ c
    if gq is not None:
        b = b + gq
    # B R⁻ᵀ as a solve: (R⁻¹ Bᵀ)ᵀ
    return _mT(np.linalg.solve(r, _mT(b)))


def linalg_qr(A, mode="reduced", _type=_linalg_qr_type):
    """A = QR with Q orthonormal columns and R upper triangular. mode: 'reduced' (Q m×k, R k×n),
    'complete' (Q m×m, R m×n) or 'r' (R only; Q is empty)."""
    x = A._data
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    _matrix("linalg.qr", x, square=False)
    m, n = x.shape[-2:]
    q, r = np.linalg.qr(x, mode="complete" if mode == "complete" else "reduced")
    q_out = np.zeros((0,), x.dtype) if mode == "r" else q

    def backward(gq, gr):
        if mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
                               "linalg.qr.")
        if mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if m >= n:
            return (_qr_grad(q, r, gq, gr),)
        # m < n: A = [X | Y] with X = Q U square; R = [U | V], V = Qᵀ Y
        u = r[..., :m]
        gu = None if gr is None else gr[..., :m]
        gv = None if gr is None else gr[..., m:]
        y = x[..., m:]
        gq_x = gq
        if gv is not None:
            gq_x = y @ _mT(gv) if gq_x is None else gq_x + y @ _mT(gv)
        gx = _qr_grad(q, u, gq_x, gu)
        gy = q @ gv if gv is not None else np.zeros_like(y)
        return (np.concatenate([gx, gy], -1),)
    qo, ro = _multi([q_out, r], (A,), backward, "LinalgQrBackward0", (A,))
    return _type(qo, ro)


def qr(input, some=True):
    """torch.qr: linalg.qr with mode 'reduced' (some=True) or 'complete'."""
    return linalg_qr(input, "reduced" if some else "complete", _qr_type)


# ---- svd --------------------------------------------------------------------------------------

_svd_type = return_type("svd", ("U", "S", "V"))
_linalg_svd_type = return_type("linalg_svd", ("U", "S", "Vh"))


def _no_driver(driver):
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
                           "cuSOLVER backend.")


def _svd_grad(u, s, vh, gu, gs, gvh, shape):
    """g_A of A = U diag(S) Vh (reduced: U m×k, Vh k×n):
    U [diag(g_S) + (F∘(UᵀgU − gUᵀU)) S + S (F∘(VᵀgV − gVᵀV))] Vh
      + (I − UUᵀ) gU S⁻¹ Vh + U S⁻¹ gVh (I − VhᵀVh),  F_ij = 1 / (s_j² − s_i²)."""
    m, n = shape[-2:]
    if gu is None and gvh is None:
        return (u * gs[..., None, :]) @ vh
    k = s.shape[-1]
    s2 = s * s
    e = s2[..., None, :] - s2[..., :, None]
    idx = np.arange(k)
    e[..., idx, idx] = 1
    inner = np.zeros(s.shape[:-1] + (k, k), s.dtype)
    if gu is not None:
        utgu = _mT(u) @ gu
        inner = inner + ((utgu - _mT(utgu)) / e) * s[..., None, :]
    if gvh is not None:
        vtgv = vh @ _mT(gvh)
        inner = inner + s[..., :, None] * ((vtgv - _mT(vtgv)) / e)
    if gs is not None:
        inner[..., idx, idx] += gs
    ga = u @ inner @ vh
    if gu is not None and m > k:
        proj = gu - u @ (_mT(u) @ gu)
        ga = ga + (proj / s[..., None, :]) @ vh
    if gvh is not None and n > k:
        proj = gvh - (gvh @ _mT(vh)) @ vh
        ga = ga + u @ (proj / s[..., :, None])
    return ga


def linalg_svd(A, full_matrices=True, *, driver=None, _type=_linalg_svd_type):
    """A = U diag(S) Vh, singular values in descending order. full_matrices=False gives the reduced
    factors (U m×k, Vh k×n, k = min(m, n)). Gradients flow through the first k singular vectors
    only, as in PyTorch."""
    x = A._data
    _matrix("linalg.svd", x, square=False)
    _no_driver(driver)
    u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
    k = s.shape[-1]

    def backward(gu, gs, gvh):
        ur, vhr = u[..., :, :k], vh[..., :k, :]
        gu = None if gu is None else gu[..., :, :k]
        gvh = None if gvh is None else gvh[..., :k, :]
        return (_svd_grad(ur, s, vhr, gu, gs, gvh, x.shape),)
    uo, so, vo = _multi([u, s, vh], (A,), backward, "LinalgSvdBackward0", (A,))
    return _type(uo, so, vo)


def svd(input, some=True, compute_uv=True):
    """torch.svd: (U, S, V) with A = U diag(S) Vᵀ — V, not Vh; reduced factors when some=True.
    With compute_uv=False, U and V are zero square matrices (m×m, n×n)."""
    x = input._data
    if not compute_uv:
        s = svdvals(input)
        m, n = x.shape[-2:]
        return _svd_type(wrap(np.zeros(x.shape[:-2] + (m, m), x.dtype)), s,
                         wrap(np.zeros(x.shape[:-2] + (n, n), x.dtype)))
    u, s, vh = linalg_svd(input, full_matrices=not some)
    return _svd_type(u, s, vh.mT)


def svdvals(A, *, driver=None):
    """The singular values of A, descending. Gradient: U diag(g) Vh."""
    x = A._data
    _matrix("linalg.svd", x, square=False)
    _no_driver(driver)
    if not (_mode.grad and A._requires_grad):
        return wrap(np.linalg.svd(x, compute_uv=False))
    u, s, vh = np.linalg.svd(x, full_matrices=False)

    def backward(g):
        return ((u * g[..., None, :]) @ vh,)
    return make(s, (A,), backward, "LinalgSvdBackward0", saved=(A,))


# ---- eigh -------------------------------------------------------------------------------------

_eigh_type = return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))


def _uplo(uplo):
    if uplo not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {uplo}")
    return uplo.upper()


def _check_eigh(x):
    if x.ndim < 2:
        raise RuntimeError("linalg.eigh: The input tensor A must have at least 2 dimensions.")
    if x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"linalg.eigh: A must be batches of square matrices, but they are {x.shape[-2]} by "
                           f"{x.shape[-1]} matrices")
    if x.dtype.kind != "f" or x.dtype == np.float16:
        raise NotImplementedError(f"\"linalg_eigh_cpu\" not implemented for '{type_name(x.dtype)}'")


def eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix, read from its
    lower (UPLO='L') or upper triangle. Gradient: V (diag(g_w) + sym(F∘(Vᵀ g_V))) Vᵀ with
    F_ij = 1 / (w_j − w_i) off the diagonal and sym(X) = (X + Xᵀ)/2."""
    x = A._data
    uplo = _uplo(UPLO)
    _check_eigh(x)
    w, v = np.linalg.eigh(x, UPLO=uplo)

    def backward(gw, gv):
        inner = np.zeros(x.shape, x.dtype)
        if gv is not None:
            k = w.shape[-1]
            e = w[..., None, :] - w[..., :, None]
            idx = np.arange(k)
            e[..., idx, idx] = 1
            inner = (_mT(v) @ gv) / e
            inner[..., idx, idx] = 0
            inner = 0.5 * (inner + _mT(inner))  # A is symmetric: so is its gradient
        if gw is not None:
            inner = inner + gw[..., None, :] * _eye_like(x)
        return (v @ inner @ _mT(v),)
    wo, vo = _multi([w, v], (A,), backward, "LinalgEighBackward0", (A,))
    return _eigh_type(wo, vo)


def eigvalsh(A, UPLO="L"):
    """Eigenvalues (ascending) of a symmetric matrix. Gradient: V diag(g) Vᵀ."""
    x = A._data
    uplo = _uplo(UPLO)
    _check_eigh(x)
    if not (_mode.grad and A._requires_grad):
        return wrap(np.linalg.eigvalsh(x, UPLO=uplo))
    w, v = np.linalg.eigh(x, UPLO=uplo)

    def backward(g):
        return ((v * g[..., None, :]) @ _mT(v),)
    return make(w, (A,), backward, "LinalgEighBackward0", saved=(A,))


# ---- pinv, lstsq --------------------------------------------------------------------------------

def _pinv_array(x, atol, rtol, hermitian):
    """A⁺ = V diag(1/σ) Uᵀ over the singular values kept (eigenpairs when hermitian)."""
    m, n = x.shape[-2:]
    if rtol is None:
        rtol = 0.0 if (atol is not None and atol > 0) else float(np.finfo(x.dtype).eps) * max(m, n)
    atol = 0.0 if atol is None else atol
    if hermitian:
        w, v = np.linalg.eigh(x)
        big = np.abs(w).max(-1, keepdims=True) if w.shape[-1] else np.zeros(w.shape[:-1] + (1,), w.dtype)
        keep = np.abs(w) > np.maximum(atol, rtol * big)
        winv = np.where(keep, 1 / np.where(keep, w, 1), 0).astype(x.dtype, copy=False)
        return (v * winv[..., None, :]) @ _mT(v)
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    big = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), s.dtype)
    keep = s > np.maximum(atol, rtol * big)
    sinv = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(x.dtype, copy=False)
    return (_mT(vh) * sinv[..., None, :]) @ _mT(u)


def _pinv_grad(a, p, g):
    """g_A of P = A⁺: −Pᵀ g Pᵀ + (I − A P) gᵀ P Pᵀ + Pᵀ P gᵀ (I − P A)."""
    pt, gt = _mT(p), _mT(g)
    out = -(pt @ g @ pt)
    out = out + (gt @ p - a @ (p @ gt @ p)) @ pt
    x = pt @ (p @ gt)
    return out + x - (x @ p) @ a


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None):
    """The Moore–Penrose pseudo-inverse A⁺ from the SVD (eigh when hermitian=True), keeping the
    singular values above max(atol, rtol · σ_max); rtol defaults to eps · max(m, n). `rcond` is the
    older name of rtol."""
    x = A._data
    if rcond is not None:
        rtol = rcond
    if x.ndim < 2 or x.dtype.kind != "f" or x.dtype == np.float16:
        raise RuntimeError(f"linalg.pinv({type_name(x.dtype)}{{{list(x.shape)}}}): expected a tensor with 2 or more "
                           "dimensions of float, double, cfloat or cdouble types")
    atol = atol.item() if isinstance(atol, Tensor) else atol
    rtol = rtol.item() if isinstance(rtol, Tensor) else rtol
    out = _pinv_array(x, atol, rtol, hermitian)

    def backward(g):
        return (_pinv_grad(x, out, g),)
    return make(out, (A,), backward, "LinalgPinvBackward0", saved=(A,), save_output=True)


def pinverse(input, rcond=1e-15):
    """torch.pinverse: pinv with singular values below rcond · σ_max dropped."""
    return pinv(input, rtol=rcond)


def _no_grads(g):
    return None, None


_lstsq_type = return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares (minimum-norm) solution X of A X ≈ B, with residuals, rank and singular
    values where PyTorch's driver reports them ('gelsy', the default, gives rank only)."""
    from .arithmetic import mul, sub
    from .reduction import sum as _sum
    from .shape import unsqueeze
    if not isinstance(B, Tensor):
        B = as_tensor(B)
    a, b = A._data, B._data
    drv = driver or "gelsy"
    if drv not in ("gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    if a.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    _double_or_float(a)
    if b.dtype != a.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's "
                           f"dtype {type_name(a.dtype)} and other's dtype {type_name(b.dtype)}")
    if a.ndim < b.ndim or a.ndim - b.ndim > 1:
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
                           "(input.dim() - other.dim()) <= 1")
    vector = b.ndim == a.ndim - 1
    if (b.shape[-1] if vector else b.shape[-2]) != a.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    m, n = a.shape[-2:]
    eps = float(np.finfo(a.dtype).eps)
    tol = rcond if rcond is not None else eps * max(m, n)
    p = pinv(A, rtol=tol)
    x = matmul(p, unsqueeze(B, -1) if vector else B)
    if vector:
        from .shape import squeeze
        x = squeeze(x, -1)
    s = np.linalg.svd(a, compute_uv=False)
    rank = (s > tol * s[..., :1]).sum(-1) if s.shape[-1] else np.zeros(s.shape[:-1], np.int64)
    empty = wrap(np.zeros((0,), a.dtype))
    # PyTorch's residuals are part of the differentiable output even when empty
    residuals = make(np.zeros((0,), a.dtype), (A, B), _no_grads, "LinalgLstsqBackward0")
    if drv != "gelsy" and m > n and np.all(rank == n):
        r = sub(matmul(A, unsqueeze(x, -1) if vector else x), unsqueeze(B, -1) if vector else B)
        residuals = _sum(mul(r, r), dim=-2)
    sv = wrap(s) if drv in ("gelsd", "gelss") else empty
    rk = wrap(np.asarray(rank, np.int64)) if drv != "gels" else wrap(np.zeros((0,), np.int64))
    return _lstsq_type(x, residuals, rk, sv)


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


_triangular_solve_type = return_type("triangular_solve", ("solution", "cloned_coefficient"))


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """torch.triangular_solve (deprecated in PyTorch): (X with op(A) X = b, a copy of A)."""
    from .conversion import clone
    if transpose:
        x = solve_triangular(A.mT, b, upper=not upper, unitriangular=unitriangular)
    else:
        x = solve_triangular(A, b, upper=upper, unitriangular=unitriangular)
    return _triangular_solve_type(x, clone(A))


# ---- Householder form: geqrf, householder_product/orgqr, ormqr --------------------------------

_geqrf_type = return_type("geqrf", ("a", "tau"))


def geqrf(input):
    """LAPACK's geqrf: R on and above the diagonal, the Householder vectors below it, and their
    scales tau (Q = H₁ ⋯ H_k, H_i = I − tau_i v_i v_iᵀ). Not differentiable, as in PyTorch."""
    x = input._data
    _matrix("geqrf", x, square=False)
    h, tau = np.linalg.qr(x, mode="raw")
    out = make(np.ascontiguousarray(_mT(h)).astype(x.dtype, copy=False), (input,),
               _no_derivative("geqrf"), "GeqrfBackward0")
    return _geqrf_type(out, wrap(tau.astype(x.dtype, copy=False)))


def _no_derivative(name):
    def backward(g):
        raise RuntimeError(f"the derivative for '{name}' is not implemented.")
    return backward


def _reflectors(A, tau, name):
    """The Householder vectors v_i (unit i-th entry, zeros above, A's column below) as one matrix,
    and k = the number of reflectors."""
    from .shape import tril
    x, t = A._data, tau._data
    if x.ndim < 2:
        raise RuntimeError(f"torch.{name}: input must have at least 2 dimensions.")
    if t.ndim != x.ndim - 1:
        raise RuntimeError(f"torch.{name}: input.dim() - tau.dim() must be equal to 1 but got {x.ndim - t.ndim}")
    k = t.shape[-1]
    if k > x.shape[-1]:
        raise RuntimeError(f"torch.{name}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    v = tril(A, -1) + wrap(np.eye(x.shape[-2], x.shape[-1], dtype=x.dtype))
    return v, k


def _reflect(c, v, tau, i, side_left):
    """H_i C (side_left) or C H_i with H_i = I − tau_i v_i v_iᵀ, built from differentiable ops."""
    vi = v[..., :, i:i + 1]
    ti = tau[..., i:i + 1].unsqueeze(-1)
    if side_left:
        return c - ti * matmul(vi, matmul(vi.mT, c))
    return c - ti * matmul(matmul(c, vi), vi.mT)


def householder_product(A, tau):
    """The first n columns of Q = H₁ ⋯ H_k from geqrf's Householder form (orgqr); differentiable
    in A (below its diagonal) and tau."""
    v, k = _reflectors(A, tau, "linalg.householder_product")
    m, n = A._data.shape[-2:]
    if m < n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater than or equal to "
                           "input.shape[-1]")
    q = wrap(np.broadcast_to(np.eye(m, n, dtype=A._data.dtype), A._data.shape).copy())
    for i in range(k - 1, -1, -1):  # Q = H₁(H₂(⋯(H_k I)))
        q = _reflect(q, v, tau, i, True)
    return q


def orgqr(input, tau):
    """torch.orgqr: the same as linalg.householder_product."""
    return householder_product(input, tau)


def ormqr(input, tau, other, left=True, transpose=False):
    """op(Q) · other (left) or other · op(Q) with Q = H₁ ⋯ H_k from geqrf's Householder form and
    op the transpose when `transpose`."""
    v, k = _reflectors(input, tau, "ormqr")
    # Q C applies H_k first; Qᵀ C applies H₁ first; C Q applies H₁ first; C Qᵀ applies H_k first
    order = range(k - 1, -1, -1) if left != transpose else range(k)
    c = other
    for i in order:
        c = _reflect(c, v, tau, i, left)
    return c


# ---- randomized low-rank SVD / PCA -----------------------------------------------------------------

def _approximate_basis(A, q, niter, M=None):
    """An m×q matrix with orthonormal columns spanning (nearly) A's range: A times a random
    Gaussian block, sharpened by `niter` power iterations with re-orthonormalisation (Halko,
    Martinsson & Tropp 2011, algorithm 4.4)."""
    from .creation import randn
    x = A._data
    r = randn(x.shape[-1], q, dtype=A.dtype)
    q_ = linalg_qr(matmul(A, r)).Q
    for _ in range(niter):
        q_ = linalg_qr(matmul(A.mT, q_)).Q
        q_ = linalg_qr(matmul(A, q_)).Q
    return q_


def svd_lowrank(A, q=6, niter=2, M=None):
    """A rank-q approximate SVD (U, S, V) with A ≈ U diag(S) Vᵀ, from a randomized range finder
    (the random block comes from lamina's generator, so the vectors match PyTorch's only up to the
    usual signs and, for A of rank > q, to the approximation). M is subtracted from A first."""
    from .arithmetic import sub
    q = 6 if q is None else q
    if M is not None:
        A = sub(A, M)
    m, n = A._data.shape[-2:]
    if m < n:  # work on the tall Aᵀ and swap the factors back
        ut, s, vt = svd_lowrank(A.mT, q, niter)  # Aᵀ ≈ Uₜ S Vₜᵀ, so A ≈ Vₜ S Uₜᵀ
        return vt, s, ut
    basis = _approximate_basis(A, q, niter)
    u, s, vh = linalg_svd(matmul(basis.mT, A), full_matrices=False)
    return matmul(basis, u), s, vh.mT


def pca_lowrank(A, q=None, center=True, niter=2):
    """Principal components of the rows of A: svd_lowrank of A minus its column means (when
    `center`), q = min(6, m, n) by default."""
    from .arithmetic import sub
    from .reduction import mean
    m, n = A._data.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if niter < 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if center:
        A = sub(A, mean(A, -2, keepdim=True))
    return svd_lowrank(A, q, niter)


# ---- triangular solve, rank, condition number, tensor inverse/solve, vander, trace --------------

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


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    """The number of singular values (|eigenvalues| when hermitian) above max(atol, rtol · σ_max);
    rtol defaults to eps · max(m, n). `tol` is the older name of atol."""
    x = A._data
    if x.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    _double_or_float(x)
    if hermitian:
        _check_eigh(x)
    if tol is not None:
        atol, rtol = tol, 0.0
    atol = atol.item() if isinstance(atol, Tensor) else atol
    rtol = rtol.item() if isinstance(rtol, Tensor) else rtol
    m, n = x.shape[-2:]
    if rtol is None:
        rtol = 0.0 if (atol is not None and atol > 0) else float(np.finfo(x.dtype).eps) * max(m, n)
    s = np.abs(np.linalg.eigvalsh(x)) if hermitian else np.linalg.svd(x, compute_uv=False)
    if s.shape[-1] == 0:
        return wrap(np.zeros(s.shape[:-1], np.int64))
    top = s.max(-1, keepdims=True)
    return wrap((s > np.maximum(0.0 if atol is None else atol, rtol * top)).sum(-1).astype(np.int64))


def cond(A, p=None):
    """The condition number ‖A‖ ‖A⁻¹‖ in the norm `p`; for p = None / 2 / −2 the ratio of the
    extreme singular values (any shape), else square A (inf for a singular one)."""
    from .arithmetic import div, mul
    from .reduction import amax, amin
    x = A._data
    if p is None or p in (2, -2):
        _matrix("linalg.cond", x, square=False)
        s = svdvals(A)
        big, small = amax(s, -1), amin(s, -1)
        return div(big, small) if p != -2 else div(small, big)
    if p not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    _matrix(f"linalg.cond(ord={p})", x)
    try:
        inverse_ = linalg_inv(A)
    except LinAlgError:
        if x.ndim == 2:
            return wrap(np.asarray(np.inf, x.dtype))
        flat = x.reshape((-1,) + x.shape[-2:])
        singular = np.array([_first_zero_pivot(m) > 0 for m in flat]).reshape(x.shape[:-2])
        safe = wrap(np.where(singular[..., None, None], _eye_like(x), x))
        out = mul(matrix_norm(safe, p), matrix_norm(linalg_inv(safe), p))
        return wrap(np.where(singular, np.asarray(np.inf, x.dtype), out._data))
    return mul(matrix_norm(A, p), matrix_norm(inverse_, p))


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


def vander(x, *, N=None):
    """The Vandermonde matrix of the last dim: out[..., i, j] = x[..., i]^j for j < N (N = n)."""
    from .reduction import cumprod
    from .shape import cat, expand, unsqueeze
    from .creation import ones_like
    if x._data.ndim == 0:
        raise RuntimeError("linalg.vander: x must have at least one dimension")
    n = x._data.shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    col = unsqueeze(x, -1)
    first = ones_like(col)
    powers = cumprod(expand(col, tuple(x._data.shape) + (n - 1,)), -1)
    return cat([first, powers], -1)


def trace(input, *args, **kwargs):
    """The sum of the main diagonal of a 2-D tensor (integers sum to int64).

    lamina.trace(model, x, ...) (a model first) is lamina's layer-by-layer shape trace instead,
    lamina.inspect.trace: the two share the top-level name."""
    if not isinstance(input, Tensor):
        from ..inspect import trace as trace_model
        return trace_model(input, *args, **kwargs)
    x = input._data
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    out = np.trace(x, dtype=np.int64 if x.dtype.kind in "iub" else x.dtype)

    def backward(g):
        gx = np.zeros(x.shape, x.dtype)
        k = min(x.shape)
        gx[np.arange(k), np.arange(k)] = g
        return (gx,)
    return make(out, (input,), backward, "TraceBackward0")


# ---- matrix_power, matrix_exp -----------------------------------------------------------------

def matrix_power(input, n):
    """A^n by repeated squaring (n < 0: (A⁻¹)^|n|; n = 0: the identity)."""
    x = input._data
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"linalg_matrix_power(): argument 'n' (position 2) must be int, not {type(n).__name__}")
    _matrix("linalg.matrix_power", x, float_only=False)
    if n == 0:
        eye = np.broadcast_to(_eye_like(x), x.shape).copy()

        def backward(g):
            return (np.zeros_like(x),)
        return make(eye, (input,), backward, "CopyBackwards")
    base = linalg_inv(input) if n < 0 else input
    n = abs(n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    if result is input:  # A¹ is a new tensor, not A itself
        from .conversion import clone
        return clone(input)
    return result


# Padé [13/13] coefficients and the 1-norm bound up to which it needs no scaling (Higham 2005)
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def _expm(a):
    """exp(A) by scaling and squaring with Padé [13/13], for a batch of matrices. One scaling for
    the whole batch (the largest any matrix needs): over-scaling costs a few squarings, not accuracy."""
    if a.size == 0:
        return a.copy()
    norm = np.abs(a).sum(-2).max()
    s = max(0, int(np.ceil(np.log2(norm / _THETA13)))) if norm > _THETA13 else 0
    if s:
        a = a * (0.5 ** s)
    b = _PADE13
    eye = _eye_like(a)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    r = np.linalg.solve(v - u, v + u)
    for _ in range(s):
        r = r @ r
    return r


def matrix_exp(input):
    """exp(A) = Σ Aᵏ/k! of a square matrix (or a batch). Gradient: the adjoint Fréchet derivative,
    the upper-right block of exp([[Aᵀ, g], [0, Aᵀ]])."""
    x = input._data
    _matrix("linalg.matrix_exp", x, half=True)
    # float32 and float16 are exponentiated in float64 and rounded: Padé's large coefficients lose
    # digits in single precision
    out = _expm(x.astype(np.float64)).astype(x.dtype) if x.dtype != np.float64 else _expm(x)

    def backward(g):
        n = x.shape[-1]
        big = np.zeros(x.shape[:-2] + (2 * n, 2 * n), np.float64)
        xt = _mT(x)
        big[..., :n, :n] = xt
        big[..., n:, n:] = xt
        big[..., :n, n:] = g
        return (_expm(big)[..., :n, n:].astype(x.dtype),)
    return make(out, (input,), backward, "LinalgMatrixExpBackward0", saved=(input,))


# ---- norms ------------------------------------------------------------------------------------

def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """(Σ|x|^ord)^(1/ord) over `dim` (all elements by default); ord = inf/−inf: max/min |x|,
    ord = 0: the count of non-zeros."""
    from .reduction import norm
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' must be Number, not str")
    return norm(x, float(ord) if not isinstance(ord, float) else ord, dim, keepdim, dtype)


_MATRIX_ORDS = ("fro", "nuc", float("inf"), float("-inf"), 1, -1, 2, -2)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """A matrix norm over the two dims `dim`: 'fro' (√Σa²), 'nuc' (Σσ), 2 / −2 (largest /
    smallest singular value), 1 / −1 (max / min column abs-sum), inf / −inf (max / min row abs-sum)."""
    from .. import _dtype
    from .arithmetic import abs as _abs
    from .reduction import amax, amin, norm, sum as _sum
    from .shape import movedim, unsqueeze
    x = A._data
    if x.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        shown = " ".join(map(str, dim)) if isinstance(dim, (tuple, list)) else dim
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {shown}")
    if ord not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    d0, d1 = dim_arg(dim[0], x.ndim), dim_arg(dim[1], x.ndim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if dtype is not None:
        A = A.to(_dtype.to_dtype(dtype))
    _floating("linalg.matrix_norm", A._data)
    if ord == "fro":
        return norm(A, 2.0, (d0, d1), keepdim)
    if A._data.size == 0 and ord in ("nuc", 2, 1, float("inf")):  # a max over nothing: 0, as in PyTorch
        return _sum(_abs(A), (d0, d1), keepdim=keepdim)
    if ord in ("nuc", 2, -2):
        s = svdvals(movedim(A, (d0, d1), (-2, -1)))
        out = _sum(s, -1) if ord == "nuc" else (amax if ord == 2 else amin)(s, -1)
        if keepdim:
            for d in sorted((d0, d1)):
                out = unsqueeze(out, d)
        return out
    pick = amax if ord > 0 else amin
    # 1: max over columns of the column sums (over d0); inf: max over rows of the row sums (over d1)
    summed, over = (d0, d1) if abs(ord) == 1 else (d1, d0)
    col = _sum(_abs(A), summed, keepdim=True)
    out = pick(col, over, keepdim=True)
    if not keepdim:
        out = out.squeeze(max(d0, d1)).squeeze(min(d0, d1))
    return out


def nuclear_norm(input, dim=None, keepdim=False):
    """torch.nuclear_norm (deprecated in PyTorch): Σσ over `dim` (the last two by default)."""
    if isinstance(dim, bool):  # nuclear_norm(input, keepdim)
        dim, keepdim = None, dim
    warnings.warn("at::nuclear_norm is deprecated and it is just left for JIT compatibility. It will be removed in a "
                  "future PyTorch release. Please use `linalg.matrix_norm(A, 'nuc', dim, keepdim)` instead",
                  UserWarning, stacklevel=2)
    return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim)


def frobenius_norm(input, dim, keepdim=False):
    """torch.frobenius_norm (deprecated in PyTorch): √Σx² over `dim`."""
    warnings.warn("at::frobenius_norm is deprecated and it is just left for JIT compatibility. It will be removed in "
                  "a future PyTorch release. Please use `linalg.vector_norm(A, 2., dim, keepdim)` instead",
                  UserWarning, stacklevel=2)
    return vector_norm(input, 2.0, dim, keepdim)


def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.norm: a vector norm when `dim` is an int (or ord is None and dim is None: the
    2-norm of all elements), a matrix norm when `dim` is a 2-tuple or A is 2-D and ord is given."""
    x = A._data
    if isinstance(dim, int):
        dim = (dim,)
    if dim is None and ord is not None and x.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                           f"Got {x.ndim}D.")
    if isinstance(ord, str) or (dim is not None and len(dim) == 2) or (dim is None and ord is not None and x.ndim == 2):
        return matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


# ---- cross, tensordot, multi_dot -----------------------------------------------------------------

_NEXT, _PREV = np.array([1, 2, 0]), np.array([2, 0, 1])


def _cross_arrays(a, b, d):
    """a × b along axis d as a[next]·b[prev] − a[prev]·b[next] (np.cross costs 2-3x more)."""
    return np.take(a, _NEXT, d) * np.take(b, _PREV, d) - np.take(a, _PREV, d) * np.take(b, _NEXT, d)


def _cross(input, other, d):
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {type_name(a.dtype)} but found {type_name(b.dtype)}")
    out = _cross_arrays(a, b, d)

    def backward(g):
        ga = unbroadcast(_cross_arrays(b, g, d), a.shape) if input._requires_grad else None
        gb = unbroadcast(_cross_arrays(g, a, d), b.shape) if other._requires_grad else None
        return ga, gb
    return make(out, (input, other), backward, "LinalgCrossBackward0", saved=(input, other))


def linalg_cross(input, other, *, dim=-1):
    """The 3-vector cross product along `dim`, broadcasting the other dims."""
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[dim]} and "
                           f"{b.shape[dim]}")
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise broadcast_error(a.shape, b.shape) from None
    return _cross(input, other, dim_arg(dim, len(shape)))


def cross(input, other, dim=None):
    """torch.cross: like linalg.cross, but without `dim` it takes the first dim of size 3."""
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        try:
            shape = np.broadcast_shapes(input._data.shape, other._data.shape)
        except ValueError:
            raise broadcast_error(input._data.shape, other._data.shape) from None
        if 3 not in shape:
            raise RuntimeError("no dimension of size 3 in input")
        dim = shape.index(3)
    return linalg_cross(input, other, dim=dim)


def tensordot(a, b, dims=2, out=None):
    """Σ over the contracted dims: `dims` is a count (the last `dims` dims of a with the first of
    b) or a pair of dim lists. One matmul of the two operands folded to matrices."""
    from .shape import permute, reshape
    x, y = a._data, b._data
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > x.ndim or dims > y.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(-dims, 0)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
    for i, j in zip(da, db):
        if x.shape[i] != y.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {x.shape[i]} in dim {i} "
                               f"and second has size {y.shape[j]} in dim {j}")
    ca = [dim_arg(i, x.ndim) for i in da]
    cb = [dim_arg(j, y.ndim) for j in db]
    fa = [i for i in range(x.ndim) if i not in ca]
    fb = [j for j in range(y.ndim) if j not in cb]
    k = int(np.prod([x.shape[i] for i in ca], dtype=np.int64))
    left = [x.shape[i] for i in fa]
    right = [y.shape[j] for j in fb]
    am = reshape(permute(a, fa + ca), (-1, k))
    bm = reshape(permute(b, cb + fb), (k, -1))
    return reshape(matmul(am, bm), left + right)


_C_NAME = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int"}


def multi_dot(tensors):
    """A₁ A₂ … A_N in one call; the first may be 1-D (a row), the last 1-D (a column)."""
    from .shape import reshape
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0]._data.ndim, tensors[-1]._data.ndim
    if first not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first}D")
    if last not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last}D")
    for i, t in enumerate(tensors[1:-1], 1):
        if t._data.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t._data.ndim}D")
    for i, t in enumerate(tensors[1:], 1):
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{_C_NAME.get(tensors[0]._data.dtype.name)} and tensor {i} "
                               f"{_C_NAME.get(t._data.dtype.name)}")
    mats = list(tensors)
    if first == 1:
        mats[0] = reshape(mats[0], (1, -1))
    if last == 1:
        mats[-1] = reshape(mats[-1], (-1, 1))
    for i in range(len(mats) - 1):
        if mats[i]._data.shape[1] != mats[i + 1]._data.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(tensors[i].shape)} and "
                               f"{list(tensors[i + 1].shape)} cannot be multiplied")
    out = mats[0]
    for t in mats[1:]:
        out = matmul(out, t)
    shape = ([out._data.shape[0]] if first == 2 else []) + ([out._data.shape[1]] if last == 2 else [])
    return reshape(out, shape)


def chain_matmul(*matrices):
    """torch.chain_matmul (deprecated in PyTorch for linalg.multi_dot): the product of 2-D tensors."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                  "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
                  "multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    for i, t in enumerate(matrices):
        if t._data.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {t._data.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        from .conversion import clone
        return clone(matrices[0])
    return multi_dot(matrices)


# ---- fused products: out = beta · input + alpha · product -------------------------------------

def _same_dtype(*tensors):
    dt = tensors[0]._data.dtype
    for t in tensors[1:]:
        if t._data.dtype != dt:
            raise RuntimeError(f"expected scalar type {type_name(dt)} but found {type_name(t._data.dtype)}")
    return dt.kind in "iub"


def _scalars(integral, beta, alpha):
    if integral:
        for name, v in (("beta", beta), ("alpha", alpha)):
            if isinstance(v, float):
                raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point number.")


def _scaled_sum(input, prod, beta, alpha, others):
    """beta · input + alpha · prod, input expanded to prod's shape (beta = 0 ignores input, nan too)."""
    _scalars(_same_dtype(input, *others), beta, alpha)
    a = input._data
    _expand_check(a.shape, prod.shape)
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod
    return prod + (a * beta if beta != 1 else a)


def _input_grad(g, shape, beta):
    return unbroadcast(g * beta if beta != 1 else g, shape)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """out_b = beta · input_b + alpha · batch1_b @ batch2_b for each of the b matrices."""
    b1, b2 = batch1._data, batch2._data
    if b1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b1.shape[0] != b2.shape[0] or b1.shape[2] != b2.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b1.shape[0]}, "
                           f"{b1.shape[2]}] but got: [{b2.shape[0]}, {b2.shape[1]}].")
    out = _scaled_sum(input, np.matmul(b1, b2), beta, alpha, (batch1, batch2))
    a_shape = input._data.shape

    def backward(g):
        gs = g * alpha if alpha != 1 else g
        return (_input_grad(g, a_shape, beta) if input._requires_grad else None,
                gs @ _mT(b2) if batch1._requires_grad else None,
                _mT(b1) @ gs if batch2._requires_grad else None)
    return make(out, (input, batch1, batch2), backward, "BaddbmmBackward0", saved=(batch1, batch2))


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """out = beta · input + alpha · Σ_b batch1_b @ batch2_b (one GEMM over the folded batch)."""
    b1, b2 = batch1._data, batch2._data
    if b1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b1.shape[0] != b2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {b1.shape[0]} and {b2.shape[0]}")
    if b1.shape[2] != b2.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({b1.shape[1]}x{b1.shape[2]} and "
                           f"{b2.shape[1]}x{b2.shape[2]})")
    nb, n, k = b1.shape
    prod = b1.transpose(1, 0, 2).reshape(n, nb * k) @ b2.reshape(nb * k, b2.shape[2])
    out = _scaled_sum(input, prod, beta, alpha, (batch1, batch2))
    a_shape = input._data.shape

    def backward(g):
        gs = g * alpha if alpha != 1 else g
        return (_input_grad(g, a_shape, beta) if input._requires_grad else None,
                np.matmul(gs, _mT(b2)) if batch1._requires_grad else None,
                np.matmul(_mT(b1), gs) if batch2._requires_grad else None)
    return make(out, (input, batch1, batch2), backward, "AddbmmBackward0", saved=(batch1, batch2))


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """out = beta · input + alpha · mat @ vec."""
    m, v = mat._data, vec._data
    if m.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}, {m.ndim}, {v.ndim}")
    if m.shape[1] != v.shape[0]:
        rows = input._data.shape[0] if input._data.ndim else 1
        raise RuntimeError(f"size mismatch, got input ({rows}), mat ({m.shape[0]}x{m.shape[1]}), vec ({v.shape[0]})")
    out = _scaled_sum(input, m @ v, beta, alpha, (mat, vec))
    a_shape = input._data.shape

    def backward(g):
        gs = g * alpha if alpha != 1 else g
        return (_input_grad(g, a_shape, beta) if input._requires_grad else None,
                np.outer(gs, v) if mat._requires_grad else None,
                gs @ m if vec._requires_grad else None)
    return make(out, (input, mat, vec), backward, "AddmvBackward0", saved=(mat, vec))


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """out = beta · input + alpha · vec1 ⊗ vec2 (the outer product)."""
    v1, v2 = vec1._data, vec2._data
    if v1.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {v1.ndim}-D")
    if v2.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec2, but got {v2.ndim}-D")
    out = _scaled_sum(input, np.outer(v1, v2), beta, alpha, (vec1, vec2))
    a_shape = input._data.shape

    def backward(g):
        gs = g * alpha if alpha != 1 else g
        return (_input_grad(g, a_shape, beta) if input._requires_grad else None,
                gs @ v2 if vec1._requires_grad else None,
                v1 @ gs if vec2._requires_grad else None)
    return make(out, (input, vec1, vec2), backward, "AddrBackward0", saved=(vec1, vec2))
