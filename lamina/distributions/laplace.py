"""Laplace (double exponential) distribution."""
import lamina
from ..tensor import Size
from ._loc_scale import LocScale
from .distribution import Distribution

__all__ = ["Laplace"]


class Laplace(LocScale, Distribution):
    """Laplace distribution: p(x) = exp(-|x - loc| / scale) / (2 scale).

    Args:
        loc (float or Tensor): location. scale (float or Tensor): scale b (> 0).
    """

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return 2 ** 0.5 * self.scale

    def rsample(self, sample_shape=Size()):
        eps = lamina.finfo(self.loc.dtype).eps
        # u in (-1, 1) (eps - 1 keeps log1p(-|u|) finite): the inverse CDF of the two-sided exponential
        u = lamina.empty(self._extended_shape(sample_shape), dtype=self.loc.dtype).uniform_(eps - 1, 1)
        return self.loc - self.scale * u.sign() * lamina.log1p(-u.abs())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -lamina.log(2 * self.scale) - lamina.abs(value - self.loc) / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        d = value - self.loc
        return 0.5 - 0.5 * d.sign() * lamina.expm1(-d.abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * lamina.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + lamina.log(2 * self.scale)
