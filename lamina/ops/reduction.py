"""Reductions: sum, mean, prod, var, std, max/min (values and indices), amax/amin, logsumexp,
argmax/argmin, all/any, norm, median, cumsum/cumprod. `dim` is an int, a tuple or None (all
dims); keepdim keeps reduced dims as size 1. Sums go through np.add.reduce directly (ndarray.sum
adds a Python layer)."""
import builtins
import math
import warnings
from collections import namedtuple

import numpy as np

from .. import _dtype
from ..tensor import Tensor
from ._core import dim_arg, float_dtype_of, make, sum_axes

__all__ = ["sum", "mean", "prod", "var", "std", "var_mean", "std_mean", "max", "min", "amax", "amin",
           "logsumexp", "argmax", "argmin", "all", "any", "norm", "cumsum", "cumprod", "count_nonzero",
           "median", "aminmax", "nansum", "nanmean"]
METHODS = ["sum", "mean", "prod", "var", "std", "max", "min", "amax", "amin", "logsumexp", "argmax", "argmin",
           "all", "any", "norm", "cumsum", "cumprod", "count_nonzero", "median", "aminmax", "nansum", "nanmean"]
INPLACE = ["cumsum", "cumprod"]

_add = np.add.reduce


def return_type(name, fields):
    """A named tuple printed like PyTorch's torch.return_types.<name>."""
    base = namedtuple(name, fields)

    def __repr__(self):
        inner = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{name}(\n{inner})"
    return type(name, (base,), {"__slots__": (), "__repr__": __repr__})


_VALUES_INDICES = {}


def values_indices(values, indices, name="max"):
    """(values, indices) as torch.return_types.<name>."""
    cls = _VALUES_INDICES.get(name)
    if cls is None:
        cls = _VALUES_INDICES[name] = return_type(name, ("values", "indices"))
    return cls(values, indices)


_aminmax_type = return_type("aminmax", ("min", "max"))


def _axes(dim, ndim):
    """None for a full reduction (also any dim of a 0-d tensor), else a sorted tuple of
    non-negative axes."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if not dim:
            return None
        axes = tuple(sorted(dim_arg(d, ndim) for d in dim))
        for a, b in zip(axes, axes[1:]):
            if a == b:
                raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
        return axes if ndim else None
    d = dim_arg(dim, ndim)
    return (d,) if ndim else None


def _kept_shape(shape, axes):
    """The shape of a keepdim=True result."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _count(shape, axes):
    n = 1
    for i in (range(len(shape)) if axes is None else axes):
        n *= shape[i]
    return n


def _keep(g, shape, axes, keepdim):
    """A reduced result with its reduced dims back as size 1, ready to broadcast against the
    input in arithmetic."""
    return g if keepdim else g.reshape(_kept_shape(shape, axes))


def _spread(g, shape, axes, keepdim, dtype):
    """A reduced gradient copied out to the input's shape and dtype (one C-level broadcast
    assignment; np.broadcast_to costs several times more on small arrays)."""
    out = np.empty(shape, dtype)
    out[...] = _keep(g, shape, axes, keepdim)
    return out


def _check_nonempty(name, x, axes):
    for a in (range(x.ndim) if axes is None else axes):
        if x.shape[a] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")


# ---- sum, mean, prod ------------------------------------------------------------------------

