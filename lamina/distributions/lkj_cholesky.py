"""LKJ distribution over Cholesky factors of correlation matrices (priors on correlations)."""
import math

import lamina
from ..tensor import Size
from . import constraints
from .beta import Beta
from .distribution import Distribution
from .utils import _size, broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """LKJ distribution of the lower Cholesky factor L of a dim x dim correlation matrix
    M = L Lᵀ, with density ∝ det(M)^(η - 1) (η = concentration; η = 1 is uniform over them).

    Samples come from the onion method (Lewandowski, Kurowicka & Joe, 2009): row i of L is a
    uniform direction scaled by the square root of a Beta draw, its diagonal taking the rest of
    the unit length.

    Args:
        dim (int): the matrix size (≥ 2). concentration (float or Tensor): η (> 0). Default: 1.
    """
    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        # the squared length off the diagonal of row i is Beta(i/2, η + (dim - 2 - i)/2) (row 0: unused)
        marginal = self.concentration + 0.5 * (dim - 2)
        offset = lamina.arange(dim - 1, dtype=self.concentration.dtype)
        offset = lamina.cat([offset.new_zeros((1,)), offset])
        self._beta = Beta(offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset)
        super().__init__(self.concentration.size(), Size((dim, dim)), validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = _size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        return self._init_expanded(new, batch_shape, self.event_shape)

    def sample(self, sample_shape=Size()):
        y = self._beta.sample(sample_shape).unsqueeze(-1)
        u = lamina.randn(self._extended_shape(sample_shape), dtype=y.dtype).tril(-1)
        # uniform directions in the strict lower triangle; row 0 has none (its norm 0 is kept
        # from dividing 0 by 0)
        norm = u.norm(dim=-1, keepdim=True)
        u = u / lamina.where(norm == 0, lamina.ones_like(norm), norm)
        w = lamina.sqrt(y) * u
        diag = lamina.clamp(1 - lamina.sum(w ** 2, dim=-1), min=lamina.finfo(w.dtype).tiny).sqrt()
        return w + lamina.diag_embed(diag)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        # log det(M)^(η-1) plus the Jacobian of M -> L: Σ_i (2(η - 1) + dim - i) log L_ii, i = 2..dim
        diag = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - lamina.arange(2, self.dim + 1)
        unnormalized = lamina.sum(order * diag.log(), dim=-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normalizer = 0.5 * dm1 * math.log(math.pi) + lamina.mvlgamma(alpha - 0.5, dm1) - lamina.lgamma(alpha) * dm1
        return unnormalized - normalizer
