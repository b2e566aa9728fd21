"""Cauchy distribution."""
import math

import lamina
from ..tensor import Size
from ._loc_scale import LocScale
from .distribution import Distribution

__all__ = ["Cauchy"]

_LOG_PI = math.log(math.pi)


class Cauchy(LocScale, Distribution):
    """Cauchy (Lorentz) distribution: p(x) = 1 / (π γ (1 + ((x - loc)/γ)²)).

    Args:
        loc (float or Tensor): the median. scale (float or Tensor): half width γ (> 0).
    """

    @property
    def mean(self):
        return lamina.full(self._extended_shape(), float("nan"), dtype=self.loc.dtype)

    @property
    def variance(self):
        return lamina.full(self._extended_shape(), float("inf"), dtype=self.loc.dtype)

    def rsample(self, sample_shape=Size()):
        eps = lamina.empty(self._extended_shape(sample_shape), dtype=self.loc.dtype).cauchy_()
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -_LOG_PI - self.scale.log() - (((value - self.loc) / self.scale) ** 2).log1p()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return lamina.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        return lamina.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()
