"""Tensor factories: tensor, as_tensor, from_numpy, zeros/ones/full/empty (+_like), arange,
linspace, logspace, eye, rand/randn/randint/randperm (+_like). None of them records history."""
import builtins

import numpy as np

from .. import _dtype
from .._device import check_device
from ..random import rng
from ..tensor import Tensor

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like",
           "ones_like", "full_like", "empty_like", "arange", "range", "linspace", "logspace", "eye", "rand",
           "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "scalar_tensor"]


def _finish(arr, requires_grad, device=None):
    check_device(device)
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad = True
    return t


def _infer_np_dtype(data):
    """PyTorch's inference: Python floats give the default float dtype, ints int64, bools bool;
    NumPy arrays and Tensors keep their own dtype."""
    if isinstance(data, Tensor):
        return data.data.dtype
    if isinstance(data, np.ndarray):
        return _dtype.from_numpy_dtype(data.dtype).np
    if isinstance(data, np.generic):
        return _dtype.from_numpy_dtype(data.dtype).np
    flat = []
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        else:
            flat.append(x)
    kind = 0
    for x in flat:
        if isinstance(x, Tensor):
            k = {"b": 0, "i": 1, "u": 1, "f": 2}[x.data.dtype.kind]
            if k == 2 and x.data.dtype != np.float32:
                return x.data.dtype
        elif isinstance(x, (bool, np.bool_)):
            k = 0
        elif isinstance(x, (int, np.integer)):
            k = 1
        elif isinstance(x, (float, np.floating)):
            k = 2
        else:
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
        kind = builtins.max(kind, k)
    if not flat:
        return _dtype.get_default_dtype().np
    return (np.dtype(np.bool_), np.dtype(np.int64), _dtype.get_default_dtype().np)[kind]


def _to_array(data, dtype):
    if isinstance(data, Tensor):
        return np.array(data.data, dtype=dtype)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
        data = [_to_array(x, dtype) if isinstance(x, (Tensor, list, tuple)) else x for x in data]
    return np.array(data, dtype=dtype)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor that copies `data` (a number, nested list/tuple, ndarray or Tensor)."""
    np_dtype = _dtype.to_dtype(dtype).np if dtype is not None else _infer_np_dtype(data)
    arr = _to_array(data, np_dtype)
    if arr.dtype == object:
        raise ValueError("expected sequence of equal-length lists of numbers")
    return _finish(arr, requires_grad, device)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    return tensor(float(s), dtype=dtype, device=device, requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Shares memory with a Tensor or ndarray when the dtype already matches."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or _dtype.to_dtype(dtype).np == data.dtype):
        _dtype.from_numpy_dtype(data.dtype)
        return _finish(data, False, device)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray):
    """A tensor sharing memory with `ndarray` (writes to one show in the other)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return Tensor._wrap(ndarray)


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    size = tuple(int(s) for s in size)
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return size


def _float_np(dtype):
    return _dtype.to_dtype(dtype).np if dtype is not None else _dtype.get_default_dtype().np


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    return _finish(np.zeros(_size(size), dtype=_float_np(dtype)), requires_grad, device)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    return _finish(np.ones(_size(size), dtype=_float_np(dtype)), requires_grad, device)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None, memory_format=None):
    return _finish(np.empty(_size(size), dtype=_float_np(dtype)), requires_grad, device)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None, layout=None):
    if dtype is None:
        dt = (np.dtype(np.bool_) if isinstance(fill_value, bool) else np.dtype(np.int64)
              if isinstance(fill_value, int) else _dtype.get_default_dtype().np)
    else:
        dt = _dtype.to_dtype(dtype).np
    return _finish(np.full(_size((size,)) if not isinstance(size, int) else (size,), fill_value, dtype=dt),
                   requires_grad, device)


def _like(fill):
    def factory(input, dtype=None, device=None, requires_grad=False, memory_format=None, layout=None, **kw):
        dt = _dtype.to_dtype(dtype).np if dtype is not None else input.data.dtype
        shape = input.data.shape
        if fill == "empty":
            arr = np.empty(shape, dtype=dt)
        elif fill == "full":
            arr = np.full(shape, kw["fill_value"], dtype=dt)
        else:
            arr = np.full(shape, fill, dtype=dt)
        return _finish(arr, requires_grad, device)
    return factory


zeros_like = _like(0)
ones_like = _like(1)
empty_like = _like("empty")
_full_like = _like("full")


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return _full_like(input, dtype=dtype, device=device, requires_grad=requires_grad, fill_value=fill_value)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, out=None):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dt = (np.dtype(np.int64) if builtins.all(isinstance(v, (int, np.integer)) for v in vals)
              else _dtype.get_default_dtype().np)
    else:
        dt = _dtype.to_dtype(dtype).np
    # count computed in float64 as PyTorch does, then values start + i*step
    n = int(np.ceil((vals[1] - vals[0]) / vals[2]))
    arr = (vals[0] + np.arange(builtins.max(n, 0), dtype=np.float64 if dt.kind == "f" else np.int64) * vals[2])
    return _finish(arr.astype(dt), requires_grad, device)


def range(start, end, step=1, *, dtype=None, device=None, requires_grad=False):
    """Deprecated in PyTorch: includes `end`."""
    dt = _dtype.to_dtype(dtype).np if dtype is not None else _dtype.get_default_dtype().np
    n = int(np.floor((end - start) / step)) + 1
    return _finish((start + np.arange(n) * step).astype(dt), requires_grad, device)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, out=None):
    dt = _float_np(dtype)
    # PyTorch fills the first half from start and the second half from end (symmetric rounding)
    steps = int(steps)
    if steps == 1:
        return _finish(np.array([start], dtype=dt), requires_grad, device)
    step = (end - start) / (steps - 1)
    i = np.arange(steps, dtype=np.float64)
    half = steps // 2
    arr = np.where(i < half, start + step * i, end - step * (steps - 1 - i))
    return _finish(arr.astype(dt), requires_grad, device)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    lin = linspace(start, end, steps, dtype=float64_np_dtype()).data
    return _finish(np.power(base, lin).astype(_float_np(dtype)), requires_grad, device)


def float64_np_dtype():
    return _dtype.float64


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None):
    return _finish(np.eye(n, m if m is not None else n, dtype=_float_np(dtype)), requires_grad, device)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    dt = _float_np(dtype)
    return _finish(rng(generator).random(_size(size), dtype=np.float64 if dt == np.float64 else np.float32
                                         ).astype(dt, copy=False), requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    dt = _float_np(dtype)
    return _finish(rng(generator).standard_normal(_size(size), dtype=np.float64 if dt == np.float64 else np.float32
                                                  ).astype(dt, copy=False), requires_grad, device)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False):
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dt = _dtype.to_dtype(dtype).np if dtype is not None else np.dtype(np.int64)
    return _finish(rng(generator).integers(low, high, size=tuple(size)).astype(dt), requires_grad, device)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    dt = _dtype.to_dtype(dtype).np if dtype is not None else np.dtype(np.int64)
    return _finish(rng(generator).permutation(n).astype(dt), requires_grad, device)


def rand_like(input, *, dtype=None, generator=None, **kw):
    return rand(*input.data.shape, dtype=dtype or input.dtype, generator=generator)


def randn_like(input, *, dtype=None, generator=None, **kw):
    return randn(*input.data.shape, dtype=dtype or input.dtype, generator=generator)


def randint_like(input, low, high=None, *, dtype=None, generator=None, **kw):
    if high is None:
        low, high = 0, low
    return randint(low, high, input.data.shape, dtype=dtype or input.dtype, generator=generator)
