"""ExponentialFamily: the base class PyTorch gives its exponential-family distributions."""
import lamina
from .distribution import Distribution

__all__ = ["ExponentialFamily"]


def _bregman_parts(dist):
    """The natural parameters as fresh leaves, the log-normaliser F at them and ∇F there.

    PyTorch takes ∇F with create_graph=True; the leaves are detached copies nothing else sees, so
    the values and the gradients reaching the distributions' parameters are the same without it.
    F's graph is kept (as create_graph does): the result still goes through F."""
    nparams = [p.detach().requires_grad_() for p in dist._natural_params]
    lg_normal = dist._log_normalizer(*nparams)
    gradients = lamina.autograd.grad(lg_normal.sum(), nparams, retain_graph=True)
    return nparams, lg_normal, gradients


class ExponentialFamily(Distribution):
    """Base of the exponential-family distributions p(x) = exp(<t(x), θ> - F(θ) + k(x)).

    The built-in families have closed forms for entropy and KL; a subclass that only defines
    _natural_params (θ), _log_normalizer (F) and _mean_carrier_measure (E[k(x)]) gets both from
    Bregman divergences of F."""

    @property
    def _natural_params(self):
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def entropy(self):
        # H = F(θ) - <θ, ∇F(θ)> - E[k(x)]
        result = -self._mean_carrier_measure
        nparams, lg_normal, gradients = _bregman_parts(self)
        result = result + lg_normal
        for np_, g in zip(nparams, gradients):
            result = result - (np_ * g).reshape(self._batch_shape + (-1,)).sum(-1)
        return result
