"""Functions of a square matrix: matrix_power (repeated squaring), matrix_exp (Padé [13/13]
with scaling and squaring, and its adjoint Fréchet derivative), trace (which shares the
top-level name with lamina.inspect.trace), and the Vandermonde matrix."""
import numpy as np

from ..tensor import Tensor
from ._core import make
from ._linalg_common import _eye_like, _matrix, _mT
from ._linalg_solve import linalg_inv
from .linalg import matmul


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


# ---- vander, trace ------------------------------------------------------------------------------

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
