"""Dirichlet and Beta distributions (Beta is the two-category Dirichlet)."""
from numbers import Number

import lamina
from ..tensor import Size
from . import constraints
from .distribution import Distribution, ExponentialFamily
from .gamma import _standard_gamma
from .utils import _size, broadcast_all

__all__ = ["Dirichlet", "Beta"]


class Dirichlet(ExponentialFamily):
    """Dirichlet distribution over the probability simplex.

    p(x) = Γ(Σα) / ΠΓ(α_k) · Π x_k^(α_k - 1)

    Args:
        concentration (Tensor): α (..., K), all > 0.
    Shape: batch_shape = α.shape[:-1], event_shape = (K,).
    """
    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(Dirichlet, batch_shape, _instance, (("concentration", tuple(self.event_shape)),),
                              event_shape=self.event_shape)

    def rsample(self, sample_shape=()):
        # normalised independent gammas; each gamma carries its implicit reparameterization gradient
        g = _standard_gamma(self.concentration.expand(self._extended_shape(sample_shape)))
        return g / g.sum(-1, keepdim=True)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a = self.concentration
        return lamina.xlogy(a - 1.0, value).sum(-1) + lamina.lgamma(a.sum(-1)) - lamina.lgamma(a).sum(-1)

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        am1 = (self.concentration - 1).clamp(min=0.0)
        mask = (self.concentration < 1).all(dim=-1, keepdim=True)
        total = am1.sum(-1, True)
        # every α < 1 (total 0): the density peaks at a vertex, that of the first largest α - 1;
        # dividing those rows by 1 instead of 0 keeps NaN out of the gradient of the others
        mode = am1 / lamina.where(mask, lamina.ones_like(total), total)
        if bool(mask.any()):
            from ..nn.functional import one_hot
            vertex = one_hot(mode.argmax(dim=-1), am1.shape[-1]).to(mode)
            mode = lamina.where(mask, vertex, mode)
        return mode

    @property
    def variance(self):
        a0 = self.concentration.sum(-1, True)
        return self.concentration * (a0 - self.concentration) / (a0.pow(2) * (a0 + 1))

    def entropy(self):
        a = self.concentration
        k = a.size(-1)
        a0 = a.sum(-1)
        return (lamina.lgamma(a).sum(-1) - lamina.lgamma(a0) - (k - a0) * lamina.digamma(a0)
                - ((a - 1.0) * lamina.digamma(a)).sum(-1))


class Beta(ExponentialFamily):
    """Beta distribution on [0, 1].

    p(x) = x^(α-1) (1-x)^(β-1) / B(α, β)

    Args:
        concentration1 (float or Tensor): α (> 0).
        concentration0 (float or Tensor): β (> 0).
    """
    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        if isinstance(concentration1, Number) and isinstance(concentration0, Number):
            both = lamina.tensor([float(concentration1), float(concentration0)])
        else:
            c1, c0 = broadcast_all(concentration1, concentration0)
            both = lamina.stack([c1, c0], -1)
        self._dirichlet = Dirichlet(both, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = _size(batch_shape)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def concentration1(self):
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self):
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self):
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape=()):
        return self._dirichlet.rsample(sample_shape).select(-1, 0)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self._dirichlet.log_prob(lamina.stack([value, 1.0 - value], -1))

    def entropy(self):
        return self._dirichlet.entropy()

    def __repr__(self):
        # the parameters live in the inner Dirichlet, so PyTorch's repr lists none
        return "Beta()"
