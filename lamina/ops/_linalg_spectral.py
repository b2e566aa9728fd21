"""The singular value and symmetric eigen decompositions (svd, svdvals, eigh, eigvalsh) with
their backward formulas, and what rests on them: pinv, lstsq, matrix_rank, and the randomized
low-rank SVD / PCA."""
import numpy as np

from ..autograd.grad_mode import _mode
from ..tensor import Tensor
from ._core import as_tensor, make, wrap
from ._linalg_common import _double_or_float, _eye_like, _matrix, _mT, _multi
from ._linalg_factor import linalg_qr
from .arithmetic import type_name
from .linalg import matmul
from .reduction import return_type


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


# ---- rank --------------------------------------------------------------------------------------

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