def _numpy_names(dim, keepdim, axis, keepdims):
    """x.sum(axis=0, keepdims=True): PyTorch takes NumPy's keyword names for dim and keepdim."""
    return (dim if axis is None else axis), (keepdim if keepdims is None else keepdims)


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Σ over `dim` (all dims by default). Integers and bools sum in int64."""
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch also accepts
        dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    x = input._data
    axes = _axes(dim, x.ndim) if dim is not None else None
    if dtype is not None:
        out_dt = _dtype.to_dtype(dtype).np
    elif x.dtype.kind in "biu":
        out_dt = np.dtype(np.int64)
    else:
        out_dt = x.dtype
    if out_dt == np.float16:  # accumulate half precision in float32, as PyTorch does
        out = _add(x, axis=axes, dtype=np.float32, keepdims=keepdim).astype(np.float16)
    elif axes is not None and out_dt == x.dtype and (out_dt == np.float32 or out_dt == np.float64):
        out = sum_axes(x, axes, keepdim)
    else:
        out = _add(x, axis=axes, dtype=out_dt, keepdims=keepdim)
    shape, in_dt = x.shape, x.dtype

    def backward(g):
        return (_spread(g, shape, axes, keepdim, in_dt),)
    return make(out, (input,), backward, "SumBackward0" if dim is None else "SumBackward1")


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """sum treating NaN as 0 (and giving it zero gradient)."""
    x = input._data
    if x.dtype.kind != "f":
        return sum(input, dim, keepdim, dtype=dtype)
    axes = _axes(dim, x.ndim)
    keep = ~np.isnan(x)
    out = _add(np.where(keep, x, 0), axis=axes, keepdims=keepdim,
               dtype=_dtype.to_dtype(dtype).np if dtype is not None else None)

    def backward(g):
        # multiplied, not selected: an inf gradient (nanmean of an all-NaN slice) gives NaN there
        return ((_keep(g, x.shape, axes, keepdim) * keep).astype(x.dtype, copy=False),)
    return make(out, (input,), backward, "NansumBackward0", saved=(input,))


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Σ / n over `dim` (all dims by default); floating-point input only (or pass dtype)."""
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch also accepts
        dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    x = input._data
    if dtype is not None:
        x = x.astype(_dtype.to_dtype(dtype).np, copy=False)
    if x.dtype.kind != "f":
        from .arithmetic import type_name
        raise RuntimeError(f"mean(): could not infer output dtype. {'Input' if dtype is None else 'Optional'} dtype "
                           "must be either a floating point or "
                           f"complex dtype. Got: {type_name(x.dtype)}")
    axes = _axes(dim, x.ndim) if dim is not None else None
    n = _count(x.shape, axes)
    if x.dtype == np.float16:  # accumulate half precision in float32, as PyTorch does
        out = _add(x, axis=axes, dtype=np.float32, keepdims=keepdim)
        out = (out / n if n else out * float("nan")).astype(np.float16)
    else:
        out = sum_axes(x, axes, keepdim) if axes is not None and x.dtype != np.float16 else \
            _add(x, axis=axes, keepdims=keepdim)
        out = out / n if n else out * float("nan")
    shape, in_dt = x.shape, input._data.dtype

    def backward(g):
        return (_spread(g / n if n else g, shape, axes, keepdim, in_dt),)
    return make(out, (input,), backward, "MeanBackward0" if dim is None else "MeanBackward1")


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """mean over the non-NaN elements (NaN where there are none)."""
    if input._data.dtype.kind != "f" and dtype is None:
        from .arithmetic import type_name
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but got "
                           f"{type_name(input._data.dtype)}")
    from .arithmetic import div
    from .compare import isnan, logical_not
    return div(nansum(input, dim, keepdim, dtype=dtype), sum(logical_not(isnan(input)), dim, keepdim))


def _exclusive_cumprod(x, axis, reverse=False):
    """Products of the elements strictly before each one along `axis` (after, if reverse)."""
    if reverse:
        x = np.flip(x, axis)
    c = np.cumprod(x, axis=axis)
    out = np.ones_like(c)
    dst = [slice(None)] * x.ndim
    src = [slice(None)] * x.ndim
    dst[axis], src[axis] = slice(1, None), slice(None, -1)
    out[tuple(dst)] = c[tuple(src)]
    return np.flip(out, axis) if reverse else out


