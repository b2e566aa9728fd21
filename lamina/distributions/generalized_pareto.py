"""Generalized Pareto distribution (tails of other distributions, peaks over a threshold)."""
import math

import lamina
from ..tensor import Size
from . import constraints
from .distribution import Distribution

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    """Generalized Pareto distribution with location, scale σ and concentration ξ.

    P(X > x) = (1 + ξ z)^(-1/ξ), z = (x - loc) / σ (exp(-z) at ξ = 0); the support is
    [loc, inf) for ξ ≥ 0 and [loc, loc - σ/ξ] for ξ < 0. ξ = 0 is the exponential, ξ = -1 the
    uniform distribution.

    Args:
        loc (float or Tensor). scale (float or Tensor): σ (> 0). concentration (float or Tensor): ξ.
    """
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self._init_params(validate_args, loc=loc, scale=scale, concentration=concentration)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(GeneralizedPareto, batch_shape, _instance,
                              (("loc", ()), ("scale", ()), ("concentration", ())))

    def _safe_concentration(self):
        """(ξ == 0 up to isclose's tolerance, ξ with those entries replaced by 1): the ξ = 0 limits
        are taken separately, and the formulas dividing by ξ must not see 0."""
        zero = lamina.isclose(self.concentration, lamina.zeros_like(self.concentration))
        return zero, lamina.where(zero, lamina.ones_like(self.concentration), self.concentration)

    def _z(self, x):
        return (x - self.loc) / self.scale

    def rsample(self, sample_shape=Size()):
        u = lamina.rand(self._extended_shape(sample_shape), dtype=self.loc.dtype)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        zero, xi = self._safe_concentration()
        y = 1 / xi + lamina.ones_like(z)
        # -(1/ξ + 1) log(1 + ξ z), kept at 0 where 1/ξ + 1 is (ξ = -1, the uniform case)
        nonzero = lamina.where(y == 0, y, y * lamina.log1p(xi * z))
        return -self.scale.log() - lamina.where(zero, z, nonzero)

    def log_survival_function(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        zero, xi = self._safe_concentration()
        return lamina.where(zero, -z, -lamina.log1p(xi * z) / xi)

    def log_cdf(self, value):
        return lamina.log1p(-lamina.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return lamina.exp(self.log_cdf(value))

    def icdf(self, value):
        zero, xi = self._safe_concentration()
        log_u = lamina.log1p(-value)
        nonzero = self.loc + self.scale / xi * lamina.expm1(-xi * log_u)
        return lamina.where(zero, self.loc - self.scale * log_u, nonzero)

    @property
    def mean(self):
        valid = self.concentration < 1  # the mean is infinite from ξ = 1 on: NaN, as PyTorch
        xi = lamina.where(valid, self.concentration, 0.5)
        return lamina.where(valid, self.loc + self.scale / (1 - xi), math.nan)

    @property
    def variance(self):
        valid = self.concentration < 0.5
        xi = lamina.where(valid, self.concentration, 0.25)
        return lamina.where(valid, self.scale ** 2 / ((1 - xi) ** 2 * (1 - 2 * xi)), math.nan)

    def entropy(self):
        return lamina.broadcast_to(lamina.log(self.scale) + self.concentration + 1, self._batch_shape)

    @property
    def mode(self):
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        upper = lamina.where(self.concentration < 0, self.loc - self.scale / self.concentration, math.inf)
        return constraints.interval(self.loc, upper)
