"""softmax and log_softmax, fused: one pass forward with the row maximum subtracted (so exp
cannot overflow), and the closed-form Jacobian-vector products backward:

    softmax:      y = exp(x − max) / Σ exp(x − max)        dx = y · (g − Σ g·y)
    log_softmax:  y = (x − max) − log Σ exp(x − max)       dx = g − exp(y) · Σ g

Over the last dim of a contiguous float32 array, compiled row kernels (lamina/_accel) do each
in one call: the NumPy path's max, subtract, exp, sum and divide are separate passes (on
(1024, 512) 1936 against 705 µs forward).
"""
import warnings

import numpy as np

from .. import _dtype
from .._accel import float32_kernels
from ._core import dim_arg, make, sum_axes

__all__ = ["softmax", "log_softmax"]
METHODS = ["softmax", "log_softmax"]

_max = np.maximum.reduce  # the ufunc reduction directly: ndarray.max adds a Python layer


def _row_max(x, d):
    """The maximum along dim d, kept as size 1. NumPy reduces each short row on its own: for a
    last dim of at most 16 (class scores) over many rows, a transposed copy reduced along its
    first axis is cheaper (128x10: 6.5 -> 3.6 us). Max is exact in any order."""
    n = x.shape[d]
    if d == x.ndim - 1 and n <= 16 and x.size >= 64 * n and x.flags.c_contiguous:
        top = np.maximum.reduce(x.reshape(-1, n).T.copy(), axis=0)
        return top.reshape(x.shape[:-1] + (1,))
    return _max(x, axis=d, keepdims=True)


def _sum(a, axis, keepdims):
    # a BLAS product with ones for the last (or first) dim of a contiguous array: NumPy's row
    # sums over short rows cost several times as much (16x4x64x64 rows of 64: 140 -> 22 us)
    return sum_axes(a, (axis,), keepdims)


def _prepare(input, dim, dtype, name):
    """(array to work on, normalised dim). A 0-d input is worked on as shape (1,)."""
    x = input._data
    if dim is None:  # PyTorch's legacy implicit choice (F.softmax without dim)
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                      "dim=X as an argument.", stacklevel=4)
        dim = 0 if x.ndim in (0, 1, 3) else 1
    d = dim_arg(dim, x.ndim)
    if dtype is not None:
        x = x.astype(_dtype.to_dtype(dtype).np, copy=False)
    if x.dtype.kind != "f":
        from .arithmetic import type_name
        kernel = "lastdim_kernel_impl" if d == x.ndim - 1 or x.ndim == 0 else "kernel_impl"
        raise NotImplementedError(f"\"{name}_{kernel}\" not implemented for '{type_name(x.dtype)}'")
    return (x, d) if x.ndim else (x.reshape(1), 0)


def _row_kernels(x, d):
    """The compiled kernels when softmax along d can run on x as rows (last dim, contiguous
    float32, not empty), else None."""
    if d == x.ndim - 1 and x.size:
        return float32_kernels(x)
    return None


def softmax(input, dim=None, dtype=None, *, _stacklevel=3):
    """softmax(x)_i = exp(x_i) / Σ_j exp(x_j) along `dim`; `dtype` casts the input first."""
    x, d = _prepare(input, dim, dtype, "softmax")
    in_dt = input._data.dtype
    fast = _row_kernels(x, d)
    if fast and input._data.ndim:
        return _softmax_rows(fast, input, x, in_dt)
    if x.size == 0:
        y = x.copy()
    elif x.dtype == np.float16:  # computed in float32 and rounded once, as PyTorch does for half
        y = x.astype(np.float32)
        y = np.exp(y - _max(y, axis=d, keepdims=True))
        y = (y / _sum(y, axis=d, keepdims=True)).astype(np.float16)
    else:
        y = x - _row_max(x, d)
        np.exp(y, out=y)
        y /= _sum(y, d, True)

    def backward(g):
        gy = g * y
        gy -= y * _sum(gy, d, True)
        return (gy if gy.dtype == in_dt else gy.astype(in_dt),)
    if not input._data.ndim:  # softmax of one number is the constant 1
        return make(y.reshape(()), (input,), _zero_grad, "SoftmaxBackward0")
    return make(y, (input,), backward, "SoftmaxBackward0", saved=(), save_output=True)


def _softmax_rows(kernels, input, x, in_dt):
    n = x.shape[-1]
    y = np.empty_like(x)
    kernels.softmax_rows(x.reshape(-1, n), y.reshape(-1, n))

    def backward(g):
        g = np.ascontiguousarray(g, dtype=np.float32)
        gx = np.empty_like(g)
        kernels.softmax_rows_backward(g.reshape(-1, n), y.reshape(-1, n), gx.reshape(-1, n))
        return (gx if gx.dtype == in_dt else gx.astype(in_dt),)
    return make(y, (input,), backward, "SoftmaxBackward0", saved=(), save_output=True)


def log_softmax(input, dim=None, dtype=None, *, _stacklevel=3):
    """log_softmax(x)_i = x_i − log Σ_j exp(x_j) along `dim`; `dtype` casts the input first."""
    x, d = _prepare(input, dim, dtype, "log_softmax")
    in_dt = input._data.dtype
    fast = _row_kernels(x, d)
    if fast and input._data.ndim:
        return _log_softmax_rows(fast, input, x, in_dt)
    if x.size == 0:
        out = e = x.copy()
        total = None
    else:
        out = x - _row_max(x, d)
        e = np.exp(out)  # kept: the backward's softmax is e / total (an exp costs 4 divisions)
        total = _sum(e, d, True)
        out -= np.log(total)

    def backward(g):
        if total is None:
            return (g.copy(),)
        s = _sum(g, d, True)
        s /= total
        gx = e * s
        np.subtract(g, gx, out=gx)
        return (gx if gx.dtype == in_dt else gx.astype(in_dt),)
    if not input._data.ndim:  # log_softmax of one number is the constant 0
        return make(out.reshape(()), (input,), _zero_grad, "LogSoftmaxBackward0")
    return make(out, (input,), backward, "LogSoftmaxBackward0", saved=(), save_output=True)


def _log_softmax_rows(kernels, input, x, in_dt):
    n = x.shape[-1]
    out, e = np.empty_like(x), np.empty_like(x)
    total = np.empty(x.size // n, dtype=x.dtype)
    kernels.log_softmax_rows(x.reshape(-1, n), out.reshape(-1, n), e.reshape(-1, n), total)

    def backward(g):
        g = np.ascontiguousarray(g, dtype=np.float32)
        gx = np.empty_like(g)
        kernels.log_softmax_rows_backward(g.reshape(-1, n), e.reshape(-1, n), total, gx.reshape(-1, n))
        return (gx if gx.dtype == in_dt else gx.astype(in_dt),)
    return make(out, (input,), backward, "LogSoftmaxBackward0", saved=(), save_output=True)


def _zero_grad(g):
    return (np.zeros_like(g),)
