"""The probs-or-logits parametrisation shared by the Bernoulli-like and categorical distributions."""
from .distribution import Distribution
from .utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits


def _check_one_of(probs, logits):
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


class ProbsOrLogits:
    """Mixin: the distribution is given exactly one of `probs` / `logits` and derives the other lazily.

    `_is_binary` picks sigmoid (a probability per element) or softmax (over the last dim).
    """
    _is_binary = True

    def _set_probs_or_logits(self, probs, logits, *others):
        """Broadcast the given parameter with `others`, keep it as self.probs or self.logits; returns
        the broadcast `others` followed by the parameter."""
        _check_one_of(probs, logits)
        values = broadcast_all(*others, probs if probs is not None else logits)
        if probs is not None:
            self.probs = values[-1]
        else:
            self.logits = values[-1]
        return values

    def _init_probs_or_logits(self, probs, logits, validate_args):
        """__init__ when probs/logits is the only tensor parameter: it sets the batch shape."""
        (param,) = self._set_probs_or_logits(probs, logits)
        Distribution.__init__(self, param.size(), validate_args=validate_args)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=self._is_binary)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=self._is_binary)


class ProbsOrLogitsParam(ProbsOrLogits):
    """ProbsOrLogits that also remembers the given parameter as `_param` (param_shape, _new)."""

    def _set_probs_or_logits(self, probs, logits, *others):
        values = super()._set_probs_or_logits(probs, logits, *others)
        self._param = values[-1]
        return values

    def _init_counts(self, total_count, probs, logits, validate_args):
        """__init__ of the count distributions: total_count broadcasts with, and takes the dtype of,
        probs/logits."""
        total_count, param = self._set_probs_or_logits(probs, logits, total_count)
        self.total_count = total_count.type_as(param)
        Distribution.__init__(self, param.size(), validate_args=validate_args)

    def _expand_param(self, cls, batch_shape, _instance, names=(), extra=(), copied=()):
        """expand() for parameters of shape batch_shape (+ `extra` for probs/logits), `names` others;
        the attributes `copied` are shared as they are."""
        new = self._expanded(cls, batch_shape, _instance, names + (("probs", extra), ("logits", extra)))
        new._param = new.__dict__["probs"] if "probs" in self.__dict__ else new.__dict__["logits"]
        for name in copied:
            setattr(new, name, getattr(self, name))
        return new

    def _new(self, *args, **kwargs):
        return self._param.new(*args, **kwargs)

    @property
    def param_shape(self):
        return self._param.size()


class FromBaseDist:
    """Mixin for relaxed distributions built on a base distribution that holds temperature/probs/logits."""

    @property
    def temperature(self):
        return self.base_dist.temperature

    @property
    def logits(self):
        return self.base_dist.logits

    @property
    def probs(self):
        return self.base_dist.probs
