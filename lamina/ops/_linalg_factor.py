"""The Cholesky and QR factorisations with their backward formulas (cholesky, cholesky_ex,
cholesky_solve, cholesky_inverse, qr), and QR's Householder form: geqrf, householder_product
(orgqr) and ormqr."""
import numpy as np

from ._core import make, wrap
from ._linalg_common import LinAlgError, _batch_note, _matrix, _mT, _multi
from ._linalg_solve import linalg_inv, solve
from .linalg import matmul
from .reduction import return_type


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
