"""Tensor factories: tensor, as_tensor, from_numpy, zeros/ones/full/empty (+_like), arange,
linspace, logspace, eye, rand/randn/randint/randperm (+_like). None of them records history."""
import builtins
import math
import warnings

import numpy as np

from .. import _dtype
from .._compat import check_layout, layout as _layout
from .._device import check_device
from ..random import rng
from ..tensor import Tensor
from ._core import checked_scalar

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like",
           "ones_like", "full_like", "empty_like", "arange", "range", "linspace", "logspace", "eye", "rand",
           "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "scalar_tensor"]

_FLOAT_ONLY = ("Only Tensors of floating point and complex dtype can require gradients")


def _finish(arr, requires_grad, device=None, out=None):
    check_device(device)
    if requires_grad and arr.dtype.kind != "f":
        raise RuntimeError(_FLOAT_ONLY)
    if out is not None:  # factories with out= resize `out` and fill it, as PyTorch does
        out._data = arr if arr.dtype == out._data.dtype else arr.astype(out._data.dtype)
        out._vc[0] += 1
        return out
    t = Tensor._wrap(arr)
    t._requires_grad = bool(requires_grad)
    return t


# ---- tensor(): dtype inference and nested-sequence checks ---------------------------------------

_PY_KIND = {bool: _dtype.bool_, int: _dtype.int64}


def _flatten_items(data):
    """Leaves of a nested list/tuple (Tensors and ndarrays count as leaves)."""
    flat = []
    stack = [data]
    while stack:
        x = stack.pop()
        if type(x) is list or type(x) is tuple:
            stack.extend(x)
        else:
            flat.append(x)
    return flat


def _item_dtype(x):
    t = type(x)
    if t is float:
        return _dtype.get_default_dtype()
    if t is bool or t is int:
        return _PY_KIND[t]
    if isinstance(x, Tensor):
        return _dtype.from_numpy_dtype(x._data.dtype)
    if isinstance(x, (np.ndarray, np.generic)):
        return _dtype.from_numpy_dtype(x.dtype)
    if isinstance(x, (bool, np.bool_)):
        return _dtype.bool_
    if isinstance(x, int):
        return _dtype.int64
    if isinstance(x, float):
        return _dtype.get_default_dtype()
    if isinstance(x, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{t.__name__}'")
    raise RuntimeError(f"Could not infer dtype of {t.__name__}")


def _infer_dtype(data):
    """PyTorch's inference: Python floats give the default dtype, ints int64, bools bool, NumPy
    scalars/arrays and Tensors their own dtype; the elements of a sequence are promoted together."""
    if isinstance(data, Tensor):
        return data._data.dtype
    if isinstance(data, (np.ndarray, np.generic)):
        return _dtype.from_numpy_dtype(data.dtype).np
    flat = _flatten_items(data) if isinstance(data, (list, tuple)) else [data]
    if not flat:
        return _dtype.get_default_dtype().np
    result = None
    for t in set(map(type, flat)):
        if t in (float, int, bool):
            d = _item_dtype(t())
        else:  # NumPy scalars, arrays and Tensors: each element may have its own dtype
            d = None
            for x in flat:
                if type(x) is t:
                    dx = _item_dtype(x)
                    d = dx if d is None else _dtype._promote_pair(d, dx)
        result = d if result is None else _dtype._promote_pair(result, d)
    return result.np


def _ragged_error(data):
    """The error PyTorch gives for a nested sequence that is not rectangular."""
    sizes = []
    x = data
    while isinstance(x, (list, tuple)):
        sizes.append(len(x))
        if not x:
            break
        x = x[0]

    def walk(x, dim):
        if dim == len(sizes):
            if isinstance(x, (list, tuple)):
                raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")
            return
        if not isinstance(x, (list, tuple)):
            raise TypeError("not a sequence")
        if len(x) != sizes[dim]:
            raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} (got {len(x)})")
        for item in x:
            walk(item, dim + 1)
    walk(data, 0)


def _leaf_array(x, dtype):
    if isinstance(x, Tensor):
        if x._data.size != 1 and x._data.ndim:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return x._data.reshape(())
    return x


def _to_array(data, dtype):
    if isinstance(data, Tensor):
        return np.array(data._data, dtype=dtype)
    if isinstance(data, (list, tuple)):
        if any(isinstance(x, Tensor) for x in _flatten_items(data)):
            data = _replace_tensors(data, dtype)
        try:
            arr = np.array(data, dtype=dtype)
        except (ValueError, TypeError):
            _ragged_error(data)
            raise
        if arr.dtype == object:
            _ragged_error(data)
        return arr
    if isinstance(data, np.ndarray):
        _dtype.from_numpy_dtype(data.dtype)
    return np.array(data, dtype=dtype)


