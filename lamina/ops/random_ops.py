"""Random in-place fills used by nn.init and dropout (uniform_, normal_, bernoulli_, ...) and the
non-in-place samplers (bernoulli, multinomial, normal). Fills write into the existing array; the
plain ones (zero_, fill_, copy_) live here too, with fill_'s out-of-place twin torch.fill."""
import numpy as np

from .._dtype import get_default_dtype
from ..random import rng
from ..tensor import Tensor
from ..autograd.grad_mode import _mode
from ._core import _C_NAMES, broadcast_error, checked_scalar, make, unbroadcast, wrap
from .conversion import _cast
from .arithmetic import type_name
from .inplace import apply_inplace, check_inplace, overwrite, write

__all__ = ["bernoulli", "multinomial", "normal", "poisson", "fill"]
METHODS = ["bernoulli", "multinomial", "uniform_", "normal_", "bernoulli_", "random_", "exponential_",
           "geometric_", "log_normal_", "cauchy_", "zero_", "fill_", "copy_"]


def _fill(t, values, name):
    return overwrite(t, values, name)


def _float_only(t, kernel):
    if t._data.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(t._data.dtype)}\'')


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    """Fill with samples from U(a, b)."""
    _float_only(self, "check_uniform_bounds")
    dt = self._data.dtype
    # sample straight in float32 for float32/float16 tensors: half the memory traffic of float64
    u = rng(generator).random(self._data.shape, dtype=np.float64 if dt == np.float64 else np.float32)
    return _fill(self, u * float(b - a) + float(a), "UniformBackward0")


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with samples from N(mean, std²)."""
    _float_only(self, "normal_kernel_cpu")
    dt = self._data.dtype
    z = rng(generator).standard_normal(self._data.shape, dtype=np.float64 if dt == np.float64 else np.float32)
    return _fill(self, z * float(std) + float(mean), "NormalBackward0")


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill with 1 where a uniform sample is below p, else 0."""
    p = p._data if isinstance(p, Tensor) else p
    return _fill(self, rng(generator).random(self._data.shape) < p, "BernoulliBackward2")


def random_(self, from_=0, to=None, *, generator=None):
    """Fill with integers from [from_, to) (or [0, from_) with one argument)."""
    if to is None:
        from_, to = 0, (from_ if from_ else 2 ** 24)
    return _fill(self, rng(generator).integers(from_, to, self._data.shape), "RandomBackward0")


def exponential_(self, lambd=1.0, *, generator=None):
    return _fill(self, rng(generator).exponential(1.0 / lambd, self._data.shape), "ExponentialBackward0")


def geometric_(self, p, *, generator=None):
    return _fill(self, rng(generator).geometric(p, self._data.shape), "GeometricBackward0")


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    return _fill(self, rng(generator).lognormal(mean, std, self._data.shape), "LogNormalBackward0")


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    return _fill(self, median + sigma * rng(generator).standard_cauchy(self._data.shape), "CauchyBackward0")


def zero_(self):
    """Fill with zeros."""
    return _fill(self, 0, "ZeroBackward0")


def fill_(self, value):
    """Fill with one value (a number or a 0-d tensor)."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        if value._requires_grad:
            from .shape import expand
            return apply_inplace(self, lambda old, v: expand(_cast(v, old._data.dtype), old._data.shape), value)
        value = value._data
    else:
        value = checked_scalar(value, self._data.dtype)
    return _fill(self, value, "FillBackward2")


def _fill_args_error(input, value):
    got = ", ".join(type(a).__name__ for a in (input, value))
    return TypeError(f"fill() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     " * (Tensor input, Tensor value)\n * (Tensor input, Number value)\n")


def fill(input, value):
    """A new tensor of input's shape and dtype holding `value` everywhere (torch.fill). A 0-d
    tensor value is differentiable (its gradient is the sum of the output's); input's values are
    not used, so its gradient is zero."""
    if not isinstance(input, Tensor):
        raise _fill_args_error(input, value)
    dt = input._data.dtype
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        if value._requires_grad and _mode.grad and dt.kind != "f":
            raise RuntimeError(f"Autograd not support dtype: {type_name(dt)}")
        with np.errstate(over="ignore", invalid="ignore"):  # a tensor value is cast, as copy_ does
            arr = np.full(input._data.shape, value._data, dtype=dt)
        value_dtype = value._data.dtype

        def backward(g):
            return np.zeros_like(g), np.asarray(g.sum(), dtype=value_dtype)
        return make(arr, (input, value), backward, "FillBackward1", saved=())
    if isinstance(value, complex):  # lamina has no complex dtypes: only a real value can fit
        if value.imag:
            raise RuntimeError(f"value cannot be converted to type {_C_NAMES.get(dt.name, dt.name)} without overflow")
        value = value.real
    if not isinstance(value, (bool, int, float, np.number)):
        raise _fill_args_error(input, value)
    arr = np.full(input._data.shape, checked_scalar(value, dt), dtype=dt)
    return make(arr, (input,), lambda g: (np.zeros_like(g),), "FillBackward0", saved=())


def _copy_from(old, src):
    """The out-of-place meaning of `old.copy_(src)`: src broadcast to old's shape, in old's dtype."""
    s = src._data
    shape = old._data.shape
    _check_broadcast(shape, s.shape)
    out = np.broadcast_to(s, shape).astype(old._data.dtype)
    src_dtype = s.dtype
    src_shape = s.shape

    def backward(g):
        gs = None
        if src._requires_grad:
            gs = unbroadcast(g, src_shape)
            gs = gs.astype(src_dtype) if gs.dtype != src_dtype else gs
        return (np.zeros_like(g) if old._requires_grad else None), gs
    return make(out, (old, src), backward, "CopyBackwards")


def _check_broadcast(shape, src_shape):
    if src_shape != shape:
        try:
            ok = np.broadcast_shapes(src_shape, shape) == shape
        except ValueError:
            ok = False
        if not ok:
            raise broadcast_error(shape, src_shape)


def copy_(self, src, non_blocking=False):
    """Copy src (broadcast, cast) into self; differentiable with respect to src."""
    if not isinstance(src, Tensor):
        src = wrap(np.asarray(src))
    if _mode.grad and (self._requires_grad or src._requires_grad):
        return apply_inplace(self, _copy_from, src)
    check_inplace(self)
    _check_broadcast(self._data.shape, src._data.shape)
    write(self, src._data, check_cast=False)
    return self


def bernoulli(input, p=None, *, generator=None):
    prob = input._data if p is None else p
    return make((rng(generator).random(input._data.shape) < prob).astype(input._data.dtype), (), None, "")


def multinomial(input, num_samples, replacement=False, *, generator=None):
    probs = input._data.astype(np.float64)
    rows = probs.reshape(-1, probs.shape[-1])
    g = rng(generator)
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for i, row in enumerate(rows):
        if not replacement and num_samples > np.count_nonzero(row):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        out[i] = g.choice(row.shape[0], size=num_samples, replace=replacement, p=row / row.sum())
    return make(out.reshape(probs.shape[:-1] + (num_samples,)), (), None, "")


def normal(mean, std=1.0, size=None, *, generator=None):
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    shape = size if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    dt = (mean._data.dtype if isinstance(mean, Tensor) else std._data.dtype if isinstance(std, Tensor)
          else get_default_dtype().np)
    return make(rng(generator).normal(m, s, shape).astype(dt), (), None, "")


def poisson(input, generator=None):
    return make(rng(generator).poisson(input._data).astype(input._data.dtype), (), None, "")
