"""Normal (Gaussian) distribution."""
import math

import lamina
from ..tensor import Size
from ._loc_scale import LocScale
from .exp_family import ExponentialFamily
from .utils import _standard_normal

__all__ = ["Normal"]

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))
_INV_SQRT2 = 1 / math.sqrt(2)


class Normal(LocScale, ExponentialFamily):
    """Normal distribution N(loc, scale²).

    p(x) = exp(-(x - loc)² / (2 scale²)) / (scale √(2π))

    Args:
        loc (float or Tensor): mean.
        scale (float or Tensor): standard deviation (> 0).
    """

    @property
    def mean(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.stddev.pow(2)

    def rsample(self, sample_shape=Size()):
        eps = _standard_normal(self._extended_shape(sample_shape), self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -((value - self.loc) ** 2) / (2 * self.scale ** 2) - self.scale.log() - _LOG_SQRT_2PI

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + lamina.erf((value - self.loc) * self.scale.reciprocal() * _INV_SQRT2))

    def icdf(self, value):
        return self.loc + self.scale * lamina.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + lamina.log(self.scale)
