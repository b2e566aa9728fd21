"""Categorical distribution over {0, ..., K-1} (probs or logits)."""
import numpy as np

import lamina
from ..random import rng
from ..tensor import Size
from . import constraints
from .distribution import Distribution
from ._parametrization import ProbsOrLogitsParam, _check_one_of
from .utils import _size

__all__ = ["Categorical"]


class Categorical(ProbsOrLogitsParam, Distribution):
    """Categorical distribution: index k with probability probs[..., k].

    Args:
        probs (Tensor): event probabilities (..., K), normalised along the last dim.
        logits (Tensor): unnormalised log probabilities (..., K). Give exactly one.
    Shape: batch_shape = param.shape[:-1], event_shape = (); samples are int64.
    """
    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True
    _is_binary = False

    def __init__(self, probs=None, logits=None, validate_args=None):
        _check_one_of(probs, logits)
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            self._param = self.probs
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
            self._param = self.logits
        self._num_events = self._param.size()[-1]
        batch_shape = self._param.size()[:-1] if self._param.dim() > 1 else Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_param(Categorical, batch_shape, _instance, extra=(self._num_events,),
                                  copied=("_num_events",))

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def mean(self):
        return lamina.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self):
        return self.probs.argmax(dim=-1)

    @property
    def variance(self):
        return lamina.full(self._extended_shape(), float("nan"), dtype=self.probs.dtype)

    def sample(self, sample_shape=Size()):
        sample_shape = _size(sample_shape)
        probs = self.probs.detach().numpy().reshape(-1, self._num_events)
        # inverse-CDF draw for every (sample, batch) pair at once: count the cumulative
        # probabilities below a uniform number (scaled by the row total, as multinomial allows)
        cdf = np.cumsum(probs, axis=-1, dtype=np.float64)
        u = rng().random((sample_shape.numel(), probs.shape[0], 1)) * cdf[:, -1:]
        idx = np.minimum((cdf <= u).sum(-1), self._num_events - 1).astype(np.int64)
        return lamina.from_numpy(idx.reshape(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = lamina.broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        logits = lamina.clamp(self.logits, min=lamina.finfo(self.logits.dtype).min)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        return self._enumerated(lamina.arange(self._num_events, dtype=lamina.long), expand)


class _WrapsCategorical:
    """Mixin for distributions built on a Categorical `_categorical` (K = its last dim is the event)."""

    def _init_categorical(self, probs, logits, validate_args):
        self._categorical = Categorical(probs, logits)
        Distribution.__init__(self, self._categorical.batch_shape, self._categorical.param_shape[-1:],
                              validate_args=validate_args)

    def _expand_categorical(self, cls, batch_shape, _instance, copied=()):
        new = self._get_checked_instance(cls, _instance)
        batch_shape = _size(batch_shape)
        for name in copied:
            setattr(new, name, getattr(self, name))
        new._categorical = self._categorical.expand(batch_shape)
        return self._init_expanded(new, batch_shape, self.event_shape)

    def _new(self, *args, **kwargs):
        return self._categorical._new(*args, **kwargs)

    @property
    def _param(self):
        return self._categorical._param

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def param_shape(self):
        return self._categorical.param_shape
