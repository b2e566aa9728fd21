"""Von Mises (circular normal) distribution."""
import math

import numpy as np

import lamina
from ..random import rng
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import lazy_property

__all__ = ["VonMises"]

# Abramowitz & Stegun 9.8.1-9.8.4: polynomial approximations of I0 and I1 (small x in (x/3.75)²,
# large x as e^x/√x times a polynomial in 3.75/x); PyTorch's VonMises uses the same ones
_I0_SMALL = (1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.0360768, 0.0045813)
_I0_LARGE = (0.39894228, 0.01328592, 0.00225319, -0.00157565, 0.00916281, -0.02057706, 0.02635537,
             -0.01647633, 0.00392377)
_I1_SMALL = (0.5, 0.87890594, 0.51498869, 0.15084934, 0.02658733, 0.00301532, 0.00032411)
_I1_LARGE = (0.39894228, -0.03988024, -0.00362018, 0.00163801, -0.01031555, 0.02282967, -0.02895312,
             0.01787654, -0.00420059)


def _horner(y, coefs):
    result = coefs[-1]
    for c in reversed(coefs[:-1]):
        result = c + y * result
    return result


def _log_bessel_i(x, order):
    """log I_order(x) for order 0 or 1 (differentiable)."""
    small_c, large_c = (_I0_SMALL, _I0_LARGE) if order == 0 else (_I1_SMALL, _I1_LARGE)
    y = (x / 3.75) ** 2
    small = _horner(y, small_c)
    if order == 1:
        small = x.abs() * small
    small = small.log()
    large = x - 0.5 * x.log() + _horner(3.75 / x, large_c).log()
    return lamina.where(x < 3.75, small, large)


class VonMises(Distribution):
    """Von Mises distribution on the circle: p(θ) = exp(κ cos(θ - loc)) / (2π I0(κ)).

    Args:
        loc (Tensor): the mean angle (radians). concentration (Tensor): κ (> 0).
    Samples lie in [-π, π).
    """
    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self._init_params(validate_args, loc=loc, concentration=concentration)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (self.concentration * lamina.cos(value - self.loc) - math.log(2 * math.pi)
                - _log_bessel_i(self.concentration, 0))

    def sample(self, sample_shape=Size()):
        """Best & Fisher's rejection sampler, run in float64 until every draw is accepted."""
        shape = tuple(self._extended_shape(sample_shape))
        loc = np.broadcast_to(self.loc.detach().numpy().astype(np.float64), shape)
        kappa = np.broadcast_to(self.concentration.detach().numpy().astype(np.float64), shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            tau = 1 + np.sqrt(1 + 4 * kappa ** 2)
            rho = (tau - np.sqrt(2 * tau)) / (2 * kappa)
            r = np.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho ** 2) / (2 * rho))
        x = np.zeros(shape)
        done = np.zeros(shape, dtype=bool)
        g = rng()
        while not done.all():
            u1, u2, u3 = g.random((3,) + shape)
            z = np.cos(math.pi * u1)
            f = (1 + r * z) / (r + z)
            c = kappa * (r - f)
            with np.errstate(divide="ignore", invalid="ignore"):
                accept = ((c * (2 - c) - u2 > 0) | (np.log(c / u2) + 1 - c >= 0)) & ~done
            x = np.where(accept, np.sign(u3 - 0.5) * np.arccos(np.clip(f, -1.0, 1.0)), x)
            done |= accept
        out = np.asarray(np.mod(x + math.pi + loc, 2 * math.pi) - math.pi)  # 0-d results are NumPy scalars
        return lamina.from_numpy(out.astype(self.loc.detach().numpy().dtype))

    def expand(self, batch_shape, _instance=None):
        return self._expanded(VonMises, batch_shape, _instance, (("loc", ()), ("concentration", ())))

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        # circular variance 1 - I1(κ)/I0(κ)
        k = self.concentration
        return 1 - (_log_bessel_i(k, 1) - _log_bessel_i(k, 0)).exp()
