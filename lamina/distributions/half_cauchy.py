"""Half-Cauchy distribution."""
import math

import lamina
from ._folded import Folded
from .cauchy import Cauchy

__all__ = ["HalfCauchy"]


class HalfCauchy(Folded):
    """Half-Cauchy distribution: |X| for X ~ Cauchy(0, scale) (a common prior on scales).

    Args:
        scale (float or Tensor): scale of the underlying Cauchy (> 0).
    """

    def __init__(self, scale, validate_args=None):
        super().__init__(Cauchy(0, scale, validate_args=False), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return super().expand(batch_shape, _instance=self._get_checked_instance(HalfCauchy, _instance))

    @property
    def mean(self):
        return lamina.full(self._extended_shape(), math.inf, dtype=self.scale.dtype)

    @property
    def variance(self):
        return self.base_dist.variance

    def _as_value(self, value):
        # after validation (which wants a tensor): numbers too, and PyTorch evaluates in scale's dtype
        return lamina.as_tensor(value, dtype=self.scale.dtype)
