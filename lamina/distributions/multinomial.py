"""Multinomial distribution: category counts over `total_count` draws."""
import numpy as np

import lamina
from ..random import rng
from . import constraints
from .categorical import _WrapsCategorical
from .distribution import Distribution
from .binomial import Binomial
from .utils import _size, broadcast_all

__all__ = ["Multinomial"]


class Multinomial(_WrapsCategorical, Distribution):
    """Counts of each of K categories in `total_count` independent Categorical draws.

    P(x) = n! / Π x_k! · Π p_k^(x_k)

    Args:
        total_count (int): n (one value for the whole batch).
        probs (Tensor): (..., K) event probabilities. logits (Tensor): unnormalised log probabilities.
    Shape: batch_shape = param.shape[:-1], event_shape = (K,).
    """
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._init_categorical(probs, logits, validate_args)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)

    def expand(self, batch_shape, _instance=None):
        return self._expand_categorical(Multinomial, batch_shape, _instance, ("total_count",))

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(_size(sample_shape)))
        p = self.probs.detach().numpy().astype(np.float64)
        p = p / p.sum(-1, keepdims=True)
        flat = np.broadcast_to(p, shape).reshape(-1, shape[-1])
        # NumPy's multinomial takes one probability row per draw when given a 2-D pvals
        counts = rng().multinomial(self.total_count, flat).reshape(shape)
        return lamina.from_numpy(counts.astype(self.probs.detach().numpy().dtype))

    def entropy(self):
        n = lamina.tensor(self.total_count)
        term1 = n * self._categorical.entropy() - lamina.lgamma(n + 1)
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = lamina.exp(self._binomial.log_prob(support))
        weights = lamina.lgamma(support + 1)
        return term1 + (binomial_probs * weights).sum([0, -1])

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_fact_n = lamina.lgamma(value.sum(-1) + 1)
        log_fact_xs = lamina.lgamma(value + 1).sum(-1)
        # 0 · log 0 counts as 0: a zero-probability category never drawn costs nothing
        logits = lamina.where((value == 0) & (logits == float("-inf")), lamina.zeros_like(logits), logits)
        return log_fact_n - log_fact_xs + (logits * value).sum(-1)
