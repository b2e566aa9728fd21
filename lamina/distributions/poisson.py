"""Poisson distribution."""
import lamina
from ..tensor import Size
from . import constraints
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Poisson"]


def _poisson(rate):
    """lamina.poisson on any shape: it fails on 0-d input, so draw on one element and reshape."""
    return lamina.poisson(rate.reshape(-1)).reshape(rate.shape)


class Poisson(ExponentialFamily):
    """Poisson distribution: P(k) = λ^k e^(-λ) / k!, k = 0, 1, 2, ...

    Args:
        rate (Number or Tensor): λ (≥ 0).
    """
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate, validate_args=None):
        self._init_params(validate_args, rate=rate)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Poisson, batch_shape, _instance, (("rate", ()),))

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate

    def sample(self, sample_shape=Size()):
        with lamina.no_grad():
            return _poisson(self.rate.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return value.xlogy(rate) - rate - (value + 1).lgamma()
