"""Writing into a copy of a tensor: select/slice/diagonal_scatter, index_put, masked_scatter, scatter_reduce,
index_reduce; and unique_consecutive.

Every op here returns a new tensor (the `_` methods write the result back through ops/inplace.py).
Gradients: the input gets the output gradient except where it was overwritten; the written
values get the output gradient at the positions they went to."""
import numpy as np

from ..tensor import Tensor
from ._core import broadcast_error, dim_arg, make, unbroadcast
from .assemble import diag_positions
from .indexing import _convert, _torch_index_error
from .indexing import index_put as _index_put
from .arithmetic import type_name
from .inplace import apply_inplace

__all__ = ["select_scatter", "slice_scatter", "diagonal_scatter", "index_put", "index_put_", "masked_scatter",
           "scatter_reduce", "index_reduce", "unique_consecutive"]
METHODS = ["select_scatter", "slice_scatter", "diagonal_scatter", "masked_scatter", "scatter_reduce", "index_reduce",
           "unique_consecutive",
           ("index_put", lambda self, indices, values, accumulate=False:
            _checked_index_put(self, indices, values, accumulate, "index_put", 2))]
INPLACE = ["scatter_reduce", "index_reduce",
           ("masked_scatter_", lambda self, mask, source: _masked_scatter_(self, mask, source)),
           ("index_put_", lambda self, indices, values, accumulate=False:
            _checked_index_put(self, indices, values, accumulate, "index_put_", 2, inplace=True))]


# ---- writing src into a region of a copy -------------------------------------------------------

def _embed(input, src, locate, name):
    """A copy of input whose region `arr[idx]` (with (arr, idx) = locate(array)) holds src."""
    x = input._data
    out = x.copy()
    view, idx = locate(out)
    region = view[idx]
    if src._data.shape != region.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src._data.shape)}, slice size = {list(region.shape)}")
    view[idx] = src._data
    src_dtype = src._data.dtype

    def backward(g):
        gx = gs = None
        if input._requires_grad:
            gx = g.copy()
            gv, gi = locate(gx)
            gv[gi] = 0
        if src._requires_grad:
            gv, gi = locate(g)
            gs = np.array(gv[gi], dtype=src_dtype)
        return gx, gs
    return make(out, (input, src), backward, name)


def select_scatter(input, src, dim, index):
    """A copy of input with src written at position `index` of dimension `dim`
    (src has input's shape without that dimension)."""
    shape = input._data.shape
    d = dim_arg(dim, len(shape))
    n = shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(shape)} at dimension {d}")
    idx = (slice(None),) * d + (index % n, Ellipsis)  # Ellipsis keeps a 0-d result an array view
    return _embed(input, src, lambda a: (a, idx), "SelectScatterBackward0")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of input with src written at input[..., start:end:step, ...] along `dim`."""
    d = dim_arg(dim, input._data.ndim)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    idx = (slice(None),) * d + (slice(start, end, step),)
    return _embed(input, src, lambda a: (a, idx), "SliceScatterBackward0")


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of input with src written on the diagonal `offset` of the planes (dim1, dim2);
    src has the shape of input.diagonal(offset, dim1, dim2)."""
    shape = input._data.shape
    d1, d2 = dim_arg(dim1, len(shape)), dim_arg(dim2, len(shape))
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    idx = (Ellipsis,) + diag_positions(shape[d1], shape[d2], offset)
    return _embed(input, src, lambda a: (np.moveaxis(a, (d1, d2), (-2, -1)), idx), "DiagonalScatterBackward0")


# ---- index_put and masked_scatter --------------------------------------------------------------

def index_put(input, indices, values, accumulate=False):
    """Out-of-place input[indices] = values (or += with accumulate=True, repeated indices adding up).

    Args:
        indices (tuple of Tensors): one long/int/bool tensor per indexed dimension.
        values (Tensor): of input's dtype, broadcastable to the indexed region."""
    return _checked_index_put(input, indices, values, accumulate, "index_put", 3)


def index_put_(input, indices, values, accumulate=False):
    """In-place index_put."""
    return _checked_index_put(input, indices, values, accumulate, "index_put_", 3, inplace=True)


