"""Continuous Bernoulli distribution on [0, 1] (a properly normalised pixel likelihood for VAEs)."""
import math

import lamina
from ..tensor import Size
from . import constraints
from .exp_family import ExponentialFamily
from ._parametrization import ProbsOrLogitsParam
from .utils import _bce_logits, broadcast_all, clamp_probs, lazy_property, logits_to_probs

__all__ = ["ContinuousBernoulli"]

_LOG2 = math.log(2.0)


class ContinuousBernoulli(ProbsOrLogitsParam, ExponentialFamily):
    """Continuous Bernoulli: p(x) = C(λ) λ^x (1-λ)^(1-x) on [0, 1].

    Near λ = 1/2 (inside `lims`) the normaliser C and the moments use Taylor expansions, since the
    closed forms are 0/0 there.

    Args:
        probs (Number or Tensor): λ in [0, 1]. logits (Number or Tensor): log-odds of λ. Give one.
        lims (tuple of float): the unstable region around 1/2. Default: (0.499, 0.501).
    """
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        (param,) = self._set_probs_or_logits(probs, logits)
        if probs is not None:
            if validate_args is not None and not bool(self.arg_constraints["probs"].check(param).all()):
                raise ValueError("The parameter probs has invalid values")
            self.probs = self._param = clamp_probs(param)
        self._lims = lims
        super().__init__(param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_param(ContinuousBernoulli, batch_shape, _instance, copied=("_lims",))

    @lazy_property
    def probs(self):
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    def _stable(self):
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self):
        # inside the unstable region the closed forms are evaluated at lims[0] (then discarded)
        return lamina.where(self._stable(), self.probs, self._lims[0] * lamina.ones_like(self.probs))

    def _cont_bern_log_norm(self):
        p = self._cut_probs()
        below = lamina.where(p <= 0.5, p, lamina.zeros_like(p))
        above = lamina.where(p >= 0.5, p, lamina.ones_like(p))
        log_norm = (lamina.log(lamina.abs(lamina.log1p(-p) - lamina.log(p)))
                    - lamina.where(p <= 0.5, lamina.log1p(-2.0 * below), lamina.log(2.0 * above - 1.0)))
        x = (self.probs - 0.5).pow(2)
        taylor = _LOG2 + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return lamina.where(self._stable(), log_norm, taylor)

    @property
    def mean(self):
        p = self._cut_probs()
        mus = p / (2.0 * p - 1.0) + 1.0 / (lamina.log1p(-p) - lamina.log(p))
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return lamina.where(self._stable(), mus, taylor)

    @property
    def stddev(self):
        return lamina.sqrt(self.variance)

    @property
    def variance(self):
        p = self._cut_probs()
        v = p * (p - 1.0) / (1.0 - 2.0 * p).pow(2) + 1.0 / (lamina.log1p(-p) - lamina.log(p)).pow(2)
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return lamina.where(self._stable(), v, taylor)

    def sample(self, sample_shape=Size()):
        u = lamina.rand(self._extended_shape(sample_shape), dtype=self.probs.dtype)
        with lamina.no_grad():
            return self.icdf(u)

    def rsample(self, sample_shape=Size()):
        return self.icdf(lamina.rand(self._extended_shape(sample_shape), dtype=self.probs.dtype))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -_bce_logits(logits, value) + self._cont_bern_log_norm()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        p = self._cut_probs()
        cdfs = (p.pow(value) * (1.0 - p).pow(1.0 - value) + p - 1.0) / (2.0 * p - 1.0)
        inner = lamina.where(self._stable(), cdfs, value)
        return lamina.where(value <= 0.0, lamina.zeros_like(value),
                            lamina.where(value >= 1.0, lamina.ones_like(value), inner))

    def icdf(self, value):
        p = self._cut_probs()
        inv = (lamina.log1p(-p + value * (2.0 * p - 1.0)) - lamina.log1p(-p)) / (lamina.log(p) - lamina.log1p(-p))
        return lamina.where(self._stable(), inv, value)

    def entropy(self):
        log_p0 = lamina.log1p(-self.probs)
        log_p1 = lamina.log(self.probs)
        return self.mean * (log_p0 - log_p1) - self._cont_bern_log_norm() - log_p0
