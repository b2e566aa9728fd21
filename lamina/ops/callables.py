"""Tensor.apply_(fn) and Tensor.map_(other, fn): a Python callable run on each element, its
results written back in place.

PyTorch's helpers for quick experiments on CPU tensors: one Python call per element (slow by
nature), elements visited in row-major order of the tensor's shape, each result stored as soon as
it is returned (so a map_ whose `other` shares memory with self sees the values already written).
Nothing is recorded for autograd, so PyTorch refuses tensors that require grad, and so does lamina."""
import operator

import numpy as np

from ..tensor import Tensor
from .inplace import check_no_overlap

METHODS = ["apply_", "map_"]


def _refuse_grad(name, *tensors):
    if any(t._requires_grad for t in tensors):
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use var.detach().{name}() instead.")


def _overflow(dt):
    return RuntimeError(f"value cannot be converted to type {dt.name} without overflow")


def _as_float(r):
    """Python's float conversion as PyTorch applies it to a result (via __float__ or __index__)."""
    if isinstance(r, (str, bytes, complex)) or not (hasattr(type(r), "__float__") or hasattr(type(r), "__index__")):
        raise TypeError(f"must be real number, not {type(r).__name__}")
    return float(r)


def _as_int(r, dt):
    """A result for an integer tensor: a Python float is truncated if it fits, an integer (or
    anything with __index__) must fit, an unsigned dtype taking negatives down to -max (wrapped)."""
    info = np.iinfo(dt)
    if isinstance(r, float):
        if not info.min <= r <= info.max:  # NaN fails too
            raise _overflow(dt)
        return int(r)
    v = operator.index(r)  # TypeError "'str' object cannot be interpreted as an integer"
    if not -2 ** 63 <= v < 2 ** 63:
        raise ValueError("Overflow when unpacking long long")
    if not (info.min <= v <= info.max or (dt.kind == "u" and -int(info.max) <= v < 0)):
        raise _overflow(dt)
    return v % (int(info.max) + 1) if v < 0 and dt.kind == "u" else v


def _as_bool(r):
    if isinstance(r, (bool, np.bool_, int, float, complex)):
        return bool(r)
    return bool(operator.index(r))


def _storer(dt):
    """fn's result -> the value stored in an array of dtype dt."""
    if dt.kind == "f":
        return _as_float  # a float past the dtype's range becomes ±inf, as in PyTorch
    if dt.kind == "b":
        return _as_bool
    return lambda r: _as_int(r, dt)


def _run(self, step):
    """Call step(index) -> result for each element of self in order, storing each result."""
    arr = self._data
    check_no_overlap(arr)  # an expand()ed tensor cannot be written element by element
    store = _storer(arr.dtype)
    with np.errstate(over="ignore"):
        for index in np.ndindex(arr.shape):
            arr[index] = store(step(index))
    self._vc[0] += 1
    return self


def apply_(self, callable):
    """self[i] = callable(self[i]) for every element, with each element as a Python number."""
    _refuse_grad("apply_", self)
    arr = self._data
    return _run(self, lambda index: callable(arr[index].item()))


def map_(self, other, callable):
    """self[i] = callable(self[i], other[i]) for every element; other (of self's dtype)
    broadcasts to self's shape."""
    if not isinstance(other, Tensor):
        raise TypeError(f"map_(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
    _refuse_grad("map_", self, other)
    if other._data.dtype != self._data.dtype:
        raise TypeError(f"map_: expected {_legacy_type(self)} for 'other' (got {_legacy_type(other)})")
    arr, src = self._data, other.expand(self._data.shape)._data  # a view: later writes show through
    return _run(self, lambda index: callable(arr[index].item(), src[index].item()))


def _legacy_type(t):
    return "CPUBoolType" if t._data.dtype == np.bool_ else t.type()  # PyTorch's spellings in this message
