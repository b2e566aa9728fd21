"""torch.nn.utils.parametrizations: weight_norm, spectral_norm and orthogonal as
parametrizations (see parametrize.py), so the constrained weight is recomputed on each access
and state_dict holds `parametrizations.<name>.original...`."""
from enum import Enum, auto

import numpy as np

from ... import allclose, cat, eye, geqrf, mv, randn, vdot, zeros_like
from ...linalg import householder_product, matrix_exp, solve
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..modules.module import Module
from . import parametrize
from .weight_norm import _norm_except_dim, _weight_norm

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# ---- orthogonal --------------------------------------------------------------------------------
def _is_orthogonal(Q):
    n, k = Q.shape[-2], Q.shape[-1]
    identity = eye(k, dtype=Q.dtype)
    return bool(allclose(Q.mH @ Q, identity, atol=10.0 * n * float(np.finfo(Q._data.dtype).eps)))


def _make_orthogonal(A):
    """The Q of A's QR decomposition with signs chosen so R has a positive diagonal."""
    X, tau = geqrf(A)
    Q = householder_product(X, tau)
    return Q * X.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """Maps an unconstrained matrix to an orthogonal one (or one with orthonormal columns/rows).

    matrix_exp and cayley map the skew-symmetric part of the lower triangle (a Lie algebra
    element) onto the orthogonal group; householder reads the strict lower triangle as reflectors.
    With use_trivialization the result is multiplied by a buffer `base`, which assignment sets."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = matrix_exp(A)
            else:
                eye_n = eye(n, dtype=A.dtype)
                Q = solve(eye_n - 0.5 * A, eye_n + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                                 f"Got a tensor of shape {Q.shape}.")
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                              "parametrizations when use_trivialization=False.")
                # the reflectors of Q's QR; the diagonal keeps only the signs (0 tau flips one)
                A, tau = geqrf(Q)
                a = A._data
                diag = np.einsum("...ii->...i", a[..., :k, :k])
                signs = np.sign(diag)
                signs[tau._data == 0.0] *= -1
                idx = np.arange(k)
                a[..., idx, idx] = signs
                return A.mT if transpose else A
            if n == k:
                Q = _make_orthogonal(Q) if not _is_orthogonal(Q) else Q.clone()
            else:
                N = randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype)
                Q = _make_orthogonal(cat([Q, N], dim=-1))
            self.base = Q
            neg_id = zeros_like(Q_init)
            neg_id._data[..., np.arange(min(n, k)), np.arange(min(n, k))] = -1.0
            return neg_id


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Constrain `module.<name>` to be orthogonal: QᵀQ = I for tall or square matrices, QQᵀ = I
    for wide ones (a batch of matrices is constrained matrix by matrix).

    Args:
        module (nn.Module): module on which to register the parametrization.
        name (str): name of the tensor. Default: "weight".
        orthogonal_map (str, optional): "matrix_exp", "cayley" or "householder". Default:
            "matrix_exp" for square or complex matrices, "householder" otherwise.
        use_trivialization (bool): use the dynamic trivialization framework (a buffer `base`
            multiplies the map's output). Default: True.

    Returns: the module with the parametrization registered (unsafe, as the shape checks are
    done here)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = ("matrix_exp" if weight.shape[-2] == weight.shape[-1] or weight.is_complex()
                          else "householder")
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


# ---- weight norm -------------------------------------------------------------------------------
class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return _norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Weight normalization as a parametrization: w = g * v / ||v||, the norm over every
    dimension but `dim` (the whole tensor when dim is None).

    The magnitude g is stored as `parametrizations.<name>.original0` and the direction v as
    `parametrizations.<name>.original1`.

    Args:
        module (Module): containing module.
        name (str): name of the weight parameter. Default: "weight".
        dim (int or None): dimension over which to compute the norm. Default: 0."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


# ---- spectral norm -----------------------------------------------------------------------------
class _SpectralNorm(Module):
    """W / σ(W), σ estimated by power iteration on the buffers `_u` and `_v` (updated in place
    in training mode only)."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] "
                             f"but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", _normalized(u._data, eps))
            self.register_buffer("_v", _normalized(v._data, eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        # u and v are written in place (as torch's out=), so the buffers keep their identity
        w = weight_mat._data
        u, v = self._u, self._v
        for _ in range(n_power_iterations):
            _normalize_into(w @ v._data, self.eps, u._data)
            _normalize_into(w.conj().T @ u._data, self.eps, v._data)
        u._vc[0] += n_power_iterations
        v._vc[0] += n_power_iterations

    def forward(self, weight):
        if weight.ndim == 1:
            from ..functional import normalize
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u = self._u.clone()
        v = self._v.clone()
        sigma = vdot(u, mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def _normalize_into(x, eps, out):
    np.divide(x, max(float(np.sqrt(np.vdot(x, x).real)), eps), out=out, casting="unsafe")


def _normalized(x, eps):
    out = np.empty_like(x)
    _normalize_into(x, eps, out)
    return Tensor._wrap(out)


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Spectral normalization as a parametrization: W / σ(W), σ the largest singular value of
    W reshaped to a matrix with `dim` as rows, estimated by power iteration.

    In training mode each access to `module.<name>` runs `n_power_iterations` steps that
    update the buffers `parametrizations.<name>.0._u` and `._v`; in eval mode they are kept.

    Args:
        module (nn.Module): containing module.
        name (str): name of the weight parameter. Default: "weight".
        n_power_iterations (int): power iterations per access. Default: 1.
        eps (float): epsilon for numerical stability in the norms. Default: 1e-12.
        dim (int, optional): dimension of the output channels. Default: 0, except 1 for
            ConvTranspose{1,2,3}d."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = _default_dim(module)
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


def _default_dim(module):
    from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