def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Π over `dim` (one dim, or all). d/dx_i = product of the others, computed without dividing
    (so zeros get the right gradient: with one zero only it gets a gradient, with two none do)."""
    if dim is not None and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    x = input._data
    axes = _axes(dim, x.ndim)
    if dtype is not None:
        out_dt = _dtype.to_dtype(dtype).np
    else:
        out_dt = np.dtype(np.int64) if x.dtype.kind in "biu" else x.dtype
    out = np.multiply.reduce(x, axis=axes, dtype=out_dt, keepdims=keepdim)
    shape = x.shape

    def backward(g):
        flat = x.reshape(-1) if axes is None else x
        axis = 0 if axes is None else axes[0]
        if flat.shape[axis] == 0:
            return (np.zeros(shape, x.dtype),)
        others = _exclusive_cumprod(flat, axis) * _exclusive_cumprod(flat, axis, reverse=True)
        return ((_keep(g, shape, axes, keepdim) * others.reshape(shape)).astype(x.dtype, copy=False),)
    return make(out, (input,), backward, "ProdBackward0" if dim is None else "ProdBackward1", saved=(input,))


# ---- var, std -------------------------------------------------------------------------------

def _var_args(name, dim, unbiased, keepdim, correction):
    """Resolve var/std's overloads: var(x, unbiased), var(x, dim, unbiased, keepdim), correction=."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    elif unbiased is not None:
        raise RuntimeError(f"{name}(): cannot specify both unbiased and correction")
    return dim, keepdim, correction


def _moments(name, input, dim, correction):
    """(mean-centred x, Σ(x − mean)² over dim kept, n, degrees of freedom, axes)."""
    x = input._data
    if x.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    axes = _axes(dim, x.ndim)
    n = _count(x.shape, axes)
    dof = builtins.max(n - correction, 0)
    if dof == 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                      "reduction factor (input numel divided by output numel).", stacklevel=3)
    if x.dtype == np.float16:  # accumulate half precision in float32, as PyTorch does
        x = x.astype(np.float32)
    diff = x - (_add(x, axis=axes, keepdims=True) / n if n else x)
    return diff, _add(diff * diff, axis=axes, keepdims=True), n, dof, axes


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """Σ(x − mean)² / (n − correction) over `dim`; correction=1 (Bessel) by default."""
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch also accepts
        dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    dim, keepdim, c = _var_args("var", dim, unbiased, keepdim, correction)
    diff, ss, n, dof, axes = _moments("var", input, dim, c)
    out = (ss / dof if dof else ss * float("inf") if n else ss * float("nan")).astype(input._data.dtype, copy=False)
    if not keepdim:
        out = out.reshape([s for i, s in enumerate(out.shape) if axes is not None and i not in axes])
    scale = 2.0 / dof if dof else float("inf")

    def backward(g):
        return ((_keep(g, diff.shape, axes, keepdim) * diff * scale).astype(g.dtype, copy=False),)
    return make(out, (input,), backward, "VarBackward0", saved=(input,))


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
    """√var over `dim`; correction=1 (Bessel) by default."""
    if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch also accepts
        dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
    dim, keepdim, c = _var_args("std", dim, unbiased, keepdim, correction)
    diff, ss, n, dof, axes = _moments("std", input, dim, c)
    out = np.sqrt(ss / dof if dof else ss * float("inf") if n else ss * float("nan")).astype(input._data.dtype,
                                                                                           copy=False)
    if not keepdim:
        out = out.reshape([s for i, s in enumerate(out.shape) if axes is not None and i not in axes])
    inv_dof = 1.0 / dof if dof else float("inf")

    def backward(g):
        # d std = d var / (2 std), d var = 2 (x − mean) / dof; PyTorch takes 0 where std is 0
        gs = np.where(out == 0, 0.0, g / out).astype(g.dtype, copy=False)
        return ((_keep(gs, diff.shape, axes, keepdim) * diff * inv_dof).astype(g.dtype, copy=False),)
    return make(out, (input,), backward, "StdBackward0", saved=(input,), save_output=True)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over `dim`."""
    d, k, c = _var_args("var_mean", dim, unbiased, keepdim, correction)
    return var(input, d, keepdim=k, correction=c), mean(input, d, k)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over `dim`."""
    d, k, c = _var_args("std_mean", dim, unbiased, keepdim, correction)
    return std(input, d, keepdim=k, correction=c), mean(input, d, k)


# ---- max, min, amax, amin, argmax, argmin ---------------------------------------------------

def _evenly(x, value):
    """Where a full-reduction max/min/median came from: ties share the gradient (NaN ties too)."""
    hit = np.isnan(x) if value != value else (x == value)
    return hit / np.count_nonzero(hit)


