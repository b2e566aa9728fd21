"""torch.distributions: probability distributions with differentiable log_prob, entropy and
reparameterized samples (VAEs, policy gradients, probabilistic heads).

Samples come from lamina's generator (lamina.manual_seed), so their values differ from PyTorch's;
densities, moments and KL divergences match PyTorch's."""
from . import constraints, transforms
from .cauchy import Cauchy, StudentT
from .dirichlet import Beta, Dirichlet
from .exponential import Exponential, Laplace
from .gamma import Chi2, Gamma
from .poisson import Binomial, Geometric, Poisson
from .transformed_distribution import HalfNormal, LogNormal, TransformedDistribution
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution, ExponentialFamily
from .independent import Independent
from .kl import kl_divergence, register_kl
from .mixture import MixtureSameFamily
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from .uniform import Uniform

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "Geometric", "HalfNormal", "StudentT", "Dirichlet", "Exponential", "Gamma", "Laplace",
           "LogNormal", "MixtureSameFamily", "Multinomial", "Poisson", "TransformedDistribution", "transforms", "Distribution", "ExponentialFamily", "Independent", "MultivariateNormal",
           "Normal", "OneHotCategorical", "OneHotCategoricalStraightThrough", "Uniform", "constraints",
           "kl_divergence", "register_kl"]
