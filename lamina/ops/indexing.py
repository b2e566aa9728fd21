"""Indexing: x[i], x[a:b], x[None], x[...], x[int_tensor], x[bool_mask], assignment, and the
gather/scatter family. Basic indexing returns a view; advanced indexing a copy, and its backward
scatters with np.add.at so repeated indices accumulate."""
import numpy as np

from ..tensor import Tensor
from ._core import as_tensor, dim_arg, make

__all__ = ["gather", "scatter", "scatter_add", "index_select", "masked_fill", "masked_select", "take",
           "nonzero", "index_add", "index_fill", "argwhere", "index_copy", "take_along_dim"]
METHODS = list(__all__) + ["index_put"]
INPLACE = ["masked_fill", "scatter", "scatter_add", "index_add", "index_fill", "index_copy",
           ("index_put_", lambda self, indices, values, accumulate=False: _index_put_(self, indices, values, accumulate))]


def _convert(index):
    """Tensors in an index become ndarrays; returns (numpy_index, is_basic)."""
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    basic = True
    for i in index:
        if isinstance(i, Tensor):
            arr = i.data
            if arr.dtype.kind not in "biu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if arr.dtype == np.uint8:
                arr = arr.astype(bool)
            out.append(arr)
            basic = False
        elif isinstance(i, (list, np.ndarray)):
            arr = np.asarray([x.item() if isinstance(x, Tensor) else x for x in i] if isinstance(i, list) else i)
            out.append(arr)
            basic = False
        elif isinstance(i, (bool, np.bool_)):
            out.append(i)
            basic = False
        else:
            out.append(i)
    return tuple(out), basic


def _check_bounds(x, idx):
    """NumPy's IndexError text differs from PyTorch's; translate the common case."""
    try:
        return x[idx]
    except IndexError as err:
        msg = str(err)
        if "out of bounds" in msg:
            import re
            m = re.search(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", msg)
            if m:
                raise IndexError(f"index {m.group(1)} is out of bounds for dimension {m.group(2)} with size "
                                 f"{m.group(3)}") from None
        raise


def getitem(input, index):
    x = input.data
    idx, basic = _convert(index)
    out = _check_bounds(x, idx)
    shape = x.shape
    if basic:
        def backward(g):
            gx = np.zeros(shape, dtype=g.dtype)
            gx[idx] = g
            return (gx,)
        return make(out, (input,), backward, "SelectBackward0" if isinstance(index, int) else "SliceBackward0",
                    view_of=input)
    out = np.array(out)  # advanced indexing already copied; make sure it is an ndarray

    def backward(g):
        gx = np.zeros(shape, dtype=g.dtype)
        np.add.at(gx, idx, g)
        return (gx,)
    return make(out, (input,), backward, "IndexBackward0")


def setitem(input, index, value):
    from .inplace import apply_inplace
    apply_inplace(input, index_put, index, value)


def index_put(input, indices, values, accumulate=False):
    """Out-of-place `x[indices] = values` (differentiable in both x and values)."""
    x = input.data
    idx, _ = _convert(indices)
    values_t = as_tensor(values, input)
    v = values_t.data
    if v.dtype != x.dtype:
        v = v.astype(x.dtype)
    out = x.copy()
    if accumulate:
        np.add.at(out, idx, v)
    else:
        out[idx] = v
    target_shape = np.shape(out[idx])

    def backward(g):
        gx = None
        if input._requires_grad:
            gx = g.copy() if not accumulate else g
            if not accumulate:
                gx[idx] = 0
        gv = None
        if values_t._requires_grad:
            from ._core import unbroadcast
            gv = unbroadcast(np.broadcast_to(g[idx], target_shape), v.shape)
        return gx, gv
    return make(out, (input, values_t), backward, "IndexPutBackward0")


def _index_put_(self, indices, values, accumulate):
    from .inplace import apply_inplace
    return apply_inplace(self, index_put, tuple(indices), values, accumulate)


def masked_fill(input, mask, value):
    m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype if isinstance(mask, Tensor) else m.dtype}")
    value_t = value if isinstance(value, Tensor) else None
    if value_t is not None and value_t.data.ndim != 0:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value_t.data.ndim} dimension(s).")
    fill = value_t.data if value_t is not None else value
    x = input.data
    out = np.where(m, np.asarray(fill, dtype=x.dtype), x)
    if out.shape != x.shape:
        raise RuntimeError(f"The size of the mask ({list(m.shape)}) must match the size of the tensor "
                           f"({list(x.shape)})")

    def backward(g):
        gx = np.where(m, g.dtype.type(0), g) if input._requires_grad else None
        if value_t is not None:
            return gx, (np.where(m, g, 0).sum().astype(g.dtype).reshape(()) if value_t._requires_grad else None)
        return (gx,)
    parents = (input, value_t) if value_t is not None else (input,)
    return make(out, parents, backward, "MaskedFillBackward0", saved=())