def _replace_tensors(data, dtype):
    if isinstance(data, (list, tuple)):
        return [_replace_tensors(x, dtype) for x in data]
    return _leaf_array(data, dtype)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor that copies `data` (a number, nested list/tuple, ndarray or Tensor).

    The dtype is inferred as PyTorch does: `tensor([1, 2])` is int64, `tensor([1., 2])` float32
    (the default dtype), a float64 ndarray stays float64."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
                      "or sourceTensor.detach().clone().requires_grad_(True), rather than "
                      "torch.tensor(sourceTensor).", UserWarning, stacklevel=2)
    elif isinstance(data, builtins.range):
        data = list(data)
    np_dtype = _dtype.to_dtype(dtype).np if dtype is not None else _infer_dtype(data)
    try:
        arr = _to_array(data, np_dtype)
    except OverflowError:
        arr = _wrapped_unsigned(data, np.dtype(np_dtype))
    return _finish(arr, requires_grad, device)


def _wrapped_unsigned(data, np_dtype):
    """PyTorch lets negative Python ints wrap around into unsigned dtypes (tensor(-1, dtype=uint8)
    is 255) but refuses values past the top of the range."""
    name = _dtype.from_numpy_dtype(np_dtype).name
    error = RuntimeError(f"value cannot be converted to type {name} without overflow")
    if np_dtype.kind != "u":
        raise error from None
    try:
        wide = np.array(data, dtype=np.int64)
    except OverflowError:
        raise error from None
    lo, hi = _dtype.int_range(np_dtype)
    if wide.size and (wide.max() > hi or wide.min() < lo):
        raise error from None
    return wide.astype(np_dtype)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    if not isinstance(layout, _layout):  # any torch.layout gives a strided 0-d tensor, as in PyTorch
        check_layout(layout, "scalar_tensor")
    return tensor(builtins.float(s), dtype=dtype, device=device, requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like tensor(), but shares memory with a Tensor or ndarray whose dtype already matches
    (and keeps a Tensor's autograd history)."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or _dtype.to_dtype(dtype).np == data.dtype):
        _dtype.from_numpy_dtype(data.dtype)
        return _finish(data, False, device)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """torch.asarray: as_tensor (memory shared where the dtype allows), a copy with copy=True, and
    copy=False refusing a cast; requires_grad=True marks the result (a leaf then requires grad)."""
    if copy:
        out = tensor(obj._data if isinstance(obj, Tensor) else obj, dtype=dtype if dtype is not None else (
            obj.dtype if isinstance(obj, Tensor) else None), device=device)
    else:
        if copy is False and dtype is not None:
            have = obj._data.dtype if isinstance(obj, Tensor) else getattr(obj, "dtype", None)
            want = _dtype.to_dtype(dtype).np
            if have is not None and np.dtype(have) != want:
                from .arithmetic import type_name
                raise ValueError(f"can't alias tensor with dtype '{type_name(np.dtype(have))}' into dtype "
                                 f"'{type_name(want)}'.")
        out = as_tensor(obj, dtype=dtype, device=device)
    if requires_grad and not out._requires_grad:
        out.requires_grad_(True)
    return out


def from_numpy(ndarray):
    """A tensor sharing memory with `ndarray` (writes to one show in the other)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if not ndarray.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. Conversion "
                         "between byte orders is currently not supported.")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return Tensor._wrap(ndarray)


# ---- filled tensors ---------------------------------------------------------------------------

def _size(size, name=None, fn="tensor"):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) and not (isinstance(s, Tensor) and s._data.dtype.kind in "iu"):
            raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not "
                            f"{type(s).__name__}")
    size = tuple(builtins.int(s) for s in size)
    for s in size:
        if s < 0:
            if name:
                raise RuntimeError(f"{name}: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return size


def _float_np(dtype):
    return _dtype.to_dtype(dtype).np if dtype is not None else _dtype.get_default_dtype().np


def _shape_or_size_kw(size, kw_size):
    return size if kw_size is None else (kw_size,)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          **kwargs):
    """A tensor of zeros of the given shape (default dtype float32)."""
    check_layout(layout, "zeros")
    shape = _size(_shape_or_size_kw(size, kwargs.get("size")), "zeros", "zeros")
    return _finish(np.zeros(shape, dtype=_float_np(dtype)), requires_grad, device, out)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
         **kwargs):
    """A tensor of ones of the given shape (default dtype float32)."""
    check_layout(layout, "ones")
    shape = _size(_shape_or_size_kw(size, kwargs.get("size")), None, "ones")
    return _finish(np.ones(shape, dtype=_float_np(dtype)), requires_grad, device, out)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None, **kwargs):
    """An uninitialised tensor of the given shape."""
    check_layout(layout, "empty")
    shape = _size(_shape_or_size_kw(size, kwargs.get("size")), None, "empty")
    return _finish(np.empty(shape, dtype=_float_np(dtype)), requires_grad, device, out)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    """A tensor of `size` filled with `fill_value`; the dtype is inferred from the value
    (bool, int64, or the default float dtype) unless given."""
    check_layout(layout, "full")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dt = (np.dtype(np.bool_) if isinstance(fill_value, (bool, np.bool_)) else np.dtype(np.int64)
              if isinstance(fill_value, (int, np.integer)) else _dtype.get_default_dtype().np)
    else:
        dt = _dtype.to_dtype(dtype).np
    shape = _size((size,) if isinstance(size, (int, np.integer)) else (tuple(size),), None, "full")
    fill = checked_scalar(fill_value, dt, half_overflows=False)
    return _finish(np.full(shape, fill, dtype=dt), requires_grad, device, out)


def _like(input, dtype, requires_grad, device, fill):
    dt = _dtype.to_dtype(dtype).np if dtype is not None else input._data.dtype
    arr = np.empty(input._data.shape, dtype=dt) if fill is None else np.full(input._data.shape, fill, dtype=dt)
    return _finish(arr, requires_grad, device)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    check_layout(layout, "zeros_like")
    return _like(input, dtype, requires_grad, device, 0)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    check_layout(layout, "ones_like")
    return _like(input, dtype, requires_grad, device, 1)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    check_layout(layout, "empty_like")
    return _like(input, dtype, requires_grad, device, None)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    check_layout(layout, "full_like")
    return _like(input, dtype, requires_grad, device, fill_value)


# ---- ranges -----------------------------------------------------------------------------------

def _number(v):
    return v.item() if isinstance(v, Tensor) else v


def _is_int(v):
    return isinstance(v, (int, np.integer))


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
           pin_memory=False):
    """Values from `start` (inclusive) to `end` (exclusive) spaced by `step`; int64 when every
    argument is an integer, otherwise the default float dtype."""
    check_layout(layout, "arange")
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    if dtype is None:
        dt = (np.dtype(np.int64) if builtins.all(_is_int(v) for v in (start, end, step))
              else _dtype.get_default_dtype().np)
    else:
        dt = _dtype.to_dtype(dtype).np
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dt.kind in "iub":
        start, end, step = (builtins.int(v) for v in (start, end, step))  # PyTorch casts first
        if step == 0:
            raise ValueError("step must be nonzero")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dt.kind in "iub":
        n = (end - start + step - (1 if step > 0 else -1)) // step
        arr = start + np.arange(n, dtype=np.int64) * step
    else:
        n = builtins.int(math.ceil((end - start) / step))
        arr = _arange_float(start, step, n, dt)
    return _finish(arr.astype(dt, copy=False), requires_grad, device, out)


_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's constant, splits a double into two 26-bit halves


def _fma(a, b, c):
    """a * b + c in float64 with a single rounding, as the fused multiply-add that PyTorch's
    compiled CPU kernels use (a plain a * b + c rounds twice and differs in the last bit)."""
    a, b, c = np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(c, np.float64)
    p = a * b
    ta, tb = a * _SPLIT, b * _SPLIT
    ah, bh = ta - (ta - a), tb - (tb - b)
    al, bl = a - ah, b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl  # p + e == a * b exactly
    s = p + c
    z = s - p
    t = (p - (s - z)) + (c - z)  # s + t == p + c exactly
    return s + (t + e)


def _arange_float(start, step, n, dt):
    """PyTorch's float arange on an AVX2 CPU, to the bit: in the accumulation type (float64, or
    float32 for half), blocks of two 32-byte vectors take a base start + step * i (one fma, rounded
    to the output type) and add j * step for the lanes j; the tail is start + step * i per element.
    (Above 32768 elements PyTorch splits the range between its threads, which can move the blocks.)"""
    acc = np.float32 if dt.itemsize < 4 else np.float64
    start, step = acc(start), acc(step)
    lanes = 32 // dt.itemsize
    i = np.arange(n, dtype=np.float64)
    arr = _fma(step, i, start).astype(acc).astype(dt)
    vec = n - n % (2 * lanes)
    if vec:
        j = i[:vec] % lanes
        base = arr[:vec:lanes].repeat(lanes)
        arr[:vec] = _fma(j, step, base.astype(np.float64)).astype(acc).astype(dt)
    return arr


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Deprecated in PyTorch: like arange but includes `end`, and float by default."""
    check_layout(layout, "range")
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior "
                  "is inconsistent with Python's range builtin. Instead, use torch.arange, which produces "
                  "values in [start, end).", UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    dt = _float_np(dtype)
    n = builtins.int(math.floor((end - start) / step)) + 1
    return _finish((start + np.arange(builtins.max(n, 0), dtype=np.float64) * step).astype(dt), requires_grad,
                   device, out)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """`steps` values evenly spaced from `start` to `end`, both included."""
    check_layout(layout, "linspace")
    start, end = _number(start), _number(end)
    dt = _float_np(dtype)
    steps = builtins.int(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    if steps <= 1:
        return _finish(np.full(steps, start, dtype=dt), requires_grad, device, out)
    # PyTorch fills the first half forwards from start and the second half backwards from end,
    # each value one fused multiply-add in the output's float type (float64 for integer outputs,
    # whose start and end are first truncated to integers).
    if dt.kind in "iu":
        start, end = builtins.int(start), builtins.int(end)
    ct = dt if dt.kind == "f" else np.dtype(np.float64)
    s, e = ct.type(start), ct.type(end)
    step = (e - s) / ct.type(steps - 1)
    half = steps // 2
    i = np.arange(steps, dtype=np.float64)
    if ct.itemsize >= 4:
        arr = np.empty(steps, dtype=np.float64)
        arr[:half] = _fma(step, i[:half], s)
        arr[half:] = _fma(-step, (steps - 1) - i[half:], e)
        arr = arr.astype(ct)
    else:  # half precision: no fma; the counts are rounded to half, then each operation
        arr = np.empty(steps, dtype=ct)
        arr[:half] = s + step * i[:half].astype(ct)
        arr[half:] = e - step * ((steps - 1) - i[half:]).astype(ct)
    return _finish(arr.astype(dt, copy=False), requires_grad, device, out)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """`base` raised to `steps` evenly spaced exponents from `start` to `end`."""
    check_layout(layout, "logspace")
    lin = linspace(start, end, steps, dtype=_dtype.float64)._data
    return _finish(np.power(base, lin).astype(_float_np(dtype)), requires_grad, device, out)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A 2-D tensor with ones on the diagonal and zeros elsewhere."""
    check_layout(layout, "eye")
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _finish(np.eye(n, m if m is not None else n, dtype=_float_np(dtype)), requires_grad, device, out)


# ---- random -----------------------------------------------------------------------------------

def _random_float(dt, kernel):
    if dt.kind != "f":
        name = _dtype.from_numpy_dtype(dt).name
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_TYPE_NAMES.get(name, name)}'")


_TYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool"}


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False, **kwargs):
    """Uniform samples on [0, 1). Streams differ from PyTorch's (same seed, different numbers)."""
    check_layout(layout, "rand")
    dt = _float_np(dtype)
    _random_float(dt, "check_uniform_bounds")
    shape = _size(_shape_or_size_kw(size, kwargs.get("size")), None, "rand")
    arr = rng(generator).random(shape, dtype=np.float64 if dt == np.float64 else np.float32)
    return _finish(arr.astype(dt, copy=False), requires_grad, device, out)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, **kwargs):
    """Standard normal samples."""
    check_layout(layout, "randn")
    dt = _float_np(dtype)
    _random_float(dt, "normal_kernel_cpu")
    shape = _size(_shape_or_size_kw(size, kwargs.get("size")), None, "randn")
    arr = rng(generator).standard_normal(shape, dtype=np.float64 if dt == np.float64 else np.float32)
    return _finish(arr.astype(dt, copy=False), requires_grad, device, out)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False, pin_memory=False):
    """Integers drawn uniformly from [low, high); randint(high, size) starts at 0."""
    check_layout(layout, "randint")
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if size is None or high is None:
        raise TypeError("randint() missing required arguments: expected (high, size) or (low, high, size)")
    if isinstance(size, (int, np.integer)):
        raise TypeError("randint(): argument 'size' must be tuple of ints, not int")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dt = _dtype.to_dtype(dtype).np if dtype is not None else np.dtype(np.int64)
    shape = _size((tuple(size),), None, "randint")
    return _finish(rng(generator).integers(low, high, size=shape).astype(dt), requires_grad, device, out)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    """A random permutation of 0..n-1 (int64)."""
    check_layout(layout, "randperm")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dt = _dtype.to_dtype(dtype).np if dtype is not None else np.dtype(np.int64)
    return _finish(rng(generator).permutation(n).astype(dt), requires_grad, device, out)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
              generator=None):
    check_layout(layout, "rand_like")
    return rand(*input._data.shape, dtype=dtype or input.dtype, generator=generator, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
               generator=None):
    check_layout(layout, "randn_like")
    return randn(*input._data.shape, dtype=dtype or input.dtype, generator=generator, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None, generator=None):
    check_layout(layout, "randint_like")
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, dtype=dtype or input.dtype, generator=generator,
                   requires_grad=requires_grad)
