"""Fisher-Snedecor (F) distribution."""
from numbers import Number

import lamina
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .gamma import Gamma
from .utils import broadcast_all

__all__ = ["FisherSnedecor"]

_NAN = float("nan")


class FisherSnedecor(Distribution):
    """F distribution: the ratio (X1/d1) / (X2/d2) of scaled chi-squared variables.

    Args:
        df1 (float or Tensor): numerator degrees of freedom (> 0). df2 (float or Tensor): denominator ones (> 0).
    """
    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1, df2, validate_args=None):
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        scalar = isinstance(df1, Number) and isinstance(df2, Number)
        super().__init__(Size() if scalar else self.df1.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expanded(FisherSnedecor, batch_shape, _instance, (("df1", ()), ("df2", ())))
        new._gamma1 = self._gamma1.expand(batch_shape)
        new._gamma2 = self._gamma2.expand(batch_shape)
        return new

    @property
    def mean(self):
        df2 = lamina.where(self.df2 <= 2, lamina.full_like(self.df2, _NAN), self.df2)
        return df2 / (df2 - 2)

    @property
    def mode(self):
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return lamina.where(self.df1 <= 2, lamina.full_like(mode, _NAN), mode)

    @property
    def variance(self):
        df2 = lamina.where(self.df2 <= 4, lamina.full_like(self.df2, _NAN), self.df2)
        return 2 * df2.pow(2) * (self.df1 + df2 - 2) / (self.df1 * (df2 - 2).pow(2) * (df2 - 4))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        x1 = self._gamma1.rsample(sample_shape).view(shape)
        x2 = self._gamma2.rsample(sample_shape).view(shape)
        tiny = lamina.finfo(x2.dtype).tiny
        return (x1 / x2.clamp(min=tiny)).clamp(min=tiny)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        c1, c2 = self.df1 * 0.5, self.df2 * 0.5
        ratio = self.df1 / self.df2
        t1 = (c1 + c2).lgamma() - c1.lgamma() - c2.lgamma()
        t2 = c1 * ratio.log() + (c1 - 1) * lamina.log(value)
        t3 = (c1 + c2) * lamina.log1p(ratio * value)
        return t1 + t2 - t3
