"""Student's t distribution."""
import math

import lamina
from ..tensor import Size
from . import constraints
from .chi2 import Chi2
from .distribution import Distribution
from .utils import _standard_normal, broadcast_all

_LOG_PI = math.log(math.pi)

__all__ = ["StudentT"]


class StudentT(Distribution):
    """Student's t distribution with `df` degrees of freedom, location and scale.

    p(x) ∝ (1 + y²/ν)^(-(ν+1)/2), y = (x - loc) / scale

    Args:
        df (float or Tensor): ν (> 0). loc (float or Tensor): default 0. scale (float or Tensor): default 1.
    """
    arg_constraints = {"df": constraints.positive, "loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self.df.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expanded(StudentT, batch_shape, _instance, (("df", ()), ("loc", ()), ("scale", ())))
        new._chi2 = self._chi2.expand(batch_shape)
        return new

    @property
    def mean(self):
        return lamina.where(self.df <= 1, lamina.full_like(self.loc, float("nan")), self.loc)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        big = df > 2
        safe = lamina.where(big, df, lamina.full_like(df, 3.0))  # keep the unused branch finite
        finite = self.scale.pow(2) * safe / (safe - 2)
        other = lamina.where(df > 1, lamina.full_like(df, float("inf")), lamina.full_like(df, float("nan")))
        return lamina.where(big, finite, other)

    def rsample(self, sample_shape=Size()):
        x = _standard_normal(self._extended_shape(sample_shape), self.df.dtype)
        z = self._chi2.rsample(sample_shape)
        return self.loc + self.scale * (x * lamina.rsqrt(z / self.df))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        df = self.df
        Z = (self.scale.log() + 0.5 * df.log() + 0.5 * _LOG_PI + lamina.lgamma(0.5 * df)
             - lamina.lgamma(0.5 * (df + 1.0)))
        return -0.5 * (df + 1.0) * lamina.log1p(y ** 2.0 / df) - Z

    def entropy(self):
        df = self.df
        lbeta = lamina.lgamma(0.5 * df) + math.lgamma(0.5) - lamina.lgamma(0.5 * (df + 1))
        return (self.scale.log() + 0.5 * (df + 1) * (lamina.digamma(0.5 * (df + 1)) - lamina.digamma(0.5 * df))
                + 0.5 * df.log() + lbeta)