def _checked_index_put(input, indices, values, accumulate, name, position, inplace=False):
    """PyTorch's argument checks around indexing.index_put, and its wording for what NumPy rejects."""
    indices = tuple(indices)
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            # PyTorch counts arguments from 0 here (self excluded for the method) and from 1 below
            raise TypeError(f"expected Tensor as element {i} in argument {position - 2}, but got {type(t).__name__}")
    if not isinstance(values, Tensor):
        raise TypeError(f"{name}(): argument 'values' (position {position}) must be Tensor, not {type(values).__name__}")
    x = input._data
    if values._data.dtype != x.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got {type_name(x.dtype)} for "
                           f"the destination and {type_name(values._data.dtype)} for the source.")
    try:
        if inplace:
            return apply_inplace(input, _index_put, indices, values, accumulate)
        return _index_put(input, indices, values, accumulate)
    except IndexError as err:
        raise _torch_index_error(x, _convert(indices)[0], str(err)) from None
    except ValueError:  # only reached on bad input: find the indexed region's shape for the message
        region = np.shape(x[_convert(indices)[0]])
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(values._data.shape)} cannot be broadcast to "
                           f"indexing result of shape {list(region)}") from None


def masked_scatter(input, mask, source):
    """A copy of input (broadcast with mask) whose True-mask positions hold source's first
    elements, in row-major order."""
    m = mask._data
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {type_name(m.dtype)}")
    x, src = input._data, source._data
    if x.dtype != src.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{type_name(x.dtype)} and {type_name(src.dtype)}")
    try:
        shape = np.broadcast_shapes(x.shape, m.shape)
    except ValueError:
        raise broadcast_error(m.shape, x.shape) from None
    m = np.broadcast_to(m, shape)
    k = int(np.count_nonzero(m))
    if src.size < k:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out = np.array(np.broadcast_to(x, shape))
    out[m] = src.reshape(-1)[:k]

    def backward(g):
        gx = gs = None
        if input._requires_grad:
            gx = unbroadcast(np.where(m, g.dtype.type(0), g), x.shape)
        if source._requires_grad:
            gs = np.zeros(src.size, dtype=g.dtype)
            gs[:k] = g[m]
            gs = gs.reshape(src.shape)
        return gx, gs
    return make(out, (input, source), backward, "MaskedScatterBackward0")


def _masked_scatter_(self, mask, source):
    """In place, the mask must expand to self's shape (self cannot grow)."""
    from .shape import expand
    if isinstance(mask, Tensor) and mask._data.shape != self._data.shape:
        expand(mask, self._data.shape)  # raises PyTorch's expand error
    return apply_inplace(self, masked_scatter, mask, source)


# ---- scatter_reduce and index_reduce -----------------------------------------------------------

_UFUNCS = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


