"""Gamma distribution, and the reparameterized standard-gamma sampler it shares with Beta/Dirichlet."""
import numpy as np

import lamina
from ..ops._core import make
from ..random import rng
from ..tensor import Size
from . import constraints
from .exp_family import ExponentialFamily

__all__ = ["Gamma"]


def _dsample_dconcentration(x, a):
    """d x / d a for x ~ Gamma(a, 1) held at a fixed CDF level (implicit reparameterization):
    -(∂P(a, x)/∂a) / p(x; a), P the regularised lower incomplete gamma function.

    With P = p(x; a) · (x/a) · Σ_n u_n, u_n = Π_{k=1..n} x/(a+k), the density cancels and
    ∂P/∂a / p = (x/a) Σ_n u_n (ln x - ψ(a+n+1)). The series is summed in float64 until its
    terms are negligible (about x - a + 10√x terms)."""
    from ..ops.special import digamma_array
    x = np.maximum(x.astype(np.float64), np.finfo(np.float64).tiny)
    a = a.astype(np.float64)
    logx = np.log(x)
    u = np.ones_like(x)
    psi = digamma_array(a + 1.0)
    total = u * (logx - psi)
    n_terms = int(np.max(np.maximum(x - a, 0.0) + 10.0 * np.sqrt(x))) + 40 if x.size else 0
    for n in range(1, n_terms):
        u = u * x / (a + n)
        psi = psi + 1.0 / (a + n)
        total += u * (logx - psi)
        if n % 16 == 0 and np.all(u * np.abs(logx - psi) < 1e-17 * np.abs(total)):
            break
    return -(x / a) * total


def _standard_gamma(concentration):
    """Samples of Gamma(concentration, 1); the gradient flows to the concentration."""
    a = concentration._data
    x = np.asarray(rng().standard_gamma(a)).astype(a.dtype)  # asarray: a 0-d draw is a NumPy scalar
    np.maximum(x, np.finfo(a.dtype).tiny, out=x)

    def backward(g):
        return ((g * _dsample_dconcentration(x, a)).astype(a.dtype),)
    return make(x, (concentration,), backward, "StandardGammaBackward0")


class Gamma(ExponentialFamily):
    """Gamma distribution with shape `concentration` (α) and `rate` (β).

    p(x) = β^α x^(α-1) e^(-βx) / Γ(α),  x ≥ 0

    Args:
        concentration (float or Tensor): shape α (> 0).
        rate (float or Tensor): rate β = 1/scale (> 0).
    """
    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        self._init_params(validate_args, concentration=concentration, rate=rate)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Gamma, batch_shape, _instance, (("concentration", ()), ("rate", ())))

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        return _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)

    def log_prob(self, value):
        value = lamina.as_tensor(value, dtype=self.rate.dtype)  # PyTorch evaluates in the parameters' dtype
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration, self.rate
        return lamina.xlogy(a, b) + lamina.xlogy(a - 1, value) - b * value - lamina.lgamma(a)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return lamina.igamma(self.concentration, self.rate * value)

    def entropy(self):
        a = self.concentration
        return a - lamina.log(self.rate) + lamina.lgamma(a) + (1.0 - a) * lamina.digamma(a)