def _extreme(name, reduce, arg):
    """max/min: no dim → the value (gradient shared by ties); with dim → (values, indices), the
    gradient going to the index; a tensor second argument → maximum/minimum."""
    title = name.title()

    def op(input, dim=None, keepdim=False, *, other=None, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch also accepts
            dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
        if isinstance(dim, Tensor) or other is not None:
            from . import arithmetic
            return getattr(arithmetic, name + "imum")(input, dim if other is None else other)
        x = input._data
        if dim is None:
            if x.size == 0:
                raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                                   "Specify the reduction dim with the 'dim' argument.")
            out = reduce(x, axis=None)

            def backward(g):
                return ((g * _evenly(x, out)).astype(x.dtype, copy=False),)
            return make(out, (input,), backward, title + "Backward1", saved=(input,))
        if not isinstance(dim, (int, np.integer)):
            raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
        d = dim_arg(dim, x.ndim)
        xx = x if x.ndim else x.reshape(1)
        _check_nonempty(name, xx, (d,))
        idx = arg(xx, axis=d, keepdims=True)
        vals = reduce(xx, axis=d, keepdims=True)  # cheaper than gathering at idx; same values
        if not keepdim or not x.ndim:
            out_shape = x.shape[:d] + x.shape[d + 1:]
            vals_out, idx_out = vals.reshape(out_shape), idx.reshape(out_shape)
        else:
            vals_out, idx_out = vals, idx

        def backward(g):
            gx = np.zeros(xx.shape, dtype=g.dtype)
            np.put_along_axis(gx, idx, g.reshape(idx.shape), d)
            return (gx.reshape(x.shape),)
        values = make(vals_out, (input,), backward, title + "Backward0")
        return values_indices(values, make(idx_out.astype(np.int64, copy=False), (), None, ""), name)
    op.__name__ = op.__qualname__ = name
    return op


# np.argmax/argmin return the first NaN when there is one, which is PyTorch's rule too
max = _extreme("max", np.maximum.reduce, np.argmax)
min = _extreme("min", np.minimum.reduce, np.argmin)


def _amext(name, reduce):
    def op(input, dim=(), keepdim=False):
        x = input._data
        axes = _axes(dim, x.ndim)
        if x.size == 0:
            if axes is None:
                raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                                   "Specify the reduction dim with the 'dim' argument.")
            _check_nonempty(name, x, axes)
        out = reduce(x, axis=axes, keepdims=keepdim)

        def backward(g):
            hit = x == _keep(out, x.shape, axes, keepdim)
            share = _keep(g, x.shape, axes, keepdim) / _add(hit, axis=axes, keepdims=True, dtype=g.dtype)
            return (share * hit,)
        return make(out, (input,), backward, name.title() + "Backward0", saved=(input,), save_output=True)
    op.__name__ = op.__qualname__ = name
    return op


amax = _amext("amax", np.maximum.reduce)
amin = _amext("amin", np.minimum.reduce)


def aminmax(input, *, dim=None, keepdim=False):
    """(amin, amax) over `dim` (one dim, or all)."""
    d = () if dim is None else dim
    return _aminmax_type(amin(input, d, keepdim), amax(input, d, keepdim))


