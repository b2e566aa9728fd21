"""Dirichlet distribution over the probability simplex."""
import lamina
from . import constraints
from .exp_family import ExponentialFamily
from .gamma import _standard_gamma

__all__ = ["Dirichlet"]


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