def _identity(reduce, dtype):
    """The value a reduction starts from when self is not included."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    info = np.iinfo(dtype) if dtype.kind in "iu" else None
    if info is None:  # bool
        return reduce == "amin"
    return info.min if reduce == "amax" else info.max


def _reduce_into(x, lin, s, reduce, include_self, counts=None):
    """A copy of the flat array x with the flat s reduced into the flat positions lin."""
    out = x.copy()
    if not include_self:
        out[lin] = _identity(reduce, x.dtype)
    _UFUNCS[reduce].at(out, lin, s)  # on 1-D operands NumPy's fast path: 4-8x faster than index tuples
    if reduce == "mean":
        if out.dtype.kind == "f":
            out /= counts.astype(out.dtype)
        else:
            out //= counts.astype(out.dtype)  # PyTorch floors an integer mean
    return out


def _flat_positions(shape, d, idx):
    """Flat (C-order) positions in an array of `shape` of the elements scatter addresses: along d
    the index's value, along the other dims the element's own coordinate."""
    strides = np.cumprod((1,) + shape[:0:-1])[::-1]
    lin = idx.astype(np.intp) * strides[d]
    for k, n in enumerate(idx.shape):
        if k != d and n > 1:
            lin = lin + (np.arange(n) * strides[k]).reshape((n,) + (1,) * (idx.ndim - k - 1))
    return lin.reshape(-1)


def _scatter_reduce(input, d, idx, source, s, reduce, include_self, name):
    """The shared kernel: reduce s (source's leading idx.shape block) into a copy of input at
    positions idx along d (the other coordinates are the element's own). Works on flat arrays."""
    x = input._data.reshape(-1)
    shape = input._data.shape
    lin = _flat_positions(shape, d, idx)
    sf = s.reshape(-1)
    counts = None
    if reduce == "mean":
        if x.dtype == np.bool_:
            raise NotImplementedError("\"scatter_gather_tensor_cpu_reduce_mean\" not implemented for 'Bool'")
        counts = np.full(x.shape, 1 if include_self else 0, dtype=np.int64)
        np.add.at(counts, lin, 1)
        counts[counts == 0] = 1
    out = _reduce_into(x, lin, sf, reduce, include_self, counts)
    block = tuple(slice(0, n) for n in idx.shape)
    src_shape = source._data.shape

    def backward(g):
        gx, gb = _scatter_reduce_grads(g.reshape(-1), x, sf, out, lin, reduce, include_self, counts,
                                       input._requires_grad, source._requires_grad)
        gs = None
        if gb is not None:
            gs = np.zeros(src_shape, dtype=g.dtype)
            gs[block] = gb.reshape(idx.shape)
        return (gx.reshape(shape) if gx is not None else None), gs
    return make(out.reshape(shape), (input, source), backward, name, saved=(input, source), save_output=True)


def _scatter_reduce_grads(g, x, s, out, lin, reduce, include_self, counts, need_x, need_s):
    """Gradients of scatter_reduce, all flat: for self (input's size) and src (one per position)."""
    gx = gs = None
    if reduce == "sum":
        gx = g
        gs = g[lin] if need_s else None
    elif reduce == "mean":
        gx = g / counts.astype(g.dtype)
        gs = gx[lin] if need_s else None
    elif reduce == "prod":
        # divide out the factor whose gradient is taken; zeros are replaced by one so that a
        # single zero still passes on the product of the others (two or more give zero)
        if need_x:
            masked = np.where(x == 0, x.dtype.type(1), x)
            gx = g * _reduce_into(masked, lin, s, reduce, include_self) / masked
        if need_s:
            zero = s == 0
            zeros_at = np.zeros(x.shape, dtype=np.int64)
            np.add.at(zeros_at, lin, zero)
            single = zero & (zeros_at[lin] == 1)
            others = _reduce_into(x, lin, np.where(single, s.dtype.type(1), s), reduce, include_self)
            gs = np.where(single, (g * others)[lin], (g * out)[lin] / np.where(zero, s.dtype.type(1), s))
    else:  # amax / amin: shared evenly among every element equal to the result
        value = out[lin]
        x_is = x == out
        s_is = s == value
        n = x_is.astype(g.dtype)
        np.add.at(n, lin, s_is)
        share = g / n
        gx = np.where(x_is, share, g.dtype.type(0))
        gs = np.where(s_is, share[lin], g.dtype.type(0)) if need_s else None
    if need_x and not include_self:
        gx = gx.copy() if gx is g else gx
        gx[lin] = 0
    return (gx if need_x else None), gs


def _check_reduce(reduce):
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # PyTorch accepts the old names too
    if reduce not in _UFUNCS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    return reduce


def _index_of(index, name):
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    return index._data


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Reduce src's values into a copy of input: out[..., index[i][j], ...] (position along `dim`
    given by index, the others by the element's own) combines by sum, prod, mean, amax or amin.

    Args:
        reduce (str): "sum", "prod", "mean", "amax" or "amin".
        include_self (bool): whether input's values take part in the reduction (where any src
            value lands; elsewhere the output keeps input's value).
    Shape: index has input's ndim and is no larger than src anywhere, nor than input outside dim."""
    reduce = _check_reduce(reduce)
    idx = _index_of(index, "scatter")
    x, s = input._data, src._data
    if x.dtype != s.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    d = dim_arg(dim, x.ndim)
    if idx.ndim != x.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if idx.ndim != s.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if any(n > m for n, m in zip(idx.shape, s.shape)) or any(
            n > m for k, (n, m) in enumerate(zip(idx.shape, x.shape)) if k != d):
        raise RuntimeError(f"Expected index {list(idx.shape)} to be no larger than self {list(x.shape)} apart from "
                           f"dimension {d} and to be no larger size than src {list(s.shape)}")
    if x.ndim == 0:  # one element: treat as 1-D
        return _scatter_reduce_0d(scatter_reduce, input, dim, index, src, reduce, include_self)
    n = x.shape[d]
    bad = (idx < 0) | (idx >= n)
    if bad.any():
        raise RuntimeError(f"index {idx[bad].flat[0]} is out of bounds for dimension {d} with size {n}")
    block = s[tuple(slice(0, k) for k in idx.shape)]
    return _scatter_reduce(input, d, idx, src, block, reduce, include_self, "ScatterReduceBackward0")


def _scatter_reduce_0d(fn, input, dim, index, src, reduce, include_self):
    from .shape import reshape
    out = fn(reshape(input, (1,)), 0, reshape(index, (1,)), reshape(src, (-1,)), reduce, include_self=include_self)
    return reshape(out, ())


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Reduce slices of source into a copy of input: slice i of source (along `dim`) combines into
    slice index[i] of the output by prod, mean, amax or amin.

    Args:
        index (1-D int tensor): one target position per slice of source along dim.
        reduce (str): "prod", "mean", "amax" or "amin".
        include_self (bool): whether input's values take part where slices land."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    x, s, ix = input._data, source._data, index._data
    d = dim_arg(dim, x.ndim)
    if ix.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: {type_name(ix.dtype)}")
    if ix.ndim > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, but got dim: {ix.ndim} with type: "
                         f"{type_name(ix.dtype)} and size: {list(ix.shape)}")
    if x.dtype != s.dtype:
        raise RuntimeError(f"index_reduce_(): self ({type_name(x.dtype)}) and source ({type_name(s.dtype)}) must have the "
                           "same scalar type")
    xs, ss = x.shape or (1,), s.shape or (1,)
    if len(xs) != len(ss) or any(a != b for k, (a, b) in enumerate(zip(xs, ss)) if k != d):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(x.shape)} source.shape = {list(s.shape)}")
    ix = ix.reshape(-1)
    if ix.size != ss[d]:
        raise RuntimeError(f"index_reduce_(): Number of indices ({ix.size}) should be equal to source.size(dim): "
                           f"({ss[d]}), for dim: {d}")
    if ix.size and (ix.min() < 0 or ix.max() >= xs[d]):  # PyTorch takes no negative index here
        raise IndexError("index out of range in self")
    if x.ndim == 0:
        return _scatter_reduce_0d(lambda i, dm, j, s_, r, include_self: index_reduce(i, dm, j, s_, r,
                                                                                    include_self=include_self),
                                  input, dim, index, source, reduce, include_self)
    # one index per slice: spread it over the slice to get scatter_reduce's index
    full = np.broadcast_to(ix.reshape((1,) * d + (-1,) + (1,) * (s.ndim - d - 1)), s.shape)
    return _scatter_reduce(input, d, full, source, s, reduce, include_self, "IndexReduceBackward0")


