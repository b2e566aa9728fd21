"""Random in-place fills used by nn.init and dropout (uniform_, normal_, bernoulli_, ...) and the
non-in-place samplers (bernoulli, multinomial, normal). Fills write into the existing array."""
import numpy as np

from ..random import rng
from ..tensor import Tensor
from ._core import make
from .inplace import check_leaf

__all__ = ["bernoulli", "multinomial", "normal", "poisson"]
METHODS = ["bernoulli", "multinomial", "uniform_", "normal_", "bernoulli_", "random_", "exponential_",
           "geometric_", "log_normal_", "cauchy_", "zero_", "fill_", "copy_"]


def _fill(t, values):
    check_leaf(t)
    np.copyto(t.data, values, casting="unsafe")
    t._version[0] += 1
    return t


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    return _fill(self, rng(generator).uniform(a, b, self.data.shape))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    return _fill(self, rng(generator).normal(mean, std, self.data.shape))


def bernoulli_(self, p=0.5, *, generator=None):
    p = p.data if isinstance(p, Tensor) else p
    return _fill(self, rng(generator).random(self.data.shape) < p)


def random_(self, from_=0, to=None, *, generator=None):
    if to is None:
        from_, to = 0, from_ if from_ else 2 ** 24
    return _fill(self, rng(generator).integers(from_, to, self.data.shape))


def exponential_(self, lambd=1.0, *, generator=None):
    return _fill(self, rng(generator).exponential(1.0 / lambd, self.data.shape))


def geometric_(self, p, *, generator=None):
    return _fill(self, rng(generator).geometric(p, self.data.shape))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    return _fill(self, rng(generator).lognormal(mean, std, self.data.shape))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    return _fill(self, median + sigma * rng(generator).standard_cauchy(self.data.shape))


def zero_(self):
    check_leaf(self)
    self.data[...] = 0
    self._version[0] += 1
    return self


def fill_(self, value):
    check_leaf(self)
    self.data[...] = value.data if isinstance(value, Tensor) else value
    self._version[0] += 1
    return self


def copy_(self, src, non_blocking=False):
    """Copy src (broadcast, cast) into self; differentiable with respect to src."""
    from .inplace import apply_inplace
    if isinstance(src, Tensor) and src._requires_grad:
        from .shape import expand
        from .conversion import _cast

        def take_src(old, s):
            return expand(_cast(s, old.data.dtype), old.data.shape) if s.data.shape != old.data.shape else _cast(s, old.data.dtype, copy=True)
        return apply_inplace(self, take_src, src)
    check_leaf(self)
    np.copyto(self.data, src.data if isinstance(src, Tensor) else np.asarray(src), casting="unsafe")
    self._version[0] += 1
    return self


def bernoulli(input, p=None, *, generator=None):
    prob = input.data if p is None else p
    return make((rng(generator).random(input.data.shape) < prob).astype(input.data.dtype), (), None, "")


def multinomial(input, num_samples, replacement=False, *, generator=None):
    probs = input.data.astype(np.float64)
    rows = probs.reshape(-1, probs.shape[-1])
    g = rng(generator)
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for i, row in enumerate(rows):
        if not replacement and num_samples > np.count_nonzero(row):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        out[i] = g.choice(row.shape[0], size=num_samples, replace=replacement, p=row / row.sum())
    return make(out.reshape(probs.shape[:-1] + (num_samples,)), (), None, "")


def normal(mean, std=1.0, size=None, *, generator=None):
    m = mean.data if isinstance(mean, Tensor) else mean
    s = std.data if isinstance(std, Tensor) else std
    shape = size if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    dt = mean.data.dtype if isinstance(mean, Tensor) else (std.data.dtype if isinstance(std, Tensor) else np.float32)
    return make(rng(generator).normal(m, s, shape).astype(dt), (), None, "")


def poisson(input, generator=None):
    return make(rng(generator).poisson(input.data).astype(input.data.dtype), (), None, "")
