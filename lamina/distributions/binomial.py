"""Binomial distribution."""
import numpy as np

import lamina
from ..random import rng
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from ._parametrization import ProbsOrLogitsParam

__all__ = ["Binomial"]


def _clamp_by_zero(x):
    # max(x, 0) with gradient 1/2 at x == 0 (as PyTorch's)
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(ProbsOrLogitsParam, Distribution):
    """Binomial distribution: successes in `total_count` Bernoulli trials.

    P(k) = C(n, k) p^k (1-p)^(n-k)

    Args:
        total_count (int or Tensor): n (≥ 0). probs (Tensor): p. logits (Tensor): log-odds. Give one.
    """
    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        self._init_counts(total_count, probs, logits, validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_param(Binomial, batch_shape, _instance, (("total_count", ()),))

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=Size()):
        shape = tuple(self._extended_shape(sample_shape))
        n = np.broadcast_to(self.total_count.detach().numpy(), shape).astype(np.int64)
        p = np.clip(np.broadcast_to(self.probs.detach().numpy(), shape).astype(np.float64), 0.0, 1.0)
        draws = np.asarray(rng().binomial(n, p))  # asarray: a 0-d draw is a Python int
        return lamina.from_numpy(draws.astype(self._param.detach().numpy().dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_fact_n = lamina.lgamma(n + 1)
        log_fact_k = lamina.lgamma(value + 1)
        log_fact_nmk = lamina.lgamma(n - value + 1)
        # n·log(1 + e^logits), written to stay finite for large |logits|
        normalizer = n * _clamp_by_zero(logits) + n * lamina.log1p(lamina.exp(-lamina.abs(logits))) - log_fact_n
        return value * logits - log_fact_k - log_fact_nmk - normalizer

    def entropy(self):
        total = int(self.total_count.max())
        if not self.total_count.min() == total:
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(lamina.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total = int(self.total_count.max())
        if not self.total_count.min() == total:
            raise NotImplementedError("Inhomogeneous total count not supported by `enumerate_support`.")
        return self._enumerated(lamina.arange(1 + total, dtype=self._param.dtype), expand)
