"""Bernoulli distribution (probs or logits)."""
import lamina
from ..tensor import Size
from . import constraints
from .exp_family import ExponentialFamily
from ._parametrization import ProbsOrLogitsParam
from .utils import _bce_logits, broadcast_all

__all__ = ["Bernoulli"]


class Bernoulli(ProbsOrLogitsParam, ExponentialFamily):
    """Bernoulli distribution: 1 with probability `probs`, 0 otherwise.

    Args:
        probs (Number or Tensor): probability of 1 (in [0, 1]).
        logits (Number or Tensor): log-odds of 1. Give exactly one of probs, logits.
    """
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._init_probs_or_logits(probs, logits, validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_param(Bernoulli, batch_shape, _instance)

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs)
        mode[self.probs == 0.5] = float("nan")
        return mode

    @property
    def variance(self):
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        with lamina.no_grad():
            return lamina.bernoulli(self.probs.expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -_bce_logits(logits, value)

    def entropy(self):
        return _bce_logits(self.logits, self.probs)

    def enumerate_support(self, expand=True):
        return self._enumerated(lamina.arange(2, dtype=self._param.dtype), expand)
