"""Reductions: sum, mean, prod, var, std, max/min (values and indices), amax/amin, logsumexp,
argmax/argmin, all/any, norm, cumsum. `dim` may be an int, a tuple or None; keepdim as PyTorch."""
import builtins
from collections import namedtuple

import numpy as np

from .. import _dtype
from ._core import dim_arg, float_dtype_of, make

__all__ = ["sum", "mean", "prod", "var", "std", "var_mean", "std_mean", "max", "min", "amax", "amin",
           "logsumexp", "argmax", "argmin", "all", "any", "norm", "cumsum", "cumprod", "count_nonzero",
           "median", "aminmax", "nansum", "nanmean"]
METHODS = ["sum", "mean", "prod", "var", "std", "max", "min", "amax", "amin", "logsumexp", "argmax", "argmin",
           "all", "any", "norm", "cumsum", "cumprod", "count_nonzero", "median", "aminmax", "nansum", "nanmean"]

values_indices = namedtuple("return_types", ["values", "indices"])
min_max = namedtuple("return_types", ["min", "max"])


def _axes(dim, ndim):
    """None for a full reduction, else a sorted tuple of non-negative axes."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None
    if isinstance(dim, (tuple, list)):
        axes = tuple(sorted(dim_arg(d, ndim) for d in dim))
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
        return axes
    return (dim_arg(dim, ndim),)


def _expand_back(g, shape, axes, keepdim):
    """Broadcastable view of a reduced gradient against the input shape."""
    if axes is None:
        return np.broadcast_to(g.reshape((1,) * len(shape)), shape)
    if not keepdim:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


def sum(input, dim=None, keepdim=False, *, dtype=None):
    x = input.data
    axes = _axes(dim, x.ndim)
    if dtype is not None:
        out_dt = _dtype.to_dtype(dtype).np
    elif x.dtype.kind in "biu":
        out_dt = np.dtype(np.int64)  # PyTorch sums integers and bools in int64
    else:
        out_dt = x.dtype
    out = np.asarray(x.sum(axis=axes, keepdims=keepdim, dtype=out_dt))
    shape = x.shape
    in_dt = x.dtype

    def backward(g):
        return (_expand_back(g, shape, axes, keepdim).astype(in_dt, copy=False),)
    return make(out, (input,), backward, "SumBackward1" if axes is not None else "SumBackward0")


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    from .arithmetic import where
    from .compare import isnan
    return sum(where(isnan(input), 0.0, input), dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    x = input.data
    if x.dtype.kind != "f" and dtype is None:
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating point "
                           f"or complex dtype. Got: {_dtype.from_numpy_dtype(x.dtype).name.title()}")
    if dtype is not None:
        x = x.astype(_dtype.to_dtype(dtype).np)
    axes = _axes(dim, x.ndim)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.asarray(x.mean(axis=axes, keepdims=keepdim))
    count = x.size // builtins.max(out.size, 1) if x.size else 0
    shape = x.shape
    in_dt = input.data.dtype

    def backward(g):
        return ((_expand_back(g, shape, axes, keepdim) / builtins.max(count, 1)).astype(in_dt, copy=False),)
    return make(out, (input,), backward, "MeanBackward1" if axes is not None else "MeanBackward0")


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    from .arithmetic import div
    from .compare import isnan, logical_not
    return div(nansum(input, dim, keepdim), sum(logical_not(isnan(input)), dim, keepdim))


def prod(input, dim=None, keepdim=False, *, dtype=None):
    x = input.data
    if dim is not None and not isinstance(dim, int):
        raise TypeError("prod(): argument 'dim' must be int")
    axes = _axes(dim, x.ndim)
    out_dt = _dtype.to_dtype(dtype).np if dtype is not None else (np.dtype(np.int64) if x.dtype.kind in "biu" else x.dtype)
    out = np.asarray(np.prod(x, axis=axes, keepdims=keepdim, dtype=out_dt))

    def backward(g):
        # product of all the others, computed without dividing (zeros are common)
        ax = axes[0] if axes else None
        xf = x.reshape(-1) if ax is None else x
        axis = 0 if ax is None else ax
        left = np.cumprod(np.concatenate([np.ones_like(np.take(xf, [0], axis)), np.take(xf, range(xf.shape[axis] - 1), axis)], axis), axis)
        rev = np.flip(xf, axis)
        right = np.flip(np.cumprod(np.concatenate([np.ones_like(np.take(rev, [0], axis)), np.take(rev, range(rev.shape[axis] - 1), axis)], axis), axis), axis)
        others = (left * right).reshape(x.shape)
        return ((_expand_back(g, x.shape, axes, keepdim) * others).astype(x.dtype, copy=False),)
    return make(out, (input,), backward, "ProdBackward1" if axes is not None else "ProdBackward0", saved=(input,))


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is not None:
        return 1 if unbiased else 0
    return 1


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):  # var(x, False): the legacy `unbiased` positional
        dim, unbiased = None, dim
    x = input.data
    axes = _axes(dim, x.ndim)
    c = _correction(unbiased, correction)
    n = x.size if axes is None else int(np.prod([x.shape[a] for a in axes]))
    mu = x.mean(axis=axes, keepdims=True)
    diff = x - mu
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.asarray((diff * diff).sum(axis=axes, keepdims=keepdim) / x.dtype.type(builtins.max(n - c, 0)))
    shape = x.shape

    def backward(g):
        with np.errstate(invalid="ignore", divide="ignore"):
            return ((_expand_back(g, shape, axes, keepdim) * diff * x.dtype.type(2 / builtins.max(n - c, 0) if n - c > 0 else np.inf)).astype(x.dtype, copy=False),)
    return make(out, (input,), backward, "VarBackward0", saved=(input,))


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    from .pointwise import sqrt
    return sqrt(var(input, dim, unbiased, keepdim, correction=correction))


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def _extreme(name, np_fn, arg_fn):
    """max / min: with no dim, the value; with dim, (values, indices) and the gradient goes to
    the index chosen; other is a tensor → elementwise maximum/minimum."""
    def op(input, dim=None, keepdim=False, *, other=None):
        from ..tensor import Tensor
        if isinstance(dim, Tensor):
            from . import arithmetic
            return (arithmetic.maximum if name == "max" else arithmetic.minimum)(input, dim)
        x = input.data
        if dim is None:
            if x.size == 0:
                raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                                   "Specify the reduction dim with the 'dim' argument.")
            out = np.asarray(np_fn(x))

            def backward(g):
                hit = (x == out)
                return ((hit * (g / hit.sum())).astype(x.dtype, copy=False),)
            return make(out, (input,), backward, name.title() + "Backward1", saved=(input,))
        d = dim_arg(dim, x.ndim)
        if x.ndim and x.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        xx = x.reshape(1) if x.ndim == 0 else x
        idx = np.expand_dims(arg_fn(xx, axis=d if x.ndim else 0), d if x.ndim else 0)
        vals = np.take_along_axis(xx, idx, d if x.ndim else 0)
        if not keepdim or x.ndim == 0:
            vals = vals.reshape(x.shape[:d] + x.shape[d + 1:]) if x.ndim else vals.reshape(())
            idx_out = idx.reshape(vals.shape)
        else:
            idx_out = idx

        def backward(g):
            gx = np.zeros(xx.shape, dtype=g.dtype)
            gg = g.reshape(idx.shape)
            np.put_along_axis(gx, idx, gg, d if x.ndim else 0)
            return (gx.reshape(x.shape),)
        values = make(vals, (input,), backward, name.title() + "Backward0")
        return values_indices(values, make(idx_out.astype(np.int64), (), None, ""))
    op.__name__ = name
    return op


def _nan_argmax(x, axis):
    # PyTorch propagates NaN: a NaN is the max (and the min)
    nan = np.isnan(x) if x.dtype.kind == "f" else None
    if nan is not None and nan.any():
        return np.where(nan.any(axis=axis), np.argmax(nan, axis=axis), np.argmax(x, axis=axis))
    return np.argmax(x, axis=axis)


def _nan_argmin(x, axis):
    nan = np.isnan(x) if x.dtype.kind == "f" else None
    if nan is not None and nan.any():
        return np.where(nan.any(axis=axis), np.argmax(nan, axis=axis), np.argmin(x, axis=axis))
    return np.argmin(x, axis=axis)


max = _extreme("max", np.max, _nan_argmax)
min = _extreme("min", np.min, _nan_argmin)


def _amext(name, np_fn):
    def op(input, dim=(), keepdim=False):
        x = input.data
        axes = _axes(dim, x.ndim)
        out = np.asarray(np_fn(x, axis=axes, keepdims=keepdim))

        def backward(g):
            full = _expand_back(out, x.shape, axes, keepdim)
            hit = (x == full)
            count = hit.sum(axis=axes, keepdims=True)
            return ((hit * _expand_back(g, x.shape, axes, keepdim) / count).astype(x.dtype, copy=False),)
        return make(out, (input,), backward, name, saved=(input,))
    return op


amax = _amext("AmaxBackward0", np.max)
amin = _amext("AminBackward0", np.min)


def aminmax(input, *, dim=None, keepdim=False):
    return min_max(amin(input, dim if dim is not None else (), keepdim), amax(input, dim if dim is not None else (), keepdim))


def logsumexp(input, dim, keepdim=False):
    x = input.data
    if x.dtype.kind != "f":
        x = x.astype(float_dtype_of(x.dtype))
    axes = _axes(dim, x.ndim)
    m = np.max(x, axis=axes, keepdims=True) if x.size else np.zeros((1,) * x.ndim, x.dtype)
    m = np.where(np.isfinite(m), m, 0)
    s = np.sum(np.exp(x - m), axis=axes, keepdims=True)
    out_keep = np.log(s) + m
    out = out_keep if keepdim else np.squeeze(out_keep, axis=axes) if axes is not None else out_keep.reshape(())

    def backward(g):
        gk = g if keepdim else (np.expand_dims(g, axes) if axes is not None else g.reshape((1,) * x.ndim))
        return (gk * np.exp(x - out_keep),)
    return make(np.asarray(out), (input,), backward, "LogsumexpBackward0", saved=(input,))


def _arg(np_fn):
    def op(input, dim=None, keepdim=False):
        x = input.data
        if dim is None:
            out = np.asarray(np_fn(x.reshape(-1), 0))
            if keepdim:
                out = out.reshape((1,) * x.ndim)
        else:
            d = dim_arg(dim, x.ndim)
            xx = x if x.ndim else x.reshape(1)
            out = np_fn(xx, d if x.ndim else 0)
            if keepdim:
                out = np.expand_dims(out, d)
            elif x.ndim == 0:
                out = out.reshape(())
        return make(np.asarray(out, dtype=np.int64), (), None, "")
    return op


argmax = _arg(_nan_argmax)
argmin = _arg(_nan_argmin)


def _logical(np_fn):
    def op(input, dim=None, keepdim=False):
        x = input.data
        axes = _axes(dim, x.ndim)
        out = np.asarray(np_fn(x, axis=axes, keepdims=keepdim))
        return make(out.astype(np.uint8) if x.dtype == np.uint8 else out, (), None, "")
    return op


all = _logical(np.all)
any = _logical(np.any)


def count_nonzero(input, dim=None):
    axes = _axes(dim, input.data.ndim)
    return make(np.asarray(np.count_nonzero(input.data, axis=axes), dtype=np.int64), (), None, "")


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    from . import arithmetic, pointwise
    if p == "fro" or p == 2 or p is None:
        return pointwise.sqrt(sum(arithmetic.mul(input, input), dim, keepdim))
    if p == float("inf"):
        return amax(arithmetic.abs(input), dim if dim is not None else (), keepdim)
    if p == float("-inf"):
        return amin(arithmetic.abs(input), dim if dim is not None else (), keepdim)
    if p == 1:
        return sum(arithmetic.abs(input), dim, keepdim)
    if p == 0:
        from .compare import ne
        return sum(ne(input, 0).to(input.dtype), dim, keepdim)
    return arithmetic.pow(sum(arithmetic.pow(arithmetic.abs(input), p), dim, keepdim), 1.0 / p)


def cumsum(input, dim, *, dtype=None):
    x = input.data
    d = dim_arg(dim, x.ndim)
    out_dt = _dtype.to_dtype(dtype).np if dtype is not None else (np.dtype(np.int64) if x.dtype.kind in "biu" else x.dtype)
    out = np.cumsum(x, axis=d if x.ndim else None, dtype=out_dt).reshape(x.shape)

    def backward(g):
        if not x.ndim:
            return (g,)
        return (np.flip(np.cumsum(np.flip(g, d), axis=d), d).astype(x.dtype, copy=False),)
    return make(out, (input,), backward, "CumsumBackward0")


def cumprod(input, dim, *, dtype=None):
    x = input.data
    d = dim_arg(dim, x.ndim)
    out = np.cumprod(x, axis=d)

    def backward(g):
        # d out_j / d x_i = out_j / x_i for j >= i (x has no zeros); fall back to a loop otherwise
        if np.all(x != 0):
            s = np.flip(np.cumsum(np.flip(g * out, d), axis=d), d)
            return (s / x,)
        gx = np.zeros_like(x)
        n = x.shape[d]
        for i in range(n):
            xi = np.take(x, [i], d)
            mask = x.copy()
            idx = [slice(None)] * x.ndim
            idx[d] = i
            mask[tuple(idx)] = 1
            partial = np.cumprod(mask, axis=d)
            sel = [slice(None)] * x.ndim
            sel[d] = slice(i, n)
            gi = (g[tuple(sel)] * partial[tuple(sel)]).sum(axis=d)
            gx[tuple(idx)] = gi
            del xi
        return (gx,)
    return make(out, (input,), backward, "CumprodBackward0", saved=(input,))


def median(input, dim=None, keepdim=False):
    x = input.data
    if dim is None:
        flat = np.sort(x.reshape(-1))
        k = (flat.size - 1) // 2
        val = flat[k]
        pos = int(np.flatnonzero(x.reshape(-1) == val)[0])

        def backward(g):
            gx = np.zeros(x.size, dtype=g.dtype)
            gx[pos] = g
            return (gx.reshape(x.shape),)
        return make(np.asarray(val), (input,), backward, "MedianBackward0")
    d = dim_arg(dim, x.ndim)
    order = np.argsort(x, axis=d, kind="stable")
    k = (x.shape[d] - 1) // 2
    idx = np.take(order, [k], axis=d)
    vals = np.take_along_axis(x, idx, d)
    if not keepdim:
        vals, idx_out = np.squeeze(vals, d), np.squeeze(idx, d)
    else:
        idx_out = idx

    def backward(g):
        gx = np.zeros_like(x)
        np.put_along_axis(gx, idx, g.reshape(idx.shape), d)
        return (gx,)
    return values_indices(make(vals, (input,), backward, "MedianBackward1"), make(idx_out.astype(np.int64), (), None, ""))
