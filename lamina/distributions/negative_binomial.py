"""Negative binomial distribution (overdispersed counts)."""
import lamina
from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .poisson import _poisson
from ._parametrization import ProbsOrLogitsParam
from .utils import lazy_property

__all__ = ["NegativeBinomial"]


def _logsigmoid(x):
    from ..nn.functional import logsigmoid
    return logsigmoid(x)


class NegativeBinomial(ProbsOrLogitsParam, Distribution):
    """Successes before `total_count` failures, each trial succeeding with probability `probs`.

    P(k) = Γ(k + r) / (k! Γ(r)) · p^k (1-p)^r

    Args:
        total_count (float or Tensor): r (≥ 0, need not be an integer).
        probs (Tensor): success probability p in [0, 1). logits (Tensor): its log-odds. Give one.
    """
    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0), "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        self._init_counts(total_count, probs, logits, validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_param(NegativeBinomial, batch_shape, _instance, (("total_count", ()),))

    @property
    def mean(self):
        return self.total_count * lamina.exp(self.logits)

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / lamina.sigmoid(-self.logits)

    @lazy_property
    def _gamma(self):
        return Gamma(concentration=self.total_count, rate=lamina.exp(-self.logits), validate_args=False)

    def sample(self, sample_shape=()):
        # a Poisson whose rate is Gamma distributed
        with lamina.no_grad():
            return _poisson(self._gamma.sample(sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        r = self.total_count
        unnormalized = r * _logsigmoid(-self.logits) + value * _logsigmoid(self.logits)
        normalization = -lamina.lgamma(r + value) + lamina.lgamma(1.0 + value) + lamina.lgamma(r)
        # r + k = 0 (no trials, no successes) has probability 1
        normalization = normalization.masked_fill(r + value == 0.0, 0.0)
        return unnormalized - normalization
