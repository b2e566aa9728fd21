"""Vector and matrix norms (vector_norm, matrix_norm, linalg.norm, and the deprecated
nuclear_norm/frobenius_norm) and the condition number cond, built from the reductions and
svdvals."""
import warnings

import numpy as np

from ._core import dim_arg, wrap
from ._linalg_common import LinAlgError, _eye_like, _first_zero_pivot, _floating, _matrix
from ._linalg_solve import linalg_inv
from ._linalg_spectral import svdvals


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


# ---- condition number ----------------------------------------------------------------------------

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
