"""Multivariate normal distribution (covariance, precision or Cholesky factor)."""
import math

import lamina
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import _size, _standard_normal, lazy_property

__all__ = ["MultivariateNormal"]

_LOG_2PI = math.log(2 * math.pi)


def _batch_mv(bmat, bvec):
    return lamina.matmul(bmat, bvec.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(L, x):
    """xᵀ (L Lᵀ)⁻¹ x for a lower-triangular L (..., n, n) and x (..., n), batch dims broadcast."""
    n = x.size(-1)
    if L.dim() == 2:
        # one factor for every vector: a single triangular solve on all of them at once
        flat = x.reshape(-1, n).mT
        return lamina.linalg.solve_triangular(L, flat, upper=False).pow(2).sum(0).reshape(x.shape[:-1])
    batch = lamina.broadcast_shapes(L.shape[:-2], x.shape[:-1])
    sol = lamina.linalg.solve_triangular(L.expand(tuple(batch) + (n, n)),
                                         x.expand(tuple(batch) + (n,)).unsqueeze(-1), upper=False)
    return sol.squeeze(-1).pow(2).sum(-1)


def _precision_to_scale_tril(P):
    # the Cholesky factor of the flipped precision gives the inverse of the covariance's factor
    Lf = lamina.linalg.cholesky(lamina.flip(P, (-2, -1)))
    L_inv = lamina.transpose(lamina.flip(Lf, (-2, -1)), -2, -1)
    eye = lamina.eye(P.shape[-1], dtype=P.dtype)
    return lamina.linalg.solve_triangular(L_inv, eye, upper=False)


def scale_tril_of(scale_tril, covariance_matrix, precision_matrix):
    """The lower Cholesky factor from whichever of the three parametrisations was given."""
    if scale_tril is not None:
        return scale_tril
    if covariance_matrix is not None:
        return lamina.linalg.cholesky(covariance_matrix)
    return _precision_to_scale_tril(precision_matrix)


def _check_loc(loc):
    if loc.dim() < 1:
        raise ValueError("loc must be at least one-dimensional.")


class _GaussianVector:
    """What the multivariate normals share: real vectors, reparameterized, mean = mode = loc."""
    support = constraints.real_vector
    has_rsample = True

    def _full(self, m):
        return m.expand(self._batch_shape + self._event_shape + self._event_shape)

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc


class MultivariateNormal(_GaussianVector, Distribution):
    """Multivariate normal N(loc, Σ), Σ given as covariance_matrix, precision_matrix (Σ⁻¹) or
    scale_tril (lower-triangular L with Σ = L Lᵀ); exactly one of them.

    Args:
        loc (Tensor): mean (..., n).
        covariance_matrix / precision_matrix (Tensor): positive-definite (..., n, n).
        scale_tril (Tensor): lower triangular with positive diagonal (..., n, n).
    Shape: batch_shape = broadcast of loc.shape[:-1] and the matrix's batch dims, event_shape = (n,).
    """
    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        _check_loc(loc)
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        for name, m in (("scale_tril", scale_tril), ("covariance_matrix", covariance_matrix),
                        ("precision_matrix", precision_matrix)):
            if m is not None:
                if m.dim() < 2:
                    what = "scale_tril matrix" if name == "scale_tril" else name
                    raise ValueError(f"{what} must be at least two-dimensional, with optional leading batch dimensions")
                batch_shape = lamina.broadcast_shapes(m.shape[:-2], loc.shape[:-1])
                setattr(self, name, m.expand(tuple(batch_shape) + (-1, -1)))
        self.loc = loc.expand(tuple(batch_shape) + (-1,))
        super().__init__(batch_shape, self.loc.shape[-1:], validate_args=validate_args)
        self._unbroadcasted_scale_tril = scale_tril_of(scale_tril, covariance_matrix, precision_matrix)

    def expand(self, batch_shape, _instance=None):
        batch_shape = _size(batch_shape)
        ev = tuple(self.event_shape)
        new = self._expanded(MultivariateNormal, batch_shape, _instance,
                             (("loc", ev), ("covariance_matrix", ev + ev), ("scale_tril", ev + ev),
                              ("precision_matrix", ev + ev)), event_shape=self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        return new

    @lazy_property
    def scale_tril(self):
        return self._full(self._unbroadcasted_scale_tril)

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return self._full(lamina.matmul(L, L.mT))

    @lazy_property
    def precision_matrix(self):
        return self._full(lamina.cholesky_inverse(self._unbroadcasted_scale_tril))

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(self._batch_shape + self._event_shape)

    def rsample(self, sample_shape=Size()):
        eps = _standard_normal(self._extended_shape(sample_shape), self.loc.dtype)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def _half_log_det(self):
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        return -0.5 * (self._event_shape[0] * _LOG_2PI + M) - self._half_log_det()

    def entropy(self):
        H = 0.5 * self._event_shape[0] * (1.0 + _LOG_2PI) + self._half_log_det()
        return H if len(self._batch_shape) == 0 else H.expand(self._batch_shape)
