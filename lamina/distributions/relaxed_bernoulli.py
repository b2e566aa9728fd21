"""Relaxed (concrete / Gumbel-sigmoid) Bernoulli distributions: differentiable binary samples."""
import lamina
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from .transformed_distribution import TransformedDistribution
from .transforms import SigmoidTransform
from ._parametrization import FromBaseDist, ProbsOrLogitsParam
from .utils import broadcast_all, clamp_probs

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]


class LogitRelaxedBernoulli(ProbsOrLogitsParam, Distribution):
    """The logit of a RelaxedBernoulli sample: (logit(u) + logits) / temperature, u ~ U(0, 1).

    Args:
        temperature (Tensor): relaxation temperature (> 0). probs / logits: as in Bernoulli.
    """
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        self.temperature = temperature
        self._init_probs_or_logits(probs, logits, validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_param(LogitRelaxedBernoulli, batch_shape, _instance, copied=("temperature",))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        u = clamp_probs(lamina.rand(shape, dtype=probs.dtype))
        return (u.log() - (-u).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value.mul(self.temperature)
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class RelaxedBernoulli(FromBaseDist, TransformedDistribution):
    """Relaxed Bernoulli: samples in (0, 1) that approach {0, 1} as the temperature goes to 0, with
    gradients to probs/logits (rsample).

    Args:
        temperature (Tensor): relaxation temperature (> 0). probs / logits: as in Bernoulli.
    """
    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature, probs=None, logits=None, validate_args=None):
        super().__init__(LogitRelaxedBernoulli(temperature, probs, logits), SigmoidTransform(),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return super().expand(batch_shape, _instance=self._get_checked_instance(RelaxedBernoulli, _instance))