def masked_select(input, mask):
    m = np.broadcast_to(mask.data, np.broadcast_shapes(mask.data.shape, input.data.shape))
    x = np.broadcast_to(input.data, m.shape)
    shape = input.data.shape

    def backward(g):
        gfull = np.zeros(m.shape, dtype=g.dtype)
        gfull[m] = g
        from ._core import unbroadcast
        return (unbroadcast(gfull, shape),)
    return make(x[m], (input,), backward, "MaskedSelectBackward0")


def _check_index_dtype(name, index):
    if index.data.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")


def gather(input, dim, index, *, sparse_grad=False):
    _check_index_dtype("gather", index)
    x = input.data
    d = dim_arg(dim, x.ndim)
    idx = index.data
    if idx.ndim != x.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    # index may be smaller than input in the other dims: gather from the matching corner
    corner = tuple(slice(0, s) if i != d else slice(None) for i, s in enumerate(idx.shape))
    out = np.take_along_axis(x[corner], idx, d)

    def backward(g):
        gx = np.zeros_like(x, dtype=g.dtype)
        sub = gx[corner]
        _scatter_add_into(sub, d, idx, g)
        return (gx,)
    return make(out, (input,), backward, "GatherBackward0")


def _scatter_add_into(target, d, idx, src):
    """target[..., idx[i], ...] += src[i] along dim d (accumulating repeats)."""
    grids = np.indices(idx.shape, sparse=True)
    full = tuple(idx if i == d else grids[i] for i in range(idx.ndim))
    np.add.at(target, full, src[tuple(slice(0, s) for s in idx.shape)])


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    _check_index_dtype("scatter", index)
    if src is None:
        src = value
    x = input.data
    d = dim_arg(dim, x.ndim)
    idx = index.data
    src_t = src if isinstance(src, Tensor) else None
    s = src_t.data if src_t is not None else np.full(idx.shape, src, dtype=x.dtype)
    s = s[tuple(slice(0, n) for n in idx.shape)]
    out = x.copy()
    grids = np.indices(idx.shape, sparse=True)
    full = tuple(idx if i == d else grids[i] for i in range(idx.ndim))
    if reduce == "add":
        np.add.at(out, full, s)
    elif reduce == "multiply":
        np.multiply.at(out, full, s)
    else:
        out[full] = s

    def backward(g):
        gx = None
        if input._requires_grad:
            gx = g.copy()
            if reduce is None:
                gx[full] = 0
        if src_t is not None:
            gs = None
            if src_t._requires_grad:
                gs = np.zeros_like(src_t.data, dtype=g.dtype)
                gs[tuple(slice(0, n) for n in idx.shape)] = g[full]
            return gx, gs
        return (gx,)
    parents = (input, src_t) if src_t is not None else (input,)
    return make(out, parents, backward, "ScatterBackward0")


def scatter_add(input, dim, index, src):
    return scatter(input, dim, index, src, reduce="add")


def index_select(input, dim, index):
    x = input.data
    d = dim_arg(dim, x.ndim)
    idx = index.data.reshape(-1) if index.data.ndim else index.data.reshape(1)
    if x.ndim == 0:
        return make(x.copy(), (input,), lambda g: (g,), "IndexSelectBackward0")
    out = np.take(x, idx, axis=d)

    def backward(g):
        gx = np.zeros_like(x, dtype=g.dtype)
        moved = np.moveaxis(gx, d, 0)
        np.add.at(moved, idx, np.moveaxis(g, d, 0))
        return (gx,)
    return make(out, (input,), backward, "IndexSelectBackward0")


def index_add(input, dim, index, source, *, alpha=1):
    x = input.data
    d = dim_arg(dim, x.ndim)
    idx = index.data
    src = source.data * alpha if alpha != 1 else source.data
    out = x.copy()
    np.add.at(np.moveaxis(out, d, 0), idx, np.moveaxis(src, d, 0))

    def backward(g):
        gs = np.moveaxis(np.take(g, idx, axis=d), d, d) * alpha if source._requires_grad else None
        return (g if input._requires_grad else None, gs)
    return make(out, (input, source), backward, "IndexAddBackward0")


def index_fill(input, dim, index, value):
    d = dim_arg(dim, input.data.ndim)
    sel = [slice(None)] * input.data.ndim
    sel[d] = index.data
    mask = np.zeros(input.data.shape, dtype=bool)
    mask[tuple(sel)] = True
    return masked_fill(input, Tensor._wrap(mask), value)


def index_copy(input, dim, index, source):
    d = dim_arg(dim, input.data.ndim)
    sel = [slice(None)] * input.data.ndim
    sel[d] = index
    return index_put(input, tuple(sel), source)


def take(input, index):
    from .shape import reshape
    return getitem(reshape(input, (-1,)), index)


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return take(input, indices.reshape(-1) if hasattr(indices, "reshape") else indices)
    return gather(input, dim, indices.expand(*np.broadcast_shapes(indices.data.shape, input.data.shape)[:0] or indices.data.shape))


def nonzero(input, *, as_tuple=False):
    nz = np.nonzero(input.data)
    if as_tuple:
        return tuple(make(a.astype(np.int64), (), None, "") for a in nz)
    return make(np.stack(nz, axis=1).astype(np.int64) if nz else np.zeros((0, 0), np.int64), (), None, "")


def argwhere(input):
    return nonzero(input)
