"""Kumaraswamy distribution on [0, 1]."""
import lamina
from . import constraints
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform
from .uniform import Uniform
from .utils import broadcast_all, euler_constant

__all__ = ["Kumaraswamy"]


def _moments(a, b, n):
    # E[X^n] = b · B(1 + n/a, b)
    arg = 1 + n / a
    return b * lamina.exp(lamina.lgamma(arg) + lamina.lgamma(b) - lamina.lgamma(arg + b))


class Kumaraswamy(TransformedDistribution):
    """Kumaraswamy distribution: p(x) = a b x^(a-1) (1 - x^a)^(b-1) on [0, 1] (a Beta look-alike
    with a closed-form inverse CDF).

    Args:
        concentration1 (float or Tensor): a (> 0). concentration0 (float or Tensor): b (> 0).
    """
    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        c0 = self.concentration0
        base = Uniform(lamina.full_like(c0, 0), lamina.full_like(c0, 1), validate_args=validate_args)
        # x = (1 - u^(1/b))^(1/a)
        transforms = [PowerTransform(exponent=c0.reciprocal()), AffineTransform(loc=1.0, scale=-1.0),
                      PowerTransform(exponent=self.concentration1.reciprocal())]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_own(Kumaraswamy, batch_shape, _instance, ("concentration1", "concentration0"))

    @property
    def mean(self):
        return _moments(self.concentration1, self.concentration0, 1)

    @property
    def mode(self):
        a, b = self.concentration1, self.concentration0
        log_mode = b.reciprocal() * (-b).log1p() - (-b * a).log1p()
        log_mode = lamina.where((b < 1) | (a < 1), lamina.full_like(log_mode, float("nan")), log_mode)
        return log_mode.exp()

    @property
    def variance(self):
        return _moments(self.concentration1, self.concentration0, 2) - self.mean.pow(2)

    def entropy(self):
        t1 = 1 - self.concentration1.reciprocal()
        t0 = 1 - self.concentration0.reciprocal()
        H0 = lamina.digamma(self.concentration0 + 1) + euler_constant
        return t0 + t1 * H0 - lamina.log(self.concentration1) - lamina.log(self.concentration0)
