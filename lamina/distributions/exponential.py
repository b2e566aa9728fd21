"""Exponential distribution."""
import lamina
from ..tensor import Size
from . import constraints
from .exp_family import ExponentialFamily

__all__ = ["Exponential"]


class Exponential(ExponentialFamily):
    """Exponential distribution: p(x) = λ e^(-λx), x ≥ 0.

    Args:
        rate (float or Tensor): λ (> 0).
    """
    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        self._init_params(validate_args, rate=rate)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Exponential, batch_shape, _instance, (("rate", ()),))

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return lamina.zeros_like(self.rate)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)

    def rsample(self, sample_shape=Size()):
        e = lamina.empty(self._extended_shape(sample_shape), dtype=self.rate.dtype).exponential_()
        return e / self.rate

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return 1 - lamina.exp(-self.rate * value)

    def icdf(self, value):
        return -lamina.log1p(-value) / self.rate

    def entropy(self):
        return 1.0 - lamina.log(self.rate)