# ---- unique_consecutive ------------------------------------------------------------------------

def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse each run of equal consecutive elements (or slices along `dim`) to one.

    Returns: the output, plus (if asked) each element's run number (inverse) and each run's
    length (counts), as int64."""
    x = input._data
    if dim is None:
        flat = x.reshape(-1)
        start = np.empty(flat.shape, dtype=bool)
        start[:1] = True
        np.not_equal(flat[1:], flat[:-1], out=start[1:])
        values = flat[start]
        inverse_shape = x.shape
    else:
        if x.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        d = dim_arg(dim, x.ndim)
        empty = x.shape.count(0)
        if empty and x.shape[d]:
            raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique cannot be applied")
        if empty > 1:
            raise RuntimeError("Number of zero sized dimensions is more than one, so unique cannot be applied ")
        moved = np.moveaxis(x, d, 0)
        rows = moved.reshape(moved.shape[0], moved[:1].size)
        start = np.empty(rows.shape[0], dtype=bool)
        start[:1] = True
        np.any(rows[1:] != rows[:-1], axis=1, out=start[1:])
        values = np.ascontiguousarray(np.compress(start, x, axis=d))
        inverse_shape = (x.shape[d],)
    out = make(values, (input,), _no_unique_consecutive_derivative, "UniqueConsecutiveBackward0")
    if not (return_inverse or return_counts):
        return out
    result = [out]
    if return_inverse:
        result.append(make((np.cumsum(start) - 1).reshape(inverse_shape), (), None, ""))
    if return_counts:
        result.append(make(np.diff(np.append(np.flatnonzero(start), start.size)), (), None, ""))
    return tuple(result)


def _no_unique_consecutive_derivative(g):
    # PyTorch records the op (the output requires grad) but has no formula for it
    raise NotImplementedError("the derivative for 'unique_consecutive' is not implemented.")