def _arg(name, np_fn):
    def op(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch also accepts
            dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
        x = input._data
        if x.dtype == np.bool_:
            raise RuntimeError(f"{name}(): does not support bool input")
        if dim is None:
            if x.size == 0:
                raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
            out = np.asarray(np_fn(x.reshape(-1)))
            if keepdim:
                out = out.reshape((1,) * x.ndim)
        else:
            d = dim_arg(dim, x.ndim)
            xx = x if x.ndim else x.reshape(1)
            _check_nonempty(name, xx, (d,))
            out = np_fn(xx, axis=d, keepdims=bool(keepdim and x.ndim))
            if not x.ndim:
                out = out.reshape(())
        return make(out.astype(np.int64, copy=False), (), None, "")
    op.__name__ = op.__qualname__ = name
    return op


argmax = _arg("argmax", np.argmax)
argmin = _arg("argmin", np.argmin)


# ---- logsumexp, norm ------------------------------------------------------------------------

def logsumexp(input, dim, keepdim=False):
    """log Σ exp(x) over `dim`, computed with the maximum factored out (no overflow)."""
    x = input._data
    if x.dtype.kind != "f":
        x = x.astype(float_dtype_of(x.dtype))
    axes = _axes(dim, x.ndim)
    if x.size:
        m = np.maximum.reduce(x, axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)  # all −inf (or an inf) along a slice: nothing to factor out
    else:
        m = np.zeros(_kept_shape(x.shape, axes), x.dtype)
    out_kept = np.log(_add(np.exp(x - m), axis=axes, keepdims=True))
    out_kept += m
    out = out_kept if keepdim else out_kept.reshape(
        [n for i, n in enumerate(x.shape) if axes is not None and i not in axes])

    def backward(g):
        return (_keep(g, x.shape, axes, keepdim) * np.exp(x - out_kept),)
    return make(out, (input,), backward, "LogsumexpBackward0", saved=(input,))


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm (Σ|x|^p)^(1/p) over `dim` (all dims by default): p = 2 ('fro'), 1, inf,
    −inf, 0 (count of non-zeros) or any other number. The gradient is 0 where the norm is 0."""
    x = input._data
    if dtype is not None:
        x = x.astype(_dtype.to_dtype(dtype).np, copy=False)
    if x.dtype.kind != "f":
        from .arithmetic import type_name
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {type_name(x.dtype)}")
    if isinstance(p, str) and p != "fro":  # 'nuc' and the like: matrix norms, over two dims
        from .decompositions import matrix_norm
        return matrix_norm(input, p, dim=tuple(range(x.ndim)) if dim is None else dim, keepdim=keepdim, dtype=dtype)
    if p == "fro" or p is None:
        if isinstance(dim, (tuple, list)) and len(dim) > 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
        p = 2
    axes = _axes(dim, x.ndim)
    xc = x.astype(np.float32) if x.dtype == np.float16 else x  # half accumulates in float32, as in PyTorch
    a = None if p == 2 else np.abs(xc)
    if p == 2:
        sq = xc * xc
        out = np.sqrt(sum_axes(sq, axes, keepdim) if axes is not None else _add(sq, axis=axes, keepdims=keepdim))
    elif p == float("inf") or p == float("-inf"):
        if x.size == 0:
            _check_nonempty("linalg.vector_norm", x, axes)
        out = (np.maximum if p > 0 else np.minimum).reduce(a, axis=axes, keepdims=keepdim)
    elif p == 0:
        out = _add(a != 0, axis=axes, keepdims=keepdim, dtype=x.dtype)
    elif p == 1:
        out = _add(a, axis=axes, keepdims=keepdim)
    else:
        out = _add(a ** p, axis=axes, keepdims=keepdim) ** (1.0 / p)
    out = out.astype(x.dtype, copy=False)
    if a is not None:
        a = a.astype(x.dtype, copy=False)
    in_dt = input._data.dtype

    def backward(g):
        n = _keep(out, x.shape, axes, keepdim)
        ge = _keep(g, x.shape, axes, keepdim)
        if p == 0:
            gx = np.zeros(x.shape, x.dtype)
        elif p == 1:
            gx = ge * np.sign(x)
        elif p == 2:
            gx = np.where(n == 0, 0.0, ge * x / n)
        elif p == float("inf") or p == float("-inf"):
            hit = a == n
            gx = ge * np.sign(x) * hit / _add(hit, axis=axes, keepdims=True)
        else:
            gx = np.where((n == 0) | (x == 0), 0.0, ge * np.sign(x) * a ** (p - 1) / n ** (p - 1))
        return (gx.astype(in_dt, copy=False),)
    return make(out, (input,), backward, "LinalgVectorNormBackward0", saved=(input,), save_output=True)


# ---- all, any, count_nonzero, median --------------------------------------------------------

def _logical(reduce):
    def op(input, dim=None, keepdim=False, *, axis=None, keepdims=None):
        if axis is not None or keepdims is not None:  # NumPy's names, which PyTorch also accepts
            dim, keepdim = _numpy_names(dim, keepdim, axis, keepdims)
        x = input._data
        out = reduce(x, axis=_axes(dim, x.ndim), keepdims=keepdim)
        return make(np.asarray(out).astype(np.uint8) if x.dtype == np.uint8 else out, (), None, "")
    op.__name__ = op.__qualname__ = reduce.__name__
    return op


all = _logical(np.all)
any = _logical(np.any)


def count_nonzero(input, dim=None):
    x = input._data
    return make(np.asarray(np.count_nonzero(x, axis=_axes(dim, x.ndim)), dtype=np.int64), (), None, "")


def median(input, dim=None, keepdim=False):
    """The lower median (the ((n−1)//2)-th smallest); NaN if there is a NaN. Without dim: the
    value (ties share the gradient); with dim: (values, indices)."""
    x = input._data
    if x.dtype == np.bool_:
        raise NotImplementedError(f"\"{'median_cpu' if dim is None else 'median_out'}\" not implemented for 'Bool'")
    if dim is None:
        flat = x.reshape(-1)
        if flat.size == 0:
            val = np.asarray(np.nan, dtype=x.dtype) if x.dtype.kind == "f" else None
            if val is None:
                raise IndexError("median() input tensor cannot be empty")
        elif x.dtype.kind == "f" and np.isnan(flat).any():
            val = np.asarray(np.nan, dtype=x.dtype)
        else:
            val = np.partition(flat, (flat.size - 1) // 2)[(flat.size - 1) // 2]

        def backward(g):
            return ((g * _evenly(x, val)).astype(x.dtype, copy=False),)
        return make(val, (input,), backward, "MedianBackward0", saved=(input,))
    d = dim_arg(dim, x.ndim)
    xx = x if x.ndim else x.reshape(1)
    _check_nonempty("median", xx, (d,))
    k = (xx.shape[d] - 1) // 2
    idx = np.take(np.argsort(xx, axis=d, kind="stable"), [k], axis=d)
    if xx.dtype.kind == "f":
        nan = np.isnan(xx)
        has_nan = nan.any(axis=d, keepdims=True)
        if has_nan.any():  # PyTorch returns NaN and the first NaN's index
            idx = np.where(has_nan, np.argmax(nan, axis=d, keepdims=True), idx)
    vals = np.take_along_axis(xx, idx, d)
    if not keepdim or not x.ndim:
        out_shape = x.shape[:d] + x.shape[d + 1:]
        vals_out, idx_out = vals.reshape(out_shape), idx.reshape(out_shape)
    else:
        vals_out, idx_out = vals, idx

    def backward(g):
        gx = np.zeros(xx.shape, dtype=g.dtype)
        np.put_along_axis(gx, idx, g.reshape(idx.shape), d)
        return (gx.reshape(x.shape),)
    return values_indices(make(vals_out, (input,), backward, "MedianBackward1"),
                          make(idx_out.astype(np.int64), (), None, ""), "median")


# ---- cumsum, cumprod ------------------------------------------------------------------------

def cumsum(input, dim, *, dtype=None):
    """Running sum along `dim`. Integers and bools accumulate in int64; float32 in float64."""
    x = input._data
    d = dim_arg(dim, x.ndim)
    if dtype is not None:
        out_dt = _dtype.to_dtype(dtype).np
    else:
        out_dt = np.dtype(np.int64) if x.dtype.kind in "biu" else x.dtype
    xx = x if x.ndim else x.reshape(1)
    if out_dt == np.float16:  # a running float32 sum, each value rounded to half, as in PyTorch
        out = np.cumsum(xx, axis=d, dtype=np.float32).astype(np.float16).reshape(x.shape)
    elif out_dt == np.float32:
        out = _cumsum_float32(xx if xx.dtype == out_dt else xx.astype(out_dt), d).reshape(x.shape)
    else:
        out = np.cumsum(xx, axis=d, dtype=out_dt).reshape(x.shape)
    in_dt = x.dtype

    def backward(g):
        if not x.ndim:
            return (g.astype(in_dt, copy=False),)
        # out_j = Σ_{i ≤ j} x_i, so dx_i = Σ_{j ≥ i} g_j: a cumsum from the far end, in the
        # input's dtype (PyTorch casts the gradient back first)
        g = g.astype(in_dt, copy=False)
        if in_dt == np.float32:
            return (_cumsum_float32(g, d, reverse=True),)
        return (np.flip(np.cumsum(np.flip(g, d), axis=d), d),)
    return make(out, (input,), backward, "CumsumBackward0")


def _cumsum_float32(x, d, reverse=False):
    """Running sums of float32 `x` along d (from the far end when `reverse`), accumulated in
    float64 and each rounded to float32 once, as PyTorch's CPU kernel does (a float32 running
    sum drifts from its values). Along a dim with a block of at least 8 elements after it, in
    arrays of 16k elements or more, the sums are formed by doubling steps, each one add of two
    shifted slices: NumPy's accumulate runs element by element there (128x256 along dim 0:
    290 -> 120 us; 16x64x128 along dim 0: 2000 -> 330 us). Along the last dim it stays NumPy's,
    about 15% slower than a float32 sum for the float64 round trip. Float64 sums of float32
    values are exact unless their magnitudes span more than 2^29, and then differ from the
    sequential sum far below float32's rounding: the values match PyTorch's."""
    shape = x.shape
    n = shape[d]
    inner = x.size // (n * math.prod(shape[:d])) if x.size else 0
    if d == x.ndim - 1 or inner < 8 or n < 2 or n > 4096 or x.size < 16384:
        # in place on a float64 copy: accumulating into a new array or with a dtype= cast is
        # several times slower in NumPy
        y = (np.flip(x, d) if reverse else x).astype(np.float64)
        np.add.accumulate(y, axis=d, out=y)
        return (np.flip(y, d) if reverse else y).astype(np.float32)
    y = x.astype(np.float64, order="C")
    z = np.empty_like(y)
    lead = (slice(None),) * d
    k = 1
    while k < n:  # after the step with shift k, each entry holds the sum of the 2k nearest it
        if reverse:
            kept, src, dst = slice(n - k, None), slice(k, None), slice(0, n - k)
        else:
            kept, src, dst = slice(0, k), slice(0, n - k), slice(k, None)
        z[lead + (kept,)] = y[lead + (kept,)]
        np.add(y[lead + (dst,)], y[lead + (src,)], out=z[lead + (dst,)])
        y, z = z, y
        k += k
    return y.astype(np.float32)


def cumprod(input, dim, *, dtype=None):
    """Running product along `dim`. Integers and bools accumulate in int64.

    dx_i = Σ_{j ≥ i} g_j · Π_{k ≤ j, k ≠ i} x_k. Without zeros that is Σ_{j ≥ i} g_j out_j / x_i;
    along a slice with a zero the products are formed directly (no division)."""
    x = input._data
    d = dim_arg(dim, x.ndim)
    if dtype is not None:
        out_dt = _dtype.to_dtype(dtype).np
    else:
        out_dt = np.dtype(np.int64) if x.dtype.kind in "biu" else x.dtype
    xx = x if x.ndim else x.reshape(1)
    out = np.cumprod(xx, axis=d, dtype=out_dt)

    def backward(g):
        g = g.reshape(out.shape)
        if out.size == 0:
            return (np.zeros(x.shape, x.dtype),)
        if np.all(xx):
            gx = np.flip(np.cumsum(np.flip(g * out, d), axis=d), d) / xx
        else:
            gx = _cumprod_backward_with_zeros(np.moveaxis(xx, d, -1), np.moveaxis(g, d, -1))
            gx = np.moveaxis(gx, -1, d)
        return (gx.reshape(x.shape).astype(x.dtype, copy=False),)
    return make(out.reshape(x.shape), (input,), backward, "CumprodBackward0", saved=(input,))


def _cumprod_backward_with_zeros(x, g):
    """The cumprod gradient along the last axis without dividing by x (O(n²) per slice)."""
    n = x.shape[-1]
    upper = np.triu(np.ones((n, n), dtype=bool))        # [i, j]: j ≥ i
    # span[..., i, j] = Π_{i < k ≤ j} x_k: a cumprod along j of x with the entries k ≤ i set to 1
    span = np.where(upper & ~np.eye(n, dtype=bool), x[..., None, :], 1).astype(x.dtype)
    span = np.cumprod(span, axis=-1) * upper
    before = _exclusive_cumprod(x, x.ndim - 1)            # Π_{k < i} x_k
    return before * np.matmul(span, g[..., None])[..., 0]
