"""ExponentialFamily: the base class PyTorch gives its exponential-family distributions."""
from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Base of the exponential-family distributions (Normal, Bernoulli, Gamma, ...): user code and
    register_kl may name it. Entropy and KL come from each subclass's closed form."""
