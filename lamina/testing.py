"""torch.testing: assert_close (the comparison PyTorch's own tests and many user scripts use) and
make_tensor. Messages follow PyTorch's word for word, so a script that prints or matches them
sees the same text."""
import math
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["assert_close", "make_tensor"]

# (rtol, atol) by dtype, PyTorch's defaults; integers and bool compare exactly
_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def _tolerances(*dtypes):
    pairs = [_TOLERANCES.get(np.dtype(d).name, (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _is_number(x):
    return isinstance(x, (bool, int, float)) and not isinstance(x, np.generic)


def _as_array(x):
    """The array behind a tensor-like (lamina Tensor or ndarray), or None."""
    from .tensor import Tensor
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, np.ndarray):
        return x
    return None


def _fail(message, msg):
    if msg is None:
        raise AssertionError(message)
    raise AssertionError(msg(message) if callable(msg) else msg)


def _where(path):
    return "" if not path else "\n\nThe failure occurred for item " + "".join(f"[{p!r}]" for p in path)


def _compare_scalars(actual, expected, rtol, atol, equal_nan, path, msg):
    if actual == expected or (equal_nan and math.isnan(actual) and math.isnan(expected)):
        return
    if math.isfinite(abs(actual - expected)) and abs(actual - expected) <= atol + rtol * abs(expected):
        return
    exact = rtol == 0 and atol == 0
    abs_diff = abs(actual - expected)
    rel_diff = math.inf if expected == 0 else abs_diff / abs(expected)
    tail_abs = "" if exact else f" (up to {atol} allowed)"
    tail_rel = "" if exact else f" (up to {rtol} allowed)"
    _fail(f"Scalars are not {'equal' if exact else 'close'}!\n\nExpected {expected} but got {actual}.\n"
          f"Absolute difference: {abs_diff}{tail_abs}\nRelative difference: {rel_diff}{tail_rel}" + _where(path), msg)


def _compare_arrays(a, b, rtol, atol, equal_nan, check_dtype, path, msg):
    from .tensor import Size
    from ._dtype import from_numpy_dtype
    if a.shape != b.shape:
        _fail(f"The values for attribute 'shape' do not match: {Size(a.shape)} != {Size(b.shape)}." + _where(path), msg)
    if check_dtype and a.dtype != b.dtype:
        _fail(f"The values for attribute 'dtype' do not match: {from_numpy_dtype(a.dtype)!r} != "
              f"{from_numpy_dtype(b.dtype)!r}." + _where(path), msg)
    if a.ndim == 0:  # a 0-d tensor is compared, and reported, as a scalar
        _compare_scalars(a.item(), b.item(), rtol, atol, equal_nan, path, msg)
        return
    common = np.result_type(a, b)
    x, y = a.astype(common, copy=False), b.astype(common, copy=False)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        close = x == y
        if common.kind == "f":
            error = np.abs(x - y)  # an infinite error is never close (inf vs a finite value)
            close = close | (np.isfinite(error) & (error <= atol + rtol * np.abs(y)))
            if equal_nan:
                close = close | (np.isnan(x) & np.isnan(y))
        if close.all():
            return
        if common.kind in "iub":  # integers: differences in int64, the relative one in float32 (as torch)
            x, y = x.astype(np.int64), y.astype(np.int64)
        abs_diff = np.abs(x - y)
        abs_diff[close] = 0  # only the mismatches compete for "greatest"
        denominator = np.abs(y)
        if denominator.dtype.kind != "f":
            rel_diff = abs_diff.astype(np.float32) / denominator.astype(np.float32)
        else:
            rel_diff = abs_diff / denominator
        rel_diff[close] = 0
    exact = rtol == 0 and atol == 0
    bad = int(close.size - np.count_nonzero(close))
    i_abs = np.unravel_index(int(np.argmax(abs_diff)), a.shape)  # argmax meets NaN first, as torch.max
    i_rel = np.unravel_index(int(np.argmax(rel_diff)), a.shape)
    tail_abs = "" if exact else f" (up to {atol} allowed)"
    tail_rel = "" if exact else f" (up to {rtol} allowed)"
    _fail(f"Tensor-likes are not {'equal' if exact else 'close'}!\n\n"
          f"Mismatched elements: {bad} / {close.size} ({100 * bad / close.size:.1f}%)\n"
          f"Greatest absolute difference: {abs_diff[i_abs].item()} at index {tuple(int(i) for i in i_abs)}{tail_abs}\n"
          f"Greatest relative difference: {rel_diff[i_rel].item()} at index {tuple(int(i) for i in i_rel)}{tail_rel}"
          + _where(path), msg)


def _compare(actual, expected, rtol, atol, equal_nan, check_dtype, path, msg):
    a, b = _as_array(actual), _as_array(expected)
    if a is not None and b is not None:
        r, t = (rtol, atol) if rtol is not None else _tolerances(a.dtype, b.dtype)
        _compare_arrays(a, b, r, t, equal_nan, check_dtype, path, msg)
        return
    if _is_number(actual) and _is_number(expected):
        kinds = [np.float64 if isinstance(v, float) else np.int64 for v in (actual, expected)]
        r, t = (rtol, atol) if rtol is not None else _tolerances(*kinds)
        _compare_scalars(actual, expected, r, t, equal_nan, path, msg)
        return
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        missing = [k for k in expected if k not in actual]
        extra = [k for k in actual if k not in expected]
        if missing or extra:
            _fail("The keys of the mappings do not match:\n" + "\n".join(
                line for line in (f"Missing keys in the actual mapping: {sorted(missing, key=str)}" if missing else "",
                                  f"Additional keys in the actual mapping: {sorted(extra, key=str)}" if extra else "")
                if line), msg)
        for key in expected:
            _compare(actual[key], expected[key], rtol, atol, equal_nan, check_dtype, path + [key], msg)
        return
    seq = (Sequence,)
    if isinstance(actual, seq) and isinstance(expected, seq) and not isinstance(actual, str) \
            and not isinstance(expected, str):
        if len(actual) != len(expected):
            _fail(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", msg)
        for i, (x, y) in enumerate(zip(actual, expected)):
            _compare(x, y, rtol, atol, equal_nan, check_dtype, path + [i], msg)
        return
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Raise AssertionError unless `actual` and `expected` are close: |actual - expected| <=
    atol + rtol·|expected| elementwise, with equal shapes (and dtypes, unless check_dtype=False).
    Tensors, NumPy arrays, numbers, and sequences or mappings of them (compared item by item).
    Default tolerances by dtype: float16 1e-3/1e-5, float32 1.3e-6/1e-5, float64 1e-7/1e-7,
    integers and bool exact."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    _compare(actual, expected, rtol, atol, equal_nan, check_dtype, [], msg)


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):
    """A tensor of `shape` with values drawn uniformly from [low, high) (defaults: -9..9 for floats
    and integers, 0..9 for uint8; bool is True/False at random), from lamina's generator."""
    from . import _dtype
    from .random import rng
    from .tensor import Tensor
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    dt = _dtype.to_dtype(dtype)
    g = rng()
    if dt.np.kind == "b":
        data = g.random(shape) < 0.5
    else:
        lo = (0 if dt.np.kind == "u" else -9) if low is None else low
        hi = 10 if high is None and dt.np.kind in "iu" else (9 if high is None else high)
        if dt.np.kind in "iu":
            data = g.integers(math.ceil(lo), math.ceil(hi), shape)
        else:
            data = g.uniform(lo, hi, shape)
        if exclude_zero:
            data = np.where(data == 0, 1 if dt.np.kind in "iu" else np.finfo(dt.np).tiny, data)
    t = Tensor._wrap(np.asarray(data, dtype=dt.np))
    if requires_grad:
        t.requires_grad_(True)
    return t
